"""`make reports`: the full batch of reports for every bundled example, into reports/.

The example portfolio (data/example_portfolio: the leisure and the depot appraisals together) is run
with `asdm run`'s portfolio runner, which writes each appraisal's own run (with its cabinet packs,
slides and results.xlsx) and the portfolio report; any bundled example the portfolio does not name
is then run on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asdm_models import PROJECT_ROOT
from asdm_models.batch import run_batch
from asdm_models.errors import AsdmError
from asdm_models.portfolio_run import run_portfolio
from asdm_models.tables import format_headline

EXAMPLES = ["example_leisure", "example_depot"]
PORTFOLIO = "example_portfolio"


def _line(name: str, res, out: Path) -> str:
    notebooks = [r for r in res.reports if r.get("kind", "report") in ("report", "realisation")]
    bad = [r["name"] for r in res.reports if r["status"] != "ok"]
    return (f"  {name}: {len(notebooks) - sum(r['status'] != 'ok' for r in notebooks)} of {len(notebooks)} "
            f"reports ok{'; FAILED: ' + ', '.join(bad) if bad else ''}; open {res.run_dir / 'index.html'} "
            f"(also {out / res.run_dir.parent.name / 'latest'}/: pack-obc.pdf, pack-fbc.pdf, slides-*.pptx, "
            "results.xlsx)")


def _not_run(name: str, e: Exception, lines: list) -> int:
    """An example that could not start: said on stderr, in the summary, and counted as a failure."""
    print(f"{name}: FAILED before running: {e}", file=sys.stderr)
    lines.append(f"  {name}: FAILED before running (see above)")
    return 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports")
    args = ap.parse_args()
    failed = 0
    lines = []
    done = set()
    try:
        pf = run_portfolio(PROJECT_ROOT / "data" / PORTFOLIO, args.out, jobs=args.jobs, pack=True,
                           command=["make", "reports", f"({PORTFOLIO}, --jobs {args.jobs})"])
    except AsdmError as e:
        failed += _not_run(PORTFOLIO, e, lines)
    else:
        for name, res in pf.appraisal_runs.items():
            base = res.summary[res.summary["scenario"] == "base"]
            print(format_headline(base, None) + "\n")
            lines.append(_line(name, res, args.out))
            done.add(name)
            failed += not res.ok
        for name, why in pf.failed.items():
            lines.append(f"  {name}: FAILED before running: {why}")
            failed += 1
        lines.append(f"  {PORTFOLIO}: portfolio report {pf.report['status']}"
                     + (f" ({pf.report['error']})" if pf.report.get("error") else "")
                     + f"; open {pf.run_dir / 'index.html'} (also {args.out / PORTFOLIO / 'latest'}/)")
        failed += pf.report["status"] != "ok"
    for name in EXAMPLES:
        if name in done:
            continue
        try:
            res = run_batch(PROJECT_ROOT / "data" / name, args.out, jobs=args.jobs, pack=True,
                            command=["make", "reports", f"({name}, --jobs {args.jobs})"])
        except AsdmError as e:
            failed += _not_run(name, e, lines)
            continue
        print(format_headline(res.summary[res.summary["scenario"] == "base"], None) + "\n")
        lines.append(_line(name, res, args.out))
        failed += not res.ok
    print("Summary of make reports:")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
