"""Executors: the local process pool and Dask (a real ``dask.distributed.LocalCluster``, no mocks).

The same small run (two leisure options, OBC, 200 draws) goes through the local pool and through a
two-worker LocalCluster: the bytes must match. The cluster is then reused, reached through its
scheduler's address as a remote cluster would be, to kill workers in the middle of a run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import pytest

from asdm_models import PROJECT_ROOT
from asdm_models.batch import ReportTask, plan_run, run_batch, run_plans
from asdm_models.cli import main
from asdm_models.executors import executor_text
from asdm_models.kernels import RUN_TOKEN_ENV

# The killer task below runs on a Dask worker, which cannot import this test module: send it by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

OPTIONS = ["no_change", "outsourcing"]
DRAWS = 200
SEED = 777


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("data")
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dest / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / "example_leisure"


@pytest.fixture(scope="module")
def local_run(data, tmp_path_factory):
    return run_batch(data, tmp_path_factory.mktemp("local"), options=OPTIONS, stages=["obc"], draws=DRAWS, seed=SEED,
                     jobs=2, progress=False)


@pytest.fixture(scope="module")
def dask_run(data, dask_executor, tmp_path_factory):
    return run_batch(data, tmp_path_factory.mktemp("dask"), options=OPTIONS, stages=["obc"], draws=DRAWS, seed=SEED,
                     executor=dask_executor, progress=False)


def _html_without_provenance(run) -> dict:
    """Each HTML report with the run's own provenance in its footer (run id, start time, and the suite's commit,
    which moves if someone commits between the two runs) blanked: the rest must match."""
    m = run.manifest
    date = m["started"].replace("T", " ").replace("+00:00", " UTC")
    own = {m["run_id"]: "RUN", date: "DATE", m["suite"].get("commit") or "no commit": "COMMIT"}
    pages = {}
    for p in sorted(run.run_dir.glob("*.html")):
        if p.name != "index.html":
            text = p.read_text(encoding="utf-8")
            for k, v in own.items():
                text = text.replace(k, v)
            pages[p.name] = text
    return pages


def test_local_pool_and_dask_give_the_same_bytes(local_run, dask_run):
    assert local_run.ok and dask_run.ok, (local_run.reports, dask_run.reports)
    assert (local_run.run_dir / "summary.csv").read_bytes() == (dask_run.run_dir / "summary.csv").read_bytes()
    notebooks = sorted(p.name for p in local_run.run_dir.glob("*.ipynb"))
    assert notebooks == ["no_change-obc.ipynb", "options_appraisal.ipynb", "outsourcing-obc.ipynb"]
    assert notebooks == sorted(p.name for p in dask_run.run_dir.glob("*.ipynb"))
    for name in notebooks:
        assert (local_run.run_dir / name).read_bytes() == (dask_run.run_dir / name).read_bytes(), name
    local_html, dask_html = _html_without_provenance(local_run), _html_without_provenance(dask_run)
    assert sorted(local_html) == ["no_change-obc.html", "options_appraisal.html", "outsourcing-obc.html",
                                  "summary.html"]
    assert local_html == dask_html


def test_the_manifest_records_the_executor_and_verify_passes(local_run, dask_run, capsys):
    m = json.loads((dask_run.run_dir / "manifest.json").read_text())
    assert m["executor"] == {"kind": "dask", "workers": 2, "scheduler": "LocalCluster"} == dask_run.executor
    assert m["jobs"] == 2
    cmd = m["command"]
    assert cmd[cmd.index("--executor") + 1] == "dask" and cmd[cmd.index("--jobs") + 1] == "2"
    local = json.loads((local_run.run_dir / "manifest.json").read_text())
    assert local["executor"] == {"kind": "local", "workers": 2}
    assert executor_text(m["executor"]) == "dask (LocalCluster), 2 workers"
    assert executor_text("local process pool") == "local process pool"  # manifests before issue 13
    assert main(["verify", str(dask_run.run_dir)]) == 0
    assert "verified" in capsys.readouterr().out


def _kill_own_worker(log: str) -> dict:
    """A task that kills the worker process running it, after noting that it started (once per attempt)."""
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(1.0)  # the run's reports are under way on the other worker
    os.kill(os.getpid(), signal.SIGKILL)
    return {"status": "ok"}  # never reached


def test_a_worker_killed_mid_run_fails_that_report_only(data, dask_executor, tmp_path):
    plan = plan_run(data, tmp_path / "out", options=["no_change"], stages=["obc"], draws=DRAWS, seed=SEED)
    log = tmp_path / "attempts.txt"
    killer = ReportTask("killer", _kill_own_worker, (str(log),), plan=plan)
    # Through the scheduler's address, as a remote cluster is reached (its workers checked first).
    (res,) = run_plans([plan], scheduler=dask_executor.cluster.scheduler_address, extra_tasks=[killer],
                       progress=False)
    assert not res.ok
    status = {r["name"]: r["status"] for r in res.reports}
    assert status == {"no_change-obc": "ok", "options_appraisal": "ok", "killer": "failed", "results.xlsx": "ok"}
    err = next(r["error"] for r in res.reports if r["name"] == "killer")
    assert err.startswith("worker died while running report killer:") and "not run again" in err
    assert len(log.read_text().split()) == 1  # started once: a report whose worker died is not re-run
    m = json.loads((res.run_dir / "manifest.json").read_text())
    assert m["status"] == "failed" and m["executor"]["scheduler"] == dask_executor.cluster.scheduler_address
    assert (res.run_dir / "no_change-obc.html").is_file()
    assert not any(p.name.startswith(".") and p.is_dir() for p in res.run_dir.iterdir())  # work folders removed


def _kernels_under(folder: Path) -> dict[int, int]:
    """Live ipykernel processes whose working folder is under ``folder``: pid -> parent pid (its worker)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{entry}/cwd")
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"ipykernel" in cmd and stat[0] != "Z" and Path(cwd).is_relative_to(folder):
            found[int(entry)] = int(stat[1])
    return found


def test_the_cli_exits_non_zero_when_a_worker_dies(data, dask_executor, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["run", str(data), "--out", str(out), "--options", "no_change", "--stages", "obc",
            "--draws", str(DRAWS), "--scheduler", dask_executor.cluster.scheduler_address, "--quiet"]
    code = []
    cli = threading.Thread(target=lambda: code.append(main(args)))
    cli.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and cli.is_alive():
        kernels = _kernels_under(out)
        if kernels:  # a report of this run is executing: kill the worker running it
            killed = next(iter(kernels.values()))
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    cli.join(timeout=120)
    assert killed is not None, "no report of the run was seen running"
    assert code == [1]
    captured = capsys.readouterr()
    assert "1 of 2 reports ok" in captured.out
    failed = [line for line in captured.err.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "worker died while running report" in failed[0], captured.err
    assert "Traceback" not in captured.err


def _kernels_of(ex) -> set[int]:
    """Live ipykernel processes of the executor's workers (they carry its token in their environment)."""
    needle = f"{RUN_TOKEN_ENV}={ex.token}".encode()
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            env = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            zombie = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if b"ipykernel" in cmd and needle in env and not zombie:
            found.add(int(entry))
    return found


def test_no_kernel_is_left_when_the_cluster_closes(dask_run, dask_executor):
    # Last of the tests on the module's cluster: it closes it (the fixture's own shutdown is then a no-op).
    before = _kernels_of(dask_executor)
    assert before, "the workers' warm kernels should be running until the cluster closes"
    dask_executor.shutdown()
    deadline = time.monotonic() + 2
    while _kernels_of(dask_executor) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _kernels_of(dask_executor) == set()
    assert not Path(dask_executor.connection_dir).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("extra, expect", [
    (["--scheduler", "tcp://127.0.0.1:{port}"],
     "error: --scheduler tcp://127.0.0.1:{port}: cannot connect (Connection refused); start a scheduler with "
     "`dask scheduler` or omit --scheduler"),
    (["--scheduler", "tcp://127.0.0.1:{port}", "--jobs", "2"], "error: --jobs 2 with --scheduler"),
    (["--executor", "local", "--scheduler", "tcp://127.0.0.1:{port}"], "a scheduler is for --executor dask"),
])
def test_a_bad_scheduler_is_one_line_and_exit_2(data, tmp_path, capsys, extra, expect):
    port = _free_port()  # nothing listens there
    out = tmp_path / "out"
    code = main(["run", str(data), "--out", str(out), "--quiet", *[a.format(port=port) for a in extra]])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and expect.format(port=port) in err, err
    assert not out.exists() or not any(out.rglob("*")), "nothing is created for a run that cannot start"
