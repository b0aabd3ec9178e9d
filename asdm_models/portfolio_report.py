"""What the portfolio report shows: its charts (titles that state the finding) and its sentences.

Each function takes :class:`~asdm_models.portfolio.PortfolioFigures` (from
:func:`~asdm_models.portfolio.portfolio_figures`) and returns a plotly figure, a table or text; nothing
here computes a figure :mod:`asdm_models.portfolio` does not already compute. The notebook
``notebooks/portfolio.ipynb`` is these calls and the prose around them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import BAD, GOOD, TARGET, _e, _m, style
from .units import format_probability, gbp_m

__all__ = ["budget_figure", "one_off_figure", "target_chance_figure", "risk_share_figure", "headline_text",
           "options_table", "shared_assumptions_table", "APPRAISAL_COLOURS"]

#: One colour per appraisal in the stacked charts (Okabe-Ito, colour-blind safe; repeats after eight).
APPRAISAL_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")


def _colour(i: int) -> str:
    return APPRAISAL_COLOURS[i % len(APPRAISAL_COLOURS)]


def _label(fig, appraisal_id: str) -> str:
    """An appraisal's counted option as a reader knows it: the option's name and the service."""
    r = fig.results[appraisal_id]
    return f"{r.name} ({appraisal_id})"


def _years_met(fig) -> tuple[int, int]:
    """``(met, tested)``: target years in which the deterministic combined saving meets the combined target."""
    p = fig.portfolio
    ty = p.target_years
    s = fig.combined_saving_gbp.to_numpy()
    return int(sum(s[i] >= p.target_nominal_gbp[i] for i in ty)), len(ty)


def _legend_below(fig: go.Figure, height: int) -> go.Figure:
    """The legend under the plot: one entry per appraisal, named in full, would wrap into the title above it."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.28, "xanchor": "left", "x": 0.0},
                      margin={"b": 150}, height=height + 80)
    return fig


def budget_figure(fig) -> go.Figure:
    """The combined saving against no change by financial year (nominal cash), stacked by appraisal, against
    the combined savings target; the title says in how many target years the target is met."""
    p = fig.portfolio
    out = go.Figure()
    for i, e in enumerate(p.loaded):
        out.add_bar(x=p.years, y=fig.saving_by_year[e.id].to_numpy(), name=_e(_label(fig, e.id)),
                    marker_color=_colour(i))
    target = np.where(p.target_nominal_gbp > 0, p.target_nominal_gbp, np.nan)
    out.add_scatter(x=p.years, y=target, name="Combined savings target", mode="lines",
                    line={"color": TARGET, "dash": "dash", "shape": "hvh", "width": 2})
    out.add_scatter(x=p.years, y=fig.combined_saving_gbp.to_numpy(), name="Combined saving", mode="markers",
                    marker={"color": TARGET, "symbol": "diamond", "size": 8})
    out.update_layout(barmode="relative")
    out.update_yaxes(title_text="saving vs no change (cash)")
    met, tested = _years_met(fig)
    if tested:
        every = "both" if len(p.loaded) == 2 else "all"
        title = (f"The chosen options together meet the combined savings target in {met} of the {tested} target "
                 f"years {every} appraisals cover ({p.years[p.target_years[0]]} to {p.years[p.target_years[-1]]}, cash)")
    else:
        total = float(np.nansum(fig.combined_saving_gbp.to_numpy()))
        title = f"The chosen options together save {_m(total)} in cash against no change (no combined target stated)"
    return _legend_below(style(out, title, height=480), 480)


def one_off_figure(fig) -> go.Figure:
    """The combined one-off (transition) costs by financial year, stacked by appraisal; the title names the peak."""
    p = fig.portfolio
    out = go.Figure()
    for i, e in enumerate(p.loaded):
        out.add_bar(x=p.years, y=-fig.one_off_by_year[e.id].to_numpy(), name=_e(_label(fig, e.id)),
                    marker_color=_colour(i))
    out.update_layout(barmode="relative")
    out.update_yaxes(title_text="one-off costs (cash)")
    costs = fig.one_off_by_year.fillna(0.0).to_numpy()
    spent = np.flatnonzero(np.abs(costs).sum(axis=1) > 0)
    if spent.size:  # the years with one-off costs (and one after), not a 40-year axis of empty years
        out.update_xaxes(range=[-0.5, min(len(p.years) - 1, int(spent[-1]) + 1) + 0.5])
    year, peak = fig.peak_one_off
    if year is None:
        title = "The chosen options have no one-off transition costs"
    else:
        total = -float(fig.one_off_by_year.sum().sum())
        title = (f"One-off transition costs peak at {_m(peak)} in {year} "
                 f"({_m(total)} over the period, cash): the year the council's reserves must cover")
    return _legend_below(style(out, title, height=420), 420)


def target_chance_figure(fig) -> go.Figure:
    """The combined Monte Carlo: P10 to P90 of the combined saving by year of the common window, its P50 and
    the target; the title gives the chance of meeting the target in every target year."""
    p = fig.portfolio
    out = go.Figure()
    years = p.common_years
    if fig.mc is None:
        return style(out, "No Monte Carlo was run (0 draws): the chance of meeting the target is not assessed")
    q10, q50, q90 = np.quantile(fig.mc.saving_nominal_gbp, [0.1, 0.5, 0.9], axis=0)
    out.add_scatter(x=years, y=q90, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    out.add_scatter(x=years, y=q10, mode="lines", line={"width": 0}, fill="tonexty", fillcolor="rgba(0,114,178,0.2)",
                    name="P10 to P90")
    out.add_scatter(x=years, y=q50, mode="lines+markers", line={"color": GOOD}, name="P50 (median)")
    a, b = p.common
    target = p.target_nominal_gbp[a:b + 1]
    out.add_scatter(x=years, y=np.where(target > 0, target, np.nan), mode="lines", name="Combined savings target",
                    line={"color": TARGET, "dash": "dash", "shape": "hvh", "width": 2})
    out.update_yaxes(title_text="combined saving vs no change (cash)")
    prob, _ = fig.prob_meets_target
    if prob is None:
        title = (f"Combined saving by year across {fig.mc.draws:,} draws with common random numbers "
                 "(no target in the years every appraisal covers)")
    else:
        title = (f"{format_probability(prob)} chance the chosen options together meet the target in every year "
                 f"from {p.years[p.target_years[0]]} to {p.years[p.target_years[-1]]} ({fig.mc.draws:,} draws, "
                 "one economy for all)")
    return style(out, title, height=440)


def risk_share_figure(fig) -> go.Figure:
    """Each appraisal's share of the variance of the combined NPSV (Euler allocation; shares sum to 100%)."""
    out = go.Figure()
    shares = fig.variance_shares
    if not shares:
        return style(out, "No Monte Carlo was run (0 draws): the risk of each appraisal is not assessed", money_axis="")
    ids = list(shares)
    vals = [float(shares[i]) for i in ids]
    order = np.argsort(vals)
    out.add_bar(y=[_e(_label(fig, ids[k])) for k in order], x=[vals[k] for k in order], orientation="h",
                marker_color=[GOOD if vals[k] >= 0 else BAD for k in order],
                text=[f"{vals[k]:.0%}" for k in order], textposition="auto")
    out.update_xaxes(tickformat=".0%", title_text="share of the variance of the combined NPSV")
    top = ids[int(np.argmax(vals))]
    title = (f"{_e(_label(fig, top))} carries {vals[ids.index(top)]:.0%} of the uncertainty in the combined NPSV: "
             "its risks matter most to the total")
    return style(out, title, height=max(260, 120 + 50 * len(ids)), money_axis="")


def headline_text(fig) -> str:
    """The report's first paragraph (Markdown): the combined NPSV, the target test, the chance, the peak cost."""
    from .report import escape_md

    p = fig.portfolio
    rows = [fig.rows[e.id] for e in p.loaded]
    parts = []
    total = sum(float(fig.results[e.id].npsv_vs_no_change_gbp) * _rebase(fig, e) for e in p.loaded)
    parts.append(f"Together the {len(p.loaded)} options counted are **{gbp_m(abs(total))} "
                 f"{'better' if total >= 0 else 'worse'} than no change** (NPSV, {p.years[0][:4]} base, "
                 f"risk- and optimism-bias-adjusted).")
    met, tested = _years_met(fig)
    if tested:
        parts.append(f"On the central figures the combined saving **meets the combined target in {met} of "
                     f"{tested} years**.")
    prob, _ = fig.prob_meets_target
    if prob is not None:
        parts.append(f"Across {fig.mc.draws:,} draws in which every service meets the same economy, the chance of "
                     f"meeting it in every year is **{format_probability(prob)}**.")
    year, peak = fig.peak_one_off
    if year is not None:
        parts.append(f"One-off costs peak at **{gbp_m(peak)} in {year}**.")
    shares = fig.variance_shares
    if shares:
        top = max(shares, key=shares.get)
        parts.append(f"The largest share of the uncertainty ({shares[top]:.0%}) is in "
                     f"{escape_md(_label(fig, top))}.")
    stops = [e.id for e, r in zip(p.loaded, rows) if r.get("gate") == "stop"]
    if stops:
        parts.append("Gate **stop** for: " + ", ".join(escape_md(s) for s in stops) + ".")
    return " ".join(parts)


def _rebase(fig, e) -> float:
    from .portfolio import _rebase as rebase

    return float(rebase(fig.portfolio, e.resolved, e.resolved.economy["gdp_deflator"].value))


def options_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The chosen options side by side, from ``portfolio_summary.csv``'s rows (readable column names)."""
    # The columns a reader compares; the one-off costs and the shares of uncertainty have their own sections, and
    # portfolio_summary.csv has every column.
    cols = {"appraisal": "appraisal", "name": "option counted", "decision": "decision (stage)", "years": "years",
            "npsv_vs_no_change_gbp": "NPSV vs no change (own base)",
            "npsv_vs_no_change_at_portfolio_base_gbp": "NPSV vs no change (portfolio base)",
            "council_npv_vs_no_change_gbp": "council NPV vs no change", "payback_year": "payback",
            "gate": "gate", "p50_npsv_vs_no_change_gbp": "P50", "prob_beats_no_change": "chance of beating no change",
            "status": "reports"}
    summary = summary.copy()
    summary["decision"] = [f"{d} ({str(s).upper()})" if isinstance(d, str) else None
                           for d, s in zip(summary["decision"], summary["stage"])]
    summary["years"] = [f"{a} to {b}" if isinstance(a, str) else None
                        for a, b in zip(summary["first_year"], summary["last_year"])]
    df = summary[list(cols)].rename(columns=cols).copy()
    df.loc[summary["row"] == "portfolio", "option counted"] = "All counted options"
    return df


def shared_assumptions_table(portfolio) -> pd.DataFrame:
    """The shared economy drivers: the figure used, how it was settled, and what it replaced in each appraisal."""
    rows = []
    settled = {d: (how, fig) for d, how, fig in portfolio.settled}
    for d in portfolio.shared:
        changed = [f"{e.id}: {own}" for e in portfolio.loaded for (drv, own, _new) in e.changed if drv == d]
        how, figure = settled.get(d, ("the appraisals agree", None))
        if figure is None:
            first = next((e for e in portfolio.loaded), None)
            figure = "" if first is None else _shared_figure_text(first.resolved, d)
        rows.append({"driver": d, "figure used": str(figure), "settled by": how,
                     "replaced": "; ".join(changed) or "nothing (every appraisal had it)"})
    if "correlations" in settled:
        how, figure = settled["correlations"]
        changed = [f"{e.id}: {own}" for e in portfolio.loaded for (drv, own, _new) in e.changed if drv == "correlations"]
        rows.append({"driver": "rank correlations among them", "figure used": str(figure), "settled by": how,
                     "replaced": "; ".join(changed) or "nothing (every appraisal had them)"})
    return pd.DataFrame(rows)


def _shared_figure_text(appraisal, driver: str) -> str:
    from .portfolio import _figure

    return _figure(appraisal, driver).describe()  # every appraisal has every economy driver (validated on load)
