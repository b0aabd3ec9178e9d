"""The assumptions explorer (asdm_models.widgets) and saved scenarios (asdm_models.scenarios), without a browser.

Every figure the explorer shows must be the figure ``appraise()`` gives with the same overrides, and
a scenario saved from it must reproduce those figures exactly through ``appraise(..., scenario=NAME)``
(which is what ``asdm run --scenario NAME`` runs).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from asdm_models import PROJECT_ROOT, ScenarioError, appraise, load_appraisal
from asdm_models.catalogue import ECONOMY_DRIVERS
from asdm_models.scenarios import data_value, save_scenario, split_changes
from asdm_models.sensitivity import tornado
from asdm_models.units import format_gbp, parse_rate
from asdm_models.widgets import control_specs, explorer, format_change, parse_typed, tornado_at

LEISURE = PROJECT_ROOT / "data" / "example_leisure"
SHOWN = ["npsv_vs_no_change_gbp", "npsv_vs_no_change_unadjusted_gbp", "council_npv_vs_no_change_gbp", "payback_year",
         "breakeven_year", "peak_funding_gbp", "lowest_cash_gbp"]


def figures(r) -> dict:
    return {k: getattr(r, k) for k in SHOWN}


def shown(ex, which="option") -> dict:
    return {k: ex.shown[which][k] for k in SHOWN}


@pytest.fixture()
def ex():
    return explorer("data/example_leisure", "trading_company", "obc", compare_with="social_enterprise")


@pytest.fixture()
def tmp_data(tmp_path):
    """A copy of the leisure appraisal (and the reference data beside it) that tests may write scenarios into."""
    shutil.copytree(LEISURE, tmp_path / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    return tmp_path / "example_leisure"


# ------------------------------------------------------------------------------------------------
# Controls
# ------------------------------------------------------------------------------------------------

def test_controls_cover_the_options_drivers_with_ranges_around_the_saved_values():
    a = load_appraisal(LEISURE)
    specs = {s.path: s for s in control_specs(a, "trading_company", "obc")}
    opt = a.options["trading_company"]
    assert set(ECONOMY_DRIVERS) <= set(specs)
    assert set(opt.drivers) <= set(specs)  # every driver the option states, from go-live
    assert {f"current_service.{n}" for n in a.current_service if n != "go_live_year"} <= set(specs)
    assert {f"one_off_costs.{it.id}.amount_gbp" for it in opt.one_off_costs} <= set(specs)
    assert {f"risks.{r.id}.probability" for r in opt.risks} <= set(specs)
    inp = appraise(a, "trading_company", "obc").inputs
    for s in specs.values():
        assert s.base == inp.values[s.path]
        assert s.low <= s.base <= s.high, s.path
        assert s.minimum is None or s.low >= s.minimum
        assert s.maximum is None or s.high <= s.maximum
        d = inp.distributions.get(s.path)
        if d is not None:  # the uncertainty range, widened, sits inside the slider
            assert s.low <= d.low and d.high <= s.high, s.path
    # Grouped as the business case groups them, economy first.
    groups = [s.group for s in specs.values()]
    assert groups[0] == "economy" and groups == sorted(groups, key=["economy", "staff", "running", "income",
                                                                   "overheads", "contract", "tax", "lines",
                                                                   "one_off", "capital", "risk"].index)
    assert "current_service.lines.cafe_franchise.amount_gbp" in specs  # the council\'s own line, like any driver


def test_fbc_controls_start_from_the_fbc_values():
    a = load_appraisal(LEISURE)
    specs = {s.path: s for s in control_specs(a, "trading_company", "fbc")}
    assert specs["staff_efficiency_rate"].base == 0.045
    assert specs["one_off_costs.it_systems.amount_gbp"].base == 245000.0


def test_change_labels_say_what_moved():
    a = load_appraisal(LEISURE)
    specs = {s.path: s for s in control_specs(a, "trading_company", "obc")}
    assert format_change(specs["pay_inflation"], 0.035) == "+0.5 pts"
    assert format_change(specs["trading_income_gbp"], 780000.0) == "-£20,000"
    assert format_change(specs["trading_start_year"], 3.0) == "+1 yr"
    assert format_change(specs["pay_inflation"], 0.03) == ""


# ------------------------------------------------------------------------------------------------
# Headline = appraise() with the same overrides
# ------------------------------------------------------------------------------------------------

def test_opening_shows_the_saved_figures(ex):
    a = ex.appraisal
    assert ex.overrides == {}
    assert shown(ex) == figures(appraise(a, "trading_company", "obc"))
    assert shown(ex, "compare") == figures(appraise(a, "social_enterprise", "obc"))


def test_moving_an_economy_slider_matches_appraise_for_both_options(ex):
    c = ex.controls["pay_inflation"]
    c.slider.value = 0.035 + 1e-17  # as a browser sends it: a grid point with binary noise
    assert c.value == 0.035
    assert ex.overrides == {"pay_inflation": 0.035}
    a = ex.appraisal
    r = appraise(a, "trading_company", "obc", overrides={"pay_inflation": 0.035})
    assert shown(ex) == figures(r)
    assert r.npsv_vs_no_change_gbp != appraise(a, "trading_company", "obc").npsv_vs_no_change_gbp
    # The comparison sees the same economy.
    assert shown(ex, "compare") == figures(appraise(a, "social_enterprise", "obc", overrides={"pay_inflation": 0.035}))
    assert "+0.5 pts" in c.change.value
    assert 'data-value="%r"' % r.npsv_vs_no_change_gbp in ex.headline.value


def test_typed_option_item_and_year_values_match_appraise(ex):
    a = ex.appraisal
    ex.controls["staff_efficiency_rate"].text.value = "6.5%"
    ex.controls["one_off_costs.it_systems.amount_gbp"].text.value = "£300,000"
    ex.controls["risks.pool_plant_failure.probability"].text.value = "50%"
    ex.controls["trading_start_year"].text.value = "2029-30"
    ex.controls["current_service.fees_income_gbp"].text.value = "5.5m"
    expected = {"staff_efficiency_rate": 0.065, "one_off_costs.it_systems.amount_gbp": 300000.0,
                "risks.pool_plant_failure.probability": 0.5, "trading_start_year": 3.0,
                "current_service.fees_income_gbp": 5500000.0}
    assert ex.overrides == expected
    assert all(c.message.value == "" for c in ex.controls.values())
    assert shown(ex) == figures(appraise(a, "trading_company", "obc", overrides=expected))
    # Only the shared (current-service) change reaches the comparison.
    assert shown(ex, "compare") == figures(appraise(a, "social_enterprise", "obc",
                                                    overrides={"current_service.fees_income_gbp": 5500000.0}))


def test_charts_are_updated_in_place_from_the_same_result(ex):
    ids = {k: id(f) for k, f in ex.figures.items()}
    title_before = ex.figures["waterfall"].layout.title.text
    ex.controls["trading_income_gbp"].slider.value = 1_000_000.0
    assert {k: id(f) for k, f in ex.figures.items()} == ids  # no figure rebuilt
    r = ex.result
    cash = ex.figures["cash_flows"].data
    np.testing.assert_array_equal(cash[0].y, r.financial_case.loc["council_net_nominal_gbp"].to_numpy())
    np.testing.assert_array_equal(cash[2].y, r.financial_case.loc["saving_vs_no_change_nominal_gbp"].to_numpy())
    wf = ex.figures["waterfall"].data[0]
    assert wf.y[-1] == r.npsv_vs_no_change_gbp and wf.measure[-1] == "total"
    tor = ex.figures["tornado"].data
    assert tor[0].base == pytest.approx(r.npsv_vs_no_change_gbp, abs=1e-6)
    assert ex.figures["waterfall"].layout.title.text != title_before
    assert format_gbp(abs(r.npsv_vs_no_change_gbp), millions=True) in ex.figures["waterfall"].layout.title.text


def test_tornado_at_saved_values_is_the_packages_tornado():
    a = load_appraisal(LEISURE)
    ref = tornado(a, "trading_company", "obc")
    dists = appraise(a, "trading_company", "obc").inputs.distributions
    rows = tornado_at(a, "trading_company", "obc", {}, dists)
    assert [r["driver"] for r in rows] == list(ref["driver"])
    assert [r["low_gbp"] for r in rows] == list(ref["npsv_vs_no_change_low_gbp"])
    assert [r["high_gbp"] for r in rows] == list(ref["npsv_vs_no_change_high_gbp"])
    # Around moved settings its base case is the explorer's headline figure.
    ov = {"pay_inflation": 0.04, "staff_efficiency_rate": 0.03}
    moved = tornado_at(a, "trading_company", "obc", ov, dists)
    assert moved[0]["base_gbp"] == pytest.approx(
        appraise(a, "trading_company", "obc", overrides=ov).npsv_vs_no_change_gbp, abs=1e-6)
    assert {r["driver"] for r in moved} == set(dists)  # a moved driver keeps its saved range


def test_reset_returns_to_the_saved_assumptions(ex):
    ex.set_values({"pay_inflation": 0.04, "trading_income_gbp": 500000.0})
    assert len(ex.overrides) == 2
    ex.reset_button.click()
    assert ex.overrides == {}
    assert all(c.change.value.find("pts") < 0 and not c.changed for c in ex.controls.values())
    assert shown(ex) == figures(appraise(ex.appraisal, "trading_company", "obc"))


def test_switching_option_keeps_shared_changes_and_drops_the_options_own(ex):
    ex.set_values({"pay_inflation": 0.04, "staff_efficiency_rate": 0.07})
    ex.option_picker.value = "outsourcing"
    assert ex.overrides == {"pay_inflation": 0.04}
    assert shown(ex) == figures(appraise(ex.appraisal, "outsourcing", "obc", overrides={"pay_inflation": 0.04}))
    ex.compare_picker.value = ""
    assert ex.shown["compare"] is None and ex.compare_result is None
    ex.stage_picker.value = "fbc"
    assert shown(ex) == figures(appraise(ex.appraisal, "outsourcing", "fbc", overrides={"pay_inflation": 0.04}))


def test_no_change_and_another_appraisal():
    e = explorer("data/example_depot", "no_change", "obc")
    assert shown(e)["npsv_vs_no_change_gbp"] == 0.0 and e.shown["option"]["gate"] == "baseline"
    assert all(p in ECONOMY_DRIVERS or p.startswith("current_service.") for p in e.controls)
    e.appraisal_picker.value = str(LEISURE)
    assert e.appraisal.id == "example_leisure"
    assert shown(e) == figures(appraise(e.appraisal, e.option_id, "obc"))


# ------------------------------------------------------------------------------------------------
# Invalid edits are refused at the control
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, text, reason", [
    ("current_service.staff_fte", "-5", "below the smallest valid value 0"),
    ("irrecoverable_vat_rate", "25%", "above the largest valid value 20%"),
    ("pay_inflation", "3.5", "did you mean 3.5%?"),
    ("trading_income_gbp", "lots", "not an amount of money"),
    ("trading_start_year", "2040-41", "outside the appraisal period"),
    ("risks.pool_plant_failure.probability", "120%", "above the largest valid value 100%"),
])
def test_invalid_typed_values_are_refused_with_the_reason(ex, path, text, reason):
    before = dict(ex.shown["option"])
    c = ex.controls[path]
    c.text.value = text
    assert "Refused" in c.message.value and reason in c.message.value.replace("&#x27;", "'")
    assert not c.changed and path not in ex.overrides
    assert c.text.value != text  # the box shows the kept value again
    assert ex.shown["option"] == before
    with pytest.raises(ValueError):
        c.value = -1.0 if c.spec.unit != "year" else 99.0


def test_parse_typed_reads_values_as_the_data_would():
    a = load_appraisal(LEISURE)
    specs = {s.path: s for s in control_specs(a, "trading_company", "obc")}
    p = lambda path, t: parse_typed(specs[path], t, a.first_year, a.period_years)  # noqa: E731
    assert p("pay_inflation", "3.25%") == 0.0325 and p("pay_inflation", "0.0325") == 0.0325
    assert p("trading_income_gbp", "£1,250,000") == 1250000.0 and p("trading_income_gbp", "250k") == 250000.0
    assert p("trading_start_year", "2030-31") == 4.0 and p("trading_start_year", "4") == 4.0
    with pytest.raises(ValueError, match="did you mean \"2030-31\""):
        p("trading_start_year", "2030")


# ------------------------------------------------------------------------------------------------
# Saving a scenario reproduces exactly what was shown
# ------------------------------------------------------------------------------------------------

def test_saved_scenario_reproduces_the_explorer_exactly(tmp_data):
    ex = explorer(tmp_data, "trading_company", "obc", compare_with="social_enterprise")
    ex.controls["pay_inflation"].slider.value = 0.036000000000000004
    ex.controls["energy_inflation"].text.value = "5.25%"
    ex.controls["current_service.fees_income_gbp"].slider.value = 5450000.000000001
    ex.controls["staff_efficiency_rate"].slider.value = 0.061
    ex.controls["one_off_costs.it_systems.amount_gbp"].text.value = "£312,345.67"
    ex.controls["risks.commercial_income_slow.probability"].text.value = "55%"
    ex.controls["trading_start_year"].slider.value = 3
    ex.controls["current_service.staff_fte"].text.value = "-3"  # refused: never reaches the file
    ex.controls["irrecoverable_vat_rate"].text.value = "250%"  # refused (at most 20%)
    shown_then = {k: dict(v) for k, v in ex.shown.items()}
    ex.scenario_name.value = "what_if_pay"
    ex.scenario_author.value = "Finance business partner"
    ex.scenario_note.value = "Pay award 3.6% & <b>late</b> trading income"
    ex.save_button.click()
    path = tmp_data / "scenarios" / "what_if_pay.yaml"
    assert "Saved" in ex.save_status.value and path.is_file()

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["author"] == "Finance business partner" and doc["note"] == "Pay award 3.6% & <b>late</b> trading income"
    assert doc["changes"] == {
        "all": {"pay_inflation": "3.6%", "energy_inflation": "5.25%", "current_service.fees_income_gbp": 5450000},
        "trading_company": {"staff_efficiency_rate": "6.1%", "one_off_costs.it_systems.amount_gbp": 312345.67,
                            "trading_start_year": "2029-30", "risks.commercial_income_slow.probability": "55%"},
    }

    fresh = load_appraisal(tmp_data)  # as `asdm run --scenario what_if_pay` loads it
    for which, option in (("option", "trading_company"), ("compare", "social_enterprise")):
        r = appraise(fresh, option, "obc", scenario="what_if_pay")
        assert r.scenario == "what_if_pay"
        assert {k: getattr(r, k) for k in SHOWN} == {k: shown_then[which][k] for k in SHOWN}
    # The repository's own data is untouched.
    assert not (LEISURE / "scenarios" / "what_if_pay.yaml").exists()


def test_saving_is_refused_before_anything_is_written(tmp_data):
    ex = explorer(tmp_data, "trading_company", "obc")
    sdir = tmp_data / "scenarios"
    before = sorted(p.name for p in sdir.iterdir())

    def attempt(name, author="A. Officer", note="why"):
        ex.scenario_name.value, ex.scenario_author.value, ex.scenario_note.value = name, author, note
        return ex.save_from_form()

    assert attempt("nothing_changed") is None and "nothing to save" in ex.save_status.value
    ex.controls["pay_inflation"].text.value = "4%"
    for name, why in [("base", "&#x27;base&#x27;"), ("../escape", "not valid"), ("", "not valid"),
                      ("pessimistic", "already exists"), ("Pessimistic", "already exists")]:
        assert attempt(name) is None, name
        assert "Not saved" in ex.save_status.value and why in ex.save_status.value, (name, ex.save_status.value)
    assert attempt("ok_name", author=" ") is None and "author is required" in ex.save_status.value
    assert attempt("ok_name", note="") is None and "note is required" in ex.save_status.value
    assert sorted(p.name for p in sdir.iterdir()) == before
    # Overwriting is allowed when asked for, and the file then holds the new changes.
    assert attempt("first") is not None
    ex.controls["pay_inflation"].text.value = "4.5%"
    assert attempt("first") is None
    ex.scenario_overwrite.value = True
    assert attempt("first") is not None
    assert load_appraisal(tmp_data).scenarios["first"].changes == {"all": {"pay_inflation": 0.045}}


def test_save_scenario_validates_paths_and_values(tmp_data):
    a = load_appraisal(tmp_data)
    bad = [
        ({"all": {"staff_efficiency_rate": 0.06}}, "cannot apply to all options"),
        ({"trading_company": {"pay_inflation": 0.04}}, "put it under 'all'"),
        ({"trading_company": {"staff_fte": -1.0}}, "below the smallest valid value 0"),
        ({"trading_company": {"irrecoverable_vat_rate": "30%"}}, "above the largest valid value 20%"),
        ({"trading_company": {"one_off_costs.nonexistent.amount_gbp": 1.0}}, "has no one_off_costs item"),
        ({"nobody": {"staff_fte": 1.0}}, "unknown option"),
        ({"all": {"pay_inflation": 4.0}}, "did you mean 4%?"),
    ]
    for changes, why in bad:
        with pytest.raises(ScenarioError, match=__import__("re").escape(why)):
            save_scenario(a, "bad", changes, author="x", note="y")
    assert not (tmp_data / "scenarios" / "bad.yaml").exists()
    # Data-unit values are accepted too, and the file loads back to the same model values.
    p = save_scenario(tmp_data, "mixed", {"all": {"pay_inflation": "4.25%"},
                                          "trading_company": {"go_live_year": "2028-29", "staff_efficiency_rate": 0.0612}},
                      author="x", note="y")
    got = load_appraisal(tmp_data).scenarios["mixed"].changes
    assert got == {"all": {"pay_inflation": 0.0425}, "trading_company": {"go_live_year": 2.0, "staff_efficiency_rate": 0.0612}}
    assert "go_live_year: 2028-29" in p.read_text()


def test_data_values_round_trip_exactly():
    rng = np.random.default_rng(5)
    for x in list(rng.uniform(-0.5, 1.0, 500)) + [0.036000000000000004, 0.1 + 0.2, 0.0325, 0.0]:
        v = data_value("rate", float(x), 2026)
        assert (parse_rate(v) if isinstance(v, str) else v) == float(x)
    assert data_value("rate", 0.055, 2026) == "5.5%"
    assert split_changes("o", {"current_service.staff_fte": 1.0, "staff_fte": 2.0}) == {
        "all": {"current_service.staff_fte": 1.0}, "o": {"staff_fte": 2.0}}


def test_names_from_the_data_are_escaped_in_the_headline(tmp_data):
    f = tmp_data / "options" / "trading_company.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("name: Council-owned leisure company (Teckal)",
                                                        "name: \"<script>alert(1)</script> Co\""), encoding="utf-8")
    e = explorer(tmp_data, "trading_company", "obc")
    assert "<script>" not in e.headline.value and "&lt;script&gt;" in e.headline.value


def test_saved_scenario_reproduces_the_explorer_through_asdm_run(tmp_data, tmp_path):
    """The acceptance check: `asdm run DATA --scenario NAME` reports exactly the figures the explorer showed."""
    import csv
    import subprocess
    import sys

    ex = explorer(tmp_data, "trading_company", "obc", compare_with="social_enterprise")
    ex.set_values({"pay_inflation": 0.041, "trading_income_gbp": 650000.0, "go_live_year": 2.0,
                   "risks.pool_plant_failure.probability": 0.45})
    shown_then = {k: dict(v) for k, v in ex.shown.items()}
    ex.save("late_go_live", author="Auditor check", note="reproduce through the batch")
    out = tmp_path / "reports"
    cmd = [sys.executable, "-m", "asdm_models.cli", "run", str(tmp_data), "--out", str(out), "--options",
           "trading_company,social_enterprise", "--stages", "obc", "--scenario", "late_go_live", "--draws", "200",
           "--jobs", "2", "--quiet"]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (summary,) = out.glob("example_leisure/2*/summary.csv")  # run folders, not the latest link
    with open(summary, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["scenario"] == "late_go_live" and r["stage"] == "obc"]
    by_option = {r["option"]: r for r in rows}
    for which, option in (("option", "trading_company"), ("compare", "social_enterprise")):
        row, want = by_option[option], shown_then[which]
        for k in ("npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp", "peak_funding_gbp"):
            assert float(row[k]) == want[k], (option, k, row[k], want[k])
        assert row["payback_year"] == (want["payback_year"] or "")
        assert row["breakeven_year"] == (want["breakeven_year"] or "")


# -- the dashboard: live Monte Carlo, undo/redo, scenarios ---------------------------------------------


def test_the_live_monte_carlo_is_monte_carlo_with_the_batchs_draws_and_seed(ex):
    from asdm_models import monte_carlo
    from asdm_models.dashboard import QUICK_DRAWS, QUICK_SEED

    ex.controls["pay_inflation"].value = 0.04
    assert ex.wait_for_monte_carlo(30)
    a = ex.appraisal
    mine = monte_carlo(a, "trading_company", "obc", draws=QUICK_DRAWS, seed=QUICK_SEED, overrides={"pay_inflation": 0.04})
    other = monte_carlo(a, "social_enterprise", "obc", draws=QUICK_DRAWS, seed=QUICK_SEED,
                        overrides={"pay_inflation": 0.04})
    assert ex.shown["option"]["p50_npsv_vs_no_change_gbp"] == mine.p50
    assert ex.shown["option"]["prob_beats_no_change"] == mine.prob_beats_no_change
    assert ex.shown["compare"]["p10_npsv_vs_no_change_gbp"] == other.p10
    assert "not assessed" not in ex.headline.value  # the gate's probabilistic tests are assessed
    assert f"{QUICK_DRAWS:,} draws" in ex.headline.value and "standard error" in ex.headline.value


def test_undo_and_redo_step_through_the_changes(ex):
    saved = ex.shown["option"]["npsv_vs_no_change_gbp"]
    ex.controls["pay_inflation"].value = 0.04
    ex.controls["staff_efficiency_rate"].value = 0.07
    both = ex.shown["option"]["npsv_vs_no_change_gbp"]
    assert ex.undo() and ex.overrides == {"pay_inflation": 0.04}
    assert ex.shown["option"]["npsv_vs_no_change_gbp"] == appraise(
        ex.appraisal, "trading_company", "obc", overrides={"pay_inflation": 0.04}).npsv_vs_no_change_gbp
    assert ex.undo() and ex.overrides == {} and ex.shown["option"]["npsv_vs_no_change_gbp"] == saved
    assert not ex.undo() and ex.undo_button.disabled
    assert ex.redo() and ex.redo() and not ex.redo()
    assert ex.overrides == {"pay_inflation": 0.04, "staff_efficiency_rate": 0.07}
    assert ex.shown["option"]["npsv_vs_no_change_gbp"] == both
    ex.reset()  # one step, like any other change
    assert ex.undo() and ex.overrides == {"pay_inflation": 0.04, "staff_efficiency_rate": 0.07}
    ex.controls["pay_inflation"].value = 0.05  # a new change after undo clears what could be redone
    assert not ex.redo()


def test_loading_a_scenario_sets_its_values_and_reproduces_its_figures(ex):
    missing = ex.load_scenario("optimistic")
    sc = ex.appraisal.scenarios["optimistic"].changes
    assert missing == []
    assert ex.overrides == {**sc["all"], **sc["trading_company"]}
    r = appraise(ex.appraisal, "trading_company", "obc", scenario="optimistic")
    assert shown(ex) == figures(r)
    assert "apply to those options only" in ex.status.value  # its changes for other options are said, not applied
    assert ex.undo() and ex.overrides == {}


def test_comparing_scenarios_in_the_explorer(ex):
    ex.controls["pay_inflation"].value = 0.04
    c = ex.compare(["base", "optimistic", "current"])
    assert c.labels == ["saved base", "Optimistic (optimistic)", "current settings"]
    assert c.headline["current settings"]["NPSV vs no change, adjusted"] == ex.shown["option"]["npsv_vs_no_change_gbp"]
    assert "Pay inflation" in list(c.drivers["label"])
    assert "Drivers that differ" in ex.comparison_html.value and "4%" in ex.comparison_html.value


def test_headline_frame_holds_the_numbers_shown(ex):
    assert ex.wait_for_monte_carlo(30)
    f = ex.headline_frame.set_index("figure")
    r = appraise(ex.appraisal, "trading_company", "obc")
    assert f.loc["NPSV vs no change, adjusted", r.name] == r.npsv_vs_no_change_gbp
    assert f.loc["P50 NPSV (Monte Carlo)", r.name] == ex.mc["p50_npsv_vs_no_change_gbp"]
