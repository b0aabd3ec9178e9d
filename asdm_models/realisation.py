"""Benefits realisation (stage 5): the council's outturn against the full business case, RAG, re-forecast.

After launch the council records its outturn by year and line in ``<appraisal>/actuals/``:

* ``actuals/<year>.csv`` (e.g. ``actuals/2027-28.csv``), one per financial year of outturn, columns
  ``line,actual_nominal_gbp[,note]``: the council's outturn by line of the case, nominal cash, signed like
  the model (costs negative, income positive). Outturn runs from the first year of the appraisal period
  without gaps (a year before go-live is the current service's outturn). Every council line the business
  case forecasts something for in that year must be stated (0 if nothing happened); a council line of the
  case with no forecast in that year may be left out (it is then 0). The allowances of the business case
  (kind ``adjustment``: optimism bias, benefits shortfall, risk) may be stated and are otherwise 0: the
  outturn already contains whatever happened, so the allowances are released.
* ``actuals/realisation.yaml`` (optional): the launched ``option``, the ``stage`` the actuals are held to
  (default ``fbc``), RAG ``tolerances`` (default amber 2.5%, red 5%), per-line ``line_tolerances`` and the
  ``objectives``: progress against the strategic objectives of ``appraisal.yaml``.

:func:`load_actuals` reads and validates the folder (every problem collected as a
:class:`~asdm_models.errors.DataError` with file, row and field); :func:`realisation` compares the actuals
with the business case line by line and re-forecasts the case; :func:`realisation_text` is what
``asdm realise DATA_DIR`` prints; :func:`realisation_rows` the figures a batch records.

The maths are the pure functions :func:`variance_share`, :func:`rag_status`, :func:`replace_actual_years`,
:func:`reforecast_npv` and :func:`trajectory`.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .appraisal import OptionAppraisal, appraise
from .assumptions import STAGES
from .catalogue import suggest
from .discounting import to_nominal, to_real
from .errors import AsdmError, DataError, DataErrors, relative_name
from .metrics import payback_index
from .units import fy_label, format_gbp, format_pct, parse_fy_label, parse_rate
from .yamlio import MAX_INPUT_BYTES, MAX_INT_DIGITS, YamlDoc, read_yaml

__all__ = ["Tolerance", "ObjectiveMeasure", "Actuals", "Reforecast", "Realisation", "load_actuals", "realisation",
           "realisation_text", "realisation_rows", "actuals_figure", "variance_figure", "variance_share", "rag_status",
           "replace_actual_years", "reforecast_npv", "trajectory", "shown_lines", "DEFAULT_TOLERANCE", "STATUSES", "OBJECTIVE_STATUSES",
           "CSV_COLUMNS"]

STATUSES = ("green", "amber", "red")
OBJECTIVE_STATUSES = ("on track", "behind", "no measure")
CSV_COLUMNS = ("line", "actual_nominal_gbp", "note")
_YAML_KEYS = ("option", "stage", "tolerances", "line_tolerances", "objectives", "note")
_OBJECTIVE_KEYS = ("objective", "measure", "from", "unit", "baseline", "baseline_year", "target", "target_gbp",
                   "target_year", "actuals", "source")
_COMPUTED = ("budget_saving",)  # measures computed from the actuals
_NON_ECONOMIC = ("transfer", "internal")  # kinds the economic case leaves out
_PENNY = 0.005


@dataclass(frozen=True)
class Tolerance:
    """How far an adverse variance may go, as a share of ``|forecast|``, before a line is amber or red."""

    amber: float
    red: float


#: Used when ``realisation.yaml`` states no ``tolerances``.
DEFAULT_TOLERANCE = Tolerance(0.025, 0.05)


@dataclass(frozen=True)
class ObjectiveMeasure:
    """One measure of progress against a strategic objective (``objectives`` of ``realisation.yaml``).

    ``objective`` is the 1-based number in ``strategic_objectives``; ``computed`` names a measure computed
    from the actuals (``"budget_saving"``: the council's saving against no change, nominal) or is empty for a
    stated measure with its ``actuals`` (year index -> value). Years are indices of the appraisal period.
    """

    objective: int
    measure: str
    computed: str = ""
    unit: str = ""
    baseline: float | None = None
    baseline_year: int | None = None
    target: float | None = None
    target_year: int | None = None
    actuals: tuple = ()  # ((year index, value), ...) in year order
    source: str = ""


@dataclass(frozen=True)
class Actuals:
    """The outturn of a launched option, validated against its business case.

    ``amounts`` maps each year of outturn (label, in order from the first year of the period) to
    ``{line: nominal GBP}`` for every council line of the case (those not stated are 0); ``stated`` holds
    the ``(year, line)`` pairs written in the files and ``notes`` their notes.
    """

    option: str
    stage: str
    tolerance: Tolerance
    line_tolerances: dict
    objectives: tuple
    years: tuple
    amounts: dict
    stated: frozenset = frozenset()
    notes: dict = field(default_factory=dict)
    files: tuple = ()

    def tolerance_of(self, line: str) -> Tolerance:
        return self.line_tolerances.get(line, self.tolerance)


# ---------------------------------------------------------------------------------------------------------
# The maths


def variance_share(actual, forecast):
    """Variance as a share of the forecast's size: ``(A - F) / |F|``; NaN where nothing was forecast.

    Parameters
    ----------
    actual, forecast : array_like, any matching shape
        Outturn and forecast in GBP (nominal), signed like the model (costs negative).

    Returns
    -------
    ndarray
        Positive when favourable (more income or less cost), negative when adverse; NaN where ``F == 0``.

    Notes
    -----
    .. math:: v\\% = (A - F) / |F|

    Dividing by ``|F|`` keeps the sign of the variance: an overspend on a cost (``A < F < 0``) and a
    shortfall of income (``0 < A < F``) are both negative.

    Examples
    --------
    >>> from asdm_models.realisation import variance_share
    >>> variance_share([-110.0, 90.0, 5.0], [-100.0, 100.0, 0.0]).tolist()
    [-0.1, -0.1, nan]
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    size = np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(size > 0, (a - f) / np.where(size > 0, size, 1.0), np.nan)


def rag_status(actual, forecast, amber, red):
    """Red, amber or green by the size of an adverse variance against the tolerances.

    Parameters
    ----------
    actual, forecast : array_like, any matching shape
        Outturn and forecast in GBP (nominal), costs negative.
    amber, red : float or array_like broadcasting with them
        Tolerances as fractions of ``|forecast|`` (``0.025`` = 2.5%), ``0 <= amber <= red``.

    Returns
    -------
    ndarray of str
        ``"green"``, ``"amber"`` or ``"red"``.

    Notes
    -----
    With ``v = A - F`` (positive = favourable: more income or less cost) and ``s = -v / |F|`` the adverse
    share:

    * ``v >= 0``: green, whatever its size (a favourable variance is shown, not flagged);
    * ``F = 0`` and ``v < 0``: red (a cost, or a loss of income, the case did not forecast at all);
    * ``s <= amber``: green; ``amber < s <= red``: amber; ``s > red``: red.

    Variances within half a penny count as nil.

    References
    ----------
    HM Treasury (2018), *Guide to developing the project business case* (Better Business Cases): the
    benefits realisation plan, reporting progress against the business case by exception within agreed
    tolerances; Infrastructure and Projects Authority (2017), *Guide for effective benefits management in
    major projects* (RAG reporting of benefits).

    Examples
    --------
    Costs of 100 forecast: 2% over is green, 4% amber, 6% red; 10% under is green; an unforecast cost is red.

    >>> from asdm_models.realisation import rag_status
    >>> rag_status([-102.0, -104.0, -106.0, -90.0, 20.0, -1.0], [-100.0] * 4 + [0.0, 0.0], 0.025, 0.05).tolist()
    ['green', 'amber', 'red', 'green', 'green', 'red']
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    v = a - f
    adverse = v < -_PENNY
    size = np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a tiny forecast: an infinite share is red
        share = np.where(size > 0, -v / np.where(size > 0, size, 1.0), np.inf)
    share = np.where(adverse, share, 0.0)
    out = np.where(share > np.asarray(red, dtype=float), "red",
                   np.where(share > np.asarray(amber, dtype=float), "amber", "green"))
    return out.astype(object) if out.ndim else out


def replace_actual_years(forecast, actual):
    """The forecast by year with its first years replaced by outturn.

    Parameters
    ----------
    forecast : array_like, shape (..., n_years)
        Flows by year of the appraisal period.
    actual : array_like, shape (..., n_actual), ``n_actual <= n_years``
        Outturn of the first ``n_actual`` years, in the same terms (real or nominal) as ``forecast``.

    Returns
    -------
    ndarray, shape (..., n_years)
        ``X'[y] = A[y]`` for ``y < n_actual``, ``F[y]`` after.

    Examples
    --------
    >>> from asdm_models.realisation import replace_actual_years
    >>> replace_actual_years([[1.0, 2.0, 3.0]], [[10.0]]).tolist()
    [[10.0, 2.0, 3.0]]
    """
    f = np.array(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    n = a.shape[-1]
    if n > f.shape[-1]:
        raise ValueError(f"{n} years of outturn but only {f.shape[-1]} years in the forecast")
    f[..., :n] = a
    return f


def reforecast_npv(npv_forecast, forecast_real, actual_real, factors, weights=1.0):
    """A present value re-forecast with outturn in place of the forecast for the years that have happened.

    Parameters
    ----------
    npv_forecast : float or ndarray, shape (...)
        The business case's present value (GBP, real, discounted).
    forecast_real : array_like, shape (..., n_lines, n_years)
        The council's flows by line and year in the business case (real GBP at the price base).
    actual_real : array_like, shape (..., n_lines, n_actual)
        The council's outturn by line for the first ``n_actual`` years, in real terms.
    factors : array_like, shape (n_years,)
        Discount factors of the appraisal.
    weights : float or array_like, shape (n_lines,)
        ``k_l``: 1 where line ``l`` counts in the lens, 0 where it does not (the economic case leaves out
        transfers and payments between the council and the provider).

    Returns
    -------
    float or ndarray, shape (...)

    Notes
    -----
    With ``E'[l, y] = E[l, y] + k_l (A[l, y] - F[l, y])`` for the actual years (other parties' flows and
    no change unchanged):

    .. math:: NPV' = NPV + \\sum_l k_l \\sum_{y < n} (A_{l,y} - F_{l,y}) D_y

    Outturn equal to the forecast leaves the figure unchanged. Outturn is converted to real terms first:
    ``A_real[y] = A_nominal[y] / (1 + g)^y`` (:func:`~asdm_models.discounting.to_real`).

    References
    ----------
    HM Treasury (2022), *The Green Book*: costs and benefits in real terms, discounted at the social time
    preference rate (Annex A6); monitoring and evaluation against the appraisal.

    Examples
    --------
    A cost £100,000 (real) worse in year 1 at 3.5%: ``-100,000 / 1.035 = -96,618.36``.

    >>> from asdm_models.realisation import reforecast_npv
    >>> f = np.array([1.0, 1 / 1.035, 1 / 1.035 ** 2])
    >>> F = np.array([[-50_000.0, -50_000.0, -50_000.0]])
    >>> A = np.array([[-50_000.0, -150_000.0]])
    >>> round(float(reforecast_npv(0.0, F, A, f)), 2)
    -96618.36
    >>> float(reforecast_npv(0.0, F, A, f, weights=[0.0]))
    0.0
    """
    a = np.asarray(actual_real, dtype=float)
    fc = np.asarray(forecast_real, dtype=float)
    n = a.shape[-1]
    d = np.asarray(factors, dtype=float)[:n]
    w = np.asarray(weights, dtype=float)
    change = ((a - fc[..., :n]) @ d)  # (..., n_lines)
    return np.asarray(npv_forecast, dtype=float) + (change * w).sum(axis=-1)


def trajectory(baseline, target, baseline_year, target_year, year):
    """Where a measure should be in a year on the straight line from its baseline to its target.

    Parameters
    ----------
    baseline, target : float
        The measure at ``baseline_year`` and the value sought by ``target_year`` (the measure's unit).
    baseline_year, target_year : int
        Year indices (or calendar years), ``target_year > baseline_year``.
    year : int or array_like
        The year(s) asked about.

    Returns
    -------
    float or ndarray
        The baseline up to ``baseline_year``, the target from ``target_year``, the straight line between.

    Notes
    -----
    .. math:: x^*(y) = b + (t - b) \\cdot \\min(1, \\max(0, (y - y_b) / (y_t - y_b)))

    A measure is on track when it is at least on this line in the direction of the target.

    Examples
    --------
    >>> from asdm_models.realisation import trajectory
    >>> trajectory(58.0, 62.0, 1, 4, [0, 1, 2, 4, 6]).round(4).tolist()
    [58.0, 58.0, 59.3333, 62.0, 62.0]
    """
    y = np.asarray(year, dtype=float)
    span = float(target_year) - float(baseline_year)
    if span <= 0:
        raise ValueError("the target year must come after the baseline year")
    share = np.clip((y - float(baseline_year)) / span, 0.0, 1.0)
    return float(baseline) + (float(target) - float(baseline)) * share


# ---------------------------------------------------------------------------------------------------------
# Loading


def _council(r: OptionAppraisal) -> pd.DataFrame:
    return r.lines[r.lines["party"] == "council"].reset_index(drop=True)


def _read_csv_rows(path: Path, shown: str) -> tuple[list | None, list[DataError]]:
    """The rows of one actuals CSV as ``(line number, [fields])``, after its header was checked."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            return None, [DataError(shown, "", f"is {size / 2**20:.1f} MiB; input files are limited to "
                                               f"{MAX_INPUT_BYTES // 2**20} MiB (a year of outturn is a few lines)")]
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [DataError(shown, "", f"not UTF-8 text ({e.reason} at byte {e.start}); save it as CSV UTF-8")]
    except OSError as e:
        return None, [DataError(shown, "", f"cannot be read: {e.strerror}")]
    reader = csv.reader(io.StringIO(text))
    rows = []
    header = None
    try:
        for fields in reader:
            if not any(x.strip() for x in fields):
                continue
            if header is None:
                header = (reader.line_num, [x.strip().lower() for x in fields])
                continue
            rows.append((reader.line_num, fields))
    except csv.Error as e:
        return None, [DataError(shown, "", f"not a valid CSV file: {e}", reader.line_num)]
    want = "line,actual_nominal_gbp[,note]"
    if header is None:
        return None, [DataError(shown, "", f"the file is empty; write a header {want} and one row per line")]
    cols = header[1]
    if cols not in (list(CSV_COLUMNS[:2]), list(CSV_COLUMNS)):
        return None, [DataError(shown, "header", f"columns {','.join(cols)!r} are not valid; the header must be "
                                                 f"{want} (the council's outturn by line, nominal GBP)", header[0])]
    return [(n, f, len(cols)) for n, f in rows], []


def _amount(text: str) -> float:
    s = text.strip()
    if not s:
        raise ValueError("is empty: state the outturn in GBP, 0 if there was none")
    try:
        x = float(s.replace("_", "x"))  # no 1_000 either: a plain number
    except ValueError:
        raise ValueError(f"{s!r} is not a number; write a plain number of pounds such as -4402000 or 85000.50 "
                         "(no £ sign, no thousands separators)") from None
    if not math.isfinite(x):
        raise ValueError(f"{s!r} is not allowed: the outturn must be a finite number of pounds")
    if abs(x) >= 10.0 ** MAX_INT_DIGITS:
        raise ValueError(f"{s!r} is too large (at most {MAX_INT_DIGITS} digits before the point)")
    return x


def _read_year(path: Path, shown: str, label: str, t: int, council: pd.DataFrame, all_lines: pd.DataFrame,
               years: list, g: float) -> tuple[dict, dict, list[DataError]]:
    """One year of outturn: ``({line: nominal}, {line: note}, errors)``."""
    rows, errors = _read_csv_rows(path, shown)
    if rows is None:
        return {}, {}, errors
    valid = list(council["line"])
    kinds = dict(zip(council["line"], council["kind"]))
    others = {}
    for ln, party in zip(all_lines["line"], all_lines["party"]):
        if ln not in kinds:
            others.setdefault(ln, []).append(party)
    seen: dict[str, int] = {}
    amounts, notes = {}, {}
    for n, fields, ncols in rows:
        if len(fields) > ncols:
            errors.append(DataError(shown, f"row {n}", f"{len(fields)} values but the header has {ncols} columns; "
                                                       "put a note with commas in double quotes", n))
            continue
        fields = fields + [""] * (ncols - len(fields))
        line = fields[0].strip()
        if not line:
            errors.append(DataError(shown, f"row {n}.line", "is empty; name a line of the business case", n))
            continue
        if line not in kinds:
            if line in others:
                what = (f"{line!r} is a line of the case borne by the {' and '.join(others[line])}, not the council: "
                        "the actuals are the council's own outturn")
            else:
                what = f"{line!r} is not a line of the business case{suggest(line, valid)}"
            errors.append(DataError(shown, f"row {n}.line", f"{what}; the council's lines are: {', '.join(valid)}",
                                    n, line))
            continue
        if line in seen:
            errors.append(DataError(shown, f"row {n}.line", f"{line!r} is stated twice (also on row {seen[line]}); "
                                                            "state each line once a year", n, line))
            continue
        seen[line] = n
        try:
            amounts[line] = _amount(fields[1])
        except ValueError as e:
            errors.append(DataError(shown, f"row {n}.actual_nominal_gbp", f"{line}: {e}", n, fields[1]))
            continue
        if ncols == 3 and fields[2].strip():
            notes[line] = fields[2].strip()
    forecast = to_nominal(council[years].to_numpy(dtype=float), g)[:, t]
    missing = [ln for ln, k, f in zip(council["line"], council["kind"], forecast)
               if k != "adjustment" and abs(f) > _PENNY and ln not in seen]
    if missing and not any(e.field == "header" for e in errors):
        errors.append(DataError(shown, "line", f"no outturn for {', '.join(missing)}: every council line the business "
                                               f"case forecasts for {label} must be stated (0 if there was none)"))
    return amounts, notes, errors


def _tolerance(doc: YamlDoc, path: tuple, node) -> tuple[Tolerance | None, list[DataError]]:
    if not isinstance(node, dict):
        return None, [doc.error(path, "expected {amber: 2.5%, red: 5%}: the adverse variance, as a share of the "
                                      "forecast, at which a line turns amber and red", node)]
    errors = [doc.error(path + (k,), f"unknown key {k!r}{suggest(str(k), ('amber', 'red'))}; a tolerance has "
                                     "amber and red") for k in node if k not in ("amber", "red")]
    vals = {}
    for k in ("amber", "red"):
        if k not in node:
            errors.append(doc.error(path, f"{k} is missing; write it as a percentage such as \"5%\""))
            continue
        try:
            vals[k] = parse_rate(node[k])
        except ValueError as e:
            errors.append(doc.error(path + (k,), str(e), node[k]))
            continue
        if vals[k] < 0:
            errors.append(doc.error(path + (k,), f"{node[k]!r} is negative; a tolerance is 0% or more", node[k]))
    if not errors and vals["amber"] > vals["red"]:
        errors.append(doc.error(path, f"amber ({format_pct(vals['amber'])}) is above red ({format_pct(vals['red'])}); "
                                      "amber must be at most red"))
    return (Tolerance(vals["amber"], vals["red"]) if not errors else None), errors


def _year_index(doc: YamlDoc, path: tuple, value, appraisal) -> tuple[int | None, DataError | None]:
    years = appraisal.years
    try:
        start = parse_fy_label(value if not isinstance(value, int) or isinstance(value, bool) else str(value))
    except ValueError as e:
        return None, doc.error(path, f"{e}; a year of the appraisal period ({years[0]} to {years[-1]})", value)
    t = start - appraisal.first_year
    if not 0 <= t < appraisal.period_years:
        return None, doc.error(path, f"{fy_label(start)} is outside the appraisal period ({years[0]} to {years[-1]})",
                               value)
    return t, None


def _number(doc: YamlDoc, path: tuple, value, what: str) -> tuple[float | None, DataError | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        return None, doc.error(path, f"{value!r} is not a number; {what}", value)
    return float(value), None


def _objectives(doc: YamlDoc, node, appraisal) -> tuple[tuple, list[DataError]]:
    if node is None:
        return (), []
    if not isinstance(node, list):
        return (), [doc.error(("objectives",), "expected a list of measures, each with objective (its number in "
                                               "appraisal.yaml strategic_objectives) and measure")]
    n_obj = len(appraisal.strategic_objectives)
    out, errors = [], []
    for i, item in enumerate(node):
        p = ("objectives", i)
        if not isinstance(item, dict):
            errors.append(doc.error(p, "expected a mapping with objective, measure and a target"))
            continue
        errs: list[DataError] = []
        for k in item:
            if k not in _OBJECTIVE_KEYS:
                errs.append(doc.error(p + (k,), f"unknown key {k!r}{suggest(str(k), _OBJECTIVE_KEYS)}; an objective's "
                                                f"measure has: {', '.join(_OBJECTIVE_KEYS)}"))
        num = item.get("objective")
        if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= n_obj:
            errs.append(doc.error(p + ("objective",), f"{num!r} is not the number of a strategic objective: "
                                                      f"appraisal.yaml has {n_obj} (1 to {n_obj})", num))
        measure = item.get("measure")
        if not isinstance(measure, str) or not measure.strip():
            errs.append(doc.error(p + ("measure",), "missing or empty: say what is measured"))
        computed = item.get("from", "")
        kw: dict = {}
        if computed:
            if computed not in _COMPUTED:
                errs.append(doc.error(p + ("from",), f"{computed!r} is not a measure computed from the actuals; "
                                                     f"use {', '.join(_COMPUTED)} or state actuals", computed))
            for k in ("actuals", "baseline", "baseline_year", "target", "unit"):
                if k in item:
                    errs.append(doc.error(p + (k,), f"{k} does not apply to a measure computed from the actuals "
                                                    f"(from: {computed}); the target is target_gbp"))
            if "target_gbp" not in item:
                errs.append(doc.error(p, "target_gbp is missing: the saving sought a year (GBP, nominal)"))
            else:
                x, e = _number(doc, p + ("target_gbp",), item["target_gbp"], "the target is a sum in GBP such as 450000")
                errs += [e] if e else []
                kw["target"] = x
            kw["baseline"] = 0.0  # the saving against no change starts from nothing
            if "target_year" in item:
                kw["target_year"], e = _year_index(doc, p + ("target_year",), item["target_year"], appraisal)
                errs += [e] if e else []
            else:
                kw["target_year"] = appraisal.savings_target_from
        else:
            if "target_gbp" in item:
                errs.append(doc.error(p + ("target_gbp",), "target_gbp is for a measure computed from the actuals "
                                                           "(from: budget_saving); a stated measure has target"))
            for k, what in (("baseline", "the measure before the change"), ("target", "the value sought")):
                if k not in item:
                    errs.append(doc.error(p, f"{k} is missing: {what}, in the measure's unit"))
                else:
                    kw[k], e = _number(doc, p + (k,), item[k], f"{k} is {what}, in the measure's unit")
                    errs += [e] if e else []
            if "target_year" not in item:
                errs.append(doc.error(p, "target_year is missing: the financial year by which the target is sought"))
            else:
                kw["target_year"], e = _year_index(doc, p + ("target_year",), item["target_year"], appraisal)
                errs += [e] if e else []
            kw["baseline_year"] = 0
            if "baseline_year" in item:
                kw["baseline_year"], e = _year_index(doc, p + ("baseline_year",), item["baseline_year"], appraisal)
                errs += [e] if e else []
            unit = item.get("unit", "")
            if not isinstance(unit, str):
                errs.append(doc.error(p + ("unit",), f"{unit!r} is not text; write the unit, e.g. \"%\"", unit))
            kw["unit"] = unit if isinstance(unit, str) else ""
            acts = item.get("actuals", {}) or {}
            pairs = []
            if not isinstance(acts, dict):
                errs.append(doc.error(p + ("actuals",), "expected a mapping of financial year to value, e.g. "
                                                        "{2027-28: 58.6}"))
            else:
                for y, x in acts.items():
                    t, e = _year_index(doc, p + ("actuals", y), y, appraisal)
                    v, e2 = _number(doc, p + ("actuals", y), x, "a measured value in the measure's unit")
                    errs += [z for z in (e, e2) if z]
                    if t is not None and v is not None:
                        pairs.append((t, v))
            kw["actuals"] = tuple(sorted(pairs))
        ty, by = kw.get("target_year"), kw.get("baseline_year")
        if not errs and ty is not None and ty <= (by if by is not None else -1):
            errs.append(doc.error(p + ("target_year",), f"{fy_label(appraisal.first_year + ty)} is not after the "
                                                        f"baseline year {fy_label(appraisal.first_year + by)}"))
        source = item.get("source", "")
        errors += errs
        if not errs:
            out.append(ObjectiveMeasure(objective=num, measure=measure.strip(), computed=computed or "",
                                        source=source if isinstance(source, str) else str(source), **kw))
    return tuple(out), errors


def load_actuals(data_dir, appraisal, option: str | None = None) -> tuple[Actuals | None, list[DataError], list[Path]]:
    """Read and validate ``<data_dir>/actuals/``: outturn by year and line, and ``realisation.yaml``.

    Parameters
    ----------
    data_dir : str or Path
        The appraisal folder (the one :func:`~asdm_models.load_appraisal` read).
    appraisal : Appraisal
        The loaded appraisal: the lines of the option's business case are the valid lines.
    option : str, optional
        The launched option; when not given, ``option`` of ``realisation.yaml``. Given, it wins.

    Returns
    -------
    (Actuals or None, list of DataError, list of Path)
        The actuals (``None`` when there is no ``actuals/`` folder or it has problems), every problem found
        (file, row, field, what was wrong and what is valid), and the files read.
    """
    root = Path(data_dir)
    folder = root / "actuals"
    if not folder.exists():
        return None, [], []
    shown_dir = relative_name(folder, root)
    if not folder.is_dir():
        return None, [DataError(shown_dir, "", "is not a folder; actuals/ holds realisation.yaml and one "
                                               "<year>.csv per financial year of outturn")], []
    errors: list[DataError] = []
    files: list[Path] = []
    years = appraisal.years
    conf: dict = {}
    doc = None
    yaml_path = folder / "realisation.yaml"
    if yaml_path.exists():
        files.append(yaml_path)
        doc, errs = read_yaml(yaml_path, relative_name(yaml_path, root))
        errors += errs
        if doc is not None and doc.data is not None and not isinstance(doc.data, dict):
            errors.append(doc.error((), "expected a mapping with option, stage, tolerances, line_tolerances, "
                                        "objectives"))
            doc = None
        conf = (doc.data or {}) if doc is not None else {}
        for k in conf:
            if k not in _YAML_KEYS:
                errors.append(doc.error((k,), f"unknown key {k!r}{suggest(str(k), _YAML_KEYS)}; realisation.yaml "
                                              f"has: {', '.join(_YAML_KEYS)}"))

    # The option and stage the actuals are held to.
    yaml_name = relative_name(yaml_path, root)
    opt_id = option or conf.get("option")
    forecast = None
    opt_line = doc.line(("option",)) if doc is not None and not option else None
    if opt_id and not isinstance(opt_id, str):
        errors.append(DataError(yaml_name, "option", f"{opt_id!r} is not an option id; name one of "
                                                     f"{', '.join(appraisal.options)}", opt_line))
        opt_id = None
    elif not opt_id:
        errors.append(DataError(yaml_name, "option", "no option: name the launched option in realisation.yaml "
                                                     f"(one of {', '.join(appraisal.options)})"))
    elif opt_id not in appraisal.options and opt_id not in appraisal.broken_options:
        errors.append(DataError(yaml_name, "option", f"{opt_id!r} is not an option of {appraisal.id}"
                                f"{suggest(str(opt_id), appraisal.options)}; the options are: {', '.join(appraisal.options)}",
                                opt_line, opt_id))
        opt_id = None
    elif opt_id in appraisal.options and appraisal.options[opt_id].model == "no_change":
        errors.append(DataError(yaml_name, "option", f"{opt_id!r} is no change: the actuals are held to the "
                                                     "business case of the option that was launched", opt_line))
        opt_id = None
    stage = conf.get("stage", "fbc")
    if not isinstance(stage, str) or stage not in STAGES:
        errors.append(doc.error(("stage",), f"{stage!r} is not a stage; use one of {', '.join(STAGES)} (the business "
                                            "case the actuals are held to)", stage))
        stage = None
    if opt_id and stage:
        try:
            forecast = appraise(appraisal, opt_id, stage)
        except DataErrors as e:
            errors += e.errors
        except AsdmError as e:  # pragma: no cover - the option was checked above
            errors.append(DataError(yaml_name, "option", str(e)))
    council = _council(forecast) if forecast is not None else None

    tol = DEFAULT_TOLERANCE
    if doc is not None and "tolerances" in conf:
        t, errs = _tolerance(doc, ("tolerances",), conf["tolerances"])
        errors += errs
        tol = t or tol
    line_tols = {}
    lt = conf.get("line_tolerances") or {}
    if doc is not None and not isinstance(lt, dict):
        errors.append(doc.error(("line_tolerances",), "expected a mapping of line to {amber: .., red: ..}"))
    elif doc is not None:
        for ln, node in lt.items():
            if council is not None and ln not in set(council["line"]):
                errors.append(doc.error(("line_tolerances", ln), f"{ln!r} is not a council line of the business case"
                                        f"{suggest(str(ln), list(council['line']))}; the council's lines are: "
                                        f"{', '.join(council['line'])}"))
                continue
            t, errs = _tolerance(doc, ("line_tolerances", ln), node)
            errors += errs
            if t is not None:
                line_tols[ln] = t
    objectives = ()
    if doc is not None:
        objectives, errs = _objectives(doc, conf.get("objectives"), appraisal)
        errors += errs

    # The years of outturn.
    found: dict[int, Path] = {}
    for p in sorted(folder.iterdir()):
        shown = relative_name(p, root)
        if p.name.startswith(".") or p.name == "realisation.yaml" or p.suffix.lower() in (".md", ".txt"):
            continue
        if p.is_dir():
            errors.append(DataError(shown, "", "is a folder; actuals/ holds realisation.yaml and one <year>.csv per "
                                               "financial year"))
            continue
        if p.suffix.lower() != ".csv":
            errors.append(DataError(shown, "", "is not an actuals file: actuals/ holds realisation.yaml and one "
                                               "<year>.csv per financial year of outturn (e.g. 2027-28.csv)"))
            continue
        try:
            start = parse_fy_label(p.stem)
        except ValueError:
            errors.append(DataError(shown, "", f"the file name {p.stem!r} is not a financial year; name each year's "
                                               f"outturn after its year, e.g. {years[min(1, len(years) - 1)]}.csv"))
            continue
        t = start - appraisal.first_year
        if not 0 <= t < appraisal.period_years:
            errors.append(DataError(shown, "", f"{fy_label(start)} is outside the appraisal period "
                                               f"({years[0]} to {years[-1]})"))
            continue
        if t in found:
            errors.append(DataError(shown, "", f"a second file for {years[t]} (also {found[t].name}); keep one"))
            continue
        found[t] = p
    if found:
        last = max(found)
        for t in range(last):
            if t not in found:
                errors.append(DataError(shown_dir, "", f"no outturn for {years[t]} although {years[last]} has it: "
                                                       f"actuals run from the first year of the period ({years[0]}, "
                                                       f"the current service's outturn before go-live counts too) "
                                                       f"without gaps; add actuals/{years[t]}.csv"))
    else:
        errors.append(DataError(shown_dir, "", f"no outturn: add one <year>.csv per financial year from {years[0]} "
                                               "(columns line,actual_nominal_gbp[,note])"))

    amounts, notes, stated = {}, {}, set()
    if council is not None:
        g = float(forecast.inputs.values["gdp_deflator"])
        for t in sorted(found):
            files.append(found[t])
            got, nts, errs = _read_year(found[t], relative_name(found[t], root), years[t], t, council, forecast.lines,
                                        years, g)
            errors += errs
            amounts[years[t]] = {ln: float(got.get(ln, 0.0)) for ln in council["line"]}
            stated |= {(years[t], ln) for ln in got}
            notes.update({(years[t], ln): x for ln, x in nts.items()})
    else:
        files += [found[t] for t in sorted(found)]
    if errors:
        return None, errors, files
    act_years = tuple(years[t] for t in range(len(found)))
    return Actuals(opt_id, stage, tol, line_tols, objectives, act_years, amounts, frozenset(stated), notes,
                   tuple(files)), [], files


# ---------------------------------------------------------------------------------------------------------
# Comparing and re-forecasting


@dataclass
class Reforecast:
    """The business case with the actual years' council flows at outturn and the rest as forecast.

    Money in GBP: present values real at the price base and discounted; ``budget`` nominal cash by year
    (rows: the years of the period; ``basis`` says whether a year is outturn or forecast).
    """

    npsv_gbp: float
    npsv_vs_no_change_gbp: float
    council_npv_gbp: float
    council_npv_vs_no_change_gbp: float
    payback_year: str | None
    summary: pd.DataFrame = field(repr=False)
    budget: pd.DataFrame = field(repr=False)


@dataclass
class Realisation:
    """Actuals against the business case, line by line and year by year, and the re-forecast.

    ``lines`` has one row per council line and year of outturn, then a ``total`` row per year (the council's
    net budget): ``forecast_nominal_gbp``, ``actual_nominal_gbp``, ``variance_nominal_gbp`` (actual -
    forecast; positive = favourable), ``variance_pct`` (of ``|forecast|``, a fraction; empty where nothing was
    forecast), ``forecast_real_gbp``, ``actual_real_gbp``, ``variance_real_gbp`` (the same at the price base: the
    outturn deflated by the appraisal's GDP deflator, as the case's real figures are), the tolerances and ``status`` (red / amber / green:
    a favourable variance is green whatever its size, see :func:`rag_status`).
    """

    appraisal_id: str
    option: str
    name: str
    model: str
    stage: str
    years: tuple  # the years of outturn
    tolerance: Tolerance
    lines: pd.DataFrame = field(repr=False)
    reforecast: Reforecast = field(repr=False)
    objectives: pd.DataFrame = field(repr=False)
    fbc: OptionAppraisal = field(repr=False)

    @property
    def years_of_actuals(self) -> int:
        return len(self.years)

    @property
    def totals(self) -> pd.DataFrame:
        """The total rows: the council's net budget by year of outturn."""
        return self.lines[self.lines["line"] == "total"].reset_index(drop=True)

    @property
    def total_variance_nominal_gbp(self) -> float:
        """Outturn less forecast of the council's net budget, summed over the years of outturn (nominal)."""
        return float(self.totals["variance_nominal_gbp"].sum())

    @property
    def worst_line(self) -> dict | None:
        """The line and year with the largest adverse variance in pounds, or ``None`` when none is adverse."""
        df = self.lines[(self.lines["line"] != "total") & (self.lines["variance_nominal_gbp"] < -_PENNY)]
        if not len(df):
            return None
        row = df.loc[df["variance_nominal_gbp"].idxmin()]
        return {k: row[k] for k in ("year", "line", "label", "forecast_nominal_gbp", "actual_nominal_gbp",
                                    "variance_nominal_gbp", "variance_pct", "status")}

    def count(self, status: str) -> int:
        """How many line-years (totals left out) have this status."""
        return int(((self.lines["line"] != "total") & (self.lines["status"] == status)).sum())

    @property
    def red_lines(self) -> int:
        return self.count("red")

    @property
    def overall_status(self) -> str:
        """The worst status of the yearly totals: green when the council's net budget kept within tolerance."""
        got = set(self.totals["status"])
        return next((s for s in ("red", "amber") if s in got), "green")

    @property
    def on_track(self) -> bool:
        return self.overall_status == "green"


def _objectives_table(appraisal, actuals: Actuals, saving_actual: np.ndarray, saving_fbc: np.ndarray) -> pd.DataFrame:
    """Each strategic objective with its measures: latest actual, where it should be, and the status.

    A stated measure should be on the straight line from its baseline to its target (:func:`trajectory`).
    ``budget_saving`` (the council's saving against no change, nominal, from the outturn) should be at least the
    business case's saving for that year before the target year, and the target from it.
    """
    first = appraisal.first_year
    rows = []
    by_obj: dict[int, list] = {}
    for m in actuals.objectives:
        by_obj.setdefault(m.objective, []).append(m)
    for i, text in enumerate(appraisal.strategic_objectives, 1):
        base = {"objective": i, "objective_text": text}
        if i not in by_obj:
            rows.append({**base, "measure": "", "unit": "", "baseline": None, "target": None, "target_year": None,
                         "latest_year": None, "latest_actual": None, "expected": None, "status": "no measure"})
            continue
        for m in by_obj[i]:
            row = {**base, "measure": m.measure, "unit": m.unit, "baseline": m.baseline, "target": m.target,
                   "target_year": fy_label(first + m.target_year) if m.target_year is not None else None}
            if m.computed == "budget_saving":
                row["unit"] = "£ a year (nominal)"
                pairs = list(enumerate(saving_actual))
            else:
                pairs = list(m.actuals)
            if not pairs:
                rows.append({**row, "latest_year": None, "latest_actual": None, "expected": None,
                             "status": "no measure"})
                continue
            t, x = pairs[-1]
            if m.computed == "budget_saving":
                expected = float(m.target) if t >= m.target_year else float(saving_fbc[t])
                ahead = x >= expected - _PENNY
            else:
                expected = float(trajectory(m.baseline, m.target, m.baseline_year, m.target_year, t))
                direction = 1.0 if m.target >= m.baseline else -1.0
                ahead = (x - expected) * direction >= -1e-9
            rows.append({**row, "latest_year": fy_label(first + t), "latest_actual": float(x), "expected": expected,
                         "status": "on track" if ahead else "behind"})
    return pd.DataFrame(rows, columns=["objective", "objective_text", "measure", "unit", "baseline", "target",
                                       "target_year", "latest_year", "latest_actual", "expected", "status"])


def realisation(appraisal, actuals: Actuals | None = None) -> Realisation:
    """Actuals against the business case, with the RAG status of every line and year, and the re-forecast.

    Parameters
    ----------
    appraisal : Appraisal
        From :func:`~asdm_models.load_appraisal`.
    actuals : Actuals, optional
        From :func:`load_actuals`; by default ``appraisal.actuals``.

    Returns
    -------
    Realisation

    Notes
    -----
    For each council line ``l`` and year of outturn ``y`` (nominal ``A``, forecast ``F``, GDP deflator ``g``):
    variance ``A - F``, share ``(A - F) / |F|``, status by :func:`rag_status`; in real terms
    ``A_real = A / (1 + g)^y``. The re-forecast replaces the council's flows of the actual years by outturn:
    ``E'[l, y] = E[l, y] + k_l (A_real[l, y] - F_real[l, y])`` with ``k_l = 1`` where the line counts in the
    economic case (kind not transfer or internal), so
    ``NPSV' = NPSV + sum_l k_l sum_y (A_real - F_real) D_y`` (:func:`reforecast_npv`), the council's NPV the
    same with every ``k_l = 1``, and no change and other parties' flows unchanged. The council's budget by year
    is the outturn total in the actual years and the forecast after; the saving against no change is that
    less no change's budget, and the shortfall against the savings target ``max(target - saving, 0)`` in the
    years the target covers.
    """
    actuals = actuals if actuals is not None else getattr(appraisal, "actuals", None)
    if actuals is None:
        raise ValueError(f"{appraisal.id} has no actuals: add an actuals/ folder (see asdm_models.realisation)")
    r = appraise(appraisal, actuals.option, actuals.stage)
    council = _council(r)
    periods = list(r.years)
    n = len(actuals.years)
    g = float(r.inputs.values["gdp_deflator"])
    f = np.asarray(r.inputs.factors, dtype=float)
    names = list(council["line"])
    F_real = council[periods].to_numpy(dtype=float)  # (L, T)
    F_nom = to_nominal(F_real, g)
    A_nom = np.array([[actuals.amounts[y].get(ln, 0.0) for y in actuals.years] for ln in names],
                     dtype=float).reshape(len(names), n)
    A_real = to_real(A_nom, g)
    k = np.array([kind not in _NON_ECONOMIC for kind in council["kind"]], dtype=float)

    # The line table, year by year, then the totals.
    tol = np.array([[actuals.tolerance_of(ln).amber, actuals.tolerance_of(ln).red] for ln in names]).reshape(-1, 2)
    Fn = F_nom[:, :n]
    status = rag_status(A_nom, Fn, tol[:, :1], tol[:, 1:])
    share = variance_share(A_nom, Fn)
    rows = []
    for j, y in enumerate(actuals.years):
        for i, ln in enumerate(names):
            rows.append({"year": y, "line": ln, "label": council["label"][i], "kind": council["kind"][i],
                         "forecast_nominal_gbp": Fn[i, j], "actual_nominal_gbp": A_nom[i, j],
                         "variance_nominal_gbp": A_nom[i, j] - Fn[i, j], "variance_pct": share[i, j],
                         "forecast_real_gbp": F_real[i, j], "actual_real_gbp": A_real[i, j],
                         "variance_real_gbp": A_real[i, j] - F_real[i, j],
                         "amber": tol[i, 0], "red": tol[i, 1], "status": status[i, j],
                         "stated": (y, ln) in actuals.stated, "note": actuals.notes.get((y, ln), "")})
        ft, at = Fn[:, j].sum(), A_nom[:, j].sum()
        rows.append({"year": y, "line": "total", "label": "Total: council net budget", "kind": "",
                     "forecast_nominal_gbp": ft, "actual_nominal_gbp": at, "variance_nominal_gbp": at - ft,
                     "variance_pct": float(variance_share(at, ft)), "forecast_real_gbp": F_real[:, j].sum(),
                     "actual_real_gbp": A_real[:, j].sum(),
                     "variance_real_gbp": A_real[:, j].sum() - F_real[:, j].sum(), "amber": actuals.tolerance.amber,
                     "red": actuals.tolerance.red,
                     "status": str(rag_status(at, ft, actuals.tolerance.amber, actuals.tolerance.red)),
                     "stated": True, "note": ""})
    lines = pd.DataFrame(rows)

    # The re-forecast.
    d_econ = float(reforecast_npv(0.0, F_real, A_real, f, k))
    d_council = float(reforecast_npv(0.0, F_real, A_real, f))
    fin = r.financial_case
    net_fbc = fin.loc["council_net_nominal_gbp"].to_numpy(dtype=float)
    net_nc = fin.loc["no_change_net_nominal_gbp"].to_numpy(dtype=float)
    target = fin.loc["savings_target_nominal_gbp"].to_numpy(dtype=float)
    net_new = replace_actual_years(net_fbc, A_nom.sum(axis=0))
    saving_fbc, saving_new = net_fbc - net_nc, net_new - net_nc
    in_target = np.arange(len(periods)) >= appraisal.savings_target_from
    shortfall = np.where(in_target, np.maximum(target - saving_new, 0.0), 0.0)
    budget = pd.DataFrame({
        "basis": ["outturn" if t < n else "forecast" for t in range(len(periods))],
        "council_net_fbc_nominal_gbp": net_fbc, "council_net_reforecast_nominal_gbp": net_new,
        "no_change_net_nominal_gbp": net_nc, "saving_fbc_nominal_gbp": saving_fbc,
        "saving_reforecast_nominal_gbp": saving_new, "savings_target_nominal_gbp": target,
        "shortfall_reforecast_nominal_gbp": shortfall}, index=pd.Index(periods, name="year"))
    figures = [
        ("npsv_gbp", "NPSV (economic case)", r.npsv_gbp, r.npsv_gbp + d_econ),
        ("npsv_vs_no_change_gbp", "NPSV against no change", r.npsv_vs_no_change_gbp, r.npsv_vs_no_change_gbp + d_econ),
        ("council_npv_gbp", "Council NPV", r.council_npv_gbp, r.council_npv_gbp + d_council),
        ("council_npv_vs_no_change_gbp", "Council NPV against no change", r.council_npv_vs_no_change_gbp,
         r.council_npv_vs_no_change_gbp + d_council),
        ("cumulative_saving_nominal_gbp", "Council's saving against no change over the period (nominal)",
         float(saving_fbc.sum()), float(saving_new.sum())),
    ]
    summary = pd.DataFrame([{"metric": m, "label": lab, "fbc_gbp": a, "reforecast_gbp": b, "change_gbp": b - a}
                            for m, lab, a, b in figures])
    pay = payback_index(saving_new)
    refc = Reforecast(r.npsv_gbp + d_econ, r.npsv_vs_no_change_gbp + d_econ, r.council_npv_gbp + d_council,
                      r.council_npv_vs_no_change_gbp + d_council,
                      None if pay is None else periods[pay], summary, budget)
    objectives = _objectives_table(appraisal, actuals, saving_new[:n], saving_fbc)
    return Realisation(appraisal.id, r.option, r.name, r.model, r.stage, tuple(actuals.years), actuals.tolerance,
                       lines, refc, objectives, r)


# ---------------------------------------------------------------------------------------------------------
# Presenting


def realisation_rows(result: Realisation) -> list[dict]:
    """The figures a batch records for a realisation report (plain numbers; for ``business_case.write_metrics``).

    Examples
    --------
    >>> from asdm_models.realisation import load_actuals, realisation, realisation_rows
    >>> folder = PROJECT_ROOT / "tests" / "data" / "launched"
    >>> a = load_appraisal(folder)
    >>> act, errors, _ = load_actuals(folder, a)
    >>> row = realisation_rows(realisation(a, act))[0]
    >>> row["option"], row["actual_years"], row["last_actual_year"]
    ('trading_company', 2, '2027-28')
    """
    rf = result.reforecast
    worst = result.worst_line
    return [{
        "option": result.option, "model": result.model, "stage": result.stage, "report": "realisation",
        "npsv_gbp": float(rf.npsv_gbp), "npsv_vs_no_change_gbp": float(rf.npsv_vs_no_change_gbp),
        "council_npv_vs_no_change_gbp": float(rf.council_npv_vs_no_change_gbp),
        "fbc_npsv_vs_no_change_gbp": float(result.fbc.npsv_vs_no_change_gbp),
        "fbc_council_npv_vs_no_change_gbp": float(result.fbc.council_npv_vs_no_change_gbp),
        "payback_year": rf.payback_year,
        "actual_years": result.years_of_actuals, "last_actual_year": result.years[-1] if result.years else None,
        "total_variance_nominal_gbp": result.total_variance_nominal_gbp,
        "red_lines": result.red_lines, "amber_lines": result.count("amber"),
        "overall_status": result.overall_status,
        "worst_line": worst["line"] if worst else None,
        "worst_line_year": worst["year"] if worst else None,
        "objectives_behind": int((result.objectives["status"] == "behind").sum()),
        "status": "ok",
    }]


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _pct(x: float) -> str:
    return format_pct(x, 1).replace(".0%", "%")


def _gbp(x) -> str:
    return format_gbp(x, millions=False)


def _table(header: list, rows: list, right: set) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    out = []
    for r in [header] + rows:
        out.append("  " + "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                                    for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return out


def shown_lines(result: Realisation) -> pd.DataFrame:
    """The rows of the line table worth showing: a line with a forecast, an outturn or a stated figure."""
    df = result.lines
    keep = (df["line"] == "total") | (df["forecast_nominal_gbp"].abs() > _PENNY) | \
        (df["actual_nominal_gbp"].abs() > _PENNY) | df["stated"]
    return df[keep].reset_index(drop=True)


def realisation_text(appraisal, result: Realisation) -> str:
    """What ``asdm realise DATA_DIR`` prints: every year's lines against the case, the totals, the re-forecast.

    Examples
    --------
    >>> from asdm_models.realisation import load_actuals, realisation, realisation_text
    >>> folder = PROJECT_ROOT / "tests" / "data" / "launched"
    >>> a = load_appraisal(folder)
    >>> text = realisation_text(a, realisation(a, load_actuals(folder, a)[0]))
    >>> text.splitlines()[0]
    'Benefits realisation: Council-owned leisure company (Teckal) against the full business case'
    """
    stage_label = appraisal.stages[result.stage].label.lower() if result.stage in appraisal.stages else result.stage
    tol = result.tolerance
    out = [f"Benefits realisation: {result.name} against the {stage_label}",
           f"{appraisal.title} ({appraisal.id}); outturn {result.years[0]} to {result.years[-1]} "
           f"({len(result.years)} year{'s' if len(result.years) != 1 else ''}), nominal cash and real at the "
           f"{appraisal.price_base} price base, costs negative",
           f"RAG: an adverse variance above {_pct(tol.amber)} of the forecast is amber, above "
           f"{_pct(tol.red)} red (per-line tolerances where realisation.yaml sets them); a favourable "
           "variance (more income, less cost) is green whatever its size.", ""]
    df = shown_lines(result)
    for y in result.years:
        out.append(y)
        rows = []
        for r in df[df["year"] == y].itertuples():
            rows.append([r.label if r.line != "total" else "Total (council net budget)", _gbp(r.forecast_nominal_gbp),
                         _gbp(r.actual_nominal_gbp), format_gbp(r.variance_nominal_gbp, millions=False, signed=True),
                         format_pct(r.variance_pct) if not pd.isna(r.variance_pct) else "", r.status.upper()
                         + ("" if r.stated or r.kind != "adjustment" else " (released)"),
                         _gbp(r.forecast_real_gbp), _gbp(r.actual_real_gbp),
                         format_gbp(r.variance_real_gbp, millions=False, signed=True)])
        out += _table(["line", "forecast", "actual", "variance", "var %", "RAG", "forecast real", "actual real",
                       "variance real"], rows, {1, 2, 3, 4, 6, 7, 8})
        out.append("")
    out.append(f"Total variance over the years of outturn: {format_gbp(result.total_variance_nominal_gbp, signed=True, millions=False)}"
               f"; {result.red_lines} red and {result.count('amber')} amber line-years.")
    worst = result.worst_line
    if worst:
        out.append(f"Largest adverse variance: {worst['label']} in {worst['year']}, "
                   f"{_gbp(worst['variance_nominal_gbp'])} ({worst['status']}).")
    out += ["", "Re-forecast: the business case with the years of outturn at actuals (present values real, discounted)"]
    rows = [[r.label, _gbp(r.fbc_gbp), _gbp(r.reforecast_gbp), format_gbp(r.change_gbp, millions=False, signed=True)]
            for r in result.reforecast.summary.itertuples()]
    rows.append(["Payback year", result.fbc.payback_year or "none", result.reforecast.payback_year or "none", ""])
    out += _table(["figure", result.stage.upper(), "re-forecast", "change"], rows, {1, 2, 3})
    out += ["", "Council budget by year (nominal)"]
    b = result.reforecast.budget
    rows = [[y, r.basis, _gbp(r.council_net_fbc_nominal_gbp), _gbp(r.council_net_reforecast_nominal_gbp),
             _gbp(r.saving_reforecast_nominal_gbp), _gbp(r.savings_target_nominal_gbp),
             _gbp(r.shortfall_reforecast_nominal_gbp)] for y, r in zip(b.index, b.itertuples())]
    out += _table(["year", "basis", f"{result.stage.upper()} net", "re-forecast net", "saving vs no change",
                   "target", "shortfall"], rows, {2, 3, 4, 5, 6})
    obj = result.objectives
    if len(obj):
        out += ["", "Strategic objectives"]
        rows = []
        for r in obj.itertuples():
            money = r.unit.startswith("£")
            suffix = r.unit if r.unit == "%" else ""
            num = (lambda v: "" if _blank(v) else (_gbp(v) if money else f"{round(float(v), 2):g}{suffix}"))  # noqa: E731
            rows.append([str(r.objective), r.measure or f"(no measure) {r.objective_text}", num(r.baseline),
                         num(r.target), "" if _blank(r.target_year) else r.target_year,
                         "" if _blank(r.latest_year) else r.latest_year, num(r.latest_actual), num(r.expected),
                         r.status])
        out += _table(["#", "measure", "baseline", "target", "by", "latest", "actual", "expected", "status"],
                      rows, {2, 3, 6, 7})
    return "\n".join(out) + "\n"


def actuals_figure(result: Realisation):
    """The council's net budget by year: the business case for the whole period, the outturn where it is known."""
    import plotly.graph_objects as go

    from .charts import BASE_COLOUR, OPTION_COLOUR, _e, _m, style

    b = result.reforecast.budget
    years = list(b.index)
    n = len(result.years)
    fig = go.Figure()
    fig.add_bar(x=years, y=b["council_net_fbc_nominal_gbp"].to_numpy(), name=f"{result.stage.upper()} forecast",
                marker_color=BASE_COLOUR)
    fig.add_bar(x=years[:n], y=b["council_net_reforecast_nominal_gbp"].to_numpy()[:n], name="Outturn",
                marker_color=OPTION_COLOUR, text=[_m(v) for v in b["council_net_reforecast_nominal_gbp"][:n]],
                textposition="outside")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="council net budget (nominal)")
    v = result.total_variance_nominal_gbp
    verb = "better" if v >= 0 else "worse"
    span = result.years[0] if n == 1 else f"{result.years[0]} to {result.years[-1]}"
    return style(fig, f"{_e(result.name)}: outturn {_m(abs(v))} {verb} than the {result.stage.upper()} "
                      f"over {span} (council net budget, nominal)")


def variance_figure(result: Realisation):
    """Each line's variance against the case in each year of outturn, adverse ones in vermillion."""
    import plotly.graph_objects as go

    from .charts import BAD, GOOD, _e, _m, style

    df = shown_lines(result)
    df = df[(df["line"] != "total") & (df["variance_nominal_gbp"].abs() > _PENNY)].iloc[::-1]
    labels = [f"{_e(lab)} ({y})" for lab, y in zip(df["label"], df["year"])]
    v = df["variance_nominal_gbp"].to_numpy()
    fig = go.Figure(go.Bar(y=labels, x=v, orientation="h", marker_color=[GOOD if x >= 0 else BAD for x in v],
                           text=[f"{_m(x)} {s}" for x, s in zip(v, df["status"])], textposition="outside"))
    w = result.worst_line
    title = (f"Largest adverse variance: {_e(w['label'])} in {w['year']}, {_m(w['variance_nominal_gbp'])} ({w['status']})"
             if w else "No line is worse than the business case")
    return style(fig, title, height=max(320, 40 + 28 * len(df)), money_axis="x")
