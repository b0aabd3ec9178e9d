"""``results.xlsx``: a run's figures as a workbook a finance officer can take into the council's own.

:func:`write_results_workbook` reads a finished run folder (``manifest.json`` and ``summary.csv``)
and writes ``results.xlsx`` beside them. The headline figures and the Monte Carlo percentiles are
the ones the run recorded (a 10,000-draw simulation is never repeated); the detail behind them (the
economic case line by line, the council's budget by year, a new entity's accounts, the assumption
register) is recomputed with :func:`~asdm_models.appraisal.appraise`, which is deterministic, from
the same input files: their sha256 is checked against the manifest first, so the detail cannot come
from data edited since the run.

Sheets
------
``Summary``
    Every row of ``summary.csv``, its columns under their CSV names.
``Economic <stage> <option>``
    One per option and stage the run reported: each line's present value for the option and for
    no change, the difference, and the council lens against no change with the reason the two
    lenses differ.
``Council budget by year``
    The financial case of every report in nominal cash, one column per financial year.
``Entity accounts``
    The profit and loss and cash of each new entity (trading company, social enterprise, joint
    venture), nominal, by year.
``Monte Carlo``
    P10, P50, P90, mean and its standard error, and the chance of beating no change, as recorded.
``Assumptions``
    The assumption register of every report: the value used, its source and its confidence.
``Provenance``
    Run id, seed, draws, scenario, the suite's version and commit, the sha256 of every input.

Every table starts on row 4 (a title and a note above it) with its header frozen and filtered.
Money is in pounds with Excel's own number format (``£#,##0``, negatives red), rates and
probabilities as percentages; a figure that does not apply is an empty cell, never 0. Text that a
spreadsheet would run as a formula is neutralised with :func:`~asdm_models.outputs.spreadsheet_safe`.
The same run always gives the same bytes: the document's dates are the run's own start and finish,
and the zip members carry the start time.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import shlex
import zipfile
from pathlib import Path

from .errors import RunError
from .outputs import spreadsheet_safe, write_bytes_atomic

__all__ = ["write_results_workbook", "workbook_bytes", "RESULTS_FILE", "MONEY", "PERCENT", "HEADER_ROW"]

RESULTS_FILE = "results.xlsx"

#: Excel number formats: whole pounds with thousands separators and red negatives; percentages to 0.1%.
MONEY = '"£"#,##0;[Red]-"£"#,##0'  # the £ quoted: a literal Excel accepts in every locale
PERCENT = "0.0%"
PERCENT_INPUT = "0.0#%"  # an assumption such as 3.25% is shown as stated, not rounded to 3.3%
RATIO = "0.00"
COUNT = "#,##0"
NUMBER = "General"

#: Row of every table's header (a title and a note above it), frozen so it stays in view.
HEADER_ROW = 4

# summary.csv columns that are text (or a financial-year label) whatever they hold; the rest are numbers.
_TEXT_COLUMNS = {"option", "model", "stage", "scenario", "payback_year", "discounted_payback_year", "breakeven_year",
                 "gate", "status", "name", "error", "shortlist_role", "vfm_category", "teckal_first_failure_year",
                 "pension_arrangement"}
_BOOL_COLUMNS = {"shortlisted"}
_MAX_WIDTH = 60  # characters: wider text wraps inside its column


def _summary_format(column: str) -> str | None:
    if column.endswith("_gbp"):
        return MONEY
    if column in ("prob_beats_no_change", "irr", "teckal_lowest_share"):
        return PERCENT
    if column in ("bcr", "weighted_score", "vfm_benefit_cost_ratio"):
        return RATIO
    if column in ("mc_draws", "teckal_years_failing", "pension_arrangement_stated"):
        return COUNT
    return None


# ----------------------------------------------------------------------------------------------
# Writing cells (shared with asdm_models.excel_io)
# ----------------------------------------------------------------------------------------------


def _plain(value):
    """A cell value: numpy scalars as Python numbers, NaN and pandas' missing values as an empty cell."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return value


def _shown_length(value, fmt: str | None) -> int:
    """About how many characters Excel shows for ``value`` in format ``fmt`` (for the column width)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        v = float(value)
        if fmt and "£" in fmt:
            return len(f"£{abs(v):,.0f}") + (v < 0)
        if fmt and "%" in fmt:
            return len(f"{v * 100:.2f}%")
        if fmt == RATIO:
            return len(f"{v:.2f}")
        if fmt == COUNT:
            return len(f"{v:,.0f}")
        return len(f"{v:.10g}")
    return max((len(s) for s in str(value).splitlines()), default=0)


# Named looks, so that a sheet can reuse a cell's style instead of building (and hashing) it again.
_FONTS = {"title": {"bold": True, "size": 14}, "note": {"italic": True, "color": "555555"}, "bold": {"bold": True},
          "block": {"bold": True, "size": 12}, "info": {"italic": True, "color": "666666"}}
_FILLS = {"header": "DDE4EA", "grey": "F2F2F2"}


class _Sheet:
    """One worksheet being written: every value goes through :meth:`put` (spreadsheet-safe text, formats,
    column widths)."""

    def __init__(self, ws):
        self.ws = ws
        self.widths: dict[int, int] = {}
        self._styles: dict[tuple, object] = {}

    def put(self, row: int, col: int, value, fmt: str | None = None, *, font: str | None = None,
            fill: str | None = None, wrap: bool | None = None, width: bool = True):
        """Write one cell. ``font`` and ``fill`` are names of :data:`_FONTS` and :data:`_FILLS`."""
        from copy import copy

        # Strings never reach openpyxl unescaped: it would store "=..." as a formula.
        value = _plain(value)
        if isinstance(value, str):
            value = spreadsheet_safe(value)
        c = self.ws.cell(row=row, column=col, value=value)
        if wrap is None:
            wrap = isinstance(value, str) and (len(value) > _MAX_WIDTH or "\n" in value)
        key = (fmt, font, fill, wrap)
        if key != (None, None, None, False):
            # openpyxl hashes a style each time one is set, which dominates a big sheet: set each look once.
            cached = self._styles.get(key)
            if cached is not None:
                c._style = copy(cached)
            else:
                from openpyxl.styles import Alignment, Font, PatternFill

                if fmt is not None:
                    c.number_format = fmt
                if font is not None:
                    c.font = Font(**_FONTS[font])
                if fill is not None:
                    c.fill = PatternFill("solid", fgColor=_FILLS[fill])
                if wrap:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
                self._styles[key] = copy(c._style)
        if width:
            self.widths[col] = max(self.widths.get(col, 0), _shown_length(value, fmt))
        return c

    def title(self, text: str, note: str = "") -> None:
        self.put(1, 1, text, font="title", width=False, wrap=False)
        if note:
            self.put(2, 1, note, font="note", width=False, wrap=False)

    def header(self, row: int, headers: list, col: int = 1, fills=None) -> None:
        for j, h in enumerate(headers):
            self.put(row, col + j, h, font="bold", fill=(fills[j] if fills else None) or "header", wrap=True,
                     width=False)
            # A header wraps at its spaces: the column needs only its longest word, unless it has none.
            longest = max((len(w) for w in str(h).split()), default=0)
            self.widths[col + j] = max(self.widths.get(col + j, 0), longest + 1)

    def table(self, headers: list, rows: list, formats: list | None = None, *, row: int = HEADER_ROW,
              freeze_cols: int = 0, filter: bool = True) -> int:
        """Header at ``row``, then ``rows`` (sequences); ``formats`` by column. Returns the last row written."""
        from openpyxl.utils import get_column_letter

        formats = formats or [None] * len(headers)
        self.header(row, headers)
        r = row
        for values in rows:
            r += 1
            for j, v in enumerate(values):
                self.put(r, j + 1, v, formats[j])
        self.ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}{row + 1}"
        if filter:
            self.ws.auto_filter.ref = f"A{row}:{get_column_letter(len(headers))}{max(r, row + 1)}"
        return r

    def finish(self) -> None:
        from openpyxl.utils import get_column_letter

        for col, w in sorted(self.widths.items()):
            self.ws.column_dimensions[get_column_letter(col)].width = max(6, min(w + 2, _MAX_WIDTH + 2))


def workbook_bytes(wb, when: _dt.datetime | None = None, modified: _dt.datetime | None = None) -> bytes:
    """The ``.xlsx`` bytes of an openpyxl workbook, the same bytes every time for the same content.

    openpyxl stamps the document with the time of saving and zipfile stamps every member with it;
    both would make two writes of one run differ. The document is dated ``when`` (created) and
    ``modified`` (default ``when``), or carries no dates when ``when`` is None (a template has no
    meaningful date); every zip member is dated ``when`` or the zip epoch, 1980-01-01.
    """
    import re

    from openpyxl.writer.excel import ExcelWriter

    stamp = (when or _dt.datetime(1980, 1, 1)).replace(tzinfo=None, microsecond=0)
    wb.properties.created = stamp
    wb.properties.modified = (modified or stamp).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "asdm"
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()  # closes the zip
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if when is None and info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", data)
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, data)
    return out.getvalue()


def _unique_title(name: str, used: set) -> str:
    """A sheet name Excel accepts: at most 31 characters, unique in the book (case-insensitively)."""
    base = name[:31]
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


# ----------------------------------------------------------------------------------------------
# Reading the run
# ----------------------------------------------------------------------------------------------


def _read_summary(path: Path) -> tuple[list[str], list[dict]]:
    """``summary.csv`` with numbers as floats (parsed exactly), booleans as booleans, empty cells as None."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        columns = next(reader, [])
        rows = []
        for values in reader:
            row = {}
            for c, text in zip(columns, values):
                row[c] = _summary_value(c, text)
            rows.append(row)
    return columns, rows


def _summary_value(column: str, text: str):
    if text == "":
        return None
    if column in _BOOL_COLUMNS and text in ("True", "False"):
        return text == "True"
    if column in _TEXT_COLUMNS:
        return text
    try:
        x = float(text)
    except ValueError:
        return text
    return x if math.isfinite(x) else None


def _resolve(run_dir: Path, recorded: str) -> Path:
    p = Path(recorded)
    return p if p.is_absolute() else (run_dir / p).resolve()


def _check_inputs(manifest: dict, appraisal, run_dir: Path) -> None:
    """Refuse to recompute detail from input files that differ from the ones the run hashed."""
    from .provenance import sha256_file

    bases = [appraisal.data_dir.parent, run_dir]
    changed = []
    for rel, digest in (manifest.get("inputs") or {}).items():
        path = next((b / rel for b in bases if (b / rel).is_file()), None)
        if path is None:
            changed.append(f"{rel} (missing)")
        elif sha256_file(path) != digest:
            changed.append(rel)
    if changed:
        raise RunError(f"{run_dir}: the input files changed since the run, so its detail cannot be recomputed: "
                       f"{', '.join(changed)}; run asdm verify {run_dir} to see the differences, or run again")


def _when(text) -> _dt.datetime | None:
    try:
        return _dt.datetime.fromisoformat(str(text)).astimezone(_dt.timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------
# The sheets
# ----------------------------------------------------------------------------------------------


def _summary_sheet(sh: _Sheet, appraisal, manifest, columns, rows) -> None:
    sh.title(f"{appraisal.title}: summary of run {manifest.get('run_id', '')}",
             "One row per option, stage and scenario, as summary.csv (README: the columns). Money in £ at "
             f"{appraisal.price_base} prices; positive against no change = better. An empty cell does not apply."
             + (" ILLUSTRATIVE DATA: invented for demonstration." if appraisal.illustrative else ""))
    formats = [_summary_format(c) for c in columns]
    sh.table(columns, [[r.get(c) for c in columns] for r in rows], formats, freeze_cols=1)
    for j, c in enumerate(columns):  # keys have no spaces to wrap at: the column fits the whole key
        sh.widths[j + 1] = max(sh.widths.get(j + 1, 0), len(c) + 1)


def _economic_rows(result) -> list:
    """The economic case and its reconciliation with the council lens, one row per line that has any figure."""
    ec = result.economic_case
    rec = result.reconciliation_vs_no_change.set_index("line")
    rows = []
    for e in ec.itertuples(index=False):
        v = rec.loc[e.line]
        figures = (e.option_pv_gbp, e.no_change_pv_gbp, e.vs_no_change_pv_gbp, v["council_vs_no_change_gbp"])
        if max(abs(float(x)) for x in figures) < 0.005:  # less than half a penny everywhere: not a line of this case
            continue
        rows.append([e.line, e.label, e.kind, e.option_pv_gbp, e.no_change_pv_gbp, e.vs_no_change_pv_gbp,
                     v["council_vs_no_change_gbp"], v["difference_gbp"], v["reason"] or None])
    return rows


ECONOMIC_HEADERS = ["line", "line (as the report shows it)", "kind", "option: present value",
                    "no change: present value", "option vs no change (economic case)",
                    "option vs no change (council lens)", "economic minus council lens", "why the lenses differ"]


def _economic_sheet(sh: _Sheet, appraisal, result) -> None:
    stage = appraisal.stages[result.stage].label
    sh.title(f"{result.name}: economic case, {stage}",
             f"Present values in £, real terms at {appraisal.price_base} prices, discounted "
             f"({appraisal.discount_schedule}); "
             f"scenario {result.scenario}. Income and savings positive, costs negative. The council lens keeps "
             "transfers and the fee in and counts only the council's own flows.")
    rows = _economic_rows(result)
    m = [None, None, None, MONEY, MONEY, MONEY, MONEY, MONEY, None]
    last = sh.table(ECONOMIC_HEADERS, rows, m, freeze_cols=2)
    nc = result.npsv_gbp - result.npsv_vs_no_change_gbp
    nc_u = result.npsv_unadjusted_gbp - result.npsv_vs_no_change_unadjusted_gbp
    totals = [
        ("npsv", "NPSV (risk- and optimism-bias-adjusted)", result.npsv_gbp, nc, result.npsv_vs_no_change_gbp,
         result.council_npv_vs_no_change_gbp),
        ("npsv_unadjusted", "NPSV before optimism bias and risk", result.npsv_unadjusted_gbp, nc_u,
         result.npsv_vs_no_change_unadjusted_gbp, result.council_npv_vs_no_change_unadjusted_gbp),
    ]
    r = last + 1
    for key, label, opt, ncv, vs, council in totals:
        r += 1
        for j, v in enumerate([key, label, "total", opt, ncv, vs, council, vs - council]):
            sh.put(r, j + 1, v, m[j], font="bold")


FINANCIAL_BASELINE_ROWS = ("council_net_nominal_gbp", "one_off_costs_nominal_gbp", "capital_spend_nominal_gbp")


def _by_year_sheet(sh: _Sheet, appraisal, title: str, note: str, blocks) -> None:
    """``blocks``: (option, name, stage, frame, labels, keys) with the frame's columns the years."""
    years = appraisal.years
    rows = []
    for option, name, stage, frame, labels, keys in blocks:
        for k in keys:
            rows.append([option, name, stage, labels.get(k, k), k] + [float(x) for x in frame.loc[k]])
    sh.title(title, note)
    sh.table(["option", "option name", "stage", "row", "row key"] + years, rows,
             [None] * 5 + [MONEY] * len(years), freeze_cols=5)


MC_COLUMNS = [
    ("option", "option", None), ("name", "option name", None), ("stage", "stage", None),
    ("scenario", "scenario", None), ("mc_draws", "draws", COUNT),
    ("p10_npsv_vs_no_change_gbp", "P10 NPSV vs no change", MONEY),
    ("p50_npsv_vs_no_change_gbp", "P50 NPSV vs no change", MONEY),
    ("p90_npsv_vs_no_change_gbp", "P90 NPSV vs no change", MONEY),
    ("mean_npsv_vs_no_change_gbp", "mean NPSV vs no change", MONEY),
    ("se_mean_npsv_vs_no_change_gbp", "standard error of the mean", MONEY),
    ("prob_beats_no_change", "chance of beating no change", PERCENT),
    ("p10_council_npv_vs_no_change_gbp", "P10 council NPV vs no change", MONEY),
    ("p50_council_npv_vs_no_change_gbp", "P50 council NPV vs no change", MONEY),
    ("p90_council_npv_vs_no_change_gbp", "P90 council NPV vs no change", MONEY),
]


def _monte_carlo_sheet(sh: _Sheet, manifest, rows) -> None:
    sh.title("Monte Carlo: the spread of NPSV against no change",
             f"As recorded by the run: {manifest.get('draws', 0):,} draws, seed {manifest.get('seed')}, common random "
             "numbers across options. P10: nine draws in ten do better. Chance of beating no change: share of "
             "draws better by more than a penny.")
    picked = [r for r in rows if r.get("mc_draws") is not None]
    sh.table([h for _c, h, _f in MC_COLUMNS], [[r.get(c) for c, _h, _f in MC_COLUMNS] for r in picked],
             [f for _c, _h, f in MC_COLUMNS], freeze_cols=1)


ASSUMPTION_HEADERS = ["option", "stage", "applies to", "assumption", "path", "value", "unit",
                      "as the report shows it", "source", "confidence"]


def _assumption_rows(appraisal, result) -> list:
    from .assumptions import resolve_path
    from .business_case import assumption_register
    from .units import fy_label

    opt = result.inputs.option
    rows = []
    for d in assumption_register(appraisal, result).to_dict("records"):
        path = d["path"]
        x = result.inputs.values.get(path)
        try:
            unit = resolve_path(path, opt, appraisal.lines).unit
        except KeyError:
            unit = ""
        fmt = {"gbp": MONEY, "rate": PERCENT_INPUT}.get(unit, NUMBER)
        value = fy_label(appraisal.first_year + int(x)) if unit == "year" and x is not None else x
        rows.append(([result.option, result.stage, d["applies to"], d["assumption"], path, value, unit,
                      d["value used"], d["source"], d["confidence"]], fmt))
    return rows


def _assumptions_sheet(sh: _Sheet, appraisal, results) -> None:
    sh.title("Assumption register: every stated driver, the value used, its source and confidence",
             "One block per report. A driver an option does not state follows the current service. Money in £ at "
             f"{appraisal.price_base} prices (a year's amount unless it says once); rates as percentages.")
    rows, fmts = [], []
    for r in results:
        for values, fmt in _assumption_rows(appraisal, r):
            rows.append(values)
            fmts.append(fmt)
    last = sh.table(ASSUMPTION_HEADERS, [], None, freeze_cols=2)
    formats = [None] * len(ASSUMPTION_HEADERS)
    for i, (values, fmt) in enumerate(zip(rows, fmts)):  # the value column's format follows each row's unit
        for j, v in enumerate(values):
            sh.put(last + 1 + i, j + 1, v, fmt if j == 5 else formats[j])
    from openpyxl.utils import get_column_letter

    sh.ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(ASSUMPTION_HEADERS))}{HEADER_ROW + max(len(rows), 1)}"


def _provenance_sheet(sh: _Sheet, appraisal, manifest, run_dir: Path) -> None:
    suite = manifest.get("suite") or {}
    packages = manifest.get("packages") or {}
    command = manifest.get("command")
    facts = [
        ("run id", manifest.get("run_id"), None),
        ("appraisal", manifest.get("appraisal", appraisal.id), None),
        ("title", manifest.get("title", appraisal.title), None),
        ("council", appraisal.council, None),
        ("illustrative data", "yes: invented for demonstration" if appraisal.illustrative else "no", None),
        ("started", manifest.get("started"), None),
        ("finished", manifest.get("finished"), None),
        ("command", shlex.join(map(str, command)) if isinstance(command, list) else command, None),
        ("data folder", manifest.get("data_dir"), None),
        ("seed", manifest.get("seed"), "0"),
        ("Monte Carlo draws", manifest.get("draws"), COUNT),
        ("scenario", manifest.get("scenario"), None),
        ("options", ", ".join(manifest.get("options") or []), None),
        ("stages", ", ".join(manifest.get("stages") or []), None),
        ("status", manifest.get("status"), None),
        ("suite version (asdm)", packages.get("asdm"), None),
        ("suite commit", suite.get("commit"), None),
        ("uncommitted changes in the suite", None if suite.get("dirty") is None else bool(suite.get("dirty")), None),
        ("python", packages.get("python"), None),
        ("platform", packages.get("platform"), None),
    ] + [(f"package {k}", v, None) for k, v in packages.items() if k not in ("python", "platform", "asdm")]
    sh.title(f"Provenance of run {manifest.get('run_id', '')}",
             f"Summary, Monte Carlo and the headline figures as recorded in {run_dir.name}/summary.csv; the detail "
             "recomputed from the same inputs (sha256 checked). asdm verify re-runs it all and compares every figure.")
    r = sh.table(["field", "value"], [[k, v] for k, v, _f in facts], filter=False)
    for i, (_k, v, f) in enumerate(facts):  # numbers keep their own formats (a seed has no thousands separator)
        if f is not None and v is not None:
            sh.ws.cell(row=HEADER_ROW + 1 + i, column=2).number_format = f
    r += 2
    files = [("input", k, v) for k, v in (manifest.get("inputs") or {}).items()]
    files += [("notebook", k, v) for k, v in (manifest.get("notebooks") or {}).items()]
    sh.header(r, ["file", "sha256", "kind"])
    for kind, rel, digest in files:
        r += 1
        sh.put(r, 1, rel)
        sh.put(r, 2, digest)
        sh.put(r, 3, kind)
    r += 2
    sh.header(r, ["report", "status", "seconds", "error"])
    for rep in manifest.get("reports") or []:
        r += 1
        for j, v in enumerate([rep.get("name"), rep.get("status"), rep.get("seconds"), rep.get("error")]):
            sh.put(r, j + 1, v, "0.0" if j == 2 else None)


# ----------------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------------


def write_results_workbook(run_dir, appraisal=None, manifest: dict | None = None) -> Path:
    """Write ``results.xlsx`` into a finished run folder; returns its path.

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by :func:`~asdm_models.batch.run_batch` (it holds ``manifest.json``,
        written last, and ``summary.csv``).
    appraisal : Appraisal, optional
        The appraisal the run used, when the caller has it loaded (the batch does); otherwise it is
        loaded from the manifest's ``data_dir``. Either way the input files' sha256 must match the
        manifest's.
    manifest : dict, optional
        The run's manifest, for a caller that writes the workbook before ``manifest.json`` (which a
        run writes last); by default ``run_dir / "manifest.json"`` is read.

    Returns
    -------
    Path
        ``run_dir / "results.xlsx"``, written atomically with ordinary permissions.

    Raises
    ------
    RunError
        No manifest (the run did not finish), no ``summary.csv``, or input files changed since the run.

    Notes
    -----
    Recorded figures (``summary.csv``: headline, Monte Carlo, gates) are copied, never recomputed.
    The detail of each option and stage the manifest reports as ok is recomputed with
    :func:`~asdm_models.appraisal.appraise` in the run's scenario: deterministic, a few milliseconds
    per report. Numbers are stored as numbers at full precision (openpyxl keeps 16 significant
    digits, far below a penny), formatted for reading.

    Examples
    --------
    >>> from asdm_models.workbook import write_results_workbook
    >>> write_results_workbook("reports/example_leisure/20261125-101500-abc123")  # doctest: +SKIP
    PosixPath('reports/example_leisure/20261125-101500-abc123/results.xlsx')
    """
    from openpyxl import Workbook

    from .appraisal import appraise
    from .assumptions import load_appraisal
    from .business_case import ENTITY_LABELS, FINANCIAL_LABELS

    run_dir = Path(run_dir)
    mpath, spath = run_dir / "manifest.json", run_dir / "summary.csv"
    if manifest is None and not mpath.is_file():
        raise RunError(f"{run_dir}: no manifest.json; the run did not finish, or this is not a run folder")
    if not spath.is_file():
        raise RunError(f"{run_dir}: no summary.csv; the run folder is incomplete")
    if manifest is None:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    if appraisal is None:
        appraisal = load_appraisal(_resolve(run_dir, manifest["data_dir"]), partial=True)
    _check_inputs(manifest, appraisal, run_dir)
    columns, rows = _read_summary(spath)
    scenario = manifest.get("scenario") or "base"
    sc = None if scenario == "base" else scenario
    results = [appraise(appraisal, rep["option"], rep["stage"], scenario=sc)
               for rep in manifest.get("reports") or []
               if rep.get("status") == "ok" and rep.get("option") is not None and rep["option"] in appraisal.options]

    wb = Workbook()
    used: set = set()
    sheets: list[_Sheet] = []

    def sheet(name: str) -> _Sheet:
        ws = wb.active if not sheets else wb.create_sheet()
        ws.title = _unique_title(name, used)
        s = _Sheet(ws)
        sheets.append(s)
        return s

    _summary_sheet(sheet("Summary"), appraisal, manifest, columns, rows)
    for r in results:
        _economic_sheet(sheet(f"Economic {r.stage} {r.option}"), appraisal, r)
    note = (f"Nominal cash in £ (with the inflation assumptions), undiscounted; costs negative, savings positive. "
            f"Scenario {scenario}. No change shows its own budget only.")
    fin_blocks = [(r.option, r.name, r.stage, r.financial_case,
                   {**FINANCIAL_LABELS, "council_net_nominal_gbp": f"Council net budget: {r.name}"},
                   FINANCIAL_BASELINE_ROWS if r.model == "no_change" else list(r.financial_case.index)) for r in results]
    _by_year_sheet(sheet("Council budget by year"), appraisal, "The council's budget by year (financial case)", note,
                   fin_blocks)
    ent_blocks = [(r.option, r.name, r.stage, r.entity_accounts, ENTITY_LABELS, list(r.entity_accounts.index))
                  for r in results if r.entity_accounts is not None]
    _by_year_sheet(sheet("Entity accounts"), appraisal, "The new entity's accounts by year",
                   "Nominal £. Only options that set up a new entity (trading company, social enterprise, joint "
                   "venture) have accounts; the cash balance includes the council's planned funding."
                   + ("" if ent_blocks else " No option of this run sets up a new entity."), ent_blocks)
    _monte_carlo_sheet(sheet("Monte Carlo"), manifest, rows)
    _assumptions_sheet(sheet("Assumptions"), appraisal, results)
    _provenance_sheet(sheet("Provenance"), appraisal, manifest, run_dir)
    for s in sheets:
        s.finish()
    # Dated by the run itself (started, finished), so writing the same run again gives the same bytes.
    data = workbook_bytes(wb, _when(manifest.get("started")), _when(manifest.get("finished")))
    return write_bytes_atomic(data, run_dir / RESULTS_FILE)
