"""The local-government rules (asdm_models/local_government.py) and their reference data
(data/reference/local_government.yaml), each case worked by hand from its source."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asdm_models.local_government import (
    collective_consultation_days,
    implied_loan_subsidy_gbp,
    loan_balance_gbp,
    option_vat_position,
    pension_arrangement,
    pension_sentence,
    teckal_activity_share,
    teckal_first_failure,
    vat_partial_exemption,
)
from asdm_models.reference import PROJECT_ROOT, default_reference, load_reference

REF = default_reference()
LG = REF.local_government
LG_YAML = PROJECT_ROOT / "data" / "reference" / "local_government.yaml"
money = st.floats(0, 1e9, allow_nan=False)


# ------------------------------------------------------------------------------------------------
# reference data
# ------------------------------------------------------------------------------------------------


def test_reference_parameters_and_sources():
    # Procurement Act 2023 Sch 2 para 2(2)(c): "more than 80 per cent"; Procurement Regulations 2024 reg 42A: three
    # years; HMRC PE62250: 5% or GBP 625 a month; VATGPB4510: the year is 1 April to 31 March (12 months).
    assert (LG.teckal_threshold, LG.teckal_window_years) == (0.8, 3)
    assert (LG.vat_share_limit, LG.vat_monthly_limit_gbp, LG.vat_months) == (0.05, 625.0, 12)
    assert "Schedule 2, paragraph 2(2)(c)" in LG.sources["teckal_threshold"]
    assert "regulation 42A" in LG.sources["teckal_window_years"] and "SI 2025/163" in LG.sources["teckal_window_years"]
    assert "C-340/04 Carbotermo" in LG.sources["teckal_activities"]
    assert "PE62250" in LG.sources["vat_share_limit"] and "PE62250" in LG.sources["vat_monthly_limit_gbp"]
    assert "Subsidy Control Act 2022" in LG.sources["subsidy_control"]
    assert set(LG.loan_repayment_profiles) == {"bullet", "straight_line"}
    assert LG_YAML in load_reference(None)[2]


def test_reference_keeps_the_old_fields_and_positional_constructor():
    r = type(REF)(REF.discount_schedules, REF.optimism_bias, REF.optimism_bias_source, REF.directory)
    assert r.local_government is None and r.pension_arrangements == {} and r.tupe is None
    assert r.value_for_money is None and r.local_government_source == ""
    assert REF.corporation_tax is not None and "green_book" in REF.discount_schedules


def test_tupe_lead_times():
    # TUPE 2006 reg 11(6) as amended by SI 2014/16: 28 days; reg 13: no fixed period;
    # TULRCA 1992 s188(1A): 20-99 redundancies at least 30 days, 100 or more at least 45 days.
    t = REF.tupe
    assert t.employee_liability_days == 28 and "reg 11(6)" in t.employee_liability_source
    assert "SI 2014/16" in t.employee_liability_source
    assert "long enough before" in t.consultation_rule and "reg 13" in t.consultation_source
    assert t.collective_bands == ((20, 30), (100, 45)) and "s188(1) and (1A)" in t.collective_source
    assert collective_consultation_days(19) == 0
    assert collective_consultation_days(np.array([0, 20, 99, 100, 400])).tolist() == [0, 30, 30, 45, 45]
    with pytest.raises(ValueError, match="whole numbers"):
        collective_consultation_days(2.5)


# ------------------------------------------------------------------------------------------------
# Teckal: Procurement Act 2023 Sch 2 para 2(2)(c), Procurement Regulations 2024 reg 42A
# ------------------------------------------------------------------------------------------------

# A trading company whose turnover grows as it trades with others: total turnover GBP 2.0m, 2.2m, 2.5m, 3.0m,
# 4.0m, of which external trading 0%, 5%, 12%, 20%, 25%. Turnover for the council = total x (1 - external share):
#   2,000,000 x 1.00 = 2,000,000;  2,200,000 x 0.95 = 2,090,000;  2,500,000 x 0.88 = 2,200,000;
#   3,000,000 x 0.80 = 2,400,000;  4,000,000 x 0.75 = 3,000,000.
TOTAL = np.array([2_000_000.0, 2_200_000.0, 2_500_000.0, 3_000_000.0, 4_000_000.0])
COUNCIL = np.array([2_000_000.0, 2_090_000.0, 2_200_000.0, 2_400_000.0, 3_000_000.0])


def test_teckal_growing_external_trading_by_hand():
    # Three-year ratio of sums (reg 42A: average turnover over three years; the years available at the start):
    #   year 0: 2.00 / 2.00                              = 1
    #   year 1: (2.00 + 2.09) / (2.0 + 2.2)              = 4.09 / 4.2 = 0.973810
    #   year 2: (2.00 + 2.09 + 2.2) / (2.0 + 2.2 + 2.5)  = 6.29 / 6.7 = 0.938806
    #   year 3: (2.09 + 2.2 + 2.4) / (2.2 + 2.5 + 3.0)   = 6.69 / 7.7 = 0.868831
    #   year 4: (2.2 + 2.4 + 3.0) / (2.5 + 3.0 + 4.0)    = 7.6 / 9.5  = 0.8 exactly
    share = teckal_activity_share(COUNCIL, TOTAL)
    assert share == pytest.approx([1.0, 4.09 / 4.2, 6.29 / 6.7, 6.69 / 7.7, 7.6 / 9.5], rel=1e-12)
    assert share[4] == pytest.approx(0.8, rel=1e-12)
    # 80% is not "more than 80 per cent": year 4 is the first failing year.
    assert teckal_first_failure(share) == 4
    assert teckal_first_failure(share[:4]) is None


def test_ratio_of_sums_differs_from_the_average_of_ratios():
    # The yearly shares are 1.00, 0.95, 0.88, 0.80, 0.75. Their three-year average in year 4 is
    # (0.88 + 0.80 + 0.75) / 3 = 2.43 / 3 = 0.81, which would pass; the ratio of sums is 7.6 / 9.5 = 0.80, which
    # fails. They differ because the ratio of sums weights each year by its turnover, and the largest year
    # (GBP 4.0m) has the most external trading.
    yearly = teckal_activity_share(COUNCIL, TOTAL, window_years=1)
    assert yearly == pytest.approx([1.0, 0.95, 0.88, 0.80, 0.75], rel=1e-12)
    average_of_ratios = (yearly[2] + yearly[3] + yearly[4]) / 3
    assert average_of_ratios == pytest.approx(0.81, rel=1e-12)
    assert teckal_activity_share(COUNCIL, TOTAL)[4] == pytest.approx(0.80, rel=1e-12)
    # With the same turnover every year (GBP 1m) the two agree: year 4 is (0.88 + 0.80 + 0.75) / 3 = 0.81, a pass.
    flat = teckal_activity_share(yearly * 1_000_000.0, np.full(5, 1_000_000.0))
    assert flat[4] == pytest.approx(0.81, rel=1e-12)
    assert teckal_first_failure(flat) is None


def test_exactly_the_threshold_fails_and_just_above_passes():
    # Procurement Act 2023 Sch 2 para 2(2)(c) says "more than 80 per cent".
    assert teckal_first_failure(teckal_activity_share([80.0], [100.0])) == 0
    assert teckal_first_failure(teckal_activity_share([80.01], [100.0])) is None
    assert teckal_first_failure([0.9, 0.8000000000000002]) == 1  # an 80% computed in floating point


def test_years_without_turnover_are_nan_and_not_failures():
    share = teckal_activity_share([0.0, 0.0, 90.0, 70.0], [0.0, 0.0, 100.0, 100.0])
    assert math.isnan(share[0]) and math.isnan(share[1])
    # years 2 and 3: 90 / 100 = 0.9, then (90 + 70) / (100 + 100) = 0.8 (the empty years add nothing)
    assert share[2:] == pytest.approx([0.9, 0.8])
    assert teckal_first_failure(share) == 3


def test_teckal_over_cases_equals_case_by_case():
    council = np.stack([COUNCIL, TOTAL, TOTAL * 0.5])
    total = np.stack([TOTAL, TOTAL, TOTAL])
    share = teckal_activity_share(council, total)
    for i in range(3):
        assert share[i] == pytest.approx(teckal_activity_share(council[i], total[i]))
    assert teckal_first_failure(share).tolist() == [4, -1, 0]


def test_teckal_parameters_come_from_the_reference_data():
    # A 90% threshold over two years (a hypothetical change of the regulations):
    #   year 1: (2.0 + 2.09) / (2.0 + 2.2) = 4.09 / 4.2 = 0.973810, passes
    #   year 2: (2.09 + 2.2) / (2.2 + 2.5) = 4.29 / 4.7 = 0.912766, passes
    #   year 3: (2.2 + 2.4) / (2.5 + 3.0) = 4.6 / 5.5 = 0.836364, fails (under the project's 80% it passes)
    rules = dataclasses.replace(LG, teckal_threshold=0.9, teckal_window_years=2)
    share = teckal_activity_share(COUNCIL, TOTAL, rules=rules)
    assert share[1:4] == pytest.approx([4.09 / 4.2, 4.29 / 4.7, 4.6 / 5.5], rel=1e-12)
    assert teckal_first_failure(share, rules=rules) == 3
    # the project's 80% on the same two-year shares: year 4, (2.4 + 3.0) / (3.0 + 4.0) = 5.4 / 7.0 = 0.771429
    assert share[4] == pytest.approx(5.4 / 7.0, rel=1e-12)
    assert teckal_first_failure(share) == 4


def test_teckal_refuses_impossible_turnover():
    with pytest.raises(ValueError, match="more than the total"):
        teckal_activity_share([110.0], [100.0])
    with pytest.raises(ValueError, match="0 or more"):
        teckal_activity_share([-1.0], [100.0])
    with pytest.raises(ValueError, match="window_years"):
        teckal_activity_share([1.0], [1.0], window_years=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(money, st.floats(0, 1)), min_size=1, max_size=12), st.integers(1, 5))
def test_teckal_share_properties(rows, window):
    total = np.array([t for t, _ in rows])
    council = np.array([t * f for t, f in rows])
    share = teckal_activity_share(council, total, window_years=window)
    ok = ~np.isnan(share)
    assert np.all((share[ok] >= 0) & (share[ok] <= 1 + 1e-12))
    # scaling every turnover by the same factor changes nothing (a share is a ratio of pounds)
    assert np.allclose(teckal_activity_share(council * 3.0, total * 3.0, window_years=window)[ok], share[ok])
    # the share lies between the smallest and largest yearly share in its window (a weighted average of them)
    yearly = teckal_activity_share(council, total, window_years=1)
    for t in np.flatnonzero(ok):
        w = yearly[max(0, t - window + 1): t + 1]
        w = w[~np.isnan(w)]
        assert w.min() - 1e-9 <= share[t] <= w.max() + 1e-9


# ------------------------------------------------------------------------------------------------
# VAT partial exemption: HMRC PE62250, VATGPB4510, VAT Notice 749
# ------------------------------------------------------------------------------------------------


def test_small_authority_where_the_monthly_limb_is_greater():
    # Total input VAT GBP 100,000: the 5% limb is 0.05 x 100,000 = 5,000; the monthly limb 625 x 12 = 7,500, the
    # greater, so the limit is 7,500 ("whichever is the greater", PE62250).
    r = vat_partial_exemption([100_000.0, 100_000.0, 100_000.0], [7_000.0, 7_500.0, 7_600.0])
    assert r.limit_gbp.tolist() == [7_500.0, 7_500.0, 7_500.0]
    # 7,000: headroom 7,500 - 7,000 = 500; 7,500 exactly: "no more than" the limit, no breach;
    # 7,600: 100 over, and all 7,600 is repayable (not only the 100)
    assert r.headroom_gbp.tolist() == [500.0, 0.0, -100.0]
    assert r.breach.tolist() == [False, False, True]
    assert r.cost_gbp.tolist() == [0.0, 0.0, 7_600.0]
    assert r.exempt_share == pytest.approx([0.07, 0.075, 0.076])  # 7,000 / 100,000 ...


def test_large_authority_where_the_share_limb_is_greater():
    # Total input VAT GBP 20,000,000: 5% is 1,000,000, far above 7,500.
    r = vat_partial_exemption([20e6, 20e6, 20e6], [950_000.0, 1_000_000.0, 1_000_001.0])
    assert r.limit_gbp == pytest.approx([1_000_000.0] * 3)
    assert r.exempt_share == pytest.approx([0.0475, 0.05, 0.05000005])
    assert r.headroom_gbp == pytest.approx([50_000.0, 0.0, -1.0])
    assert r.breach.tolist() == [False, False, True]  # exactly 5% is not a breach
    assert r.cost_gbp.tolist() == [0.0, 0.0, 1_000_001.0]


def test_vat_limits_come_from_the_reference_data():
    # A GBP 1,000 monthly limb (hypothetical) gives a limit of 12,000 for the small authority: 7,600 is then fine.
    rules = dataclasses.replace(LG, vat_monthly_limit_gbp=1_000.0)
    r = vat_partial_exemption(100_000.0, 7_600.0, rules=rules)
    assert float(r.limit_gbp) == 12_000.0 and not bool(r.breach)
    # and the arguments override the data: 10% of 100,000 = 10,000 > 625 x 12
    assert float(vat_partial_exemption(100_000.0, 7_600.0, share_limit=0.10).limit_gbp) == 10_000.0


def test_vat_refuses_impossible_amounts():
    with pytest.raises(ValueError, match="part of the total"):
        vat_partial_exemption(100.0, 200.0)
    with pytest.raises(ValueError, match="0 or more"):
        vat_partial_exemption(-1.0, 0.0)


def test_option_vat_position_by_hand():
    # A council with GBP 20m of input VAT, GBP 1.05m exempt (5.25%: a breach), outsources its leisure service,
    # whose input VAT is GBP 3m, of which GBP 0.2m is exempt (sports admissions), from year 2 (kept share 1, 1, 0, 0).
    total, exempt = option_vat_position(20e6, 1.05e6, 3e6, 0.2e6, [1.0, 1.0, 0.0, 0.0])
    # years 2-3: total 20m - 3m = 17m; exempt 1.05m - 0.2m = 0.85m
    assert total.tolist() == [20e6, 20e6, 17e6, 17e6]
    assert exempt == pytest.approx([1.05e6, 1.05e6, 0.85e6, 0.85e6])
    r = vat_partial_exemption(total, exempt)
    # limits: 5% x 20m = 1,000,000 (breach: all 1,050,000 lost); 5% x 17m = 850,000, exactly the exempt VAT: no breach
    assert r.limit_gbp == pytest.approx([1e6, 1e6, 850_000.0, 850_000.0])
    assert r.breach.tolist() == [True, True, False, False]
    assert r.cost_gbp == pytest.approx([1.05e6, 1.05e6, 0.0, 0.0])
    # half the service kept, and GBP 10,000 of new exempt VAT the option adds (it is part of the total too):
    # total 20m - 0.5 x 3m + 10,000 = 18,510,000; exempt 1.05m - 0.5 x 0.2m + 10,000 = 960,000
    total, exempt = option_vat_position(20e6, 1.05e6, 3e6, 0.2e6, [0.5], 10_000.0)
    assert total.tolist() == [18_510_000.0] and exempt == pytest.approx([960_000.0])


def test_option_vat_position_refuses_inconsistent_amounts():
    with pytest.raises(ValueError, match="kept_share"):
        option_vat_position(100.0, 10.0, 50.0, 5.0, [1.5])
    with pytest.raises(ValueError, match="part of the council"):
        option_vat_position(100.0, 10.0, 150.0, 5.0, [1.0])


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e8), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.integers(1, 8))
def test_kept_share_one_everywhere_is_the_councils_own_position(total, f_exempt, f_service, f_service_exempt, n):
    exempt = total * f_exempt
    service = total * f_service
    service_exempt = min(service, exempt) * f_service_exempt
    t, e = option_vat_position(total, exempt, service, service_exempt, np.ones(n))
    assert t.tolist() == [total] * n and e.tolist() == [exempt] * n
    own = vat_partial_exemption(total, exempt)
    opt = vat_partial_exemption(t, e)
    assert np.all(opt.breach == own.breach) and np.all(opt.cost_gbp == own.cost_gbp)


@settings(max_examples=200, deadline=None)
@given(money, st.floats(0, 1))
def test_partial_exemption_properties(total, f):
    exempt = total * f
    r = vat_partial_exemption(total, exempt)
    limit = max(0.05 * total, 7_500.0)
    assert float(r.limit_gbp) == pytest.approx(limit)
    assert bool(r.breach) == (exempt > limit * (1 + 1e-12))
    assert float(r.cost_gbp) in (0.0, exempt)  # all or nothing
    assert float(r.headroom_gbp) == pytest.approx(limit - exempt, abs=1e-6)


# ------------------------------------------------------------------------------------------------
# Subsidy control: Subsidy Control Act 2022 ss2-3
# ------------------------------------------------------------------------------------------------


def test_three_year_loan_by_hand_both_profiles():
    # GBP 1,000,000 lent at 2% when the market rate is 6%: the interest not paid is 4% of the balance a year,
    # discounted at 6%.
    # Bullet: balance 1,000,000 each year, 40,000 a year:
    #   40,000 / 1.06 + 40,000 / 1.06^2 + 40,000 / 1.06^3 = 37,735.85 + 35,599.86 + 33,584.77 = 106,920.48
    bullet = 40_000 / 1.06 + 40_000 / 1.06 ** 2 + 40_000 / 1.06 ** 3
    assert bullet == pytest.approx(106_920.48, abs=0.01)
    assert implied_loan_subsidy_gbp(1e6, 0.02, 0.06, 3, "bullet") == pytest.approx(bullet, rel=1e-12)
    # Straight line: a third repaid at the end of each year, balances 1,000,000, 666,666.67, 333,333.33:
    #   40,000 / 1.06 + 26,666.67 / 1.06^2 + 13,333.33 / 1.06^3 = 37,735.85 + 23,733.24 + 11,194.92 = 72,664.01
    straight = 40_000 / 1.06 + (40_000 * 2 / 3) / 1.06 ** 2 + (40_000 / 3) / 1.06 ** 3
    assert straight == pytest.approx(72_664.01, abs=0.01)
    assert implied_loan_subsidy_gbp(1e6, 0.02, 0.06, 3, "straight_line") == pytest.approx(straight, rel=1e-12)
    assert loan_balance_gbp(1e6, 3, "straight_line") == pytest.approx([1e6, 2e6 / 3, 1e6 / 3])


def test_no_subsidy_at_or_above_the_market_rate():
    assert implied_loan_subsidy_gbp(1e6, 0.06, 0.06, 10) == 0.0
    assert implied_loan_subsidy_gbp(1e6, 0.08, 0.06, 10, "straight_line") == 0.0


def test_loan_subsidy_over_cases():
    out = implied_loan_subsidy_gbp(np.array([1e6, 2e6, 1e6]), np.array([0.02, 0.02, 0.07]), 0.06, 3)
    one = 40_000 / 1.06 + 40_000 / 1.06 ** 2 + 40_000 / 1.06 ** 3
    assert out == pytest.approx([one, 2 * one, 0.0])


def test_loan_refuses_bad_terms():
    with pytest.raises(ValueError, match="term_years"):
        implied_loan_subsidy_gbp(1e6, 0.02, 0.06, 0)
    with pytest.raises(ValueError, match="repayment"):
        implied_loan_subsidy_gbp(1e6, 0.02, 0.06, 3, "balloon")
    with pytest.raises(ValueError, match="principal"):
        implied_loan_subsidy_gbp(-1.0, 0.02, 0.06, 3)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e8), st.floats(0, 0.15), st.floats(0.001, 0.15), st.integers(1, 40))
def test_loan_subsidy_properties(p, r, m, n):
    bullet = float(implied_loan_subsidy_gbp(p, r, m, n, "bullet"))
    straight = float(implied_loan_subsidy_gbp(p, r, m, n, "straight_line"))
    # the bullet subsidy is the gap as an annuity: P (m - r) (1 - (1 + m)^-n) / m
    annuity = p * max(m - r, 0.0) * (1 - (1 + m) ** -n) / m
    assert bullet == pytest.approx(annuity, rel=1e-9, abs=1e-6)
    # repaying sooner leaves less to subsidise; neither exceeds the undiscounted interest gap
    assert 0.0 <= straight <= bullet + 1e-6 <= p * max(m - r, 0.0) * n + 1e-6


# ------------------------------------------------------------------------------------------------
# Pension arrangements (LGPS Regulations 2013, Best Value Authorities Staff Transfers (Pensions) Direction 2007)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, bearer, bond, words", [
    ("admission_agreement_bond", "provider", True, "Schedule 2 Part 3"),
    ("admission_agreement_pass_through", "shared", False, "Schedule 2 Part 3"),
    ("deemed_employer", "council", False, "Pensions) Direction 2007"),
    ("council_employer", "council", False, "Local Government Pension Scheme Regulations 2013"),
    ("broadly_comparable_scheme", "provider", False, "Pensions) Direction 2007"),
])
def test_pension_arrangements(name, bearer, bond, words):
    rec = pension_arrangement(name)
    assert (rec.name, rec.risk_bearer, rec.bond_expected) == (name, bearer, bond)
    assert words in rec.source and rec.label and rec.description


def test_pension_arrangement_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown pension arrangement 'admitted'.*admission_agreement_bond"):
        pension_arrangement("admitted")
    assert pension_arrangement("deemed_employer", REF) is REF.pension_arrangements["deemed_employer"]


def test_pension_sentences():
    bond = pension_arrangement("admission_agreement_bond")
    assert pension_sentence(bond, 1_250_000) == ("Admission agreement with a bond: the provider bears the pension "
                                                 "risk; a bond of £1,250,000 is stated.")
    assert pension_sentence(bond).endswith("a bond is expected but none is stated.")
    shared = pension_sentence(pension_arrangement("admission_agreement_pass_through"), 50_000)
    assert "shared between the council and the provider" in shared and "does not normally need one" in shared
    for name in REF.pension_arrangements:
        s = pension_sentence(pension_arrangement(name))
        assert "\n" not in s and s.endswith(".")


# ------------------------------------------------------------------------------------------------
# validation of local_government.yaml (file:line errors)
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    (tmp_path / "appraisal").mkdir()
    return tmp_path


def _errors_after(tree: Path, old: str, new: str):
    p = tree / "reference" / "local_government.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    ref, errors, _ = load_reference(tree / "appraisal")
    assert ref is None and errors
    return errors, p.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("old, new, field, words, line_has", [
    ("threshold: 80%", "threshold: 80", "teckal.threshold", "did you mean 80%", "threshold: 80"),
    ("threshold: 80%", "threshold: 100%", "teckal.threshold", "less than 100%", "threshold: 100%"),
    ("window_years: 3", "window_years: three", "teckal.window_years", "whole number of years", "window_years"),
    ("share_limit: 5%", "share_limit: 5", "vat_partial_exemption.share_limit", "did you mean 5%", "share_limit: 5"),
    ("monthly_limit_gbp: 625", "monthly_limit_gbp: -625", "vat_partial_exemption.monthly_limit_gbp", "positive",
     "-625"),
    ("months: 12", "months: 13", "vat_partial_exemption.months", "1 to 12", "months: 13"),
    ("    risk_bearer: provider\n    bond_expected: true", "    risk_bearer: contractor\n    bond_expected: true",
     "pension_arrangements.admission_agreement_bond.risk_bearer", "council, provider, shared", "contractor"),
    ("bond_expected: true", "bond_expected: yes please", "pension_arrangements.admission_agreement_bond.bond_expected",
     "true or false", "yes please"),
    ("days_before_transfer: 28", "days_before_transfer: 0", "tupe.employee_liability_information.days_before_transfer",
     "1 to 365", "days_before_transfer: 0"),
    ("days_before_transfer: null", "days_before_transfer: 14", "tupe.inform_and_consult.days_before_transfer",
     "no fixed period", "days_before_transfer: 14"),
    ("{from_redundancies: 100, days_before_first_dismissal: 45}",
     "{from_redundancies: 10, days_before_first_dismissal: 45}", "tupe.collective_consultation.bands[#2]",
     "must ascend", "from_redundancies: 10,"),
    ("  threshold: 80%\n", "  treshold: 80%\n", "teckal", "missing threshold", "(Teckal) exemption"),  # the mapping starts here
])
def test_broken_values_name_the_file_line_and_field(tree, old, new, field, words, line_has):
    errors, lines = _errors_after(tree, old, new)
    e = next((e for e in errors if e.field == field), None)
    assert e is not None, [str(x) for x in errors]
    assert e.file == "reference/local_government.yaml" and words in e.message, str(e)
    assert e.line is not None and str(e).startswith(f"reference/local_government.yaml:{e.line}:")
    assert line_has in lines[e.line - 1], (e.line, lines[e.line - 1])


def test_unknown_field_and_missing_source_are_reported(tree):
    errors, _ = _errors_after(tree, "  window_years: 3\n", "  window_years: 3\n  window: 5\n")
    assert any(e.field == "teckal.window" and "unknown field" in e.message for e in errors)
    errors, _ = _errors_after(tree, "    activities: >-", "    activity: >-")
    assert any(e.field == "teckal.sources" and "missing activities" in e.message for e in errors)


def test_missing_file_is_reported(tree):
    (tree / "reference" / "local_government.yaml").unlink()
    ref, errors, _ = load_reference(tree / "appraisal")
    assert ref is None and [(e.file, e.message) for e in errors] == [("reference/local_government.yaml",
                                                                      "file not found")]


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    else:
        yield path


@pytest.mark.parametrize("bad", [None, "x", -3, 2.5, [], {}, True])
def test_any_wrong_value_gives_data_errors_not_a_crash(tree, bad):
    p = tree / "reference" / "local_government.yaml"
    original = yaml.safe_load(p.read_text(encoding="utf-8"))
    for path in _leaves(original):
        data = _copy(original)
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = bad
        p.write_text(yaml.safe_dump(data), encoding="utf-8")
        ref, errors, _ = load_reference(tree / "appraisal")
        if ref is None:
            assert errors and all(e.file == "reference/local_government.yaml" and "\n" not in str(e)
                                  for e in errors), path


def _copy(x):
    return yaml.safe_load(yaml.safe_dump(x))
