"""``appraise()``: one option at one stage, against no change, with every table behind the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from .adjustments import optimism_bias_uplift
from .assumptions import STAGES, Appraisal, Option, resolve_path
from .cashflows import (KIND_REASON, PARTIES, Evaluation, ItemSpec, LineShape, LineSpec, ModelSpec, RiskSpec, TaxSpec,
                        evaluate)
from .discounting import discount_factors, npv, to_nominal
from .catalogue import DRIVERS, ECONOMY_DRIVERS, ITEM_FIELDS
from .errors import ScenarioError
from .metrics import benefit_cost_ratio, irr, payback_index
from .units import fy_label
from .viability import breakeven_index, cash_balance, peak_funding

__all__ = ["OptionInputs", "OptionAppraisal", "build_inputs", "appraise", "appraise_all", "HEADLINE_COLUMNS",
           "propagate_inherited"]

_SERVICE_DRIVERS = tuple(n for n in DRIVERS if n not in ECONOMY_DRIVERS)


@dataclass(frozen=True)
class OptionInputs:
    """Everything the model needs for one option at one stage: structure, values, uncertainty."""

    appraisal: Appraisal
    option: Option
    stage: str
    scenario: str
    spec: ModelSpec
    values: dict  # path -> float
    inherited: tuple  # (path, source path): values that follow another (an option driver the current service's)
    distributions: dict  # path -> Distribution (those not fixed by a scenario or override)
    factors: np.ndarray  # discount factors
    ob_by_category: dict  # category -> uplift at this stage


def propagate_inherited(values: dict, inherited) -> dict:
    """Set each value that follows another (after changes or draws): ``inherited`` holds ``(path, source)`` pairs."""
    for target, source in inherited:
        values[target] = values[source]
    return values


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ScenarioError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")


def _validate_override(key: str, value, option: Option, period: int, current_lines=None) -> float:
    try:
        d = resolve_path(key, option, current_lines)
    except KeyError as e:
        raise ScenarioError(e.args[0]) from None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise ScenarioError(f"{key}: expected a finite number in model units, got {value!r}")
    x = float(value)
    if d.unit == "year" and not (0 <= x <= period - 1 and float(x).is_integer()):
        raise ScenarioError(f"{key}: {x:g} is not a year index of the appraisal period (0 to {period - 1})")
    if d.minimum is not None and x < d.minimum:
        raise ScenarioError(f"{key}: {x:g} is below the smallest valid value {d.minimum:g}")
    if d.maximum is not None and x > d.maximum:
        raise ScenarioError(f"{key}: {x:g} is above the largest valid value {d.maximum:g}")
    return x


def _line_shape(line, has_provider: bool, ob: dict, ref) -> LineShape:
    cat = line.optimism_bias_category
    start_offset = line.start[1] if line.start[0] == "go_live" else None
    end_offset = line.end[1] if line.end is not None and line.end[0] == "go_live" else None
    return LineShape(line.sign, line.per, line.index, start_offset, line.end is not None, line.borne_by,
                     line.counterparty, line.kind, line.accounts, ob.get(cat, 0.0) if cat else 0.0,
                     ref.optimism_bias[cat].upper if cat in ref.optimism_bias else 0.0, end_offset)


def _entity_tax(appraisal: Appraisal, opt: Option, stated: set) -> TaxSpec | None:
    """Corporation tax of a new entity: the flat-rate override when stated, else UK corporation tax for a company
    (trading company, joint venture) and none for a social enterprise (charitable exemption)."""
    if not opt.is_new_entity:
        return None
    ref = appraisal.reference
    rules = getattr(ref, "corporation_tax", None)
    allowances = tuple(sorted(getattr(ref, "capital_allowances", {}).items()))
    if "corporation_tax_rate" in stated or "corporation_tax_rate" in appraisal.current_service:
        regime = "flat"
    else:
        regime = "exempt" if opt.model == "social_enterprise" else "uk"
    return TaxSpec(regime, rules, allowances)


def build_inputs(appraisal: Appraisal, option: "str | Option", stage: str = "obc", scenario: str | None = None,
                 overrides: Mapping[str, float] | None = None) -> OptionInputs:
    """Resolve an option's driver values at a stage, with a scenario and overrides applied.

    Order: current service and economy; the option's OBC drivers, lines and items; at FBC the option's
    ``fbc.changes``; the scenario's changes (``all`` then the option's); then ``overrides``. Option
    drivers (and fields of restated lines) the option never states follow the current service.
    """
    _check_stage(stage)
    opt = appraisal.option(option)
    T = appraisal.period_years
    v: dict[str, float] = {}
    follows: list[tuple[str, str]] = []
    for n in ECONOMY_DRIVERS:
        a = appraisal.economy.get(n)
        if a is not None:
            v[n] = a.value
        else:  # an economy driver that follows another (CPI follows price inflation unless stated)
            v[n] = appraisal.economy[DRIVERS[n].follows].value
            follows.append((n, DRIVERS[n].follows))
    for n in _SERVICE_DRIVERS:
        cs = appraisal.current_service.get(n)
        v[f"current_service.{n}"] = cs.value if cs is not None else float(DRIVERS[n].default or 0.0)
    for ln in appraisal.lines.values():
        for f, x in ln.values.items():
            v[f"current_service.lines.{ln.id}.{f}"] = float(x)
    stated = set(opt.drivers)
    for n, a in opt.drivers.items():
        v[n] = a.value
    stated_lines: set[str] = set()  # line paths the option states (the rest of a current line's follow it)
    for ln in opt.lines.values():
        own = ln.id in opt.own_lines
        for f, x in ln.values.items():
            path = f"lines.{ln.id}.{f}"
            v[path] = float(x)
            if ln.id not in appraisal.lines or (own and (f in ln.stated or (f == "from_year" and "year" in ln.stated))):
                stated_lines.add(path)
    for lst in ITEM_FIELDS:
        for it in getattr(opt, lst):
            for f in ITEM_FIELDS[lst]:
                v[f"{lst}.{it.id}.{f}"] = float(getattr(it, f))

    def note_stated(k: str) -> None:
        if k in DRIVERS and k not in ECONOMY_DRIVERS:
            stated.add(k)
        elif k.startswith("lines."):
            stated_lines.add(k)
        elif k in ECONOMY_DRIVERS:
            follows[:] = [(t_, s_) for t_, s_ in follows if t_ != k]

    if stage == "fbc":
        for k, a in opt.fbc_changes.items():
            v[k] = a.value
            note_stated(k)
    fixed: set[str] = set()
    scen_id = "base"
    if scenario not in (None, "base"):
        if scenario not in appraisal.scenarios:
            from .catalogue import suggest

            raise ScenarioError(f"unknown scenario {scenario!r}{suggest(str(scenario), appraisal.scenarios)}; "
                                f"scenarios of {appraisal.id}: base, {', '.join(appraisal.scenarios) or '(none)'}")
        sc = appraisal.scenarios[scenario]
        scen_id = sc.id
        for target in ("all", opt.id):
            for k, x in sc.changes.get(target, {}).items():
                if target != "all" and k not in v and (k.split(".")[0] in ITEM_FIELDS or k.startswith("lines.")):
                    continue  # an item this option does not have (validated per option on load)
                v[k] = x
                fixed.add(k)
                note_stated(k)
    for k, x in (overrides or {}).items():
        v[k] = _validate_override(k, x, opt, T, appraisal.lines)
        fixed.add(k)
        note_stated(k)
    inherited = tuple(follows + [(n, f"current_service.{n}") for n in _SERVICE_DRIVERS if n not in stated]
                      + [(p, "current_service." + p) for ln in opt.lines.values() if ln.id in appraisal.lines
                         for f in ln.values if (p := f"lines.{ln.id}.{f}") not in stated_lines
                         and "current_service." + p in v])
    propagate_inherited(v, inherited)

    has_provider = opt.has_provider
    stage_settings = appraisal.stages[stage]
    ref = appraisal.reference
    ob = {}
    for cat, c in ref.optimism_bias.items():
        ob[cat] = stage_settings.optimism_bias_override.get(
            cat, optimism_bias_uplift(c.upper, c.lower, stage_settings.optimism_bias_mitigation))
    party = lambda b: b if has_provider else "council"  # noqa: E731  (no provider: the council bears it)
    upper = lambda cat: ref.optimism_bias[cat].upper if cat in ref.optimism_bias else 0.0  # noqa: E731
    items = tuple(
        [ItemSpec(it.id, "one_off", party(it.borne_by), ob.get(it.optimism_bias_category, 0.0), None,
                  upper(it.optimism_bias_category)) for it in opt.one_off_costs]
        + [ItemSpec(it.id, "capital", party(it.borne_by), ob.get(it.optimism_bias_category, 0.0), it.repeat_every_years,
                    upper(it.optimism_bias_category), party(it.paid_to) if it.paid_to else None,
                    it.capital_allowance or "none") for it in opt.capital])
    items = tuple(it for it in items if not (it.paid_to and it.paid_to == it.borne_by))  # in house: no transfer
    risks = tuple(RiskSpec(r.id, party(r.borne_by), r.from_year, r.to_year) for r in opt.risks)

    # Attributes of built-in lines set by the data (optimism-bias category, indexation), per version.
    uplifts, indices = [], []
    for driver in _SERVICE_DRIVERS:
        cur = appraisal.current_service.get(driver)
        own = (opt.fbc_changes.get(driver) if stage == "fbc" else None) or opt.drivers.get(driver)
        for version, a in (("current", cur), ("option", own if driver in stated and own is not None else cur)):
            if a is None:
                continue
            if a.optimism_bias_category:
                uplifts.append((driver, version, ob.get(a.optimism_bias_category, 0.0), upper(a.optimism_bias_category)))
            if a.index is not None:
                indices.append((driver, version, a.index))
    lines = tuple(LineSpec(ln.id, ln.label,
                           _line_shape(appraisal.lines[ln.id], has_provider, ob, ref) if ln.id in appraisal.lines else None,
                           _line_shape(ln, has_provider, ob, ref))
                  for ln in opt.lines.values())
    spec = ModelSpec(T, opt.delivery, items, risks, stage_settings.benefits_shortfall, lines, tuple(uplifts),
                     tuple(indices), _entity_tax(appraisal, opt, stated))

    dists = dict(appraisal.uncertain)
    dists.update(opt.uncertain)
    if stage == "fbc":
        dists.update(opt.fbc_uncertain)
    # A driver fixed by a scenario or override is no longer uncertain; an option driver that follows the
    # current service takes the current service's draw (propagate_inherited), so it has no distribution of its own.
    followers = {t_ for t_, _s in inherited}
    dists = {k: d for k, d in dists.items() if k not in fixed and not (k in followers and k in opt.uncertain)}
    if appraisal.discount_schedule == "flat":
        factors = discount_factors(T, appraisal.discount_flat_rate, reference=ref)
    else:
        factors = discount_factors(T, appraisal.discount_schedule, reference=ref)
    return OptionInputs(appraisal, opt, stage, scen_id, spec, v, inherited, dists, factors, ob)


HEADLINE_COLUMNS = [
    "option", "model", "stage", "scenario", "npsv_gbp", "npsv_unadjusted_gbp", "npsv_vs_no_change_gbp",
    "npsv_vs_no_change_unadjusted_gbp", "optimism_bias_pv_gbp", "risk_pv_gbp", "council_npv_gbp",
    "council_npv_vs_no_change_gbp", "council_npv_vs_no_change_unadjusted_gbp", "bcr", "irr", "payback_year",
    "discounted_payback_year", "breakeven_year", "peak_funding_gbp", "lowest_cash_gbp",
    "shortfall_vs_savings_target_gbp", "exit_cost_gbp", "sunk_costs_gbp", "transfers_vs_no_change_pv_gbp",
]


@dataclass
class OptionAppraisal:
    """The figures of one option at one stage, and the tables behind them.

    Money in GBP; NPVs real at the price base, discounted; ``*_vs_no_change`` positive
    means better than no change. Figures that do not apply are ``None``.
    """

    appraisal_id: str
    option: str
    name: str
    model: str
    stage: str
    scenario: str
    years: list
    npsv_gbp: float
    npsv_unadjusted_gbp: float
    npsv_vs_no_change_gbp: float
    npsv_vs_no_change_unadjusted_gbp: float
    optimism_bias_pv_gbp: float
    risk_pv_gbp: float
    council_npv_gbp: float
    council_npv_vs_no_change_gbp: float
    council_npv_vs_no_change_unadjusted_gbp: float
    bcr: float | None
    irr: float | None
    payback_year: str | None
    discounted_payback_year: str | None
    breakeven_year: str | None
    peak_funding_gbp: float | None
    lowest_cash_gbp: float | None
    shortfall_vs_savings_target_gbp: float | None
    exit_cost_gbp: float | None
    sunk_costs_gbp: float | None
    transfers_vs_no_change_pv_gbp: float  # taxes, reliefs, VAT, grants, redundancy and pension strain, all parties
    lines: pd.DataFrame = field(repr=False)
    economic_case: pd.DataFrame = field(repr=False)
    reconciliation: pd.DataFrame = field(repr=False)
    reconciliation_vs_no_change: pd.DataFrame = field(repr=False)
    financial_case: pd.DataFrame = field(repr=False)
    entity_accounts: pd.DataFrame | None = field(repr=False)
    optimism_bias: pd.DataFrame = field(repr=False)
    inputs: OptionInputs = field(repr=False)
    # The BCR's two sides against no change (present values): quantified social benefits, and the net cost.
    benefits_vs_no_change_pv_gbp: float = 0.0
    net_cost_vs_no_change_pv_gbp: float = 0.0

    def headline(self) -> dict:
        """The headline figures as a flat dict (the columns of the headline table)."""
        return {c: getattr(self, c) for c in HEADLINE_COLUMNS}

    metrics = property(headline)


def _label(appraisal: Appraisal, index: int | None) -> str | None:
    return None if index is None else fy_label(appraisal.first_year + index)


def appraise(appraisal: Appraisal, option: "str | Option", stage: str = "obc", *, scenario: str | None = None,
             overrides: Mapping[str, float] | None = None) -> OptionAppraisal:
    """Appraise one option at one business-case stage against no change.

    Parameters
    ----------
    appraisal : Appraisal
        From :func:`load_appraisal`.
    option : str or Option
        Option id (e.g. ``"trading_company"``).
    stage : {"obc", "fbc"}
        Outline or full business case: FBC applies the option's ``fbc.changes`` and the FBC
        optimism-bias settings.
    scenario : str, optional
        A scenario of the appraisal (``scenarios/<name>.yaml``); ``None`` or ``"base"`` for none.
    overrides : mapping, optional
        Driver path -> value in model units (rates as fractions, years as indices), applied last.
        Economy and ``current_service.*`` paths apply to no change too; option paths to the option only.

    Returns
    -------
    OptionAppraisal

    Examples
    --------
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> r = appraise(a, "no_change", "obc")
    >>> r.npsv_vs_no_change_gbp, r.payback_year
    (0.0, None)
    """
    inp = build_inputs(appraisal, option, stage, scenario, overrides)
    nc_overrides = {k: x for k, x in (overrides or {}).items() if k in ECONOMY_DRIVERS or k.startswith("current_service.")}
    # No change depends only on the shared assumptions: the explorer moving an option's driver reuses it.
    key = ("no_change", stage, scenario, tuple(sorted((k, float(x)) for k, x in nc_overrides.items())))
    if key not in appraisal.cache:
        nc = build_inputs(appraisal, appraisal.no_change, stage, scenario, nc_overrides)
        if len(appraisal.cache) > 64:
            appraisal.cache.clear()
        appraisal.cache[key] = (nc, evaluate(nc.spec, nc.values, detail=True))
    nc, ev_nc = appraisal.cache[key]
    ev = evaluate(inp.spec, inp.values, detail=True)
    return _assemble(inp, ev, nc, ev_nc)


def appraise_all(appraisal: Appraisal, stages=STAGES, scenario: str | None = None) -> list[OptionAppraisal]:
    """Every option at every stage, no change first."""
    return [appraise(appraisal, o, s, scenario=scenario) for s in stages for o in appraisal.options]


def _assemble(inp: OptionInputs, ev: Evaluation, nc: OptionInputs, ev_nc: Evaluation) -> OptionAppraisal:
    a, opt = inp.appraisal, inp.option
    f = inp.factors
    years = a.years
    gdp = inp.values["gdp_deflator"]
    is_nc = opt.model == "no_change"

    # Present values through the factorised flows: the same arithmetic as a Monte Carlo draw, so a draw at
    # the base values reproduces these figures exactly.
    names = ("economic", "economic_unadjusted", "council", "council_unadjusted")
    pv, pv_nc = ev.pv(f, names), ev_nc.pv(f, names)
    npsv, npsv_u, council, council_u = (float(pv[n]) for n in names)
    npsv_nc, npsv_nc_u, council_nc, council_nc_u = (float(pv_nc[n]) for n in names)

    # Financial case: nominal council cash by year against no change and the savings target.
    council_nom = to_nominal(ev.council, gdp)
    council_nom_nc = to_nominal(ev_nc.council, nc.values["gdp_deflator"])
    saving = council_nom - council_nom_nc
    in_target = np.arange(a.period_years) >= a.savings_target_from
    target = np.where(in_target, a.savings_target_gbp, 0.0)
    shortfall = np.where(in_target, np.maximum(target - saving, 0.0), 0.0)  # only years the target covers
    saving_real_disc = (ev.council - ev_nc.council) * f

    inc_econ = ev.economic - ev_nc.economic
    inc_benefits = float(npv(ev.benefits - ev_nc.benefits, f))
    net_cost = -(npsv - npsv_nc - inc_benefits)

    lines_df, econ_df, rec_df, rec_vs_df = _line_tables(inp, ev, ev_nc, f)
    transfers_vs = float(rec_vs_df.loc[rec_vs_df["kind"] == "transfer", "all_parties_vs_no_change_gbp"].sum())
    ob_pv = float(npv(sum(_line_total(ev, n) for n in ("optimism_bias_revenue", "optimism_bias_capital",
                                                        "optimism_bias_benefits")), f))
    risk_pv = float(npv(_line_total(ev, "risk"), f))

    entity_df = None
    breakeven = peak = lowest = None
    if opt.is_new_entity:
        go_live = int(inp.values["go_live_year"])
        ent = ev.entity
        entity_df = pd.DataFrame({k: np.asarray(x, dtype=float) for k, x in ent.items()}, index=years).T
        funding_nominal = inp.values["planned_funding_gbp"] * (1.0 + gdp) ** go_live
        balance = cash_balance(ent["cash_flow"], funding_nominal, go_live)
        entity_df.loc["council_funding"] = np.where(np.arange(a.period_years) == go_live, funding_nominal, 0.0)
        entity_df.loc["cash_balance"] = balance
        breakeven = _label(a, breakeven_index(ent["profit_after_tax"], go_live))
        peak = float(peak_funding(ent["cash_flow"]))
        lowest = float(np.min(balance[..., go_live:]))  # the entity exists from go-live
        entity_df.index.name = "nominal GBP"

    fin = pd.DataFrame({
        "council_net_nominal_gbp": council_nom,
        "no_change_net_nominal_gbp": council_nom_nc,
        "saving_vs_no_change_nominal_gbp": saving,
        "cumulative_saving_nominal_gbp": np.cumsum(saving),
        "savings_target_nominal_gbp": target,
        "shortfall_vs_target_nominal_gbp": shortfall,
        # The rows of the financial case follow the catalogue: one-off costs (items, redundancy, pension strain, a
        # council's once lines) and capital (spend, its optimism-bias uplift, asset transfers, capital lines).
        "one_off_costs_nominal_gbp": to_nominal(_role_total(ev, "one_off"), gdp),
        "capital_spend_nominal_gbp": to_nominal(_role_total(ev, "capital"), gdp),
    }, index=years).T
    ob_df = optimism_bias_table(inp)

    exit_cost = (inp.values["exit_cost_gbp"] or None) if opt.has_provider else None
    sunk = inp.values["sunk_costs_gbp"] or None
    return OptionAppraisal(
        appraisal_id=a.id, option=opt.id, name=opt.name, model=opt.model, stage=inp.stage, scenario=inp.scenario,
        years=years,
        npsv_gbp=npsv, npsv_unadjusted_gbp=npsv_u,
        npsv_vs_no_change_gbp=0.0 if is_nc else npsv - npsv_nc,
        npsv_vs_no_change_unadjusted_gbp=0.0 if is_nc else npsv_u - npsv_nc_u,
        optimism_bias_pv_gbp=ob_pv, risk_pv_gbp=risk_pv,
        council_npv_gbp=council,
        council_npv_vs_no_change_gbp=0.0 if is_nc else council - council_nc,
        council_npv_vs_no_change_unadjusted_gbp=0.0 if is_nc else council_u - council_nc_u,
        bcr=None if is_nc else benefit_cost_ratio(inc_benefits, net_cost),
        irr=None if is_nc else irr(inc_econ),
        payback_year=None if is_nc else _label(a, payback_index(saving)),
        discounted_payback_year=None if is_nc else _label(a, payback_index(saving_real_disc)),
        breakeven_year=breakeven, peak_funding_gbp=peak, lowest_cash_gbp=lowest,
        shortfall_vs_savings_target_gbp=None if is_nc else float(shortfall.max()),
        exit_cost_gbp=exit_cost, sunk_costs_gbp=sunk,
        transfers_vs_no_change_pv_gbp=0.0 if is_nc else transfers_vs,
        lines=lines_df, economic_case=econ_df, reconciliation=rec_df, reconciliation_vs_no_change=rec_vs_df,
        financial_case=fin, entity_accounts=entity_df,
        optimism_bias=ob_df, inputs=inp,
        benefits_vs_no_change_pv_gbp=0.0 if is_nc else inc_benefits,
        net_cost_vs_no_change_pv_gbp=0.0 if is_nc else net_cost,
    )


def optimism_bias_table(inp: OptionInputs) -> pd.DataFrame:
    """Every cost that carries an optimism-bias category at this stage: item, driver or line, and its uplift."""
    opt, a = inp.option, inp.appraisal
    rows = []

    def row(ident, description, what, cat):
        rows.append({"item": ident, "description": description, "applies_to": what, "category": cat or "",
                     "uplift_pct": inp.ob_by_category.get(cat, 0.0) if cat else 0.0})

    for it in opt.one_off_costs:
        row(it.id, it.description, "one-off cost", it.optimism_bias_category)
    for it in opt.capital:
        row(it.id, it.description, "capital (uplift stays capital)", it.optimism_bias_category)
    for driver, version, _pct, _upper in inp.spec.uplifts:
        if version == "option" and opt.model != "no_change":
            src = (opt.fbc_changes.get(driver) if inp.stage == "fbc" else None) or opt.drivers.get(driver) \
                or a.current_service.get(driver)
            row(driver, DRIVERS[driver].label, "running cost from go-live", src.optimism_bias_category)
    for ln in opt.lines.values():
        if ln.optimism_bias_category:
            row(ln.id, ln.label, "capital line" if ln.accounts == "capital" else "line", ln.optimism_bias_category)
    return pd.DataFrame(rows, columns=["item", "description", "applies_to", "category", "uplift_pct"])


def _line(ev: Evaluation, name: str, party: str) -> np.ndarray:
    return np.broadcast_to(ev.lines[name][party], (len(np.atleast_1d(ev.economic)),)).astype(float)


def _role_total(ev: Evaluation, role: str) -> np.ndarray:
    """The council's part of the lines the financial case shows in a row (``one_off`` or ``capital``)."""
    out = np.zeros(len(np.atleast_1d(ev.economic)))
    for name, r in ev.financial_case.items():
        if r == role:
            out = out + _line(ev, name, "council")
    return out


def _line_total(ev: Evaluation, name: str) -> np.ndarray:
    if name not in ev.lines:
        return np.zeros(len(np.atleast_1d(ev.economic)))
    d = ev.lines[name]
    return sum(d[p] for p in PARTIES)


def _economic_part(ev: Evaluation, name: str) -> np.ndarray:
    T = len(np.atleast_1d(ev.economic))
    if name not in ev.lines or ev.kinds[name] in ("transfer", "internal"):
        return np.zeros(T)
    return _line_total(ev, name)


def _line_tables(inp: OptionInputs, ev: Evaluation, ev_nc: Evaluation, f: np.ndarray):
    """The line tables: values by party, the economic case, and the reconciliation of the two lenses (alone and
    against no change). Present values of every line and party come from one matrix product."""
    years = inp.appraisal.years
    T = len(years)
    names = list(ev.lines) + [n for n in ev_nc.lines if n not in ev.lines]

    def stack(e: Evaluation) -> np.ndarray:  # (lines, parties, T)
        out = np.zeros((len(names), len(PARTIES), T))
        for i, n in enumerate(names):
            d = e.lines.get(n)
            if d is not None:
                for j, p in enumerate(PARTIES):
                    out[i, j] = d[p]
        return out

    x, x_nc = stack(ev), stack(ev_nc)
    labels = [ev.labels.get(n) or ev_nc.labels.get(n) for n in names]
    kinds = [ev.kinds.get(n) or ev_nc.kinds.get(n) for n in names]
    in_econ = np.array([k not in ("transfer", "internal") for k in kinds], dtype=float)[:, None]
    pv, pv_nc = x @ f, x_nc @ f  # (lines, parties)
    ic = PARTIES.index("council")
    econ, econ_nc = pv.sum(axis=1) * in_econ[:, 0], pv_nc.sum(axis=1) * in_econ[:, 0]
    council, council_nc = pv[:, ic], pv_nc[:, ic]
    all_vs = pv.sum(axis=1) - pv_nc.sum(axis=1)
    has_provider = np.any(x[:, PARTIES.index("provider")] != 0, axis=1)
    has_partner = np.any(x[:, PARTIES.index("partner")] != 0, axis=1)

    li, pj = np.nonzero(np.any(x != 0, axis=2))  # the (line, party) pairs with any flow, in table order
    lines_df = pd.DataFrame({"line": [names[i] for i in li], "label": [labels[i] for i in li],
                             "kind": [kinds[i] for i in li], "party": [PARTIES[j] for j in pj]})
    lines_df = pd.concat([lines_df, pd.DataFrame(x[li, pj], columns=years)], axis=1)
    econ_df = pd.DataFrame({"line": names, "label": labels, "kind": kinds, "option_pv_gbp": econ,
                            "no_change_pv_gbp": econ_nc, "vs_no_change_pv_gbp": econ - econ_nc})

    def reason(i: int, diff: float) -> str:
        if abs(diff) < 0.005:
            return ""
        if kinds[i] in ("transfer", "internal", "benefit"):
            return KIND_REASON[kinds[i]]
        return KIND_REASON["partner" if has_partner[i] and not has_provider[i] else "provider"]

    diff = econ - council
    rec_df = pd.DataFrame({"line": names, "label": labels, "economic_pv_gbp": econ, "council_pv_gbp": council,
                           "difference_gbp": diff, "reason": [reason(i, d) for i, d in enumerate(diff)]})
    total = {"line": "total", "label": "Total", "economic_pv_gbp": rec_df["economic_pv_gbp"].sum(),
             "council_pv_gbp": rec_df["council_pv_gbp"].sum(), "difference_gbp": rec_df["difference_gbp"].sum(),
             "reason": ""}
    rec_df = pd.concat([rec_df, pd.DataFrame([total])], ignore_index=True)
    # The same against no change: how much of the option's advantage in each lens comes from each line.
    econ_vs = econ - econ_nc
    council_vs = council - council_nc
    vs_df = pd.DataFrame({"line": names, "label": labels, "kind": kinds, "economic_vs_no_change_gbp": econ_vs,
                          "council_vs_no_change_gbp": council_vs, "difference_gbp": econ_vs - council_vs,
                          "all_parties_vs_no_change_gbp": all_vs,
                          "reason": ["" if abs(e - c) < 0.005 else reason(i, econ[i] - council[i]) or KIND_REASON["provider"]
                                     for i, (e, c) in enumerate(zip(econ_vs, council_vs))]})
    vs_total = {"line": "total", "label": "Total", "kind": "",
                **{c: vs_df[c].sum() for c in ("economic_vs_no_change_gbp", "council_vs_no_change_gbp", "difference_gbp",
                                               "all_parties_vs_no_change_gbp")}, "reason": ""}
    vs_df = pd.concat([vs_df, pd.DataFrame([vs_total])], ignore_index=True)
    return lines_df, econ_df, rec_df, vs_df
