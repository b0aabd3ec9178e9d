"""The ``asdm`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 a run or verification found a failure or difference; 2 bad input
(invalid data, unknown option, bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import AsdmError, DataErrors, RunError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asdm", description="Appraise alternative service delivery models (HM Treasury Green Book).")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check an appraisal's data; exit 2 listing every problem")
    v.add_argument("data_dir", type=Path, help="an appraisal folder or a portfolio folder")

    a = sub.add_parser("appraise", help="print the headline table for options and stages")
    a.add_argument("data_dir", type=Path)
    a.add_argument("--option", action="append", help="option id (repeatable; default: all)")
    a.add_argument("--stage", choices=["obc", "fbc"], action="append", help="stage (repeatable; default: both)")
    a.add_argument("--scenario", default=None, help="scenario name from scenarios/ (default: base)")
    a.add_argument("--draws", type=int, default=0, help="Monte Carlo draws per option and stage (0: none)")
    a.add_argument("--seed", type=int, default=20261125, help="Monte Carlo seed")
    a.add_argument("--csv", type=Path, default=None, help="also write the table as CSV to this file")

    r = sub.add_parser("run", help="run the report notebooks for every option and stage (papermill) into a run folder")
    r.add_argument("data_dir", type=Path, help="an appraisal folder, or a portfolio folder (portfolio.yaml): every "
                   "appraisal's reports and the portfolio report")
    r.add_argument("--out", type=Path, default=None, help="output folder (default: reports/ of the project)")
    r.add_argument("--options", type=_csv, default=None, help="comma-separated option ids (default: all)")
    r.add_argument("--stages", type=_csv, default=None, help="comma-separated stages (default: obc,fbc)")
    r.add_argument("--jobs", type=int, default=None, help="reports run in parallel: worker processes of either "
                   "executor (default: number of cores)")
    r.add_argument("--executor", choices=["local", "dask"], default=None,
                   help="where the reports run: local (a process pool, the default) or dask (a Dask LocalCluster of "
                        "--jobs workers, or the cluster of --scheduler); the results are the same bytes")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786; implies --executor dask); its workers need the "
                        "same Python environment and the data and --out folders on a shared file system")
    r.add_argument("--seed", type=int, default=None, help="Monte Carlo seed (default: 20261125)")
    r.add_argument("--draws", type=int, default=None, help="Monte Carlo draws per report (default: 10000)")
    r.add_argument("--scenario", default=None, help="scenario from scenarios/ to report on (default: base)")
    r.add_argument("--timeout", type=int, default=600, help="each report's time limit in seconds (default: 600)")
    r.add_argument("--images", action="store_true", help="also write every report chart as SVG and PNG (300 dpi) "
                   "under figures/ (needs Debian's chromium; adds roughly the batch's own time)")
    r.add_argument("--pack", action="store_true", help="also write the cabinet pack: pack-<stage>.pdf and "
                   "slides-<stage>.pptx")
    r.add_argument("--self-contained", action="store_true",
                   help="embed plotly.js in every HTML report (about 5 MB each) so that each opens on its own; by "
                        "default the reports share one local copy, plotly.min.js in the run folder (still offline)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    k = sub.add_parser("pack", help="the cabinet pack of a finished run: one A4 PDF per stage (pack-<stage>.pdf)")
    k.add_argument("run_dir", type=Path)
    k.add_argument("--pptx", action="store_true", help="also write the slides, slides-<stage>.pptx")
    k.add_argument("--images", action="store_true", help="also write every report chart under figures/ (SVG and PNG)")
    k.add_argument("--data-dir", type=Path, default=None,
                   help="where the appraisal's data is now, if it moved (its hashes must still match)")

    m = sub.add_parser("migrate", help="rewrite an appraisal folder written for an earlier data format (renamed drivers)")
    m.add_argument("data_dir", type=Path)
    m.add_argument("--dry-run", action="store_true", help="list the changes without writing them")

    x = sub.add_parser("excel", help="the assumptions as an Excel workbook and back")
    xs = x.add_subparsers(dest="excel_command", required=True)
    xt = xs.add_parser("template", help="write DATA_DIR's assumptions as an editable workbook BOOK (.xlsx): settings and "
                                        "current service, one sheet per option, risks, uncertain drivers, with drop-down "
                                        "lists of the valid values; the folder must be valid")
    xt.add_argument("data_dir", type=Path)
    xt.add_argument("book", type=Path)
    xi = xs.add_parser("import", help="validate workbook BOOK by the same rules as the YAML files and write "
                                      "appraisal.yaml and options/*.yaml into DATA_DIR (an option whose sheet was "
                                      "deleted loses its file; scenarios/ is left as it is); nothing is written if any "
                                      "cell is wrong: exit 2 with one line per problem, naming the sheet and cell")
    xi.add_argument("book", type=Path)
    xi.add_argument("data_dir", type=Path)

    z = sub.add_parser("realise", help="benefits realisation after launch: DATA_DIR/actuals/<year>.csv against the full "
                                        "business case, line by line, with red/amber/green status and a re-forecast")
    z.add_argument("data_dir", type=Path)
    z.add_argument("--option", default=None, help="the launched option (default: option of actuals/realisation.yaml)")

    w = sub.add_parser("verify", help="re-run what a run's manifest records and compare every input and metric")
    w.add_argument("run_dir", type=Path)
    w.add_argument("--data-dir", type=Path, default=None, help="where the appraisal's data is now, if it moved")
    return p


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, argv)
    except DataErrors as e:
        for err in e.errors:
            print(str(err), file=sys.stderr)
        print(f"{len(e.errors)} problem{'s' if len(e.errors) != 1 else ''} found.", file=sys.stderr)
        return 2
    except AsdmError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        where = getattr(e, "run_dir", None)
        print("interrupted" + (f": the run folder {where} is left unfinished (see its RUN-UNFINISHED.txt)"
                               if where else ""), file=sys.stderr)
        return 130


def _resolve(p: Path | None) -> Path | None:
    """Resolve a path given on the command line once, against the folder the command was run in."""
    return None if p is None else Path(p).expanduser().absolute()


def _dispatch(args, argv_shown=None) -> int:
    from .assumptions import load_appraisal

    for name in ("data_dir", "out", "csv", "run_dir", "book"):  # (pack's --data-dir too: same attribute)
        if getattr(args, name, None) is not None:
            setattr(args, name, _resolve(getattr(args, name)))

    if args.command == "validate":
        from .portfolio import is_portfolio, load_portfolio

        if is_portfolio(args.data_dir):
            pf = load_portfolio(args.data_dir)
            settled = ", ".join(d for d, _how, _fig in pf.settled) or "none needed"
            print(f"{args.data_dir}: valid portfolio ({len(pf.entries)} appraisals: "
                  f"{', '.join(f'{e.id} ({e.option})' for e in pf.entries)}; shared assumptions agree or are settled "
                  f"by wins: {settled}; {len(pf.input_files)} files read)")
            return 0
        a = load_appraisal(args.data_dir)
        n_files = len(a.input_files)
        print(f"{args.data_dir}: valid ({len(a.options)} options, {len(a.scenarios)} scenarios, {n_files} files read)")
        return 0
    if args.command == "appraise":
        from .tables import format_headline, headline_frame

        from .batch import check_run_arguments

        check_run_arguments(draws=args.draws, seed=args.seed, jobs=None, timeout=1)
        if args.csv is not None and args.csv.is_dir():
            raise RunError(f"--csv {args.csv}: is a folder; give a file name such as headline.csv")
        a = load_appraisal(args.data_dir)
        options = args.option or list(a.options)
        for o in options:
            a.option(o)  # unknown option -> clear error before any work
        stages = args.stage or ["obc", "fbc"]
        df = headline_frame(a, options, stages, scenario=args.scenario, draws=args.draws, seed=args.seed)
        print(format_headline(df, a))
        if args.csv:
            from .outputs import write_csv_atomic

            try:
                write_csv_atomic(df, args.csv)
            except OSError as e:
                raise RunError(f"--csv {args.csv}: cannot be written ({e.strerror}); choose a file in a folder "
                               "you can write to") from None
            print(f"written {args.csv}")
        return 0
    if args.command == "run":
        from .batch import DEFAULT_SEED, run_batch
        from .business_case import DEFAULT_DRAWS

        if args.scheduler and args.executor == "local":
            raise RunError(f"--scheduler {args.scheduler}: a scheduler is for --executor dask, not --executor local")
        from .portfolio import is_portfolio

        if is_portfolio(args.data_dir):
            return _run_portfolio(args, argv_shown)
        res = run_batch(args.data_dir, args.out, options=args.options, stages=args.stages, jobs=args.jobs,
                        seed=DEFAULT_SEED if args.seed is None else args.seed,
                        draws=DEFAULT_DRAWS if args.draws is None else args.draws, scenario=args.scenario,
                        command=["asdm", *(argv_shown or sys.argv[1:])], progress=not args.quiet,
                        timeout=args.timeout, images=args.images, pack=args.pack,
                        self_contained=args.self_contained,
                        executor=args.executor or ("dask" if args.scheduler else "local"), scheduler=args.scheduler)
        notebooks = [r for r in res.reports if r.get("kind", "report") in ("report", "realisation")]
        outputs = [r for r in res.reports if r.get("kind") == "output"]
        print(f"run folder: {res.run_dir}")
        print(f"{sum(r['status'] == 'ok' for r in notebooks)} of {len(notebooks)} reports ok")
        done = [f for r in outputs if r["status"] == "ok" for f in r.get("files", [])]
        if done:
            shown = done if len(done) <= 8 else done[:8] + [f"... ({len(done) - 8} more)"]
            print("also written: " + ", ".join(shown))
        for r in res.reports:
            if r["status"] != "ok":
                print(f"FAILED {r['name']}: {r['error']}", file=sys.stderr)
        return 0 if res.ok else 1
    if args.command == "migrate":
        from .migrate import migrate_folder

        if not args.data_dir.is_dir():
            raise RunError(f"{args.data_dir}: folder not found")
        changed = migrate_folder(args.data_dir, dry_run=args.dry_run)
        for f, done in changed.items():
            for c in dict.fromkeys(done):
                print(f"{f}: {c} ({done.count(c)}x)")
        verb = "would change" if args.dry_run else "changed"
        print(f"{args.data_dir}: {verb} {len(changed)} file{'s' if len(changed) != 1 else ''}; "
              "now run `asdm validate` for anything left to do by hand")
        return 0
    if args.command == "pack":
        from .batch import write_extras
        from .verify import read_manifest

        read_manifest(args.run_dir)  # a finished run, or a clear error
        entries = write_extras(args.run_dir, images=args.images, pack=True, pptx=args.pptx, data_dir=args.data_dir)
        for e in entries:
            for f in e["files"]:
                print(f"written {args.run_dir / f}")
        failed = [e for e in entries if e["status"] != "ok"]
        for e in failed:
            print(f"FAILED {e['name']}: {e['error']}", file=sys.stderr)
        return 1 if failed else 0
    if args.command == "excel":
        from .excel_io import import_workbook, write_template

        if args.excel_command == "template":
            if args.book.suffix.lower() != ".xlsx":
                raise RunError(f"{args.book}: give a workbook name ending .xlsx")
            path = write_template(args.data_dir, args.book)
            print(f"written {path}: edit it, then `asdm excel import {path} {args.data_dir}`")
            return 0
        if not args.book.is_file():
            raise RunError(f"{args.book}: workbook not found")
        res = import_workbook(args.book, args.data_dir)
        for f in res.written:
            print(f"written {f}")
        for f in res.removed:
            print(f"removed {f} (its sheet is no longer in the workbook)")
        print(f"{args.data_dir}: imported from {args.book.name} and valid")
        return 0
    if args.command == "realise":
        from .realisation import load_actuals, realisation, realisation_text

        a = load_appraisal(args.data_dir)
        if not (args.data_dir / "actuals").is_dir():
            raise RunError(f"{args.data_dir}: no actuals/ folder; after launch put the outturn there, one "
                           "actuals/<year>.csv per financial year (columns line,actual_nominal_gbp) and "
                           "actuals/realisation.yaml naming the launched option and the tolerances")
        actuals = a.actuals
        if args.option is not None:
            a.option(args.option)  # unknown option -> a clear error
            actuals, errs, _ = load_actuals(args.data_dir, a, option=args.option)
            if errs:
                raise DataErrors(errs)
        print(realisation_text(a, realisation(a, actuals)))
        return 0
    if args.command == "verify":
        from .batch import verify_run
        from .portfolio_run import is_portfolio_run, verify_portfolio_run

        verifier = verify_portfolio_run if is_portfolio_run(args.run_dir) else verify_run
        res = verifier(args.run_dir, data_dir=args.data_dir)
        for d in res.differences:
            print(d)
        for n in res.notes:
            print(f"note: {n}")
        if res.ok:
            print(f"{args.run_dir}: verified ({res.checked} figures recomputed; every output it holds, every input "
                  "and every suite file unchanged)")
            return 0
        print(f"{len(res.differences)} difference{'s' if len(res.differences) != 1 else ''} found.", file=sys.stderr)
        return 1
    raise AssertionError(args.command)  # argparse only admits the commands above


def _run_portfolio(args, argv_shown) -> int:
    """``asdm run PORTFOLIO_DIR``: every appraisal's reports and the portfolio report on one executor."""
    from .batch import DEFAULT_SEED
    from .business_case import DEFAULT_DRAWS
    from .portfolio_run import run_portfolio

    for flag, value in (("--options", args.options), ("--scenario", args.scenario)):
        if value:
            raise RunError(f"{flag} is for one appraisal; a portfolio runs every option of each appraisal in the base "
                           "case (run an appraisal's folder on its own for that)")
    res = run_portfolio(args.data_dir, args.out, stages=args.stages, jobs=args.jobs,
                        seed=DEFAULT_SEED if args.seed is None else args.seed,
                        draws=DEFAULT_DRAWS if args.draws is None else args.draws,
                        executor=args.executor or ("dask" if args.scheduler else "local"), scheduler=args.scheduler,
                        timeout=args.timeout, progress=not args.quiet, command=["asdm", *(argv_shown or sys.argv[1:])],
                        images=args.images, pack=args.pack, self_contained=args.self_contained)
    print(f"portfolio run folder: {res.run_dir}")
    for aid, rec in res.manifest["appraisal_runs"].items():
        where = res.run_dir / rec["run_dir"] if rec.get("run_dir") else None
        print(f"  {aid}: {rec['ok_reports']} of {rec['reports']} reports ok"
              + (f" ({where.resolve()})" if where else "") + ("" if rec["status"] == "ok" else f"; FAILED: {rec['error']}"))
    print(f"  portfolio report: {res.report['status']}" + (f" ({res.report['error']})" if res.report.get("error") else ""))
    if not res.ok:
        print("FAILED: the portfolio run is incomplete (see above)", file=sys.stderr)
    return 0 if res.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
