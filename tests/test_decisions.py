"""Gate decisions as data (asdm_models/decisions.py): every rule of decisions.yaml, one by one, and the journey.

The rules are those of DESIGN.md section 1 (five stages, a gate after each: proceed, proceed with
conditions or stop) and section 3 (``decisions.yaml``: each gate's date, body, decision, conditions,
chosen option and the run it relied on). Each test writes a log that breaks one rule, and checks the
one error it gives: its file, line, field, and what it says is valid.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asdm_models import PROJECT_ROOT
from asdm_models.decisions import (GATE_KEYS, GATES, Decision, DecisionLog, is_journey_record, journey_markdown,
                                   journey_table, load_decisions)

APPRAISAL = "example_leisure"
OPTIONS = {"no_change", "in_house_redesign", "trading_company", "social_enterprise", "outsourcing"}
TODAY = dt.date(2026, 12, 2)
RUN_OA = "20260701-093000-1a2b3c"
RUN_OBC = "20261020-101500-4d5e6f"


def manifest(appraisal=APPRAISAL, reports=(("trading_company", "obc", "ok"),)) -> dict:
    """The parts of a run's manifest.json the decision checks read (batch.py writes these keys)."""
    return {"run_id": "x", "appraisal": appraisal,
            "reports": [{"name": f"{o}-{s}", "option": o, "stage": s, "status": st_} for o, s, st_ in reports]
            + [{"name": "options_appraisal", "option": None, "stage": "obc", "status": "ok"}]}


def write_run(runs: Path, run_id: str, **kw) -> Path:
    (runs / run_id).mkdir(parents=True, exist_ok=True)
    p = runs / run_id / "manifest.json"
    p.write_text(json.dumps(manifest(**kw)))
    return p


def entries() -> list[dict]:
    """A valid log: the first three gates decided, the FBC pending."""
    return [
        {"gate": "strategic_direction", "date": dt.date(2026, 3, 10), "body": "cabinet", "decision": "proceed",
         "conditions": [], "reference": "Cabinet minute 2026/041"},
        {"gate": "options_appraisal", "date": dt.date(2026, 7, 14), "body": "cabinet",
         "decision": "proceed_with_conditions", "conditions": ["Soft-market test in the OBC"],
         "shortlist": ["trading_company", "social_enterprise", "outsourcing"], "option": "trading_company",
         "run": RUN_OA},
        {"gate": "obc", "date": dt.date(2026, 11, 10), "body": "cabinet", "decision": "proceed_with_conditions",
         "conditions": ["Bond quote in the FBC", "Consult the unions on TUPE"], "option": "trading_company",
         "run": RUN_OBC},
        {"gate": "fbc", "date": dt.date(2027, 3, 16), "body": "cabinet", "decision": "pending",
         "option": "trading_company"},
    ]


@pytest.fixture
def root(tmp_path) -> Path:
    """An appraisal folder with the runs the valid log names, kept in <tmp>/reports/example_leisure."""
    folder = tmp_path / "data" / APPRAISAL
    folder.mkdir(parents=True)
    runs = tmp_path / "reports" / APPRAISAL
    write_run(runs, RUN_OA, reports=[("trading_company", "obc", "ok"), ("social_enterprise", "obc", "ok")])
    write_run(runs, RUN_OBC)
    return folder


def write_log(root: Path, items, **top) -> Path:
    doc = {"runs": "../../reports/example_leisure", **top, "decisions": items}
    p = root / "decisions.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def load(root, items, **top):
    write_log(root, items, **top)
    return load_decisions(root, APPRAISAL, OPTIONS, today=TODAY)


def only_error(root, items, **top):
    """The one error a log gives (the test's rule), checked to name the file and a line."""
    _, errors, _ = load(root, items, **top)
    assert len(errors) == 1, [str(e) for e in errors]
    e = errors[0]
    assert e.file == "example_leisure/decisions.yaml" and e.line is not None
    return e


def line_of(root: Path, needle: str, after: int = 0) -> int:
    """1-based line of the first line containing ``needle`` after line ``after`` in decisions.yaml."""
    lines = (root / "decisions.yaml").read_text().splitlines()
    return next(i + 1 for i, t in enumerate(lines) if i + 1 > after and needle in t)


# ---------------------------------------------------------------------------------------------- the table


def test_the_gate_table_is_the_five_stages_in_order():
    # DESIGN.md section 1: stages 1 to 5, the OBC then the FBC both in stage 3
    assert GATE_KEYS == ("strategic_direction", "options_appraisal", "obc", "fbc", "transition", "launch")
    assert [g.stage for g in GATES] == [1, 2, 3, 3, 4, 5]
    assert all(g.needs and g.decides and g.name for g in GATES)
    assert "OBC optimism bias" in GATES[2].needs and "appraisal.yaml" in GATES[2].needs


# ---------------------------------------------------------------------------------------------- a valid log


def test_a_valid_log_loads_with_its_runs(root):
    log, errors, files = load(root, entries())
    assert errors == []
    assert files == [root / "decisions.yaml"]  # the runs folder's manifests are not inputs of the appraisal
    assert log.runs_dir == (root.parent.parent / "reports" / APPRAISAL).resolve()
    assert [d.gate for d in log.decisions] == ["strategic_direction", "options_appraisal", "obc", "fbc"]
    assert log.decisions[1].shortlist == ("trading_company", "social_enterprise", "outsourcing")
    assert log.decisions[0].date == dt.date(2026, 3, 10)
    assert log.decided("obc").run == RUN_OBC
    assert log.decided("fbc") is None  # pending is not a decision taken
    assert log.latest().gate == "obc"
    assert log.next_gate().key == "fbc"
    assert log.chosen_option() == "trading_company"
    assert [d.gate for d in log.for_run(RUN_OBC)] == ["obc"]
    assert log.for_run("no-such-run") == ()


def test_journey_table_of_a_valid_log(root):
    log, errors, _ = load(root, entries())
    assert errors == []
    t = journey_table(log, APPRAISAL)
    assert list(t.columns) == ["stage", "gate", "name", "status", "date", "body", "decision", "conditions",
                               "option", "run"]
    assert t["stage"].tolist() == [1, 2, 3, 3, 4, 5]
    assert t["status"].tolist() == ["decided", "decided", "decided", "pending", "not reached", "not reached"]
    obc = t.set_index("gate").loc["obc"]
    assert obc["decision"] == "proceed with conditions"
    assert obc["conditions"] == "Bond quote in the FBC; Consult the unions on TUPE"
    assert (obc["date"], obc["body"], obc["option"], obc["run"]) == ("2026-11-10", "cabinet", "trading_company",
                                                                     RUN_OBC)
    assert t.set_index("gate").loc["transition", "date"] == ""  # not applicable: empty, never 0


def test_journey_table_next_and_stopped():
    day = dt.date(2026, 3, 10)
    one = DecisionLog((Decision("strategic_direction", day, "cabinet", "proceed"),), Path("r"), Path("d"))
    assert journey_table(one)["status"].tolist()[:3] == ["decided", "next", "not reached"]
    stop = DecisionLog((Decision("strategic_direction", day, "cabinet", "proceed"),
                        Decision("options_appraisal", day, "cabinet", "stop")), Path("r"), Path("d"))
    assert stop.next_gate() is None
    assert journey_table(stop)["status"].tolist() == ["decided", "stopped"] + ["not reached"] * 4
    assert journey_table(None)["status"].tolist() == ["next"] + ["not reached"] * 5


def test_journey_markdown_wording(root):
    log, errors, _ = load(root, entries())
    assert errors == []
    text = journey_markdown(log)
    assert text.startswith("Stage 3 of 5: the OBC was approved with conditions by cabinet on 10 November 2026 "
                           "(option: trading_company); next: the full business case (scheduled for cabinet on "
                           "16 March 2027), which needs the full business case of the preferred option")
    assert text.endswith("The conditions of the OBC decision: (1) Bond quote in the FBC; (2) Consult the unions on "
                         "TUPE.")
    assert journey_markdown(None) == ("No gate decisions are recorded yet (no decisions.yaml); next: the strategic "
                                      "direction, which needs " + GATES[0].needs + ".")
    day = dt.date(2026, 3, 10)
    all_done = DecisionLog(tuple(Decision(g, day, "board", "proceed", option="trading_company") for g in GATE_KEYS),
                           Path("r"), Path("d"))
    assert journey_markdown(all_done) == ("Stage 5 of 5: the post-implementation review was approved by board on "
                                          "10 March 2026 (option: trading_company); every gate has been decided.")


def test_no_decisions_file_is_none(tmp_path):
    assert load_decisions(tmp_path, APPRAISAL, OPTIONS, today=TODAY) == (None, [], [])


def test_runs_folder_defaults_to_the_projects_reports(root):
    items = entries()[:1]
    root.joinpath("decisions.yaml").write_text(yaml.safe_dump({"decisions": items}))
    log, errors, _ = load_decisions(root, APPRAISAL, OPTIONS, today=TODAY)
    assert errors == [] and log.runs_dir == PROJECT_ROOT / "reports" / APPRAISAL


def test_a_filed_run_is_found_and_recorded_as_read(root, tmp_path):
    shutil.rmtree(tmp_path / "reports" / APPRAISAL / RUN_OBC)
    filed = write_run(root / "decisions", RUN_OBC)
    log, errors, files = load(root, entries())
    assert errors == []
    assert files == [root / "decisions.yaml", filed]


# ---------------------------------------------------------------------------------------------- each rule


def test_unknown_option(root):
    items = entries()
    items[2]["option"] = "trading_co"
    e = only_error(root, items)
    assert e.field == "decisions[#3].option"
    assert "'trading_co' is not an option of this appraisal (did you mean 'trading_company'?)" in e.message
    assert "in_house_redesign, no_change, outsourcing, social_enterprise, trading_company" in e.message


def test_unknown_shortlist_id(root):
    items = entries()
    items[1]["shortlist"] = ["trading_company", "social_enterprize", "outsourcing"]
    e = only_error(root, items)
    assert e.field == "decisions[#2].shortlist[#2]"
    assert "'social_enterprize' is not an option" in e.message and "did you mean 'social_enterprise'" in e.message
    assert e.line == line_of(root, "social_enterprize")


def test_preferred_option_must_be_on_its_short_list(root):
    items = entries()
    items[1]["option"] = "in_house_redesign"
    e = only_error(root, items)
    assert e.field == "decisions[#2].option" and "not on this decision's short list" in e.message


def test_obc_option_must_have_been_short_listed(root):
    items = entries()
    items[1]["shortlist"] = ["trading_company", "social_enterprise"]
    items[1]["option"] = "trading_company"
    items[2]["option"] = "outsourcing"
    write_run(root.parent.parent / "reports" / APPRAISAL, RUN_OBC, reports=[("outsourcing", "obc", "ok")])
    items[3]["option"] = "outsourcing"
    _, errors, _ = load(root, items)
    fields = sorted(e.field for e in errors)
    assert fields == ["decisions[#3].option", "decisions[#4].option"]
    assert "was not short-listed at the options appraisal (trading_company, social_enterprise)" in errors[0].message


def test_option_required_to_proceed_at_obc(root):
    items = entries()[:3]
    del items[2]["option"]
    e = only_error(root, items)
    assert e.field == "decisions[#3].option"
    assert "required" in e.message and "must name the option" in e.message


def test_run_required_for_a_taken_obc_decision(root):
    items = entries()
    del items[2]["run"]
    e = only_error(root, items)
    assert e.field == "decisions[#3].run" and "required" in e.message and "run id" in e.message


def test_run_not_required_while_pending(root):
    items = entries()
    assert "run" not in items[3]
    assert load(root, items)[1] == []


def test_missing_run(root):
    items = entries()
    items[2]["run"] = "20261020-101500-000000"
    e = only_error(root, items)
    assert e.field == "decisions[#3].run"
    assert "run '20261020-101500-000000' not found" in e.message
    assert "decisions/20261020-101500-000000/manifest.json" in e.message
    assert e.line == line_of(root, "20261020-101500-000000")


def test_run_of_another_appraisal(root, tmp_path):
    write_run(tmp_path / "reports" / APPRAISAL, RUN_OBC, appraisal="example_depot")
    e = only_error(root, entries())
    assert e.field == "decisions[#3].run"
    assert "is a run of appraisal 'example_depot', not of 'example_leisure'" in e.message


def test_run_without_the_options_report(root, tmp_path):
    write_run(tmp_path / "reports" / APPRAISAL, RUN_OBC, reports=[("social_enterprise", "obc", "ok"),
                                                                   ("trading_company", "fbc", "ok")])
    e = only_error(root, entries())
    assert e.field == "decisions[#3].run"
    assert "has no obc report of 'trading_company' (it has social_enterprise-obc, trading_company-fbc)" in e.message


def test_run_whose_report_failed(root, tmp_path):
    write_run(tmp_path / "reports" / APPRAISAL, RUN_OBC, reports=[("trading_company", "obc", "failed")])
    e = only_error(root, entries())
    assert "trading_company-obc report failed" in e.message


def test_run_manifest_that_is_not_json(root, tmp_path):
    (tmp_path / "reports" / APPRAISAL / RUN_OBC / "manifest.json").write_text("{not json")
    e = only_error(root, entries())
    assert e.field == "decisions[#3].run" and "is not valid JSON" in e.message


@pytest.mark.parametrize("bad", ["../example_depot/" + RUN_OBC, "a/b", "..", ".hidden", "", 20261020])
def test_run_id_must_be_a_folder_name(root, tmp_path, bad):
    # a run id with a slash could name a folder outside the runs folder: refused before any file is looked at
    (tmp_path / "reports" / "example_depot" / RUN_OBC).mkdir(parents=True)
    (tmp_path / "reports" / "example_depot" / RUN_OBC / "manifest.json").write_text(json.dumps(manifest()))
    items = entries()
    items[2]["run"] = bad
    e = only_error(root, items)
    assert e.field == "decisions[#3].run"
    assert "is not a run id" in e.message and "no slashes" in e.message


def test_later_gate_dated_before_an_earlier_one(root):
    items = entries()
    items[2]["date"] = dt.date(2026, 6, 30)
    e = only_error(root, items)
    assert e.field == "decisions[#3].date"
    assert "obc is dated 2026-06-30, before the options_appraisal decision before it (2026-07-14)" in e.message


def test_gate_decided_twice(root):
    items = entries()[:3]
    items.append(dict(items[2], date=dt.date(2026, 11, 24)))
    e = only_error(root, items)
    assert e.field == "decisions[#4].gate"
    assert "obc is decided twice (also entry #3)" in e.message


def test_gates_out_of_order(root):
    items = entries()[:3]
    items[1], items[2] = items[2], items[1]
    items[1]["date"], items[2]["date"] = items[2]["date"], items[1]["date"]  # only the order is wrong
    _, errors, _ = load(root, items)
    assert any(e.field == "decisions[#3].gate" and "options_appraisal is listed after obc" in e.message
               for e in errors), [str(e) for e in errors]


def test_gate_after_stop(root):
    items = entries()[:3]
    items[1] = {k: v for k, v in items[1].items() if k != "conditions"} | {"decision": "stop"}
    e = only_error(root, items)
    assert e.field == "decisions[#3].gate"
    assert "obc follows the stop decided at the options_appraisal gate on 2026-07-14" in e.message


def test_missing_earlier_gate(root):
    items = entries()[:3]
    items.append({"gate": "fbc", "date": dt.date(2026, 11, 20), "body": "cabinet", "decision": "proceed",
                  "option": "trading_company", "run": RUN_OBC})
    write_run(root.parent.parent / "reports" / APPRAISAL, RUN_OBC,
              reports=[("trading_company", "obc", "ok"), ("trading_company", "fbc", "ok")])
    del items[2]  # the OBC
    e = only_error(root, items)
    assert e.field == "decisions[#3].gate"
    assert "fbc decided but obc has no decision" in e.message


def test_pending_not_last(root):
    items = entries()[:3]
    items[1] = {"gate": "options_appraisal", "date": dt.date(2026, 7, 14), "body": "cabinet", "decision": "pending"}
    e = only_error(root, items)
    assert e.field == "decisions[#2].decision" and "pending" in e.message and "last entry" in e.message


def test_future_date_only_when_pending(root):
    items = entries()
    items[2]["date"] = TODAY + dt.timedelta(days=1)
    items[3]["date"] = TODAY + dt.timedelta(days=90)  # pending: may be in the future
    e = only_error(root, items)
    assert e.field == "decisions[#3].date"
    assert "2026-12-03 is after today (2026-12-02)" in e.message and "pending" in e.message
    items[2]["date"] = TODAY  # decided today: fine
    assert load(root, items)[1] == []


@pytest.mark.parametrize("field, bad, hint", [
    ("body", "cabnet", "did you mean 'cabinet'?"),
    ("decision", "procede", "did you mean 'proceed'?"),
    ("gate", "options_apraisal", "did you mean 'options_appraisal'?"),
])
def test_bad_body_decision_gate_with_suggestion(root, field, bad, hint):
    items = entries()
    items[1][field] = bad
    _, errors, _ = load(root, items)
    assert errors, "the bad value was accepted"
    e = next(e for e in errors if e.field == f"decisions[#2].{field}")
    assert f"unknown {field} {bad!r} ({hint}); choose one of" in e.message
    assert e.line == line_of(root, bad)
    # one error only: the later entries do not claim that the unreadable entry's gate is missing
    assert len(errors) == 1, [str(x) for x in errors]


def test_conditions_required_for_proceed_with_conditions(root):
    items = entries()
    items[2]["conditions"] = []
    e = only_error(root, items)
    assert e.field == "decisions[#3].conditions" and "must list them" in e.message


def test_conditions_only_for_proceed_with_conditions(root):
    items = entries()
    items[0]["conditions"] = ["A condition"]
    e = only_error(root, items)
    assert e.field == "decisions[#1].conditions" and "only for proceed_with_conditions" in e.message


def test_shortlist_only_at_the_options_appraisal(root):
    items = entries()
    items[2]["shortlist"] = ["trading_company"]
    e = only_error(root, items)
    assert e.field == "decisions[#3].shortlist" and "options_appraisal gate" in e.message


def test_unknown_keys_are_refused(root):
    items = entries()
    items[0]["notes"] = "typo for note"
    _, errors, _ = load(root, items, run="x")
    assert sorted(e.field for e in errors) == ["decisions[#1].notes", "run"]
    entry = next(e for e in errors if e.field == "decisions[#1].notes")
    assert "unknown field 'notes' (did you mean 'note'?)" in entry.message
    assert entry.line == line_of(root, "notes:")
    top = next(e for e in errors if e.field == "run")
    assert "did you mean 'runs'?" in top.message


@pytest.mark.parametrize("value, expect", [
    ("2026-02-30", "not a date in the calendar"),
    ("10/03/2026", "not a date; give an ISO date"),
    (dt.datetime(2026, 3, 10, 14, 0), "has a time; give the date only"),
])
def test_dates(root, value, expect):
    items = entries()
    items[0]["date"] = value
    e = only_error(root, items)
    assert e.field == "decisions[#1].date" and expect in e.message


def test_a_date_in_quotes_is_read(root):
    items = entries()
    items[0]["date"] = "2026-03-10"
    log, errors, _ = load(root, items)
    assert errors == [] and log.decisions[0].date == dt.date(2026, 3, 10)


def test_a_log_with_errors_keeps_the_entries_it_could_read(root):
    items = entries()
    items[0]["body"] = "parliament"  # this entry is not whole: left out of the log
    items[2]["option"] = "nonsense"  # readable, though wrong: kept (the errors say the log cannot be relied on)
    log, errors, _ = load(root, items)
    assert {e.field for e in errors} == {"decisions[#1].body", "decisions[#3].option"}
    assert [d.gate for d in log.decisions] == ["options_appraisal", "obc", "fbc"]
    assert [d.gate for d in log.for_run(RUN_OBC)] == ["obc"]


def test_every_problem_is_reported_at_once(root):
    items = entries()
    items[0]["body"] = "parliament"
    items[2]["option"] = "nonsense"
    items[2]["conditions"] = []
    _, errors, _ = load(root, items)
    assert {e.field for e in errors} >= {"decisions[#1].body", "decisions[#3].option", "decisions[#3].conditions"}


def test_not_a_mapping_or_not_a_list(root):
    (root / "decisions.yaml").write_text("- gate: obc\n")
    _, errors, _ = load_decisions(root, APPRAISAL, OPTIONS, today=TODAY)
    assert len(errors) == 1 and "expected a mapping" in errors[0].message
    (root / "decisions.yaml").write_text("decisions: obc\n")
    _, errors, _ = load_decisions(root, APPRAISAL, OPTIONS, today=TODAY)
    assert len(errors) == 1 and errors[0].field == "decisions" and "expected a list" in errors[0].message


# ---------------------------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(GATES)), st.lists(st.integers(0, 40), min_size=len(GATES), max_size=len(GATES)))
def test_any_prefix_of_gates_in_order_is_valid_and_the_next_gate_follows(tmp_path_factory, k, gaps):
    """For every k: gates 1..k decided in order with non-decreasing dates give no error, and gate k+1 is next."""
    base = tmp_path_factory.mktemp("prefix")
    root = base / "data" / APPRAISAL
    root.mkdir(parents=True)
    runs = base / "reports" / APPRAISAL
    day = dt.date(2026, 1, 5)
    items = []
    for g, gap in zip(GATE_KEYS[:k], gaps):
        day += dt.timedelta(days=gap)
        item = {"gate": g, "date": day, "body": "cabinet", "decision": "proceed"}
        if g in ("obc", "fbc", "transition", "launch"):
            item["option"] = "trading_company"
        if g in ("options_appraisal", "obc", "fbc"):
            item["run"] = f"run-{g}"
            write_run(runs, f"run-{g}", reports=[("trading_company", "obc", "ok"), ("trading_company", "fbc", "ok")])
        items.append(item)
    log, errors, _ = load(root, items)
    assert errors == []
    nxt = log.next_gate()
    assert (nxt.key if nxt else None) == (GATE_KEYS[k] if k < len(GATES) else None)
    statuses = journey_table(log)["status"].tolist()
    assert statuses == ["decided"] * k + (["next"] + ["not reached"] * (len(GATES) - k - 1) if k < len(GATES) else [])


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(3)))
def test_any_reordering_of_the_first_gates_is_an_error(tmp_path_factory, order):
    base = tmp_path_factory.mktemp("order")
    root = base / "data" / APPRAISAL
    root.mkdir(parents=True)
    write_run(base / "reports" / APPRAISAL, RUN_OA)
    write_run(base / "reports" / APPRAISAL, RUN_OBC)
    items = [entries()[i] for i in order]
    for j, item in enumerate(items):  # dates follow the list, so only the gate order can be wrong
        item["date"] = dt.date(2026, 3 + j, 1)
    _, errors, _ = load(root, items)
    assert (errors == []) == (list(order) == [0, 1, 2])


# ---------------------------------------------------------------------------------------------- journey records


@pytest.mark.parametrize("path, expect", [
    ("example_leisure/decisions.yaml", True),
    ("decisions.yaml", True),
    ("example_leisure/decisions/20261020-101500-4d5e6f/manifest.json", True),
    ("example_leisure/decisions/20261020-101500-4d5e6f/summary.csv", True),
    ("example_leisure/actuals/2028-29.csv", True),
    ("actuals/2028-29.csv", True),
    ("example_leisure\\decisions.yaml", True),
    ("example_leisure/appraisal.yaml", False),
    ("example_leisure/options/decisions.yaml", False),
    ("example_leisure/options/trading_company.yaml", False),
    ("reference/optimism_bias.yaml", False),
    ("example_leisure/decisions", False),
    ("../decisions.yaml", False),
])
def test_is_journey_record(path, expect):
    assert is_journey_record(path) is expect


# ---------------------------------------------------------------------------------------------- the example


def test_the_examples_log_is_valid_with_its_runs_filed():
    """The bundled log cites runs filed under decisions/ (scripts/file_example_decisions.py files them)."""
    src = PROJECT_ROOT / "data" / "example_leisure"
    options = {p.stem for p in (src / "options").glob("*.yaml")}
    log, errors, files = load_decisions(src, APPRAISAL, options, today=TODAY)
    assert errors == [], [str(e) for e in errors]
    assert (src / "decisions.yaml").read_text().startswith("# ILLUSTRATIVE")
    assert [d.gate for d in log.decisions] == ["strategic_direction", "options_appraisal", "obc", "fbc"]
    runs = [log.decided(g).run for g in ("options_appraisal", "obc")]
    assert files == [src / "decisions.yaml"] + [src / "decisions" / r / "manifest.json" for r in runs]
    assert log.next_gate().key == "fbc" and log.pending().gate == "fbc"
    assert log.chosen_option() == "trading_company"
    assert journey_markdown(log).startswith("Stage 3 of 5: the OBC was approved with conditions by cabinet on "
                                            "10 November 2026")


def test_a_log_with_placeholder_runs_names_each_one(tmp_path):
    """A draft log (runs not yet filed) is refused run by run, and valid once they are filed."""
    src = PROJECT_ROOT / "data" / "example_leisure"
    options = {p.stem for p in (src / "options").glob("*.yaml")}
    copy = tmp_path / APPRAISAL
    copy.mkdir()
    log, _, _ = load_decisions(src, APPRAISAL, options, today=TODAY)
    text = (src / "decisions.yaml").read_text()
    for gate, placeholder in (("options_appraisal", "RUN-OPTIONS-APPRAISAL"), ("obc", "RUN-OBC")):
        text = text.replace(f"run: {log.decided(gate).run}", f"run: {placeholder}")
    (copy / "decisions.yaml").write_text(text)
    _, errors, _ = load_decisions(copy, APPRAISAL, options, today=TODAY)
    assert sorted((e.field, "not found" in e.message) for e in errors) == [
        ("decisions[#2].run", True), ("decisions[#3].run", True)]
    write_run(copy / "decisions", "RUN-OPTIONS-APPRAISAL")
    write_run(copy / "decisions", "RUN-OBC")
    _, errors, files = load_decisions(copy, APPRAISAL, options, today=TODAY)
    assert errors == [] and len(files) == 3
