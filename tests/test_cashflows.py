"""The cash-flow model (asdm_models.cashflows.evaluate) and appraise() checked by hand.

Fixture: tests/data/hand/ (see the comments in its YAML files). Everything is round:

* GDP deflator, pay, price and energy inflation all 2%, so every real-terms index is 1;
* flat 10% discount rate (HM Treasury Green Book allows a flat user rate as an alternative), six
  years 2026-27 .. 2031-32 (t = 0..5), D_t = 1.1**-t;
* current service: staff -300,000, pension 20% -60,000, non-staff -100,000, support -50,000,
  fees +200,000 (resource total -310,000 a year); business rates -40,000 (a transfer).

Rules checked (DESIGN.md section 2 and the cashflows module docstring): the economic case leaves
transfers (rates, relief, VAT, tax, redundancy) and internal flows (fee, dividend) out; the council
lens keeps them; options are compared with no change; payback is on nominal council savings.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from asdm_models import load_appraisal
from asdm_models.appraisal import appraise, build_inputs
from asdm_models.cashflows import LINES, ItemSpec, ModelSpec, evaluate

HAND = Path(__file__).resolve().parent / "data" / "hand"
T = 6
t = np.arange(T)
D = 1.1 ** -t                       # flat 10%
NOM = 1.02 ** t                     # GDP deflator 2%: real -> nominal
YEARS = ["2026-27", "2027-28", "2028-29", "2029-30", "2030-31", "2031-32"]
ZERO = np.zeros(T)

# The equipment_development category (Green Book supplementary guidance 2003, table 1): upper 200%,
# lower 10%. OBC mitigation 50%: 10% + 0.5 * 190% = 105%; FBC mitigation 90%: 10% + 0.1 * 190% = 29%.
OB_OBC = 0.10 + 0.5 * 1.90
OB_FBC = 0.10 + 0.1 * 1.90


@pytest.fixture(scope="module")
def hand():
    return load_appraisal(HAND)


def ev_of(appraisal, option, stage="obc", overrides=None):
    inp = build_inputs(appraisal, option, stage, overrides=overrides)
    return inp, evaluate(inp.spec, inp.values, detail=True)


def line(ev, name, party):
    return np.broadcast_to(ev.lines[name][party], (T,)).astype(float)


def rec_row(r, name):
    rec = r.reconciliation.set_index("line")
    return rec.loc[name]


# ------------------------------------------------------------------------------------------
# No change


def test_no_change_by_hand(hand):
    """No change: resource -310,000 a year (economic), -350,000 with business rates (council)."""
    inp, ev = ev_of(hand, "no_change")
    np.testing.assert_array_equal(line(ev, "staff_pay", "council"), -300_000.0)
    np.testing.assert_array_equal(line(ev, "employer_pension", "council"), -60_000.0)
    np.testing.assert_array_equal(line(ev, "non_staff_costs", "council"), -100_000.0)
    np.testing.assert_array_equal(line(ev, "support_services", "council"), -50_000.0)
    np.testing.assert_array_equal(line(ev, "fees_income", "council"), 200_000.0)
    np.testing.assert_array_equal(line(ev, "business_rates", "council"), -40_000.0)
    np.testing.assert_allclose(ev.economic, -310_000.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ev.council, -350_000.0, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ev.provider, 0.0)

    r = appraise(hand, "no_change", "obc")
    # Annuity factor at 10% over t = 0..5: 1 + 1/1.1 + ... + 1/1.1^5 = 4.790787
    assert D.sum() == pytest.approx(4.790787, abs=1e-6)
    assert r.npsv_gbp == pytest.approx(-310_000 * 4.7907868, rel=1e-7)
    assert r.council_npv_gbp == pytest.approx(-350_000 * D.sum(), rel=1e-12)
    assert r.npsv_vs_no_change_gbp == 0.0
    assert r.council_npv_vs_no_change_gbp == 0.0
    assert r.payback_year is None
    assert r.bcr is None and r.irr is None
    assert r.breakeven_year is None and r.peak_funding_gbp is None


def test_staff_pay_grows_by_pay_over_gdp_deflator(hand):
    """Pay 3% with GDP deflator 2%: staff pay_t = -fte * cost * ((1 + pay) / (1 + gdp))^t (real terms)."""
    _, ev = ev_of(hand, "no_change", overrides={"pay_inflation": 0.03})
    pay_idx = (1.03 / 1.02) ** t
    np.testing.assert_allclose(line(ev, "staff_pay", "council"), -10 * 30_000 * pay_idx, rtol=1e-13)
    np.testing.assert_allclose(line(ev, "employer_pension", "council"), -0.20 * 10 * 30_000 * pay_idx, rtol=1e-13)
    # Non-pay lines follow price inflation (2% = deflator): flat in real terms.
    np.testing.assert_allclose(line(ev, "non_staff_costs", "council"), -100_000.0, rtol=1e-13)
    # Price inflation 3%: non-staff, support and fees grow by (1.03/1.02)^t.
    _, ev2 = ev_of(hand, "no_change", overrides={"price_inflation": 0.03})
    np.testing.assert_allclose(line(ev2, "non_staff_costs", "council"), -100_000.0 * pay_idx, rtol=1e-13)
    np.testing.assert_allclose(line(ev2, "support_services", "council"), -50_000.0 * pay_idx, rtol=1e-13)
    np.testing.assert_allclose(line(ev2, "fees_income", "council"), 200_000.0 * pay_idx, rtol=1e-13)


# ------------------------------------------------------------------------------------------
# In-house redesign (go-live 2028-29 = t2)


def test_redesign_equals_no_change_before_go_live(hand):
    """Before go-live the current service runs as it is: every line equals no change's exactly."""
    ov = {"pay_inflation": 0.031, "price_inflation": 0.027}  # make the lines non-trivial
    _, ev = ev_of(hand, "in_house_redesign", overrides=ov)
    _, ev_nc = ev_of(hand, "no_change", overrides=ov)
    for name in LINES:
        for party in ("council", "provider", "society"):
            np.testing.assert_array_equal(line(ev, name, party)[:2], line(ev_nc, name, party)[:2], err_msg=name)
    np.testing.assert_array_equal(ev.economic[:2], ev_nc.economic[:2])
    np.testing.assert_array_equal(ev.council[:2], ev_nc.council[:2])


def test_redesign_efficiency_ramps_linearly_from_go_live(hand):
    """20% of (300,000 + 60,000) = 72,000 at full ramp; ramp 2 years: 50% in the go-live year, then 100%."""
    _, ev = ev_of(hand, "in_house_redesign")
    np.testing.assert_allclose(line(ev, "efficiency_staff", "council"), [0, 0, 36_000, 72_000, 72_000, 72_000],
                               rtol=1e-13, atol=1e-9)
    # Ramp over 3 years: 1/3, 2/3, 1 of 72,000 from go-live.
    _, ev3 = ev_of(hand, "in_house_redesign", overrides={"efficiency_ramp_years": 3})
    np.testing.assert_allclose(line(ev3, "efficiency_staff", "council"), [0, 0, 24_000, 48_000, 72_000, 72_000],
                               rtol=1e-13, atol=1e-9)
    # Ramp 0: all at once.
    _, ev0 = ev_of(hand, "in_house_redesign", overrides={"efficiency_ramp_years": 0})
    np.testing.assert_allclose(line(ev0, "efficiency_staff", "council"), [0, 0, 72_000, 72_000, 72_000, 72_000],
                               rtol=1e-13, atol=1e-9)
    # With pay drift the saving follows the staff cost it is a share of: 0.2 * 360,000 * (1.03/1.02)^t.
    _, evp = ev_of(hand, "in_house_redesign", overrides={"pay_inflation": 0.03})
    expected = 0.20 * 360_000 * (1.03 / 1.02) ** t * np.array([0, 0, 0.5, 1, 1, 1])
    np.testing.assert_allclose(line(evp, "efficiency_staff", "council"), expected, rtol=1e-13, atol=1e-9)


def test_redesign_one_off_cost_with_optimism_bias(hand):
    """IT system 50,000 in 2028-29; equipment_development uplift at OBC 105%: -52,500 of optimism bias."""
    inp, ev = ev_of(hand, "in_house_redesign")
    assert inp.ob_by_category["equipment_development"] == pytest.approx(OB_OBC, abs=1e-15)
    assert inp.ob_by_category["standard_buildings"] == pytest.approx(0.02 + 0.5 * 0.22, abs=1e-15)
    np.testing.assert_allclose(line(ev, "one_off_costs", "council"), [0, 0, -50_000, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "optimism_bias_revenue", "council"), [0, 0, -52_500, 0, 0, 0], atol=1e-9)
    r = appraise(hand, "in_house_redesign", "obc")
    assert r.optimism_bias_pv_gbp == pytest.approx(-52_500 / 1.21, rel=1e-12)
    ob = r.optimism_bias.set_index("item")
    assert ob.loc["it_system", "category"] == "equipment_development"
    assert ob.loc["it_system", "uplift_pct"] == pytest.approx(1.05, abs=1e-15)


def test_redesign_risk_expected_value(hand):
    """Risk: 50% x (10,000 + 20,000 + 60,000) / 3 = 15,000, spread over 2028-29..2030-31: -5,000 a year."""
    _, ev = ev_of(hand, "in_house_redesign")
    np.testing.assert_allclose(line(ev, "risk", "council"), [0, 0, -5_000, -5_000, -5_000, 0], atol=1e-9)
    r = appraise(hand, "in_house_redesign", "obc")
    assert r.risk_pv_gbp == pytest.approx(-5_000 * (1.1 ** -2 + 1.1 ** -3 + 1.1 ** -4), rel=1e-12)


def test_redesign_headline_by_hand(hand):
    """Economic vs no change: t2 = 36,000 - 50,000 - 52,500 - 5,000 = -71,500; t3, t4 = 72,000 - 5,000 = 67,000;
    t5 = 72,000. Council: the same plus redundancy -20,000 in t2 (a transfer: council lens only)."""
    r = appraise(hand, "in_house_redesign", "obc")
    econ = np.array([0, 0, -71_500, 67_000, 67_000, 72_000], dtype=float)
    econ_unadj = np.array([0, 0, -14_000, 72_000, 72_000, 72_000], dtype=float)
    council = np.array([0, 0, -91_500, 67_000, 67_000, 72_000], dtype=float)
    # -71,500/1.21 + 67,000/1.331 + 67,000/1.4641 + 72,000/1.61051 = 81,715.42
    assert r.npsv_vs_no_change_gbp == pytest.approx(81_715.42, abs=0.01)
    assert r.npsv_vs_no_change_gbp == pytest.approx(float(econ @ D), rel=1e-12)
    assert r.npsv_vs_no_change_unadjusted_gbp == pytest.approx(float(econ_unadj @ D), rel=1e-12)
    assert r.npsv_gbp == pytest.approx(float((econ - 310_000) @ D), rel=1e-12)
    assert r.council_npv_vs_no_change_gbp == pytest.approx(float(council @ D), rel=1e-12)
    assert r.council_npv_gbp == pytest.approx(float((council - 350_000) @ D), rel=1e-12)
    assert r.irr == pytest.approx(float(npf.irr(econ)), rel=1e-9)
    # Payback on nominal council savings: -91,500 x 1.0404 = -95,196.60; +67,000 x 1.061208 = 71,100.94
    # (cumulative -24,095.66); +67,000 x 1.08243216 = 72,522.95 (cumulative +48,427.29): 2030-31.
    fin = r.financial_case
    np.testing.assert_allclose(fin.loc["saving_vs_no_change_nominal_gbp"].to_numpy(float), council * NOM, atol=1e-6)
    assert fin.loc["cumulative_saving_nominal_gbp", "2029-30"] == pytest.approx(-24_095.664, abs=1e-6)
    assert fin.loc["cumulative_saving_nominal_gbp", "2030-31"] == pytest.approx(48_427.29072, abs=1e-6)
    assert r.payback_year == "2030-31"
    # Savings target 10,000 from 2028-29: the largest shortfall is 10,000 + 95,196.60 in 2028-29.
    assert r.shortfall_vs_savings_target_gbp == pytest.approx(105_196.6, abs=1e-6)
    assert r.breakeven_year is None and r.peak_funding_gbp is None  # not a new entity
    assert r.exit_cost_gbp is None  # no provider: no exit


def test_payback_uses_nominal_not_real_savings(hand):
    """Payback is on nominal cash (DESIGN.md section 5), so inflation can bring it forward.

    Raising the IT cost by x lowers the 2028-29 council saving by 2.05 x (the cost plus its 105% optimism
    bias): -91,500 - 2.05 x. Choose x = (134,000 - 91,500 + 100) / 2.05 so that the real cumulative saving
    at 2030-31 is -134,100 + 67,000 + 67,000 = -100 (real payback only in 2031-32). In nominal cash:
    -134,100 x 1.0404 + 67,000 x 1.061208 + 67,000 x 1.08243216 = -139,517.64 + 143,623.89 = +4,106.25,
    so the option pays back in 2030-31.
    """
    x = (134_000 - 91_500 + 100) / 2.05
    r = appraise(hand, "in_house_redesign", "obc", overrides={"one_off_costs.it_system.amount_gbp": 50_000 + x})
    real_saving = np.array([0, 0, -134_100, 67_000, 67_000, 72_000], dtype=float)
    assert np.cumsum(real_saving)[4] == -100.0
    assert r.council_npv_vs_no_change_gbp == pytest.approx(float(real_saving @ D), rel=1e-9)
    assert r.financial_case.loc["cumulative_saving_nominal_gbp", "2030-31"] == pytest.approx(4_106.25, abs=0.01)
    assert r.payback_year == "2030-31"


def test_redundancy_is_council_only(hand):
    """Redundancy 20,000 at go-live: a payment to individuals (transfer), in the council lens only."""
    r = appraise(hand, "in_house_redesign", "obc")
    row = rec_row(r, "redundancy")
    assert row["economic_pv_gbp"] == 0.0
    assert row["council_pv_gbp"] == pytest.approx(-20_000 / 1.21, rel=1e-12)
    assert "transfer" in row["reason"]


def test_irrecoverable_vat_in_council_lens_not_economic(hand):
    """In-house with 5% irrecoverable VAT on (100,000 + 50,000) non-pay spend: -7,500 a year from go-live
    for the council; the economic case is unchanged (VAT is a transfer to HMRC)."""
    base = appraise(hand, "in_house_redesign", "obc")
    vat = appraise(hand, "in_house_redesign", "obc", overrides={"irrecoverable_vat_rate": 0.05})
    assert vat.npsv_gbp == base.npsv_gbp
    assert vat.npsv_vs_no_change_gbp == base.npsv_vs_no_change_gbp
    assert vat.council_npv_gbp - base.council_npv_gbp == pytest.approx(-7_500 * D[2:].sum(), rel=1e-12)


def test_benefits_shortfall_on_savings(hand):
    """Optimism bias on savings: a 20% shortfall of the efficiency saving, from go-live (t2: 36,000 -> -7,200)."""
    inp = build_inputs(hand, "in_house_redesign", "obc")
    spec = dataclasses.replace(inp.spec, benefits_shortfall=0.20)
    ev = evaluate(spec, inp.values, detail=True)
    ev0 = evaluate(inp.spec, inp.values)
    expected = [0, 0, -7_200, -14_400, -14_400, -14_400]
    np.testing.assert_allclose(line(ev, "optimism_bias_benefits", "council"), expected, atol=1e-9)
    np.testing.assert_allclose(ev.economic - ev0.economic, expected, atol=1e-9)
    np.testing.assert_allclose(ev.council - ev0.council, expected, atol=1e-9)


def test_benefits_shortfall_never_applies_to_no_change(hand):
    """No change is the baseline: it has no go-live and no estimated savings or new income, so the stage's
    optimism-bias shortfall on savings and income (Green Book supplementary guidance on optimism bias:
    an adjustment to the *option's* estimated benefits) must leave it untouched, even when the current
    service already earns trading income (here 100,000 a year from year 0)."""
    ov = {"current_service.trading_income_gbp": 100_000, "current_service.trading_start_year": 0}
    inp = build_inputs(hand, "no_change", "obc", overrides=ov)
    ev0 = evaluate(inp.spec, inp.values, detail=True)
    ev = evaluate(dataclasses.replace(inp.spec, benefits_shortfall=0.20), inp.values, detail=True)
    np.testing.assert_allclose(line(ev0, "trading_income", "council"), 100_000.0, atol=1e-9)
    np.testing.assert_array_equal(ev.economic, ev0.economic)
    np.testing.assert_array_equal(ev.council, ev0.council)


def test_benefits_shortfall_applies_to_the_change_only(hand):
    """The redesign keeps the current service's 100,000 of existing trading income unchanged and adds a staff
    efficiency (36,000 then 72,000). The 20% shortfall is on what the option claims to change: -7,200 then
    -14,400, as without the existing income, not 20% of the existing 100,000 as well."""
    ov = {"current_service.trading_income_gbp": 100_000, "current_service.trading_start_year": 0}
    inp = build_inputs(hand, "in_house_redesign", "obc", overrides=ov)
    spec = dataclasses.replace(inp.spec, benefits_shortfall=0.20)
    ev = evaluate(spec, inp.values, detail=True)
    np.testing.assert_allclose(line(ev, "optimism_bias_benefits", "council"),
                               [0, 0, -7_200, -14_400, -14_400, -14_400], atol=1e-9)


def test_capital_and_residual_value(hand):
    """Capital 100,000 in t1 with a 10-year life, 24% uplift: in use for 5 of its 10 years by the end of the
    period (t1..t5), so a residual value of +50,000 in t5 (Green Book: residual values are counted)."""
    inp = build_inputs(hand, "in_house_redesign", "obc")
    v = dict(inp.values)
    v.update({"capital.van.amount_gbp": 100_000.0, "capital.van.year": 1.0, "capital.van.asset_life_years": 10.0})
    spec = dataclasses.replace(inp.spec, items=inp.spec.items + (ItemSpec("van", "capital", "council", 0.24),))
    ev = evaluate(spec, v, detail=True)
    ev0 = evaluate(inp.spec, inp.values)
    np.testing.assert_allclose(line(ev, "capital_spend", "council"), [0, -100_000, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "residual_value", "council"), [0, 0, 0, 0, 0, 50_000], atol=1e-9)
    ev0d = evaluate(inp.spec, inp.values, detail=True)
    # 24% uplift on the capital spend only, and it stays capital (DESIGN section 2: an uplift on capital is capital).
    np.testing.assert_allclose(line(ev, "optimism_bias_capital", "council") - line(ev0d, "optimism_bias_capital", "council"),
                               [0, -24_000, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "optimism_bias_revenue", "council"), line(ev0d, "optimism_bias_revenue", "council"),
                               atol=1e-9)
    np.testing.assert_allclose(ev.economic - ev0.economic, [0, -124_000, 0, 0, 0, 50_000], atol=1e-9)


def test_fbc_applies_fbc_changes(hand):
    """FBC: staff efficiency 25% (0.25 x 360,000 = 90,000 at full ramp), IT system 40,000 at 29% uplift."""
    obc = build_inputs(hand, "in_house_redesign", "obc")
    fbc = build_inputs(hand, "in_house_redesign", "fbc")
    assert obc.values["staff_efficiency_rate"] == pytest.approx(0.20)
    assert fbc.values["staff_efficiency_rate"] == pytest.approx(0.25)
    assert obc.values["one_off_costs.it_system.amount_gbp"] == 50_000
    assert fbc.values["one_off_costs.it_system.amount_gbp"] == 40_000
    assert fbc.ob_by_category["equipment_development"] == pytest.approx(OB_FBC, abs=1e-15)
    ev = evaluate(fbc.spec, fbc.values, detail=True)
    np.testing.assert_allclose(line(ev, "efficiency_staff", "council"), [0, 0, 45_000, 90_000, 90_000, 90_000],
                               atol=1e-9)
    np.testing.assert_allclose(line(ev, "one_off_costs", "council"), [0, 0, -40_000, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "optimism_bias_revenue", "council"), [0, 0, -11_600, 0, 0, 0], atol=1e-9)
    r = appraise(hand, "in_house_redesign", "fbc")
    econ = np.array([0, 0, 45_000 - 40_000 - 11_600 - 5_000, 85_000, 85_000, 90_000], dtype=float)
    assert r.npsv_vs_no_change_gbp == pytest.approx(float(econ @ D), rel=1e-12)
    assert r.stage == "fbc"
    tc = build_inputs(hand, "trading_company", "fbc")
    assert tc.values["management_fee_gbp"] == 330_000
    assert build_inputs(hand, "trading_company", "obc").values["management_fee_gbp"] == 320_000


# ------------------------------------------------------------------------------------------
# Trading company (go-live 2027-28 = t1)


def test_trading_company_lines_by_hand(hand):
    """Who bears what from go-live: the company runs the service; the council pays the fee, keeps
    stranded overheads (30,000 falling in a straight line to 0 over 3 years) and client-side costs."""
    _, ev = ev_of(hand, "trading_company")
    np.testing.assert_allclose(line(ev, "staff_pay", "council"), [-300_000, 0, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "staff_pay", "provider"), [0] + [-300_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "efficiency_staff", "provider"), [0] + [36_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "stranded_overheads", "council"), [0, -30_000, -20_000, -10_000, 0, 0],
                               atol=1e-9)
    np.testing.assert_allclose(line(ev, "client_side_costs", "council"), [0] + [-10_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "management_fee", "council"), [0] + [-320_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "management_fee", "provider"), [0] + [320_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "business_rates", "provider"), [0] + [-40_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "rates_relief", "provider"), [0] + [20_000] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "irrecoverable_vat", "provider"), [0] + [-7_500] * 5, atol=1e-9)
    np.testing.assert_allclose(line(ev, "one_off_costs", "provider"), [0, -40_000, 0, 0, 0, 0], atol=1e-9)
    # Economic: t0 -310,000; then -274,000 (company's resource lines) - stranded - 10,000 client, and
    # the 40,000 set-up in t1. Transfers (rates, relief, VAT, tax) and the fee are left out.
    np.testing.assert_allclose(ev.economic, [-310_000, -354_000, -304_000, -294_000, -284_000, -284_000], atol=1e-9)
    # Council: t0 -350,000 (runs it itself, pays rates); then -320,000 fee - stranded - 10,000.
    np.testing.assert_allclose(ev.council, [-350_000, -360_000, -350_000, -340_000, -330_000, -330_000], atol=1e-9)


def test_stranded_overheads_removal_years(hand):
    """Removal over 2 years: 30,000, 15,000, 0. Removal 0 (issue 8, point 5): the overheads stay for the go-live
    year, as the README says (they cannot be cut before the service has left), and are gone the year after; the
    old engine dropped them altogether."""
    _, ev = ev_of(hand, "trading_company", overrides={"stranded_removal_years": 2})
    np.testing.assert_allclose(line(ev, "stranded_overheads", "council"), [0, -30_000, -15_000, 0, 0, 0], atol=1e-9)
    _, ev0 = ev_of(hand, "trading_company", overrides={"stranded_removal_years": 0})
    np.testing.assert_allclose(line(ev0, "stranded_overheads", "council"), [0, -30_000, 0, 0, 0, 0], atol=1e-9)


def test_trading_company_headline_by_hand(hand):
    """Economic vs no change 0, -44,000, +6,000, +16,000, +26,000, +26,000; council vs no change
    0, -10,000, 0, +10,000, +20,000, +20,000. Nominal council saving: -10,200 (t1), 0 (t2),
    +10,612.08 (t3): cumulative +412.08 in 2029-30, the payback year."""
    r = appraise(hand, "trading_company", "obc")
    econ = np.array([0, -44_000, 6_000, 16_000, 26_000, 26_000], dtype=float)
    council = np.array([0, -10_000, 0, 10_000, 20_000, 20_000], dtype=float)
    assert r.npsv_vs_no_change_gbp == pytest.approx(float(econ @ D), rel=1e-12)
    assert r.npsv_vs_no_change_gbp == pytest.approx(10_882.02, abs=0.01)
    assert r.council_npv_vs_no_change_gbp == pytest.approx(float(council @ D), rel=1e-12)
    cum = r.financial_case.loc["cumulative_saving_nominal_gbp"].to_numpy(float)
    np.testing.assert_allclose(cum, np.cumsum(council * NOM), atol=1e-6)
    assert cum[3] == pytest.approx(412.08, abs=1e-6)
    assert r.payback_year == "2029-30"
    assert r.irr == pytest.approx(float(npf.irr(econ[1:])), rel=1e-9)


def test_management_fee_is_council_lens_not_economic(hand):
    """Raising the fee by 80,000 moves the council NPV by -80,000 x (D1 + ... + D5), the economic case not at all."""
    base = appraise(hand, "trading_company", "obc")
    high = appraise(hand, "trading_company", "obc", overrides={"management_fee_gbp": 400_000})
    assert high.npsv_gbp == base.npsv_gbp
    assert high.npsv_vs_no_change_gbp == base.npsv_vs_no_change_gbp
    assert high.council_npv_gbp - base.council_npv_gbp == pytest.approx(-80_000 * D[1:].sum(), rel=1e-12)
    fee = rec_row(base, "management_fee")
    assert fee["economic_pv_gbp"] == 0.0
    assert fee["council_pv_gbp"] == pytest.approx(-320_000 * D[1:].sum(), rel=1e-12)
    assert "internal" in fee["reason"]


def test_transfers_in_provider_accounts_not_economic(hand):
    """Rates relief, irrecoverable VAT and corporation tax change the company's accounts but neither the
    economic case nor (borne by the company) the council lens."""
    base = appraise(hand, "trading_company", "obc")
    for ov in ({"rates_relief_rate": 0.0}, {"irrecoverable_vat_rate": 0.0}, {"corporation_tax_rate": 0.0},
               {"rates_relief_rate": 1.0, "irrecoverable_vat_rate": 0.2, "corporation_tax_rate": 0.5}):
        r = appraise(hand, "trading_company", "obc", overrides=ov)
        assert r.npsv_gbp == base.npsv_gbp, ov
        assert r.npsv_vs_no_change_gbp == base.npsv_vs_no_change_gbp, ov
        assert r.council_npv_gbp == base.council_npv_gbp, ov
    # No relief: the company's profit before tax falls by 20,000 real a year from go-live (nominal x 1.02^t).
    nr = appraise(hand, "trading_company", "obc", overrides={"rates_relief_rate": 0.0})
    diff = (nr.entity_accounts.loc["profit_before_tax"] - base.entity_accounts.loc["profit_before_tax"]).to_numpy(float)
    np.testing.assert_allclose(diff, -20_000 * NOM * (t >= 1), atol=1e-6)
    for name in ("business_rates", "rates_relief", "irrecoverable_vat", "corporation_tax"):
        row = rec_row(base, name)
        assert row["economic_pv_gbp"] == 0.0, name


def test_trading_company_entity_accounts_by_hand(hand):
    """Company (nominal = real x 1.02^t): income = fee 320,000 + fees 200,000 = 520,000 real; profit before tax
    real -21,500 in t1 (18,500 - 40,000 set-up) and +18,500 after."""
    r = appraise(hand, "trading_company", "obc")
    ent = r.entity_accounts
    np.testing.assert_allclose(ent.loc["income"].to_numpy(float), 520_000 * NOM * (t >= 1), atol=1e-6)
    pbt = np.array([0, -21_500, 18_500, 18_500, 18_500, 18_500]) * NOM
    np.testing.assert_allclose(ent.loc["profit_before_tax"].to_numpy(float), pbt, atol=1e-6)
    assert ent.loc["profit_before_tax", "2027-28"] == pytest.approx(-21_930.0, abs=1e-6)
    assert ent.loc["profit_before_tax", "2028-29"] == pytest.approx(19_247.4, abs=1e-6)
    # The entity's cash flow is the provider total in nominal terms.
    _, ev = ev_of(hand, "trading_company")
    np.testing.assert_allclose(ent.loc["cash_flow"].to_numpy(float), ev.provider * NOM, atol=1e-6)


def test_corporation_tax_carries_losses_forward(hand):
    """Corporation tax 20% with losses carried forward (CTA 2010 s45; DESIGN: unlimited carry-forward).

    Nominal profit: 2027-28 -21,930; 2028-29 +19,247.40; 2029-30 +19,632.35; 2030-31 +20,024.99;
    2031-32 +20,425.49. Cumulative: -21,930, -2,682.60, +16,949.75, ... The 2027-28 loss shelters all of
    2028-29 and 2,682.60 of 2029-30, so taxable profit is 0, 0, 16,949.75, 20,024.99, 20,425.49 and tax is
    0, 0, -3,389.95, -4,005.00, -4,085.10.
    """
    r = appraise(hand, "trading_company", "obc")
    tax = r.entity_accounts.loc["corporation_tax"].to_numpy(float)
    pbt = np.array([0, -21_500, 18_500, 18_500, 18_500, 18_500]) * NOM
    taxable = np.array([0, 0, 0, pbt[1] + pbt[2] + pbt[3], pbt[4], pbt[5]])
    assert taxable[3] == pytest.approx(16_949.748, abs=1e-6)
    np.testing.assert_allclose(tax, -0.20 * taxable, atol=1e-6)


def test_corporation_tax_hand_sequence(hand):
    """A hand sequence through evaluate(): no inflation (nominal = real), fee set for a 60,000 surplus and
    company one-off costs placing profits at -100,000, 30,000, 50,000, 40,000, -20,000, 60,000.

    Loss pool: 100,000 -> 70,000 -> 20,000 -> 0 (20,000 taxable) -> 20,000 -> 0 (40,000 taxable).
    Tax at 20%: 0, 0, 0, -4,000, 0, -8,000. Tax is never a receipt: a loss is carried forward, not refunded.
    """
    inp = build_inputs(hand, "trading_company", "obc")
    v = dict(inp.values)
    for k in ("gdp_deflator", "pay_inflation", "price_inflation", "energy_inflation"):
        v[k] = 0.0
    # Company's delivery lines from go-live: -274,000 resource (after the 36,000 efficiency) - 40,000 rates
    # + 20,000 relief - 7,500 VAT = -301,500; a fee of 361,500 leaves a 60,000 surplus a year.
    v["management_fee_gbp"] = 361_500.0
    costs = {0: 100_000.0, 1: 30_000.0, 2: 10_000.0, 3: 20_000.0, 4: 80_000.0}
    items = []
    for year, amount in costs.items():
        items.append(ItemSpec(f"c{year}", "one_off", "provider", 0.0))
        v[f"one_off_costs.c{year}.amount_gbp"] = amount
        v[f"one_off_costs.c{year}.year"] = float(year)
    spec = dataclasses.replace(inp.spec, items=tuple(items))
    ev = evaluate(spec, v, detail=True)
    np.testing.assert_allclose(ev.entity["profit_before_tax"], [-100_000, 30_000, 50_000, 40_000, -20_000, 60_000],
                               atol=1e-6)
    np.testing.assert_allclose(ev.entity["corporation_tax"], [0, 0, 0, -4_000, 0, -8_000], atol=1e-6)
    np.testing.assert_allclose(line(ev, "corporation_tax", "provider"), [0, 0, 0, -4_000, 0, -8_000], atol=1e-6)


def test_trading_company_viability_by_hand(hand):
    """Break-even: first year from go-live with profit after tax >= 0: 2028-29 (t2). Peak funding: the
    cumulative cash flow is lowest after 2027-28 at -21,930. Lowest cash with 20,000 real funding at go-live
    (20,400 nominal): 20,400 - 21,930 = -1,530 in 2027-28."""
    r = appraise(hand, "trading_company", "obc")
    assert r.breakeven_year == "2028-29"
    assert r.peak_funding_gbp == pytest.approx(21_930.0, abs=1e-6)
    assert r.lowest_cash_gbp == pytest.approx(-1_530.0, abs=1e-6)
    assert r.entity_accounts.loc["council_funding", "2027-28"] == pytest.approx(20_400.0, abs=1e-9)
    assert r.entity_accounts.loc["cash_balance", "2027-28"] == pytest.approx(-1_530.0, abs=1e-6)
    # Enough funding (22,000 real = 22,440 nominal) keeps the company in cash: its lowest balance, counted from
    # go-live (the company does not exist before), is 22,440 - 21,930 = 510 in 2027-28.
    r2 = appraise(hand, "trading_company", "obc", overrides={"planned_funding_gbp": 22_000})
    assert r2.lowest_cash_gbp == pytest.approx(510.0, abs=1e-6)


# ------------------------------------------------------------------------------------------
# Reconciliation and headline consistency (every option)


@pytest.mark.parametrize("option", ["no_change", "in_house_redesign", "trading_company"])
@pytest.mark.parametrize("stage", ["obc", "fbc"])
def test_reconciliation_adds_up(hand, option, stage):
    """The line-by-line reconciliation: the difference rows sum to economic NPV minus council NPV."""
    r = appraise(hand, option, stage)
    rec = r.reconciliation
    body = rec[rec["line"] != "total"]
    total = rec[rec["line"] == "total"].iloc[0]
    assert len(body) == len(LINES)
    assert body["difference_gbp"].sum() == pytest.approx(r.npsv_gbp - r.council_npv_gbp, abs=1e-6)
    assert body["economic_pv_gbp"].sum() == pytest.approx(r.npsv_gbp, abs=1e-6)
    assert body["council_pv_gbp"].sum() == pytest.approx(r.council_npv_gbp, abs=1e-6)
    assert total["difference_gbp"] == pytest.approx(r.npsv_gbp - r.council_npv_gbp, abs=1e-6)
    np.testing.assert_allclose(body["difference_gbp"], body["economic_pv_gbp"] - body["council_pv_gbp"], atol=1e-9)


@pytest.mark.parametrize("option", ["no_change", "in_house_redesign", "trading_company"])
def test_headline_npsv_is_npv_of_summed_economic_lines(hand, option):
    """npsv_gbp = NPV of the sum, over lines that are not transfers or internal flows and over parties, by year."""
    r = appraise(hand, option, "obc")
    lines = r.lines
    econ_rows = lines[~lines["kind"].isin(["transfer", "internal"])]
    by_year = econ_rows[YEARS].to_numpy(float).sum(axis=0)
    assert r.npsv_gbp == pytest.approx(float(by_year @ D), rel=1e-12)
    council_by_year = lines[lines["party"] == "council"][YEARS].to_numpy(float).sum(axis=0)
    assert r.council_npv_gbp == pytest.approx(float(council_by_year @ D), rel=1e-12)
    ec = r.economic_case
    assert ec["option_pv_gbp"].sum() == pytest.approx(r.npsv_gbp, rel=1e-12)
    assert ec["vs_no_change_pv_gbp"].sum() == pytest.approx(r.npsv_vs_no_change_gbp, abs=1e-6)


def _copy_with_option(tmp_path: Path, filename: str, text: str) -> Path:
    dst = tmp_path / "hand"
    shutil.copytree(HAND, dst)
    (dst / "options" / filename).write_text(text)
    return dst


def test_option_identical_to_no_change_is_exactly_zero(tmp_path):
    """An in-house option stating the current service's own values: nothing differs, so every
    vs-no-change figure is exactly 0 and payback does not apply."""
    text = """id: same_again
name: Same again
model: in_house_redesign
description: Restates the current service.
drivers:
  staff_fte: 10
  staff_cost_per_fte_gbp: 30000
  pension_employer_rate: 20%
  non_staff_costs_gbp: 100000
  fees_income_gbp: 200000
scores: {strategic_fit: 2}
"""
    a = load_appraisal(_copy_with_option(tmp_path, "same_again.yaml", text))
    for stage in ("obc", "fbc"):
        r = appraise(a, "same_again", stage)
        assert r.npsv_vs_no_change_gbp == 0.0
        assert r.npsv_vs_no_change_unadjusted_gbp == 0.0
        assert r.council_npv_vs_no_change_gbp == 0.0
        assert r.payback_year is None
        assert r.irr is None and r.bcr is None
        np.testing.assert_array_equal(r.financial_case.loc["saving_vs_no_change_nominal_gbp"].to_numpy(float), 0.0)


def test_entity_with_no_change_drivers_has_zero_economic_difference(tmp_path):
    """A company with no fee, overheads or costs of its own: the same resources, only moved to another party,
    so the economic case is no change's (who pays is not a resource cost). Equal up to rounding only: the
    council's and the company's parts are summed separately (|difference| <= 1e-12 of the NPV)."""
    text = """id: same_company
name: Same, in a company
model: trading_company
description: The same service, run by a company.
scores: {strategic_fit: 2}
"""
    a = load_appraisal(_copy_with_option(tmp_path, "same_company.yaml", text))
    r = appraise(a, "same_company", "obc")
    assert abs(r.npsv_vs_no_change_gbp) <= 1e-12 * abs(r.npsv_gbp)
    assert r.npsv_gbp == pytest.approx(-310_000 * D.sum(), rel=1e-12)


# ------------------------------------------------------------------------------------------
# Vectorised evaluation (Monte Carlo and sensitivity use one call over a case axis)


@pytest.mark.parametrize("option", ["in_house_redesign", "trading_company"])
def test_vectorised_cases_equal_one_by_one(hand, option):
    inp = build_inputs(hand, option, "obc")
    cases = {"pay_inflation": np.array([0.02, 0.03, 0.05]),
             "staff_efficiency_rate": np.array([0.0, 0.1, 0.3]),
             "current_service.non_staff_costs_gbp": np.array([90_000.0, 100_000.0, 130_000.0])}
    v = dict(inp.values)
    v.update(cases)
    ev = evaluate(inp.spec, v, detail=True)
    assert ev.economic.shape == (3, T)
    for i in range(3):
        vi = dict(inp.values)
        vi.update({k: float(x[i]) for k, x in cases.items()})
        evi = evaluate(inp.spec, vi, detail=True)
        np.testing.assert_allclose(ev.economic[i], evi.economic, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(ev.council[i], evi.council, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(ev.provider[i] if np.ndim(ev.provider) == 2 else ev.provider,
                                   evi.provider, rtol=1e-12, atol=1e-6)
        for k in ev.entity:  # a line no case changes may come back without the case axis
            np.testing.assert_allclose(np.broadcast_to(ev.entity[k], (3, T))[i], evi.entity[k], rtol=1e-12, atol=1e-6,
                                       err_msg=k)


# ------------------------------------------------------------------------------------------
# Issue 8: the rules an independent recomputation found wrong, each checked by hand.


def _hand_copy(tmp_path: Path, edits: dict) -> Path:
    """A copy of tests/data/hand with text replacements per file: {relative file: [(old, new), ...]}."""
    dst = tmp_path / "hand"
    shutil.copytree(HAND, dst)
    for rel, pairs in edits.items():
        fp = dst / rel
        text = fp.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (rel, old)
            text = text.replace(old, new)
        fp.write_text(text, encoding="utf-8")
    return dst


def test_fee_growth_starts_at_go_live(hand):
    """Point 1. The redesign (go-live 2028-29, t2) claims 1% real growth in fees; the current service none. Before
    go-live the service runs unchanged (200,000); the option's growth applies from its go-live year: 202,000 in t2,
    204,020 in t3, ... The old engine compounded from year 0 (1.01^2 = +2.01% in the go-live year)."""
    _, ev = ev_of(hand, "in_house_redesign", overrides={"income_real_growth": 0.01})
    expected = 200_000 * np.array([1, 1, 1.01, 1.01 ** 2, 1.01 ** 3, 1.01 ** 4])
    np.testing.assert_allclose(line(ev, "fees_income", "council"), expected, rtol=1e-13)
    # No change (no growth) keeps 200,000 throughout; growth the current service states continues into the option.
    _, ev_nc = ev_of(hand, "no_change", overrides={"current_service.income_real_growth": 0.02})
    np.testing.assert_allclose(line(ev_nc, "fees_income", "council"), 200_000 * 1.02 ** t, rtol=1e-13)
    _, ev2 = ev_of(hand, "in_house_redesign", overrides={"current_service.income_real_growth": 0.02})
    np.testing.assert_allclose(line(ev2, "fees_income", "council"), 200_000 * 1.02 ** t, rtol=1e-13)


def test_trading_ramp_never_starts_before_go_live(hand):
    """Point 1. Trading income stated to start in year 1 by an option going live in year 2 ramps from the go-live
    year: with a two-year ramp, 0, 0, 50%, 100%."""
    _, ev = ev_of(hand, "in_house_redesign", overrides={"trading_income_gbp": 40_000, "trading_start_year": 1,
                                                        "trading_ramp_years": 2})
    np.testing.assert_allclose(line(ev, "trading_income", "council"), [0, 0, 20_000, 40_000, 40_000, 40_000],
                               atol=1e-9)


def test_entity_capital_uplift_stays_capital(tmp_path):
    """Point 2. A company's own capital item of 100,000 in 2027-28 (standard buildings: OBC uplift 2% + 50% x 22% =
    13%) adds 13,000 of optimism bias to its capital spend and cash flow, never to its profit and loss: the operating
    costs and profit before tax see only the straight-line depreciation of the uplifted cost (113,000 over 10 years,
    nominal x 1.02)."""
    folder = _hand_copy(tmp_path, {"options/trading_company.yaml": [
        ("one_off_costs:\n", "capital:\n  - {id: kit, description: Fit-out, year: 2027-28, amount_gbp: 100000, "
                             "optimism_bias_category: standard_buildings, asset_life_years: 10, borne_by: provider, "
                             "capital_allowance: none}\none_off_costs:\n")]})
    a = load_appraisal(folder)
    base = appraise(load_appraisal(HAND), "trading_company", "obc").entity_accounts
    ent = appraise(a, "trading_company", "obc").entity_accounts
    uplift = 0.02 + 0.5 * 0.22
    assert ent.loc["capital", "2027-28"] - base.loc["capital", "2027-28"] == pytest.approx(
        -100_000 * (1 + uplift) * 1.02, abs=1e-6)
    np.testing.assert_allclose(ent.loc["operating_costs"].to_numpy(float), base.loc["operating_costs"].to_numpy(float),
                               atol=1e-6)
    dep = 100_000 * (1 + uplift) * 1.02 / 10  # nominal cost of the 2027-28 purchase, ten years
    np.testing.assert_allclose(ent.loc["depreciation"].to_numpy(float), [0, -dep, -dep, -dep, -dep, -dep], atol=1e-6)
    np.testing.assert_allclose((ent.loc["profit_before_tax"] - base.loc["profit_before_tax"]).to_numpy(float),
                               [0, -dep, -dep, -dep, -dep, -dep], atol=1e-6)


def test_optimism_bias_on_a_running_cost_and_a_contract_price(tmp_path):
    """Point 3. Any cost line can carry a category. The redesign's non-staff costs (100,000 a year) in the
    outsourcing category (0% to 41%; OBC mitigation 50%: 20.5%) are uplifted from go-live (t2) only, where the
    option's value applies: -20,500 a year. The company's fee (320,000 from t1) in the same category: -65,600 a
    year to the council, in both lenses (the expected extra cost of the contract, not a payment that nets out)."""
    folder = _hand_copy(tmp_path, {
        "options/in_house_redesign.yaml": [("  go_live_year: 2028-29\n", "  go_live_year: 2028-29\n  non_staff_costs_gbp: "
                                            "{value: 100000, optimism_bias_category: outsourcing}\n")],
        "options/trading_company.yaml": [("  management_fee_gbp: 320000\n", "  management_fee_gbp: {value: 320000, "
                                          "optimism_bias_category: outsourcing}\n")]})
    a = load_appraisal(folder)
    _, ev = ev_of(a, "in_house_redesign")
    np.testing.assert_allclose(line(ev, "optimism_bias_revenue", "council"),
                               [0, 0, -20_500 - 52_500, -20_500, -20_500, -20_500], atol=1e-9)  # + the IT item's 105%
    r = appraise(a, "trading_company", "obc")
    r0 = appraise(load_appraisal(HAND), "trading_company", "obc")
    fee_uplift = -0.205 * 320_000 * (t >= 1)
    assert r.npsv_gbp - r0.npsv_gbp == pytest.approx(float(fee_uplift @ D), rel=1e-12)
    assert r.council_npv_gbp - r0.council_npv_gbp == pytest.approx(float(fee_uplift @ D), rel=1e-12)


@pytest.mark.parametrize("how", ["efficiency_rate", "fewer_fte", "lower_cost_per_fte", "a_line"])
def test_a_saving_entered_any_way_gets_the_same_shortfall(tmp_path, how):
    """Point 4. One FTE fewer from go-live (t2) saves 30,000 pay + 6,000 pension = 36,000 a year. Entered as a 10%
    efficiency rate (no ramp), as 9 FTE, as a cost per FTE of 27,000, or as a council line of 36,000 of savings, the
    option's NPSV before adjustments is the same, and so is a 20% benefits shortfall: -7,200 a year from t2."""
    drivers = {"efficiency_rate": "  staff_efficiency_rate: 10%\n  efficiency_ramp_years: 0\n",
               "fewer_fte": "  staff_fte: 9\n  staff_efficiency_rate: 0%\n",
               "lower_cost_per_fte": "  staff_cost_per_fte_gbp: 27000\n  staff_efficiency_rate: 0%\n",
               "a_line": "  staff_efficiency_rate: 0%\n"}[how]
    extra = ("lines:\n  - {id: route_saving, label: Route saving, type: income, amount_gbp: 36000}\n"
             if how == "a_line" else "")
    folder = _hand_copy(tmp_path, {"options/in_house_redesign.yaml": [
        ("  staff_efficiency_rate: 20%\n  efficiency_ramp_years: 2\n", drivers),
        ("one_off_costs:\n", extra + "one_off_costs:\n")]})
    a = load_appraisal(folder)
    inp = build_inputs(a, "in_house_redesign", "obc")
    spec = dataclasses.replace(inp.spec, benefits_shortfall=0.20)
    ev = evaluate(spec, inp.values, detail=True)
    ev0 = evaluate(inp.spec, inp.values, detail=True)
    _, ev_nc = ev_of(a, "no_change")
    np.testing.assert_allclose(ev0.economic_unadjusted - ev_nc.economic_unadjusted,
                               [0, 0, 36_000 - 50_000, 36_000, 36_000, 36_000], atol=1e-6)
    np.testing.assert_allclose(line(ev, "optimism_bias_benefits", "council"), [0, 0, -7_200, -7_200, -7_200, -7_200],
                               atol=1e-6)


def test_shortfall_applies_to_income_growth_claimed_and_not_to_a_cost_rise(hand):
    """Point 4. Growth an option claims is a benefit: 1% a year from go-live on 200,000 of fees gains 2,000 in t2 and
    4,020 in t3, reduced by 20%. A cost that rises (non-staff 110,000 against 100,000) is not a benefit: no
    shortfall on it, and it does not net against the gain on fees."""
    inp = build_inputs(hand, "in_house_redesign", "obc", overrides={
        "income_real_growth": 0.01, "staff_efficiency_rate": 0.0, "non_staff_costs_gbp": 110_000})
    ev = evaluate(dataclasses.replace(inp.spec, benefits_shortfall=0.20), inp.values, detail=True)
    gain = 200_000 * (np.array([1, 1, 1.01, 1.01 ** 2, 1.01 ** 3, 1.01 ** 4]) - 1)
    np.testing.assert_allclose(line(ev, "optimism_bias_benefits", "council"), -0.20 * gain, atol=1e-6)


def test_fee_indexed_to_pay_with_a_cap_follows_the_real_pay_drift(hand):
    """Point 8. Pay 3.5%, GDP deflator 2%: a fee indexed to pay with a 3% cap rises by (1.03/1.02)^t in real terms
    (from the price base, like every line); held in real terms it stays 320,000. Its real pay drift is then the
    council's: the company's profit no longer falls as pay outruns the deflator."""
    base = build_inputs(hand, "trading_company", "obc", overrides={"pay_inflation": 0.035})
    from asdm_models.indexation import IndexSpec

    spec = dataclasses.replace(base.spec, indices=(("management_fee_gbp", "option", IndexSpec((("pay", 1.0),), 0.03)),))
    ev = evaluate(spec, base.values, detail=True)
    np.testing.assert_allclose(line(ev, "management_fee", "provider"), 320_000 * (1.03 / 1.02) ** t * (t >= 1),
                               rtol=1e-12)
    ev0 = evaluate(base.spec, base.values, detail=True)
    np.testing.assert_allclose(line(ev0, "management_fee", "provider"), 320_000 * (t >= 1), rtol=1e-12)


def test_asset_transfer_at_value_nets_out_of_the_economic_case(tmp_path):
    """Point 8. The council transfers an existing building to its company at 500,000 in 2027-28 (paid_to: council):
    a capital receipt of +500,000 to the council, capital spend of -500,000 for the company (depreciated over 25
    years, structures and buildings allowance 3% a year for tax), and nothing in the economic case (no new resource)."""
    folder = _hand_copy(tmp_path, {"options/trading_company.yaml": [(
        "one_off_costs:\n", "capital:\n  - {id: building, description: Library building, year: 2027-28, amount_gbp: "
                            "500000, asset_life_years: 25, borne_by: provider, paid_to: council, "
                            "capital_allowance: structures_and_buildings}\none_off_costs:\n")]})
    a = load_appraisal(folder)
    r, r0 = appraise(a, "trading_company", "obc"), appraise(load_appraisal(HAND), "trading_company", "obc")
    inp = build_inputs(a, "trading_company", "obc")
    ev = evaluate(inp.spec, inp.values, detail=True)
    np.testing.assert_allclose(line(ev, "asset_transfers", "council"), [0, 500_000, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(line(ev, "asset_transfers", "provider"), [0, -500_000, 0, 0, 0, 0], atol=1e-9)
    assert r.npsv_gbp - r0.npsv_gbp == pytest.approx(0.0, abs=1e-6)
    nominal = 500_000 * 1.02
    np.testing.assert_allclose(r.entity_accounts.loc["capital_allowances"].to_numpy(float),
                               [0] + [0.03 * nominal] * 5, atol=1e-6)
    assert r.financial_case.loc["capital_spend_nominal_gbp", "2027-28"] == pytest.approx(nominal, abs=1e-6)


def test_capital_allowances_by_category_in_the_entity_accounts(tmp_path):
    """Point 6. £100,000 (real) of special-rate plant bought by the company in 2027-28 (nominal 102,000): 50%
    first-year allowance (CAA 2001 s45S) = 51,000, then 6% a year on the 51,000 balance from the next period
    (s58(5), s104D): 3,060, 2,876.40, 2,703.82, 2,541.59. Taxable profit falls by each year's allowance (less
    depreciation added back) and, at the flat 20% the hand company states, tax by 20% of that when it is taxable.
    A full-expensing main-pool item (s45S) is allowed at 100% in its year; 'none' gets nothing."""
    @functools.lru_cache
    def accounts(category):
        folder = _hand_copy(tmp_path / category, {"options/trading_company.yaml": [(
            "one_off_costs:\n", "capital:\n  - {id: plant, description: Plant, year: 2027-28, amount_gbp: 100000, "
                                f"asset_life_years: 10, borne_by: provider, capital_allowance: {category}}}\n"
                                "one_off_costs:\n")]})
        return appraise(load_appraisal(folder), "trading_company", "obc").entity_accounts

    sr = accounts("special_rate").loc["capital_allowances"].to_numpy(float)
    bal = 51_000.0
    expected = [0.0, 51_000.0]
    for _ in range(4):
        expected.append(0.06 * bal)
        bal *= 0.94
    np.testing.assert_allclose(sr, expected, atol=1e-6)
    np.testing.assert_allclose(accounts("main_pool").loc["capital_allowances"].to_numpy(float),
                               [0, 102_000, 0, 0, 0, 0], atol=1e-6)
    none = accounts("none")
    np.testing.assert_allclose(none.loc["capital_allowances"].to_numpy(float), 0.0, atol=1e-9)
    # Taxable profit = profit before tax + depreciation - allowances, losses carried forward.
    ent = accounts("special_rate")
    before_losses = (ent.loc["profit_before_tax"] - ent.loc["depreciation"] - ent.loc["capital_allowances"]).to_numpy(float)
    from asdm_models.tax import taxable_profit_after_losses

    np.testing.assert_allclose(ent.loc["taxable_profit"].to_numpy(float), taxable_profit_after_losses(before_losses),
                               atol=1e-6)
    np.testing.assert_allclose(ent.loc["corporation_tax"].to_numpy(float), -0.20 * ent.loc["taxable_profit"].to_numpy(float),
                               atol=1e-6)


def test_uk_corporation_tax_applies_marginal_relief_in_the_engine():
    """Point 6. The leisure trading company states no flat rate, so it pays UK corporation tax: on taxable profit N
    (after losses) 19% up to £50,000, 25% above £250,000, and between them 25% N - 3/200 (250,000 - N) (HMRC
    CTM03900, CTA 2010 s18B), recomputed here by hand from the accounts' taxable profit."""
    from asdm_models import PROJECT_ROOT

    a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    ent = appraise(a, "trading_company", "obc").entity_accounts
    n = ent.loc["taxable_profit"].to_numpy(float)
    hand_tax = np.where(n <= 50_000, 0.19 * n, np.where(n >= 250_000, 0.25 * n, 0.25 * n - 0.015 * (250_000 - n)))
    assert np.any((n > 50_000) & (n < 250_000)) or np.any(n > 0)
    np.testing.assert_allclose(-ent.loc["corporation_tax"].to_numpy(float), hand_tax, atol=1e-6)


def test_joint_venture_partner_takes_its_equity_share_of_dividends():
    """Point 8. The leisure joint venture pays out half of its profit after tax; the operator holds 50% of the
    shares, so the council and the partner each receive 25% of it. The partner's dividend leaves the company's cash
    but is in neither the council lens nor the economic case (a payment between the parties)."""
    from asdm_models import PROJECT_ROOT

    a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    r = appraise(a, "joint_venture", "obc")
    ent = r.entity_accounts
    pat = ent.loc["profit_after_tax"].to_numpy(float)
    np.testing.assert_allclose(-ent.loc["dividend"].to_numpy(float), 0.25 * np.maximum(pat, 0), atol=1e-6)
    np.testing.assert_allclose(-ent.loc["partner_dividend"].to_numpy(float), 0.25 * np.maximum(pat, 0), atol=1e-6)
    vs = r.reconciliation_vs_no_change.set_index("line")
    assert vs.loc["partner_dividend", "economic_vs_no_change_gbp"] == 0.0
    assert vs.loc["partner_dividend", "council_vs_no_change_gbp"] == 0.0


def test_apprenticeship_levy_moves_with_the_staff(hand):
    """A line type added after the engine was rebuilt (catalogue entry + one rule function). Pay bill 300,000:
    the council pays 0.5% = 1,500 a year on it (its allowance is used by the rest of its payroll). A company with
    its own £15,000 allowance pays max(0.5% x 270,000 - 15,000, 0) = 0 on its pay bill after its 10% efficiency:
    the levy is a transfer, so the economic case is unchanged and the council lens gains 1,500 a year from go-live.
    Without the allowance the company would pay 0.5% x 270,000 = 1,350."""
    ov = {"current_service.apprenticeship_levy_rate": 0.005}
    _, ev_nc = ev_of(hand, "no_change", overrides=ov)
    np.testing.assert_allclose(line(ev_nc, "apprenticeship_levy", "council"), -1_500.0, atol=1e-9)
    r0 = appraise(hand, "trading_company", "obc")
    r = appraise(hand, "trading_company", "obc", overrides={**ov, "apprenticeship_levy_allowance_gbp": 15_000})
    assert r.npsv_vs_no_change_gbp == pytest.approx(r0.npsv_vs_no_change_gbp, abs=1e-6)
    assert r.council_npv_vs_no_change_gbp - r0.council_npv_vs_no_change_gbp == pytest.approx(
        1_500 * float(D[1:].sum()), rel=1e-12)
    _, ev = ev_of(hand, "trading_company", overrides={**ov, "apprenticeship_levy_allowance_gbp": 15_000})
    np.testing.assert_allclose(line(ev, "apprenticeship_levy", "provider"), 0.0, atol=1e-9)
    np.testing.assert_allclose(line(ev, "apprenticeship_levy", "council"), [-1_500, 0, 0, 0, 0, 0], atol=1e-9)
    _, ev2 = ev_of(hand, "trading_company", overrides=ov)
    np.testing.assert_allclose(line(ev2, "apprenticeship_levy", "provider"), [0, -1_350, -1_350, -1_350, -1_350, -1_350],
                               atol=1e-9)
