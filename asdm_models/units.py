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
