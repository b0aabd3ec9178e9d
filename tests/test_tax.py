"""Corporation tax, loss relief and capital allowances (asdm_models/tax.py) and their reference data.

Every expected figure is worked by hand in the comments, with its source:
- rates and limits: Finance Act 2021 ss6-7 (main rate 25%, small profits rate 19%, fraction 3/200 for
  FY2023); CTA 2010 s18A (small profits rate), s18B (marginal relief F x (U - A) x N / A), s18D (lower
  limit GBP 50,000, upper limit GBP 250,000, divided by 1 + associated companies); HMRC Company Taxation
  Manual CTM03900 onwards and gov.uk "Marginal Relief for Corporation Tax";
- capital allowances: CAA 2001 s45S and s52(3) (full expensing 100%, special rate first-year allowance 50%),
  s51A (annual investment allowance), s56(1) (18% main pool), s104D (6% special rate pool), s58(5) (first-year
  allowance expenditure pooled from the next period), s270AA (structures and buildings allowance, 3%).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from asdm_models import tax
from asdm_models.errors import DataError
from asdm_models.reference import (
    PROJECT_ROOT,
    CapitalAllowanceCategory,
    CorporationTaxRules,
    default_reference,
    load_reference,
)
from asdm_models.tax import (
    capital_allowance_kernel,
    capital_allowances,
    corporation_tax,
    marginal_relief,
    taxable_profit_after_losses,
)

REF = default_reference()
RULES = REF.corporation_tax
CATS = REF.capital_allowances
CT_YAML = PROJECT_ROOT / "data" / "reference" / "corporation_tax.yaml"


def ct(x, **kw) -> float:
    return float(corporation_tax(np.array([float(x)]), RULES, **kw)[0])


def mr(x, **kw) -> float:
    return float(marginal_relief(np.array([float(x)]), RULES, **kw)[0])


# ------------------------------------------------------------------------------------------------
# reference data
# ------------------------------------------------------------------------------------------------


def test_reference_corporation_tax_rules_match_finance_act_2021():
    # Finance Act 2021 s6(2)(b), s7(2); CTA 2010 s18D(2); HMRC CTM03910 table for FY2023.
    assert RULES == CorporationTaxRules(0.19, 0.25, 50_000.0, 250_000.0, 3 / 200, 2023, RULES.label, RULES.sources)
    assert set(RULES.sources) == {"small_profits_rate", "main_rate", "lower_limit_gbp", "upper_limit_gbp",
                                  "marginal_relief_fraction"}
    assert "s18D" in RULES.sources["lower_limit_gbp"] and "CTM03925" in RULES.sources["marginal_relief_fraction"]
    assert "CTA 2010" in REF.corporation_tax_source


def test_reference_capital_allowance_categories():
    assert set(CATS) == {"main_pool", "special_rate", "annual_investment_allowance", "structures_and_buildings", "none"}
    rates = {n: (c.first_year_rate, c.writing_down_rate, c.straight_line_rate, c.balance_enters_pool)
             for n, c in CATS.items()}
    assert rates == {
        "main_pool": (1.0, 0.18, 0.0, "next_period"),  # s45S/s52(3) 100%; s56(1) 18%; s58(5)
        "special_rate": (0.5, 0.06, 0.0, "next_period"),  # s45S/s52(3) 50%; s104D 6%; s58(5)
        "annual_investment_allowance": (1.0, 0.18, 0.0, "same_period"),  # s51A; s58(4A)
        "structures_and_buildings": (0.0, 0.0, 0.03, "same_period"),  # s270AA, 3%
        "none": (0.0, 0.0, 0.0, "same_period"),
    }
    assert CATS["annual_investment_allowance"].annual_limit_gbp == 1_000_000  # CAA 2001 s51A(5)
    assert all(c.label and c.covers and "CAA 2001" in c.source for c in CATS.values())


def test_reference_file_is_read_and_listed_for_the_manifest():
    ref, errors, files = load_reference(None)
    assert errors == [] and CT_YAML in files
    assert ref.corporation_tax == RULES and ref.capital_allowances == CATS


def test_reference_keeps_its_old_positional_constructor():
    r = type(REF)(REF.discount_schedules, REF.optimism_bias, REF.optimism_bias_source, REF.directory)
    assert r.corporation_tax is None and r.capital_allowances == {} and r.corporation_tax_source == ""


# --- broken copies of the reference folder ---------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    """``<tmp>/reference`` (a copy of the project's) and ``<tmp>/appraisal``, the data folder that finds it."""
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    (tmp_path / "appraisal").mkdir()
    return tmp_path


def break_ct(tree: Path, old: str, new: str) -> list[DataError]:
    p = tree / "reference" / "corporation_tax.yaml"
    text = p.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    p.write_text(text.replace(old, new), encoding="utf-8")
    ref, errors, files = load_reference(tree / "appraisal")
    assert ref is None and p in files
    return errors


def line_of(tree: Path, text: str) -> int:
    lines = (tree / "reference" / "corporation_tax.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if text in ln)


def test_copied_reference_folder_is_used(tree):
    ref, errors, files = load_reference(tree / "appraisal")
    assert errors == [] and ref.directory == (tree / "reference").resolve()
    assert files[-1] == (tree / "reference" / "corporation_tax.yaml").resolve()
    assert ref.corporation_tax == RULES


def test_main_rate_written_as_a_bare_percentage_is_refused(tree):
    # "main_rate: 25" would be 2,500%: refused with the file, the field and the line.
    (e,) = break_ct(tree, "  main_rate: 25%\n", "  main_rate: 25\n")
    assert e.file == "reference/corporation_tax.yaml"
    assert e.field == "corporation_tax.main_rate"
    assert "did you mean 25%?" in e.message and e.value == 25
    assert e.line == line_of(tree, "  main_rate: 25")
    assert str(e).startswith(f"reference/corporation_tax.yaml:{e.line}: corporation_tax.main_rate: invalid main_rate")


@pytest.mark.parametrize("old, new, field, words", [
    ("  upper_limit_gbp: 250000\n", "  upper_limit_gbp: -5\n", "corporation_tax.upper_limit_gbp", "positive"),
    ("  upper_limit_gbp: 250000\n", "  upper_limit_gbp: 40000\n", "corporation_tax.lower_limit_gbp", "below the upper"),
    ("  small_profits_rate: 19%\n", "  small_profits_rate: 26%\n", "corporation_tax.small_profits_rate", "above the main"),
    # 3/20 instead of 3/200: (25% - 19%) x 50,000 / 200,000 = 0.015 is what makes tax continuous at the lower limit.
    ("  marginal_relief_fraction: 3/200\n", "  marginal_relief_fraction: 3/20\n",
     "corporation_tax.marginal_relief_fraction", "0.015"),
    ("  marginal_relief_fraction: 3/200\n", "  marginal_relief_fraction: three\n",
     "corporation_tax.marginal_relief_fraction", "not a fraction"),
    ("  effective_from_financial_year: 2023-24\n", "  effective_from_financial_year: 2023-25\n",
     "corporation_tax.effective_from_financial_year", "next year"),
    ("  lower_limit_gbp: 50000\n", "", "corporation_tax", "missing lower_limit_gbp"),
    ("  lower_limit_gbp: 50000\n", "  lower_limit_gbp: 50000\n  lower_limt_gbp: 1\n",
     "corporation_tax.lower_limt_gbp", "unknown field"),
    ('    main_rate: "Finance Act 2021 s6(2)(b) (25% for FY2023); CTA 2010 s3; HMRC CTM03910"\n', "",
     "corporation_tax.sources.main_rate", "source of main_rate"),
    ("    writing_down_rate: 6%\n", "    writing_down_rate: 6\n",
     "capital_allowances.special_rate.writing_down_rate", "did you mean 6%?"),
    ("    first_year_rate: 50%\n", "    first_year_rate: 150%\n",
     "capital_allowances.special_rate.first_year_rate", "0% to 100%"),
    ("    balance_enters_pool: same_period\n", "    balance_enters_pool: later\n",
     "capital_allowances.annual_investment_allowance.balance_enters_pool", "same_period or next_period"),
    ("    straight_line_rate: 3%\n", "    straight_line_rate: 3%\n    writing_down_rate: 18%\n",
     "capital_allowances.structures_and_buildings.straight_line_rate", "not both"),
    ("    annual_limit_gbp: 1000000\n", "    annual_limit_gbp: lots\n",
     "capital_allowances.annual_investment_allowance.annual_limit_gbp", "number"),
])
def test_broken_values_name_the_field(tree, old, new, field, words):
    (e,) = break_ct(tree, old, new)
    assert e.file == "reference/corporation_tax.yaml" and e.field == field and words in e.message, str(e)
    assert e.line is not None


def test_missing_file_is_reported(tree):
    (tree / "reference" / "corporation_tax.yaml").unlink()
    ref, errors, _ = load_reference(tree / "appraisal")
    assert ref is None and [(e.file, e.message) for e in errors] == [("reference/corporation_tax.yaml", "file not found")]


@pytest.mark.parametrize("bad", ["text", [1], {"zz": 1}, None, float("nan"), True, -5])
def test_any_wrong_value_gives_data_errors_not_a_crash(tree, bad):
    import yaml

    p = tree / "reference" / "corporation_tax.yaml"
    original = yaml.safe_load(p.read_text(encoding="utf-8"))
    paths = [(k,) for k in original] + [("corporation_tax", k) for k in original["corporation_tax"]]
    paths += [("corporation_tax", "sources", k) for k in original["corporation_tax"]["sources"]]
    paths += [("capital_allowances", c) for c in original["capital_allowances"]]
    paths += [("capital_allowances", c, k) for c, spec in original["capital_allowances"].items() for k in spec]
    for path in paths:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = bad
        (tree / "reference" / "corporation_tax.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        ref, errors, _ = load_reference(tree / "appraisal")
        if ref is None:
            assert errors and all(e.file == "reference/corporation_tax.yaml" and "\n" not in str(e) for e in errors)
        else:  # e.g. a label replaced by other text, or an optional rate set to a valid value
            assert errors == []
        p.write_text(yaml.safe_dump(original), encoding="utf-8")


# ------------------------------------------------------------------------------------------------
# corporation tax: small profits rate and marginal relief
# ------------------------------------------------------------------------------------------------


def test_hmrc_marginal_relief_figures():
    # Below the lower limit: small profits rate, no relief. 19% x 40,000 = 7,600.
    assert ct(40_000) == pytest.approx(7_600.0, abs=1e-9) and mr(40_000) == 0.0
    # Between the limits (CTM03925, gov.uk "Marginal Relief for Corporation Tax"):
    # 25% x 150,000 - 3/200 x (250,000 - 150,000) = 37,500 - 1,500 = 36,000.
    assert mr(150_000) == pytest.approx(1_500.0, abs=1e-9)
    assert ct(150_000) == pytest.approx(36_000.0, abs=1e-9)
    # Above the upper limit: main rate. 25% x 300,000 = 75,000.
    assert ct(300_000) == pytest.approx(75_000.0, abs=1e-9) and mr(300_000) == 0.0


def test_hmrc_manual_example_with_augmented_profits_equal_to_taxable_profits():
    # CTM03925's example, without its GBP 8,000 exempt distributions (A = N = 90,000):
    # 25% x 90,000 = 22,500, less 3/200 x (250,000 - 90,000) = 2,400: 20,100.
    assert ct(90_000) == pytest.approx(20_100.0, abs=1e-9)


def test_limits_are_continuous():
    # At the lower limit exactly: 19% x 50,000 = 9,500 (s18A: "do not exceed the lower limit"), and the
    # marginal-relief formula gives the same: 25% x 50,000 - 3/200 x 200,000 = 12,500 - 3,000 = 9,500.
    assert ct(50_000) == pytest.approx(9_500.0, abs=1e-9)
    assert ct(50_000.01) == pytest.approx(9_500.0, abs=0.01)
    # At the upper limit exactly: relief 3/200 x (250,000 - 250,000) = 0, tax 25% x 250,000 = 62,500.
    assert mr(250_000) == 0.0 and ct(250_000) == pytest.approx(62_500.0, abs=1e-9)
    assert ct(249_999.99) == pytest.approx(62_500.0, abs=0.01)
    assert ct(0) == 0.0


def test_one_associated_company_halves_the_limits():
    # CTA 2010 s18D(3), CTM03935: L = 50,000 / 2 = 25,000, U = 250,000 / 2 = 125,000.
    # GBP 100,000: 25% x 100,000 - 3/200 x (125,000 - 100,000) = 25,000 - 375 = 24,625
    # (alone it would be 25,000 - 3/200 x 150,000 = 22,750).
    assert ct(100_000, associated_companies=1) == pytest.approx(24_625.0, abs=1e-9)
    assert ct(100_000) == pytest.approx(22_750.0, abs=1e-9)
    # GBP 30,000 is now above the lower limit: 7,500 - 3/200 x 95,000 = 7,500 - 1,425 = 6,075 (not 19% = 5,700).
    assert ct(30_000, associated_companies=1) == pytest.approx(6_075.0, abs=1e-9)
    # GBP 125,000 is at the halved upper limit: 25%. GBP 25,000 at the halved lower limit: 19% = 4,750.
    assert ct(125_000, associated_companies=1) == pytest.approx(31_250.0, abs=1e-9)
    assert ct(25_000, associated_companies=1) == pytest.approx(4_750.0, abs=1e-9)


def test_hmrc_example_with_two_associated_companies():
    # CTM03956: profits 55,000, 3 companies in all: L = 16,667, U = 83,333.
    # 25% x 55,000 = 13,750, less (83,333.33 - 55,000) x 3/200 = 425: 13,325.
    assert ct(55_000, associated_companies=2) == pytest.approx(13_325.0, abs=0.01)


def test_associated_companies_by_case():
    profit = np.array([[100_000.0, 100_000.0], [100_000.0, 100_000.0]])
    out = corporation_tax(profit, RULES, associated_companies=np.array([[0], [1]]))
    assert out == pytest.approx(np.array([[22_750.0, 22_750.0], [24_625.0, 24_625.0]]))
    with pytest.raises(ValueError, match="whole number"):
        corporation_tax(profit, RULES, associated_companies=0.5)
    with pytest.raises(ValueError, match="whole number"):
        corporation_tax(profit, RULES, associated_companies=-1)


def test_vectorised_over_cases_and_years_equals_element_by_element():
    rng = np.random.default_rng(7)
    profit = rng.uniform(0, 400_000, size=(6, 9))
    profit[0, :4] = [0.0, 50_000.0, 250_000.0, 150_000.0]
    out = corporation_tax(profit, RULES)
    relief = marginal_relief(profit, RULES)
    assert out.shape == relief.shape == (6, 9)
    for i in range(6):
        for j in range(9):
            assert out[i, j] == ct(profit[i, j]) and relief[i, j] == mr(profit[i, j])


def test_flat_rate_override():
    profit = np.array([[40_000.0, 150_000.0, 300_000.0]])
    assert corporation_tax(profit, RULES, flat_rate=0.0).tolist() == [[0.0, 0.0, 0.0]]  # a charity
    # A user's own 20%: 8,000, 30,000, 60,000 (no small profits rate, no marginal relief).
    assert corporation_tax(profit, RULES, flat_rate=0.2) == pytest.approx(np.array([[8_000.0, 30_000.0, 60_000.0]]))
    # Rules are not needed with a flat rate; a rate per case broadcasts over the years.
    by_case = corporation_tax(np.vstack([profit, profit]), flat_rate=np.array([[0.19], [0.25]]))
    assert by_case == pytest.approx(np.array([[7_600.0, 28_500.0, 57_000.0], [10_000.0, 37_500.0, 75_000.0]]))
    for bad in (25, -0.1, float("nan")):
        with pytest.raises(ValueError, match="flat_rate"):
            corporation_tax(profit, flat_rate=bad)


def test_rules_default_to_the_project_reference_and_negative_profit_is_refused():
    assert corporation_tax(np.array([150_000.0])).tolist() == pytest.approx([36_000.0])
    with pytest.raises(ValueError, match="taxable_profit_after_losses"):
        corporation_tax(np.array([-1.0, 5.0]), RULES)
    with pytest.raises(TypeError):
        corporation_tax(np.array([1.0]), {"main_rate": 0.25})


def test_rates_come_from_the_rules_not_from_code():
    # A hypothetical revision: 20% / 30%, limits 100,000 / 300,000, F = 10% x 100,000 / 200,000 = 1/20.
    # GBP 200,000: 30% x 200,000 - 1/20 x (300,000 - 200,000) = 60,000 - 5,000 = 55,000.
    other = dataclasses.replace(RULES, small_profits_rate=0.2, main_rate=0.3, lower_limit_gbp=100_000.0,
                                upper_limit_gbp=300_000.0, marginal_relief_fraction=0.05)
    assert corporation_tax(np.array([50_000.0, 200_000.0, 400_000.0]), other).tolist() == pytest.approx(
        [10_000.0, 55_000.0, 120_000.0])


@settings(max_examples=300, deadline=None)
@given(a=st.floats(0, 5e6), b=st.floats(0, 5e6), n_assoc=st.integers(0, 4))
def test_tax_is_between_the_rates_and_the_effective_rate_rises(a, b, n_assoc):
    lo, hi = sorted((a, b))
    t_lo, t_hi = (ct(x, associated_companies=n_assoc) for x in (lo, hi))
    for x, t in ((lo, t_lo), (hi, t_hi)):
        assert 0.19 * x - 1e-6 <= t <= 0.25 * x + 1e-6
    if lo > 0:
        assert t_lo / lo <= t_hi / hi + 1e-12
    assert t_lo <= t_hi + 1e-6  # tax itself never falls as profit rises


# ------------------------------------------------------------------------------------------------
# losses carried forward
# ------------------------------------------------------------------------------------------------


def test_losses_carried_forward_by_hand():
    # Profit -100, 30, 50, 40, -20, 60. Cumulative -100, -70, -20, 20, 0, 60; highest so far
    # -100, -70, -20, 20, 20, 60; floored at 0: 0, 0, 0, 20, 20, 60; taxed each year = the differences:
    # 0, 0, 0, 20, 0, 40. The year-3 profit of 40 is taxed only on what exceeds the 20 of losses left;
    # the year-4 loss of 20 is used against year 5 (60 - 20 = 40).
    p = np.array([-100.0, 30.0, 50.0, 40.0, -20.0, 60.0])
    assert taxable_profit_after_losses(p).tolist() == [0.0, 0.0, 0.0, 20.0, 0.0, 40.0]
    assert taxable_profit_after_losses(np.array([5.0, 7.0])).tolist() == [5.0, 7.0]  # no losses: all taxed
    # Cases on the leading axis, each its own company.
    both = taxable_profit_after_losses(np.vstack([p, -p]))
    assert both.tolist() == [[0.0, 0.0, 0.0, 20.0, 0.0, 40.0], [100.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    with pytest.raises(ValueError):
        taxable_profit_after_losses(3.0)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 15)), elements=st.floats(-1e6, 1e6)))
def test_loss_relief_properties(p):
    taxed = taxable_profit_after_losses(p)
    assert taxed.shape == p.shape and np.all(taxed >= 0)
    total = taxed.sum(axis=-1)
    # Never more than the positive profits: losses only ever reduce the tax base.
    assert np.all(total <= np.maximum(p, 0).sum(axis=-1) * (1 + 1e-12) + 1e-6)
    # In all, the highest cumulative profit is taxed; when the final cumulative profit is that highest,
    # what is taxed is max(0, total profit).
    c = np.cumsum(p, axis=-1)
    assert total == pytest.approx(np.maximum(c.max(axis=-1), 0), abs=1e-6)
    final_is_max = c[..., -1] >= c.max(axis=-1)
    assert total[final_is_max] == pytest.approx(np.maximum(p.sum(axis=-1), 0)[final_is_max], abs=1e-6)


# ------------------------------------------------------------------------------------------------
# capital allowances
# ------------------------------------------------------------------------------------------------


def test_special_rate_by_hand():
    # GBP 100,000 of special rate spend in year 0: 50% first-year allowance = 50,000 (s45S, s52(3)).
    # The balance of 50,000 joins the special rate pool in the NEXT period (CAA 2001 s58(5)(a): none of it
    # is allocated to a pool for the period in which it is incurred), then 6% a year (s104D):
    # year 1: 6% x 50,000 = 3,000 (pool 47,000); year 2: 6% x 47,000 = 2,820 (44,180);
    # year 3: 6% x 44,180 = 2,650.80 (41,529.20); year 4: 6% x 41,529.20 = 2,491.752.
    out = capital_allowances(np.array([100_000.0, 0, 0, 0, 0]), CATS["special_rate"])
    assert out.tolist() == pytest.approx([50_000.0, 3_000.0, 2_820.0, 2_650.80, 2_491.752])
    assert capital_allowance_kernel(CATS["special_rate"], 3).tolist() == pytest.approx([0.5, 0.03, 0.0282])


def test_main_pool_full_expensing_by_hand():
    # Full expensing: 100% of GBP 100,000 in the year of spend, nothing after (s45S, s52(3)).
    assert capital_allowances(np.array([100_000.0, 0, 0]), CATS["main_pool"]).tolist() == [100_000.0, 0.0, 0.0]


def test_main_pool_without_first_year_allowance_by_hand():
    # Second-hand plant (no full expensing): the whole 100,000 joins the main pool in the period it is
    # incurred (s58(3)) and is written down at 18% (s56(1)): 18,000; 18% x 82,000 = 14,760; 18% x 67,240 = 12,103.20.
    second_hand = dataclasses.replace(CATS["main_pool"], first_year_rate=0.0, balance_enters_pool="same_period")
    assert capital_allowances(np.array([100_000.0, 0, 0]), second_hand).tolist() == pytest.approx(
        [18_000.0, 14_760.0, 12_103.20])


def test_annual_investment_allowance_by_hand():
    # 100% of GBP 400,000 in the year of spend (within the GBP 1m limit, s51A).
    assert capital_allowances(np.array([0, 400_000.0, 0]), CATS["annual_investment_allowance"]).tolist() == [
        0.0, 400_000.0, 0.0]
    # Were the AIA claimed on part only, the rest would be pooled in the same period (s58(4A)): 60% AIA on
    # 100,000 = 60,000 plus 18% x 40,000 = 7,200 -> 67,200; then 18% x 32,800 = 5,904.
    part = dataclasses.replace(CATS["annual_investment_allowance"], first_year_rate=0.6)
    assert capital_allowances(np.array([100_000.0, 0]), part).tolist() == pytest.approx([67_200.0, 5_904.0])


def test_structures_and_buildings_by_hand():
    # GBP 1m building: 3% of cost a year (s270AA) = 30,000 in each year of a 10-year period.
    out = capital_allowances(np.r_[1e6, np.zeros(9)], CATS["structures_and_buildings"])
    assert out.tolist() == pytest.approx([30_000.0] * 10)
    # Over 40 years the cost is relieved in 33 1/3 years: 33 x 30,000 = 990,000, then the last 10,000, then 0.
    long = capital_allowances(np.r_[1e6, np.zeros(39)], CATS["structures_and_buildings"])
    assert long[:33] == pytest.approx([30_000.0] * 33) and long[33] == pytest.approx(10_000.0)
    assert np.all(long[34:] == 0) and long.sum() == pytest.approx(1e6)


def test_no_allowance():
    assert capital_allowances(np.array([[5e5, 1e5, 0]]), CATS["none"]).tolist() == [[0.0, 0.0, 0.0]]


def test_spend_in_several_years_adds_up():
    # Special rate 100,000 in year 0 and 40,000 in year 2: each is its own kernel, shifted, and the pool adds:
    # year 0: 50,000; year 1: 3,000; year 2: 2,820 + 20,000 (50% of 40,000) = 22,820;
    # year 3: 2,650.80 + 6% x 20,000 = 2,650.80 + 1,200 = 3,850.80.
    out = capital_allowances(np.array([100_000.0, 0, 40_000.0, 0]), CATS["special_rate"])
    assert out.tolist() == pytest.approx([50_000.0, 3_000.0, 22_820.0, 3_850.80])
    for cat in CATS.values():
        a = np.array([100_000.0, 0, 0, 0, 0, 0])
        b = np.array([0, 0, 40_000.0, 0, 25_000.0, 0])
        assert capital_allowances(a + b, cat) == pytest.approx(capital_allowances(a, cat) + capital_allowances(b, cat))


def test_vectorised_over_cases_and_by_name():
    rng = np.random.default_rng(11)
    spend = rng.uniform(0, 1e6, size=(2, 3, 8))
    for name, cat in CATS.items():
        out = capital_allowances(spend, name)
        assert out.shape == spend.shape
        for i in range(2):
            for j in range(3):
                assert out[i, j] == pytest.approx(capital_allowances(spend[i, j], cat))
    with pytest.raises(ValueError, match="unknown capital allowance category"):
        capital_allowances(spend, "plant")
    with pytest.raises(ValueError, match=">= 0"):
        capital_allowances(np.array([-1.0, 2.0]), "main_pool")
    assert capital_allowance_kernel("main_pool", 0).shape == (0,)


@settings(max_examples=200, deadline=None)
@given(
    spend=arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1e7)),
    f=st.floats(0, 1), w=st.floats(0, 1), s=st.floats(0, 1), timing=st.sampled_from(["same_period", "next_period"]),
)
def test_allowances_never_exceed_spend(spend, f, w, s, timing):
    cats = list(CATS.values()) + [
        CapitalAllowanceCategory("pooled", "x", "x", "x", f, w, 0.0, timing),
        CapitalAllowanceCategory("straight", "x", "x", "x", 0.0, 0.0, s),
    ]
    for cat in cats:
        out = capital_allowances(spend, cat)
        assert np.all(out >= 0)
        # Up to any year, allowances so far are at most the spend so far (nothing is allowed twice).
        assert np.all(np.cumsum(out) <= np.cumsum(spend) * (1 + 1e-9) + 1e-6)
        k = capital_allowance_kernel(cat, len(spend))
        assert np.all(k >= 0) and k.sum() <= 1 + 1e-12


def test_module_exports():
    assert set(tax.__all__) == {"taxable_profit_after_losses", "corporation_tax", "marginal_relief",
                                "capital_allowances", "capital_allowance_kernel"}
