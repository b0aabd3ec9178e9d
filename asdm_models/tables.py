"""Headline tables: the figures per option and stage, as a frame, as text, and as CSV."""

from __future__ import annotations

import pandas as pd

from .appraisal import HEADLINE_COLUMNS, appraise
from .units import format_gbp, format_probability

__all__ = ["headline_frame", "format_headline"]


def headline_frame(appraisal, options=None, stages=("obc", "fbc"), *, scenario=None, draws: int = 0,
                   seed: int = 20261125) -> pd.DataFrame:
    """One row per option and stage with the headline figures (and Monte Carlo percentiles if ``draws``)."""
    from .montecarlo import monte_carlo_all

    options = options or list(appraisal.options)
    rows = []
    for stage in stages:
        mcs = monte_carlo_all(appraisal, stage, draws, seed, scenario=scenario, options=options) if draws else {}
        for o in options:
            row = appraise(appraisal, o, stage, scenario=scenario).headline()
            if o in mcs:
                row.update(mcs[o].summary())
            rows.append(row)
    df = pd.DataFrame(rows)
    cols = HEADLINE_COLUMNS + [c for c in df.columns if c not in HEADLINE_COLUMNS]
    return df[cols]


_SHOW = [
    ("option", "option", None),
    ("stage", "stage", None),
    ("npsv_unadjusted_gbp", "NPSV (unadj.)", "gbp"),
    ("npsv_gbp", "NPSV", "gbp"),
    ("npsv_vs_no_change_unadjusted_gbp", "vs no change (unadj.)", "gbp"),
    ("npsv_vs_no_change_gbp", "NPSV vs no change", "gbp"),
    ("council_npv_vs_no_change_gbp", "council NPV vs NC", "gbp"),
    ("payback_year", "payback", None),
    ("breakeven_year", "break-even", None),
    ("peak_funding_gbp", "peak funding", "gbp"),
    ("p10_npsv_vs_no_change_gbp", "P10 vs NC", "gbp"),
    ("p50_npsv_vs_no_change_gbp", "P50 vs NC", "gbp"),
    ("p90_npsv_vs_no_change_gbp", "P90 vs NC", "gbp"),
    ("prob_beats_no_change", "P(beats NC)", "pct"),
]


def format_headline(df: pd.DataFrame, appraisal=None) -> str:
    """The headline table as aligned text, money as £ with thousands separators, blanks where n/a."""
    cols = [(c, h, k) for c, h, k in _SHOW if c in df.columns]
    cells = [[h for _, h, _ in cols]]
    for _, row in df.iterrows():
        out = []
        for c, _, kind in cols:
            x = row[c]
            if x is None or (isinstance(x, float) and pd.isna(x)):
                out.append("")
            elif kind == "gbp":
                out.append(format_gbp(float(x), millions=False))
            elif kind == "pct":
                out.append(format_probability(float(x)))  # one rule for probabilities everywhere
            else:
                out.append(str(x))
        cells.append(out)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    lines = []
    if appraisal is not None:
        lines.append(f"{appraisal.title} ({appraisal.council}): {appraisal.period_years}-year appraisal from "
                     f"{appraisal.years[0]}, real terms at {appraisal.price_base} prices, discounted "
                     f"({appraisal.discount_schedule}).")
        if appraisal.illustrative:
            lines.append("ILLUSTRATIVE DATA: the figures are invented for demonstration.")
    for i, r in enumerate(cells):
        lines.append("  ".join(v.ljust(w) if j < 2 else v.rjust(w) for j, (v, w) in enumerate(zip(r, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
