"""Tests for asdm_models.realisation: outturn against the full business case, RAG, re-forecast, objectives.

The fixture tests/data/launched is data/example_leisure with two options, the trading company launched in
2027-28 (go-live year 1), and two years of invented outturn in actuals/. Its business case (FBC) figures
used below come from the model (the GDP deflator is 2%, the Green Book rate 3.5%):

* 2026-27 (year 0, the current service): nominal = real; e.g. energy forecast -950,000, one-off costs
  -690,000 (140,000 + 245,000 tendered IT + 210,000 + 95,000), optimism bias on revenue -117,600 and the
  council's risk allowance -11,316.67 (the pool-plant risk, 35% x the triangular mean of 120k/250k/600k
  = 0.35 x 323,333.33 = 113,166.67 over ten years).
* 2027-28 (year 1, the company's first year): nominal = real x 1.02; e.g. stranded overheads
  -180,000 x 1.02 = -183,600 (the full amount in the go-live year), management fee -3,600,000 x 1.02 =
  -3,672,000.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.discounting import to_nominal
from asdm_models.errors import DataError
from asdm_models.realisation import (DEFAULT_TOLERANCE, Tolerance, actuals_figure, load_actuals, rag_status,
                                     realisation, realisation_rows, realisation_text, reforecast_npv,
                                     replace_actual_years, trajectory, variance_figure, variance_share)

LAUNCHED = PROJECT_ROOT / "tests" / "data" / "launched"
LEISURE = PROJECT_ROOT / "data" / "example_leisure"
G = 0.02  # GDP deflator of the fixture (appraisal.yaml economy.gdp_deflator)
D1 = 1 / 1.035  # Green Book discount factor of year 1 (HM Treasury Green Book 2022, Annex A6, STPR 3.5%)


@pytest.fixture(scope="module")
def launched():
    a = load_appraisal(LAUNCHED)
    act, errors, files = load_actuals(LAUNCHED, a)
    assert errors == []
    return a, act, files, realisation(a, act)


def _row(res, year, line):
    df = res.lines
    got = df[(df["year"] == year) & (df["line"] == line)]
    assert len(got) == 1, (year, line)
    return got.iloc[0]


def _copy(tmp_path: Path, files: dict | None = None, drop: tuple = ()) -> Path:
    """A copy of the launched fixture with some actuals files replaced (text) or removed."""
    dst = tmp_path / "launched"
    shutil.copytree(LAUNCHED, dst)
    for name in drop:
        (dst / "actuals" / name).unlink()
    for name, text in (files or {}).items():
        (dst / "actuals" / name).write_text(text, encoding="utf-8")
    return dst


def _load(folder: Path, option=None):
    # partial=True: load_appraisal reads actuals/ too and would refuse bad actuals itself; here they are read again
    # by load_actuals, whose errors are the ones under test
    return load_actuals(folder, load_appraisal(folder, partial=True), option)


# ------------------------------------------------------------------------------------------
# The pure functions, by hand


def test_variance_share_by_hand():
    """(A - F) / |F|: a cost 10 over and an income 10 short are both -10% (adverse); nothing forecast: NaN."""
    got = variance_share([-110.0, 90.0, -90.0, 110.0, 3.0], [-100.0, 100.0, -100.0, 100.0, 0.0])
    assert got[:4].tolist() == pytest.approx([-0.1, -0.1, 0.1, 0.1])
    assert math.isnan(got[4])


@pytest.mark.parametrize("actual, forecast, expected", [
    (-102.5, -100.0, "green"),   # exactly the amber tolerance (2.5%): still within it
    (-102.6, -100.0, "amber"),   # 2.6% adverse
    (-105.0, -100.0, "amber"),   # exactly the red tolerance: amber
    (-105.1, -100.0, "red"),     # 5.1%
    (94.0, 100.0, "red"),        # income 6% short
    (97.0, 100.0, "amber"),      # income 3% short
    (-40.0, -100.0, "green"),    # 60% under budget: favourable, green whatever its size
    (250.0, 100.0, "green"),     # income 150% above forecast: favourable
    (-1.0, 0.0, "red"),          # a cost the case did not forecast at all
    (1.0, 0.0, "green"),         # an income it did not forecast
    (0.0, 0.0, "green"),
    (-100.004, -100.0, "green"),  # below half a penny: nil
])
def test_rag_status_by_hand(actual, forecast, expected):
    assert rag_status([actual], [forecast], 0.025, 0.05).tolist() == [expected]


@given(st.floats(-1e8, 1e8), st.floats(0, 1e8), st.floats(0, 0.5), st.floats(0, 0.5))
def test_rag_favourable_is_always_green(forecast, gain, amber, extra):
    """More income or less cost than forecast is green at any size and any tolerance."""
    assert rag_status([forecast + gain], [forecast], amber, amber + extra).tolist() == ["green"]


@given(st.floats(-1e7, -1.0), st.floats(0, 1e7), st.floats(0, 1e7))
def test_rag_worse_never_improves(forecast, a, b):
    """A larger overspend is never a better status than a smaller one."""
    rank = {"green": 0, "amber": 1, "red": 2}
    small, large = sorted((a, b))
    s = rag_status([forecast - small, forecast - large], [forecast, forecast], 0.025, 0.05).tolist()
    assert rank[s[0]] <= rank[s[1]]


def test_replace_actual_years():
    assert replace_actual_years([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0], [9.0, 0.0]]).tolist() == \
        [[7.0, 8.0, 3.0], [9.0, 0.0, 6.0]]
    with pytest.raises(ValueError):
        replace_actual_years([1.0], [1.0, 2.0])


def test_reforecast_npv_by_hand():
    """Two lines, three years at 3.5%: line 0 is 1,000 worse in year 0 and 2,000 better in year 1; line 1 (a
    transfer, k = 0) is 5,000 worse in year 1. Economic: -1,000 + 2,000 / 1.035 = 932.37; all lines (council):
    932.37 - 5,000 / 1.035 = -3,898.55."""
    f = np.array([1.0, D1, D1 ** 2])
    F = np.array([[-10_000.0, -10_000.0, -10_000.0], [-500.0, -500.0, -500.0]])
    A = np.array([[-11_000.0, -8_000.0], [-500.0, -5_500.0]])
    assert float(reforecast_npv(100.0, F, A, f, [1.0, 0.0])) == pytest.approx(100.0 - 1_000 + 2_000 / 1.035)
    assert float(reforecast_npv(0.0, F, A, f)) == pytest.approx(-1_000 + 2_000 / 1.035 - 5_000 / 1.035)


@given(st.integers(1, 6), st.integers(0, 6), st.integers(0, 10_000))
def test_reforecast_npv_unchanged_when_outturn_is_forecast(lines, years, seed):
    T = years + 1
    F = np.random.default_rng(seed).normal(0, 1e6, (lines, T + 2))
    f = 1.035 ** -np.arange(T + 2)
    assert float(reforecast_npv(123.0, F, F[:, :T], f, np.ones(lines))) == 123.0


def test_trajectory_by_hand():
    """Baseline 58 in year 1, target 62 in year 4: 4/3 a year, 59.33 in year 2; flat before and after."""
    assert trajectory(58.0, 62.0, 1, 4, 2) == pytest.approx(58 + 4 / 3)
    assert trajectory(58.0, 62.0, 1, 4, 0) == 58.0 and trajectory(58.0, 62.0, 1, 4, 9) == 62.0
    assert trajectory(30.0, 20.0, 0, 5, 1) == pytest.approx(28.0)  # a measure to bring down
    with pytest.raises(ValueError):
        trajectory(1.0, 2.0, 3, 3, 3)


# ------------------------------------------------------------------------------------------
# The fixture, by hand


def test_fixture_loads(launched):
    a, act, files, res = launched
    assert act.option == "trading_company" and act.stage == "fbc" and act.years == ("2026-27", "2027-28")
    assert act.tolerance == Tolerance(0.025, 0.05)
    assert act.tolerance_of("one_off_costs") == Tolerance(0.10, 0.20) and act.tolerance_of("staff_pay") == act.tolerance
    assert [p.name for p in files] == ["realisation.yaml", "2026-27.csv", "2027-28.csv"]
    assert act.amounts["2027-28"]["staff_pay"] == 0.0  # not stated: nothing forecast that year
    assert ("2027-28", "staff_pay") not in act.stated and ("2027-28", "risk") in act.stated


def test_fixture_lines_by_hand(launched):
    res = launched[3]
    # Energy 2026-27: -991,200 against -950,000: -41,200, 41,200 / 950,000 = 4.34% adverse: amber (2.5% < 4.34% <= 5%)
    r = _row(res, "2026-27", "energy_costs")
    assert (r.forecast_nominal_gbp, r.actual_nominal_gbp, r.variance_nominal_gbp) == (-950_000, -991_200, -41_200)
    assert r.variance_pct == pytest.approx(-41_200 / 950_000) and r.status == "amber"
    # One-off costs: 72,000 over 690,000 = 10.43%: amber on the line's own tolerance (10% / 20%), red on 5%
    r = _row(res, "2026-27", "one_off_costs")
    assert r.variance_nominal_gbp == pytest.approx(-72_000) and r.status == "amber" and r.red == 0.20
    # Stranded overheads 2027-28: -221,000 against -180,000 x 1.02 = -183,600: 37,400 / 183,600 = 20.4%: red
    r = _row(res, "2027-28", "stranded_overheads")
    assert r.forecast_nominal_gbp == pytest.approx(-183_600) and r.status == "red"
    assert r.forecast_real_gbp == pytest.approx(-180_000) and r.actual_real_gbp == pytest.approx(-221_000 / 1.02)
    assert "restructure delayed" in r.note
    # The management fee as contracted: -3,600,000 x 1.02 = -3,672,000, no variance
    r = _row(res, "2027-28", "management_fee")
    assert r.forecast_nominal_gbp == pytest.approx(-3_672_000) and abs(r.variance_nominal_gbp) < 1e-6
    # Fees income 28,600 short of 5,600,000: adverse (0.51%), green
    r = _row(res, "2026-27", "fees_income")
    assert r.variance_nominal_gbp == pytest.approx(-28_600) and r.status == "green"
    # The optimism-bias allowance is released in an actual year: 0 against -117,600, favourable, green
    r = _row(res, "2026-27", "optimism_bias_revenue")
    assert (r.actual_nominal_gbp, r.variance_nominal_gbp, r.status, r.stated) == (0.0, pytest.approx(117_600), "green", False)
    assert res.red_lines == 1 and res.count("amber") == 3


def test_fixture_totals_by_hand(launched):
    """2026-27 outturn: -4,426,800 - 818,950 - 2,131,500 - 991,200 - 620,000 + 5,571,400 - 480,000 + 87,400
    - 762,000 = -4,571,650; the FBC's net budget is -4,500,286.67 (with the allowances): -71,363.33, 1.6%, green.
    2027-28: -3,672,000 - 221,000 - 58,000 + 88,100 = -3,862,900 against -3,836,543: -26,357, 0.7%, green."""
    a, act, _, res = launched
    fc = appraise(a, "trading_company", "fbc").financial_case.loc["council_net_nominal_gbp"]
    t = res.totals.set_index("year")
    assert t.loc["2026-27", "actual_nominal_gbp"] == pytest.approx(-4_571_650)
    assert t.loc["2026-27", "forecast_nominal_gbp"] == pytest.approx(fc["2026-27"])
    assert t.loc["2026-27", "variance_nominal_gbp"] == pytest.approx(-4_571_650 - fc["2026-27"])
    assert t.loc["2027-28", "variance_nominal_gbp"] == pytest.approx(-3_862_900 + 3_836_543)
    assert list(t["status"]) == ["green", "green"] and res.overall_status == "green" and res.on_track
    assert res.total_variance_nominal_gbp == pytest.approx(-71_363.333 - 26_357, abs=0.01)
    worst = res.worst_line
    assert (worst["line"], worst["year"], worst["variance_nominal_gbp"]) == ("one_off_costs", "2026-27", pytest.approx(-72_000))


def test_fixture_reforecast_by_hand(launched):
    """Every line of the fixture's outturn counts in the economic case except business rates (a transfer) and the
    management fee and dividend (internal), and those have no variance, so NPSV and the council's NPV move alike:
    year 0 by the total variance -71,363.33 (undiscounted, at the price base), year 1 by -26,357 / 1.02 (real)
    x 1 / 1.035 = -24,966.37: -96,329.71 in all."""
    a, act, _, res = launched
    fbc = appraise(a, "trading_company", "fbc")
    delta = (-4_571_650 - fbc.financial_case.loc["council_net_nominal_gbp", "2026-27"]) + (-26_357) / 1.02 * D1
    assert delta == pytest.approx(-96_329.71, abs=0.01)
    rf = res.reforecast
    assert rf.npsv_gbp == pytest.approx(fbc.npsv_gbp + delta)
    assert rf.npsv_vs_no_change_gbp == pytest.approx(fbc.npsv_vs_no_change_gbp + delta)
    assert rf.council_npv_vs_no_change_gbp == pytest.approx(fbc.council_npv_vs_no_change_gbp + delta)
    b = rf.budget
    assert list(b["basis"][:3]) == ["outturn", "outturn", "forecast"]
    assert b.loc["2027-28", "council_net_reforecast_nominal_gbp"] == pytest.approx(-3_862_900)
    nc = fbc.financial_case.loc["no_change_net_nominal_gbp", "2027-28"]
    assert b.loc["2027-28", "saving_reforecast_nominal_gbp"] == pytest.approx(-3_862_900 - nc)
    # later years stay at the FBC; the target (450,000 from 2028-29) and shortfall follow
    assert b.loc["2028-29", "shortfall_reforecast_nominal_gbp"] == pytest.approx(
        450_000 - fbc.financial_case.loc["saving_vs_no_change_nominal_gbp", "2028-29"])
    s = rf.summary.set_index("metric")
    assert s.loc["npsv_vs_no_change_gbp", "change_gbp"] == pytest.approx(delta)
    assert s.loc["cumulative_saving_nominal_gbp", "change_gbp"] == pytest.approx(res.total_variance_nominal_gbp)


def test_fixture_objectives_by_hand(launched):
    """Objective 2: the 2027-28 saving against no change, -3,862,900 less no change's budget, is below the FBC's
    planned saving for that year (before the 2028-29 target year): behind. Objective 3: 58.0 in 2027-28 to 62.0
    in 2030-31 is 4/3 a point a year, 59.33 expected in 2028-29; 59.4 measured: on track. Objectives 1 and 4
    have no measure."""
    a, act, _, res = launched
    fbc = appraise(a, "trading_company", "fbc").financial_case
    o = res.objectives.set_index("objective")
    assert list(o["status"]) == ["no measure", "behind", "on track", "no measure"]
    assert o.loc[2, "latest_year"] == "2027-28"
    assert o.loc[2, "latest_actual"] == pytest.approx(-3_862_900 - fbc.loc["no_change_net_nominal_gbp", "2027-28"])
    assert o.loc[2, "expected"] == pytest.approx(fbc.loc["saving_vs_no_change_nominal_gbp", "2027-28"])
    assert o.loc[2, "target"] == 450_000 and o.loc[2, "target_year"] == "2028-29"  # the MTFS target year
    assert o.loc[3, "expected"] == pytest.approx(58 + 4 / 3) and o.loc[3, "latest_actual"] == 59.4
    assert o.loc[1, "objective_text"].startswith("Keep all three")


# ------------------------------------------------------------------------------------------
# The re-forecast: outturn equal to the forecast changes nothing; a known variance moves NPSV by hand


def _write_forecast_as_actuals(folder: Path, r, n: int, change: dict | None = None) -> None:
    """actuals/ for the first n years built from the forecast table itself (adjustment lines included)."""
    act = folder / "actuals"
    if act.exists():
        shutil.rmtree(act)
    act.mkdir()
    council = r.lines[r.lines["party"] == "council"]
    nominal = to_nominal(council[r.years].to_numpy(dtype=float), r.inputs.values["gdp_deflator"])
    for t in range(n):
        rows = ["line,actual_nominal_gbp"]
        for ln, x in zip(council["line"], nominal[:, t]):
            x = x + (change or {}).get((ln, t), 0.0)
            rows.append(f"{ln},{float(x)!r}")
        (act / f"{r.years[t]}.csv").write_text("\n".join(rows) + "\n")
    (act / "realisation.yaml").write_text(f"option: {r.option}\nstage: {r.stage}\n")


@pytest.fixture(scope="module")
def leisure_copy():
    with tempfile.TemporaryDirectory() as d:
        # the appraisal and its options only: the example's other files (scenarios, decisions) are not needed here
        dst = Path(d) / "example_leisure"
        shutil.copytree(LEISURE / "options", dst / "options")
        shutil.copy(LEISURE / "appraisal.yaml", dst / "appraisal.yaml")
        yield dst, load_appraisal(dst)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 10), option=st.sampled_from(["trading_company", "outsourcing", "social_enterprise",
                                                     "shared_service", "in_house_redesign"]),
       stage=st.sampled_from(["obc", "fbc"]))
def test_outturn_equal_to_forecast_changes_nothing(leisure_copy, n, option, stage):
    folder, a = leisure_copy
    fbc = appraise(a, option, stage)
    _write_forecast_as_actuals(folder, fbc, n)
    act, errors, _ = load_actuals(folder, a)
    assert errors == []
    res = realisation(a, act)
    assert res.years_of_actuals == n
    rf = res.reforecast
    for name in ("npsv_gbp", "npsv_vs_no_change_gbp", "council_npv_gbp", "council_npv_vs_no_change_gbp"):
        assert getattr(rf, name) == pytest.approx(getattr(fbc, name), abs=1e-4), name
    assert rf.payback_year == fbc.payback_year
    fin = fbc.financial_case
    assert np.allclose(rf.budget["council_net_reforecast_nominal_gbp"], fin.loc["council_net_nominal_gbp"], atol=1e-6)
    assert np.allclose(rf.budget["shortfall_reforecast_nominal_gbp"], fin.loc["shortfall_vs_target_nominal_gbp"], atol=1e-6)
    assert np.allclose(res.lines["variance_nominal_gbp"], 0.0, atol=1e-6)
    assert set(res.lines["status"]) == {"green"} and res.worst_line is None and res.red_lines == 0
    assert abs(res.total_variance_nominal_gbp) < 1e-6


def test_one_line_100k_worse_in_year_one(leisure_copy):
    """Client-side costs (a resource line: k = 1) 100,000 worse in nominal terms in 2027-28 (year 1):
    real -100,000 / 1.02 = -98,039.22, discounted x 1/1.035: NPSV -94,723.88, council NPV the same; the council's
    saving against no change that year -100,000. The management fee (internal: k = 0) 100,000 worse moves the
    council's NPV by the same -94,723.88 and leaves NPSV as it was."""
    folder, a = leisure_copy
    fbc = appraise(a, "trading_company", "fbc")
    f1 = float(fbc.inputs.factors[1])
    assert f1 == pytest.approx(D1)
    expected = -100_000 / (1 + G) ** 1 * f1
    assert expected == pytest.approx(-94_723.88, abs=0.01)

    _write_forecast_as_actuals(folder, fbc, 2, {("client_side_costs", 1): -100_000.0})
    res = realisation(a, load_actuals(folder, a)[0])
    assert res.reforecast.npsv_gbp - fbc.npsv_gbp == pytest.approx(expected, abs=1e-6)
    assert res.reforecast.npsv_vs_no_change_gbp - fbc.npsv_vs_no_change_gbp == pytest.approx(expected, abs=1e-6)
    assert res.reforecast.council_npv_vs_no_change_gbp - fbc.council_npv_vs_no_change_gbp == pytest.approx(expected, abs=1e-6)
    b = res.reforecast.budget
    assert b.loc["2027-28", "saving_reforecast_nominal_gbp"] - b.loc["2027-28", "saving_fbc_nominal_gbp"] == pytest.approx(-100_000)
    r = _row(res, "2027-28", "client_side_costs")
    assert r.status == "red" and r.variance_nominal_gbp == pytest.approx(-100_000)  # 100,000 / 56,100 = 178%

    _write_forecast_as_actuals(folder, fbc, 2, {("management_fee", 1): -100_000.0})
    res = realisation(a, load_actuals(folder, a)[0])
    assert res.reforecast.npsv_gbp == pytest.approx(fbc.npsv_gbp, abs=1e-6)
    assert res.reforecast.council_npv_gbp - fbc.council_npv_gbp == pytest.approx(expected, abs=1e-6)
    # 100,000 / 3,672,000 = 2.7%: amber on the default 2.5% / 5%
    assert _row(res, "2027-28", "management_fee").status == "amber"


def test_realisation_uses_appraisal_actuals_by_default(launched):
    a, act, _, res = launched
    assert a.actuals == act  # load_appraisal reads actuals/ with the rest of the folder
    assert realisation(a).reforecast.npsv_gbp == res.reforecast.npsv_gbp
    with pytest.raises(ValueError, match="no actuals"):
        realisation(dataclasses.replace(a, actuals=None))


# ------------------------------------------------------------------------------------------
# Bad input: every problem a DataError with file, row, field, what was wrong and what is valid


def _messages(errors):
    assert errors and all(isinstance(e, DataError) for e in errors)
    return [str(e) for e in errors]


def test_no_actuals_folder(tmp_path):
    folder = _copy(tmp_path)
    shutil.rmtree(folder / "actuals")
    assert load_actuals(folder, load_appraisal(folder)) == (None, [], [])


def test_unknown_line_suggests_and_lists(tmp_path):
    text = (LAUNCHED / "actuals" / "2026-27.csv").read_text().replace("staff_pay,", "staf_pay,")
    act, errors, _ = _load(_copy(tmp_path, {"2026-27.csv": text}))
    assert act is None
    msgs = _messages(errors)
    bad = next(m for m in msgs if "staf_pay" in m)
    assert bad.startswith("launched/actuals/2026-27.csv:2: row 2.line:")
    assert "did you mean 'staff_pay'?" in bad and "the council's lines are: staff_pay, employer_pension" in bad
    # and staff_pay is now missing from a year that forecasts it
    assert any("no outturn for staff_pay" in m and "must be stated (0 if there was none)" in m for m in msgs)


def test_provider_line_is_not_the_councils(tmp_path):
    text = (LAUNCHED / "actuals" / "2027-28.csv").read_text() + "trading_income,12000,\n"
    msgs = _messages(_load(_copy(tmp_path, {"2027-28.csv": text}))[1])
    assert any("'trading_income' is a line of the case borne by the provider, not the council" in m
               and ":8: row 8.line:" in m for m in msgs)


def test_duplicated_line_non_numbers_and_bad_header(tmp_path):
    y1 = (LAUNCHED / "actuals" / "2027-28.csv").read_text()
    y1 = y1.replace("cafe_franchise,88100,", "cafe_franchise,£88,100").replace(
        "client_side_costs,-58000,", "client_side_costs,inf,") + "management_fee,-3672000,again\noptimism_bias_revenue,,\n"
    y0 = "line;actual\nstaff_pay;-4426800\n"
    act, errors, _ = _load(_copy(tmp_path, {"2027-28.csv": y1, "2026-27.csv": y0}))
    msgs = _messages(errors)
    assert act is None
    assert any(m.startswith("launched/actuals/2026-27.csv:1: header:") and "line,actual_nominal_gbp[,note]" in m
               for m in msgs)
    assert any(":8: row 8.line: 'management_fee' is stated twice (also on row 2)" in m for m in msgs)
    assert any(":4: row 4.actual_nominal_gbp: client_side_costs: 'inf' is not allowed" in m for m in msgs)
    assert any("row 5" in m and "'£88' is not a number" in m for m in msgs)  # unquoted: the comma splits it
    assert any(":9: row 9.actual_nominal_gbp: optimism_bias_revenue: is empty" in m for m in msgs)


@pytest.mark.parametrize("amount", ["nan", "1e400", "abc", "1_000"])
def test_amount_must_be_a_finite_plain_number(tmp_path, amount):
    y1 = (LAUNCHED / "actuals" / "2027-28.csv").read_text().replace("-58000", amount)
    msgs = _messages(_load(_copy(tmp_path, {"2027-28.csv": y1}))[1])
    assert len(msgs) == 1 and "row 4.actual_nominal_gbp" in msgs[0]


def test_year_files(tmp_path):
    """A year outside the period, a file name that is not a year, a gap, a stray file: all reported at once."""
    folder = _copy(tmp_path, {"2040-41.csv": "line,actual_nominal_gbp\n", "outturn.csv": "line,actual_nominal_gbp\n",
                              "2027-2028.csv": "line,actual_nominal_gbp\n", "notes.docx": "x",
                              "2029-30.csv": "line,actual_nominal_gbp\n"}, drop=("2026-27.csv",))
    act, errors, _ = _load(folder)
    msgs = _messages(errors)
    assert act is None
    assert any("2040-41.csv" in m and "2040-41 is outside the appraisal period (2026-27 to 2035-36)" in m for m in msgs)
    assert any("outturn.csv" in m and "'outturn' is not a financial year" in m for m in msgs)
    assert any("a second file for 2027-28" in m for m in msgs)
    assert any("notes.docx" in m and "not an actuals file" in m for m in msgs)
    gaps = [m for m in msgs if "no outturn for 2026-27 although 2029-30 has it" in m]
    assert len(gaps) == 1 and "actuals run from the first year of the period (2026-27" in gaps[0]
    assert any("no outturn for 2028-29 although 2029-30" in m for m in msgs)


def test_a_later_year_alone_is_a_gap(tmp_path):
    """2027-28 present but 2026-27 (before go-live: the current service's outturn) not."""
    msgs = _messages(_load(_copy(tmp_path, drop=("2026-27.csv",)))[1])
    assert msgs == ["launched/actuals: no outturn for 2026-27 although 2027-28 has it: actuals run from the first "
                    "year of the period (2026-27, the current service's outturn before go-live counts too) without "
                    "gaps; add actuals/2026-27.csv"]


def test_realisation_yaml_errors(tmp_path):
    text = """option: trading_company
stage: fbc
tolerance: {amber: 2.5%, red: 5%}
tolerances: {amber: 5%, red: 2.5%}
line_tolerances:
  one_off_costs: {amber: 10, red: 20%}
  stranded_overhead: {amber: 10%, red: 20%}
objectives:
  - {objective: 7, measure: "Something"}
  - {objective: 3, measure: "Active", baseline: 58, target: 62, target_year: 2040-41, actuals: {2027-28: high}}
  - {objective: 2, measure: "Saving", from: budget_savings, target_gbp: 450000}
"""
    act, errors, _ = _load(_copy(tmp_path, {"realisation.yaml": text}))
    msgs = _messages(errors)
    assert act is None
    y = "launched/actuals/realisation.yaml"
    assert any(m.startswith(f"{y}:3: tolerance: unknown key 'tolerance' (did you mean 'tolerances'?)") for m in msgs)
    assert any(m.startswith(f"{y}:4: tolerances: amber (5.0%) is above red (2.5%)") for m in msgs)
    assert any(m.startswith(f"{y}:6: line_tolerances.one_off_costs.amber: 10 is not a valid rate: did you mean 10%?")
               for m in msgs)
    assert any(f"{y}:7: line_tolerances.stranded_overhead:" in m and "did you mean 'stranded_overheads'?" in m for m in msgs)
    assert any(f"{y}:9: objectives[#1].objective: 7 is not the number of a strategic objective: appraisal.yaml has 4"
               in m for m in msgs)
    assert any(f"{y}:10: objectives[#2].target_year: 2040-41 is outside the appraisal period" in m for m in msgs)
    assert any("objectives[#2].actuals.2027-28: 'high' is not a number" in m for m in msgs)
    assert any("objectives[#3].from: 'budget_savings' is not a measure computed from the actuals" in m for m in msgs)


@pytest.mark.parametrize("text, expected", [
    ("option: no_change\n", "'no_change' is no change"),
    ("option: trading_co\n", "'trading_co' is not an option of launched (did you mean 'trading_company'?)"),
    ("option: trading_company\nstage: final\n", "realisation.yaml:2: stage: 'final' is not a stage; use one of obc, fbc"),
    ("stage: fbc\n", "no option: name the launched option in realisation.yaml"),
    ("option: [trading_company\n", "YAML syntax error"),
    ("option: [trading_company, outsourcing]\n", "realisation.yaml:1: option: ['trading_company', 'outsourcing'] is "
                                                 "not an option id"),
    ("option: trading_company\nstage: [fbc]\n", "realisation.yaml:2: stage: ['fbc'] is not a stage"),
    ("- option\n", "realisation.yaml:1: expected a mapping"),
])
def test_option_and_stage(tmp_path, text, expected):
    msgs = _messages(_load(_copy(tmp_path, {"realisation.yaml": text}))[1])
    assert any(expected in m for m in msgs), msgs


def test_the_callers_option_wins(tmp_path):
    """Without realisation.yaml the caller names the option; defaults: FBC, amber 2.5%, red 5%."""
    act, errors, files = _load(_copy(tmp_path, drop=("realisation.yaml",)), "trading_company")
    assert errors == [] and act.stage == "fbc" and act.tolerance == DEFAULT_TOLERANCE and act.objectives == ()
    assert [p.name for p in files] == ["2026-27.csv", "2027-28.csv"]


def test_missing_line_names_the_year(tmp_path):
    y1 = (LAUNCHED / "actuals" / "2027-28.csv").read_text().replace("stranded_overheads,-221000,\"Finance and HR "
                                                                    "restructure delayed to January: recharges slower to fall\"\n", "")
    msgs = _messages(_load(_copy(tmp_path, {"2027-28.csv": y1}))[1])
    assert msgs == ["launched/actuals/2027-28.csv: line: no outturn for stranded_overheads: every council line the "
                    "business case forecasts for 2027-28 must be stated (0 if there was none)"]


# ------------------------------------------------------------------------------------------
# Presenting


def test_realisation_text(launched):
    a, _, _, res = launched
    text = realisation_text(a, res)
    lines = text.splitlines()
    assert lines[0] == "Benefits realisation: Council-owned leisure company (Teckal) against the full business case"
    energy = next(x for x in lines if x.strip().startswith("Energy and fuel"))
    # nominal, RAG, then real: 2026-27 is the price base year, so real = nominal there
    assert energy.split() == ["Energy", "and", "fuel", "-£950,000", "-£991,200", "-£41,200", "-4.3%", "AMBER",
                              "-£950,000", "-£991,200", "-£41,200"]
    assert "nominal cash and real at the 2026-27 price base" in lines[1]
    assert any(x.strip().startswith("Stranded overheads (council)") and "RED" in x.split() for x in lines)
    assert any("Optimism bias: revenue cost uplift" in x and "(released)" in x for x in lines)
    assert "Total variance over the years of outturn: -£97,720; 1 red and 3 amber line-years." in text
    npsv = next(x for x in lines if x.strip().startswith("NPSV against no change"))
    assert npsv.split()[-1] == "-£96,330"
    assert "staff_pay" not in text  # labels, not ids
    assert "Staff pay" in text and text.count("Staff pay") == 1  # not shown in 2027-28: nothing forecast or spent


def test_actuals_are_shown_real_as_well_as_nominal(launched):
    # Real = nominal deflated by the GDP deflator (2.0% in the fixture) from the price base 2026-27: one year in
    # 2027-28, so real = nominal / 1.02; the real variance is actual real - forecast real.
    res = launched[3]
    df = res.lines
    y1 = df[df["year"] == "2027-28"]
    assert len(y1) > 3
    np.testing.assert_allclose(y1["actual_real_gbp"], y1["actual_nominal_gbp"] / 1.02, rtol=1e-12)
    np.testing.assert_allclose(y1["forecast_real_gbp"], y1["forecast_nominal_gbp"] / 1.02, rtol=1e-12)
    np.testing.assert_allclose(df["variance_real_gbp"], df["actual_real_gbp"] - df["forecast_real_gbp"], rtol=0,
                               atol=1e-6)
    y0 = df[df["year"] == "2026-27"]
    assert (y0["actual_real_gbp"] == y0["actual_nominal_gbp"]).all()


def test_realisation_rows_are_plain(launched):
    res = launched[3]
    (row,) = realisation_rows(res)
    json.dumps(row)  # plain numbers and strings only
    assert row["npsv_vs_no_change_gbp"] == pytest.approx(res.reforecast.npsv_vs_no_change_gbp)
    assert (row["actual_years"], row["red_lines"], row["amber_lines"]) == (2, 1, 3)
    assert row["total_variance_nominal_gbp"] == pytest.approx(-97_720.33, abs=0.01)
    assert row["worst_line"] == "one_off_costs" and row["objectives_behind"] == 1


def test_figures(launched):
    res = launched[3]
    fig = actuals_figure(res)
    assert [t.name for t in fig.data] == ["FBC forecast", "Outturn"]
    assert list(fig.data[1].x) == ["2026-27", "2027-28"] and len(fig.data[0].x) == 10
    assert "outturn £0.10m worse than the FBC over 2026-27 to 2027-28" in fig.layout.title.text.replace("<br>", " ")
    fig = variance_figure(res)
    assert "Largest adverse variance: Transition and one-off costs in 2026-27" in fig.layout.title.text.replace("<br>", " ")
    assert len(fig.data[0].y) == int((res.lines["line"] != "total").sum() - (res.lines["variance_nominal_gbp"].abs() <= 0.005).sum())


def test_notebook(tmp_path, launched):
    import papermill
    a, act, _, res = launched
    metrics = tmp_path / "metrics.json"
    out = tmp_path / "realisation.ipynb"
    papermill.execute_notebook(str(PROJECT_ROOT / "notebooks" / "benefits_realisation.ipynb"), str(out),
                               parameters={"data_dir": "tests/data/launched", "option": "",
                                           "metrics_path": str(metrics)},
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    (row,) = json.loads(metrics.read_text())
    expected = realisation_rows(res)[0]
    assert row.keys() == expected.keys()
    for k, v in expected.items():
        assert row[k] == (pytest.approx(v) if isinstance(v, float) else v), k
    text = out.read_text()
    assert "Stranded overheads" in text and "on track" in text
