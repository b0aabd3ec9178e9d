"""Batches of reports with papermill: the API behind ``asdm run``.

A run writes, under ``OUT/<appraisal>/<run-id>/``::

    <option>-<stage>.ipynb, .html   one business case per option and stage
    options_appraisal.ipynb, .html  all options side by side
    summary.csv, summary.html       one row per option, stage and scenario (DESIGN.md section 5)
    index.html                      links to everything in the run
    manifest.json                   what went in (hashes, seed, versions, code, executor) and what came out (hashes)

A run is three steps: :func:`~asdm_models.runplan.plan_run` checks everything, creates the run
folder and lists the reports; :func:`run_plans` runs the reports of one or several plans on ONE
executor (:mod:`asdm_models.executors`: the local process pool or Dask) and finishes each plan
(summary, manifest, extras) as its last report comes back; :func:`run_batch` is both for one
run. The batch layer's other pieces: :mod:`asdm_models.kernels` (papermill on warm kernels, the
processes' lifetime) and :mod:`asdm_models.verify` (verification).

The run folder is created atomically (two runs started together never share one) and holds
``RUN-UNFINISHED.txt`` until ``manifest.json``, written last, is complete: a folder without a
manifest, or with the marker, did not finish (the marker says why: interrupted, killed, failed).
Every file is written under a temporary name and renamed when complete, with ordinary
permissions. A report that fails is recorded as failed (its partial notebook kept as
``<name>.FAILED.ipynb``) and the others carry on; so does a report whose worker process died
(it is not run again: a report could have written half its files).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .assumptions import load_appraisal
from .business_case import DEFAULT_DRAWS, SUMMARY_COLUMNS
from .errors import RunError
from .executors import MAX_JOBS, ReportExecutor, WorkerDied, make_executor
from .kernels import PLOTLY_JS_FILE, check_parameters, execute_notebook, start_guardian
from .outputs import json_safe, spreadsheet_safe_frame, write_text_atomic
from .provenance import input_hashes, sha256_file, suite_hashes
from .reference import PROJECT_ROOT
from .run_pages import index_html, summary_html
from .runplan import (DEFAULT_SEED, MAX_DRAWS, NOTEBOOKS, OPTION_NOTEBOOK, OPTIONS_NOTEBOOK, REALISATION_NOTEBOOK,
                      REALISATION_REPORT, ReportTask, RunPlan, _make_run_dir, _now, _resolve_out,
                      check_run_arguments, plan_run, run_report)
from .verify import MANIFEST, UNFINISHED_MARKER, VerifyResult, run_files, verify_run

__all__ = ["run_batch", "verify_run", "RunResult", "VerifyResult", "NOTEBOOKS", "DEFAULT_SEED", "check_parameters",
           "execute_notebook", "summary_frame", "summary_csv_text", "check_run_arguments", "MAX_DRAWS", "MAX_JOBS",
           "RunInterrupted", "plan_run", "run_plans", "RunPlan", "ReportTask"]

#: The report task every notebook of a run is (a plain, picklable function; see runplan.run_report).
_run_report = run_report


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; ``run_dir`` is the folder left unfinished (``run_dirs``: all of them)."""

    def __init__(self, run_dir: Path, run_dirs: list | None = None):
        super().__init__(str(run_dir))
        self.run_dir = run_dir
        self.run_dirs = list(run_dirs) if run_dirs else [run_dir]


@dataclass
class RunResult:
    """A finished run.

    Attributes
    ----------
    run_dir : Path
        The run folder.
    reports : list of dict
        Per report and output: ``name``, ``option``, ``stage``, ``status``, ``error``, ``seconds``
        (and ``metrics``, ``kind``, ``files``; an extra task's record keeps what its function returned).
    summary : DataFrame
        ``summary.csv``'s rows.
    ok : bool
        Every report and output ok.
    manifest : dict
        ``manifest.json`` as written.
    executor : dict
        The executor's record (``kind``, ``workers``, ``scheduler``), as in the manifest.
    error : str or None
        Why the run could not be finished (its folder is then left marked unfinished), else None.
    """

    run_dir: Path
    reports: list
    summary: pd.DataFrame
    ok: bool
    manifest: dict = field(repr=False, default_factory=dict)
    executor: dict = field(default_factory=dict)
    error: str | None = None


def summary_frame(appraisal, reports: list, scenario: str) -> pd.DataFrame:
    """``summary.csv``'s rows from the reports' recorded metrics (a failed report gives one row saying so)."""
    rows = []
    for r in reports:
        if r.get("option") is None:
            continue
        if r["status"] == "ok" and r.get("metrics"):
            rows.extend(r["metrics"])
            continue
        row = {c: None for c in SUMMARY_COLUMNS}
        known = appraisal.options.get(r["option"])
        row.update({"option": r["option"], "model": known.model if known else None, "stage": r["stage"],
                    "scenario": scenario, "name": known.name if known else r["option"], "status": "failed",
                    "error": r.get("error")})
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def summary_csv_text(summary: pd.DataFrame) -> str:
    """``summary.csv`` exactly as written: full precision, text cells a spreadsheet will not run as formulas."""
    return spreadsheet_safe_frame(summary).to_csv(index=False)




def _run_once(attempt: str, fn, args, kwargs):
    """Run a task unless it was started before: a second attempt means its worker died in the first.

    The attempt file (created exclusively, in the run folder) is how a batch tells a report that had
    started from one that had not when a worker dies, and how a cluster that re-tries tasks of dead
    workers (a remote scheduler's ``allowed-failures``) is kept from running a report twice.
    """
    try:
        fd = os.open(attempt, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except FileExistsError:
        try:
            first = Path(attempt).read_text(encoding="utf-8").strip()
        except OSError:
            first = "unknown"
        return {"status": "failed", "seconds": 0.0,
                "error": f"its worker died during an earlier attempt ({first}), so it was not run again"}
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"started on {socket.gethostname()} pid {os.getpid()} at {_now()}\n")
    return fn(*args, **kwargs)


def _record(task: ReportTask, value) -> dict:
    """A task's result as a report record (the task's own fields where its function left them out)."""
    r = dict(value) if isinstance(value, dict) else {"status": "failed",
                                                     "error": f"the task returned {type(value).__name__}, not a record"}
    r.setdefault("name", task.name)
    r.setdefault("option", task.option)
    r.setdefault("stage", task.stage)
    r.setdefault("error", None)
    r.setdefault("seconds", 0.0)
    r.setdefault("status", "failed")
    if task.kind != "report":
        r.setdefault("kind", task.kind)
    return r


def _reason(e: BaseException) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:500]


def _discard(plan: RunPlan) -> None:
    """Remove the folder of a planned run none of whose reports ran (the executor could not be started)."""
    if not (plan.run_dir / MANIFEST).exists():
        _remove_tree(plan.run_dir)


def run_plans(plans, *, executor: str | ReportExecutor = "local", jobs: int | None = None,
              scheduler: str | None = None, progress: bool = True, extra_tasks=()) -> list[RunResult]:
    """Run every report of every plan on one executor, finishing each run as its last report comes back.

    Parameters
    ----------
    plans : list of RunPlan
        From :func:`~asdm_models.runplan.plan_run`; their reports are submitted plan by plan, so the
        first plans finish first while the later ones still run.
    executor : {"local", "dask"} or ReportExecutor
        A kind for :func:`~asdm_models.executors.make_executor` (with ``jobs`` and ``scheduler``),
        started and shut down here; or an executor the caller made, owns and shuts down (``jobs``
        and ``scheduler`` are then not used). An executor that cannot be made or whose workers
        cannot serve the runs raises :class:`RunError` and removes the plans' folders (nothing ran).
    progress : bool
        One progress bar for all the reports, on stderr.
    extra_tasks : iterable of ReportTask
        More tasks to run on the same executor, each naming its ``plan``: its record (what its
        function returned) is one of that run's reports.

    Returns
    -------
    list of RunResult
        One per plan, in order. A plan whose finishing fails (summary, manifest) gives
        ``ok=False`` and its ``error``, its folder left marked unfinished; the others still finish.

    Notes
    -----
    A worker process that dies fails the report it was running, recorded with the report's name;
    it is not run again. A report that had not started when its worker died (the local pool loses
    its queue with a worker) is submitted again. Ctrl-C kills every worker and kernel at once and
    raises :class:`RunInterrupted` (the unfinished folders stay marked).
    """
    plans = list(plans)
    extra = list(extra_tasks)
    for t in extra:
        if not any(t.plan is p for p in plans):
            raise RunError(f"extra task {t.name!r}: its plan is not one of the runs given to run_plans")
    for p in plans:
        names = [t.name for t in p.tasks] + [t.name for t in extra if t.plan is p] + [r["name"] for r in p.reports]
        if len(set(names)) != len(names):
            raise RunError(f"{p.run_dir}: two reports of the run have the same name "
                           f"{sorted(n for n in names if names.count(n) > 1)[0]!r}")
    if not plans:
        return []
    own = not isinstance(executor, ReportExecutor)
    ex = None
    try:
        ex = make_executor(executor, jobs, scheduler) if own else executor
        check = getattr(ex, "check_workers", None)
        if check is not None:
            check([p.out for p in plans] + [p.data_dir for p in plans])
    except BaseException:
        for p in plans:
            _discard(p)
        if own and ex is not None:
            ex.shutdown()
        raise

    multi = len(plans) > 1
    todo = {id(p): len(p.tasks) + sum(t.plan is p for t in extra) for p in plans}
    results: dict[int, RunResult] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in the parent: local workers are forked
        total = sum(todo.values()) + sum(len(p.reports) for p in plans)
        bar = tqdm(total=total, unit="report", file=sys.stderr,
                   desc=f"{len(plans)} runs" if multi else f"{plans[0].appraisal.id} {plans[0].run_id}")

    def show(plan, r):
        if bar is not None:
            name = f"{plan.appraisal.id}/{r['name']}" if multi else r["name"]
            bar.write(f"  {'ok    ' if r['status'] == 'ok' else 'FAILED'} {name} ({r['seconds']} s)"
                      + (f": {r['error']}" if r["error"] else ""))
            bar.update(1)

    for p in plans:
        for r in p.reports:  # failed before running (invalid data)
            show(p, r)
    guardian = start_guardian(ex.token, ex.connection_dir, [p.marker for p in plans])
    try:
        ex.start()
        record, args = ex.description(), ex.command_args()
        pending: dict = {}
        resubmitted: set = set()

        def submit(plan, task):
            fut = ex.submit(_run_once, str(plan.attempts_dir / task.name), task.fn, task.args, task.kwargs,
                            key=f"{plan.appraisal.id}-{task.name}")
            pending[fut] = (plan, task)

        for p in plans:
            for t in p.tasks:
                submit(p, t)
            for t in extra:
                if t.plan is p:
                    submit(p, t)
        for p in plans:
            if not todo[id(p)]:
                results[id(p)] = _finish_safely(p, record, args, progress)
        while pending:
            for fut in ex.as_completed(list(pending)):
                plan, task = pending.pop(fut)
                try:
                    value = ex.result(fut)
                except WorkerDied as e:
                    key = (id(plan), task.name)
                    if not (plan.attempts_dir / task.name).exists() and key not in resubmitted:
                        resubmitted.add(key)  # it never started: running it now is its first run, not a re-run
                        submit(plan, task)
                        continue
                    value = {"status": "failed", "error": f"worker died while running report {task.name}: {e}; "
                                                          "it was not run again"}
                except Exception as e:  # the task itself broke (not the report's notebook): that report fails
                    value = {"status": "failed", "error": f"report {task.name} could not run: {_reason(e)}"}
                r = _record(task, value)
                plan.reports.append(r)
                show(plan, r)
                todo[id(plan)] -= 1
                if not todo[id(plan)]:
                    results[id(plan)] = _finish_safely(plan, record, args, progress)
    except BaseException as e:
        # Ctrl-C or anything unexpected: stop every worker and kernel now, not after the queue has run.
        ex.stop()
        why = "interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else f"failed: {_reason(e)}"
        unfinished = [p for p in plans if id(p) not in results]
        for p in unfinished:
            _append(p.marker, f"{why} at {_now()}; the reports in this folder are incomplete.\n")
        guardian.kill()
        if isinstance(e, KeyboardInterrupt) and unfinished:
            raise RunInterrupted(unfinished[0].run_dir, [p.run_dir for p in unfinished]) from None
        raise
    finally:
        if bar is not None:
            bar.close()
        if own:
            ex.shutdown()
    guardian.kill()
    guardian.join()
    return [results[id(p)] for p in plans]


def _finish_safely(plan: RunPlan, record: dict, args: list, progress: bool) -> RunResult:
    """:func:`_finish`, or a failed result that says why (the other runs of the batch still finish)."""
    try:
        return _finish(plan, record, args, progress)
    except Exception as e:  # one run that cannot be written must not lose the others
        why = _reason(e)
        _append(plan.marker, f"failed while finishing at {_now()}: {why}\n")
        if progress:
            print(f"  FAILED {plan.run_dir}: could not finish the run: {why}", file=sys.stderr)
        return RunResult(plan.run_dir, plan.reports, pd.DataFrame(columns=SUMMARY_COLUMNS), False, {}, record,
                         f"could not finish the run: {why}")


def _finish(plan: RunPlan, record: dict, executor_args: list, progress: bool) -> RunResult:
    """Write a run's summary, outputs, front page and manifest from its reports' records; then its extras."""
    appraisal, run_dir, scen = plan.appraisal, plan.run_dir, plan.scenario
    order = plan.order()
    reports = sorted(plan.reports, key=lambda r: order.get(r["name"], len(order)))
    for r in reports:
        if r["name"] == REALISATION_REPORT:
            r["kind"] = "realisation"
        elif r.get("option") is None:  # the options appraisal computes its own figures from the option reports'
            continue
        mpath = plan.metrics_dir / f"{r['name']}.json"
        r["metrics"] = []
        if r["status"] == "ok":
            try:
                r["metrics"] = json.loads(mpath.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # ran, but wrote no (readable) figures: that is a failure too
                r["status"], r["error"] = "failed", "the report wrote no metrics"
    _remove_tree(plan.metrics_dir)
    _remove_tree(plan.attempts_dir)
    summary = summary_frame(appraisal, reports, scen)
    write_text_atomic(summary_csv_text(summary), run_dir / "summary.csv")
    write_text_atomic(summary_html(appraisal, summary, plan.run_id), run_dir / "summary.html")
    ok = all(r["status"] == "ok" for r in reports)
    manifest = {
        "run_id": plan.run_id, "appraisal": appraisal.id, "title": appraisal.title, "started": plan.started,
        "finished": _now(),
        # The run again, exactly: absolute paths and every setting, the executor's included (the command as
        # typed is kept beside it).
        "command": ["asdm", "run", str(plan.data_dir), "--out", str(plan.out), "--options", ",".join(plan.options),
                    "--stages", ",".join(plan.stages), "--seed", str(plan.seed), "--draws", str(plan.draws),
                    "--scenario", scen, *executor_args, "--timeout", str(plan.timeout)]
                   + (["--images"] if plan.images else []) + (["--pack"] if plan.pack else [])
                   + (["--self-contained"] if plan.self_contained else []),
        "command_as_typed": plan.command,
        # Absolute, and relative to the run folder: a tree moved as a whole (data beside reports) still verifies.
        "data_dir": str(plan.data_dir),
        "data_dir_relative": Path(os.path.relpath(plan.data_dir, run_dir)).as_posix(),
        "seed": plan.seed, "draws": plan.draws, "scenario": scen, "options": plan.options,
        "stages": plan.stages, "jobs": record.get("workers"), "timeout_seconds": plan.timeout,
        # Where the reports ran: kind (local, dask), workers and, for Dask, the scheduler (or LocalCluster).
        # (Manifests before issue 13 hold a string here.)
        "executor": record,
        # Data files relative to the data folder's parent (so a moved copy can be verified with --data-dir),
        # notebooks relative to the suite.
        "inputs": plan.inputs, "inputs_sha256": plan.provenance["inputs_sha256"],
        "notebooks": input_hashes(plan.notebooks, base=PROJECT_ROOT),
        "suite_files": suite_hashes(),
        "packages": plan.packages,
        "suite": plan.suite, "status": "ok" if ok else "failed",
        # How the HTML reports load plotly.js: from the run folder's shared copy, or embedded in each one.
        "plotly_js": "embedded in each report" if plan.self_contained else PLOTLY_JS_FILE,
        "reports": [{k: r.get(k) for k in ("name", "option", "stage", "status", "error", "seconds", "metrics")}
                    | ({"kind": r["kind"]} if r.get("kind") else {})
                    | {"files": [f for f in (f"{r['name']}.ipynb", f"{r['name']}.html", f"{r['name']}.FAILED.ipynb")
                                 if (run_dir / f).exists()]} for r in reports],
        "outputs": {},
    }
    # Outputs built from the finished reports; one that fails is reported like a failed report, never lost.
    for name, make in _after_reports():
        t0 = time.perf_counter()
        try:
            make(run_dir, appraisal, manifest)
            status, error = "ok", None
        except Exception as e:  # a broken output fails itself, not the run's reports
            status, error = "failed", " ".join(f"{type(e).__name__}: {e}".split())[:500]
        entry = {"name": name, "kind": "output", "option": None, "stage": None, "status": status, "error": error,
                 "seconds": round(time.perf_counter() - t0, 1), "metrics": None,
                 "files": [name] if status == "ok" else []}
        manifest["reports"].append(entry)
        reports.append(entry)
        if status != "ok":
            ok = False
            manifest["status"] = "failed"
            if progress:
                print(f"  FAILED {name}: {error}", file=sys.stderr)
    # The front page again, now that it can link the outputs too (it is hashed with the rest below).
    write_text_atomic(index_html(appraisal, reports, plan.run_id, scen, run_dir, summary=summary),
                      run_dir / "index.html")
    manifest["outputs"] = {rel: sha256_file(run_dir / rel) for rel in run_files(run_dir)}
    write_text_atomic(json.dumps(json_safe(manifest), indent=1), run_dir / MANIFEST)
    plan.marker.unlink(missing_ok=True)
    _point_latest(plan.base_dir, run_dir)
    if plan.images or plan.pack:  # these read the finished run folder (its manifest), then are added to it
        for entry in write_extras(run_dir, images=plan.images, pack=plan.pack):
            reports.append(entry)
            if entry["status"] != "ok":
                ok = False
                if progress:
                    print(f"  FAILED {entry['name']}: {entry['error']}", file=sys.stderr)
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    return RunResult(run_dir, reports, summary, ok, manifest, record)


def run_batch(data_dir, out=None, *, options=None, stages=None, jobs: int | None = None, seed: int = DEFAULT_SEED,
              draws: int = DEFAULT_DRAWS, scenario: str | None = None, command: list | None = None,
              progress: bool = True, timeout: int = 600, images: bool = False, pack: bool = False,
              self_contained: bool = False, executor: str | ReportExecutor = "local",
              scheduler: str | None = None) -> RunResult:
    """Run the business-case notebook for every option and stage, then the options appraisal.

    Parameters mirror ``asdm run``; ``timeout`` is each report's wall-clock limit in seconds; every run
    writes ``results.xlsx``, and ``images``/``pack`` add the static charts and the cabinet packs. The HTML
    reports share one local copy of plotly.js in the run folder (``plotly.min.js``); ``self_contained``
    embeds it in each report instead (about 5 MB each), for a report sent on its own. Every report's
    footer states the run's provenance (run id, suite version and commit, inputs digest, date).
    ``executor`` (``"local"``, ``"dask"`` or an executor object), ``jobs`` (its workers) and
    ``scheduler`` (a Dask scheduler's address) choose where the reports run (:mod:`asdm_models.executors`);
    the results are the same bytes whichever runs them. This is :func:`~asdm_models.runplan.plan_run`
    then :func:`run_plans` for one run.

    Raises :class:`DataErrors` for invalid data (a broken scenario file included: it would be missing from
    every report) and :class:`RunError`/:class:`ScenarioError` for bad arguments or an executor that cannot
    start (a scheduler that does not answer), before anything runs. Ctrl-C stops the workers and kernels at
    once and raises :class:`RunInterrupted` with the folder, which is left marked unfinished.
    """
    check_run_arguments(draws=draws, seed=seed, jobs=jobs, timeout=timeout)
    own = not isinstance(executor, ReportExecutor)
    # Made first: a scheduler that does not answer is refused before a run folder is created.
    ex = make_executor(executor, jobs, scheduler) if own else executor
    try:
        plan = plan_run(data_dir, out, options=options, stages=stages, seed=seed, draws=draws, scenario=scenario,
                        command=command, timeout=timeout, images=images, pack=pack, self_contained=self_contained)
        (result,) = run_plans([plan], executor=ex, progress=progress)
    finally:
        if own:
            ex.shutdown()
    return result


def _point_latest(base_dir: Path, run_dir: Path) -> None:
    """``OUT/<appraisal>/latest`` -> the newest finished run (a relative link, replaced atomically)."""
    tmp = base_dir / f".latest-{os.getpid()}"
    try:
        tmp.unlink(missing_ok=True)
        os.symlink(run_dir.name, tmp)
        os.replace(tmp, base_dir / "latest")
    except OSError:  # a file system without links: the run folders are still there
        tmp.unlink(missing_ok=True)


def write_extras(run_dir: Path, *, images: bool = False, pack: bool = False, pptx: bool = True,
                 data_dir=None) -> list[dict]:
    """Static charts and/or the cabinet pack of a finished run, recorded in its manifest (so verify checks them).

    Returns one entry per step (``name``, ``status``, ``error``, ``seconds``, ``files``); a step that
    fails is recorded as failed in the manifest and the run's status becomes failed.
    """
    steps = []
    if images:
        from .figures import export_run_figures

        steps.append(("figures", lambda: export_run_figures(run_dir)))
    if pack:
        from .pack import write_pack

        steps.append(("pack", lambda: write_pack(run_dir, pptx=pptx, data_dir=data_dir)))
    entries = []
    for name, make in steps:
        t0 = time.perf_counter()
        try:
            files, status, error = list(make()), "ok", None
        except Exception as e:  # an output that cannot be made fails itself, never the reports
            files, status, error = [], "failed", " ".join(f"{type(e).__name__}: {e}".split())[:500]
        entry = {"name": name, "kind": "output", "option": None, "stage": None, "status": status, "error": error,
                 "seconds": round(time.perf_counter() - t0, 1), "metrics": None,
                 "files": sorted(Path(f).resolve().relative_to(Path(run_dir).resolve()).as_posix() for f in files)}
        entries.append(entry)
        add_outputs(run_dir, files, report=entry)
    if entries:  # the front page links what was just written
        from .verify import read_manifest

        manifest = read_manifest(run_dir)
        appraisal = load_appraisal(data_dir or manifest["data_dir"], partial=True)
        page = write_text_atomic(index_html(appraisal, manifest["reports"], manifest["run_id"], manifest["scenario"],
                                            Path(run_dir)), Path(run_dir) / "index.html")
        add_outputs(run_dir, [page])
    return entries


def _after_reports():
    """What a run writes from its finished reports: ``(name, writer(run_dir, appraisal, manifest))``."""
    from .workbook import write_results_workbook

    return [("results.xlsx", lambda d, a, m: write_results_workbook(d, a, manifest=m))]


def add_outputs(run_dir: Path, files, report: dict | None = None) -> dict:
    """Record files written into a finished run folder after the run (figures, packs, workbooks) in its manifest.

    The manifest is rewritten atomically with each file's sha256, so ``asdm verify`` checks them like
    the reports. Returns the updated manifest.
    """
    from .verify import read_manifest

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    for f in files:
        rel = Path(f).resolve().relative_to(run_dir.resolve()).as_posix()
        manifest["outputs"][rel] = sha256_file(run_dir / rel)
    manifest["outputs"] = dict(sorted(manifest["outputs"].items()))
    if report is not None:
        manifest["reports"] = [r for r in manifest["reports"] if r.get("name") != report["name"]] + [report]
        if report["status"] != "ok":
            manifest["status"] = "failed"
    write_text_atomic(json.dumps(manifest, indent=1), run_dir / MANIFEST)
    return manifest


def _remove_tree(d: Path) -> None:
    import shutil

    shutil.rmtree(d, ignore_errors=True)


def _append(path: Path, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        pass
