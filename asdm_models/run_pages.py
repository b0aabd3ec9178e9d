"""The pages of a run folder a reader opens first: ``index.html`` and ``summary.html``.

``index.html`` leads with the finding: the recommendation at each stage (the option, its NPSV against no
change, its chance of beating no change, the gate and the test that decided it), then the options in the base
case side by side, then the links to every report and output of the folder. ``summary.html`` is every row of
``summary.csv``, the run's own scenario first, sortable by any column and filterable by stage, scenario and
option (a few lines of inline script: the page works offline, from a file, with no CDN), each row linking to
its report.

Numbers follow the reports' one style (:mod:`asdm_models.units`): £m in the headline and the overview, full
pounds in the detail table, a true minus sign that never wraps, probabilities by
:func:`~asdm_models.units.format_probability`. Gates are words, never a colour alone.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from .outputs import read_csv_written
from .units import format_probability, gbp_full, gbp_m, minus

__all__ = ["index_html", "summary_html", "stage_recommendations"]


_CSS = """body{font-family:Arial,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1em}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap;vertical-align:top}
th{background:#f3f5f6;white-space:normal;vertical-align:bottom}td.t,th.t{text-align:left}td.w{text-align:left;white-space:normal;min-width:10em;max-width:22em}
.failed{color:#b3261e;font-weight:bold}.note{color:#555}.muted td{color:#777}
.rec{border-left:4px solid #0072b2;padding:.4em 1em;margin:.6em 0;background:#f5f9fc}
.rec h3{margin:.1em 0 .3em}.rec p{margin:.2em 0}
th.sort{cursor:pointer}th.sort:after{content:" \\2195";color:#999}th[aria-sort=ascending]:after{content:" \\25B2";color:#222}
th[aria-sort=descending]:after{content:" \\25BC";color:#222}.filters label{margin-right:1.2em}
.wrap{overflow-x:auto;max-width:100%}"""

_ILLUSTRATIVE = "<p class=note><b>Illustrative data:</b> every figure is invented for demonstration. Do not quote it.</p>"


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _text(v) -> str:
    return "" if _missing(v) else str(v)


def _base_rows(summary: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of the run's own scenario (the reports' figures), in the summary's order."""
    if summary is None or not len(summary):
        return pd.DataFrame(columns=list(summary.columns) if summary is not None else [])
    return summary[summary["scenario"] == scenario]


def stage_recommendations(appraisal, summary: pd.DataFrame, scenario: str = "base") -> list[dict]:
    """For each stage of the run: the option to recommend (by :func:`~asdm_models.business_case.recommend`, the
    rule of the options-appraisal report) with its figures and the gate test that decided its gate.

    Each dict has ``stage``, ``label``, ``option`` (None: keep no change), ``name``, ``npsv_vs_no_change_gbp``,
    ``prob_beats_no_change``, ``gate``, ``decided_by`` (words) and ``passed_over`` (options ranked above it).
    """
    from .business_case import gate_failures, gate_of_row, recommend

    rows = _base_rows(summary, scenario)
    rows = rows[rows["status"] == "ok"] if len(rows) else rows
    out = []
    for stage in dict.fromkeys(rows["stage"]) if len(rows) else []:
        ov = rows[rows["stage"] == stage].copy()
        ov["shortlisted"] = ov["shortlisted"].map(lambda v: str(v).strip().lower() in ("true", "1", "yes"))
        label = appraisal.stages[stage].label if stage in appraisal.stages else stage.upper()
        choice, passed = recommend(ov)
        item = {"stage": stage, "label": label, "passed_over": passed}
        if choice is None:
            cands = ov[(ov["model"] != "no_change") & ov["shortlisted"]].sort_values("npsv_vs_no_change_gbp",
                                                                                      ascending=False)
            best = cands.iloc[0] if len(cands) else None
            why = ("no short-listed option beats no change and passes the gate"
                   + (f"; the best of them, {best['name']}, fails: {gate_failures(appraisal, stage, best)}"
                      if best is not None and gate_failures(appraisal, stage, best) else ""))
            item.update(option=None, name="No change (keep the service as it is)", npsv_vs_no_change_gbp=0.0,
                        prob_beats_no_change=None, gate="", decided_by=why)
        else:
            g = gate_of_row(appraisal, stage, choice)
            failed = gate_failures(appraisal, stage, choice)
            tests = g.tests[g.tests["result"] == "pass"]
            if failed:
                decided = f"not met: {failed}"
            else:
                decided = "every test met: " + "; ".join(
                    f"{t.description} ({t.value_text} against {t.threshold})" for t in tests.itertuples())
            item.update(option=choice["option"], name=choice["name"],
                        npsv_vs_no_change_gbp=float(choice["npsv_vs_no_change_gbp"]),
                        prob_beats_no_change=None if _missing(choice["prob_beats_no_change"])
                        else float(choice["prob_beats_no_change"]), gate=choice["gate"], decided_by=decided)
        out.append(item)
    return out


def _recommendation_html(appraisal, summary, scenario) -> str:
    recs = stage_recommendations(appraisal, summary, scenario)
    if not recs:
        return "<p class=failed>No report of this run finished: there is no recommendation.</p>"
    parts = []
    for r in recs:
        if r["option"] is None:
            body = f"<p>Keep the service as it is: {_e(r['decided_by'])}.</p>"
        else:
            chance = (f"beats no change in {_e(format_probability(r['prob_beats_no_change']))} of the Monte Carlo draws"
                      if r["prob_beats_no_change"] is not None else "Monte Carlo not run")
            body = (f"<p><b>{gbp_m(r['npsv_vs_no_change_gbp'], signed=True)}</b> net present social value against no "
                    f"change (risk- and optimism-bias-adjusted); {chance}.</p>"
                    f"<p>Gate: <b>{_e(r['gate'])}</b>, {minus(_e(r['decided_by']))}.</p>")
            if r["passed_over"]:
                body += ("<p class=note>Ranked above it but not recommended: "
                         + "; ".join(f"{_e(n)} ({_e(w)})" for n, w in r["passed_over"]) + ".</p>")
        parts.append(f'<div class="rec"><h3>{_e(r["label"])}: {_e(r["name"])}</h3>{body}</div>')
    return "".join(parts)


def _overview_html(appraisal, summary, scenario) -> str:
    """The options side by side in the run's scenario, one table per stage, £m."""
    rows = _base_rows(summary, scenario)
    if not len(rows):
        return ""
    out = []
    for stage in dict.fromkeys(rows["stage"]):
        label = appraisal.stages[stage].label if stage in appraisal.stages else stage.upper()
        df = rows[rows["stage"] == stage]
        body = []
        for _, r in df.sort_values("npsv_vs_no_change_gbp", ascending=False, kind="stable").iterrows():
            link = f"{_e(r['option'])}-{_e(r['stage'])}.html"
            if r["status"] != "ok":
                body.append(f'<tr><td class=t><a href="{link}">{_e(r["name"] or r["option"])}</a></td>'
                            f'<td class="t failed" colspan=6>report failed: {_e(r["error"])}</td></tr>')
                continue
            shortlisted = str(r.get("shortlisted")).strip().lower() in ("true", "1", "yes")
            rng = ("" if _missing(r["p10_npsv_vs_no_change_gbp"]) else
                   f"{gbp_m(r['p10_npsv_vs_no_change_gbp'])} to {gbp_m(r['p90_npsv_vs_no_change_gbp'])}")
            gate = _text(r["gate"]) + ("" if shortlisted or r["model"] == "no_change" else " (not short-listed)")
            body.append(
                f'<tr{"" if shortlisted else " class=muted"}><td class=w><a href="{link}">{_e(r["name"])}</a></td>'
                f"<td>{gbp_m(r['npsv_vs_no_change_gbp'])}</td><td>{gbp_m(r['council_npv_vs_no_change_gbp'])}</td>"
                f"<td>{_e(format_probability(None if _missing(r['prob_beats_no_change']) else float(r['prob_beats_no_change'])))}</td>"
                f"<td>{rng}</td><td class=t>{_e(_text(r['payback_year']))}</td><td class=t>{_e(gate)}</td></tr>")
        out.append(f"<h3>{_e(label)}</h3><div class=wrap><table><thead><tr><th class=t>Option</th>"
                   "<th>NPSV vs no change</th><th>Council budget vs no change</th><th>Chance of beating no change</th>"
                   "<th>P10 to P90</th><th class=t>Payback</th><th class=t>Gate</th></tr></thead><tbody>"
                   + "".join(body) + "</tbody></table></div>")
    what = "base case" if scenario == "base" else f"{scenario} scenario"
    return (f"<h2>The options side by side ({_e(what)})</h2><p class=note>Present values, real at "
            f"{_e(appraisal.price_base)} prices, discounted, in £m; positive is better than no change. The council "
            "budget figure keeps transfers in. Options not short-listed are in grey.</p>" + "".join(out))


def summary_html(appraisal, summary: pd.DataFrame, run_id: str, scenario: str = "base") -> str:
    """Every row of ``summary.csv``: the run's own scenario first, sortable and filterable, each row linked to its
    report. Money in full pounds (a detail table); the sort uses the numbers, not their text."""
    cols = [("name", "Option", "t"), ("stage", "Stage", "t"), ("scenario", "Scenario", "t"),
            ("npsv_vs_no_change_gbp", "NPSV vs no change", "gbp"),
            ("council_npv_vs_no_change_gbp", "Council NPV vs no change", "gbp"),
            ("p10_npsv_vs_no_change_gbp", "P10", "gbp"), ("p50_npsv_vs_no_change_gbp", "P50", "gbp"),
            ("p90_npsv_vs_no_change_gbp", "P90", "gbp"), ("prob_beats_no_change", "Chance of beating no change", "pct"),
            ("payback_year", "Payback", "t"), ("breakeven_year", "Break-even", "t"),
            ("peak_funding_gbp", "Peak funding", "gbp"), ("gate", "Gate", "t"), ("status", "Status", "t")]
    scen = scenario if summary is not None and len(summary) and (summary["scenario"] == scenario).any() else "base"
    order = summary.assign(_own=(summary["scenario"] != scen).astype(int)).sort_values("_own", kind="stable")
    head = "".join(f'<th class="sort{" t" if k == "t" else ""}" data-col="{i}" aria-sort="none">{_e(h)}</th>'
                   for i, (_, h, k) in enumerate(cols))
    base_prob = {(r["option"], r["stage"]): r["prob_beats_no_change"] for _, r in summary.iterrows()
                 if r["scenario"] == "base"}
    base_npsv = {(r["option"], r["stage"]): r["npsv_vs_no_change_gbp"] for _, r in summary.iterrows()
                 if r["scenario"] == "base"}
    odd_rows = 0
    body = []
    for _, row in order.iterrows():
        cells = []
        for c, _, kind in cols:
            v = row[c]
            if _missing(v):
                text, key = "", ""
            elif kind == "gbp":
                text, key = gbp_full(float(v)), repr(float(v))
            elif kind == "pct":
                text, key = format_probability(float(v)), repr(float(v))
            else:
                text, key = str(v), str(v)
            if c == "prob_beats_no_change" and row["scenario"] != "base" and text:
                bp, bn = base_prob.get((row["option"], row["stage"])), base_npsv.get((row["option"], row["stage"]))
                if not _missing(bp) and not _missing(bn) and float(v) > float(bp) and row["npsv_vs_no_change_gbp"] < bn:
                    text += " *"
                    odd_rows += 1
            k = _e(key)
            if c == "name":
                label = _e(text or row["option"])
                cells.append(f'<td class="w" data-v="{k}"><a href="{_e(row["option"])}-{_e(row["stage"])}.html">{label}</a></td>')
            elif c == "status" and v != "ok":
                cells.append(f'<td class="w failed" data-v="{k}">{_e(text)}: {_e(row["error"])}</td>')
            else:
                cells.append(f'<td class="{"t" if kind == "t" else ""}" data-v="{k}">{_e(text)}</td>')
        body.append(f'<tr data-stage="{_e(row["stage"])}" data-scenario="{_e(row["scenario"])}" '
                    f'data-option="{_e(row["option"])}">' + "".join(cells) + "</tr>")

    def select(name, label, values):
        opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in values)
        return f'<label>{_e(label)} <select data-filter="{name}"><option value="">all</option>{opts}</select></label>'

    stages = [(s, s.upper()) for s in dict.fromkeys(summary["stage"])]
    scens = [(s, s) for s in dict.fromkeys(order["scenario"])]
    names = dict(zip(summary["option"], summary["name"].fillna(summary["option"])))
    filters = (f'<p class="filters">{select("stage", "Stage", stages)}{select("scenario", "Scenario", scens)}'
               f'{select("option", "Option", names.items())}<span id=count class=note></span></p>')
    note = _ILLUSTRATIVE if appraisal.illustrative else ""
    fixed = ("<p class=note>A named scenario sets some drivers to fixed values; those drivers are then no longer "
             "uncertain and its Monte Carlo draws only the rest. A scenario's chance of beating no change therefore "
             "measures less uncertainty than the base case's and is not comparable with it: a worse scenario can show "
             "a higher chance." + (" Marked *: a scenario with a lower NPSV than the base case but a higher chance, "
                                   "for that reason." if odd_rows else "") + " Each option's report says how many "
             "drivers each scenario fixes.</p>") if (summary["scenario"] != "base").any() else ""
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: summary</title>"
            f"<style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}: every option, stage and scenario</h1>"
            f"<p>{_e(appraisal.council)}. Run {_e(run_id)}. Money in full pounds; NPVs real at "
            f"{_e(appraisal.price_base)} prices, discounted; positive is better than no change. The {_e(scen)} "
            f"rows (the reports' figures) come first; click a heading to sort, choose below to filter.</p>{note}"
            f"{filters}{fixed}<div class=wrap><table id=summary><thead><tr>{head}</tr></thead><tbody>" + "".join(body)
            + "</tbody></table></div><p><a href=index.html>The run's recommendation and all its reports</a> · "
            f"<a href=summary.csv>summary.csv</a></p><script>{_SCRIPT}</script></body></html>")


# Sorting and filtering, offline: sort by a cell's data-v (numbers as numbers, blanks last), filter rows by
# their data-stage / data-scenario / data-option attributes.
_SCRIPT = """(function(){var t=document.getElementById('summary'),b=t.tBodies[0];
function rows(){return Array.prototype.slice.call(b.rows);}
function filt(){var f={},n=0;document.querySelectorAll('select[data-filter]').forEach(function(s){f[s.dataset.filter]=s.value;});
rows().forEach(function(r){var ok=(!f.stage||r.dataset.stage==f.stage)&&(!f.scenario||r.dataset.scenario==f.scenario)&&(!f.option||r.dataset.option==f.option);
r.hidden=!ok;if(ok)n++;});document.getElementById('count').textContent=' '+n+' of '+rows().length+' rows shown';}
document.querySelectorAll('select[data-filter]').forEach(function(s){s.addEventListener('change',filt);});
t.querySelectorAll('th.sort').forEach(function(h){h.addEventListener('click',function(){var i=+h.dataset.col,
d=h.getAttribute('aria-sort')=='ascending'?-1:1;t.querySelectorAll('th.sort').forEach(function(x){x.setAttribute('aria-sort','none');});
h.setAttribute('aria-sort',d>0?'ascending':'descending');var rs=rows();rs.sort(function(a,c){var x=a.cells[i].dataset.v,y=c.cells[i].dataset.v;
if(x===''&&y==='')return 0;if(x==='')return 1;if(y==='')return -1;var p=parseFloat(x),q=parseFloat(y);
var r=(!isNaN(p)&&!isNaN(q)&&String(p)!=='NaN'&&/^[-+0-9.e]+$/i.test(x)&&/^[-+0-9.e]+$/i.test(y))?p-q:x.localeCompare(y);return d*r;});
rs.forEach(function(r){b.appendChild(r);});});});filt();})();"""


def _read_summary(run_dir: Path) -> pd.DataFrame | None:
    p = Path(run_dir) / "summary.csv"
    if not p.exists():
        return None
    return read_csv_written(p)


def _outputs_html(reports, run_dir: Path) -> str:
    """Links to the run's other outputs when they are in the folder: results.xlsx, packs, slides, figures."""
    run_dir = Path(run_dir)
    items = []
    failed = {r["name"]: r for r in reports if r.get("kind") == "output" and r["status"] != "ok"}
    if (run_dir / "results.xlsx").exists():
        items.append('<li><a href="results.xlsx">results.xlsx</a>: every figure for the budget workbook</li>')
    for pdf in sorted(run_dir.glob("pack-*.pdf")):
        items.append(f'<li><a href="{_e(pdf.name)}">{_e(pdf.name)}</a>: the cabinet pack '
                     f"({_e(pdf.stem.split('-', 1)[1].upper())}, A4 PDF)</li>")
    for deck in sorted(run_dir.glob("slides-*.pptx")):
        items.append(f'<li><a href="{_e(deck.name)}">{_e(deck.name)}</a>: slides '
                     f"({_e(deck.stem.split('-', 1)[1].upper())})</li>")
    figs = sorted((run_dir / "figures").glob("*.png")) if (run_dir / "figures").is_dir() else []
    if figs:
        items.append(f'<li><a href="figures/">figures/</a>: {len(figs)} charts as PNG and SVG for papers</li>')
    for name, r in failed.items():
        items.append(f"<li class=failed>{_e(name)}: failed: {_e(r['error'])}</li>")
    return "".join(items)


def index_html(appraisal, reports, run_id: str, scenario: str, run_dir: Path, summary: pd.DataFrame | None = None) -> str:
    """The run's front page: the recommendation at each stage, the options side by side, then every link.

    ``summary`` is the run's ``summary.csv`` frame (read from ``run_dir`` when not given); ``reports`` the run's
    report entries, with those of ``kind == "output"`` (results.xlsx, figures, pack) listed with the outputs.
    """
    run_dir = Path(run_dir)
    if summary is None:
        summary = _read_summary(run_dir)
    items = []
    for r in reports:
        if r.get("kind") == "output":
            continue
        known = appraisal.options.get(r["option"]) if r["option"] else None
        label = (f"{known.name if known else r['option']}: {r['stage'].upper()}" if r["option"] else
                 "Benefits realisation (outturn against the full business case, and the re-forecast)"
                 if r.get("kind") == "realisation" else
                 "Options appraisal (all options side by side, the long list and the short list)")
        if r["status"] == "ok":
            items.append(f'<li><a href="{_e(r["name"])}.html">{_e(label)}</a> '
                         f'(<a href="{_e(r["name"])}.ipynb">notebook</a>)</li>')
        else:
            partial = (f' (<a href="{_e(r["name"])}.FAILED.ipynb">partial notebook</a>)'
                       if (run_dir / f"{r['name']}.FAILED.ipynb").exists() else "")
            items.append(f'<li class=failed>{_e(label)}: failed: {_e(r["error"])}{partial}</li>')
    have = summary is not None and len(summary)
    lead = (_recommendation_html(appraisal, summary, scenario) + _overview_html(appraisal, summary, scenario)
            if have else "<p class=failed>No summary for this run: see the reports below.</p>")
    what = "the base case" if scenario == "base" else f"the {scenario} scenario"
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: run {_e(run_id)}"
            f"</title><style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}</h1><p>{_e(appraisal.council)} · "
            f"run {_e(run_id)} · {_e(what)}</p>{_ILLUSTRATIVE if appraisal.illustrative else ''}"
            f"<h2>Recommendation</h2>{lead}"
            f"<h2>Reports and outputs</h2><ul><li><a href=summary.html>Every option, stage and scenario</a> "
            f"(sortable; <a href=summary.csv>CSV</a>)</li>{_outputs_html(reports, run_dir)}"
            f"<li><a href=manifest.json>Manifest: what went in, and how to re-run it</a></li></ul>"
            f"<h3>Business cases</h3><ul>{''.join(items)}</ul></body></html>")
