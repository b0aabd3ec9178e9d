"""Reference data: Green Book discount schedules and optimism-bias bounds, read from ``data/reference/``.

These figures come from published guidance and change when the guidance
changes; keeping them in data (with their source) means a Green Book revision
is a reviewed data change, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import DataError, relative_name
from .units import parse_rate
from .yamlio import read_yaml

__all__ = ["Reference", "DiscountSchedule", "OptimismBiasCategory", "load_reference", "PROJECT_ROOT", "default_reference"]

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
class Reference:
    discount_schedules: dict
    optimism_bias: dict
    optimism_bias_source: str
    directory: Path


def reference_dir_for(data_dir: Path) -> Path:
    """``<data_dir>/../reference`` when it exists (a copied data tree), else the project's ``data/reference``."""
    local = Path(data_dir).resolve().parent / "reference"
    return local if (local / "discount_schedules.yaml").exists() else DEFAULT_REFERENCE_DIR


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
    if errors:
        return None, errors, files
    return Reference(schedules, ob, ob_source, rdir), [], files


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
