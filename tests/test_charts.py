"""Charts and tables of the reports as a reader sees them: toolbar, number style, titles, alignment."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.charts import (PLOTLY_CONFIG, TITLE_CHARS, cash_flow_figure, fan_figure, live_figure,
                                median_crossover, options_figure, waterfall_figure)
from asdm_models.report import table_html
from asdm_models.units import axis_gbp_ticks, format_probability, gbp_full, gbp_m

TICK = re.compile(r"^(\u2212)?£\d+(\.\d+)?m$|^£0$")


@pytest.fixture(scope="module")
def company():
    return appraise(load_appraisal(PROJECT_ROOT / "data" / "example_leisure"), "trading_company", "obc")


def test_exported_chart_html_has_no_share_button_and_no_logo(company):
    html = waterfall_figure(company).to_html(include_plotlyjs=False, config=PLOTLY_CONFIG)
    assert '"displaylogo": false' in html and '"modeBarButtonsToRemove": ["sendChartToCloud"]' in html
    w = live_figure(waterfall_figure(company))  # the explorer's charts
    assert w._config["displaylogo"] is False and w._config["modeBarButtonsToRemove"] == ["sendChartToCloud"]


def test_money_axes_use_the_reports_style_not_si_prefixes(company):
    fig = waterfall_figure(company)
    ax = fig.layout.yaxis
    assert ax.tickmode == "array" and all(TICK.match(t) for t in ax.ticktext), ax.ticktext
    # the ticks cover every running total of the waterfall (computed here independently)
    vals = list(company.economic_case["vs_no_change_pv_gbp"])
    running = np.cumsum(vals)
    assert min(ax.tickvals) <= min(0, running.min()) and max(ax.tickvals) >= running.max()
    both = cash_flow_figure(company)  # two money axes, each with its own ticks
    assert both.layout.yaxis.tickvals != both.layout.yaxis2.tickvals
    assert all(TICK.match(t) for t in both.layout.yaxis2.ticktext)
    labels = [a for a in waterfall_figure(company).data[0].text]
    assert all(re.match(r"^(\u2212)?£\d+\.\d\dm$", t) for t in labels), labels


def test_axis_ticks_are_round_steps_including_zero():
    for lo, hi in [(-400_000, 2_300_000), (0, 95_000), (-12e6, -1e6), (3e5, 3.1e5)]:
        pos, labels = axis_gbp_ticks(lo, hi)
        steps = np.diff(pos)
        assert 0.0 in pos and np.allclose(steps, steps[0]) and pos[0] <= min(lo, 0) and pos[-1] >= max(hi, 0)
        assert len(labels) == len(set(labels))  # no two ticks print alike


def _mc(p50):
    years = [f"{2026 + i}-{(27 + i) % 100:02d}" for i in range(len(p50))]
    fan = pd.DataFrame({"p10": np.array(p50) - 1, "p25": p50, "p50": p50, "p75": p50, "p90": np.array(p50) + 1},
                       index=years)
    return SimpleNamespace(fan=lambda: fan), years


def test_fan_title_uses_the_lasting_crossover_not_the_first():
    # ahead in the first year, behind from the second to the fourth, ahead for good from the fifth
    mc, years = _mc([0.5, -1.0, -2.0, -0.5, 0.2, 1.0])
    title = fan_figure(mc, "Depot").layout.title.text.replace("<br>", " ")
    assert f"stays ahead of no change from {years[4]}" in title and f"briefly ahead in {years[0]}" in title
    assert median_crossover(years, [0.5, -1, -2, -0.5, 0.2, 1]) == (years[0], years[4])
    mc, _ = _mc([1.0, -1.0])
    assert "does not stay ahead" in fan_figure(mc).layout.title.text.replace("<br>", " ")


def test_long_titles_wrap_to_fit_a_projector(company):
    overview = pd.DataFrame([{"option": "no_change", "name": "No change", "stage": "obc", "npsv_vs_no_change_gbp": 0.0,
                              "p10_npsv_vs_no_change_gbp": 0, "p50_npsv_vs_no_change_gbp": 0, "p90_npsv_vs_no_change_gbp": 0},
                             {"option": "x", "name": "An option with a very long name indeed for a chart title",
                              "stage": "obc", "npsv_vs_no_change_gbp": 1e6, "p10_npsv_vs_no_change_gbp": -1e5,
                              "p50_npsv_vs_no_change_gbp": 9e5, "p90_npsv_vs_no_change_gbp": 2e6}])
    for fig in (waterfall_figure(company), options_figure(overview, "obc")):
        lines = fig.layout.title.text.split("<br>")
        assert len(lines) >= 2 and all(len(x) <= TITLE_CHARS for x in lines)


def test_one_number_style():
    assert gbp_m(-1_097_367).replace("\u2060", "") == "\u2212£1.10m"
    assert gbp_full(-1_097_367) == "\u2212\u2060£1,097,367"  # the word joiner keeps the sign on the figure
    assert gbp_m(2e6) == "£2.00m" and gbp_m(-1) == "£0.00m"
    assert format_probability(0.9996) == ">99.9%" and format_probability(1.0) == "100%"


def test_gate_tests_print_probabilities_by_the_one_rule():
    from asdm_models.gates import _fmt

    assert _fmt("prob_beats_no_change", 0.9996) == format_probability(0.9996) == ">99.9%"


def test_tables_align_text_left_numbers_right_and_keep_years_whole():
    df = pd.DataFrame({"year": ["2026-27", "2027-28 to 2030-31"], "description": ["x " * 60, "short"],
                       "amount": [-1_097_367.0, 5.0], "flag": ["yes", "no"]})
    html = table_html(df, formats={"amount": gbp_full})
    cells = re.findall(r'<td class="(\w+)" style="([^"]+)">([^<]*)</td>', html)
    kinds = {k for k, _, _ in cells}
    assert kinds == {"year", "long", "num", "text"}
    for kind, style, text in cells:
        if kind == "num":
            assert "text-align:right" in style and "nowrap" in style
        if kind == "year":
            assert "nowrap" in style
        if kind in ("text", "long"):
            assert "text-align:left" in style and "white-space:normal" in style
    assert "\u2212\u2060£1,097,367" in html and "-£" not in html
