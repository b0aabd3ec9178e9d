"""Planning a run: everything checked, the run folder made, the reports listed, nothing yet run.

:func:`plan_run` is the first of a batch's three steps (plan, execute, finish; see
:mod:`asdm_models.batch`). It validates the appraisal and the arguments (so a bad run fails
before anything is created), creates the run folder atomically with its ``RUN-UNFINISHED.txt``
marker, records what every report's footer will state (inputs' hashes, suite, date), and returns
a :class:`RunPlan` whose :attr:`~RunPlan.tasks` are plain picklable calls that any executor can run.
Several plans can then share one executor (:func:`asdm_models.batch.run_plans`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .assumptions import STAGES, load_appraisal
from .business_case import DEFAULT_DRAWS
from .errors import DataErrors, RunError, ScenarioError
from .executors import MAX_JOBS
from .kernels import WARM_ENGINE, check_parameters, execute_notebook, write_plotly_js
from .outputs import write_text_atomic
from .pack import inputs_digest
from .provenance import git_commit, input_hashes, package_versions
from .reference import PROJECT_ROOT
from .verify import MANIFEST, UNFINISHED_MARKER

__all__ = ["plan_run", "RunPlan", "ReportTask", "check_run_arguments", "NOTEBOOKS", "OPTION_NOTEBOOK",
           "OPTIONS_NOTEBOOK", "REALISATION_NOTEBOOK", "REALISATION_REPORT", "DEFAULT_SEED", "MAX_DRAWS", "MAX_JOBS"]

NOTEBOOKS = PROJECT_ROOT / "notebooks"
OPTION_NOTEBOOK = NOTEBOOKS / "option_business_case.ipynb"
OPTIONS_NOTEBOOK = NOTEBOOKS / "options_appraisal.ipynb"
#: Run when the appraisal folder holds actuals/ (after launch): outturn against the full business case.
REALISATION_NOTEBOOK = NOTEBOOKS / "benefits_realisation.ipynb"
REALISATION_REPORT = "benefits_realisation"
DEFAULT_SEED = 20261125
#: Monte Carlo draws per report: 0 (none) up to this many (memory grows with draws x years x lines).
MAX_DRAWS = 100_000
#: Work folders inside a run folder while it runs (removed when it finishes).
METRICS_DIR = ".metrics"
ATTEMPTS_DIR = ".attempts"


@dataclass
class ReportTask:
    """One unit of a run's work: ``fn(*args, **kwargs)`` on a worker, returning the report's record.

    Attributes
    ----------
    name : str
        The report's name in the run (``<option>-<stage>``, ``options_appraisal``...), unique in its run.
    fn : callable
        A plain module-level function (executors pickle it by reference), e.g. :func:`run_report`. It
        returns a dict with at least ``status`` (``"ok"``/``"failed"``) and ``error``; missing
        ``name``, ``option``, ``stage``, ``seconds`` are filled in from the task.
    args, kwargs
        Its arguments (picklable).
    option, stage : str or None
        What the report is of (``None`` for the run-wide reports).
    kind : str
        ``"report"`` (a notebook), ``"realisation"``, or another kind a caller adds.
    plan : RunPlan or None
        For an extra task given to :func:`~asdm_models.batch.run_plans`: the run that records it.
    """

    name: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    option: str | None = None
    stage: str | None = None
    kind: str = "report"
    plan: "RunPlan | None" = field(default=None, repr=False)


@dataclass
class RunPlan:
    """A planned run: its folder exists (marked unfinished), its reports are listed, none has run.

    Attributes
    ----------
    appraisal : Appraisal
        As loaded (``partial=True``: a broken option fails its own reports).
    data_dir, out, run_dir : Path
        Resolved data folder, output folder, and this run's folder ``out/<appraisal>/<run-id>``.
    run_id, started : str
        The run folder's name; the start time (UTC, ISO 8601).
    options, stages, seed, draws, scenario, timeout, images, pack, self_contained
        The run's settings, checked.
    command : list or None
        The command as typed (recorded beside the exact one the manifest builds).
    inputs, suite, packages, provenance : dict
        The inputs' sha256, the suite's commit, the package versions, every report footer's provenance.
    tasks : list of ReportTask
        The reports to run, in their order in the run.
    reports : list of dict
        Records of reports that failed before running (an option whose data is invalid, bad actuals).
    """

    appraisal: object = field(repr=False)
    data_dir: Path
    out: Path
    run_dir: Path
    run_id: str
    started: str
    options: list
    stages: list
    seed: int
    draws: int
    scenario: str
    timeout: int
    images: bool
    pack: bool
    self_contained: bool
    command: list | None
    inputs: dict = field(repr=False)
    suite: dict = field(repr=False)
    packages: dict = field(repr=False)
    provenance: dict = field(repr=False)
    realise: bool = False
    tasks: list = field(default_factory=list)
    reports: list = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """``out/<appraisal>``: where ``latest`` points at the newest finished run."""
        return self.run_dir.parent

    @property
    def marker(self) -> Path:
        return self.run_dir / UNFINISHED_MARKER

    @property
    def metrics_dir(self) -> Path:
        return self.run_dir / METRICS_DIR

    @property
    def attempts_dir(self) -> Path:
        return self.run_dir / ATTEMPTS_DIR

    @property
    def notebooks(self) -> list[Path]:
        return [OPTION_NOTEBOOK, OPTIONS_NOTEBOOK] + ([REALISATION_NOTEBOOK] if self.realise else [])

    def order(self) -> dict:
        """Each report's place in the run's records: options by stage, then the run-wide reports."""
        names = [f"{o}-{s}" for s in self.stages for o in self.options]
        order = {n: i for i, n in enumerate(names)}
        for n in ("options_appraisal", REALISATION_REPORT):
            order[n] = len(order)
        for t in self.tasks:
            order.setdefault(t.name, len(order))
        return order


def run_report(notebook, run_dir, name, option, stage, title, params, timeout, html=None) -> dict:
    """One report notebook on the worker's warm kernel (what every report task runs); ``html``: the export's options."""
    import time

    t0 = time.perf_counter()
    status, error = execute_notebook(notebook, Path(run_dir) / f"{name}.ipynb", params, cwd=Path(run_dir),
                                     title=title, timeout=timeout, engine=WARM_ENGINE, **(html or {}))
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


def _realisation_params(data_dir: Path) -> dict:
    return {"data_dir": str(data_dir), "option": "",
            "metrics_path": str(Path(METRICS_DIR) / f"{REALISATION_REPORT}.json")}


def _problems(errs) -> str:
    return f"({len(errs)} problem{'s' if len(errs) != 1 else ''}): " + " | ".join(map(str, errs[:5]))


def plan_run(data_dir, out=None, *, options=None, stages=None, seed: int = DEFAULT_SEED, draws: int = DEFAULT_DRAWS,
             scenario: str | None = None, command: list | None = None, timeout: int = 600, images: bool = False,
             pack: bool = False, self_contained: bool = False) -> RunPlan:
    """Check a run, create its folder and list its reports, without running any.

    Parameters are those of :func:`asdm_models.batch.run_batch` except the executor's (``executor``,
    ``jobs``, ``scheduler``, ``progress``), which :func:`~asdm_models.batch.run_plans` takes.

    Returns
    -------
    RunPlan
        Its folder ``out/<appraisal>/<run-id>`` holds ``RUN-UNFINISHED.txt`` (and, unless
        ``self_contained``, the shared ``plotly.min.js``) until the run is finished.

    Raises
    ------
    DataErrors
        Invalid data that would spoil every report (a broken option only fails its own reports).
    RunError, ScenarioError
        Bad arguments (unknown option, stage or scenario; draws, seed, timeout out of range; an
        unusable ``out``). Nothing is created.
    """
    started = _now()
    check_run_arguments(draws=draws, seed=seed, jobs=None, timeout=timeout)
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
    out = _resolve_out(out)

    def params(option=None, stage=None, metrics=None):
        p = {"data_dir": str(data_dir), "seed": seed, "draws": draws, "scenario": scen,
             "metrics_path": str(Path(METRICS_DIR) / metrics) if metrics else ""}
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
    write_text_atomic(f"unfinished: run {run_id} started {started} (pid {os.getpid()}); if this file is here and "
                      f"{MANIFEST} is not, the run did not finish and its reports must not be relied on.\n",
                      run_dir / UNFINISHED_MARKER)
    (run_dir / METRICS_DIR).mkdir()
    (run_dir / ATTEMPTS_DIR).mkdir()
    # What every report's footer states, known before any report runs (and recorded in the manifest).
    inputs = input_hashes(appraisal.input_files, base=data_dir.parent)
    suite, packages = git_commit(), package_versions()
    provenance = {"run_id": run_id, "version": packages.get("asdm") or "", "commit": suite.get("commit"),
                  "dirty": bool(suite.get("dirty")), "inputs_sha256": inputs_digest({"inputs": inputs}),
                  "date": f"run started {started.replace('T', ' ').replace('+00:00', ' UTC')}"}
    html = {"plotly_js": "embed" if self_contained else "shared", "provenance": provenance}
    if not self_contained:
        write_plotly_js(run_dir)  # one shared, local copy for every report of the run (still offline)

    plan = RunPlan(appraisal=appraisal, data_dir=data_dir, out=out, run_dir=run_dir, run_id=run_id, started=started,
                   options=options, stages=stages, seed=seed, draws=draws, scenario=scen, timeout=timeout,
                   images=images, pack=pack, self_contained=self_contained, command=command, inputs=inputs,
                   suite=suite, packages=packages, provenance=provenance, realise=realise)
    if appraisal.actuals_errors:  # bad actuals fail the realisation report, not the business cases
        plan.reports.append({"name": REALISATION_REPORT, "option": None, "stage": None, "kind": "realisation",
                             "status": "failed", "seconds": 0.0,
                             "error": "invalid actuals " + _problems(appraisal.actuals_errors)})
    for s in stages:
        for o in options:
            if o in broken:
                plan.reports.append({"name": f"{o}-{s}", "option": o, "stage": s, "status": "failed",
                                     "error": "invalid data " + _problems(broken[o]), "seconds": 0.0})
    # The options appraisal computes its own figures, so it runs alongside the option reports.
    plan.tasks.append(ReportTask("options_appraisal", run_report,
                                 (OPTIONS_NOTEBOOK, run_dir, "options_appraisal", None, ",".join(stages),
                                  f"{appraisal.title}: options appraisal", params(), timeout, html)))
    if appraisal.actuals is not None:
        plan.tasks.append(ReportTask(REALISATION_REPORT, run_report,
                                     (REALISATION_NOTEBOOK, run_dir, REALISATION_REPORT, None, None,
                                      f"{appraisal.title}: benefits realisation", _realisation_params(data_dir),
                                      timeout, html), kind="realisation"))
    for s in stages:
        for o in options:
            if o not in broken:
                name = f"{o}-{s}"
                plan.tasks.append(ReportTask(name, run_report,
                                             (OPTION_NOTEBOOK, run_dir, name, o, s,
                                              f"{appraisal.options[o].name}: {s.upper()}",
                                              params(o, s, f"{name}.json"), timeout, html), option=o, stage=s))
    return plan
