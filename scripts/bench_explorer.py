"""The assumptions explorer's update time, next to ``appraise()`` alone (for `make bench`).

``bench_extra(appraisal)`` builds the explorer for the appraisal (no browser: the widgets and plotly
FigureWidgets exist in Python only, which is where the update handler runs), then times the update
handler itself (``Explorer.update``: recompute with ``appraise()``, the comparison option when the
shared drivers moved, the tornado around the current settings, the headline HTML and every chart's
trace data replaced in place), as the median of many calls, each after a control has been moved.

Run alone: ``python scripts/bench_explorer.py [appraisal folder ...]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.dashboard import QUICK_DRAWS, mc_figures, quick_monte_carlo
from asdm_models.sensitivity import tornado
from asdm_models.widgets import Explorer, tornado_at

BUDGET_MS = 50.0
MC_BUDGET_MS = 300.0
REPEATS = 101


def _median_times(fn, repeats: int = REPEATS) -> float:
    """Median in ms of what ``fn(i)`` returns (seconds it timed itself)."""
    fn()
    return statistics.median(fn(i) for i in range(repeats)) * 1000.0


def _median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times)


def _pick(appraisal) -> tuple[str, str | None]:
    ids = [o for o, opt in appraisal.options.items() if opt.model != "no_change"]
    option = "trading_company" if "trading_company" in ids else ids[0]
    others = [o for o in ids if o != option]
    compare = "social_enterprise" if "social_enterprise" in others else (others[0] if others else None)
    return option, compare


def bench_extra(appraisal) -> dict:
    """Print (and return) the explorer's update time against ``appraise()`` alone, both medians in ms."""
    option, compare = _pick(appraisal)
    ex = Explorer(appraisal.data_dir, option, "obc", compare_with=compare)
    a = ex.appraisal
    own_paths = [p for p, c in ex.controls.items() if c.spec.unit not in ("year",) and not
                 (p in a.economy or p.startswith("current_service."))]
    own = next((p for p in own_paths if ex.controls[p].spec.unit == "rate"), own_paths[0])
    shared = "pay_inflation"

    def wiggle(path):
        c = ex.controls[path]
        lo, hi = c.spec.low, c.spec.high
        values = [lo + (hi - lo) * k / 10 for k in range(11)]

        def step(i=0):
            c.set(c._snap(values[i % len(values)]), notify=False)  # move the control, then time the handler alone
            t = time.perf_counter()
            ex.update()
            dt = time.perf_counter() - t
            ex.wait_for_monte_carlo(30)  # the quick Monte Carlo runs after the handler returns, off the timed path
            return dt
        return step

    def handler_ms(path) -> float:
        step = wiggle(path)
        step()
        return statistics.median(step(i) for i in range(REPEATS)) * 1000.0

    t_own = handler_ms(own)
    ex.reset()
    t_shared = handler_ms(shared)
    ex.reset()
    ov = {shared: 0.04}
    t_appraise = _median_ms(lambda i=0: appraise(a, option, "obc", overrides=ov))
    dists = appraise(a, option, "obc").inputs.distributions
    t_tornado = _median_ms(lambda i=0: tornado_at(a, option, "obc", ov, dists))
    t_tornado_pkg = _median_ms(lambda i=0: tornado(a, option, "obc"), repeats=31)

    # A control moved as the browser moves it (the slider's value trait), so the whole path runs.
    c = ex.controls[own]
    vals = [c.spec.low + (c.spec.high - c.spec.low) * k / 10 for k in range(11)]

    def slide(i=0):
        t = time.perf_counter()
        c.slider.value = vals[i % len(vals)]
        dt = time.perf_counter() - t
        ex.wait_for_monte_carlo(30)
        return dt
    t_slider = _median_times(slide)

    # The quick Monte Carlo as the explorer runs it in its background thread after a change: the option and the
    # comparison option at QUICK_DRAWS draws (no change shared between them, as in the batch).
    def quick_mc(i=0):
        cache = {}
        ov_i = {shared: 0.03 + 0.001 * (i % 10)}
        mc_figures(quick_monte_carlo(a, option, "obc", ov_i, _cache=cache))
        if compare:
            mc_figures(quick_monte_carlo(a, compare, "obc", ov_i, _cache=cache))
    t_mc = _median_ms(quick_mc, repeats=21)

    worst = max(t_own, t_shared)
    print(f"Explorer update ({option}, OBC, vs {compare}; median of {REPEATS} calls of the update handler): "
          f"{t_own:.1f} ms after an option driver ({own}), {t_shared:.1f} ms after an economy driver "
          f"({shared}, which also recomputes {compare}); budget {BUDGET_MS:.0f} ms: "
          f"{'met' if worst < BUDGET_MS else 'NOT MET'}")
    print(f"  baseline appraise() alone: {t_appraise:.1f} ms -> the update costs {t_own / t_appraise:.1f}x "
          f"(option driver) and {t_shared / t_appraise:.1f}x (economy driver) one appraise()")
    print(f"  inside it: tornado around the current settings recomputed every update, {t_tornado:.1f} ms "
          f"(package tornado() {t_tornado_pkg:.1f} ms); a slider move end to end (trait change -> handler): "
          f"{t_slider:.1f} ms")
    print(f"Quick Monte Carlo in the background after a change ({QUICK_DRAWS:,} draws, {option}"
          f"{' and ' + compare if compare else ''}, median of 21): {t_mc:.0f} ms; budget {MC_BUDGET_MS:.0f} ms: "
          f"{'met' if t_mc < MC_BUDGET_MS else 'NOT MET'}")
    return {"quick_mc_ms": t_mc, "update_option_ms": t_own, "update_economy_ms": t_shared, "appraise_ms": t_appraise,
            "tornado_ms": t_tornado, "slider_ms": t_slider}


def main(argv=None) -> int:
    folders = [Path(p) for p in (argv or sys.argv[1:])] or [PROJECT_ROOT / "data" / "example_leisure"]
    for f in folders:
        a = load_appraisal(f)
        print(f"== {a.id}")
        bench_extra(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
