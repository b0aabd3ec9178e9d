"""The batch on each executor against papermill's own floor (issue 13): functions ``make bench`` calls.

* :func:`papermill_floor`: the same number of notebooks through papermill as plainly as it goes (an
  empty notebook, a fresh kernel each, as ``papermill.execute_notebook`` does) on the same executor
  and worker count: no report can be made faster than this by the batch around it.
* :func:`bench_batch`: the real batch (``plan_run`` for each appraisal, then ``run_plans`` with every
  report of every run on ONE executor), timed from planning to the last manifest.

Both time the executor's own start and shutdown (a LocalCluster's start is part of a Dask run), so
the ratio ``batch / floor`` compares like with like. Nothing is asserted; ``scripts/bench.py`` prints.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import cloudpickle

from asdm_models.batch import RunPlan, plan_run, run_plans
from asdm_models.executors import make_executor

# Dask workers cannot import a script: its task functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

__all__ = ["papermill_floor", "bench_batch"]


def _empty_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def _run_empty(notebook: str, out: str) -> None:
    """Plain papermill on an empty notebook. Its kernels use TCP on random ports, and two workers starting kernels
    at once can pick the same port (jupyter_client's known race: "Address already in use"); such a start is
    tried again, at most twice, so the floor is measured rather than lost."""
    import papermill

    for attempt in range(3):
        try:
            papermill.execute_notebook(notebook, out, kernel_name="python3", progress_bar=False, log_output=False)
            return
        except RuntimeError as e:
            if "Kernel died before replying" not in str(e) or attempt == 2:
                raise


def papermill_floor(n_notebooks: int, jobs: int = 2, executor: str = "local") -> float:
    """Seconds for papermill to execute ``n_notebooks`` empty notebooks on ``jobs`` workers of ``executor``.

    Parameters
    ----------
    n_notebooks : int
        As many as the batch it is the floor of has reports.
    jobs : int
        Worker processes (the batch's ``--jobs``).
    executor : {"local", "dask"}
        The forked process pool, or a LocalCluster (started and closed inside the timing).

    Returns
    -------
    float
        Wall seconds, executor start to shutdown.
    """
    with tempfile.TemporaryDirectory() as tmp:
        nb = _empty_notebook(Path(tmp))
        t = time.perf_counter()
        ex = make_executor(executor, jobs)
        try:
            ex.start()
            futures = [ex.submit(_run_empty, str(nb), str(Path(tmp) / f"empty-{i}.ipynb")) for i in range(n_notebooks)]
            for fut in ex.as_completed(futures):
                ex.result(fut)
        finally:
            ex.shutdown()
        return time.perf_counter() - t


def bench_batch(plans_or_dirs, executor: str = "local", jobs: int = 2, *, out=None, **plan_kw) -> dict:
    """Time the batch of several appraisals on one executor.

    Parameters
    ----------
    plans_or_dirs : list of RunPlan or path
        Appraisal folders (each planned here with ``plan_kw``, into ``out`` or a temporary folder),
        or plans already made (planning is then outside the timing).
    executor, jobs
        As ``asdm run --executor --jobs``.

    Returns
    -------
    dict
        ``wall`` (seconds, planning to the last manifest), ``reports`` (notebooks run), ``runs``, ``ok``
        (every run ok) and ``run_dirs`` (removed afterwards unless ``out`` was given).
    """
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        plans = [p if isinstance(p, RunPlan) else plan_run(p, out or tmp, **plan_kw) for p in plans_or_dirs]
        results = run_plans(plans, executor=executor, jobs=jobs, progress=False)
        wall = time.perf_counter() - t
        return {"wall": wall, "reports": sum(len(p.tasks) for p in plans), "runs": len(plans),
                "ok": all(r.ok for r in results), "run_dirs": [r.run_dir for r in results]}
