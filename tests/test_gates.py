"""Gates, the success-factor filter, and the recommendation rule."""

import pandas as pd
import pytest

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.business_case import assumption_register, business_case, npsv_table, options_overview, recommend
from asdm_models.gates import CONDITIONS, PROCEED, STOP, evaluate_gate, success_factor_filter, weighted_score


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


# The leisure FBC gate: p50 >= 0 (required), prob >= 0.6 (required), entity cash >= 0 (required),
# savings shortfall <= 150,000 (optional), value for money at least medium (optional, rank 2), Teckal failures 0
# (required where it applies), pension arrangement stated (required where staff transfer), no VAT
# partial-exemption cost and no implied subsidy (optional).
GOOD = {"p50_npsv_vs_no_change_gbp": 10.0, "prob_beats_no_change": 0.7, "entity_lowest_cash_gbp": 5.0,
        "shortfall_vs_savings_target_gbp": 0.0, "value_for_money": 3.0, "teckal_years_failing": 0.0,
        "pension_arrangement_stated": 1.0, "vat_partial_exemption_cost_gbp": 0.0, "implied_subsidy_gbp": 0.0}


def test_all_tests_met_means_proceed(leisure):
    g = evaluate_gate(leisure, "fbc", GOOD)
    assert g.recommendation == PROCEED and set(g.tests["result"]) == {"pass"}
    assert g.sentence() == "Recommendation: proceed. Every gate test is met."


def test_optional_failure_means_conditions(leisure):
    g = evaluate_gate(leisure, "fbc", GOOD | {"shortfall_vs_savings_target_gbp": 200_000.0})
    assert g.recommendation == CONDITIONS
    assert "£200,000 against at most £150,000" in g.sentence()


def test_required_failure_means_stop_even_when_another_test_is_unassessed(leisure):
    metrics = GOOD | {"p50_npsv_vs_no_change_gbp": None, "prob_beats_no_change": 0.3}
    assert evaluate_gate(leisure, "fbc", metrics).recommendation == STOP
    assert evaluate_gate(leisure, "fbc", GOOD | {"p50_npsv_vs_no_change_gbp": None}).recommendation == "not assessed"


def test_thresholds_are_inclusive_and_entity_tests_do_not_apply_to_in_house(leisure):
    g = evaluate_gate(leisure, "fbc", GOOD | {"p50_npsv_vs_no_change_gbp": 0.0, "entity_lowest_cash_gbp": None})
    assert g.recommendation == PROCEED
    assert list(g.tests.set_index("metric").loc[["entity_lowest_cash_gbp"], "result"]) == ["n/a"]


def test_success_factor_filter_gives_reasons(leisure):
    f = success_factor_filter(leisure).set_index("option")
    assert not f.loc["public_integration", "shortlisted"]
    assert "scores 1 on supplier capacity and capability (minimum 2)" in f.loc["public_integration", "reason"]
    assert f.loc["no_change", "shortlisted"]
    # Weighted score by hand for trading_company: the weights times its scores.
    o = leisure.options["trading_company"]
    expected = sum(c.weight * o.scores[c.id] for c in leisure.success_factors)
    assert weighted_score(leisure, "trading_company") == pytest.approx(expected)
    assert f.loc["trading_company", "weighted_score"] == pytest.approx(expected)


def test_recommend_picks_the_best_eligible_option():
    ov = pd.DataFrame([
        {"name": "No change", "model": "no_change", "shortlisted": True, "gate": "baseline", "npsv_vs_no_change_gbp": 0.0},
        {"name": "A", "model": "outsourcing", "shortlisted": False, "gate": "proceed", "npsv_vs_no_change_gbp": 9.0},
        {"name": "B", "model": "trading_company", "shortlisted": True, "gate": "stop", "npsv_vs_no_change_gbp": 7.0},
        {"name": "C", "model": "shared_service", "shortlisted": True, "gate": "proceed with conditions", "npsv_vs_no_change_gbp": 5.0},
        {"name": "D", "model": "in_house_redesign", "shortlisted": True, "gate": "proceed", "npsv_vs_no_change_gbp": 3.0},
    ])
    choice, passed = recommend(ov)
    assert choice["name"] == "C"
    assert passed == [("A", "not short-listed"), ("B", "gate: stop")]
    none, _ = recommend(ov[ov["name"].isin(["No change", "B"])])
    assert none is None


def test_business_case_rows_and_tables(leisure):
    bc = business_case(leisure, "social_enterprise", "obc", draws=500, seed=3)
    scenarios = [r["scenario"] for r in bc.rows]
    assert scenarios[0] == "base" and set(scenarios) == {"base"} | set(leisure.scenarios)
    assert bc.rows[0]["gate"] == bc.gate.recommendation
    t = npsv_table(bc.result)
    assert t["option vs no change"].iloc[-1] == bc.result.npsv_vs_no_change_gbp
    assert t["option"].iloc[0] + t["option"].iloc[1] == pytest.approx(t["option"].iloc[2])
    reg = assumption_register(leisure, bc.result)
    assert {"economy", "current service", "option"} <= set(reg["applies to"])
    by_path = reg.set_index("path")
    assert by_path.loc["trading_start_year", "value used"] == "2028-29"  # timing shown as a financial year
    assert by_path.loc["current_service.go_live_year", "value used"] == "2027-28"
    ov = options_overview(leisure, "obc", draws=500, seed=3)
    assert list(ov["option"]) == list(leisure.options)
    assert ov["rank"].min() == 1
