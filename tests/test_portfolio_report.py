"""The portfolio report's charts and words (portfolio_report.py): titles state the finding, from the figures."""

from __future__ import annotations

import numpy as np
import pytest

from asdm_models import PROJECT_ROOT
from asdm_models.portfolio import load_portfolio, portfolio_figures, summary_frame
from asdm_models.portfolio_report import (budget_figure, headline_text, one_off_figure, options_table,
                                          risk_share_figure, shared_assumptions_table, target_chance_figure)
from asdm_models.units import format_probability

DRAWS, SEED = 2000, 20261125


@pytest.fixture(scope="module")
def fig():
    return portfolio_figures(load_portfolio(PROJECT_ROOT / "data" / "example_portfolio"), draws=DRAWS, seed=SEED)


def test_budget_title_counts_the_target_years_met(fig):
    p = fig.portfolio
    saving = fig.combined_saving_gbp.to_numpy()
    met = sum(saving[i] >= p.target_nominal_gbp[i] for i in p.target_years)  # by hand, year by year
    title = budget_figure(fig).layout.title.text.replace("<br>", " ")
    assert f"meet the combined savings target in {met} of the {len(p.target_years)} target years" in title
    assert f"({p.years[p.target_years[0]]} to {p.years[p.target_years[-1]]}, cash)" in title


def test_one_off_title_names_the_peak_and_the_axis_keeps_to_the_years_spent(fig):
    costs = -fig.one_off_by_year.fillna(0.0).sum(axis=1)
    peak_year = costs.idxmax()
    f = one_off_figure(fig)
    assert f"in {peak_year}" in f.layout.title.text
    last = int(np.flatnonzero(costs.to_numpy() > 0)[-1])
    assert f.layout.xaxis.range == (-0.5, last + 1.5)
    assert f.layout.legend.y < 0  # below the plot: long option names never run into the title


def test_the_chance_in_the_title_is_the_share_of_draws_meeting_every_target_year(fig):
    p = fig.portfolio
    a, _ = p.common
    s = fig.mc.saving_nominal_gbp
    cols = [i - a for i in p.target_years]
    prob = float(np.mean((s[:, cols] >= p.target_nominal_gbp[p.target_years]).all(axis=1)))
    assert target_chance_figure(fig).layout.title.text.startswith(f"{format_probability(prob)} chance")
    assert f"**{format_probability(prob)}**" in headline_text(fig)


def test_the_risk_chart_names_the_largest_share(fig):
    shares = fig.variance_shares
    top = max(shares, key=shares.get)
    title = risk_share_figure(fig).layout.title.text.replace("<br>", " ")
    assert f"({top}) carries {shares[top]:.0%}" in title
    assert sum(shares.values()) == pytest.approx(1.0)


def test_tables(fig):
    table = options_table(summary_frame(fig))
    assert list(table["appraisal"]) == ["example_leisure", "example_depot", "example_portfolio"]
    assert table["option counted"].iloc[-1] == "All counted options"
    assert "decision (stage)" in table and table["decision (stage)"].iloc[0] == "chosen (OBC)"
    shared = shared_assumptions_table(fig.portfolio)
    assert set(shared["driver"]) >= {"pay_inflation", "price_inflation", "energy_inflation"}
    pay = shared[shared["driver"] == "pay_inflation"].iloc[0]
    assert pay["settled by"] == "from ../example_leisure" and "example_depot" in pay["replaced"]
