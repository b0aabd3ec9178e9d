"""Batches of reports with papermill, and their verification: the API behind ``asdm run`` and ``asdm verify``.

A run writes, under ``OUT/<appraisal>/<run-id>/``::

    <option>-<stage>.ipynb, .html   one business case per option and stage
    options_appraisal.ipynb, .html  all options side by side
    summary.csv, summary.html       one row per option, stage and scenario (DESIGN.md section 5)
    index.html                      links to everything in the run
    manifest.json                   what went in (hashes, seed, versions, commit) and what came out

Every file is written under a temporary name and renamed when complete; ``manifest.json`` is
written last, so a run folder without it did not finish. A report that fails is recorded as
failed (its partial notebook kept as ``<name>.FAILED.ipynb``) and the others carry on.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import math
import multiprocessing
import multiprocessing.util
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .assumptions import STAGES, load_appraisal
from .business_case import DEFAULT_DRAWS, SUMMARY_COLUMNS, summary_rows
from .errors import RunError, ScenarioError
from .provenance import git_commit, input_hashes, package_versions, sha256_file
from .reference import PROJECT_ROOT
from .outputs import write_text_atomic
from .units import format_gbp, format_pct

__all__ = ["run_batch", "verify_run", "RunResult", "VerifyResult", "NOTEBOOKS", "DEFAULT_SEED", "check_parameters",
           "execute_notebook"]

NOTEBOOKS = PROJECT_ROOT / "notebooks"
OPTION_NOTEBOOK = NOTEBOOKS / "option_business_case.ipynb"
OPTIONS_NOTEBOOK = NOTEBOOKS / "options_appraisal.ipynb"
DEFAULT_SEED = 20261125


@dataclass
class RunResult:
    run_dir: Path
    reports: list  # dicts: name, option, stage, status, error, seconds
    summary: pd.DataFrame
    ok: bool
    manifest: dict = field(repr=False, default_factory=dict)


def check_parameters(notebook: Path, params: dict) -> None:
    """Refuse parameters the notebook does not declare (papermill itself only warns)."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise RunError(f"{notebook.name} does not declare parameter(s) {', '.join(unknown)}; "
                       f"it declares: {', '.join(declared)}")


def _strip_timing(nb) -> None:
    """Remove execution timestamps so that a re-run of the same inputs gives the same notebook."""
    pm = nb.metadata.get("papermill", {})
    for k in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm.pop(k, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives the cell it adds a random id
        cpm = cell.metadata.get("papermill")
        if cpm:
            for k in ("start_time", "end_time", "duration"):
                cpm.pop(k, None)


def _export_html(nb, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="asdm_report", extra_template_basedirs=[str(Path(__file__).parent / "templates")],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    from plotly.offline import get_plotlyjs

    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "plotly_js": get_plotlyjs()})
    return body


def execute_notebook(notebook: Path, out_ipynb: Path, params: dict, *, cwd: Path, title: str,
                     timeout: int = 600, engine: str | None = None) -> tuple[str, str | None]:
    """Execute one notebook with papermill and write ``.ipynb`` and ``.html`` atomically.

    Returns ``(status, error)``: ``("ok", None)`` or ``("failed", reason)``. A failed notebook is kept as
    ``<name>.FAILED.ipynb`` for diagnosis and no ``.ipynb``/``.html`` of the report is written.
    """
    import nbformat
    import papermill

    partial = out_ipynb.with_name(f".{out_ipynb.stem}.partial.ipynb")
    failed = out_ipynb.with_name(f"{out_ipynb.stem}.FAILED.ipynb")
    engine_kwargs = {}
    if engine == WARM_ENGINE:
        _register_warm_engine()
        engine_kwargs["kernel_cwd"] = str(cwd)
    try:
        papermill.execute_notebook(str(notebook), str(partial), parameters=params, kernel_name="python3",
                                   progress_bar=False, log_output=False, cwd=str(cwd), execution_timeout=timeout,
                                   engine_name=engine, **engine_kwargs)
    except Exception as e:  # papermill raises its own error types and kernel errors; all mean "failed"
        reason = _reason(e)
        if partial.exists():
            os.replace(partial, failed)
        return "failed", reason
    try:
        nb = nbformat.read(partial, as_version=4)
        _strip_timing(nb)
        body = _export_html(nb, title)
        write_text_atomic(body, out_ipynb.with_suffix(".html"))
        write_text_atomic(nbformat.writes(nb), out_ipynb)
    except Exception as e:  # export problems fail the report, never the batch
        return "failed", f"export failed: {_reason(e)}"
    finally:
        partial.unlink(missing_ok=True)
    return "ok", None


def _run_report(notebook, run_dir, name, option, stage, title, params, timeout) -> dict:
    """One report (runs in a worker process, on the worker's warm kernel)."""
    t0 = time.perf_counter()
    status, error = execute_notebook(notebook, run_dir / f"{name}.ipynb", params, cwd=run_dir, title=title,
                                     timeout=timeout, engine=WARM_ENGINE)
    return {"name": name, "option": option, "stage": stage, "status": status, "error": error,
            "seconds": round(time.perf_counter() - t0, 1)}


# ---------------------------------------------------------------------------------------------- warm kernels
# A kernel costs a second or two to start, longer than a report takes to compute. Each batch worker keeps
# one kernel and runs its reports on it, one after another, through papermill (parameter injection,
# metadata, error handling are papermill's). Between reports the kernel's namespace is wiped and its
# execution counter reset, so a report sees nothing of the one before and numbers its cells from 1.
WARM_ENGINE = "asdm-warm-kernel"
_WARM: dict = {}


def _warm_kernel(kernel_name: str, cwd: str):
    """The worker's kernel and its client: started on first use, wiped clean before every later report."""
    from jupyter_client.manager import KernelManager

    km = _WARM.get("km")
    if km is not None and (_WARM.get("cwd") != cwd or not km.is_alive()):
        _shutdown_warm_kernel()
        km = None
    if km is None:
        km = KernelManager(kernel_name=kernel_name)
        # No history database: the execution counter is reset per report, which a history would refuse.
        km.start_kernel(cwd=cwd, extra_arguments=["--HistoryManager.enabled=False"])
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.allow_stdin = False
        _WARM.update(km=km, kc=kc, cwd=cwd)
        if not _WARM.get("finaliser"):
            multiprocessing.util.Finalize(None, _shutdown_warm_kernel, exitpriority=10)
            _WARM["finaliser"] = True
    else:
        reply = _WARM["kc"].execute_interactive(
            "get_ipython().run_line_magic('reset', '-f'); get_ipython().execution_count = 1",
            store_history=False, timeout=60, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RunError(f"could not reset the worker's kernel: {reply['content'].get('evalue')}")
    return km, _WARM["kc"]


def _shutdown_warm_kernel() -> None:
    km = _WARM.pop("km", None)
    kc = _WARM.pop("kc", None)
    _WARM.pop("cwd", None)
    if kc is not None:
        kc.stop_channels()
    if km is not None:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # a kernel that is already gone needs no shutting down
            pass


def _register_warm_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            cwd = kwargs.pop("kernel_cwd")
            km, kc = _warm_kernel(kernel_name, cwd)
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, km=km, **final)
            client.kc = kc  # the worker's open client: no new channels, no wait for the kernel per report
            # papermill saves the whole notebook as each cell starts and ends; nobody reads those intermediate
            # files here, and the saves cost more than the cells. It still saves once when the notebook
            # completes (also on error, so a failed report keeps its partial notebook).
            output_path, nb_man.output_path = nb_man.output_path, None
            try:
                return client.execute()
            finally:
                nb_man.output_path = output_path

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)


def _reason(e: Exception) -> str:
    ename = getattr(e, "ename", None)
    evalue = getattr(e, "evalue", None)
    if ename:
        text = f"{ename}: {evalue}"
    else:
        text = f"{type(e).__name__}: {e}"
    line = " ".join(text.split())
    return line[:500]


def _run_id(appraisal, seed, draws, scenario, options, stages, out: Path) -> str:
    key = json.dumps([appraisal.id, seed, draws, scenario, options, stages], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:6]
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    rid = f"{stamp}-{digest}"
    n = 2
    while (out / rid).exists():
        rid = f"{stamp}-{digest}-{n}"
        n += 1
    return rid


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def run_batch(data_dir, out=None, *, options=None, stages=None, jobs: int | None = None, seed: int = DEFAULT_SEED,
              draws: int = DEFAULT_DRAWS, scenario: str | None = None, command: list | None = None,
              progress: bool = True, timeout: int = 600) -> RunResult:
    """Run the business-case notebook for every option and stage, then the options appraisal.

    Parameters mirror ``asdm run``. Raises :class:`DataErrors` for invalid data and
    :class:`RunError`/:class:`ScenarioError` for bad arguments, before anything runs.
    """
    started = _now()
    data_dir = Path(data_dir).resolve()
    # A broken option file fails that option's reports, not the batch (problems elsewhere still stop it).
    appraisal = load_appraisal(data_dir, partial=True)
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
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise RunError(f"seed must be a non-negative whole number, got {seed!r}")
    jobs = jobs or os.cpu_count() or 1
    out = Path(out) if out else PROJECT_ROOT / "reports"
    base_dir = out / appraisal.id
    base_dir.mkdir(parents=True, exist_ok=True)
    run_id = _run_id(appraisal, seed, draws, scen, options, stages, base_dir)
    run_dir = base_dir / run_id
    run_dir.mkdir()
    metrics_dir = run_dir / ".metrics"
    metrics_dir.mkdir()

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

    tasks = [(f"{o}-{s}", o, s) for s in stages for o in options if o not in broken]
    failed_tasks = [(f"{o}-{s}", o, s) for s in stages for o in options if o in broken]
    reports = []
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in the parent: workers are forked
        bar = tqdm(total=len(tasks) + 1, desc=f"{appraisal.id} {run_id}", unit="report", file=sys.stderr)

    for name, option, stage in failed_tasks:
        errs = broken[option]
        reason = f"invalid data ({len(errs)} problem{'s' if len(errs) != 1 else ''}): " + " | ".join(map(str, errs[:5]))
        reports.append({"name": name, "option": option, "stage": stage, "status": "failed", "error": reason,
                        "seconds": 0.0})
        if bar is not None:
            bar.write(f"  FAILED {name}: {reason}")
            bar.update(1)
    if bar is not None:
        bar.total = len(tasks) + len(failed_tasks) + 1
    # Worker processes, not threads: papermill's cwd is a process-wide chdir, so threads would race and a
    # report could run in the wrong folder. Forked workers start in milliseconds.
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("fork")) as pool:
        # The options appraisal computes its own figures, so it runs alongside the option reports.
        futures = [pool.submit(_run_report, OPTIONS_NOTEBOOK, run_dir, "options_appraisal", None, ",".join(stages),
                               f"{appraisal.title}: options appraisal", params(), timeout)]
        futures += [pool.submit(_run_report, OPTION_NOTEBOOK, run_dir, name, option, stage,
                                f"{appraisal.options[option].name}: {stage.upper()}",
                                params(option, stage, f"{name}.json"), timeout) for name, option, stage in tasks]
        for fut in as_completed(futures):
            r = fut.result()
            reports.append(r)
            if bar is not None:
                bar.write(f"  {'ok    ' if r['status'] == 'ok' else 'FAILED'} {r['name']} ({r['seconds']} s)"
                          + (f": {r['error']}" if r["error"] else ""))
                bar.update(1)
    if bar is not None:
        bar.close()

    order = {n: i for i, (n, _, _) in enumerate(sorted(tasks + failed_tasks, key=lambda x: (stages.index(x[2]), options.index(x[1]))))}
    order["options_appraisal"] = len(order)
    reports.sort(key=lambda r: order.get(r["name"], len(order)))
    rows = []
    for r in reports:
        if r["option"] is None:
            continue
        mpath = metrics_dir / f"{r['name']}.json"
        if r["status"] == "ok" and mpath.exists():
            r["metrics"] = json.loads(mpath.read_text())
            rows.extend(r["metrics"])
        else:
            if r["status"] == "ok":  # ran, but wrote no figures: that is a failure too
                r["status"], r["error"] = "failed", "the report wrote no metrics"
            r["metrics"] = []
            row = {c: None for c in SUMMARY_COLUMNS}
            known = appraisal.options.get(r["option"])
            row.update({"option": r["option"], "model": known.model if known else None, "stage": r["stage"],
                        "scenario": scen, "name": known.name if known else r["option"], "status": "failed",
                        "error": r["error"]})
            rows.append(row)
    shutil.rmtree(metrics_dir, ignore_errors=True)
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    write_text_atomic(summary.to_csv(index=False), run_dir / "summary.csv")
    write_text_atomic(_summary_html(appraisal, summary, run_id), run_dir / "summary.html")
    write_text_atomic(_index_html(appraisal, reports, run_id, scen, run_dir), run_dir / "index.html")
    ok = all(r["status"] == "ok" for r in reports)
    manifest = {
        "run_id": run_id, "appraisal": appraisal.id, "title": appraisal.title, "started": started,
        "finished": _now(), "command": command or ["asdm", "run", str(data_dir)],
        "data_dir": str(data_dir), "seed": seed, "draws": draws, "scenario": scen, "options": options,
        "stages": stages, "jobs": jobs,
        # Data files relative to the data folder's parent (so a moved copy can be verified with --data-dir),
        # notebooks relative to the suite.
        "inputs": input_hashes(appraisal.input_files, base=data_dir.parent),
        "notebooks": input_hashes([OPTION_NOTEBOOK, OPTIONS_NOTEBOOK], base=PROJECT_ROOT),
        "packages": package_versions(),
        "suite": git_commit(), "status": "ok" if ok else "failed",
        "reports": [{k: r.get(k) for k in ("name", "option", "stage", "status", "error", "seconds", "metrics")}
                    | {"files": [f for f in (f"{r['name']}.ipynb", f"{r['name']}.html", f"{r['name']}.FAILED.ipynb")
                                 if (run_dir / f).exists()]} for r in reports],
    }
    write_text_atomic(json.dumps(_clean(manifest), indent=1), run_dir / "manifest.json")
    return RunResult(run_dir, reports, summary, ok, manifest)


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


_CSS = """body{font-family:Arial,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f3f5f6}
td.t,th.t{text-align:left}.failed{color:#c0392b;font-weight:bold}.note{color:#555}"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _summary_html(appraisal, summary: pd.DataFrame, run_id: str) -> str:
    cols = [("name", "Option", "t"), ("stage", "Stage", "t"), ("scenario", "Scenario", "t"),
            ("npsv_vs_no_change_gbp", "NPSV vs no change", "gbp"),
            ("council_npv_vs_no_change_gbp", "Council NPV vs no change", "gbp"),
            ("p10_npsv_vs_no_change_gbp", "P10", "gbp"), ("p50_npsv_vs_no_change_gbp", "P50", "gbp"),
            ("p90_npsv_vs_no_change_gbp", "P90", "gbp"), ("prob_beats_no_change", "P(beats no change)", "pct"),
            ("payback_year", "Payback", "t"), ("breakeven_year", "Break-even", "t"),
            ("peak_funding_gbp", "Peak funding", "gbp"), ("gate", "Gate", "t"), ("status", "Status", "t")]
    head = "".join(f'<th class="{"t" if k == "t" else ""}">{_e(h)}</th>' for _, h, k in cols)
    body = []
    for _, row in summary.iterrows():
        cells = []
        for c, _, kind in cols:
            v = row[c]
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            if missing:
                text = ""
            elif kind == "gbp":
                text = format_gbp(float(v))
            elif kind == "pct":
                text = format_pct(float(v), 0)
            else:
                text = str(v)
            if c == "name" and row["status"] == "ok":
                cells.append(f'<td class="t"><a href="{_e(row["option"])}-{_e(row["stage"])}.html">{_e(text)}</a></td>')
            elif c == "status" and v != "ok":
                cells.append(f'<td class="t failed" title="{_e(row["error"])}">{_e(text)}: {_e(row["error"])}</td>')
            else:
                cells.append(f'<td class="{"t" if kind == "t" else ""}">{_e(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = "<p class=note>ILLUSTRATIVE DATA: the figures are invented for demonstration.</p>" if appraisal.illustrative else ""
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: summary</title>"
            f"<style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}</h1><p>{_e(appraisal.council)}. "
            f"Run {_e(run_id)}. Money in GBP; NPVs real at {_e(appraisal.price_base)} prices, discounted; "
            f"positive is better than no change.</p>{note}<table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table><p><a href=index.html>All reports of this run</a></p></body></html>")


def _index_html(appraisal, reports, run_id: str, scenario: str, run_dir: Path) -> str:
    items = []
    for r in reports:
        known = appraisal.options.get(r["option"]) if r["option"] else None
        label = (f"{known.name if known else r['option']}: {r['stage'].upper()}" if r["option"] else
                 "Options appraisal (all options)")
        if r["status"] == "ok":
            items.append(f'<li><a href="{_e(r["name"])}.html">{_e(label)}</a> '
                         f'(<a href="{_e(r["name"])}.ipynb">notebook</a>)</li>')
        else:
            partial = (f' (<a href="{_e(r["name"])}.FAILED.ipynb">partial notebook</a>)'
                       if (run_dir / f"{r['name']}.FAILED.ipynb").exists() else "")
            items.append(f'<li class=failed>{_e(label)}: failed: {_e(r["error"])}{partial}</li>')
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(appraisal.title)}: run {_e(run_id)}"
            f"</title><style>{_CSS}</style></head><body><h1>{_e(appraisal.title)}</h1><p>{_e(appraisal.council)}: "
            f"run {_e(run_id)}, scenario {_e(scenario)}.</p><ul><li><a href=summary.html>Summary of every option and "
            f"stage</a> (<a href=summary.csv>CSV</a>)</li><li><a href=manifest.json>Manifest: what went in</a></li></ul>"
            f"<h2>Reports</h2><ul>{''.join(items)}</ul></body></html>")


# ---------------------------------------------------------------------------------------------- verify
@dataclass
class VerifyResult:
    run_dir: Path
    differences: list  # one line each
    checked: int
    notes: list = field(default_factory=list)  # things not compared (reports that had failed)

    @property
    def ok(self) -> bool:
        return not self.differences


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def verify_run(run_dir, *, data_dir=None) -> VerifyResult:
    """Re-run what a run's manifest records and compare every input hash and every metric.

    Deterministic figures must match exactly; so must Monte Carlo figures (the seed is recorded).
    The model is recomputed in-process with the recorded seed, draws and scenario (the reports'
    figures come from the same functions), so verification takes seconds, not a batch.
    """
    run_dir = Path(run_dir)
    mpath = run_dir / "manifest.json"
    if not mpath.exists():
        raise RunError(f"{run_dir}: no manifest.json (not a run folder, or the run did not finish)")
    try:
        manifest = json.loads(mpath.read_text())
    except json.JSONDecodeError as e:
        raise RunError(f"{mpath}: not valid JSON ({e.msg} at line {e.lineno})") from None
    diffs: list[str] = []
    data = (Path(data_dir) if data_dir else Path(manifest["data_dir"])).resolve()
    for group, base in (("inputs", data.parent), ("notebooks", PROJECT_ROOT)):
        for shown, digest in manifest.get(group, {}).items():
            p = (base / shown).resolve()
            if not p.exists():
                diffs.append(f"input {shown}: missing (recorded sha256 {digest[:12]}...)")
                continue
            now = sha256_file(p)
            if now != digest:
                diffs.append(f"input {shown}: changed since the run (sha256 {digest[:12]}... now {now[:12]}...)")
    try:
        appraisal = load_appraisal(data, partial=True)
    except Exception as e:  # invalid data now: every metric would differ; say why once
        diffs.append(f"the appraisal data no longer loads: {str(e).splitlines()[0]}")
        return VerifyResult(run_dir, diffs, 0, [])
    recorded = set(manifest.get("inputs", {}))
    for now_file in sorted(input_hashes(appraisal.input_files, base=data.parent)):
        if now_file not in recorded:
            diffs.append(f"input {now_file}: new since the run (not in the manifest)")
    checked = 0
    notes: list[str] = []
    for rep in manifest["reports"]:
        if rep["option"] is None:
            continue
        if rep["status"] != "ok":
            notes.append(f"report {rep['name']}: recorded as failed, so there are no figures to compare ({rep['error']})")
            continue
        bc_rows = summary_rows(appraisal, rep["option"], rep["stage"], seed=manifest["seed"], draws=manifest["draws"],
                               scenario=None if manifest["scenario"] == "base" else manifest["scenario"])[3]
        fresh = {r["scenario"]: r for r in json.loads(json.dumps(_clean(bc_rows)))}
        for old in rep["metrics"]:
            new = fresh.get(old["scenario"])
            if new is None:
                diffs.append(f"report {rep['name']} scenario {old['scenario']}: no longer produced")
                continue
            for k, v in old.items():
                checked += 1
                if not _same(v, new.get(k)):
                    diffs.append(f"report {rep['name']} scenario {old['scenario']}: {k} was {v!r}, now {new.get(k)!r}")
    return VerifyResult(run_dir, diffs, checked, notes)

