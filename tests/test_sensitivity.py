"""Sensitivity: tornado, switching values (round trip through appraise), grids, scenarios, optimism bias."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.sensitivity import (best_option_switching, optimism_bias_sensitivity, scenario_table,
                                     search_range, switching_values, tornado, two_way_grid)

from test_montecarlo import APPRAISAL, LINEAR, NO_CHANGE, write_appraisal


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


@pytest.fixture()
def fixture(tmp_path):
    option = copy.deepcopy(LINEAR)
    # exit_cost_gbp is reported with the exit strategy but never enters a cash flow: no effect on NPSV.
    option["drivers"]["exit_cost_gbp"] = 100000
    option["uncertain"]["exit_cost_gbp"] = {"distribution": "triangular", "low": 50000, "mode": 100000, "high": 400000}
    return load_appraisal(write_appraisal(tmp_path, APPRAISAL, [NO_CHANGE, option]))


def test_tornado_cases_equal_appraise_one_by_one(fixture):
    t = tornado(fixture, "redesign", "obc")
    assert list(t["swing_gbp"]) == sorted(t["swing_gbp"], reverse=True)
    for _, row in t.iterrows():
        lo = appraise(fixture, "redesign", "obc", overrides={row.driver: row.low})
        hi = appraise(fixture, "redesign", "obc", overrides={row.driver: row.high})
        assert row.npsv_vs_no_change_low_gbp == pytest.approx(lo.npsv_vs_no_change_gbp, abs=1e-6)
        assert row.npsv_vs_no_change_high_gbp == pytest.approx(hi.npsv_vs_no_change_gbp, abs=1e-6)
        assert row.council_npv_vs_no_change_high_gbp == pytest.approx(hi.council_npv_vs_no_change_gbp, abs=1e-6)
    base = appraise(fixture, "redesign", "obc").npsv_vs_no_change_gbp
    assert t["base_npsv_vs_no_change_gbp"].iloc[0] == pytest.approx(base, abs=1e-6)


def test_driver_with_no_effect_has_zero_swing(fixture):
    t = tornado(fixture, "redesign", "obc").set_index("driver")
    assert t.loc["exit_cost_gbp", "swing_gbp"] == 0.0
    assert t.loc["staff_efficiency_rate", "swing_gbp"] > 100000


@pytest.mark.parametrize("option", ["in_house_redesign", "trading_company", "social_enterprise", "outsourcing",
                                    "joint_venture", "shared_service", "public_integration"])
@pytest.mark.parametrize("stage", ["obc", "fbc"])
def test_switching_values_round_trip_through_appraise(leisure, option, stage):
    sv = switching_values(leisure, option, stage)
    assert len(sv) == len([p for p in sv["driver"]])
    for _, row in sv[sv.status == "found"].iterrows():
        r = appraise(leisure, option, stage, overrides={row.driver: row.switching_value})
        assert abs(r.npsv_vs_no_change_gbp) < 1.0, (row.driver, r.npsv_vs_no_change_gbp)
        assert row.search_low <= row.switching_value <= row.search_high
        assert row.change_pct == pytest.approx((row.switching_value - row.base) / abs(row.base))
    for _, row in sv[sv.status != "found"].iterrows():
        # No sign change anywhere on the searched range: both ends are on the base's side of zero.
        ends = [appraise(leisure, option, stage, overrides={row.driver: x}).npsv_vs_no_change_gbp
                for x in (row.search_low, row.search_high)]
        assert np.sign(ends[0]) == np.sign(ends[1]) == np.sign(row.base_npsv_vs_no_change_gbp)


def test_switching_value_statement_reads_as_a_sentence(fixture):
    sv = switching_values(fixture, "redesign", "obc").set_index("driver")
    row = sv.loc["staff_efficiency_rate"]
    assert row.status == "found"
    assert row.statement.startswith("The option stops beating no change if staff cost efficiency")
    assert "falls below" in row.statement and "(base 6.00%)" in row.statement
    assert sv.loc["exit_cost_gbp", "status"] == "none within range"


def test_search_range_respects_driver_bounds():
    lo, hi = search_range("staff_efficiency_rate", 0.9)
    assert (lo, hi) == (pytest.approx(0.0), 1.0)  # width 0.9 from the base, capped at the driver's 100%
    assert search_range("staff_fte", 100.0) == (0.0, 200.0)


def test_best_option_switching_round_trip(leisure):
    df = best_option_switching(leisure, "obc")
    assert len(df) > 0
    best = df["best_option"].iloc[0]
    found = df[df.status == "found"]
    assert len(found) > 0
    for _, row in found.iterrows():
        at = {o: appraise(leisure, o, "obc", overrides={row.driver: row.switching_value}
                          if (row.driver.startswith("current_service.") or o == best
                              or row.driver in ("pay_inflation", "energy_inflation", "price_inflation", "gdp_deflator"))
                          else None).npsv_gbp for o in leisure.options}
        others = max(v for o, v in at.items() if o != best)
        assert abs(at[best] - others) < 1.0
        assert at[row.new_best] == pytest.approx(others, abs=1.0)


def test_two_way_grid_matches_appraise(fixture):
    g = two_way_grid(fixture, "redesign", "obc", "staff_efficiency_rate", "trading_income_gbp", n=50)
    assert len(g) == 2500
    for i in (0, 777, 2499):
        row = g.iloc[i]
        r = appraise(fixture, "redesign", "obc", overrides={"staff_efficiency_rate": row.x, "trading_income_gbp": row.y})
        assert row.npsv_vs_no_change_gbp == pytest.approx(r.npsv_vs_no_change_gbp, abs=1e-6)
    # A shared driver moves no change too: the grid is still against no change under the same values.
    g2 = two_way_grid(fixture, "redesign", "obc", "pay_inflation", "staff_efficiency_rate", n=5)
    r = appraise(fixture, "redesign", "obc", overrides={"pay_inflation": g2.x.iloc[-1], "staff_efficiency_rate": g2.y.iloc[-1]})
    assert g2.npsv_vs_no_change_gbp.iloc[-1] == pytest.approx(r.npsv_vs_no_change_gbp, abs=1e-6)


def test_optimism_bias_sensitivity(fixture):
    ob = optimism_bias_sensitivity(fixture, "redesign", "obc")
    assert ob["npsv_vs_no_change_gbp"].is_monotonic_decreasing
    upper = fixture.reference.optimism_bias["equipment_development"].upper
    none = appraise(fixture, "redesign", "obc").npsv_vs_no_change_gbp - appraise(fixture, "redesign", "obc").optimism_bias_pv_gbp
    assert ob["npsv_vs_no_change_gbp"].iloc[0] == pytest.approx(none, abs=1e-6)
    # The IT cost of £300,000 in year 0 (undiscounted) at the full upper bound adds upper x 300,000.
    assert ob["npsv_vs_no_change_gbp"].iloc[0] - ob["npsv_vs_no_change_gbp"].iloc[-1] == pytest.approx(upper * 300000)


def test_scenario_table_has_base(leisure):
    df = scenario_table(leisure, "trading_company", "obc")
    assert "base" in list(df["scenario"])
    base = df.set_index("scenario").loc["base", "npsv_vs_no_change_gbp"]
    assert base == appraise(leisure, "trading_company", "obc").npsv_vs_no_change_gbp
