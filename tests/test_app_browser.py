"""End to end: the explorer served by Voila (as `make app` serves it), driven in Debian's Chromium.

One Voila server and one page for the module (a page load starts a kernel and builds the explorer, about
12 s), at a 1366x768 laptop screen; each test puts the page in the state it needs (reset to the saved
assumptions first) and checks what a finance officer would see against the package's own functions:
``appraise()`` for the pinned NPSV, ``monte_carlo()`` with the same draws and seed for the live P50, the
scenario file's values for the controls after loading it. The server is stopped by PID in the fixture's
teardown. No browser is downloaded: Chromium comes from apt (``/usr/bin/chromium``).
"""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import time

import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal, monte_carlo
from asdm_models.dashboard import QUICK_DRAWS, QUICK_SEED
from asdm_models.units import format_gbp
from asdm_models.widgets import control_specs, format_value, parse_typed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LAPTOP = {"width": 1366, "height": 768}
OPTION = "trading_company"  # the notebook's defaults: trading_company against social_enterprise, OBC


def _serve_app():
    spec = importlib.util.spec_from_file_location("serve_app", PROJECT_ROOT / "scripts" / "serve_app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def appraisal():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving notebooks/explore_assumptions.ipynb; yields the URL; stopped by PID afterwards."""
    app = _serve_app()
    port, token = app.free_port(), secrets.token_urlsafe(16)
    log_path = tmp_path_factory.mktemp("voila") / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(app.voila_command(port, token), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        pid = proc.pid
        try:
            assert app.wait_until_up(port, proc, timeout=60), f"Voila (PID {pid}) did not start:\n{log_path.read_text()}"
            yield app.app_url(port, token)
        finally:
            app.stop(proc)
            assert proc.poll() is not None, f"Voila (PID {pid}) is still running"


@pytest.fixture(scope="module")
def page(voila):
    """The explorer open in Chromium at 1366x768, clipboard allowed (the copy buttons), loaded once."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=_origin(voila))
            pg = context.new_page()
            pg.goto(voila, timeout=90_000)
            pg.wait_for_selector(".widget-slider", timeout=90_000)
            pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            pg.locator(".asdm-headline td.asdm-npsv").wait_for(timeout=30_000)
            yield pg
        finally:
            browser.close()


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


def _until(fn, what: str, timeout: float = 30.0):
    """Poll ``fn()`` until it returns a true value; fail saying ``what`` and the last value seen."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def _value(pg, selector: str):
    v = pg.locator(selector).first.get_attribute("data-value")
    return float(v) if v not in (None, "") else None


def _reset(pg, appraisal):
    pg.set_viewport_size(LAPTOP)
    pg.locator(".lm-TabBar-tab", has_text="Drivers").click()
    pg.get_by_role("button", name="Reset to saved").click()
    if not pg.locator(".asdm-driver-pay_inflation input").first.is_visible():  # the economy group open again
        pg.locator(".asdm-controls .jupyter-widget-Collapse-header", has_text="Economy").click()
    saved = appraise(appraisal, OPTION, "obc").npsv_vs_no_change_gbp
    _until(lambda: _value(pg, ".asdm-headline td.asdm-npsv") == saved, "the saved NPSV after reset")
    return saved


def _in_viewport(pg, selector: str) -> dict:
    return pg.evaluate("""(sel) => { const b = document.querySelector(sel).getBoundingClientRect();
        return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, w: innerWidth, h: innerHeight}; }""",
                       selector)


def test_moving_a_slider_updates_the_pinned_npsv_to_appraise(page, appraisal):
    saved = _reset(page, appraisal)
    spec = next(s for s in control_specs(appraisal, OPTION, "obc") if s.path == "pay_inflation")
    npsv = page.locator(".asdm-headline td.asdm-npsv")
    assert npsv.inner_text() == format_gbp(saved, millions=False)
    row = page.locator(".asdm-driver-pay_inflation")
    box = row.locator("input").first
    assert box.input_value() == "3%"
    handle = row.locator(".noUi-handle")
    handle.focus()
    for _ in range(4):
        handle.press("ArrowRight")
        time.sleep(0.15)

    def settled():
        x = parse_typed(spec, box.input_value(), appraisal.first_year, appraisal.period_years)
        expected = appraise(appraisal, OPTION, "obc", overrides={"pay_inflation": x}).npsv_vs_no_change_gbp
        return (x, expected) if x != spec.base and _value(page, ".asdm-headline td.asdm-npsv") == expected else None

    x, expected = _until(settled, "the pinned NPSV to become appraise()'s figure for the slider's value")
    assert x > spec.base
    assert npsv.inner_text() == format_gbp(expected, millions=False)
    assert expected != saved
    assert "+" in row.locator(".asdm-change").inner_text() and "pts" in row.locator(".asdm-change").inner_text()


def test_the_headline_stays_in_view_while_a_slider_in_the_last_group_is_moved(page, appraisal):
    _reset(page, appraisal)
    specs = control_specs(appraisal, OPTION, "obc")
    last_group = specs[-1].group
    last = next(s for s in specs if s.group == last_group and s.unit == "rate")
    headers = page.locator(".asdm-controls .jupyter-widget-Collapse-header")
    headers.last.click()  # open the last group (the accordion shows one group at a time)
    row = page.locator(f".asdm-driver-{last.path.replace('.', '-')}")
    handle = row.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    before = _value(page, ".asdm-headline td.asdm-npsv")
    for _ in range(3):
        handle.press("ArrowRight")
        time.sleep(0.15)
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") not in (None, before), "the NPSV to move")
    # The control moved is on screen, and so is the whole pinned summary (both options and the gate chips).
    h = _in_viewport(page, f".asdm-driver-{last.path.replace('.', '-')} .noUi-handle")
    assert 0 <= h["top"] and h["bottom"] <= h["h"], h
    pinned = _in_viewport(page, ".asdm-pinned .asdm-headline table")
    assert pinned["top"] >= 0 and pinned["bottom"] <= pinned["h"] and pinned["right"] <= pinned["w"], pinned
    for cell in ("td.asdm-npsv", "td.asdm-compare-npsv", "td.asdm-gate-result", "td.asdm-gate-chips .asdm-rag"):
        box = _in_viewport(page, f".asdm-headline {cell}")
        assert 0 <= box["top"] and box["bottom"] <= box["h"], (cell, box)


def test_loading_a_saved_scenario_sets_the_controls_and_the_live_monte_carlo_matches_the_batch(page, appraisal):
    _reset(page, appraisal)
    page.locator(".lm-TabBar-tab", has_text="Scenarios").click()
    sc = appraisal.scenarios["optimistic"]
    page.locator(".asdm-scenario-picker select").select_option(value=None, label=f"{sc.name} (optimistic)")
    page.locator(".asdm-load-scenario").click()
    page.locator(".lm-TabBar-tab", has_text="Drivers").click()
    # Every control the scenario names shows the scenario's value for this option.
    values = {**sc.changes["all"], **sc.changes[OPTION]}
    specs = {s.path: s for s in control_specs(appraisal, OPTION, "obc")}
    for path, x in values.items():
        box = page.locator(f".asdm-driver-{path.replace('.', '-')} input").first
        want = format_value(specs[path], x, appraisal.first_year)
        _until(lambda: box.input_value() == want, f"{path} to show {want}")
    r = appraise(appraisal, OPTION, "obc", scenario="optimistic")
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") == r.npsv_vs_no_change_gbp, "the scenario's NPSV")
    # The live Monte Carlo: the P50 the batch's monte_carlo() gives with the same draws and seed.
    mc = monte_carlo(appraisal, OPTION, "obc", draws=QUICK_DRAWS, seed=QUICK_SEED, scenario="optimistic")
    _until(lambda: _value(page, ".asdm-headline td.asdm-p50-npsv") == mc.p50, f"the live P50 {mc.p50}")
    assert _value(page, ".asdm-headline td.asdm-prob-beats-no-change") == mc.prob_beats_no_change
    note = page.locator(".asdm-headline .asdm-note").inner_text()
    assert f"{QUICK_DRAWS:,} draws" in note and "standard error" in note
    # The gate is assessed: no chip is left "not assessed" once the Monte Carlo is in.
    results = page.locator(".asdm-headline td.asdm-gate-chips .asdm-rag").evaluate_all(
        "els => els.map(e => e.dataset.result)")
    assert results and "not assessed" not in results


def test_undo_restores_the_previous_value_and_redo_makes_it_again(page, appraisal):
    saved = _reset(page, appraisal)
    box = page.locator(".asdm-driver-pay_inflation input").first
    box.fill("4.5%")
    box.press("Enter")
    moved = appraise(appraisal, OPTION, "obc", overrides={"pay_inflation": 0.045}).npsv_vs_no_change_gbp
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") == moved, "the NPSV at 4.5% pay inflation")
    page.locator(".asdm-undo").click()
    _until(lambda: box.input_value() == "3%", "undo to put pay inflation back to 3%")
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") == saved, "undo to restore the saved NPSV")
    page.locator(".asdm-redo").click()
    _until(lambda: box.input_value() == "4.5%", "redo to set 4.5% again")
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") == moved, "redo to restore the NPSV")


def test_a_figure_that_crosses_a_threshold_is_flagged_where_it_appears(page, appraisal):
    _reset(page, appraisal)
    # No planned funding: the company's cash goes below zero in its first years.
    page.locator(".lm-TabBar-tab", has_text="Drivers").click()
    page.locator(".asdm-controls .jupyter-widget-Collapse-header", has_text="Delivery model").click()
    box = page.locator(".asdm-driver-planned_funding_gbp input").first
    box.fill("0")
    box.press("Enter")
    r = appraise(appraisal, OPTION, "obc", overrides={"planned_funding_gbp": 0.0})
    assert r.lowest_cash_gbp < 0  # the premise: the independent model says cash goes below zero
    cell = page.locator(".asdm-headline td.asdm-lowest-cash")
    _until(lambda: _value(page, ".asdm-headline td.asdm-lowest-cash") == r.lowest_cash_gbp, "the lowest cash")
    assert "asdm-flag" in cell.get_attribute("class") and "⚠" in cell.inner_text()
    assert "below zero" in cell.get_attribute("title")
    # The gate test on cash flips from pass to fail and its chip says so.
    chip = page.locator('.asdm-headline td.asdm-gate-chips .asdm-rag[data-metric="entity_lowest_cash_gbp"]')
    _until(lambda: chip.get_attribute("data-result") == "fail" and "flipped" in (chip.get_attribute("title") or ""),
           "the cash gate test to fail and say it flipped")
    assert "asdm-rag-red" in chip.get_attribute("class") and "flipped" in chip.get_attribute("title")


def test_option_names_are_shown_in_full_and_chart_titles_fit_at_1024_px(page, appraisal):
    _reset(page, appraisal)
    for sel in (".asdm-bar .widget-dropdown select",):
        widths = page.locator(sel).evaluate_all("""els => els.map(e => {
            const c = document.createElement('canvas').getContext('2d'); c.font = getComputedStyle(e).font;
            const longest = Math.max(...[...e.options].map(o => c.measureText(o.text).width));
            return [longest, e.clientWidth]; })""")
        for longest, client in widths:
            assert longest + 16 <= client, f"an option name is cut off: {longest:.0f} px of text in a {client} px box"
    page.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(1.0)  # plotly relayouts on resize
    boxes = page.locator(".asdm-charts .js-plotly-plot").evaluate_all("""els => els.map(e => {
        const svg = e.querySelector('.main-svg').getBoundingClientRect();
        const t = e.querySelector('.gtitle'); if (!t) return null; const b = t.getBoundingClientRect();
        return [b.left - svg.left, svg.right - b.right, b.top - svg.top, t.textContent]; })""")
    assert len(boxes) == 3 and all(boxes), boxes
    for left, right, top, text in boxes:
        assert left >= 0 and right >= 0 and top >= 0, f"title cut at 1024 px: {text!r} ({left:.0f}, {right:.0f}, {top:.0f})"
    page.set_viewport_size(LAPTOP)


def test_the_copied_summary_pastes_into_read_csv_with_the_same_numbers(page, appraisal):
    import io

    import pandas as pd

    _reset(page, appraisal)
    r = appraise(appraisal, OPTION, "obc")
    mc = monte_carlo(appraisal, OPTION, "obc", draws=QUICK_DRAWS, seed=QUICK_SEED)
    _until(lambda: _value(page, ".asdm-headline td.asdm-p50-npsv") == mc.p50, "the saved P50")

    def copied():
        # The page may still show the P50 of the settings before the reset while the new quick Monte Carlo runs:
        # copy again until the copied summary holds a Monte Carlo figure (its value is checked below).
        page.evaluate("navigator.clipboard.writeText('')")
        page.locator(".asdm-copy-headline button").click()
        text = _until(lambda: page.evaluate("navigator.clipboard.readText()"), "the clipboard to hold the summary")
        col = pd.read_csv(io.StringIO(text), sep="\t").set_index("figure")[r.name]
        return col.to_dict() if pd.notna(pd.to_numeric(col["P50 NPSV (Monte Carlo)"], errors="coerce")) else None

    col = _until(copied, "the copied summary to hold the quick Monte Carlo's P50")
    assert float(col["NPSV vs no change, adjusted"]) == r.npsv_vs_no_change_gbp
    assert float(col["Council NPV vs no change"]) == r.council_npv_vs_no_change_gbp
    assert float(col["P50 NPSV (Monte Carlo)"]) == mc.p50
    assert float(col["Chance of beating no change"]) == mc.prob_beats_no_change
    assert col["Payback year (council cash)"] == r.payback_year
    # The figure the page shows and the figure copied are one and the same.
    assert float(col["NPSV vs no change, adjusted"]) == _value(page, ".asdm-headline td.asdm-npsv")


def test_the_settings_workbook_downloads_in_the_excel_import_format(page, appraisal, tmp_path):
    import shutil

    from asdm_models.excel_io import import_workbook

    _reset(page, appraisal)
    box = page.locator(".asdm-driver-pay_inflation input").first
    box.fill("4%")
    box.press("Enter")
    want = appraise(appraisal, OPTION, "obc", overrides={"pay_inflation": 0.04})
    _until(lambda: _value(page, ".asdm-headline td.asdm-npsv") == want.npsv_vs_no_change_gbp, "the NPSV at 4%")
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".asdm-download-settings button").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "example_leisure-trading_company-obc-settings.xlsx"
    copy = tmp_path / "data" / "example_leisure"
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", copy)
    shutil.copytree(PROJECT_ROOT / "data" / "reference", copy.parent / "reference")
    import_workbook(path, copy)
    got = appraise(load_appraisal(copy), OPTION, "obc")
    assert got.npsv_vs_no_change_gbp == want.npsv_vs_no_change_gbp


def test_a_chart_downloads_as_a_print_quality_png(page, appraisal, tmp_path):
    _reset(page, appraisal)
    with page.expect_download(timeout=90_000) as dl:
        page.locator(".asdm-download-waterfall button").click()
    path = tmp_path / "chart.png"
    dl.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 2000 and height >= 1000, (width, height)  # print quality: A4 width at about 300 dpi
    assert dl.value.suggested_filename == "example_leisure-trading_company-obc-waterfall.png"
