"""Plotly figures for the reports and the explorer. Titles state the finding; money is in £.

Each ``*_figure`` function takes results (from :func:`appraise`, :func:`monte_carlo`,
:func:`tornado` ...) and returns a ``plotly.graph_objects.Figure``; nothing here computes a
figure the package does not already compute.
"""

from __future__ import annotations

import html
import re

import numpy as np
import plotly.graph_objects as go

from .units import axis_gbp_ticks, format_probability, gbp_m

__all__ = ["cash_flow_figure", "waterfall_figure", "tornado_figure", "distribution_figure", "fan_figure",
           "entity_cash_figure", "options_figure", "scenario_figure", "style", "OPTION_COLOUR", "BASE_COLOUR",
           "PLOTLY_CONFIG", "live_figure", "wrap_title", "median_crossover"]

# Every chart of the reports and of the explorer: no "Share chart" button (it uploads the figure to Plotly's
# cloud service: pre-decision, commercially sensitive figures must never be one click from leaving the
# council), no Plotly logo, and a width that follows the page.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["sendChartToCloud"], "responsive": True}
TITLE_CHARS = 78  # a title wraps to lines of at most this many characters: it fits a 1024-px projector

OPTION_COLOUR = "#1f6f8b"
BASE_COLOUR = "#9aa5ab"
# Favourable and unfavourable: blue and vermillion from the Okabe-Ito palette, which readers with any common
# colour-vision deficiency can tell apart (red and green alone they cannot); values are labelled as well.
GOOD = "#0072b2"
BAD = "#d55e00"
TARGET = "#222222"  # the savings target: a dark dashed line, distinct from both
TOTAL = "#3d4f5c"  # a waterfall's total bar


def style(fig: go.Figure, title: str, *, height: int = 420, money_axis: str = "y") -> go.Figure:
    """House style: white, readable, £m on the money axis, title stating the finding (wrapped to fit).

    The money axis carries explicit ticks in the reports' number style (``£1.50m``, ``−£0.50m``), not plotly's
    SI prefixes (``£1.5M``, ``£500k``); see :func:`~asdm_models.units.axis_gbp_ticks`.
    """
    text = wrap_title(title)
    lines = text.count("<br>") + 1
    fig.update_layout(template="plotly_white", title={"text": text, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
                      height=height + 22 * (lines - 1), autosize=True,
                      margin={"l": 80, "r": 30, "t": 70 + 22 * (lines - 1), "b": 50},
                      font={"family": "Arial, sans-serif", "size": 13},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
                      separators=".,")
    if money_axis in ("x", "y"):
        _money_ticks(fig, money_axis)
    return fig


def wrap_title(title: str, width: int = TITLE_CHARS, max_lines: int | None = None) -> str:
    """A long title broken into lines of at most ``width`` characters at spaces (plotly never wraps a title
    itself, so a long one is cut off on a narrow page). Existing ``<br>`` breaks are kept; an HTML entity
    counts as one character; with ``max_lines`` the last line takes whatever is left.

    >>> wrap_title("Swimming and leisure trust is £1.38m better than no change (NPSV, OBC, risk- and optimism-bias-adjusted)")
    'Swimming and leisure trust is £1.38m better than no change (NPSV, OBC, risk-<br>and optimism-bias-adjusted)'
    """
    def shown(text: str) -> int:
        return len(re.sub(r"&[a-z]+;|&#\d+;", "x", text))

    out = []
    for part in str(title).split("<br>"):
        line = ""
        for word in part.split(" "):
            full = max_lines is not None and len(out) >= max_lines - 1
            if line and shown(line) + 1 + shown(word) > width and not full:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return "<br>".join(out)


def _axis_values(fig: go.Figure, letter: str) -> dict:
    """The values each money axis must show, by axis id (``y``, ``y2`` ...): bars with their base, waterfalls
    as running totals, error bars at their ends."""
    out: dict = {}
    for tr in fig.data:
        ax = (getattr(tr, f"{letter}axis", None) or letter)
        orient = getattr(tr, "orientation", None)
        along = tr.type in ("bar", "waterfall") and letter == ("x" if orient == "h" else "y")  # bar lengths
        v = getattr(tr, letter, None)
        if v is None:
            continue
        try:  # positions on a category axis (years, names) are not money
            vals = np.asarray([x for x in v if x is not None], dtype=float).ravel()
        except (TypeError, ValueError):
            continue
        if tr.type == "waterfall" and along:
            measure = list(tr.measure or ["relative"] * len(vals))
            run, tot = 0.0, []
            for m, x in zip(measure, vals):
                run = x if m in ("total", "absolute") else run + x
                tot.append(run)
            vals = np.asarray(tot)
        elif tr.type == "bar" and along and tr.base is not None:
            base = np.broadcast_to(np.asarray(tr.base, dtype=float), vals.shape)
            vals = np.concatenate([base, base + vals])
        err = getattr(tr, f"error_{letter}", None)
        if err is not None and err.array is not None:
            plus = np.asarray(err.array, dtype=float)
            minus_ = np.asarray(err.arrayminus if err.arrayminus is not None else err.array, dtype=float)
            vals = np.concatenate([vals, vals + plus, vals - minus_])
        vals = vals[np.isfinite(vals)]
        if vals.size:
            out.setdefault(ax, []).append(vals)
    return {k: np.concatenate(v) for k, v in out.items()}


def _money_ticks(fig: go.Figure, letter: str) -> None:
    for ax, vals in _axis_values(fig, letter).items():
        lo, hi = float(vals.min()), float(vals.max())
        pad = 0.08 * (max(hi, 0.0) - min(lo, 0.0) or 1.0)  # room for labels outside the bars
        pos, labels = axis_gbp_ticks(lo - (pad if lo < 0 else 0.0), hi + (pad if hi > 0 else 0.0))
        name = ax.replace(letter, f"{letter}axis", 1)
        fig.layout[name].update(tickmode="array", tickvals=pos, ticktext=[t.replace("\u2060", "") for t in labels],
                                tickprefix="", hoverformat=",.0f", automargin=True)


def live_figure(fig: go.Figure) -> go.FigureWidget:
    """A ``FigureWidget`` for the explorer, with the reports' toolbar (:data:`PLOTLY_CONFIG`). Its data change in
    place as the sliders move, so its money axes go back to plotly's own ticks (in £), which follow the data;
    fixed ticks computed for the first figures would go stale."""
    w = go.FigureWidget(fig)
    w._config = dict(PLOTLY_CONFIG)
    for name in list(w.layout):
        if name.startswith(("xaxis", "yaxis")) and w.layout[name].tickmode == "array":
            w.layout[name].update(tickmode="auto", tickvals=None, ticktext=None, tickprefix="£", tickformat=",.3~s")
    return w


def _e(text) -> str:
    """Names from the data go into chart titles as text, never as markup."""
    return html.escape(str(text), quote=False)


def _m(x: float) -> str:
    """£m for chart titles and labels (``£1.38m``, ``−£0.23m``): the reports' one number style. Plotly's SVG
    text never wraps, so the word joiner that keeps HTML prose together is left out."""
    return gbp_m(x).replace("\u2060", "")


def cash_flow_figure(result) -> go.Figure:
    """The council's net budget by year (nominal cash) under the option and no change; below, the saving
    against no change and the savings target."""
    from plotly.subplots import make_subplots

    fin = result.financial_case
    years = list(fin.columns)
    saving = fin.loc["saving_vs_no_change_nominal_gbp"].to_numpy()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    fig.add_bar(x=years, y=fin.loc["council_net_nominal_gbp"].to_numpy(), name=_e(result.name),
                marker_color=OPTION_COLOUR, row=1, col=1)
    fig.add_bar(x=years, y=fin.loc["no_change_net_nominal_gbp"].to_numpy(), name="No change", marker_color=BASE_COLOUR,
                row=1, col=1)
    fig.add_bar(x=years, y=saving, name="Saving vs no change", row=2, col=1,
                marker_color=[GOOD if v >= 0 else BAD for v in saving])
    fig.add_scatter(x=years, y=fin.loc["savings_target_nominal_gbp"].to_numpy(), name="Savings target",
                    mode="lines", line={"color": TARGET, "dash": "dash", "shape": "hv"}, row=2, col=1)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="net budget", row=1, col=1)
    fig.update_yaxes(title_text="saving", row=2, col=1)
    total = float(saving.sum())
    verb = "saves" if total >= 0 else "costs"
    return style(fig, f"{_e(result.name)} {verb} the council {_m(abs(total))} in cash over "
                      f"{len(years)} years against no change", height=520)


def waterfall_figure(result) -> go.Figure:
    """What makes the difference: NPSV vs no change, line by line (economic case, discounted)."""
    ec = result.economic_case
    ec = ec[np.abs(ec["vs_no_change_pv_gbp"]) >= 0.5]
    labels = list(ec["label"]) + ["NPSV vs no change"]
    values = list(ec["vs_no_change_pv_gbp"]) + [result.npsv_vs_no_change_gbp]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=["relative"] * len(ec) + ["total"],
        increasing={"marker": {"color": GOOD}}, decreasing={"marker": {"color": BAD}},
        totals={"marker": {"color": TOTAL}}, text=[_m(v) for v in values], textposition="outside",
        connector={"line": {"color": "#bbb"}}))
    fig.update_xaxes(tickangle=-35)
    d = result.npsv_vs_no_change_gbp
    title = (f"{_e(result.name)} is {_m(abs(d))} {'better' if d >= 0 else 'worse'} than no change "
             f"(NPSV, {result.stage.upper()}, risk- and optimism-bias-adjusted)")
    return style(fig, title, height=480)


def tornado_figure(tornado_df, name: str = "the option") -> go.Figure:
    """One-way sensitivity: NPSV vs no change at each driver's low and high, largest swing on top."""
    df = tornado_df.iloc[::-1]
    base = float(tornado_df["base_npsv_vs_no_change_gbp"].iloc[0]) if len(tornado_df) else 0.0
    fig = go.Figure()
    fig.add_bar(y=[_e(x) for x in df["label"]], x=df["npsv_vs_no_change_low_gbp"] - base, base=base, orientation="h",
                name="Driver at its low", marker_color="#6baed6")
    fig.add_bar(y=[_e(x) for x in df["label"]], x=df["npsv_vs_no_change_high_gbp"] - base, base=base, orientation="h",
                name="Driver at its high", marker_color="#08519c")
    fig.add_vline(x=0, line={"color": "#444", "width": 1})
    fig.update_layout(barmode="overlay")
    if len(tornado_df):
        top = tornado_df.iloc[0]
        title = f"{_e(top['label'])} moves {_e(name)}'s NPSV vs no change most ({_m(top['swing_gbp'])} swing)"
    else:
        title = "No uncertain drivers stated"
    return style(fig, title, height=max(300, 90 + 38 * len(df)), money_axis="x")


def distribution_figure(mc, name: str = "the option") -> go.Figure:
    """Monte Carlo distribution of NPSV vs no change with P10, P50 and P90 marked."""
    x = mc.npsv_vs_no_change_gbp
    fig = go.Figure()
    counts, edges = np.histogram(x, bins=60)
    centres = 0.5 * (edges[:-1] + edges[1:])
    fig.add_bar(x=centres, y=counts / x.size, width=edges[1] - edges[0],
                marker_color=np.where(centres > 0, GOOD, BAD).tolist(), name="share of draws")
    for q, label in ((mc.p10, "P10"), (mc.p50, "P50"), (mc.p90, "P90")):
        fig.add_vline(x=q, line={"dash": "dot", "color": "#333"}, annotation_text=f"{label} {_m(q)}",
                      annotation_position="top")
    fig.update_yaxes(tickformat=".0%", title="share of draws")
    fig.update_layout(showlegend=False, bargap=0)
    title = (f"{format_probability(mc.prob_beats_no_change)} chance that {_e(name)} beats no change "
             f"({mc.draws:,} draws; P50 {_m(mc.p50)})")
    fig = style(fig, title, money_axis="x")
    fig.update_yaxes(tickprefix="", tickformat=".0%")
    return fig


def median_crossover(years, cumulative) -> tuple[str | None, str | None]:
    """``(first, lasting)``: the first year in which a cumulative path is 0 or more, and the year from which it
    stays 0 or more to the end of the period (the rule payback uses, see :func:`~asdm_models.metrics.payback_index`);
    ``None`` where there is none. They differ when the path crosses zero and falls back below it.

    >>> median_crossover(["a", "b", "c", "d"], [5.0, -1.0, -2.0, 3.0])
    ('a', 'd')
    >>> median_crossover(["a", "b"], [1.0, -1.0])
    ('a', None)
    """
    c = np.asarray(cumulative, dtype=float)
    years = list(years)
    first = next((y for y, v in zip(years, c) if v >= 0), None)
    neg = np.flatnonzero(c < 0)
    if not len(neg):
        return first, years[0] if years else None
    last = int(neg[-1])
    return first, (years[last + 1] if last + 1 < len(years) else None)


def fan_figure(mc, name: str = "the option") -> go.Figure:
    """How the case builds up: cumulative discounted NPSV vs no change by year, P10-P90 band.

    The title names the year from which the median path *stays* ahead of no change (as payback does), not the
    first year it touches zero: an early crossing that falls back below zero is no crossover."""
    fan = mc.fan()
    years = list(fan.index)
    fig = go.Figure()
    fig.add_scatter(x=years, y=fan["p90"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=years, y=fan["p10"], mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor="rgba(31,111,139,0.18)", name="P10 to P90")
    fig.add_scatter(x=years, y=fan["p75"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=years, y=fan["p25"], mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor="rgba(31,111,139,0.35)", name="P25 to P75")
    fig.add_scatter(x=years, y=fan["p50"], mode="lines+markers", line={"color": OPTION_COLOUR}, name="P50 (median)")
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    first, lasting = median_crossover(years, fan["p50"])
    if lasting == years[0]:
        title = f"On the median path {_e(name)} is ahead of no change from the first year (cumulative NPSV)"
    elif lasting:
        title = f"On the median path {_e(name)} stays ahead of no change from {lasting} (cumulative NPSV)"
        if first != lasting:
            title += f"; it is briefly ahead in {first} and falls back"
    else:
        title = f"On the median path {_e(name)} does not stay ahead of no change within the period (cumulative NPSV)"
    fig.update_xaxes(type="category")
    return style(fig, title)


def entity_cash_figure(result) -> go.Figure:
    """The new entity's annual result and cash balance with the council's planned funding."""
    ent = result.entity_accounts
    years = list(ent.columns)
    fig = go.Figure()
    fig.add_bar(x=years, y=ent.loc["profit_after_tax"].to_numpy(), name="Profit after tax",
                marker_color=[GOOD if v >= 0 else BAD for v in ent.loc["profit_after_tax"]])
    fig.add_scatter(x=years, y=ent.loc["cash_balance"].to_numpy(), name="Cash balance (with planned funding)",
                    mode="lines+markers", line={"color": OPTION_COLOUR})
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    low = result.lowest_cash_gbp
    title = (f"The new entity's cash stays positive (lowest {_m(low)}) with the planned funding" if low >= 0 else
             f"The new entity runs out of cash: the balance falls to {_m(low)} with the planned funding")
    return style(fig, title)


def options_figure(summary, stage: str, *, baseline: str | None = None) -> go.Figure:
    """All options side by side: NPSV vs no change (deterministic) with the P10-P90 range.

    ``baseline`` is the option left out (no change); by default the first row's option."""
    baseline = summary["option"].iloc[0] if baseline is None else baseline
    df = summary[(summary["stage"] == stage) & (summary["option"] != baseline)].copy()
    df = df.sort_values("npsv_vs_no_change_gbp")
    fig = go.Figure()
    err_plus = (df["p90_npsv_vs_no_change_gbp"] - df["p50_npsv_vs_no_change_gbp"]).to_numpy()
    err_minus = (df["p50_npsv_vs_no_change_gbp"] - df["p10_npsv_vs_no_change_gbp"]).to_numpy()
    fig.add_bar(y=[_e(x) for x in df["name"]], x=df["npsv_vs_no_change_gbp"], orientation="h", name="NPSV vs no change",
                marker_color=[GOOD if v > 0 else BAD for v in df["npsv_vs_no_change_gbp"]])
    fig.add_scatter(y=[_e(x) for x in df["name"]], x=df["p50_npsv_vs_no_change_gbp"], mode="markers", name="P50 with P10-P90",
                    marker={"color": "#222", "symbol": "diamond"},
                    error_x={"type": "data", "array": err_plus, "arrayminus": err_minus, "color": "#222"})
    fig.add_vline(x=0, line={"color": "#444", "width": 1})
    best = df.iloc[-1] if len(df) else None
    title = (f"{_e(best['name'])} offers the most value against no change at {stage.upper()} "
             f"({_m(best['npsv_vs_no_change_gbp'])})" if best is not None and best["npsv_vs_no_change_gbp"] > 0
             else f"No option beats no change at {stage.upper()}")
    return style(fig, title, height=max(320, 110 + 48 * len(df)), money_axis="x")


def scenario_figure(scen_df, name: str = "the option") -> go.Figure:
    fig = go.Figure(go.Bar(x=scen_df["scenario"], y=scen_df["npsv_vs_no_change_gbp"],
                           marker_color=[GOOD if v > 0 else BAD for v in scen_df["npsv_vs_no_change_gbp"]],
                           text=[_m(v) for v in scen_df["npsv_vs_no_change_gbp"]], textposition="outside"))
    worst = scen_df["npsv_vs_no_change_gbp"].min()
    title = (f"{_e(name)} beats no change in every scenario (worst {_m(worst)})" if worst > 0 else
             f"{_e(name)} falls behind no change in at least one scenario (worst {_m(worst)})")
    return style(fig, title, height=360)

