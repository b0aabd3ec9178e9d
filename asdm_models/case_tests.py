"""The tests of an appraised option beyond its economic figures: value for money and the local-government rules.

For one :class:`~asdm_models.appraisal.OptionAppraisal` this gathers, from the option's data and its lines by
year, every judgement the 2026 Green Book and local-government law ask of it, each applied by a named rule of
its own module and each parameter from reference data with its source:

* the **value-for-money category** and the appraisal summary table (:mod:`~asdm_models.value_for_money`),
  and for an appraisal longer than 50 years the NPSV at the **long-horizon discount schedule** beside the
  standard one (Green Book 2026);
* **Teckal** (Procurement Act 2023, Schedule 2 paragraph 2; Procurement Regulations 2024 reg 42A): the share of a
  council-controlled company's turnover carried out for the council, averaged over the reference data's window of
  years, by year, against its threshold (the share must be more than it);
* **VAT partial exemption** (VATA 1994 s33; HMRC PE62250): the council's exempt input VAT under the option against
  the reference data's limit (a share of its total input VAT or an amount a month, whichever is greater), and the
  cost of a breach;
* **subsidy control** (Subsidy Control Act 2022 ss2-3): the subsidy implied by a council loan below the market rate;
* **pensions**: the arrangement the case assumes for staff who transfer, and whether one is stated.

:meth:`CaseTests.metrics` gives the figures the gates test and ``summary.csv`` records. The report sentences
(:func:`teckal_sentence`, :func:`vat_sentence`) word the rules with the figures of the appraisal's reference data
(:func:`rule_words`), so a change to ``data/reference/local_government.yaml`` changes the words with the figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .adjustments import triangular_mean
from .discounting import to_nominal
from .local_government import (implied_loan_subsidy_gbp, option_vat_position, pension_arrangement, pension_sentence,
                               teckal_activity_share, teckal_first_failure, vat_partial_exemption)
from .reference import LocalGovernmentRules, default_reference
from .units import format_gbp, format_pct
from .value_for_money import VfmResult, appraisal_summary_table, needs_long_horizon_test, vfm_category

__all__ = ["CaseTests", "case_tests", "teckal_turnover", "gains_and_costs", "gate_metrics_of_row", "teckal_sentence", "vat_sentence",
           "subsidy_sentence", "RuleWords", "rule_words", "EXTERNAL_TRADING_LINES", "CASE_TEST_COLUMNS"]

#: Entity income lines that are trading with customers other than the council (everything else the entity
#: earns, the council's fee and the public's fees for the council's service, is activity for the council).
EXTERNAL_TRADING_LINES = ("trading_income",)

#: The figures these tests add to ``summary.csv`` (after the contract columns).
CASE_TEST_COLUMNS = ["shortlist_role", "vfm_category", "vfm_benefit_cost_ratio", "npsv_vs_no_change_long_horizon_gbp",
                     "teckal_lowest_share", "teckal_first_failure_year", "teckal_years_failing",
                     "vat_partial_exemption_cost_gbp", "implied_subsidy_gbp", "pension_arrangement",
                     "pension_arrangement_stated"]

_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _rules(rules: LocalGovernmentRules | None) -> LocalGovernmentRules:
    return rules if rules is not None else default_reference().local_government


def _share_words(x: float) -> str:
    """A rate of the rules as the law words it: ``0.8`` -> ``80%``, ``0.825`` -> ``82.5%``."""
    shown = format_pct(x, 2)[:-1]
    return shown.rstrip("0").rstrip(".") + "%"


@dataclass(frozen=True)
class RuleWords:
    """The figures of the local-government rules as a report words them, from :func:`rule_words`."""

    teckal_threshold: str  # "80%": the share of turnover for the council must be more than this
    teckal_window_years: int  # 3
    teckal_window: str  # "three years": the window of years the share is averaged over
    vat_share_limit: str  # "5%" of the council's total input VAT ...
    vat_monthly_limit: str  # ... or "£625" a month, whichever is greater

    @property
    def vat_limit(self) -> str:
        """The partial-exemption limit in a few words: ``5% (or £625 a month)``."""
        return f"{self.vat_share_limit} (or {self.vat_monthly_limit} a month)"


def rule_words(rules: LocalGovernmentRules | None = None) -> RuleWords:
    """The Teckal threshold and window and the VAT partial-exemption limits of ``rules`` as words for a report.

    Parameters
    ----------
    rules : LocalGovernmentRules, optional
        The appraisal's reference data (``appraisal.reference.local_government``, or :attr:`CaseTests.rules`);
        ``None``: the project's (``data/reference/local_government.yaml``).

    Examples
    --------
    >>> from asdm_models.case_tests import rule_words
    >>> w = rule_words()
    >>> w.teckal_threshold, w.teckal_window, w.vat_limit
    ('80%', 'three years', '5% (or £625 a month)')
    """
    lg = _rules(rules)
    n = int(lg.teckal_window_years)
    window = f"{_NUMBER_WORDS[n - 1] if 1 <= n <= len(_NUMBER_WORDS) else n} year{'s' if n != 1 else ''}"
    return RuleWords(_share_words(lg.teckal_threshold), n, window, _share_words(lg.vat_share_limit),
                     format_gbp(lg.vat_monthly_limit_gbp))


@dataclass
class CaseTests:
    """What :func:`case_tests` found for one option at one stage (``None`` where a test does not apply)."""

    vfm: VfmResult | None
    summary_table: pd.DataFrame | None
    vfm_gains_gbp: float | None = None  # present value of what the option gains against no change, line by line
    vfm_costs_gbp: float | None = None  # present value of what it adds (costs, adjustments), line by line
    vfm_ratio: float | None = None  # gains / added costs: the BCR the category is read from
    long_horizon_npsv_vs_no_change_gbp: float | None = None
    long_horizon_schedule: str | None = None
    teckal: pd.DataFrame | None = None  # by year from go-live: turnover, share (window average), result
    teckal_first_failure_year: str | None = None
    teckal_years_failing: int | None = None
    teckal_lowest_share: float | None = None
    vat: pd.DataFrame | None = None  # by year: total and exempt input VAT, limit, share, headroom, breach, cost
    vat_cost_gbp: float | None = None  # exempt input VAT lost in breach years, summed (price base)
    vat_first_breach_year: str | None = None
    loan_principal_gbp: float | None = None
    implied_subsidy_gbp: float | None = None
    pension_name: str | None = None
    pension_text: str | None = None
    pension_applies: bool = False
    notes: list = field(default_factory=list)
    rules: LocalGovernmentRules | None = field(default=None, repr=False)  # tested against (None: the project's)

    def metrics(self) -> dict:
        """The gate metrics (``GATE_METRICS`` names) of these tests; ``None`` where a test does not apply."""
        return {
            "value_for_money": None if self.vfm is None else float(self.vfm.rank),
            "teckal_years_failing": None if self.teckal_years_failing is None else float(self.teckal_years_failing),
            "vat_partial_exemption_cost_gbp": self.vat_cost_gbp,
            "implied_subsidy_gbp": self.implied_subsidy_gbp,
            "pension_arrangement_stated": (float(self.pension_name is not None) if self.pension_applies else None),
        }

    def summary(self, option) -> dict:
        """The ``summary.csv`` figures of these tests (:data:`CASE_TEST_COLUMNS`)."""
        return {
            "shortlist_role": option.shortlist_role,
            "vfm_category": None if self.vfm is None else self.vfm.category,
            "vfm_benefit_cost_ratio": self.vfm_ratio,
            "npsv_vs_no_change_long_horizon_gbp": self.long_horizon_npsv_vs_no_change_gbp,
            "teckal_lowest_share": self.teckal_lowest_share,
            "teckal_first_failure_year": self.teckal_first_failure_year,
            "teckal_years_failing": self.teckal_years_failing,
            "vat_partial_exemption_cost_gbp": self.vat_cost_gbp,
            "implied_subsidy_gbp": self.implied_subsidy_gbp,
            "pension_arrangement": self.pension_name,
            "pension_arrangement_stated": self.metrics()["pension_arrangement_stated"],
        }


def gate_metrics_of_row(appraisal, row: dict) -> dict:
    """The gate metrics of these tests from a ``summary.csv`` row (as :meth:`CaseTests.metrics` gave them)."""
    rules = appraisal.reference.value_for_money
    cat = row.get("vfm_category")
    names = list(rules.names) if rules is not None else []
    return {"value_for_money": float(names.index(cat)) if isinstance(cat, str) and cat in names else None,
            "teckal_years_failing": row.get("teckal_years_failing"),
            "vat_partial_exemption_cost_gbp": row.get("vat_partial_exemption_cost_gbp"),
            "implied_subsidy_gbp": row.get("implied_subsidy_gbp"),
            "pension_arrangement_stated": row.get("pension_arrangement_stated")}


def teckal_turnover(result) -> tuple[np.ndarray, np.ndarray]:
    """The new entity's turnover by year (nominal): ``(for the council, total)``.

    Turnover is the entity's income: every positive flow of the provider's lines (the council's fee, the public's
    fees for the council's service, trading income, a council line the entity earns). Activities for the council
    are all of it except :data:`EXTERNAL_TRADING_LINES` (trading with other customers): running the council's
    service under its contract counts in full, whoever pays the fees (CJEU C-340/04 *Carbotermo*, paras 65-67).

    Returns
    -------
    tuple of ndarray, shape (T,) each
        GBP a year, nominal.
    """
    lines = result.lines
    mask = (lines["party"] == "provider").to_numpy()
    values = lines.loc[mask, list(result.years)].to_numpy(dtype=float)
    names, row = np.unique(lines.loc[mask, "line"].to_numpy(dtype=str), return_inverse=True)
    real = np.zeros((len(names), len(result.years)))
    np.add.at(real, row, values)  # a line's rows summed
    income = np.clip(to_nominal(real, result.inputs.values["gdp_deflator"]), 0.0, None)
    total = income.sum(axis=0)
    external = income[np.isin(names, EXTERNAL_TRADING_LINES)].sum(axis=0)
    return total - external, total


def _teckal_applies(option) -> bool:
    route = getattr(option.commercial, "procurement_route", None)
    return route == "vertical_arrangement" if route is not None else option.model == "trading_company"


def _teckal(t: CaseTests, appraisal, result, option) -> None:
    if not _teckal_applies(option) or not option.is_new_entity:
        return
    rules = _rules(appraisal.reference.local_government)
    council, total = teckal_turnover(result)
    share = teckal_activity_share(council, total, rules=rules)
    first = teckal_first_failure(share, rules=rules)
    threshold = rules.teckal_threshold
    tested = ~np.isnan(share)
    years = list(result.years)
    t.teckal = pd.DataFrame({
        "year": years, "turnover_for_council_nominal_gbp": council, "turnover_nominal_gbp": total,
        "external_trading_nominal_gbp": total - council,
        "share_in_year": np.divide(council, total, out=np.full_like(total, np.nan), where=total > 0),
        "share_window_average": share,
        "result": ["" if not ok else ("pass" if s > threshold else "fail") for s, ok in zip(share, tested)],
    })[tested].reset_index(drop=True)
    t.teckal_first_failure_year = None if first is None else years[int(first)]
    t.teckal_years_failing = int(np.sum(share[tested] <= threshold)) if tested.any() else 0
    t.teckal_lowest_share = float(np.nanmin(share)) if tested.any() else None


def _vat(t: CaseTests, appraisal, result, option) -> None:
    pos = appraisal.vat_partial_exemption
    if pos is None:
        return
    T = appraisal.period_years
    go_live = int(result.inputs.values["go_live_year"])
    after = np.arange(T) >= go_live
    if option.model == "no_change":
        kept = np.ones(T)
    else:
        stated = option.vat_kept_share
        kept_after = stated if stated is not None else (1.0 if option.delivery == "in_house" else 0.0)
        kept = np.where(after, kept_after, 1.0)
    added = np.zeros(T)
    for y, amount in option.vat_added_exempt_gbp.items():
        added[y] += amount
    total, exempt = option_vat_position(pos.council_total_input_vat_gbp, pos.council_exempt_input_vat_gbp,
                                        pos.service_input_vat_gbp, pos.service_exempt_input_vat_gbp, kept, added)
    res = vat_partial_exemption(total, exempt, rules=appraisal.reference.local_government)
    years = list(result.years)
    t.vat = pd.DataFrame({"year": years, "total_input_vat_gbp": total, "exempt_input_vat_gbp": exempt,
                          "limit_gbp": res.limit_gbp, "exempt_share": res.exempt_share,
                          "headroom_gbp": res.headroom_gbp, "breach": res.breach, "cost_gbp": res.cost_gbp})
    t.vat_cost_gbp = float(np.sum(res.cost_gbp))
    breach = np.flatnonzero(res.breach)
    t.vat_first_breach_year = years[int(breach[0])] if breach.size else None


def _loan(t: CaseTests, result, option) -> None:
    loan = option.council_loan
    if loan is None:
        return
    principal = loan.principal_gbp if loan.principal_gbp is not None else float(result.inputs.values["planned_funding_gbp"])
    t.loan_principal_gbp = principal
    t.implied_subsidy_gbp = float(implied_loan_subsidy_gbp(principal, loan.rate, loan.market_rate, loan.term_years,
                                                           loan.repayment))


def _pension(t: CaseTests, appraisal, result, option) -> None:
    # Staff transfer (TUPE) whenever someone other than the council delivers the service after go-live.
    t.pension_applies = option.has_provider
    if option.pension_arrangement is None:
        if t.pension_applies:
            t.pension_text = ("No pension arrangement is stated for the staff who transfer: the case must say whether "
                              "it assumes an admission agreement (with a bond or pass-through) or a deemed-employer "
                              "arrangement before the full business case.")
        return
    rec = pension_arrangement(option.pension_arrangement, appraisal.reference)
    t.pension_name = rec.name
    t.pension_text = pension_sentence(rec, result.inputs.values.get("pension_bond_gbp"))


def gains_and_costs(result) -> tuple[float, float]:
    """The option's economic case against no change split line by line: ``(gains, added costs)``, both positive
    present values (real, discounted).

    A line that is better than under no change (a cost that falls, income that rises, a social benefit) is a gain; a
    line that is worse (a one-off cost, stranded overheads, a client side, optimism bias, the expected cost of risks)
    is an added cost. Their ratio is the option's benefit-cost ratio as an invest-to-save case: cashable savings are
    benefits in the Green Book (2022, A2.2-A2.4), so a service redesign that saves money has a BCR on the same footing
    as one that buys new outcomes; ``gains - costs`` is the NPSV against no change.
    """
    ec = result.economic_case
    vs = ec.loc[~ec["kind"].isin(["transfer", "internal"]), "vs_no_change_pv_gbp"].to_numpy(dtype=float)
    return float(vs[vs > 0].sum()), float(-vs[vs < 0].sum())


def _vfm(t: CaseTests, appraisal, result, option, risks, tables: bool = True) -> None:
    if option.model == "no_change":
        return
    rules = appraisal.reference.value_for_money
    impacts = [dataclasses.asdict(i) for i in option.non_monetised_impacts]
    gains, costs = gains_and_costs(result)
    ratio = gains / costs if costs > 0 else None
    t.vfm_gains_gbp, t.vfm_costs_gbp, t.vfm_ratio = gains, costs, ratio
    t.vfm = vfm_category(result.npsv_vs_no_change_gbp, ratio, costs, impacts, rules=rules)
    if not tables:
        return
    t.summary_table = appraisal_summary_table(result.npsv_vs_no_change_gbp, ratio, costs,
                                              result.council_npv_vs_no_change_gbp, impacts, risks, result=t.vfm,
                                              rules=rules)


def _long_horizon(t: CaseTests, appraisal, result, option) -> None:
    rules = appraisal.reference.value_for_money
    if option.model == "no_change" or not needs_long_horizon_test(appraisal.period_years, rules=rules):
        return
    from .appraisal import appraise

    schedule = rules.long_horizon_schedule if rules is not None else "long_horizon_2026"
    key = ("long_horizon_appraisal", schedule)
    other = appraisal.cache.get(key)
    if other is None:  # the same appraisal discounted at the long-horizon schedule (its own cache)
        other = dataclasses.replace(appraisal, discount_schedule=schedule, discount_flat_rate=None, cache={})
        appraisal.cache[key] = other
    scen = None if result.scenario == "base" else result.scenario
    t.long_horizon_npsv_vs_no_change_gbp = appraise(other, option.id, result.stage, scenario=scen).npsv_vs_no_change_gbp
    t.long_horizon_schedule = schedule


def case_tests(appraisal, result, *, tables: bool = True) -> CaseTests:
    """Every test of :mod:`case_tests <asdm_models.case_tests>` for one appraised option.

    Parameters
    ----------
    appraisal : Appraisal
    result : OptionAppraisal
        From :func:`~asdm_models.appraisal.appraise` (any stage and scenario).
    tables : bool
        ``False``: the figures only, without the appraisal summary table (for the explorer's live gate).

    Returns
    -------
    CaseTests

    Examples
    --------
    >>> from asdm_models import load_appraisal, appraise
    >>> from asdm_models.case_tests import case_tests
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> t = case_tests(a, appraise(a, "trading_company", "fbc"))
    >>> t.pension_name, t.teckal_first_failure_year is None
    ('admission_agreement_bond', True)
    """
    option = result.inputs.option
    t = CaseTests(None, None, rules=appraisal.reference.local_government)
    # expected cost of each risk: probability (of occurring once in its window) x the triangular mean impact, as the
    # risk register's expected value (asdm_models.adjustments.risk_expected_value spreads it over the window)
    risks = [{"description": k.description,
              "expected_cost_gbp": k.probability * triangular_mean(k.impact_low_gbp, k.impact_most_likely_gbp,
                                                                   k.impact_high_gbp)} for k in option.risks]
    _vfm(t, appraisal, result, option, risks, tables)
    _long_horizon(t, appraisal, result, option)
    _teckal(t, appraisal, result, option)
    _vat(t, appraisal, result, option)
    _loan(t, result, option)
    _pension(t, appraisal, result, option)
    return t


def teckal_sentence(t: CaseTests) -> str | None:
    """The Teckal finding in one sentence, or None where the test does not apply.

    The threshold and the window of years are those of the reference data the test was run against
    (:attr:`CaseTests.rules`, worded by :func:`rule_words`).
    """
    if t.teckal is None or not len(t.teckal):
        return None
    w = rule_words(t.rules)
    if t.teckal_first_failure_year is None:
        return (f"The company passes the Teckal test in every year: at least {t.teckal_lowest_share:.1%} of its "
                f"turnover, averaged over {w.teckal_window}, is for the council (the Act requires more than "
                f"{w.teckal_threshold}).")
    return (f"The company fails the Teckal test from {t.teckal_first_failure_year}: as its external trading grows, "
            f"the share of its turnover for the council, averaged over {w.teckal_window}, falls to "
            f"{t.teckal_lowest_share:.1%}, not more than {w.teckal_threshold}. From then the services agreement is no "
            "longer an exempted contract: cap the company's external trading or plan a compliant procurement.")


def vat_sentence(t: CaseTests) -> str | None:
    """The VAT partial-exemption finding in one sentence, or None where the test does not apply.

    The limit is that of the reference data the test was run against (:attr:`CaseTests.rules`, worded by
    :func:`rule_words`).
    """
    if t.vat is None:
        return None
    w = rule_words(t.rules)
    if t.vat_first_breach_year is None:
        worst = t.vat.loc[t.vat["exempt_share"].idxmax()]
        return (f"The council stays within the VAT partial-exemption limit in every year: its exempt input VAT is at "
                f"most {worst['exempt_share']:.2%} of its total ({worst['year']}), against {w.vat_limit}.")
    first = t.vat_first_breach_year
    share = t.vat.loc[t.vat["year"] == first, "exempt_share"].iloc[0]
    later = int(t.vat["breach"].sum()) - 1
    if later == 0:
        when, shown, lost = first, f"that year is {share:.2%} of its total", "all of it becomes irrecoverable"
    else:
        when = f"{first} and {later} later year{'s' if later > 1 else ''}"
        shown = f"in {first} is {share:.2%} of its total"
        lost = "all its exempt input VAT of a year in breach becomes irrecoverable"
    return (f"The council breaches the VAT partial-exemption limit of {w.vat_limit} in {when}: its exempt input VAT "
            f"{shown}, and {lost}, {format_gbp(t.vat_cost_gbp)} over the period, a cost the option must carry or "
            "avoid (phasing the spend, opting to tax, or a special recovery method agreed with HMRC).")


def subsidy_sentence(t: CaseTests, option) -> str | None:
    loan = option.council_loan
    if loan is None:
        return None
    if not t.implied_subsidy_gbp:
        return (f"The council lends {format_gbp(t.loan_principal_gbp)} at {loan.rate:.2%}, at or above the market rate of "
                f"{loan.market_rate:.2%}: no subsidy on the loan's terms.")
    return (f"The council lends {format_gbp(t.loan_principal_gbp)} at {loan.rate:.2%} against a market rate of "
            f"{loan.market_rate:.2%} for {loan.term_years} years: an implied subsidy of "
            f"{format_gbp(t.implied_subsidy_gbp)} (the present value of the interest not charged). It must be assessed "
            "against the subsidy control principles (Subsidy Control Act 2022) or lent at the market rate.")
