"""Take it away: the explorer's tables, settings and charts in forms a finance officer can use elsewhere.

:func:`table_tsv`
    A table as tab-separated text that pastes into Excel as cells (and reads back with
    ``pandas.read_csv(io.StringIO(text), sep="\\t")`` as the same numbers).
:func:`settings_workbook_bytes`
    The explorer's current settings as a workbook in the format of ``asdm excel import``: the
    appraisal's own data with the explorer's values written where the data keeps them.
:func:`chart_png_bytes`
    A chart as a print-quality PNG with the "ILLUSTRATIVE DATA" mark and a source line, drawn by
    kaleido in the machine's own Chromium (one browser for the process, started on first use).

The browser side (a copy button and a download button) is :mod:`asdm_models.browser_buttons`.

Where the settings go
---------------------
The explorer holds ``{path: value in model units}`` (:func:`asdm_models.widgets.control_specs`).
Each value is written in the data's own form (:func:`asdm_models.scenarios.data_value`: ``"3.5%"``,
``"2028-29"``, whole pounds as whole numbers) at the place that gives the explorer's figure:

=========================================  ==========================================================
path                                       written to
=========================================  ==========================================================
economy driver (``pay_inflation``)         ``appraisal.yaml`` ``economy.<driver>``
``current_service.<driver>``               ``appraisal.yaml`` ``current_service.<driver>``
``current_service.lines.<id>.<field>``     the current service's line ``<id>``
an option's driver (``staff_fte``)         OBC: the option's ``drivers``; FBC: its ``fbc.changes``
``one_off_costs|capital|risks.<id>.<f>``   OBC: the option's item; FBC: its ``fbc.changes`` by path
``lines.<id>.<field>``                     OBC: the option's line (restated if it only kept the
                                           current service's); FBC: its ``fbc.changes`` by path
=========================================  ==========================================================

A driver entry (or a line) keeps its source and confidence; its ``note`` says the value was set in
the explorer and what the data said; a one-off or capital item's ``source`` gets the same words
added (a risk has no source: the Read me sheet records it). At FBC, a driver or line the option did not state at OBC is
stated there at the value it followed (so the OBC figures do not move) and changed at FBC.

A value the explorer sets is fixed there, not drawn in its Monte Carlo (as a saved scenario's values
are in the batch), so each of its distributions that applies at the stage becomes a range with no
spread at the value, which the Monte Carlo takes as that constant: the driver keeps its place in the
rank-correlation copula, so the imported appraisal's Monte Carlo is the explorer's, draw for draw.
The workbook's Read me sheet lists every value placed and every range fixed.

The promise, checked before the bytes are returned (and by the tests through ``import_workbook``):
the workbook imported over a copy of the folder gives, for the option at the stage, the NPSV and
council NPV against no change that ``appraise(appraisal, option, stage, overrides=overrides)``
gives, exactly.
"""

from __future__ import annotations

import atexit
import copy
import html
import math
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import yaml

from .errors import AsdmError, DataError, DataErrors, ScenarioError
from .outputs import spreadsheet_safe

__all__ = ["table_tsv", "settings_workbook_bytes", "apply_settings", "settings_filename", "source_line",
           "print_chart_figure", "chart_png_bytes", "ILLUSTRATIVE_MARK", "EXPLORER_NOTE"]

ILLUSTRATIVE_MARK = "ILLUSTRATIVE DATA"
EXPLORER_NOTE = "Set in the assumptions explorer"
_PROMISED = ("npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp")


# ----------------------------------------------------------------------------------------------
# Tables as tab-separated text
# ----------------------------------------------------------------------------------------------

_BREAKS = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")  # each would end a cell or a row when pasted


def _tsv_cell(v) -> str:
    """One cell: numbers in full (shortest repr that reads back as the same float), text cleaned and safe."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            return ""  # an empty cell: Excel has no NaN, and read_csv reads an empty cell as NaN
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)  # e.g. -1097367.25 or 1e-07: no £, no separators, every digit kept
    text = spreadsheet_safe(_BREAKS.sub(" ", str(v)))
    if '"' in text:  # a quote would open a quoted cell in Excel and in read_csv: quote the cell, double the quote
        text = '"' + text.replace('"', '""') + '"'
    return text


def table_tsv(frame: pd.DataFrame, *, index: bool | None = None) -> str:
    """A table as tab-separated text that pastes into Excel (or LibreOffice) as cells.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as shown; column labels of several levels are joined with spaces.
    index : bool, optional
        Write the index as the first column(s). Default: unless it is the plain ``0, 1, 2 ...``
        range with no name.

    Returns
    -------
    str
        A header row, then one row per table row, cells separated by tabs, rows ending ``\\r\\n``
        (what Excel itself puts on the clipboard).

    Notes
    -----
    Numbers are written as plain numbers in full precision: ``repr(float(x))``, the shortest text
    that reads back as exactly the same double, so ``pandas.read_csv(io.StringIO(text), sep="\\t")``
    and Excel get the same numbers (no £, no thousands separators, no rounding). Integers as
    integers; booleans ``TRUE``/``FALSE``; NaN and None as an empty cell. Text has tabs and line
    breaks replaced by a space; text a spreadsheet would run as a formula (starting ``=``, ``+``,
    ``-`` or ``@``) gets a leading apostrophe, exactly as the suite's CSVs
    (:func:`asdm_models.outputs.spreadsheet_safe`); a cell with a double quote is quoted.

    Examples
    --------
    >>> import pandas as pd
    >>> table_tsv(pd.DataFrame({"option": ["=1+1", "Trust"], "npsv_gbp": [-1097367.25, 1e-07]}))
    "option\\tnpsv_gbp\\r\\n'=1+1\\t-1097367.25\\r\\nTrust\\t1e-07\\r\\n"
    """
    if not isinstance(frame, pd.DataFrame):
        raise AsdmError(f"table_tsv: expected a pandas DataFrame, got {type(frame).__name__}")
    df = frame
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
                     and df.index.name is None)
    if index:
        df = df.reset_index()
    labels = [" ".join(str(p) for p in c) if isinstance(c, tuple) else str(c) for c in df.columns]
    columns = [[_tsv_cell(v) for v in df.iloc[:, j].tolist()] for j in range(df.shape[1])]  # tolist: Python scalars
    rows = ["\t".join(_tsv_cell(c) for c in labels)]
    rows += ["\t".join(cells) for cells in zip(*columns)] if columns else [""] * len(df)
    return "\r\n".join(rows) + "\r\n"


# ----------------------------------------------------------------------------------------------
# The explorer's settings as a workbook for `asdm excel import`
# ----------------------------------------------------------------------------------------------


def _shown(unit: str, x: float, first_year: int) -> str:
    """A value for the notes, as a reader writes it: 3.5%, 2028-29, £260,000, 142."""
    from .scenarios import data_value

    v = data_value(unit, x, first_year)
    if isinstance(v, str):
        return v
    if unit == "gbp":
        return f"£{v:,}" if isinstance(v, int) else f"£{v:,.2f}"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _written(path: str, unit: str, x: float, first_year: int):
    """The value as the data writes it; AsdmError naming the path if a workbook cell cannot hold it exactly."""
    from .scenarios import data_value

    v = data_value(unit, x, first_year)
    if isinstance(v, float) and float(f"{v:.16g}") != v:  # openpyxl keeps 16 significant digits
        raise AsdmError(f"{path}: {v!r} has more significant digits than a workbook cell keeps (16); "
                        "type a rounder value in the explorer")
    return v


def _entry(raw, value, note: str) -> dict:
    """A driver entry with a new value: source, confidence and attributes kept, the explorer's note first."""
    entry = dict(raw) if isinstance(raw, dict) else {}
    old = entry.get("note")
    entry["value"] = value
    entry["note"] = note + (f". {old}" if old else "")
    return entry


def _by_id(items: list, ident: str, what: str) -> dict:
    for it in items or []:
        if isinstance(it, dict) and it.get("id") == ident:
            return it
    raise AsdmError(f"{what}: no entry with id {ident!r} in the data files")


def settings_filename(appraisal, option: str, stage: str) -> str:
    """``example_leisure-trading_company-obc-settings.xlsx``: the download's name."""
    return f"{appraisal.id}-{option}-{stage}-settings.xlsx"


def apply_settings(appraisal, option: str, stage: str, overrides: Mapping[str, float]) -> tuple[dict, dict, list]:
    """The appraisal's parsed YAML with the explorer's settings applied (see the module's table).

    Parameters
    ----------
    appraisal : Appraisal
        As loaded (its ``data_dir`` is read for the files as written).
    option, stage : str
        The explorer's option and stage (``obc`` or ``fbc``).
    overrides : mapping
        ``{path: value in model units}`` as :func:`asdm_models.appraise` takes them.

    Returns
    -------
    (app, options, notes)
        ``appraisal.yaml``'s data, ``{option id: its file's data}`` (fresh copies) and the lines
        the workbook's Read me sheet lists: each value placed and each range fixed.

    Raises
    ------
    AsdmError
        An unknown option or stage, a path or value the model refuses (the path named, as
        ``appraise`` would), or a value the data has no place for.
    """
    from .appraisal import build_inputs
    from .assumptions import STAGES, resolve_path
    from .catalogue import DRIVERS, ECONOMY_DRIVERS, ITEM_FIELDS
    from .excel_io import read_folder
    from .scenarios import is_shared_path

    if stage not in STAGES:
        raise AsdmError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
    if option not in appraisal.options:
        raise AsdmError(f"unknown option {option!r}; options of {appraisal.id}: {', '.join(appraisal.options)}")
    if not isinstance(overrides, Mapping):
        raise AsdmError(f"overrides must map a driver path to a number, got {type(overrides).__name__}")
    overrides = dict(overrides)
    try:  # every path and value checked as appraise() checks them: the error names the path
        build_inputs(appraisal, option, stage, overrides=overrides)
    except ScenarioError as e:
        raise AsdmError(f"the explorer's settings: {e}") from None
    opt = appraisal.options[option]
    fy = appraisal.first_year
    base = build_inputs(appraisal, option, stage).values  # what the data says, to note what each value replaced
    shared = {k: x for k, x in overrides.items() if is_shared_path(k)}
    followed = build_inputs(appraisal, option, "obc", overrides=shared).values  # OBC values under the shared changes

    app, options = read_folder(appraisal)
    app, options = copy.deepcopy(app), copy.deepcopy(options)  # never the reader's own objects
    data = options[option]
    where_opt = f"options/{option}.yaml"
    stage_words = "at the full business case" if stage == "fbc" else "at the outline business case"
    notes: list[str] = []
    fixed: list[tuple] = []  # (file, path, value as written, model value, unit): fixed in its distributions

    def was(path: str, unit: str) -> str:
        return f"{EXPLORER_NOTE} (the data said {_shown(unit, base[path], fy)})"

    def place(path: str, target: str, unit: str) -> None:
        notes.append(f"{path} = {_shown(unit, overrides[path], fy)} (was {_shown(unit, base[path], fy)}): "
                     f"{target}")

    for path in overrides:
        d = resolve_path(path, opt, appraisal.lines)
        x = float(overrides[path])
        v = _written(path, d.unit, x, fy)
        if path in ECONOMY_DRIVERS or (path.startswith("current_service.") and
                                       not path.startswith("current_service.lines.")):
            section = "economy" if path in ECONOMY_DRIVERS else "current_service"
            name = path.removeprefix("current_service.")
            sec = app.setdefault(section, {})
            sec[name] = _entry(sec.get(name), v, was(path, d.unit))
            place(path, f"appraisal.yaml {section}.{name}", d.unit)
            fixed.append(("appraisal.yaml", path, v, x, d.unit))
        elif path.startswith("current_service.lines."):
            _, _, ident, f = path.split(".")
            line = _by_id((app.get("current_service") or {}).get("lines"), ident, path)
            _set_line_field(line, f, v, was(path, d.unit))
            place(path, f"appraisal.yaml current_service.lines ({ident}).{_line_key(line, f)}", d.unit)
            fixed.append(("appraisal.yaml", path, v, x, d.unit))
        elif stage == "obc":
            _place_obc(path, v, was(path, d.unit), data, DRIVERS, ITEM_FIELDS, app)
            place(path, f"{where_opt} {_obc_target(path, ITEM_FIELDS)}", d.unit)
            fixed.append((option, path, v, x, d.unit))
        else:
            changes = data.setdefault("fbc", {}).setdefault("changes", {})
            if path not in changes and not _stated_at_obc(path, data, ITEM_FIELDS):
                # The loader takes FBC changes only to what the OBC states: state it at the value it followed.
                w = _written(path, d.unit, followed[path], fy)
                _place_obc(path, w, f"Stated at the value it followed ({_shown(d.unit, followed[path], fy)}) so "
                                    "that the explorer's FBC change can restate it", data, DRIVERS, ITEM_FIELDS, app)
                notes.append(f"{path}: stated in {where_opt} {_obc_target(path, ITEM_FIELDS)} at the value it "
                             f"followed, {_shown(d.unit, followed[path], fy)}, so that the FBC can change it")
            changes[path] = _entry(changes.get(path), v, f"{EXPLORER_NOTE} {stage_words} (the data said "
                                                         f"{_shown(d.unit, base[path], fy)})")
            place(path, f"{where_opt} fbc.changes.{path}", d.unit)
            fixed.append((option, path, v, x, d.unit))
    notes += _fix_distributions(app, options, fixed, stage, fy)
    return app, options, notes


def _line_key(line: dict, f: str) -> str:
    return "year" if f == "from_year" and "year" in line else f  # a line may write its first year as year:


def _set_line_field(line: dict, f: str, value, note: str) -> None:
    line[_line_key(line, f)] = value
    old = line.get("note")
    line["note"] = note + (f". {old}" if old else "")


def _obc_target(path: str, item_fields) -> str:
    parts = path.split(".")
    if parts[0] in item_fields:
        return f"{parts[0]} ({parts[1]}).{parts[2]}"
    if parts[0] == "lines":
        return f"lines ({parts[1]}).{parts[2]}"
    return f"drivers.{path}"


def _has_line(data: dict, ident: str) -> bool:
    """Whether the option's file states line ``ident`` (its own, a restatement, or one restated here already)."""
    return any(isinstance(ln, dict) and ln.get("id") == ident for ln in data.get("lines") or [])


def _stated_at_obc(path: str, data: dict, item_fields) -> bool:
    """Whether the option's file states ``path`` at OBC, so an FBC change to it is valid."""
    parts = path.split(".")
    if parts[0] in item_fields:
        return True  # items are the option's own
    if parts[0] == "lines":
        return _has_line(data, parts[1])
    return path in (data.get("drivers") or {})


def _place_obc(path: str, value, note: str, data: dict, drivers, item_fields, app: dict) -> None:
    """Write an option path's OBC value into the option's file."""
    parts = path.split(".")
    if parts[0] in item_fields:
        lst, ident, f = parts
        item = _by_id(data.get(lst), ident, path)
        item[f] = value
        if "source" in item or lst != "risks":  # risks have no source: the Read me sheet records the change
            old = item.get("source")
            item["source"] = f"{old}; {f}: {note}" if old else f"{f}: {note}"
        return
    if parts[0] == "lines":
        _, ident, f = parts
        if not _has_line(data, ident):  # a current-service line the option keeps: restate it with this field
            data.setdefault("lines", []).append({"id": ident})
        _set_line_field(_by_id(data["lines"], ident, path), f, value, note)
        return
    if path not in drivers:
        raise AsdmError(f"{path}: the data has no place for it (not a driver, item or line path)")
    entries = data.setdefault("drivers", {})
    raw = entries.get(path)
    if raw is None:
        # Not stated: it followed the current service, whose line attributes (optimism-bias category,
        # indexation) it used; stated now, it keeps them, so the option's lines are built as before.
        from .assumptions import _entry_keys

        cur = (app.get("current_service") or {}).get(path)
        keep = [k for k in _entry_keys(drivers[path]) if k not in ("value", "source", "confidence", "note")]
        raw = {k: cur[k] for k in keep if isinstance(cur, dict) and k in cur}
    entries[path] = _entry(raw, value, note)


def _degenerate(spec, value) -> dict:
    """A distribution with no spread at ``value``, of the same family where it has bounds (the Monte Carlo
    takes it as a constant: :func:`asdm_models.montecarlo._draw_values`)."""
    from .distributions import DISTRIBUTIONS

    spec = spec if isinstance(spec, dict) else {}
    name = spec.get("distribution")
    name = name if name in ("triangular", "pert", "uniform") else "triangular"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a range of years is in year indices
    out = {"distribution": name, **{k: value for k in DISTRIBUTIONS[name]}}
    was = ", ".join(f"{k} {spec[k]}" for k in DISTRIBUTIONS.get(spec.get("distribution"), ()) if k in spec)
    out["note"] = f"{EXPLORER_NOTE}: fixed there, so no spread (the data's range: {spec.get('distribution')} {was})"
    if spec.get("source"):
        out["source"] = spec["source"]
    return out


def _fix_distributions(app: dict, options: dict, fixed: list, stage: str, first_year: int) -> list[str]:
    """Give each value the explorer fixed a distribution with no spread wherever one applies at the stage.

    The explorer does not draw a value it sets (nor does the batch a scenario's); a range with no spread
    is drawn as that constant, so the imported appraisal's Monte Carlo is the explorer's: the driver keeps
    its place in the rank-correlation copula (and its correlations stay valid), and an option's OBC range
    stays as it was when the value is set at FBC (the loader wants an FBC range for a path uncertain at
    OBC and changed at FBC: this is it). Returns the Read me sheet's notes.
    """
    notes = []
    for owner, path, value, x, unit in fixed:
        if owner == "appraisal.yaml":
            targets = [("appraisal.yaml uncertain", app.get("uncertain"), False)]
        else:
            data = options[owner]
            obc_range = data.get("uncertain")
            fbc = data.get("fbc") or {}
            changed_at_fbc = path in (fbc.get("changes") or {})
            if stage == "obc":
                # An FBC range with no FBC change is a range around this OBC value: fixed with it.
                targets = [(f"options/{owner}.yaml uncertain", obc_range, False)]
                if not changed_at_fbc:
                    targets.append((f"options/{owner}.yaml fbc.uncertain", fbc.get("uncertain"), False))
            else:
                need = path in (obc_range or {})  # the loader wants an FBC range for it
                targets = [(f"options/{owner}.yaml fbc.uncertain",
                            data.setdefault("fbc", {}).setdefault("uncertain", {}) if need else fbc.get("uncertain"),
                            need)]
        for where, section, add in targets:
            if section is not None and (path in section or add):
                section[path] = _degenerate(section.get(path), x if unit == "year" else value)
                notes.append(f"{path}: {where} made a range with no spread at {_shown(unit, x, first_year)}: "
                             "the explorer holds it fixed, "
                             "as the batch holds a scenario's values")
    return notes


def settings_workbook_bytes(appraisal, option: str, stage: str, overrides: Mapping[str, float]) -> bytes:
    """The explorer's current settings as a workbook in the format of ``asdm excel import``.

    Parameters
    ----------
    appraisal : Appraisal
        The appraisal the explorer shows (loaded from its folder).
    option : str
        The option shown; its own drivers and items are written to its file.
    stage : str
        ``obc`` or ``fbc``; at FBC the option's own changes go to its ``fbc.changes``.
    overrides : mapping
        ``{path: value in model units}``, the explorer's changed controls.

    Returns
    -------
    bytes
        The ``.xlsx`` file (:func:`asdm_models.excel_io.template_bytes`: the same sheets, blocks and
        drop-down lists as ``asdm excel template``), the same bytes for the same inputs. Its Read me
        sheet lists every value placed and every range fixed.

    Raises
    ------
    AsdmError
        A path or value that cannot be placed (named), a value a cell cannot hold exactly, or
        settings the loader refuses (each problem named by its sheet and cell); or the promise
        not kept.

    Notes
    -----
    Before the bytes are returned the workbook is read back (it must hold exactly the data written)
    and that data is loaded in a temporary folder and appraised: the option's
    ``npsv_vs_no_change_gbp`` and ``council_npv_vs_no_change_gbp`` at the stage must equal
    ``appraise(appraisal, option, stage, overrides=overrides)``'s exactly.
    """
    from .excel_io import template_bytes

    app, options, notes = apply_settings(appraisal, option, stage, overrides)
    name = settings_filename(appraisal, option, stage)
    head = (f"Settings from the assumptions explorer: {appraisal.options[option].name} ({option}), "
            f"{appraisal.stages[stage].label or stage}")
    lines = [head, f"{len(overrides)} value{'s' if len(overrides) != 1 else ''} set in the explorer"
                   + (":" if overrides else " (the data as saved).")] + [f"• {n}" for n in notes]
    data = template_bytes(appraisal, app, options, name, readme_lines=lines)
    _check_promise(appraisal, option, stage, dict(overrides), app, options)
    return data


def _check_promise(appraisal, option: str, stage: str, overrides: dict, app: dict, options: dict) -> None:
    """Load the data the workbook holds in a temporary folder and compare the option's figures.

    :func:`~asdm_models.excel_io.template_bytes` has already proved that the workbook reads back as
    ``app`` and ``options`` (the sections it does not carry are the folder's own, which an import keeps),
    so loading these is loading what the import writes, without parsing the workbook a second time.
    """
    from .appraisal import appraise
    from .assumptions import load_appraisal
    from .reference import DEFAULT_REFERENCE_DIR, reference_dir_for

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    src = Path(appraisal.data_dir)
    with tempfile.TemporaryDirectory(prefix="asdm-settings-") as tmp:
        root = Path(tmp) / src.resolve().name
        (root / "options").mkdir(parents=True)
        (root / "appraisal.yaml").write_text(yaml.dump(app, Dumper=dumper, sort_keys=False), encoding="utf-8")
        for oid, data in options.items():
            (root / "options" / f"{oid}.yaml").write_text(yaml.dump(data, Dumper=dumper, sort_keys=False),
                                                          encoding="utf-8")
        if (src / "scenarios").is_dir():
            shutil.copytree(src / "scenarios", root / "scenarios", ignore=shutil.ignore_patterns(".*"))
        ref = reference_dir_for(src)
        if ref.resolve() != Path(DEFAULT_REFERENCE_DIR).resolve():  # a copied data tree's own reference data
            shutil.copytree(ref, Path(tmp) / "reference")
        try:
            got = appraise(load_appraisal(root), option, stage)
        except DataErrors as e:
            # Without line numbers: they would be the temporary file's, not the folder's.
            shown = "; ".join(str(DataError(x.file, x.field, x.message)) for x in e.errors[:3]) + (
                f" (and {len(e.errors) - 3} more)" if len(e.errors) > 3 else "")
            raise AsdmError(f"the explorer's settings do not make a valid appraisal: {shown}") from None
    want = appraise(appraisal, option, stage, overrides=overrides)
    for k in _PROMISED:
        if getattr(got, k) != getattr(want, k):
            raise AsdmError(f"the settings workbook would give {k} {getattr(got, k)!r}, the explorer shows "
                            f"{getattr(want, k)!r}; not written")


# ----------------------------------------------------------------------------------------------
# Charts as print-quality PNG
# ----------------------------------------------------------------------------------------------


def source_line(appraisal, option: str, stage: str, overrides: Mapping[str, float] | None = None, *,
                scenario: str | None = None, most: int = 3) -> str:
    """``Source: <title>, asdm <version>, <settings>``: what a chart shows and from what.

    The settings: the option, the stage, the scenario loaded (if any) and the explorer's changed
    values (the first ``most`` by name and value, then how many more).

    >>> from asdm_models import load_appraisal, PROJECT_ROOT
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> source_line(a, "trading_company", "obc", {"pay_inflation": 0.035})
    'Source: Leisure and culture: options for future delivery, asdm 0.1.0, Council-owned leisure company (Teckal), Outline business case, changed in the explorer: Pay inflation 3.5%'
    """
    from . import __version__
    from .assumptions import resolve_path
    from .sensitivity import driver_label

    opt = appraisal.options[option]
    bits = [f"Source: {appraisal.title}", f"asdm {__version__}", opt.name, appraisal.stages[stage].label or stage]
    if scenario not in (None, "base"):
        bits.append(f"scenario {scenario}")
    changes = [f"{driver_label(p, opt)} {_shown(resolve_path(p, opt, appraisal.lines).unit, x, appraisal.first_year)}"
               for p, x in (overrides or {}).items()]
    if changes:
        more = len(changes) - most
        bits.append("changed in the explorer: " + "; ".join(changes[:most]) + (f"; and {more} more" if more > 0 else ""))
    else:
        bits.append("the assumptions as saved")
    return ", ".join(bits)


def print_chart_figure(fig, *, illustrative: bool, source: str, width: int = 1200, height: int = 700) -> dict:
    """The figure to print: the reports' print layout, their money ticks, the mark and the source line.

    A copy (a plotly dict): ``fig`` (a ``Figure``, ``FigureWidget`` or dict) is never changed.
    :func:`asdm_models.figures.print_layout` fixes the size and wraps the title; the money axes the
    explorer gave plotly's own ticks get the reports' ``£1.50m`` ticks back
    (:func:`asdm_models.charts.style`); a footer below the x axis labels holds the source line (prefixed
    ``Source:`` if it is not), wrapped to the width, and, when ``illustrative``, an ``ILLUSTRATIVE DATA``
    box at its right (in the footer it never covers a legend or a bar). The annotations are named
    ``asdm-source`` and ``asdm-illustrative``.
    """
    import plotly.graph_objects as go

    from . import charts
    from .figures import print_layout, wrap_title

    f = go.Figure(fig)  # a copy: the live figure is never touched
    for letter in ("x", "y"):
        # The reports' ticks, only when every axis of that letter with values is a money axis (not years, names).
        axes = charts._axis_values(f, letter)
        if axes and all(f.layout[ax.replace(letter, f"{letter}axis", 1)].tickprefix == "£" for ax in axes):
            charts._money_ticks(f, letter)
    d = print_layout(f, width=width, height=height)
    layout = d["layout"]
    text = source if source.startswith("Source:") else f"Source: {source}"
    margin = dict(layout.get("margin") or {})
    left, right = int(margin.get("l", 80)), int(margin.get("r", 80))
    mark_px = 170 if illustrative else 0  # the mark's box at the right of the footer
    wrapped = wrap_title(html.escape(text, quote=False), width - mark_px - 20, _SOURCE_PX / 1.3)
    footer = 8 + round(_SOURCE_PX * 1.35) * (wrapped.count("<br>") + 1)
    # The footer goes below the x tick labels: room for them is made here (plotly's automargin would grow
    # the margin after the footer's place was fixed, and the two would overlap).
    margin["b"] = max(int(margin.get("b", 80)), _tick_label_room(d, width - left - right)) + footer
    layout["margin"] = margin
    anns = list(layout.get("annotations") or [])
    foot = {"xref": "paper", "yref": "paper", "y": 0, "yanchor": "bottom", "yshift": -margin["b"] + 6,
            "showarrow": False}
    anns.append({**foot, "name": "asdm-source", "text": wrapped, "x": 0, "xanchor": "left", "xshift": -left + 12,
                 "align": "left", "font": {"size": _SOURCE_PX, "color": "#444444"}})
    if illustrative:
        anns.append({**foot, "name": "asdm-illustrative", "text": f"<b>{ILLUSTRATIVE_MARK}</b>", "x": 1,
                     "xanchor": "right", "xshift": right - 12, "font": {"size": 13, "color": "#b00020"},
                     "bordercolor": "#b00020", "borderwidth": 1.5, "borderpad": 4, "bgcolor": "#ffffff"})
    layout["annotations"] = anns
    return d


_SOURCE_PX = 11
_TICK_ANGLE = 30  # degrees: plotly's first choice when category labels do not fit side by side


def _tick_label_room(d: dict, plot_px: int) -> int:
    """Pixels the category labels of the x axes need below the plot, rotating them when they do not fit.

    A label is about 0.55 em a character wide; when the longest is wider than its slot the labels are
    set at -30 degrees (as plotly would choose) and need ``longest * sin 30 + font * cos 30``.
    """
    font = float((d["layout"].get("font") or {}).get("size", 13))
    room = 0
    by_axis: dict = {}
    for tr in d.get("data", []):
        if tr.get("orientation") == "h":
            continue  # a horizontal bar's categories are on y
        xs = tr.get("x")
        if xs is not None and len(xs) and all(isinstance(v, str) for v in xs):
            by_axis.setdefault(tr.get("xaxis", "x"), set()).update(xs)
    for ax, labels in by_axis.items():
        name = ax.replace("x", "xaxis", 1)
        longest = max(len(max(re.split(r"<br\s*/?>", v), key=len)) for v in labels) * 0.55 * font
        if longest <= 0.9 * plot_px / len(labels):
            need = 1.6 * font
        else:
            d["layout"].setdefault(name, {})["tickangle"] = -_TICK_ANGLE
            rad = math.radians(_TICK_ANGLE)
            need = longest * math.sin(rad) + font * math.cos(rad) + 6
        room = max(room, math.ceil(need + 14))
    return room


_EXPORTER = None
_EXPORTER_LOCK = threading.Lock()


def _exporter():
    """One kaleido browser for the process, started on first use and stopped at exit (about 2 s to start).

    Started again if it is no longer running (another exporter in the process that owned it stopped it)."""
    global _EXPORTER
    from kaleido._sync_server import GlobalKaleidoServer

    with _EXPORTER_LOCK:
        if _EXPORTER is None or not GlobalKaleidoServer().is_running():
            from .figures import StaticExporter

            ex = StaticExporter()
            ex.__enter__()  # raises StaticExportError (one line) without Chromium: the button shows it
            if ex._owner:
                atexit.register(ex.__exit__, None, None, None)
            _EXPORTER = ex
        return _EXPORTER


def chart_png_bytes(fig, *, illustrative: bool, source: str, width: int = 1200, height: int = 700,
                    scale: float = 2) -> bytes:
    """A chart as a print-quality PNG: ``width * scale`` by ``height * scale`` pixels, 300 dpi.

    Parameters
    ----------
    fig : plotly Figure, FigureWidget or dict
        The chart as shown (copied, never changed).
    illustrative : bool
        Mark it ``ILLUSTRATIVE DATA`` (the appraisal's ``illustrative`` flag).
    source : str
        The source line (:func:`source_line`).
    width, height : int
        CSS pixels the chart is laid out in.
    scale : float
        Pixels per CSS pixel.

    Raises
    ------
    asdm_models.figures.StaticExportError
        No Chromium (``apt-get install chromium``), or the browser failed.

    Notes
    -----
    :func:`print_chart_figure` builds the figure; kaleido draws it in the machine's Chromium (the
    reports' static charts' route, :class:`asdm_models.figures.StaticExporter`), one browser for the
    process, started on the first image.
    """
    d = print_chart_figure(fig, illustrative=illustrative, source=source, width=width, height=height)
    return _exporter().render(d, "png", width=width, height=height, scale=scale)
