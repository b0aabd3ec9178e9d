"""Everything one business-case report shows, computed in one call (the notebooks stay thin).

:func:`business_case` gathers, for one option at one stage: the appraisal against no change,
the Monte Carlo distribution, tornado, switching values, scenarios and the gate; and the rows
of ``summary.csv`` (one per scenario). :func:`options_overview` does the same across options.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .appraisal import OptionAppraisal, appraise
from .case_tests import CASE_TEST_COLUMNS, CaseTests, case_tests, gate_metrics_of_row
from .gates import GateResult, evaluate_gate, success_factor_filter, weighted_score
from .montecarlo import MonteCarloResult, monte_carlo, monte_carlo_all
from .sensitivity import scenario_table, switching_values, tornado

__all__ = ["BusinessCase", "business_case", "summary_row", "summary_rows", "SUMMARY_COLUMNS", "write_metrics", "options_overview",
           "npsv_table", "recommend", "gate_of_row", "gate_failures", "assumption_register", "FINANCIAL_LABELS", "ENTITY_LABELS"]

DEFAULT_DRAWS = 10_000

# The contract columns first (DESIGN.md section 5), then the extra figures a reader wants.
SUMMARY_COLUMNS = [
    "option", "model", "stage", "scenario", "npsv_gbp", "npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp",
    "bcr", "payback_year", "p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp", "p90_npsv_vs_no_change_gbp",
    "prob_beats_no_change", "breakeven_year", "peak_funding_gbp", "gate", "status",
    "name", "npsv_unadjusted_gbp", "npsv_vs_no_change_unadjusted_gbp", "optimism_bias_pv_gbp", "risk_pv_gbp",
    "council_npv_gbp", "council_npv_vs_no_change_unadjusted_gbp", "irr", "discounted_payback_year",
    "lowest_cash_gbp", "shortfall_vs_savings_target_gbp", "exit_cost_gbp", "sunk_costs_gbp",
    "transfers_vs_no_change_pv_gbp",
    "mean_npsv_vs_no_change_gbp", "se_mean_npsv_vs_no_change_gbp", "p10_council_npv_vs_no_change_gbp",
    "p50_council_npv_vs_no_change_gbp", "p90_council_npv_vs_no_change_gbp", "mc_draws", "weighted_score",
    "shortlisted", *CASE_TEST_COLUMNS, "error",
]


@dataclass
class BusinessCase:
    result: OptionAppraisal
    mc: MonteCarloResult | None
    tornado: pd.DataFrame
    switching: pd.DataFrame
    scenarios: pd.DataFrame
    gate: GateResult
    rows: list = field(default_factory=list)  # summary rows, the report's own scenario first
    drawn: dict = field(default_factory=dict)  # scenario -> how many uncertain drivers its Monte Carlo draws

    def scenario_chances(self) -> pd.DataFrame:
        """The scenario table with each scenario's chance of beating no change and how many uncertain drivers its
        Monte Carlo still draws (a scenario that sets a driver fixes it: it is no longer uncertain)."""
        prob = {r["scenario"]: r["prob_beats_no_change"] for r in self.rows}
        df = self.scenarios.copy()
        df["prob_beats_no_change"] = [prob.get(s) for s in df["scenario"]]
        df["drivers_drawn"] = [self.drawn.get(s) for s in df["scenario"]]
        return df

    def fixed_driver_note(self) -> str | None:
        """Why a scenario's chance of beating no change can be higher than the base case's although its NPSV is
        lower: the scenario fixes drivers, which are then no longer uncertain. ``None`` when no scenario fixes one.
        """
        base = self.drawn.get("base")
        if not base or self.mc is None:
            return None
        df = self.scenario_chances()
        fixing = df[(df["scenario"] != "base") & df["drivers_drawn"].notna() & (df["drivers_drawn"] < base)]
        if not len(fixing):
            return None
        b = df[df["scenario"] == "base"].iloc[0]
        parts = [f"the {s.scenario} scenario sets {base - int(s.drivers_drawn)} of them (its Monte Carlo draws "
                 f"{int(s.drivers_drawn)})" for s in fixing.itertuples()]
        odd = fixing[(fixing["prob_beats_no_change"] > b["prob_beats_no_change"])
                     & (fixing["npsv_vs_no_change_gbp"] < b["npsv_vs_no_change_gbp"])]
        text = (f"The base case draws {base} uncertain drivers; " + "; ".join(parts) + ". A driver a scenario sets "
                "is fixed at the scenario's value and no longer uncertain, so that scenario's chance of beating no "
                "change measures only the uncertainty left: it is not comparable with the base case's, and a worse "
                "scenario can show a higher chance.")
        if len(odd):
            text += (" Here the " + " and ".join(odd["scenario"]) + " scenario has a lower NPSV than the base case "
                     "but a higher chance of beating no change for that reason.")
        return text


def summary_row(appraisal, result: OptionAppraisal, mc: MonteCarloResult | None) -> tuple[dict, GateResult]:
    """One ``summary.csv`` row (and the gate behind its ``gate`` column)."""
    row = {c: None for c in SUMMARY_COLUMNS}
    row.update(result.headline())
    row["name"] = result.name
    if mc is not None and result.model != "no_change":
        row.update(mc.summary())
    ws = weighted_score(appraisal, result.option)
    filt = success_factor_filter(appraisal).set_index("option")
    row["weighted_score"] = ws
    row["shortlisted"] = bool(filt.loc[result.option, "shortlisted"])
    tests = case_tests(appraisal, result)
    row.update(tests.summary(result.inputs.option))
    metrics = dict(row)
    metrics["entity_lowest_cash_gbp"] = result.lowest_cash_gbp
    metrics.update(tests.metrics())
    gate = evaluate_gate(appraisal, result.stage, metrics)
    row["gate"] = "baseline" if result.model == "no_change" else gate.recommendation
    row["status"] = "ok"
    return {c: row[c] for c in SUMMARY_COLUMNS}, gate


def summary_rows(appraisal, option, stage: str = "obc", *, seed: int = 20261125, draws: int = DEFAULT_DRAWS,
                 scenario: str | None = None):
    """The figures behind ``summary.csv`` for one option and stage: the report's own scenario first, then base
    and every other scenario of the appraisal. Returns ``(result, mc, gate, rows)`` of the report's scenario."""
    *out, rows, _ = _summary_rows(appraisal, option, stage, seed=seed, draws=draws, scenario=scenario)
    return (*out, rows)


def _summary_rows(appraisal, option, stage, *, seed, draws, scenario):
    scen = scenario or "base"
    out = None
    rows, drawn = [], {}
    for s in [scen] + [x for x in ["base", *appraisal.scenarios] if x != scen]:
        sc = None if s == "base" else s
        r = appraise(appraisal, option, stage, scenario=sc)
        m = monte_carlo(appraisal, option, stage, draws=draws, seed=seed, scenario=sc) if draws else None
        row, gate = summary_row(appraisal, r, m)
        rows.append(row)
        drawn[s] = len(m.driver_values) if m is not None else None
        if out is None:
            out = (r, m, gate)
    return (*out, rows, drawn)


def business_case(appraisal, option, stage: str = "obc", *, seed: int = 20261125, draws: int = DEFAULT_DRAWS,
                  scenario: str | None = None) -> BusinessCase:
    """The figures of one option's business case at one stage, and its ``summary.csv`` rows."""
    result, mc, gate, rows, drawn = _summary_rows(appraisal, option, stage, seed=seed, draws=draws, scenario=scenario)
    return BusinessCase(result, mc, tornado(appraisal, option, stage, scenario=scenario),
                        switching_values(appraisal, option, stage, scenario=scenario),
                        scenario_table(appraisal, option, stage), gate, rows, drawn)


def _jsonable(x):
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if hasattr(x, "item"):
        return x.item()
    return x


def write_metrics(path, rows: list) -> None:
    """Write a report's summary rows as JSON (atomically): the batch builds ``summary.csv`` from these."""
    from .outputs import write_text_atomic

    payload = [{k: _jsonable(v) for k, v in r.items()} for r in rows]
    write_text_atomic(json.dumps(payload, indent=1, sort_keys=False), Path(path))


def options_overview(appraisal, stage: str, *, seed: int = 20261125, draws: int = DEFAULT_DRAWS,
                     scenario: str | None = None) -> pd.DataFrame:
    """Every option at a stage side by side (the options-appraisal report's main table), ranked."""
    mcs = monte_carlo_all(appraisal, stage, draws, seed, scenario=scenario) if draws else {}  # no change shared
    rows = [summary_row(appraisal, appraise(appraisal, o, stage, scenario=scenario), mcs.get(o))[0]
            for o in appraisal.options]
    df = pd.DataFrame(rows)
    df["rank"] = df["npsv_vs_no_change_gbp"].rank(ascending=False, method="min").astype(int)
    return _against_no_change(appraisal, stage, df)


def _against_no_change(appraisal, stage: str, df: pd.DataFrame) -> pd.DataFrame:
    """Every money column of the overview on one basis, against no change: ``optimism_bias_vs_no_change_gbp``
    and ``risk_vs_no_change_gbp`` are the option's own present values less no change's (the rule of the cabinet
    pack, :func:`asdm_models.pack._vs_baseline`), so that, row by row, before optimism bias and risk +
    optimism bias + risk = NPSV vs no change. ``gate_failed`` names the gate tests not met (with the value and
    the threshold) where the gate says stop or proceed with conditions."""
    from .pack import _vs_baseline

    base = df[df["option"] == appraisal.no_change]
    if len(base):
        base_row = base.iloc[0]
    else:  # no change left out of the overview: its figures from the model
        r0 = appraise(appraisal, appraisal.no_change, stage)
        base_row = pd.Series({"optimism_bias_pv_gbp": r0.optimism_bias_pv_gbp, "risk_pv_gbp": r0.risk_pv_gbp})
    for col in ("optimism_bias", "risk"):
        df[f"{col}_vs_no_change_gbp"] = [_vs_baseline(row, base_row, f"{col}_pv_gbp") for _, row in df.iterrows()]
    df["gate_failed"] = [gate_failures(appraisal, stage, row) if row["gate"] in ("stop", "proceed with conditions")
                         else "" for _, row in df.iterrows()]
    return df


def gate_of_row(appraisal, stage: str, row) -> GateResult:
    """The gate behind a ``summary.csv`` row (or an overview row): the same tests as the report's."""
    metrics = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in dict(row).items()}
    metrics["entity_lowest_cash_gbp"] = metrics.get("lowest_cash_gbp")
    metrics.update(gate_metrics_of_row(appraisal, metrics))
    return evaluate_gate(appraisal, stage, metrics)


def gate_failures(appraisal, stage: str, row) -> str:
    """The gate tests a row does not meet, with the value and the threshold ("" when every test is met)."""
    t = gate_of_row(appraisal, stage, row).tests
    t = t[t["result"] == "fail"]
    return "; ".join(f"{x.description}: {x.value_text} against {x.threshold}" for x in t.itertuples())


# Row labels of the tables behind the reports (one vocabulary for notebooks, explorer and tests).
FINANCIAL_LABELS = {
    "council_net_nominal_gbp": "Council net budget: the option",
    "no_change_net_nominal_gbp": "Council net budget: no change",
    "saving_vs_no_change_nominal_gbp": "Saving vs no change",
    "cumulative_saving_nominal_gbp": "Cumulative saving",
    "savings_target_nominal_gbp": "Savings target",
    "shortfall_vs_target_nominal_gbp": "Shortfall against the target",
    "one_off_costs_nominal_gbp": "One-off costs (incl. redundancy, pension strain)",
    "capital_spend_nominal_gbp": "Capital spend",
}
ENTITY_LABELS = {
    "income": "Income (fee, charges, trading, grants)", "operating_costs": "Operating costs",
    "depreciation": "Depreciation", "profit_before_tax": "Profit before tax",
    "capital_allowances": "Capital allowances (for tax)", "taxable_profit": "Taxable profit after losses",
    "corporation_tax": "Corporation tax", "profit_after_tax": "Profit after tax",
    "dividend": "Dividend to the council", "partner_dividend": "Dividend to the partner", "capital": "Capital spend",
    "cash_flow": "Cash flow", "council_funding": "Council funding", "cash_balance": "Cash balance",
}


def npsv_table(result) -> pd.DataFrame:
    """NPSV of the option and of no change, before and after optimism bias and risk, and the difference."""
    nc_u = result.npsv_unadjusted_gbp - result.npsv_vs_no_change_unadjusted_gbp
    nc = result.npsv_gbp - result.npsv_vs_no_change_gbp
    return pd.DataFrame({
        "net present social value": ["Before optimism bias and risk", "Optimism bias and risk (expected)",
                                     "Risk- and optimism-bias-adjusted"],
        "option": [result.npsv_unadjusted_gbp, result.npsv_gbp - result.npsv_unadjusted_gbp, result.npsv_gbp],
        "no change": [nc_u, nc - nc_u, nc],
        "option vs no change": [result.npsv_vs_no_change_unadjusted_gbp,
                                result.npsv_vs_no_change_gbp - result.npsv_vs_no_change_unadjusted_gbp,
                                result.npsv_vs_no_change_gbp],
    })


def recommend(overview: pd.DataFrame):
    """The option to recommend at a stage, from :func:`options_overview`: the highest NPSV vs no change among
    short-listed options that beat no change and whose gate is not "stop". ``None`` means keep no change.

    Returns ``(row or None, passed_over)`` where ``passed_over`` lists the options ranked above the choice
    with the reason each was not chosen.
    """
    ok = overview[overview["shortlisted"] & (overview["model"] != "no_change") & (overview["gate"] != "stop")
                  & (overview["npsv_vs_no_change_gbp"] > 0)]
    choice = ok.loc[ok["npsv_vs_no_change_gbp"].idxmax()] if len(ok) else None
    bar = choice["npsv_vs_no_change_gbp"] if choice is not None else 0.0
    above = overview[(overview["npsv_vs_no_change_gbp"] > bar) & (overview["model"] != "no_change")]
    passed = [(row["name"], "not short-listed" if not row["shortlisted"] else f"gate: {row['gate']}")
              for _, row in above.sort_values("npsv_vs_no_change_gbp", ascending=False).iterrows()]
    return choice, passed


def assumption_register(appraisal, result) -> pd.DataFrame:
    """Every stated driver with the value used, its source and confidence (scenario changes marked)."""
    from .sensitivity import driver_label, format_value

    opt = result.inputs.option
    stage = result.stage
    stated = {**opt.drivers, **(opt.fbc_changes if stage == "fbc" else {})}
    sc = appraisal.scenarios.get(result.scenario)
    by_scenario = {**sc.changes.get("all", {}), **sc.changes.get(opt.id, {})} if sc else {}
    entries = ([("economy", p, a) for p, a in appraisal.economy.items()]
               + [("current service", f"current_service.{p}", a) for p, a in appraisal.current_service.items()]
               + [("option" + (" (FBC change)" if stage == "fbc" and p in opt.fbc_changes else ""), p, a)
                  for p, a in stated.items()])
    rows = []
    for applies, p, a in entries:
        used = result.inputs.values[p]
        if getattr(a, "optimism_bias_category", None) or getattr(a, "index", None) is not None:
            extra = []
            if a.optimism_bias_category:
                extra.append(f"optimism bias: {a.optimism_bias_category}")
            if a.index is not None:
                extra.append(f"indexed to {a.index.describe()}")
            label_extra = f" ({'; '.join(extra)})"
        else:
            label_extra = ""
        rows.append({
            "applies to": applies, "assumption": driver_label(p, opt) + label_extra, "path": p,
            "value used": _shown_value(opt, p, used, appraisal.first_year),
            "source": (f"{result.scenario} scenario (stated: {_shown_value(opt, p, a.value, appraisal.first_year)}; "
                       f"{a.source or 'no source'})" if p in by_scenario else (a.source or "not stated")),
            "confidence": a.confidence or "not graded",
        })
    # The council's own lines: the current service's, and those the option states (new or restated).
    values = result.inputs.values
    for applies, prefix, lines in (("current service line", "current_service.lines.", appraisal.lines.values()),
                                   ("option line", "lines.", [opt.lines[i] for i in opt.lines if i in opt.own_lines])):
        for ln in lines:
            p = f"{prefix}{ln.id}.amount_gbp"
            rows.append({
                "applies to": applies, "assumption": f"{ln.label} ({ln.type}, {ln.kind}, borne by {ln.borne_by})",
                "path": p,
                "value used": f"{format_value(p, values[p])} {'a year' if ln.per == 'year' else 'once'}, "
                              f"indexed to {ln.index.describe()}"
                              + (f", optimism bias: {ln.optimism_bias_category}" if ln.optimism_bias_category else ""),
                "source": (f"{result.scenario} scenario ({ln.source or 'no source'})" if p in by_scenario
                           else ln.source or "not stated"),
                "confidence": ln.confidence or "not graded",
            })
    return pd.DataFrame(rows)


def _shown_value(option, path: str, x: float, first_year: int) -> str:
    """A driver value in the data's own terms: £, %, or a financial year for timing drivers."""
    from .assumptions import resolve_path
    from .sensitivity import format_value
    from .units import fy_label

    if resolve_path(path, option).unit == "year":
        return fy_label(first_year + int(x))
    return format_value(path, x)
