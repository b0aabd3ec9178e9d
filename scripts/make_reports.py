"""`make reports`: the headline table of every bundled example appraisal, printed and written under reports/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.errors import AsdmError
from asdm_models.tables import format_headline, headline_frame, write_csv_atomic

EXAMPLES = ["example_leisure", "example_depot"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports")
    args = ap.parse_args()
    failed = 0
    for name in EXAMPLES:
        data_dir = PROJECT_ROOT / "data" / name
        if not data_dir.exists():
            continue
        try:
            a = load_appraisal(data_dir)
            df = headline_frame(a)
        except AsdmError as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed += 1
            continue
        print(format_headline(df, a))
        out = args.out / name / "headline.csv"
        write_csv_atomic(df, out)
        print(f"written {out.relative_to(PROJECT_ROOT) if out.is_relative_to(PROJECT_ROOT) else out}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
