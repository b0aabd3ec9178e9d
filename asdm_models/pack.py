"""The cabinet pack: one A4 PDF per business-case stage, built from a finished run folder.

``asdm pack RUN_DIR`` (and ``asdm run --pack``) call :func:`write_pack`, which writes
``RUN_DIR/pack-<stage>.pdf`` for every stage of the run (and, with ``pptx=True``, the slides of
:mod:`asdm_models.slides`, ``RUN_DIR/slides-<stage>.pptx``). A pack is for decision-makers: a
member reads page 1 in two minutes; a finance officer can defend every line of it.

1. **Summary** (page 1): the recommendation; the options side by side with NPSV against no change,
   the council's budget effect and payback, the chance of beating no change and the gate; the
   gate's conditions.
2. **The options compared**: the chart of all options with their P10-P90 ranges and the figures in
   full pounds, on one basis (every column against no change).
3. **A page per short-listed option**: the headline, the NPSV waterfall, the budget impact by year
   against the savings target, the risk that matters most (the largest expected cost in its risk
   register) and the switching value that matters most (the uncertain driver that needs the
   smallest relative change to reverse whether the option beats no change).
4. **The assumption register** (shared assumptions once, then what each option states), and the
   run's **provenance**: run id, dates, command, seed, draws, suite version and commit, package
   versions, and the sha256 of every input, so a printed pack can be traced to its run and
   checked with ``asdm verify``.

Where the figures come from. The headline figures (NPSV, council NPV, payback, percentiles,
probability, gate) are read from the run's ``summary.csv``; nothing is re-sampled. The
deterministic detail (waterfall lines, budget by year, risks, switching values, the register) is
recomputed with the package (a fraction of a second per option), after checking that the data's
hashes still match the manifest and that the recomputed NPSV matches ``summary.csv``: a pack never
mixes figures from two versions of the inputs.

The route to PDF is Typst (the ``typst`` wheel: a self-contained typesetter, no browser, no TeX):
``templates/pack/pack.typ`` lays out a JSON of already-formatted text, so a figure prints exactly
as :func:`money` or :func:`money_m` formats it. The charts (:mod:`asdm_models.pack_charts`) are
drawn by Typst too, as vector shapes in the document's own font, and kept whole on a page; the
reports' plotly charts as PNG/SVG are :mod:`asdm_models.figures`' job. The document's date is the
run's, not today's, so the same run gives the same bytes.

Money: £m to two decimals (``£1.83m``) in headings, prose and the summary table; full pounds
(``£1,829,276``) in detail tables; a negative is written with a true minus sign (``−£1,097,367``)
and never wraps.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import RunError
from .outputs import read_csv_written, write_bytes_atomic
from .units import format_gbp, format_pct, format_probability, gbp_m

__all__ = ["write_pack", "load_run", "stage_content", "render_pdf", "money", "money_m", "signed_m", "probability",
           "minus", "inputs_digest", "PACK_TEMPLATE", "RunFolder", "StageContent"]

PACK_TEMPLATE = Path(__file__).parent / "templates" / "pack" / "pack.typ"
MINUS = "\u2212"
_HYPHEN_MINUS = re.compile(r"(?<![\w.])-(?=[£$\d])")



# ---------------------------------------------------------------------------------------------- formats
def minus(text: str) -> str:
    """Hyphen-minus before a number or £ becomes a true minus sign (``-£5`` -> ``−£5``); other hyphens stay.

    >>> minus("-£1,097,367 in 2026-27, -3.5%")
    '−£1,097,367 in 2026-27, −3.5%'
    """
    return _HYPHEN_MINUS.sub(MINUS, str(text))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def money(x) -> str:
    """Full pounds for detail tables: ``−£1,097,367``; empty where the figure does not apply.

    >>> money(-1097367.4), money(None)
    ('−£1,097,367', '')
    """
    return "" if _missing(x) else minus(format_gbp(float(x), millions=False))


def money_m(x) -> str:
    """£m to one or two decimals for headings, prose and summary tables: ``£1.83m``, ``−£0.23m``.

    >>> money_m(1829275.57), money_m(-233677.4)
    ('£1.83m', '−£0.23m')
    """
    # The reports' one style, two decimals below £100m (£0.80m, £1.00m, never £1m); Typst keeps a minus with its
    # figure itself, so without the word joiner the HTML reports need.
    return gbp_m(x).replace("\u2060", "")


def signed_m(x) -> str:
    """£m with its sign, for a change: ``+£1.38m``, ``−£0.23m``."""
    return gbp_m(x, signed=True).replace("\u2060", "")


def probability(p) -> str:
    """A probability as the reports print it (``>99.9%``, ``63%``)."""
    return "" if _missing(p) else format_probability(float(p))


def _text(x) -> str:
    return "" if _missing(x) else str(x)


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class RunFolder:
    """A finished run: its manifest, its summary and the appraisal it was run on."""

    path: Path
    manifest: dict
    summary: pd.DataFrame
    appraisal: object
    scenario: str | None  # None for base
    date: _dt.datetime
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    def rows(self, stage: str) -> pd.DataFrame:
        """The summary rows of the run's own scenario at ``stage``, in the run's option order."""
        s = self.summary
        scen = self.manifest.get("scenario", "base")
        df = s[(s["stage"] == stage) & (s["scenario"] == scen)].copy()
        order = {o: i for i, o in enumerate(self.manifest.get("options", []))}
        df["_order"] = df["option"].map(lambda o: order.get(o, len(order)))
        return df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)

    def result(self, option: str, stage: str):
        from .appraisal import appraise

        key = ("appraise", option, stage)
        if key not in self.cache:
            self.cache[key] = appraise(self.appraisal, option, stage, scenario=self.scenario)
        return self.cache[key]


def inputs_digest(manifest: dict) -> str:
    """One sha256 for all of a run's inputs: of the sorted ``path  sha256`` lines of its data files.

    Printed on every page, so two packs with the same digest were made from the same inputs.
    """
    lines = "".join(f"{p}  {h}\n" for p, h in sorted(manifest.get("inputs", {}).items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def load_run(run_dir, *, data_dir=None) -> RunFolder:
    """Read a run folder (``manifest.json``, ``summary.csv``) and load the appraisal it ran on.

    Raises :class:`RunError` when the folder is not a finished run, or when the data has changed since
    the run (the pack would print figures the run did not produce).
    """
    from .assumptions import load_appraisal
    from .decisions import is_journey_record
    from .provenance import input_hashes

    run_dir = Path(run_dir)
    mpath, spath = run_dir / "manifest.json", run_dir / "summary.csv"
    if not mpath.exists() or not spath.exists():
        raise RunError(f"{run_dir}: no manifest.json or summary.csv (not a run folder, or the run did not finish)")
    try:
        manifest = json.loads(mpath.read_text())
    except json.JSONDecodeError as e:
        raise RunError(f"{mpath}: not valid JSON ({e.msg} at line {e.lineno})") from None
    summary = read_csv_written(spath)
    for col in ("shortlisted",):
        summary[col] = summary[col].map(lambda v: v is True or str(v).lower() == "true")
    data = Path(data_dir or manifest["data_dir"])
    if not data.is_absolute():
        data = (run_dir / data).resolve()
    if not data.exists():
        raise RunError(f"{run_dir}: the appraisal's data folder {data} is not there; pass its new place as data_dir")
    appraisal = load_appraisal(data, partial=True)
    recorded = manifest.get("inputs", {})
    now = input_hashes(appraisal.input_files, base=data.parent)
    # a journey record (the decision log, filed papers, actuals) is written after the run it cites: not a change
    changed = sorted(p for p in set(recorded) | set(now) if recorded.get(p) != now.get(p) and not is_journey_record(p))
    if changed:
        raise RunError(f"{run_dir}: the data has changed since the run ({', '.join(changed[:5])}"
                       f"{' ...' if len(changed) > 5 else ''}); re-run it (asdm run) before making its pack")
    when = manifest.get("finished") or manifest.get("started")
    date = _dt.datetime.fromisoformat(when) if when else _dt.datetime(1980, 1, 1, tzinfo=_dt.timezone.utc)
    if date.tzinfo is None:
        date = date.replace(tzinfo=_dt.timezone.utc)
    scen = manifest.get("scenario", "base")
    return RunFolder(run_dir, manifest, summary, appraisal, None if scen == "base" else scen, date)


# ---------------------------------------------------------------------------------------------- content
@dataclass
class StageContent:
    """What the pack and the slides show for one stage: formatted text (``data``) and the charts."""

    stage: str
    data: dict
    charts: dict  # name -> drawing (asdm_models.pack_charts), also in data["charts"]
    recommended: str | None  # option id, or None for no change
    rows: pd.DataFrame = field(repr=False)
    details: dict = field(repr=False, default_factory=dict)  # option id -> detail dict (slides reuse it)


def _gate(run: RunFolder, row, stage: str):
    from .gates import evaluate_gate

    metrics = {k: (None if _missing(v) else v) for k, v in row.items()}
    metrics["entity_lowest_cash_gbp"] = metrics.get("lowest_cash_gbp")
    return evaluate_gate(run.appraisal, stage, metrics)


def _failed_tests(gate) -> str:
    failed = gate.tests[gate.tests["result"] == "fail"]
    return "; ".join(minus(f"{r.description}: {r.value_text} against {r.threshold}") for r in failed.itertuples())


def _payback(y) -> str:
    return _text(y) or "none in the period"


def _top_risk(run: RunFolder, result) -> dict | None:
    """The risk with the largest expected cost (probability x triangular mean impact) at this stage."""
    from .adjustments import triangular_mean

    opt = result.inputs.option
    v = result.inputs.values
    best = None
    for k in opt.risks:
        p = float(v.get(f"risks.{k.id}.probability", k.probability))
        lo = float(v.get(f"risks.{k.id}.impact_low_gbp", k.impact_low_gbp))
        ml = float(v.get(f"risks.{k.id}.impact_most_likely_gbp", k.impact_most_likely_gbp))
        hi = float(v.get(f"risks.{k.id}.impact_high_gbp", k.impact_high_gbp))
        ev = p * float(triangular_mean(lo, ml, hi))
        if best is None or ev > best["expected_gbp"]:
            best = {"id": k.id, "description": k.description, "probability": p, "low": lo, "most_likely": ml,
                    "high": hi, "expected_gbp": ev, "borne_by": k.borne_by, "owner": k.owner,
                    "mitigation": k.mitigation, "years": f"{result.years[k.from_year]} to {result.years[k.to_year]}"}
    return best


def _top_switch(run: RunFolder, option: str, stage: str) -> dict:
    """The switching value nearest its base (smallest relative change), and the tornado's top driver."""
    from .sensitivity import switching_values, tornado

    sv = switching_values(run.appraisal, option, stage, scenario=run.scenario)
    td = tornado(run.appraisal, option, stage, scenario=run.scenario)
    out = {"statement": None, "driver": None, "change_pct": None, "others": 0,
           "tornado": (td.iloc[0]["label"], float(td.iloc[0]["swing_gbp"])) if len(td) else None}
    found = sv[sv["status"] == "found"].copy() if len(sv) else sv
    if len(found):
        found["rel"] = found["change_pct"].abs().fillna(math.inf)
        top = found.sort_values("rel", kind="stable").iloc[0]
        out.update(statement=minus(top["statement"]), driver=top["label"],
                   change_pct=None if _missing(top["change_pct"]) else float(top["change_pct"]), others=len(found) - 1)
    elif len(sv):
        out["statement"] = (f"None of the {len(sv)} uncertain drivers reverses the result within its search range: "
                            "no single assumption, moved alone, changes whether the option beats no change.")
    else:
        out["statement"] = "No uncertain driver is stated for this option, so there is no switching value."
    return out


def _vs_baseline(row, base_row, col: str):
    """An option's own present value of ``col`` (optimism bias, risk) less no change's: the basis of every column
    of a table against no change, so that unadjusted + optimism bias + risk = NPSV vs no change."""
    if _missing(row[col]):
        return None
    return float(row[col]) - (0.0 if base_row is None or _missing(base_row[col]) else float(base_row[col]))


def _option_detail(run: RunFolder, row, stage: str, base_row=None) -> dict:
    """Everything the option's page (and slide) shows."""
    from .pack_charts import budget_drawing, waterfall_drawing

    option = row["option"]
    r = run.result(option, stage)
    tol = 0.005 + 1e-9 * abs(row["npsv_vs_no_change_gbp"])
    if abs(r.npsv_vs_no_change_gbp - row["npsv_vs_no_change_gbp"]) > tol:
        raise RunError(f"{run.path}: {option} {stage}: the suite now computes NPSV vs no change "
                       f"{money(r.npsv_vs_no_change_gbp)}, the run recorded {money(row['npsv_vs_no_change_gbp'])}: "
                       "the suite has changed since the run; re-run it before making its pack")
    gate = _gate(run, row, stage)
    d = float(row["npsv_vs_no_change_gbp"])
    better = "better" if d >= 0 else "worse"
    pays = f"pays back in {row['payback_year']}" if _text(row["payback_year"]) else "does not pay back in the period"
    fin = r.financial_case
    saving = fin.loc["saving_vs_no_change_nominal_gbp"]
    target = fin.loc["savings_target_nominal_gbp"]
    cum = float(fin.loc["cumulative_saving_nominal_gbp"].iloc[-1])
    short = row["shortfall_vs_savings_target_gbp"]
    target_years = [y for y, t in zip(fin.columns, target) if t > 0]
    met = [y for y in target_years if saving[y] >= target[y] - 0.5]
    budget_note = (f"Nominal cash, costs negative. Over {len(fin.columns)} years the option "
                   f"{'saves' if cum >= 0 else 'costs'} the council {money_m(abs(cum))} against no change. "
                   + (f"It meets the savings target of {money(run.appraisal.savings_target_gbp)} a year in "
                      f"{len(met)} of the {len(target_years)} years from {target_years[0]}"
                      + (f"; the largest shortfall in any year is {money(short)}." if not _missing(short) and short > 0.5
                         else ".") if target_years else "No savings target is set."))
    risk = _top_risk(run, r)
    if risk is None:
        risk_text = "The option states no risks of its own (its risk register is empty)."
    else:
        who = f"; owner: {risk['owner']}" if risk["owner"] else ""
        mit = f" Mitigation: {risk['mitigation']}" if risk["mitigation"] else ""
        risk_text = minus(f"{risk['description']}: {format_pct(risk['probability'], 0)} likely over {risk['years']}, "
                          f"impact {money(risk['low'])} to {money(risk['high'])} (most likely {money(risk['most_likely'])}), "
                          f"expected cost {money(risk['expected_gbp'])}; borne by the {risk['borne_by']}{who}.{mit}")
    sw = _top_switch(run, option, stage)
    sw_text = sw["statement"]
    if sw["change_pct"] is not None:
        sw_text += f" That is a change of {format_pct(abs(sw['change_pct']), 0)} from the base"
        sw_text += f"; {sw['others']} other driver{'s' if sw['others'] != 1 else ''} also switch{'es' if sw['others'] == 1 else ''} it further out." if sw["others"] else "."
    if sw["tornado"]:
        sw_text += f" Between its low and high, {sw['tornado'][0].lower() if not sw['tornado'][0][:2].isupper() else sw['tornado'][0]} moves the result most ({money_m(sw['tornado'][1])} swing)."
    wf = waterfall_drawing(r)
    cf = budget_drawing(r)
    charts = {f"{option}-waterfall": wf, f"{option}-budget": cf}
    entity = not _missing(row["peak_funding_gbp"]) or not _missing(row["breakeven_year"])
    key_left = [["NPSV vs no change (risk- and optimism-bias-adjusted)", money(d)],
                ["before optimism bias and risk", money(row["npsv_vs_no_change_unadjusted_gbp"])],
                ["optimism bias against no change", money(_vs_baseline(row, base_row, "optimism_bias_pv_gbp"))],
                ["risk (expected) against no change", money(_vs_baseline(row, base_row, "risk_pv_gbp"))],
                ["Council budget vs no change (present value)", money(row["council_npv_vs_no_change_gbp"])],
                ["Payback (nominal cash)", _payback(row["payback_year"])]]
    vfm = row.get("vfm_category")
    if isinstance(vfm, str) and vfm:  # Green Book 2026: the category of the appraisal summary table
        key_left.append(["Value for money (appraisal summary table)", vfm.replace("_", " ").capitalize()])
    key_right = [["Monte Carlo P10", money(row["p10_npsv_vs_no_change_gbp"])],
                 ["P50", money(row["p50_npsv_vs_no_change_gbp"])],
                 ["P90", money(row["p90_npsv_vs_no_change_gbp"])],
                 [f"Chance of beating no change ({int(row['mc_draws']):,} draws)" if not _missing(row["mc_draws"])
                  else "Chance of beating no change", probability(row["prob_beats_no_change"])]]
    if entity:
        key_right += [["New entity: break-even year", _text(row["breakeven_year"]) or "not in the period"],
                      ["New entity: peak funding requirement", money(row["peak_funding_gbp"])]]
    else:
        key_right += [["Largest shortfall against the savings target", money(short) if not _missing(short) else ""],
                      ["Gate", _text(row["gate"])]]
    return {
        "option": option, "name": row["name"], "result": r, "gate": gate, "risk": risk, "switch": sw,

        "heading": f"{row['name']}: {money_m(abs(d))} {better} than no change; {pays}",
        "page": {
            "heading": f"{row['name']}: {money_m(abs(d))} {better} than no change; {pays}",
            "name": row["name"],  # labels the risk and sensitivity panels, which can move to the next page whole
            "intro": f"{r.inputs.option.description}",
            "key_left": key_left, "key_right": key_right,
            "waterfall": f"{option}-waterfall", "waterfall_title": minus(wf["title"]),
            "budget": f"{option}-budget", "budget_title": minus(cf["title"]), "budget_note": budget_note,
            "risk": risk_text, "switching": sw_text,
            "gate": gate.recommendation,
            "gate_sentence": minus(gate.sentence()).replace("Recommendation:", f"Gate ({stage.upper()}):", 1),
        },
        "charts": charts,
    }


def _next_step(stage: str) -> str:
    return {"obc": "develop its full business case", "fbc": "move to transition and implementation"}.get(stage, "proceed")


def stage_content(run: RunFolder, stage: str) -> StageContent:
    """The pack's content for one stage (formatted text and the charts), from the run folder."""
    from .business_case import assumption_register, recommend
    from .pack_charts import options_drawing

    a = run.appraisal
    rows = run.rows(stage)
    if rows.empty:
        raise RunError(f"{run.path}: summary.csv has no rows for stage {stage!r}")
    ok = rows[rows["status"] == "ok"].copy()
    failed = rows[rows["status"] != "ok"]
    label = a.stages[stage].label
    baseline = a.no_change.id
    choice, passed = recommend(ok) if len(ok) else (None, [])
    rec_id = None if choice is None else choice["option"]

    # -- page 1
    if choice is None:
        headline = "Keep the service as it is (no change)"
        points = ["No short-listed option both beats no change and passes the gate."]
    else:
        gate = _gate(run, choice, stage)
        headline = f"{choice['name']}: {money_m(choice['npsv_vs_no_change_gbp'])} better than no change"
        chance = (f"It beats no change in {probability(choice['prob_beats_no_change'])} of "
                  f"{int(choice['mc_draws']):,} Monte Carlo draws (P10 {money_m(choice['p10_npsv_vs_no_change_gbp'])}, "
                  f"P90 {money_m(choice['p90_npsv_vs_no_change_gbp'])})." if not _missing(choice["prob_beats_no_change"])
                  else "The Monte Carlo analysis was not run (no draws), so its chance of beating no change is not known.")
        pays = (f"pays back in {choice['payback_year']}" if _text(choice["payback_year"])
                else "does not pay back within the period")
        points = [
            f"Net present social value {money_m(choice['npsv_vs_no_change_gbp'])} better than no change over "
            f"{a.period_years} years (risk- and optimism-bias-adjusted, {a.price_base} prices).",
            chance,
            f"The council's budget: {signed_m(choice['council_npv_vs_no_change_gbp'])} against no change in present "
            f"value; in cash it {pays}.",
            f"Gate: {gate.recommendation}" + (f". Conditions: {_failed_tests(gate)}." if gate.recommendation != "proceed"
                                              else ": every test is met.") + f" Next: {_next_step(stage)}.",
        ]
    if choice is None:
        decision = ("Decision sought: agree to keep the service as it is and not to develop any option further at this "
                    "stage.")
    else:
        conditions = gate.recommendation != "proceed"
        step = {"obc": "goes forward to a full business case", "fbc": "moves to transition and implementation"}
        decision = (f"Decision sought: agree that {choice['name']} {step.get(stage, 'goes forward')}"
                    + (", subject to the conditions of the gate." if conditions else "."))
    passed_over = ("Ranked above it but not recommended: " + "; ".join(f"{n} ({why})" for n, why in passed) + "."
                   if passed else None)
    order = pd.concat([ok[ok["option"] != baseline].sort_values("npsv_vs_no_change_gbp", ascending=False, kind="stable"),
                       ok[ok["option"] == baseline], failed])
    table_rows, gate_notes = [], []
    for _, row in order.iterrows():
        if row["status"] != "ok":
            table_rows.append({"cells": [f"{row['name']} (report failed)", "", "", "", "", "", "failed"], "muted": True})
            continue
        is_base = row["option"] == baseline
        name = row["name"] + ("" if row["shortlisted"] else " (not short-listed)")
        p_range = ("" if is_base or _missing(row["p10_npsv_vs_no_change_gbp"]) else
                   f"{money_m(row['p10_npsv_vs_no_change_gbp'])} to {money_m(row['p90_npsv_vs_no_change_gbp'])}")
        table_rows.append({"cells": [name, "baseline" if is_base else money_m(row["npsv_vs_no_change_gbp"]),
                                     "baseline" if is_base else signed_m(row["council_npv_vs_no_change_gbp"]),
                                     "" if is_base else _payback(row["payback_year"]),
                                     "" if is_base else probability(row["prob_beats_no_change"]), p_range,
                                     _text(row["gate"])],
                           "bold": row["option"] == rec_id, "muted": not row["shortlisted"] or is_base})
        if not is_base and row["gate"] in ("stop", "proceed with conditions", "not assessed"):
            g = _gate(run, row, stage)
            gate_notes.append({"name": row["name"], "gate": g.recommendation,
                               "text": ("not met: " + _failed_tests(g)) if _failed_tests(g) else
                               "a required test could not be assessed"})
    n_long = len(a.options)
    in_run = len(rows)
    basis = ("NPSV: net present social value against no change, real terms at " + a.price_base + " prices, discounted at "
             "the Green Book rate, risk- and optimism-bias-adjusted, transfers left out. Council budget: the council's own "
             "flows with transfers kept in, against no change, present value. Payback: first year the council's cumulative "
             "nominal saving is no longer negative. Chance and P10 to P90 from " +
             (f"{int(run.manifest.get('draws', 0)):,}" if run.manifest.get("draws") else "no") + " Monte Carlo draws (seed "
             f"{run.manifest.get('seed')}). Positive is better than no change."
             + (f" This run covers {in_run} of the {n_long} options on the long list." if in_run < n_long else ""))
    summary = {"headline": headline, "points": points, "passed_over": passed_over, "decision": decision,
               "table_heading": f"The options side by side ({label.lower()}, {'base case' if run.scenario is None else run.scenario + ' scenario'})",
               "table": {"header": ["Option", "NPSV vs no change", "Council budget vs no change", "Payback",
                                    "Chance of beating no change", "P10 to P90", "Gate"],
                         "numeric": [False, True, True, False, True, True, False], "rows": table_rows},
               "basis": basis, "gate_notes": gate_notes}

    # -- the options compared
    charts = {}
    ranked = order[(order["status"] == "ok") & (order["option"] != baseline)]
    charts["options"] = options_drawing([{k: (None if _missing(v) else v) for k, v in r.items()}
                                         for _, r in ranked.iterrows()])
    best = ranked.iloc[0] if len(ranked) else None
    compare_heading = (f"{best['name']} offers the most value against no change at {stage.upper()} "
                       f"({money_m(best['npsv_vs_no_change_gbp'])})" if best is not None and best["npsv_vs_no_change_gbp"] > 0
                       else f"No option beats no change at {stage.upper()}")
    detail_rows = []
    base_rows = ok[ok["option"] == baseline]
    base_row = base_rows.iloc[0] if len(base_rows) else None
    if base_row is None:  # no change not in the run: its figures from the model, as the reports compute them
        r0 = run.result(baseline, stage)
        base_row = pd.Series({"optimism_bias_pv_gbp": r0.optimism_bias_pv_gbp, "risk_pv_gbp": r0.risk_pv_gbp})
    for _, row in order.iterrows():
        if row["status"] != "ok" or row["option"] == baseline:
            continue
        detail_rows.append({"cells": [row["name"], money(row["npsv_vs_no_change_unadjusted_gbp"]),
                                      money(_vs_baseline(row, base_row, "optimism_bias_pv_gbp")),
                                      money(_vs_baseline(row, base_row, "risk_pv_gbp")),
                                      money(row["npsv_vs_no_change_gbp"]), money(row["council_npv_vs_no_change_gbp"]),
                                      money(row["p50_npsv_vs_no_change_gbp"])],
                            "bold": row["option"] == rec_id, "muted": not row["shortlisted"]})
    compare = {
        "heading": minus(compare_heading),
        "intro": ("Every column is against no change, in present value, so that each row adds up: the figure before "
                  "optimism bias and risk, plus the optimism bias and the expected cost of risks the option adds to no "
                  "change's own, is its NPSV against no change. P50 is the median of the Monte Carlo draws; the bar is the "
                  "deterministic figure."),
        "chart": "options", "chart_title": "NPSV against no change: each option's figure (bar) and its P50 with the "
                                               "P10 to P90 range of the Monte Carlo draws",
        "table": {"header": ["Option", "Before optimism bias and risk", "Optimism bias", "Risk (expected)", "NPSV vs no change",
                             "Council budget vs no change", "P50"],
                  "numeric": [False] + [True] * 6, "rows": detail_rows},
        "basis": "Full pounds, present values at " + a.price_base + " prices. Options not short-listed are shown in grey "
                 "for completeness; they are not recommended.",
    }

    # -- one page per short-listed option
    details, pages = {}, []
    short = order[(order["status"] == "ok") & order["shortlisted"] & (order["option"] != baseline)]
    for _, row in short.iterrows():
        det = _option_detail(run, row, stage, base_row)
        details[row["option"]] = det
        pages.append(det["page"])
        charts.update(det["charts"])

    # -- the assumption register: shared assumptions once, then each short-listed option's own
    groups = []
    shared_done = False
    for _, row in short.iterrows():
        reg = assumption_register(a, run.result(row["option"], stage))
        shared = reg[reg["applies to"].str.startswith(("economy", "current service"))]
        own = reg[~reg.index.isin(shared.index)]
        if not shared_done:
            groups.append({"title": "Shared by every option: the economy and the current service",
                           "table": _register_table(shared)})
            shared_done = True
        groups.append({"title": f"Stated by {row['name']}",
                       "table": _register_table(own) if len(own) else
                       {"header": ["Assumption", "Value used", "Source", "Confidence"], "numeric": [False] * 4,
                        "rows": [{"cells": ["(follows the current service throughout)", "", "", ""]}]}})
    register = {"intro": ("Every assumption behind the figures in this pack, with the value used at this stage, its "
                          "source and how confident the council is in it. An option that does not state a driver follows "
                          "the current service."), "groups": groups}

    # -- provenance
    m = run.manifest
    suite = m.get("suite", {}) or {}
    commit = suite.get("commit") or "not recorded"
    pk = m.get("packages", {}) or {}
    prov_rows = [
        ["Run id", run.run_id], ["Started", _text(m.get("started"))], ["Finished", _text(m.get("finished"))],
        # A long argument (a list of option ids, a path) may break after a comma or slash, never run off the page.
        ["Command", " ".join(map(str, m.get("command", []))).replace(",", ",\u200b").replace("/", "/\u200b")],
        ["Appraisal", f"{m.get('appraisal')} ({a.title})"],
        ["Options", ", ".join(m.get("options", []))], ["Stages", ", ".join(m.get("stages", []))],
        ["Scenario", _text(m.get("scenario"))], ["Monte Carlo", f"{int(m.get('draws', 0)):,} draws, seed {m.get('seed')}"],
        ["Suite", f"asdm {pk.get('asdm') or ''}, commit {commit}"
                  + (" (with uncommitted changes)" if suite.get("dirty") else "")],
        ["Inputs fingerprint", inputs_digest(m)],
        ["Software", ", ".join(f"{k} {v}" for k, v in pk.items() if k not in ("asdm", "platform") and v)],
    ]
    inputs = [[p, h] for p, h in sorted(m.get("inputs", {}).items())] + \
             [[p, h] for p, h in sorted(m.get("notebooks", {}).items())]
    provenance = {
        "intro": ("The figures in this pack are those of the run below. The inputs fingerprint (also in every page's "
                  "footer) is the sha256 of the list of input files and their own sha256, so a printed page can be "
                  "matched to its run."),
        "rows": prov_rows, "inputs": inputs,
        "verify": (f"To check the figures: asdm verify {run.path.name} re-runs what the manifest records and lists any "
                   "difference; it needs the same inputs (the hashes above)."),
    }

    footer = (f"Run {run.run_id} · asdm {pk.get('asdm') or ''} ({commit[:12]}{', modified' if suite.get('dirty') else ''})"
              f" · inputs sha256 {inputs_digest(m)[:16]} · {run.date.date().isoformat()}")
    data = {
        "title": a.title, "council": a.council, "service": a.service, "stage": stage, "stage_label": label,
        "illustrative": bool(a.illustrative),
        "illustrative_note": "Every figure in this appraisal is invented for demonstration. Do not quote it.",
        "date": {"year": run.date.year, "month": run.date.month, "day": run.date.day},
        "date_text": f"{run.date.day} {run.date.strftime('%B %Y')}", "run_id": run.run_id, "footer": footer,
        "summary": summary, "compare": compare, "options": pages, "register": register, "provenance": provenance,
        "charts": charts,
    }
    return StageContent(stage, data, charts, rec_id, rows, details)


def _register_table(reg: pd.DataFrame) -> dict:
    return {"header": ["Assumption", "Value used", "Source", "Confidence"], "numeric": [False, False, False, False],
            "rows": [{"cells": [minus(r["assumption"]), minus(r["value used"]), r["source"], r["confidence"]]}
                     for _, r in reg.iterrows()]}


# ---------------------------------------------------------------------------------------------- rendering
def _template_files(folder: Path, content: StageContent) -> None:
    (folder / "data.json").write_text(json.dumps(content.data, ensure_ascii=False, indent=1), encoding="utf-8")
    for f in ("pack.typ", "charts.typ"):
        (folder / f).write_bytes((PACK_TEMPLATE.parent / f).read_bytes())


def render_pdf(content: StageContent, folder: Path, date: _dt.datetime) -> bytes:
    """Typeset the pack in ``folder`` (a scratch folder) and return the PDF's bytes."""
    import typst

    _template_files(folder, content)
    try:
        return typst.compile(str(folder / "pack.typ"), root=str(folder), timestamp=date, font_paths=[])
    except typst.TypstError as e:  # a template or data problem: say which
        raise RunError(f"the cabinet pack could not be typeset: {e}") from e


def write_pack(run_dir, *, pptx: bool = False, stages=None, data_dir=None) -> list[Path]:
    """Write ``RUN_DIR/pack-<stage>.pdf`` for every stage of the run (and ``slides-<stage>.pptx`` with ``pptx``).

    Parameters
    ----------
    run_dir : path
        A finished run folder (``manifest.json`` and ``summary.csv``).
    pptx : bool
        Also write the slides (:func:`asdm_models.slides.write_slides`).
    stages : list of str, optional
        Default: the run's stages.
    data_dir : path, optional
        Where the appraisal's data is now, if it has moved since the run (its hashes must still match).

    Returns the paths written. Raises :class:`RunError` for a folder that is not a finished run, or data
    that changed since the run. Needs no browser: the pack's charts are drawn by Typst.
    """
    run = load_run(run_dir, data_dir=data_dir)
    stages = list(stages or run.manifest.get("stages") or sorted(set(run.summary["stage"])))
    written = []
    for stage in stages:
        content = stage_content(run, stage)
        with tempfile.TemporaryDirectory(prefix=".asdm-pack-") as tmp:
            folder = Path(tmp)
            pdf = render_pdf(content, folder, run.date)
            written.append(write_bytes_atomic(pdf, run.path / f"pack-{stage}.pdf"))
            if pptx:
                from .slides import write_slides

                written.append(write_slides(run, content, folder))
    return written
