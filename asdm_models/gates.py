"""Cabinet gates and the critical-success-factor filter.

A gate turns the appraisal's stated thresholds into a recommendation with the evidence
behind it: *proceed* when every test passes, *proceed with conditions* when only tests
marked ``required: false`` fail, *stop* when a required test fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .assumptions import GATE_METRICS, GATE_METRICS_WHERE_APPLICABLE
from .units import format_gbp, format_probability

__all__ = ["GateResult", "evaluate_gate", "success_factor_filter", "weighted_score", "PROCEED", "CONDITIONS", "STOP"]

PROCEED, CONDITIONS, STOP, NOT_ASSESSED = "proceed", "proceed with conditions", "stop", "not assessed"


@dataclass
class GateResult:
    stage: str
    recommendation: str
    tests: pd.DataFrame  # metric, description, threshold, value, result, required

    def sentence(self) -> str:
        failed = self.tests[self.tests.result == "fail"]
        if self.recommendation == PROCEED:
            return "Recommendation: proceed. Every gate test is met."
        if self.recommendation == NOT_ASSESSED:
            return "Recommendation: not assessed (a required test could not be evaluated)."
        names = "; ".join(f"{r.description} ({r.value_text} against {r.threshold})" for r in failed.itertuples())
        if self.recommendation == STOP:
            return f"Recommendation: stop. A required test is not met: {names}."
        return f"Recommendation: proceed with conditions. Not met: {names}."


def _fmt(metric: str, x, appraisal=None) -> str:
    if x is None:
        return ""
    if metric == "prob_beats_no_change":
        return format_probability(x)  # the reports' one rule for probabilities (">99.9%" unless certain)
    if metric == "weighted_score":
        return f"{x:.2f}"
    if metric == "value_for_money":
        rules = getattr(getattr(appraisal, "reference", None), "value_for_money", None)
        names = [c.label for c in rules.categories] if rules is not None else []
        return names[int(x)] if 0 <= int(x) < len(names) else f"{x:g}"
    if metric == "teckal_years_failing":
        return f"{int(x)} year{'s' if int(x) != 1 else ''}"
    if metric == "pension_arrangement_stated":
        return "stated" if x >= 1 else "not stated"
    return format_gbp(x)


def evaluate_gate(appraisal, stage: str, metrics: dict) -> GateResult:
    """Apply the stage's gate tests to an option's metrics.

    Parameters
    ----------
    metrics : dict
        Metric name -> value; ``None`` (or absent) where it does not apply, e.g. the cash of a new
        entity for an in-house option. A test whose metric does not apply is marked n/a and does not
        count; a required Monte Carlo metric that is missing makes the result "not assessed".

    Examples
    --------
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> g = evaluate_gate(a, "obc", {"p50_npsv_vs_no_change_gbp": -5.0, "prob_beats_no_change": 0.7})
    >>> g.recommendation
    'stop'
    """
    rows = []
    outcomes = []
    for t in appraisal.gates[stage]:
        value = metrics.get(t.metric)
        bits = []
        if t.min is not None:
            bits.append(f"at least {_fmt(t.metric, t.min, appraisal)}")
        if t.max is not None:
            bits.append(f"at most {_fmt(t.metric, t.max, appraisal)}")
        threshold = " and ".join(bits)
        if value is None:
            applies = t.metric not in GATE_METRICS_WHERE_APPLICABLE
            result = "not assessed" if applies else "n/a"
        else:
            ok = (t.min is None or value >= t.min) and (t.max is None or value <= t.max)
            result = "pass" if ok else "fail"
        outcomes.append((result, t.required))
        rows.append({"metric": t.metric, "description": t.description or GATE_METRICS[t.metric],
                     "threshold": threshold, "value": value, "value_text": _fmt(t.metric, value, appraisal),
                     "required": t.required, "result": result})
    # A required test that fails stops the option whatever else is unknown; a required test that could not
    # be assessed leaves it unassessed; an optional failure adds conditions.
    if ("fail", True) in outcomes:
        recommendation = STOP
    elif ("not assessed", True) in outcomes:
        recommendation = NOT_ASSESSED
    elif ("fail", False) in outcomes:
        recommendation = CONDITIONS
    else:
        recommendation = PROCEED
    return GateResult(stage, recommendation, pd.DataFrame(rows, columns=["metric", "description", "threshold", "value",
                                                                         "value_text", "required", "result"]))


def weighted_score(appraisal, option) -> float:
    """Weighted score (0-5) of an option against the critical success factors."""
    o = appraisal.option(option)
    return float(sum(c.weight * o.scores.get(c.id, 0) for c in appraisal.success_factors))


def success_factor_filter(appraisal) -> pd.DataFrame:
    """The long list against the critical success factors: scores, weighted score, and whether each
    option is short-listed, with the reasons an option is not (a score below the factor's minimum).

    ``no_change`` is always kept: it is the baseline every option is compared with.
    """
    rows = []
    for o in appraisal.options.values():
        reasons = [f"scores {o.scores.get(c.id, 0)} on {c.name.lower()} (minimum {c.min_score})"
                   for c in appraisal.success_factors if o.scores.get(c.id, 0) < c.min_score]
        short = o.model == "no_change" or not reasons
        row = {"option": o.id, "name": o.name, "model": o.model}
        row.update({c.id: o.scores.get(c.id, 0) for c in appraisal.success_factors})
        row.update({"weighted_score": weighted_score(appraisal, o), "shortlisted": short,
                    "reason": "baseline (always kept)" if o.model == "no_change" and reasons else
                    ("; ".join(reasons) if reasons else "meets every critical success factor")})
        rows.append(row)
    return pd.DataFrame(rows)
