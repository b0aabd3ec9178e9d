"""End to end: the explorer served by Voila (as `make app` serves it), driven in Debian's Chromium.

Starts Voila on 127.0.0.1 (free port, token) with the same command as scripts/serve_app.py,
opens the page headless with Playwright, moves the pay-inflation slider with the keyboard and
checks that the NPSV on the page becomes what ``appraise()`` gives for the slider's new value.
The server is stopped by PID in the fixture's teardown. No browser is downloaded: Chromium
comes from apt (``/usr/bin/chromium``).
"""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import time

import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.units import format_gbp
from asdm_models.widgets import control_specs, parse_typed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _serve_app():
    spec = importlib.util.spec_from_file_location("serve_app", PROJECT_ROOT / "scripts" / "serve_app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture()
def voila(tmp_path):
    """Voila serving notebooks/explore_assumptions.ipynb; yields (url, log path); stopped by PID afterwards."""
    app = _serve_app()
    port, token = app.free_port(), secrets.token_urlsafe(16)
    log_path = tmp_path / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(app.voila_command(port, token), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        pid = proc.pid
        try:
            assert app.wait_until_up(port, proc, timeout=60), f"Voila (PID {pid}) did not start:\n{log_path.read_text()}"
            yield app.app_url(port, token), log_path
        finally:
            app.stop(proc)
            assert proc.poll() is not None, f"Voila (PID {pid}) is still running"


def test_moving_a_slider_in_the_browser_updates_the_npsv(voila, tmp_path):
    from playwright.sync_api import sync_playwright

    url, log_path = voila
    a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    spec = next(s for s in control_specs(a, "trading_company", "obc") if s.path == "pay_inflation")
    saved = appraise(a, "trading_company", "obc").npsv_vs_no_change_gbp

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url, timeout=60_000)
            page.wait_for_selector(".widget-slider", timeout=60_000)
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            npsv = page.locator(".asdm-headline td.asdm-npsv")
            npsv.wait_for(timeout=30_000)
            assert float(npsv.get_attribute("data-value")) == saved
            assert npsv.inner_text() == format_gbp(saved, millions=False)

            row = page.locator(".asdm-driver-pay_inflation")
            box = row.locator("input").first
            assert box.input_value() == "3%"
            handle = row.locator(".noUi-handle")
            handle.focus()
            for _ in range(4):
                handle.press("ArrowRight")
                time.sleep(0.15)

            # Wait until the page settles on the slider's new value and the NPSV the model gives for it.
            deadline, state = time.monotonic() + 30, None
            while time.monotonic() < deadline:
                shown_value = box.input_value()
                x = parse_typed(spec, shown_value, a.first_year, a.period_years)
                expected = appraise(a, "trading_company", "obc", overrides={"pay_inflation": x}).npsv_vs_no_change_gbp
                state = (shown_value, x, npsv.get_attribute("data-value"), npsv.inner_text(), expected)
                if x != spec.base and float(state[2]) == expected:
                    break
                time.sleep(0.3)
            shown_value, x, data_value, text, expected = state
            page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
            assert x > spec.base, f"the slider did not move: {state}"
            assert float(data_value) == expected, f"page shows {text} for pay inflation {shown_value}; appraise: {expected}"
            assert text == format_gbp(expected, millions=False)
            assert expected != saved
            assert "+" in row.locator(".asdm-change").inner_text() and "pts" in row.locator(".asdm-change").inner_text()
        finally:
            browser.close()
    assert (tmp_path / "explorer.png").stat().st_size > 10_000
