"""The assumptions as a workbook and back: ``asdm excel template`` and ``asdm excel import``.

:func:`write_template` writes an appraisal folder's assumptions as a workbook a finance officer can
edit; :func:`import_workbook` turns the workbook back into ``appraisal.yaml`` and
``options/<id>.yaml``, validated by :func:`~asdm_models.assumptions.load_appraisal` (the same
rules as any input) in a temporary folder before anything in the data folder is touched.

The workbook
------------
``Read me``
    How to edit it.
``Appraisal``
    Settings (identity, period, discounting, savings target, risk appetite), strategic objectives
    and scope, the economy, the current service's drivers and lines, the critical success factors,
    the stages and their optimism-bias overrides, the gates, the correlations.
one sheet per option (named after its id)
    The option's settings, its drivers at the outline business case (every driver listed: an empty
    value is not stated, so it follows the current service), its changes at the full business case,
    its own lines, one-off costs, capital items and success-factor scores.
``Risks``
    Every option's risk register.
``Uncertain``
    Every distribution: the appraisal's shared drivers, each option's at OBC and at FBC.
``Lists`` (hidden)
    The valid values behind the drop-down lists, taken from the package's own tables (option models,
    confidence grades, optimism-bias categories and capital allowances from the reference data,
    indices, distributions, gate metrics...).

Each sheet holds blocks: a title in column A, a header row of field names (the YAML keys) and one
row per entry. Grey columns (``unit``, ``about``, ``follows``) are for reading and ignored on import.
A rate is a number with a percentage format, and the percentage's decimals are kept, so what the
cell shows is what the file says (``3.5%``); money is a number with a £ format; a financial year is
text (``2027-28``) or a year index (a number, 0 = the first year). An empty cell leaves the field out.

Round trip
----------
An unchanged workbook imports to the same data as the folder it came from (parsed YAML equal, so
:func:`~asdm_models.appraisal.appraise` gives the same figures bit for bit); :func:`write_template`
checks this before it writes. YAML comments are not kept. Scenarios are not in the workbook:
``scenarios/`` is left as it is and must still be valid with the imported options.

Errors
------
Every problem is a :class:`~asdm_models.errors.DataError` whose file names the workbook, sheet and
cell (``book.xlsx:trading_company!C14``), with the field, what was wrong and what is valid; they
are raised together as :class:`~asdm_models.errors.DataErrors` and nothing is written.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import typing
from dataclasses import dataclass, field as _field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .errors import AsdmError, DataError, DataErrors
from .outputs import FORMULA_PREFIXES, write_bytes_atomic, write_text_atomic

__all__ = ["write_template", "import_workbook", "ImportResult", "read_workbook", "read_folder", "template_bytes"]

APPRAISAL_SHEET, RISKS_SHEET, UNCERTAIN_SHEET, README_SHEET, LISTS_SHEET = (
    "Appraisal", "Risks", "Uncertain", "Read me", "Lists")
_FIXED_SHEETS = (README_SHEET, APPRAISAL_SHEET, RISKS_SHEET, UNCERTAIN_SHEET, LISTS_SHEET)
SHARED = "(appraisal)"  # the Uncertain sheet's applies_to for the appraisal's shared drivers: never an option id
BOTH_STAGES = "obc and fbc"
_SPARE_ROWS = 5  # empty rows left at the end of each table for additions
_FIRST_BLOCK_ROW = 4

# Enumerations the loader spells out inline rather than in a table (asdm_models.line_data._parse_line);
# tests/test_excel_io.py checks each list against the loader's own error message, so they cannot drift.
LINE_TYPES_VALID = ("cost", "income")
LINE_PER_VALID = ("year", "once")
LINE_ACCOUNTS_VALID = ("revenue", "capital")

_SIMPLE_PCT = re.compile(r"^(-?)(\d+)(?:\.(\d+))?%$")
_MONEY_INPUT = '"£"#,##0;-"£"#,##0'
_UNIT_KINDS = {"gbp": "money", "rate": "rate", "year": "year"}  # a driver's unit -> the look of its value cell
_MAX_CELL_DIGITS = 16  # openpyxl writes numbers with 16 significant digits


# ----------------------------------------------------------------------------------------------
# The workbook's layout, derived from the loader's own models
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Col:
    key: str
    kind: str = "text"  # text | money | rate | number | year | bool | any
    enum: str | None = None  # name of a list on the Lists sheet
    strict: bool = True  # False: the list is a suggestion (an Excel warning, other values allowed)
    info: bool = False


@dataclass(frozen=True)
class _Block:
    title: str  # in column A, above the block's header row
    columns: tuple


def _models():
    from . import assumptions as A

    return A


def _literal_values(annotation) -> tuple:
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    for a in typing.get_args(annotation):
        v = _literal_values(a)
        if v:
            return v
    return ()


def _kind_of(model, name: str) -> _Col:
    """A table column from a field of one of the loader's pydantic models: its kind and its list of valid values."""
    A = _models()
    f = model.model_fields[name]
    validators = {getattr(m, "func", None) for m in f.metadata}
    ann = f.annotation
    base = [a for a in (typing.get_args(ann) or (ann,)) if a is not type(None)]
    if _literal_values(ann):
        enum = {"confidence": "confidence"}.get(name, name)
        return _Col(name, "text", enum)
    if A._rate in validators or A._probability in validators:
        return _Col(name, "rate")
    if A._year in validators or A._fy in validators:
        return _Col(name, "year")
    if bool in base:
        return _Col(name, "bool", "boolean")
    if name.endswith("_gbp"):
        return _Col(name, "money")
    if float in base or int in base:
        return _Col(name, "number")
    enums = {"optimism_bias_category": "optimism_bias_category", "capital_allowance": "capital_allowance"}
    return _Col(name, "text", enums.get(name))


def _table_columns(model, skip=(), first=()) -> tuple:
    return tuple(first) + tuple(_kind_of(model, n) for n in model.model_fields if n not in skip)


def _line_columns() -> tuple:
    from .catalogue import LINE_FIELDS
    from .line_data import LINE_KEYS

    kinds = {"gbp": "money", "rate": "rate", "year": "year", "years": "number", "count": "number"}
    enums = {"type": ("line_type", True), "per": ("line_per", True), "kind": ("line_kind", True),
             "accounts": ("line_accounts", True), "borne_by": ("line_party", True),
             "counterparty": ("line_counterparty", True), "confidence": ("confidence", True),
             "optimism_bias_category": ("optimism_bias_category", True), "indexation": ("indexation", False)}
    cols = []
    for k in LINE_KEYS:
        if k in LINE_FIELDS:
            kind = kinds[LINE_FIELDS[k].unit]
        elif k == "year":
            kind = "year"
        elif k in ("cap", "collar"):
            kind = "rate"
        else:
            kind = "any" if k == "indexation" else "text"
        enum, strict = enums.get(k, (None, True))
        cols.append(_Col(k, kind, enum, strict))
    return tuple(cols)


def _driver_columns(with_attributes: bool, key: str = "driver") -> tuple:
    A = _models()
    cols = [_Col(key, "text"), _Col("value", "any")]
    for k in A._ENTRY_KEYS[1:]:
        cols.append(_Col(k, "text", "confidence" if k == "confidence" else None))
    if with_attributes:
        cols += [_Col("optimism_bias_category", "text", "optimism_bias_category"),
                 _Col("indexation", "any", "indexation", strict=False), _Col("cap", "rate"), _Col("collar", "rate")]
    return tuple(cols)


def _settings_paths(model, skip) -> list[tuple]:
    """Scalar fields of a file model (nested settings models flattened), in the model's order."""
    A = _models()
    out = []
    for name, f in model.model_fields.items():
        if name in skip:
            continue
        sub = A._inner_model(f.annotation)
        if sub is not None:
            out += [(name, n) for n in sub.model_fields]
        else:
            out.append((name,))
    return out


_APPRAISAL_BLOCKS_FIELDS = ("economy", "current_service", "strategic_objectives", "scope", "critical_success_factors",
                            "stages", "gates", "uncertain", "correlations") + ("vat_partial_exemption", "management")
_OPTION_BLOCKS_FIELDS = ("drivers", "one_off_costs", "capital", "risks", "lines", "uncertain", "scores", "fbc") \
    + ("commercial", "transition", "non_monetised_impacts", "vat", "council_loan", "management")
#: Sections of the YAML the workbook does not carry (the commercial and management cases, the transition plan, the
#: VAT position, a council loan): an import keeps them as they are in DATA_DIR's files, never drops them.
KEPT_IN_YAML = {"appraisal.yaml": ("vat_partial_exemption", "management"),
                "option": ("commercial", "transition", "non_monetised_impacts", "vat", "council_loan", "management")}

T_SETTINGS, T_OBJECTIVES, T_SCOPE, T_ECONOMY, T_CURRENT, T_CURRENT_LINES, T_CSF, T_STAGES, T_OVERRIDES, T_GATES, \
    T_CORRELATIONS = ("Appraisal settings", "Strategic objectives", "Scope", "Economy", "Current service",
                      "Current service lines", "Critical success factors", "Stages", "Optimism bias overrides", "Gates",
                      "Correlations")
T_OPTION, T_DRIVERS, T_FBC, T_LINES, T_ONE_OFF, T_CAPITAL, T_SCORES = (
    "Option settings", "Drivers at the outline business case", "Changes at the full business case", "Lines",
    "One-off costs", "Capital items", "Success factor scores")
T_RISKS, T_UNCERTAIN = "Risk register", "Uncertain drivers"


def _layout() -> dict[str, tuple]:
    """Blocks of each kind of sheet. Columns come from the loader's models, so a new field there is a new column."""
    A = _models()
    info = lambda k: _Col(k, info=True)  # noqa: E731
    field_cols = (_Col("field"), _Col("value", "any"), info("about"))
    stage = _Col("stage", "text", "stage")
    appraisal = (
        _Block(T_SETTINGS, field_cols),
        _Block(T_OBJECTIVES, (_Col("text"),)),
        _Block(T_SCOPE, (_Col("text"),)),
        _Block(T_ECONOMY, _driver_columns(False) + (info("unit"), info("about"))),
        _Block(T_CURRENT, _driver_columns(True) + (info("unit"), info("follows"), info("about"))),
        _Block(T_CURRENT_LINES, _line_columns()),
        _Block(T_CSF, _table_columns(A._CSF)),
        _Block(T_STAGES, _table_columns(A._Stage, skip=("optimism_bias_override",), first=(stage,))),
        _Block(T_OVERRIDES, (stage, _Col("category", "text", "optimism_bias_category"), _Col("rate", "rate"))),
        _Block(T_GATES, (stage,) + tuple(
            _Col(c.key, c.kind, "metric" if c.key == "metric" else c.enum) for c in _table_columns(A._Gate))),
        _Block(T_CORRELATIONS, (_Col("driver_1"), _Col("driver_2"), _Col("rank_correlation", "number"))),
    )
    option = (
        _Block(T_OPTION, field_cols),
        _Block(T_DRIVERS, _driver_columns(True) + (info("unit"), info("follows"), info("about"))),
        _Block(T_FBC, _driver_columns(True) + (info("unit"),)),
        _Block(T_LINES, _line_columns()),
        _Block(T_ONE_OFF, _table_columns(A._OneOff)),
        _Block(T_CAPITAL, _table_columns(A._Capital)),
        _Block(T_SCORES, (_Col("factor", "text", "factor", strict=False), _Col("score", "number"),
                                   info("about"))),
    )
    params = []
    for names in _distributions():
        params += [p for p in names if p not in params]
    risks = (_Block(T_RISKS, (_Col("option", "text", "option", strict=False),) + _table_columns(A._Risk)),)
    uncertain = (_Block(T_UNCERTAIN, (
        _Col("applies_to", "text", "applies_to", strict=False), _Col("stage", "text", "uncertain_stage"),
        _Col("driver"), _Col("distribution", "text", "distribution"))
        + tuple(_Col(p, "any") for p in params) + (_Col("source"), _Col("note"), info("unit"))),)
    return {APPRAISAL_SHEET: appraisal, "option": option, RISKS_SHEET: risks, UNCERTAIN_SHEET: uncertain}


def _distributions():
    from .distributions import DISTRIBUTIONS

    return DISTRIBUTIONS.values()


def _enumerations(appraisal) -> dict[str, list]:
    """Every drop-down list, from the package's tables and the appraisal's reference data (never kept by hand)."""
    return {**_strict_enumerations(appraisal.reference),
            "applies_to": [SHARED] + list(appraisal.options), "option": list(appraisal.options),
            "factor": [c.id for c in appraisal.success_factors]}


def _strict_enumerations(ref) -> dict[str, list]:
    """The lists whose values are the only valid ones (checked on import, as Excel checks a typed value)."""
    A = _models()
    from .catalogue import INDICES, KINDS
    from .distributions import DISTRIBUTIONS
    from .line_data import PARTIES

    return {
        "model": list(A.OPTION_MODELS),
        "confidence": list(A.CONFIDENCE),
        "borne_by": list(_literal_values(A._OneOff.model_fields["borne_by"].annotation)),
        "paid_to": list(_literal_values(A._Capital.model_fields["paid_to"].annotation)),
        "optimism_bias_category": list(ref.optimism_bias),
        "capital_allowance": list(getattr(ref, "capital_allowances", {}) or {}),
        "schedule": list(ref.discount_schedules) + ["flat"],
        "indexation": list(INDICES),
        "line_type": list(LINE_TYPES_VALID), "line_per": list(LINE_PER_VALID), "line_kind": list(KINDS),
        "line_accounts": list(LINE_ACCOUNTS_VALID), "line_party": list(PARTIES), "line_counterparty": list(PARTIES[1:]),
        "stage": list(A.STAGES), "metric": list(A.GATE_METRICS), "distribution": list(DISTRIBUTIONS),
        "uncertain_stage": list(A.STAGES) + [BOTH_STAGES],
    }


_FIELD_ENUMS = {("discounting", "schedule"): "schedule", ("model",): "model", ("illustrative",): "boolean"}


# ----------------------------------------------------------------------------------------------
# Cells <-> YAML values
# ----------------------------------------------------------------------------------------------


def _pct_format(decimals: int) -> str:
    return "0" + ("." + "0" * decimals if decimals else "") + "%"


def _check_digits(x, where: str) -> None:
    if isinstance(x, float) and float(f"%.{_MAX_CELL_DIGITS}g" % x) != x:
        raise AsdmError(f"{where}: {x!r} has more significant digits than a workbook cell keeps "
                        f"({_MAX_CELL_DIGITS}); round it in the YAML file first")


def _to_cell(v, kind: str, where: str):
    """A YAML value -> (cell value, number format). Percentages become numbers shown with the decimals written."""
    if v is None:
        # an empty year cell is text, so that Excel keeps a typed 2027-28 as it is
        return None, {"money": _MONEY_INPUT, "rate": "0.0%", "text": "@", "year": "@"}.get(kind)
    if isinstance(v, bool):
        return v, None
    if isinstance(v, (int, float)):
        _check_digits(v, where)
        if kind == "money":
            return v, _MONEY_INPUT if float(v).is_integer() else _MONEY_INPUT.replace("0;", "0.00;") + ".00"
        return v, "General"
    if isinstance(v, str):
        m = _SIMPLE_PCT.match(v)
        if m:
            from .units import parse_rate

            x = parse_rate(v)
            if _percent_text(x, len(m.group(3) or "")) == v:  # only when it comes back exactly as written
                return x, _pct_format(len(m.group(3) or ""))
        return v, "@"
    if isinstance(v, dict):  # an indexation basket: {pay: 65%, cpi: 35%} -> "pay: 65%, cpi: 35%"
        if not all(isinstance(k, str) and isinstance(x, (str, int, float)) and not isinstance(x, bool)
                   for k, x in v.items()):
            raise AsdmError(f"{where}: {v!r} cannot be written in one cell")
        return ", ".join(f"{k}: {x}" for k, x in v.items()), "@"
    raise AsdmError(f"{where}: {v!r} cannot be written in one cell")


def _percent_text(x: float, decimals: int) -> str | None:
    """``0.035`` -> ``"3.5%"`` with at least ``decimals`` decimals, exactly (None if no short form reads back as x)."""
    from .units import parse_rate

    d = Decimal(repr(float(x))) * 100  # exact: the shortest decimal that reads back as x, times 100
    digits = max(decimals, len(format(d.normalize(), "f").partition(".")[2]))
    text = f"{d:.{digits}f}%"
    if text.startswith("-") and Decimal(text[:-1]) == 0:
        text = text[1:]
    try:
        return text if parse_rate(text) == float(x) else None
    except ValueError:
        return None


_ABSENT = object()


def _from_cell(cell, value_cell, kind: str):
    """A cell -> (YAML value or _ABSENT, problem or None)."""
    import datetime as dt

    v = cell.value
    if cell.data_type == "f":  # a formula: what Excel computed when the book was last saved
        v = value_cell.value if value_cell is not None else None
        if v is None:
            return _ABSENT, ("a formula without a computed value: open and save the workbook in Excel or LibreOffice "
                             "first, or type the value")
    if v is None:
        return _ABSENT, None
    if cell.data_type == "e" or (value_cell is not None and value_cell.data_type == "e"):
        return _ABSENT, f"the cell shows Excel's error {v}; type the value instead"
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return _ABSENT, (f"a date ({v}) is not valid here; type a financial year as text such as 2027-28 "
                         "(Excel turns some entries into dates), a year index, or a number")
    if isinstance(v, str):
        if v.startswith("'") and v[1:2] and v[1] in FORMULA_PREFIXES:
            v = v[1:]  # the apostrophe the template put before text a spreadsheet would run as a formula
        if not v.strip():
            return _ABSENT, None
        if kind == "bool" and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true", None
        return v, None
    if isinstance(v, bool):
        return v, None
    if isinstance(v, (int, float)):
        if "%" in (cell.number_format or ""):
            text = _percent_text(v, _format_decimals(cell.number_format))
            return (text if text is not None else float(v)), None
        return v, None
    return _ABSENT, f"{v!r} is not a value this field takes"


def _format_decimals(fmt: str) -> int:
    section = fmt.split(";")[0]
    m = re.search(r"\.([0#]+)\s*%", section)
    return len(m.group(1)) if m else 0


def _basket(text: str):
    """``"pay: 65%, cpi: 35%"`` -> ``{"pay": "65%", "cpi": "35%"}`` (None if it is not written like that)."""
    try:
        data = yaml.safe_load("{" + text + "}")
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) and data else None


# ----------------------------------------------------------------------------------------------
# Writing the template
# ----------------------------------------------------------------------------------------------


class _Writer:
    """Blocks written into one sheet, with their drop-down lists."""

    def __init__(self, book: "_TemplateBook", ws, title: str, note: str):
        from .workbook import _Sheet

        self.book = book
        self.sh = _Sheet(ws)
        self.ws = ws
        self.sh.title(title, note)
        self.row = _FIRST_BLOCK_ROW
        self.validations: dict[str, Any] = {}

    def _validate(self, enum: str, strict: bool, ref: str) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        key = f"{enum}:{strict}"
        dv = self.validations.get(key)
        if dv is None:
            if enum == "boolean":
                formula = '"TRUE,FALSE"'
            else:
                col, n = self.book.list_ranges[enum]
                formula = f"{LISTS_SHEET}!${col}$2:${col}${max(n + 1, 2)}"
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                                errorStyle="stop" if strict else "warning", showErrorMessage=True,
                                errorTitle="Not in the list",
                                error=("Choose a value from the list (see the Lists sheet)." if strict else
                                       "Not one of the usual values: keep it only if you mean it."))
            self.ws.add_data_validation(dv)
            self.validations[key] = dv
        dv.add(ref)

    def block(self, block: _Block, rows: list[dict], *, spare: int = _SPARE_ROWS, row_enums=None, greyed=None,
              where: str = "") -> None:
        """Title, header, rows (dicts by column key), then ``spare`` empty rows. ``row_enums``: per row, the list
        for the value column (fields blocks). ``greyed``: per row, the keys that do not apply (shaded)."""
        from openpyxl.utils import get_column_letter

        sh = self.sh
        sh.put(self.row, 1, block.title, font="block", width=False, wrap=False)
        self.row += 1
        sh.header(self.row, [c.key for c in block.columns], fills=["grey" if c.info else None for c in block.columns])
        first = self.row + 1
        for i, values in enumerate(rows + [{}] * spare):
            self.row += 1
            for j, c in enumerate(block.columns):
                v = values.get(c.key)
                kind = values.get("__kinds", {}).get(c.key, c.kind)  # a row's own unit (a driver's value)
                cell_value, fmt = _to_cell(v, kind, f"{where} {block.title} {c.key}")
                shaded = c.info or (greyed and i < len(greyed) and c.key in greyed[i])
                sh.put(self.row, j + 1, cell_value, fmt, font="info" if c.info else None,
                       fill="grey" if shaded else None)
        last = self.row
        if last >= first:
            for j, c in enumerate(block.columns):
                if c.enum:
                    col = get_column_letter(j + 1)
                    self._validate(c.enum, c.strict, f"{col}{first}:{col}{last}")
            for i, enum in enumerate(row_enums or []):
                if enum:
                    self._validate(enum, True, f"B{first + i}")
        self.row += 2

    def finish(self, freeze: str) -> None:
        self.ws.freeze_panes = freeze
        self.sh.finish()


class _TemplateBook:
    def __init__(self, appraisal):
        from openpyxl import Workbook

        self.wb = Workbook()
        self.appraisal = appraisal
        from openpyxl.utils import get_column_letter

        self.enums = _enumerations(appraisal)
        # The drop-down lists refer to the Lists sheet's ranges, known before any sheet is written.
        self.list_ranges = {name: (get_column_letter(j + 1), len(v)) for j, (name, v) in enumerate(self.enums.items())}
        self.used: set = {s.lower() for s in _FIXED_SHEETS}  # an option called "Risks" must not take the sheet's name
        self.n = 0

    def sheet(self, name: str):
        from .workbook import _unique_title

        ws = self.wb.active if self.n == 0 else self.wb.create_sheet()
        self.n += 1
        ws.title = name if name in _FIXED_SHEETS else _unique_title(name, self.used)
        return ws

    def lists_sheet(self) -> None:
        from .workbook import _Sheet

        ws = self.sheet(LISTS_SHEET)
        sh = _Sheet(ws)
        for j, (name, values) in enumerate(self.enums.items()):
            sh.header(1, [name], col=j + 1)
            for i, v in enumerate(values):
                sh.put(i + 2, j + 1, v, "@")
        ws.freeze_panes = "A2"
        ws.sheet_state = "hidden"  # the drop-down lists' source; unhide it to read the valid values
        sh.finish()


def _driver_rows(entries: dict, names, current: dict | None) -> tuple[list, list]:
    """Rows of a drivers block: every driver in ``names`` (stated or not), then stated ones not in the catalogue."""
    from .catalogue import DRIVERS, _default_text, _unit_text

    rows, greyed = [], []
    listed = list(names) + [n for n in entries if n not in names]
    for n in listed:
        raw = entries.get(n)
        row = {"driver": n}
        if isinstance(raw, dict):
            row.update(raw)
        elif raw is not None:
            row["value"] = raw
        d = DRIVERS.get(n)
        if d is not None:
            row["unit"] = _unit_text(d)
            row["__kinds"] = {"value": _UNIT_KINDS.get(d.unit, "number")}
            row["about"] = d.label
            if current is not None:
                cur = current.get(n)
                cur = cur.get("value") if isinstance(cur, dict) else cur
                row["follows"] = (f"current service: {cur}" if cur is not None else f"default: {_default_text(d)}")
            else:
                row["follows"] = "required" if d.required_in else f"default: {_default_text(d)}"
            no = set()
            if not d.lines:
                no.add("optimism_bias_category")
            if not d.index:
                no |= {"indexation", "cap", "collar"}
            greyed.append(no)
        else:
            greyed.append(set())
        rows.append(row)
    return rows, greyed


def _path_rows(entries: dict) -> list:
    """Rows of a drivers block keyed by path (FBC changes): only the stated ones."""
    from .sensitivity import _driver_def

    rows = []
    for p, raw in entries.items():
        row = {"driver": p}
        if isinstance(raw, dict):
            row.update(raw)
        else:
            row["value"] = raw
        try:
            d = _driver_def(p)
            from .catalogue import _unit_text

            row["unit"] = _unit_text(d)
            row["__kinds"] = {"value": _UNIT_KINDS.get(d.unit, "number")}
        except (KeyError, IndexError):
            pass
        rows.append(row)
    return rows


def _fields_rows(data: dict, paths: list[tuple], model) -> tuple[list, list]:
    A = _models()
    rows, enums = [], []
    for p in paths:
        node: Any = data
        for k in p:
            node = node.get(k) if isinstance(node, dict) else None
        owner = model
        for k in p[:-1]:
            owner = A._inner_model(owner.model_fields[k].annotation)
        kind = _kind_of(owner, p[-1]).kind
        about = {"rate": "a rate such as 3.5%", "money": "£, a number"}.get(kind) or A._expected_at(model, p)
        rows.append({"field": ".".join(p), "value": node, "about": about,
                     "__kinds": {"value": kind if kind in ("money", "rate") else "any"}})
        enums.append(_FIELD_ENUMS.get(p))
    return rows, enums


def _records(items, keys) -> list:
    out = []
    for it in items or []:
        unknown = set(it) - set(keys)
        if unknown:
            raise AsdmError(f"the workbook has no column for {', '.join(sorted(unknown))}")
        out.append(dict(it))
    return out


def _read_folder(appraisal) -> tuple[dict, dict]:
    """The appraisal's files as parsed YAML: appraisal.yaml, and each option's file by option id."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: the same safe constructor
    root = appraisal.data_dir
    app = yaml.load((root / "appraisal.yaml").read_text(encoding="utf-8"), Loader=loader)
    options = {}
    odir = root / "options"
    for fp in sorted(odir.glob("*.yaml")) + sorted(odir.glob("*.yml")):
        data = yaml.load(fp.read_text(encoding="utf-8"), Loader=loader)
        options[data["id"]] = data
    return app, {o: options[o] for o in appraisal.options}


def _template_workbook(appraisal, app: dict, options: dict):
    A = _models()
    from .catalogue import DRIVERS, ECONOMY_DRIVERS

    layout = _layout()
    book = _TemplateBook(appraisal)
    blocks = {b.title: b for b in layout[APPRAISAL_SHEET]}
    service_drivers = [n for n in DRIVERS if n not in ECONOMY_DRIVERS]

    readme = book.sheet(README_SHEET)
    ws = book.sheet(APPRAISAL_SHEET)
    w = _Writer(book, ws, f"{appraisal.title}: the appraisal's settings and the current service",
                "Edit the white cells; grey columns are for reading and ignored on import. An empty value leaves "
                "the field out. Rates are percentages, money in £ real at the price base, years as 2027-28 or a "
                "year index.")
    _check_covered(app, A._AppraisalFile, "appraisal.yaml")
    rows, enums = _fields_rows(app, _settings_paths(A._AppraisalFile, _APPRAISAL_BLOCKS_FIELDS), A._AppraisalFile)
    w.block(blocks[T_SETTINGS], rows, spare=0, row_enums=enums, where="appraisal.yaml")
    w.block(blocks[T_OBJECTIVES], [{"text": t} for t in app.get("strategic_objectives") or []], where="appraisal.yaml")
    w.block(blocks[T_SCOPE], [{"text": t} for t in app.get("scope") or []], where="appraisal.yaml")
    rows, greyed = _driver_rows(app.get("economy") or {}, ECONOMY_DRIVERS, None)
    w.block(blocks[T_ECONOMY], rows, spare=0, greyed=greyed, where="appraisal.yaml economy")
    cs = dict(app.get("current_service") or {})
    lines = cs.pop("lines", None)
    rows, greyed = _driver_rows(cs, service_drivers, None)
    w.block(blocks[T_CURRENT], rows, spare=0, greyed=greyed, where="appraisal.yaml current_service")
    w.block(blocks[T_CURRENT_LINES], _records(lines, [c.key for c in blocks[T_CURRENT_LINES].columns]),
            where="appraisal.yaml current_service.lines")
    w.block(blocks[T_CSF], _records(app.get("critical_success_factors"), A._CSF.model_fields), where="appraisal.yaml")
    stages, overrides, gates = [], [], []
    for s, st in (app.get("stages") or {}).items():
        st = dict(st)
        for cat, rate in (st.pop("optimism_bias_override", None) or {}).items():
            overrides.append({"stage": s, "category": cat, "rate": rate})
        stages.append({"stage": s, **st})
    for s, tests in (app.get("gates") or {}).items():
        gates += [{"stage": s, **g} for g in tests or []]
    w.block(blocks[T_STAGES], stages, spare=0, where="appraisal.yaml stages")
    w.block(blocks[T_OVERRIDES], overrides, where="appraisal.yaml stages")
    w.block(blocks[T_GATES], gates, where="appraisal.yaml gates")
    corr = []
    for c in app.get("correlations") or []:
        if len(c.get("drivers") or []) != 2 or set(c) - {"drivers", "rank_correlation"}:
            raise AsdmError(f"appraisal.yaml correlations: {c!r} cannot be written in the workbook (two drivers each)")
        corr.append({"driver_1": c["drivers"][0], "driver_2": c["drivers"][1],
                     "rank_correlation": c.get("rank_correlation")})
    w.block(blocks[T_CORRELATIONS], corr, where="appraisal.yaml correlations")
    w.finish("B4")

    oblocks = {b.title: b for b in layout["option"]}
    risks, uncertain = [], []
    for key, spec in (app.get("uncertain") or {}).items():
        uncertain.append(_uncertain_row(SHARED, BOTH_STAGES, key, spec))
    csf_names = {c.id: c.name for c in appraisal.success_factors}
    for oid, data in options.items():
        where = f"options/{oid}.yaml"
        _check_covered(data, A._OptionFile, where)
        ws = book.sheet(oid)
        w = _Writer(book, ws, f"Option {oid}: {data.get('name', '')}",
                    "Drivers not stated (empty value) follow the current service from go-live. FBC changes restate "
                    "a driver or item field by path (e.g. one_off_costs.it_systems.amount_gbp).")
        fbc = data.get("fbc") or {}
        rows, enums = _fields_rows({**data, "fbc": fbc}, _settings_paths(A._OptionFile, _OPTION_BLOCKS_FIELDS)
                                   + [("fbc", "note")], A._OptionFile)
        w.block(oblocks[T_OPTION], rows, spare=0, row_enums=enums, where=where)
        rows, greyed = _driver_rows(data.get("drivers") or {}, service_drivers, cs)
        w.block(oblocks[T_DRIVERS], rows, spare=0, greyed=greyed, where=where)
        w.block(oblocks[T_FBC], _path_rows(fbc.get("changes") or {}), where=where)
        w.block(oblocks[T_LINES], _records(data.get("lines"), [c.key for c in oblocks[T_LINES].columns]), where=where)
        w.block(oblocks[T_ONE_OFF], _records(data.get("one_off_costs"), A._OneOff.model_fields), where=where)
        w.block(oblocks[T_CAPITAL], _records(data.get("capital"), A._Capital.model_fields), where=where)
        w.block(oblocks[T_SCORES], [{"factor": k, "score": v, "about": csf_names.get(k)}
                                    for k, v in (data.get("scores") or {}).items()], spare=2, where=where)
        w.finish("B4")
        risks += [{"option": oid, **r} for r in _records(data.get("risks"), A._Risk.model_fields)]
        for key, spec in (data.get("uncertain") or {}).items():
            uncertain.append(_uncertain_row(oid, "obc", key, spec))
        for key, spec in (fbc.get("uncertain") or {}).items():
            uncertain.append(_uncertain_row(oid, "fbc", key, spec))

    ws = book.sheet(RISKS_SHEET)
    w = _Writer(book, ws, "Risk register of every option",
                "One row per risk; option is the option's id. Probability of occurring once in its window; impacts "
                "are costs in £ (positive), low <= most likely <= high.")
    w.block(layout[RISKS_SHEET][0], risks, spare=20, where="risks")
    w.finish(f"B{_FIRST_BLOCK_ROW + 2}")
    ws = book.sheet(UNCERTAIN_SHEET)
    w = _Writer(book, ws, "Uncertain drivers: the distributions of the Monte Carlo and the tornado",
                f"applies_to {SHARED} (economy and current_service.<driver>, both stages) or an option's id with "
                "stage obc or fbc (an FBC range replaces the OBC one). triangular/pert: low, mode (default: the base "
                "value), high; uniform: low, high; normal/lognormal: mean, sd.")
    w.block(layout[UNCERTAIN_SHEET][0], uncertain, spare=20, where="uncertain")
    w.finish(f"D{_FIRST_BLOCK_ROW + 2}")
    book.lists_sheet()
    _readme(readme, appraisal)
    return book.wb


def _uncertain_row(applies_to: str, stage: str, key: str, spec) -> dict:
    if not isinstance(spec, dict):
        raise AsdmError(f"uncertain {key}: {spec!r} cannot be written in the workbook")
    from .sensitivity import _driver_def
    from .catalogue import _unit_text

    row = {"applies_to": applies_to, "stage": stage, "driver": key, **spec}
    try:
        d = _driver_def(key)
    except (KeyError, IndexError):
        return row
    row["unit"] = _unit_text(d)
    kind = {"gbp": "money", "rate": "rate"}.get(d.unit, "number")
    row["__kinds"] = {p: kind for names in _distributions() for p in names}
    return row


def _check_covered(data: dict, model, where: str) -> None:
    """Refuse a file with a field the workbook has no place for (nothing is dropped silently)."""
    unknown = [k for k in data if k not in model.model_fields]
    if unknown:
        raise AsdmError(f"{where}: the workbook has no place for {', '.join(map(str, unknown))}")


def _readme(ws, appraisal) -> None:
    from .workbook import _Sheet

    sh = _Sheet(ws)
    lines = [
        (f"{appraisal.title}: assumptions workbook ({appraisal.id})", "title"),
        ("Written by `asdm excel template`; read back by `asdm excel import BOOK.xlsx DATA_DIR`.", None),
        ("", None),
        ("How to edit", "bold"),
        ("• Change values in the white cells. Grey columns (unit, about, follows) are for reading and ignored.", None),
        ("• An empty cell leaves the field out: an option's driver then follows the current service.", None),
        ("• Money in £, real terms at the price base, costs as positive amounts; rates as percentages (type 3.5%);",
         None),
        ("  financial years as text such as 2027-28, or a year index (0 = the first year).", None),
        ("• Drop-down lists show the valid values (models, confidence, categories, indices...).", None),
        ("• To add a row to a table, use the empty rows at its end (insert rows above the next title for more).",
         None),
        ("• To add an option, copy an option's sheet and change its id; to remove one, delete its sheet "
         "(its file is removed on import).", None),
        ("• An indexation basket is written pay: 65%, cpi: 35%.", None),
        ("", None),
        ("Importing", "bold"),
        ("• Every value is checked by the same rules as the YAML files; each problem names its sheet and cell.", None),
        ("• Nothing is written unless the whole workbook is valid.", None),
        ("• The YAML files are rewritten without their comments. Scenarios are not in the workbook: scenarios/ is "
         "left as it is.", None),
    ]
    if appraisal.illustrative:
        lines.insert(2, ("ILLUSTRATIVE DATA: every figure is invented for demonstration.", "bold"))
    for i, (text, font) in enumerate(lines):
        sh.put(i + 1, 1, text, font=font, width=False, wrap=False)
    ws.column_dimensions["A"].width = 110


def write_template(data_dir, xlsx_path) -> Path:
    """Write an appraisal folder's assumptions as an editable workbook; returns the workbook's path.

    Parameters
    ----------
    data_dir : str or Path
        An appraisal folder (``appraisal.yaml``, ``options/``); it must be valid.
    xlsx_path : str or Path
        The workbook to write (``.xlsx``), atomically; the same folder always gives the same bytes.

    Returns
    -------
    Path

    Raises
    ------
    DataErrors
        The folder is not valid (fix it first: ``asdm validate``).
    AsdmError
        A value the workbook cannot hold exactly (checked by reading the workbook back before writing).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from asdm_models.excel_io import write_template, import_workbook
    >>> book = pathlib.Path(tempfile.mkdtemp()) / "leisure.xlsx"
    >>> write_template(PROJECT_ROOT / "data" / "example_leisure", book).name
    'leisure.xlsx'
    """
    from .assumptions import load_appraisal

    appraisal = load_appraisal(data_dir)
    app, options = _read_folder(appraisal)
    return write_bytes_atomic(template_bytes(appraisal, app, options, Path(xlsx_path).name), Path(xlsx_path))


def read_folder(appraisal) -> tuple[dict, dict]:
    """The appraisal's files as parsed YAML, ``(appraisal.yaml's data, {option id: its file's data})``.

    Fresh objects on every call: a caller may edit them and pass them to :func:`template_bytes`.
    """
    return _read_folder(appraisal)


def template_bytes(appraisal, app: dict, options: dict, book_name: str = "assumptions.xlsx", *,
                   readme_lines=()) -> bytes:
    """The workbook :func:`write_template` writes, for parsed YAML ``app`` and ``options`` (which may differ from
    the folder's files, e.g. the explorer's settings applied to them), as bytes.

    ``readme_lines`` are added at the end of the Read me sheet (read by people, ignored on import).
    The workbook is read back and compared with ``app`` and ``options`` (as :func:`write_template` does)
    before it is returned; ``book_name`` names it in that check's messages.

    Raises
    ------
    AsdmError
        A value the workbook cannot hold exactly, or a field it has no place for.
    """
    from .workbook import _Sheet, workbook_bytes

    wb = _template_workbook(appraisal, app, options)
    if readme_lines:
        ws, sh = wb[README_SHEET], _Sheet(wb[README_SHEET])
        row = ws.max_row + 2
        for i, text in enumerate(readme_lines):
            sh.put(row + i, 1, text, font="bold" if i == 0 else None, width=False, wrap=False)
    data = workbook_bytes(wb)  # no date: the same data, the same bytes
    # The round trip is the promise: read the workbook back and compare before anything is written.
    files, errors, _refs = _parse_book(io.BytesIO(data), book_name, appraisal.reference)
    if errors:
        raise AsdmError("the template does not read back: " + "; ".join(map(str, errors[:5])))
    expected = {"appraisal.yaml": app, **{f"options/{o}.yaml": d for o, d in options.items()}}
    for name, want in expected.items():
        got = files.get(name)
        kept = KEPT_IN_YAML["appraisal.yaml" if name == "appraisal.yaml" else "option"]
        want = {k: v for k, v in want.items() if k not in kept}  # kept in the YAML by an import, not in the workbook
        diff = _first_difference(_normalise(want), _normalise(got))
        if diff is not None:
            raise AsdmError(f"{name}: the workbook cannot hold {diff} exactly; nothing written")
    return data


def _normalise(x):
    """Data as the loader sees it: ``{value: v}`` is ``v``, empty lists and mappings are absent."""
    if isinstance(x, dict):
        out = {k: _normalise(v) for k, v in x.items() if v is not None and v != [] and v != {}}
        return out["value"] if set(out) == {"value"} else out
    if isinstance(x, list):
        return [_normalise(v) for v in x]
    return x


def _first_difference(a, b, path="") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}.{k}".lstrip(".")
            d = _first_difference(a[k], b[k], f"{path}.{k}")
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path.lstrip(".") or "a list"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d is not None:
                return d
        return None
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    same = a == b and (type(a) is type(b) or (number(a) and number(b)))  # 12 and 12.0 are the same value
    return None if same else (path.lstrip(".") or "a value")


# ----------------------------------------------------------------------------------------------
# Reading a workbook
# ----------------------------------------------------------------------------------------------


def _ref(book: str, sheet: str, coord: str | None = None) -> str:
    """``book.xlsx:Risks!D5``; a sheet name Excel would quote is quoted (``'Read me'!A1``)."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) and not re.fullmatch(r"[A-Za-z]{1,3}[0-9]+", sheet)
    name = sheet if plain else "'" + sheet.replace("'", "''") + "'"
    return f"{book}:{name}" + (f"!{coord}" if coord else "")


@dataclass
class _ReadBlock:
    title: str
    title_coord: str
    columns: dict  # key -> column index (1-based)
    rows: list  # (row index, {key: (value, coord)})


class _Computed:
    """The values Excel computed for formula cells, read (a second parse of the book) only if a formula is met."""

    def __init__(self, source):
        self.source, self.wb = source, None

    def __getitem__(self, sheet: str):
        return _ComputedSheet(self, sheet)

    def value(self, sheet: str, row: int, col: int):
        from openpyxl import load_workbook

        if self.wb is None:
            if hasattr(self.source, "seek"):
                self.source.seek(0)
            self.wb = load_workbook(self.source, data_only=True)
        return self.wb[sheet].cell(row=row, column=col)


@dataclass
class _ComputedSheet:
    owner: _Computed
    sheet: str

    def cell(self, row: int, column: int):
        return self.owner.value(self.sheet, row, column)


class _Reader:
    def __init__(self, book: str, enums: dict):
        self.book = book
        self.enums = enums  # strict lists: a value outside one is an error at its cell (a paste skips Excel's check)
        self.errors: list[DataError] = []

    def check_enum(self, sheet: str, coord: str, field: str, enum: str | None, value) -> bool:
        from .catalogue import suggest

        valid = self.enums.get(enum) if enum not in (None, "boolean", "stage", "uncertain_stage") else None
        if valid is None or value in valid:
            return True
        self.error(sheet, coord, field, f"{value!r} is not valid{suggest(str(value), valid)}; valid: {', '.join(valid)}",
                   value)
        return False

    def error(self, sheet: str, coord: str | None, field: str, message: str, value=None) -> None:
        self.errors.append(DataError(_ref(self.book, sheet, coord), field, message, None, value))

    def blocks(self, ws, wv, layout: tuple) -> dict[str, _ReadBlock]:
        """The blocks of a sheet, found by their titles in column A; a missing block is an error."""
        wanted = {b.title: b for b in layout}
        starts = []
        for (cell,) in ws.iter_rows(min_col=1, max_col=1):
            v = cell.value
            if isinstance(v, str) and v.strip() in wanted and all(v.strip() != t for t, _r in starts):
                starts.append((v.strip(), cell.row))
        found = {t for t, _r in starts}
        for t in wanted:
            if t not in found:
                self.error(ws.title, None, "", f"block {t!r} not found: column A needs a row {t!r} followed by its "
                                               "header row (write a fresh workbook with asdm excel template to see it)")
        out = {}
        ends = [r for _t, r in starts[1:]] + [ws.max_row + 1]
        for (title, r0), r1 in zip(starts, ends):
            out[title] = self._block(ws, wv, wanted[title], r0, r1)
        return out

    def _block(self, ws, wv, block: _Block, r0: int, r1: int) -> _ReadBlock:
        from openpyxl.utils import get_column_letter

        cols = {c.key: c for c in block.columns}
        header = {}
        for cell in ws[r0 + 1] if r0 + 1 <= ws.max_row else ():
            h = cell.value
            if h is None or (isinstance(h, str) and not h.strip()):
                continue
            h = str(h).strip()
            if h not in cols:
                self.error(ws.title, cell.coordinate, "", f"unknown column {h!r} in {block.title}; its columns are "
                                                          f"{', '.join(k for k in cols)}")
            elif h in header:
                self.error(ws.title, cell.coordinate, "", f"column {h!r} appears twice in {block.title}")
            else:
                header[h] = cell.column
        for k, c in cols.items():
            if not c.info and k not in header:
                self.error(ws.title, f"A{r0}", "", f"{block.title} has no column {k!r}: add it to the header row "
                                                   f"(row {r0 + 1})")
        rows = []
        for r in range(r0 + 2, r1):
            values = {}
            for k, j in header.items():
                c = cols[k]
                if c.info:
                    continue
                cell = ws.cell(row=r, column=j)
                value_cell = wv.cell(row=r, column=j) if cell.data_type == "f" else None
                v, problem = _from_cell(cell, value_cell, c.kind)
                if problem:
                    self.error(ws.title, cell.coordinate, k, problem, cell.value)
                    continue
                if v is not _ABSENT and c.strict:
                    self.check_enum(ws.title, cell.coordinate, k, c.enum, v)  # kept: the loader says what follows
                if v is not _ABSENT:
                    values[k] = (v, f"{get_column_letter(j)}{r}")
            if values:
                rows.append((r, values))
        return _ReadBlock(block.title, f"A{r0}", header, rows)


class _File:
    """One YAML file built from the workbook, and the cell every path in it came from."""

    def __init__(self, sheet: str, default: str):
        self.data: dict = {}
        self.cells: dict[tuple, tuple] = {(): (sheet, default)}

    def note(self, path: tuple, sheet: str, coord: str) -> None:
        self.cells.setdefault(tuple(path), (sheet, coord))


def _set_path(d: dict, path: tuple, value) -> None:
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def _parse_book(source, book: str, reference):
    """Read a workbook into YAML data: ``({file: data}, [DataError], {file: _File})``. ``reference``: the reference
    data the appraisal will be read with (its categories are valid values of the lists)."""
    from openpyxl import load_workbook

    rd = _Reader(book, _strict_enumerations(reference))
    try:
        if hasattr(source, "seek"):
            source.seek(0)
        wb = load_workbook(source, data_only=False)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise DataErrors([DataError(book, "", f"cannot be read as an Excel workbook (.xlsx): {e}")]) from None
    wbv = _Computed(source)
    layout = _layout()
    names = wb.sheetnames
    for s in (APPRAISAL_SHEET, RISKS_SHEET, UNCERTAIN_SHEET):
        if s not in names:
            rd.error(s, None, "", f"sheet missing: the workbook needs the sheets {APPRAISAL_SHEET}, {RISKS_SHEET} and "
                                  f"{UNCERTAIN_SHEET} and one sheet per option (asdm excel template writes them)")
    files: dict[str, _File] = {}
    app = _File(APPRAISAL_SHEET, "A1")
    files["appraisal.yaml"] = app
    if APPRAISAL_SHEET in names:
        _read_appraisal(rd, wb[APPRAISAL_SHEET], wbv[APPRAISAL_SHEET], layout[APPRAISAL_SHEET], app)
    option_sheets = [s for s in names if s not in _FIXED_SHEETS]
    if not option_sheets:
        rd.error(APPRAISAL_SHEET if APPRAISAL_SHEET in names else names[0], None, "",
                 "no option sheets: each option needs its own sheet (copy one from asdm excel template)")
    by_id: dict[str, tuple] = {}  # option id -> (file name, _File, sheet)
    from .line_data import ID_PATTERN

    for n, s in enumerate(option_sheets, 1):
        f = _File(s, "A1")
        _read_option(rd, wb[s], wbv[s], layout["option"], f)
        oid = f.data.get("id")
        ok = isinstance(oid, str) and ID_PATTERN.fullmatch(oid)
        if ok and oid in by_id:
            sheet, coord = f.cells.get(("id",), (s, "A1"))
            rd.error(sheet, coord, "id", f"option id {oid!r} is also the id on sheet {by_id[oid][2]!r}; option ids "
                                         "must be unique")
            ok = False
        # An id that is not a valid file name never becomes one: the loader reports it under a placeholder name.
        name = f"options/{oid}.yaml" if ok else f"options/option-sheet-{n}.yaml"
        files[name] = f
        if ok:
            by_id[oid] = (name, f, s)
    if RISKS_SHEET in names:
        _read_risks(rd, wb[RISKS_SHEET], wbv[RISKS_SHEET], layout[RISKS_SHEET], by_id)
    if UNCERTAIN_SHEET in names:
        _read_uncertain(rd, wb[UNCERTAIN_SHEET], wbv[UNCERTAIN_SHEET], layout[UNCERTAIN_SHEET], app, by_id)
    return {k: f.data for k, f in files.items()}, rd.errors, files


def _fields(rd: _Reader, ws, b: _ReadBlock, f: _File, allowed: list[tuple], prefix: tuple = ()) -> None:
    allowed_names = {".".join(p): p for p in allowed}
    seen: dict[str, int] = {}
    for r, values in b.rows:
        if "field" not in values:
            if "value" in values:
                rd.error(ws.title, values["value"][1], "", f"a value without a field name in {b.title}")
            continue
        name, coord = values["field"]
        name = str(name).strip()
        if name not in allowed_names:
            from .catalogue import suggest

            rd.error(ws.title, coord, name, f"unknown field{suggest(name, allowed_names)} in {b.title}; valid: "
                                            f"{', '.join(allowed_names)}")
            continue
        if name in seen:
            rd.error(ws.title, coord, name, f"stated twice (also row {seen[name]}); each field may appear once")
            continue
        seen[name] = r
        path = prefix + allowed_names[name]
        if "value" in values:
            v, vc = values["value"]
            if _FIELD_ENUMS.get(allowed_names[name]) == "boolean" and isinstance(v, str) and v.lower() in ("true", "false"):
                v = v.lower() == "true"
            rd.check_enum(ws.title, vc, name, _FIELD_ENUMS.get(allowed_names[name]), v)
            _set_path(f.data, path, v)
            f.note(path, ws.title, vc)
        else:
            f.note(path, ws.title, coord)


def _drivers(rd: _Reader, ws, b: _ReadBlock, f: _File, section: tuple) -> dict:
    """A drivers block -> ``{name: value or {value, source, ...}}``; rows without a value are not stated."""
    out: dict = {}
    seen: dict[str, int] = {}
    f.note(section, ws.title, b.title_coord)
    for r, values in b.rows:
        attrs = {k: v for k, v in values.items() if k != "driver"}
        if "driver" not in values:
            first = next(iter(attrs.values()))
            rd.error(ws.title, first[1], "", f"a row without a driver name in {b.title}")
            continue
        name, coord = values["driver"]
        name = str(name).strip()
        if not attrs:
            continue  # listed, not stated
        if name in seen:
            rd.error(ws.title, coord, ".".join(section + (name,)), f"stated twice (also row {seen[name]})")
            continue
        seen[name] = r
        if "value" not in attrs:
            rd.error(ws.title, coord, ".".join(section + (name,)), "source, confidence or another attribute without a "
                                                                   "value: give the value, or clear the row")
            continue
        if "indexation" in attrs:
            attrs["indexation"] = _indexation(rd, ws, attrs["indexation"], ".".join(section + (name, "indexation")))
        path = section + (name,)
        if set(attrs) == {"value"}:
            out[name] = attrs["value"][0]
            f.note(path, ws.title, attrs["value"][1])
        else:
            out[name] = {k: v for k, (v, _c) in attrs.items()}
            f.note(path, ws.title, coord)
            for k, (_v, c) in attrs.items():
                f.note(path + (k,), ws.title, c)
    return out


def _indexation(rd: _Reader, ws, entry: tuple, field: str) -> tuple:
    v, coord = entry
    if isinstance(v, str) and ":" in v:
        basket = _basket(v)
        if basket is None:
            rd.error(ws.title, coord, field, f"{v!r} is not an index or a basket; write an index name (one of the list) "
                                             "or a basket such as pay: 65%, cpi: 35%")
            return entry
        return basket, coord
    return entry


def _table(rd: _Reader, ws, b: _ReadBlock, f: _File | None, path: tuple, skip=(), start: int = 0) -> list[dict]:
    """A table block -> list of records (only the cells that have a value), noting each cell under ``path``."""
    out = []
    for _r, values in b.rows:
        rec = {k: v for k, (v, _c) in values.items() if k not in skip}
        if not rec:
            continue
        i = start + len(out)
        if "indexation" in values:
            rec["indexation"] = _indexation(rd, ws, values["indexation"], ".".join(map(str, path + (i, "indexation"))))[0]
        if f is not None:
            f.note(path + (i,), ws.title, next(iter(values.values()))[1])
            for k, (_v, c) in values.items():
                if k not in skip:
                    f.note(path + (i, k), ws.title, c)
        out.append(rec)
    return out


def _stage_of(rd: _Reader, ws, values: dict, valid, what: str):
    if "stage" not in values:
        first = next(iter(values.values()))[1]
        rd.error(ws.title, first, "stage", f"missing stage in {what}; valid: {', '.join(valid)}")
        return None
    s, coord = values["stage"]
    if s not in valid:
        rd.error(ws.title, coord, "stage", f"{s!r} is not a stage here; valid: {', '.join(valid)}", s)
        return None
    return s


def _read_appraisal(rd: _Reader, ws, wv, layout: tuple, f: _File) -> None:
    A = _models()
    blocks = rd.blocks(ws, wv, layout)
    d = f.data
    if T_SETTINGS in blocks:
        _fields(rd, ws, blocks[T_SETTINGS], f, _settings_paths(A._AppraisalFile, _APPRAISAL_BLOCKS_FIELDS))
    for title, key in ((T_OBJECTIVES, "strategic_objectives"), (T_SCOPE, "scope")):
        if title in blocks:
            items = [values["text"] for _r, values in blocks[title].rows if "text" in values]
            if items or key == "strategic_objectives":
                d[key] = [v for v, _c in items]
            f.note((key,), ws.title, blocks[title].title_coord)
            for i, (_v, c) in enumerate(items):
                f.note((key, i), ws.title, c)
    if T_ECONOMY in blocks:
        d["economy"] = _drivers(rd, ws, blocks[T_ECONOMY], f, ("economy",))
    if T_CURRENT in blocks:
        d["current_service"] = _drivers(rd, ws, blocks[T_CURRENT], f, ("current_service",))
    if T_CURRENT_LINES in blocks:
        lines = _table(rd, ws, blocks[T_CURRENT_LINES], f, ("current_service", "lines"))
        if lines:
            d.setdefault("current_service", {})["lines"] = lines
    if T_CSF in blocks:
        d["critical_success_factors"] = _table(rd, ws, blocks[T_CSF], f, ("critical_success_factors",))
        f.note(("critical_success_factors",), ws.title, blocks[T_CSF].title_coord)
    if T_STAGES in blocks:
        stages: dict = {}
        f.note(("stages",), ws.title, blocks[T_STAGES].title_coord)
        for _r, values in blocks[T_STAGES].rows:
            s = _stage_of(rd, ws, values, A.STAGES, T_STAGES)
            if s is None:
                continue
            if s in stages:
                rd.error(ws.title, values["stage"][1], "stage", f"stage {s} is listed twice in {T_STAGES}")
                continue
            stages[s] = {k: v for k, (v, _c) in values.items() if k != "stage"}
            f.note(("stages", s), ws.title, values["stage"][1])
            for k, (_v, c) in values.items():
                f.note(("stages", s, k), ws.title, c)
        if T_OVERRIDES in blocks:
            for _r, values in blocks[T_OVERRIDES].rows:
                s = _stage_of(rd, ws, values, A.STAGES, T_OVERRIDES)
                if s is None:
                    continue
                if "category" not in values or "rate" not in values:
                    first = next(iter(values.values()))[1]
                    rd.error(ws.title, first, f"stages.{s}.optimism_bias_override", "give both the category and the rate")
                    continue
                cat, cc = values["category"]
                ov = stages.setdefault(s, {}).setdefault("optimism_bias_override", {})
                if cat in ov:
                    rd.error(ws.title, cc, f"stages.{s}.optimism_bias_override.{cat}", "stated twice")
                    continue
                ov[cat] = values["rate"][0]
                f.note(("stages", s, "optimism_bias_override", cat), ws.title, values["rate"][1])
        d["stages"] = {s: stages[s] for s in A.STAGES if s in stages}
    if T_GATES in blocks:
        gates: dict = {s: [] for s in A.STAGES}
        f.note(("gates",), ws.title, blocks[T_GATES].title_coord)
        for _r, values in blocks[T_GATES].rows:
            s = _stage_of(rd, ws, values, A.STAGES, T_GATES)
            if s is None:
                continue
            i = len(gates[s])
            gates[s].append({k: v for k, (v, _c) in values.items() if k != "stage"})
            f.note(("gates", s, i), ws.title, values["stage"][1])
            for k, (_v, c) in values.items():
                f.note(("gates", s, i, k), ws.title, c)
        d["gates"] = gates
    if T_CORRELATIONS in blocks:
        corr = []
        for _r, values in blocks[T_CORRELATIONS].rows:
            i = len(corr)
            rec = {"drivers": [values[k][0] for k in ("driver_1", "driver_2") if k in values]}
            if "rank_correlation" in values:
                rec["rank_correlation"] = values["rank_correlation"][0]
                f.note(("correlations", i, "rank_correlation"), ws.title, values["rank_correlation"][1])
            first = values.get("driver_1", values.get("driver_2", next(iter(values.values()))))[1]
            f.note(("correlations", i), ws.title, first)
            f.note(("correlations", i, "drivers"), ws.title, first)
            corr.append(rec)
        if corr:
            d["correlations"] = corr


def _read_option(rd: _Reader, ws, wv, layout: tuple, f: _File) -> None:
    A = _models()
    blocks = rd.blocks(ws, wv, layout)
    d = f.data
    if T_OPTION in blocks:
        _fields(rd, ws, blocks[T_OPTION], f, _settings_paths(A._OptionFile, _OPTION_BLOCKS_FIELDS) + [("fbc", "note")])
    if T_DRIVERS in blocks:
        drivers = _drivers(rd, ws, blocks[T_DRIVERS], f, ("drivers",))
        if drivers:
            d["drivers"] = drivers
    for title, key in ((T_LINES, "lines"), (T_ONE_OFF, "one_off_costs"), (T_CAPITAL, "capital")):
        if title in blocks:
            items = _table(rd, ws, blocks[title], f, (key,))
            f.note((key,), ws.title, blocks[title].title_coord)
            if items:
                d[key] = items
    if T_SCORES in blocks:
        scores: dict = {}
        f.note(("scores",), ws.title, blocks[T_SCORES].title_coord)
        for _r, values in blocks[T_SCORES].rows:
            if "factor" not in values:
                rd.error(ws.title, next(iter(values.values()))[1], "scores", "a score without its success factor")
                continue
            k, kc = values["factor"]
            if k in scores:
                rd.error(ws.title, kc, f"scores.{k}", "scored twice")
                continue
            if "score" in values:
                scores[k] = values["score"][0]
                f.note(("scores", k), ws.title, values["score"][1])
        if scores:
            d["scores"] = scores
    if T_FBC in blocks:
        changes = _drivers(rd, ws, blocks[T_FBC], f, ("fbc", "changes"))
        if changes:
            d.setdefault("fbc", {})["changes"] = changes


def _read_risks(rd: _Reader, ws, wv, layout: tuple, by_id: dict) -> None:
    b = rd.blocks(ws, wv, layout).get(T_RISKS)
    if b is None:
        return
    for _r, values in b.rows:
        if "option" not in values:
            rd.error(ws.title, next(iter(values.values()))[1], "option", "a risk without its option: give the option's id")
            continue
        oid, oc = values["option"]
        if oid not in by_id:
            from .catalogue import suggest

            rd.error(ws.title, oc, "option", f"no option sheet has id {oid!r}{suggest(str(oid), by_id)}; "
                                             f"valid: {', '.join(by_id)}", oid)
            continue
        _name, f, _s = by_id[oid]
        risks = f.data.setdefault("risks", [])
        i = len(risks)
        risks.append({k: v for k, (v, _c) in values.items() if k != "option"})
        f.note(("risks", i), ws.title, oc)
        for k, (_v, c) in values.items():
            if k != "option":
                f.note(("risks", i, k), ws.title, c)


def _read_uncertain(rd: _Reader, ws, wv, layout: tuple, app: _File, by_id: dict) -> None:
    A = _models()
    b = rd.blocks(ws, wv, layout).get(T_UNCERTAIN)
    if b is None:
        return
    seen: dict[tuple, int] = {}
    for r, values in b.rows:
        first = next(iter(values.values()))[1]
        if "applies_to" not in values or "driver" not in values:
            rd.error(ws.title, first, "", "each distribution needs applies_to (the option's id, or "
                                          f"{SHARED}) and driver")
            continue
        target, tc = values["applies_to"]
        key, kc = values["driver"]
        if target == SHARED:
            valid = (BOTH_STAGES,)
            f, section = app, ("uncertain",)
        elif target in by_id:
            valid = A.STAGES
            f = by_id[target][1]
            section = None
        else:
            from .catalogue import suggest

            rd.error(ws.title, tc, "applies_to", f"no option sheet has id {target!r}{suggest(str(target), by_id)}; "
                                                 f"valid: {SHARED}, {', '.join(by_id)}", target)
            continue
        if target == SHARED and "stage" not in values:
            s = BOTH_STAGES
        else:
            s = _stage_of(rd, ws, values, valid, T_UNCERTAIN)
            if s is None:
                continue
        if section is None:
            section = ("uncertain",) if s == "obc" else ("fbc", "uncertain")
        ident = (target, s, key)
        if ident in seen:
            rd.error(ws.title, kc, ".".join(section + (str(key),)),
                     f"a second distribution for {key} (also row {seen[ident]})")
            continue
        seen[ident] = r
        spec = {k: v for k, (v, _c) in values.items() if k not in ("applies_to", "stage", "driver")}
        _set_path(f.data, section + (key,), spec)
        f.note(section + (key,), ws.title, kc)
        for k, (_v, c) in values.items():
            if k not in ("applies_to", "stage", "driver"):
                f.note(section + (key, k), ws.title, c)


def _reference(data_dir):
    """The reference data an appraisal in ``data_dir`` is read with (that folder need not exist yet)."""
    from .reference import load_reference

    ref, errors, _files = load_reference(Path(data_dir) if data_dir is not None else None)
    if errors:
        raise DataErrors(errors)
    return ref


def read_workbook(xlsx_path, data_dir=None) -> dict:
    """The YAML data a workbook holds, ``{"appraisal.yaml": {...}, "options/<id>.yaml": {...}}``, unvalidated.

    Raises :class:`~asdm_models.errors.DataErrors` for problems in the workbook itself (a missing
    sheet or block, a cell that holds no value the field could take); use :func:`import_workbook`
    to validate the data and write it.
    """
    files, errors, _cells = _parse_book(Path(xlsx_path), Path(xlsx_path).name, _reference(data_dir))
    if errors:
        raise DataErrors(errors)
    return files


# ----------------------------------------------------------------------------------------------
# Writing the YAML
# ----------------------------------------------------------------------------------------------


_BLOCK_PATHS = {("current_service",), ("economy",), ("drivers",), ("fbc",), ("fbc", "changes"), ("uncertain",),
                ("fbc", "uncertain"), ("gates",), ("savings_target",), ("risk_appetite",), ("discounting",)}


class _Flow(dict):
    """A mapping written on one line (``{value: 3%, source: ...}``), as the bundled data is."""


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, x: d.represent_mapping("tag:yaml.org,2002:map", x, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, x: d.represent_sequence("tag:yaml.org,2002:seq", x, flow_style=True))


def _styled(data, path=()):
    """Short mappings (driver entries, items, distributions, tests, scores) on one line; risks and lines as blocks."""
    if isinstance(data, dict):
        inner = {k: _styled(v, path + (k,)) for k, v in data.items()}
        scalar = all(not isinstance(v, (dict, list)) or isinstance(v, (_Flow, _FlowList)) for v in inner.values())
        block = (len(path) == 0 or path[0] == "risks" or "lines" in path or (path[0] == "stages" and len(path) <= 2)
                 or path in _BLOCK_PATHS)
        return _Flow(inner) if scalar and not block else inner
    if isinstance(data, list):
        items = [_styled(v, path + (i,)) for i, v in enumerate(data)]
        return _FlowList(items) if path[-1:] == ("drivers",) else items
    return data


def _yaml_text(data: dict, book: str) -> str:
    head = (f"# Written by `asdm excel import` from {book}. Edit the workbook and import it again, or edit this "
            "file;\n# comments written here are not kept by the next import.\n")
    return head + yaml.dump(_styled(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                            default_flow_style=False)


@dataclass
class ImportResult:
    """What :func:`import_workbook` wrote into the data folder, and the option files it removed."""

    written: list = _field(default_factory=list)
    removed: list = _field(default_factory=list)


def _ordered(data: dict, model) -> dict:
    order = list(model.model_fields)
    return {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}


def _translate(e: DataError, shown: dict, book: str) -> DataError:
    """A loader error about a temporary YAML file -> the workbook cell the value came from."""
    from .yamlio import format_path

    entry = shown.get(e.file)
    if entry is None:  # a scenario file (left as it is) or the options folder as a whole
        return DataError(e.file if "/scenarios/" in e.file else book, e.field, e.message, e.line, e.value)
    f, data = entry
    by_field = {format_path(p, data): cell for p, cell in f.cells.items() if p}
    fieldname = e.field
    while fieldname:
        if fieldname in by_field:
            sheet, coord = by_field[fieldname]
            return DataError(_ref(book, sheet, coord), e.field, e.message, None, e.value)
        cut = max(fieldname.rfind("."), fieldname.rfind("["))
        fieldname = fieldname[:cut] if cut > 0 else ""
    sheet, coord = f.cells[()]
    return DataError(_ref(book, sheet, coord), e.field, e.message, None, e.value)


def _kept_sections(data_dir: Path, name: str) -> dict:
    """The sections of ``DATA_DIR/<name>`` the workbook does not carry (:data:`KEPT_IN_YAML`), as they are now."""
    from .yamlio import read_yaml

    path = Path(data_dir) / name
    if not path.is_file():
        return {}
    doc, _ = read_yaml(path, name)
    if doc is None or not isinstance(doc.data, dict):
        return {}
    keys = KEPT_IN_YAML["appraisal.yaml" if name == "appraisal.yaml" else "option"]
    return {k: doc.data[k] for k in keys if k in doc.data}


def import_workbook(xlsx_path, data_dir) -> ImportResult:
    """Write a workbook's assumptions into an appraisal folder, after validating all of them.

    Parameters
    ----------
    xlsx_path : str or Path
        A workbook written by :func:`write_template` (and edited).
    data_dir : str or Path
        The appraisal folder to write (created if needed). ``appraisal.yaml`` and the option files
        are replaced; an option file whose option is no longer in the workbook is removed;
        ``scenarios/`` and any other file are left as they are.

    Returns
    -------
    ImportResult
        The files written and the option files removed.

    Raises
    ------
    DataErrors
        Every problem found, each naming the workbook, the sheet and cell (``book.xlsx:Risks!D5``),
        the field, what was wrong and what is valid. Nothing is written when there is any.

    Notes
    -----
    The YAML is written to a temporary folder (with the data folder's scenarios and reference data)
    and loaded there with :func:`~asdm_models.assumptions.load_appraisal`, so the workbook passes the
    same checks as any input; only then are the files written into ``data_dir``, each atomically.

    Examples
    --------
    >>> import shutil, tempfile, pathlib
    >>> from asdm_models.excel_io import write_template, import_workbook
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> book = write_template(PROJECT_ROOT / "data" / "example_depot", tmp / "depot.xlsx")
    >>> result = import_workbook(book, tmp / "example_depot")
    >>> sorted(p.name for p in result.written)[:2]
    ['appraisal.yaml', 'in_house_redesign.yaml']
    """
    from .assumptions import load_appraisal
    from .reference import reference_dir_for

    A = _models()
    xlsx_path, data_dir = Path(xlsx_path), Path(data_dir)
    book = xlsx_path.name
    if not xlsx_path.is_file():
        raise DataErrors([DataError(str(xlsx_path), "", "workbook not found")])
    files, errors, cells = _parse_book(xlsx_path, book, _reference(data_dir))
    texts = {}
    for name, data in files.items():
        model = A._AppraisalFile if name == "appraisal.yaml" else A._OptionFile
        data = {**data, **_kept_sections(data_dir, name)}
        texts[name] = _yaml_text(_ordered(data, model), book)
    with tempfile.TemporaryDirectory(prefix="asdm-import-") as tmp:
        root = Path(tmp) / (data_dir.resolve().name or "appraisal")
        (root / "options").mkdir(parents=True)
        for name, text in texts.items():
            (root / name).write_text(text, encoding="utf-8")
        if (data_dir / "scenarios").is_dir():
            shutil.copytree(data_dir / "scenarios", root / "scenarios")
        ref = reference_dir_for(data_dir)
        if ref.resolve().parent == data_dir.resolve().parent:  # a copied data tree's own reference data
            shutil.copytree(ref, root.parent / "reference")
        shown = {f"{root.name}/{name}": (cells[name], files[name]) for name in files}
        try:
            load_appraisal(root)
        except DataErrors as e:
            taken = {x.file for x in errors}
            errors += [t for t in (_translate(x, shown, book) for x in e.errors) if t.file not in taken]
    if errors:
        raise DataErrors(errors)
    result = ImportResult()
    odir = data_dir / "options"
    keep = {data_dir / name for name in texts}
    for name, text in texts.items():
        result.written.append(write_text_atomic(text, data_dir / name))
    for fp in sorted(odir.glob("*.yaml")) + sorted(odir.glob("*.yml")):
        if fp not in keep:
            fp.unlink()
            result.removed.append(fp)
    return result
