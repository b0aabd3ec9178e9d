"""The driver catalogue: every assumption the cash-flow model understands.

A *driver* is one named scalar assumption (``staff_fte``, ``pay_inflation``).
The catalogue gives each its unit, the business-case group it belongs to, a
label for reports and widgets, and the bounds a valid value must respect.
Validation, the assumption register, the widgets and the sensitivity layer all
read this one table, so adding a driver is one entry here plus its use in
:mod:`asdm_models.cashflows`.

Units
-----
``gbp``      money per year (or once, for one-off drivers), real terms at the price base
``rate``     a fraction (``0.035``) or ``"3.5%"``
``count``    a number of things (FTE)
``years``    a duration in years (may be fractional: a ramp of 1.5 years)
``year``     a point in time: a financial-year label (``"2027-28"``) or an index (0 = first year)

Item drivers
------------
One-off costs, capital items and risks are lists in the option file; each
numeric field of an item is also a driver, addressed by a dotted path such as
``one_off_costs.legal.amount_gbp`` or ``risks.tupe_claim.probability``, so it
can be changed at FBC, made uncertain or moved in a scenario like any other.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = ["Driver", "DRIVERS", "ECONOMY_DRIVERS", "GROUPS", "ITEM_FIELDS", "suggest"]


@dataclass(frozen=True)
class Driver:
    name: str
    unit: str  # gbp | rate | count | years | year
    group: str  # staff | running | income | overheads | contract | tax | economy | one_off | capital | risk
    label: str
    description: str
    default: float | None = 0.0  # None: must be stated in current_service
    minimum: float | None = None
    maximum: float | None = None


GROUPS = {
    "economy": "Economy (shared by every option)",
    "staff": "Staff and pensions",
    "running": "Running costs and efficiency",
    "income": "Income",
    "overheads": "Overheads and support services",
    "contract": "Delivery model: go-live, fee and funding",
    "tax": "Tax, VAT and business rates",
    "one_off": "Transition and one-off costs",
    "capital": "Capital and assets",
    "risk": "Risks",
}

_D = Driver
_ALL = [
    # Economy: stated once in appraisal.yaml, shared by every option (common random numbers).
    _D("gdp_deflator", "rate", "economy", "GDP deflator (general inflation)",
       "Annual general inflation; converts real (price-base) figures to nominal cash.", None, -0.5, 1.0),
    _D("pay_inflation", "rate", "economy", "Pay inflation",
       "Annual nominal pay award; staff costs grow in real terms by (1+pay)/(1+GDP deflator)-1.", None, -0.5, 1.0),
    _D("price_inflation", "rate", "economy", "Price inflation (non-pay)",
       "Annual nominal inflation of non-pay costs, support services and fees.", None, -0.5, 1.0),
    _D("energy_inflation", "rate", "economy", "Energy price inflation",
       "Annual nominal inflation of energy and fuel costs.", None, -0.5, 1.0),
    # Staff
    _D("staff_fte", "count", "staff", "Staff (FTE)",
       "Full-time-equivalent staff delivering the service.", None, 0.0, None),
    _D("staff_cost_per_fte_gbp", "gbp", "staff", "Average pay cost per FTE",
       "Average salary plus employer National Insurance per FTE, before pension, at the price base.", None, 0.0, None),
    _D("pension_employer_rate", "rate", "staff", "Employer pension contribution rate",
       "LGPS (or other scheme) employer contribution as a fraction of pay.", None, 0.0, 1.0),
    _D("staff_efficiency_pct", "rate", "staff", "Staff cost efficiency at full ramp-up",
       "Reduction in staff costs once the new model is fully ramped up.", 0.0, -1.0, 1.0),
    _D("pension_bond_gbp", "gbp", "staff", "Pension bond / guarantee premium",
       "Annual cost of the admitted-body bond or guarantee the provider needs to join the LGPS.", 0.0, 0.0, None),
    _D("redundancy_gbp", "gbp", "staff", "Redundancy costs (one-off)",
       "One-off redundancy payments borne by the council in the go-live year.", 0.0, 0.0, None),
    _D("pension_strain_gbp", "gbp", "staff", "Pension strain (one-off)",
       "One-off pension strain cost of early retirements, borne by the council in the go-live year.", 0.0, 0.0, None),
    # Running costs
    _D("non_staff_costs_gbp", "gbp", "running", "Non-staff running costs",
       "Premises, supplies and services, transport, excluding energy and support services.", None, 0.0, None),
    _D("energy_costs_gbp", "gbp", "running", "Energy and fuel costs", "Energy and fuel per year.", 0.0, 0.0, None),
    _D("non_staff_efficiency_pct", "rate", "running", "Non-staff efficiency at full ramp-up",
       "Reduction in non-staff and energy costs once fully ramped up.", 0.0, -1.0, 1.0),
    _D("efficiency_ramp_years", "years", "running", "Years to reach full efficiency",
       "Efficiencies build up in a straight line over this many years from go-live (0 = all at once).", 0.0, 0.0, 50.0),
    # Income
    _D("fees_income_gbp", "gbp", "income", "Fees and charges income",
       "Income from users at the price base.", None, 0.0, None),
    _D("income_real_growth", "rate", "income", "Real growth in fees income",
       "Annual growth in fees income above price inflation (volumes, pricing).", 0.0, -0.5, 0.5),
    _D("trading_income_gbp", "gbp", "income", "New trading income at full ramp-up",
       "New commercial income (external contracts, new services) once fully ramped up.", 0.0, 0.0, None),
    _D("trading_start_year", "year", "income", "First year of new trading income",
       "Year in which new trading income begins.", 1.0, 0.0, None),
    _D("trading_ramp_years", "years", "income", "Years for trading income to ramp up",
       "Trading income builds up in a straight line over this many years (0 = all at once).", 0.0, 0.0, 50.0),
    _D("trading_cost_ratio", "rate", "income", "Cost of new trading, as a share of its income",
       "Direct costs of earning new trading income, as a fraction of that income.", 0.0, 0.0, 1.0),
    _D("grant_income_gbp", "gbp", "income", "Grant income",
       "Grants from other public bodies or charities per year (a transfer in the economic case).", 0.0, 0.0, None),
    _D("social_benefits_gbp", "gbp", "income", "Quantified social benefits",
       "Monetised wider benefits (e.g. health from participation) per year at full ramp-up; "
       "economic case only, never cash.", 0.0, 0.0, None),
    # Overheads
    _D("support_services_gbp", "gbp", "overheads", "Support services (HR, finance, IT, legal)",
       "Cost of the support services the deliverer uses: central recharges in-house, bought in by a provider.",
       None, 0.0, None),
    _D("stranded_overheads_gbp", "gbp", "overheads", "Stranded overheads",
       "Central overheads that stay with the council when the service leaves, in the go-live year.", 0.0, 0.0, None),
    _D("stranded_removal_years", "years", "overheads", "Years to remove stranded overheads",
       "Stranded overheads fall in a straight line to zero over this many years (0 = removed at once).",
       0.0, 0.0, 50.0),
    _D("client_side_costs_gbp", "gbp", "overheads", "Client-side contract management",
       "The council's annual cost of commissioning and monitoring the provider.", 0.0, 0.0, None),
    # Delivery model / contract
    _D("go_live_year", "year", "contract", "Go-live year",
       "First year the new model runs; before it the current service continues unchanged.", 1.0, 0.0, None),
    _D("management_fee_gbp", "gbp", "contract", "Management fee / contract price (first year)",
       "What the council pays the provider in the go-live year, at the price base.", 0.0, 0.0, None),
    _D("management_fee_real_change", "rate", "contract", "Annual real change in the fee",
       "Real-terms change of the fee each year after go-live (e.g. -5% for a tapering fee).", 0.0, -1.0, 1.0),
    _D("provider_margin_pct", "rate", "contract", "Provider profit margin",
       "Private partner's margin on its operating costs (outsourcing, joint-venture partner).", 0.0, 0.0, 1.0),
    _D("dividend_pct", "rate", "contract", "Dividend / surplus share to the council",
       "Share of the entity's profit after tax returned to the council.", 0.0, 0.0, 1.0),
    _D("planned_funding_gbp", "gbp", "contract", "Council working-capital funding",
       "Loan or equity the council puts into a new entity at go-live (an internal transfer).", 0.0, 0.0, None),
    _D("sunk_costs_gbp", "gbp", "contract", "Sunk costs already spent",
       "Spent before the appraisal (e.g. the review itself): reported, never in the NPV.", 0.0, 0.0, None),
    _D("exit_cost_gbp", "gbp", "contract", "Exit cost (bring the service back)",
       "Estimated one-off cost of bringing the service back in-house: reported with the exit strategy.",
       0.0, 0.0, None),
    # Tax, VAT and rates
    _D("business_rates_gbp", "gbp", "tax", "Business rates (gross)",
       "Gross non-domestic rates on the service's properties.", 0.0, 0.0, None),
    _D("rates_relief_pct", "rate", "tax", "Business rates relief",
       "Mandatory (80% for charities) plus discretionary relief.", 0.0, 0.0, 1.0),
    _D("irrecoverable_vat_pct", "rate", "tax", "Irrecoverable VAT on non-pay spend",
       "Share of non-staff, energy and support spend lost as VAT the deliverer cannot recover.", 0.0, 0.0, 0.2),
    _D("corporation_tax_rate", "rate", "tax", "Corporation tax rate",
       "On the entity's taxable profit (0 for a charity or a public body).", 0.0, 0.0, 1.0),
]

DRIVERS: dict[str, Driver] = {d.name: d for d in _ALL}
ECONOMY_DRIVERS = tuple(d.name for d in _ALL if d.group == "economy")

# Numeric fields of list items that are drivers (addressable as list.<id>.<field>).
ITEM_FIELDS: dict[str, dict[str, Driver]] = {
    "one_off_costs": {
        "amount_gbp": _D("amount_gbp", "gbp", "one_off", "Amount", "One-off cost at the price base.", None, 0.0),
        "year": _D("year", "year", "one_off", "Year", "Year the cost falls.", None, 0.0),
    },
    "capital": {
        "amount_gbp": _D("amount_gbp", "gbp", "capital", "Amount", "Capital cost at the price base.", None, 0.0),
        "year": _D("year", "year", "capital", "Year", "Year of the (first) spend.", None, 0.0),
        "asset_life_years": _D("asset_life_years", "years", "capital", "Asset life",
                               "Useful life; sets the residual value at the end of the period.", None, 0.0),
    },
    "risks": {
        "probability": _D("probability", "rate", "risk", "Probability",
                          "Probability the risk occurs at some point in its window.", None, 0.0, 1.0),
        "impact_low_gbp": _D("impact_low_gbp", "gbp", "risk", "Impact: low", "Lowest credible cost.", None, 0.0),
        "impact_most_likely_gbp": _D("impact_most_likely_gbp", "gbp", "risk", "Impact: most likely",
                                     "Most likely cost.", None, 0.0),
        "impact_high_gbp": _D("impact_high_gbp", "gbp", "risk", "Impact: high", "Highest credible cost.", None, 0.0),
    },
}


def suggest(word: str, choices) -> str:
    """`` (did you mean 'staff_fte'?)`` for a close match, else an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
