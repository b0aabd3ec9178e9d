"""Issue 13's speed figures: a portfolio of 10 appraisals on each executor against papermill's floor, and the
portfolio's combined Monte Carlo of 100,000 draws. ``make bench`` prints them (nothing is asserted).

The portfolio is made here: 10 copies of the bundled examples (8 of the leisure appraisal, 2 of the depot),
each with its own id and its own current-service figures (energy costs and staff varied by copy), run at
both stages with all their options: 8 x 17 + 2 x 9 = 154 reports.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from asdm_models import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import papermill_floor  # noqa: E402

SEED = 20261125
COPIES = [("example_leisure", i) for i in range(8)] + [("example_depot", i) for i in range(2)]


def make_portfolio(root: Path) -> Path:
    """Write the 10 appraisals and ``portfolio.yaml`` under ``root``; returns the portfolio folder."""
    shutil.copytree(PROJECT_ROOT / "data" / "reference", root / "reference")
    entries = []
    for src, i in COPIES:
        aid = f"{src.removeprefix('example_')}_{i + 1:02d}"
        dest = root / aid
        shutil.copytree(PROJECT_ROOT / "data" / src, dest, ignore=shutil.ignore_patterns("decisions*"))
        path = dest / "appraisal.yaml"
        text = path.read_text(encoding="utf-8").replace(f"appraisal: {src}", f"appraisal: {aid}", 1)
        factor = 1 + 0.02 * (i - 3)  # energy costs from -6% to +8% of the example's
        text = re.sub(r"(energy_costs_gbp: \{value: )(\d+)", lambda m: f"{m[1]}{round(int(m[2]) * factor)}", text, 1)
        text = re.sub(r"(staff_fte: \{value: )(\d+)", lambda m: f"{m[1]}{int(m[2]) + i}", text, 1)
        path.write_text(text, encoding="utf-8")
        option = "trading_company" if src == "example_leisure" else "shared_service"
        entries.append(f"  - {{path: ../{aid}, option: {option}}}")
    folder = root / "bench_portfolio"
    folder.mkdir()
    (folder / "portfolio.yaml").write_text(
        "portfolio: bench_portfolio\ntitle: Ten service reviews (bench)\nillustrative: true\nappraisals:\n"
        + "\n".join(entries) + "\nwins:\n  pay_inflation: {from: ../leisure_01}\n"
        "  price_inflation: {from: ../leisure_01}\n  energy_inflation: {from: ../leisure_01}\n"
        "  correlations: {from: ../leisure_01}\n", encoding="utf-8")
    return folder


def bench_portfolio_mc(folder: Path, draws: int = 100_000) -> dict:
    """The combined Monte Carlo of every appraisal in one process (best of 2), and split across a LocalCluster."""
    from asdm_models.executors import make_executor
    from asdm_models.portfolio import combined_monte_carlo, load_portfolio
    from asdm_models.portfolio_run import portfolio_monte_carlo

    p = load_portfolio(folder)
    combined_monte_carlo(p, 1000, SEED)  # warm: tables and caches, as a run has them
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        one = combined_monte_carlo(p, draws, SEED)
        best = min(best, time.perf_counter() - t)
    ex = make_executor("dask", 2)
    try:
        ex.start()
        portfolio_monte_carlo(p, 1000, SEED, ex)  # workers import the suite once
        t = time.perf_counter()
        split = portfolio_monte_carlo(p, draws, SEED, ex)
        cluster = time.perf_counter() - t
    finally:
        ex.shutdown()
    same = all((getattr(one, n) == getattr(split, n)).all() for n in one.ARRAYS)
    return {"appraisals": len(p.loaded), "draws": draws, "one_process": best, "cluster": cluster, "same": same}


def bench_portfolio_batch(folder: Path, out: Path, executor: str, jobs: int = 2) -> dict:
    from asdm_models.portfolio_run import run_portfolio

    t = time.perf_counter()
    res = run_portfolio(folder, out, executor=executor, jobs=jobs, seed=SEED, progress=False)
    wall = time.perf_counter() - t
    n = sum(rec["reports"] for rec in res.manifest["appraisal_runs"].values()) + 1
    return {"wall": wall, "reports": n, "ok": res.ok}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_portfolio(Path(tmp))
        mc = bench_portfolio_mc(folder)
        print(f"Portfolio Monte Carlo, {mc['draws']:,} draws x {mc['appraisals']} appraisals (common random numbers): "
              f"{mc['one_process']:.2f} s in one process; {mc['cluster']:.2f} s split across a 2-worker LocalCluster "
              f"({'the same numbers' if mc['same'] else 'DIFFERENT NUMBERS'}); budget 3 s")
        for executor in ("local", "dask"):
            b = bench_portfolio_batch(folder, Path(tmp) / f"out-{executor}", executor)
            floor = papermill_floor(b["reports"], jobs=2, executor=executor)
            print(f"Portfolio batch, 10 appraisals, both stages, {executor} executor, 2 workers: {b['wall']:.1f} s for "
                  f"{b['reports']} reports ({'all ok' if b['ok'] else 'SOME FAILED'}); floor (papermill, "
                  f"{b['reports']} empty notebooks, same executor and workers): {floor:.1f} s -> "
                  f"{b['wall'] / floor:.2f}x the floor (target 1.2x)")


if __name__ == "__main__":
    main()
