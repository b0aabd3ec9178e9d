"""The explorer's front sheet (asdm_models.dashboard): quick Monte Carlo, standard errors, gate and flags."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from asdm_models import PROJECT_ROOT, appraise, load_appraisal, monte_carlo
from asdm_models.assumptions import GATE_METRICS
from asdm_models.dashboard import (HEADLINE_ROWS, QUICK_DRAWS, QUICK_SEED, gate_status_colour, headline_figures,
                                   mc_figures, quantile_standard_error, quick_monte_carlo, threshold_flags)
from asdm_models.widgets import GATE_CHIP_LABELS


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


def test_the_quick_monte_carlo_is_the_batch_monte_carlo_with_the_same_draws_and_seed(leisure):
    ov = {"pay_inflation": 0.035, "staff_efficiency_rate": 0.04}
    q = quick_monte_carlo(leisure, "trading_company", "obc", ov)
    ref = monte_carlo(leisure, "trading_company", "obc", draws=QUICK_DRAWS, seed=QUICK_SEED, overrides=ov)
    np.testing.assert_array_equal(q.npsv_vs_no_change_gbp, ref.npsv_vs_no_change_gbp)
    assert QUICK_SEED == __import__("asdm_models.batch", fromlist=["DEFAULT_SEED"]).DEFAULT_SEED  # the batch's seed


def test_a_saved_scenario_as_overrides_gives_the_scenarios_monte_carlo(leisure):
    # What the explorer does after "load scenario": the scenario's values become fixed overrides.
    sc = leisure.scenarios["pessimistic"].changes
    ov = {**sc["all"], **sc["social_enterprise"]}
    q = quick_monte_carlo(leisure, "social_enterprise", "obc", ov, draws=2000)
    ref = monte_carlo(leisure, "social_enterprise", "obc", draws=2000, seed=QUICK_SEED, scenario="pessimistic")
    np.testing.assert_array_equal(q.npsv_vs_no_change_gbp, ref.npsv_vs_no_change_gbp)


def test_quantile_standard_error_agrees_with_the_asymptotic_formula_for_a_normal_sample():
    # Independent: SE(median) of N(0, 1) = sqrt(q (1 - q) / n) / phi(0) (Kendall & Stuart, sampling of quantiles).
    n = 20_000
    x = np.random.default_rng(7).standard_normal(n)
    for q in (0.1, 0.5, 0.9):
        asymptotic = math.sqrt(q * (1 - q) / n) / stats.norm.pdf(stats.norm.ppf(q))
        assert quantile_standard_error(x, q) == pytest.approx(asymptotic, rel=0.15)


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.01, 1e7), shift=st.floats(-1e7, 1e7))
def test_quantile_standard_error_scales_with_the_draws_and_ignores_a_shift(scale, shift):
    x = np.random.default_rng(3).standard_normal(2000)
    se = quantile_standard_error(x, 0.5)
    # Up to float rounding: adding the shift rounds each draw to within eps * |shift| (IEEE 754 doubles).
    rounding = 8 * np.finfo(float).eps * (abs(shift) + 5 * scale)
    assert quantile_standard_error(x * scale + shift, 0.5) == pytest.approx(se * scale, rel=1e-6, abs=rounding)


def test_mc_figures_give_the_binomial_standard_error_of_the_probability(leisure):
    mc = monte_carlo(leisure, "outsourcing", "obc", draws=4000, seed=11)
    f = mc_figures(mc)
    p = float(np.mean(mc.npsv_vs_no_change_gbp > 0.01))
    assert f["prob_beats_no_change"] == p
    assert f["se_prob"] == pytest.approx(math.sqrt(p * (1 - p) / 4000))
    assert f["p50_npsv_vs_no_change_gbp"] == float(np.quantile(mc.npsv_vs_no_change_gbp, 0.5))
    assert (f["mc_draws"], f["mc_seed"]) == (4000, 11)


def test_the_gate_is_assessed_once_the_monte_carlo_is_given(leisure):
    r = appraise(leisure, "trading_company", "obc")
    without = headline_figures(leisure, r)
    assert "not assessed" in set(without["gate_tests"]["result"])
    assert without["p50_npsv_vs_no_change_gbp"] is None
    mc = quick_monte_carlo(leisure, "trading_company", "obc")
    with_mc = headline_figures(leisure, r, mc)
    assert "not assessed" not in set(with_mc["gate_tests"]["result"])
    assert with_mc["p50_npsv_vs_no_change_gbp"] == mc.p50
    assert with_mc["npsv_vs_no_change_gbp"] == r.npsv_vs_no_change_gbp
    assert set(k for k, *_ in HEADLINE_ROWS) <= set(with_mc)


def test_threshold_flags_cash_below_zero_and_a_gate_test_that_flips(leisure):
    saved = headline_figures(leisure, appraise(leisure, "trading_company", "obc"),
                             quick_monte_carlo(leisure, "trading_company", "obc"))
    ov = {"planned_funding_gbp": 0.0}
    r = appraise(leisure, "trading_company", "obc", overrides=ov)
    assert r.lowest_cash_gbp < 0  # premise, from the model itself
    now = headline_figures(leisure, r, quick_monte_carlo(leisure, "trading_company", "obc", ov))
    flags = threshold_flags(now, saved)
    assert "below zero" in flags["lowest_cash_gbp"]
    assert flags["gate_test:entity_lowest_cash_gbp"] == "flipped: pass at the saved assumptions, fail now"
    assert "gate" in flags  # proceed -> stop (a required test fails)
    assert threshold_flags(saved, saved) == {}


def test_threshold_flags_a_sign_change_of_the_npsv_both_ways():
    assert "now behind" in threshold_flags({"npsv_vs_no_change_gbp": -1.0}, {"npsv_vs_no_change_gbp": 5.0})[
        "npsv_vs_no_change_gbp"]
    assert "now ahead" in threshold_flags({"npsv_vs_no_change_gbp": 1.0}, {"npsv_vs_no_change_gbp": -5.0})[
        "npsv_vs_no_change_gbp"]
    assert threshold_flags({"npsv_vs_no_change_gbp": 1.0}, {"npsv_vs_no_change_gbp": 5.0}) == {}
    assert "payback_year" in threshold_flags({"payback_year": None}, {"payback_year": "2031-32"})


def test_every_gate_metric_has_a_chip_label_and_a_colour():
    assert set(GATE_METRICS) <= set(GATE_CHIP_LABELS)
    assert [gate_status_colour(x) for x in ("pass", "fail", "n/a", "not assessed")] == ["green", "red", "amber", "amber"]
