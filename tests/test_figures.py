"""Static charts: every chart of a run's reports as PNG and SVG, with real Chromium and kaleido (no mocks).

One small run (two options, OBC only, 200 draws) is shared by the module; its charts are exported
once, with one browser.
"""

from __future__ import annotations

import json
import shutil
import struct
import time
import xml.etree.ElementTree as ET

import pytest

from asdm_models import PROJECT_ROOT
from asdm_models.batch import run_batch
from asdm_models.figures import (PRINT_SCALE, PRINT_WIDTH_PX, StaticExporter, StaticExportError, export_run_figures,
                                 print_layout, report_figures, wrap_title)

OPTIONS = ["no_change", "trading_company"]
# The charts each report shows (report.show_figure names): no change's report has none of its own; the trading
# company's also shows its transition plan's timeline (management case).
EXPECTED = {
    "trading_company-obc": {"waterfall", "cash-flow", "tornado", "scenarios", "distribution", "fan", "entity-cash",
                            "timeline"},
    "options_appraisal": {"options-obc"},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    dest = tmp_path_factory.mktemp("data")
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dest / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    r = run_batch(dest / "example_leisure", tmp_path_factory.mktemp("out"), options=OPTIONS, stages=["obc"], draws=200,
                  jobs=2, progress=False)
    assert r.ok, r.reports
    return r


@pytest.fixture(scope="module")
def exported(run):
    t0 = time.perf_counter()
    paths = export_run_figures(run.run_dir)
    return paths, time.perf_counter() - t0


def _png_header(data: bytes) -> tuple[int, int, int | None]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    i = data.find(b"pHYs")
    ppm = struct.unpack(">I", data[i + 4:i + 8])[0] if i > 0 else None
    return width, height, ppm


def test_every_chart_of_every_report(run, exported):
    paths, seconds = exported
    names = {p.name for p in paths}
    expected = {f"{report}-{chart}.{ext}" for report, charts in EXPECTED.items() for chart in charts
                for ext in ("png", "svg")}
    assert names == expected
    assert all(p.parent == run.run_dir / "figures" for p in paths)
    assert not [p for p in (run.run_dir / "figures").iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    print(f"{len(paths)} images in {seconds:.1f} s")


def test_png_is_print_quality(run, exported):
    for p in (x for x in exported[0] if x.suffix == ".png"):
        report, chart = p.stem.rsplit("-obc-", 1) if "-obc-" in p.stem else ("options_appraisal", "options-obc")
        width, height, ppm = _png_header(p.read_bytes())
        assert width == round(PRINT_WIDTH_PX * PRINT_SCALE) == 2480  # 300 dpi across A4's 210 mm
        assert ppm == round(300 / 0.0254)
        layout = dict(report_figures(run.run_dir / f"{p.stem[:-(len(chart) + 1)]}.ipynb"))[chart].layout
        assert abs(height - (layout.height or 420) * PRINT_SCALE) <= 1


def test_svg_is_valid_and_states_the_finding(run, exported):
    figs = dict(report_figures(run.run_dir / "trading_company-obc.ipynb"))
    for chart in EXPECTED["trading_company-obc"]:
        svg = (run.run_dir / "figures" / f"trading_company-obc-{chart}.svg").read_bytes()
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and root.get("width") == str(PRINT_WIDTH_PX)
        text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text") or t.tag.endswith("tspan"))
        title = figs[chart].layout.title.text
        first_words = " ".join(title.replace("&#x27;", "'").split()[:4])
        assert first_words.split()[0] in text and b"asdm" in svg  # the title is in the image; ids are fixed


def test_one_browser_for_the_batch_and_stable_bytes(run):
    import kaleido
    from kaleido._sync_server import GlobalKaleidoServer

    fig = report_figures(run.run_dir / "trading_company-obc.ipynb")[0][1]
    # Precondition: no browser left by an earlier test on this worker (the explorer's chart export keeps one
    # per process), so this exporter owns the one it starts.
    if GlobalKaleidoServer().is_running():
        kaleido.stop_sync_server(silence_warnings=True)
    with StaticExporter() as ex:
        assert ex._owner and GlobalKaleidoServer().is_running()
        with StaticExporter() as inner:  # nested: the same browser, left running
            assert not inner._owner
        assert GlobalKaleidoServer().is_running()
        a = ex.render_many([(print_layout(fig), "svg"), (print_layout(fig), "svg"), (print_layout(fig), "png")])
        b = ex.render_many([(print_layout(fig), "png")])
        assert ex.rendered == 4
    assert not GlobalKaleidoServer().is_running()
    assert a[0] == a[1] and a[2] == b[0]  # the same chart gives the same bytes (plotly's random ids replaced)


def test_titles_wrap_instead_of_being_cut():
    title = "Council-owned leisure company (Teckal) is £1.83m better than no change (NPSV, OBC, risk- and optimism-bias-adjusted)"
    wrapped = wrap_title(title)
    assert wrapped.count("<br>") == 1 and wrapped.replace("<br>", " ") == title
    d = print_layout({"data": [], "layout": {"title": {"text": title}, "height": 480}})
    assert d["layout"]["width"] == PRINT_WIDTH_PX and d["layout"]["margin"]["t"] >= 88
    assert print_layout({"data": [], "layout": {"title": {"text": title}}}, title=False)["layout"]["title"]["text"] == ""


def test_no_browser_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(StaticExportError, match="apt-get install chromium"):
        with StaticExporter():
            pass


def test_run_without_reports_writes_nothing(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"reports": []}))
    assert export_run_figures(tmp_path) == []
