"""The ``asdm`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 a run or verification found a failure or difference; 2 bad input
(invalid data, unknown option, bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import AsdmError, DataErrors

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asdm", description="Appraise alternative service delivery models (HM Treasury Green Book).")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check an appraisal's data; exit 2 listing every problem")
    v.add_argument("data_dir", type=Path)

    a = sub.add_parser("appraise", help="print the headline table for options and stages")
    a.add_argument("data_dir", type=Path)
    a.add_argument("--option", action="append", help="option id (repeatable; default: all)")
    a.add_argument("--stage", choices=["obc", "fbc"], action="append", help="stage (repeatable; default: both)")
    a.add_argument("--scenario", default=None, help="scenario name from scenarios/ (default: base)")
    a.add_argument("--draws", type=int, default=0, help="Monte Carlo draws per option and stage (0: none)")
    a.add_argument("--seed", type=int, default=20261125, help="Monte Carlo seed")
    a.add_argument("--csv", type=Path, default=None, help="also write the table as CSV to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except DataErrors as e:
        for err in e.errors:
            print(str(err), file=sys.stderr)
        print(f"{len(e.errors)} problem{'s' if len(e.errors) != 1 else ''} found.", file=sys.stderr)
        return 2
    except AsdmError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    from .assumptions import load_appraisal

    if args.command == "validate":
        a = load_appraisal(args.data_dir)
        n_files = len(a.input_files)
        print(f"{args.data_dir}: valid ({len(a.options)} options, {len(a.scenarios)} scenarios, {n_files} files read)")
        return 0
    if args.command == "appraise":
        from .tables import format_headline, headline_frame

        a = load_appraisal(args.data_dir)
        options = args.option or list(a.options)
        for o in options:
            a.option(o)  # unknown option -> clear error before any work
        stages = args.stage or ["obc", "fbc"]
        df = headline_frame(a, options, stages, scenario=args.scenario, draws=args.draws, seed=args.seed)
        print(format_headline(df, a))
        if args.csv:
            from .tables import write_csv_atomic

            write_csv_atomic(df, args.csv)
            print(f"written {args.csv}")
        return 0
    raise AssertionError(args.command)  # argparse only admits the commands above


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
