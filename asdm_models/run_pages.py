"""The pages of a run folder a reader opens first: ``index.html`` and ``summary.html``."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from .units import format_gbp, format_pct

__all__ = ["index_html", "summary_html"]


_CSS = """body{font-family:Arial,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f3f5f6}
td.t,th.t{text-align:left}.failed{color:#c0392b;font-weight:bold}.note{color:#555}"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def summary_html(appraisal, summary: pd.DataFrame, run_id: str) -> str:
    cols = [("name", "Option", "t"), ("stage", "Stage", "t"), ("scenario", "Scenario", "t"),
            ("npsv_vs_no_change_gbp", "NPSV vs no change", "gbp"),
            ("council_npv_vs_no_change_gbp", "Council NPV vs no change", "gbp"),
            ("p10_npsv_vs_no_change_gbp", "P10", "gbp"), ("p50_npsv_vs_no_change_gbp", "P50", "gbp"),
            ("p90_npsv_vs_no_change_gbp", "P90", "gbp"), ("prob_beats_no_change", "P(beats no change)", "pct"),
            ("payback_year", "Payback", "t"), ("breakeven_year", "Break-even", "t"),
            ("peak_funding_gbp", "Peak funding", "gbp"), ("gate", "Gate", "t"), ("status", "Status", "t")]
    head = "".join(f'<th class="{"t" if k == "t" else ""}">{_e(h)}</th>' for _, h, k in cols)
    body = []
    for _, row in summary.iterrows():
        cells = []
        for c, _, kind in cols:
            v = row[c]
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            if missing:
                text = ""
            elif kind == "gbp":
                text = format_gbp(float(v))
            elif kind == "pct":
                text = format_pct(float(v), 0)
            else:
                text = str(v)
            if c == "name" and row["status"] == "ok":
                cells.append(f'<td class="t"><a href="{_e(row["option"])}-{_e(row["stage"])}.html">{_e(text)}</a></td>')
            elif c == "status" and v != "ok":
                cells.append(f'<td class="t failed" title="{_e(row["error"])}">{_e(text)}: {_e(row["error"])}</td>')
            else:
                cells.append(f'<td class="{"t" if kind == "t" else ""}">{_e(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = "<p class=note>ILLUSTRATIVE DATA: the figures are invented for demonstration.</p>" if appraisal.illustrative else ""
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: summary</title>"
            f"<style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}</h1><p>{_e(appraisal.council)}. "
            f"Run {_e(run_id)}. Money in GBP; NPVs real at {_e(appraisal.price_base)} prices, discounted; "
            f"positive is better than no change.</p>{note}<table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table><p><a href=index.html>All reports of this run</a></p></body></html>")


def index_html(appraisal, reports, run_id: str, scenario: str, run_dir: Path) -> str:
    items = []
    for r in reports:
        known = appraisal.options.get(r["option"]) if r["option"] else None
        label = (f"{known.name if known else r['option']}: {r['stage'].upper()}" if r["option"] else
                 "Options appraisal (all options)")
        if r["status"] == "ok":
            items.append(f'<li><a href="{_e(r["name"])}.html">{_e(label)}</a> '
                         f'(<a href="{_e(r["name"])}.ipynb">notebook</a>)</li>')
        else:
            partial = (f' (<a href="{_e(r["name"])}.FAILED.ipynb">partial notebook</a>)'
                       if (run_dir / f"{r['name']}.FAILED.ipynb").exists() else "")
            items.append(f'<li class=failed>{_e(label)}: failed: {_e(r["error"])}{partial}</li>')
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: run {_e(run_id)}"
            f"</title><style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}</h1><p>{_e(appraisal.council)}: "
            f"run {_e(run_id)}, scenario {_e(scenario)}.</p><ul><li><a href=summary.html>Summary of every option and "
            f"stage</a> (<a href=summary.csv>CSV</a>)</li><li><a href=manifest.json>Manifest: what went in</a></li></ul>"
            f"<h2>Reports</h2><ul>{''.join(items)}</ul></body></html>")


