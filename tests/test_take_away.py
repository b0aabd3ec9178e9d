"""Take it away: tables as tab-separated text, the settings as an import workbook, charts as PNG, the buttons.

The promise of the settings workbook is tested as a finance officer would use it: the workbook is
imported (``import_workbook``) over a temporary copy of the example folder, the copy is loaded and
appraised with no overrides, and its figures must equal ``appraise()`` of the bundled data with the
explorer's overrides, exactly. ``data/`` is never written (checked).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import math
import re
import secrets
import shutil
import struct
import subprocess
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asdm_models import PROJECT_ROOT, appraise, load_appraisal, monte_carlo
from asdm_models.browser_buttons import CopyButton, DownloadButton
from asdm_models.charts import cash_flow_figure, live_figure, waterfall_figure
from asdm_models.errors import AsdmError
from asdm_models.excel_io import README_SHEET, import_workbook
from asdm_models.outputs import original_text
from asdm_models.take_away import (EXPLORER_NOTE, ILLUSTRATIVE_MARK, chart_png_bytes, print_chart_figure,
                                   settings_workbook_bytes, source_line, table_tsv)
from asdm_models.widgets import control_specs

PROMISED = ("npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp")


# ----------------------------------------------------------------------------------------------
# table_tsv
# ----------------------------------------------------------------------------------------------

def read_tsv(text: str, **kw) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), sep="\t", **kw)


finite = st.floats(allow_nan=False, allow_infinity=False)  # negatives, huge, tiny and subnormal included


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(finite, st.integers(-2**62, 2**62)), min_size=1, max_size=30))
def test_numbers_read_back_as_the_same_numbers(rows):
    frame = pd.DataFrame({"npsv_gbp": [r[0] for r in rows], "count": [r[1] for r in rows]})
    text = table_tsv(frame)
    assert "£" not in text and "," not in text  # plain numbers: no currency, no thousands separators
    back = read_tsv(text)
    assert list(back.columns) == ["npsv_gbp", "count"]
    # The independent check is the input itself: every double (bit for bit, -0.0 too) and every integer.
    assert back["npsv_gbp"].to_numpy(dtype=float).tobytes() == np.asarray([r[0] for r in rows], dtype=float).tobytes()
    assert back["count"].tolist() == [r[1] for r in rows]


_BREAK = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('\t\n\r"\'=+-@ '),
                max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(texts, finite), min_size=1, max_size=10))
def test_any_text_keeps_the_cells_in_place_and_reads_back(rows):
    for t, _x in rows:
        assume(not _BREAK.sub(" ", t).startswith("'"))  # text already starting with an apostrophe is ambiguous
    frame = pd.DataFrame({"name": [r[0] for r in rows], "value_gbp": [r[1] for r in rows]})
    back = read_tsv(table_tsv(frame), dtype={"name": str}, keep_default_na=False)
    assert back.shape == frame.shape
    assert np.array_equal(back["value_gbp"].to_numpy(dtype=float), frame["value_gbp"].to_numpy())
    # What a reader gets: the text with each run of tabs and line breaks as one space, the apostrophe the
    # suite puts before formula text taken off again by the suite's own reader (outputs.original_text).
    assert [original_text(v) for v in back["name"]] == [_BREAK.sub(" ", t) for t, _x in rows]


def test_formula_text_is_neutralised_as_the_csvs_are_and_numbers_are_not():
    frame = pd.DataFrame({"option": ["=HYPERLINK(\"http://x\")", "+44 20", "-cmd", "@SUM(A1)", "Trust\twith tab",
                                     "two\nlines"],
                          "npsv_gbp": [-1097367.25, 0.1, -0.5, 2.0, 1e-300, 123456789012.0]})
    text = table_tsv(frame)
    lines = text.split("\r\n")
    assert lines[-1] == "" and len(lines) == len(frame) + 2  # header, one line per row, a final line end
    cells = [line.split("\t") for line in lines[1:-1]]
    assert all(len(c) == 2 for c in cells)
    assert [c[0] for c in cells] == ['"\'=HYPERLINK(""http://x"")"', "'+44 20", "'-cmd", "'@SUM(A1)",
                                     "Trust with tab", "two lines"]
    assert [c[1] for c in cells] == ["-1097367.25", "0.1", "-0.5", "2.0", "1e-300", "123456789012.0"]
    back = read_tsv(text)
    assert back["option"].tolist()[0] == "'=HYPERLINK(\"http://x\")"
    assert back["npsv_gbp"].tolist() == frame["npsv_gbp"].tolist()


def test_index_missing_values_and_booleans():
    frame = pd.DataFrame({"a": [1.5, float("nan")], "ok": [True, False]}, index=pd.Index(["x", "y"], name="driver"))
    text = table_tsv(frame)
    assert text.split("\r\n")[:3] == ["driver\ta\tok", "x\t1.5\tTRUE", "y\t\tFALSE"]
    assert table_tsv(frame, index=False).split("\r\n")[0] == "a\tok"
    back = read_tsv(text, index_col=0)
    assert back.loc["x", "a"] == 1.5 and math.isnan(back.loc["y", "a"]) and back["ok"].tolist() == [True, False]
    with pytest.raises(AsdmError, match="DataFrame"):
        table_tsv([1, 2])


# ----------------------------------------------------------------------------------------------
# settings_workbook_bytes: the promise
# ----------------------------------------------------------------------------------------------

def folder_hashes(d: Path) -> dict:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundled():
    """The examples as bundled, and their files' hashes (data/ must be the same after every test here)."""
    names = ("example_leisure", "example_depot")
    before = {n: folder_hashes(PROJECT_ROOT / "data" / n) for n in names}
    yield {n: load_appraisal(PROJECT_ROOT / "data" / n) for n in names}
    assert {n: folder_hashes(PROJECT_ROOT / "data" / n) for n in names} == before, "data/ was written"


def imported_copy(book: bytes, example: str, tmp: Path):
    """``book`` imported over a fresh copy of the example (with the reference data), loaded."""
    shutil.copytree(PROJECT_ROOT / "data" / example, tmp / example)
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp / "reference")
    path = tmp / "settings.xlsx"
    path.write_bytes(book)
    import_workbook(path, tmp / example)
    return load_appraisal(tmp / example)


# (example, option, stage, overrides, what it covers). Values are in model units, as the explorer holds them.
CASES = {
    "shared_obc": ("example_leisure", "trading_company", "obc",
                   {"pay_inflation": 0.035, "cpi_inflation": 0.03, "current_service.staff_fte": 150.0,
                    "current_service.lines.cafe_franchise.amount_gbp": 90000.0}),
    "option_obc": ("example_leisure", "trading_company", "obc",
                   {"staff_efficiency_rate": 0.06, "one_off_costs.it_systems.amount_gbp": 300000.0,
                    "risks.pool_plant_failure.probability": 0.5}),
    "option_fbc": ("example_leisure", "trading_company", "fbc",  # an FBC change there already, and new ones
                   {"staff_efficiency_rate": 0.06, "management_fee_gbp": 3500000.0,
                    "one_off_costs.it_systems.amount_gbp": 300000.0, "risks.pool_plant_failure.probability": 0.5}),
    "unstated_fbc": ("example_leisure", "social_enterprise", "fbc",  # go-live follows the current service
                     {"go_live_year": 2.0}),
    "lines_and_shared_fbc": ("example_depot", "in_house_redesign", "fbc",
                             {"lines.old_fleet_sale.amount_gbp": 150000.0, "go_live_year": 3.0,
                              "capital.new_depot.amount_gbp": 5500000.0, "energy_inflation": 0.05,
                              "current_service.fees_income_gbp": 1100000.0}),
}


@pytest.fixture(scope="module")
def imported(bundled, tmp_path_factory):
    """Each case's workbook, built once, and the appraisal its import gives."""
    out = {}
    for name, (example, option, stage, ov) in CASES.items():
        book = settings_workbook_bytes(bundled[example], option, stage, ov)
        out[name] = (book, imported_copy(book, example, tmp_path_factory.mktemp(name)))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_the_imported_workbook_gives_the_explorers_figures_exactly(case, bundled, imported):
    example, option, stage, ov = CASES[case]
    a = bundled[example]
    explorer_paths = {s.path for s in control_specs(a, option, stage)}
    assert set(ov) <= explorer_paths, set(ov) - explorer_paths  # the explorer's own controls
    want = appraise(a, option, stage, overrides=ov)
    saved = appraise(a, option, stage)
    got = appraise(imported[case][1], option, stage)  # no overrides: everything comes from the imported files
    for k in PROMISED:
        assert getattr(want, k) != getattr(saved, k), f"{case}: the overrides do not move {k}; a weak test"
        assert getattr(got, k) == getattr(want, k), (case, k, getattr(got, k), getattr(want, k))


@pytest.mark.parametrize("case, other", [("option_fbc", "social_enterprise"), ("unstated_fbc", "trading_company")])
def test_an_option_change_at_fbc_leaves_the_obc_and_the_other_options_as_they_were(case, other, bundled, imported):
    # unstated_fbc: go_live_year was not stated, so it is stated at OBC at the value it followed and changed at FBC.
    a, b = bundled["example_leisure"], imported[case][1]
    option = CASES[case][1]
    assert b.options[option].fbc_changes  # the change went to fbc.changes
    for k in PROMISED:
        assert getattr(appraise(b, option, "obc"), k) == getattr(appraise(a, option, "obc"), k)
        assert getattr(appraise(b, other, "fbc"), k) == getattr(appraise(a, other, "fbc"), k)


@pytest.mark.parametrize("stage, ov", [
    ("obc", {"lines.old_fleet_sale.amount_gbp": 150000.0}),
    ("fbc", {"lines.old_fleet_sale.amount_gbp": 150000.0, "lines.old_fleet_sale.from_year": 2.0}),
])
def test_a_kept_current_line_is_restated_by_the_option(bundled, tmp_path, stage, ov):
    a = bundled["example_depot"]
    assert "old_fleet_sale" not in a.options["outsourcing"].own_lines  # it keeps the current service's line
    b = imported_copy(settings_workbook_bytes(a, "outsourcing", stage, ov), "example_depot", tmp_path)
    assert "old_fleet_sale" in b.options["outsourcing"].own_lines  # restated once, whatever the fields
    for k in PROMISED:
        assert getattr(appraise(b, "outsourcing", stage), k) == getattr(appraise(a, "outsourcing", stage, overrides=ov), k)
        assert getattr(appraise(b, "outsourcing", "obc"), k) == getattr(
            appraise(a, "outsourcing", "obc", overrides=ov if stage == "obc" else None), k)
        assert getattr(appraise(b, "shared_service", stage), k) == getattr(appraise(a, "shared_service", stage), k)


def test_the_monte_carlo_of_the_imported_appraisal_is_the_explorers(bundled, imported):
    # pay_inflation is rank-correlated with energy_inflation: fixed by a range with no spread, it keeps its
    # place in the copula, so every draw is the explorer's (monte_carlo with the overrides, same seed).
    ex, option, stage, ov = CASES["shared_obc"]
    want = monte_carlo(bundled[ex], option, stage, draws=400, seed=11, overrides=ov)
    got = monte_carlo(imported["shared_obc"][1], option, stage, draws=400, seed=11)
    assert np.array_equal(got.npsv_vs_no_change_gbp, want.npsv_vs_no_change_gbp)


def test_entries_keep_their_source_and_say_what_the_explorer_replaced(bundled, imported):
    a, b = bundled["example_leisure"], imported["shared_obc"][1]
    assert b.economy["pay_inflation"].value == 0.035
    assert b.economy["pay_inflation"].source == a.economy["pay_inflation"].source
    assert b.economy["cpi_inflation"].value == 0.03
    assert b.uncertain["pay_inflation"].low == b.uncertain["pay_inflation"].high == 0.035
    written = yaml.safe_load((b.data_dir / "appraisal.yaml").read_text(encoding="utf-8"))
    assert written["economy"]["pay_inflation"]["note"] == f"{EXPLORER_NOTE} (the data said 3%)"
    wb = openpyxl.load_workbook(io.BytesIO(imported["shared_obc"][0]), read_only=True)
    readme = [r[0] for r in wb[README_SHEET].iter_rows(values_only=True) if r and r[0]]
    assert "• pay_inflation = 3.5% (was 3%): appraisal.yaml economy.pay_inflation" in readme
    assert any(line.startswith("Settings from the assumptions explorer: Council-owned") for line in readme)


def test_the_same_settings_give_the_same_bytes(bundled, imported):
    ex, option, stage, ov = CASES["unstated_fbc"]
    assert settings_workbook_bytes(bundled[ex], option, stage, dict(ov)) == imported["unstated_fbc"][0]


@pytest.mark.parametrize("ov, says", [
    ({"pay_inflaton": 0.03}, "pay_inflaton"),
    ({"risks.no_such_risk.probability": 0.2}, "no_such_risk"),
    ({"staff_fte": -3.0}, "staff_fte: -3 is below"),
    ({"pay_inflation": 0.1 + 0.2}, "pay_inflation: 0.30000000000000004 has more significant digits"),
])
def test_what_cannot_be_placed_is_refused_naming_the_path(bundled, ov, says):
    with pytest.raises(AsdmError, match=re.escape(says)) as e:
        settings_workbook_bytes(bundled["example_leisure"], "trading_company", "obc", ov)
    assert "\n" not in str(e.value)


def test_settings_the_loader_refuses_are_refused_saying_why(bundled):
    # The company's transition plan has it go live in April 2027: a later go-live contradicts the plan.
    with pytest.raises(AsdmError, match="do not make a valid appraisal: .*go_live_year") as e:
        settings_workbook_bytes(bundled["example_leisure"], "trading_company", "obc", {"go_live_year": 2.0})
    assert "\n" not in str(e.value)


def test_an_unknown_option_or_stage_is_refused(bundled):
    a = bundled["example_leisure"]
    with pytest.raises(AsdmError, match="unknown option 'nope'; options of example_leisure: no_change"):
        settings_workbook_bytes(a, "nope", "obc", {})
    with pytest.raises(AsdmError, match="unknown stage 'sbc'; use one of obc, fbc"):
        settings_workbook_bytes(a, "trading_company", "sbc", {})


# ----------------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live_charts(bundled):
    r = appraise(bundled["example_leisure"], "trading_company", "obc")
    return {"cash_flows": live_figure(cash_flow_figure(r)), "waterfall": live_figure(waterfall_figure(r))}


def _annotations(d: dict) -> dict:
    return {a.get("name"): a for a in d["layout"].get("annotations", [])}


def test_the_print_figure_carries_the_mark_and_the_source_and_leaves_the_live_figure_alone(live_charts, bundled):
    fw = live_charts["cash_flows"]
    before = fw.to_plotly_json()
    src = source_line(bundled["example_leisure"], "trading_company", "obc", {"pay_inflation": 0.035})
    assert src.startswith("Source: Leisure and culture: options for future delivery, asdm ")
    assert src.endswith("Outline business case, changed in the explorer: Pay inflation 3.5%")
    d = print_chart_figure(fw, illustrative=True, source=src)
    assert fw.to_plotly_json() == before  # a copy was printed
    notes = _annotations(d)
    assert ILLUSTRATIVE_MARK in notes["asdm-illustrative"]["text"]
    assert notes["asdm-source"]["text"].replace("<br>", " ") == src
    assert d["layout"]["width"] == 1200 and d["layout"]["height"] == 700
    # The footer lies below the plot: the source line's bottom is inside the bottom margin made for it.
    assert -d["layout"]["margin"]["b"] < notes["asdm-source"]["yshift"] < 0
    # The explorer's money axes get the reports' ticks back (e.g. "−£2.0m"), not plotly's "£-2M".
    assert any(t.endswith("m") and "£" in t for t in d["layout"]["yaxis"]["ticktext"])
    plain = print_chart_figure(go.Figure(fw), illustrative=False, source="a <b>bold</b> claim")
    assert "asdm-illustrative" not in _annotations(plain)
    assert _annotations(plain)["asdm-source"]["text"] == "Source: a &lt;b&gt;bold&lt;/b&gt; claim"  # text, not markup


def test_long_category_labels_get_room_below_the_plot(live_charts):
    d = print_chart_figure(live_charts["waterfall"], illustrative=True, source="Source: x")
    assert d["layout"]["xaxis"]["tickangle"] == -30
    labels = [v for tr in d["data"] for v in tr.get("x", []) if isinstance(v, str)]
    longest_px = max(map(len, labels)) * 0.55 * 13  # 0.55 em a character, at the print font of 13 px
    assert d["layout"]["margin"]["b"] >= longest_px * math.sin(math.radians(30))


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.browser
def test_a_chart_renders_as_a_png_at_print_size_with_the_marks_sent_to_kaleido(live_charts, monkeypatch):
    import asdm_models.take_away as ta

    sent = []
    ex = ta._exporter()
    real = ex.render
    monkeypatch.setattr(ex, "render", lambda d, *a, **k: sent.append(d) or real(d, *a, **k))  # records, renders
    png = chart_png_bytes(live_charts["cash_flows"], illustrative=True, source="Source: test line")
    assert png_size(png) == (1200 * 2, 700 * 2)
    assert {"asdm-illustrative", "asdm-source"} <= set(_annotations(sent[0]))
    small = chart_png_bytes(live_charts["waterfall"], illustrative=False, source="s", width=600, height=400, scale=1.5)
    assert png_size(small) == (900, 600)
    assert "asdm-illustrative" not in _annotations(sent[1])


# ----------------------------------------------------------------------------------------------
# The buttons
# ----------------------------------------------------------------------------------------------

class Replies:
    """Stands in for the comm: what the widget sends to the page (the widget's own code runs)."""

    def __init__(self, widget):
        self.sent = []
        widget.send = lambda content, buffers=None: self.sent.append((content, buffers))


def test_download_button_payload_and_replies():
    b = DownloadButton(lambda: b"\x00\x01abc", filename_of=lambda: "book.xlsx", mimetype="application/x-test",
                       label="Settings", button_class="t-settings")
    assert b.payload() == ("book.xlsx", b"\x00\x01abc")
    replies = Replies(b)
    b._on_click(b, {"event": "download", "request": "r1"}, [])
    assert replies.sent == [({"kind": "file", "filename": "book.xlsx", "mimetype": "application/x-test",
                              "request": "r1"}, [b"\x00\x01abc"])]

    def broken():
        raise AsdmError("the explorer's settings: pay_inflation:\nnot placed")

    bad = DownloadButton(broken, filename="x.bin")
    replies = Replies(bad)
    bad._on_click(bad, {"event": "download", "request": "r2"}, [])
    (content, buffers), = replies.sent
    assert content == {"kind": "error", "request": "r2",
                       "message": "Not downloaded: the explorer's settings: pay_inflation: not placed"}
    assert buffers is None and bad.last_error == content["message"]
    with pytest.raises(TypeError, match="make\\(\\) returned int, not bytes"):
        DownloadButton(lambda: 5).payload()  # bytes(5) would have been five zero bytes


def test_copy_button_holds_its_text():
    c = CopyButton(text="a\tb\r\n1\t2\r\n", label="Copy table", button_class="t-copy")
    assert (c.text, c.label, c.button_class) == ("a\tb\r\n1\t2\r\n", "Copy table", "t-copy")
    assert "navigator.clipboard.writeText" in c._esm and "execCommand(\"copy\")" in c._esm


# One real browser: both buttons in a tiny notebook served by Voila (as `make app` serves the explorer).
NOTEBOOK_CELLS = [
    "import pandas as pd\n"
    "from IPython.display import display\n"
    "from asdm_models.browser_buttons import CopyButton, DownloadButton\n"
    "from asdm_models.errors import AsdmError\n"
    "from asdm_models.take_away import table_tsv",
    "frame = pd.DataFrame({'option': ['=1+1', 'Trust'], 'npsv_gbp': [-1097367.25, 0.1 + 0.2]})\n"
    "def broken():\n"
    "    raise AsdmError('pay_inflation: cannot be placed\\nsecond line')\n"
    "display(CopyButton(text=table_tsv(frame), label='Copy table', button_class='t-copy'),\n"
    "        DownloadButton(lambda: bytes(range(256)) * 3, filename='bytes.bin', label='Download', "
    "button_class='t-download'),\n"
    "        DownloadButton(broken, filename='never.bin', label='Broken', button_class='t-broken'))",
]


def _serve_app():
    spec = importlib.util.spec_from_file_location("serve_app", PROJECT_ROOT / "scripts" / "serve_app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.browser
def test_in_voila_a_click_copies_the_tsv_and_a_click_downloads_the_bytes(tmp_path):
    import nbformat
    from playwright.sync_api import sync_playwright

    from offline_browser import CHROMIUM, CHROMIUM_ARGS

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    path = tmp_path / "buttons.ipynb"
    nbformat.write(nb, path)
    app = _serve_app()
    port, token = app.free_port(), secrets.token_urlsafe(16)
    log_path = tmp_path / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(app.voila_command(port, token, path), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            assert app.wait_until_up(port, proc, timeout=60), f"Voila (PID {proc.pid}) did not start"
            url = app.app_url(port, token)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(accept_downloads=True)
                    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=f"http://{app.HOST}:{port}")
                    page = context.new_page()
                    page.goto(url, timeout=60_000)
                    copy = page.locator("button.asdm-copy.t-copy")
                    copy.wait_for(timeout=60_000)
                    copy.click()
                    note = page.locator(".asdm-button-note").first
                    deadline = time.monotonic() + 10
                    while note.inner_text() != "Copied" and time.monotonic() < deadline:
                        time.sleep(0.1)
                    assert note.inner_text() == "Copied"
                    pasted = page.evaluate("navigator.clipboard.readText()")
                    # What Excel would get, read as pandas reads it: the same numbers, the formula neutralised.
                    back = read_tsv(pasted)
                    assert back["npsv_gbp"].tolist() == [-1097367.25, 0.1 + 0.2]
                    assert back["option"].tolist() == ["'=1+1", "Trust"]

                    with page.expect_download(timeout=20_000) as dl:
                        page.locator("button.asdm-download.t-download").click()
                    assert dl.value.suggested_filename == "bytes.bin"
                    assert Path(dl.value.path()).read_bytes() == bytes(range(256)) * 3

                    page.locator("button.asdm-download.t-broken").click()
                    error = page.locator(".asdm-button-note.asdm-error")
                    error.wait_for(timeout=20_000)
                    assert error.inner_text() == "Not downloaded: pay_inflation: cannot be placed second line"
                finally:
                    browser.close()
        finally:
            app.stop(proc)
    assert proc.poll() is not None, f"Voila (PID {proc.pid}) is still running"
