"""Scenarios side by side (asdm_models.scenario_compare)."""

from __future__ import annotations

import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal, monte_carlo
from asdm_models.errors import ScenarioError
from asdm_models.scenario_compare import compare_scenarios, scenario_settings


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


def test_a_scenarios_setting_is_its_all_changes_and_the_options_own(leisure):
    sc = leisure.scenarios["optimistic"].changes
    s = scenario_settings(leisure, "outsourcing", "optimistic")
    assert s == {**sc["all"], **sc["outsourcing"]}
    assert "trading_income_gbp" in s and s["trading_income_gbp"] == sc["outsourcing"]["trading_income_gbp"]
    assert scenario_settings(leisure, "outsourcing", "base") == {} == scenario_settings(leisure, "outsourcing", None)
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'.*optimistic"):
        scenario_settings(leisure, "outsourcing", "nope")


def test_each_column_is_what_appraise_and_monte_carlo_give_for_that_scenario(leisure):
    settings = {name: scenario_settings(leisure, "trading_company", name) for name in ("base", "optimistic", "pessimistic")}
    c = compare_scenarios(leisure, "trading_company", "obc", settings, draws=1000, seed=5)
    assert c.labels == ["base", "optimistic", "pessimistic"]
    for name in c.labels:
        r = appraise(leisure, "trading_company", "obc", scenario=None if name == "base" else name)
        col = c.headline[name]
        assert col["NPSV vs no change, adjusted"] == r.npsv_vs_no_change_gbp
        assert col["Council NPV vs no change"] == r.council_npv_vs_no_change_gbp
        assert col["Payback year (council cash)"] == r.payback_year
        mc = monte_carlo(leisure, "trading_company", "obc", draws=1000, seed=5, scenario=None if name == "base" else name)
        assert col["P50 NPSV (Monte Carlo)"] == mc.p50
        assert col["Chance of beating no change"] == mc.prob_beats_no_change


def test_only_the_drivers_that_differ_are_listed_with_the_saved_value_where_a_scenario_is_silent(leisure):
    base = appraise(leisure, "trading_company", "obc").inputs.values
    c = compare_scenarios(leisure, "trading_company", "obc",
                          {"saved": {}, "a": {"pay_inflation": 0.04, "staff_efficiency_rate": 0.05},
                           "b": {"pay_inflation": 0.04}}, draws=0)
    # staff_efficiency_rate 0.05 is the saved value: the same in every column, so not a difference.
    assert base["staff_efficiency_rate"] == 0.05
    assert list(c.drivers["path"]) == ["pay_inflation"]
    assert list(c.drivers.iloc[0][["saved", "a", "b"]]) == [base["pay_inflation"], 0.04, 0.04]
    assert c.headline.loc["P50 NPSV (Monte Carlo)"].isna().all()  # no draws asked for
    table = c.table()
    assert list(table.columns) == ["saved", "a", "b"] and "Pay inflation" in table.index


def test_comparing_nothing_is_refused(leisure):
    with pytest.raises(ScenarioError, match="at least one"):
        compare_scenarios(leisure, "trading_company", "obc", {})
