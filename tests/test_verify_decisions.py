"""``verify_run`` and the journey: journey records are notes, filed records verify, decisions that relied on a run.

One real run (one option, the OBC, 200 draws) is made for the module; each test works on its own
copies of the data and of the run folder, so the tests do not depend on each other's changes.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from asdm_models import PROJECT_ROOT
from asdm_models import assumptions
from asdm_models.batch import run_batch
from asdm_models.provenance import sha256_file
from asdm_models.verify import filed_appraisal, verify_run

APPRAISAL = "example_leisure"


def copy_data(dest: Path) -> Path:
    # without the example's draft log (it names placeholder runs): each test writes its own
    shutil.copytree(PROJECT_ROOT / "data" / APPRAISAL, dest / APPRAISAL, ignore=shutil.ignore_patterns("decisions*"))
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / APPRAISAL


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = copy_data(tmp_path_factory.mktemp("data"))
    res = run_batch(data, out=tmp_path_factory.mktemp("out"), options=["trading_company"], stages=["obc"], draws=200,
                    jobs=1, progress=False)
    assert res.ok, res.reports
    return res


@pytest.fixture
def copies(run, tmp_path):
    """(data folder, run folder): fresh copies, the run folder's recorded data folder pointed at the data copy."""
    data = copy_data(tmp_path / "data")
    run_dir = tmp_path / "reports" / APPRAISAL / run.run_dir.name
    shutil.copytree(run.run_dir, run_dir, symlinks=True)
    m = json.loads((run_dir / "manifest.json").read_text())
    m["data_dir"] = str(data)
    (run_dir / "manifest.json").write_text(json.dumps(m, indent=1))
    return data, run_dir


def data_differences(res) -> list[str]:
    """The differences, less those about the suite's own code and notebooks: other people edit the repository
    while these tests run, and those checks have their own tests (test_batch.py, test_faults.py)."""
    return [d for d in res.differences if not d.startswith(("suite code:", "suite notebook "))]


def write_log(data: Path, run_id: str, runs: str = "../../reports/example_leisure") -> Path:
    """A log whose options-appraisal and OBC decisions relied on ``run_id`` (dates in 2026: in the past)."""
    log = {"runs": runs, "decisions": [
        {"gate": "strategic_direction", "date": "2026-03-10", "body": "cabinet", "decision": "proceed"},
        {"gate": "options_appraisal", "date": "2026-07-14", "body": "cabinet", "decision": "proceed",
         "shortlist": ["trading_company", "social_enterprise"], "option": "trading_company", "run": run_id},
        {"gate": "obc", "date": "2026-11-10", "body": "cabinet", "decision": "proceed_with_conditions",
         "conditions": ["Bond quote in the FBC"], "option": "trading_company", "run": run_id},
    ]}
    p = data / "decisions.yaml"
    p.write_text(yaml.safe_dump(log, sort_keys=False))
    return p


OBC_NOTE = "the OBC decision of cabinet on 10 November 2026 (proceed with conditions) relied on this run"
OA_NOTE = "the options appraisal decision of cabinet on 14 July 2026 (proceed) relied on this run"


def test_a_fresh_run_with_no_log_has_no_decision_notes(copies):
    data, run_dir = copies
    res = verify_run(run_dir)
    assert data_differences(res) == []
    assert res.checked > 0
    assert not any("relied on this run" in n for n in res.notes)


def test_decisions_that_relied_on_the_run_are_named_and_its_figures_hold(copies):
    data, run_dir = copies
    write_log(data, run_dir.name)
    res = verify_run(run_dir)
    assert data_differences(res) == []  # a log written after the run is not one of its inputs
    assert any(n.startswith(f"{OA_NOTE}: its {res.checked} figures still hold") for n in res.notes), res.notes
    assert any(n.startswith(f"{OBC_NOTE}: its {res.checked} figures still hold") for n in res.notes)
    assert not any("problem" in n for n in res.notes), res.notes  # the log is valid: the run is where it says


def test_decisions_that_relied_on_the_run_see_its_figures_differ(copies):
    data, run_dir = copies
    write_log(data, run_dir.name)
    p = data / "options" / "trading_company.yaml"
    text = p.read_text()
    assert "management_fee_gbp: {value: " in text
    p.write_text(text.replace("management_fee_gbp: {value: ", "management_fee_gbp: {value: 1", 1))
    res = verify_run(run_dir)
    diffs = data_differences(res)
    figures = [d for d in diffs if d.startswith(("report ", "summary.csv"))]
    assert figures, diffs  # the fee is in the council lens: its figures move
    assert any(d.startswith("input example_leisure/options/trading_company.yaml: changed") for d in diffs)
    assert any(n == f"{OBC_NOTE}: {len(figures)} of its figures differ (listed above)" for n in res.notes), res.notes


def test_journey_records_in_the_manifest_are_notes_not_differences(copies):
    """A run that recorded its journey records (the log, filed papers, actuals) as inputs: their changes are notes,
    any other input's change is still a difference."""
    data, run_dir = copies
    log = write_log(data, run_dir.name)
    (data / "actuals").mkdir()
    (data / "actuals" / "2027-28.csv").write_text("line,year,amount_gbp\n")
    m = json.loads((run_dir / "manifest.json").read_text())
    m["inputs"]["example_leisure/decisions.yaml"] = sha256_file(log)
    m["inputs"]["example_leisure/actuals/2027-28.csv"] = sha256_file(data / "actuals" / "2027-28.csv")
    (run_dir / "manifest.json").write_text(json.dumps(m, indent=1))
    assert data_differences(verify_run(run_dir)) == []

    log.write_text(log.read_text() + "# a later minute\n")
    (data / "actuals" / "2027-28.csv").unlink()
    scen = data / "scenarios" / "optimistic.yaml"
    scen.write_text(scen.read_text() + "# edited\n")  # not a journey record: a difference
    res = verify_run(run_dir)
    diffs = data_differences(res)
    assert [d.split(":")[0] for d in diffs] == ["input example_leisure/scenarios/optimistic.yaml"]
    assert any(n.startswith("journey record example_leisure/decisions.yaml: changed since the run") and
               "does not enter the run's figures" in n for n in res.notes), res.notes
    assert any(n.startswith("journey record example_leisure/actuals/2027-28.csv: missing") for n in res.notes)


def test_a_log_naming_a_missing_run_says_why_the_data_no_longer_loads(copies):
    """Whatever load_appraisal does with a log's problems, verify names the first one, not just a count."""
    data, run_dir = copies
    write_log(data, run_dir.name, runs="no-runs-kept-here")
    res = verify_run(run_dir)
    loads = [d for d in res.differences if d.startswith("the appraisal data no longer loads")]
    if loads:
        assert "2 problems (asdm validate lists them), the first: example_leisure/decisions.yaml:" in loads[0]
        assert f"{OBC_NOTE}: its figures could not be recomputed" in " ".join(res.notes)
    else:
        assert any("decisions.yaml has 2 problems" in n for n in res.notes)


def test_a_journey_record_new_since_the_run_is_a_note(copies, monkeypatch):
    """When the appraisal reads its decision log (an input now, not at the run), the new file is a note."""
    data, run_dir = copies
    log = write_log(data, run_dir.name)
    real = assumptions.load_appraisal

    def reads_the_log(path, **kw):
        a = real(path, **kw)
        return dataclasses.replace(a, input_files=tuple(sorted(a.input_files + (log.resolve(),))))

    monkeypatch.setattr(assumptions, "load_appraisal", reads_the_log)
    res = verify_run(run_dir)
    assert data_differences(res) == []
    assert any(n.startswith("journey record example_leisure/decisions.yaml: new since the run") for n in res.notes)


def file_record(run_dir: Path, data: Path, *names: str) -> Path:
    """The papers filed with the minutes: the run's manifest and the named outputs, under decisions/<run-id>/."""
    filed = data / "decisions" / run_dir.name
    filed.mkdir(parents=True)
    for name in ("manifest.json",) + names:
        shutil.copy(run_dir / name, filed / name)
    return filed


def test_a_filed_record_verifies_against_its_own_appraisal_folder(copies, tmp_path):
    data, run_dir = copies
    second = copy_data(tmp_path / "second")  # the filed record's own appraisal folder, not the run's data_dir
    filed = file_record(run_dir, second, "summary.csv")
    (filed / "minute-2026-118.pdf").write_bytes(b"%PDF-1.4 the minute")  # filed beside it: not an error
    p = data / "options" / "trading_company.yaml"  # the run's recorded data changes; the filed folder's does not
    p.write_text(p.read_text().replace("management_fee_gbp: {value: ", "management_fee_gbp: {value: 1", 1))
    assert filed_appraisal(filed) == second.resolve()
    assert filed_appraisal(run_dir) is None
    res = verify_run(filed)
    assert data_differences(res) == [], res.differences
    n_outputs = len(json.loads((run_dir / "manifest.json").read_text())["outputs"])
    assert f"{n_outputs - 1} outputs of the run are not filed here; their sha256 are in the manifest" in res.notes
    assert res.checked > 0


def test_a_filed_summary_must_still_match(copies):
    data, run_dir = copies
    filed = file_record(run_dir, data, "summary.csv")
    text = (filed / "summary.csv").read_text()
    head, row = text.splitlines()[:2]
    cells = row.split(",")
    col = head.split(",").index("npsv_vs_no_change_gbp")
    cells[col] = str(float(cells[col]) + 1000)
    (filed / "summary.csv").write_text("\n".join([head, ",".join(cells)] + text.splitlines()[2:]) + "\n")
    res = verify_run(filed)
    diffs = data_differences(res)
    assert any(d.startswith("output summary.csv: changed since the run") for d in diffs), diffs
    assert any(d.startswith("summary.csv row trading_company obc") and "npsv_vs_no_change_gbp" in d for d in diffs)


def test_a_filed_record_names_the_decisions_that_relied_on_it(copies):
    """The run folder is gone (reports are not kept forever): the log finds the filed copy, and verifying the
    filed copy names the decisions that relied on it."""
    data, run_dir = copies
    filed = file_record(run_dir, data, "summary.csv")
    write_log(data, run_dir.name, runs="no-runs-kept-here")
    res = verify_run(filed)
    assert data_differences(res) == []
    assert any(n.startswith(f"{OBC_NOTE}: its {res.checked} figures still hold") for n in res.notes), res.notes
    assert not any("problem" in n for n in res.notes), res.notes


def test_a_log_with_problems_is_mentioned_once(copies):
    data, run_dir = copies
    write_log(data, run_dir.name, runs="no-runs-kept-here")  # and nothing filed: the runs are not found
    res = verify_run(run_dir)
    assert data_differences(res) == []
    problems = [n for n in res.notes if "problem" in n]
    assert len(problems) == 1 and "decisions.yaml has 2 problems" in problems[0]
    assert f"{OBC_NOTE}: its {res.checked} figures still hold" in res.notes


def test_the_examples_filed_records_verify_and_name_their_decisions():
    """Each run the example's log cites is filed under decisions/; verifying it checks the filed papers and names
    the decision that relied on it. (Whether its figures still hold depends on the suite and data having stayed as
    they were when it was filed: re-file with scripts/file_example_decisions.py after changing either.)"""
    from asdm_models.decisions import load_decisions

    src = PROJECT_ROOT / "data" / APPRAISAL
    log, errors, _ = load_decisions(src, APPRAISAL, None)
    assert errors == []
    cited = [d for d in log.decisions if d.run]
    assert cited
    for d in cited:
        filed = src / "decisions" / d.run
        res = verify_run(filed)
        assert [x for x in res.differences if x.startswith("output ")] == []  # the filed papers are as filed
        assert any(n.startswith(f"{d.describe()} relied on this run: ") for n in res.notes), res.notes
        assert any("outputs of the run are not filed here" in n for n in res.notes), res.notes
