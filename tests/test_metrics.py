"""Tests for asdm_models.metrics: payback, IRR and benefit-cost ratio, by hand and against numpy_financial.

Conventions (DESIGN.md section 5): payback is the first year in which the cumulative saving against
no change is no longer negative; a figure that does not apply is None, never 0.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

from asdm_models.metrics import benefit_cost_ratio, irr, payback_index


# ------------------------------------------------------------------------------------------
# Payback


@pytest.mark.parametrize("savings, expected", [
    ([-100.0, 40.0, 40.0, 40.0], 3),       # cumulative -100, -60, -20, +20: year 3
    ([-100.0, 50.0, 50.0], 2),             # cumulative exactly 0 in year 2: no longer negative
    ([-100.0, 100.0, 0.0], 1),             # exactly repaid in year 1
    ([0.0, -10.0, 5.0, 5.0, 5.0], 3),      # nothing in year 0, -10, -5, 0 in year 3
    ([10.0, -20.0, 5.0, 10.0], 3),         # cumulative 10, -10, -5, 5: after it was last negative
    ([-1.0, 0.0, 0.0, 2.0], 3),
])
def test_payback_hand_examples(savings, expected):
    assert payback_index(savings) == expected


def test_payback_never_pays_back_is_none():
    """Cumulative -100, -60, -20 at the end of the period: no payback within it."""
    assert payback_index([-100.0, 40.0, 40.0]) is None
    assert payback_index([-5.0, -5.0, -5.0]) is None
    assert payback_index([10.0, 10.0, -30.0]) is None  # negative in the last year


def test_payback_immediate_is_zero():
    """Saving from the start, cumulative never negative: pays back at once (year 0)."""
    assert payback_index([10.0, 10.0]) == 0
    assert payback_index([0.0, 5.0, 0.0]) == 0
    assert payback_index([5.0]) == 0


def test_payback_all_zeros_is_none():
    """No saving at all (e.g. no change against itself): payback does not apply."""
    assert payback_index([0.0, 0.0, 0.0]) is None
    assert payback_index(np.zeros(10)) is None
    assert payback_index([]) is None


def test_payback_returns_plain_int():
    r = payback_index(np.array([-3.0, 1.0, 1.0, 1.0]))
    assert r == 3 and type(r) is int


# ------------------------------------------------------------------------------------------
# IRR


def test_irr_hand_example():
    """-100, 60, 60: 60x^2 + 60x - 100 = 0 with x = 1/(1+r): x = (-60 + sqrt(27600))/120, r = 13.0662%."""
    x = (-60.0 + math.sqrt(60.0 ** 2 + 4 * 60.0 * 100.0)) / 120.0
    r_hand = 1.0 / x - 1.0
    assert r_hand == pytest.approx(0.130662, abs=1e-6)
    assert irr([-100.0, 60.0, 60.0]) == pytest.approx(r_hand, rel=1e-10)


def test_irr_two_year_hand():
    """-100, 110: r = 10% exactly; -100, 0, 121: r = 10%."""
    assert irr([-100.0, 110.0]) == pytest.approx(0.10, abs=1e-12)
    assert irr([-100.0, 0.0, 121.0]) == pytest.approx(0.10, abs=1e-12)


@pytest.mark.parametrize("flows", [
    [-1000.0, 300.0, 300.0, 300.0, 300.0],
    [-500.0, -200.0, 250.0, 250.0, 250.0, 250.0],
    [-100.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    [-100.0, 10.0, 10.0, 10.0],            # negative IRR: still an IRR
])
def test_irr_matches_numpy_financial(flows):
    assert irr(flows) == pytest.approx(float(npf.irr(flows)), rel=1e-9)
    # And its defining property: NPV at the IRR is 0.
    assert npf.npv(irr(flows), flows) == pytest.approx(0.0, abs=1e-6)


def test_irr_leading_zeros_do_not_change_the_rate():
    """Flows starting two years later have the same IRR (a common factor (1+r)^-2)."""
    assert irr([0.0, 0.0, -100.0, 60.0, 60.0]) == pytest.approx(irr([-100.0, 60.0, 60.0]), rel=1e-9)


def test_irr_not_applicable():
    """None when there is no up-front investment or no return."""
    assert irr([50.0, 50.0]) is None                # saves from the start
    assert irr([0.0, 0.0, 0.0]) is None             # nothing
    assert irr([-100.0, -10.0, 0.0]) is None        # never any return
    assert irr([10.0, -100.0, 200.0]) is None       # first non-zero flow is positive


# ------------------------------------------------------------------------------------------
# Benefit-cost ratio (Green Book 2022, 5.61-5.63: BCR = PV benefits / PV costs)


def test_bcr_hand():
    assert benefit_cost_ratio(300.0, 200.0) == 1.5
    assert benefit_cost_ratio(100.0, 400.0) == 0.25


@pytest.mark.parametrize("b, c", [(300.0, -50.0), (300.0, 0.0), (0.0, 200.0), (-10.0, 200.0), (0.0, 0.0)])
def test_bcr_not_applicable(b, c):
    """No quantified benefit, or the option costs no more than no change: a ratio would mislead."""
    assert benefit_cost_ratio(b, c) is None
