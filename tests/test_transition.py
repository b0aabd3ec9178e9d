"""Tests for asdm_models.transition: the plan against the business case, TUPE lead times, tables and timeline.

Sources: TUPE 2006 (SI 2006/246) reg 11(6) as amended by SI 2014/16 (employee liability information at least 28 days
before the transfer) and reg 13(2); TULRCA 1992 s188(1A) (30 days for 20-99 staff, 45 days for 100 or more); the UK
financial year runs 1 April to 31 March; data/example_leisure/options/trading_company.yaml for the example plan.
Day counts are worked out in the comments (2027 is not a leap year: February has 28 days).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asdm_models
from asdm_models import reference
from asdm_models.reference import PROJECT_ROOT, load_reference
from asdm_models.transition import (DEFAULT_LEAD_TIMES, MILESTONE_KINDS, NOT_ATTACHED, Milestone, ReadinessTest,
                                    TransitionPlan, financial_year_of, lead_times_of, milestone_table,
                                    parse_transition, readiness_table, timeline_figure, timeline_title, tupe_checks)
from asdm_models.yamlio import read_yaml

D = dt.date
# The case the plans below are checked against: first year 2026-27, go-live year index 1 (2027-28).
ITEMS = {"legal": 0, "it_systems": 0, "shadow_running": 0, "fit_out": 1}  # id -> year index
FIRST_YEAR, GO_LIVE = 2026, 1


def _parse(tmp_path, text: str, *, go_live_year: int = GO_LIVE, items: dict = ITEMS):
    p = tmp_path / "opt.yaml"
    p.write_text(text, encoding="utf-8")
    doc, errors = read_yaml(p, "options/opt.yaml")
    assert errors == [], errors
    return parse_transition(doc, ("transition",), doc.data.get("transition"), item_ids=list(items),
                            item_years=items, go_live_year=go_live_year, first_year=FIRST_YEAR)


def _plan(*rows: str, extra: str = "") -> str:
    """A transition section whose milestones are the given flow mappings."""
    return "transition:\n  milestones:\n" + "".join(f"    - {r}\n" for r in rows) + extra


GO = "{id: go_live, kind: go_live, date: 2027-04-01}"
CONSULT = "{id: consult, kind: tupe_consultation, date: 2027-01-18}"


def test_example_plan_parses(tmp_path):
    a = asdm_models.load_appraisal("data/example_leisure")
    o = a.options["trading_company"]
    doc, _ = read_yaml(a.data_dir / "options" / "trading_company.yaml", o.file)
    items = list(o.one_off_costs) + list(o.capital)
    plan, errors = parse_transition(doc, ("transition",), doc.data["transition"], item_ids=[i.id for i in items],
                                    item_years={i.id: i.year for i in items}, go_live_year=1,
                                    first_year=a.first_year)
    assert errors == []
    assert len(plan.milestones) == 10 and len(plan.readiness) == 5 and plan.affected_staff == 142
    assert plan.go_live.date == D(2027, 4, 1) and plan.transfer_date == D(2027, 4, 1)
    assert plan.first("tupe_consultation").date == D(2027, 1, 11)
    # every one-off cost is at a milestone: 140,000 + 210,000 + 95,000 + 260,000 = 705,000, nothing left over
    t = milestone_table(plan, {i.id: i.amount_gbp for i in items})
    assert t.iloc[-1]["costs_nominal_gbp"] == 0.0 and t["costs_nominal_gbp"].sum() == 705_000.0


def test_no_section_is_no_plan(tmp_path):
    assert _parse(tmp_path, "id: x\n") == (None, [])


def test_financial_year_boundaries():
    assert financial_year_of(D(2027, 3, 31)) == 2026 and financial_year_of(D(2027, 4, 1)) == 2027
    assert financial_year_of(D(2027, 1, 1)) == 2026 and financial_year_of(D(2027, 12, 31)) == 2027


# ------------------------------------------------------------------------------------------------
# Validation: each error, with its field and line
# ------------------------------------------------------------------------------------------------

def test_unknown_keys_kinds_and_status(tmp_path):
    text = ("transition:\n  affected_staf: 3\n  milestones:\n"
            "    - {id: go_live, kind: go_live, date: 2027-04-01, costs_gbp: 1}\n"
            "    - {id: m2, kind: decison, date: 2027-02-01}\n"
            "  readiness:\n    - {id: r1, test: Bond, status: complete, colour: red}\n")
    plan, errors = _parse(tmp_path, text)
    assert plan is None
    got = {(e.field, e.line): e.message for e in errors}
    assert "did you mean 'affected_staff'?" in got[("transition.affected_staf", 2)]
    assert ("transition.milestones[go_live].costs_gbp", 4) in got
    assert "did you mean 'decision'?" in got[("transition.milestones[m2].kind", 5)]
    assert "valid: done, in_progress, not_started" in got[("transition.readiness[r1].status", 7)]
    assert ("transition.readiness[r1].colour", 7) in got
    assert len(errors) == 5  # all at once


def test_duplicate_ids(tmp_path):
    text = _plan(GO, "{id: go_live, kind: decision, date: 2027-02-01}",
                 extra="  readiness:\n    - {id: r, test: A, status: done}\n    - {id: r, test: B, status: done}\n")
    plan, errors = _parse(tmp_path, text)
    msgs = [e.message for e in errors]
    assert any("milestone id 'go_live' is used twice (milestones 1 and 2)" in m for m in msgs)
    assert any("readiness test id 'r' is used twice (tests 1 and 2)" in m for m in msgs)


def test_unknown_cost_id_suggests_and_lists(tmp_path):
    plan, errors = _parse(tmp_path, _plan("{id: m, kind: other, date: 2026-12-01, costs: [legl]}", GO))
    assert plan is None and len(errors) == 1
    e = errors[0]
    assert e.field == "transition.milestones[m].costs[#1]" and e.line == 3
    assert "did you mean 'legal'?" in e.message and "valid: legal, it_systems, shadow_running, fit_out" in e.message


def test_go_live_missing_or_twice(tmp_path):
    plan, errors = _parse(tmp_path, _plan("{id: m, kind: decision, date: 2026-12-01}"))
    assert plan is None and "no go_live milestone" in errors[0].message
    assert "2027-28 (1 April 2027 to 31 March 2028)" in errors[0].message
    plan, errors = _parse(tmp_path, _plan(GO, "{id: go2, kind: go_live, date: 2027-05-01}"))
    assert plan is None and "2 go_live milestones (go_live, go2)" in errors[0].message


@pytest.mark.parametrize("date, ok", [("2027-03-31", False), ("2027-04-01", True), ("2028-03-31", True),
                                      ("2028-04-01", False)])
def test_go_live_must_fall_in_the_go_live_financial_year(tmp_path, date, ok):
    """Go-live year index 1 from 2026-27 is 2027-28: 1 April 2027 to 31 March 2028 inclusive."""
    plan, errors = _parse(tmp_path, _plan(f"{{id: go_live, kind: go_live, date: {date}}}"))
    assert (errors == []) is ok
    if not ok:
        assert "the plan and the business case disagree" in errors[0].message
        assert errors[0].field == "transition.milestones[go_live].date"


def test_go_live_year_follows_the_case(tmp_path):
    """The same date passes or fails with the go-live year the case states."""
    assert _parse(tmp_path, _plan("{id: g, kind: go_live, date: 2028-06-01}"), go_live_year=2)[1] == []
    assert _parse(tmp_path, _plan("{id: g, kind: go_live, date: 2028-06-01}"), go_live_year=1)[1] != []


@pytest.mark.parametrize("date, ok", [("2027-03-31", True), ("2027-04-01", False)])
def test_cost_at_a_milestone_in_another_year(tmp_path, date, ok):
    """it_systems is spent in year 0 (2026-27): a milestone on 31 March 2027 may carry it, 1 April 2027 may not."""
    plan, errors = _parse(tmp_path, _plan(f"{{id: systems, kind: other, date: {date}, costs: [it_systems]}}", GO))
    assert (errors == []) is ok
    if not ok:
        m = errors[0].message
        assert "it_systems is spent in 2026-27 in the business case" in m
        assert "systems on 1 April 2027 falls in 2027-28" in m and "cannot disagree with the case" in m


def test_capital_item_at_the_go_live_year(tmp_path):
    """fit_out is in year 1 (2027-28): an asset transfer on go-live day carries it."""
    plan, errors = _parse(tmp_path, _plan("{id: assets, kind: asset_transfer, date: 2027-04-01, costs: [fit_out]}", GO))
    assert errors == [] and plan.milestones[0].costs == ("fit_out",)


def test_cost_attached_twice(tmp_path):
    plan, errors = _parse(tmp_path, _plan("{id: a, kind: other, date: 2026-12-01, costs: [legal]}",
                                          "{id: b, kind: decision, date: 2027-01-01, costs: [legal]}", GO))
    assert plan is None and [e.message for e in errors] == [
        "legal is attached to both a and b; a cost belongs to one milestone, or the plan would count it twice"]
    plan, errors = _parse(tmp_path, _plan("{id: a, kind: other, date: 2026-12-01, costs: [legal, legal]}", GO))
    assert plan is None and "attached to this milestone twice" in errors[0].message


@pytest.mark.parametrize("kind", ["staff_transfer", "go_live"])
def test_transfer_or_go_live_before_consultation(tmp_path, kind):
    """Consultation starts 1 May 2027 but staff transfer (or go-live) on 1 April 2027: refused."""
    rows = ["{id: consult, kind: tupe_consultation, date: 2027-05-01}", GO]
    if kind == "staff_transfer":
        rows.append("{id: transfer, kind: staff_transfer, date: 2027-04-01}")
    plan, errors = _parse(tmp_path, _plan(*rows))
    assert plan is None
    assert any("before the TUPE consultation starts (1 May 2027)" in e.message for e in errors)
    bad = {e.field for e in errors}
    assert ("transition.milestones[transfer].date" if kind == "staff_transfer" else
            "transition.milestones[go_live].date") in bad


def test_consultation_on_time_is_accepted(tmp_path):
    plan, errors = _parse(tmp_path, _plan(CONSULT, "{id: transfer, kind: staff_transfer, date: 2027-04-01}", GO))
    assert errors == [] and plan.transfer_date == D(2027, 4, 1)


@pytest.mark.parametrize("value, why", [("'1 April 2027'", "YYYY-MM-DD"), ("'2027-02-30'", "not a date"),
                                        ("2027-04-01 09:00:00", "date and time"), ("20270401", "YYYY-MM-DD")])
def test_bad_dates(tmp_path, value, why):
    plan, errors = _parse(tmp_path, _plan(GO, f"{{id: m, kind: other, date: {value}}}"))
    assert plan is None and any(why in e.message and e.field == "transition.milestones[m].date" for e in errors)


def test_quoted_iso_date_is_accepted(tmp_path):
    plan, errors = _parse(tmp_path, _plan("{id: go_live, kind: go_live, date: '2027-04-01'}"))
    assert errors == [] and plan.go_live.date == D(2027, 4, 1)


@pytest.mark.parametrize("value", ["-1", "12.5", "true", "many"])
def test_affected_staff_must_be_a_whole_number(tmp_path, value):
    plan, errors = _parse(tmp_path, f"transition:\n  affected_staff: {value}\n  milestones:\n    - {GO}\n")
    assert plan is None and [e.field for e in errors] == ["transition.affected_staff"]


def test_readiness_fields(tmp_path):
    extra = ("  readiness:\n    - {id: a, test: '', status: done}\n    - {id: b, test: Bond, status: done, due: soon}\n"
             "    - {id: c, test: SLAs, status: not_started, due: 2027-03-01, owner: S151, evidence: Draft}\n")
    plan, errors = _parse(tmp_path, _plan(GO, extra=extra))
    assert plan is None
    assert {e.field for e in errors} == {"transition.readiness[a].test", "transition.readiness[b].due"}
    plan, errors = _parse(tmp_path, _plan(GO, extra="  readiness:\n    - {id: c, test: SLAs, status: not_started, "
                                                    "due: 2027-03-01, owner: S151, evidence: Draft}\n"))
    assert errors == [] and plan.readiness == (ReadinessTest("c", "SLAs", "not_started", "S151", D(2027, 3, 1), "Draft"),)


# ------------------------------------------------------------------------------------------------
# tupe_checks: statutory lead times as findings
# ------------------------------------------------------------------------------------------------

def _tupe_plan(eli=None, consult=None, transfer=D(2027, 4, 1), staff=142):
    ms = [Milestone("go", "go_live", D(2027, 4, 1))]
    if transfer != D(2027, 4, 1):
        ms.append(Milestone("transfer", "staff_transfer", transfer))
    if eli:
        ms.append(Milestone("eli", "employee_liability_information", eli))
    if consult:
        ms.append(Milestone("consult", "tupe_consultation", consult))
    return TransitionPlan(tuple(ms), (), staff, FIRST_YEAR, GO_LIVE)


@pytest.mark.parametrize("eli, days, status", [
    (D(2027, 3, 4), 28, "met"),       # 4 March -> 1 April: 27 days left in March + 1 = 28
    (D(2027, 3, 5), 27, "not met"),   # one day short
    (D(2027, 2, 1), 59, "met"),       # 27 (Feb) + 31 (Mar) + 1
])
def test_eli_28_days(eli, days, status):
    t = tupe_checks(_tupe_plan(eli=eli), 142, DEFAULT_LEAD_TIMES)
    row = t.iloc[0]
    assert (row["required_days"], row["planned_days"], row["status"]) == (28, days, status)
    assert "reg 11(6)" in row["source"]


@pytest.mark.parametrize("staff, consult, required, days, status", [
    (142, D(2027, 2, 15), 45, 45, "met"),      # 15 Feb -> 1 Mar = 14, + 31 = 45
    (142, D(2027, 2, 16), 45, 44, "not met"),
    (100, D(2027, 2, 16), 45, 44, "not met"),  # 100 is in the 100-or-more band
    (99, D(2027, 3, 2), 30, 30, "met"),        # 2 Mar -> 1 Apr = 30
    (99, D(2027, 3, 3), 30, 29, "not met"),
    (20, D(2027, 3, 2), 30, 30, "met"),        # 20 is in the 20-99 band
    (19, D(2027, 3, 31), None, 1, "met"),      # under 20: no fixed minimum, only before the transfer
])
def test_consultation_lead_time_by_staff_band(staff, consult, required, days, status):
    row = tupe_checks(_tupe_plan(consult=consult, staff=staff), staff, DEFAULT_LEAD_TIMES).iloc[1]
    assert (None if pd.isna(row["required_days"]) else row["required_days"]) == required
    assert (row["planned_days"], row["status"]) == (days, status)
    assert "s188(1) and (1A)" in row["source"]  # the reference data's source of the periods



def test_not_planned_not_applicable_and_unknown_staff():
    t = tupe_checks(_tupe_plan(), 142)
    assert t["status"].tolist() == ["not planned", "not planned"]
    assert t["planned_days"].isna().all()
    t = tupe_checks(_tupe_plan(staff=0), None)
    assert t["status"].tolist() == ["not applicable", "not applicable"]
    t = tupe_checks(_tupe_plan(consult=D(2027, 2, 20), staff=None), None)
    assert t.iloc[1]["required_days"] == 45 and "staff number not stated" in t.iloc[1]["check"]
    # the caller's figure wins over the plan's
    assert tupe_checks(_tupe_plan(consult=D(2027, 3, 2), staff=142), 50).iloc[1]["status"] == "met"


def test_transfer_date_is_the_staff_transfer_milestone():
    """Staff transfer on 1 March 2027, before go-live: ELI on 1 February is 28 days ahead of it, not 59."""
    t = tupe_checks(_tupe_plan(eli=D(2027, 2, 1), transfer=D(2027, 3, 1)), 142)
    assert t.iloc[0]["planned_days"] == 28 and "1 March 2027" in t.iloc[0]["check"]


def test_lead_times_are_a_parameter():
    """Reference data may state other lead times (here an ELI of 14 days, the pre-2014 rule) and sources."""
    lt = {"eli_days": 14, "eli_source": "SI 2006/246 reg 11(6) as made", "consultation_days_20_99": 30,
          "consultation_days_100": 90}
    t = tupe_checks(_tupe_plan(eli=D(2027, 3, 18), consult=D(2027, 1, 1)), 142, lt)  # 18 Mar -> 1 Apr = 14 days
    assert t["required_days"].tolist() == [14, 90]
    assert t["status"].tolist() == ["met", "met"]  # 1 Jan -> 1 Apr = 30 + 28 + 31 + 1 = 90
    assert t.iloc[0]["source"] == "SI 2006/246 reg 11(6) as made"
    assert t.iloc[1]["source"] == DEFAULT_LEAD_TIMES["consultation_source"]


def test_default_lead_times_are_the_reference_data():
    """The defaults are data/reference/local_government.yaml's: 28 days of ELI, 30 and 45 days of consultation."""
    ref = reference.default_reference()
    assert DEFAULT_LEAD_TIMES == lead_times_of(ref.tupe)
    assert (DEFAULT_LEAD_TIMES["eli_days"], DEFAULT_LEAD_TIMES["consultation_days_20_99"],
            DEFAULT_LEAD_TIMES["consultation_days_100"]) == (28, 30, 45)
    assert DEFAULT_LEAD_TIMES["eli_source"] == ref.tupe.employee_liability_source
    assert DEFAULT_LEAD_TIMES["consultation_source"] == ref.tupe.collective_source


def test_lead_times_follow_changed_reference_data(tmp_path, monkeypatch):
    """Reference data with an ELI of 35 days and bands of 40 and 60 days: the checks, their words and the default of
    tupe_checks all follow it (no copy of the figures in code)."""
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    p = tmp_path / "reference" / "local_government.yaml"
    text = p.read_text(encoding="utf-8")
    for old, new in (("days_before_transfer: 28", "days_before_transfer: 35"),
                     ("days_before_first_dismissal: 30}", "days_before_first_dismissal: 40}"),
                     ("days_before_first_dismissal: 45}", "days_before_first_dismissal: 60}")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    p.write_text(text, encoding="utf-8")
    (tmp_path / "appraisal").mkdir()
    ref, errors, _ = load_reference(tmp_path / "appraisal")
    assert errors == []
    lt = lead_times_of(ref.tupe)
    assert (lt["eli_days"], lt["consultation_days_20_99"], lt["consultation_days_100"]) == (35, 40, 60)
    # ELI on 4 March is 28 days before 1 April: short of 35; consultation from 15 February, 45 days: short of 60
    t = tupe_checks(_tupe_plan(eli=D(2027, 3, 4), consult=D(2027, 2, 15)), 142, lt)
    assert t["required_days"].tolist() == [35, 60] and t["status"].tolist() == ["not met", "not met"]
    assert "at least 35 days before the transfer" in t.iloc[0]["check"]
    assert t.iloc[1]["source"] == ref.tupe.collective_source
    assert tupe_checks(_tupe_plan(consult=D(2027, 2, 15), staff=50), 50, lt).iloc[1]["required_days"] == 40
    # the default is the project's reference data, read when needed: standing in the changed data for it
    monkeypatch.setattr(reference, "_DEFAULT", ref)
    assert DEFAULT_LEAD_TIMES != lead_times_of(ref.tupe)  # the name imported above was read before the change
    assert asdm_models.transition.DEFAULT_LEAD_TIMES == lt
    assert tupe_checks(_tupe_plan(eli=D(2027, 3, 4), consult=D(2027, 2, 15)), 142).equals(t)


# ------------------------------------------------------------------------------------------------
# milestone_table, readiness_table, timeline_figure
# ------------------------------------------------------------------------------------------------

def test_milestone_table_by_hand():
    ms = (Milestone("go", "go_live", D(2027, 4, 1), "Service starts", "MD"),
          Milestone("shadow", "shadow_running", D(2027, 1, 4), costs=("shadow_running", "legal"), owner="PD"),
          Milestone("sys", "other", D(2027, 3, 15), costs=("it_systems",)))
    amounts = {"legal": 140_000.0, "it_systems": 260_000.0, "shadow_running": 95_000.0, "fit_out": 50_000.0}
    t = milestone_table(TransitionPlan(ms, (), 10, FIRST_YEAR, GO_LIVE), amounts)
    assert t["id"].tolist() == ["shadow", "sys", "go", ""]
    assert t["costs_nominal_gbp"].tolist() == [235_000.0, 260_000.0, 0.0, 50_000.0]  # 95,000 + 140,000 = 235,000
    assert t["financial_year"].tolist() == ["2026-27", "2026-27", "2027-28", ""]
    assert t["kind"].tolist()[:3] == ["Shadow running", "Other", "Go-live"]
    assert t.iloc[-1]["milestone"] == NOT_ATTACHED and t.iloc[-1]["costs"] == "fit_out"
    assert t.iloc[2]["milestone"] == "Service starts" and t.iloc[1]["milestone"] == "sys"  # no description: the id
    assert t["costs_nominal_gbp"].sum() == 545_000.0  # 140,000 + 260,000 + 95,000 + 50,000


def test_milestone_table_needs_every_attached_amount():
    plan = TransitionPlan((Milestone("a", "go_live", D(2027, 4, 1), costs=("legal",)),), (), 0, FIRST_YEAR, GO_LIVE)
    with pytest.raises(ValueError, match="attaches legal"):
        milestone_table(plan, {})


@settings(max_examples=60, deadline=None)
@given(amounts=st.lists(st.floats(0, 1e7), min_size=0, max_size=8),
       where=st.lists(st.integers(-1, 2), min_size=8, max_size=8))
def test_milestone_table_adds_up_to_the_case(amounts, where):
    """However the items are spread over milestones (or left unattached, -1), the table's total is the case's."""
    ids = [f"c{i}" for i in range(len(amounts))]
    ms = tuple(Milestone(f"m{k}", "go_live" if k == 0 else "other", D(2027, 4, 1) + dt.timedelta(days=k),
                         costs=tuple(c for c, w in zip(ids, where) if w == k)) for k in range(3))
    t = milestone_table(TransitionPlan(ms, (), 0, FIRST_YEAR, GO_LIVE), dict(zip(ids, amounts)))
    assert t["costs_nominal_gbp"].sum() == pytest.approx(sum(amounts), rel=1e-12, abs=1e-6)
    named = sorted(c for cell in t["costs"] for c in cell.split(", ") if c)
    assert named == sorted(ids)  # every item exactly once


def test_readiness_overdue_flag():
    tests = (ReadinessTest("yesterday", "A", "in_progress", due=D(2027, 3, 9)),
             ReadinessTest("today", "B", "not_started", due=D(2027, 3, 10)),
             ReadinessTest("done_late", "C", "done", due=D(2027, 1, 1)),
             ReadinessTest("no_due", "D", "not_started"))
    t = readiness_table(TransitionPlan((), tests, None, FIRST_YEAR, GO_LIVE), today=D(2027, 3, 10))
    assert t["overdue"].tolist() == [True, False, False, False]
    assert t["status"].tolist() == ["In progress", "Not started", "Done", "Not started"]
    assert list(t.columns) == ["id", "test", "owner", "status", "due", "evidence", "overdue"]


def test_timeline_figure_states_the_finding():
    ms = (Milestone("consult", "tupe_consultation", D(2027, 1, 18), "Consultation starts"),
          Milestone("shadow", "shadow_running", D(2027, 1, 4), costs=("shadow_running",)),
          Milestone("go", "go_live", D(2027, 4, 1)))
    plan = TransitionPlan(ms, (), 142, FIRST_YEAR, GO_LIVE)
    t = milestone_table(plan, {"shadow_running": 95_000.0, "legal": 610_000.0})
    fig = timeline_figure(plan, t)
    # 18 January -> 1 April: 13 (Jan) + 28 + 31 + 1 = 73 days
    assert fig.layout.title.text.replace("<br>", " ") == (
        "Go-live 1 April 2027: 3 milestones, £95,000 of one-off costs (£610,000 not attached to a milestone), "
        "TUPE consultation 73 days ahead")
    lanes = [tr.y[0] for tr in fig.data]
    assert lanes == [MILESTONE_KINDS[k] for k in ("shadow_running", "tupe_consultation", "go_live")]
    hover = " ".join(h for tr in fig.data for h in tr.hovertext)
    assert "shadow_running: £95,000 (nominal)" in hover
    line = fig.layout.shapes[0]
    assert line.type == "line" and str(line.x0).startswith("2027-04-01")


def test_timeline_title_without_consultation():
    plan = TransitionPlan((Milestone("go", "go_live", D(2027, 4, 1)),), (), 50, FIRST_YEAR, GO_LIVE)
    assert timeline_title(plan, milestone_table(plan, {})) == (
        "Go-live 1 April 2027: 1 milestone, £0 of one-off costs, no TUPE consultation planned")
