"""Tests for asdm_models.discounting: Green Book discount factors, NPV, real/nominal conversion.

Every expected number is worked out independently here (closed-form powers, numpy_financial,
published Green Book figures), never by calling the function under test a second way.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

from asdm_models.discounting import discount_factors, npv, real_growth_index, to_nominal, to_real, year_rates
from asdm_models.reference import DiscountSchedule

# HM Treasury (2022), The Green Book, Annex A6, table 8 (and DESIGN.md section 2): the band edges
# are the same for every schedule: years 0-30, 31-75, 76-125, 126-200, 201-300, 301+.
BAND_ENDS = (30, 75, 125, 200, 300)
GREEN_BOOK = (0.035, 0.030, 0.025, 0.020, 0.015, 0.010)
HEALTH = (0.015, 0.0129, 0.0107, 0.0086, 0.0064, 0.0043)
LONG_HORIZON_2026 = (0.0300, 0.0257, 0.0214, 0.0171, 0.0129, 0.0086)
EDGE_YEARS = (0, 1, 30, 31, 75, 76, 125, 126, 200, 201, 300, 301, 400)


def hand_factor(t: int, rates) -> float:
    """Green Book discount factor by closed-form powers, band by band.

    ``D_t = (1+r0)^-min(t,30) * (1+r1)^-(min(t,75)-30)+ * (1+r2)^-(min(t,125)-75)+ * ...``: each
    band compounds on from the last factor of the band before (Green Book A6, table 8 note).
    For the standard schedule this is ``1.035**-t`` for t <= 30, ``1.035**-30 * 1.03**-(t-30)``
    for 31..75, ``1.035**-30 * 1.03**-45 * 1.025**-(t-75)`` for 76..125, and so on.
    """
    starts = (0,) + BAND_ENDS
    ends = BAND_ENDS + (10**9,)
    d = 1.0
    for r, lo, hi in zip(rates, starts, ends):
        years_in_band = max(0, min(t, hi) - lo)
        d *= (1.0 + r) ** -years_in_band
    return d


@pytest.mark.parametrize("name, rates", [("green_book", GREEN_BOOK), ("health", HEALTH),
                                         ("long_horizon_2026", LONG_HORIZON_2026)])
def test_discount_factors_match_green_book_table_8_at_band_edges(name, rates):
    """Source: HM Treasury (2022) Green Book Annex A6 table 8, computed independently by hand_factor."""
    df = discount_factors(402, name)
    assert df.shape == (402,)
    for t in EDGE_YEARS:
        assert df[t] == pytest.approx(hand_factor(t, rates), rel=1e-12), f"{name} year {t}"


def test_green_book_factors_written_out_longhand():
    """The standard STPR written out explicitly for each band (Green Book A6 table 8)."""
    df = discount_factors(302, "green_book")
    assert df[0] == 1.0
    assert df[1] == pytest.approx(1.035 ** -1, rel=1e-14)
    assert df[30] == pytest.approx(1.035 ** -30, rel=1e-13)
    assert df[31] == pytest.approx(1.035 ** -30 * 1.03 ** -1, rel=1e-13)
    assert df[75] == pytest.approx(1.035 ** -30 * 1.03 ** -45, rel=1e-13)
    assert df[76] == pytest.approx(1.035 ** -30 * 1.03 ** -45 * 1.025 ** -1, rel=1e-13)
    assert df[125] == pytest.approx(1.035 ** -30 * 1.03 ** -45 * 1.025 ** -50, rel=1e-13)
    assert df[126] == pytest.approx(1.035 ** -30 * 1.03 ** -45 * 1.025 ** -50 * 1.02 ** -1, rel=1e-13)
    d200 = 1.035 ** -30 * 1.03 ** -45 * 1.025 ** -50 * 1.02 ** -75
    assert df[200] == pytest.approx(d200, rel=1e-13)
    assert df[201] == pytest.approx(d200 * 1.015 ** -1, rel=1e-13)
    d300 = d200 * 1.015 ** -100
    assert df[300] == pytest.approx(d300, rel=1e-13)
    assert df[301] == pytest.approx(d300 * 1.01 ** -1, rel=1e-13)


def test_published_green_book_discount_factors():
    """Published Green Book standard discount factors at 3.5%: year 10 = 0.7089, year 30 = 0.3563 (4 d.p.)."""
    df = discount_factors(31)
    assert round(float(df[10]), 4) == 0.7089
    assert round(float(df[30]), 4) == 0.3563


def test_year_rates_band_edges():
    """Rates by year: the band holding year t (Green Book A6 table 8: 31 is the first year at 3.0%)."""
    r = year_rates(302)
    expected = {0: 0.035, 30: 0.035, 31: 0.03, 75: 0.03, 76: 0.025, 125: 0.025, 126: 0.02, 200: 0.02,
                201: 0.015, 300: 0.015, 301: 0.01}
    for t, x in expected.items():
        assert r[t] == pytest.approx(x, abs=1e-15), t


@pytest.mark.parametrize("rate", [0.10, 0.035, 0.0, 0.07])
def test_flat_rate(rate):
    """A flat rate: D_t = (1 + r)^-t exactly as compound interest."""
    df = discount_factors(50, rate)
    t = np.arange(50)
    np.testing.assert_allclose(df, (1.0 + rate) ** -t, rtol=1e-13)
    assert df[0] == 1.0


def test_flat_rate_hand_values():
    """10% by hand: 1, 1/1.1 = 0.909091, 1/1.21 = 0.826446, 1/1.331 = 0.751315."""
    np.testing.assert_allclose(discount_factors(4, 0.10), [1.0, 0.9090909090909091, 0.8264462809917354,
                                                           0.7513148009015775], rtol=1e-14)


def test_flat_rate_numpy_scalar_types():
    """A flat rate given as a numpy scalar is still a flat rate."""
    np.testing.assert_allclose(discount_factors(5, np.float64(0.05)), 1.05 ** -np.arange(5), rtol=1e-14)
    np.testing.assert_allclose(discount_factors(5, np.float32(0.05)), 1.05 ** -np.arange(5), rtol=1e-6)
    np.testing.assert_allclose(discount_factors(5, np.int64(0)), np.ones(5))


def test_schedule_object():
    """A DiscountSchedule built by hand: 5% for years 0-2, then 10%."""
    s = DiscountSchedule("test", "test", "hand", (0, 3), (0.05, 0.10))
    df = discount_factors(6, s)
    expected = [1.0, 1.05 ** -1, 1.05 ** -2, 1.05 ** -2 / 1.10, 1.05 ** -2 / 1.10 ** 2, 1.05 ** -2 / 1.10 ** 3]
    np.testing.assert_allclose(df, expected, rtol=1e-14)


def test_n_years_edge_cases():
    """One year: [1]; zero years: empty; negative: an error."""
    assert discount_factors(1).tolist() == [1.0]
    assert discount_factors(0).shape == (0,)
    assert discount_factors(0, 0.1).shape == (0,)
    with pytest.raises(ValueError):
        discount_factors(-1)


def test_unknown_schedule_raises():
    with pytest.raises(ValueError, match="unknown discount schedule"):
        discount_factors(5, "green_boook")


# ------------------------------------------------------------------------------------------
# NPV


@pytest.mark.parametrize("rate", [0.0, 0.035, 0.10, 0.25])
def test_npv_matches_numpy_financial(rate):
    """numpy_financial.npv discounts the first value at t=0, the same convention as the Green Book."""
    rng = np.random.default_rng(7)
    flows = rng.normal(0, 1000, size=12)
    assert float(npv(flows, discount_factors(12, rate))) == pytest.approx(npf.npv(rate, flows), rel=1e-12)


def test_npv_hand_example():
    """-100 + 60/1.1 + 60/1.21 = -100 + 54.5455 + 49.5868 = 4.1322."""
    assert float(npv([-100.0, 60.0, 60.0], discount_factors(3, 0.10))) == pytest.approx(4.132231404958677, rel=1e-13)


def test_npv_leading_shapes_equal_row_by_row():
    """2-D and 3-D arrays: the NPV of each row equals numpy_financial.npv of that row."""
    rng = np.random.default_rng(11)
    f = discount_factors(8, 0.035)
    x2 = rng.normal(size=(5, 8))
    out2 = npv(x2, f)
    assert out2.shape == (5,)
    for i in range(5):
        assert out2[i] == pytest.approx(npf.npv(0.035, x2[i]), rel=1e-12)
    x3 = rng.normal(size=(3, 4, 8))
    out3 = npv(x3, f)
    assert out3.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert out3[i, j] == pytest.approx(npf.npv(0.035, x3[i, j]), rel=1e-12)


def test_npv_shape_mismatch_raises():
    with pytest.raises(ValueError):
        npv(np.ones(5), discount_factors(4, 0.1))
    with pytest.raises(ValueError):
        npv(np.ones((3, 5)), discount_factors(6, 0.1))


# ------------------------------------------------------------------------------------------
# Real and nominal


def test_to_nominal_hand_example():
    """Real 100 a year at 2% GDP deflator: nominal 100, 102, 104.04, 106.1208 (Green Book A6.2)."""
    np.testing.assert_allclose(to_nominal([100.0] * 4, 0.02), [100.0, 102.0, 104.04, 106.1208], rtol=1e-14)
    np.testing.assert_allclose(to_real([100.0, 102.0, 104.04, 106.1208], 0.02), [100.0] * 4, rtol=1e-14)


def test_real_nominal_round_trip():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1e6, size=(4, 30))
    for g in (0.0, 0.02, 0.1, -0.01):
        back = to_real(to_nominal(x, g), g)
        np.testing.assert_allclose(back, x, rtol=1e-12)
        back2 = to_nominal(to_real(x, g), g)
        np.testing.assert_allclose(back2, x, rtol=1e-12)


def test_to_nominal_with_one_deflator_per_case():
    """A deflator per draw (leading shape of the flows): each row uses its own rate."""
    x = np.ones((2, 3)) * 100.0
    out = to_nominal(x, np.array([0.0, 0.10]))
    np.testing.assert_allclose(out, [[100.0, 100.0, 100.0], [100.0, 110.0, 121.0]], rtol=1e-14)
    np.testing.assert_allclose(to_real(out, np.array([0.0, 0.10])), x, rtol=1e-14)


def test_real_growth_index_hand():
    """Pay 3% with GDP deflator 2%: (1.03/1.02)^t = 1, 1.0098039, 1.0197040, 1.0297011."""
    idx = real_growth_index(4, 0.03, 0.02)
    ratio = 1.03 / 1.02
    np.testing.assert_allclose(idx, [1.0, ratio, ratio ** 2, ratio ** 3], rtol=1e-14)
    assert idx[1] == pytest.approx(1.00980392, abs=1e-8)
    # Equal rates: no real growth.
    np.testing.assert_array_equal(real_growth_index(5, 0.02, 0.02), np.ones(5))
    # One rate per case.
    idx2 = real_growth_index(3, np.array([0.02, 0.05]), 0.02)
    np.testing.assert_allclose(idx2, [[1, 1, 1], [1, 1.05 / 1.02, (1.05 / 1.02) ** 2]], rtol=1e-14)


def test_real_growth_index_is_nominal_over_deflator():
    """Nominal growth at rate n deflated by g gives the real index: to_real((1+n)^t, g)."""
    n, g = 0.035, 0.021
    t = np.arange(10)
    np.testing.assert_allclose(real_growth_index(10, n, g), to_real((1 + n) ** t, g), rtol=1e-13)
