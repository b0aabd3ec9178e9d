"""Where a batch's reports run: a local process pool or a Dask cluster, behind one small interface.

A batch (:func:`asdm_models.batch.run_plans`) hands each report to an executor as a plain,
picklable function and its arguments, and collects the records it returns. Two executors:

* :class:`LocalPoolExecutor` (``--executor local``, the default): forked worker processes on this
  machine, each with a warm kernel (:mod:`asdm_models.kernels`).
* :class:`DaskExecutor` (``--executor dask``, or ``--scheduler ADDRESS``): a
  ``dask.distributed`` cluster, either a ``LocalCluster`` of ``--jobs`` worker processes started
  and closed by the executor, or an existing cluster reached through its scheduler. Each worker
  process runs one report at a time on its own warm kernel.

Both give the same bytes for the same inputs and seed: the report is the same function with the
same arguments, run in the run folder, and its notebook is stripped of timing
(:func:`asdm_models.kernels.execute_notebook`). A worker that dies fails the report it was
running (:class:`WorkerDied`, recorded as a failed report naming it); the others carry on. Dask is
told not to re-run such a report on another worker (``allowed-failures`` 0 on the clusters it
starts; on a remote cluster the batch refuses a second attempt itself, see
:func:`asdm_models.batch.run_plans`).

A remote cluster must see the run folders and the data at the same absolute paths (a shared file
system) and run the same Python environment and suite: :meth:`DaskExecutor.check_workers` refuses
to start otherwise.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
from concurrent.futures import as_completed as _cf_as_completed
from typing import Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

from .errors import RunError
from .kernels import (RUN_TOKEN_ENV, kill_run_processes, remove_connection_dir, stop_warm_kernel,
                      use_connection_dir, worker_init)

__all__ = ["ReportExecutor", "LocalPoolExecutor", "DaskExecutor", "WorkerDied", "make_executor", "EXECUTORS",
           "MAX_JOBS", "executor_text"]

EXECUTORS = ("local", "dask")
#: Reports run in parallel at most on one machine (each worker holds a kernel of about 350 MB).
MAX_JOBS = 64
#: How long a scheduler may take to answer before its address is refused.
CONNECT_TIMEOUT_S = 10
_FIX_SCHEDULER = "start a scheduler with `dask scheduler` or omit --scheduler"


class WorkerDied(Exception):
    """The worker process running a task died (killed, out of memory, lost) before the task finished."""


@runtime_checkable
class ReportExecutor(Protocol):
    """What a batch needs of an executor.

    Attributes
    ----------
    kind : str
        ``"local"`` or ``"dask"``.
    workers : int
        Reports run at once (known once started for a remote cluster).
    token : str
        The batch's token: every process the executor starts on this machine carries it in
        ``RUN_TOKEN_ENV``, so a guardian can find and kill them after the batch is killed.
    connection_dir : str
        This machine's folder for the workers' pid files and kernels' connection files.
    """

    kind: str
    workers: int
    token: str
    connection_dir: str

    def description(self) -> dict:
        """The manifest's record: ``{"kind", "workers"}`` and, for Dask, ``"scheduler"``."""

    def command_args(self) -> list[str]:
        """The ``asdm run`` arguments that choose this executor again."""

    def start(self) -> None:
        """Start the workers (idempotent); called by the batch after its guardian is running."""

    def submit(self, fn: Callable, *args, key: str | None = None, **kwargs) -> Any:
        """Run ``fn(*args, **kwargs)`` on a worker; returns a future."""

    def as_completed(self, futures: Iterable) -> Iterator:
        """The futures as they finish."""

    def result(self, future) -> Any:
        """The task's value; raises :class:`WorkerDied` if its worker died, else the task's own error."""

    def stop(self) -> None:
        """Kill every worker and kernel now (Ctrl-C): queued tasks are dropped, running ones lost."""

    def shutdown(self) -> None:
        """Stop the workers after their tasks and remove what the executor created."""


def executor_text(record) -> str:
    """A manifest's executor for people: ``"dask (LocalCluster), 2 workers"``; older manifests hold a string."""
    if isinstance(record, str):
        return record
    if not isinstance(record, dict):
        return "unknown"
    where = f" ({record['scheduler']})" if record.get("scheduler") else ""
    n = record.get("workers")
    return f"{record.get('kind', 'unknown')}{where}" + (f", {n} worker{'s' if n != 1 else ''}" if n else "")


def _whole_jobs(jobs) -> int | None:
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise RunError(f"jobs must be a whole number from 1 to {MAX_JOBS}, got {jobs!r}")
    return jobs


def _default_jobs(jobs: int | None) -> int:
    return min(jobs or os.cpu_count() or 1, MAX_JOBS)


def make_executor(kind: str = "local", jobs: int | None = None, scheduler: str | None = None) -> ReportExecutor:
    """The executor a run asked for (``asdm run --executor KIND --jobs N --scheduler ADDRESS``).

    Parameters
    ----------
    kind : {"local", "dask"}
        The local process pool, or Dask; a ``scheduler`` means ``"dask"``.
    jobs : int, optional
        Worker processes (default: the machine's cores); not with ``scheduler``, whose cluster has its own.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); checked here, so a wrong one is a
        :class:`RunError` before anything runs.

    Returns
    -------
    ReportExecutor
        Not yet started (no workers until :meth:`~ReportExecutor.start`); a remote scheduler is connected.
    """
    jobs = _whole_jobs(jobs)
    if scheduler is not None:  # a scheduler means Dask, whatever the default kind says
        if jobs is not None:
            raise RunError(f"--jobs {jobs} with --scheduler {scheduler}: the cluster's own workers run the reports; "
                           "omit --jobs, or omit --scheduler for a local cluster of --jobs workers")
        return DaskExecutor(scheduler=scheduler)
    if kind == "local":
        return LocalPoolExecutor(_default_jobs(jobs))
    if kind == "dask":
        return DaskExecutor(jobs=_default_jobs(jobs))
    raise RunError(f"--executor {kind!r}: unknown; use {' or '.join(EXECUTORS)}")


class _TokenEnv:
    """The batch's token in this process's environment while workers are started (they inherit it)."""

    def __init__(self, token: str):
        self.token, self._saved, self._set = token, None, False

    def set(self) -> None:
        if not self._set:
            self._saved, self._set = os.environ.get(RUN_TOKEN_ENV), True
            os.environ[RUN_TOKEN_ENV] = self.token

    def restore(self) -> None:
        if self._set:
            if self._saved is None:
                os.environ.pop(RUN_TOKEN_ENV, None)
            else:
                os.environ[RUN_TOKEN_ENV] = self._saved
            self._set = False


def _connection_folder() -> str:
    # A short path of its own (Unix socket paths are limited to 107 bytes), readable by this user only.
    return tempfile.mkdtemp(prefix="asdm-kernels-")


# ---------------------------------------------------------------------------------------------- local pool
class LocalPoolExecutor:
    """Forked worker processes on this machine (what ``asdm run`` has always done).

    Processes, not threads: papermill's cwd is a process-wide chdir, so threads would race. Forked
    workers start in milliseconds, die with the batch (:func:`~asdm_models.kernels.worker_init`) and
    leave their pids in ``connection_dir`` for the guardian. A worker that dies breaks a
    ``ProcessPoolExecutor`` as a whole: every task in flight then fails with :class:`WorkerDied`
    (the batch re-submits those that had not started), and the next submission starts a fresh pool.
    """

    kind = "local"

    def __init__(self, jobs: int | None = None, run_token: str | None = None, connection_dir: str | None = None):
        self.workers = _default_jobs(_whole_jobs(jobs))
        self.token = run_token or secrets.token_hex(8)
        self.connection_dir = str(connection_dir or _connection_folder())
        self._env = _TokenEnv(self.token)
        self._pool = None

    def description(self) -> dict:
        return {"kind": "local", "workers": self.workers}

    def command_args(self) -> list[str]:
        return ["--executor", "local", "--jobs", str(self.workers)]

    def start(self) -> None:
        self._env.set()  # inherited by every forked worker and the kernels they start
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=worker_init, initargs=(os.getpid(), self.connection_dir))

    def submit(self, fn, *args, key=None, **kwargs):
        from concurrent.futures.process import BrokenProcessPool

        self.start()
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # a worker died earlier: its pool is unusable, so start another
            self._discard_pool()
            self.start()
            return self._pool.submit(fn, *args, **kwargs)

    def as_completed(self, futures):
        return _cf_as_completed(list(futures))

    def result(self, future):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool:
            raise WorkerDied("a worker process of the local pool died (killed, or out of memory) while this task "
                             "was running or queued") from None

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            procs = list(getattr(pool, "_processes", None) or {})
            pool.shutdown(wait=False, cancel_futures=True)
            for pid in procs:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def stop(self) -> None:
        self._discard_pool()
        kill_run_processes(self.token, self.connection_dir)  # workers by their pid files, kernels by the token
        self._cleanup()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # the workers' exit shuts their kernels down (kernels.py finaliser)
            self._pool = None
        self._cleanup()

    def _cleanup(self) -> None:
        remove_connection_dir(self.connection_dir)
        self._env.restore()


# ---------------------------------------------------------------------------------------------- Dask
#: One report at a time per worker process: it has one warm kernel, and papermill changes the process's cwd.
_REPORT_LOCK = threading.Lock()
_WORKER: dict = {}


def _dask_task(connection_dir: str | None, token: str, fn, args, kwargs):
    """A task as a Dask worker runs it: the worker's kernels in their folder, one report at a time."""
    with _REPORT_LOCK:
        if connection_dir is None:  # a remote worker: a folder of its own on its own machine
            connection_dir = _WORKER.get("own_dir") or _WORKER.setdefault("own_dir", _connection_folder())
        use_connection_dir(connection_dir)
        _WORKER["token"] = token  # whose report is running (a stop of that batch kills its kernel)
        try:
            return fn(*args, **kwargs)
        finally:
            _WORKER.pop("token", None)


def _stop_reports_of(token: str) -> bool:
    """On a remote worker: kill the kernel if it is running a report of the batch ``token`` (Ctrl-C)."""
    if _WORKER.get("token") == token:
        stop_warm_kernel()
        return True
    return False


def _worker_identity(paths: list[str]) -> dict:
    """What a worker must share with the batch: Python, the suite's code, and the run's folders."""
    import sys

    from .provenance import suite_hashes

    return {"python": sys.version.split()[0], "suite": suite_hashes(),
            "missing": [p for p in paths if not os.path.isdir(p)]}


def _worker_plugin(ignore_sigint: bool):
    from distributed.diagnostics.plugin import WorkerPlugin

    class AsdmWorker(WorkerPlugin):
        """Stops the worker's warm kernel when the worker closes (and, on a cluster the batch started, leaves
        Ctrl-C to the batch, which kills its workers itself)."""

        name = "asdm-warm-kernels"

        def setup(self, worker):
            if ignore_sigint and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

        def teardown(self, worker):
            stop_warm_kernel()
            own = _WORKER.pop("own_dir", None)
            if own:
                shutil.rmtree(own, ignore_errors=True)

    return AsdmWorker()


def _reason(e: BaseException) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:300]


class DaskExecutor:
    """A ``dask.distributed`` cluster: a ``LocalCluster`` it starts, or a running one at ``scheduler``.

    Parameters
    ----------
    jobs : int, optional
        Worker processes of the ``LocalCluster`` (one thread each); default: the machine's cores.
    scheduler : str, optional
        Address of a running scheduler; the cluster's workers run the reports (connected at once, so a
        wrong address is a :class:`RunError` here).

    Notes
    -----
    The ``LocalCluster`` has no dashboard, logs only warnings and errors, gives its workers the
    batch's token (``RUN_TOKEN_ENV``, so the guardian finds them and their kernels after a kill) and
    ``allowed-failures`` 0 (a report whose worker died is not tried again elsewhere). A worker plugin
    stops each worker's kernel as the worker closes.
    """

    kind = "dask"

    def __init__(self, jobs: int | None = None, scheduler: str | None = None):
        self.scheduler = scheduler
        self.token = secrets.token_hex(8)
        self._env = _TokenEnv(self.token)
        self.cluster = None
        self.client = None
        self._futures = []  # what this executor submitted (a stop on a remote cluster cancels these only)
        if scheduler is None:
            self.workers = _default_jobs(_whole_jobs(jobs))
            self.connection_dir = _connection_folder()
        else:
            self.workers = 0
            self.connection_dir = _connection_folder()  # nothing runs here; kept so the interface is uniform
            self._connect(scheduler)

    # -- starting
    def _connect(self, address: str) -> None:
        _quiet_distributed()
        _check_reachable(address)
        from distributed import Client

        try:
            self.client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
        except (OSError, ValueError, TimeoutError) as e:
            raise RunError(f"--scheduler {address}: cannot connect ({_reason(e)}); {_FIX_SCHEDULER}") from None
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        if not self.workers:
            self.client.close()
            raise RunError(f"--scheduler {address}: the scheduler has no workers; start some with "
                           f"`dask worker {address} --nthreads 1` (same Python environment, shared file system)")
        self.client.register_plugin(_worker_plugin(ignore_sigint=False))

    def start(self) -> None:
        if self.client is not None:
            return
        import dask
        from distributed import Client, LocalCluster

        from multiprocessing import resource_tracker

        _quiet_distributed()
        # multiprocessing's resource tracker (a process of this batch's parent, not a worker) starts before the
        # token is set, so stopping the run's processes by their token leaves it alone.
        resource_tracker.ensure_running()
        self._env.set()  # spawned workers inherit it: the guardian finds them (and their kernels) by it
        with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                              "distributed.worker.daemon": False}):
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.WARNING,
                                        env={RUN_TOKEN_ENV: self.token},
                                        # No dashboard; the scheduler's small HTTP server (health, metrics) on a
                                        # free port of this machine, not 8787 (which two clusters would share).
                                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster, set_as_default=False)
        self.client.register_plugin(_worker_plugin(ignore_sigint=True))

    def check_workers(self, paths: Iterable) -> None:
        """Refuse a remote cluster whose workers cannot see ``paths`` or run other code than this suite."""
        if self.scheduler is None:
            return  # this machine's own processes: the same files and code by construction
        from .provenance import suite_hashes

        paths = sorted({str(p) for p in paths})
        try:
            seen = self.client.run(_worker_identity, paths)
        except Exception as e:  # a worker that cannot even import the suite
            raise RunError(f"--scheduler {self.scheduler}: the workers cannot run the suite ({_reason(e)}); "
                           "install the same Python environment on every worker") from None
        import sys

        mine = {"python": sys.version.split()[0], "suite": suite_hashes()}
        for worker, got in sorted(seen.items()):
            if got["missing"]:
                raise RunError(f"--scheduler {self.scheduler}: worker {worker} cannot see {got['missing'][0]}; the "
                               "data and --out folders must be on a file system shared at the same path")
            if got["python"] != mine["python"] or got["suite"] != mine["suite"]:
                changed = sorted(f for f in set(got["suite"]) | set(mine["suite"])
                                 if got["suite"].get(f) != mine["suite"].get(f))
                what = f"Python {got['python']} (here {mine['python']})" if got["python"] != mine["python"] \
                    else f"other suite code ({', '.join(changed[:3])})"
                raise RunError(f"--scheduler {self.scheduler}: worker {worker} runs {what}; install the same "
                               "Python environment and suite on every worker")

    # -- the interface
    def description(self) -> dict:
        return {"kind": "dask", "workers": self.workers, "scheduler": self.scheduler or "LocalCluster"}

    def command_args(self) -> list[str]:
        if self.scheduler is not None:
            return ["--scheduler", self.scheduler]
        return ["--executor", "dask", "--jobs", str(self.workers)]

    def submit(self, fn, *args, key: str | None = None, **kwargs):
        self.start()
        conn = None if self.scheduler is not None else self.connection_dir
        extra = {"key": f"{key}-{secrets.token_hex(4)}"} if key else {}
        # pure=False: two reports with the same arguments are two tasks; retries=0: a report is run once.
        fut = self.client.submit(_dask_task, conn, self.token, fn, args, kwargs, pure=False, retries=0, **extra)
        self._futures.append(fut)
        return fut

    def as_completed(self, futures):
        from distributed import as_completed

        return iter(as_completed(list(futures), loop=self.client.loop))

    def result(self, future):
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            raise WorkerDied("the Dask worker running it died (killed, or out of memory) before it finished") from None
        except (OSError, TimeoutError) as e:  # CommClosedError and friends: the worker or scheduler was lost
            raise WorkerDied(f"the Dask worker or scheduler running it was lost ({_reason(e)})") from None
        except Exception as e:
            if type(e).__name__ in ("CancelledError", "FutureCancelledError"):  # the scheduler dropped it
                raise WorkerDied(f"the Dask cluster dropped it ({_reason(e)})") from None
            raise

    def stop(self) -> None:
        if self.cluster is not None:
            # Workers and kernels carry the token: kill them all now (their nannies told not to start new ones,
            # Dask's logs of the workers it lost silenced: the batch says what happened), then close the rest.
            _quiet_distributed(logging.CRITICAL)
            for nanny in list(getattr(self.cluster, "workers", {}).values()):
                nanny.close_gracefully(reason="asdm-batch-stopped")
            kill_run_processes(self.token, self.connection_dir)
            self._close(timeout=5)
        elif self.client is not None:
            try:  # a remote cluster is not ours to kill: drop the queue, stop the kernels of our reports
                self.client.cancel(self._futures, force=True)
                self.client.run(_stop_reports_of, self.token)
            except Exception:  # a cluster that cannot be reached has nothing of ours left to stop
                pass
            self._close(timeout=5)
        self._env.restore()
        remove_connection_dir(self.connection_dir)

    def shutdown(self) -> None:
        self._close(timeout=30)
        if self.scheduler is None:
            # A kernel of a worker that closed without its plugin's teardown (killed) dies by its parent
            # poller within a second; kill it now instead, by the batch's token.
            kill_run_processes(self.token, self.connection_dir)
        self._env.restore()
        remove_connection_dir(self.connection_dir)

    def _close(self, timeout: float) -> None:
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close(timeout=timeout)
                except Exception:  # closing a cluster whose workers were killed may complain; it is closed
                    pass


def _check_reachable(address: str) -> None:
    """A quick TCP check of a ``tcp://host:port`` address: a refused port is an error at once, not after retries."""
    rest = address.split("://", 1)[1] if "://" in address else address
    proto = address.split("://", 1)[0] if "://" in address else "tcp"
    if proto not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise RunError(f"--scheduler {address}: cannot connect (unknown protocol {proto!r}; give tcp://host:port); "
                       f"{_FIX_SCHEDULER}")
    if proto != "tcp":
        return  # the Client itself checks the others
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise RunError(f"--scheduler {address}: cannot connect (not host:port); {_FIX_SCHEDULER}")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError) as e:
        why = e.strerror or str(e) if isinstance(e, OSError) else str(e)
        raise RunError(f"--scheduler {address}: cannot connect ({why}); {_FIX_SCHEDULER}") from None


def _quiet_distributed(level: int = logging.WARNING) -> None:
    """Dask's own logs in this process: warnings and errors only (its info lines would interleave with the
    progress bar), or nothing below ``level``."""
    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker",
                 "distributed.core", "distributed.http.proxy", "distributed.deploy"):
        logging.getLogger(name).setLevel(level)
