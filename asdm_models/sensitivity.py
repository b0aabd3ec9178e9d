"""Sensitivity analysis: tornado, switching values, scenarios, two-way grids, optimism-bias levels.

Every analysis evaluates the model over a leading axis of *cases* in one vectorised call
(a case = a set of driver values), never option by option or case by case in Python.

References
----------
HM Treasury (2022), *The Green Book*, A5.12-A5.17 (sensitivity analysis and switching values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .appraisal import OptionInputs, appraise, build_inputs, propagate_inherited
from .assumptions import resolve_path
from .cashflows import evaluate
from .catalogue import DRIVERS, ITEM_FIELDS, LINE_FIELDS
from .units import format_gbp, format_pct

__all__ = ["tornado", "switching_values", "best_option_switching", "two_way_grid", "scenario_table",
           "optimism_bias_sensitivity", "CaseEvaluator", "search_range"]


def _driver_def(path: str):
    name = path.removeprefix("current_service.")
    if name in DRIVERS:
        return DRIVERS[name]
    parts = name.split(".")
    if parts[0] == "lines":
        return LINE_FIELDS[parts[2]]
    return ITEM_FIELDS[parts[0]][parts[2]]


_ITEM_WORDS = {"one_off_costs": "one-off cost", "capital": "capital item", "risks": "risk"}


def driver_label(path: str, option=None) -> str:
    """A driver's name for readers: ``IT systems (one-off cost): amount`` for an item field."""
    d = _driver_def(path)
    if path.startswith("lines.") or path.startswith("current_service.lines."):
        ident = path.split(".")[-2]
        ln = (getattr(option, "lines", {}) or {}).get(ident) if option is not None else None
        name = ln.label if ln is not None else ident.replace("_", " ")
        whose = " (current service)" if path.startswith("current_service.") else ""
        return f"{name}{whose}: {d.label.lower()}"
    if path.startswith("current_service."):
        return f"{d.label} (current service)"
    parts = path.split(".")
    if len(parts) == 3 and parts[0] in ITEM_FIELDS:
        lst, ident, _ = parts
        name = ident.replace("_", " ")
        for it in getattr(option, lst, ()) if option is not None else ():
            if it.id == ident:
                name = it.description
        return f"{name} ({_ITEM_WORDS[lst]}): {d.label.lower()}"
    return d.label


def format_value(path: str, x: float) -> str:
    unit = _driver_def(path).unit
    if unit == "rate":
        return format_pct(x, 2 if abs(x) < 0.1 else 1)
    if unit == "gbp":
        return format_gbp(x)
    return f"{x:,.4g}"


class CaseEvaluator:
    """Evaluates options against no change for many cases at once.

    ``changes`` maps driver paths to arrays of shape ``(cases,)``. Economy and
    ``current_service.*`` paths apply to every option and to no change; other paths apply to
    the option being analysed (``target``) only.
    """

    def __init__(self, appraisal, stage: str = "obc", scenario: str | None = None, *, overrides: dict | None = None,
                 target=None):
        self.appraisal = appraisal
        self.stage = stage
        self.scenario = scenario
        # Base-case overrides, as in appraise(): shared paths apply to every option, the rest to ``target``.
        self.overrides = dict(overrides or {})
        self.target = appraisal.option(target).id if target is not None else None
        self._inputs: dict[str, OptionInputs] = {}

    def inputs(self, option) -> OptionInputs:
        oid = self.appraisal.option(option).id
        if oid not in self._inputs:
            ov = {k: x for k, x in self.overrides.items() if oid == self.target or self._shared(k)}
            self._inputs[oid] = build_inputs(self.appraisal, oid, self.stage, self.scenario, ov)
        return self._inputs[oid]

    @staticmethod
    def _shared(path: str) -> bool:
        """Paths that apply to no change too: economy, ``current_service.*`` and the optimism-bias level."""
        from .scenarios import is_shared_path

        return path == "optimism_bias_level" or is_shared_path(path)

    def npvs(self, option, changes: dict, n: int, *, target: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(NPSV, council NPV) of one option for each case; option-only paths apply when ``target``."""
        inp = self.inputs(option)
        v = dict(inp.values)
        own = {p for p in changes if target and not self._shared(p)}
        for p, arr in changes.items():
            if self._shared(p) or p in own:
                v[p] = arr
        propagate_inherited(v, [(d, src) for d, src in inp.inherited if d not in own and d not in changes])
        pv = evaluate(inp.spec, v).pv(inp.factors)
        return np.broadcast_to(pv["economic"], (n,)), np.broadcast_to(pv["council"], (n,))

    def vs_no_change(self, option, changes: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(NPSV vs no change, council NPV vs no change) for each case."""
        e, c = self.npvs(option, changes, n)
        if self.inputs(option).option.model == "no_change":
            return e - e, c - c
        e0, c0 = self.npvs(self.appraisal.no_change, changes, n, target=False)
        return e - e0, c - c0


def _cases(base: dict, paths, values) -> dict:
    """Changes dict for cases where case i sets ``paths[i]`` to ``values[i]`` and leaves the rest at base."""
    paths = np.asarray(paths, dtype=object)
    values = np.asarray(values, dtype=float)
    out = {}
    for p in dict.fromkeys(paths.tolist()):
        arr = np.full(values.shape, base[p])
        sel = paths == p
        arr[sel] = values[sel]
        out[p] = arr
    return out


def tornado(appraisal, option, stage: str = "obc", *, scenario: str | None = None, overrides: dict | None = None,
            ranges: dict | None = None) -> pd.DataFrame:
    """One-way sensitivity of NPSV vs no change to each uncertain driver, at its low and high.

    Low and high are the distribution's bounds (triangular, PERT, uniform) or its 5th and 95th
    percentiles (normal, lognormal). All cases run in one vectorised evaluation.

    ``overrides`` moves the base case (as in :func:`appraise`); ``ranges`` (path -> object with ``low`` and
    ``high``) replaces the drivers and ranges tested, e.g. to keep a moved driver's saved range.

    Returns
    -------
    DataFrame
        One row per driver, sorted by ``swing_gbp`` (largest first): ``driver, label, unit, base,
        low, high, npsv_vs_no_change_low_gbp, npsv_vs_no_change_high_gbp, council_npv_vs_no_change_low_gbp,
        council_npv_vs_no_change_high_gbp, swing_gbp, base_npsv_vs_no_change_gbp``.
    """
    ce = CaseEvaluator(appraisal, stage, scenario, overrides=overrides, target=option)
    inp = ce.inputs(option)
    dists = inp.distributions if ranges is None else ranges
    cols = ["driver", "label", "unit", "base", "low", "high", "npsv_vs_no_change_low_gbp",
            "npsv_vs_no_change_high_gbp", "council_npv_vs_no_change_low_gbp", "council_npv_vs_no_change_high_gbp",
            "swing_gbp", "base_npsv_vs_no_change_gbp"]
    if not dists:
        return pd.DataFrame(columns=cols)
    paths = list(dists)
    case_paths = paths + paths + [paths[0]]
    case_values = [dists[p].low for p in paths] + [dists[p].high for p in paths] + [inp.values[paths[0]]]
    n = len(case_paths)
    e, c = ce.vs_no_change(option, _cases(inp.values, case_paths, case_values), n)
    k = len(paths)
    rows = []
    for i, p in enumerate(paths):
        rows.append({
            "driver": p, "label": driver_label(p, inp.option), "unit": _driver_def(p).unit, "base": inp.values[p],
            "low": dists[p].low, "high": dists[p].high,
            "npsv_vs_no_change_low_gbp": float(e[i]), "npsv_vs_no_change_high_gbp": float(e[k + i]),
            "council_npv_vs_no_change_low_gbp": float(c[i]), "council_npv_vs_no_change_high_gbp": float(c[k + i]),
            "swing_gbp": float(abs(e[k + i] - e[i])), "base_npsv_vs_no_change_gbp": float(e[-1]),
        })
    return pd.DataFrame(rows, columns=cols).sort_values("swing_gbp", ascending=False, kind="stable").reset_index(drop=True)


def search_range(path: str, base: float, dist=None) -> tuple[float, float]:
    """The range searched for a switching value: the base plus or minus the larger of three times the
    uncertainty range and the base's own size, within the driver's valid bounds.

    >>> search_range("staff_efficiency_rate", 0.04)
    (0.0, 0.08)
    """
    d = _driver_def(path)
    spread = (dist.high - dist.low) if dist is not None else 0.0
    width = max(3.0 * spread, abs(base), 0.01 if d.unit == "rate" else 1.0)
    lo, hi = base - width, base + width
    if d.unit != "rate" and (d.minimum is None or d.minimum >= 0):
        lo = max(lo, 0.0)
    if d.minimum is not None:
        lo = max(lo, d.minimum)
    if d.maximum is not None:
        hi = min(hi, d.maximum)
    if d.unit == "rate" and d.minimum is None:
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    return float(lo), float(hi)


def _roots(fn, paths, lows, highs, bases, *, grid: int = 41, tol_gbp: float = 0.01, max_iter: int = 100):
    """Vectorised root finding: for each path the root of ``fn`` nearest its base within [low, high].

    ``fn(paths, values)`` evaluates one case per entry and returns the objective per case. A grid
    scan (one call) brackets the roots; the Illinois variant of regula falsi (one call per
    iteration, all drivers together) refines them until ``|f| < tol_gbp``.
    """
    k = len(paths)
    lows, highs, bases = (np.asarray(x, dtype=float) for x in (lows, highs, bases))
    xs = lows[:, None] + (highs - lows)[:, None] * np.linspace(0.0, 1.0, grid)[None, :]
    fx = fn(np.repeat(np.asarray(paths, dtype=object), grid), xs.ravel()).reshape(k, grid)
    roots = np.full(k, np.nan)
    a = np.full(k, np.nan)
    b = np.full(k, np.nan)
    fa = np.full(k, np.nan)
    fb = np.full(k, np.nan)
    for i in range(k):  # a loop over drivers (a handful), picking brackets: no model evaluation here
        exact = np.flatnonzero(fx[i] == 0)
        change = np.flatnonzero(np.sign(fx[i, :-1]) * np.sign(fx[i, 1:]) < 0)
        cands = [(abs(xs[i, j] - bases[i]), "x", j) for j in exact] + \
                [(abs(0.5 * (xs[i, j] + xs[i, j + 1]) - bases[i]), "b", j) for j in change]
        if not cands:
            continue
        _, kind, j = min(cands)
        if kind == "x":
            roots[i] = xs[i, j]
        else:
            a[i], b[i], fa[i], fb[i] = xs[i, j], xs[i, j + 1], fx[i, j], fx[i, j + 1]
    active = np.flatnonzero(np.isfinite(a))
    side = np.zeros(k)
    for _ in range(max_iter):
        if active.size == 0:
            break
        c = (a[active] * fb[active] - b[active] * fa[active]) / (fb[active] - fa[active])
        fc = fn(np.asarray(paths, dtype=object)[active], c)
        done = np.abs(fc) < tol_gbp
        roots[active[done]] = c[done]
        left = np.sign(fc) == np.sign(fa[active])
        for sel, (end, fend, other_f, flag) in ((left, (a, fa, fb, -1)), (~left, (b, fb, fa, 1))):
            idx = active[sel & ~done]
            end[idx] = c[sel & ~done]
            fend[idx] = fc[sel & ~done]
            # Illinois: halve the stale end's value when the same end moves twice running.
            other_f[idx] = np.where(side[idx] == flag, other_f[idx] / 2.0, other_f[idx])
            side[idx] = flag
        narrow = np.abs(b[active] - a[active]) <= 1e-12 * np.maximum(1.0, np.abs(a[active]))
        roots[active[narrow & ~done]] = c[narrow & ~done]
        active = active[~done & ~narrow]
    return roots


def switching_values(appraisal, option, stage: str = "obc", *, scenario: str | None = None) -> pd.DataFrame:
    """Switching values: for each uncertain driver, the value at which NPSV vs no change is 0.

    Found by vectorised root-finding within :func:`search_range`; "none within range" when the
    result does not change sign there. ``change_pct`` states the value as a change from the base.

    Returns
    -------
    DataFrame
        ``driver, label, unit, base, search_low, search_high, switching_value, change_pct, status, statement``.
    """
    ce = CaseEvaluator(appraisal, stage, scenario)
    inp = ce.inputs(option)
    cols = ["driver", "label", "unit", "base", "search_low", "search_high", "switching_value", "change_pct",
            "status", "statement", "base_npsv_vs_no_change_gbp"]
    if inp.option.model == "no_change" or not inp.distributions:
        return pd.DataFrame(columns=cols)
    paths = list(inp.distributions)
    bases = [inp.values[p] for p in paths]
    ranges = [search_range(p, inp.values[p], inp.distributions[p]) for p in paths]

    def fn(case_paths, values):
        return ce.vs_no_change(option, _cases(inp.values, case_paths, values), len(values))[0]

    base_npsv = float(fn(np.asarray(paths[:1], dtype=object), np.asarray(bases[:1]))[0])
    roots = _roots(fn, paths, [r[0] for r in ranges], [r[1] for r in ranges], bases)
    rows = []
    for p, b, (lo, hi), x in zip(paths, bases, ranges, roots):
        found = bool(np.isfinite(x))
        rows.append({
            "driver": p, "label": driver_label(p, inp.option), "unit": _driver_def(p).unit, "base": b, "search_low": lo,
            "search_high": hi, "switching_value": float(x) if found else None,
            "change_pct": (float(x - b) / abs(b) if b else None) if found else None,
            "status": "found" if found else "none within range",
            "statement": _statement(driver_label(p, inp.option), p, b, x if found else None, base_npsv, lo, hi),
            "base_npsv_vs_no_change_gbp": base_npsv,
        })
    return pd.DataFrame(rows, columns=cols)


def _lower(label: str) -> str:
    """Sentence case inside a sentence, keeping acronyms (``IT systems``)."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _statement(label, path, base, x, base_npsv, lo, hi, what="no change") -> str:
    lab = _lower(label)
    if x is None:
        return (f"No value of {lab} between {format_value(path, lo)} and {format_value(path, hi)} "
                f"changes whether the option beats {what}.")
    direction = "falls below" if x < base else "rises above"
    if base_npsv > 0:
        return (f"The option stops beating {what} if {lab} {direction} {format_value(path, x)} "
                f"(base {format_value(path, base)}).")
    return (f"The option would beat {what} if {lab} {direction} {format_value(path, x)} "
            f"(base {format_value(path, base)}).")


def best_option_switching(appraisal, stage: str = "obc", *, scenario: str | None = None) -> pd.DataFrame:
    """For the best option (highest NPSV vs no change), the value of each of its uncertain drivers at
    which another option becomes best.

    Returns
    -------
    DataFrame
        ``best_option, driver, label, base, switching_value, change_pct, new_best, status, statement``.
    """
    ce = CaseEvaluator(appraisal, stage, scenario)
    options = list(appraisal.options)
    base_npsv = {o: float(ce.npvs(o, {}, 1)[0][0]) for o in options}
    best = max(options, key=lambda o: base_npsv[o])
    inp = ce.inputs(best)
    cols = ["best_option", "driver", "label", "base", "switching_value", "change_pct", "new_best", "status", "statement"]
    paths = list(inp.distributions)
    if not paths or len(options) < 2:
        return pd.DataFrame(columns=cols)
    others = [o for o in options if o != best]

    def margins(case_paths, values):
        changes = _cases(inp.values, case_paths, values)
        n = len(values)
        mine = ce.npvs(best, changes, n)[0]
        theirs = np.stack([ce.npvs(o, changes, n, target=False)[0] for o in others])
        return mine - theirs.max(axis=0), np.asarray(others)[theirs.argmax(axis=0)]

    ranges = [search_range(p, inp.values[p], inp.distributions[p]) for p in paths]
    roots = _roots(lambda cp, v: margins(cp, v)[0], paths, [r[0] for r in ranges], [r[1] for r in ranges],
                   [inp.values[p] for p in paths])
    rows = []
    for p, (lo, hi), x in zip(paths, ranges, roots):
        b = inp.values[p]
        found = bool(np.isfinite(x))
        new_best = None
        if found:
            # Just past the switching value, away from the base, which option leads?
            step = (x - b) * 1e-6 or (hi - lo) * 1e-9
            new_best = str(margins(np.asarray([p], dtype=object), np.asarray([x + step]))[1][0])
        name = appraisal.options[new_best].name if new_best else "another option"
        rows.append({
            "best_option": best, "driver": p, "label": driver_label(p, inp.option), "base": b,
            "switching_value": float(x) if found else None,
            "change_pct": (float(x - b) / abs(b) if b else None) if found else None,
            "new_best": new_best, "status": "found" if found else "none within range",
            "statement": (f"{appraisal.options[best].name} stays the best option unless {_lower(driver_label(p, inp.option))} "
                          f"{'falls below' if x < b else 'rises above'} {format_value(p, x)} "
                          f"(base {format_value(p, b)}), when {name} becomes best.") if found else
                         (f"No value of {_lower(driver_label(p, inp.option))} between {format_value(p, lo)} and "
                          f"{format_value(p, hi)} makes another option best."),
        })
    return pd.DataFrame(rows, columns=cols)


def _default_axis(inp: OptionInputs, path: str, n: int) -> np.ndarray:
    d = _driver_def(path)
    base = inp.values[path]
    if path in inp.distributions:
        lo, hi = inp.distributions[path].low, inp.distributions[path].high
    elif d.unit == "rate":
        lo, hi = base - 0.05, base + 0.05
    elif d.unit == "year":
        return np.arange(inp.spec.n_years, dtype=float)
    else:
        lo, hi = 0.5 * base, 1.5 * base
    if d.minimum is not None:
        lo = max(lo, d.minimum)
    if d.maximum is not None:
        hi = min(hi, d.maximum)
    return np.linspace(lo, hi, n)


def two_way_grid(appraisal, option, stage: str = "obc", x: str = None, y: str = None, *, n: int = 50,
                 x_values=None, y_values=None, scenario: str | None = None) -> pd.DataFrame:
    """NPSV vs no change (and the council lens) over a grid of two drivers, in one vectorised call.

    Default axes: the distribution's low to high for an uncertain driver; otherwise base +/- 5
    percentage points for a rate, 50% to 150% of base for an amount, every year for a timing driver.

    Returns
    -------
    DataFrame
        Tidy: ``x, y, npsv_vs_no_change_gbp, council_npv_vs_no_change_gbp`` with the driver paths in
        ``attrs["x"]`` and ``attrs["y"]``.
    """
    ce = CaseEvaluator(appraisal, stage, scenario)
    inp = ce.inputs(option)
    for p in (x, y):
        try:
            resolve_path(p, inp.option)
        except (KeyError, TypeError) as e:
            from .errors import ScenarioError

            raise ScenarioError(f"two-way grid: {e.args[0] if e.args else p!r}") from None
    xs = np.asarray(x_values, dtype=float) if x_values is not None else _default_axis(inp, x, n)
    ys = np.asarray(y_values, dtype=float) if y_values is not None else _default_axis(inp, y, n)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    changes = {x: gx.ravel(), y: gy.ravel()}
    e, c = ce.vs_no_change(option, changes, gx.size)
    df = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel(), "npsv_vs_no_change_gbp": e,
                       "council_npv_vs_no_change_gbp": c})
    df.attrs.update({"x": x, "y": y, "option": inp.option.id, "stage": stage})
    return df


def scenario_table(appraisal, option, stage: str = "obc") -> pd.DataFrame:
    """The option under each named scenario and the base: NPSV vs no change and council NPV vs no change."""
    order = sorted(appraisal.scenarios, key=lambda s: (s != "pessimistic", s == "optimistic", s))
    names = [s for s in order if s == "pessimistic"] + ["base"] + [s for s in order if s != "pessimistic"]
    rows = []
    for s in names:
        r = appraise(appraisal, option, stage, scenario=None if s == "base" else s)
        sc = appraisal.scenarios.get(s)
        rows.append({"scenario": s, "description": sc.description if sc else "The assumptions as stated",
                     "npsv_vs_no_change_gbp": r.npsv_vs_no_change_gbp,
                     "council_npv_vs_no_change_gbp": r.council_npv_vs_no_change_gbp,
                     "payback_year": r.payback_year})
    return pd.DataFrame(rows)


def optimism_bias_sensitivity(appraisal, option, stage: str = "obc", levels=None, *,
                              scenario: str | None = None) -> pd.DataFrame:
    """NPSV vs no change as the optimism-bias uplift on costs runs from 0 to the full upper bound.

    ``level`` is the share of each category's upper bound applied (0 = no uplift, 1 = upper
    bound). The option's and no change's items are uplifted alike; one vectorised call.
    """
    levels = np.linspace(0.0, 1.0, 11) if levels is None else np.asarray(levels, dtype=float)
    ce = CaseEvaluator(appraisal, stage, scenario)
    e, c = ce.vs_no_change(option, {"optimism_bias_level": levels}, levels.size)
    return pd.DataFrame({"level": levels, "npsv_vs_no_change_gbp": e, "council_npv_vs_no_change_gbp": c})
