"""Monte Carlo: reproducibility, common random numbers, convergence, sampling accuracy."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from asdm_models import appraise, load_appraisal
from asdm_models.distributions import parse_distribution
from asdm_models.montecarlo import monte_carlo, monte_carlo_all

APPRAISAL = {
    "appraisal": "mc_fixture",
    "title": "Monte Carlo fixture",
    "council": "Test Council",
    "illustrative": True,
    "service": "Test service",
    "price_base": "2026-27",
    "first_year": "2026-27",
    "period_years": 12,
    "discounting": {"schedule": "green_book"},
    "economy": {"gdp_deflator": "2%", "pay_inflation": "3%", "price_inflation": "2.5%", "energy_inflation": "3%"},
    "current_service": {
        "staff_fte": 50, "staff_cost_per_fte_gbp": 30000, "pension_employer_rate": "18%",
        "non_staff_costs_gbp": 800000, "energy_costs_gbp": 200000, "support_services_gbp": 150000,
        "fees_income_gbp": 900000,
    },
    "savings_target": {"annual_gbp": 100000, "from_year": "2027-28"},
    "strategic_objectives": ["Test"],
    "risk_appetite": {"statement": "Test", "min_prob_beats_no_change": "60%"},
    "critical_success_factors": [{"id": "fit", "name": "Fit", "weight": "100%"}],
    "stages": {"obc": {"optimism_bias_mitigation": "50%"}, "fbc": {"optimism_bias_mitigation": "90%"}},
    "gates": {"obc": [{"metric": "npsv_vs_no_change_gbp", "min": 0}], "fbc": [{"metric": "npsv_vs_no_change_gbp", "min": 0}]},
}
NO_CHANGE = {
    "id": "no_change", "name": "No change", "model": "no_change", "description": "Baseline",
    "risks": [{"id": "boiler", "description": "Boiler failure", "probability": "30%", "impact_low_gbp": 20000,
               "impact_most_likely_gbp": 50000, "impact_high_gbp": 150000, "from_year": 0, "to_year": 11}],
    "scores": {"fit": 3},
}
LINEAR = {
    # Every uncertain driver enters the cash flows linearly (no inflation draws, no tax):
    # E[NPSV] = NPSV at the distributions' means.
    "id": "redesign", "name": "Redesign", "model": "in_house_redesign", "description": "Linear test option",
    "drivers": {"staff_efficiency_rate": "6%", "non_staff_efficiency_rate": "4%", "trading_income_gbp": 120000,
                "trading_cost_ratio": "50%", "efficiency_ramp_years": 2},
    "one_off_costs": [{"id": "it", "description": "IT", "year": 0, "amount_gbp": 300000,
                       "optimism_bias_category": "equipment_development"}],
    "risks": [{"id": "delay", "description": "Delay", "probability": "40%", "impact_low_gbp": 50000,
               "impact_most_likely_gbp": 80000, "impact_high_gbp": 300000, "from_year": 1, "to_year": 3}],
    "uncertain": {
        "staff_efficiency_rate": {"distribution": "triangular", "low": "1%", "mode": "6%", "high": "8%"},
        "non_staff_efficiency_rate": {"distribution": "pert", "low": "0%", "mode": "4%", "high": "10%"},
        "trading_income_gbp": {"distribution": "uniform", "low": 0, "high": 200000},
        "one_off_costs.it.amount_gbp": {"distribution": "normal", "mean": 300000, "sd": 40000},
    },
    "scores": {"fit": 4},
}


def write_appraisal(root: Path, appraisal: dict, options: list[dict]) -> Path:
    d = root / appraisal["appraisal"]
    (d / "options").mkdir(parents=True)
    (d / "appraisal.yaml").write_text(yaml.safe_dump(appraisal, sort_keys=False))
    for o in options:
        (d / "options" / f"{o['id']}.yaml").write_text(yaml.safe_dump(o, sort_keys=False))
    return d


@pytest.fixture()
def linear(tmp_path):
    return load_appraisal(write_appraisal(tmp_path, APPRAISAL, [NO_CHANGE, LINEAR]))


@pytest.fixture()
def shared(tmp_path):
    """Economy and current-service uncertainty shared by every option, plus a twin of no change."""
    app = copy.deepcopy(APPRAISAL)
    app["uncertain"] = {
        "pay_inflation": {"distribution": "triangular", "low": "2%", "mode": "3%", "high": "6%"},
        "energy_inflation": {"distribution": "pert", "low": "0%", "mode": "3%", "high": "10%"},
        "current_service.fees_income_gbp": {"distribution": "normal", "mean": 900000, "sd": 60000},
    }
    app["correlations"] = [{"drivers": ["pay_inflation", "energy_inflation"], "rank_correlation": 0.6}]
    twin = copy.deepcopy(NO_CHANGE) | {"id": "twin", "name": "Twin of no change", "model": "in_house_redesign"}
    return load_appraisal(write_appraisal(tmp_path, app, [NO_CHANGE, twin, LINEAR]))


def test_same_seed_same_numbers_in_any_order(shared):
    forward = monte_carlo_all(shared, "obc", draws=5000, seed=7)
    backward = monte_carlo_all(shared, "obc", draws=5000, seed=7, options=list(reversed(shared.options)))
    alone = monte_carlo(shared, "redesign", "obc", draws=5000, seed=7)
    for o in shared.options:
        np.testing.assert_array_equal(forward[o].npsv_vs_no_change_gbp, backward[o].npsv_vs_no_change_gbp)
        np.testing.assert_array_equal(forward[o].council_npv_vs_no_change_gbp, backward[o].council_npv_vs_no_change_gbp)
    np.testing.assert_array_equal(alone.npsv_vs_no_change_gbp, forward["redesign"].npsv_vs_no_change_gbp)
    other = monte_carlo(shared, "redesign", "obc", draws=5000, seed=8)
    assert not np.array_equal(other.npsv_vs_no_change_gbp, alone.npsv_vs_no_change_gbp)


def test_results_do_not_depend_on_chunk_size(shared):
    big = monte_carlo(shared, "redesign", "obc", draws=3000, seed=3)
    small = monte_carlo(shared, "redesign", "obc", draws=3000, seed=3, chunk=257)
    np.testing.assert_allclose(small.npsv_vs_no_change_gbp, big.npsv_vs_no_change_gbp, rtol=0, atol=1e-6)


def test_identical_option_differs_by_exactly_zero_in_every_draw(shared):
    """Common random numbers: the twin shares every draw with no change (economy, income, the boiler risk)."""
    mc = monte_carlo(shared, "twin", "obc", draws=20000, seed=11)
    assert np.all(mc.npsv_vs_no_change_gbp == 0.0)
    assert np.all(mc.council_npv_vs_no_change_gbp == 0.0)
    assert np.std(mc.npsv_gbp) > 10000  # ... while the NPSV itself does vary from draw to draw
    assert mc.prob_beats_no_change == 0.0


def test_shared_drivers_take_the_same_draw_in_every_option(shared):
    res = monte_carlo_all(shared, "obc", draws=2000, seed=5)
    for p in ("pay_inflation", "energy_inflation", "current_service.fees_income_gbp"):
        np.testing.assert_array_equal(res["twin"].driver_values[p], res["redesign"].driver_values[p])


def test_rank_correlation_is_imposed(shared):
    mc = monte_carlo(shared, "redesign", "obc", draws=40000, seed=2)
    rho = stats.spearmanr(mc.driver_values["pay_inflation"], mc.driver_values["energy_inflation"]).statistic
    assert rho == pytest.approx(0.6, abs=0.02)
    rho0 = stats.spearmanr(mc.driver_values["pay_inflation"], mc.driver_values["current_service.fees_income_gbp"]).statistic
    assert abs(rho0) < 0.02


def test_mean_converges_to_deterministic_value_for_a_linear_model(linear):
    """For a model linear in its drivers E[f(X)] = f(E[X]); risks realised in each draw average to their
    expected value. So the Monte Carlo mean must lie within 3 standard errors of appraise() at the means."""
    option = linear.options["redesign"]
    means = {p: d.mean() for p, d in option.uncertain.items()}
    expected = appraise(linear, "redesign", "obc", overrides=means).npsv_vs_no_change_gbp
    mc = monte_carlo(linear, "redesign", "obc", draws=100_000, seed=12)
    assert abs(mc.mean - expected) < 3 * mc.standard_error
    assert mc.standard_error < 2000  # the check is tight: about £1,000 on a figure of several £100,000s
    # ... and the base case (modes) differs from the mean case, so the test can tell them apart.
    assert abs(appraise(linear, "redesign", "obc").npsv_vs_no_change_gbp - expected) > 10 * mc.standard_error


def test_degenerate_distributions_give_exactly_the_deterministic_result(tmp_path):
    option = copy.deepcopy(LINEAR)
    option["risks"] = []
    option["uncertain"] = {
        "staff_efficiency_rate": {"distribution": "triangular", "low": "6%", "mode": "6%", "high": "6%"},
        "trading_income_gbp": {"distribution": "uniform", "low": 120000, "high": 120000},
        "one_off_costs.it.amount_gbp": {"distribution": "normal", "mean": 300000, "sd": 0},
        "non_staff_efficiency_rate": {"distribution": "pert", "low": "4%", "mode": "4%", "high": "4%"},
    }
    nc = copy.deepcopy(NO_CHANGE) | {"risks": []}
    a = load_appraisal(write_appraisal(tmp_path, APPRAISAL, [nc, option]))
    det = appraise(a, "redesign", "obc")
    mc = monte_carlo(a, "redesign", "obc", draws=1000, seed=1)
    assert np.all(mc.npsv_vs_no_change_gbp == det.npsv_vs_no_change_gbp)
    assert np.all(mc.council_npv_vs_no_change_gbp == det.council_npv_vs_no_change_gbp)
    assert mc.p10 == mc.p90 == det.npsv_vs_no_change_gbp


def test_summary_and_tidy_frames(linear):
    mc = monte_carlo(linear, "redesign", "obc", draws=20000, seed=4)
    s = mc.summary()
    assert s["p10_npsv_vs_no_change_gbp"] <= s["p50_npsv_vs_no_change_gbp"] <= s["p90_npsv_vs_no_change_gbp"]
    assert 0.0 <= s["prob_beats_no_change"] <= 1.0
    assert mc.npsv_vs_no_change_gbp.shape == (20000,)
    # Independent check of the percentiles and the probability with numpy directly.
    x = mc.npsv_vs_no_change_gbp
    assert s["p50_npsv_vs_no_change_gbp"] == np.percentile(x, 50)
    assert s["prob_beats_no_change"] == np.count_nonzero(x > 0.01) / x.size  # beats = better by more than a penny
    fan = mc.fan()
    assert list(fan.index) == linear.years
    # The fan's last year is the cumulative total: its P50 is the P50 of NPSV vs no change.
    assert fan["p50"].iloc[-1] == pytest.approx(mc.p50, abs=1e-3)
    np.testing.assert_allclose(mc.discounted_vs_no_change_by_year_gbp.sum(axis=1), x, atol=1e-6)
    contrib = mc.contributions()
    assert set(contrib["driver"]) == set(mc.driver_values)
    assert contrib["share"].sum() == pytest.approx(1.0)
    # Staff efficiency (a 7-point range on £1.8m of pay) matters more than the IT cost's spread.
    top = list(contrib["driver"])
    assert top.index("staff_efficiency_rate") < top.index("one_off_costs.it.amount_gbp")


def test_seed_must_be_a_non_negative_integer(linear):
    with pytest.raises(ValueError, match="seed"):
        monte_carlo(linear, "redesign", "obc", draws=10, seed=-1)
    with pytest.raises(ValueError, match="draws"):
        monte_carlo(linear, "redesign", "obc", draws=0, seed=1)
    g1 = monte_carlo(linear, "redesign", "obc", draws=100, seed=np.random.default_rng(3))
    g2 = monte_carlo(linear, "redesign", "obc", draws=100, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(g1.npsv_vs_no_change_gbp, g2.npsv_vs_no_change_gbp)


# ---------------------------------------------------------------- sampling accuracy (scipy as the reference)
U = np.concatenate([np.linspace(1e-9, 1 - 1e-9, 2001), [1e-12, 0.5, 1 - 1e-12]])


def _dist(spec, unit="gbp", base=None):
    d, problems = parse_distribution(spec, unit, base)
    assert not problems, problems
    return d


def test_triangular_matches_scipy():
    d = _dist({"distribution": "triangular", "low": 10, "mode": 30, "high": 100})
    ref = stats.triang.ppf(U, c=(30 - 10) / 90, loc=10, scale=90)
    np.testing.assert_allclose(d.ppf(U), ref, rtol=0, atol=1e-9)
    assert d.mean() == pytest.approx(140 / 3)


def test_pert_matches_scipy_beta_to_1e_7_of_the_range():
    a, c, b = 100.0, 180.0, 400.0
    d = _dist({"distribution": "pert", "low": a, "mode": c, "high": b})
    alpha, beta = 1 + 4 * (c - a) / (b - a), 1 + 4 * (b - c) / (b - a)  # Vose (2008), PERT as scaled beta
    ref = a + (b - a) * stats.beta.ppf(U, alpha, beta)
    assert np.max(np.abs(d.ppf(U) - ref)) < 1e-7 * (b - a)
    assert d.mean() == pytest.approx((a + 4 * c + b) / 6)


def test_normal_lognormal_uniform_match_scipy():
    n = _dist({"distribution": "normal", "mean": 5.0, "sd": 2.0})
    np.testing.assert_allclose(n.ppf(U), stats.norm.ppf(U, 5.0, 2.0), rtol=1e-12)
    ln = _dist({"distribution": "lognormal", "mean": 100.0, "sd": 30.0})
    sigma = np.sqrt(np.log1p((30.0 / 100.0) ** 2))
    mu = np.log(100.0) - sigma**2 / 2
    np.testing.assert_allclose(ln.ppf(U), stats.lognorm.ppf(U, s=sigma, scale=np.exp(mu)), rtol=1e-10)
    assert stats.lognorm.mean(s=sigma, scale=np.exp(mu)) == pytest.approx(100.0)
    un = _dist({"distribution": "uniform", "low": "1%", "high": "3%"}, unit="rate")
    np.testing.assert_allclose(un.ppf(U), stats.uniform.ppf(U, 0.01, 0.02), rtol=1e-12)
    # Tornado bounds of a normal are its 5th and 95th percentiles.
    assert (n.low, n.high) == pytest.approx(tuple(stats.norm.ppf([0.05, 0.95], 5.0, 2.0)))


def test_overrides_fix_a_driver_and_shared_ones_move_no_change_too(shared):
    mc = monte_carlo(shared, "redesign", "obc", draws=3000, seed=9, overrides={"staff_efficiency_rate": 0.05})
    assert "staff_efficiency_rate" not in mc.driver_values
    # A shared override is applied to no change as well: the twin still differs by exactly 0 in every draw.
    twin = monte_carlo(shared, "twin", "obc", draws=3000, seed=9, overrides={"pay_inflation": 0.045})
    assert np.all(twin.npsv_vs_no_change_gbp == 0.0)
    assert "pay_inflation" not in twin.driver_values
