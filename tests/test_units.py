"""Units: rates, financial-year labels and the money/percentage formats readers see."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asdm_models.units import fy_label, format_gbp, format_pct, parse_fy_label, parse_number, parse_rate

# ------------------------------------------------------------------------------------------------
# parse_rate
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3.5%", 0.035),
        (" 3.5 % ", 0.035),
        ("0%", 0.0),
        ("100%", 1.0),
        ("-4%", -0.04),
        ("+2.5%", 0.025),
        ("12.345%", 0.12345),
        ("150%", 1.5),  # a percentage string is never ambiguous; range checks belong to the field
        (0.035, 0.035),
        (0, 0.0),
        (1, 1.0),
        (-1, -1.0),
        (-0.05, -0.05),
    ],
)
def test_parse_rate_accepts_fractions_and_percent_strings(value, expected):
    got = parse_rate(value)
    assert isinstance(got, float)
    assert got == expected  # exact: "3.5%" is 0.035, not 0.035000000000000003


@pytest.mark.parametrize("value, shown", [(3.5, "3.5"), (20, "20"), (-7.25, "-7.25"), (1.0001, "1.0001")])
def test_parse_rate_refuses_bare_percentages_and_asks(value, shown):
    with pytest.raises(ValueError) as exc:
        parse_rate(value)
    msg = str(exc.value)
    assert msg.startswith(f"{shown} is not a valid rate: did you mean {shown}%?")
    assert "0.035" in msg and '"3.5%"' in msg  # says what is valid


def test_parse_rate_max_abs_allows_larger_bare_numbers():
    assert parse_rate(2.0, max_abs=10) == 2.0
    with pytest.raises(ValueError, match="did you mean 11%"):
        parse_rate(11, max_abs=10)


@pytest.mark.parametrize("value", [True, False])
def test_parse_rate_refuses_booleans(value):
    with pytest.raises(ValueError, match=f"expected a number, got {value}"):
        parse_rate(value)


@pytest.mark.parametrize("value", ["3.5", "3.5 percent", "%", "", "three%", "nan%", "3.5%%", "0.035x"])
def test_parse_rate_refuses_other_strings(value):
    with pytest.raises(ValueError) as exc:
        parse_rate(value)
    assert f"{value!r} is not a rate" in str(exc.value)
    assert 'such as "3.5%"' in str(exc.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -math.inf, "1e400%"])
def test_parse_rate_refuses_non_finite(value):
    with pytest.raises(ValueError, match="finite"):
        parse_rate(value)


@pytest.mark.parametrize("value", [None, [0.03], {"value": 0.03}])
def test_parse_rate_refuses_other_types(value):
    with pytest.raises(ValueError, match="expected a number"):
        parse_rate(value)


def test_parse_number_is_strict():
    assert parse_number(5) == 5.0 and isinstance(parse_number(5), float)
    assert parse_number(np.float64(2.5)) == 2.5
    for bad in ("5", True, None):
        with pytest.raises(ValueError, match="expected a number"):
            parse_number(bad)
    with pytest.raises(ValueError, match=r"nan is not allowed: values must be finite numbers \(no NaN or infinity\)"):
        parse_number(float("nan"))


# ------------------------------------------------------------------------------------------------
# financial years
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, start",
    [("2027-28", 2027), ("2027/28", 2027), ("2027-2028", 2027), (" 2027 - 28 ", 2027),
     ("2099-00", 2099), ("1999-00", 1999), ("2009-10", 2009), ("2099-2100", 2099)],
)
def test_parse_fy_label(label, start):
    assert parse_fy_label(label) == start


@pytest.mark.parametrize("label, suggestion", [("2027-29", "2027-28"), ("2027-27", "2027-28"),
                                               ("2099-01", "2099-00"), ("2027-2029", "2027-28")])
def test_parse_fy_label_refuses_years_that_do_not_follow(label, suggestion):
    with pytest.raises(ValueError) as exc:
        parse_fy_label(label)
    assert f"{label!r} is not a financial year" in str(exc.value)
    assert f'"{suggestion}"' in str(exc.value)


@pytest.mark.parametrize("label", ["2027", "27-28", "2027-8", "FY2027-28", "2027-28-29", "", "next year"])
def test_parse_fy_label_refuses_malformed(label):
    with pytest.raises(ValueError, match='write it as "2027-28"'):
        parse_fy_label(label)


def test_parse_fy_label_with_first_year_gives_an_index():
    assert parse_fy_label("2026-27", first_year=2026) == 0
    assert parse_fy_label("2030-31", first_year=2026) == 4
    assert parse_fy_label("2024-25", first_year=2026) == -2  # range checks belong to the caller
    assert parse_fy_label(3, first_year=2026) == 3  # an int is already an index
    assert parse_fy_label(2.0, first_year=2026) == 2


@pytest.mark.parametrize("value", [2027, 2.0, None, True, False, [2027]])
def test_parse_fy_label_refuses_non_labels_without_first_year(value):
    with pytest.raises(ValueError, match='expected a financial year such as "2027-28"'):
        parse_fy_label(value)


@pytest.mark.parametrize("value", [True, 1.5, float("nan"), None])
def test_parse_fy_label_refuses_bools_and_fractions_as_index(value):
    with pytest.raises(ValueError, match='expected a financial year such as "2027-28"'):
        parse_fy_label(value, first_year=2026)


@pytest.mark.parametrize("start, label", [(2027, "2027-28"), (2099, "2099-00"), (1999, "1999-00"),
                                          (2009, "2009-10"), (2000, "2000-01")])
def test_fy_label(start, label):
    assert fy_label(start) == label
    assert parse_fy_label(label) == start  # round trip


# ------------------------------------------------------------------------------------------------
# format_gbp
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, kwargs, text",
    [
        (1234567.4, {}, "£1,234,567"),
        (0, {}, "£0"),
        (999.5, {}, "£1,000"),  # halves round away from zero, as in a spreadsheet
        (2.5, {}, "£3"),
        (-2.5, {}, "-£3"),
        (-0.4, {}, "£0"),  # no "-£0"
        (-1500, {}, "-£1,500"),
        (1500, {"signed": True}, "+£1,500"),
        (-1500, {"signed": True}, "-£1,500"),
        (0, {"signed": True}, "£0"),
        (9_999_999.4, {}, "£9,999,999"),
        (9_999_999.6, {}, "£10m"),  # rounds to £10,000,000, so shown in £m
        (10_000_000, {}, "£10m"),
        (-25_400_000, {}, "-£25.4m"),
        (12_345_678, {}, "£12.35m"),
        (123_456_789, {}, "£123.5m"),
        (99_995_000, {}, "£100m"),
        (1_500_000, {"millions": True}, "£1.5m"),
        (1234, {"millions": True}, "£0m"),
        (-1, {"millions": True}, "£0m"),
        (25_400_000, {"millions": False}, "£25,400,000"),
        (2_500_000, {"millions": True, "signed": True}, "+£2.5m"),
        (np.float64(1500.5), {}, "£1,501"),
        (np.int64(42), {}, "£42"),
    ],
)
def test_format_gbp(x, kwargs, text):
    assert format_gbp(x, **kwargs) == text


@pytest.mark.parametrize("x", [None, float("nan"), np.nan, np.float64("nan")])
def test_format_gbp_blank_for_missing(x):
    assert format_gbp(x) == ""


# ------------------------------------------------------------------------------------------------
# format_pct
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, digits, text",
    [
        (0.0625, 1, "6.3%"),  # half away from zero, not to even ("6.2%")
        (0.035, 1, "3.5%"),
        (0.035, 0, "4%"),
        (-0.035, 1, "-3.5%"),
        (-0.0004, 1, "0.0%"),  # no "-0.0%"
        (0.00125, 2, "0.13%"),
        (1.0, 1, "100.0%"),
        (0.0, 1, "0.0%"),
        (np.float64(0.0625), 1, "6.3%"),
    ],
)
def test_format_pct(x, digits, text):
    assert format_pct(x, digits) == text


@pytest.mark.parametrize("x", [None, float("nan")])
def test_format_pct_blank_for_missing(x):
    assert format_pct(x) == ""
