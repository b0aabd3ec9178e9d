"""`make reports`: the full batch of reports for every bundled example appraisal (asdm run), into reports/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asdm_models import PROJECT_ROOT
from asdm_models.batch import run_batch
from asdm_models.errors import AsdmError
from asdm_models.tables import format_headline

EXAMPLES = ["example_leisure", "example_depot"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports")
    args = ap.parse_args()
    failed = 0
    lines = []
    for name in EXAMPLES:
        data_dir = PROJECT_ROOT / "data" / name
        try:
            res = run_batch(data_dir, args.out, jobs=args.jobs, pack=True,
                            command=["make", "reports", f"({name}, --jobs {args.jobs})"])
        except AsdmError as e:
            print(f"{name}: FAILED before running: {e}", file=sys.stderr)
            lines.append(f"  {name}: FAILED before running (see above)")
            failed += 1
            continue
        base = res.summary[res.summary["scenario"] == "base"]
        print(format_headline(base.rename(columns={}), None) + "\n")
        notebooks = [r for r in res.reports if r.get("kind", "report") == "report"]
        bad = [r["name"] for r in res.reports if r["status"] != "ok"]
        lines.append(f"  {name}: {len(notebooks) - sum(r['status'] != 'ok' for r in notebooks)} of {len(notebooks)} "
                     f"reports ok{'; FAILED: ' + ', '.join(bad) if bad else ''}; open {res.run_dir / 'index.html'} "
                     f"(also {args.out / res.run_dir.parent.name / 'latest'}/: pack-obc.pdf, pack-fbc.pdf, "
                     "slides-*.pptx, results.xlsx)")
        failed += not res.ok
    print("Summary of make reports:")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
