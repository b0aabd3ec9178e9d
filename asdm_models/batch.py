"""Batches of reports with papermill: the API behind ``asdm run``.

A run writes, under ``OUT/<appraisal>/<run-id>/``::

    <option>-<stage>.ipynb, .html   one business case per option and stage
    options_appraisal.ipynb, .html  all options side by side
    summary.csv, summary.html       one row per option, stage and scenario (DESIGN.md section 5)
    index.html                      links to everything in the run
    manifest.json                   what went in (hashes, seed, versions, code) and what came out (hashes)

The run folder is created atomically (two runs started together never share one) and holds
``RUN-UNFINISHED.txt`` until ``manifest.json``, written last, is complete: a folder without a
manifest, or with the marker, did not finish (the marker says why: interrupted, killed, failed).
Every file is written under a temporary name and renamed when complete, with ordinary
permissions. A report that fails is recorded as failed (its partial notebook kept as
``<name>.FAILED.ipynb``) and the others carry on. Execution (workers, kernels, timeouts, clean-up
after a kill) is :mod:`asdm_models.kernels`; verification is :mod:`asdm_models.verify`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import multiprocessing
import os
import secrets
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .assumptions import STAGES, load_appraisal
from .business_case import DEFAULT_DRAWS, SUMMARY_COLUMNS
from .errors import DataErrors, RunError, ScenarioError
from .kernels import (PLOTLY_JS_FILE, RUN_TOKEN_ENV, WARM_ENGINE, check_parameters, execute_notebook,
                      kill_run_processes, remove_connection_dir, start_guardian, worker_init, write_plotly_js)
from .outputs import json_safe, spreadsheet_safe_frame, write_text_atomic
from .pack import inputs_digest
from .provenance import git_commit, input_hashes, package_versions, sha256_file, suite_hashes
from .reference import PROJECT_ROOT
from .run_pages import index_html, summary_html
from .verify import MANIFEST, UNFINISHED_MARKER, VerifyResult, run_files, verify_run

__all__ = ["run_batch", "verify_run", "RunResult", "VerifyResult", "NOTEBOOKS", "DEFAULT_SEED", "check_parameters",
           "execute_notebook", "summary_frame", "summary_csv_text", "check_run_arguments", "MAX_DRAWS", "MAX_JOBS",
           "RunInterrupted"]

NOTEBOOKS = PROJECT_ROOT / "notebooks"
OPTION_NOTEBOOK = NOTEBOOKS / "option_business_case.ipynb"
OPTIONS_NOTEBOOK = NOTEBOOKS / "options_appraisal.ipynb"
#: Run when the appraisal folder holds actuals/ (after launch): outturn against the full business case.
REALISATION_NOTEBOOK = NOTEBOOKS / "benefits_realisation.ipynb"
REALISATION_REPORT = "benefits_realisation"
DEFAULT_SEED = 20261125
#: Monte Carlo draws per report: 0 (none) up to this many (memory grows with draws x years x lines).
MAX_DRAWS = 100_000
#: Reports run in parallel at most (each worker holds a kernel of about 350 MB).
MAX_JOBS = 64
CONNECTION_DIR = ".kernels"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; ``run_dir`` is the folder left unfinished."""

    def __init__(self, run_dir: Path):
        super().__init__(str(run_dir))
        self.run_dir = run_dir


@dataclass
class RunResult:
    run_dir: Path
    reports: list  # dicts: name, option, stage, status, error, seconds
    summary: pd.DataFrame
    ok: bool
    manifest: dict = field(repr=False, default_factory=dict)


def _run_report(notebook, run_dir, name, option, stage, title, params, timeout, html=None) -> dict:
    """One report (runs in a worker process, on the worker's warm kernel); ``html``: the export's options."""
    t0 = time.perf_counter()
    status, error = execute_notebook(notebook, run_dir / f"{name}.ipynb", params, cwd=run_dir, title=title,
                                     timeout=timeout, engine=WARM_ENGINE, **(html or {}))
    return {"name": name, "option": option, "stage": stage, "status": status, "error": error,
            "seconds": round(time.perf_counter() - t0, 1)}


def _whole(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RunError(f"{name} must be a whole number from {lo:,} to {hi:,}, got {value!r}")
    return value


def check_run_arguments(*, draws: int, seed: int, jobs: int | None, timeout: int) -> None:
    """Refuse arguments no run could use, with what is valid (before anything is created)."""
    _whole("draws", draws, 0, MAX_DRAWS)
    _whole("seed", seed, 0, 2**63 - 1)
    if jobs is not None:
        _whole("jobs", jobs, 1, MAX_JOBS)
    _whole("timeout", timeout, 1, 24 * 3600)


def _make_run_dir(base_dir: Path, stem: str) -> Path:
    """Create the run's folder atomically: ``mkdir`` fails if it exists, so two runs never share one."""
    n = 1
    while True:
        run_dir = base_dir / (stem if n == 1 else f"{stem}-{n}")
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:
            n += 1


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


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


def _resolve_out(out) -> Path:
    out = Path(out).expanduser().resolve() if out else PROJECT_ROOT / "reports"
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {out}: is a file, not a folder; give a folder for the run folders")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise RunError(f"--out {out}: not writable; choose a folder you can write to")
    return out


def run_batch(data_dir, out=None, *, options=None, stages=None, jobs: int | None = None, seed: int = DEFAULT_SEED,
              draws: int = DEFAULT_DRAWS, scenario: str | None = None, command: list | None = None,
              progress: bool = True, timeout: int = 600, images: bool = False, pack: bool = False,
              self_contained: bool = False) -> RunResult:
    """Run the business-case notebook for every option and stage, then the options appraisal.

    Parameters mirror ``asdm run``; ``timeout`` is each report's wall-clock limit in seconds; every run
    writes ``results.xlsx``, and ``images``/``pack`` add the static charts and the cabinet packs. The HTML
    reports share one local copy of plotly.js in the run folder (``plotly.min.js``); ``self_contained``
    embeds it in each report instead (about 5 MB each), for a report sent on its own. Every report's
    footer states the run's provenance (run id, suite version and commit, inputs digest, date). Raises
    :class:`DataErrors` for invalid data (a broken scenario file included: it would be missing from
    every report) and :class:`RunError`/:class:`ScenarioError` for bad arguments, before anything
    runs. Ctrl-C stops the workers and kernels at once and raises :class:`RunInterrupted` with the
    folder, which is left marked unfinished.
    """
    started = _now()
    check_run_arguments(draws=draws, seed=seed, jobs=jobs, timeout=timeout)
    data_dir = Path(data_dir).expanduser().resolve()
    # A broken option file fails that option's reports, not the batch (problems elsewhere still stop it).
    appraisal = load_appraisal(data_dir, partial=True)
    if appraisal.decisions_errors:  # every report shows the decisions so far: a log it cannot read stops the run
        raise DataErrors(list(appraisal.decisions_errors))
    broken = appraisal.broken_options
    options = list(options) if options else list(appraisal.options) + [b for b in broken if b not in appraisal.options]
    for o in options:
        if o not in broken:
            appraisal.option(o)
    stages = list(stages) if stages else list(STAGES)
    for s in stages:
        if s not in STAGES:
            raise RunError(f"unknown stage {s!r}; use {', '.join(STAGES)}")
    scen = scenario or "base"
    if scen != "base" and scen not in appraisal.scenarios:
        raise ScenarioError(f"unknown scenario {scen!r}; scenarios of {appraisal.id}: base, "
                            f"{', '.join(appraisal.scenarios) or '(none)'}")
    jobs = min(jobs or os.cpu_count() or 1, MAX_JOBS)
    out = _resolve_out(out)

    def params(option=None, stage=None, metrics=None):
        p = {"data_dir": str(data_dir), "seed": seed, "draws": draws, "scenario": scen,
             "metrics_path": str(Path(".metrics") / metrics) if metrics else ""}
        if option is not None:
            p.update({"option": option, "stage": stage})
        else:
            p["stages"] = ",".join(stages)
        return p

    check_parameters(OPTION_NOTEBOOK, params("x", "obc", "x"))
    check_parameters(OPTIONS_NOTEBOOK, params(metrics="x"))
    realise = appraisal.actuals is not None or bool(appraisal.actuals_errors)
    if realise:
        check_parameters(REALISATION_NOTEBOOK, _realisation_params(data_dir))

    base_dir = out / appraisal.id
    base_dir.mkdir(exist_ok=True)
    key = json.dumps([appraisal.id, seed, draws, scen, options, stages], sort_keys=True)
    stem = f"{_dt.datetime.now(_dt.timezone.utc):%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
    run_dir = _make_run_dir(base_dir, stem)
    run_id = run_dir.name
    marker = run_dir / UNFINISHED_MARKER
    write_text_atomic(f"unfinished: run {run_id} started {started} (pid {os.getpid()}); if this file is here and "
                      f"{MANIFEST} is not, the run did not finish and its reports must not be relied on.\n", marker)
    metrics_dir = run_dir / ".metrics"
    metrics_dir.mkdir()
    conn_dir = run_dir / CONNECTION_DIR
    # What every report's footer states, known before any report runs (and recorded in the manifest).
    inputs = input_hashes(appraisal.input_files, base=data_dir.parent)
    suite, packages = git_commit(), package_versions()
    provenance = {"run_id": run_id, "version": packages.get("asdm") or "", "commit": suite.get("commit"),
                  "dirty": bool(suite.get("dirty")), "inputs_sha256": inputs_digest({"inputs": inputs}),
                  "date": f"run started {started.replace('T', ' ').replace('+00:00', ' UTC')}"}
    html = {"plotly_js": "embed" if self_contained else "shared", "provenance": provenance}
    if not self_contained:
        write_plotly_js(run_dir)  # one shared, local copy for every report of the run (still offline)

    tasks = [(f"{o}-{s}", o, s) for s in stages for o in options if o not in broken]
    failed_tasks = [(f"{o}-{s}", o, s) for s in stages for o in options if o in broken]
    reports = []
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in the parent: workers are forked
        bar = tqdm(total=len(tasks) + len(failed_tasks) + 1 + int(realise), desc=f"{appraisal.id} {run_id}", unit="report",
                   file=sys.stderr)
    if appraisal.actuals_errors:  # bad actuals fail the realisation report, not the business cases
        errs = appraisal.actuals_errors
        reports.append({"name": REALISATION_REPORT, "option": None, "stage": None, "kind": "realisation",
                        "status": "failed", "seconds": 0.0,
                        "error": f"invalid actuals ({len(errs)} problem{'s' if len(errs) != 1 else ''}): "
                                 + " | ".join(map(str, errs[:5]))})
    for name, option, stage in failed_tasks:
        errs = broken[option]
        reason = f"invalid data ({len(errs)} problem{'s' if len(errs) != 1 else ''}): " + " | ".join(map(str, errs[:5]))
        reports.append({"name": name, "option": option, "stage": stage, "status": "failed", "error": reason,
                        "seconds": 0.0})
        if bar is not None:
            bar.write(f"  FAILED {name}: {reason}")
            bar.update(1)

    token = secrets.token_hex(8)
    saved_env = os.environ.get(RUN_TOKEN_ENV)
    os.environ[RUN_TOKEN_ENV] = token  # inherited by every worker and kernel: how the guardian finds them
    guardian = start_guardian(token, conn_dir, marker)
    pool = None
    try:
        # Worker processes, not threads: papermill's cwd is a process-wide chdir, so threads would race and a
        # report could run in the wrong folder. Forked workers start in milliseconds.
        pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("fork"),
                                   initializer=worker_init, initargs=(os.getpid(), str(conn_dir)))
        # The options appraisal computes its own figures, so it runs alongside the option reports.
        futures = [pool.submit(_run_report, OPTIONS_NOTEBOOK, run_dir, "options_appraisal", None, ",".join(stages),
                               f"{appraisal.title}: options appraisal", params(), timeout, html)]
        if appraisal.actuals is not None:
            futures.append(pool.submit(_run_report, REALISATION_NOTEBOOK, run_dir, REALISATION_REPORT, None, None,
                                       f"{appraisal.title}: benefits realisation", _realisation_params(data_dir),
                                       timeout, html))
        futures += [pool.submit(_run_report, OPTION_NOTEBOOK, run_dir, name, option, stage,
                                f"{appraisal.options[option].name}: {stage.upper()}",
                                params(option, stage, f"{name}.json"), timeout, html) for name, option, stage in tasks]
        for fut in as_completed(futures):
            r = fut.result()
            reports.append(r)
            if bar is not None:
                bar.write(f"  {'ok    ' if r['status'] == 'ok' else 'FAILED'} {r['name']} ({r['seconds']} s)"
                          + (f": {r['error']}" if r["error"] else ""))
                bar.update(1)
        pool.shutdown(wait=True)
    except BaseException as e:
        # Ctrl-C or anything unexpected: stop every worker and kernel now, not after the queue has run.
        _stop_pool(pool, token, conn_dir)
        why = "interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else f"failed: {type(e).__name__}: {e}"
        _append(marker, f"{why} at {_now()}; the reports in this folder are incomplete.\n")
        guardian.kill()
        if isinstance(e, KeyboardInterrupt):
            raise RunInterrupted(run_dir) from None
        raise
    finally:
        if saved_env is None:
            os.environ.pop(RUN_TOKEN_ENV, None)
        else:
            os.environ[RUN_TOKEN_ENV] = saved_env
        if bar is not None:
            bar.close()
    remove_connection_dir(conn_dir)

    order = {n: i for i, (n, _, _) in enumerate(sorted(tasks + failed_tasks, key=lambda x: (stages.index(x[2]), options.index(x[1]))))}
    order["options_appraisal"] = len(order)
    order[REALISATION_REPORT] = len(order)
    reports.sort(key=lambda r: order.get(r["name"], len(order)))
    for r in reports:
        if r["name"] == REALISATION_REPORT:
            r["kind"] = "realisation"
        elif r["option"] is None:  # the options appraisal computes its own figures from the option reports'
            continue
        mpath = metrics_dir / f"{r['name']}.json"
        r["metrics"] = []
        if r["status"] == "ok":
            try:
                r["metrics"] = json.loads(mpath.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # ran, but wrote no (readable) figures: that is a failure too
                r["status"], r["error"] = "failed", "the report wrote no metrics"
    _remove_tree(metrics_dir)
    summary = summary_frame(appraisal, reports, scen)
    write_text_atomic(summary_csv_text(summary), run_dir / "summary.csv")
    write_text_atomic(summary_html(appraisal, summary, run_id), run_dir / "summary.html")
    ok = all(r["status"] == "ok" for r in reports)
    manifest = {
        "run_id": run_id, "appraisal": appraisal.id, "title": appraisal.title, "started": started,
        "finished": _now(),
        # The run again, exactly: absolute paths and every setting (the command as typed is kept beside it).
        "command": ["asdm", "run", str(data_dir), "--out", str(out), "--options", ",".join(options), "--stages",
                    ",".join(stages), "--seed", str(seed), "--draws", str(draws), "--scenario", scen, "--jobs",
                    str(jobs), "--timeout", str(timeout)]
                   + (["--images"] if images else []) + (["--pack"] if pack else [])
                   + (["--self-contained"] if self_contained else []),
        "command_as_typed": command,
        # Absolute, and relative to the run folder: a tree moved as a whole (data beside reports) still verifies.
        "data_dir": str(data_dir), "data_dir_relative": Path(os.path.relpath(data_dir, run_dir)).as_posix(),
        "seed": seed, "draws": draws, "scenario": scen, "options": options,
        "stages": stages, "jobs": jobs, "timeout_seconds": timeout, "executor": "local process pool",
        # Data files relative to the data folder's parent (so a moved copy can be verified with --data-dir),
        # notebooks relative to the suite.
        "inputs": inputs, "inputs_sha256": provenance["inputs_sha256"],
        "notebooks": input_hashes([OPTION_NOTEBOOK, OPTIONS_NOTEBOOK] + ([REALISATION_NOTEBOOK] if realise else []),
                                  base=PROJECT_ROOT),
        "suite_files": suite_hashes(),
        "packages": packages,
        "suite": suite, "status": "ok" if ok else "failed",
        # How the HTML reports load plotly.js: from the run folder's shared copy, or embedded in each one.
        "plotly_js": "embedded in each report" if self_contained else PLOTLY_JS_FILE,
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
    write_text_atomic(index_html(appraisal, reports, run_id, scen, run_dir, summary=summary), run_dir / "index.html")
    manifest["outputs"] = {rel: sha256_file(run_dir / rel) for rel in run_files(run_dir)}
    write_text_atomic(json.dumps(json_safe(manifest), indent=1), run_dir / MANIFEST)
    marker.unlink(missing_ok=True)
    guardian.kill()
    guardian.join()
    _point_latest(base_dir, run_dir)
    if images or pack:  # these read the finished run folder (its manifest), then are added to it
        for entry in write_extras(run_dir, images=images, pack=pack):
            reports.append(entry)
            if entry["status"] != "ok":
                ok = False
                if progress:
                    print(f"  FAILED {entry['name']}: {entry['error']}", file=sys.stderr)
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    return RunResult(run_dir, reports, summary, ok, manifest)


def _realisation_params(data_dir: Path) -> dict:
    return {"data_dir": str(data_dir), "option": "",
            "metrics_path": str(Path(".metrics") / f"{REALISATION_REPORT}.json")}


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


def _stop_pool(pool, token: str, conn_dir: Path) -> None:
    """Stop a batch's workers and kernels at once (Ctrl-C, or an unexpected error in the batch itself)."""
    if pool is not None:
        procs = list(getattr(pool, "_processes", {}).values())  # the executor's own handles, if it has them
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            try:
                p.kill()
            except (OSError, AttributeError, ValueError):
                pass
    kill_run_processes(token, conn_dir)  # workers by their pid files, kernels by the run's token
    remove_connection_dir(conn_dir)


def _remove_tree(d: Path) -> None:
    import shutil

    shutil.rmtree(d, ignore_errors=True)


def _append(path: Path, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        pass
