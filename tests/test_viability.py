"""Tests for asdm_models.viability: break-even year, peak funding requirement, cash balance, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from asdm_models.viability import breakeven_index, cash_balance, peak_funding


def test_breakeven_hand():
    """First year (from start) with profit after tax >= 0."""
    assert breakeven_index([-5.0, -2.0, 1.0, 3.0]) == 2
    assert breakeven_index([-5.0, 0.0, -1.0]) == 1          # 0 counts as breaking even
    assert breakeven_index([0.0, -1.0, 2.0], start=1) == 2  # year 0 (before go-live) is ignored
    assert breakeven_index([3.0, -1.0, -1.0], start=1) is None
    assert breakeven_index([-1.0, -1.0]) is None
    assert breakeven_index([4.0, 5.0]) == 0
    r = breakeven_index(np.array([-1.0, 2.0]))
    assert r == 1 and type(r) is int


def test_peak_funding_hand():
    """Cumulative -10, -15, -7, 13: the deepest point is -15, so 15 is needed."""
    assert float(peak_funding([-10.0, -5.0, 8.0, 20.0])) == 15.0
    assert float(peak_funding([1.0, 2.0, 3.0])) == 0.0          # never below zero
    assert float(peak_funding([5.0, -8.0, 1.0])) == 3.0          # cumulative 5, -3, -2
    assert float(peak_funding([0.0, 0.0])) == 0.0


def test_peak_funding_leading_axes():
    """One figure per row, each as by hand."""
    x = np.array([[-10.0, -5.0, 8.0], [1.0, -3.0, 1.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(peak_funding(x), [15.0, 2.0, 0.0])
    x3 = np.stack([x, -x])  # second block: cumulative 10,15,7 / -1,2,1 / -2,-4,-6
    np.testing.assert_array_equal(peak_funding(x3), [[15.0, 2.0, 0.0], [0.0, 1.0, 6.0]])


def test_cash_balance_hand():
    """Funding 12 in year 0: 2, -3, 5; funding in year 1: -10, 7, 15."""
    assert cash_balance([-10.0, -5.0, 8.0], 12.0, 0).tolist() == [2.0, -3.0, 5.0]
    assert cash_balance([-10.0, -5.0, 8.0], 12.0, 1).tolist() == [-10.0, -3.0, 5.0]
    # Funding equal to the peak requirement at year 0 keeps the balance at or above 0.
    cf = [-10.0, -5.0, 8.0, 20.0]
    assert cash_balance(cf, float(peak_funding(cf)), 0).min() == 0.0


def test_cash_balance_does_not_modify_input():
    cf = np.array([-10.0, -5.0, 8.0])
    cash_balance(cf, 12.0, 0)
    assert cf.tolist() == [-10.0, -5.0, 8.0]


def test_cash_balance_leading_axes():
    cf = np.array([[-10.0, -5.0, 8.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(cash_balance(cf, 12.0, 0), [[2.0, -3.0, 5.0], [13.0, 14.0, 15.0]])
    # One funding amount per case.
    np.testing.assert_array_equal(cash_balance(cf, np.array([12.0, 0.0]), 0), [[2.0, -3.0, 5.0], [1.0, 2.0, 3.0]])
