"""The HTML reports as files: one shared plotly.js per run folder (or self-contained reports), charts that
render offline either way, the provenance footer, a quiet run (no kernel warnings), a manifest whose paths
survive a moved tree and whose command re-runs, and ``asdm verify`` printing money as money.

Runs are small (the ``mini`` appraisal, two options, one stage, 100 draws: seconds each).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from offline_browser import open_offline

from asdm_models import PROJECT_ROOT
from asdm_models.batch import run_batch, verify_run
from asdm_models.cli import main
from asdm_models.kernels import PLOTLY_JS_FILE, _kernel_manager
from asdm_models.pack import inputs_digest

MINI = PROJECT_ROOT / "tests" / "data" / "mini"
OPTIONS = ["no_change", "shared_service"]
REPORTS = ["no_change-obc.html", "shared_service-obc.html", "options_appraisal.html"]


def copy_tree(dest: Path) -> Path:
    """The mini appraisal with the reference data beside it, as a user's own folder would be."""
    shutil.copytree(MINI, dest / "data" / "mini")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "data" / "reference")
    return dest / "data" / "mini"


def differences(run_dir: Path) -> list[str]:
    """Every difference verify_run finds (outputs, inputs, the suite's code, figures)."""
    return verify_run(run_dir).differences


def plotly_bundle_marker() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()[:200]


@pytest.fixture(scope="module")
def shared_cli(tmp_path_factory):
    """A run through the command line in a subprocess (default: shared plotly.js), its stderr captured."""
    base = tmp_path_factory.mktemp("shared")
    data = copy_tree(base)
    proc = subprocess.run([sys.executable, "-m", "asdm_models.cli", "run", str(data), "--out", str(base / "reports"),
                           "--options", ",".join(OPTIONS), "--stages", "obc", "--draws", "100", "--jobs", "2",
                           "--quiet"], capture_output=True, text=True, timeout=600, cwd=base)
    assert proc.returncode == 0, proc.stderr
    run_dir = next(p for p in (base / "reports" / "mini").iterdir() if p.name != "latest")
    return base, run_dir, proc


@pytest.fixture(scope="module")
def self_contained(tmp_path_factory):
    out = tmp_path_factory.mktemp("selfcontained")
    res = run_batch(MINI, out, options=OPTIONS, stages=["obc"], draws=100, jobs=2, progress=False, self_contained=True)
    assert res.ok, res.reports
    return res.run_dir


# ---------------------------------------------------------------------------------------------- quiet runs
def test_a_run_prints_no_kernel_warnings(shared_cli):
    _, _, proc = shared_cli
    err = proc.stderr
    assert "without encryption" not in err and "IPKernelApp" not in err, err
    assert "WARNING" not in err, err


def test_kernels_use_ipc_in_the_run_folder_and_tcp_only_when_the_path_is_too_long(tmp_path):
    km = _kernel_manager("python3", str(tmp_path / ".kernels"))
    assert km.transport == "ipc"
    assert Path(km.connection_file).parent == tmp_path / ".kernels"
    assert km.ip.startswith(str(tmp_path / ".kernels")) and km.ip.endswith("-ipc")
    deep = tmp_path / ("d" * 120) / ".kernels"
    km = _kernel_manager("python3", str(deep))
    assert km.transport == "tcp" and km.ip == "127.0.0.1"  # a Unix socket path would be over 107 bytes


def test_ipc_kernel_runs_code_and_its_sockets_are_in_the_folder(tmp_path):
    from jupyter_client.blocking import BlockingKernelClient

    km = _kernel_manager("python3", str(tmp_path))
    km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
    try:
        kc = BlockingKernelClient(connection_file=km.connection_file)
        kc.load_connection_file()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive("x = 6 * 7", timeout=60)
        assert reply["content"]["status"] == "ok"
        assert json.loads(Path(km.connection_file).read_text())["transport"] == "ipc"
        assert any(p.name.startswith(Path(km.connection_file).stem + "-ipc-") for p in tmp_path.iterdir())
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


# ---------------------------------------------------------------------------------------------- smaller reports
def test_shared_mode_writes_one_local_plotly_js_and_small_reports(shared_cli):
    from plotly.offline import get_plotlyjs

    _, run_dir, _ = shared_cli
    js = run_dir / PLOTLY_JS_FILE
    assert js.read_text(encoding="utf-8") == get_plotlyjs()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert PLOTLY_JS_FILE in manifest["outputs"] and manifest["plotly_js"] == PLOTLY_JS_FILE
    marker = plotly_bundle_marker()
    for name in REPORTS:
        html = (run_dir / name).read_text(encoding="utf-8")
        assert f'<script src="{PLOTLY_JS_FILE}"' in html or f'src="{PLOTLY_JS_FILE}"' in html, name
        assert marker not in html, name
        assert (run_dir / name).stat().st_size < 1_000_000, name  # was about 5 MB each
    assert differences(run_dir) == []  # the shared copy is an output like any other: a doctored one is named
    js.write_text(js.read_text(encoding="utf-8") + "\n// doctored\n", encoding="utf-8")
    try:
        assert any(d.startswith(f"output {PLOTLY_JS_FILE}: changed") for d in differences(run_dir))
    finally:
        js.write_text(get_plotlyjs(), encoding="utf-8")


def test_self_contained_reports_embed_plotly_js(self_contained):
    assert not (self_contained / PLOTLY_JS_FILE).exists()
    manifest = json.loads((self_contained / "manifest.json").read_text())
    assert manifest["plotly_js"] == "embedded in each report"
    assert "--self-contained" in manifest["command"]
    marker = plotly_bundle_marker()
    for name in REPORTS:
        html = (self_contained / name).read_text(encoding="utf-8")
        assert marker in html and f'src="{PLOTLY_JS_FILE}"' not in html, name
        assert html.count(marker) == 1, name  # once, in the head


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["shared", "self-contained"])
def test_charts_render_offline_in_both_modes(mode, shared_cli, self_contained, tmp_path):
    run_dir = shared_cli[1] if mode == "shared" else self_contained
    seen = open_offline(run_dir / "shared_service-obc.html", tmp_path / "report.png")
    assert seen["divs"] >= 3 and seen["plots"] == seen["divs"] and seen["drawn"] >= seen["plots"], seen
    assert seen["remote"] == [] and seen["notice"] == 0
    assert "Provenance: run" in seen["text"]
    assert (tmp_path / "report.png").stat().st_size > 10_000


@pytest.mark.browser
def test_a_shared_report_sent_alone_says_what_it_needs(shared_cli, self_contained, tmp_path):
    """Without the run folder's plotly.min.js the charts cannot draw: the page says so instead of showing blanks;
    a self-contained report sent alone still draws."""
    shutil.copy(shared_cli[1] / "shared_service-obc.html", tmp_path / "alone.html")
    seen = open_offline(tmp_path / "alone.html", tmp_path / "alone.png")
    assert seen["drawn"] == 0 and seen["notice"] == 1
    assert "plotly.min.js" in seen["text"] and "--self-contained" in seen["text"]
    (tmp_path / "sc").mkdir()
    shutil.copy(self_contained / "shared_service-obc.html", tmp_path / "sc" / "alone.html")
    seen = open_offline(tmp_path / "sc" / "alone.html", tmp_path / "sc.png")
    assert seen["drawn"] >= 3 and seen["notice"] == 0


# ---------------------------------------------------------------------------------------------- provenance
@pytest.mark.parametrize("mode", ["shared", "self-contained"])
def test_every_report_carries_its_provenance_in_a_footer(mode, shared_cli, self_contained):
    import re

    run_dir = shared_cli[1] if mode == "shared" else self_contained
    m = json.loads((run_dir / "manifest.json").read_text())
    digest = inputs_digest(m)
    assert m["inputs_sha256"] == digest
    for name in REPORTS:
        html = (run_dir / name).read_text(encoding="utf-8")
        found = re.search(r'<footer class="asdm-provenance".*?</footer>', html, re.S)
        assert found, name
        footer = re.sub(r"<[^>]+>", "", found.group(0))
        assert f"run {m['run_id']}" in footer, footer
        assert f"asdm {m['packages']['asdm']}" in footer
        if m["suite"]["commit"]:
            assert f"commit {m['suite']['commit']}" in footer
        assert f"inputs sha256 {digest}" in footer
        assert m["started"][:10] in footer


# ---------------------------------------------------------------------------------------------- manifest paths
def test_manifest_paths_are_relative_and_a_moved_tree_verifies(shared_cli, tmp_path, capsys):
    base, run_dir, _ = shared_cli
    m = json.loads((run_dir / "manifest.json").read_text())
    assert Path(m["data_dir"]).is_absolute() and Path(m["data_dir"]) == (base / "data" / "mini").resolve()
    assert not Path(m["data_dir_relative"]).is_absolute()
    assert (run_dir / m["data_dir_relative"]).resolve() == Path(m["data_dir"])
    assert all(not Path(p).is_absolute() for p in m["outputs"]) and all(not Path(p).is_absolute() for p in m["inputs"])
    # Move the whole tree (data and reports together): the recorded absolute path is gone, the relative one works.
    moved = tmp_path / "elsewhere"
    shutil.copytree(base, moved, symlinks=True)
    shutil.move(str(base / "data"), str(tmp_path / "data-gone"))
    try:
        moved_run = moved / run_dir.relative_to(base)
        assert differences(moved_run) == []
        main(["verify", str(moved_run)])
        out = capsys.readouterr().out.splitlines()
        assert [line for line in out if line.startswith("input ")] == []  # no input missing or changed
    finally:
        shutil.move(str(tmp_path / "data-gone"), str(base / "data"))


def test_the_recorded_command_reruns_to_the_same_figures(shared_cli, capsys):
    _, run_dir, _ = shared_cli
    m = json.loads((run_dir / "manifest.json").read_text())
    cmd = m["command"]
    assert cmd[:2] == ["asdm", "run"] and "--quiet" not in cmd
    before = set((run_dir.parent).iterdir())
    assert main(cmd[1:] + ["--quiet"]) == 0, capsys.readouterr().err
    new = [p for p in set(run_dir.parent.iterdir()) - before if p.name != "latest"]
    assert len(new) == 1
    again = json.loads((new[0] / "manifest.json").read_text())
    assert again["command"] == cmd  # the same run, recorded the same way
    assert (new[0] / "summary.csv").read_bytes() == (run_dir / "summary.csv").read_bytes()
    shutil.rmtree(new[0])


# ---------------------------------------------------------------------------------------------- verify's money
def test_verify_prints_money_as_money(shared_cli, tmp_path, capsys):
    _, run_dir, _ = shared_cli
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    m = json.loads((copy / "manifest.json").read_text())
    rep = next(r for r in m["reports"] if r["name"] == "shared_service-obc")
    row = next(r for r in rep["metrics"] if r["scenario"] == "base")
    true_npsv = row["npsv_gbp"]
    row["npsv_gbp"] = true_npsv + 0.42  # a doctored record, 42p out
    row["prob_beats_no_change"] = 0.5 if row["prob_beats_no_change"] != 0.5 else 0.25
    (copy / "manifest.json").write_text(json.dumps(m))
    with open(copy / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    target = next(r for r in rows if r["option"] == "shared_service" and r["scenario"] == "base")
    target["npsv_gbp"] = repr(float(target["npsv_gbp"]) + 1000)  # a doctored summary, £1,000 out
    with open(copy / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["verify", str(copy)]) == 1
    out = capsys.readouterr().out

    def pounds(x):
        return f"{'-' if x < 0 else ''}£{abs(x):,.2f}"

    want = f"npsv_gbp was {pounds(true_npsv + 0.42)}, now {pounds(true_npsv)} (-£0.42)"
    assert want in out, out
    assert f"npsv_gbp is {pounds(true_npsv + 1000)}, recomputed {pounds(true_npsv)} (-£1,000.00)" in out, out
    assert "prob_beats_no_change was " in out and "%, now " in out
    assert "'" + repr(true_npsv) not in out  # never the raw float text
