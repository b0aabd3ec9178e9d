"""The tests of an appraised option beyond its economic figures (asdm_models.case_tests), each by hand.

Sources: Subsidy Control Act 2022 ss2-3 (the implied subsidy of a below-market loan); HMRC VAT partial exemption
guidance PE62250 (5% of total input VAT or £625 a month, whichever is greater; a breach makes all exempt input VAT
irrecoverable); Procurement Act 2023 Sch 2 para 2 and Procurement Regulations 2024 reg 42A (Teckal: more than 80% of
turnover, averaged over three years); HM Treasury Green Book (2026) (long-horizon discount schedule beyond 50 years;
value-for-money category from the appraisal summary table, never a BCR alone).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from asdm_models import appraise, load_appraisal
from asdm_models.case_tests import (case_tests, gains_and_costs, rule_words, teckal_sentence, teckal_turnover,
                                    vat_sentence)
from asdm_models.errors import DataErrors
from asdm_models.reference import PROJECT_ROOT, default_reference

LEISURE = PROJECT_ROOT / "data" / "example_leisure"
DEPOT = PROJECT_ROOT / "data" / "example_depot"


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(LEISURE)


def test_subsidy_of_the_trading_company_loan_by_hand(leisure):
    # £400,000 lent for 5 years at 2% against a market rate of 6.1%, interest-only (repaid at the end):
    # 400,000 x 4.1% = £16,400 of interest not charged a year, discounted at the market rate.
    t = case_tests(leisure, appraise(leisure, "trading_company", "fbc"))
    by_hand = sum(16_400 / 1.061 ** y for y in range(1, 6))
    assert t.implied_subsidy_gbp == pytest.approx(by_hand, abs=0.01)
    assert round(by_hand, 2) == 68_895.24
    assert t.metrics()["implied_subsidy_gbp"] == t.implied_subsidy_gbp


def test_loan_at_the_market_rate_implies_no_subsidy(leisure):
    t = case_tests(leisure, appraise(leisure, "social_enterprise", "fbc"))  # 6.1% against 6.1%
    assert t.implied_subsidy_gbp == 0.0


def test_vat_partial_exemption_of_each_option_by_hand(leisure):
    # The council: £5,200,000 of input VAT a year, £236,000 exempt (4.54%: within 5% = £260,000).
    # In-house redesign adds £64,000 of exempt input VAT in 2027-28 (VAT on the energy works at the centres):
    # total 5,264,000, exempt 300,000 > max(5% x 5,264,000 = 263,200, 12 x 625 = 7,500): a breach, and all
    # £300,000 of exempt input VAT that year is lost.
    t = case_tests(leisure, appraise(leisure, "in_house_redesign", "fbc"))
    row = t.vat.set_index("year").loc["2027-28"]
    assert row["total_input_vat_gbp"] == 5_264_000 and row["exempt_input_vat_gbp"] == 300_000
    assert row["limit_gbp"] == pytest.approx(263_200) and bool(row["breach"])
    assert t.vat_cost_gbp == 300_000 and t.vat_first_breach_year == "2027-28"
    assert not t.vat.set_index("year").loc["2026-27", "breach"]
    # The trading company takes the service's VAT with it from go-live (2027-28): the council's total falls by the
    # service's £910,000 to £4,290,000 and its exempt VAT by £171,000 to £65,000 (1.52%).
    t = case_tests(leisure, appraise(leisure, "trading_company", "fbc"))
    row = t.vat.set_index("year").loc["2028-29"]
    assert row["total_input_vat_gbp"] == 4_290_000 and row["exempt_input_vat_gbp"] == 65_000
    assert row["exempt_share"] == pytest.approx(65_000 / 4_290_000)
    assert t.vat_cost_gbp == 0.0


def test_teckal_turnover_is_the_entitys_income_less_external_trading(leisure):
    r = appraise(leisure, "trading_company", "fbc")
    council, total = teckal_turnover(r)
    lines = r.lines[r.lines["party"] == "provider"].groupby("line")[r.years].sum()
    g = r.inputs.values["gdp_deflator"]
    nominal = lines.to_numpy() * (1 + g) ** np.arange(len(r.years))
    income = np.clip(nominal, 0, None).sum(axis=0)
    trading = np.clip(nominal[list(lines.index).index("trading_income")], 0, None)
    np.testing.assert_allclose(total, income)
    np.testing.assert_allclose(council, income - trading)
    t = case_tests(leisure, r)
    # 2029-30: the share over 2027-28 to 2029-30 is the ratio of the sums, by hand from the yearly figures
    yrs = ["2027-28", "2028-29", "2029-30"]
    idx = [r.years.index(y) for y in yrs]
    by_hand = council[idx].sum() / total[idx].sum()
    assert t.teckal.set_index("year").loc["2029-30", "share_window_average"] == pytest.approx(by_hand)
    assert t.teckal_first_failure_year is None and t.teckal_years_failing == 0


def _grow_external_trading(data: Path) -> Path:
    """The trading company of a copy of the leisure example trading £3m a year with others (not £800,000)."""
    f = data / "options" / "trading_company.yaml"
    text = f.read_text().replace("trading_income_gbp: {value: 800000,", "trading_income_gbp: {value: 3000000,")
    text = text.replace("trading_income_gbp: {distribution: pert, low: 300000, mode: 800000, high: 1100000}",
                        "trading_income_gbp: {distribution: pert, low: 2000000, mode: 3000000, high: 3500000}")
    f.write_text(text)
    return data


def test_teckal_fails_when_external_trading_grows(tmp_path):
    # The same company trading £3m a year with others: from go-live its turnover for the council is about £9.6m,
    # so external trading of about a quarter of the total breaks the 80% test within three years of starting.
    data = tmp_path / "example_leisure"
    shutil.copytree(LEISURE, data)
    (data / "decisions.yaml").unlink()
    a = load_appraisal(_grow_external_trading(data))
    r = appraise(a, "trading_company", "obc")
    t = case_tests(a, r)
    council, total = teckal_turnover(r)
    share = t.teckal.set_index("year")["share_window_average"]
    first = next(y for y, s in share.items() if s <= 0.8)
    assert t.teckal_first_failure_year == first
    assert t.teckal_years_failing == int((share <= 0.8).sum()) > 0
    assert "fail" in set(t.teckal["result"])


def test_value_for_money_reads_gains_against_added_costs(leisure):
    for option in ("in_house_redesign", "trading_company", "outsourcing"):
        for stage in ("obc", "fbc"):
            r = appraise(leisure, option, stage)
            gains, costs = gains_and_costs(r)
            # line by line, what the option gains less what it adds is its NPSV against no change
            assert gains - costs == pytest.approx(r.npsv_vs_no_change_gbp, abs=0.01)
            t = case_tests(leisure, r)
            assert t.vfm_ratio == pytest.approx(gains / costs)
            bands = [(4.0, "very_high"), (2.0, "high"), (1.5, "medium"), (1.0, "low")]
            expected = next((n for lo, n in bands if t.vfm_ratio >= lo), "poor") if r.npsv_vs_no_change_gbp >= 0 \
                else "poor"
            assert t.vfm.monetised_category == expected, (option, stage, t.vfm_ratio)


def test_long_horizon_sensitivity_for_appraisals_beyond_50_years(tmp_path):
    data = tmp_path / "example_depot"
    shutil.copytree(DEPOT, data)
    f = data / "appraisal.yaml"
    f.write_text(f.read_text().replace("period_years: 40", "period_years: 60"))
    a = load_appraisal(data)
    r = appraise(a, "in_house_redesign", "fbc")
    t = case_tests(a, r)
    # By hand: the Green Book 2026 long-horizon schedule, 3.00% for years 0-30 and 2.57% from 31, each band
    # compounding on the last factor of the band before; the option's economic flows against no change.
    f_long = np.ones(60)
    for y in range(1, 60):
        f_long[y] = f_long[y - 1] / (1.03 if y <= 30 else 1.0257)
    nc = appraise(a, "no_change", "fbc")

    def economic(res):
        rows = res.lines[~res.lines["kind"].isin(["transfer", "internal"])]
        return rows[res.years].to_numpy().sum(axis=0)

    by_hand = float((economic(r) - economic(nc)) @ f_long)
    assert t.long_horizon_schedule == "long_horizon_2026"
    assert t.long_horizon_npsv_vs_no_change_gbp == pytest.approx(by_hand, rel=1e-9)
    assert t.long_horizon_npsv_vs_no_change_gbp != pytest.approx(r.npsv_vs_no_change_gbp)
    # 40 years (the example as bundled) is not beyond 50: no long-horizon figure
    assert case_tests(load_appraisal(DEPOT), appraise(load_appraisal(DEPOT), "in_house_redesign", "fbc")) \
        .long_horizon_npsv_vs_no_change_gbp is None


def test_pension_arrangement_applies_where_staff_transfer(leisure):
    t = case_tests(leisure, appraise(leisure, "outsourcing", "fbc"))
    assert t.pension_applies and t.pension_name == "admission_agreement_pass_through"
    assert t.metrics()["pension_arrangement_stated"] == 1.0
    t = case_tests(leisure, appraise(leisure, "in_house_redesign", "fbc"))
    assert not t.pension_applies and t.metrics()["pension_arrangement_stated"] is None


def _write_gate(tmp_path, metric_line: str) -> Path:
    data = tmp_path / "example_leisure"
    shutil.copytree(LEISURE, data)
    (data / "decisions.yaml").unlink()
    f = data / "appraisal.yaml"
    text = f.read_text()
    anchor = "  fbc:\n    - {metric: p50_npsv_vs_no_change_gbp, min: 0, required: true}\n"
    assert anchor in text
    f.write_text(text.replace(anchor, anchor + metric_line + "\n"))
    return data


def test_a_bcr_is_never_a_gate_test_on_its_own(tmp_path):
    data = _write_gate(tmp_path, "    - {metric: bcr, min: 1.5, required: true}")
    with pytest.raises(DataErrors) as e:
        load_appraisal(data)
    msg = str(e.value)
    assert "appraisal.yaml" in msg and "gates.fbc" in msg and "never a pass/fail test on its own" in msg
    assert "value_for_money" in msg


def test_value_for_money_gate_names_a_category(tmp_path):
    data = _write_gate(tmp_path, "    - {metric: value_for_money, min: good, required: true}")
    with pytest.raises(DataErrors) as e:
        load_appraisal(data)
    assert "'good' is not a value-for-money category" in str(e.value) and "very_high" in str(e.value)
    data = _write_gate(tmp_path / "b", "    - {metric: value_for_money, min: high, required: true}")
    a = load_appraisal(data)
    test = next(t for t in a.gates["fbc"] if t.metric == "value_for_money" and t.required)
    assert test.min == 3.0  # poor 0, low 1, medium 2, high 3, very high 4


def test_gate_metrics_reach_the_gate_and_summary(leisure):
    from asdm_models.business_case import summary_row

    r = appraise(leisure, "trading_company", "fbc")
    row, gate = summary_row(leisure, r, None)
    tests = gate.tests.set_index("metric")
    assert tests.loc["implied_subsidy_gbp", "result"] == "fail"  # a loan below the market rate: flagged
    assert tests.loc["teckal_years_failing", "result"] == "pass"
    assert tests.loc["pension_arrangement_stated", "result"] == "pass"
    assert row["vfm_category"] == case_tests(leisure, r).vfm.category
    assert row["implied_subsidy_gbp"] == pytest.approx(68_895.24, abs=0.01)
    r = appraise(leisure, "in_house_redesign", "fbc")
    row, gate = summary_row(leisure, r, None)
    tests = gate.tests.set_index("metric")
    assert tests.loc["vat_partial_exemption_cost_gbp", "result"] == "fail"
    assert tests.loc["teckal_years_failing", "result"] == "n/a"  # no company
    assert tests.loc["pension_arrangement_stated", "result"] == "n/a"  # no transfer


# ------------------------------------------------------------------------------------------------
# The report sentences: figures, years and costs, and the rules' figures from the reference data
# ------------------------------------------------------------------------------------------------


def _first_failure_by_hand(r, threshold: float, window: int) -> tuple[str, float]:
    """The first year the share of turnover for the council (a ratio of sums over the window) is not more than the
    threshold, and the lowest share: Procurement Act 2023 Sch 2 para 2(2)(c), Procurement Regulations 2024 reg 42A."""
    council, total = teckal_turnover(r)
    shares = {}
    for i, year in enumerate(r.years):
        lo = max(0, i - window + 1)
        if total[lo:i + 1].sum() > 0:
            shares[year] = council[lo:i + 1].sum() / total[lo:i + 1].sum()
    return next(y for y, s in shares.items() if s <= threshold), min(shares.values())


def test_the_sentences_state_the_year_the_figures_and_the_cost(tmp_path):
    # Teckal: the company trading £3m a year with others (as above), against more than 80% over three years.
    data = tmp_path / "example_leisure"
    shutil.copytree(LEISURE, data)
    (data / "decisions.yaml").unlink()
    a = load_appraisal(_grow_external_trading(data))
    r = appraise(a, "trading_company", "obc")
    first, lowest = _first_failure_by_hand(r, 0.8, 3)
    assert first == "2031-32"
    s = teckal_sentence(case_tests(a, r))
    assert s.startswith(f"The company fails the Teckal test from {first}: ")
    assert f"averaged over three years, falls to {lowest:.1%}, not more than 80%. " in s
    # VAT: in-house redesign in 2027-28, £300,000 exempt of £5,264,000 (5.70%) > max(5% = £263,200, 12 x £625):
    # the only year in breach, and all £300,000 is lost (HMRC PE62250).
    s = vat_sentence(case_tests(a, appraise(a, "in_house_redesign", "fbc")))
    assert s.startswith("The council breaches the VAT partial-exemption limit of 5% (or £625 a month) in 2027-28: ")
    assert f"its exempt input VAT that year is {300_000 / 5_264_000:.2%} of its total" in s and "5.70%" in s
    assert "all of it becomes irrecoverable, £300,000 over the period" in s
    # passing: the company as bundled (lowest share 92.4%), and the council within the limit (4.54% in 2026-27)
    s = teckal_sentence(case_tests(a, appraise(load_appraisal(LEISURE), "trading_company", "obc")))
    assert "averaged over three years, is for the council (the Act requires more than 80%)." in s
    s = vat_sentence(case_tests(a, appraise(a, "trading_company", "fbc")))
    assert s.endswith(f"at most {236_000 / 5_200_000:.2%} of its total (2026-27), against 5% (or £625 a month).")


def _changed_rules(tmp_path) -> Path:
    """A tree with its own reference data, Teckal more than 85% over two years and VAT 4% or £500 a month, and the
    leisure example twice: as bundled and with the company trading £3m a year with others."""
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    p = tmp_path / "reference" / "local_government.yaml"
    text = p.read_text(encoding="utf-8")
    for old, new in (("threshold: 80%", "threshold: 85%"), ("window_years: 3", "window_years: 2"),
                     ("share_limit: 5%", "share_limit: 4%"), ("monthly_limit_gbp: 625", "monthly_limit_gbp: 500")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    p.write_text(text, encoding="utf-8")
    for name in ("as_bundled", "grown"):
        shutil.copytree(LEISURE, tmp_path / name)
        (tmp_path / name / "decisions.yaml").unlink()
    f = tmp_path / "grown" / "appraisal.yaml"  # an OBC Teckal gate without a description of its own
    anchor = "  fbc:\n    - {metric: p50_npsv_vs_no_change_gbp, min: 0, required: true}\n"
    assert f.read_text().count(anchor) == 1
    gate = "    - {metric: teckal_years_failing, max: 0, required: false}\n"
    f.write_text(f.read_text().replace(anchor, gate + anchor))
    _grow_external_trading(tmp_path / "grown")
    return tmp_path


def test_the_sentences_follow_the_reference_figures(tmp_path):
    tree = _changed_rules(tmp_path)
    a = load_appraisal(tree / "grown")
    rules = a.reference.local_government
    assert (rules.teckal_threshold, rules.teckal_window_years, rules.vat_share_limit, rules.vat_monthly_limit_gbp) \
        == (0.85, 2, 0.04, 500.0)
    # Teckal, more than 85% over two years: the same company fails a year earlier than against 80% over three
    r = appraise(a, "trading_company", "obc")
    t = case_tests(a, r)
    first, lowest = _first_failure_by_hand(r, 0.85, 2)
    assert first == "2030-31" and t.teckal_first_failure_year == first
    s = teckal_sentence(t)
    assert s.startswith(f"The company fails the Teckal test from {first}: ")
    assert f"averaged over two years, falls to {lowest:.1%}, not more than 85%. " in s
    assert "80%" not in s and "three years" not in s
    s = teckal_sentence(case_tests(a, appraise(load_appraisal(tree / "as_bundled"), "trading_company", "obc")))
    assert "averaged over two years, is for the council (the Act requires more than 85%)." in s
    # the gate's description, where the data states none, names the threshold of the reference data
    gate = next(g for g in a.gates["obc"] if g.metric == "teckal_years_failing")
    assert gate.description.endswith("more than 85% of its turnover for the council") and "80%" not in gate.description
    # VAT, 4% or £500 a month: in-house redesign breaches in every year, 236,000 / 5,200,000 = 4.54% > 4% (limit
    # £208,000 > 12 x £500) and 5.70% in 2027-28, so all of it is lost: 9 x £236,000 + £300,000 = £2,424,000.
    t = case_tests(a, appraise(a, "in_house_redesign", "fbc"))
    assert t.vat["breach"].all() and t.vat_cost_gbp == 9 * 236_000 + 300_000
    s = vat_sentence(t)
    assert s.startswith("The council breaches the VAT partial-exemption limit of 4% (or £500 a month) in 2026-27 "
                        "and 9 later years: its exempt input VAT in 2026-27 is 4.54% of its total")
    assert "£2,424,000 over the period" in s and "5%" not in s and "£625" not in s
    # the trading company takes the service's VAT from go-live (1.52% after): only 2026-27 is in breach, £236,000
    s = vat_sentence(case_tests(a, appraise(a, "trading_company", "fbc")))
    assert s.startswith("The council breaches the VAT partial-exemption limit of 4% (or £500 a month) in 2026-27: ")
    assert "that year is 4.54% of its total, and all of it becomes irrecoverable, £236,000 over the period" in s


def test_rule_words_of_other_figures():
    w = rule_words()  # the project's reference data
    assert (w.teckal_threshold, w.teckal_window, w.vat_limit) == ("80%", "three years", "5% (or £625 a month)")
    rules = dataclasses.replace(default_reference().local_government, teckal_threshold=0.825, teckal_window_years=1,
                                vat_share_limit=0.045, vat_monthly_limit_gbp=1_000.0)
    w = rule_words(rules)
    assert (w.teckal_threshold, w.teckal_window_years, w.teckal_window) == ("82.5%", 1, "one year")
    assert (w.vat_share_limit, w.vat_monthly_limit, w.vat_limit) == ("4.5%", "£1,000", "4.5% (or £1,000 a month)")
