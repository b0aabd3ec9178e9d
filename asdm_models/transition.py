"""The transition plan (stage 4): milestones, readiness tests, TUPE lead times and a timeline.

An option's ``transition:`` section dates the steps from the decision to go-live (shadow running, TUPE
consultation, employee liability information, the staff, asset and contract transfers) and attaches the
business case's one-off costs and capital items to them, so the plan and the financial case cannot disagree:
a cost sits at a milestone in the financial year the case spends it, the go-live milestone falls in the
option's go-live year, and every item of the case is either at a milestone or shown as not attached.

Parsers take the raw YAML value plus context and return ``(object or None, [DataError])``: every problem is
collected, none is raised. Statutory lead times are *findings* of the plan (:func:`tupe_checks`), not data
errors: a plan that is short of them is still a plan, and the report says it is short.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pandas as pd

from .catalogue import suggest
from .errors import DataError
from .line_data import check_id
from .local_government import collective_consultation_days
from .reference import TupeLeadTimes, default_reference
from .units import fy_label, gbp_full
from .yamlio import YamlDoc

__all__ = [
    "Milestone",
    "ReadinessTest",
    "TransitionPlan",
    "MILESTONE_KINDS",
    "READINESS_STATUSES",
    "TRANSITION_KEYS",
    "MILESTONE_KEYS",
    "READINESS_KEYS",
    "DEFAULT_LEAD_TIMES",
    "lead_times_of",
    "default_lead_times",
    "financial_year_of",
    "parse_transition",
    "tupe_checks",
    "milestone_table",
    "readiness_table",
    "timeline_figure",
    "timeline_title",
]

#: The kinds of milestone and how the tables and the timeline label them.
MILESTONE_KINDS = {
    "decision": "Decision (gate)",
    "shadow_running": "Shadow running",
    "tupe_consultation": "TUPE information and consultation",
    "employee_liability_information": "Employee liability information",
    "staff_transfer": "Staff transfer (TUPE)",
    "asset_transfer": "Asset transfer",
    "contract_transfer": "Contract transfer or novation",
    "go_live": "Go-live",
    "other": "Other",
}

#: Where a readiness test stands.
READINESS_STATUSES = {"done": "Done", "in_progress": "In progress", "not_started": "Not started"}

TRANSITION_KEYS = ("affected_staff", "milestones", "readiness")
MILESTONE_KEYS = ("id", "kind", "date", "description", "owner", "costs")
READINESS_KEYS = ("id", "test", "owner", "status", "due", "evidence")

#: The statutory lead times before a TUPE transfer, as :func:`tupe_checks` takes them. The figures and their sources
#: are reference data (``tupe`` in ``data/reference/local_government.yaml``), read by :func:`lead_times_of`.
_LEAD_TIME_KEYS = ("eli_days", "eli_source", "consultation_days_20_99", "consultation_days_100", "consultation_source")


def lead_times_of(tupe: TupeLeadTimes) -> dict:
    """Reference data's TUPE lead times (``tupe`` in ``local_government.yaml``) in the form :func:`tupe_checks`
    takes: ``eli_days``, ``consultation_days_20_99``, ``consultation_days_100`` and their sources.

    Examples
    --------
    >>> from asdm_models.reference import default_reference
    >>> from asdm_models.transition import lead_times_of
    >>> lt = lead_times_of(default_reference().tupe)
    >>> lt["eli_days"], lt["consultation_days_20_99"], lt["consultation_days_100"]
    (28, 30, 45)
    """
    return {"eli_days": tupe.employee_liability_days, "eli_source": tupe.employee_liability_source,
            "consultation_days_20_99": int(collective_consultation_days(20, tupe)),
            "consultation_days_100": int(collective_consultation_days(100, tupe)),
            "consultation_source": tupe.collective_source}


def default_lead_times() -> dict:
    """The project's TUPE lead times (``data/reference/local_government.yaml``), :func:`tupe_checks`'s default.

    The figures live in the reference data only; ``DEFAULT_LEAD_TIMES`` (a module attribute, read when asked for)
    is this mapping. A new dict each call: the caller may change it.
    """
    return lead_times_of(default_reference().tupe)


def __getattr__(name: str):
    # DEFAULT_LEAD_TIMES is read from the reference data when first asked for, not when the module is imported
    # (importing the package must not need the reference files: `asdm validate` reports a broken one).
    if name == "DEFAULT_LEAD_TIMES":
        return default_lead_times()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Milestone:
    id: str
    kind: str  # a key of MILESTONE_KINDS
    date: dt.date
    description: str = ""
    owner: str | None = None
    costs: tuple = ()  # ids of the option's one-off costs and capital items


@dataclass(frozen=True)
class ReadinessTest:
    id: str
    test: str
    status: str  # a key of READINESS_STATUSES
    owner: str | None = None
    due: dt.date | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class TransitionPlan:
    """An option's validated transition plan. ``first_year`` and ``go_live_year`` are the business case's."""

    milestones: tuple  # Milestone, as written
    readiness: tuple  # ReadinessTest, as written
    affected_staff: int | None
    first_year: int
    go_live_year: int

    @property
    def go_live(self) -> Milestone:
        return next(m for m in self.milestones if m.kind == "go_live")

    def first(self, kind: str) -> Milestone | None:
        """The earliest milestone of ``kind`` (the first written of those on the same date), or None."""
        ms = [m for m in self.milestones if m.kind == kind]
        return min(ms, key=lambda m: m.date) if ms else None

    @property
    def transfer_date(self) -> dt.date:
        """The date staff transfer: the earliest staff_transfer milestone, else go-live."""
        m = self.first("staff_transfer")
        return m.date if m is not None else self.go_live.date


def financial_year_of(date: dt.date) -> int:
    """The starting calendar year of the UK financial year (1 April to 31 March) that holds ``date``.

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import financial_year_of
    >>> financial_year_of(dt.date(2027, 3, 31)), financial_year_of(dt.date(2027, 4, 1))
    (2026, 2027)
    """
    return date.year if date.month >= 4 else date.year - 1


def _long_date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: Any) -> dt.date:
    """A date from YAML (``2027-04-01``, read as a date) or the same text quoted; ValueError says what is valid."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value.isoformat()} is a date and time; give the date only, e.g. 2027-04-01")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as e:
            raise ValueError(f"{value!r} is not a date: {e}") from None
    raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-04-01")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _unknown(doc: YamlDoc, p: tuple, mapping: dict, allowed: tuple, what: str) -> list[DataError]:
    return [doc.error(p + (k,), f"unknown field {k!r} in {what}{suggest(str(k), allowed)}; valid: {', '.join(allowed)}")
            for k in mapping if k not in allowed]


def _row_id(doc: YamlDoc, p: tuple, row: dict, i: int, seen: dict, what: str, errors: list, *,
            rows: str, each: str) -> str | None:
    """Row ``i``'s id, checked (a valid id, not used by an earlier row of the list); None when it is not valid.
    ``rows`` names the rows in the message ("milestones"), ``each`` ends it ("give each milestone its own id")."""
    ident = row.get("id")
    try:
        check_id(ident, f"{what} id")
    except ValueError as e:
        errors.append(doc.error(p + ("id",), f"{what} {i + 1}: {e}"))
        return None
    if ident in seen:
        errors.append(doc.error(p + ("id",), f"{what} id {ident!r} is used twice ({rows} {seen[ident] + 1} and {i + 1}); "
                                             f"{each}"))
    else:
        seen[ident] = i
    return ident


def parse_transition(doc: YamlDoc, path: tuple, raw: Any, *, item_ids: Iterable[str], item_years: Mapping[str, int],
                     go_live_year: int, first_year: int) -> tuple[TransitionPlan | None, list[DataError]]:
    """Validate an option's ``transition:`` section against its business case.

    Parameters
    ----------
    doc : YamlDoc
        The option file (for file and line of every error).
    path : tuple
        Where the section is, e.g. ``("transition",)``.
    raw : mapping or None
        The section as read; None (no section): no plan, no errors.
    item_ids : iterable of str
        The ids of the option's one-off costs and capital items, the only ids a milestone's ``costs`` may name.
    item_years : mapping of str to int
        Year index (0 = the appraisal's first year) in which the case spends each item (a repeated capital item:
        its first year).
    go_live_year : int
        The option's go-live year index at the stage.
    first_year : int
        Calendar year in which year index 0 starts (financial year ``N`` runs 1 April ``N`` to 31 March ``N+1``).

    Returns
    -------
    (TransitionPlan or None, list of DataError)

    Notes
    -----
    Refused: unknown keys, kinds or statuses; ids that are not valid or are used twice; dates not written as
    YYYY-MM-DD; a ``costs`` id that is not one of the option's items, or attached to two milestones (or twice
    to one); a cost attached to a milestone whose financial year is not the year the case spends it; no
    go_live milestone, or more than one, or one outside the option's go-live financial year; a staff_transfer or
    go_live milestone dated before the TUPE consultation starts; an ``affected_staff`` that is not a whole number
    of 0 or more.

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import parse_transition
    >>> from asdm_models.yamlio import YamlDoc
    >>> raw = {"milestones": [{"id": "go_live", "kind": "go_live", "date": dt.date(2028, 4, 1)}]}
    >>> doc = YamlDoc("options/tc.yaml", {"transition": raw}, {("transition",): 90})
    >>> plan, errors = parse_transition(doc, ("transition",), raw, item_ids=[], item_years={}, go_live_year=1,
    ...                                 first_year=2026)
    >>> print(errors[0].message)  # doctest: +NORMALIZE_WHITESPACE
    go_live on 1 April 2028 falls in 2028-29, but the business case has this option go live in 2027-28 (1 April
    2027 to 31 March 2028): the plan and the business case disagree; move the milestone or change go_live_year
    """
    path = tuple(path)
    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        return None, [doc.error(path, f"expected a mapping with {', '.join(TRANSITION_KEYS)}, got "
                                      f"{type(raw).__name__}")]
    errors = _unknown(doc, path, raw, TRANSITION_KEYS, "the transition section")
    ids = list(item_ids)

    staff = raw.get("affected_staff")
    if staff is not None and (isinstance(staff, bool) or not isinstance(staff, int) or staff < 0):
        errors.append(doc.error(path + ("affected_staff",), f"{staff!r} is not a number of staff: give a whole "
                                                            "number, 0 or more (or leave it out to use the FTE)"))

    milestones: list[Milestone] = []
    rows = raw.get("milestones")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        errors.append(doc.error(path + ("milestones",), "expected a list of milestones, each with id, kind and date"))
        rows = []
    seen_ids: dict[str, int] = {}
    attached: dict[str, str] = {}  # item id -> milestone id
    for i, row in enumerate(rows):
        p = path + ("milestones", i)
        if not isinstance(row, dict):
            errors.append(doc.error(p, f"milestone {i + 1}: expected a mapping with id, kind and date"))
            continue
        n_before = len(errors)
        errors += _unknown(doc, p, row, MILESTONE_KEYS, f"milestone {i + 1}")
        mid = _row_id(doc, p, row, i, seen_ids, "milestone", errors, rows="milestones",
                      each="give each milestone its own id")
        name = mid or f"milestone {i + 1}"
        kind = row.get("kind")
        if kind not in MILESTONE_KINDS:
            errors.append(doc.error(p + ("kind",), f"{name}: unknown kind {kind!r}{suggest(str(kind), MILESTONE_KINDS)}; "
                                                   f"valid: {', '.join(MILESTONE_KINDS)}"))
        date = None
        if "date" not in row:
            errors.append(doc.error(p, f"{name}: missing date (YYYY-MM-DD)"))
        else:
            try:
                date = _date(row["date"])
            except ValueError as e:
                errors.append(doc.error(p + ("date",), f"{name}: {e}"))
        texts = {}
        for key in ("description", "owner"):
            v = row.get(key)
            if v is not None and _text(v) is None:
                errors.append(doc.error(p + (key,), f"{name}: expected text, got {v!r}"))
            texts[key] = _text(v)
        costs = row.get("costs")
        if costs is None:
            costs = []
        if not isinstance(costs, list):
            errors.append(doc.error(p + ("costs",), f"{name}: expected a list of the ids of one-off costs or capital "
                                                    f"items, e.g. [legal_and_governance]; valid: {', '.join(ids) or 'none'}"))
            costs = []
        for j, cid in enumerate(costs):
            pc = p + ("costs", j)
            if not isinstance(cid, str) or cid not in ids:
                errors.append(doc.error(pc, f"{name}: {cid!r} is not one of the option's one-off costs or capital items"
                                            f"{suggest(str(cid), ids)}; valid: {', '.join(ids) or 'none (the option states none)'}"))
                continue
            if cid in attached:
                other = attached[cid]
                where = "this milestone twice" if other == name else f"both {other} and {name}"
                errors.append(doc.error(pc, f"{cid} is attached to {where}; a cost belongs to one milestone, or the "
                                            "plan would count it twice"))
                continue
            attached[cid] = name
            if date is not None and cid in item_years:
                y = int(item_years[cid])
                fy = financial_year_of(date)
                if fy - first_year != y:
                    errors.append(doc.error(pc, f"{cid} is spent in {fy_label(first_year + y)} in the business case, "
                                                f"but {name} on {_long_date(date)} falls in {fy_label(fy)}: the plan "
                                                "cannot disagree with the case; move the milestone or the cost's year"))
        if len(errors) == n_before:
            milestones.append(Milestone(mid, kind, date, texts["description"] or "", texts["owner"],
                                        tuple(str(c) for c in costs)))

    # go-live: exactly one, in the case's go-live year
    go_rows = [(i, r) for i, r in enumerate(rows) if isinstance(r, dict) and r.get("kind") == "go_live"]
    fy_go = first_year + int(go_live_year)
    window = f"{fy_label(fy_go)} ({_long_date(dt.date(fy_go, 4, 1))} to {_long_date(dt.date(fy_go + 1, 3, 31))})"
    if not go_rows and isinstance(raw.get("milestones"), (list, type(None))):
        errors.append(doc.error(path + ("milestones",), f"no go_live milestone: add one dated in the option's go-live "
                                                        f"year, {window}"))
    elif len(go_rows) > 1:
        names = ", ".join(str(r.get("id") or f"milestone {i + 1}") for i, r in go_rows)
        errors.append(doc.error(path + ("milestones", go_rows[1][0]), f"{len(go_rows)} go_live milestones ({names}); "
                                                                      "a plan has exactly one"))
    else:
        i, r = go_rows[0]
        try:
            d = _date(r.get("date"))
        except ValueError:
            d = None  # reported above
        if d is not None and financial_year_of(d) != fy_go:
            errors.append(doc.error(path + ("milestones", i, "date"),
                                    f"{r.get('id') or 'go_live'} on {_long_date(d)} falls in "
                                    f"{fy_label(financial_year_of(d))}, but the business case has this option go "
                                    f"live in {window}: the plan and the business case disagree; move the milestone "
                                    "or change go_live_year"))

    # order: no transfer or go-live before the TUPE consultation starts
    consult = [m.date for m in milestones if m.kind == "tupe_consultation"]
    if consult:
        start = min(consult)
        for i, r in enumerate(rows):
            if not (isinstance(r, dict) and r.get("kind") in ("staff_transfer", "go_live")):
                continue
            try:
                d = _date(r.get("date"))
            except ValueError:
                continue
            if d < start:
                errors.append(doc.error(path + ("milestones", i, "date"),
                                        f"{r.get('id') or f'milestone {i + 1}'} ({r['kind']}) on {_long_date(d)} is "
                                        f"before the TUPE consultation starts ({_long_date(start)}); staff cannot "
                                        "transfer before they are informed and consulted"))

    readiness: list[ReadinessTest] = []
    rows = raw.get("readiness")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        errors.append(doc.error(path + ("readiness",), "expected a list of readiness tests, each with id, test and "
                                                       "status"))
        rows = []
    seen_tests: dict[str, int] = {}
    for i, row in enumerate(rows):
        p = path + ("readiness", i)
        if not isinstance(row, dict):
            errors.append(doc.error(p, f"readiness test {i + 1}: expected a mapping with id, test and status"))
            continue
        n_before = len(errors)
        errors += _unknown(doc, p, row, READINESS_KEYS, f"readiness test {i + 1}")
        rid = _row_id(doc, p, row, i, seen_tests, "readiness test", errors, rows="tests", each="give each its own id")
        name = rid or f"readiness test {i + 1}"
        test = _text(row.get("test"))
        if test is None:
            errors.append(doc.error(p + ("test",), f"{name}: missing or empty: state the test as text"))
        status = row.get("status")
        if status not in READINESS_STATUSES:
            errors.append(doc.error(p + ("status",), f"{name}: unknown status {status!r}"
                                                     f"{suggest(str(status), READINESS_STATUSES)}; valid: "
                                                     f"{', '.join(READINESS_STATUSES)}"))
        due = None
        if row.get("due") is not None:
            try:
                due = _date(row["due"])
            except ValueError as e:
                errors.append(doc.error(p + ("due",), f"{name}: {e}"))
        texts = {}
        for key in ("owner", "evidence"):
            v = row.get(key)
            if v is not None and _text(v) is None:
                errors.append(doc.error(p + (key,), f"{name}: expected text, got {v!r}"))
            texts[key] = _text(v)
        if len(errors) == n_before:
            readiness.append(ReadinessTest(rid, test, status, texts["owner"], due, texts["evidence"]))

    if errors:
        return None, errors
    return TransitionPlan(tuple(milestones), tuple(readiness), staff, int(first_year), int(go_live_year)), []


# ----------------------------------------------------------------------------------------------
# Findings and tables
# ----------------------------------------------------------------------------------------------

def _status(planned: int | None, required: int | None) -> str:
    if planned is None:
        return "not planned"
    if required is None:
        return "met" if planned > 0 else "not met"
    return "met" if planned >= required else "not met"


def tupe_checks(plan: TransitionPlan, affected_staff: int | None = None,
                lead_times: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The plan's statutory TUPE lead times: met, not met or not planned.

    Parameters
    ----------
    plan : TransitionPlan
    affected_staff : int, optional
        Staff who transfer; default the plan's ``affected_staff``. Unknown (both None): the 100-or-more lead time
        is applied, the prudent choice, and the row says so. 0: no transfer, every row "not applicable".
    lead_times : mapping, optional
        ``eli_days``, ``consultation_days_20_99``, ``consultation_days_100`` (days) and ``eli_source``,
        ``consultation_source`` (text), loaded by the caller from reference data (:func:`lead_times_of`); default
        the project's reference data (:func:`default_lead_times`). A figure or source left out falls back to the
        default's.

    Returns
    -------
    DataFrame
        One row per check; columns ``check, required_days, planned_days, status, source``. ``planned_days`` is
        the transfer date (the earliest staff_transfer milestone, else go-live) minus the earliest milestone of
        the kind; ``status`` is "met" (planned >= required), "not met", "not planned" (no such milestone) or "not
        applicable" (no staff transfer). With fewer than 20 staff no minimum is fixed (``required_days`` empty):
        consultation must simply start before the transfer.

    Notes
    -----
    ``planned_days = (transfer date - milestone date).days``; ``met = planned_days >= required_days``, with
    ``required_days`` the lead time of the staff band (100 or more, 20-99; TULRCA 1992 s188(1A)) and of employee
    liability information (TUPE 2006 reg 11(6)): in the project's reference data 45, 30 and 28 days.

    References
    ----------
    Transfer of Undertakings (Protection of Employment) Regulations 2006 (SI 2006/246), regs 11(6) and 13(2), as
    amended by SI 2014/16; Trade Union and Labour Relations (Consolidation) Act 1992, s188(1A).

    Examples
    --------
    ELI 28 days before a 1 April transfer (4 March) meets the rule; 27 days (5 March) does not:

    >>> import datetime as dt
    >>> from asdm_models.transition import Milestone, TransitionPlan, tupe_checks
    >>> ms = (Milestone("eli", "employee_liability_information", dt.date(2027, 3, 4)),
    ...       Milestone("go", "go_live", dt.date(2027, 4, 1)))
    >>> t = tupe_checks(TransitionPlan(ms, (), 142, 2026, 1))
    >>> t[["required_days", "planned_days", "status"]].values.tolist()
    [[28, 28, 'met'], [45, <NA>, 'not planned']]
    """
    lt = dict(lead_times or {})
    if not (set(_LEAD_TIME_KEYS) <= set(lt) and lt["eli_source"] and lt["consultation_source"]):
        defaults = default_lead_times()  # read only when needed: the caller's reference data may be all there is
        lt = {**defaults, **lt}
        for key in ("eli_source", "consultation_source"):
            lt[key] = lt[key] or defaults[key]
    staff = plan.affected_staff if affected_staff is None else affected_staff
    transfer = plan.transfer_date

    def days(kind: str) -> int | None:
        m = plan.first(kind)
        return (transfer - m.date).days if m is not None else None

    rows = []
    if staff is None or staff >= 100:
        need, band = int(lt["consultation_days_100"]), "100 or more staff"
        if staff is None:
            band = "staff number not stated: the 100-or-more lead time applied"
    elif staff >= 20:
        need, band = int(lt["consultation_days_20_99"]), "20 to 99 staff"
    else:
        need, band = None, "fewer than 20 staff: no fixed minimum, before the transfer"
    checks = [
        (f"Employee liability information to the new employer, at least {int(lt['eli_days'])} days before the "
         f"transfer on {_long_date(transfer)}", int(lt["eli_days"]), days("employee_liability_information"),
         lt["eli_source"]),
        (f"Information and consultation with staff representatives before the transfer ({band})", need,
         days("tupe_consultation"), lt["consultation_source"]),
    ]
    for check, required, planned, source in checks:
        status = "not applicable" if staff == 0 else _status(planned, required)
        rows.append({"check": check, "required_days": required, "planned_days": planned, "status": status,
                     "source": source})
    df = pd.DataFrame(rows, columns=["check", "required_days", "planned_days", "status", "source"])
    return df.astype({"required_days": "Int64", "planned_days": "Int64"})


NOT_ATTACHED = "not attached to a milestone"


def milestone_table(plan: TransitionPlan, item_amounts_nominal_gbp: Mapping[str, float]) -> pd.DataFrame:
    """The milestones by date with the costs of the case attached to each, adding up to the case's total.

    Parameters
    ----------
    plan : TransitionPlan
    item_amounts_nominal_gbp : mapping of str to float
        Every one-off cost and capital item of the case at the stage (id -> nominal GBP, the figures the financial
        case uses). Every id the plan attaches must be in it.

    Returns
    -------
    DataFrame
        One row per milestone in date order (ties as written), then a final row "not attached to a milestone"
        with the items no milestone names (0 when there are none). Columns ``date, financial_year, id,
        milestone, kind, owner, costs`` (ids, comma-separated), ``costs_nominal_gbp``. The column's total equals
        the sum of ``item_amounts_nominal_gbp``.

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import Milestone, TransitionPlan, milestone_table
    >>> ms = (Milestone("go", "go_live", dt.date(2027, 4, 1)),
    ...       Milestone("shadow", "shadow_running", dt.date(2027, 1, 4), costs=("shadow_running", "project_team")))
    >>> t = milestone_table(TransitionPlan(ms, (), 142, 2026, 1),
    ...                     {"shadow_running": 95_000.0, "project_team": 210_000.0, "it_systems": 260_000.0})
    >>> t[["id", "financial_year", "costs_nominal_gbp"]].values.tolist()
    [['shadow', '2026-27', 305000.0], ['go', '2027-28', 0.0], ['', '', 260000.0]]
    >>> float(t["costs_nominal_gbp"].sum())                     # 95,000 + 210,000 + 260,000
    565000.0
    """
    amounts = {str(k): float(v) for k, v in item_amounts_nominal_gbp.items()}
    missing = [c for m in plan.milestones for c in m.costs if c not in amounts]
    if missing:
        raise ValueError(f"the plan attaches {', '.join(missing)}, which item_amounts_nominal_gbp does not include; "
                         f"pass every one-off cost and capital item of the case (given: {', '.join(amounts) or 'none'})")
    order = sorted(range(len(plan.milestones)), key=lambda i: (plan.milestones[i].date, i))
    rows = []
    for i in order:
        m = plan.milestones[i]
        rows.append({"date": m.date, "financial_year": fy_label(financial_year_of(m.date)), "id": m.id,
                     "milestone": m.description or m.id, "kind": MILESTONE_KINDS[m.kind], "owner": m.owner or "",
                     "costs": ", ".join(m.costs), "costs_nominal_gbp": float(sum(amounts[c] for c in m.costs))})
    named = {c for m in plan.milestones for c in m.costs}
    left = [c for c in amounts if c not in named]
    rows.append({"date": None, "financial_year": "", "id": "", "milestone": NOT_ATTACHED, "kind": "", "owner": "",
                 "costs": ", ".join(left), "costs_nominal_gbp": float(sum(amounts[c] for c in left))})
    return pd.DataFrame(rows, columns=["date", "financial_year", "id", "milestone", "kind", "owner", "costs",
                                       "costs_nominal_gbp"])


def readiness_table(plan: TransitionPlan, today: dt.date | None = None) -> pd.DataFrame:
    """The readiness tests with an overdue flag.

    Parameters
    ----------
    plan : TransitionPlan
    today : datetime.date, optional
        The date the report is run (injected so a report is reproducible); default ``datetime.date.today()``.

    Returns
    -------
    DataFrame
        Columns ``id, test, owner, status`` (label), ``due, evidence, overdue``; ``overdue`` is True when the test
        is not done and its due date is before ``today`` (due today is not yet overdue).

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import ReadinessTest, TransitionPlan, readiness_table
    >>> tests = (ReadinessTest("sla", "SLAs signed", "not_started", due=dt.date(2027, 3, 1)),
    ...          ReadinessTest("vat", "VAT registered", "done", due=dt.date(2026, 12, 15)))
    >>> readiness_table(TransitionPlan((), tests, None, 2026, 1), today=dt.date(2027, 3, 2))["overdue"].tolist()
    [True, False]
    """
    today = dt.date.today() if today is None else today
    rows = [{"id": r.id, "test": r.test, "owner": r.owner or "", "status": READINESS_STATUSES[r.status],
             "due": r.due, "evidence": r.evidence or "",
             "overdue": bool(r.status != "done" and r.due is not None and r.due < today)}
            for r in plan.readiness]
    return pd.DataFrame(rows, columns=["id", "test", "owner", "status", "due", "evidence", "overdue"])


def timeline_title(plan: TransitionPlan, table: pd.DataFrame) -> str:
    """The finding the timeline shows, e.g. "Go-live 1 April 2027: 10 milestones, £705,000 of one-off costs, TUPE
    consultation 80 days ahead" (costs: those at milestones; items not attached are named separately).

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import Milestone, TransitionPlan, milestone_table, timeline_title
    >>> ms = (Milestone("c", "tupe_consultation", dt.date(2027, 1, 18)), Milestone("g", "go_live", dt.date(2027, 4, 1)))
    >>> plan = TransitionPlan(ms, (), 142, 2026, 1)
    >>> timeline_title(plan, milestone_table(plan, {}))
    'Go-live 1 April 2027: 2 milestones, £0 of one-off costs, TUPE consultation 73 days ahead'
    """
    at = table[table["milestone"] != NOT_ATTACHED]["costs_nominal_gbp"].sum()
    left = table[table["milestone"] == NOT_ATTACHED]["costs_nominal_gbp"].sum()
    n = len(plan.milestones)
    text = (f"Go-live {_long_date(plan.go_live.date)}: {n} milestone{'s' if n != 1 else ''}, "
            f"{gbp_full(abs(float(at)))} of one-off costs")
    if left:
        text += f" ({gbp_full(abs(float(left)))} not attached to a milestone)"
    consult = plan.first("tupe_consultation")
    if consult is not None:
        text += f", TUPE consultation {(plan.transfer_date - consult.date).days} days ahead"
    elif plan.affected_staff != 0:
        text += ", no TUPE consultation planned"
    return text


def timeline_figure(plan: TransitionPlan, table: pd.DataFrame):
    """The milestones on a date axis, one lane per kind, costs in the hover, a line at go-live.

    Parameters
    ----------
    plan : TransitionPlan
    table : DataFrame
        :func:`milestone_table` of the plan (the costs shown are the same figures).

    Returns
    -------
    plotly.graph_objects.Figure
        Titled with :func:`timeline_title`. Show it with :data:`asdm_models.charts.PLOTLY_CONFIG` (no Plotly logo,
        no share button).

    Examples
    --------
    >>> import datetime as dt
    >>> from asdm_models.transition import Milestone, TransitionPlan, milestone_table, timeline_figure
    >>> plan = TransitionPlan((Milestone("g", "go_live", dt.date(2027, 4, 1), "The company runs the service"),),
    ...                       (), 0, 2026, 1)
    >>> fig = timeline_figure(plan, milestone_table(plan, {}))
    >>> fig.layout.title.text, fig.data[0].y
    ('Go-live 1 April 2027: 1 milestone, £0 of one-off costs', ('Go-live',))
    """
    import plotly.graph_objects as go

    from .charts import OPTION_COLOUR, TARGET, style

    rows = table[table["milestone"] != NOT_ATTACHED]
    lanes = [label for kind, label in MILESTONE_KINDS.items() if (rows["kind"] == label).any()]
    fig = go.Figure()
    for label in lanes:
        part = rows[rows["kind"] == label]
        hover = [f"<b>{r.milestone}</b><br>{_long_date(r.date)} ({r.financial_year})"
                 + (f"<br>Owner: {r.owner}" if r.owner else "")
                 + (f"<br>Costs: {r.costs}: {gbp_full(r.costs_nominal_gbp)} (nominal)" if r.costs else "")
                 for r in part.itertuples()]
        short = [(r.milestone if len(r.milestone) <= 30 else r.milestone[:29].rstrip() + "…")
                 + (f"<br>{gbp_full(r.costs_nominal_gbp)}" if r.costs else "") for r in part.itertuples()]
        fig.add_trace(go.Scatter(
            x=[pd.Timestamp(d) for d in part["date"]], y=[label] * len(part), mode="markers+text", name=label,
            text=short, textposition="top center", textfont={"size": 11},
            marker={"size": [14 if c else 10 for c in part["costs"]], "color": OPTION_COLOUR,
                    "symbol": ["diamond" if label == MILESTONE_KINDS["go_live"] else "circle"] * len(part)},
            hovertext=hover, hoverinfo="text", showlegend=False, cliponaxis=False))
    go_live = pd.Timestamp(plan.go_live.date)
    fig.add_shape(type="line", x0=go_live, x1=go_live, y0=0, y1=1, xref="x", yref="paper",
                  line={"color": TARGET, "dash": "dash", "width": 1.5})
    fig.add_annotation(x=go_live, y=1, xref="x", yref="paper", text="Go-live", showarrow=False, yanchor="bottom",
                       font={"size": 12})
    style(fig, timeline_title(plan, table), height=140 + 55 * max(len(lanes), 1), money_axis="")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(lanes)), title=None)
    dates = [pd.Timestamp(d) for d in rows["date"]] or [go_live]
    span = max(max(dates) - min(dates), pd.Timedelta(days=30))
    fig.update_xaxes(type="date", title=None, tickformat="%b %Y",
                     range=[min(dates) - 0.12 * span, max(dates) + 0.12 * span])  # room for the labels
    return fig
