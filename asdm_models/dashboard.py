"""The explorer's front sheet: the headline figures, the quick Monte Carlo, the gate and the flags.

Pure functions over an :class:`~asdm_models.OptionAppraisal` (and a Monte Carlo result), used by the
assumptions explorer (:mod:`asdm_models.widgets`) and its tests, so what the pinned summary shows is
computed in one place:

* :func:`headline_figures`: the figures of the pinned summary for one option, with the gate assessed
  on the deterministic metrics and, when a Monte Carlo is given, its probabilistic ones;
* :func:`quick_monte_carlo`: the explorer's Monte Carlo: :data:`QUICK_DRAWS` draws with the batch's
  seed and random-number streams (:func:`~asdm_models.monte_carlo`, common random numbers with no
  change), summarised with standard errors;
* :func:`threshold_flags`: the figures that crossed a threshold against the saved assumptions
  (cash below zero, NPSV falling behind no change, a gate test that flips), to be flagged where shown.

The batch's full-draws figures stay the reference: the quick Monte Carlo is a preview whose standard
errors say how far it may sit from them.
"""

from __future__ import annotations

import math

import numpy as np

from .case_tests import case_tests
from .gates import evaluate_gate
from .montecarlo import monte_carlo
from .units import format_gbp

__all__ = ["QUICK_DRAWS", "QUICK_SEED", "HEADLINE_ROWS", "headline_figures", "quick_monte_carlo", "mc_figures",
           "quantile_standard_error", "threshold_flags", "gate_status_colour"]

#: Draws of the explorer's Monte Carlo: a standard error of the probability of beating no change of at
#: most sqrt(0.25 / 5000) = 0.7 percentage points, in about 30 ms an option (``make bench``).
QUICK_DRAWS = 5_000
#: The batch's seed (``asdm run``'s default): the explorer draws from the same streams.
QUICK_SEED = 20261125

#: The pinned summary's rows: (key, label, kind, only for a new entity). One table: the explorer's HTML,
#: its copied TSV and the scenario comparison all read it.
HEADLINE_ROWS = (
    ("npsv_vs_no_change_gbp", "NPSV vs no change, adjusted", "gbp", False),
    ("npsv_vs_no_change_unadjusted_gbp", "NPSV vs no change, unadjusted", "gbp", False),
    ("council_npv_vs_no_change_gbp", "Council NPV vs no change", "gbp", False),
    ("payback_year", "Payback year (council cash)", "text", False),
    ("breakeven_year", "Entity break-even year", "text", True),
    ("peak_funding_gbp", "Entity peak funding", "gbp", True),
    ("lowest_cash_gbp", "Entity lowest cash", "gbp", True),
    ("p10_npsv_vs_no_change_gbp", "P10 NPSV (Monte Carlo)", "gbp", False),
    ("p50_npsv_vs_no_change_gbp", "P50 NPSV (Monte Carlo)", "gbp", False),
    ("p90_npsv_vs_no_change_gbp", "P90 NPSV (Monte Carlo)", "gbp", False),
    ("prob_beats_no_change", "Chance of beating no change", "probability", False),
    ("gate", "Gate", "text", False),
)


def quantile_standard_error(x, q: float) -> float:
    """Distribution-free standard error of the sample ``q``-quantile of draws ``x``.

    Parameters
    ----------
    x : array_like, shape (draws,)
        Monte Carlo draws (any unit, e.g. £).
    q : float
        Quantile in (0, 1), e.g. 0.5 for the P50.

    Returns
    -------
    float
        Standard error in the unit of ``x`` (NaN for fewer than 20 draws).

    Notes
    -----
    The number of draws below the true quantile is Binomial(n, q), so the order statistics of ranks
    ``n q -/+ 1.96 sqrt(n q (1 - q))`` bound a 95% confidence interval for it whatever the distribution
    (Conover 1999, section 3.2). The standard error is that interval's half-width / 1.96; for a smooth
    density it agrees with the asymptotic ``sqrt(q (1 - q) / n) / f(x_q)``.

    References
    ----------
    Conover, W. J. (1999), *Practical Nonparametric Statistics*, 3rd ed., Wiley, section 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).standard_normal(100_000)
    >>> round(quantile_standard_error(x, 0.5), 4)  # sqrt(0.25 / 1e5) / 0.3989 = 0.0040
    0.004
    """
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    if n < 20:
        return float("nan")
    half = 1.959964 * math.sqrt(n * q * (1.0 - q))
    lo = int(max(0, math.floor(n * q - half)))
    hi = int(min(n - 1, math.ceil(n * q + half)))
    return float((x[hi] - x[lo]) / (2.0 * 1.959964))


def quick_monte_carlo(appraisal, option: str, stage: str, overrides: dict | None = None, *,
                      draws: int = QUICK_DRAWS, seed: int = QUICK_SEED, _cache: dict | None = None):
    """The explorer's Monte Carlo: :func:`~asdm_models.monte_carlo` with the batch's seed and streams.

    A driver the explorer has moved is fixed at its new value (not drawn), as a saved scenario's are in
    the batch, so a saved scenario loaded into the explorer gives exactly ``monte_carlo(..., scenario=NAME)``
    with the same draws and seed.
    """
    return monte_carlo(appraisal, option, stage, draws=draws, seed=seed, overrides=dict(overrides or {}),
                       _cache=_cache)


def mc_figures(mc) -> dict:
    """P10/P50/P90 and the chance of beating no change of a Monte Carlo, with their standard errors.

    Returns the gate's metric names (``p10_npsv_vs_no_change_gbp``, ``p50_...``, ``p90_...``,
    ``prob_beats_no_change``) plus ``se_p50_gbp`` (:func:`quantile_standard_error`), ``se_prob``
    (binomial: ``sqrt(p (1 - p) / n)``), ``mc_draws`` and ``mc_seed``.
    """
    x = mc.npsv_vs_no_change_gbp
    p = mc.prob_beats_no_change
    return {"p10_npsv_vs_no_change_gbp": mc.p10, "p50_npsv_vs_no_change_gbp": mc.p50,
            "p90_npsv_vs_no_change_gbp": mc.p90, "prob_beats_no_change": p,
            "se_p50_gbp": quantile_standard_error(x, 0.5), "se_prob": math.sqrt(p * (1.0 - p) / x.size),
            "mc_draws": int(x.size), "mc_seed": mc.seed}


def headline_figures(appraisal, r, mc=None) -> dict:
    """The pinned summary's figures for one option: :data:`HEADLINE_ROWS` keys plus ``gate_tests``.

    Parameters
    ----------
    appraisal : Appraisal
    r : OptionAppraisal
        From :func:`~asdm_models.appraise` at the settings shown.
    mc : MonteCarloResult or dict, optional
        The quick Monte Carlo at the same settings (or :func:`mc_figures` of it). Without it the gate's
        probabilistic tests are "not assessed" and the Monte Carlo rows are None.

    Returns
    -------
    dict
        Money in £ (real, discounted, against no change), years as labels, ``gate`` the recommendation
        (``"baseline"`` for no change), ``gate_tests`` the gate's table (one row per test).
    """
    out = {k: getattr(r, k) for k in ("npsv_vs_no_change_gbp", "npsv_vs_no_change_unadjusted_gbp",
                                      "council_npv_vs_no_change_gbp", "payback_year", "breakeven_year",
                                      "peak_funding_gbp", "lowest_cash_gbp")}
    m = mc_figures(mc) if mc is not None and not isinstance(mc, dict) else dict(mc or {})
    for k in ("p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp", "p90_npsv_vs_no_change_gbp",
              "prob_beats_no_change", "se_p50_gbp", "se_prob", "mc_draws", "mc_seed"):
        out[k] = m.get(k)
    metrics = r.headline()
    metrics["entity_lowest_cash_gbp"] = r.lowest_cash_gbp
    metrics.update(case_tests(appraisal, r, tables=False).metrics())  # value for money, Teckal, VAT, ...
    metrics.update({k: m[k] for k in ("p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp",
                                      "prob_beats_no_change") if m.get(k) is not None})
    g = evaluate_gate(appraisal, r.stage, metrics)
    out["gate"] = "baseline" if r.model == "no_change" else g.recommendation
    out["gate_tests"] = g.tests
    return out


def gate_status_colour(result: str) -> str:
    """Red/amber/green of a gate test's result: pass green, fail red, anything else (n/a, not assessed) amber."""
    return {"pass": "green", "fail": "red"}.get(result, "amber")


def threshold_flags(now: dict, saved: dict | None) -> dict:
    """The figures that crossed a threshold, ``{key: why}``, to be flagged where they are shown.

    Rules (each a line a reviewer can check):

    * ``lowest_cash_gbp`` below zero: the new entity runs out of cash with the planned funding;
    * ``npsv_vs_no_change_gbp`` (and the unadjusted and council figures, and the P50) changing sign
      against the saved assumptions: the option now falls behind (or now beats) no change;
    * ``payback_year`` lost (None now, a year when saved);
    * ``gate`` different from the saved assumptions' recommendation;
    * ``gate_test:<metric>``: a gate test whose result (pass/fail) flips against the saved assumptions.

    ``saved`` is :func:`headline_figures` at the saved assumptions (None: only the absolute rules apply).

    Examples
    --------
    >>> threshold_flags({"lowest_cash_gbp": -788044.0}, None)
    {'lowest_cash_gbp': 'below zero: the new entity runs out of cash (lowest -£788,044)'}
    """
    flags = {}
    low = now.get("lowest_cash_gbp")
    if low is not None and low < 0:
        flags["lowest_cash_gbp"] = f"below zero: the new entity runs out of cash (lowest {format_gbp(low, millions=False)})"
    if not saved:
        return flags
    for k in ("npsv_vs_no_change_gbp", "npsv_vs_no_change_unadjusted_gbp", "council_npv_vs_no_change_gbp",
              "p50_npsv_vs_no_change_gbp"):
        a, b = saved.get(k), now.get(k)
        if a is None or b is None or (a >= 0) == (b >= 0):
            continue
        flags[k] = ("crossed zero: now behind no change (was ahead at the saved assumptions)" if b < 0 else
                    "crossed zero: now ahead of no change (was behind at the saved assumptions)")
    if saved.get("payback_year") is not None and now.get("payback_year") is None:
        flags["payback_year"] = f"no longer pays back within the period (saved: {saved['payback_year']})"
    if saved.get("gate") is not None and now.get("gate") is not None and saved["gate"] != now["gate"]:
        flags["gate"] = f"gate changed: {saved['gate']} at the saved assumptions, {now['gate']} now"
    t_now, t_saved = now.get("gate_tests"), saved.get("gate_tests")
    if t_now is not None and t_saved is not None and len(t_now) and len(t_saved):
        before = dict(zip(t_saved["metric"], t_saved["result"]))
        for metric, res in zip(t_now["metric"], t_now["result"]):
            was = before.get(metric)
            if was in ("pass", "fail") and res in ("pass", "fail") and was != res:
                flags[f"gate_test:{metric}"] = f"flipped: {was} at the saved assumptions, {res} now"
    return flags
