"""Reference data read from ``data/reference/``: Green Book discount schedules, optimism-bias bounds, UK corporation tax.

These figures come from published guidance and change when the guidance
changes; keeping them in data (with their source) means a Green Book revision
is a reviewed data change, not a code change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError, relative_name
from .units import parse_fy_label, parse_number, parse_rate
from .yamlio import read_yaml

__all__ = [
    "Reference",
    "DiscountSchedule",
    "OptimismBiasCategory",
    "CorporationTaxRules",
    "CapitalAllowanceCategory",
    "load_reference",
    "PROJECT_ROOT",
    "default_reference",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"


@dataclass(frozen=True)
class DiscountSchedule:
    name: str
    label: str
    source: str
    from_years: tuple  # first year index of each band, ascending, starting at 0
    rates: tuple  # annual rate of each band, as fractions


@dataclass(frozen=True)
class OptimismBiasCategory:
    name: str
    label: str
    applies_to: str
    upper: float
    lower: float


@dataclass(frozen=True)
class CorporationTaxRules:
    """UK corporation tax on non-ring-fence profits from ``data/reference/corporation_tax.yaml``.

    Rates are fractions; limits are pounds for a 12-month accounting period with no associated
    company (CTA 2010 s18D). ``sources`` gives the published source of each figure by field name.
    """

    small_profits_rate: float
    main_rate: float
    lower_limit_gbp: float
    upper_limit_gbp: float
    marginal_relief_fraction: float  # the standard marginal relief fraction F (3/200 from FY2023)
    effective_from_fy: int  # starting calendar year of the first financial year they apply to (2023 = FY2023-24)
    label: str = ""
    sources: dict = field(default_factory=dict, compare=False, hash=False)


_POOL_TIMINGS = ("same_period", "next_period")


@dataclass(frozen=True)
class CapitalAllowanceCategory:
    """One kind of capital spend and the allowances it earns (see ``asdm_models.tax.capital_allowance_kernel``).

    ``first_year_rate`` is the share of the spend allowed in the year it is incurred; the balance joins
    a pool written down at ``writing_down_rate`` (reducing balance) from the same or the next period
    (``balance_enters_pool``; by default the next period after a first-year allowance, as CAA 2001
    s58(5)(a) requires, else the same period); ``straight_line_rate`` is the share of the cost allowed
    each year until the cost is relieved. ``annual_limit_gbp`` (the AIA limit) is stated, not applied.
    """

    name: str
    label: str
    covers: str
    source: str
    first_year_rate: float = 0.0
    writing_down_rate: float = 0.0
    straight_line_rate: float = 0.0
    balance_enters_pool: str | None = None  # "same_period" or "next_period"; None: by s58(5), see above
    annual_limit_gbp: float | None = None

    def __post_init__(self) -> None:
        if self.balance_enters_pool is None:
            object.__setattr__(self, "balance_enters_pool", "next_period" if self.first_year_rate > 0 else "same_period")
        if self.balance_enters_pool not in _POOL_TIMINGS:
            raise ValueError(f"balance_enters_pool must be same_period or next_period, got {self.balance_enters_pool!r}")


@dataclass(frozen=True)
class Reference:
    discount_schedules: dict
    optimism_bias: dict
    optimism_bias_source: str
    directory: Path
    corporation_tax: CorporationTaxRules | None = None
    capital_allowances: dict = field(default_factory=dict)  # name -> CapitalAllowanceCategory
    corporation_tax_source: str = ""


def reference_dir_for(data_dir: Path) -> Path:
    """``<data_dir>/../reference`` when it exists (a copied data tree), else the project's ``data/reference``."""
    local = Path(data_dir).resolve().parent / "reference"
    return local if (local / "discount_schedules.yaml").exists() else DEFAULT_REFERENCE_DIR


def _mapping_with(doc, key: str, errors: list) -> bool:
    """A reference file must be a mapping whose ``key`` is a mapping; else one problem is added."""
    data = doc.data
    if not isinstance(data, dict):
        errors.append(doc.error((), f"expected a mapping with source and {key} at the top level, "
                                    f"got {type(data).__name__ if data is not None else 'an empty file'}"))
        return False
    if not isinstance(data.get(key), (dict, type(None))):
        errors.append(doc.error((key,), f"expected a mapping of {key} by name, got {type(data[key]).__name__}"))
        return False
    return True


def load_reference(data_dir: Path | None = None) -> tuple[Reference | None, list[DataError], list[Path]]:
    """Read the reference files that apply to an appraisal folder. Returns (reference, problems, files read)."""
    rdir = reference_dir_for(data_dir) if data_dir is not None else DEFAULT_REFERENCE_DIR
    root = Path(data_dir) if data_dir is not None else rdir
    errors: list[DataError] = []
    files: list[Path] = []
    schedules: dict[str, DiscountSchedule] = {}
    ob: dict[str, OptimismBiasCategory] = {}
    ob_source = ""

    ds_path = rdir / "discount_schedules.yaml"
    doc, errs = read_yaml(ds_path, relative_name(ds_path, root))
    errors += errs
    if doc is not None and not _mapping_with(doc, "schedules", errors):
        doc = None
    if doc is not None:
        files.append(ds_path)
        for name, spec in ((doc.data or {}).get("schedules") or {}).items():
            p = ("schedules", name)
            try:
                bands = spec["bands"]
                from_years = tuple(int(b["from_year"]) for b in bands)
                rates = tuple(parse_rate(b["rate"]) for b in bands)
                if not from_years or from_years[0] != 0 or list(from_years) != sorted(set(from_years)):
                    raise ValueError("bands must start at year 0 and ascend")
                schedules[name] = DiscountSchedule(name, spec.get("label", name), spec["source"], from_years, rates)
            except (KeyError, TypeError, ValueError) as e:
                errors.append(doc.error(p, f"invalid schedule: {e}"))
    ob_path = rdir / "optimism_bias.yaml"
    doc, errs = read_yaml(ob_path, relative_name(ob_path, root))
    errors += errs
    if doc is not None and not _mapping_with(doc, "categories", errors):
        doc = None
    if doc is not None:
        files.append(ob_path)
        ob_source = str((doc.data or {}).get("source", ""))
        for name, spec in ((doc.data or {}).get("categories") or {}).items():
            try:
                upper, lower = parse_rate(spec["upper"], max_abs=10), parse_rate(spec["lower"], max_abs=10)
                if lower > upper:
                    raise ValueError("lower bound above upper bound")
                ob[name] = OptimismBiasCategory(name, spec["label"], spec["applies_to"], upper, lower)
            except (KeyError, TypeError, ValueError) as e:
                errors.append(doc.error(("categories", name), f"invalid category: {e}"))
    ct_path = rdir / "corporation_tax.yaml"
    doc, errs = read_yaml(ct_path, relative_name(ct_path, root))
    errors += errs
    ct_rules, allowances, ct_source = None, {}, ""
    if doc is not None:
        files.append(ct_path)
        ct_rules, allowances, ct_source, errs = _read_corporation_tax(doc)
        errors += errs
    if errors:
        return None, errors, files
    return Reference(schedules, ob, ob_source, rdir, ct_rules, allowances, ct_source), [], files


# ------------------------------------------------------------------------------------------------
# corporation_tax.yaml
# ------------------------------------------------------------------------------------------------

_CT_RATES = ("small_profits_rate", "main_rate")
_CT_LIMITS = ("lower_limit_gbp", "upper_limit_gbp")
_CT_SOURCED = _CT_RATES + _CT_LIMITS + ("marginal_relief_fraction",)
_CT_FIELDS = ("label", "effective_from_financial_year") + _CT_SOURCED + ("sources",)
_CA_RATES = ("first_year_rate", "writing_down_rate", "straight_line_rate")
_CA_FIELDS = ("label", "covers", "source") + _CA_RATES + ("balance_enters_pool", "annual_limit_gbp")
_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(?:ths)?\s*$")


def parse_fraction(value: object) -> float:
    """A fraction from ``"3/200"`` (or ``"3/200ths"``, as statute writes it), ``0.015`` or ``"1.5%"``.

    >>> parse_fraction("3/200")
    0.015
    >>> parse_fraction("11/400ths")
    0.0275
    """
    if isinstance(value, str):
        m = _FRACTION.match(value)
        if m:
            num, den = int(m.group(1)), int(m.group(2))
            if den == 0:
                raise ValueError(f"{value!r} divides by zero")
            return num / den
        try:
            return parse_rate(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a fraction: write it as \"3/200\", 0.015 or \"1.5%\"") from None
    return parse_rate(value)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text, got {value!r}")
    return value.strip()


def _unknown(doc, path: tuple, spec: dict, allowed: tuple) -> list[DataError]:
    return [doc.error(path + (k,), f"unknown field {k!r}; expected one of {', '.join(allowed)}")
            for k in spec if k not in allowed]


def _read_corporation_tax(doc) -> tuple[CorporationTaxRules | None, dict, str, list[DataError]]:
    """Validate ``corporation_tax.yaml``; every problem is a DataError naming its field."""
    errors: list[DataError] = []
    data = doc.data
    if not isinstance(data, dict):
        return None, {}, "", [doc.error((), "expected a mapping with source, corporation_tax and capital_allowances")]
    source = ""
    try:
        source = _text(data.get("source"), "source")
    except ValueError as e:
        errors.append(doc.error(("source",), f"{e} (name the legislation and HMRC manual pages)"))

    rules = None
    ct = data.get("corporation_tax")
    p = ("corporation_tax",)
    if not isinstance(ct, dict):
        errors.append(doc.error(p, "expected a mapping of the corporation tax rates and limits"))
    else:
        n_before = len(errors)
        errors += _unknown(doc, p, ct, _CT_FIELDS)
        values: dict[str, float] = {}
        for key in _CT_SOURCED + ("effective_from_financial_year",):
            if key not in ct:
                errors.append(doc.error(p, f"missing {key}"))
                continue
            try:
                v = ct[key]
                if key in _CT_RATES:
                    x = parse_rate(v)
                    if not 0.0 <= x < 1.0:
                        raise ValueError(f"{x:g} is not a tax rate: use 0% to 100%")
                elif key in _CT_LIMITS:
                    x = parse_number(v)
                    if x <= 0:
                        raise ValueError(f"{x:g} is not a profit limit: use a positive amount of pounds")
                elif key == "marginal_relief_fraction":
                    x = parse_fraction(v)
                    if not 0.0 <= x < 1.0:
                        raise ValueError(f"{x:g} is not a marginal relief fraction: use 0 to 1, e.g. \"3/200\"")
                else:
                    x = v if isinstance(v, int) and not isinstance(v, bool) else parse_fy_label(v)
                    if not 1900 <= x <= 2200:
                        raise ValueError(f"{v!r} is not a financial year: write it as \"2023-24\"")
                values[key] = x
            except (TypeError, ValueError) as e:
                errors.append(doc.error(p + (key,), f"invalid {key}: {e}", ct[key] if key in ct else None))
        sources = ct.get("sources")
        src: dict[str, str] = {}
        if not isinstance(sources, dict):
            errors.append(doc.error(p + ("sources",), "expected a mapping giving the published source of each of "
                                                      + ", ".join(_CT_SOURCED)))
        else:
            errors += _unknown(doc, p + ("sources",), sources, _CT_SOURCED)
            for key in _CT_SOURCED:
                try:
                    src[key] = _text(sources.get(key), f"the source of {key}")
                except ValueError as e:
                    errors.append(doc.error(p + ("sources", key),
                                            f"{e} (name the legislation section or HMRC manual page)"))
        label = ct.get("label", "")
        if not isinstance(label, str):
            errors.append(doc.error(p + ("label",), f"label must be text, got {label!r}"))
        if len(values) == len(_CT_SOURCED) + 1:
            spr, mr = values["small_profits_rate"], values["main_rate"]
            lo, up, f = values["lower_limit_gbp"], values["upper_limit_gbp"], values["marginal_relief_fraction"]
            if spr > mr:
                errors.append(doc.error(p + ("small_profits_rate",),
                                        f"the small profits rate {spr:.4g} is above the main rate {mr:.4g}"))
            elif lo >= up:
                errors.append(doc.error(p + ("lower_limit_gbp",),
                                        f"the lower limit {lo:,.0f} must be below the upper limit {up:,.0f}"))
            else:
                # Parliament sets F so that tax is continuous at the lower limit: main x L - F x (U - L) = small x L.
                expected = (mr - spr) * lo / (up - lo)
                if abs(f - expected) > 1e-9:
                    errors.append(doc.error(
                        p + ("marginal_relief_fraction",),
                        f"{f:.6g} does not match the rates and limits: (main rate - small profits rate) x lower / "
                        f"(upper - lower) = {expected:.6g}, the fraction that makes tax continuous at the lower limit"))
        if len(errors) == n_before:
            rules = CorporationTaxRules(values["small_profits_rate"], values["main_rate"], values["lower_limit_gbp"],
                                        values["upper_limit_gbp"], values["marginal_relief_fraction"],
                                        values["effective_from_financial_year"], label or "", src)

    allowances: dict[str, CapitalAllowanceCategory] = {}
    cats = data.get("capital_allowances")
    if not isinstance(cats, dict) or not cats:
        errors.append(doc.error(("capital_allowances",), "expected a mapping of capital allowance categories"))
        cats = {}
    for name, spec in cats.items():
        cp = ("capital_allowances", name)
        if not isinstance(spec, dict):
            errors.append(doc.error(cp, f"expected a mapping with {', '.join(_CA_FIELDS)}"))
            continue
        n_before = len(errors)
        errors += _unknown(doc, cp, spec, _CA_FIELDS)
        texts = {}
        for key in ("label", "covers", "source"):
            if key not in spec:
                errors.append(doc.error(cp, f"missing {key}" + (" (name the legislation section or HMRC manual page)"
                                                                  if key == "source" else "")))
                continue
            try:
                texts[key] = _text(spec[key], key)
            except ValueError as e:
                errors.append(doc.error(cp + (key,), f"invalid {key}: {e}", spec[key]))
        rates = {}
        for key in _CA_RATES:
            try:
                x = parse_rate(spec.get(key, 0.0))
                if not 0.0 <= x <= 1.0:
                    raise ValueError(f"{x:g} is not an allowance rate: use 0% to 100%")
                rates[key] = x
            except (TypeError, ValueError) as e:
                errors.append(doc.error(cp + (key,), f"invalid {key}: {e}", spec.get(key)))
        timing = spec.get("balance_enters_pool")  # None: the default of CapitalAllowanceCategory (s58(5))
        if timing is not None and timing not in _POOL_TIMINGS:
            errors.append(doc.error(cp + ("balance_enters_pool",),
                                    f"invalid balance_enters_pool {timing!r}; use same_period or next_period"))
        limit = spec.get("annual_limit_gbp")
        if limit is not None:
            try:
                limit = parse_number(limit)
                if limit <= 0:
                    raise ValueError(f"{limit:g} is not an annual limit: use a positive amount of pounds")
            except ValueError as e:
                errors.append(doc.error(cp + ("annual_limit_gbp",), f"invalid annual_limit_gbp: {e}",
                                        spec.get("annual_limit_gbp")))
        if len(rates) == len(_CA_RATES) and rates["straight_line_rate"] > 0 and (
                rates["first_year_rate"] > 0 or rates["writing_down_rate"] > 0):
            errors.append(doc.error(cp + ("straight_line_rate",),
                                    "a category is either pooled (first_year_rate, writing_down_rate) or straight-line "
                                    "(straight_line_rate), not both"))
        if len(errors) == n_before:
            allowances[str(name)] = CapitalAllowanceCategory(
                str(name), texts["label"], texts["covers"], texts["source"], rates["first_year_rate"],
                rates["writing_down_rate"], rates["straight_line_rate"], timing, limit)
    if errors:
        return None, {}, source, errors
    return rules, allowances, source, []


_DEFAULT: Reference | None = None


def default_reference() -> Reference:
    """The project's reference data (cached), for functions called without an appraisal."""
    global _DEFAULT
    if _DEFAULT is None:
        ref, errors, _ = load_reference(None)
        if errors:
            from .errors import DataErrors

            raise DataErrors(errors)
        _DEFAULT = ref
    return _DEFAULT
