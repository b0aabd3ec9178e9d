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

from dataclasses import dataclass, field

import numpy as np

from .adjustments import risk_expected_value

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


@dataclass
class Evaluation:
    """Totals by year (and, with ``detail=True``, every line split by party).

    Arrays have shape ``(n_years,)`` for one case or ``(cases, n_years)``.
    ``economic`` and ``council`` include optimism bias and risk; the ``*_unadjusted``
    totals leave them out. ``provider`` is the provider's (new entity's) own cash
    flow in real terms before any council funding.
    """

    economic: np.ndarray
    council: np.ndarray
    economic_unadjusted: np.ndarray
    council_unadjusted: np.ndarray
    provider: np.ndarray
    benefits: np.ndarray  # quantified social benefits (for the BCR)
    lines: dict = field(default_factory=dict)  # name -> {"council": a, "provider": a, "society": a}
    entity: dict = field(default_factory=dict)  # nominal P&L lines of a new entity


def _col(x) -> np.ndarray:
    """A driver value as a column: float -> shape (1,), array of cases -> shape (cases, 1)."""
    return np.asarray(x, dtype=float)[..., None]


def _ramp(t: np.ndarray, start, years) -> np.ndarray:
    """0 before ``start``; rises in a straight line to 1 over ``years`` years from ``start`` (step if 0)."""
    start, years = _col(start), _col(years)
    elapsed = t - start + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(years > 0, elapsed / np.where(years > 0, years, 1.0), 1.0)
    return np.where(t >= start, np.clip(frac, 0.0, 1.0), 0.0)


def _delivery_lines(v: dict, prefix: str, t: np.ndarray, idx: dict) -> dict:
    """The service's running lines for a set of driver values (``prefix`` '' = option, 'current_service.' = today)."""
    g = lambda name: _col(v[prefix + name])  # noqa: E731
    pay, price, energy = idx["pay"], idx["price"], idx["energy"]
    staff = -g("staff_fte") * g("staff_cost_per_fte_gbp") * pay
    pension = staff * g("pension_employer_rate")
    non_staff = -g("non_staff_costs_gbp") * price
    energy_c = -g("energy_costs_gbp") * energy
    support = -g("support_services_gbp") * price
    ramp = _ramp(t, v[prefix + "go_live_year"], v[prefix + "efficiency_ramp_years"])
    eff_staff = -(staff + pension) * g("staff_efficiency_pct") * ramp
    eff_non_staff = -(non_staff + energy_c) * g("non_staff_efficiency_pct") * ramp
    trading = g("trading_income_gbp") * price * _ramp(t, v[prefix + "trading_start_year"], v[prefix + "trading_ramp_years"])
    rates = -g("business_rates_gbp") * price
    return {
        "staff_pay": staff,
        "employer_pension": pension,
        "pension_bond": -g("pension_bond_gbp") + 0.0 * t,
        "non_staff_costs": non_staff,
        "energy_costs": energy_c,
        "support_services": support,
        "efficiency_staff": eff_staff,
        "efficiency_non_staff": eff_non_staff,
        "fees_income": g("fees_income_gbp") * price * (1.0 + g("income_real_growth")) ** t,
        "trading_income": trading,
        "trading_costs": -trading * g("trading_cost_ratio"),
        "social_benefits": g("social_benefits_gbp") * ramp,
        "business_rates": rates,
        "rates_relief": -rates * g("rates_relief_pct"),
        "irrecoverable_vat": (non_staff + energy_c + support + eff_non_staff) * g("irrecoverable_vat_pct"),
        "grant_income": g("grant_income_gbp") + 0.0 * t,
    }


def _sum(lines: dict, names) -> np.ndarray:
    total = 0.0
    for n in names:
        total = total + lines[n]
    return total


def _loss_carried_taxable(profit: np.ndarray) -> np.ndarray:
    """Taxable profit by year with unlimited loss carry-forward, vectorised.

    Cumulative taxable profit to year t is ``C_t - min(0, min_{s<=t} C_s)`` where C is cumulative profit.
    """
    c = np.cumsum(profit, axis=-1)
    floor = np.minimum(np.minimum.accumulate(c, axis=-1), 0.0)
    cum_taxable = c - floor
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
    gdp = _col(v["gdp_deflator"])
    idx = {
        "pay": ((1.0 + _col(v["pay_inflation"])) / (1.0 + gdp)) ** t,
        "price": ((1.0 + _col(v["price_inflation"])) / (1.0 + gdp)) ** t,
        "energy": ((1.0 + _col(v["energy_inflation"])) / (1.0 + gdp)) ** t,
    }
    opt = _delivery_lines(v, "", t, idx)
    base = _delivery_lines(v, "current_service.", t, idx)
    go_live = _col(v["go_live_year"])
    post = t >= go_live  # the option's values apply from go-live
    provider = spec.has_provider

    def split(o_sum, b_sum):
        """(council, provider) parts of a delivery total."""
        if provider:
            return np.where(post, 0.0, b_sum), np.where(post, o_sum, 0.0)
        return np.where(post, o_sum, b_sum), 0.0

    resource_names = [n for n in _DELIVERY if LINES[n].kind == "resource"]
    transfer_names = [n for n in _DELIVERY if LINES[n].kind == "transfer"]
    res_c, res_p = split(_sum(opt, resource_names), _sum(base, resource_names))
    tr_c, tr_p = split(_sum(opt, transfer_names), _sum(base, transfer_names))
    benefits = np.where(post, opt["social_benefits"], base["social_benefits"])

    margin = np.where(post, _sum(opt, _OPERATING_COSTS) * _col(v["provider_margin_pct"]), 0.0) if provider else 0.0 * t
    fee_real = _col(v["management_fee_gbp"]) * (1.0 + _col(v["management_fee_real_change"])) ** (t - go_live)
    fee = np.where(post, fee_real, 0.0) if provider else 0.0 * t  # paid by the council, received by the provider
    if provider:
        removal = _col(v["stranded_removal_years"])
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(removal > 0, 1.0 - (t - go_live) / np.where(removal > 0, removal, 1.0), 0.0)
        stranded = -_col(v["stranded_overheads_gbp"]) * np.where(post, np.clip(frac, 0.0, 1.0), 0.0)
        client = np.where(post, -_col(v["client_side_costs_gbp"]), 0.0)
    else:
        stranded = client = 0.0 * t
    at_go_live = t == go_live
    redundancy = np.where(at_go_live, -_col(v["redundancy_gbp"]), 0.0)
    strain = np.where(at_go_live, -_col(v["pension_strain_gbp"]), 0.0)

    # One-off and capital items, with optimism bias by category.
    items = {("one_off", "council"): 0.0 * t, ("one_off", "provider"): 0.0 * t,
             ("capital", "council"): 0.0 * t, ("capital", "provider"): 0.0 * t,
             ("residual", "council"): 0.0 * t, ("residual", "provider"): 0.0 * t}
    ob_costs = {"council": 0.0 * t, "provider": 0.0 * t}
    for it in spec.items:
        lst = "one_off_costs" if it.kind == "one_off" else "capital"
        amount = _col(v[f"{lst}.{it.id}.amount_gbp"])
        year = _col(v[f"{lst}.{it.id}.year"])
        if it.kind == "one_off":
            flow = -amount * (t == year)
            items[("one_off", it.borne_by)] = items[("one_off", it.borne_by)] + flow
        else:
            k = it.repeat_every_years
            bought = (t >= year) & ((((t - year) % k) == 0) if k else (t == year))
            flow = -amount * bought
            items[("capital", it.borne_by)] = items[("capital", it.borne_by)] + flow
            life = _col(v[f"capital.{it.id}.asset_life_years"])
            # Straight-line value left at the end of the period for every purchase still in service.
            remaining = np.clip((t + life - T) / life, 0.0, 1.0)  # of a purchase in year t
            residual_total = np.sum(amount * bought * remaining, axis=-1, keepdims=True)
            items[("residual", it.borne_by)] = items[("residual", it.borne_by)] + residual_total * (t == T - 1)
        if it.ob_pct:
            ob_costs[it.borne_by] = ob_costs[it.borne_by] + flow * it.ob_pct

    # Optimism bias on savings and new income: a shortfall, borne by whoever delivers after go-live.
    shortfall = -spec.benefits_shortfall * np.where(post, _sum(opt, _SHORTFALL), 0.0) if spec.benefits_shortfall else 0.0 * t
    shortfall_social = -spec.benefits_shortfall * np.where(post, opt["social_benefits"], 0.0) if spec.benefits_shortfall else 0.0 * t
    shortfall_cash = shortfall - shortfall_social

    # Risks: expected value, or realised draws for Monte Carlo.
    risk = {"council": 0.0 * t, "provider": 0.0 * t}
    for r in spec.risks:
        if risk_draws is None:
            k = f"risks.{r.id}."
            flow = risk_expected_value(v[k + "probability"], v[k + "impact_low_gbp"], v[k + "impact_most_likely_gbp"],
                                       v[k + "impact_high_gbp"], r.from_year, r.to_year, T)
        else:
            occurs, impact, year = risk_draws[r.id]
            flow = -_col(occurs * impact) * (t == _col(year))
        risk[r.borne_by] = risk[r.borne_by] + flow

    # Provider's own accounts (real): what it earns and spends, before council funding.
    prov_party = "provider" if provider else "council"
    prov_items = items[("one_off", "provider")] + items[("capital", "provider")] + items[("residual", "provider")]
    # Residual value is an asset on the balance sheet, not cash: it stays out of the provider's cash flow.
    provider_pre_tax = res_p + tr_p + margin + fee + prov_items - items[("residual", "provider")] if provider else 0.0 * t
    tax_real = dividend = 0.0 * t
    if spec.is_entity:
        deflator = (1.0 + gdp) ** t
        # Taxable profit: operating surplus less capital spend (full expensing); residual values are not income.
        taxable = (res_p + tr_p + margin + fee + items[("capital", "provider")] + items[("one_off", "provider")]) * deflator
        tax_nominal = -_col(v["corporation_tax_rate"]) * _loss_carried_taxable(taxable)
        tax_real = tax_nominal / deflator
        after_tax = res_p + tr_p + margin + fee + items[("one_off", "provider")] + tax_real
        dividend = -_col(v["dividend_pct"]) * np.maximum(after_tax, 0.0)  # paid by the entity to the council
    provider_total = provider_pre_tax + tax_real + dividend if provider else 0.0 * t

    council_items = items[("one_off", "council")] + items[("capital", "council")] + items[("residual", "council")]
    economic_unadj = res_c + res_p + benefits + margin + stranded + client + council_items + prov_items
    council_unadj = res_c + tr_c - fee - dividend + stranded + client + council_items + redundancy + strain
    ob_total = ob_costs["council"] + ob_costs["provider"]
    adjustments_econ = ob_total + shortfall + _sum(risk, ("council", "provider"))
    if provider:
        adj_council = ob_costs["council"] + risk["council"]
        provider_total = provider_total + ob_costs["provider"] + risk["provider"] + shortfall_cash
    else:
        adj_council = ob_costs["council"] + risk["council"] + shortfall_cash
    out = Evaluation(
        economic=economic_unadj + adjustments_econ,
        council=council_unadj + adj_council,
        economic_unadjusted=economic_unadj,
        council_unadjusted=council_unadj,
        provider=provider_total,
        benefits=benefits + shortfall_social,
    )
    if detail:
        out.lines = _detail_lines(spec, opt, base, post, provider, margin, fee, stranded, client, items, redundancy,
                                  strain, tax_real, dividend, ob_costs, shortfall_cash, shortfall_social, risk, prov_party)
        if spec.is_entity:
            out.entity = _entity_accounts(out.lines, gdp, t)
    return out


def _detail_lines(spec, opt, base, post, provider, margin, fee, stranded, client, items, redundancy, strain,
                  tax, dividend, ob_costs, shortfall_cash, shortfall_social, risk, prov_party) -> dict:
    zero = 0.0 * opt["staff_pay"]
    lines = {}
    for n in _DELIVERY:
        if provider:
            c, p = np.where(post, 0.0, base[n]), np.where(post, opt[n], 0.0)
        else:
            c, p = np.where(post, opt[n], base[n]), zero
        if n == "social_benefits":
            lines[n] = {"council": zero, "provider": zero, "society": c + p}
        else:
            lines[n] = {"council": c, "provider": p, "society": zero}
    put = lambda n, c=None, p=None, s=None: lines.__setitem__(  # noqa: E731
        n, {"council": zero + (0.0 if c is None else c), "provider": zero + (0.0 if p is None else p),
            "society": zero + (0.0 if s is None else s)})
    put("provider_margin", p=margin)
    put("stranded_overheads", c=stranded)
    put("client_side_costs", c=client)
    put("one_off_costs", c=items[("one_off", "council")], p=items[("one_off", "provider")])
    put("capital_spend", c=items[("capital", "council")], p=items[("capital", "provider")])
    put("residual_value", c=items[("residual", "council")], p=items[("residual", "provider")])
    put("corporation_tax", p=tax)
    put("redundancy", c=redundancy)
    put("pension_strain", c=strain)
    put("management_fee", c=-fee, p=fee)
    put("dividend", c=-dividend, p=dividend)
    put("optimism_bias_costs", c=ob_costs["council"], p=ob_costs["provider"])
    if prov_party == "provider":
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
    operating = sum(p[n] for n in ("staff_pay", "employer_pension", "pension_bond", "non_staff_costs", "energy_costs",
                                   "support_services", "efficiency_staff", "efficiency_non_staff", "trading_costs",
                                   "provider_margin", "business_rates", "rates_relief", "irrecoverable_vat",
                                   "one_off_costs", "optimism_bias_costs", "optimism_bias_benefits", "risk"))
    # optimism bias on provider capital is a capital flow, not P&L, but keeping it with the P&L is prudent
    profit_before_tax = income + operating
    tax = p["corporation_tax"]
    profit_after_tax = profit_before_tax + tax
    dividend = p["dividend"]
    capital = p["capital_spend"]  # residual value is a balance-sheet asset, not cash
    cash_flow = profit_after_tax + dividend + capital
    return {
        "income": income,
        "operating_costs": operating,
        "profit_before_tax": profit_before_tax,
        "corporation_tax": tax,
        "profit_after_tax": profit_after_tax,
        "dividend": dividend,
        "capital": capital,
        "cash_flow": cash_flow,
    }
