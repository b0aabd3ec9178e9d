"""Trustworthy under faults and hostile data (issue 9): nothing silently dropped, nothing doctored, nothing left running.

Each test reproduces one finding of the red team on a copy of the bundled data. The memory-bomb
cases run in a subprocess with an address-space limit and a time limit, so a regression fails the
test instead of the machine. The process tests start real batches (papermill, real kernels) and
kill them as a user or the operating system would.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.batch import MAX_DRAWS, summary_csv_text
from asdm_models.cli import main
from asdm_models.errors import DataErrors, ScenarioError
from asdm_models.outputs import spreadsheet_safe, write_text_atomic
from asdm_models.provenance import suite_hashes
from asdm_models.scenarios import save_scenario
from asdm_models.verify import UNFINISHED_MARKER
from asdm_models.yamlio import MAX_INPUT_BYTES, read_yaml

ASDM = [sys.executable, "-m", "asdm_models.cli"]
MINI = PROJECT_ROOT / "tests" / "data" / "mini"
SMALL_RUN = ["--options", "no_change,shared_service", "--stages", "obc", "--draws", "100", "--quiet"]


def copy_leisure(dest: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dest / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / "example_leisure"


def copy_mini(dest: Path) -> Path:
    shutil.copytree(MINI, dest / "mini")
    return dest / "mini"


def run_folders(appraisal_dir: Path) -> list[Path]:
    """The run folders of an appraisal's output folder (not its ``latest`` link)."""
    return [d for d in appraisal_dir.iterdir() if not d.is_symlink()]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# ---------------------------------------------------------------------------------------------- 1. scenarios
def test_a_broken_scenario_file_stops_the_run_before_anything_runs(tmp_path, capsys):
    data = copy_leisure(tmp_path)
    p = data / "scenarios" / "pessimistic.yaml"
    p.write_text(p.read_text().replace("pay_inflation", "pay_inflaton", 1))
    out = tmp_path / "out"
    assert main(["run", str(data), "--out", str(out), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert "scenarios/pessimistic.yaml" in err and "pay_inflaton" in err
    assert not out.exists() or not any(out.rglob("*.html"))  # nothing ran


def test_asking_for_a_broken_scenario_says_what_is_wrong_with_it(tmp_path, capsys):
    data = copy_leisure(tmp_path)
    p = data / "scenarios" / "optimistic.yaml"
    p.write_text(p.read_text() + "\nstray_field: 1\n")
    assert main(["appraise", str(data), "--scenario", "optimistic", "--option", "trading_company"]) == 2
    err = one_line_error(capsys)
    assert "unknown scenario" not in err
    assert "scenarios/optimistic.yaml" in err and "stray_field" in err


# ---------------------------------------------------------------------------------------------- 2. verify
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One small real run, started as a user would: from another folder, with a relative --out (finding 3)."""
    base = tmp_path_factory.mktemp("run")
    old_cwd, old_mask = os.getcwd(), os.umask(0o022)
    try:
        os.chdir(base)
        code = main(["run", str(MINI), "--out", "runs", *SMALL_RUN])
    finally:
        os.chdir(old_cwd)
        os.umask(old_mask)
    assert code == 0
    (run_dir,) = run_folders(base / "runs" / "mini")
    return run_dir


@pytest.fixture()
def run_copy(small_run, tmp_path):
    dest = tmp_path / small_run.name
    shutil.copytree(small_run, dest)
    return dest


def test_a_relative_out_works_and_every_report_is_ok(small_run):
    assert (small_run.parent / "latest").resolve() == small_run.resolve()  # the newest run, by a relative link
    assert os.readlink(small_run.parent / "latest") == small_run.name
    summary = pd.read_csv(small_run / "summary.csv")
    assert set(summary["status"]) == {"ok"}
    assert (small_run / "shared_service-obc.html").is_file()
    assert not (small_run / UNFINISHED_MARKER).exists() and not (small_run / ".kernels").exists()


def test_outputs_have_the_permissions_an_ordinary_write_gives(small_run):
    for p in small_run.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p.name  # umask 022 during the run


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        write_text_atomic("x", tmp_path / "f.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == mode


def test_verify_passes_on_the_fresh_run(small_run, capsys):
    assert main(["verify", str(small_run)]) == 0, capsys.readouterr().out


def _edit_csv(path: Path, row_option: str, column: str, value: str) -> None:
    rows = list(csv.reader(path.open()))
    head = rows[0]
    for r in rows[1:]:
        if r[head.index("option")] == row_option and r[head.index("scenario")] == "base":
            r[head.index(column)] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("doctor, expect", [
    (lambda d: _edit_csv(d / "summary.csv", "shared_service", "gate", "proceed"), "gate is 'proceed', recomputed 'stop'"),
    (lambda d: _edit_csv(d / "summary.csv", "shared_service", "npsv_vs_no_change_gbp", "9999999"),
     "npsv_vs_no_change_gbp is £9,999,999.00, recomputed "),  # money as money (issue 10, point 7)
    (lambda d: (d / "shared_service-obc.html").write_text(
        (d / "shared_service-obc.html").read_text().replace("</body>", "<p>Recommended.</p></body>")),
     "output shared_service-obc.html: changed"),
    (lambda d: (d / "shared_service-obc.ipynb").write_text(
        (d / "shared_service-obc.ipynb").read_text().replace("shared", "Shared", 1)),
     "output shared_service-obc.ipynb: changed"),
    (lambda d: (d / "index.html").unlink(), "output index.html: missing"),
    (lambda d: (d / "extra_report.html").write_text("<p>planted</p>"), "output extra_report.html: not written by the run"),
])
def test_verify_catches_each_doctored_output(run_copy, doctor, expect, capsys):
    doctor(run_copy)
    assert main(["verify", str(run_copy)]) == 1
    out = capsys.readouterr().out
    assert expect in out, out


def test_verify_catches_code_changed_since_the_run(run_copy, capsys):
    # The manifest's record of one package file no longer matches the code that is installed.
    m = json.loads((run_copy / "manifest.json").read_text())
    m["suite_files"]["asdm_models/cashflows.py"] = "0" * 64
    (run_copy / "manifest.json").write_text(json.dumps(m))
    assert main(["verify", str(run_copy)]) == 1
    assert "suite code: 1 file differs" in capsys.readouterr().out


def test_suite_hashes_see_a_changed_package_file(tmp_path):
    pkg = tmp_path / "asdm_models"
    shutil.copytree(PROJECT_ROOT / "asdm_models", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = suite_hashes(pkg)
    assert before.keys() == suite_hashes().keys()
    f = pkg / "discounting.py"
    f.write_text(f.read_text().replace("1.035", "1.036"))
    after = suite_hashes(pkg)
    assert [k for k in before if before[k] != after[k]] == ["asdm_models/discounting.py"]


@pytest.mark.parametrize("content, expect", [
    ("{}", "not a complete run manifest"), ("[1, 2]", "expected a JSON object"), ("nul", "not valid JSON"),
    ('{"run_id": 1}', "not a complete run manifest"),
])
def test_verify_of_a_manifest_that_is_not_one_is_a_clear_error(tmp_path, content, expect, capsys):
    (tmp_path / "manifest.json").write_text(content)
    assert main(["verify", str(tmp_path)]) == 2
    assert expect in one_line_error(capsys)


def test_verify_of_an_unfinished_folder_says_so(tmp_path, capsys):
    (tmp_path / UNFINISHED_MARKER).write_text("unfinished: run x started ...\n")
    assert main(["verify", str(tmp_path)]) == 2
    assert "did not finish" in one_line_error(capsys)


# ---------------------------------------------------------------------------------------------- 5. hostile ids
@pytest.mark.parametrize("bad_id", ["../../../escaped", "", "a\x00b", "a/b", "ok\n", "-dash", "x" * 65, "dot.ted"])
def test_hostile_option_ids_are_refused_on_load(tmp_path, bad_id):
    data = copy_leisure(tmp_path)
    p = data / "options" / "outsourcing.yaml"
    p.write_text(p.read_text().replace("id: outsourcing", f"id: {json.dumps(bad_id)}", 1))
    with pytest.raises(DataErrors) as e:
        load_appraisal(data)
    msg = str(e.value)
    assert "options/outsourcing.yaml" in msg and "not a valid id" in msg and "letters, digits" in msg
    # and in a batch the option is set aside under its file name, never under the hostile id
    a = load_appraisal(data, partial=True)
    assert "outsourcing" in a.broken_options and bad_id not in a.broken_options


def test_a_hostile_appraisal_id_is_refused(tmp_path):
    data = copy_leisure(tmp_path)
    p = data / "appraisal.yaml"
    p.write_text(p.read_text().replace("appraisal: example_leisure", 'appraisal: "../../escaped"', 1))
    with pytest.raises(DataErrors, match="appraisal: '../../escaped' is not a valid id"):
        load_appraisal(data)


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text):
    assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe(-2.0) == -2.0 and spreadsheet_safe("Trading company") == "Trading company"


def test_summary_csv_neutralises_names_but_keeps_numbers(small_run):
    df = pd.read_csv(small_run / "summary.csv")
    df.loc[0, "name"] = "=HYPERLINK(\"http://evil\",\"click\")"
    text = summary_csv_text(df)
    back = pd.read_csv(pd.io.common.StringIO(text))
    assert back.loc[0, "name"].startswith("'=")
    pd.testing.assert_series_equal(back["npsv_gbp"], df["npsv_gbp"])  # numbers stay numbers (negatives too)


def test_every_csv_writer_neutralises_formula_text(tmp_path):
    from asdm_models.outputs import write_csv_atomic

    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Plain"], "npv_gbp": [-1097367.25, 2.5]})
    write_csv_atomic(df, tmp_path / "h.csv")
    back = pd.read_csv(tmp_path / "h.csv")
    assert list(back["name"]) == ["'=cmd|' /C calc'!A0", "Plain"]
    assert list(back["npv_gbp"]) == [-1097367.25, 2.5]


# ---------------------------------------------------------------------------------------------- 6. limits
def _limited(args: list[str], *, memory_mb: int = 1500, seconds: int = 60) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))

    return subprocess.run(ASDM + args, capture_output=True, text=True, timeout=seconds, preexec_fn=limit,
                          cwd=PROJECT_ROOT)


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghi":
        lines.append(f"{n}: &{n} [" + ",".join(["*" + prev] * 9) + "]")
        prev = n
    return "\nbomb:\n" + "".join(f"  {ln}\n" for ln in lines)


@pytest.mark.parametrize("case, tail, expect", [
    ("alias bomb", _alias_bomb(), "once its aliases are expanded"),
    ("deep nesting", "\ndeep: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    ("10 MB list", "\nbig: [" + ",".join(["1"] * 5_000_000) + "]\n", "input files are limited to 1 MiB"),
])
def test_hostile_yaml_is_refused_quickly_in_bounded_memory(tmp_path, case, tail, expect):
    data = copy_leisure(tmp_path)
    with (data / "options" / "outsourcing.yaml").open("a") as fh:
        fh.write(tail)
    t0 = time.monotonic()
    r = _limited(["validate", str(data)])
    assert r.returncode == 2, (case, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and expect in r.stderr
    assert time.monotonic() - t0 < 30


def test_a_400_digit_number_fails_its_option_only(tmp_path, capsys):
    data = copy_leisure(tmp_path)
    p = data / "options" / "outsourcing.yaml"
    p.write_text(p.read_text().replace("amount_gbp: 180000", "amount_gbp: " + "9" * 400, 1))
    assert main(["validate", str(data)]) == 2
    err = one_line_error(capsys)
    assert "a whole number of 400 digits is too large" in err and "9" * 100 not in err
    a = load_appraisal(data, partial=True)
    assert set(a.broken_options) == {"outsourcing"} and "trading_company" in a.options


def test_a_symlink_loop_fails_its_option_only(tmp_path, capsys):
    data = copy_leisure(tmp_path)
    (data / "options" / "outsourcing.yaml").unlink()
    os.symlink("outsourcing2.yaml", data / "options" / "outsourcing.yaml")
    os.symlink("outsourcing.yaml", data / "options" / "outsourcing2.yaml")
    assert main(["validate", str(data)]) == 2
    assert "symbolic link loop" in one_line_error(capsys)
    a = load_appraisal(data, partial=True)
    assert set(a.broken_options) == {"outsourcing", "outsourcing2"} and "trading_company" in a.options


def test_in_a_batch_a_400_digit_number_and_a_symlink_loop_fail_their_options_only(tmp_path, capsys):
    # The batch itself, not only the loader: the good options' reports are written, the broken ones are marked
    # failed in summary.csv with the reason, and the run exits 1.
    data = copy_leisure(tmp_path)
    p = data / "options" / "outsourcing.yaml"
    p.write_text(p.read_text().replace("amount_gbp: 180000", "amount_gbp: " + "9" * 400, 1))
    (data / "options" / "joint_venture.yaml").unlink()
    os.symlink("jv2.yaml", data / "options" / "joint_venture.yaml")
    os.symlink("joint_venture.yaml", data / "options" / "jv2.yaml")
    out = tmp_path / "out"
    code = main(["run", str(data), "--out", str(out), "--options", "no_change,outsourcing,joint_venture",
                 "--stages", "obc", "--draws", "50", "--jobs", "2", "--quiet"])
    printed = capsys.readouterr()
    assert code == 1 and "Traceback" not in printed.err, printed
    (run_dir,) = (out / "example_leisure").glob("2*")
    summary = pd.read_csv(run_dir / "summary.csv")
    status = dict(zip(summary["option"], summary["status"]))
    assert status == {"no_change": "ok", "outsourcing": "failed", "joint_venture": "failed"}
    errors = dict(zip(summary["option"], summary["error"]))
    assert "400 digits" in errors["outsourcing"] and "symbolic link loop" in errors["joint_venture"]
    assert (run_dir / "no_change-obc.html").is_file() and not (run_dir / "outsourcing-obc.html").exists()


def test_a_fifo_is_refused_without_hanging(tmp_path):
    data = copy_leisure(tmp_path)
    os.mkfifo(data / "options" / "x.yaml")
    r = _limited(["validate", str(data)], seconds=30)
    assert r.returncode == 2 and "options/x.yaml: is a pipe (FIFO)" in r.stderr and "Traceback" not in r.stderr


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("x: " + "1" * (MAX_INPUT_BYTES + 10))
    doc, errs = read_yaml(f, "big.yaml")
    assert doc is None and "limited to 1 MiB" in str(errs[0])


@pytest.mark.parametrize("ref_file, content, expect", [
    ("optimism_bias.yaml", "- a\n- b\n", "optimism_bias.yaml:1: expected a mapping"),
    ("discount_schedules.yaml", "schedules: [1]\n", "schedules: expected a mapping of schedules"),
    ("corporation_tax.yaml", "[]\n", "corporation_tax.yaml:1: expected a mapping"),
])
def test_a_reference_file_of_the_wrong_shape_is_a_clear_error(tmp_path, ref_file, content, expect, capsys):
    data = copy_leisure(tmp_path)
    (data.parent / "reference" / ref_file).write_text(content)
    assert main(["validate", str(data)]) == 2
    err = one_line_error(capsys)
    assert expect in err and "unknown category" not in err  # no knock-on errors
    # exactly one problem: the broken file, then the count (no value-for-money or other lines that follow from it)
    assert err.strip().splitlines()[-1] == "1 problem found.", err


@pytest.mark.parametrize("args, expect", [
    (["run", "{mini}", "--draws", "-5"], "draws must be a whole number from 0 to 100,000"),
    (["run", "{mini}", "--draws", "2000000000"], "draws must be a whole number from 0"),
    (["appraise", "{mini}", "--draws", "-5"], "draws must be a whole number"),
    (["run", "{mini}", "--jobs", "0"], "jobs must be a whole number from 1"),
    (["run", "{mini}", "--seed", "-1"], "seed must be a whole number"),
    (["run", "{mini}", "--out", "{file}"], "is a file, not a folder"),
    (["appraise", "{mini}", "--csv", "{file}/h.csv"], "cannot be written"),
    (["appraise", "{mini}", "--csv", "{tmp}"], "is a folder"),
])
def test_bad_arguments_are_one_clear_line(tmp_path, args, expect, capsys):
    (tmp_path / "afile").write_text("x")
    args = [a.format(mini=MINI, file=tmp_path / "afile", tmp=tmp_path) for a in args]
    assert main(args) == 2
    assert expect in one_line_error(capsys)
    assert MAX_DRAWS == 100_000


# ---------------------------------------------------------------------------------------------- 7. processes
def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` now (from /proc)."""
    parents = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                parents[int(e)] = int(Path(f"/proc/{e}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out.update(kids)
        todo.extend(kids)
    return out


def _alive(pids) -> set[int]:
    alive = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(p)
    return alive


def _cmdline(pid: int) -> bytes:
    """A process's command line, or b"" if it has just exited."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _start_run(out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(ASDM + ["run", str(MINI), "--out", str(out), *SMALL_RUN, *extra], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_kernel(proc: subprocess.Popen, seconds: float = 60) -> set[int]:
    """Wait until the batch has a kernel executing; returns its descendants then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        kernels = [k for k in kids if b"ipykernel" in _cmdline(k)]
        if kernels:
            time.sleep(1.0)  # let it start a report
            return _children(proc.pid)
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the batch never started a kernel")


def test_sigkill_of_the_batch_leaves_nothing_running(tmp_path):
    out = tmp_path / "out"
    proc = _start_run(out, "--jobs", "2")
    family = _wait_for_kernel(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(family) == set(), "workers or kernels outlived the batch by 5 s"
    (run_dir,) = run_folders(out / "mini")
    assert not (run_dir / "manifest.json").exists()
    time.sleep(0.5)
    assert "killed" in (run_dir / UNFINISHED_MARKER).read_text()
    assert not (run_dir / ".kernels").exists()  # connection files cleaned


def test_ctrl_c_stops_promptly_and_leaves_the_folder_marked(tmp_path):
    out = tmp_path / "out"
    proc = _start_run(out, "--jobs", "2")
    family = _wait_for_kernel(proc)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and time.monotonic() - t0 < 10
    assert "left unfinished" in err and "Traceback" not in err
    time.sleep(0.5)
    assert _alive(family) == set()
    (run_dir,) = run_folders(out / "mini")
    assert "interrupted" in (run_dir / UNFINISHED_MARKER).read_text()
    assert not (run_dir / "manifest.json").exists()


def test_a_killed_kernel_fails_its_report_and_the_rest_finish(tmp_path):
    out = tmp_path / "out"
    proc = _start_run(out, "--jobs", "2")
    family = _wait_for_kernel(proc)
    kernel = next(k for k in family if b"ipykernel" in _cmdline(k))
    t0 = time.monotonic()
    os.kill(kernel, signal.SIGKILL)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err[-2000:]
    assert time.monotonic() - t0 < 90
    assert "2 of 3 reports ok" in stdout and "kernel died" in err
    (run_dir,) = run_folders(out / "mini")
    assert (run_dir / "manifest.json").is_file()
    m = json.loads((run_dir / "manifest.json").read_text())
    assert sorted(r["status"] for r in m["reports"] if r.get("kind", "report") == "report") == ["failed", "ok", "ok"]


def test_the_per_report_time_limit_holds(tmp_path, capsys):
    t0 = time.monotonic()
    assert main(["run", str(MINI), "--out", str(tmp_path), *SMALL_RUN, "--timeout", "1", "--jobs", "2"]) == 1
    assert time.monotonic() - t0 < 60
    assert capsys.readouterr().err.count("timed out") == 3


def test_two_runs_started_together_never_share_a_folder(tmp_path):
    from asdm_models.batch import _make_run_dir

    dirs = {_make_run_dir(tmp_path, "20261202-000000-abcdef") for _ in range(5)}
    assert len(dirs) == 5 and all(d.is_dir() for d in dirs)


# ---------------------------------------------------------------------------------------------- 8. scenarios saved
def test_a_scenario_name_ending_in_a_newline_is_refused(tmp_path):
    data = copy_mini(tmp_path)
    with pytest.raises(ScenarioError, match="is not valid"):
        save_scenario(data, "ok\n", {"all": {"pay_inflation": 0.03}}, author="A", note="n")


def test_replacing_a_scenario_keeps_the_previous_version(tmp_path):
    data = copy_mini(tmp_path)
    first = save_scenario(data, "pay", {"all": {"pay_inflation": 0.03}}, author="A", note="first")
    before = first.read_text()
    with pytest.raises(ScenarioError, match="already exists"):
        save_scenario(data, "pay", {"all": {"pay_inflation": 0.04}}, author="B", note="second")
    save_scenario(data, "pay", {"all": {"pay_inflation": 0.04}}, author="B", note="second", overwrite=True)
    kept = list((data / "scenarios" / ".history").glob("pay.*.yaml"))
    assert len(kept) == 1 and kept[0].read_text() == before
    assert "0.04" in first.read_text() or "4%" in first.read_text()
    assert "pay" in load_appraisal(data).scenarios and len(load_appraisal(data).scenarios) == 2  # history not read


def test_the_explorer_warns_before_replacing_a_reviewed_scenario(tmp_path):
    from asdm_models.widgets import Explorer

    data = copy_mini(tmp_path)
    ex = Explorer(data, "trading_company", "obc")
    ex.scenario_name.value = "pessimistic"
    assert "already exists" in ex.save_status.value and "scenarios/.history/" in ex.save_status.value
    ex.scenario_name.value = "brand_new"
    assert ex.save_status.value == ""
