"""Units: rates, money and financial-year labels, parsed strictly.

Rates are fractions (``0.035``) or strings with a percent sign (``"3.5%"``).
A bare number above 1 in a rate field is refused with "did you mean 3.5%?",
because a finance officer who types 3.5 means 3.5 %, and silently reading it
as 350 % would wreck every figure downstream.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "parse_rate",
    "parse_number",
    "parse_fy_label",
    "fy_label",
    "format_gbp",
    "format_pct",
    "format_probability",
    "MINUS",
    "minus",
    "gbp_m",
    "gbp_full",
    "axis_gbp_ticks",
]

_PCT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*%\s*$")
_FY = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")


def parse_number(value: object) -> float:
    """A finite float from an int or float; strings and booleans are refused.

    Raises ``ValueError`` with a message meant for the user.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{value!r} is not allowed: values must be finite numbers (no NaN or infinity)")
    return x


def parse_rate(value: object, *, max_abs: float = 1.0) -> float:
    """A rate as a fraction, from ``0.035`` or ``"3.5%"``.

    Parameters
    ----------
    value : float or str
        The rate as written in the data.
    max_abs : float
        Largest magnitude accepted for a bare number. A bare number beyond it is
        taken to be a percentage written without its sign and refused.

    Examples
    --------
    >>> parse_rate("3.5%")
    0.035
    >>> parse_rate(0.035)
    0.035
    >>> parse_rate(3.5)
    Traceback (most recent call last):
    ...
    ValueError: 3.5 is not a valid rate: did you mean 3.5%? (write rates as fractions such as 0.035 or as "3.5%")
    """
    if isinstance(value, str):
        m = _PCT.match(value)
        if not m:
            raise ValueError(
                f"{value!r} is not a rate: write a fraction such as 0.035 or a percentage such as \"3.5%\""
            )
        x = float(m.group(1)) / 100.0
        if not math.isfinite(x):
            raise ValueError(f"expected a finite rate, got {value!r}")
        return round(x, 12)  # "3.5%" -> 0.035 exactly as typed, not 0.035000000000000003
    x = parse_number(value)
    if abs(x) > max_abs:
        shown = f"{x:g}"
        raise ValueError(
            f"{shown} is not a valid rate: did you mean {shown}%? "
            "(write rates as fractions such as 0.035 or as \"3.5%\")"
        )
    return x


def parse_fy_label(value: object, first_year: int | None = None) -> int:
    """The starting calendar year of a financial year label such as ``"2027-28"``.

    With ``first_year`` given, an int is read as a year index (0 = first year)
    and the result is the index; otherwise the starting calendar year.

    Examples
    --------
    >>> parse_fy_label("2027-28")
    2027
    >>> parse_fy_label("2027-28", first_year=2026)
    1
    >>> parse_fy_label(3, first_year=2026)
    3
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a financial year such as \"2027-28\", got {value!r}")
    if isinstance(value, int):
        if first_year is None:
            raise ValueError(f"expected a financial year such as \"2027-28\", got {value!r}")
        return value
    if isinstance(value, float) and first_year is not None and value.is_integer():
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a financial year such as \"2027-28\", got {value!r}")
    m = _FY.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a financial year: write it as \"2027-28\"")
    start = int(m.group(1))
    end = m.group(2)
    expected_end = (start + 1) % 100 if len(end) == 2 else start + 1
    if int(end) != expected_end:
        raise ValueError(
            f"{value!r} is not a financial year: the second part should be the next year "
            f"(\"{start}-{(start + 1) % 100:02d}\")"
        )
    return start - first_year if first_year is not None else start


def fy_label(start_year: int) -> str:
    """``2027`` -> ``"2027-28"``.

    >>> fy_label(2099)
    '2099-00'
    """
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def format_gbp(x: float | None, *, millions: bool | None = None, signed: bool = False) -> str:
    """Money as a reader expects it: ``£1,234,567`` or ``£1.23m``; empty for None/NaN.

    ``millions=None`` switches to £m at a magnitude of £10m. Halves round away
    from zero (``£2.50`` -> ``£3``), as in a spreadsheet, not to even.

    >>> format_gbp(1234567.4)
    '£1,234,567'
    >>> format_gbp(-25_400_000)
    '-£25.4m'
    >>> format_gbp(1500, signed=True)
    '+£1,500'
    """
    if x is None or math.isnan(x):
        return ""
    x = float(x)
    a = abs(x)
    if millions is None:
        millions = _round_half_up(a, 0) >= 10_000_000
    if math.isinf(a):
        shown = "inf"
    elif millions:
        m = a / 1e6
        m = _round_half_up(m, 2 if _round_half_up(m, 2) < 100 else 1)
        shown = _trim(m) + "m"
    else:
        r = _round_half_up(a, 0)
        shown = f"{r:,.0f}"
        a = r
    nonzero = a != 0 and shown not in ("0", "0m")
    sign = ("-" if x < 0 else ("+" if signed and x > 0 else "")) if nonzero else ""
    return f"{sign}£{shown}"


def _round_half_up(v: float, digits: int) -> float:
    """Round half away from zero on the decimal value as written (``6.25`` -> ``6.3``), not half to even."""
    return float(Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def _trim(v: float) -> str:
    s = f"{v:,.2f}" if v < 100 else f"{v:,.1f}"
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return s


def format_pct(x: float | None, digits: int = 1) -> str:
    """``0.0625`` -> ``"6.3%"``; empty for None/NaN. Halves round away from zero.

    >>> format_pct(0.0625)
    '6.3%'
    """
    if x is None or math.isnan(x):
        return ""
    if math.isinf(x):
        return ("-" if x < 0 else "") + "inf%"
    v = _round_half_up(float(x) * 100, digits)
    return f"{v + 0.0:.{digits}f}%"  # + 0.0 turns -0.0 into 0.0


def format_probability(p: float | None) -> str:
    """A probability as a reader should see it: never "100%" or "0%" unless it is certain.

    >>> format_probability(0.9998), format_probability(1.0), format_probability(0.0004), format_probability(0.634)
    ('>99.9%', '100%', '<0.1%', '63%')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    if p in (0.0, 1.0):
        return f"{p * 100:.0f}%"
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.995 or p < 0.005:
        return format_pct(p, 1)
    return format_pct(p, 0)


# ------------------------------------------------------------------------------------------------
# The one number style of the reports, the run pages and the charts (issue 10, point 7):
# * headings, prose, summary tables and chart labels: £m to two decimals below £100m (one above), ``gbp_m``;
# * detail tables: full pounds, ``gbp_full``;
# * negatives with a true minus sign (U+2212) joined to the figure by a word joiner (U+2060), so that a
#   browser never breaks ``−£1.10m`` after its sign; table cells of numbers are also ``white-space: nowrap``;
# * probabilities, everywhere, by :func:`format_probability` (``>99.9%`` unless certain); rates by
#   :func:`format_pct`.
# ------------------------------------------------------------------------------------------------
MINUS = "\u2212"
_WJ = "\u2060"
_HYPHEN_MINUS = re.compile(r"(?<![\w.])-(?=[£$\d])")


def minus(text: str) -> str:
    """A hyphen-minus before a number or £ becomes a true minus sign glued to it; other hyphens stay.

    >>> minus("-£1,097,367 in 2026-27, -3.5%") == "\u2212\u2060£1,097,367 in 2026-27, \u2212\u20603.5%"
    True
    """
    return _HYPHEN_MINUS.sub(MINUS + _WJ, str(text))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def gbp_m(x, *, signed: bool = False) -> str:
    """Money in £m for headings, prose, summary tables and chart labels: ``£1.83m``, ``−£0.23m``.

    Two decimals below £100m, one above; empty where the figure does not apply.

    >>> gbp_m(1829275.57), gbp_m(None), gbp_m(123_456_789)
    ('£1.83m', '', '£123.5m')
    >>> gbp_m(-233677.4).replace("\u2060", "")
    '−£0.23m'
    >>> gbp_m(1_380_000, signed=True)
    '+£1.38m'
    """
    if _missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return minus(format_gbp(x, millions=True, signed=signed))
    m = abs(x) / 1e6
    r = _round_half_up(m, 2)
    r, digits = (r, 2) if r < 100 else (_round_half_up(m, 1), 1)
    sign = ("-" if x < 0 else ("+" if signed else "")) if r != 0 else ""
    shown = f"{sign}£{r:,.{digits}f}m"
    return minus(shown)


def gbp_full(x, *, signed: bool = False) -> str:
    """Full pounds for detail tables: ``−£1,097,367`` (true minus, never split); empty where it does not apply.

    >>> gbp_full(-1097367.4).replace("\u2060", ""), gbp_full(None), gbp_full(12_345_678)
    ('−£1,097,367', '', '£12,345,678')
    """
    return "" if _missing(x) else minus(format_gbp(float(x), millions=False, signed=signed))


def axis_gbp_ticks(lo: float, hi: float, n: int = 6) -> tuple[list[float], list[str]]:
    """Tick positions and labels for a money axis in the reports' style (``£1.50m``, ``−£0.50m``), instead of
    plotly's SI prefixes (``£5M``, ``£500k``). Positions are round steps (1, 2, 2.5 or 5 times a power of ten)
    covering ``lo`` to ``hi`` and always include 0.

    >>> pos, labels = axis_gbp_ticks(-400_000, 2_300_000)
    >>> pos
    [-1000000.0, 0.0, 1000000.0, 2000000.0, 3000000.0]
    >>> [t.replace("\u2060", "") for t in labels]
    ['−£1.0m', '£0', '£1.0m', '£2.0m', '£3.0m']
    >>> [t.replace("\u2060", "") for t in axis_gbp_ticks(-60_000, 210_000)[1]]
    ['−£0.1m', '£0', '£0.1m', '£0.2m', '£0.3m']
    """
    lo, hi = float(min(lo, 0.0)), float(max(hi, 0.0))
    span = hi - lo
    if not math.isfinite(span) or span <= 0:
        span = 1_000_000.0
    raw = span / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(k * mag for k in (1, 2, 2.5, 5, 10) if k * mag >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    pos = [round(start + i * step, 6) for i in range(int(round((stop - start) / step)) + 1)]
    pos = [0.0 if abs(p) < 1e-9 else float(p) for p in pos]
    # decimals of £m enough to show the step (0.25 -> 2, 0.5 -> 1, 1 -> 1), one at least, three at most
    digits = min(3, max(1, next(d for d in range(7) if abs(round(step / 1e6, d) - step / 1e6) < 1e-9)))
    labels = []
    for p in pos:
        if p == 0:
            labels.append("£0")
            continue
        m = abs(p) / 1e6
        txt = f"£{m:,.{digits}f}m" if abs(p) < 100e6 else f"£{m:,.0f}m"
        labels.append((MINUS + _WJ if p < 0 else "") + txt)
    return pos, labels
