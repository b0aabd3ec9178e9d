"""Executing report notebooks: papermill on a warm kernel per worker, and the lifetime of the processes.

This is the execution engine behind :mod:`asdm_models.batch`. It owns three things:

* :func:`execute_notebook`: one notebook through papermill, written atomically as ``.ipynb`` and
  ``.html``; a failure is returned, never raised.
* **Warm kernels**: a kernel costs a second or two to start, longer than a report takes, so each
  worker keeps one kernel and runs its reports on it one after another (namespace wiped and
  execution counter reset between reports).
* **Nothing left running.** A worker dies with the batch that started it (``PR_SET_PDEATHSIG``);
  a kernel dies with its worker (ipykernel's parent poller, ``JPY_PARENT_PID``); a report that
  exceeds its wall-clock limit has its kernel killed, fails alone, and the worker starts a fresh
  kernel for its next report. A small *guardian* process outlives a batch that is killed outright
  (SIGKILL runs no clean-up in the batch itself): it kills whatever of the run is still alive
  (every process carries the run's token in its environment), removes the kernels' connection
  files, and marks the run folder as killed.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from pathlib import Path

from .errors import RunError
from .outputs import write_text_atomic

__all__ = ["execute_notebook", "check_parameters", "worker_init", "start_guardian", "RUN_TOKEN_ENV",
           "kill_run_processes", "worker_pids", "remove_connection_dir", "WARM_ENGINE", "PLOTLY_JS_FILE",
           "write_plotly_js", "use_connection_dir", "stop_warm_kernel"]

WARM_ENGINE = "asdm-warm-kernel"
#: Environment variable that every process of a run inherits (workers, kernels): how the guardian finds them.
RUN_TOKEN_ENV = "ASDM_RUN_TOKEN"
_PR_SET_PDEATHSIG = 1
_WARM: dict = {}


def check_parameters(notebook: Path, params: dict) -> None:
    """Refuse parameters the notebook does not declare (papermill itself only warns)."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise RunError(f"{notebook.name} does not declare parameter(s) {', '.join(unknown)}; "
                       f"it declares: {', '.join(declared)}")


# ---------------------------------------------------------------------------------------------- process lifetime
def _die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (no-op where prctl is not available)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the guardian still stops the run's processes
        pass


def worker_init(parent_pid: int, connection_dir: str) -> None:
    """Initialiser of every batch worker: die with the batch, leave Ctrl-C to the batch, kernels' files in one folder."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the batch died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch stops its workers itself, promptly
    _WARM["connection_dir"] = connection_dir
    os.makedirs(connection_dir, exist_ok=True)
    # Forked workers do not show the run's token in /proc/<pid>/environ (only exec'd kernels do), so each
    # worker leaves its pid where the batch and the guardian can find it.
    with open(os.path.join(connection_dir, f"worker-{os.getpid()}.pid"), "w", encoding="ascii") as fh:
        fh.write(str(os.getpid()))


def _pids_of_run(token: str) -> list[int]:
    """Processes whose environment carries the run's token (Linux /proc; others: none found)."""
    needle = f"{RUN_TOKEN_ENV}={token}".encode()
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:  # gone, or not ours
            continue
    return found


def worker_pids(connection_dir: Path) -> list[int]:
    """The pids the run's workers left in the connection folder."""
    pids = []
    for f in Path(connection_dir).glob("worker-*.pid"):
        try:
            pids.append(int(f.read_text(encoding="ascii")))
        except (OSError, ValueError):
            pass
    return pids


def kill_run_processes(token: str, connection_dir: Path | None = None) -> int:
    """SIGKILL every process of a run (its workers, then its kernels); returns how many were signalled."""
    n = 0
    pids = worker_pids(connection_dir) if connection_dir is not None else []
    for pid in pids + _pids_of_run(token):
        try:
            os.kill(pid, signal.SIGKILL)
            n += 1
        except OSError:
            pass
    return n


def remove_connection_dir(connection_dir: Path) -> None:
    """Remove the kernels' connection files and the workers' pid files, then the folder."""
    import shutil

    shutil.rmtree(connection_dir, ignore_errors=True)


def _guard(parent_pid: int, token: str, connection_dir: str, markers: list[str]) -> None:
    """The guardian's loop: wait for the batch to end; if it died without finishing, clean up after it.

    ``markers``: the unfinished markers of the batch's run folders; those still present when the
    batch dies (runs it had not finished) are marked as killed.
    """
    os.setsid()  # not in the batch's process group: a Ctrl-C or kill of the group leaves it to clean up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    # The batch is gone. If it finished, it stopped us first; so this is a kill.
    for _ in range(3):  # twice more, in case a worker was starting a kernel as we looked
        kill_run_processes(token, Path(connection_dir))
        time.sleep(0.1)
    remove_connection_dir(Path(connection_dir))
    for marker in markers:
        m = Path(marker)
        if m.exists():
            try:
                with open(m, "a", encoding="utf-8") as fh:
                    fh.write(f"killed: the batch (pid {parent_pid}) stopped without finishing; its workers and "
                             f"kernels were stopped at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}.\n")
            except OSError:
                pass
    os._exit(0)


def start_guardian(token: str, connection_dir: Path, marker):
    """Start the guardian of a batch; call ``.kill()`` on the result when the batch has cleaned up itself.

    ``marker``: the unfinished marker of the run folder, or a list of them (several runs on one executor).
    """
    markers = [str(m) for m in (marker if isinstance(marker, (list, tuple)) else [marker])]
    ctx = multiprocessing.get_context("fork")
    g = ctx.Process(target=_guard, args=(os.getpid(), token, str(connection_dir), markers), daemon=False,
                    name="asdm-guardian")
    g.start()
    return g


# ---------------------------------------------------------------------------------------------- one notebook
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


#: The run folder's one shared copy of plotly.js, referenced by every report written with ``plotly_js="shared"``.
PLOTLY_JS_FILE = "plotly.min.js"
PLOTLY_JS_MODES = ("shared", "embed")


def write_plotly_js(folder: Path) -> Path:
    """Write the shared, local copy of plotly.js (the version the reports were drawn with) into ``folder``."""
    from plotly.offline import get_plotlyjs

    path = Path(folder) / PLOTLY_JS_FILE
    write_text_atomic(get_plotlyjs(), path)
    return path


def _export_html(nb, title: str, *, plotly_js: str = "embed", provenance: dict | None = None) -> str:
    """The report as HTML with code hidden: plotly.js embedded (``"embed"``: one self-contained file, about
    5 MB) or loaded from the run folder's shared copy (``"shared"``: ``<script src="plotly.min.js">``, a
    relative path, so still offline); ``provenance`` (run id, suite version and commit, inputs digest,
    date) is printed in the page's footer."""
    from nbconvert import HTMLExporter

    if plotly_js not in PLOTLY_JS_MODES:
        raise ValueError(f"plotly_js must be one of {', '.join(PLOTLY_JS_MODES)}, got {plotly_js!r}")
    resources = {"metadata": {"name": title}, "asdm_provenance": provenance or {}}
    if plotly_js == "shared":
        resources["plotly_js_src"] = PLOTLY_JS_FILE
    else:
        from plotly.offline import get_plotlyjs

        resources["plotly_js"] = get_plotlyjs()
    exporter = _EXPORTER.get("html")
    if exporter is None:  # one per process: building it (its templates, filters) costs a third of an export
        exporter = _EXPORTER["html"] = HTMLExporter(
            template_name="asdm_report", extra_template_basedirs=[str(Path(__file__).parent / "templates")],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_EXPORTER: dict = {}


def _reason(e: BaseException) -> str:
    ename = getattr(e, "ename", None)
    evalue = getattr(e, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(e).__name__}: {e}"
    return " ".join(text.split())[:500]


def execute_notebook(notebook: Path, out_ipynb: Path, params: dict, *, cwd: Path, title: str,
                     timeout: int = 600, engine: str | None = None, plotly_js: str = "embed",
                     provenance: dict | None = None) -> tuple[str, str | None]:
    """Execute one notebook with papermill and write ``.ipynb`` and ``.html`` atomically.

    ``timeout`` is the wall-clock limit of the whole report in seconds (each cell gets the same
    limit through papermill; with the warm engine, a report still running at the limit has its kernel
    killed). Returns ``(status, error)``: ``("ok", None)`` or ``("failed", reason)``. A failed notebook
    is kept as ``<name>.FAILED.ipynb`` for diagnosis and no ``.ipynb``/``.html`` of the report is written.
    ``plotly_js`` and ``provenance`` are passed to the HTML export (see :func:`_export_html`); with
    ``"shared"`` the caller writes :data:`PLOTLY_JS_FILE` beside the report (:func:`write_plotly_js`).
    """
    import nbformat
    import papermill

    partial = out_ipynb.with_name(f".{out_ipynb.stem}.partial.ipynb")
    failed = out_ipynb.with_name(f"{out_ipynb.stem}.FAILED.ipynb")
    engine_kwargs = {}
    watchdog = None
    expired, done = threading.Event(), threading.Event()
    if engine == WARM_ENGINE:
        _register_warm_engine()
        engine_kwargs["kernel_cwd"] = str(cwd)

        def guard():
            if done.wait(timeout):
                return
            expired.set()
            while not done.is_set():  # also a kernel that was still starting when the limit passed
                _kill_warm_kernel()
                done.wait(0.5)

        watchdog = threading.Thread(target=guard, daemon=True, name="asdm-report-limit")
        watchdog.start()
    try:
        nb = papermill.execute_notebook(str(notebook), str(partial), parameters=params, kernel_name="python3",
                                        progress_bar=False, log_output=False, cwd=str(cwd), execution_timeout=timeout,
                                        engine_name=engine, **engine_kwargs)
        if expired.is_set():
            raise TimeoutError("finished after its limit")
    except Exception as e:  # papermill raises its own error types and kernel errors; all mean "failed"
        if expired.is_set():
            reason = f"timed out: the report ran for more than its limit of {timeout} s, so its kernel was stopped"
        elif type(e).__name__ == "DeadKernelError" or "Kernel died" in str(e) or not _warm_kernel_alive():
            reason = "the report's kernel died (killed, or out of memory) before the report finished"
        else:
            reason = _reason(e)
        if partial.exists():
            os.replace(partial, failed)
        return "failed", reason
    finally:
        done.set()
        if watchdog is not None:
            watchdog.join()
    try:
        # The notebook papermill returns is the one it wrote to ``partial``: no need to read it back.
        nbformat.validate(nb)
        _strip_timing(nb)
        body = _export_html(nb, title, plotly_js=plotly_js, provenance=provenance)
        write_text_atomic(body, out_ipynb.with_suffix(".html"))
        write_text_atomic(nbformat.writes(nb), out_ipynb)
    except Exception as e:  # export problems fail the report, never the batch
        return "failed", f"export failed: {_reason(e)}"
    finally:
        partial.unlink(missing_ok=True)
    return "ok", None


# ---------------------------------------------------------------------------------------------- warm kernels
def _warm_kernel(kernel_name: str, cwd: str):
    """The worker's kernel and its client: started on first use, wiped clean before every later report."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import run_sync

    km = _WARM.get("km")
    if km is not None and not km.is_alive():
        _shutdown_warm_kernel()
        km = None
    if km is None:
        km = _kernel_manager(kernel_name, _WARM.get("connection_dir"))
        # No history database: the execution counter is reset per report, which a history would refuse.
        extra = ["--HistoryManager.enabled=False"]
        if km.transport == "tcp":
            # Only when the run folder's path is too long for a Unix socket (see _kernel_manager): ipykernel
            # then warns on every start that TCP is unencrypted. The ports are bound on 127.0.0.1 only and
            # each message is signed with the connection file's key (readable by this user only), so on one
            # machine there is no one to eavesdrop: silence the kernel's own log (warnings of the code the
            # reports run still reach their outputs).
            extra.append("--IPKernelApp.log_level=ERROR")
        km.start_kernel(cwd=cwd, extra_arguments=extra)
        # An asynchronous client, as nbclient itself uses: with a blocking one, nbclient's waits on the
        # kernel's channels block its event loop, so the check that the kernel is still alive never runs
        # and a kernel that dies mid-report hangs the worker for good.
        kc = AsyncKernelClient(parent=km, connection_file=km.connection_file, **km.get_connection_info(session=True))
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)
        kc.allow_stdin = False
        _WARM.update(km=km, kc=kc, cwd=cwd)
        if not _WARM.get("finaliser"):
            multiprocessing.util.Finalize(None, _shutdown_warm_kernel, exitpriority=10)
            _WARM["finaliser"] = True
    else:
        # A report of another run folder (several runs share one executor) moves the kernel there rather than
        # starting a new one: a start costs more than the report.
        move = f"__import__('os').chdir({cwd!r}); " if _WARM.get("cwd") != cwd else ""
        reply = run_sync(_WARM["kc"].execute_interactive)(
            move + "get_ipython().run_line_magic('reset', '-f'); get_ipython().execution_count = 1",
            store_history=False, timeout=60, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RunError(f"could not reset the worker's kernel: {reply['content'].get('evalue')}")
        _WARM["cwd"] = cwd
    return km, _WARM["kc"]


#: Longest path a Unix socket may have on Linux (``sun_path`` is 108 bytes with its terminating NUL).
_MAX_SOCKET_PATH = 107


def _kernel_manager(kernel_name: str, connection_dir: str | None):
    """A kernel manager on the IPC transport, its connection file and sockets in ``connection_dir``.

    IPC (Unix domain sockets) rather than TCP: nothing listens on a network port, not even on
    127.0.0.1, so ipykernel has no reason to warn "Kernel is running over TCP without encryption" for
    every worker (messages are still signed with the connection file's key). The sockets are ``<connection file stem>-ipc-<n>`` in the run's ``.kernels/``
    folder, which the batch (or the guardian, after a kill) removes with the connection files. A socket
    path is limited to 107 bytes; a run folder too deep for that gets TCP on 127.0.0.1 instead.
    """
    from jupyter_client.manager import KernelManager
    from jupyter_core.paths import jupyter_runtime_dir

    folder = connection_dir or jupyter_runtime_dir()
    os.makedirs(folder, exist_ok=True)
    _WARM["kernels_started"] = n = _WARM.get("kernels_started", 0) + 1
    stem = os.path.join(os.path.abspath(folder), f"kernel-{os.getpid()}-{n}")
    if os.name == "posix" and len(os.fsencode(stem + "-ipc-99")) <= _MAX_SOCKET_PATH:
        km = KernelManager(kernel_name=kernel_name, transport="ipc")
        km.ip = stem + "-ipc"  # set before the connection file is written (the default would be relative to cwd)
    else:
        km = KernelManager(kernel_name=kernel_name, transport="tcp", ip="127.0.0.1")
    km.connection_file = stem + ".json"
    return km


def _warm_kernel_alive() -> bool:
    km = _WARM.get("km")
    try:
        return km is None or km.is_alive()
    except Exception:  # a manager that cannot even say is as good as dead
        return False


def _kill_warm_kernel() -> None:
    """Kill the worker's kernel now (its process group: the kernel and anything it started)."""
    km = _WARM.get("km")
    pid = getattr(getattr(km, "provisioner", None), "pid", None) if km is not None else None
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)  # jupyter_client starts each kernel in its own session
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _shutdown_warm_kernel() -> None:
    km = _WARM.pop("km", None)
    kc = _WARM.pop("kc", None)
    _WARM.pop("cwd", None)
    if kc is not None:
        kc.stop_channels()
    if km is not None:
        try:
            if km.is_alive():
                km.shutdown_kernel(now=True)
            else:
                km.cleanup_resources()
        except Exception:  # a kernel that is already gone needs no shutting down
            pass


def use_connection_dir(connection_dir: str) -> None:
    """Where this worker's kernels keep their connection files and sockets (a worker not started by
    :func:`worker_init`, e.g. a Dask worker)."""
    os.makedirs(connection_dir, exist_ok=True)
    _WARM["connection_dir"] = connection_dir


def stop_warm_kernel() -> None:
    """Kill this worker's kernel now and remove its connection files (a worker closing, or a run stopped)."""
    _kill_warm_kernel()
    km = _WARM.pop("km", None)
    kc = _WARM.pop("kc", None)
    _WARM.pop("cwd", None)
    for close in (getattr(kc, "stop_channels", None), getattr(km, "cleanup_resources", None)):
        try:
            if close is not None:
                close()
        except Exception:  # a kernel already gone leaves nothing to close
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
                result = client.execute()
            except BaseException:
                nb_man.output_path = output_path  # a dead or stopped kernel: the save on completion keeps what ran
                raise
            # Finished (a cell that raised included): papermill writes the notebook once more itself, so the save
            # on completion would only write the same bytes twice.
            return result

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)
