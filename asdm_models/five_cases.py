"""The commercial and management cases of an option report, and where the appraisal stands in its five stages.

HM Treasury's business-case guidance has five cases, in this order: strategic, economic, commercial, financial and
management. The economic and financial figures come from :func:`~asdm_models.business_case.business_case`; this
module gathers what the other two cases show, from the option's data (its ``commercial:`` section, pension
arrangement, ``transition:`` plan), the appraisal's management arrangements and decision log, and the tests of
:mod:`~asdm_models.case_tests`, so the report notebook only displays them.

References
----------
HM Treasury (2018), *Guide to developing the project business case* (the five case model): the commercial case
(procurement route, risk allocation, payment mechanism, contract, personnel implications) and the management case
(governance, project plan and milestones, benefits realisation, risk management, assurance, post-implementation
review).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import pandas as pd

from .case_tests import CaseTests, subsidy_sentence, teckal_sentence
from .commercial import commercial_summary, payment_mechanism_sentence, risk_allocation_table
from .decisions import journey_markdown, journey_table
from .transition import lead_times_of, milestone_table, readiness_table, timeline_figure, timeline_title, tupe_checks

__all__ = ["CommercialCase", "ManagementCase", "commercial_case", "management_case", "journey", "as_of_date",
           "stage_drivers", "item_amounts_nominal"]


def stage_drivers(result) -> dict:
    """The option's drivers at the report's stage (FBC changes applied), as ``name -> Assumption``."""
    opt = result.inputs.option
    drivers = dict(opt.drivers)
    if result.stage == "fbc":
        drivers.update({k: v for k, v in opt.fbc_changes.items() if "." not in k})
    return drivers


def item_amounts_nominal(result) -> dict:
    """Each one-off and capital item of the option at the report's stage, nominal in the year the case spends it
    (the same values the financial case uses, before optimism bias)."""
    v = result.inputs.values
    g = v["gdp_deflator"]
    out = {}
    for lst, items in (("one_off_costs", result.inputs.option.one_off_costs), ("capital", result.inputs.option.capital)):
        for it in items:
            year = int(v.get(f"{lst}.{it.id}.year", it.year))
            out[it.id] = float(v.get(f"{lst}.{it.id}.amount_gbp", it.amount_gbp)) * (1.0 + g) ** year
    return out


def as_of_date(appraisal) -> _dt.date | None:
    """The date a report's checklist is read at: the date of the last decision taken (so a re-run gives the same
    report, whatever day it runs), or None without one."""
    log = appraisal.decisions
    dates = [d.date for d in (log.decisions if log is not None else ()) if d.date is not None and d.taken]
    return max(dates) if dates else None


def journey(appraisal) -> tuple[str, pd.DataFrame]:
    """Where the appraisal stands: a paragraph and the table of the five stages and their gates. A decision log
    that could not be read (kept as ``decisions_errors`` by a partial load) is said so, never shown as no decisions."""
    if appraisal.decisions_errors:
        n = len(appraisal.decisions_errors)
        text = (f"The decision log (decisions.yaml) has {n} problem{'s' if n != 1 else ''}, so the decisions so far "
                f"cannot be shown; `asdm validate` lists them. The first: {appraisal.decisions_errors[0]}")
        return text, journey_table(None, appraisal.id).assign(status="unknown")
    return journey_markdown(appraisal.decisions), journey_table(appraisal.decisions, appraisal.id)


@dataclass
class CommercialCase:
    summary: pd.DataFrame  # field / value
    risk_allocation: pd.DataFrame
    payment: str
    pensions: str | None
    teckal: str | None
    subsidy: str | None
    tests: CaseTests


def _tupe_pensions(result, tests: CaseTests) -> str:
    opt = result.inputs.option
    if not opt.has_provider:
        return "No staff transfer: the council remains the employer. " + (tests.pension_text or "")
    plan = opt.transition
    staff = plan.affected_staff if plan is not None and plan.affected_staff is not None else None
    who = f"{staff:,} staff" if staff is not None else "The service's staff"
    return (f"{who} transfer under TUPE (Transfer of Undertakings (Protection of Employment) Regulations 2006) on "
            "their existing terms. " + (tests.pension_text or ""))


def commercial_case(appraisal, result, tests: CaseTests) -> CommercialCase:
    """The commercial case of one option at one stage."""
    opt = result.inputs.option
    drivers = stage_drivers(result)
    go_live = int(result.inputs.values["go_live_year"])
    routes = appraisal.procurement_routes
    pensions = _tupe_pensions(result, tests)
    summary = commercial_summary(opt, opt.commercial, routes, stage_drivers=drivers, first_year=appraisal.first_year,
                                 go_live_year=go_live, tupe_pensions=pensions)
    return CommercialCase(summary, risk_allocation_table(opt, opt.commercial, stage_drivers=drivers),
                          payment_mechanism_sentence(opt, drivers, first_year=appraisal.first_year, go_live_year=go_live),
                          pensions, teckal_sentence(tests), subsidy_sentence(tests, opt), tests)


@dataclass
class ManagementCase:
    journey_text: str
    journey: pd.DataFrame
    arrangements: pd.DataFrame  # aspect / how
    milestones: pd.DataFrame | None
    tupe: pd.DataFrame | None
    readiness: pd.DataFrame | None
    timeline_title: str | None
    as_of: _dt.date | None
    benefits: pd.DataFrame  # objective / measure / owner

    def timeline_figure(self, result):
        plan = result.inputs.option.transition
        return None if plan is None else timeline_figure(plan, self.milestones)


_ARRANGEMENTS = (("governance", "Governance and decisions"), ("risk_management", "Risk management"),
                 ("assurance", "Assurance"), ("post_implementation_review", "Post-implementation review"))


def _lead_times(appraisal) -> dict | None:
    """The reference data's TUPE lead times in the form :func:`~asdm_models.transition.tupe_checks` takes."""
    t = appraisal.reference.tupe
    return None if t is None else lead_times_of(t)


def management_case(appraisal, result) -> ManagementCase:
    """The management case of one option at one stage."""
    opt = result.inputs.option
    text, table = journey(appraisal)
    m = opt.management or appraisal.management
    rows = [{"aspect": label, "arrangement": getattr(m, key) or getattr(appraisal.management, key) or "not stated"}
            for key, label in _ARRANGEMENTS]
    plan = opt.transition
    milestones = tupe = ready = title = None
    as_of = as_of_date(appraisal)
    if plan is not None:
        milestones = milestone_table(plan, item_amounts_nominal(result))
        tupe = tupe_checks(plan, lead_times=_lead_times(appraisal))
        ready = readiness_table(plan, today=as_of) if as_of is not None else readiness_table(plan)
        if as_of is None:
            ready = ready.assign(overdue=False)
        title = timeline_title(plan, milestones)
    owner = m.benefits_owner or appraisal.management.benefits_owner or "not stated"
    measures = {}
    if appraisal.actuals is not None:
        measures = {o.objective: o.measure for o in appraisal.actuals.objectives}
    benefits = pd.DataFrame([{"objective": o, "measure": measures.get(i, "to be set before launch"), "owner": owner}
                             for i, o in enumerate(appraisal.strategic_objectives, 1)])
    return ManagementCase(text, table, pd.DataFrame(rows), milestones, tupe, ready, title, as_of, benefits)
