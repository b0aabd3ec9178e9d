"""`make bench`: speed and memory figures the issues ask for, each next to a baseline measured in the same run.

Prints, per example appraisal:
  * Monte Carlo, 100,000 draws, every option (OBC): wall time and peak memory (tracemalloc),
    against the plain baseline: the same draws run one by one through the deterministic appraise()
    on a subsample, scaled up;
  * tornado + switching values + a 50x50 two-way grid for every option;
  * (where present) the explorer's update time and the batch run against its papermill floor.
Timings are the best of a few repeats (the machine has other work); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.montecarlo import monte_carlo_all
from asdm_models.sensitivity import switching_values, tornado, two_way_grid

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_lines, bench_explorer

EXAMPLES = ["example_leisure", "example_depot"]
DRAWS = 100_000
SEED = 20261125


def best_of(fn, repeats: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_monte_carlo(a, stage: str = "obc") -> dict:
    monte_carlo_all(a, stage, draws=1000, seed=SEED)  # warm caches, imports
    wall, res = best_of(lambda: monte_carlo_all(a, stage, draws=DRAWS, seed=SEED))
    gc.collect()
    tracemalloc.start()
    monte_carlo_all(a, stage, draws=DRAWS, seed=SEED)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Plain baseline: the same draws, one at a time, through appraise() (risks at expected value).
    sub = 40
    t = time.perf_counter()
    n_calls = 0
    for o, r in res.items():
        for i in range(sub):
            overrides = {p: float(v[i]) for p, v in r.driver_values.items()}
            appraise(a, o, stage, overrides=overrides)
            n_calls += 1
    per_call = (time.perf_counter() - t) / n_calls
    baseline = per_call * DRAWS * len(res)
    return {"wall": wall, "peak_mb": peak / 2**20, "baseline": baseline, "per_call_ms": per_call * 1000,
            "options": len(res), "years": a.period_years}


def bench_sensitivity(a, stage: str = "obc") -> float:
    def run():
        for o in a.options:
            tornado(a, o, stage)
            sv = switching_values(a, o, stage)
            drivers = list(sv["driver"])[:2] if len(sv) >= 2 else []
            if len(drivers) == 2:
                two_way_grid(a, o, stage, drivers[0], drivers[1], n=50)
    run()
    wall, _ = best_of(run)
    return wall


def bench_batch(a) -> dict:
    """The batch (both stages, 2 workers) against its floor: papermill running as many empty notebooks, 2 workers."""
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from asdm_models.batch import run_batch

    n_reports = len(a.options) * 2 + 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = new_notebook(cells=[new_code_cell("")])
        empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(empty, tmp / "empty.ipynb")
        t = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(_run_empty, [tmp] * n_reports, range(n_reports)))
        floor = time.perf_counter() - t
        t = time.perf_counter()
        res = run_batch(a.data_dir, tmp / "out", jobs=2, seed=SEED, progress=False)
        wall = time.perf_counter() - t
    return {"floor": floor, "wall": wall, "reports": n_reports, "ok": res.ok}


def _run_empty(tmp, i):
    from bench_batch import _run_empty as run_empty

    run_empty(str(tmp / "empty.ipynb"), str(tmp / f"empty-{i}.ipynb"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--examples", nargs="*", default=EXAMPLES)
    ap.add_argument("--no-batch", action="store_true", help="skip the papermill batch timing (slowest part)")
    ap.add_argument("--no-portfolio", action="store_true",
                    help="skip the portfolio of 10 appraisals (issue 13: its batch on each executor takes minutes)")
    args = ap.parse_args()
    print(f"asdm benchmark: numpy {np.__version__}, Python {sys.version.split()[0]}\n")
    for name in args.examples:
        data_dir = PROJECT_ROOT / "data" / name
        if not data_dir.exists():
            print(f"{name}: not found, skipped\n")
            continue
        a = load_appraisal(data_dir)
        print(f"== {name}: {len(a.options)} options, {a.period_years} years")
        mc = bench_monte_carlo(a)
        print(f"Monte Carlo {DRAWS:,} draws x {mc['options']} options (OBC): {mc['wall']:.3f} s wall, "
              f"peak {mc['peak_mb']:.0f} MB (tracemalloc)")
        print(f"  baseline, one draw at a time through appraise(): {mc['per_call_ms']:.2f} ms per draw, "
              f"{mc['baseline']:,.0f} s for the same draws -> {mc['baseline'] / mc['wall']:,.0f}x faster")
        print("  approach: factorised flows (amount x profile terms, PV by one matrix product per per-draw "
              "profile), draws in chunks of 8,192, no change evaluated once and shared, inverse-CDF sampling "
              "shared across options")
        sens = bench_sensitivity(a)
        print(f"Tornado + switching values + 50x50 grid, all {len(a.options)} options: {sens:.3f} s")
        if name == "example_leisure" and not args.no_batch:
            try:
                from bench_explorer import bench_extra
            except ImportError:
                bench_extra = None
            if bench_extra is not None:
                bench_extra(a)
            b = bench_batch(a)
            print(f"Batch, both stages, --jobs 2: {b['wall']:.1f} s for {b['reports']} reports "
                  f"({'all ok' if b['ok'] else 'SOME FAILED'}); floor (papermill, {b['reports']} empty notebooks, "
                  f"2 workers): {b['floor']:.1f} s -> {b['wall'] / b['floor']:.2f}x the floor")
        print()
    # An appraisal of a council's own service: 8 options, 40 years, 30 of its own lines per option.
    import tempfile

    from bench_lines import synthetic_appraisal

    with tempfile.TemporaryDirectory() as tmp:
        a = load_appraisal(synthetic_appraisal(Path(tmp)))
        n_lines = max(len(o.lines) for o in a.options.values() if o.model != "no_change")
        print(f"== synthetic appraisal: {len(a.options)} options, {a.period_years} years, {n_lines} council lines "
              "per option (scripts/bench_lines.py)")
        mc = bench_monte_carlo(a)
        print(f"Monte Carlo {DRAWS:,} draws x {mc['options']} options (OBC): {mc['wall']:.3f} s wall, "
              f"peak {mc['peak_mb']:.0f} MB (tracemalloc)")
        print(f"  baseline, one draw at a time through appraise(): {mc['per_call_ms']:.2f} ms per draw, "
              f"{mc['baseline']:,.0f} s for the same draws -> {mc['baseline'] / mc['wall']:,.0f}x faster")
    if not args.no_portfolio:
        from bench_portfolio import main as bench_portfolio

        print("\n== portfolio of 10 appraisals (scripts/bench_portfolio.py)")
        bench_portfolio()
    return 0


if __name__ == "__main__":
    sys.exit(main())
