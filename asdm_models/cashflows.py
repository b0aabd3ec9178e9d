"""Cash-flow lines by year from driver values, real terms at the price base.

The model is written once, over arrays: every driver value is either a float or an array with one
value per case (Monte Carlo draw, tornado case, grid point), and every line comes out with shape
``(years,)`` or ``(cases, years)``. ``appraise()`` is the one-case use of the same code, so a Monte
Carlo draw and a deterministic run cannot disagree about what a driver means.

Each line is a named rule function in the module of its concept (:mod:`~asdm_models.staffing`,
:mod:`~asdm_models.running_costs`, :mod:`~asdm_models.income`, :mod:`~asdm_models.overheads`,
:mod:`~asdm_models.contract`, :mod:`~asdm_models.local_taxes`, :mod:`~asdm_models.capital`,
:mod:`~asdm_models.custom_lines`, :mod:`~asdm_models.entity`, :mod:`~asdm_models.tax`); the
adjustments (optimism bias, benefits shortfall, risk) are in :mod:`~asdm_models.adjustments`.
:func:`evaluate` composes them and reads as the list of lines. The engine passes profiles by year
to the rules as :class:`~asdm_models.flows.Flow` objects, so the same formulas stay factorised
(amount x profile) and a Monte Carlo of 100,000 draws costs a few matrix products.

Who bears what
--------------
Before the option's go-live year the current service runs as it is (``current_service.*``
values). From go-live the option's values apply (its levels, rates, ramps and growth all start
there) and, for options with a provider (partner body, new entity, contractor), the service's own
lines move to the provider, the council pays a fee and keeps stranded overheads and client-side
costs. A council's own line says who bears it: ``deliverer`` (whoever runs the service),
``council``, ``provider`` or ``partner``.

Lenses
------
*Economic case* (Green Book NPSV): resource costs and income of every party, plus quantified social
benefits and the adjustments; transfers (business rates and relief, irrecoverable VAT, corporation
tax, grants, redundancy and pension strain) and internal flows (fee, dividends, asset transfers)
left out.
*Council lens*: the council's own flows, transfers and internal payments included.

Sign: costs negative, income and savings positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import tax as tax_rules
from .adjustments import benefits_shortfall, optimism_bias_on_costs, risk_expected_value
from .capital import depreciation, purchase_years, residual_share
from .catalogue import DRIVERS, INDICES, KIND_REASON, LINE_TYPES
from .contract import fee_real_change, management_fee, provider_margin
from .custom_lines import custom_line, line_profile
from .entity import dividends, profit_before_tax, taxable_profit
from .flows import Flow, pv_many
from .income import fees_income, grant_income, social_benefits, trading_costs, trading_income
from .indexation import (IndexSpec, compound_from, go_live_masks, growth_from_go_live, in_year, index_rate, ramp,
                         real_index)
from .local_taxes import business_rates, irrecoverable_vat, rates_relief
from .overheads import client_side_costs, stranded_overheads, stranded_share
from .running_costs import efficiency_saving, running_cost
from .staffing import apprenticeship_levy, employer_pension, pension_bond, staff_pay, transfer_one_off

__all__ = ["LINES", "IndexSpec", "LineShape", "LineSpec", "ModelSpec", "ItemSpec", "RiskSpec", "TaxSpec",
           "Evaluation", "evaluate", "KIND_REASON", "PARTIES"]

LINES = LINE_TYPES  # the built-in lines, in table order
PARTIES = ("council", "provider", "partner", "society")


@dataclass(frozen=True)
class LineShape:
    """The structure of one version (the current service's or the option's) of a council's own line."""

    sign: float  # -1 cost, +1 income
    per: str  # year | once
    index: IndexSpec
    start_offset: float | None  # None: the year is the value at <path>.from_year; k: go-live + k
    has_end: bool  # an end year: the value at <path>.to_year, or go-live + end_offset
    borne_by: str  # deliverer | council | provider | partner
    counterparty: str | None  # internal lines: the party on the other side
    kind: str  # resource | benefit | transfer | internal
    accounts: str = "revenue"  # revenue | capital (where it goes in accounts and the financial case)
    ob_pct: float = 0.0
    ob_upper: float = 0.0
    end_offset: float | None = None


@dataclass(frozen=True)
class LineSpec:
    """A council's own line: ``current`` (None if only the option has it) and ``option`` (its version from go-live,
    or its own line when ``current`` is None)."""

    id: str
    label: str
    current: LineShape | None
    option: LineShape | None

    @property
    def kind(self) -> str:
        return (self.option or self.current).kind


@dataclass(frozen=True)
class ItemSpec:
    id: str
    kind: str  # one_off | capital
    borne_by: str  # council | provider
    ob_pct: float  # optimism-bias uplift at this stage (fraction)
    repeat_every_years: int | None = None
    ob_upper: float = 0.0  # the category's upper bound (for the optimism-bias sensitivity)
    paid_to: str | None = None  # an asset transferred at value: the party that receives the price
    capital_allowance: str = "none"  # the entity's capital-allowance category


@dataclass(frozen=True)
class RiskSpec:
    id: str
    borne_by: str
    from_year: int
    to_year: int


@dataclass(frozen=True)
class TaxSpec:
    """A new entity's corporation tax: ``regime`` ``uk`` (reference rates, marginal relief), ``flat``
    (the ``corporation_tax_rate`` driver) or ``exempt`` (a charity)."""

    regime: str = "exempt"
    rules: object = None  # reference.CorporationTaxRules
    allowances: tuple = ()  # ((category, reference.CapitalAllowanceCategory), ...)


@dataclass(frozen=True)
class ModelSpec:
    """The structure of one option at one stage (everything that is not a driver value).

    ``uplifts``: ``(driver, version, uplift, upper bound)`` for built-in cost lines whose driver carries an
    optimism-bias category (``version`` ``current`` or ``option``). ``indices``: ``(driver, version,
    IndexSpec)`` for built-in lines whose indexation the data sets (a fee, fees income).
    """

    n_years: int
    delivery: str  # in_house | public_partner | entity | contractor
    items: tuple = ()
    risks: tuple = ()
    benefits_shortfall: float = 0.0
    lines: tuple = ()
    uplifts: tuple = ()
    indices: tuple = ()
    tax: TaxSpec | None = None

    @property
    def has_provider(self) -> bool:
        return self.delivery != "in_house"

    @property
    def is_entity(self) -> bool:
        return self.delivery == "entity"

    def index_of(self, driver: str, version: str) -> IndexSpec:
        for d, ver, ix in self.indices:
            if d == driver and ver == version:
                return ix
        default = DRIVERS[driver].index or "gdp_deflator"
        return IndexSpec(((default, 1.0),))

    def line_names(self) -> list[str]:
        """Every line of this option in table order: the service lines, the council's own lines, the rest."""
        names = list(LINE_TYPES)
        k = names.index("grant_income") + 1
        return names[:k] + [ls.id for ls in self.lines] + names[k:]


class Evaluation:
    """An option's flows: totals by year on demand, present values in one pass.

    ``economic`` and ``council`` include optimism bias and risk; the ``*_unadjusted`` totals leave them
    out. ``provider`` is the provider's (new entity's) own cash flow in real terms before any council
    funding; ``benefits`` the quantified social benefits. Attributes give arrays of shape ``(n_years,)``
    for one case or ``(cases, n_years)``; :meth:`pv` gives present values without building those arrays.
    ``lines`` (with ``detail=True``): line -> party -> values; ``labels`` and ``kinds`` by line.
    """

    TOTALS = ("economic", "council", "economic_unadjusted", "council_unadjusted", "provider", "benefits")

    def __init__(self, flows: dict, lines: dict | None = None, entity: dict | None = None):
        self.flows = flows
        self.lines = lines or {}
        self.entity = entity or {}
        self.labels: dict = {}
        self.kinds: dict = {}
        self.financial_case: dict = {}
        self._values: dict = {}

    def __getattr__(self, name):
        if name in Evaluation.TOTALS:
            if name not in self._values:
                self._values[name] = self.flows[name].values()
            return self._values[name]
        raise AttributeError(name)

    def pv(self, factors, names=("economic", "council")) -> dict:
        """Present values of the named totals: floats, or ``(cases,)`` arrays."""
        return dict(zip(names, pv_many([self.flows[n] for n in names], factors)))


def _col(x) -> np.ndarray:
    """A driver value as a column: float -> shape (1,), array of cases -> shape (cases, 1)."""
    return np.asarray(x, dtype=float)[..., None]


def _coef(x):
    """A driver value as a Flow coefficient: float, or (cases, 1)."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float).reshape(-1, 1)


class _Ledger:
    """Flows by line and party, in the order lines are first booked."""

    def __init__(self, n_years: int):
        self.n_years = n_years
        self.parts: dict[str, dict[str, Flow]] = {}

    def add(self, line: str, party: str, flow: Flow) -> None:
        d = self.parts.setdefault(line, {})
        d[party] = d[party] + flow if party in d else flow

    def get(self, line: str, party: str) -> Flow:
        return self.parts.get(line, {}).get(party, Flow(self.n_years))

    def total(self, party: str, lines) -> Flow:
        return Flow.total(self.n_years, (f for n in lines if (f := self.parts.get(n, {}).get(party)) is not None))


def evaluate(spec: ModelSpec, v: dict, *, detail: bool = False, risk_draws: dict | None = None,
             shared: tuple | None = None) -> Evaluation:
    """Evaluate one option's cash flows for one or many cases.

    Parameters
    ----------
    spec : ModelSpec
        Structure of the option at the stage.
    v : dict
        Driver values by path: economy drivers, ``current_service.<driver>``, the option's ``<driver>``
        (its value from go-live), item fields ``<list>.<id>.<field>`` and line fields
        ``[current_service.]lines.<id>.<field>``. Each value is a float or an array of shape ``(cases,)``.
    detail : bool
        Also return every line split by party and, for a new entity, its nominal accounts.
    risk_draws : dict, optional
        ``risk id -> (occurs, impact_gbp, year)`` arrays of shape ``(cases,)`` to realise risks
        (Monte Carlo). Without it each risk contributes its expected value.
    shared : tuple, optional
        ``(store, chunk key, {path: id of the drawn array})`` from the Monte Carlo: inflation indices
        built from the same draws are reused across options instead of rebuilt.

    Returns
    -------
    Evaluation
    """
    T = spec.n_years
    t = np.arange(T, dtype=float)
    zero = Flow(T)
    provider = spec.has_provider
    P = lambda profile: Flow.term(T, 1.0, profile)  # noqa: E731  (a profile by year as a Flow)
    ONE = P(None)  # 1 in every year
    c = lambda n: _coef(v["current_service." + n])  # noqa: E731  (the current service's value)
    o = lambda n: _coef(v[n])  # noqa: E731  (the option's value, from go-live)
    gdp = _col(v["gdp_deflator"])
    index = _RealIndices(v, t, gdp, P, shared)
    go_live = _col(v["go_live_year"])
    pre, post = go_live_masks(t, go_live)
    ob_level = v.get("optimism_bias_level")  # sensitivity: a share of each category's upper bound

    def uplift(pct: float, upper: float):
        return _coef(ob_level) * upper if ob_level is not None else pct

    # ------------------------------------------------------------------ the service's own lines
    # Shares that build up: the current service's from year 0, the option's from its go-live.
    ramp_c = ramp(t, 0.0, _col(v["current_service.efficiency_ramp_years"]))
    ramp_o = ramp(t, go_live, _col(v["efficiency_ramp_years"]))
    trade_c = ramp(t, _col(v["current_service.trading_start_year"]), _col(v["current_service.trading_ramp_years"]))
    trade_o = ramp(t, np.maximum(_col(v["trading_start_year"]), go_live), _col(v["trading_ramp_years"]))
    growth_c = compound_from(t, 0.0, _col(v["current_service.income_real_growth"]))
    growth_o = growth_from_go_live(t, go_live, _col(v["current_service.income_real_growth"]),
                                   _col(v["income_real_growth"]))

    def service_lines(g, version: str, eff_terms, trading_terms, growth, social_terms) -> dict:
        ix = lambda driver: index(spec.index_of(driver, version))  # noqa: E731
        staff = staff_pay(g("staff_fte"), g("staff_cost_per_fte_gbp"), index.pay)
        pension = employer_pension(staff, g("pension_employer_rate"))
        non_staff = running_cost(g("non_staff_costs_gbp"), index.price)
        energy = running_cost(g("energy_costs_gbp"), index.energy)
        support = running_cost(g("support_services_gbp"), index.price)
        eff_staff = sum(efficiency_saving(staff + pension, rate, share) for rate, share in eff_terms("staff"))
        eff_non_staff = sum(efficiency_saving(non_staff + energy, rate, share) for rate, share in eff_terms("non_staff"))
        trading = sum(trading_income(amount, index.price, share) for amount, share in trading_terms)
        rates = business_rates(g("business_rates_gbp"), index.price)
        return {
            "staff_pay": staff,
            "employer_pension": pension,
            "pension_bond": pension_bond(g("pension_bond_gbp"), ONE),
            "non_staff_costs": non_staff,
            "energy_costs": energy,
            "support_services": support,
            "efficiency_staff": eff_staff + zero,
            "efficiency_non_staff": eff_non_staff + zero,
            "fees_income": fees_income(g("fees_income_gbp"), ix("fees_income_gbp"), growth),
            "trading_income": trading + zero,
            "trading_costs": trading_costs(trading + zero, g("trading_cost_ratio")),
            "social_benefits": sum(social_benefits(amount, ONE * share) for amount, share in social_terms) + zero,
            "business_rates": rates,
            "rates_relief": rates_relief(rates, g("rates_relief_rate")),
            "irrecoverable_vat": irrecoverable_vat(non_staff + energy + support + eff_non_staff + zero,
                                                   g("irrecoverable_vat_rate")),
            "grant_income": grant_income(g("grant_income_gbp"), ONE),
            # On the pay bill after staff efficiencies (pay only: pension contributions are not levied).
            "apprenticeship_levy": apprenticeship_levy(
                staff + sum(efficiency_saving(staff, rate, share) for rate, share in eff_terms("staff")),
                g("apprenticeship_levy_rate"), g("apprenticeship_levy_allowance_gbp")),
        }

    def delta(n):  # what the option adds to the current service's value (reached over its own ramp)
        return o(n) - c(n)

    current = service_lines(
        c, "current",
        lambda k: [(c(f"{k}_efficiency_rate"), ramp_c)],
        [(c("trading_income_gbp"), trade_c)], growth_c,
        [(c("social_benefits_gbp"), np.ones(T))])
    option = service_lines(
        o, "option",
        # The option's efficiency rate is reached over its ramp from go-live, starting from the current one.
        lambda k: [(c(f"{k}_efficiency_rate"), ramp_c), (delta(f"{k}_efficiency_rate"), ramp_o)],
        [(c("trading_income_gbp"), trade_c), (delta("trading_income_gbp"), trade_o)], growth_o,
        [(c("social_benefits_gbp"), np.ones(T)), (delta("social_benefits_gbp"), ramp_o)])

    ledger = _Ledger(T)
    service_names = [n for n, li in LINE_TYPES.items() if li.family == "service"]
    for n in service_names:
        cur_part, opt_part = current[n] * pre, option[n] * post
        if LINE_TYPES[n].kind == "benefit":
            ledger.add(n, "society", cur_part + opt_part)
        elif provider:
            ledger.add(n, "council", cur_part)
            ledger.add(n, "provider", opt_part)
        else:
            ledger.add(n, "council", cur_part + opt_part)
    deliverer_after = "provider" if provider else "council"

    # ------------------------------------------------------------------ the council's own lines
    custom_role: dict[str, str] = {}  # line -> its role in the provider's accounts
    custom_versions: dict[str, tuple] = {}  # line -> (current part, option part, option shape)
    for ls in spec.lines:
        if ls.current is not None and ls.option.per == "once":
            # A single event (a sale, a payment): the option's version replaces the current service's outright
            # (when the option does not restate it, the two are the same).
            cur = _custom_flow(ls.current, v, f"current_service.lines.{ls.id}.", t, go_live, index, T)
            opt = _custom_flow(ls.option, v, f"lines.{ls.id}.", t, go_live, index, T)
            pieces = [(opt, ls.option, "own")]
            custom_versions[ls.id] = (cur, opt, ls.option)
        elif ls.current is not None:
            # A running line: the current service's version until go-live, the option's from it (its growth
            # from its go-live year, continuing the current service's path).
            cur = _custom_flow(ls.current, v, f"current_service.lines.{ls.id}.", t, go_live, index, T)
            g_cur = v.get(f"current_service.lines.{ls.id}.real_growth", 0.0)
            g_opt = v.get(f"lines.{ls.id}.real_growth", 0.0)
            same = g_cur is g_opt or (np.ndim(g_cur) == 0 and np.ndim(g_opt) == 0 and float(g_cur) == float(g_opt))
            opt = _custom_flow(ls.option, v, f"lines.{ls.id}.", t, go_live, index, T,
                               earlier_growth=None if same else _col(g_cur))
            pieces = [(cur * pre, ls.current, "before"), (opt * post, ls.option, "after")]
            custom_versions[ls.id] = (cur * post, opt * post, ls.option)
        else:
            opt = _custom_flow(ls.option, v, f"lines.{ls.id}.", t, go_live, index, T)
            pieces = [(opt, ls.option, "own")]
            custom_versions[ls.id] = (zero, opt, ls.option)
        for flow, shape, when in pieces:
            for party, f in _parties(flow, shape.borne_by, when, provider, pre, post):
                if shape.kind == "benefit":
                    ledger.add(ls.id, "society", f)
                    continue
                ledger.add(ls.id, party, f)
                if shape.kind == "internal" and shape.counterparty:
                    ledger.add(ls.id, _party(shape.counterparty, provider), -f)
                if shape.ob_pct or (ob_level is not None and shape.ob_upper):
                    ob_line = "optimism_bias_capital" if shape.accounts == "capital" else "optimism_bias_revenue"
                    ledger.add(ob_line, party, optimism_bias_on_costs(f, uplift(shape.ob_pct, shape.ob_upper)))
        shape = ls.option or ls.current
        if shape.accounts == "capital":
            custom_role[ls.id] = "capital"
        else:
            side = shape.sign * (-1.0 if shape.kind == "internal" and _party(shape.counterparty or "", provider)
                                 == "provider" else 1.0)
            custom_role[ls.id] = "income" if side > 0 else "operating"

    # ------------------------------------------------------------------ contract and client side
    if provider:
        operating_names = [n for n in service_names if LINE_TYPES[n].entity == "operating"
                           and LINE_TYPES[n].kind == "resource"]
        operating = sum((option[n] for n in operating_names), zero) * post
        for ls in spec.lines:  # the provider's own operating costs stated as lines
            if ls.kind == "resource" and custom_role.get(ls.id) == "operating":
                operating = operating + ledger.get(ls.id, "provider") * post
        ledger.add("provider_margin", "provider", provider_margin(operating, o("provider_margin_rate"), post))
        ledger.add("stranded_overheads", "council", stranded_overheads(
            o("stranded_overheads_gbp"), P(stranded_share(t, go_live, _col(v["stranded_removal_years"])))))
        ledger.add("client_side_costs", "council", client_side_costs(o("client_side_costs_gbp"), P(post)))
        fee = management_fee(o("management_fee_gbp"), index(spec.index_of("management_fee_gbp", "option")),
                             fee_real_change(t, go_live, _col(v["management_fee_real_change"])), post)
        ledger.add("management_fee", "council", fee)
        ledger.add("management_fee", "provider", -fee)

    # Optimism bias on built-in cost lines whose driver carries a category (in the years its value applies).
    for driver, version, pct, upper in spec.uplifts:
        for n in DRIVERS[driver].lines:
            if LINE_TYPES[n].family == "service":
                flow = current[n] * pre if version == "current" else option[n] * post
                party = "council" if version == "current" else deliverer_after
            else:
                flow, party = ledger.get(n, "council"), "council"
            ledger.add("optimism_bias_revenue", party, optimism_bias_on_costs(flow, uplift(pct, upper)))

    # ------------------------------------------------------------------ one-off and capital items
    at_go_live = in_year(t, go_live)
    ledger.add("redundancy", "council", transfer_one_off(o("redundancy_gbp"), P(at_go_live)))
    ledger.add("pension_strain", "council", transfer_one_off(o("pension_strain_gbp"), P(at_go_live)))
    provider_capital = []  # (spend flow incl. its uplift, life, allowance category) for the entity's accounts
    for it in spec.items:
        lst = "one_off_costs" if it.kind == "one_off" else "capital"
        amount = _coef(v[f"{lst}.{it.id}.amount_gbp"])
        year = _col(v[f"{lst}.{it.id}.year"])
        ob = uplift(it.ob_pct, it.ob_upper) if (it.ob_pct or (ob_level is not None and it.ob_upper)) else 0.0
        if it.kind == "one_off":
            flow = -amount * P(in_year(t, year))
            ledger.add("one_off_costs", it.borne_by, flow)
            if np.any(ob):
                ledger.add("optimism_bias_revenue", it.borne_by, optimism_bias_on_costs(flow, ob))
            continue
        bought = purchase_years(t, year, it.repeat_every_years)
        flow = -amount * P(bought)
        life = _coef(v[f"capital.{it.id}.asset_life_years"])
        if it.paid_to:  # an existing asset sold at its value between the parties: internal, no new resource
            ledger.add("asset_transfers", it.borne_by, flow)
            ledger.add("asset_transfers", it.paid_to, -flow)
            spend = flow
        else:
            ledger.add("capital_spend", it.borne_by, flow)
            # Straight-line value left at the end of the period for every purchase still in service.
            ledger.add("residual_value", it.borne_by,
                       amount * P(in_year(t, T - 1)) * _coef(residual_share(bought, life, T)))
            spend = flow
            if np.any(ob):
                extra = optimism_bias_on_costs(flow, ob)
                ledger.add("optimism_bias_capital", it.borne_by, extra)  # an uplift on capital is capital
                spend = flow + extra
        if it.borne_by == "provider":
            provider_capital.append((spend, life, it.capital_allowance))

    # ------------------------------------------------------------------ risk (expected value, or drawn)
    for r in spec.risks:
        if risk_draws is None:
            k = f"risks.{r.id}."
            flow = P(risk_expected_value(_coef(v[k + "probability"]), _coef(v[k + "impact_low_gbp"]),
                                         _coef(v[k + "impact_most_likely_gbp"]), _coef(v[k + "impact_high_gbp"]),
                                         r.from_year, r.to_year, T))
        else:
            occurs, impact, year = risk_draws[r.id]
            flow = Flow.point(T, -(occurs * impact), year)
        ledger.add("risk", r.borne_by, flow)

    # ------------------------------------------------------------------ benefits shortfall
    # On each group's gain over the current service from go-live, borne by whoever delivers then.
    if spec.benefits_shortfall:
        groups: dict[tuple, Flow] = {}
        for n in service_names:
            grp = LINE_TYPES[n].shortfall
            if grp is None:
                continue
            key = (grp, "society" if LINE_TYPES[n].kind == "benefit" else deliverer_after)
            groups[key] = groups.get(key, zero) + (option[n] - current[n])
        gains = {key: g * post for key, g in groups.items()}
        for ls in spec.lines:
            if ls.kind not in ("resource", "benefit"):
                continue
            cur_part, opt_part, shape = custom_versions[ls.id]
            gain = opt_part - cur_part
            if ls.current is not None and shape.per == "once":
                # An event restated: what the option adds is the difference of the two amounts (moving it in time
                # is not a gain), counted in the option's year.
                total = gain.values().sum(axis=-1)
                year = in_year(t, _line_start(shape, v, f"lines.{ls.id}.", go_live))
                gain = Flow.term(T, _coef(np.maximum(total, 0.0)), year)
            if ls.kind == "benefit":
                gains[(ls.id, "society")] = gain
            else:
                when = "own" if ls.current is None or shape.per == "once" else "after"
                for party, f in _parties(gain, shape.borne_by, when, provider, pre, post):
                    gains[(ls.id, party)] = gains.get((ls.id, party), zero) + f
        for (_grp, party), gain in gains.items():
            ledger.add("optimism_bias_benefits", party, benefits_shortfall(gain, spec.benefits_shortfall))

    # ------------------------------------------------------------------ a new entity's tax and dividends
    entity = None
    if spec.is_entity:
        entity = _entity_accounts(spec, v, ledger, custom_role, provider_capital, gdp, t, detail)

    # ------------------------------------------------------------------ the two lenses
    all_names = spec.line_names()
    custom = {ls.id: ls for ls in spec.lines}
    kinds = {n: LINE_TYPES[n].kind if n in LINE_TYPES else custom[n].kind for n in all_names}
    names = [n for n in all_names if n in ledger.parts]
    resource = [n for n in names if kinds[n] == "resource"]
    adjustment = [n for n in names if kinds[n] == "adjustment"]
    benefit = [n for n in names if kinds[n] == "benefit"]
    cash = [n for n in names if kinds[n] not in ("benefit", "adjustment")]
    payers = ("council", "provider", "partner")
    economic_unadj = Flow.total(T, [ledger.total(p, resource) for p in payers] + [ledger.total("society", benefit)])
    adjustments_econ = Flow.total(T, [ledger.total(p, adjustment) for p in payers + ("society",)])
    council_unadj = ledger.total("council", cash)
    flows = {
        "economic": economic_unadj + adjustments_econ,
        "council": council_unadj + ledger.total("council", adjustment),
        "economic_unadjusted": economic_unadj,
        "council_unadjusted": council_unadj,
        # Residual value is an asset on the balance sheet, not cash: it stays out of the provider's cash flow.
        "provider": ledger.total("provider", [n for n in names if n != "residual_value"]) if provider else zero,
        "benefits": ledger.total("society", benefit) + ledger.get("optimism_bias_benefits", "society"),
    }
    out = Evaluation(flows)
    if detail:
        values = {n: {p: f.values() for p, f in ledger.parts[n].items()} for n in names}
        shape = np.broadcast_shapes((T,), *(x.shape for d in values.values() for x in d.values()))
        out.lines = {n: _values_by_party(values.get(n, {}), shape) for n in all_names}
        out.labels = {n: LINE_TYPES[n].label if n in LINE_TYPES else custom[n].label for n in all_names}
        out.kinds = kinds
        out.financial_case = {n: LINE_TYPES[n].financial_case if n in LINE_TYPES else _financial_role(custom[n])
                              for n in all_names}
        out.entity = entity or {}
    return out


class _RealIndices:
    """The real index profiles of one evaluation, each built once (shared objects keep the PV grouping small)."""

    def __init__(self, v, t, gdp, P, shared=None):
        self._v, self._t, self._gdp, self._P = v, t, gdp, P
        self._cache: dict = {}
        self._shared = shared
        self.pay = self(IndexSpec((("pay", 1.0),)))
        self.price = self(IndexSpec((("price", 1.0),)))
        self.energy = self(IndexSpec((("energy", 1.0),)))

    def __call__(self, spec: IndexSpec) -> Flow:
        if spec not in self._cache:
            if spec.is_constant:
                profile = None
            else:
                key = self._shared_key(spec)
                store = self._shared[0] if key is not None else None
                if key is not None and key in store:
                    profile = store[key]
                else:
                    rates = [None if INDICES[n] is None else _col(self._v[INDICES[n]]) for n, _w in spec.basket]
                    rates = [0.0 if r is None else r for r in rates]  # "none": no indexation, fixed in cash
                    nominal = index_rate(rates, [w for _n, w in spec.basket], spec.cap, spec.collar)
                    profile = real_index(nominal, self._gdp, self._t)
                    if key is not None:
                        store[key] = profile
            self._cache[spec] = self._P(profile)
        return self._cache[spec]

    def _shared_key(self, spec: IndexSpec):
        """The key of this index in the Monte Carlo's store: the chunk and, per rate, the drawn array or its value."""
        if self._shared is None:
            return None
        _store, chunk, ids = self._shared
        parts = []
        for path in [INDICES[n] for n, _w in spec.basket if INDICES[n]] + ["gdp_deflator"]:
            x = self._v[path]
            if np.ndim(x) == 0:
                parts.append((path, float(x)))
            elif path in ids:
                parts.append((path, ids[path]))
            else:
                return None  # a per-case value the store cannot identify: build it here
        return ("index", spec, chunk, tuple(parts))


def _party(name: str, provider: bool) -> str:
    """A stated party in this option: a provider's part is the council's when the council delivers."""
    return "council" if name == "provider" and not provider else name


def _parties(flow: Flow, borne_by: str, when: str, provider: bool, pre, post):
    """Split a line's flow among parties: ``deliverer`` is the council before go-live and the provider after."""
    if borne_by != "deliverer":
        return [(_party(borne_by, provider), flow)]
    if not provider or when == "before":
        return [("council", flow)]
    if when == "after":
        return [("provider", flow)]
    return [("council", flow * pre), ("provider", flow * post)]


def _line_start(shape: LineShape, v: dict, prefix: str, go_live):
    return go_live + shape.start_offset if shape.start_offset is not None else _col(v[prefix + "from_year"])


def _custom_flow(shape: LineShape, v: dict, prefix: str, t, go_live, index, T, earlier_growth=None) -> Flow:
    """One version of a council's own line by year (:func:`~asdm_models.custom_lines.custom_line`)."""
    start = _line_start(shape, v, prefix, go_live)
    end = None
    if shape.end_offset is not None:
        end = go_live + shape.end_offset
    elif shape.has_end:
        end = _col(v[prefix + "to_year"])
    profile = line_profile(t, per=shape.per, start=start, end=end, ramp_years=_col(v.get(prefix + "ramp_years", 0.0)),
                           real_growth=_col(v.get(prefix + "real_growth", 0.0)),
                           go_live=go_live if earlier_growth is not None else None, earlier_growth=earlier_growth)
    return custom_line(shape.sign, _coef(v[prefix + "amount_gbp"]), index(shape.index), profile)


def _financial_role(ls: LineSpec) -> str | None:
    """A council's own line in the financial case: capital, a one-off (once), or neither (a running line)."""
    shape = ls.option or ls.current
    if shape.accounts == "capital":
        return "capital"
    return "one_off" if shape.per == "once" else None


def _values_by_party(values: dict, shape: tuple) -> dict:
    """A line's values for every party (zeros where a party has none), all of one shape."""
    zero = np.zeros(shape)
    return {p: (values[p] if values[p].shape == shape else np.broadcast_to(values[p], shape).astype(float))
            if p in values else zero for p in PARTIES}


def _entity_accounts(spec: ModelSpec, v: dict, ledger: _Ledger, custom_role: dict, provider_capital: list, gdp, t,
                     detail: bool = True):
    """A new entity's nominal accounts; books its corporation tax and dividends in the ledger (real terms).

    Profit before tax = income + operating costs - depreciation; taxable profit adds depreciation back and
    deducts capital allowances by category, losses carried forward; then UK corporation tax (or the
    flat-rate override, or none for a charity); dividends on the profit after tax.
    """
    T = spec.n_years
    deflator = (1.0 + gdp) ** t

    def roles(*wanted: str) -> list[str]:
        return [n for n in ledger.parts if (LINE_TYPES[n].entity if n in LINE_TYPES else custom_role.get(n)) in wanted]

    # Income and operating costs together: the only per-case array the tax and dividends need.
    trading = ledger.total("provider", roles("income", "operating")).values() * deflator
    dep = np.zeros(trading.shape)
    allowances = np.zeros_like(dep)
    cats = dict(spec.tax.allowances) if spec.tax else {}
    for spend, life, category in provider_capital:
        spend_nominal = -spend.values() * deflator  # positive amounts
        dep = dep + depreciation(spend_nominal, life)
        if category in cats:
            allowances = allowances + tax_rules.capital_allowances(spend_nominal, cats[category])
    pbt = profit_before_tax(trading, 0.0, dep)  # income and operating costs summed once, above
    taxable = tax_rules.taxable_profit_after_losses(taxable_profit(pbt, dep, allowances))
    regime = spec.tax.regime if spec.tax else "exempt"
    if regime == "uk":
        assoc = v.get("associated_companies", 0.0)
        corp_tax = tax_rules.corporation_tax(taxable, spec.tax.rules, associated_companies=_coef(assoc))
    elif regime == "flat":
        corp_tax = tax_rules.corporation_tax(taxable, spec.tax.rules, flat_rate=_coef(v["corporation_tax_rate"]))
    else:
        corp_tax = np.zeros_like(taxable)
    pat = pbt - corp_tax
    to_council, to_partner = dividends(pat, _coef(v["dividend_payout_rate"]), _coef(v["partner_equity_share"]))
    real = lambda x: Flow.term(T, 1.0, x / deflator)  # noqa: E731
    ledger.add("corporation_tax", "provider", real(-corp_tax))
    ledger.add("dividend", "provider", real(-to_council))
    ledger.add("dividend", "council", real(to_council))
    if np.any(to_partner):
        ledger.add("partner_dividend", "provider", real(-to_partner))
        ledger.add("partner_dividend", "partner", real(to_partner))
    if not detail:
        return None
    income = ledger.total("provider", roles("income")).values() * deflator
    operating = ledger.total("provider", roles("operating")).values() * deflator
    capital = ledger.total("provider", roles("capital")).values() * deflator
    distributions = -(to_council + to_partner)
    cash_flow = pat + dep + distributions + capital
    out = {
        "income": income,
        "operating_costs": operating,
        "depreciation": -dep,
        "profit_before_tax": pbt,
        "capital_allowances": allowances,
        "taxable_profit": taxable,
        "corporation_tax": -corp_tax,
        "profit_after_tax": pat,
        "dividend": -to_council,
        "partner_dividend": -to_partner,
        "capital": capital,
        "cash_flow": cash_flow,
    }
    shape = np.broadcast_shapes(*(np.shape(x) for x in out.values()))
    return {k: np.broadcast_to(x, shape).astype(float) for k, x in out.items()}  # every line has the case axis
