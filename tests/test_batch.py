"""Batches of reports: the run folder contract, reproducibility, verification, failure isolation, offline HTML.

These tests execute the real notebooks with papermill (a few seconds per report), so the runs are
shared by the module and kept small: three options, both stages, 2,000 draws.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from offline_browser import open_offline

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.batch import OPTION_NOTEBOOK, check_parameters, run_batch, verify_run
from asdm_models.business_case import SUMMARY_COLUMNS
from asdm_models.cli import main
from asdm_models.errors import RunError
from asdm_models.montecarlo import monte_carlo

OPTIONS = ["no_change", "trading_company", "in_house_redesign"]
DRAWS = 2000
SEED = 424242


def copy_data(dest: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dest / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / "example_leisure"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return copy_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def run2(data, tmp_path_factory):
    return run_batch(data, tmp_path_factory.mktemp("out2"), options=OPTIONS, jobs=2, draws=DRAWS, seed=SEED,
                     progress=False)


@pytest.fixture(scope="module")
def run1(data, tmp_path_factory):
    return run_batch(data, tmp_path_factory.mktemp("out1"), options=list(reversed(OPTIONS)), jobs=1, draws=DRAWS,
                     seed=SEED, progress=False)


def test_run_folder_contract(run2):
    assert run2.ok, run2.reports
    d = run2.run_dir
    assert d.parent.name == "example_leisure"
    for o in OPTIONS:
        for s in ("obc", "fbc"):
            assert (d / f"{o}-{s}.ipynb").is_file() and (d / f"{o}-{s}.html").is_file()
    for f in ("options_appraisal.ipynb", "options_appraisal.html", "summary.csv", "summary.html", "index.html",
              "manifest.json"):
        assert (d / f).is_file(), f
    leftovers = [p.name for p in d.iterdir() if p.name.startswith(".") or p.suffix == ".tmp" or "partial" in p.name]
    assert leftovers == []
    summary = pd.read_csv(d / "summary.csv")
    assert list(summary.columns[:17]) == SUMMARY_COLUMNS[:17]  # the contract's columns, in order
    assert set(summary["status"]) == {"ok"}
    scenarios = {"base"} | set(load_appraisal(PROJECT_ROOT / "data" / "example_leisure").scenarios)
    assert len(summary) == len(OPTIONS) * 2 * len(scenarios)  # one row per option, stage and scenario
    index = (d / "index.html").read_text()
    for o in OPTIONS:
        assert f'href="{o}-obc.html"' in index


def test_manifest_records_what_went_in(run2, data):
    m = json.loads((run2.run_dir / "manifest.json").read_text())
    assert m["seed"] == SEED and m["draws"] == DRAWS and m["scenario"] == "base"
    assert m["stages"] == ["obc", "fbc"] and m["options"] == OPTIONS
    for rel, digest in m["inputs"].items():
        assert hashlib.sha256((data.parent / rel).read_bytes()).hexdigest() == digest
    assert "example_leisure/appraisal.yaml" in m["inputs"]
    assert "example_leisure/options/trading_company.yaml" in m["inputs"]
    assert "reference/discount_schedules.yaml" in m["inputs"]
    assert set(m["notebooks"]) == {"notebooks/option_business_case.ipynb", "notebooks/options_appraisal.ipynb"}
    for k in ("numpy", "pandas", "plotly", "papermill", "python", "asdm"):
        assert m["packages"][k]
    assert "commit" in m["suite"] and "dirty" in m["suite"]
    assert m["started"] <= m["finished"]
    names = {r["name"]: r for r in m["reports"]}
    assert names["trading_company-obc"]["status"] == "ok"
    assert names["trading_company-obc"]["metrics"][0]["option"] == "trading_company"


def test_summary_matches_appraise_and_monte_carlo(run2, data):
    a = load_appraisal(data)
    summary = pd.read_csv(run2.run_dir / "summary.csv", keep_default_na=False, na_values=[""])
    for row in summary.itertuples():
        scen = None if row.scenario == "base" else row.scenario
        r = appraise(a, row.option, row.stage, scenario=scen)
        for col in ("npsv_gbp", "npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp", "npsv_unadjusted_gbp"):
            assert getattr(row, col) == getattr(r, col), (row.option, row.stage, row.scenario, col)
        assert (row.payback_year if isinstance(row.payback_year, str) else None) == r.payback_year
        assert (row.breakeven_year if isinstance(row.breakeven_year, str) else None) == r.breakeven_year
        if row.option == "no_change":
            assert pd.isna(row.p50_npsv_vs_no_change_gbp) and pd.isna(row.bcr) and pd.isna(row.peak_funding_gbp)
            continue
        mc = monte_carlo(a, row.option, row.stage, draws=DRAWS, seed=SEED, scenario=scen)
        assert row.p10_npsv_vs_no_change_gbp == mc.p10
        assert row.p50_npsv_vs_no_change_gbp == mc.p50
        assert row.prob_beats_no_change == mc.prob_beats_no_change
        if row.option == "in_house_redesign":
            assert pd.isna(row.peak_funding_gbp) and pd.isna(row.breakeven_year)  # empty, never 0
        else:
            assert row.peak_funding_gbp == r.peak_funding_gbp


def test_jobs_1_and_jobs_2_give_identical_results(run1, run2):
    assert run1.ok and run2.ok
    s1 = pd.read_csv(run1.run_dir / "summary.csv").sort_values(["stage", "option", "scenario"]).reset_index(drop=True)
    s2 = pd.read_csv(run2.run_dir / "summary.csv").sort_values(["stage", "option", "scenario"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(s1, s2, check_exact=True)
    # The executed notebooks themselves are identical: no timestamps, no random ids.
    for name in ("trading_company-obc.ipynb", "options_appraisal.ipynb"):
        a = nbformat.read(run1.run_dir / name, as_version=4)
        b = nbformat.read(run2.run_dir / name, as_version=4)
        assert [c.get("outputs") for c in a.cells] == [c.get("outputs") for c in b.cells]
    assert (run1.run_dir / "trading_company-obc.ipynb").read_bytes() == (run2.run_dir / "trading_company-obc.ipynb").read_bytes()


def test_verify_passes_on_a_fresh_run(run2, capsys):
    assert main(["verify", str(run2.run_dir)]) == 0
    assert "verified" in capsys.readouterr().out


def test_verify_fails_naming_the_file_after_an_input_changes(run2, data, tmp_path, capsys):
    moved = copy_data(tmp_path)
    p = moved / "options" / "trading_company.yaml"
    text = p.read_text()
    assert "management_fee_gbp: {value: " in text
    p.write_text(text.replace("management_fee_gbp: {value: ", "management_fee_gbp: {value: 1", 1))
    res = verify_run(run2.run_dir, data_dir=moved)
    assert not res.ok
    assert any(d.startswith("input example_leisure/options/trading_company.yaml: changed") for d in res.differences)
    # The fee is internal to the economic case, so it shows in the council lens.
    assert any("trading_company-obc" in d and "council_npv_vs_no_change_gbp" in d for d in res.differences)
    assert not any("no_change-obc" in d for d in res.differences)  # untouched options still match
    assert main(["verify", str(run2.run_dir), "--data-dir", str(moved)]) == 1
    out = capsys.readouterr()
    assert "example_leisure/options/trading_company.yaml" in out.out
    assert "Traceback" not in out.out + out.err


def test_broken_option_fails_alone_and_names_are_escaped(tmp_path, capsys):
    data = copy_data(tmp_path / "data")
    tc = data / "options" / "trading_company.yaml"
    text = tc.read_text()
    assert "  staff_efficiency_rate: {value: 5%," in text
    tc.write_text(text.replace("  staff_efficiency_rate: {value: 5%,", "  staff_efficiency_rate: {value: 12,", 1))
    ih = data / "options" / "in_house_redesign.yaml"
    text = ih.read_text()
    start = text.index("\nname: ") + len("\nname: ")
    end = text.index("\n", start)
    ih.write_text(text[:start] + '"Redesign <script>alert(1)</script> & co"' + text[end:])
    out = tmp_path / "out"
    code = main(["run", str(data), "--out", str(out), "--options", "no_change,trading_company,in_house_redesign",
                 "--stages", "obc", "--jobs", "2", "--draws", "500", "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED trading_company-obc" in captured.err and "did you mean 12%?" in captured.err
    run_dir = next((out / "example_leisure").iterdir())
    summary = pd.read_csv(run_dir / "summary.csv")
    failed = summary[summary.option == "trading_company"]
    assert list(failed["status"]) == ["failed"]
    assert "staff_efficiency_rate" in failed["error"].iloc[0]
    assert set(summary[summary.option != "trading_company"]["status"]) == {"ok"}
    for name in ("no_change-obc", "in_house_redesign-obc", "options_appraisal"):
        assert (run_dir / f"{name}.html").is_file()
    assert not (run_dir / "trading_company-obc.html").exists()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    for page in ("summary.html", "index.html", "in_house_redesign-obc.html", "options_appraisal.html"):
        body = (run_dir / page).read_text()
        assert "<script>alert(1)</script>" not in body, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "\\<script\\>" in body, page


def test_unknown_notebook_parameter_is_an_error():
    with pytest.raises(RunError, match="does not declare parameter.*bogus"):
        check_parameters(OPTION_NOTEBOOK, {"option": "x", "bogus": 1})


def test_run_refuses_bad_arguments_before_running(data, tmp_path, capsys):
    assert main(["run", str(data), "--out", str(tmp_path), "--options", "tradng_company", "--quiet"]) == 2
    assert "did you mean 'trading_company'" in capsys.readouterr().err
    assert main(["run", str(data), "--out", str(tmp_path), "--scenario", "pessimistc", "--quiet"]) == 2
    assert not any(tmp_path.rglob("*.ipynb"))




@pytest.mark.browser
def test_html_report_renders_its_charts_offline(run2, tmp_path):
    """Open a report from file:// in headless Chromium with the network cut off: plotly.js is the run folder's
    own copy (plotly.min.js, loaded by a relative path), so the charts render. (The self-contained mode and a
    report opened without its folder are checked in test_report_html.py.)"""
    seen = open_offline(run2.run_dir / "trading_company-obc.html", tmp_path / "report.png")
    assert seen["plots"] >= 5 and seen["drawn"] >= seen["plots"]  # every chart drew its SVG
    assert seen["remote"] == []
    assert "Economic case" in seen["text"] and "£" in seen["text"]
    assert (tmp_path / "report.png").stat().st_size > 10_000
