"""Reference data read from ``data/reference/``: Green Book discount schedules, optimism-bias bounds, UK corporation tax,
the local-government rules (Teckal, VAT partial exemption, subsidy control, pensions, TUPE) and the value-for-money
categories.

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
    "LocalGovernmentRules",
    "PensionArrangement",
    "TupeLeadTimes",
    "VfmCategory",
    "ValueForMoneyRules",
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
class LocalGovernmentRules:
    """The parameters of the local-government rules from ``data/reference/local_government.yaml``.

    Rates are fractions, amounts pounds. ``sources`` gives the published source of each figure by field name
    (``teckal_threshold``, ``teckal_window_years``, ``teckal_activities``, ``vat_share_limit``,
    ``vat_monthly_limit_gbp``, ``vat_months``, ``vat_breach``, ``subsidy_control``); applied by
    :mod:`asdm_models.local_government`.
    """

    teckal_threshold: float  # the controlled person's activities for the authority must be MORE than this share
    teckal_window_years: int  # years of turnover averaged (the years before the award)
    vat_share_limit: float  # exempt input VAT insignificant up to this share of total input VAT ...
    vat_monthly_limit_gbp: float  # ... or up to this amount a month on average, whichever is greater
    vat_months: int  # months in the partial-exemption year
    loan_repayment_profiles: dict = field(default_factory=dict)  # name -> description
    labels: dict = field(default_factory=dict, compare=False, hash=False)  # teckal, vat_partial_exemption, ...
    sources: dict = field(default_factory=dict, compare=False, hash=False)


PENSION_RISK_BEARERS = ("council", "provider", "shared")


@dataclass(frozen=True)
class PensionArrangement:
    """One pension arrangement for staff transferring under TUPE into (or staying in) the LGPS."""

    name: str
    label: str
    description: str
    risk_bearer: str  # council | provider | shared
    bond_expected: bool
    source: str


@dataclass(frozen=True)
class TupeLeadTimes:
    """Minimum lead times before a staff transfer (for the transition plan), from ``local_government.yaml``.

    ``collective_bands`` is ``((from_redundancies, days_before_first_dismissal), ...)`` ascending: the band
    of the largest ``from_redundancies`` not above the number proposed applies; below the first, none.
    """

    employee_liability_days: int
    employee_liability_source: str
    consultation_rule: str
    consultation_source: str
    collective_bands: tuple
    collective_source: str


@dataclass(frozen=True)
class VfmCategory:
    name: str
    label: str
    bcr_from: float | None  # lowest BCR of the band (inclusive); None for the lowest category


@dataclass(frozen=True)
class ValueForMoneyRules:
    """Value-for-money categories and the non-monetised adjustment, from ``value_for_money.yaml``.

    ``categories`` is in rank order, lowest first; applied by :mod:`asdm_models.value_for_money`.
    """

    categories: tuple  # VfmCategory, lowest first
    saves_money_category: str  # category of an option that saves money without losing benefits
    directions: dict  # positive / negative -> +1 / -1
    scale_scores: dict  # small / moderate / large -> score
    evidence_weights: dict  # strong / moderate / weak -> weight
    max_step: int  # most steps the non-monetised impacts move the category
    long_horizon_threshold_years: int  # periods longer than this report the long-horizon schedule
    long_horizon_schedule: str  # name of that discount schedule
    impact_rule: str = ""
    sources: dict = field(default_factory=dict, compare=False, hash=False)  # source, categories, cost_saving, ...

    @property
    def names(self) -> tuple:
        return tuple(c.name for c in self.categories)


@dataclass(frozen=True)
class Reference:
    discount_schedules: dict
    optimism_bias: dict
    optimism_bias_source: str
    directory: Path
    corporation_tax: CorporationTaxRules | None = None
    capital_allowances: dict = field(default_factory=dict)  # name -> CapitalAllowanceCategory
    corporation_tax_source: str = ""
    local_government: LocalGovernmentRules | None = None
    pension_arrangements: dict = field(default_factory=dict)  # name -> PensionArrangement
    tupe: TupeLeadTimes | None = None
    value_for_money: ValueForMoneyRules | None = None
    local_government_source: str = ""


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
    # read before corporation_tax.yaml, which stays the last file listed
    lg_path = rdir / "local_government.yaml"
    doc, errs = read_yaml(lg_path, relative_name(lg_path, root))
    errors += errs
    lg = (None, {}, None, "")
    if doc is not None:
        files.append(lg_path)
        *lg, errs = _read_local_government(doc)
        errors += errs
    vfm_path = rdir / "value_for_money.yaml"
    doc, errs = read_yaml(vfm_path, relative_name(vfm_path, root))
    errors += errs
    vfm = None
    if doc is not None:
        files.append(vfm_path)
        vfm, errs = _read_value_for_money(doc, schedules if ds_path in files else None)
        errors += errs
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
    lg_rules, pensions, tupe, lg_source = lg
    return Reference(schedules, ob, ob_source, rdir, ct_rules, allowances, ct_source, lg_rules, pensions, tupe, vfm,
                     lg_source), [], files


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


# ------------------------------------------------------------------------------------------------
# local_government.yaml and value_for_money.yaml
# ------------------------------------------------------------------------------------------------

_MISSING = object()


def _field(doc, spec: dict, path: tuple, key: str, parse, errors: list, *, why: str = "", default=_MISSING):
    """``parse(spec[key])``; a missing or invalid value adds one DataError (with ``why``) and gives None."""
    if key not in spec:
        if default is not _MISSING:
            return default
        errors.append(doc.error(path, f"missing {key}" + (f" ({why})" if why else "")))
        return None
    try:
        return parse(spec[key])
    except (TypeError, ValueError) as e:
        errors.append(doc.error(path + (key,), f"invalid {key}: {e}", spec[key]))
        return None


def _section(doc, data: dict, path: tuple, what: str, errors: list) -> dict | None:
    """``data[path[-1]]`` must be a mapping; else one problem naming what it should hold."""
    value = data.get(path[-1]) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        got = "nothing" if value is None else type(value).__name__
        errors.append(doc.error(path, f"expected a mapping of {what}, got {got}"))
        return None
    return value


def _share(value: object) -> float:
    x = parse_rate(value)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{x:g} is not a share: use more than 0% and less than 100%, e.g. \"80%\"")
    return x


def _whole(lo: int, hi: int, unit: str):
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number of {unit}, got {value!r}")
        if not lo <= value <= hi:
            raise ValueError(f"{value} is out of range: use {lo} to {hi} {unit}")
        return value
    return parse


def _amount(value: object) -> float:
    x = parse_number(value)
    if x <= 0:
        raise ValueError(f"{x:g} is not a limit: use a positive amount of pounds")
    return x


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _no_fixed_period(value: object) -> None:
    if value is not None:
        raise ValueError(f"{value!r}: TUPE reg 13 sets no fixed period for informing and consulting; leave it null")
    return None


def _source(what: str):
    return lambda v: _text(v, f"the source of {what}")


_TECKAL_FIELDS = ("label", "threshold", "window_years", "sources")
_TECKAL_SOURCES = ("threshold", "window_years", "activities")
_VAT_FIELDS = ("label", "share_limit", "monthly_limit_gbp", "months", "sources")
_VAT_SOURCES = ("share_limit", "monthly_limit_gbp", "months", "breach")
_SC_FIELDS = ("label", "source", "repayment_profiles")
_LOAN_PROFILES = ("bullet", "straight_line")
_PENSION_FIELDS = ("label", "description", "risk_bearer", "bond_expected", "source")
_LG_TOP = ("source", "teckal", "vat_partial_exemption", "subsidy_control", "pension_arrangements", "tupe")
_TUPE_SECTIONS = ("employee_liability_information", "inform_and_consult", "collective_consultation")


def _sources(doc, spec: dict, path: tuple, keys: tuple, errors: list) -> dict:
    """``spec['sources']`` giving the published source of each of ``keys``."""
    out: dict[str, str] = {}
    src = spec.get("sources")
    if not isinstance(src, dict):
        errors.append(doc.error(path + ("sources",), "expected a mapping giving the published source of each of "
                                + ", ".join(keys)))
        return out
    errors += _unknown(doc, path + ("sources",), src, keys)
    for key in keys:
        v = _field(doc, src, path + ("sources",), key, _source(key), errors,
                   why="name the legislation section or guidance page")
        if v is not None:
            out[key] = v
    return out


def _read_local_government(doc) -> tuple:
    """Validate ``local_government.yaml``. Returns (rules, pension arrangements, TUPE lead times, source, problems)."""
    errors: list[DataError] = []
    data = doc.data
    if not isinstance(data, dict):
        return None, {}, None, "", [doc.error((), "expected a mapping with " + ", ".join(_LG_TOP))]
    errors += _unknown(doc, (), data, _LG_TOP)
    source = _field(doc, data, (), "source", lambda v: _text(v, "source"), errors,
                    why="name the legislation and guidance") or ""
    n_before = len(errors)
    values: dict = {}
    labels: dict = {}
    sources: dict = {}

    tk = _section(doc, data, ("teckal",), "the Teckal activity test (threshold, window_years, sources)", errors)
    if tk is not None:
        p = ("teckal",)
        errors += _unknown(doc, p, tk, _TECKAL_FIELDS)
        values["teckal_threshold"] = _field(doc, tk, p, "threshold", _share, errors)
        values["teckal_window_years"] = _field(doc, tk, p, "window_years", _whole(1, 10, "years"), errors)
        labels["teckal"] = _field(doc, tk, p, "label", lambda v: _text(v, "label"), errors, default="")
        sources.update({f"teckal_{k}": v for k, v in _sources(doc, tk, p, _TECKAL_SOURCES, errors).items()})

    vat = _section(doc, data, ("vat_partial_exemption",), "the partial-exemption limits (share_limit, "
                   "monthly_limit_gbp, months, sources)", errors)
    if vat is not None:
        p = ("vat_partial_exemption",)
        errors += _unknown(doc, p, vat, _VAT_FIELDS)
        values["vat_share_limit"] = _field(doc, vat, p, "share_limit", _share, errors)
        values["vat_monthly_limit_gbp"] = _field(doc, vat, p, "monthly_limit_gbp", _amount, errors)
        values["vat_months"] = _field(doc, vat, p, "months", _whole(1, 12, "months"), errors)
        labels["vat_partial_exemption"] = _field(doc, vat, p, "label", lambda v: _text(v, "label"), errors, default="")
        sources.update({f"vat_{k}": v for k, v in _sources(doc, vat, p, _VAT_SOURCES, errors).items()})

    profiles: dict = {}
    sc = _section(doc, data, ("subsidy_control",), "the subsidy-control test (source, repayment_profiles)", errors)
    if sc is not None:
        p = ("subsidy_control",)
        errors += _unknown(doc, p, sc, _SC_FIELDS)
        s = _field(doc, sc, p, "source", _source("the subsidy-control test"), errors,
                   why="name the Subsidy Control Act sections and guidance")
        if s is not None:
            sources["subsidy_control"] = s
        labels["subsidy_control"] = _field(doc, sc, p, "label", lambda v: _text(v, "label"), errors, default="")
        rp = _section(doc, sc, p + ("repayment_profiles",), "repayment profiles (bullet, straight_line) "
                      "with a description each", errors)
        if rp is not None:
            errors += _unknown(doc, p + ("repayment_profiles",), rp, _LOAN_PROFILES)
            for key in _LOAN_PROFILES:
                d = _field(doc, rp, p + ("repayment_profiles",), key, lambda v: _text(v, "the description"), errors,
                           why="describe how the principal is repaid")
                if d is not None:
                    profiles[key] = d

    pensions: dict[str, PensionArrangement] = {}
    pa = _section(doc, data, ("pension_arrangements",), "pension arrangements by name", errors)
    for name, spec in (pa or {}).items():
        p = ("pension_arrangements", name)
        if not isinstance(spec, dict):
            errors.append(doc.error(p, f"expected a mapping with {', '.join(_PENSION_FIELDS)}"))
            continue
        n = len(errors)
        errors += _unknown(doc, p, spec, _PENSION_FIELDS)
        texts = {k: _field(doc, spec, p, k, lambda v, k=k: _text(v, k), errors,
                           why="name the regulations" if k == "source" else "")
                 for k in ("label", "description", "source")}

        def bearer(v):
            if v not in PENSION_RISK_BEARERS:
                raise ValueError(f"{v!r} is not who bears the pension risk; use {', '.join(PENSION_RISK_BEARERS)}")
            return v
        risk = _field(doc, spec, p, "risk_bearer", bearer, errors)
        bond = _field(doc, spec, p, "bond_expected", _flag, errors)
        if len(errors) == n:
            pensions[str(name)] = PensionArrangement(str(name), texts["label"], texts["description"], risk, bond,
                                                     texts["source"])

    tupe = None
    tu = _section(doc, data, ("tupe",), "TUPE lead times (" + ", ".join(_TUPE_SECTIONS) + ")", errors)
    if tu is not None:
        n = len(errors)
        errors += _unknown(doc, ("tupe",), tu, _TUPE_SECTIONS)
        p = ("tupe", "employee_liability_information")
        eli = _section(doc, tu, p, "days_before_transfer and source", errors) or {}
        errors += _unknown(doc, p, eli, ("days_before_transfer", "source")) if eli else []
        eli_days = _field(doc, eli, p, "days_before_transfer", _whole(1, 365, "days"), errors) if eli else None
        eli_src = _field(doc, eli, p, "source", _source("the lead time"), errors, why="name the regulation") if eli \
            else None
        p = ("tupe", "inform_and_consult")
        ic = _section(doc, tu, p, "rule, days_before_transfer and source", errors) or {}
        errors += _unknown(doc, p, ic, ("days_before_transfer", "rule", "source")) if ic else []
        if ic:
            _field(doc, ic, p, "days_before_transfer", _no_fixed_period, errors, default=None)
        ic_rule = _field(doc, ic, p, "rule", lambda v: _text(v, "rule"), errors) if ic else None
        ic_src = _field(doc, ic, p, "source", _source("the rule"), errors, why="name the regulation") if ic else None
        p = ("tupe", "collective_consultation")
        cc = _section(doc, tu, p, "bands and source", errors) or {}
        errors += _unknown(doc, p, cc, ("bands", "source")) if cc else []
        cc_src = _field(doc, cc, p, "source", _source("the periods"), errors, why="name the TULRCA section") if cc \
            else None
        bands: list = []
        if cc:
            raw = cc.get("bands")
            if not isinstance(raw, list) or not raw:
                errors.append(doc.error(p + ("bands",), "expected a list of {from_redundancies, "
                                                        "days_before_first_dismissal}, ascending"))
            else:
                for i, b in enumerate(raw):
                    bp = p + ("bands", i)
                    if not isinstance(b, dict):
                        errors.append(doc.error(bp, "expected {from_redundancies: N, days_before_first_dismissal: D}"))
                        continue
                    errors += _unknown(doc, bp, b, ("from_redundancies", "days_before_first_dismissal"))
                    lo = _field(doc, b, bp, "from_redundancies", _whole(1, 1_000_000, "employees"), errors)
                    days = _field(doc, b, bp, "days_before_first_dismissal", _whole(1, 365, "days"), errors)
                    if lo is None or days is None:
                        continue
                    if bands and (lo <= bands[-1][0] or days <= bands[-1][1]):
                        errors.append(doc.error(bp, f"bands must ascend: from_redundancies {lo} and "
                                                    f"{days} days must both be above the band before "
                                                    f"({bands[-1][0]}, {bands[-1][1]} days)"))
                        continue
                    bands.append((lo, days))
        if len(errors) == n:
            tupe = TupeLeadTimes(eli_days, eli_src, ic_rule, ic_src, tuple(bands), cc_src)

    rules = None
    if len(errors) == n_before:
        rules = LocalGovernmentRules(values["teckal_threshold"], values["teckal_window_years"],
                                     values["vat_share_limit"], values["vat_monthly_limit_gbp"], values["vat_months"],
                                     profiles, labels, sources)
    if errors:
        return None, {}, None, source, errors
    return rules, pensions, tupe, source, []


_VFM_TOP = ("source", "categories", "cost_saving", "non_monetised_impacts", "long_horizon")
_IMPACT_FIELDS = ("rule", "source", "directions", "scale_scores", "evidence_weights", "max_step")
_IMPACT_KEYS = {"directions": ("positive", "negative"), "scale_scores": ("small", "moderate", "large"),
                "evidence_weights": ("strong", "moderate", "weak")}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _read_value_for_money(doc, schedules: dict | None) -> tuple[ValueForMoneyRules | None, list[DataError]]:
    """Validate ``value_for_money.yaml``; ``schedules`` (when read) checks the long-horizon schedule's name."""
    errors: list[DataError] = []
    data = doc.data
    if not isinstance(data, dict):
        return None, [doc.error((), "expected a mapping with " + ", ".join(_VFM_TOP))]
    errors += _unknown(doc, (), data, _VFM_TOP)
    sources: dict = {}
    s = _field(doc, data, (), "source", lambda v: _text(v, "source"), errors, why="name the Green Book edition")
    if s is not None:
        sources["source"] = s

    cats: list[VfmCategory] = []
    cs = _section(doc, data, ("categories",), "value-for-money categories (source, bands)", errors)
    if cs is not None:
        p = ("categories",)
        errors += _unknown(doc, p, cs, ("source", "bands"))
        s = _field(doc, cs, p, "source", _source("the categories"), errors, why="name the framework")
        if s is not None:
            sources["categories"] = s
        bands = cs.get("bands")
        if not isinstance(bands, list) or len(bands) < 2:
            errors.append(doc.error(p + ("bands",), "expected a list of at least two categories "
                                                    "{name, label, bcr_from}, lowest first"))
            bands = []
        for i, b in enumerate(bands):
            bp = p + ("bands", i)
            if not isinstance(b, dict):
                errors.append(doc.error(bp, "expected {name: ..., label: ..., bcr_from: ...}"))
                continue
            errors += _unknown(doc, bp, b, ("name", "label", "bcr_from"))

            def ident(v):
                if not isinstance(v, str) or not _NAME.match(v):
                    raise ValueError(f"{v!r} is not a name: use lower-case words joined by _, e.g. very_high")
                return v
            name = _field(doc, b, bp, "name", ident, errors)
            label = _field(doc, b, bp, "label", lambda v: _text(v, "label"), errors)
            if "bcr_from" not in b:
                errors.append(doc.error(bp, "missing bcr_from (null for the lowest category)"))
                continue
            lo = b["bcr_from"]
            if i == 0:
                if lo is not None:
                    errors.append(doc.error(bp + ("bcr_from",), "the lowest category takes every BCR below the next: "
                                                                "write bcr_from: null", lo))
                    continue
            else:
                lo = _field(doc, b, bp, "bcr_from", parse_number, errors)
                if lo is None:
                    continue
                if cats and cats[-1].bcr_from is not None and lo <= cats[-1].bcr_from:
                    errors.append(doc.error(bp + ("bcr_from",), f"thresholds must ascend: {lo:g} is not above "
                                                                f"{cats[-1].bcr_from:g} of {cats[-1].name}", lo))
                    continue
            if name is not None and name in [c.name for c in cats]:
                errors.append(doc.error(bp + ("name",), f"{name!r} appears twice; each category once"))
                continue
            if name is not None and label is not None:
                cats.append(VfmCategory(name, label, None if lo is None else float(lo)))
    names = [c.name for c in cats]

    saves = None
    cv = _section(doc, data, ("cost_saving",), "the rule for options that save money (source, "
                  "saves_money_without_benefit_loss)", errors)
    if cv is not None:
        p = ("cost_saving",)
        errors += _unknown(doc, p, cv, ("source", "saves_money_without_benefit_loss"))
        s = _field(doc, cv, p, "source", _source("the rule"), errors, why="name the framework")
        if s is not None:
            sources["cost_saving"] = s

        def category(v):
            if v not in names:
                raise ValueError(f"{v!r} is not one of the categories ({', '.join(names)})")
            return v
        saves = _field(doc, cv, p, "saves_money_without_benefit_loss", category, errors)

    scores: dict = {}
    rule, max_step = "", None
    im = _section(doc, data, ("non_monetised_impacts",), "the non-monetised adjustment (" + ", ".join(_IMPACT_FIELDS)
                  + ")", errors)
    if im is not None:
        p = ("non_monetised_impacts",)
        errors += _unknown(doc, p, im, _IMPACT_FIELDS)
        rule = _field(doc, im, p, "rule", lambda v: _text(v, "rule"), errors) or ""
        s = _field(doc, im, p, "source", _source("the rule"), errors, why="name the guidance")
        if s is not None:
            sources["non_monetised_impacts"] = s
        max_step = _field(doc, im, p, "max_step", _whole(0, 4, "steps"), errors)
        for key, keys in _IMPACT_KEYS.items():
            m = _section(doc, im, p + (key,), f"scores for {', '.join(keys)}", errors)
            if m is None:
                continue
            errors += _unknown(doc, p + (key,), m, keys)
            got = {k: _field(doc, m, p + (key,), k, parse_number, errors) for k in keys}
            if all(v is not None for v in got.values()):
                scores[key] = got
        d = scores.get("directions")
        if d is not None and not (d["positive"] > 0 > d["negative"]):
            errors.append(doc.error(p + ("directions",), "positive must score above 0 and negative below 0"))
        for key in ("scale_scores", "evidence_weights"):
            if key in scores and any(v < 0 for v in scores[key].values()):
                errors.append(doc.error(p + (key,), "scores must be 0 or more (the direction gives the sign)"))

    lh_years, lh_schedule = None, None
    lh = _section(doc, data, ("long_horizon",), "the long-horizon test (threshold_years, schedule, source)", errors)
    if lh is not None:
        p = ("long_horizon",)
        errors += _unknown(doc, p, lh, ("threshold_years", "schedule", "source"))
        lh_years = _field(doc, lh, p, "threshold_years", _whole(1, 1000, "years"), errors)
        s = _field(doc, lh, p, "source", _source("the test"), errors, why="name the Green Book edition")
        if s is not None:
            sources["long_horizon"] = s

        def schedule(v):
            v = _text(v, "schedule")
            if schedules is not None and v not in schedules:
                raise ValueError(f"{v!r} is not a discount schedule in discount_schedules.yaml "
                                 f"({', '.join(schedules)})")
            return v
        lh_schedule = _field(doc, lh, p, "schedule", schedule, errors)
    if errors:
        return None, errors
    return ValueForMoneyRules(tuple(cats), saves, scores["directions"], scores["scale_scores"],
                              scores["evidence_weights"], max_step, lh_years, lh_schedule, rule, sources), []


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
