"""Cash-flow lines by year from driver values, real terms at the price base.

The model is written once, over arrays: every driver value is either a float
or an array with one value per case (Monte Carlo draw, tornado case, grid
point), and every line comes out with shape ``(years,)`` or ``(cases, years)``.
``appraise()`` is the one-case use of the same code, so a Monte Carlo draw and
a deterministic run cannot disagree about what a driver means.

Who bears what
--------------
Before the option's go-live year the current service runs as it is
(``current_service.*`` values). From go-live the option's values apply and,
for options with a provider (partner body, new entity, contractor), the
service's own lines move to the provider, the council pays a fee and keeps
stranded overheads and client-side costs.

Lenses
------
*Economic case* (Green Book NPSV): resource costs and income of council and
provider together, plus quantified social benefits; transfers (business rates
and relief, irrecoverable VAT, corporation tax, grants, redundancy and pension
strain) and internal flows (fee, dividend) left out.
*Council lens*: the council's own flows, transfers and fee included.

Sign: costs negative, income and savings positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adjustments import triangular_mean
from .flows import Flow, pv_many

__all__ = ["LINES", "LineInfo", "ModelSpec", "ItemSpec", "RiskSpec", "Evaluation", "evaluate", "KIND_REASON"]


@dataclass(frozen=True)
class LineInfo:
    name: str
    label: str
    kind: str  # resource | benefit | transfer | internal | adjustment


# The order is the order of every table and waterfall.
LINES = {li.name: li for li in [
    LineInfo("staff_pay", "Staff pay", "resource"),
    LineInfo("employer_pension", "Employer pension contributions", "resource"),
    LineInfo("pension_bond", "Pension bond / guarantee", "resource"),
    LineInfo("non_staff_costs", "Non-staff running costs", "resource"),
    LineInfo("energy_costs", "Energy and fuel", "resource"),
    LineInfo("support_services", "Support services", "resource"),
    LineInfo("efficiency_staff", "Efficiency savings: staff", "resource"),
    LineInfo("efficiency_non_staff", "Efficiency savings: non-staff", "resource"),
    LineInfo("fees_income", "Fees and charges income", "resource"),
    LineInfo("trading_income", "New trading income", "resource"),
    LineInfo("trading_costs", "Costs of new trading", "resource"),
    LineInfo("provider_margin", "Provider margin", "resource"),
    LineInfo("stranded_overheads", "Stranded overheads (council)", "resource"),
    LineInfo("client_side_costs", "Client-side contract management", "resource"),
    LineInfo("one_off_costs", "Transition and one-off costs", "resource"),
    LineInfo("capital_spend", "Capital spend", "resource"),
    LineInfo("residual_value", "Residual value of assets", "resource"),
    LineInfo("social_benefits", "Quantified social benefits", "benefit"),
    LineInfo("business_rates", "Business rates (gross)", "transfer"),
    LineInfo("rates_relief", "Business rates relief", "transfer"),
    LineInfo("irrecoverable_vat", "Irrecoverable VAT", "transfer"),
    LineInfo("grant_income", "Grant income", "transfer"),
    LineInfo("corporation_tax", "Corporation tax", "transfer"),
    LineInfo("redundancy", "Redundancy costs", "transfer"),
    LineInfo("pension_strain", "Pension strain", "transfer"),
    LineInfo("management_fee", "Management fee / contract price", "internal"),
    LineInfo("dividend", "Dividend / surplus share", "internal"),
    LineInfo("optimism_bias_costs", "Optimism bias: cost uplift", "adjustment"),
    LineInfo("optimism_bias_benefits", "Optimism bias: savings and income shortfall", "adjustment"),
    LineInfo("risk", "Risk (expected value)", "adjustment"),
]}

KIND_REASON = {
    "transfer": "transfer: left out of the economic case (a tax, relief, grant or payment to individuals)",
    "internal": "internal: a payment between the council and the provider, which nets out in the economic case",
    "benefit": "economic only: a monetised social benefit, not cash",
    "provider": "borne by the provider, not the council's budget",
}

# Delivery lines: what whoever runs the service spends and earns.
_DELIVERY = ("staff_pay", "employer_pension", "pension_bond", "non_staff_costs", "energy_costs", "support_services",
             "efficiency_staff", "efficiency_non_staff", "fees_income", "trading_income", "trading_costs",
             "social_benefits", "business_rates", "rates_relief", "irrecoverable_vat", "grant_income")
_OPERATING_COSTS = ("staff_pay", "employer_pension", "pension_bond", "non_staff_costs", "energy_costs",
                    "support_services", "efficiency_staff", "efficiency_non_staff", "trading_costs")
_SHORTFALL = ("efficiency_staff", "efficiency_non_staff", "trading_income", "trading_costs", "social_benefits")


@dataclass(frozen=True)
class ItemSpec:
    id: str
    kind: str  # one_off | capital
    borne_by: str  # council | provider
    ob_pct: float  # optimism-bias uplift at this stage (fraction)
    repeat_every_years: int | None = None
    ob_upper: float = 0.0  # the category's upper bound (for the optimism-bias sensitivity)


@dataclass(frozen=True)
class RiskSpec:
    id: str
    borne_by: str
    from_year: int
    to_year: int


@dataclass(frozen=True)
class ModelSpec:
    """The structure of one option at one stage (everything that is not a driver value)."""

    n_years: int
    delivery: str  # in_house | public_partner | entity | contractor
    items: tuple = ()
    risks: tuple = ()
    benefits_shortfall: float = 0.0

    @property
    def has_provider(self) -> bool:
        return self.delivery != "in_house"

    @property
    def is_entity(self) -> bool:
        return self.delivery == "entity"


class Evaluation:
    """An option's flows: totals by year on demand, present values in one pass.

    ``economic`` and ``council`` include optimism bias and risk; the ``*_unadjusted``
    totals leave them out. ``provider`` is the provider's (new entity's) own cash flow in
    real terms before any council funding; ``benefits`` the quantified social benefits.
    Attributes give arrays of shape ``(n_years,)`` for one case or ``(cases, n_years)``;
    :meth:`pv` gives present values without building those arrays.
    """

    TOTALS = ("economic", "council", "economic_unadjusted", "council_unadjusted", "provider", "benefits")

    def __init__(self, flows: dict, lines: dict | None = None, entity: dict | None = None):
        self.flows = flows
        self.lines = lines or {}  # name -> {"council": a, "provider": a, "society": a}
        self.entity = entity or {}  # nominal P&L lines of a new entity
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


def _ramp(t: np.ndarray, start, years) -> np.ndarray:
    """0 before ``start``; rises in a straight line to 1 over ``years`` years from ``start`` (step if 0)."""
    start, years = _col(start), _col(years)
    elapsed = t - start + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(years > 0, elapsed / np.where(years > 0, years, 1.0), 1.0)
    return np.where(t >= start, np.clip(frac, 0.0, 1.0), 0.0)


def _delivery_lines(v: dict, prefix: str, T: int, t: np.ndarray, idx: dict) -> dict:
    """The service's running lines for a set of driver values (``prefix`` '' = option, 'current_service.' = today)."""
    g = lambda name: _coef(v[prefix + name])  # noqa: E731
    term = lambda coef, profile=None: Flow.term(T, coef, profile)  # noqa: E731
    staff = term(-g("staff_fte") * g("staff_cost_per_fte_gbp"), idx["pay"])
    pension = staff.scale(g("pension_employer_rate"))
    non_staff = term(-g("non_staff_costs_gbp"), idx["price"])
    energy_c = term(-g("energy_costs_gbp"), idx["energy"])
    support = term(-g("support_services_gbp"), idx["price"])
    ramp = _ramp(t, v[prefix + "go_live_year"], v[prefix + "efficiency_ramp_years"])
    eff_staff = (staff + pension).scale(-g("staff_efficiency_pct")).mask(ramp)
    eff_non_staff = (non_staff + energy_c).scale(-g("non_staff_efficiency_pct")).mask(ramp)
    trading = term(g("trading_income_gbp"), idx["price"]).mask(
        _ramp(t, v[prefix + "trading_start_year"], v[prefix + "trading_ramp_years"]))
    rates = term(-g("business_rates_gbp"), idx["price"])
    growth = (1.0 + _col(v[prefix + "income_real_growth"])) ** t
    return {
        "staff_pay": staff,
        "employer_pension": pension,
        "pension_bond": term(-g("pension_bond_gbp")),
        "non_staff_costs": non_staff,
        "energy_costs": energy_c,
        "support_services": support,
        "efficiency_staff": eff_staff,
        "efficiency_non_staff": eff_non_staff,
        "fees_income": term(g("fees_income_gbp"), idx["price"]).mask(growth),
        "trading_income": trading,
        "trading_costs": trading.scale(-g("trading_cost_ratio")),
        "social_benefits": term(g("social_benefits_gbp")).mask(ramp),
        "business_rates": rates,
        "rates_relief": rates.scale(-g("rates_relief_pct")),
        "irrecoverable_vat": (non_staff + energy_c + support + eff_non_staff).scale(g("irrecoverable_vat_pct")),
        "grant_income": term(g("grant_income_gbp")),
    }


def _sum(flows: dict, names, T: int) -> Flow:
    total = Flow(T)
    for n in names:
        total = total + flows[n]
    return total


def _loss_carried_taxable(profit: np.ndarray) -> np.ndarray:
    """Taxable profit by year with unlimited loss carry-forward, vectorised.

    With losses carried forward (never back), the profit taxed up to year t is the highest
    cumulative profit reached so far, or 0: ``max(0, max_{s<=t} C_s)`` where C is cumulative profit.
    A loss year is taxed 0 (no refund); later profits are taxed only once they exceed past losses.

    >>> _loss_carried_taxable(np.array([-100.0, 30.0, 50.0, 40.0, -20.0, 60.0])).tolist()
    [0.0, 0.0, 0.0, 20.0, 0.0, 40.0]
    """
    c = np.cumsum(profit, axis=-1)
    cum_taxable = np.maximum(np.maximum.accumulate(c, axis=-1), 0.0)
    return np.diff(cum_taxable, axis=-1, prepend=0.0)


def evaluate(spec: ModelSpec, v: dict, *, detail: bool = False, risk_draws: dict | None = None) -> Evaluation:
    """Evaluate one option's cash flows for one or many cases.

    Parameters
    ----------
    spec : ModelSpec
        Structure of the option at the stage.
    v : dict
        Driver values by path: economy drivers, ``current_service.<driver>``, the option's
        ``<driver>`` (its value from go-live) and item fields ``<list>.<id>.<field>``. Each value
        is a float or an array of shape ``(cases,)``.
    detail : bool
        Also return every line split by party and, for a new entity, its nominal P&L.
    risk_draws : dict, optional
        ``risk id -> (occurs, impact_gbp, year)`` arrays of shape ``(cases,)`` to realise risks
        (Monte Carlo). Without it each risk contributes its expected value.

    Returns
    -------
    Evaluation
    """
    T = spec.n_years
    t = np.arange(T, dtype=float)
    term = lambda coef, profile=None: Flow.term(T, coef, profile)  # noqa: E731
    zero = Flow(T)
    gdp = _col(v["gdp_deflator"])
    idx = {
        "pay": ((1.0 + _col(v["pay_inflation"])) / (1.0 + gdp)) ** t,
        "price": ((1.0 + _col(v["price_inflation"])) / (1.0 + gdp)) ** t,
        "energy": ((1.0 + _col(v["energy_inflation"])) / (1.0 + gdp)) ** t,
    }
    opt = _delivery_lines(v, "", T, t, idx)
    base = _delivery_lines(v, "current_service.", T, t, idx)
    go_live = _col(v["go_live_year"])
    post = (t >= go_live).astype(float)  # the option's values apply from go-live
    pre = 1.0 - post
    provider = spec.has_provider

    def split(o: Flow, b: Flow) -> tuple[Flow, Flow]:
        """(council, provider) parts of a delivery flow."""
        if provider:
            return b.mask(pre), o.mask(post)
        return o.mask(post) + b.mask(pre), zero

    resource_names = [n for n in _DELIVERY if LINES[n].kind == "resource"]
    transfer_names = [n for n in _DELIVERY if LINES[n].kind == "transfer"]
    res_c, res_p = split(_sum(opt, resource_names, T), _sum(base, resource_names, T))
    tr_c, tr_p = split(_sum(opt, transfer_names, T), _sum(base, transfer_names, T))
    benefits = opt["social_benefits"].mask(post) + base["social_benefits"].mask(pre)

    if provider:
        margin = _sum(opt, _OPERATING_COSTS, T).scale(_coef(v["provider_margin_pct"])).mask(post)
        fee = term(_coef(v["management_fee_gbp"]), (1.0 + _col(v["management_fee_real_change"])) ** (t - go_live)).mask(post)
        removal = _col(v["stranded_removal_years"])
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(removal > 0, 1.0 - (t - go_live) / np.where(removal > 0, removal, 1.0), 0.0)
        stranded = term(-_coef(v["stranded_overheads_gbp"]), np.clip(frac, 0.0, 1.0) * post)
        client = term(-_coef(v["client_side_costs_gbp"])).mask(post)
    else:
        margin = fee = stranded = client = zero  # paid by the council, received by the provider
    at_go_live = (t == go_live).astype(float)
    redundancy = term(-_coef(v["redundancy_gbp"])).mask(at_go_live)
    strain = term(-_coef(v["pension_strain_gbp"])).mask(at_go_live)

    # One-off and capital items, with optimism bias by category.
    items = {(k, p): zero for k in ("one_off", "capital", "residual") for p in ("council", "provider")}
    ob_costs = {"council": zero, "provider": zero}
    ob_level = v.get("optimism_bias_level")
    for it in spec.items:
        lst = "one_off_costs" if it.kind == "one_off" else "capital"
        amount = _coef(v[f"{lst}.{it.id}.amount_gbp"])
        year = _col(v[f"{lst}.{it.id}.year"])
        if it.kind == "one_off":
            flow = term(-amount).mask((t == year).astype(float))
            items[("one_off", it.borne_by)] = items[("one_off", it.borne_by)] + flow
        else:
            k = it.repeat_every_years
            bought = ((t >= year) & ((((t - year) % k) == 0) if k else (t == year))).astype(float)
            flow = term(-amount).mask(bought)
            items[("capital", it.borne_by)] = items[("capital", it.borne_by)] + flow
            life = _col(v[f"capital.{it.id}.asset_life_years"])
            # Straight-line value left at the end of the period for every purchase still in service.
            remaining = np.clip((t + life - T) / life, 0.0, 1.0)  # of a purchase in year t
            share_left = np.sum(bought * remaining, axis=-1)
            residual = term(amount).scale(_coef(share_left)).mask((t == T - 1).astype(float))
            items[("residual", it.borne_by)] = items[("residual", it.borne_by)] + residual
        if ob_level is not None:  # sensitivity: a share of the category's upper bound instead of the stage's uplift
            ob_costs[it.borne_by] = ob_costs[it.borne_by] + flow.scale(_coef(ob_level) * it.ob_upper)
        elif it.ob_pct:
            ob_costs[it.borne_by] = ob_costs[it.borne_by] + flow.scale(it.ob_pct)

    # Optimism bias on savings and new income: a shortfall on what the option adds to the current service
    # (efficiencies, new trading margin, social benefits) after go-live, never on what is already there;
    # borne by whoever delivers after go-live.
    if spec.benefits_shortfall:
        cash_names = [n for n in _SHORTFALL if n != "social_benefits"]
        gain = (_sum(opt, cash_names, T) + _sum(base, cash_names, T).scale(-1.0)).mask(post)
        social_gain = (opt["social_benefits"] + base["social_benefits"].scale(-1.0)).mask(post)
        shortfall_cash, shortfall_social = (
            zero if g.is_zero() else
            g.scale(-spec.benefits_shortfall) if g.has_nonnegative_coefficients() else  # no loss to floor: stay factorised
            term(-spec.benefits_shortfall, np.maximum(g.values(), 0.0))
            for g in (gain, social_gain))
    else:
        shortfall_cash = shortfall_social = zero

    # Risks: expected value, or realised draws for Monte Carlo.
    risk = {"council": zero, "provider": zero}
    for r in spec.risks:
        if risk_draws is None:
            k = f"risks.{r.id}."
            per_year = (np.asarray(v[k + "probability"], dtype=float)
                        * triangular_mean(v[k + "impact_low_gbp"], v[k + "impact_most_likely_gbp"], v[k + "impact_high_gbp"])
                        / (r.to_year - r.from_year + 1))
            window = ((t >= r.from_year) & (t <= r.to_year)).astype(float)
            flow = term(-_coef(per_year)).mask(window)
        else:
            occurs, impact, year = risk_draws[r.id]
            flow = Flow.point(T, -(occurs * impact), year)
        risk[r.borne_by] = risk[r.borne_by] + flow

    # Provider's own accounts (real): what it earns and spends, before council funding. Optimism bias, the
    # savings shortfall and risks it bears are in its accounts (the viability test is prudent), so tax and
    # dividend are worked out on the same profit the accounts report.
    prov_adjustments = (ob_costs["provider"] + risk["provider"] + shortfall_cash) if provider else zero
    profit = res_p + tr_p + margin + fee + items[("one_off", "provider")] + prov_adjustments
    tax = dividend = zero
    if spec.is_entity:
        deflator = (1.0 + gdp) ** t
        profit_real = profit.values()
        # Taxable profit: the accounts' profit less capital spend (full expensing); residual values are not income.
        taxable = (profit_real + items[("capital", "provider")].values()) * deflator
        tax_real = -_col(v["corporation_tax_rate"]) * _loss_carried_taxable(taxable) / deflator
        tax = term(1.0, tax_real)
        dividend = term(-_coef(v["dividend_pct"]), np.maximum(profit_real + tax_real, 0.0))  # entity -> council
    # Residual value is an asset on the balance sheet, not cash: it stays out of the provider's cash flow.
    provider_flow = (profit + items[("capital", "provider")] + tax + dividend) if provider else zero

    prov_items = items[("one_off", "provider")] + items[("capital", "provider")] + items[("residual", "provider")]
    council_items = items[("one_off", "council")] + items[("capital", "council")] + items[("residual", "council")]
    economic_unadj = res_c + res_p + benefits + margin + stranded + client + council_items + prov_items
    council_unadj = res_c + tr_c + fee.scale(-1.0) + dividend.scale(-1.0) + stranded + client + council_items + redundancy + strain
    adjustments_econ = ob_costs["council"] + ob_costs["provider"] + shortfall_cash + shortfall_social + risk["council"] + risk["provider"]
    # Without a provider the council bears the shortfall on savings itself.
    adj_council = ob_costs["council"] + risk["council"] + (zero if provider else shortfall_cash)
    flows = {
        "economic": economic_unadj + adjustments_econ,
        "council": council_unadj + adj_council,
        "economic_unadjusted": economic_unadj,
        "council_unadjusted": council_unadj,
        "provider": provider_flow,
        "benefits": benefits + shortfall_social,
    }
    out = Evaluation(flows)
    if detail:
        out.lines = _detail_lines(opt, base, pre, post, provider, margin, fee, stranded, client, items, redundancy,
                                  strain, tax, dividend, ob_costs, shortfall_cash, shortfall_social, risk)
        if spec.is_entity:
            out.entity = _entity_accounts(out.lines, gdp, t)
    return out


def _detail_lines(opt, base, pre, post, provider, margin, fee, stranded, client, items, redundancy, strain,
                  tax, dividend, ob_costs, shortfall_cash, shortfall_social, risk) -> dict:
    T = len(post) if np.ndim(post) == 1 else post.shape[-1]
    lines = {}

    def put(n, c=None, p=None, s=None):
        vals = {k: (f.values() if f is not None else np.zeros(T)) for k, f in (("council", c), ("provider", p), ("society", s))}
        shape = np.broadcast_shapes(*(x.shape for x in vals.values()))
        lines[n] = {k: np.broadcast_to(x, shape).astype(float) for k, x in vals.items()}

    for n in _DELIVERY:
        if provider:
            c, p = base[n].mask(pre), opt[n].mask(post)
        else:
            c, p = opt[n].mask(post) + base[n].mask(pre), None
        if n == "social_benefits":
            put(n, s=c if p is None else c + p)
        else:
            put(n, c=c, p=p)
    put("provider_margin", p=margin)
    put("stranded_overheads", c=stranded)
    put("client_side_costs", c=client)
    put("one_off_costs", c=items[("one_off", "council")], p=items[("one_off", "provider")])
    put("capital_spend", c=items[("capital", "council")], p=items[("capital", "provider")])
    put("residual_value", c=items[("residual", "council")], p=items[("residual", "provider")])
    put("corporation_tax", p=tax)
    put("redundancy", c=redundancy)
    put("pension_strain", c=strain)
    put("management_fee", c=fee.scale(-1.0), p=fee)
    put("dividend", c=dividend.scale(-1.0), p=dividend)
    put("optimism_bias_costs", c=ob_costs["council"], p=ob_costs["provider"])
    if provider:
        put("optimism_bias_benefits", p=shortfall_cash, s=shortfall_social)
    else:
        put("optimism_bias_benefits", c=shortfall_cash, s=shortfall_social)
    put("risk", c=risk["council"], p=risk["provider"])
    return {n: lines[n] for n in LINES}


def _entity_accounts(lines: dict, gdp, t) -> dict:
    """A new entity's nominal profit and loss and cash lines by year (before council funding)."""
    deflator = (1.0 + gdp) ** t
    p = {n: lines[n]["provider"] * deflator for n in lines}
    income_names = ("management_fee", "fees_income", "trading_income", "grant_income")
    income = sum(p[n] for n in income_names)
    # Optimism bias and risk borne by the entity are kept in its accounts: the viability test is prudent.
    operating = sum(p[n] for n in ("staff_pay", "employer_pension", "pension_bond", "non_staff_costs", "energy_costs",
                                   "support_services", "efficiency_staff", "efficiency_non_staff", "trading_costs",
                                   "provider_margin", "business_rates", "rates_relief", "irrecoverable_vat",
                                   "one_off_costs", "optimism_bias_costs", "optimism_bias_benefits", "risk"))
    profit_before_tax = income + operating
    tax = p["corporation_tax"]
    profit_after_tax = profit_before_tax + tax
    dividend = p["dividend"]
    capital = p["capital_spend"]  # residual value is a balance-sheet asset, not cash
    cash_flow = profit_after_tax + dividend + capital
    shape = np.broadcast_shapes(*(np.shape(x) for x in (income, operating, tax, dividend, capital)))
    out = {
        "income": income,
        "operating_costs": operating,
        "profit_before_tax": profit_before_tax,
        "corporation_tax": tax,
        "profit_after_tax": profit_after_tax,
        "dividend": dividend,
        "capital": capital,
        "cash_flow": cash_flow,
    }
    return {k: np.broadcast_to(x, shape).astype(float) for k, x in out.items()}  # every line has the case axis
