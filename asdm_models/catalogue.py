"""The catalogue: every driver the model understands and every line it produces, in one place.

A *driver* is one named scalar assumption (``staff_fte``, ``pay_inflation``). A *line* is one
row of the cash flows (``staff_pay``, ``management_fee``): its kind for the two lenses, where it
goes in a new entity's accounts and in the financial case, and which saving it belongs to for the
benefits shortfall. Validation, the assumption register, the widgets, the sensitivity layer, the
entity's accounts and the README's driver table all read these two tables, so a new driver or a
new built-in line is one entry here plus its rule function (see :mod:`asdm_models.cashflows`).

A council's own lines (``lines:`` in ``current_service`` or an option) are lines too: they take
their kind and treatment from their data, and their numeric fields (:data:`LINE_FIELDS`) are
drivers addressed by path (``lines.cafe_franchise.amount_gbp``).

Units
-----
``gbp``      money, real terms at the price base; ``per`` says whether it is a year's amount or once
``rate``     a fraction (``0.035``) or ``"3.5%"``
``count``    a number of things (FTE, companies)
``years``    a duration in years (may be fractional: a ramp of 1.5 years)
``year``     a point in time: a financial-year label (``"2027-28"``) or an index (0 = first year)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = ["Driver", "DRIVERS", "ECONOMY_DRIVERS", "GROUPS", "ITEM_FIELDS", "LINE_FIELDS", "LineType", "LINE_TYPES",
           "KINDS", "KIND_REASON", "RENAMED", "INDICES", "suggest", "driver_table_markdown", "line_fields_markdown",
           "render_readme", "README_BLOCKS"]


@dataclass(frozen=True)
class Driver:
    """One scalar assumption.

    ``per`` (money only): ``"year"`` for an amount each year, ``"once"`` for a single amount.
    ``lines``: the cost lines whose amount this driver sets; such a driver's entry may carry an
    ``optimism_bias_category`` (the uplift applies to those lines).
    ``index``: for a driver whose line may be indexed differently (a fee, a contract price), the
    index it follows unless its entry says otherwise (``indexation``, ``cap``, ``collar``).
    ``required_in``: the section that must state it (no default).
    ``follows``: a driver whose value it takes when not stated.
    """

    name: str
    unit: str  # gbp | rate | count | years | year
    group: str
    label: str
    description: str
    default: float | None = 0.0
    minimum: float | None = None
    maximum: float | None = None
    per: str | None = None
    lines: tuple = ()
    index: str | None = None
    required_in: str | None = None
    follows: str | None = None


GROUPS = {
    "economy": "Economy (shared by every option)",
    "staff": "Staff and pensions",
    "running": "Running costs and efficiency",
    "income": "Income",
    "overheads": "Overheads and support services",
    "contract": "Delivery model: go-live, fee and funding",
    "tax": "Tax, VAT and business rates",
    "lines": "The council's own lines",
    "one_off": "Transition and one-off costs",
    "capital": "Capital and assets",
    "risk": "Risks",
}

# Indices a line can follow: the economy driver that sets its nominal annual rate. Real terms are
# nominal deflated by the GDP deflator, so ``gdp_deflator`` keeps an amount constant in real terms and
# ``none`` (no indexation: fixed in cash) makes it fall in real terms.
INDICES = {
    "gdp_deflator": "gdp_deflator",
    "pay": "pay_inflation",
    "price": "price_inflation",
    "energy": "energy_inflation",
    "cpi": "cpi_inflation",
    "none": None,
}

_D = Driver
_ALL = [
    # Economy: stated once in appraisal.yaml, shared by every option (common random numbers).
    _D("gdp_deflator", "rate", "economy", "GDP deflator (general inflation)",
       "Annual general inflation; converts real (price-base) figures to nominal cash.", None, -0.5, 1.0,
       required_in="economy"),
    _D("pay_inflation", "rate", "economy", "Pay inflation",
       "Annual nominal pay award; staff costs grow in real terms by (1+pay)/(1+GDP deflator)-1.", None, -0.5, 1.0,
       required_in="economy"),
    _D("price_inflation", "rate", "economy", "Price inflation (non-pay)",
       "Annual nominal inflation of non-pay costs, support services and fees.", None, -0.5, 1.0, required_in="economy"),
    _D("energy_inflation", "rate", "economy", "Energy price inflation",
       "Annual nominal inflation of energy and fuel costs.", None, -0.5, 1.0, required_in="economy"),
    _D("cpi_inflation", "rate", "economy", "CPI inflation",
       "Annual CPI inflation, for contracts and fees indexed to CPI; follows price inflation when not stated.",
       None, -0.5, 1.0, follows="price_inflation"),
    # Staff
    _D("staff_fte", "count", "staff", "Staff (FTE)",
       "Full-time-equivalent staff delivering the service.", None, 0.0, None, required_in="current_service"),
    _D("staff_cost_per_fte_gbp", "gbp", "staff", "Average pay cost per FTE",
       "Average salary plus employer National Insurance per FTE, before pension, at the price base.", None, 0.0,
       None, per="year", lines=("staff_pay", "employer_pension"), required_in="current_service"),
    _D("pension_employer_rate", "rate", "staff", "Employer pension contribution rate",
       "LGPS (or other scheme) employer contribution as a fraction of pay.", None, 0.0, 1.0,
       required_in="current_service"),
    _D("staff_efficiency_rate", "rate", "staff", "Staff cost efficiency at full ramp-up",
       "Reduction in staff costs once the new model is fully ramped up.", 0.0, -1.0, 1.0),
    _D("pension_bond_gbp", "gbp", "staff", "Pension bond / guarantee premium",
       "Cost of the admitted-body bond or guarantee the provider needs to join the LGPS.", 0.0, 0.0, None,
       per="year", lines=("pension_bond",)),
    _D("apprenticeship_levy_rate", "rate", "staff", "Apprenticeship levy rate",
       "Levy on the deliverer's pay bill (0.5%, Finance Act 2016 s99); 0 leaves the levy out.", 0.0, 0.0, 0.1),
    _D("apprenticeship_levy_allowance_gbp", "gbp", "staff", "Apprenticeship levy allowance",
       "The deliverer's own levy allowance (£15,000 for a new employer; 0 for the council or a large contractor, "
       "whose allowance the rest of their pay bill uses).", 0.0, 0.0, None, per="year"),
    _D("redundancy_gbp", "gbp", "staff", "Redundancy costs",
       "Redundancy payments borne by the council in the go-live year.", 0.0, 0.0, None, per="once"),
    _D("pension_strain_gbp", "gbp", "staff", "Pension strain",
       "Pension strain cost of early retirements, borne by the council in the go-live year.", 0.0, 0.0, None,
       per="once"),
    # Running costs
    _D("non_staff_costs_gbp", "gbp", "running", "Non-staff running costs",
       "Premises, supplies and services, transport, excluding energy and support services.", None, 0.0, None,
       per="year", lines=("non_staff_costs",), required_in="current_service"),
    _D("energy_costs_gbp", "gbp", "running", "Energy and fuel costs", "Energy and fuel.", 0.0, 0.0, None,
       per="year", lines=("energy_costs",)),
    _D("non_staff_efficiency_rate", "rate", "running", "Non-staff efficiency at full ramp-up",
       "Reduction in non-staff and energy costs once fully ramped up.", 0.0, -1.0, 1.0),
    _D("efficiency_ramp_years", "years", "running", "Years to reach full efficiency",
       "Efficiencies build up in a straight line over this many years from go-live (0 = all at once).", 0.0, 0.0,
       50.0),
    # Income
    _D("fees_income_gbp", "gbp", "income", "Fees and charges income",
       "Income from users at the price base; follows price inflation unless its entry says otherwise.", None, 0.0,
       None, per="year", index="price", required_in="current_service"),
    _D("income_real_growth", "rate", "income", "Real growth in fees income",
       "Annual growth in fees income above its index (volumes, pricing); an option's rate applies from its "
       "go-live year.", 0.0, -0.5, 0.5),
    _D("trading_income_gbp", "gbp", "income", "New trading income at full ramp-up",
       "New commercial income (external contracts, new services) once fully ramped up.", 0.0, 0.0, None,
       per="year"),
    _D("trading_start_year", "year", "income", "First year of new trading income",
       "Year in which new trading income begins (for an option, not before its go-live).", 1.0, 0.0, None),
    _D("trading_ramp_years", "years", "income", "Years for trading income to ramp up",
       "Trading income builds up in a straight line over this many years (0 = all at once).", 0.0, 0.0, 50.0),
    _D("trading_cost_ratio", "rate", "income", "Cost of new trading, as a share of its income",
       "Direct costs of earning new trading income, as a fraction of that income.", 0.0, 0.0, 1.0),
    _D("grant_income_gbp", "gbp", "income", "Grant income",
       "Grants from other public bodies or charities (a transfer in the economic case).", 0.0, 0.0, None,
       per="year"),
    _D("social_benefits_gbp", "gbp", "income", "Quantified social benefits",
       "Monetised wider benefits (e.g. health from participation) at full ramp-up; economic case only, never cash.",
       0.0, 0.0, None, per="year"),
    # Overheads
    _D("support_services_gbp", "gbp", "overheads", "Support services (HR, finance, IT, legal)",
       "Cost of the support services the deliverer uses: central recharges in-house, bought in by a provider.",
       None, 0.0, None, per="year", lines=("support_services",), required_in="current_service"),
    _D("stranded_overheads_gbp", "gbp", "overheads", "Stranded overheads",
       "Central overheads that stay with the council when the service leaves, in full in the go-live year.",
       0.0, 0.0, None, per="year", lines=("stranded_overheads",)),
    _D("stranded_removal_years", "years", "overheads", "Years to remove stranded overheads",
       "Stranded overheads fall in a straight line from their full amount in the go-live year to zero this many "
       "years later (0 or 1: the go-live year only).", 0.0, 0.0, 50.0),
    _D("client_side_costs_gbp", "gbp", "overheads", "Client-side contract management",
       "The council's cost of commissioning and monitoring the provider.", 0.0, 0.0, None, per="year",
       lines=("client_side_costs",)),
    # Delivery model / contract
    _D("go_live_year", "year", "contract", "Go-live year",
       "First year the new model runs; before it the current service continues unchanged.", 1.0, 0.0, None),
    _D("management_fee_gbp", "gbp", "contract", "Management fee / contract price (first year)",
       "What the council pays the provider in the go-live year at the price base; constant in real terms unless "
       "its entry states an indexation (e.g. pay, cpi, a basket, with a cap and collar).", 0.0, 0.0, None,
       per="year", lines=("management_fee",), index="gdp_deflator"),
    _D("management_fee_real_change", "rate", "contract", "Annual real change in the fee",
       "Change of the fee each year after go-live on top of its index (e.g. -5% for a tapering fee).", 0.0, -1.0,
       1.0),
    _D("provider_margin_rate", "rate", "contract", "Provider profit margin",
       "Private partner's margin on its operating costs (outsourcing, joint-venture partner).", 0.0, 0.0, 1.0),
    _D("dividend_payout_rate", "rate", "contract", "Dividend payout (share of profit distributed)",
       "Share of the entity's profit after tax paid out to its shareholders; the council receives its share "
       "(1 - partner equity share).", 0.0, 0.0, 1.0),
    _D("partner_equity_share", "rate", "contract", "Partner's equity share",
       "A joint-venture partner's share of the entity's equity, and so of its dividends.", 0.0, 0.0, 1.0),
    _D("planned_funding_gbp", "gbp", "contract", "Council working-capital funding",
       "Loan or equity the council puts into a new entity at go-live (an internal transfer).", 0.0, 0.0, None,
       per="once"),
    _D("sunk_costs_gbp", "gbp", "contract", "Sunk costs already spent",
       "Spent before the appraisal (e.g. the review itself): reported, never in the NPV.", 0.0, 0.0, None,
       per="once"),
    _D("exit_cost_gbp", "gbp", "contract", "Exit cost (bring the service back)",
       "Estimated cost of bringing the service back in-house: reported with the exit strategy.", 0.0, 0.0, None,
       per="once"),
    # Tax, VAT and rates
    _D("business_rates_gbp", "gbp", "tax", "Business rates (gross)",
       "Gross non-domestic rates on the service's properties.", 0.0, 0.0, None, per="year"),
    _D("rates_relief_rate", "rate", "tax", "Business rates relief",
       "Mandatory (80% for charities) plus discretionary relief, as a share of gross rates.", 0.0, 0.0, 1.0),
    _D("irrecoverable_vat_rate", "rate", "tax", "Irrecoverable VAT on non-pay spend",
       "Share of non-staff, energy and support spend lost as VAT the deliverer cannot recover.", 0.0, 0.0, 0.2),
    _D("corporation_tax_rate", "rate", "tax", "Corporation tax: flat-rate override",
       "When stated, a flat rate on the entity's taxable profit (0 for a charity). When not, a trading company "
       "or joint venture pays UK corporation tax (small profits rate, marginal relief, main rate: "
       "data/reference/corporation_tax.yaml) and a social enterprise none (charitable exemption).",
       None, 0.0, 1.0),
    _D("associated_companies", "count", "tax", "Associated companies",
       "Companies under common control with the entity (e.g. the council's other companies); the corporation tax "
       "limits are divided by one plus this number.", 0.0, 0.0, 100.0),
]

DRIVERS: dict[str, Driver] = {d.name: d for d in _ALL}
ECONOMY_DRIVERS = tuple(d.name for d in _ALL if d.group == "economy")

# Drivers renamed so that names say what their values are (the old ``_pct`` names held fractions).
# Old data gets an error giving the new name; ``asdm migrate`` rewrites a folder.
RENAMED = {
    "staff_efficiency_pct": "staff_efficiency_rate",
    "non_staff_efficiency_pct": "non_staff_efficiency_rate",
    "provider_margin_pct": "provider_margin_rate",
    "dividend_pct": "dividend_payout_rate",
    "rates_relief_pct": "rates_relief_rate",
    "irrecoverable_vat_pct": "irrecoverable_vat_rate",
}

# Numeric fields of list items that are drivers (addressable as list.<id>.<field>).
ITEM_FIELDS: dict[str, dict[str, Driver]] = {
    "one_off_costs": {
        "amount_gbp": _D("amount_gbp", "gbp", "one_off", "Amount", "One-off cost at the price base.", None, 0.0,
                         per="once"),
        "year": _D("year", "year", "one_off", "Year", "Year the cost falls.", None, 0.0),
    },
    "capital": {
        "amount_gbp": _D("amount_gbp", "gbp", "capital", "Amount", "Capital cost at the price base (each purchase).",
                         None, 0.0, per="once"),
        "year": _D("year", "year", "capital", "Year", "Year of the (first) spend.", None, 0.0),
        "asset_life_years": _D("asset_life_years", "years", "capital", "Asset life",
                               "Useful life; sets depreciation and the residual value at the end of the period.", None,
                               0.0),
    },
    "risks": {
        "probability": _D("probability", "rate", "risk", "Probability",
                          "Probability the risk occurs at some point in its window.", None, 0.0, 1.0),
        "impact_low_gbp": _D("impact_low_gbp", "gbp", "risk", "Impact: low", "Lowest credible cost.", None, 0.0,
                             per="once"),
        "impact_most_likely_gbp": _D("impact_most_likely_gbp", "gbp", "risk", "Impact: most likely",
                                     "Most likely cost.", None, 0.0, per="once"),
        "impact_high_gbp": _D("impact_high_gbp", "gbp", "risk", "Impact: high", "Highest credible cost.", None, 0.0,
                              per="once"),
    },
}

# The numeric fields of a council's own line: each is a driver, ``lines.<id>.<field>`` (an option's line,
# its value from go-live) or ``current_service.lines.<id>.<field>`` (the service as it is).
LINE_FIELDS: dict[str, Driver] = {
    "amount_gbp": _D("amount_gbp", "gbp", "lines", "Amount",
                     "A year's amount (per: year) or the single amount (per: once), real at the price base, "
                     "stated as a positive number.", None, 0.0),
    "real_growth": _D("real_growth", "rate", "lines", "Real growth",
                      "Annual change on top of the index, compounding from the line's first year.", 0.0, -0.5, 0.5),
    "from_year": _D("from_year", "year", "lines", "First year",
                    "First year the line runs (per: once: the year it falls).", None, 0.0),
    "to_year": _D("to_year", "year", "lines", "Last year", "Last year the line runs.", None, 0.0),
    "ramp_years": _D("ramp_years", "years", "lines", "Ramp-up years",
                     "The line builds up in a straight line over this many years from its first year.", 0.0, 0.0,
                     50.0),
}

KINDS = {
    "resource": "a real cost or income of the council or provider: in both lenses",
    "benefit": "a monetised social benefit: economic case only, never cash",
    "transfer": "a tax, relief, grant or payment to individuals: council lens only",
    "internal": "a payment between the council, provider and partner: nets out in the economic case",
}

KIND_REASON = {
    "transfer": "transfer: left out of the economic case (a tax, relief, grant or payment to individuals)",
    "internal": "internal: a payment between the council and the provider, which nets out in the economic case",
    "benefit": "economic only: a monetised social benefit, not cash",
    "provider": "borne by the provider, not the council's budget",
    "partner": "borne by the partner, not the council's budget",
}


@dataclass(frozen=True)
class LineType:
    """One built-in line of the cash flows.

    ``family``: ``service`` (the service's own lines: whoever delivers bears them; computed for the
    current service and the option), ``client`` (the council's own lines once a provider delivers),
    ``contract`` (between council and provider), ``item`` (one-off and capital items), ``council``
    (the council's one-offs at go-live), ``entity`` (a new entity's tax and distributions),
    ``adjustment`` (optimism bias, benefits shortfall, risk).
    ``entity``: where the provider's part goes in a new entity's accounts: ``income``, ``operating``,
    ``capital`` (cash, not profit), ``tax``, ``distribution``; None when it is not in them.
    ``shortfall``: the group whose gain over the current service the benefits shortfall reduces: each
    line on its own, except a line whose amount is a ratio of another (the costs of new trading) which
    goes with it; None when the shortfall does not apply (transfers, one-off and capital items).
    ``financial_case``: ``one_off`` or ``capital`` for the rows of the financial case that show them.
    """

    name: str
    label: str
    kind: str  # resource | benefit | transfer | internal | adjustment
    family: str
    entity: str | None = None
    shortfall: str | None = None
    financial_case: str | None = None


_L = LineType
# The order is the order of every table and waterfall; a council's own lines follow the service lines.
LINE_TYPES: dict[str, LineType] = {li.name: li for li in [
    _L("staff_pay", "Staff pay", "resource", "service", "operating", "staff_pay"),
    _L("employer_pension", "Employer pension contributions", "resource", "service", "operating", "employer_pension"),
    _L("pension_bond", "Pension bond / guarantee", "resource", "service", "operating", "pension_bond"),
    _L("non_staff_costs", "Non-staff running costs", "resource", "service", "operating", "non_staff_costs"),
    _L("energy_costs", "Energy and fuel", "resource", "service", "operating", "energy_costs"),
    _L("support_services", "Support services", "resource", "service", "operating", "support_services"),
    _L("efficiency_staff", "Efficiency savings: staff", "resource", "service", "operating", "efficiency_staff"),
    _L("efficiency_non_staff", "Efficiency savings: non-staff", "resource", "service", "operating",
       "efficiency_non_staff"),
    _L("fees_income", "Fees and charges income", "resource", "service", "income", "fees_income"),
    _L("trading_income", "New trading income", "resource", "service", "income", "trading"),
    _L("trading_costs", "Costs of new trading", "resource", "service", "operating", "trading"),
    _L("social_benefits", "Quantified social benefits", "benefit", "service", None, "social_benefits"),
    _L("business_rates", "Business rates (gross)", "transfer", "service", "operating"),
    _L("rates_relief", "Business rates relief", "transfer", "service", "operating"),
    _L("irrecoverable_vat", "Irrecoverable VAT", "transfer", "service", "operating"),
    _L("apprenticeship_levy", "Apprenticeship levy", "transfer", "service", "operating"),
    _L("grant_income", "Grant income", "transfer", "service", "income"),
    _L("provider_margin", "Provider margin", "resource", "contract", "operating"),
    _L("stranded_overheads", "Stranded overheads (council)", "resource", "client"),
    _L("client_side_costs", "Client-side contract management", "resource", "client"),
    _L("one_off_costs", "Transition and one-off costs", "resource", "item", "operating", None, "one_off"),
    _L("capital_spend", "Capital spend", "resource", "item", "capital", None, "capital"),
    _L("asset_transfers", "Asset transfers at value", "internal", "item", "capital", None, "capital"),
    _L("residual_value", "Residual value of assets", "resource", "item"),
    _L("redundancy", "Redundancy costs", "transfer", "council", None, None, "one_off"),
    _L("pension_strain", "Pension strain", "transfer", "council", None, None, "one_off"),
    _L("corporation_tax", "Corporation tax", "transfer", "entity", "tax"),
    _L("management_fee", "Management fee / contract price", "internal", "contract", "income"),
    _L("dividend", "Dividend to the council", "internal", "entity", "distribution"),
    _L("partner_dividend", "Dividend to the partner", "internal", "entity", "distribution"),
    _L("optimism_bias_revenue", "Optimism bias: revenue cost uplift", "adjustment", "adjustment", "operating"),
    _L("optimism_bias_capital", "Optimism bias: capital cost uplift", "adjustment", "adjustment", "capital", None,
       "capital"),
    _L("optimism_bias_benefits", "Optimism bias: savings and income shortfall", "adjustment", "adjustment",
       "operating"),
    _L("risk", "Risk (expected value)", "adjustment", "adjustment", "operating"),
]}


def suggest(word: str, choices) -> str:
    """`` (did you mean 'staff_fte'?)`` for a close match, else an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


_UNIT_WORDS = {"rate": "rate", "count": "number", "years": "years", "year": "financial year"}


def _unit_text(d: Driver) -> str:
    if d.unit == "gbp":
        return {"year": "£ a year (real)", "once": "£ once (real)"}.get(d.per, "£ (real)")
    return _UNIT_WORDS[d.unit]


def _default_text(d: Driver) -> str:
    if d.required_in:
        return f"required ({d.required_in})"
    if d.follows:
        return f"follows `{d.follows}`"
    if d.default is None:
        return "not stated"
    return f"{d.default:g}"


def driver_table_markdown() -> str:
    """The README's driver table, generated from :data:`DRIVERS` (a test checks the README holds it)."""
    rows = ["| driver | unit | default | meaning |", "| --- | --- | --- | --- |"]
    for g, title in GROUPS.items():
        ds = [d for d in _ALL if d.group == g]
        if not ds:
            continue
        rows.append(f"| **{title}** | | | |")
        for d in ds:
            extra = ""
            if d.lines:
                extra += " May carry an `optimism_bias_category`."
            if d.index:
                extra += f" Index: `{d.index}` unless its entry states `indexation`."
            rows.append(f"| `{d.name}` | {_unit_text(d)} | {_default_text(d)} | {d.description}{extra} |")
    return "\n".join(rows)


def line_fields_markdown() -> str:
    """The README's table of a line's numeric fields (drivers by path), generated from :data:`LINE_FIELDS`."""
    rows = ["| field | unit | default | meaning |", "| --- | --- | --- | --- |"]
    for d in LINE_FIELDS.values():
        default = "required" if d.name == "amount_gbp" else (
            "go-live (option), first year (current service)" if d.name == "from_year" else
            "the last year" if d.name == "to_year" else f"{d.default:g}")
        unit = "£ (real)" if d.unit == "gbp" else _UNIT_WORDS[d.unit]
        rows.append(f"| `{d.name}` | {unit} | {default} | {d.description} |")
    return "\n".join(rows)


README_BLOCKS = {"drivers": driver_table_markdown, "line-fields": line_fields_markdown}


def render_readme(text: str) -> str:
    """The README with each generated block (between ``<!-- name: ... -->`` and ``<!-- /name -->``) rebuilt from
    the catalogue. ``python scripts/update_readme.py`` writes it; a test checks the README is up to date."""
    import re

    for name, fn in README_BLOCKS.items():
        pattern = re.compile(rf"(<!-- {re.escape(name)}:[^\n]*-->\n)(.*?)(<!-- /{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no generated block {name!r}")
        text = pattern.sub(lambda m: m.group(1) + fn() + "\n" + m.group(3), text)
    return text
