"""Running a portfolio: every appraisal's reports and the portfolio report on one executor, and its verification.

``asdm run PORTFOLIO_DIR`` (:func:`run_portfolio`) plans one ordinary run per appraisal (each into
``OUT/<appraisal>/<run-id>/``, exactly as ``asdm run <appraisal>`` would write it, ``latest`` link
included), runs all their reports on ONE executor (the local pool or Dask), computes the combined
Monte Carlo in blocks of draws on the same executor, and writes the portfolio's own run folder::

    OUT/<portfolio>/<run-id>/
        portfolio.ipynb, portfolio.html   the portfolio report (notebooks/portfolio.ipynb)
        portfolio_summary.csv             one row per appraisal (its counted option) and a portfolio row
        portfolio_by_year.csv             the combined cash by financial year against the target
        portfolio_draws.npz               the combined Monte Carlo draws (bit-for-bit reproducible)
        appraisal_runs.json               each appraisal's run folder (relative), status and reports
        index.html                        the finding, then links to everything
        manifest.json                     inputs, outputs, the appraisals' runs and their manifests (sha256)

An appraisal that does not load, or whose run fails, never stops the others: it is reported as failed
(in the summary, the report and the exit code) and left out of the combined figures, which say so.
:func:`verify_portfolio_run` checks the portfolio run (outputs, inputs, suite code, every figure
recomputed in one pass) and each appraisal's run with :func:`~asdm_models.verify.verify_run`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .batch import RunInterrupted, RunResult, _append, _point_latest, run_plans
from .business_case import DEFAULT_DRAWS
from .errors import AsdmError, DataErrors, RunError
from .executors import ReportExecutor, WorkerDied, make_executor
from .kernels import write_plotly_js
from .outputs import json_safe, spreadsheet_safe_frame, write_bytes_atomic, write_text_atomic
from .pack import inputs_digest
from .portfolio import (Portfolio, by_year_frame, combined_monte_carlo, draw_ranges, draws_bytes, load_portfolio,
                        merge_draws, portfolio_figures, read_draws, summary_frame)
from .provenance import git_commit, input_hashes, package_versions, sha256_file, suite_hashes
from .reference import PROJECT_ROOT
from .runplan import (DEFAULT_SEED, NOTEBOOKS, _make_run_dir, _now, _resolve_out, check_run_arguments, plan_run,
                      run_report)
from .kernels import check_parameters
from .verify import (MANIFEST, UNFINISHED_MARKER, VerifyResult, _check_files, check_suite_code, compare_csv,
                     read_manifest, run_files)

__all__ = ["run_portfolio", "verify_portfolio_run", "portfolio_monte_carlo", "PortfolioRunResult",
           "PORTFOLIO_NOTEBOOK", "is_portfolio_run"]

PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio.ipynb"
PORTFOLIO_REPORT = "portfolio"
SUMMARY_FILE = "portfolio_summary.csv"
BY_YEAR_FILE = "portfolio_by_year.csv"
DRAWS_FILE = "portfolio_draws.npz"
RUNS_FILE = "appraisal_runs.json"
KIND = "portfolio"


@dataclass
class PortfolioRunResult:
    """A finished portfolio run.

    Attributes
    ----------
    run_dir : Path
        The portfolio's run folder.
    portfolio : Portfolio
    appraisal_runs : dict
        Appraisal id -> its :class:`~asdm_models.batch.RunResult` (appraisals that ran).
    failed : dict
        Appraisal id -> why it could not run at all (its data did not load).
    report : dict
        The portfolio report's record (``status``, ``error``, ``seconds``).
    summary : DataFrame
        ``portfolio_summary.csv``'s rows.
    ok : bool
        Every appraisal's run ok and the portfolio report ok.
    manifest : dict
    """

    run_dir: Path
    portfolio: Portfolio = field(repr=False)
    appraisal_runs: dict
    failed: dict
    report: dict
    summary: pd.DataFrame = field(repr=False)
    ok: bool
    manifest: dict = field(repr=False, default_factory=dict)


def is_portfolio_run(run_dir) -> bool:
    """True when ``run_dir``'s manifest is a portfolio run's."""
    try:
        m = json.loads((Path(run_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(m, dict) and m.get("kind") == KIND


# --------------------------------------------------------------------------------------------- Monte Carlo
def _mc_block(folder: str, draws: int, seed: int, start: int, stop: int):
    """One block of the combined Monte Carlo on a worker (the portfolio loaded there: it reads the same files)."""
    return combined_monte_carlo(load_portfolio(folder, partial=True), draws, seed, start=start, stop=stop)


def portfolio_monte_carlo(portfolio: Portfolio, draws: int, seed: int, executor: ReportExecutor | None = None,
                          parts: int | None = None):
    """The combined Monte Carlo, split by blocks of draws across an executor's workers.

    Parameters
    ----------
    portfolio : Portfolio
    draws, seed : int
    executor : ReportExecutor, optional
        Started or not (e.g. a Dask LocalCluster); None computes in this process, in one pass.
    parts : int, optional
        Blocks to split the draws into (default: the executor's workers). Blocks split at multiples of
        :data:`~asdm_models.montecarlo.CHUNK` (:func:`~asdm_models.portfolio.draw_ranges`), so the result
        is exactly the one-pass result whatever the split.

    Returns
    -------
    PortfolioDraws or None
        None for 0 draws.
    """
    if not draws:
        return None
    if executor is None:
        return combined_monte_carlo(portfolio, draws, seed)
    ranges = draw_ranges(draws, parts or getattr(executor, "workers", 1) or 1)
    futures = [executor.submit(_mc_block, str(portfolio.folder), draws, seed, a, b,
                               key=f"{portfolio.id}-mc-{seed}-{a}-{b}") for a, b in ranges]
    return merge_draws([executor.result(f) for f in futures])


# --------------------------------------------------------------------------------------------- the run
def _stem(portfolio: Portfolio, seed: int, draws: int, stages) -> str:
    key = json.dumps([portfolio.id, seed, draws, list(stages or [])], sort_keys=True)
    return f"{_dt.datetime.now(_dt.timezone.utc):%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def _one_line(e: BaseException) -> str:
    if isinstance(e, DataErrors):
        errs = e.errors
        return f"invalid data ({len(errs)} problem{'s' if len(errs) != 1 else ''}): " + " | ".join(map(str, errs[:3]))
    return " ".join(str(e).split())[:500]


def _inputs_base(files) -> Path:
    """The folder the portfolio's input files are recorded relative to: the deepest one holding them all."""
    parents = [str(Path(f).resolve().parent) for f in files]
    return Path(os.path.commonpath(parents)) if parents else Path("/")


def run_portfolio(folder, out=None, *, stages=None, seed: int = DEFAULT_SEED, draws: int = DEFAULT_DRAWS,
                  jobs: int | None = None, executor: str | ReportExecutor = "local", scheduler: str | None = None,
                  timeout: int = 600, progress: bool = True, command: list | None = None, images: bool = False,
                  pack: bool = False, self_contained: bool = False) -> PortfolioRunResult:
    """Run every appraisal of a portfolio and the portfolio report, on one executor.

    Parameters
    ----------
    folder : path
        The portfolio folder (``portfolio.yaml``).
    out : path, optional
        Where the run folders go (default ``reports/``): each appraisal's under ``out/<appraisal>/``,
        the portfolio's under ``out/<portfolio>/``.
    stages, seed, draws, timeout, images, pack, self_contained
        As :func:`~asdm_models.batch.run_batch`, for every appraisal (each runs all its options).
        ``draws`` is also the combined Monte Carlo's.
    executor, jobs, scheduler
        Where the reports (and the blocks of the combined Monte Carlo) run; the results are the same
        bytes whichever runs them.

    Raises
    ------
    DataErrors
        ``portfolio.yaml`` is invalid, or shared assumptions disagree and ``wins`` does not settle them
        (nothing runs). An appraisal that does not load only fails itself.
    RunError
        Bad arguments, or an executor that cannot start (nothing runs).
    """
    check_run_arguments(draws=draws, seed=seed, jobs=jobs, timeout=timeout)
    started = _now()
    folder = Path(folder).expanduser().resolve()
    portfolio = load_portfolio(folder, partial=True)
    check_parameters(PORTFOLIO_NOTEBOOK, {"portfolio_dir": "", "seed": 0, "draws": 0, "draws_path": "",
                                          "runs_path": ""})
    out = _resolve_out(out)
    # What went in, recorded before anything runs (the report's footer and the manifest state the same).
    base = _inputs_base(portfolio.input_files)
    known = {"base": base, "inputs": input_hashes(portfolio.input_files, base=base), "suite": git_commit(),
             "packages": package_versions()}
    own = not isinstance(executor, ReportExecutor)
    ex = make_executor(executor, jobs, scheduler) if own else executor  # a bad scheduler: refused before any folder

    plans, failed = [], {}
    base_dir = out / portfolio.id
    run_dir = None
    try:
        for e in portfolio.entries:
            if e.appraisal is None:
                failed[e.id] = "; ".join(str(x) for x in e.errors[:3]) or "the appraisal did not load"
                continue
            try:
                plans.append(plan_run(e.path, out, stages=stages, seed=seed, draws=draws, command=command,
                                      timeout=timeout, images=images, pack=pack, self_contained=self_contained))
            except AsdmError as err:  # this appraisal cannot run (e.g. its decision log is broken): the rest can
                failed[e.id] = _one_line(err)
        base_dir.mkdir(exist_ok=True)
        run_dir = _make_run_dir(base_dir, _stem(portfolio, seed, draws, stages))
        marker = run_dir / UNFINISHED_MARKER
        write_text_atomic(f"unfinished: portfolio run {run_dir.name} started {started} (pid {os.getpid()}); if this "
                          f"file is here and {MANIFEST} is not, the run did not finish.\n", marker)
        if progress:
            print(f"portfolio {portfolio.id}: {len(plans)} appraisal run{'s' if len(plans) != 1 else ''} "
                  f"({sum(len(p.tasks) for p in plans)} reports) and the portfolio report", file=sys.stderr)
        try:
            results = run_plans(plans, executor=ex, progress=progress)
            ex.start()
            record, exec_args = ex.description(), ex.command_args()
            runs = _runs_record(portfolio, plans, results, failed, run_dir)
            write_text_atomic(json.dumps(runs, indent=1), run_dir / RUNS_FILE)
            report = _portfolio_report(portfolio, ex, run_dir, seed, draws, timeout, self_contained, runs, known,
                                       progress)
        except BaseException as e:
            ex.stop()
            why = "interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else f"failed: {_one_line(e)}"
            _append(marker, f"{why} at {_now()}; the portfolio's outputs in this folder are incomplete.\n")
            if isinstance(e, KeyboardInterrupt):
                raise RunInterrupted(run_dir) from None
            raise
    finally:
        if own:
            ex.shutdown()
    statuses = {k: (v["status"], v.get("error")) for k, v in runs.items()}
    summary = report.pop("_summary", None)
    if summary is None:  # the figures could not be computed: one row per appraisal saying why
        summary = pd.DataFrame([{"row": "appraisal", "appraisal": k, "status": v[0], "error": v[1]}
                                for k, v in statuses.items()])
    ok = report["status"] == "ok" and all(v["status"] == "ok" for v in runs.values())
    write_text_atomic(_index_html(portfolio, runs, report, summary, run_dir), run_dir / "index.html")
    manifest = _manifest(portfolio, folder, out, run_dir, started, seed, draws, stages, timeout, record, exec_args,
                         command, runs, report, ok, images, pack, self_contained, known)
    write_text_atomic(json.dumps(json_safe(manifest), indent=1), run_dir / MANIFEST)
    marker.unlink(missing_ok=True)
    _point_latest(base_dir, run_dir)
    by_id = {r.run_dir.parent.name: r for r in results}
    return PortfolioRunResult(run_dir, portfolio, by_id, failed, report, summary, ok, manifest)


def _runs_record(portfolio, plans, results, failed, run_dir) -> dict:
    """``appraisal_runs.json``: per appraisal, its run folder relative to the portfolio's, its status and reports."""
    runs = {}
    by_plan = {id(p): r for p, r in zip(plans, results)}
    plan_of = {p.appraisal.id: p for p in plans}
    for e in portfolio.entries:
        if e.id in failed:
            runs[e.id] = {"status": "failed", "error": f"not run: {failed[e.id]}", "run_dir": None, "index": None,
                          "reports": 0, "ok_reports": 0, "manifest_sha256": None}
            continue
        p = plan_of[e.id]
        r: RunResult = by_plan[id(p)]
        notebooks = [x for x in r.reports if x.get("kind", "report") in ("report", "realisation")]
        bad = [x["name"] for x in r.reports if x["status"] != "ok"]
        rel = Path(os.path.relpath(r.run_dir, run_dir)).as_posix()
        mpath = r.run_dir / MANIFEST
        error = r.error or (f"failed: {', '.join(bad[:6])}{', ...' if len(bad) > 6 else ''}" if bad else None)
        if not e.ok and error is None:  # it ran, but its counted option is broken
            error = "its counted option does not load: " + "; ".join(str(x) for x in e.errors[:2])
        runs[e.id] = {"status": "ok" if r.ok and e.ok else "failed", "error": error, "run_dir": rel,
                      "index": f"{rel}/index.html", "run_id": r.run_dir.name, "reports": len(notebooks),
                      "ok_reports": sum(x["status"] == "ok" for x in notebooks),
                      "manifest_sha256": sha256_file(mpath) if mpath.is_file() else None}
    return runs


def _portfolio_report(portfolio, ex, run_dir: Path, seed, draws, timeout, self_contained, runs, known,
                      progress) -> dict:
    """The combined Monte Carlo (in blocks on the executor), the portfolio's CSVs, then its report notebook."""
    t0 = time.perf_counter()
    report = {"name": PORTFOLIO_REPORT, "kind": "portfolio", "option": None, "stage": None, "metrics": None}
    statuses = {k: (v["status"], v.get("error")) for k, v in runs.items()}
    try:
        if not portfolio.loaded:
            raise RunError("no appraisal of the portfolio loaded, so there are no combined figures")
        mc = portfolio_monte_carlo(portfolio, draws, seed, ex)
        fig = portfolio_figures(portfolio, draws=draws, seed=seed, mc=mc)
        summary = summary_frame(fig, statuses)
        write_text_atomic(spreadsheet_safe_frame(summary).to_csv(index=False), run_dir / SUMMARY_FILE)
        write_text_atomic(by_year_frame(fig).to_csv(index=False), run_dir / BY_YEAR_FILE)
        if mc is not None:
            write_bytes_atomic(draws_bytes(mc), run_dir / DRAWS_FILE)
        report["_summary"] = summary
    except WorkerDied as e:
        report.update(status="failed", error=f"a worker died while computing the combined Monte Carlo: {e}",
                      seconds=round(time.perf_counter() - t0, 1))
        return report
    except Exception as e:  # noqa: BLE001 - the figures fail the portfolio report (exit 1), never the appraisals' runs
        report.update(status="failed", error=f"the combined figures could not be computed: {_one_line(e)}",
                      seconds=round(time.perf_counter() - t0, 1))
        return report
    provenance = {"run_id": run_dir.name, "version": known["packages"].get("asdm") or "",
                  "commit": known["suite"].get("commit"), "dirty": bool(known["suite"].get("dirty")),
                  "inputs_sha256": inputs_digest({"inputs": known["inputs"]}),
                  "date": f"run {_now().replace('T', ' ').replace('+00:00', ' UTC')}"}
    if not self_contained:
        write_plotly_js(run_dir)
    html_opts = {"plotly_js": "embed" if self_contained else "shared", "provenance": provenance}
    params = {"portfolio_dir": str(portfolio.folder), "seed": seed, "draws": draws,
              "draws_path": DRAWS_FILE if draws else "", "runs_path": RUNS_FILE}
    try:
        fut = ex.submit(run_report, PORTFOLIO_NOTEBOOK, run_dir, PORTFOLIO_REPORT, None, None,
                        f"{portfolio.title}: portfolio", params, timeout, html_opts, key=f"{portfolio.id}-portfolio")
        value = ex.result(fut)
    except WorkerDied as e:
        value = {"status": "failed", "error": f"worker died while running the portfolio report: {e}"}
    except Exception as e:  # noqa: BLE001 - the report's task broke: the report fails, the run finishes
        value = {"status": "failed", "error": f"the portfolio report could not run: {_one_line(e)}"}
    report.update(status=value["status"], error=value.get("error"), seconds=round(time.perf_counter() - t0, 1))
    if progress:
        print(f"  {'ok    ' if report['status'] == 'ok' else 'FAILED'} {portfolio.id}/{PORTFOLIO_REPORT} "
              f"({report['seconds']} s)" + (f": {report['error']}" if report["error"] else ""), file=sys.stderr)
    return report


def _manifest(portfolio, folder, out, run_dir, started, seed, draws, stages, timeout, record, exec_args, command,
              runs, report, ok, images, pack, self_contained, known) -> dict:
    base, inputs, suite, packages = known["base"], known["inputs"], known["suite"], known["packages"]
    rep = {k: report.get(k) for k in ("name", "kind", "option", "stage", "status", "error", "seconds", "metrics")}
    rep["files"] = [f for f in (f"{PORTFOLIO_REPORT}.ipynb", f"{PORTFOLIO_REPORT}.html",
                                f"{PORTFOLIO_REPORT}.FAILED.ipynb") if (run_dir / f).exists()]
    m = {
        "kind": KIND, "run_id": run_dir.name, "portfolio": portfolio.id, "title": portfolio.title,
        "started": started, "finished": _now(),
        "command": ["asdm", "run", str(folder), "--out", str(out), "--seed", str(seed), "--draws", str(draws),
                    *exec_args, "--timeout", str(timeout)] + (["--stages", ",".join(stages)] if stages else [])
                   + (["--images"] if images else []) + (["--pack"] if pack else [])
                   + (["--self-contained"] if self_contained else []),
        "command_as_typed": command,
        "data_dir": str(folder), "data_dir_relative": Path(os.path.relpath(folder, run_dir)).as_posix(),
        "inputs_base": str(base), "inputs_base_relative": Path(os.path.relpath(base, run_dir)).as_posix(),
        "seed": seed, "draws": draws, "scenario": "base", "stages": list(stages) if stages else None,
        "timeout_seconds": timeout, "executor": record, "jobs": record.get("workers"),
        "inputs": inputs, "inputs_sha256": inputs_digest({"inputs": inputs}),
        "notebooks": input_hashes([PORTFOLIO_NOTEBOOK], base=PROJECT_ROOT),
        "suite_files": suite_hashes(), "packages": packages, "suite": suite,
        "status": "ok" if ok else "failed",
        # Each appraisal's own run: where it is, and its manifest's sha256 (verify checks it and verifies the run).
        "appraisal_runs": runs,
        "reports": [rep],
        "outputs": {},
    }
    m["outputs"] = {rel: sha256_file(run_dir / rel) for rel in run_files(run_dir)}
    return m


def _index_html(portfolio, runs, report, summary, run_dir: Path) -> str:
    """The portfolio run's front page: the finding first (the portfolio row), then the appraisals and links."""
    from .units import format_probability, gbp_m

    e = html.escape
    total = summary[summary["row"] == "portfolio"] if "row" in summary else summary.iloc[0:0]
    lines = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(portfolio.title)}: portfolio run "
             f"{e(run_dir.name)}</title><style>body{{font-family:Arial,sans-serif;max-width:60rem;margin:2rem auto;"
             "padding:0 1rem;line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:.3rem .6rem;text-align:left}.bad{color:#d55e00;font-weight:bold}</style></head><body>",
             f"<h1>{e(portfolio.title)}</h1><p>{e(portfolio.council)} · portfolio run {e(run_dir.name)}</p>"]
    if portfolio.illustrative:
        lines.append("<p><strong>Illustrative data.</strong> Every figure is invented for demonstration. "
                     "Do not quote it.</p>")
    if len(total):
        t = total.iloc[0]
        npsv = t.get("npsv_vs_no_change_at_portfolio_base_gbp")
        prob = t.get("prob_meets_target")
        lines.append("<p><strong>The finding.</strong> Together the options counted are "
                     f"{e(gbp_m(abs(npsv)))} {'better' if npsv >= 0 else 'worse'} than no change (NPSV)"
                     + (f"; chance of meeting the combined savings target in every year: "
                        f"{e(format_probability(prob))}" if pd.notna(prob) else "")
                     + (f"; one-off costs peak in {e(str(t['peak_one_off_year']))}" if pd.notna(
                         t.get("peak_one_off_year")) else "") + ".</p>")
    if report["status"] == "ok":
        lines.append(f"<p><a href='{PORTFOLIO_REPORT}.html'>Open the portfolio report</a> · "
                     f"<a href='{SUMMARY_FILE}'>{SUMMARY_FILE}</a> · <a href='{BY_YEAR_FILE}'>{BY_YEAR_FILE}</a></p>")
    else:
        lines.append(f"<p class='bad'>The portfolio report failed: {e(str(report.get('error')))}</p>")
    lines.append("<h2>The appraisals' runs</h2><table><tr><th>appraisal</th><th>reports ok</th><th>status</th></tr>")
    for k, v in runs.items():
        link = f"<a href='{e(v['index'])}'>{e(k)}</a>" if v.get("index") else e(k)
        status = "ok" if v["status"] == "ok" else f"<span class='bad'>FAILED</span> {e(str(v.get('error') or ''))}"
        lines.append(f"<tr><td>{link}</td><td>{v['ok_reports']} of {v['reports']}</td><td>{status}</td></tr>")
    lines.append("</table></body></html>\n")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- verification
def verify_portfolio_run(run_dir, *, data_dir=None) -> VerifyResult:
    """Check a portfolio run: its outputs, inputs and the suite's code; every combined figure recomputed (the
    Monte Carlo in one pass, which must equal the blocks the run computed); and each appraisal's run
    (:func:`~asdm_models.verify.verify_run`), whose manifest must be the one the portfolio run recorded.

    ``data_dir``: where the portfolio folder is now, if it moved (its appraisals are found through it).
    """
    from .verify import verify_run

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    diffs: list[str] = []
    notes: list[str] = []
    runs = manifest.get("appraisal_runs")
    if not isinstance(runs, dict):
        raise RunError(f"{run_dir / MANIFEST}: a portfolio manifest needs appraisal_runs (a mapping)")
    _check_files(manifest["outputs"], run_dir, "output", diffs, inside=True)
    for rel in run_files(run_dir):
        if rel not in manifest["outputs"]:
            diffs.append(f"output {rel}: not written by the run (not in the manifest)")
    folder = Path(data_dir) if data_dir is not None else Path(manifest["data_dir"])
    if not folder.is_dir():
        folder = (run_dir / manifest.get("data_dir_relative", "")).resolve()
    base = Path(manifest.get("inputs_base", "/"))
    if data_dir is not None or not base.is_dir():
        base = (run_dir / manifest.get("inputs_base_relative", "")).resolve()
    _check_files(manifest["inputs"], base, "input", diffs)
    _check_files(manifest.get("notebooks", {}), PROJECT_ROOT, "suite notebook", diffs)
    check_suite_code(manifest, diffs)
    checked = 0
    # each appraisal's run: the one recorded (its manifest unchanged), verified in full
    for aid, rec in runs.items():
        if not isinstance(rec, dict):
            diffs.append(f"appraisal_runs {aid}: not a run record")
            continue
        if not rec.get("run_dir"):
            notes.append(f"appraisal {aid}: did not run ({rec.get('error')}), so there is nothing to verify")
            continue
        adir = (run_dir / rec["run_dir"]).resolve()
        mpath = adir / MANIFEST
        if not mpath.is_file():
            diffs.append(f"appraisal {aid}: its run folder {rec['run_dir']} has no {MANIFEST}")
            continue
        if sha256_file(mpath) != rec.get("manifest_sha256"):
            diffs.append(f"appraisal {aid}: {rec['run_dir']}/{MANIFEST} changed since the portfolio run")
        try:
            sub = verify_run(adir)
        except AsdmError as err:
            diffs.append(f"appraisal {aid}: {err}")
            continue
        checked += sub.checked
        diffs.extend(f"{aid}: {d}" for d in sub.differences)
        notes.extend(f"{aid}: {n}" for n in sub.notes)
    # the combined figures, recomputed in one pass
    rep = next((r for r in manifest["reports"] if r.get("name") == PORTFOLIO_REPORT), None)
    try:
        portfolio = load_portfolio(folder, partial=True)
    except DataErrors as err:
        diffs.append(f"the portfolio no longer loads: {err.errors[0]}")
        return VerifyResult(run_dir, diffs, checked, notes)
    if rep is None or (run_dir / SUMMARY_FILE).is_file() is False:
        notes.append("the portfolio's combined figures were not written by the run, so there is nothing to compare")
        return VerifyResult(run_dir, diffs, checked, notes)
    statuses = {k: (v.get("status"), v.get("error")) for k, v in runs.items() if isinstance(v, dict)}
    fig = portfolio_figures(portfolio, draws=manifest["draws"], seed=manifest["seed"])
    checked += compare_csv(run_dir / SUMMARY_FILE, spreadsheet_safe_frame(summary_frame(fig, statuses)).to_csv(
        index=False), ("row", "appraisal"), diffs)
    checked += compare_csv(run_dir / BY_YEAR_FILE, by_year_frame(fig).to_csv(index=False), ("year",), diffs)
    if fig.mc is not None and (run_dir / DRAWS_FILE).is_file():
        checked += 1
        if draws_bytes(fig.mc) != (run_dir / DRAWS_FILE).read_bytes():
            written = read_draws(run_dir / DRAWS_FILE)
            diffs.append(f"{DRAWS_FILE}: the draws differ from the recomputed ones (draws [{written.start}, "
                         f"{written.stop}) of seed {written.seed})")
    return VerifyResult(run_dir, diffs, checked, notes)
