"""Portfolio runs: every appraisal's reports and the portfolio report, on the local pool and on a real
``dask.distributed.LocalCluster`` (no mocks); verification; a broken appraisal; the Monte Carlo split by draws.

One pair of runs of the three-appraisal test portfolio (the two examples and the small appraisal that
starts a year later), OBC only with few draws, is shared by the module's tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from asdm_models import PROJECT_ROOT
from asdm_models.cli import main
from asdm_models.portfolio import PortfolioDraws, combined_monte_carlo, load_portfolio, read_draws
from asdm_models.portfolio_run import (DRAWS_FILE, SUMMARY_FILE, portfolio_monte_carlo, run_portfolio,
                                       verify_portfolio_run)

DATA = PROJECT_ROOT / "tests" / "data"
THREE = DATA / "portfolio_three"
DRAWS = 300
SEED = 4242
APPRAISALS = ["example_leisure", "example_depot", "portfolio_small"]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    return run_portfolio(THREE, tmp_path_factory.mktemp("local"), stages=["obc"], draws=DRAWS, seed=SEED, jobs=2,
                         progress=False)


@pytest.fixture(scope="module")
def dask_run(dask_executor, tmp_path_factory):
    return run_portfolio(THREE, tmp_path_factory.mktemp("dask"), stages=["obc"], draws=DRAWS, seed=SEED,
                         executor=dask_executor, progress=False)


def _without_run_ids(path: Path, runs: dict) -> bytes:
    """A file with the run folders' names blanked (they carry the start time, so two runs differ there only)."""
    data = path.read_bytes()
    for rec in runs.values():
        if rec.get("run_id"):
            data = data.replace(rec["run_id"].encode(), b"RUN")
    return data


def test_local_pool_and_dask_give_the_same_bytes(local_run, dask_run):
    assert local_run.ok and dask_run.ok, (local_run.report, dask_run.report, local_run.manifest["appraisal_runs"])
    for name in (SUMMARY_FILE, "portfolio_by_year.csv", DRAWS_FILE):
        assert (local_run.run_dir / name).read_bytes() == (dask_run.run_dir / name).read_bytes(), name
    lr, dr = local_run.manifest["appraisal_runs"], dask_run.manifest["appraisal_runs"]
    assert list(lr) == list(dr) == APPRAISALS
    assert _without_run_ids(local_run.run_dir / "portfolio.ipynb", lr) == \
        _without_run_ids(dask_run.run_dir / "portfolio.ipynb", dr)
    # every appraisal's own run: the same summary.csv and the same notebooks, byte for byte
    for aid in APPRAISALS:
        a, b = local_run.appraisal_runs[aid].run_dir, dask_run.appraisal_runs[aid].run_dir
        assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes(), aid
        notebooks = sorted(p.name for p in a.glob("*.ipynb"))
        assert notebooks == sorted(p.name for p in b.glob("*.ipynb")) and "options_appraisal.ipynb" in notebooks
        for n in notebooks:
            assert (a / n).read_bytes() == (b / n).read_bytes(), f"{aid}/{n}"


def test_every_appraisal_runs_all_its_options_beside_the_portfolio(local_run):
    for aid in APPRAISALS:
        r = local_run.appraisal_runs[aid]
        a = load_portfolio(THREE).entries[APPRAISALS.index(aid)].appraisal
        assert r.run_dir.parent.name == aid and r.run_dir.parent.parent == local_run.run_dir.parent.parent
        assert sorted(x["option"] for x in r.reports if x.get("option")) == sorted(a.options)
        rec = local_run.manifest["appraisal_runs"][aid]
        assert (local_run.run_dir / rec["run_dir"]).resolve() == r.run_dir.resolve()
        assert rec["ok_reports"] == rec["reports"] == len(a.options) + 1  # each option at OBC, the options appraisal


def test_the_summary_is_the_combined_figures_and_its_total_adds_up(local_run):
    import pandas as pd

    df = pd.read_csv(local_run.run_dir / SUMMARY_FILE)
    rows = df[df["row"] == "appraisal"]
    total = df[df["row"] == "portfolio"].iloc[0]
    assert list(rows["appraisal"]) == APPRAISALS and (rows["status"] == "ok").all() and total["status"] == "ok"
    assert total["npsv_vs_no_change_at_portfolio_base_gbp"] == pytest.approx(
        rows["npsv_vs_no_change_at_portfolio_base_gbp"].sum(), abs=1e-6)
    mc = read_draws(local_run.run_dir / DRAWS_FILE)
    assert mc.draws == DRAWS and mc.seed == SEED and mc.appraisals == APPRAISALS
    assert total["p50_npsv_vs_no_change_gbp"] == pytest.approx(float(np.quantile(mc.combined_npsv_gbp, 0.5)), abs=1e-6)
    assert rows["share_of_npsv_variance"].sum() == pytest.approx(1.0)


def test_the_manifest_records_the_executor_and_verify_passes(local_run, dask_run, capsys):
    assert dask_run.manifest["executor"] == {"kind": "dask", "workers": 2, "scheduler": "LocalCluster"}
    assert local_run.manifest["executor"] == {"kind": "local", "workers": 2}
    assert main(["verify", str(dask_run.run_dir)]) == 0
    out = capsys.readouterr().out
    assert "verified" in out


def _copy_tree(run, tmp_path) -> Path:
    """The whole output folder of a run (the portfolio's and the appraisals' runs), copied: doctoring it leaves the
    shared runs alone. Returns the copied portfolio run folder."""
    out = run.run_dir.parent.parent
    dest = tmp_path / "out"
    shutil.copytree(out, dest, symlinks=True)
    return dest / run.run_dir.relative_to(out)


def test_verify_catches_a_doctored_portfolio_figure_and_a_doctored_appraisal_report(local_run, tmp_path):
    run_dir = _copy_tree(local_run, tmp_path)
    path = run_dir / SUMMARY_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    col = head.index("npsv_vs_no_change_gbp")
    cells = lines[2].split(",")  # example_depot's row
    assert cells[1] == "example_depot"
    cells[col] = "9999999"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rec = local_run.manifest["appraisal_runs"]["portfolio_small"]
    report = (run_dir / rec["run_dir"] / "options_appraisal.html")
    report.write_text(report.read_text(encoding="utf-8").replace("</body>", "<p>doctored</p></body>"),
                      encoding="utf-8")
    res = verify_portfolio_run(run_dir)
    assert not res.ok
    text = "\n".join(res.differences)
    assert f"output {SUMMARY_FILE}: changed since the run" in text
    assert f"{SUMMARY_FILE} row appraisal example_depot: npsv_vs_no_change_gbp" in text
    assert "portfolio_small: output options_appraisal.html: changed since the run" in text


def test_verify_catches_a_replaced_appraisal_run(local_run, tmp_path):
    run_dir = _copy_tree(local_run, tmp_path)
    rec = local_run.manifest["appraisal_runs"]["example_depot"]
    m = run_dir / rec["run_dir"] / "manifest.json"
    doc = json.loads(m.read_text(encoding="utf-8"))
    doc["finished"] = "2099-01-01T00:00:00+00:00"
    m.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    res = verify_portfolio_run(run_dir)
    assert any(d.startswith("appraisal example_depot:") and "manifest.json changed since the portfolio run" in d
               for d in res.differences), res.differences


def test_the_monte_carlo_split_across_the_cluster_is_the_one_pass_result(dask_executor):
    p = load_portfolio(THREE)
    draws = 20_000  # more than one block of 8,192: the cluster's two workers get a block each
    split = portfolio_monte_carlo(p, draws, SEED, dask_executor, parts=2)
    one = combined_monte_carlo(p, draws, SEED)
    for name in PortfolioDraws.ARRAYS:
        np.testing.assert_array_equal(getattr(split, name), getattr(one, name), err_msg=name)


def test_disagreeing_shared_assumptions_stop_the_run_with_one_line_naming_both_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(DATA / "portfolio_disagree"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "pay_inflation disagrees" in x)
    assert "example_leisure/appraisal.yaml" in line and "example_depot/appraisal.yaml" in line
    assert not out.exists() or not any(out.iterdir())  # nothing ran, nothing was created


def test_a_broken_appraisal_fails_itself_and_the_others_run(tmp_path, capsys):
    good, bad = tmp_path / "small", tmp_path / "broken"
    shutil.copytree(DATA / "portfolio_small", good)
    shutil.copytree(DATA / "portfolio_small", bad)
    text = (bad / "appraisal.yaml").read_text(encoding="utf-8")
    (bad / "appraisal.yaml").write_text(text.replace("appraisal: portfolio_small", "appraisal: broken_small")
                                        .replace("period_years: 6", "period_years: six"), encoding="utf-8")
    folder = tmp_path / "pf"
    folder.mkdir()
    (folder / "portfolio.yaml").write_text(
        "portfolio: pf_broken\ntitle: One good, one broken\nappraisals:\n"
        "  - {path: ../small, option: in_house_redesign}\n  - {path: ../broken, option: in_house_redesign}\n",
        encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", str(folder), "--out", str(out), "--draws", "100", "--stages", "obc", "--jobs", "2",
                 "--quiet"])
    printed = capsys.readouterr()
    assert code == 1, printed
    (run_dir,) = list((out / "pf_broken").glob("2*"))
    m = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed"
    assert m["appraisal_runs"]["portfolio_small"]["status"] == "ok"
    broken = m["appraisal_runs"]["broken"]
    assert broken["status"] == "failed" and "period_years" in broken["error"]
    assert "broken" in printed.out and "FAILED" in printed.out
    import pandas as pd

    df = pd.read_csv(run_dir / SUMMARY_FILE)
    assert df.loc[df["appraisal"] == "broken", "status"].item() == "failed"
    total = df[df["row"] == "portfolio"].iloc[0]
    assert total["status"] == "incomplete" and "broken" in total["error"]
    assert main(["verify", str(run_dir)]) == 0  # what the run did write verifies; the failure is in its record
    assert "did not run" in capsys.readouterr().out


def test_validate_a_portfolio(capsys):
    assert main(["validate", str(PROJECT_ROOT / "data" / "example_portfolio")]) == 0
    out = capsys.readouterr().out
    assert "valid portfolio (2 appraisals" in out and "pay_inflation" in out
