"""Verification of a run folder: the API behind ``asdm verify``.

``verify_run`` trusts nothing in the folder but the manifest's record, and checks, naming each
difference:

1. every **output** the manifest lists (reports, notebooks, ``summary.csv``, figures, packs,
   workbooks) still has its recorded sha256, and no file has been added to the folder since;
2. every **input** (the appraisal's data, the reference data) still has its recorded sha256, and
   no input file is new;
3. the **suite's own code** (every file of the ``asdm_models`` package and the report notebooks)
   is the code that produced the run, so a changed formula is caught;
4. every **figure** is recomputed in-process with the recorded seed, draws and scenario and
   compared exactly with the figures the reports recorded *and* with ``summary.csv`` as written.

The manifest itself is the root of trust: keep a copy (or its sha256) wherever the decision the
run supported is recorded.

Two kinds of file are not part of a run's figures and are reported as notes, not differences:

* **journey records** (:func:`asdm_models.decisions.is_journey_record`): the decision log
  ``decisions.yaml``, the papers filed under ``decisions/`` and the outturn under ``actuals/``, which
  are written after the runs they cite;
* a **filed record** is itself verifiable: ``<appraisal>/decisions/<run-id>/`` holding the run's
  ``manifest.json`` (and usually ``summary.csv``), filed with the minutes. Its data folder is that
  appraisal folder; only the outputs filed there are checked (``summary.csv`` cell by cell too), and
  other files added beside them are not errors.

Whatever the folder, when the appraisal's decision log names the run, the notes say which decisions
relied on it and whether its figures still hold.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .decisions import FILED_DIR, is_journey_record, load_decisions
from .errors import RunError
from .outputs import json_safe
from .provenance import input_hashes, sha256_file, suite_hashes
from .reference import PROJECT_ROOT
from .units import format_gbp

__all__ = ["verify_run", "VerifyResult", "read_manifest", "filed_appraisal", "UNFINISHED_MARKER", "MANIFEST"]

MANIFEST = "manifest.json"
#: Written when a run starts and removed when its manifest is complete; a folder holding it did not finish.
UNFINISHED_MARKER = "RUN-UNFINISHED.txt"

# What a manifest must hold for verification to mean anything: key -> accepted types.
_REQUIRED = {"run_id": str, "data_dir": str, "seed": int, "draws": int, "scenario": str, "reports": list,
             "inputs": dict, "outputs": dict, "suite_files": dict}
_REPORT_KEYS = {"name": str, "status": str, "metrics": (list, type(None))}


@dataclass
class VerifyResult:
    run_dir: Path
    differences: list  # one line each
    checked: int
    notes: list = field(default_factory=list)  # things not compared (reports that had failed)

    @property
    def ok(self) -> bool:
        return not self.differences


def read_manifest(run_dir: Path) -> dict:
    """The run's manifest, checked for the fields verification needs; RunError saying what is wrong otherwise."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: not a folder (give the run folder, e.g. reports/example_leisure/<run-id>)")
    mpath = run_dir / MANIFEST
    if not mpath.is_file():
        if (run_dir / UNFINISHED_MARKER).exists():
            first = (run_dir / UNFINISHED_MARKER).read_text(encoding="utf-8", errors="replace").splitlines()[:1]
            raise RunError(f"{run_dir}: this run did not finish ({UNFINISHED_MARKER}: {' '.join(first)}); "
                           "there is nothing to verify: run it again")
        raise RunError(f"{run_dir}: no {MANIFEST} (not a run folder, or the run did not finish)")
    if mpath.stat().st_size > 50 * 2**20:
        raise RunError(f"{mpath}: {mpath.stat().st_size / 2**20:.0f} MiB is too large for a run manifest")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise RunError(f"{mpath}: not UTF-8 text, so not a run manifest") from None
    except json.JSONDecodeError as e:
        raise RunError(f"{mpath}: not valid JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise RunError(f"{mpath}: nested too deeply to be a run manifest") from None
    if not isinstance(manifest, dict):
        raise RunError(f"{mpath}: expected a JSON object (a run's record), got a {type(manifest).__name__}")
    problems = [f"{k} ({t.__name__})" for k, t in _REQUIRED.items()
                if not isinstance(manifest.get(k), t) or isinstance(manifest.get(k), bool)]
    if problems:
        raise RunError(f"{mpath}: not a complete run manifest: missing or invalid {', '.join(problems)}")
    for i, rep in enumerate(manifest["reports"]):
        if not isinstance(rep, dict) or any(not isinstance(rep.get(k), t) for k, t in _REPORT_KEYS.items()):
            raise RunError(f"{mpath}: reports[{i}] is not a report record (needs name, status and metrics)")
    for group in ("inputs", "outputs", "suite_files"):
        bad = [k for k, v in manifest[group].items() if not isinstance(v, str) or len(v) != 64]
        if bad:
            raise RunError(f"{mpath}: {group} must map each file to its sha256; {bad[0]!r} does not")
    return manifest


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _money(v: float) -> str:
    """Money to the penny, as verification compares it: ``£1,097,367.42``, ``-£0.05``."""
    return f"{'-' if v < 0 else ''}£{abs(v):,.2f}"


def _number(v):
    """A recorded value as a number (a float of the manifest, or a cell of ``summary.csv``), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v.strip():
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _is_money(field: str) -> bool:
    return field.endswith("_gbp")


def _shown(v, field: str = "") -> str:
    """A recorded value as a reader would want it: money as money (to the penny, since figures must match
    exactly), a probability as a percentage, a missing figure as "empty"; anything else as recorded.

    >>> _shown(-1097367.4213, "npsv_gbp"), _shown("1829275.5", "p50_npsv_vs_no_change_gbp"), _shown(None, "bcr")
    ('-£1,097,367.42', '£1,829,275.50', 'empty')
    >>> _shown(0.8125, "prob_beats_no_change"), _shown("2029-30", "payback_year"), _shown(12345.0)
    ('81.25%', "'2029-30'", '£12,345')
    """
    if v is None or v == "":
        return "empty"
    x = _number(v)
    if x is not None and math.isfinite(x):
        if _is_money(field):
            return _money(x)
        if field.startswith("prob_"):
            return f"{x * 100:.4g}%"
        if not field and isinstance(v, float) and abs(x) >= 1000:  # a figure of unknown kind: money in this suite
            return format_gbp(x)
    return repr(v)


def _changed(field: str, old, new) -> str:
    """``was X, now Y`` with, for money, the difference: ``(+£0.42)``."""
    text = f"was {_shown(old, field)}, now {_shown(new, field)}"
    a, b = _number(old), _number(new)
    if _is_money(field) and a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
        d = b - a
        text += f" ({'+' if d >= 0 else '-'}£{abs(d):,.2f})"
    return text


def _inside(run_dir: Path, rel: str) -> Path | None:
    """``run_dir / rel`` if ``rel`` stays inside the run folder (a doctored manifest cannot point elsewhere)."""
    p = (run_dir / rel).resolve()
    return p if p.is_relative_to(run_dir.resolve()) else None


def _check_files(recorded: dict, base: Path, what: str, diffs: list, *, inside: bool = False) -> None:
    for shown, digest in recorded.items():
        p = _inside(base, shown) if inside else (base / shown).resolve()
        if p is None:
            diffs.append(f"{what} {shown}: outside the run folder, so it cannot be one of its outputs")
            continue
        if not p.is_file():
            diffs.append(f"{what} {shown}: missing (recorded sha256 {digest[:12]}...)")
            continue
        now = sha256_file(p)
        if now != digest:
            diffs.append(f"{what} {shown}: changed since the run (sha256 {digest[:12]}... now {now[:12]}...)")


def run_files(run_dir: Path) -> list[str]:
    """Every file in a run folder (relative, POSIX), except the manifest and the unfinished marker."""
    out = []
    for p in sorted(Path(run_dir).rglob("*")):
        if p.is_file() or p.is_symlink():
            rel = p.relative_to(run_dir).as_posix()
            if rel not in (MANIFEST, UNFINISHED_MARKER):
                out.append(rel)
    return out


def _csv_cells(text: str, key_cols: tuple) -> dict:
    """A CSV as ``{key: {column: text}}`` (rows keyed by ``key_cols``) plus the header under key ``None``."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {None: []}
    head = rows[0]
    out: dict = {None: head}
    for r in rows[1:]:
        cells = dict(zip(head, r))
        out[tuple(cells.get(k) for k in key_cols)] = cells
    return out


def compare_csv(path: Path, expected_csv: str, key_cols: tuple, diffs: list) -> int:
    """Compare a CSV as written with the one the recomputed figures give, cell by cell; returns cells checked.

    Rows are matched by ``key_cols``; each difference is one line in ``diffs`` naming the file, the row, the
    column and both values. A missing file checks nothing (it is reported as a missing output).
    """
    name = path.name
    if not path.is_file():
        return 0
    try:
        written = _csv_cells(path.read_text(encoding="utf-8"), key_cols)
    except (UnicodeDecodeError, csv.Error) as e:
        diffs.append(f"{name}: cannot be read as CSV ({e})")
        return 0
    fresh = _csv_cells(expected_csv, key_cols)
    if written[None] != fresh[None]:
        diffs.append(f"{name}: its columns differ from the suite's (" + ", ".join(written[None][:5]) + ", ...)")
        return 0
    checked = 0
    for key, cells in fresh.items():
        if key is None:
            continue
        old = written.get(key)
        label = " ".join(k for k in key if k)
        if old is None:
            diffs.append(f"{name} row {label}: missing")
            continue
        for col, v in cells.items():
            checked += 1
            if old.get(col) != v:
                diffs.append(f"{name} row {label}: {col} " + _changed(col, old.get(col), v)
                             .replace("was ", "is ", 1).replace(", now ", ", recomputed ", 1))
    for key in written:
        if key is not None and key not in fresh:
            diffs.append(f"{name} row {' '.join(k for k in key if k)}: not produced by the run")
    return checked


def _compare_summary(run_dir: Path, expected_csv: str, diffs: list) -> int:
    """Compare ``summary.csv`` as written with the one the recomputed figures give, cell by cell."""
    return compare_csv(run_dir / "summary.csv", expected_csv, ("option", "stage", "scenario"), diffs)


def check_suite_code(manifest: dict, diffs: list) -> None:
    """One line in ``diffs`` when the suite's code (every file of the package) is not the code that made the run."""
    now_suite = suite_hashes()
    changed = sorted(f for f in set(manifest["suite_files"]) | set(now_suite)
                     if manifest["suite_files"].get(f) != now_suite.get(f))
    if changed:
        suite = manifest.get("suite") if isinstance(manifest.get("suite"), dict) else {}
        commit = suite.get("commit") if isinstance(suite.get("commit"), str) else None
        where = f" (git checkout {commit[:12]}{', plus the uncommitted changes it had' if suite.get('dirty') else ''})" \
            if commit else ""
        diffs.append(f"suite code: {len(changed)} file{'s differ' if len(changed) != 1 else ' differs'} from the code "
                     f"that produced the run ({', '.join(changed[:8])}{', ...' if len(changed) > 8 else ''}); verify "
                     f"with the suite as it was{where}")


def _data_dir(run_dir: Path, manifest: dict, data_dir=None) -> Path:
    """The appraisal's data: ``data_dir`` if given; the recorded absolute path if it is still there; else the
    recorded path relative to the run folder (``data_dir_relative``) if that is there; else the absolute one
    (whose files are then reported missing)."""
    if data_dir:
        return Path(data_dir).resolve()
    recorded = Path(manifest["data_dir"])
    if recorded.is_dir():
        return recorded.resolve()
    rel = manifest.get("data_dir_relative")
    if isinstance(rel, str) and rel and not Path(rel).is_absolute():
        moved = (Path(run_dir) / rel).resolve()
        if moved.is_dir():
            return moved
    return recorded.resolve()


_JOURNEY_WHY = "a journey record, written after the run it cites; it does not enter the run's figures"


def filed_appraisal(run_dir: Path) -> Path | None:
    """The appraisal folder of a filed record ``<appraisal>/decisions/<run-id>/``, else None.

    A filed record is a folder under ``decisions/`` of a folder holding ``appraisal.yaml``: the papers
    filed with a gate's minutes (a copy of the run's ``manifest.json`` and usually ``summary.csv``).
    """
    run_dir = Path(run_dir).resolve()
    parent = run_dir.parent
    if parent.name == FILED_DIR and (parent.parent / "appraisal.yaml").is_file():
        return parent.parent
    return None


def _decision_notes(data: Path, appraisal_id: str, options, run_id, checked: int, differ: int | None,
                    other: bool) -> list[str]:
    """Notes naming the decisions of the appraisal's log that relied on this run, and whether its figures hold.

    ``differ`` is the number of figures that differ, or None when they could not be recomputed.
    """
    try:
        log, errors, _ = load_decisions(data, appraisal_id, options)
    except Exception as e:  # pragma: no cover - load_decisions collects problems; never let a note break verify
        return [f"the decision log could not be read ({type(e).__name__}: {e})"]
    if log is None or not isinstance(run_id, str):
        return []
    notes = []
    for d in log.for_run(run_id):
        head = f"{d.describe()} relied on this run"
        if differ is None:
            notes.append(f"{head}: its figures could not be recomputed (see the differences above)")
        elif differ:
            notes.append(f"{head}: {differ} of its figures differ (listed above)")
        else:
            notes.append(f"{head}: its {checked} figures still hold"
                         + ("; the other differences are listed above" if other else ""))
    if errors:
        n = len(errors)
        notes.append(f"the decision log {errors[0].file} has {n} problem{'s' if n != 1 else ''} "
                     f"(asdm validate lists them), the first: {errors[0]}")
    return notes


def _compare_realisation(appraisal, rep: dict, diffs: list) -> int:
    """The benefits-realisation report's figures recomputed from the actuals as they are now."""
    from .realisation import realisation, realisation_rows

    if appraisal.actuals is None:
        diffs.append(f"report {rep['name']}: the actuals it was run on no longer load"
                     + (f" ({appraisal.actuals_errors[0]})" if appraisal.actuals_errors else " (no actuals/ folder)"))
        return 0
    fresh = json.loads(json.dumps(json_safe(realisation_rows(realisation(appraisal)))))
    checked = 0
    for i, old in enumerate(rep.get("metrics") or []):
        new = fresh[i] if i < len(fresh) else {}
        for k, v in old.items():
            checked += 1
            if not _same(v, new.get(k)):
                diffs.append(f"report {rep['name']}: {k} {_changed(k, v, new.get(k))}")
    return checked


def verify_run(run_dir, *, data_dir=None) -> VerifyResult:
    """Check a run folder against its manifest: outputs, inputs, the suite's code, and every figure recomputed.

    Deterministic figures must match exactly; so must Monte Carlo figures (the seed is recorded).
    The model is recomputed in-process with the recorded seed, draws and scenario (the reports'
    figures come from the same functions), so verification takes seconds, not a batch.

    Raises
    ------
    RunError
        The folder is not a finished run, or its manifest is not a run manifest.
    """
    from .assumptions import load_appraisal
    from .batch import summary_csv_text, summary_frame
    from .business_case import summary_rows

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    diffs: list[str] = []
    notes: list[str] = []
    filed = filed_appraisal(run_dir)

    # 1. outputs: each recorded file unchanged, nothing added; a filed record holds only some of them
    if filed is None:
        _check_files(manifest["outputs"], run_dir, "output", diffs, inside=True)
        for rel in run_files(run_dir):
            if rel not in manifest["outputs"]:
                diffs.append(f"output {rel}: not written by the run (not in the manifest)")
    else:
        present = {rel: h for rel, h in manifest["outputs"].items()
                   if (p := _inside(run_dir, rel)) is not None and p.is_file()}
        _check_files(present, run_dir, "output", diffs, inside=True)
        absent = len(manifest["outputs"]) - len(present)
        total = len(manifest["outputs"])
        notes.append(f"filed record of run {manifest['run_id']} (papers filed with the minutes of {filed.name}): "
                     f"{len(present)} of its {total} output{'s' if total != 1 else ''} "
                     f"{'is' if len(present) == 1 else 'are'} filed here and checked")
        if absent:
            notes.append(f"{absent} output{'s' if absent != 1 else ''} of the run {'are' if absent != 1 else 'is'} "
                         "not filed here; their sha256 are in the manifest")

    # 2. inputs: where the caller says, else (a filed record) its appraisal folder, else where the run read
    # them, else where they are relative to the run folder now (a tree moved as a whole, data beside the reports).
    # Journey records (the decision log, filed papers, actuals) are notes: they are written after the run.
    if data_dir is None and filed is not None:
        data = filed.resolve()
    else:
        data = _data_dir(run_dir, manifest, data_dir)
    journey = {k: v for k, v in manifest["inputs"].items() if is_journey_record(k)}
    journey_notes: list[str] = []
    _check_files({k: v for k, v in manifest["inputs"].items() if k not in journey}, data.parent, "input", diffs)
    _check_files(journey, data.parent, "journey record", journey_notes)
    notes.extend(f"{n} ({_JOURNEY_WHY})" for n in journey_notes)
    _check_files(manifest.get("notebooks", {}), PROJECT_ROOT, "suite notebook", diffs)

    # 3. the suite's code
    check_suite_code(manifest, diffs)

    try:
        appraisal = load_appraisal(data, partial=True)
    except Exception as e:  # invalid data now: every metric would differ; say why once
        errors = getattr(e, "errors", None)
        if isinstance(errors, list) and errors:  # DataErrors: the count and the first, not just the heading
            first = str(errors[0])
            diffs.append(f"the appraisal data no longer loads: {len(errors)} problem{'s' if len(errors) != 1 else ''}"
                         f" (asdm validate lists them), the first: {first}")
        else:
            diffs.append(f"the appraisal data no longer loads: {str(e).splitlines()[0]}")
        appraisal_id = manifest.get("appraisal") if isinstance(manifest.get("appraisal"), str) else data.name
        notes.extend(_decision_notes(data, appraisal_id, None, manifest["run_id"], 0, None, True))
        return VerifyResult(run_dir, diffs, 0, notes)
    recorded = set(manifest["inputs"])
    for now_file in sorted(input_hashes(appraisal.input_files, base=data.parent)):
        if now_file not in recorded:
            if is_journey_record(now_file):
                notes.append(f"journey record {now_file}: new since the run ({_JOURNEY_WHY})")
            else:
                diffs.append(f"input {now_file}: new since the run (not in the manifest)")

    # 4. every figure, against the reports' record and against summary.csv
    checked = 0
    before_figures = len(diffs)
    scen = manifest["scenario"]
    fresh_reports = []
    for rep in manifest["reports"]:
        fresh_rep = dict(rep)
        fresh_reports.append(fresh_rep)
        if rep.get("kind") == "realisation" and rep["status"] == "ok":
            checked += _compare_realisation(appraisal, rep, diffs)
            continue
        if rep.get("option") is None:
            continue
        if rep["status"] != "ok":
            notes.append(f"report {rep['name']}: recorded as failed, so there are no figures to compare ({rep.get('error')})")
            continue
        if rep["option"] not in appraisal.options:
            diffs.append(f"report {rep['name']}: option {rep['option']!r} no longer loads")
            continue
        bc_rows = summary_rows(appraisal, rep["option"], rep["stage"], seed=manifest["seed"], draws=manifest["draws"],
                               scenario=None if scen == "base" else scen)[3]
        fresh_rows = json.loads(json.dumps(json_safe(bc_rows)))
        fresh_rep["metrics"] = fresh_rows
        fresh = {r["scenario"]: r for r in fresh_rows}
        for old in rep["metrics"] or []:
            new = fresh.get(old.get("scenario"))
            if new is None:
                diffs.append(f"report {rep['name']} scenario {old.get('scenario')}: no longer produced")
                continue
            for k, v in old.items():
                checked += 1
                if not _same(v, new.get(k)):
                    diffs.append(f"report {rep['name']} scenario {old['scenario']}: {k} {_changed(k, v, new.get(k))}")
    summary = summary_frame(appraisal, fresh_reports, scen)
    checked += _compare_summary(run_dir, summary_csv_text(summary), diffs)

    # 5. the decisions that relied on this run, from the appraisal's decision log
    differ = len(diffs) - before_figures
    notes.extend(_decision_notes(data, appraisal.id, appraisal.options, manifest["run_id"], checked, differ,
                                 before_figures > 0))
    return VerifyResult(run_dir, diffs, checked, notes)
