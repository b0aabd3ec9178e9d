"""The reports in the five-case order, the journey through the stages, and a launched option run by the batch.

HM Treasury's business-case guidance orders a case strategic, economic, commercial, financial, management; each
report shows where the appraisal stands in the five stages (decisions.yaml); a folder with actuals/ gets a benefits
realisation report in the batch, recorded in the manifest and recomputed by ``asdm verify``.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from asdm_models import load_appraisal
from asdm_models.batch import REALISATION_REPORT, run_batch
from asdm_models.five_cases import commercial_case, item_amounts_nominal, management_case
from asdm_models.case_tests import case_tests
from asdm_models.realisation import realisation, realisation_rows
from asdm_models.reference import PROJECT_ROOT
from asdm_models.verify import verify_run
from asdm_models import appraise

LAUNCHED = PROJECT_ROOT / "tests" / "data" / "launched"
LEISURE = PROJECT_ROOT / "data" / "example_leisure"
CASES = ["1 Strategic case", "2 Economic case", "3 Commercial case", "4 Financial case", "5 Management case",
         "6 Recommendation"]


@pytest.fixture(scope="module")
def launched_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("data") / "launched"
    shutil.copytree(LAUNCHED, data)
    out = tmp_path_factory.mktemp("runs")
    res = run_batch(data, out, draws=200, jobs=2, progress=False)
    return data, res


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_launched_option_gets_a_realisation_report(launched_run):
    data, res = launched_run
    assert res.ok, [(r["name"], r["error"]) for r in res.reports if r["status"] != "ok"]
    manifest = json.loads((res.run_dir / "manifest.json").read_text())
    entry = next(r for r in manifest["reports"] if r["name"] == REALISATION_REPORT)
    assert entry["kind"] == "realisation" and entry["status"] == "ok"
    # the figures the report recorded are the package's, from the same actuals
    a = load_appraisal(data)
    assert entry["metrics"] == json.loads(json.dumps(realisation_rows(realisation(a))))
    assert entry["metrics"][0]["actual_years"] == 2
    html = _text((res.run_dir / f"{REALISATION_REPORT}.html").read_text())
    assert "re-forecast" in html.lower() and "2027-28" in html
    assert "Benefits realisation" in (res.run_dir / "index.html").read_text()
    assert any(f.endswith("benefits_realisation.ipynb") for f in manifest["notebooks"])


def test_option_report_follows_the_five_case_order(launched_run):
    _, res = launched_run
    text = _text((res.run_dir / "trading_company-fbc.html").read_text())
    at = [text.find(h) for h in CASES]
    assert all(i >= 0 for i in at), dict(zip(CASES, at))
    assert at == sorted(at)
    # sensitivity sits in the economic case, viability in the financial case (where the guidance places them)
    assert at[1] < text.find("Sensitivity and risk") < at[2]
    assert at[3] < text.find("Viability of the new entity") < at[4]
    for shown in ("Value for money", "Risk allocation between the council and the provider", "Teckal test by year",
                  "Payment mechanism", "TUPE and pensions", "VAT partial exemption", "Benefits realisation plan",
                  "Where the appraisal stands"):
        assert shown in text, shown


def test_verify_recomputes_the_realisation_and_catches_changed_actuals(launched_run):
    data, res = launched_run
    ok = verify_run(res.run_dir)
    assert ok.ok, ok.differences
    f = data / "actuals" / "2027-28.csv"
    original = f.read_text()
    try:
        lines = original.splitlines()
        i = next(k for k, ln in enumerate(lines) if ln.startswith("stranded_overheads,"))
        lines[i] = "stranded_overheads,-300000"
        f.write_text("\n".join(lines) + "\n")
        bad = verify_run(res.run_dir)
        assert not bad.ok
        assert any(d.startswith(f"report {REALISATION_REPORT}:") and "total_variance_nominal_gbp" in d
                   for d in bad.differences), bad.differences
        # the actuals are a journey record: their change is also named in the notes
        assert any("actuals/2027-28.csv" in n for n in bad.notes)
    finally:
        f.write_text(original)


def test_bad_actuals_fail_the_realisation_report_only(tmp_path):
    data = tmp_path / "launched"
    shutil.copytree(LAUNCHED, data)
    f = data / "actuals" / "2027-28.csv"
    f.write_text(f.read_text() + "no_such_line,-1000\n")
    res = run_batch(data, tmp_path / "runs", draws=0, jobs=2, progress=False, stages=["fbc"])
    assert not res.ok
    failed = [r for r in res.reports if r["status"] != "ok"]
    assert [r["name"] for r in failed] == [REALISATION_REPORT]
    assert "actuals/2027-28.csv" in failed[0]["error"] and "no_such_line" in failed[0]["error"]
    assert all(r["status"] == "ok" for r in res.reports if r["name"] != REALISATION_REPORT)


def test_management_case_plan_costs_are_the_business_case_items():
    a = load_appraisal(LEISURE)
    r = appraise(a, "trading_company", "fbc")
    m = management_case(a, r)
    amounts = item_amounts_nominal(r)
    # every one-off cost of the case is in the plan once (attached or "not attached"), at the case's figure:
    # legal 140,000 + IT 245,000 (tendered, FBC) + project team 210,000 + shadow running 95,000 = 690,000 in 2026-27
    assert m.milestones["costs_nominal_gbp"].sum() == pytest.approx(sum(amounts.values())) == pytest.approx(690_000)
    assert amounts["it_systems"] == 245_000
    # the checklist is read at the last decision taken (10 November 2026), not the day the report runs
    assert str(m.as_of) == "2026-11-10"
    assert not m.readiness["overdue"].any()
    assert m.journey.set_index("gate").loc["fbc", "status"] == "pending"
    assert "Stage 3 of 5" in m.journey_text


def test_commercial_case_of_each_option():
    a = load_appraisal(LEISURE)
    for option in a.options:
        r = appraise(a, option, "fbc")
        c = commercial_case(a, r, case_tests(a, r))
        fields = dict(zip(c.summary["field"], c.summary["value"]))
        assert fields["Procurement route"] and fields["Payment mechanism"] and fields["TUPE and pensions"]
        if r.inputs.option.has_provider:
            assert "transfer under TUPE" in fields["TUPE and pensions"]
    r = appraise(a, "trading_company", "fbc")
    c = commercial_case(a, r, case_tests(a, r))
    assert "Teckal" in c.teckal and "£68,895" in c.subsidy


def test_a_batch_refuses_a_decision_log_it_cannot_read(tmp_path):
    # Every report shows the decisions so far: a broken log stops the run before anything runs (exit 2), as a broken
    # scenario file does, rather than reports that silently show no decisions. verify and a single report still load.
    from asdm_models.errors import DataErrors

    data = tmp_path / "launched"
    shutil.copytree(LAUNCHED, data)
    (data / "decisions.yaml").write_text("decisions:\n  - {gate: strategic_direction, date: 2026-03-10, body: cabinet,"
                                         " decision: proceed, option: no_such_option}\n")
    with pytest.raises(DataErrors) as e:
        run_batch(data, tmp_path / "runs", draws=0, jobs=1, progress=False)
    assert "decisions.yaml" in str(e.value) and "no_such_option" in str(e.value)
    assert not (tmp_path / "runs" / "launched").exists() or not any((tmp_path / "runs" / "launched").iterdir())
    a = load_appraisal(data, partial=True)
    assert a.decisions is None and a.decisions_errors
    # a report of that folder says the log could not be read; it never shows "no decisions recorded"
    from asdm_models.five_cases import journey

    text, table = journey(a)
    assert "decisions.yaml) has 1 problem" in text and "no_such_option" in text and "asdm validate" in text
    assert set(table["status"]) == {"unknown"}
