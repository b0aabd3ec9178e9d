"""Portfolios: loading and validation, the combined figures, common random numbers across appraisals, chunking.

The run tests (local pool and Dask, verify) are at the end; they share one pair of runs at module scope.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.errors import DataErrors
from asdm_models.montecarlo import CHUNK, driver_uniforms, monte_carlo, monte_carlo_block
from asdm_models.portfolio import (combined_monte_carlo, draw_ranges, load_portfolio, merge_draws, portfolio_figures,
                                   prob_meets_target, variance_shares)

DATA = PROJECT_ROOT / "tests" / "data"
EXAMPLE = PROJECT_ROOT / "data" / "example_portfolio"
THREE = DATA / "portfolio_three"
SEED = 20261125


@pytest.fixture(scope="module")
def three():
    return load_portfolio(THREE)


@pytest.fixture(scope="module")
def example():
    return load_portfolio(EXAMPLE)


def write_portfolio(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "portfolio.yaml").write_text(body, encoding="utf-8")
    return folder


LEISURE = PROJECT_ROOT / "data" / "example_leisure"
DEPOT = PROJECT_ROOT / "data" / "example_depot"
SMALL = DATA / "portfolio_small"


# --------------------------------------------------------------------------------------------- validation
def test_disagreeing_shared_assumptions_are_an_error_naming_both_files_and_values():
    with pytest.raises(DataErrors) as e:
        load_portfolio(DATA / "portfolio_disagree")
    lines = [str(x) for x in e.value.errors]
    pay = [x for x in lines if "pay_inflation disagrees" in x]
    assert len(pay) == 1 and "\n" not in pay[0]
    # both files, both figures (leisure 3.0%, depot 2.8%), and how to settle it
    assert "example_leisure/appraisal.yaml economy.pay_inflation is 3%" in pay[0]
    assert "example_depot/appraisal.yaml economy.pay_inflation is 2.8%" in pay[0]
    assert "wins:" in pay[0] and pay[0].startswith("portfolio_disagree/portfolio.yaml")
    # gdp_deflator (2.0% in both) and CPI (2.0% in both) agree, so they are not reported
    assert not any("gdp_deflator" in x or "cpi_inflation" in x for x in lines)
    assert any("rank correlations among the shared drivers disagree" in x for x in lines)


def test_wins_settles_a_disagreement_and_the_winning_figure_is_used(example):
    depot_entry = example.entries[1]
    assert depot_entry.id == "example_depot"
    own = load_appraisal(DEPOT)
    assert own.economy["pay_inflation"].value == 0.028  # the depot's own data is not changed
    assert depot_entry.resolved.economy["pay_inflation"].value == 0.03
    assert depot_entry.resolved.uncertain["pay_inflation"] == load_appraisal(LEISURE).uncertain["pay_inflation"]
    assert [c[0] for c in depot_entry.changed] == ["pay_inflation", "price_inflation", "energy_inflation", "correlations"]
    assert example.entries[0].changed == ()  # the leisure figures won: nothing changed there
    # Independent: the depot appraised with the leisure figures stated as overrides gives the same NPSV.
    fixed = appraise(own, "shared_service", "obc",
                     overrides={"pay_inflation": 0.03, "price_inflation": 0.025, "energy_inflation": 0.035})
    res = appraise(depot_entry.resolved, "shared_service", "obc")
    assert res.npsv_vs_no_change_gbp == pytest.approx(fixed.npsv_vs_no_change_gbp, rel=1e-12)
    assert res.npsv_vs_no_change_gbp != pytest.approx(appraise(own, "shared_service", "obc").npsv_vs_no_change_gbp)


@pytest.mark.parametrize("body, expect", [
    ("appraisals:\n  - {{path: {leisure}, option: teckal_company}}\n",
     ["'teckal_company' is not an option of example_leisure", "its options are: no_change, in_house_redesign"]),
    ("appraisals:\n  - {{path: {data}, option: x}}\n", ["is not an appraisal folder (no appraisal.yaml in"]),
    ("appraisals:\n  - {{path: {leisure}, option: trading_company}}\n  - {{path: {leisure}, option: outsourcing}}\n",
     ["appraisals[#2].path", "is listed twice (also appraisals[#1])"]),
    ("appraisals:\n  - {{path: {leisure}, option: no_change}}\n", ["is example_leisure's no change"]),
    ("appraisals:\n  - {{path: {leisure}, option: trading_company, stage: gbc}}\n", ["must be one of obc, fbc"]),
    ("appraisals:\n  - {{path: {leisure}, option: trading_company}}\nshared_assumptions: [pay_inflation, wages]\n",
     ["'wages' is not an economy driver"]),
    ("appraisals:\n  - {{path: {leisure}, option: trading_company}}\nwins: {{pay_inflation: {{from: {depot}}}}}\n",
     ["is not one of the portfolio's appraisals"]),
    ("appraisals:\n  - {{path: {leisure}, option: trading_company}}\nsavings_target: {{annual_gbp: 1, from_year: 2099-00}}\n",
     ["2099-00 is outside the portfolio's years (2026-27 to 2035-36)"]),
])
def test_bad_portfolio_files_get_one_line_naming_the_file_and_field(tmp_path, body, expect):
    head = "portfolio: t\ntitle: T\n"
    folder = write_portfolio(tmp_path / "p", head + body.format(leisure=LEISURE, depot=DEPOT, data=PROJECT_ROOT / "data"))
    with pytest.raises(DataErrors) as e:
        load_portfolio(folder)
    text = [str(x) for x in e.value.errors]
    assert all("\n" not in t and t.startswith("p/portfolio.yaml:") for t in text), text
    for want in expect:
        assert any(want in t for t in text), (want, text)


def test_appraisals_whose_years_do_not_overlap_are_refused(tmp_path):
    # A copy of the small appraisal moved 20 years on: no financial year in common with the leisure example.
    late = tmp_path / "late"
    import shutil

    shutil.copytree(SMALL, late)
    text = (late / "appraisal.yaml").read_text().replace("first_year: 2027-28", "first_year: 2047-48")
    (late / "appraisal.yaml").write_text(text.replace("price_base: 2027-28", "price_base: 2047-48")
                                         .replace("from_year: 2029-30", "from_year: 2049-50"))
    for f in (late / "options").glob("*.yaml"):  # every year of the options 20 years on
        import re

        f.write_text(re.sub(r"\b(20\d\d)-(\d\d)\b", lambda m: f"{int(m[1]) + 20}-{(int(m[1]) + 21) % 100:02d}",
                            f.read_text()))
    folder = write_portfolio(tmp_path / "p", f"portfolio: t\ntitle: T\nappraisals:\n  - {{path: {LEISURE}, option: "
                                             f"trading_company}}\n  - {{path: {late}, option: in_house_redesign}}\n")
    with pytest.raises(DataErrors) as e:
        load_portfolio(folder)
    assert any("periods have no year in common (example_leisure 2026-27 to 2035-36; portfolio_small 2047-48 to "
               "2052-53)" in str(x) for x in e.value.errors)


def test_years_line_up_by_financial_year(three):
    # The small appraisal starts a year later (2027-28) and runs six years: the common window is its years.
    assert three.years[0] == "2026-27" and three.years[-1] == "2065-66"  # the depot runs 40 years
    assert three.common_years == [f"{y}-{(y + 1) % 100:02d}" for y in range(2027, 2033)]
    assert [three.years[i] for i in three.target_years] == ["2029-30", "2030-31", "2031-32", "2032-33"]


# --------------------------------------------------------------------------------------------- combined figures
@pytest.fixture(scope="module")
def figures(three):
    return portfolio_figures(three, draws=3000, seed=SEED)


def test_combined_budget_by_year_is_the_sum_of_each_appraisals_financial_case(three, figures):
    # Independent: each appraisal's own financial-case row, read by year label, summed.
    expected: dict = {}
    for e in three.loaded:
        fc = appraise(e.resolved, e.option, e.stage).financial_case
        for year, v in fc.loc["saving_vs_no_change_nominal_gbp"].items():
            expected[year] = expected.get(year, 0.0) + v
    combined = figures.combined_saving_gbp
    assert list(combined.index) == sorted(expected)
    for year, v in expected.items():
        assert combined[year] == pytest.approx(v, rel=1e-12, abs=1e-6)
    assert figures.covered_by["2026-27"] == 2 and figures.covered_by["2027-28"] == 3 and figures.covered_by["2040-41"] == 1
    # one-off costs: the peak year is the year of the largest combined one-off cost
    one_off = {}
    for e in three.loaded:
        fc = appraise(e.resolved, e.option, e.stage).financial_case
        for year, v in fc.loc["one_off_costs_nominal_gbp"].items():
            one_off[year] = one_off.get(year, 0.0) + v
    year, amount = figures.peak_one_off
    assert year == min(one_off, key=one_off.get) and amount == pytest.approx(-one_off[year])


def test_present_values_are_restated_at_the_portfolio_base(three, figures):
    # portfolio_small starts one year later at prices one year later: one more year of STPR discounting (3.5%) and
    # one year of GDP deflator (2%). Independent of rebase_factor: the formula written out.
    from asdm_models.portfolio import summary_frame

    df = summary_frame(figures).set_index("appraisal")
    small = df.loc["portfolio_small"]
    assert small["npsv_vs_no_change_at_portfolio_base_gbp"] == pytest.approx(
        small["npsv_vs_no_change_gbp"] / 1.035 / 1.02, rel=1e-12)
    leisure = df.loc["example_leisure"]
    assert leisure["npsv_vs_no_change_at_portfolio_base_gbp"] == leisure["npsv_vs_no_change_gbp"]
    assert df.loc["portfolio_three", "npsv_vs_no_change_at_portfolio_base_gbp"] == pytest.approx(
        df["npsv_vs_no_change_at_portfolio_base_gbp"].iloc[:3].sum(), rel=1e-12)


def test_variance_shares_sum_to_one_and_are_the_covariance_contribution(figures):
    x = figures.mc.rebased_npsv_gbp
    shares = variance_shares(x)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    s = x.sum(axis=0)
    # Independent: numpy's covariance, one appraisal at a time.
    for i in range(x.shape[0]):
        assert shares[i] == pytest.approx(np.cov(x[i], s)[0, 1] / np.var(s, ddof=1), rel=1e-9)
    # the depot's 40-year case carries most of the spread of the total
    assert max(figures.variance_shares, key=figures.variance_shares.get) == "example_depot"


def test_probability_of_meeting_the_target_counts_draws_meeting_it_in_every_target_year(three, figures):
    mc = figures.mc
    a, _ = three.common
    ty = [i - a for i in three.target_years]
    target = three.target_nominal_gbp[a:a + mc.saving_nominal_gbp.shape[1]]
    # Independent: count the draws one target year at a time.
    ok = np.ones(mc.draws, dtype=bool)
    for j in ty:
        ok &= mc.saving_nominal_gbp[:, j] >= target[j]
    p, by = figures.prob_meets_target
    assert p == ok.sum() / mc.draws
    assert 0.0 < p < min(by[j] for j in ty)  # every year must hold, so less likely than any one year
    assert prob_meets_target(mc.saving_nominal_gbp, target, [])[0] is None


# --------------------------------------------------------------------------------------------- common random numbers
def test_two_identical_appraisals_give_exactly_twice_one_appraisals_draws(example):
    leisure = example.entries[0]
    twice = dataclasses.replace(example, entries=(leisure, leisure))
    draws = 5000
    mc = combined_monte_carlo(twice, draws, SEED)
    one = monte_carlo_block(leisure.resolved, leisure.option, leisure.stage, SEED, 0, draws, crn_key=example.crn_key,
                            crn_paths=example.shared)
    np.testing.assert_array_equal(mc.combined_npsv_gbp, 2 * one.npsv_vs_no_change_gbp)
    a, b = example.common
    np.testing.assert_array_equal(mc.saving_nominal_gbp, 2 * one.saving_nominal_gbp[:, a:b + 1])


def test_shared_drivers_take_the_same_uniform_in_every_appraisal(three):
    draws = 4000
    blocks = {e.id: monte_carlo_block(e.resolved, e.option, e.stage, SEED, 0, draws, crn_key=three.crn_key,
                                      crn_paths=three.shared) for e in three.loaded}
    pay = [b.uniforms["pay_inflation"] for b in blocks.values()]
    for u in pay[1:]:
        np.testing.assert_array_equal(u, pay[0])
    energy = [b.uniforms["energy_inflation"] for b in blocks.values()]
    for u in energy[1:]:
        np.testing.assert_array_equal(u, energy[0])
    # ... and so the same pay award: the same distribution (leisure's won) turns the same uniform into the same value
    np.testing.assert_array_equal(blocks["example_depot"].driver_values["pay_inflation"],
                                  blocks["example_leisure"].driver_values["pay_inflation"])
    # The rank correlation the portfolio states (0.4, leisure's) holds between the shared drivers.
    rho = stats.spearmanr(pay[0], energy[0])[0]
    assert rho == pytest.approx(0.4, abs=0.04)
    # Each appraisal's own drivers keep their own streams: the leisure fees are drawn exactly as in its own report
    # (an uncorrelated driver: its raw stream, keyed by the appraisal), and differ from the small copy's.
    fees = "current_service.fees_income_gbp"
    np.testing.assert_array_equal(blocks["example_leisure"].uniforms[fees],
                                  driver_uniforms(SEED, "example_leisure", fees, draws))
    assert not np.array_equal(blocks["example_leisure"].uniforms[fees], blocks["portfolio_small"].uniforms[fees])
    # Without the portfolio's key, pay inflation is the appraisal's own stream: not the portfolio's draws.
    own = monte_carlo_block(three.loaded[0].resolved, "trading_company", "obc", SEED, 0, draws)
    assert not np.array_equal(own.uniforms["pay_inflation"], pay[0])


def test_an_appraisals_own_correlation_with_a_shared_driver_leaves_the_shared_draws_alone(three):
    # Correlate the small appraisal's fees with pay inflation (rank 0.5): the shared pay draws must not move (they are
    # conditioned on, not mixed), and the stated correlation must hold.
    draws = 8000
    small = three.loaded[2].resolved
    linked = dataclasses.replace(small, correlations=small.correlations + ((("pay_inflation", "fees_income_gbp"), 0.5),),
                                 cache={})
    a = monte_carlo_block(small, "in_house_redesign", "fbc", SEED, 0, draws, crn_key=three.crn_key, crn_paths=three.shared)
    b = monte_carlo_block(linked, "in_house_redesign", "fbc", SEED, 0, draws, crn_key=three.crn_key,
                          crn_paths=three.shared)
    np.testing.assert_array_equal(a.uniforms["pay_inflation"], b.uniforms["pay_inflation"])
    np.testing.assert_array_equal(a.uniforms["energy_inflation"], b.uniforms["energy_inflation"])
    fees = "current_service.fees_income_gbp"
    assert stats.spearmanr(b.uniforms["pay_inflation"], b.uniforms[fees])[0] == pytest.approx(0.5, abs=0.04)
    # a pair the data does not correlate stays uncorrelated, as in the appraisal's own copula (0 in the matrix)
    assert abs(stats.spearmanr(b.uniforms["energy_inflation"], b.uniforms[fees])[0]) < 0.04


def test_default_keying_is_the_single_appraisal_monte_carlo(three):
    # monte_carlo_block without a portfolio key is monte_carlo's draws (the PV summed by year: equal to rounding).
    leisure = load_appraisal(LEISURE)
    mc = monte_carlo(leisure, "trading_company", "obc", draws=3000, seed=SEED)
    blk = monte_carlo_block(leisure, "trading_company", "obc", SEED, 0, 3000)
    np.testing.assert_allclose(blk.npsv_vs_no_change_gbp, mc.npsv_vs_no_change_gbp, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(blk.council_npv_vs_no_change_gbp, mc.council_npv_vs_no_change_gbp, rtol=1e-9, atol=1e-3)


def test_draws_split_in_chunks_give_exactly_the_one_pass_numbers(three):
    draws = 2 * CHUNK + 700
    whole = combined_monte_carlo(three, draws, SEED)
    ranges = draw_ranges(draws, 3)
    assert len(ranges) == 3 and all(a % CHUNK == 0 for a, _ in ranges)
    parts = [combined_monte_carlo(three, draws, SEED, start=a, stop=b) for a, b in reversed(ranges)]
    joined = merge_draws(parts)
    for name in ("npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp", "rebase", "saving_nominal_gbp"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))
