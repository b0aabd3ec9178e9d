"""Property-based tests (hypothesis): laws the numbers must obey whatever the inputs.

Each property is a consequence of the definitions (Green Book NPV is a linear functional with
positive, decreasing discount factors; real/nominal are inverse scalings; optimism-bias uplift is a
convex combination of its bounds; the cash-flow model is linear in money when no nonlinear item
applies), so a failure points at a wrong number, not at a tolerance.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from asdm_models import load_appraisal
from asdm_models.adjustments import optimism_bias_uplift
from asdm_models.appraisal import appraise, build_inputs
from asdm_models.cashflows import ItemSpec, evaluate
from asdm_models.discounting import discount_factors, npv, to_nominal, to_real
from asdm_models.catalogue import DRIVERS, ITEM_FIELDS
from asdm_models.metrics import payback_index
from asdm_models.viability import peak_funding

HAND = Path(__file__).resolve().parent / "data" / "hand"
FAST = settings(max_examples=60, deadline=None)

money = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)
rates = st.floats(min_value=0.0, max_value=0.5, allow_nan=False)
schedules = st.one_of(rates, st.sampled_from(["green_book", "health", "long_horizon_2026"]))


@lru_cache(maxsize=1)
def hand():
    return load_appraisal(HAND)


@st.composite
def flows_pair(draw, max_n=40):
    n = draw(st.integers(1, max_n))
    x = draw(arrays(np.float64, n, elements=money))
    y = draw(arrays(np.float64, n, elements=money))
    return x, y


# ------------------------------------------------------------------------------------------
# Discounting


@FAST
@given(flows_pair(), st.floats(-100, 100, allow_nan=False), st.floats(-100, 100, allow_nan=False), schedules)
def test_npv_is_linear(xy, a, b, schedule):
    """npv(a x + b y) = a npv(x) + b npv(y)."""
    x, y = xy
    f = discount_factors(x.size, schedule)
    lhs = float(npv(a * x + b * y, f))
    rhs = a * float(npv(x, f)) + b * float(npv(y, f))
    scale = (abs(a) * np.abs(x).sum() + abs(b) * np.abs(y).sum()) + 1.0
    assert abs(lhs - rhs) <= 1e-12 * scale


@FAST
@given(st.integers(2, 60).flatmap(lambda n: arrays(np.float64, n, elements=st.floats(-1e7, 0.0))),
       st.floats(-1e7, 1e7), rates, rates)
def test_higher_rate_never_raises_pv_of_later_costs(costs, year0, r1, r2):
    """With costs (non-positive flows) after year 0, a higher flat rate gives a PV at least as high
    (the future cost weighs less); year 0 is never discounted."""
    lo, hi = sorted((r1, r2))
    flows = costs.copy()
    flows[0] = year0
    pv_lo = float(npv(flows, discount_factors(flows.size, lo)))
    pv_hi = float(npv(flows, discount_factors(flows.size, hi)))
    assert pv_hi >= pv_lo - 1e-9 * (np.abs(flows).sum() + 1)


@FAST
@given(st.integers(1, 450), st.one_of(st.floats(1e-6, 0.5), st.sampled_from(["green_book", "health",
                                                                               "long_horizon_2026"])))
def test_discount_factors_start_at_one_and_strictly_decrease(n, schedule):
    f = discount_factors(n, schedule)
    assert f.shape == (n,)
    assert f[0] == 1.0
    assert np.all(np.diff(f) < 0)
    assert np.all(f > 0)


@FAST
@given(st.integers(1, 40).flatmap(lambda n: arrays(np.float64, (3, n), elements=money)),
       st.floats(-0.05, 0.2, allow_nan=False))
def test_to_nominal_and_to_real_are_inverse(x, g):
    np.testing.assert_allclose(to_real(to_nominal(x, g), g), x, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(to_nominal(to_real(x, g), g), x, rtol=1e-12, atol=1e-9)


# ------------------------------------------------------------------------------------------
# Metrics and viability


@FAST
@given(st.integers(1, 30).flatmap(lambda n: arrays(np.float64, n, elements=st.floats(0.0, 1e7))))
def test_payback_of_nonnegative_savings_is_immediate(s):
    """Never behind no change: pays back at once (0); no saving at all: does not apply (None)."""
    expected = 0 if np.any(s > 0) else None
    assert payback_index(s) == expected


@FAST
@given(st.integers(1, 30).flatmap(lambda n: arrays(np.float64, n, elements=money)))
def test_payback_definition(s):
    """When it applies, the cumulative saving is >= 0 from the payback year on and negative just before."""
    p = payback_index(s)
    cum = np.cumsum(s)
    if p is None:
        assert not np.any(s) or cum[-1] < 0
    else:
        assert np.all(cum[p:] >= 0)
        if p > 0:
            assert cum[p - 1] < 0


@FAST
@given(st.integers(1, 30).flatmap(lambda n: arrays(np.float64, n, elements=money)))
def test_peak_funding(cf):
    pf = float(peak_funding(cf))
    m = np.cumsum(cf).min()
    assert pf >= 0
    assert pf == (-m if m < 0 else 0.0)


# ------------------------------------------------------------------------------------------
# Optimism bias


@FAST
@given(st.floats(0.0, 3.0), st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_optimism_bias_uplift_between_bounds(a, b, m):
    lower, upper = sorted((a, b))
    u = optimism_bias_uplift(upper, lower, m)
    assert lower - 1e-12 <= u <= upper + 1e-12
    assert optimism_bias_uplift(upper, lower, 1.0) == lower


# ------------------------------------------------------------------------------------------
# The cash-flow model


def _is_money(path: str) -> bool:
    name = path.split(".")[-1]
    if path.split(".")[0] in ITEM_FIELDS:
        return name.endswith("_gbp")
    d = DRIVERS.get(name)
    return d is not None and d.unit == "gbp"


@FAST
@given(st.sampled_from(["no_change", "in_house_redesign", "trading_company"]), st.floats(0.01, 100.0),
       st.floats(0.0, 0.06), st.floats(0.0, 0.3), st.sampled_from(["obc", "fbc"]))
def test_economic_npv_is_homogeneous_in_money(option, k, pay, eff, stage):
    """Scaling every money driver of the current service and the option (staff cost, non-staff, fees,
    fee, overheads, one-off costs, risk impacts ...) by k scales the economic NPV by k: the economic
    case has no nonlinear item (tax and dividend are left out of it). With no corporation tax and no
    dividend the council lens and the provider's own flows scale by k as well."""
    inp = build_inputs(hand(), option, stage)
    v = dict(inp.values)
    v["pay_inflation"] = pay
    if option != "no_change":
        v["staff_efficiency_rate"] = eff
    v["corporation_tax_rate"] = 0.0
    v["dividend_payout_rate"] = 0.0
    scaled = {p: (x * k if _is_money(p) else x) for p, x in v.items()}
    assert sum(_is_money(p) for p in v) >= 8
    f = inp.factors
    e1, ek = evaluate(inp.spec, v), evaluate(inp.spec, scaled)
    for attr in ("economic", "council", "economic_unadjusted", "council_unadjusted", "provider"):
        np.testing.assert_allclose(getattr(ek, attr), k * np.asarray(getattr(e1, attr)), rtol=1e-11, atol=1e-6,
                                   err_msg=attr)
    assert abs(float(npv(ek.economic, f)) - k * float(npv(e1.economic, f))) <= 1e-10 * k * abs(float(npv(e1.economic, f)))


@FAST
@given(st.floats(0.0, 1.0), st.floats(0.0, 0.2), st.floats(0.0, 0.5), st.floats(0.0, 2e6), st.floats(0.0, 1.0))
def test_transfers_and_fee_never_change_the_economic_case(relief, vat, ct, fee, dividend):
    """Rates relief, irrecoverable VAT, corporation tax, the management fee and the dividend are transfers or
    internal flows: the economic case of the trading company is the same whatever their values."""
    base = appraise(hand(), "trading_company", "obc")
    r = appraise(hand(), "trading_company", "obc", overrides={
        "rates_relief_rate": relief, "irrecoverable_vat_rate": vat, "corporation_tax_rate": ct,
        "management_fee_gbp": fee, "dividend_payout_rate": dividend})
    assert r.npsv_gbp == base.npsv_gbp
    assert r.npsv_vs_no_change_gbp == base.npsv_vs_no_change_gbp
    rec = r.reconciliation[r.reconciliation["line"] != "total"]
    assert abs(rec["difference_gbp"].sum() - (r.npsv_gbp - r.council_npv_gbp)) <= 1e-6


@FAST
@given(arrays(np.float64, 6, elements=st.floats(0.0, 200_000.0)), st.floats(0.01, 0.5))
def test_corporation_tax_with_loss_carry_forward(one_offs, rate):
    """Corporation tax with unlimited loss carry-forward (and no carry-back or refund): each year's tax is
    <= 0 (never a receipt), and the tax paid to date is rate x the largest cumulative profit so far
    (cumulative taxable profit = max(0, max_{s<=t} C_s), C the cumulative profit)."""
    inp = build_inputs(hand(), "trading_company", "obc")
    v = dict(inp.values)
    for kx in ("gdp_deflator", "pay_inflation", "price_inflation", "energy_inflation"):
        v[kx] = 0.0  # nominal = real
    v["corporation_tax_rate"] = rate
    items = []
    for year, amount in enumerate(one_offs):
        items.append(ItemSpec(f"c{year}", "one_off", "provider", 0.0))
        v[f"one_off_costs.c{year}.amount_gbp"] = float(amount)
        v[f"one_off_costs.c{year}.year"] = float(year)
    ev = evaluate(dataclasses.replace(inp.spec, items=tuple(items)), v, detail=True)
    profit = ev.entity["profit_before_tax"]
    tax = ev.entity["corporation_tax"]
    assert np.all(tax <= 1e-9), tax
    cum_taxable = np.maximum(np.maximum.accumulate(np.cumsum(profit)), 0.0)
    np.testing.assert_allclose(-np.cumsum(tax), rate * cum_taxable, rtol=1e-9, atol=1e-6)
