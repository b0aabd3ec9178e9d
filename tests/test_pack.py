"""The cabinet pack (PDF per stage) and the slides, read back as a reader would: the PDF's text, its pages
rendered to PNG, the PPTX opened with python-pptx. Real Chromium (for the charts) and Typst, no mocks.

One small run (three options, OBC only, 200 draws) is shared by the module. The pages are rendered to
PNG in a folder printed by ``test_pages_rendered_for_a_person`` (``ASDM_ARTEFACTS`` chooses it) for a
person to look at.
"""

from __future__ import annotations

import dataclasses
import os
import re
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pypdf  # a declared test dependency: a missing one must fail, not skip
import pytest

from asdm_models import PROJECT_ROOT
from asdm_models.batch import run_batch
from asdm_models.errors import RunError
from asdm_models.pack import (load_run, money, money_m, probability, render_pdf, signed_m, stage_content, write_pack)

OPTIONS = ["no_change", "trading_company", "in_house_redesign"]
A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("data")
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dest / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / "example_leisure"


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    r = run_batch(data, tmp_path_factory.mktemp("out"), options=OPTIONS, stages=["obc"], draws=200, jobs=2,
                  progress=False)
    assert r.ok, r.reports
    return r


@pytest.fixture(scope="module")
def packed(run):
    t0 = time.perf_counter()
    paths = write_pack(run.run_dir, pptx=True)
    return paths, time.perf_counter() - t0


@pytest.fixture(scope="module")
def pages(packed, run):
    reader = pypdf.PdfReader(run.run_dir / "pack-obc.pdf")
    return [" ".join(p.extract_text().split()) for p in reader.pages]


@pytest.fixture(scope="module")
def base(run) -> pd.DataFrame:
    s = pd.read_csv(run.run_dir / "summary.csv")
    return s[(s["stage"] == "obc") & (s["scenario"] == "base")].set_index("option")


def test_files_written(packed, run):
    paths, seconds = packed
    assert [p.name for p in paths] == ["pack-obc.pdf", "slides-obc.pptx"]
    for p in paths:
        assert p.is_file() and p.stat().st_size > 10_000
        assert oct(p.stat().st_mode & 0o777) != oct(0o600)  # ordinary permissions, not mkstemp's
    assert (run.run_dir / "pack-obc.pdf").read_bytes()[:5] == b"%PDF-"
    leftovers = [p.name for p in run.run_dir.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []
    print(f"pack and slides for one stage, two options: {seconds:.1f} s")


def test_pdf_is_a4_with_a_sane_page_count(run):
    reader = pypdf.PdfReader(run.run_dir / "pack-obc.pdf")
    # summary, options compared, one page per short-listed option (2), register (1-3), provenance (1-2)
    assert 6 <= len(reader.pages) <= 10
    for p in reader.pages:
        assert (round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) == (595.3, 841.9)
    assert reader.metadata.title.startswith("Leisure and culture")


def test_every_page_has_header_footer_and_page_number(pages, run):
    n = len(pages)
    for i, text in enumerate(pages, 1):
        assert "Example District Council (illustrative)" in text
        assert "Outline business case" in text
        assert "ILLUSTRATIVE" in text  # the appraisal says illustrative: true
        assert f"Page {i} of {n}" in text
        assert run.run_dir.name in text  # the run id in the footer


def test_page_one_states_the_recommendation_and_the_summary_figures(pages, base):
    p1 = pages[0]
    tc = base.loc["trading_company"]
    assert "RECOMMENDATION" in p1
    assert f"{tc['name']}: {money_m(tc['npsv_vs_no_change_gbp'])} better than no change" in p1
    assert "Decision sought" in p1
    for o in ("trading_company", "in_house_redesign"):
        row = base.loc[o]
        for shown in (money_m(row["npsv_vs_no_change_gbp"]), signed_m(row["council_npv_vs_no_change_gbp"]),
                      probability(row["prob_beats_no_change"]), row["payback_year"], row["gate"],
                      f"{money_m(row['p10_npsv_vs_no_change_gbp'])} to {money_m(row['p90_npsv_vs_no_change_gbp'])}"):
            assert shown in p1, (o, shown)
    assert "−£" in "".join(pages) and "-£" not in p1  # true minus signs, never a hyphen


def test_options_compared_in_full_pounds_and_the_columns_add_up(pages, base):
    p2 = pages[1]
    nc = base.loc["no_change"]
    for o in ("trading_company", "in_house_redesign"):
        row = base.loc[o]
        ob = row["optimism_bias_pv_gbp"] - nc["optimism_bias_pv_gbp"]
        risk = row["risk_pv_gbp"] - nc["risk_pv_gbp"]
        # one basis: unadjusted + optimism bias + risk (each against no change) = NPSV against no change
        assert row["npsv_vs_no_change_unadjusted_gbp"] + ob + risk == pytest.approx(row["npsv_vs_no_change_gbp"], abs=1e-6)
        for x in (row["npsv_vs_no_change_unadjusted_gbp"], ob, risk, row["npsv_vs_no_change_gbp"],
                  row["council_npv_vs_no_change_gbp"], row["p50_npsv_vs_no_change_gbp"]):
            assert money(x) in p2, (o, money(x))


def test_a_page_per_short_listed_option(pages, base):
    for o in ("trading_company", "in_house_redesign"):
        row = base.loc[o]
        heading = f"{row['name']}: {money_m(abs(row['npsv_vs_no_change_gbp']))} better than no change"
        on = [i for i, t in enumerate(pages) if heading in t and "The switching value that matters most" in t]
        assert len(on) == 1, o  # heading, charts, risk and switching value all on one page
        text = pages[on[0]]
        for shown in ("The risk that matters most", "meets the savings target", f"Gate (OBC): {row['gate']}",
                      money(row["npsv_vs_no_change_gbp"]), money(row["p10_npsv_vs_no_change_gbp"])):
            assert shown in text, (o, shown)
    assert not any("No change: £0m" in t for t in pages)  # the baseline gets no page of its own


def test_register_and_provenance_trace_the_run(pages, run):
    text = " ".join(pages)
    assert "Assumption register" in text and "Stated by" in text and "HR establishment report" in text
    prov = " ".join(t for t in pages if "Provenance" in t or "sha256" in t)
    m = run.manifest
    assert m["run_id"] in prov and str(m["seed"]) in prov and "200 draws" in prov
    for path, digest in m["inputs"].items():
        assert digest in text.replace(" ", ""), path
    assert "asdm verify" in prov


def test_pages_rendered_for_a_person(run, packed, tmp_path_factory):
    import pypdfium2 as pdfium
    out = Path(os.environ.get("ASDM_ARTEFACTS") or tmp_path_factory.mktemp("pack-pages"))
    out.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(str(run.run_dir / "pack-obc.pdf"))
    for i in range(len(pdf)):
        img = pdf[i].render(scale=1.5).to_pil()
        img.save(out / f"pack-obc-page{i + 1}.png")
        lo, hi = img.convert("L").getextrema()
        assert lo < 100 and hi > 200  # ink on paper, not a blank page
    pdf.close()
    print(f"pack pages rendered for review in {out}")


def test_same_run_gives_the_same_bytes(run, packed):
    before = {p.name: p.read_bytes() for p in packed[0]}
    again = write_pack(run.run_dir, pptx=True)
    assert {p.name: p.read_bytes() for p in again} == before


def test_slides_tables_match_the_summary(run, packed, base):
    from pptx import Presentation

    prs = Presentation(run.run_dir / "slides-obc.pptx")
    slides = list(prs.slides)
    assert len(slides) == 5 + 2  # title, recommendation, options, one per short-listed option, risks, next gate

    def texts(slide):
        return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]

    def tables(slide):
        return [[[c.text for c in r.cells] for r in sh.table.rows] for sh in slide.shapes if sh.has_table]

    tc = base.loc["trading_company"]
    assert any(t.startswith("Recommendation: " + tc["name"]) for t in texts(slides[1]))
    for s in slides:
        assert any(run.run_dir.name in t for t in texts(s))  # provenance footer
        assert "ILLUSTRATIVE" in texts(s)
    [options] = tables(slides[2])
    by_name = {r[0]: r for r in options[1:]}
    for o in ("trading_company", "in_house_redesign"):
        row = base.loc[o]
        cells = by_name[row["name"]]
        assert cells[1] == money_m(row["npsv_vs_no_change_gbp"])
        assert cells[2] == signed_m(row["council_npv_vs_no_change_gbp"])
        assert cells[3] == row["payback_year"]
        assert cells[4] == probability(row["prob_beats_no_change"])
        assert cells[6] == row["gate"]
    for slide, o in zip(slides[3:5], ("trading_company", "in_house_redesign")):
        row = base.loc[o]
        assert sum(1 for sh in slide.shapes if sh.shape_type == 13) == 2  # waterfall and budget impact, as pictures
        [key] = tables(slide)
        values = dict((r[0], r[1]) for r in key[1:])
        assert values["NPSV vs no change (risk- and optimism-bias-adjusted)"] == money(row["npsv_vs_no_change_gbp"])
        assert values["P50"] == money(row["p50_npsv_vs_no_change_gbp"])
        assert values["Council budget vs no change (present value)"] == money(row["council_npv_vs_no_change_gbp"])
    assert prs.core_properties.revision == 1
    assert prs.core_properties.created.date().isoformat() == run.manifest["finished"][:10]


def test_illustrative_comes_from_the_data(run, tmp_path):
    folder = load_run(run.run_dir)
    folder.appraisal = dataclasses.replace(folder.appraisal, illustrative=False)
    content = stage_content(folder, "obc")
    assert content.data["illustrative"] is False
    for name in content.charts:  # the template needs its chart files; blank ones are enough for the header
        (tmp_path / name).write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4"/>')
    reader = pypdf.PdfReader(__import__("io").BytesIO(render_pdf(content, tmp_path, folder.date)))
    first = reader.pages[0].extract_text()
    assert "ILLUSTRATIVE" not in first and "Illustrative data" not in first
    assert "Example District Council" in first


def test_a_changed_input_is_refused(run, data):
    f = data / "options" / "trading_company.yaml"
    original = f.read_bytes()
    try:
        f.write_bytes(original + b"\n# edited after the run\n")
        with pytest.raises(RunError, match="changed since the run"):
            write_pack(run.run_dir)
    finally:
        f.write_bytes(original)


def test_not_a_run_folder(tmp_path):
    with pytest.raises(RunError, match="not a run folder"):
        write_pack(tmp_path)


def test_money_never_uses_a_hyphen():
    assert money(-1097367.2) == "\u2212£1,097,367"
    # £m as in the reports (units.gbp_m): two decimals below £100m, so figures side by side line up (issue 10)
    assert money_m(-25_400_000) == "\u2212£25.40m"
    assert (money_m(1_000_000), money_m(800_000), money_m(94), money_m(123_456_789)) == \
        ("£1.00m", "£0.80m", "£0.00m", "£123.5m")
    assert re.fullmatch(r"[−+]?£[\d,.]+m?", signed_m(1_380_000))


def test_verify_catches_a_doctored_pack_slide_deck_or_workbook(run, tmp_path):
    # asdm pack (write_extras) records the pack and the slides in the run's manifest with their sha256, as the run
    # itself records results.xlsx: verify then names any of them changed after the run.
    from asdm_models.batch import write_extras
    from asdm_models.verify import verify_run

    copy = tmp_path / run.run_dir.name
    shutil.copytree(run.run_dir, copy, symlinks=True)
    for f in ("pack-obc.pdf", "slides-obc.pptx"):  # the module's packed fixture wrote these outside the manifest
        (copy / f).unlink(missing_ok=True)
    entries = write_extras(copy, pack=True, pptx=True)
    assert [e["status"] for e in entries] == ["ok"]
    outputs = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert {"pack-obc.pdf", "slides-obc.pptx", "results.xlsx"} <= set(outputs)
    assert verify_run(copy).ok
    for name in ("pack-obc.pdf", "slides-obc.pptx", "results.xlsx"):
        original = (copy / name).read_bytes()
        (copy / name).write_bytes(original + b"\0")
        res = verify_run(copy)
        assert any(d.startswith(f"output {name}: changed since the run") for d in res.differences), res.differences
        (copy / name).write_bytes(original)
    assert verify_run(copy).ok
