"""Tests for asdm_models.adjustments: optimism bias and risk expected values, checked by hand.

Sources: HM Treasury, Green Book supplementary guidance on optimism bias (2003), table 1 (upper and
lower bounds, from Mott MacDonald 2002); data/reference/optimism_bias.yaml; Vose (2008) for the
triangular mean (low + mode + high) / 3.
"""

from __future__ import annotations

import numpy as np
import pytest

from asdm_models.adjustments import optimism_bias_uplift, risk_expected_value, triangular_mean
from asdm_models.reference import default_reference


def test_optimism_bias_uplift_hand_examples():
    """uplift = lower + (1 - mitigation) * (upper - lower)."""
    # Standard buildings 24% / 2%: unmitigated 24%, half mitigated 2% + 0.5 * 22% = 13%, fully 2%.
    assert optimism_bias_uplift(0.24, 0.02, 0.0) == pytest.approx(0.24, abs=1e-15)
    assert optimism_bias_uplift(0.24, 0.02, 0.5) == pytest.approx(0.13, abs=1e-15)
    assert optimism_bias_uplift(0.24, 0.02, 1.0) == 0.02  # exactly the lower bound
    # Equipment and development 200% / 10% at OBC mitigation 40%: 10% + 0.6 * 190% = 124%.
    assert optimism_bias_uplift(2.0, 0.10, 0.4) == pytest.approx(1.24, abs=1e-14)
    # ... and at 80%: 10% + 0.2 * 190% = 48%.
    assert optimism_bias_uplift(2.0, 0.10, 0.8) == pytest.approx(0.48, abs=1e-14)
    # Outsourcing 41% / 0%, 25% mitigated: 0.75 * 41% = 30.75%.
    assert optimism_bias_uplift(0.41, 0.0, 0.25) == pytest.approx(0.3075, abs=1e-15)


@pytest.mark.parametrize("m", [-0.01, 1.01, 2.0])
def test_optimism_bias_mitigation_out_of_range(m):
    with pytest.raises(ValueError):
        optimism_bias_uplift(0.24, 0.02, m)


def test_reference_optimism_bias_bounds_match_guidance():
    """Green Book supplementary guidance (2003) table 1, as quoted in DESIGN.md section 2."""
    ob = default_reference().optimism_bias
    assert (ob["standard_buildings"].upper, ob["standard_buildings"].lower) == pytest.approx((0.24, 0.02))
    assert (ob["equipment_development"].upper, ob["equipment_development"].lower) == pytest.approx((2.00, 0.10))
    assert (ob["outsourcing"].upper, ob["outsourcing"].lower) == pytest.approx((0.41, 0.0))
    assert (ob["non_standard_buildings"].upper, ob["non_standard_buildings"].lower) == pytest.approx((0.51, 0.04))
    assert (ob["standard_civil_engineering"].upper, ob["standard_civil_engineering"].lower) == pytest.approx((0.44, 0.03))
    assert (ob["non_standard_civil_engineering"].upper,
            ob["non_standard_civil_engineering"].lower) == pytest.approx((0.66, 0.06))
    for c in ob.values():
        assert 0 <= c.lower <= c.upper


def test_triangular_mean():
    """(low + most likely + high) / 3 (Vose 2008)."""
    assert float(triangular_mean(10.0, 20.0, 60.0)) == 30.0
    assert float(triangular_mean(5.0, 5.0, 5.0)) == 5.0
    np.testing.assert_allclose(triangular_mean(np.array([0.0, 30.0]), 60.0, np.array([90.0, 90.0])), [50.0, 60.0])


def test_risk_expected_value_hand():
    """p = 0.5, impact (10, 20, 60): mean 30, expected 15, spread over years 1..3 = 5 a year, as a cost."""
    ev = risk_expected_value(0.5, 10.0, 20.0, 60.0, 1, 3, 6)
    np.testing.assert_allclose(ev, [0.0, -5.0, -5.0, -5.0, 0.0, 0.0], atol=1e-15)
    assert ev.sum() == pytest.approx(-15.0, abs=1e-12)


def test_risk_expected_value_single_year_and_window_edges():
    """Window of one year at the start and at the end of the period."""
    np.testing.assert_allclose(risk_expected_value(0.2, 100.0, 100.0, 100.0, 0, 0, 3), [-20.0, 0.0, 0.0], atol=0)
    np.testing.assert_allclose(risk_expected_value(1.0, 30.0, 60.0, 90.0, 2, 2, 3), [0.0, 0.0, -60.0], atol=0)
    np.testing.assert_allclose(risk_expected_value(0.0, 30.0, 60.0, 90.0, 0, 2, 3), [0.0, 0.0, 0.0], atol=0)


def test_risk_expected_value_over_cases():
    """One probability per case: shape (cases, years), each row by hand."""
    ev = risk_expected_value(np.array([0.5, 1.0]), 10.0, 20.0, 60.0, 0, 1, 3)
    assert ev.shape == (2, 3)
    np.testing.assert_allclose(ev, [[-7.5, -7.5, 0.0], [-15.0, -15.0, 0.0]], atol=1e-15)


def test_risk_expected_value_total_equals_probability_times_mean():
    """Whatever the window, the undiscounted total is -p * mean impact."""
    for lo, hi in [(0, 0), (0, 9), (3, 7), (9, 9)]:
        ev = risk_expected_value(0.35, 120_000.0, 250_000.0, 600_000.0, lo, hi, 10)
        assert ev.sum() == pytest.approx(-0.35 * (120_000 + 250_000 + 600_000) / 3, rel=1e-13)
        assert np.all(ev[:lo] == 0) and np.all(ev[hi + 1:] == 0)
