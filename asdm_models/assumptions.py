"""Load and validate an appraisal's assumptions into typed objects.

An appraisal is a folder::

    data/<appraisal>/
        appraisal.yaml          settings, economy, current service, gates, success factors
        options/<option>.yaml   one file per option: drivers (OBC), fbc changes, items, risks, uncertainty, scores
        scenarios/<name>.yaml   optional named sets of changes (pessimistic, optimistic, saved what-ifs)

:func:`load_appraisal` reads every file, validates everything it can and
raises :class:`~asdm_models.errors.DataErrors` listing *every* problem (file,
line, field, what was wrong, what is valid). Nothing is coerced silently.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, create_model

from .distributions import Distribution, nearest_psd_check, parse_distribution
from .catalogue import DRIVERS, ECONOMY_DRIVERS, ITEM_FIELDS, LINE_FIELDS, RENAMED, suggest
from .indexation import IndexSpec
from .line_data import ID_PATTERN, SCENARIO_NAME_PATTERN, check_id, line_paths, parse_indexation, parse_lines
from .errors import DataError, DataErrors, relative_name
from .reference import Reference, load_reference
from .units import fy_label, parse_fy_label, parse_number, parse_rate
from .yamlio import YamlDoc, format_path, read_yaml

__all__ = [
    "OPTION_MODELS",
    "Assumption",
    "OneOffCost",
    "CapitalItem",
    "Risk",
    "Option",
    "Scenario",
    "StageSettings",
    "GateTest",
    "SuccessFactor",
    "Appraisal",
    "load_appraisal",
    "parse_driver_value",
    "STAGES",
]

STAGES = ("obc", "fbc")

# What each option model means for the cash flows: who delivers after go-live.
#   in_house: the council; public_partner: another public body (no margin, no tax);
#   entity: a new body the council sets up (viability reported); contractor: a private firm.
OPTION_MODELS: dict[str, dict] = {
    "no_change": {"delivery": "in_house", "label": "No change (current service)"},
    "in_house_redesign": {"delivery": "in_house", "label": "In-house redesign"},
    "public_integration": {"delivery": "public_partner", "label": "Integration with another public body"},
    "shared_service": {"delivery": "public_partner", "label": "Shared service with another council"},
    "trading_company": {"delivery": "entity", "label": "Council-owned trading company (Teckal)"},
    "social_enterprise": {"delivery": "entity", "label": "Social enterprise / charitable trust / mutual"},
    "joint_venture": {"delivery": "entity", "label": "Joint venture"},
    "outsourcing": {"delivery": "contractor", "label": "Outsourcing to a private contractor"},
}
CONFIDENCE = ("high", "medium", "low")
GATE_METRICS = {
    "npsv_vs_no_change_gbp": "NPSV vs no change (risk- and optimism-bias-adjusted)",
    "council_npv_vs_no_change_gbp": "Council NPV vs no change",
    "p10_npsv_vs_no_change_gbp": "P10 of NPSV vs no change (Monte Carlo)",
    "p50_npsv_vs_no_change_gbp": "P50 of NPSV vs no change (Monte Carlo)",
    "prob_beats_no_change": "Probability of beating no change (Monte Carlo)",
    "entity_lowest_cash_gbp": "New entity's lowest cash balance with the planned funding",
    "shortfall_vs_savings_target_gbp": "Largest shortfall of the annual saving against the savings target (nominal)",
    "weighted_score": "Weighted score against the critical success factors",
    # Green Book 2026: the value-for-money category (min/max name a category: poor, low, medium, high, very_high).
    "value_for_money": "Value-for-money category (appraisal summary table, Green Book 2026)",
    # Local-government tests (rules and sources in data/reference/local_government.yaml); n/a where they do not apply.
    # No figure here: gate_metric_description adds the appraisal's reference figures (the Teckal threshold).
    "teckal_years_failing": "Years the company fails the Teckal activity test (Procurement Act 2023 Sch 2 para 2)",
    "vat_partial_exemption_cost_gbp": "Exempt input VAT lost to a partial-exemption breach (VATA 1994 s33)",
    "implied_subsidy_gbp": "Subsidy implied by a council loan below the market rate (Subsidy Control Act 2022)",
    "pension_arrangement_stated": "Pension arrangement stated for the staff who transfer (1 = stated)",
}
#: Metrics that apply only to some options: a test of one is "n/a" (and does not count) where the option has none.
GATE_METRICS_WHERE_APPLICABLE = ("entity_lowest_cash_gbp", "shortfall_vs_savings_target_gbp", "teckal_years_failing",
                                 "vat_partial_exemption_cost_gbp", "implied_subsidy_gbp", "pension_arrangement_stated")


def gate_metric_description(metric: str, reference: Reference | None = None) -> str:
    """The description of a gate metric (:data:`GATE_METRICS`) with the reference figures it depends on.

    ``teckal_years_failing`` names the Teckal threshold of ``reference`` (``local_government.yaml``), worded by
    :func:`~asdm_models.case_tests.rule_words`; without local-government reference data (or for any other metric)
    the description is :data:`GATE_METRICS`'s, which states no figure.

    Examples
    --------
    >>> from asdm_models.assumptions import gate_metric_description
    >>> from asdm_models.reference import default_reference
    >>> gate_metric_description("teckal_years_failing", default_reference())
    'Years the company fails the Teckal activity test (...): more than 80% of its turnover for the council'
    """
    text = GATE_METRICS.get(metric, "")
    rules = getattr(reference, "local_government", None)
    if metric == "teckal_years_failing" and rules is not None:
        from .case_tests import rule_words  # a report module: imported when used, not with the data model

        text = f"{text}: more than {rule_words(rules).teckal_threshold} of its turnover for the council"
    return text


# ----------------------------------------------------------------------------------------------
# Typed objects (what the rest of the package uses)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One driver value with its provenance, for the assumption register."""

    value: float
    source: str | None = None
    confidence: str | None = None
    file: str = ""
    field: str = ""
    optimism_bias_category: str | None = None  # on a driver that sets a cost line's amount
    index: IndexSpec | None = None  # on a driver whose line's indexation the data sets (a fee)


@dataclass(frozen=True)
class OneOffCost:
    id: str
    description: str
    year: int
    amount_gbp: float
    optimism_bias_category: str | None
    borne_by: str
    source: str | None
    confidence: str | None


@dataclass(frozen=True)
class CapitalItem:
    id: str
    description: str
    year: int
    amount_gbp: float
    optimism_bias_category: str | None
    asset_life_years: float
    repeat_every_years: int | None
    borne_by: str
    source: str | None
    confidence: str | None
    capital_allowance: str | None = None  # a new entity's capital-allowance category (reference data)
    paid_to: str | None = None  # an existing asset transferred at this value: who receives the price


@dataclass(frozen=True)
class Risk:
    id: str
    description: str
    probability: float
    impact_low_gbp: float
    impact_most_likely_gbp: float
    impact_high_gbp: float
    from_year: int
    to_year: int
    borne_by: str
    owner: str | None
    mitigation: str | None


#: The Green Book 2026 short-list roles an option may carry beside its delivery model (HM Treasury, The Green
#: Book (2026), options framework: the short list holds business as usual, a do-minimum option, the preferred way
#: forward and more and less ambitious alternatives to it).
SHORTLIST_ROLES = {
    "business_as_usual": "Business as usual",
    "do_minimum": "Do minimum",
    "preferred_way_forward": "Preferred way forward",
    "more_ambitious": "More ambitious",
    "less_ambitious": "Less ambitious",
}


@dataclass(frozen=True)
class Impact:
    """A non-monetised impact of an option (Green Book 2026 appraisal summary table)."""

    description: str
    direction: str  # positive | negative
    scale: str  # small | moderate | large
    evidence: str  # strong | moderate | weak
    source: str | None = None


@dataclass(frozen=True)
class CouncilLoan:
    """A loan from the council to a new entity, tested against subsidy control (the market rate is data)."""

    principal_gbp: float | None  # None: the option's planned funding
    rate: float
    market_rate: float
    term_years: int
    repayment: str  # bullet | straight_line
    source: str | None = None
    market_rate_source: str | None = None


@dataclass(frozen=True)
class VatPosition:
    """The council's VAT partial-exemption position (a section 33 body), a year, at the price base."""

    council_total_input_vat_gbp: float
    council_exempt_input_vat_gbp: float
    service_input_vat_gbp: float
    service_exempt_input_vat_gbp: float
    source: str | None = None


@dataclass(frozen=True)
class Management:
    """How the change is governed and assured (the management case), from appraisal.yaml, optionally restated by an option."""

    governance: str = ""
    risk_management: str = ""
    assurance: str = ""
    post_implementation_review: str = ""
    benefits_owner: str = ""


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    model: str
    description: str
    exit_strategy: str
    drivers: dict  # name -> Assumption, the OBC values stated by the option
    one_off_costs: tuple
    capital: tuple
    risks: tuple
    uncertain: dict  # path -> Distribution (OBC)
    scores: dict  # csf id -> int
    fbc_changes: dict  # path -> Assumption
    fbc_uncertain: dict  # path -> Distribution, replacing the OBC one
    fbc_note: str
    file: str
    lines: dict = field(default_factory=dict)  # id -> Line: the option's version of every line (its own and inherited)
    own_lines: frozenset = frozenset()  # ids of lines the option states itself (new or restated)
    shortlist_role: str | None = None  # SHORTLIST_ROLES key
    pension_arrangement: str | None = None  # key of the reference data's pension arrangements
    non_monetised_impacts: tuple = ()  # Impact
    council_loan: CouncilLoan | None = None
    vat_kept_share: float | None = None  # share of the service's input VAT that stays with the council after go-live
    vat_added_exempt_gbp: dict = field(default_factory=dict)  # year index -> exempt input VAT the option adds
    commercial: Any = None  # commercial.Commercial (procurement route, contract terms, risk allocation)
    transition: Any = None  # transition.TransitionPlan (milestones, readiness)
    management: Management | None = None  # the option's own management arrangements, if it restates them

    @property
    def delivery(self) -> str:
        return OPTION_MODELS[self.model]["delivery"]

    @property
    def is_new_entity(self) -> bool:
        return self.delivery == "entity"

    @property
    def has_provider(self) -> bool:
        return self.delivery != "in_house"


@dataclass(frozen=True)
class Scenario:
    """Named changes: ``changes['all']`` apply to every option (economy, current service), others by option id."""

    id: str
    name: str
    description: str
    author: str | None
    note: str | None
    created: str | None
    changes: dict  # "all" | option id -> {path: value}
    file: str


@dataclass(frozen=True)
class StageSettings:
    label: str
    optimism_bias_mitigation: float
    benefits_shortfall: float
    optimism_bias_override: dict  # category -> rate, replacing the formula


@dataclass(frozen=True)
class GateTest:
    metric: str
    min: float | None
    max: float | None
    required: bool
    description: str


@dataclass(frozen=True)
class SuccessFactor:
    id: str
    name: str
    description: str
    weight: float
    min_score: int


@dataclass(frozen=True)
class Appraisal:
    id: str
    title: str
    council: str
    illustrative: bool
    service: str
    description: str
    price_base: str
    first_year: int  # calendar year in which year 0 starts
    period_years: int
    discount_schedule: str
    discount_flat_rate: float | None
    economy: dict  # name -> Assumption
    current_service: dict  # name -> Assumption
    savings_target_gbp: float
    savings_target_from: int  # year index
    strategic_objectives: tuple
    scope: tuple
    risk_appetite_statement: str
    min_prob_beats_no_change: float
    success_factors: tuple
    stages: dict  # stage -> StageSettings
    gates: dict  # stage -> tuple[GateTest]
    uncertain: dict  # path ("pay_inflation" or "current_service.x") -> Distribution
    correlations: tuple  # ((path_a, path_b), rank_rho)
    options: dict  # id -> Option, no_change first
    scenarios: dict  # id -> Scenario
    reference: Reference
    data_dir: Path
    input_files: tuple  # every file read, for the manifest
    broken_options: dict = field(default_factory=dict)  # with load_appraisal(partial=True): id -> [DataError]
    lines: dict = field(default_factory=dict)  # id -> Line: the current service's own lines
    vat_partial_exemption: VatPosition | None = None
    management: Management = Management()
    decisions: Any = None  # decisions.DecisionLog, or None when the folder has no decisions.yaml
    actuals: Any = None  # realisation.Actuals, or None when the folder has no actuals/
    actuals_errors: tuple = ()  # with partial=True: problems of actuals/ (they fail the realisation report only)
    decisions_errors: tuple = ()  # with partial=True: problems of decisions.yaml (a batch refuses them)
    procurement_routes: Any = None  # commercial.ProcurementRoutes from the reference data's procurement.yaml
    # Results that depend only on this (immutable) appraisal, e.g. no change's evaluation for appraise().
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def years(self) -> list[str]:
        """Financial-year labels of the appraisal period."""
        return [fy_label(self.first_year + t) for t in range(self.period_years)]

    @property
    def no_change(self) -> Option:
        return next(o for o in self.options.values() if o.model == "no_change")

    def option(self, option: "str | Option") -> Option:
        if isinstance(option, Option):
            return option
        if option in self.broken_options:
            raise DataErrors(self.broken_options[option])
        if option not in self.options:
            from .errors import ScenarioError

            raise ScenarioError(f"unknown option {option!r}{suggest(str(option), self.options)}; "
                                f"the options of {self.id} are: {', '.join(self.options)}")
        return self.options[option]


# ----------------------------------------------------------------------------------------------
# Raw file models (pydantic: structure, types, unknown and missing fields)
# ----------------------------------------------------------------------------------------------


def _rate(v: Any) -> float:
    return parse_rate(v)


def _year(v: Any, info: ValidationInfo) -> int:
    first = (info.context or {}).get("first_year")
    return parse_fy_label(v, first_year=first)


def _fy(v: Any) -> int:
    return parse_fy_label(v)


def _probability(v: Any) -> float:
    try:
        x = parse_rate(v)
    except ValueError as e:
        raise ValueError(str(e).replace("is not a valid rate", "is not a probability (0 to 1, or 0% to 100%)")) from None
    if not 0 <= x <= 1:
        raise ValueError(f"{v!r} is not a probability; it must be between 0 and 1 (0% to 100%)")
    return x


Rate = Annotated[float, BeforeValidator(_rate)]
Ident = Annotated[str, AfterValidator(check_id)]
Probability = Annotated[float, BeforeValidator(_probability)]
Year = Annotated[int, BeforeValidator(_year)]
FyLabel = Annotated[int, BeforeValidator(_fy)]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class _Discounting(_Raw):
    schedule: str = "green_book"
    flat_rate: Rate | None = None


class _SavingsTarget(_Raw):
    annual_gbp: float
    from_year: Year
    note: str = ""


class _RiskAppetite(_Raw):
    statement: str
    min_prob_beats_no_change: Probability


class _CSF(_Raw):
    id: Ident
    name: str
    description: str = ""
    weight: Rate
    min_score: int = 2


class _Stage(_Raw):
    label: str = ""
    optimism_bias_mitigation: Rate
    benefits_shortfall: Rate = 0.0
    optimism_bias_override: dict[str, Rate] = {}


class _Stages(_Raw):
    obc: _Stage
    fbc: _Stage


class _Gate(_Raw):
    metric: str
    min: float | str | None = None  # a category name for value_for_money
    max: float | str | None = None
    required: bool = True
    description: str = ""


class _Gates(_Raw):
    obc: list[_Gate]
    fbc: list[_Gate]


class _Correlation(_Raw):
    drivers: list[str]
    rank_correlation: float


class _Impact(_Raw):
    description: str
    direction: Literal["positive", "negative"]
    scale: Literal["small", "moderate", "large"]
    evidence: Literal["strong", "moderate", "weak"]
    source: str | None = None


class _Loan(_Raw):
    principal_gbp: float | None = None
    rate: Rate
    market_rate: Rate
    term_years: int
    repayment: Literal["bullet", "straight_line"] = "bullet"
    source: str | None = None
    market_rate_source: str | None = None


class _OptionVat(_Raw):
    kept_share: Rate | None = None
    added_exempt_input_vat_gbp: dict[str, float] = {}
    source: str | None = None


class _VatPE(_Raw):
    council_total_input_vat_gbp: float
    council_exempt_input_vat_gbp: float
    service_input_vat_gbp: float
    service_exempt_input_vat_gbp: float
    source: str | None = None


class _Management(_Raw):
    governance: str = ""
    risk_management: str = ""
    assurance: str = ""
    post_implementation_review: str = ""
    benefits_owner: str = ""


class _AppraisalFile(_Raw):
    appraisal: Ident
    title: str
    council: str
    illustrative: bool = False
    service: str
    description: str = ""
    price_base: FyLabel
    first_year: FyLabel
    period_years: int
    discounting: _Discounting = _Discounting()
    economy: dict[str, Any]
    current_service: dict[str, Any]
    savings_target: _SavingsTarget
    strategic_objectives: list[str]
    scope: list[str] = []
    risk_appetite: _RiskAppetite
    critical_success_factors: list[_CSF]
    stages: _Stages
    gates: _Gates
    uncertain: dict[str, Any] = {}
    correlations: list[_Correlation] = []
    vat_partial_exemption: _VatPE | None = None
    management: _Management = _Management()


class _OneOff(_Raw):
    id: Ident
    description: str
    year: Year
    amount_gbp: float
    optimism_bias_category: str | None = None
    borne_by: Literal["council", "provider"] = "council"
    source: str | None = None
    confidence: Literal["high", "medium", "low"] | None = None


class _Capital(_Raw):
    id: Ident
    description: str
    year: Year
    amount_gbp: float
    optimism_bias_category: str | None = None
    asset_life_years: float
    repeat_every_years: int | None = None
    borne_by: Literal["council", "provider"] = "council"
    source: str | None = None
    confidence: Literal["high", "medium", "low"] | None = None
    capital_allowance: str | None = None
    paid_to: Literal["council", "provider"] | None = None


class _Risk(_Raw):
    id: Ident
    description: str
    probability: Probability
    impact_low_gbp: float
    impact_most_likely_gbp: float
    impact_high_gbp: float
    from_year: Year
    to_year: Year | None = None
    borne_by: Literal["council", "provider"] = "council"
    owner: str | None = None
    mitigation: str | None = None


class _Fbc(_Raw):
    changes: dict[str, Any] = {}
    uncertain: dict[str, Any] = {}
    note: str = ""


class _OptionFile(_Raw):
    id: Ident
    name: str
    model: str
    description: str
    exit_strategy: str = ""
    drivers: dict[str, Any] = {}
    one_off_costs: list[_OneOff] = []
    capital: list[_Capital] = []
    risks: list[_Risk] = []
    lines: Any = None
    uncertain: dict[str, Any] = {}
    scores: dict[str, int] = {}
    fbc: _Fbc = _Fbc()
    shortlist_role: Literal[tuple(SHORTLIST_ROLES)] | None = None  # type: ignore[valid-type]
    pension_arrangement: str | None = None
    non_monetised_impacts: list[_Impact] = []
    council_loan: _Loan | None = None
    vat: _OptionVat | None = None
    commercial: Any = None
    transition: Any = None
    management: _Management | None = None


class _ScenarioFile(_Raw):
    name: str
    description: str = ""
    author: str | None = None
    note: str | None = None
    created: str | None = None
    changes: dict[str, dict[str, Any]]


# ----------------------------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------------------------


def _pydantic_errors(doc: YamlDoc, err: ValidationError, model: type[BaseModel], prefix: tuple = ()) -> list[DataError]:
    out = []
    for e in err.errors():
        loc = prefix + tuple(e["loc"])
        kind = e["type"]
        value = e.get("input")
        if "[key]" in loc:  # a mapping key of the wrong type (e.g. a number): point at the key itself
            loc = loc[:loc.index("[key]")]
            loc = loc[:-1] + (str(loc[-1]),) if loc else loc
            out.append(DataError(doc.file, format_path(loc, doc.data), f"the name {value!r} is not text; "
                                 "names of fields and drivers are words such as staff_fte", doc.line(loc), value))
            continue
        if kind == "missing":
            msg = f"required field is missing; add it (it takes {_expected_at(model, tuple(e['loc']))})"
        elif kind == "extra_forbidden":
            allowed = _fields_at(model, tuple(e["loc"])[:-1])
            msg = f"unknown field{suggest(str(loc[-1]), allowed)}"
            if allowed:
                msg += f"; valid fields here: {', '.join(sorted(allowed))}"
        elif kind == "finite_number":
            msg = f"{value!r} is not allowed: values must be finite numbers (no NaN or infinity)"
        elif kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
            want = "a whole number" if kind.startswith("int") else "a number"
            msg = f"expected {want}, got {value!r}"
        elif kind == "value_error":
            msg = e["msg"].removeprefix("Value error, ")
        elif kind in ("string_type",):
            msg = f"expected text, got {value!r}"
        elif kind in ("bool_type",):
            msg = f"expected true or false, got {value!r}"
        elif kind in ("list_type",):
            msg = f"expected a list, got {type(value).__name__}"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            msg = f"expected a mapping of fields, got {value!r}"
        elif kind == "literal_error":
            msg = f"{value!r} is not valid; expected {e['ctx']['expected']}"
        else:
            msg = e["msg"]
        out.append(DataError(doc.file, format_path(loc, doc.data), msg, doc.line(loc), value))
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> set[str]:
    """Field names of the (nested) pydantic model at ``loc``, for 'did you mean' suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return set()
        f = current.model_fields.get(part)
        if f is None:
            return set()
        current = _inner_model(f.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return set(current.model_fields)
    return set()


def _expected_at(model: type[BaseModel], loc: tuple) -> str:
    """What a field at ``loc`` takes, in words, for 'required field is missing' messages."""
    owner: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        f = owner.model_fields.get(part) if isinstance(owner, type) and issubclass(owner, BaseModel) else None
        owner = _inner_model(f.annotation) if f is not None else None
    f = owner.model_fields.get(loc[-1]) if isinstance(owner, type) and issubclass(owner, BaseModel) else None
    if f is None:
        return "see the example appraisal in data/"
    validators = {getattr(m, "func", None) for m in f.metadata}
    if _rate in validators:
        return "a rate such as 0.035 or \"3.5%\""
    if _probability in validators:
        return "a probability such as 0.2 or \"20%\""
    if _year in validators:
        return "a financial year such as \"2027-28\" or a year index (0 = first year)"
    if _fy in validators:
        return "a financial year such as \"2027-28\""
    ann = f.annotation
    origin = getattr(ann, "__origin__", None)
    if ann is str:
        return "text"
    if ann is int:
        return "a whole number"
    if ann is float:
        return "a number"
    if ann is bool:
        return "true or false"
    if origin is list:
        return "a list"
    return "a mapping of fields"


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in args or ():
        m = _inner_model(a)
        if m is not None:
            return m
    return None


def parse_driver_value(name: str, raw: Any, unit: str, first_year: int, period: int,
                       minimum: float | None = None, maximum: float | None = None) -> float:
    """A driver's value in model units from what the data says (a number, "3.5%" or "2027-28").

    Raises ``ValueError`` with a message for the user.
    """
    if unit == "rate":
        x = parse_rate(raw)
    elif unit == "year":
        x = float(parse_fy_label(raw, first_year=first_year))
        if not 0 <= x <= period - 1:
            last = fy_label(first_year + period - 1)
            hint = (f"; did you mean \"{fy_label(raw)}\"?" if isinstance(raw, int) and 1900 <= raw <= 2999
                    and 0 <= raw - first_year <= period - 1 else "")
            raise ValueError(f"{_show(raw)} is outside the appraisal period {fy_label(first_year)} to {last} "
                             f"(year index 0 to {period - 1}){hint}")
    else:
        if isinstance(raw, str) and raw.strip().endswith("%"):
            raise ValueError(f"{raw!r} is a percentage, but {name} is in {_unit_words(unit)}")
        x = parse_number(raw)
    if minimum is not None and x < minimum:
        raise ValueError(f"{_show(raw)} is below the smallest valid value {_fmt(minimum, unit)}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{_show(raw)} is above the largest valid value {_fmt(maximum, unit)}")
    return x


def _show(raw: Any) -> str:
    return repr(raw) if isinstance(raw, str) else f"{raw:g}" if isinstance(raw, float) else str(raw)


def _fmt(x: float, unit: str) -> str:
    return f"{x * 100:g}%" if unit == "rate" else f"{x:g}"


def _unit_words(unit: str) -> str:
    return {"gbp": "pounds (GBP)", "count": "a count", "years": "years", "year": "a financial year"}.get(unit, unit)


class _Collector:
    """Accumulates DataErrors across files."""

    def __init__(self) -> None:
        self.errors: list[DataError] = []

    def add(self, e: DataError | list[DataError]) -> None:
        self.errors.extend(e if isinstance(e, list) else [e])


def _driver_entries(doc: YamlDoc, path: tuple, mapping: dict, allowed: dict, first_year: int, period: int,
                    col: _Collector, what: str, ob_cats: dict | None = None) -> dict[str, Assumption]:
    """Validate a ``name: value`` or ``name: {value, source, confidence}`` mapping of drivers."""
    out: dict[str, Assumption] = {}
    for name, raw in mapping.items():
        p = path + (name,)
        if name in RENAMED:
            col.add(doc.error(p, renamed_msg(name)))
            continue
        if name not in allowed:
            if name in DRIVERS:
                col.add(doc.error(p, f"{name} cannot be set in {what}"
                                     + (": economy drivers are shared by every option; set them in appraisal.yaml economy"
                                        if name in ECONOMY_DRIVERS else "")))
            else:
                col.add(doc.error(p, f"unknown driver{suggest(str(name), allowed)}; valid drivers here: {', '.join(allowed)}"))
            continue
        a = _assumption(doc, p, raw, name, allowed[name], first_year, period, col, ob_cats)
        if a is not None:
            out[name] = a
    return out


def renamed_msg(name: str) -> str:
    """The error for a driver name that was renamed, saying exactly what to write instead."""
    return (f"{name} is now called {RENAMED[name]} (its value is a fraction such as 0.08 or \"8%\", as before): "
            f"rename the field, or run `asdm migrate DATA_DIR` to rewrite the folder")


_ENTRY_KEYS = ("value", "source", "confidence", "note")


def _entry_keys(d) -> tuple:
    """The fields a driver's entry takes: its value and provenance, and the attributes of the line it sets."""
    keys = _ENTRY_KEYS
    if getattr(d, "lines", ()):
        keys += ("optimism_bias_category",)
    if getattr(d, "index", None):
        keys += ("indexation", "cap", "collar")
    return keys


def _assumption(doc: YamlDoc, p: tuple, raw: Any, name: str, d, first_year: int, period: int,
                col: _Collector, ob_cats: dict | None = None, inherit: Assumption | None = None) -> Assumption | None:
    """One driver entry (``value`` or ``{value, source, confidence, note, ...}``) parsed in the driver's unit, or None.

    A driver that sets a cost line may carry ``optimism_bias_category``; one whose line can be indexed
    (a fee) ``indexation``, ``cap`` and ``collar``. ``inherit``: the entry an FBC change restates (its
    attributes carry over unless restated).
    """
    entry = _split_entry(doc, p, raw, col, _entry_keys(d))
    if entry is None:
        return None
    value, source, confidence, pv = entry
    try:
        x = parse_driver_value(name, value, d.unit, first_year, period, d.minimum, d.maximum)
    except ValueError as e:
        col.add(doc.error(pv, str(e), value))
        return None
    attrs = raw if isinstance(raw, dict) else {}
    category = inherit.optimism_bias_category if inherit is not None else None
    if "optimism_bias_category" in attrs:
        category = attrs["optimism_bias_category"]
        if category is not None and ob_cats is not None and category not in ob_cats:
            col.add(doc.error(p + ("optimism_bias_category",), f"unknown category {category!r}"
                                                               f"{suggest(str(category), ob_cats)}; valid: {', '.join(ob_cats)}"))
            return None
    index = inherit.index if inherit is not None else None
    if any(k in attrs for k in ("indexation", "cap", "collar")):
        index, problems = parse_indexation(attrs.get("indexation", d.index), attrs.get("cap"), attrs.get("collar"))
        for f, msg in problems:
            col.add(doc.error(p + (f,), msg))
        if problems:
            return None
    return Assumption(x, source, confidence, doc.file, format_path(pv, doc.data), category, index)


def _split_entry(doc: YamlDoc, p: tuple, raw: Any, col: _Collector, keys: tuple = _ENTRY_KEYS):
    """``value`` or ``{value, source, confidence, note}`` -> (value, source, confidence, path of the value), or None."""
    if not isinstance(raw, dict):
        return raw, None, None, p
    extra = [k for k in raw if k not in keys]
    for k in extra:
        hint = ""
        if k == "optimism_bias_category":
            hint = "; optimism bias applies to cost amounts (staff cost per FTE, running costs, a fee, a line)"
        elif k in ("indexation", "cap", "collar"):
            hint = "; only a fee or fees income (or a line) can state its own indexation"
        col.add(doc.error(p + (k,), f"unknown field{suggest(str(k), keys)}; this driver takes {', '.join(keys)}{hint}"))
    confidence, source = raw.get("confidence"), raw.get("source")
    if confidence is not None and confidence not in CONFIDENCE:
        col.add(doc.error(p + ("confidence",), f"{confidence!r} is not valid; expected one of high, medium, low"))
    if source is not None and not isinstance(source, str):
        col.add(doc.error(p + ("source",), f"expected text, got {source!r}"))
    if "value" not in raw:
        col.add(doc.error(p, "missing value: write name: {value: ..., source: ..., confidence: ...} or name: value"))
        return None
    return raw["value"], source, confidence, p + ("value",)


# ----------------------------------------------------------------------------------------------
# Loader
# ----------------------------------------------------------------------------------------------


def load_appraisal(path: str | Path, *, partial: bool = False) -> Appraisal:
    """Load, validate and return the appraisal in folder ``path``.

    Parameters
    ----------
    path : str or Path
        The appraisal folder (holding ``appraisal.yaml`` and ``options/``).
    partial : bool
        For batches: leave out option and scenario files that have problems (listed in
        ``broken_options``) instead of refusing the whole appraisal. Problems anywhere else, or
        in no_change, still raise.

    Returns
    -------
    Appraisal

    Raises
    ------
    DataErrors
        Listing every problem found, each naming file, line, field, what was wrong and what is valid.

    Examples
    --------
    >>> from asdm_models import load_appraisal
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_depot")
    >>> a.period_years, list(a.options)[0]
    (40, 'no_change')
    """
    root = Path(path)
    col = _Collector()
    name_of = lambda p: relative_name(p, root)  # noqa: E731
    if not root.is_dir():
        raise DataErrors([DataError(str(path), "", "appraisal folder not found (it should hold appraisal.yaml and options/)")])
    files: list[Path] = []
    app_path = root / "appraisal.yaml"
    if not app_path.is_file():
        raise DataErrors([DataError(name_of(app_path), "", "file not found: an appraisal folder needs appraisal.yaml "
                                                         "(its settings) and options/<id>.yaml (one file per option)")])
    doc, errs = read_yaml(app_path, name_of(app_path))
    col.add(errs)
    if doc is None:
        raise DataErrors(col.errors)
    files.append(app_path)
    if not isinstance(doc.data, dict):
        raise DataErrors(col.errors + [doc.error((), "expected a mapping of appraisal settings at the top level")])
    # first_year is needed to read every other year: parse it before the rest.
    first_year = period = None
    try:
        first_year = parse_fy_label(doc.data.get("first_year"))
    except ValueError:
        pass
    p_raw = doc.data.get("period_years")
    if isinstance(p_raw, int) and not isinstance(p_raw, bool):
        period = p_raw
    ctx = {"first_year": first_year if first_year is not None else 0}
    failed: set = set()  # top-level sections that did not validate: checks that need them are skipped
    try:
        raw = _AppraisalFile.model_validate(doc.data, context=ctx)
    except ValidationError as e:
        col.add(_pydantic_errors(doc, e, _AppraisalFile))
        raw = _partial_appraisal(doc.data, e, ctx)
        failed = {str(err["loc"][0]) for err in e.errors() if err["loc"]}
    if raw is None or first_year is None or period is None:
        # Still look at the option files so the user sees their problems too.
        if first_year is not None and period is not None and period > 0:
            _load_options(root, first_year, period, col, files, name_of)
        raise DataErrors(col.errors)
    if not 1 <= period <= 300:
        col.add(doc.error(("period_years",), f"{period} is not a valid appraisal period; use 1 to 300 years"))
        raise DataErrors(col.errors)

    reference, ref_errors, ref_files = load_reference(root)
    col.add(ref_errors)
    files.extend(ref_files)

    # Discounting
    schedules = reference.discount_schedules if reference else {}
    if "discounting" in failed:
        pass
    elif raw.discounting.schedule == "flat":
        if raw.discounting.flat_rate is None:
            col.add(doc.error(("discounting", "flat_rate"), "required when schedule is flat (e.g. 3.5%)"))
    elif reference and raw.discounting.schedule not in schedules:
        col.add(doc.error(("discounting", "schedule"),
                          f"unknown schedule {raw.discounting.schedule!r}{suggest(raw.discounting.schedule, schedules)}; "
                          f"choose one of {', '.join(list(schedules) + ['flat'])}"))

    economy_allowed = {n: DRIVERS[n] for n in ECONOMY_DRIVERS}
    economy = _driver_entries(doc, ("economy",), raw.economy or {}, economy_allowed, first_year, period, col, "economy")
    for n in ECONOMY_DRIVERS if "economy" not in failed else ():
        if n not in raw.economy and DRIVERS[n].required_in == "economy":
            col.add(doc.error(("economy",), f"missing driver {n} ({DRIVERS[n].label})"))
    ob_cats = reference.optimism_bias if reference else {}
    service_allowed = {n: d for n, d in DRIVERS.items() if d.group != "economy"}
    cs_raw = dict(raw.current_service or {})
    current_lines = parse_lines(doc, ("current_service", "lines"), cs_raw.pop("lines", None), first_year=first_year,
                                period=period, col=col, ob_cats=ob_cats if reference else None, where="current_service")
    current = _driver_entries(doc, ("current_service",), cs_raw, service_allowed, first_year, period,
                              col, "current_service", ob_cats if reference else None)
    for n, d in service_allowed.items() if "current_service" not in failed else ():
        if d.required_in == "current_service" and n not in raw.current_service:
            col.add(doc.error(("current_service",), f"missing driver {n} ({d.label}): the current service must state it"))

    if "savings_target" not in failed and not 0 <= raw.savings_target.from_year <= period - 1:
        col.add(doc.error(("savings_target", "from_year"), _outside_period(raw.savings_target.from_year, first_year, period)))

    csfs = tuple(SuccessFactor(c.id, c.name, c.description, c.weight, c.min_score)
                 for c in raw.critical_success_factors or ())
    seen_csf = set()
    for i, c in enumerate(csfs):
        if c.id in seen_csf:
            col.add(doc.error(("critical_success_factors", i, "id"), f"duplicate success factor id {c.id!r}"))
        seen_csf.add(c.id)
        if not 0 <= c.weight <= 1:
            col.add(doc.error(("critical_success_factors", i, "weight"),
                              f"{c.weight:g} is not a valid weight; it must be between 0 and 1 (0% to 100%)"))
        if not 0 <= c.min_score <= 5:
            col.add(doc.error(("critical_success_factors", i, "min_score"), f"{c.min_score} is out of range; scores run from 0 to 5"))
    total_w = sum(c.weight for c in csfs)
    if csfs and abs(total_w - 1.0) > 1e-6:
        col.add(doc.error(("critical_success_factors",), f"weights add up to {total_w:.4g}; they must add up to 1 (100%)"))

    stages = {}
    for s in STAGES if "stages" not in failed else ():
        st = getattr(raw.stages, s)
        if not 0 <= st.optimism_bias_mitigation <= 1:
            col.add(doc.error(("stages", s, "optimism_bias_mitigation"),
                              f"{_fmt(st.optimism_bias_mitigation, 'rate')} is out of range; it must be between 0% and 100%"))
        if not 0 <= st.benefits_shortfall <= 1:
            col.add(doc.error(("stages", s, "benefits_shortfall"),
                              f"{_fmt(st.benefits_shortfall, 'rate')} is out of range; it must be between 0% and 100%"))
        for cat in st.optimism_bias_override:
            if reference and cat not in ob_cats:
                col.add(doc.error(("stages", s, "optimism_bias_override", cat),
                                  f"unknown optimism bias category{suggest(cat, ob_cats)}; valid: {', '.join(ob_cats)}"))
        stages[s] = StageSettings(st.label or s.upper(), st.optimism_bias_mitigation, st.benefits_shortfall,
                                  dict(st.optimism_bias_override))
    gates = {}
    for s in STAGES if "gates" not in failed else ():
        tests = []
        for i, g in enumerate(getattr(raw.gates, s)):
            lo, hi = g.min, g.max
            if g.metric in ("bcr", "benefit_cost_ratio"):
                col.add(doc.error(("gates", s, i, "metric"), "a benefit-cost ratio is never a pass/fail test on its own "
                                                              "(Green Book 2026); test value_for_money, the category of "
                                                              "the appraisal summary table, instead"))
            elif g.metric not in GATE_METRICS:
                col.add(doc.error(("gates", s, i, "metric"), f"unknown metric {g.metric!r}{suggest(g.metric, GATE_METRICS)}; "
                                                              f"valid: {', '.join(GATE_METRICS)}"))
            elif g.metric == "value_for_money":
                lo, hi = (_vfm_bound(doc, ("gates", s, i, k), v, reference, col) for k, v in (("min", lo), ("max", hi)))
            else:
                for k, v in (("min", lo), ("max", hi)):
                    if isinstance(v, str):
                        col.add(doc.error(("gates", s, i, k), f"{v!r} is not a number; {g.metric} is tested against a "
                                                              "number (pounds, a probability or a count)"))
            if g.min is None and g.max is None:
                col.add(doc.error(("gates", s, i), "a gate test needs min or max"))
            tests.append(GateTest(g.metric, lo, hi, g.required,
                                  g.description or gate_metric_description(g.metric, reference)))
        gates[s] = tuple(tests)

    # Appraisal-level uncertainty: economy drivers, current-service drivers and the fields of its lines.
    uncertain = {}
    cs_line_paths = {}
    for ln in current_lines.values():
        cs_line_paths.update(line_paths("current_service.lines.", ln))
    for key_raw, spec in (raw.uncertain or {}).items():
        p = ("uncertain", key_raw)
        if key_raw.startswith("current_service.lines."):
            if key_raw not in cs_line_paths:
                col.add(doc.error(p, f"{key_raw!r} is not a field of a current-service line"
                                     f"{suggest(key_raw, cs_line_paths)}; valid: {', '.join(cs_line_paths) or 'none'}"))
                continue
            _, _, ident, f = key_raw.split(".")
            dist = _distribution(doc, p, spec, cs_line_paths[key_raw], current_lines[ident].values[f], col, first_year,
                                 period)
            if dist is not None:
                uncertain[key_raw] = dist
            continue
        key = key_raw.removeprefix("current_service.")
        if key in RENAMED:
            col.add(doc.error(p, renamed_msg(key)))
            continue
        base = economy.get(key) or current.get(key)
        if key not in DRIVERS:
            col.add(doc.error(p, f"unknown driver{suggest(key, DRIVERS)}; valid: an economy driver "
                                 f"({', '.join(ECONOMY_DRIVERS)}) or current_service.<driver> stated in current_service"))
            continue
        if base is None:
            if not {"economy", "current_service"} & failed and key not in raw.economy and key not in raw.current_service:
                # (a driver stated there but invalid has its own error)
                col.add(doc.error(p, f"{key} is not stated in economy or current_service, so it has no base value"))
            continue
        dist = _distribution(doc, p, spec, DRIVERS[key], base.value, col, first_year, period)
        if dist is not None:
            uncertain[key if key in ECONOMY_DRIVERS else f"current_service.{key}"] = dist
    correlations = []
    for i, c in enumerate(raw.correlations or ()):
        p = ("correlations", i)
        if len(c.drivers) != 2:
            col.add(doc.error(p + ("drivers",), f"name exactly two drivers, got {len(c.drivers)}"))
            continue
        if not -1 <= c.rank_correlation <= 1:
            col.add(doc.error(p + ("rank_correlation",), f"{c.rank_correlation:g} is not a correlation; use -1 to 1"))
            continue
        if c.drivers[0] == c.drivers[1]:
            col.add(doc.error(p + ("drivers",), f"{c.drivers[0]} is named twice; name two different uncertain drivers"))
            continue
        correlations.append((tuple(c.drivers), c.rank_correlation))

    routes = None
    if reference:
        from .commercial import load_procurement_routes

        proc = Path(reference.directory) / "procurement.yaml"
        routes, errs = load_procurement_routes(proc)
        col.add([DataError(relative_name(proc, root), e.field, e.message, e.line, e.value) for e in errs])
        if routes is not None:
            files.append(proc)
    unloaded: dict = {}
    options = _load_options(root, first_year, period, col, files, name_of, current=current,
                            csfs=csfs, ob_cats=ob_cats if reference else None, unloaded=unloaded,
                            current_lines=current_lines,
                            ca_cats=getattr(reference, "capital_allowances", None) if reference else None,
                            pensions=getattr(reference, "pension_arrangements", None) if reference else None,
                            routes=routes)
    stated = set(raw.uncertain or {}) | {k.removeprefix("current_service.") for k in raw.uncertain or {}}
    for i, ((a, b), _rho) in enumerate(correlations):
        for d in (a, b):
            known = d in uncertain or f"current_service.{d}" in uncertain or any(
                d in o.uncertain or d in o.fbc_uncertain for o in options.values())
            # a stated but invalid one has its own error
            if not known and not unloaded and d not in stated and "uncertain" not in failed:
                col.add(doc.error(("correlations", i, "drivers"),
                                  f"{d!r} in a correlation is not an uncertain driver of this appraisal"
                                  f"{suggest(d, list(uncertain) + [k for o in options.values() for k in o.uncertain])}; "
                                  "correlate only drivers that have a distribution under uncertain:"))
    _check_correlation_matrix(doc, correlations, col)

    scenarios = _load_scenarios(root, first_year, period, options, col, files, name_of, unloaded, current_lines)

    from .decisions import load_decisions

    decisions, decisions_errors = None, ()
    if isinstance(raw.appraisal, str):  # (an invalid id has its own error; the log is read against a valid one)
        # an option file that did not load is still an option of the appraisal: no knock-on error for the log
        stems = {f.stem for f in (root / "options").glob("*.y*ml")} if (root / "options").is_dir() else set()
        decisions, errs, dfiles = load_decisions(root, raw.appraisal, set(options) | {k for k in unloaded if k} | stems)
        files.extend(dfiles)
        if errs and partial:
            # A journey record: its problems do not stop the figures (verify, a report of another option); a batch
            # refuses them (batch.run_batch), so no report shows a log it could not read.
            decisions_errors, decisions = tuple(errs), None
        else:
            col.add(errs)

    broken: dict[str, list[DataError]] = {}
    if col.errors:
        if not partial:
            raise DataErrors(col.errors)
        options, scenarios, broken = _set_aside(col.errors, options, scenarios, root, name_of)
    appraisal = Appraisal(
        id=raw.appraisal, title=raw.title, council=raw.council, illustrative=raw.illustrative, service=raw.service,
        description=raw.description, price_base=fy_label(raw.price_base), first_year=first_year, period_years=period,
        discount_schedule=raw.discounting.schedule, discount_flat_rate=raw.discounting.flat_rate,
        economy=economy, current_service=current, savings_target_gbp=raw.savings_target.annual_gbp,
        savings_target_from=raw.savings_target.from_year, strategic_objectives=tuple(raw.strategic_objectives),
        scope=tuple(raw.scope), risk_appetite_statement=raw.risk_appetite.statement,
        min_prob_beats_no_change=raw.risk_appetite.min_prob_beats_no_change, success_factors=csfs, stages=stages,
        gates=gates, uncertain=uncertain, correlations=tuple(correlations), options=options, scenarios=scenarios,
        reference=reference, data_dir=root.resolve(), input_files=tuple(sorted({f.resolve() for f in files})),
        broken_options=broken, lines=current_lines,
        vat_partial_exemption=_vat_position(doc, raw, col) if "vat_partial_exemption" not in failed else None,
        management=Management(**raw.management.model_dump()) if "management" not in failed else Management(),
        decisions=decisions, decisions_errors=decisions_errors, procurement_routes=routes,
    )
    if (root / "actuals").exists():  # after launch: the outturn, checked against the lines of the launched option
        from .realisation import load_actuals

        actuals, errs, afiles = load_actuals(root, appraisal)
        if errs and not partial:
            raise DataErrors(errs)
        appraisal = dataclasses.replace(appraisal, actuals=actuals, actuals_errors=tuple(errs),
                                        input_files=tuple(sorted(set(appraisal.input_files) | {f.resolve() for f in afiles})))
    return appraisal


def _vat_position(doc, raw, col) -> VatPosition | None:
    v = raw.vat_partial_exemption
    if v is None:
        return None
    p = ("vat_partial_exemption",)
    fields = ("council_total_input_vat_gbp", "council_exempt_input_vat_gbp", "service_input_vat_gbp",
              "service_exempt_input_vat_gbp")
    bad = [f for f in fields if not (np.isfinite(getattr(v, f)) and getattr(v, f) >= 0)]
    for f in bad:
        col.add(doc.error(p + (f,), "must be an amount of VAT a year in pounds, 0 or more"))
    if bad:
        return None
    pairs = [("council_exempt_input_vat_gbp", "council_total_input_vat_gbp", "the council's exempt input VAT is part of "
                                                                             "its total input VAT"),
             ("service_input_vat_gbp", "council_total_input_vat_gbp", "the service's input VAT is part of the council's"),
             ("service_exempt_input_vat_gbp", "service_input_vat_gbp", "the service's exempt input VAT is part of its "
                                                                       "input VAT"),
             ("service_exempt_input_vat_gbp", "council_exempt_input_vat_gbp", "the service's exempt input VAT is part of "
                                                                              "the council's")]
    for part, whole, why in pairs:
        if getattr(v, part) > getattr(v, whole):
            col.add(doc.error(p + (part,), f"{getattr(v, part):,.0f} is more than {whole} ({getattr(v, whole):,.0f}): "
                                           f"{why}"))
            return None
    return VatPosition(*(getattr(v, f) for f in fields), v.source)


def _vfm_bound(doc, p, v, reference, col) -> float | None:
    """A value-for-money gate bound: a category name (``medium``) as its rank in the reference data's order."""
    if v is None:
        return None
    rules = getattr(reference, "value_for_money", None) if reference else None
    if rules is None:  # the reference data did not load: that is the error already reported, not this bound
        return None
    names = list(rules.names)
    if isinstance(v, str) and v in names:
        return float(names.index(v))
    col.add(doc.error(p, f"{v!r} is not a value-for-money category; use one of {', '.join(names) or 'the categories'} "
                         f"(data/reference/value_for_money.yaml){suggest(str(v), names)}"))
    return None


def _set_aside(errors, options, scenarios, root, name_of):
    """For a batch: leave out the option files that have problems, keep the rest.

    Raises DataErrors when a problem is anywhere else (appraisal.yaml, reference data, the options
    folder as a whole, a scenario file) or when no_change itself is broken: nothing can be compared
    without them. A broken scenario file is never left out silently, since every report shows every
    scenario and a dropped one can flip a finding; the only scenario problems tolerated are those
    inside the changes for an option that is itself set aside (the option has no reports).
    """
    option_files = {name_of(fp): fp for fp in (root / "options").glob("*.y*ml")} if (root / "options").is_dir() else {}
    bad_files = {e.file for e in errors}
    broken: dict[str, list[DataError]] = {}
    for shown, fp in option_files.items():
        errs = [e for e in errors if e.file == shown]
        if not errs:
            continue
        ident = next((o.id for o in options.values() if o.file == shown), None)
        if ident is None:
            ident = _stated_id(fp)
        broken[ident] = errs
    fatal = [e for e in errors if e.file not in option_files
             and not any(e.field == f"changes.{o}" or e.field.startswith(f"changes.{o}.") for o in broken)]
    if fatal:
        raise DataErrors(fatal)
    kept = {k: o for k, o in options.items() if o.file not in bad_files}
    if sum(o.model == "no_change" for o in kept.values()) != 1:
        raise DataErrors(errors)
    return kept, scenarios, broken


def _stated_id(fp: Path) -> str:
    """The id an option file states, if it can be read at all (within the input limits); else its file name."""
    doc, _ = read_yaml(fp, str(fp))
    ident = doc.data.get("id") if doc is not None and isinstance(doc.data, dict) else None
    return ident if isinstance(ident, str) and ID_PATTERN.fullmatch(ident) else fp.stem


def _partial_appraisal(data: dict, err: ValidationError, ctx: dict):
    """The appraisal settings without the sections that failed (those are None), so the rest can still be checked."""
    failed = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
    model = _partial_model(frozenset(k for k in failed if k in _AppraisalFile.model_fields))
    try:
        return model.model_validate({k: v for k, v in data.items() if k not in failed}, context=ctx)
    except ValidationError:  # pragma: no cover - every remaining section validated on its own
        return None


@functools.lru_cache(maxsize=64)
def _partial_model(optional: frozenset) -> type[BaseModel]:
    return create_model("_PartialAppraisalFile", __base__=_AppraisalFile, **{k: (Any, None) for k in optional})


def _distribution(doc, p, spec, driver, base, col, first_year, period) -> Distribution | None:
    unit = driver.unit
    if unit == "year":
        col.add(doc.error(p, "timing drivers (years) cannot have a distribution; use a scenario to move them"))
        return None
    dist, problems = parse_distribution(spec, unit, base)
    for f, msg in problems:
        col.add(doc.error(p + ((f,) if f else ()), msg))
    if dist is not None and not dist.low - 1e-12 <= base <= dist.high + 1e-12 and dist.name in ("triangular", "pert", "uniform"):
        col.add(doc.error(p, f"the base value {base:g} lies outside the distribution's range "
                             f"{dist.low:g} to {dist.high:g}"))
    if dist is not None and dist.name in ("triangular", "pert", "uniform"):
        for bound, x in (("low", dist.low), ("high", dist.high)):
            if (driver.minimum is not None and x < driver.minimum) or (driver.maximum is not None and x > driver.maximum):
                lo = "no minimum" if driver.minimum is None else _fmt(driver.minimum, unit)
                hi = "no maximum" if driver.maximum is None else _fmt(driver.maximum, unit)
                col.add(doc.error(p + (bound,), f"{_fmt(x, unit)} is outside the valid range of {driver.name} "
                                                f"({lo} to {hi})"))
                return None
    return dist


def _check_correlation_matrix(doc, correlations, col) -> None:
    names = sorted({d for (pair, _r) in correlations for d in pair})
    if len(names) < 2:
        return
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for (a, b), r in correlations:
        m[idx[a], idx[b]] = m[idx[b], idx[a]] = r
    lam = nearest_psd_check(m)
    if lam < -1e-10:
        col.add(doc.error(("correlations",), f"the rank correlations between {', '.join(names)} are inconsistent "
                                             f"(the matrix is not positive semi-definite: smallest eigenvalue {lam:.3g}); "
                                             "weaken some of them"))


def _option_paths(opt_drivers: dict, one_offs, capital, risks, lines=None) -> dict[str, tuple[str, Any]]:
    """Every addressable path of an option -> its driver definition, for FBC changes, uncertainty and scenarios."""
    paths = {n: DRIVERS[n] for n in opt_drivers}
    for lst, items in (("one_off_costs", one_offs), ("capital", capital), ("risks", risks)):
        for it in items:
            for f, d in ITEM_FIELDS[lst].items():
                paths[f"{lst}.{it.id}.{f}"] = d
    for ln in (lines or {}).values():
        paths.update(line_paths("lines.", ln))
    return paths


def _load_options(root, first_year, period, col, files, name_of, current=None, csfs=(), ob_cats=None,
                  unloaded: dict | None = None, current_lines: dict | None = None, ca_cats=None,
                  pensions=None, routes=None) -> dict:
    """Load ``options/*.yaml``. ``unloaded`` (if given) receives id -> stated model of each option file that
    failed to load (id None for a missing folder), so later checks do not report knock-on problems."""
    unloaded = {} if unloaded is None else unloaded
    opt_dir = root / "options"
    if not opt_dir.is_dir():
        col.add(DataError(name_of(opt_dir), "", "folder not found: each option needs a file options/<id>.yaml"))
        unloaded[None] = None
        return {}
    ctx = {"first_year": first_year}
    options: dict[str, Option] = {}
    id_files: dict[str, str] = {}
    paths = sorted(opt_dir.glob("*.yaml")) + sorted(opt_dir.glob("*.yml"))
    if not paths:
        col.add(DataError(name_of(opt_dir), "", "no option files (options/<id>.yaml) found"))
        unloaded[None] = None
    for fp in paths:
        doc, errs = read_yaml(fp, name_of(fp))
        col.add(errs)
        data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        stated_id = data.get("id") if isinstance(data.get("id"), str) else fp.stem
        stated_model = data.get("model") if isinstance(data.get("model"), str) else None
        if doc is None:
            unloaded[stated_id] = stated_model
            continue
        files.append(fp)
        if not isinstance(doc.data, dict):
            col.add(doc.error((), "expected a mapping of option fields at the top level"))
            unloaded[stated_id] = stated_model
            continue
        try:
            raw = _OptionFile.model_validate(doc.data, context=ctx)
        except ValidationError as e:
            col.add(_pydantic_errors(doc, e, _OptionFile))
            unloaded[stated_id] = stated_model
            continue
        if raw.id in id_files:
            col.add(doc.error(("id",), f"duplicate option id {raw.id!r}: also used by {id_files[raw.id]}; option ids must be unique"))
            continue
        id_files[raw.id] = doc.file
        if raw.model not in OPTION_MODELS:
            col.add(doc.error(("model",), f"unknown option model {raw.model!r}{suggest(raw.model, OPTION_MODELS)}; "
                                          f"valid: {', '.join(OPTION_MODELS)}"))
            unloaded[raw.id] = None
            continue
        allowed = {n: d for n, d in DRIVERS.items() if d.group != "economy"}
        drivers = _driver_entries(doc, ("drivers",), raw.drivers, allowed, first_year, period, col, "an option", ob_cats)
        own_lines = parse_lines(doc, ("lines",), raw.lines, first_year=first_year, period=period, col=col,
                                ob_cats=ob_cats, where="option", current=current_lines or {})
        opt_lines = {**(current_lines or {}), **own_lines}
        one_offs, capital, risks = [], [], []
        seen: dict[str, set] = {"one_off_costs": set(), "capital": set(), "risks": set()}
        for i, it in enumerate(raw.one_off_costs):
            _item_checks(doc, ("one_off_costs", i), it, seen["one_off_costs"], first_year, period, col, ob_cats)
            one_offs.append(OneOffCost(it.id, it.description, it.year, it.amount_gbp, it.optimism_bias_category,
                                       it.borne_by, it.source, it.confidence))
        for i, it in enumerate(raw.capital):
            _item_checks(doc, ("capital", i), it, seen["capital"], first_year, period, col, ob_cats)
            if it.asset_life_years <= 0:
                col.add(doc.error(("capital", i, "asset_life_years"), f"{it.asset_life_years:g} is not a valid asset life; it must be more than 0"))
            if it.repeat_every_years is not None and it.repeat_every_years < 1:
                col.add(doc.error(("capital", i, "repeat_every_years"), "must be 1 or more (or left out)"))
            entity = OPTION_MODELS.get(raw.model, {}).get("delivery") == "entity"
            if entity and it.borne_by == "provider" and it.capital_allowance is None and ca_cats:
                col.add(doc.error(("capital", i), "a new entity's own capital item needs capital_allowance, its "
                                                  "category for corporation tax: one of " + ", ".join(ca_cats)))
            if it.capital_allowance is not None and not (entity and it.borne_by == "provider"):
                col.add(doc.error(("capital", i, "capital_allowance"),
                                  "capital allowances apply only to a new entity's own capital (borne_by: provider in a "
                                  "trading company, social enterprise or joint venture): remove the field"))
            if it.capital_allowance is not None and ca_cats is not None and it.capital_allowance not in ca_cats:
                col.add(doc.error(("capital", i, "capital_allowance"),
                                  f"unknown capital-allowance category {it.capital_allowance!r}"
                                  f"{suggest(it.capital_allowance, ca_cats)}; valid: {', '.join(ca_cats)}"))
            if it.paid_to is not None:
                if it.paid_to == it.borne_by:
                    col.add(doc.error(("capital", i, "paid_to"), f"an asset transfer is paid by one party to another: "
                                                                 f"paid_to must differ from borne_by ({it.borne_by})"))
                if it.optimism_bias_category is not None:
                    col.add(doc.error(("capital", i, "optimism_bias_category"),
                                      "an asset transferred at an agreed value carries no optimism bias; remove the "
                                      "category (or model new spend as its own item)"))
            capital.append(CapitalItem(it.id, it.description, it.year, it.amount_gbp, it.optimism_bias_category,
                                       it.asset_life_years, it.repeat_every_years, it.borne_by, it.source, it.confidence,
                                       it.capital_allowance, it.paid_to))
        for i, r in enumerate(raw.risks):
            p = ("risks", i)
            if r.id in seen["risks"]:
                col.add(doc.error(p + ("id",), f"duplicate risk id {r.id!r}"))
            seen["risks"].add(r.id)
            for f in ("impact_low_gbp", "impact_most_likely_gbp", "impact_high_gbp"):
                if getattr(r, f) < 0:
                    col.add(doc.error(p + (f,), f"{getattr(r, f):,.0f} is negative; impacts are costs stated as positive amounts"))
            if not r.impact_low_gbp <= r.impact_most_likely_gbp <= r.impact_high_gbp:
                bad = "impact_low_gbp" if r.impact_low_gbp > r.impact_most_likely_gbp else "impact_high_gbp"
                col.add(doc.error(p + (bad,), "impacts out of order: need impact_low_gbp <= impact_most_likely_gbp <= "
                                              f"impact_high_gbp, got {r.impact_low_gbp:,.0f}, "
                                              f"{r.impact_most_likely_gbp:,.0f}, {r.impact_high_gbp:,.0f}"))
            to_year = r.to_year if r.to_year is not None else r.from_year
            for f, y in (("from_year", r.from_year), ("to_year", to_year)):
                if not 0 <= y <= period - 1:
                    col.add(doc.error(p + (f,), _outside_period(y, first_year, period)))
            if to_year < r.from_year:
                col.add(doc.error(p + ("to_year",), f"to_year {fy_label(first_year + to_year)} is before from_year "
                                                    f"{fy_label(first_year + r.from_year)}; it must be the same year or later"))
            risks.append(Risk(r.id, r.description, r.probability, r.impact_low_gbp, r.impact_most_likely_gbp,
                              r.impact_high_gbp, r.from_year, to_year, r.borne_by, r.owner, r.mitigation))
        _line_checks(doc, raw, own_lines, drivers, current or {}, period, first_year, col)
        # Only lines the option states are its drivers here: a current-service line it keeps is uncertain (or changed
        # at FBC) in the current service's own entry, or restated here first.
        paths = _option_paths(drivers, one_offs, capital, risks, own_lines)
        kept = {k: d for ln in opt_lines.values() if ln.id not in own_lines for k, d in line_paths("lines.", ln).items()}
        item_values = _item_values(one_offs, capital, risks, opt_lines)
        uncertain = {}
        for key, spec in raw.uncertain.items():
            p = ("uncertain", key)
            if key in RENAMED:
                col.add(doc.error(p, renamed_msg(key)))
                continue
            if key not in paths:
                if key not in raw.drivers:  # a driver stated but invalid has its own error
                    col.add(doc.error(p, _unknown_path_msg(key, paths, "OBC driver of this option", kept)))
                continue
            base = drivers[key].value if key in drivers else item_values[key]
            d = _distribution(doc, p, spec, paths[key], base, col, first_year, period)
            if d is not None:
                uncertain[key] = d
        fbc_changes = {}
        for key, v in raw.fbc.changes.items():
            p = ("fbc", "changes", key)
            if key in RENAMED:
                col.add(doc.error(p, renamed_msg(key)))
                continue
            if key not in paths:
                if key not in raw.drivers:  # a driver stated but invalid has its own error
                    col.add(doc.error(p, _unknown_path_msg(key, paths, "OBC driver of this option", kept)
                                      + ("; state it under drivers: for the OBC first" if key in DRIVERS else "")))
                continue
            a = _assumption(doc, p, v, key, paths[key], first_year, period, col, ob_cats, inherit=drivers.get(key))
            if a is not None:
                fbc_changes[key] = a
        fbc_uncertain = {}
        for key, spec in raw.fbc.uncertain.items():
            p = ("fbc", "uncertain", key)
            if key in RENAMED:
                col.add(doc.error(p, renamed_msg(key)))
                continue
            if key not in paths:
                if key not in raw.drivers:  # a driver stated but invalid has its own error
                    col.add(doc.error(p, _unknown_path_msg(key, paths, "OBC driver of this option", kept)))
                continue
            base = fbc_changes[key].value if key in fbc_changes else (
                drivers[key].value if key in drivers else item_values[key])
            d = _distribution(doc, p, spec, paths[key], base, col, first_year, period)
            if d is not None:
                fbc_uncertain[key] = d
        for key in fbc_changes:
            if key in uncertain and key not in raw.fbc.uncertain:
                # Otherwise the FBC Monte Carlo would sample the OBC range and lose the FBC figure.
                col.add(doc.error(("fbc", "changes", key),
                                  f"{key} is uncertain at OBC and changed at FBC: give its FBC range under "
                                  f"fbc.uncertain.{key} (a distribution around the FBC value)"))
        csf_ids = [c.id for c in csfs]
        for k, v in raw.scores.items():
            if csf_ids and k not in csf_ids:
                col.add(doc.error(("scores", k), f"unknown success factor{suggest(k, csf_ids)}; valid: {', '.join(csf_ids)}"))
            elif not 0 <= v <= 5:
                col.add(doc.error(("scores", k), f"score {v} is out of range; scores run from 0 to 5"))
        for c in csf_ids:
            if c not in raw.scores:
                col.add(doc.error(("scores",), f"missing score for success factor {c!r}"))
        extras = _case_sections(doc, raw, col, is_entity=OPTION_MODELS[raw.model]["delivery"] == "entity",
                                first_year=first_year, period=period, pensions=pensions)
        extras.update(_plan_sections(doc, raw, col, one_offs, capital, drivers, fbc_changes, current or {},
                                     first_year=first_year, routes=routes))
        options[raw.id] = Option(raw.id, raw.name, raw.model, raw.description, raw.exit_strategy, drivers,
                                 tuple(one_offs), tuple(capital), tuple(risks), uncertain, dict(raw.scores),
                                 fbc_changes, fbc_uncertain, raw.fbc.note, doc.file, opt_lines, frozenset(own_lines),
                                 **extras)
    n_nc = [o for o in options.values() if o.model == "no_change"]
    maybe_no_change = any(m in ("no_change", None) for m in unloaded.values())
    if options and len(n_nc) == 0 and not maybe_no_change:
        col.add(DataError(name_of(opt_dir), "model", "no option has model no_change; every appraisal needs exactly one "
                                                     "no_change option, the baseline each option is compared with"))
    elif len(n_nc) > 1:
        col.add(DataError(name_of(opt_dir), "model", "more than one option has model no_change ("
                          + ", ".join(f"{o.id} in {o.file}" for o in n_nc) + "); there must be exactly one"))
    order = list(OPTION_MODELS)
    return dict(sorted(options.items(), key=lambda kv: (order.index(kv[1].model), kv[0])))


def _plan_sections(doc, raw, col, one_offs, capital, drivers, fbc_changes, current, *, first_year, routes) -> dict:
    """The commercial section (procurement route, terms, risk allocation; the model's default route when the option
    states none) and the transition plan, checked against the option's own items and go-live year, so that the
    plan and the business case cannot disagree."""
    from .commercial import parse_commercial
    from .transition import parse_transition

    out: dict = {}
    if routes is not None:
        commercial, errs = parse_commercial(doc, ("commercial",), raw.commercial, option_model=raw.model, routes=routes)
        col.add(errs)
        out["commercial"] = commercial
    else:
        out["commercial"] = None
    items = list(one_offs) + list(capital)
    # The plan is for implementation: the go-live year of the full business case (FBC changes, else OBC).
    go_live = next((a.value for a in (fbc_changes.get("go_live_year"), drivers.get("go_live_year"),
                                      current.get("go_live_year")) if a is not None), DRIVERS["go_live_year"].default)
    plan, errs = parse_transition(doc, ("transition",), raw.transition, item_ids=[it.id for it in items],
                                  item_years={it.id: it.year for it in items}, go_live_year=int(go_live or 0),
                                  first_year=first_year)
    col.add(errs)
    out["transition"] = plan
    return out


def _case_sections(doc, raw, col, *, is_entity: bool, first_year: int, period: int, pensions=None) -> dict:
    """The option's sections beyond the economic figures: short-list role, pension arrangement, non-monetised
    impacts, a council loan, its VAT position and management arrangements (the commercial case and the transition
    plan are parsed later, when the option's items are known)."""
    out: dict = {"shortlist_role": raw.shortlist_role}
    if raw.pension_arrangement is not None:
        if pensions and raw.pension_arrangement not in pensions:
            col.add(doc.error(("pension_arrangement",), f"unknown pension arrangement {raw.pension_arrangement!r}"
                                                        f"{suggest(raw.pension_arrangement, pensions)}; valid: "
                                                        f"{', '.join(pensions)}"))
        out["pension_arrangement"] = raw.pension_arrangement
    out["non_monetised_impacts"] = tuple(Impact(i.description, i.direction, i.scale, i.evidence, i.source)
                                         for i in raw.non_monetised_impacts)
    if raw.council_loan is not None:
        ln = raw.council_loan
        bad = False
        if not is_entity:
            col.add(doc.error(("council_loan",), "a council loan is tested for a new entity the council funds "
                                                 "(trading company, social enterprise, joint venture); this option "
                                                 "creates none"))
            bad = True
        for f in ("rate", "market_rate"):
            if not 0 <= getattr(ln, f) <= 1:
                col.add(doc.error(("council_loan", f), f"{getattr(ln, f):.4g} is not an interest rate; use 0% to 100%"))
                bad = True
        if not 1 <= ln.term_years <= 100:
            col.add(doc.error(("council_loan", "term_years"), f"{ln.term_years} is not a loan term; use 1 to 100 years"))
            bad = True
        if ln.principal_gbp is not None and not (np.isfinite(ln.principal_gbp) and ln.principal_gbp > 0):
            col.add(doc.error(("council_loan", "principal_gbp"), "must be a positive amount in pounds (or leave it out "
                                                                 "to lend the option's planned_funding_gbp)"))
            bad = True
        if not bad:
            out["council_loan"] = CouncilLoan(ln.principal_gbp, ln.rate, ln.market_rate, ln.term_years, ln.repayment,
                                              ln.source, ln.market_rate_source)
    if raw.vat is not None:
        if raw.vat.kept_share is not None and not 0 <= raw.vat.kept_share <= 1:
            col.add(doc.error(("vat", "kept_share"), f"{raw.vat.kept_share:.4g} is out of range; use 0% to 100%"))
        else:
            out["vat_kept_share"] = raw.vat.kept_share
        added = {}
        for label, amount in raw.vat.added_exempt_input_vat_gbp.items():
            p = ("vat", "added_exempt_input_vat_gbp", label)
            try:
                y = parse_fy_label(label) - first_year
            except ValueError as e:
                col.add(doc.error(p, f"{e}; key each amount by its financial year, e.g. 2027-28"))
                continue
            if not 0 <= y < period:
                col.add(doc.error(p, _outside_period(y, first_year, period)))
            elif not (np.isfinite(amount) and amount >= 0):
                col.add(doc.error(p, "must be the exempt input VAT the option adds that year, in pounds, 0 or more"))
            else:
                added[y] = float(amount)
        out["vat_added_exempt_gbp"] = added
    if raw.management is not None:
        out["management"] = Management(**raw.management.model_dump())
    return out


def _unknown_path_msg(key: str, paths: dict, what: str, kept: dict | None = None) -> str:
    kept = kept or {}
    hint = suggest(key, list(paths) + list(kept)) or (suggest(key, DRIVERS) if key not in DRIVERS else "")
    near = key if key in kept else next((k for k in kept if hint == f" (did you mean {k!r}?)"), None)
    if near is not None:
        hint += (f"; {near} belongs to a current-service line this option keeps: restate the line under lines: to "
                 f"change it for this option, or give current_service.{near} a distribution in appraisal.yaml")
    return f"{key!r} is not an {what}{hint}; valid: {', '.join(paths) or 'none (this option states no drivers)'}"


def _line_checks(doc, raw, own_lines: dict, drivers: dict, current: dict, period: int, first_year: int, col) -> None:
    """What a line can only be checked against with its option: its go-live, its delivery model."""
    delivery = OPTION_MODELS.get(raw.model, {}).get("delivery")
    go_live_a = drivers.get("go_live_year") or current.get("go_live_year")
    go_live = int(go_live_a.value) if go_live_a is not None else int(DRIVERS["go_live_year"].default)
    entries = {e.get("id"): i for i, e in enumerate(raw.lines or []) if isinstance(e, dict)}
    for ident, ln in own_lines.items():
        p = ("lines", entries.get(ident, 0))
        for f, w in (("from_year", ln.start), ("to_year", ln.end)):
            if w is not None and w[0] == "go_live" and not 0 <= go_live + w[1] <= period - 1:
                col.add(doc.error(p + (f,), f"go_live{int(w[1]):+d} is {fy_label(first_year + go_live + int(w[1]))}, "
                                            f"outside the appraisal period {fy_label(first_year)} to "
                                            f"{fy_label(first_year + period - 1)} with go-live in "
                                            f"{fy_label(first_year + go_live)}"))
        if delivery == "in_house" and ln.kind == "internal" and "provider" in (ln.counterparty, ln.borne_by):
            col.add(doc.error(p + ("counterparty",), f"{raw.model} has no provider: an internal payment with the "
                                                     "provider has no other side here (use council or partner)"))
        if delivery == "entity" and ln.accounts == "capital" and ln.type == "cost" and ln.borne_by == "provider":
            col.add(doc.error(p + ("accounts",), "a new entity's own capital spend is a capital item (capital:), so "
                                                 "that it is depreciated, gets capital allowances and a residual value"))


def _item_checks(doc, p, it, seen: set, first_year, period, col, ob_cats) -> None:
    if it.id in seen:
        col.add(doc.error(p + ("id",), f"duplicate id {it.id!r}"))
    seen.add(it.id)
    if it.amount_gbp < 0:
        col.add(doc.error(p + ("amount_gbp",), f"{it.amount_gbp:,.0f} is negative; state costs as positive amounts"))
    if not 0 <= it.year <= period - 1:
        col.add(doc.error(p + ("year",), _outside_period(it.year, first_year, period)))
    if it.optimism_bias_category is not None and ob_cats is not None and it.optimism_bias_category not in ob_cats:
        col.add(doc.error(p + ("optimism_bias_category",), f"unknown category {it.optimism_bias_category!r}"
                                                            f"{suggest(it.optimism_bias_category, ob_cats)}; "
                                                            f"valid: {', '.join(ob_cats)}"))


def _outside_period(y: int, first_year: int, period: int) -> str:
    return (f"year {fy_label(first_year + y)} is outside the appraisal period {fy_label(first_year)} to "
            f"{fy_label(first_year + period - 1)} (year index 0 to {period - 1})")


def _item_values(one_offs, capital, risks, lines=None) -> dict[str, float]:
    out = {}
    for lst, items in (("one_off_costs", one_offs), ("capital", capital), ("risks", risks)):
        for it in items:
            for f in ITEM_FIELDS[lst]:
                out[f"{lst}.{it.id}.{f}"] = float(getattr(it, f))
    for ln in (lines or {}).values():
        for f, x in ln.values.items():
            out[f"lines.{ln.id}.{f}"] = float(x)
    return out


def _load_scenarios(root, first_year, period, options, col, files, name_of, unloaded=None, current_lines=None) -> dict:
    sdir = root / "scenarios"
    out: dict[str, Scenario] = {}
    if not sdir.is_dir():
        return out
    for fp in sorted(sdir.glob("*.yaml")):
        doc, errs = read_yaml(fp, name_of(fp))
        col.add(errs)
        if doc is None:
            continue
        files.append(fp)
        if not isinstance(doc.data, dict):
            col.add(doc.error((), "expected a mapping with name, description and changes at the top level"))
            continue
        try:
            raw = _ScenarioFile.model_validate(doc.data, context={"first_year": first_year})
        except ValidationError as e:
            col.add(_pydantic_errors(doc, e, _ScenarioFile))
            continue
        unloaded = unloaded or {}
        skip = set(raw.changes) - set(options) - {"all"} if None in unloaded else set(unloaded) - set(options)
        changes, problems = validate_changes({k: v for k, v in raw.changes.items() if k not in skip},
                                             options, first_year, period, current_lines)
        for path, msg in problems:
            col.add(doc.error(("changes",) + path, msg))
        sid = fp.stem
        if not SCENARIO_NAME_PATTERN.fullmatch(sid):
            col.add(doc.error((), f"{sid!r} cannot name a scenario: rename the file to 1 to 64 letters, digits, _ "
                                  "and -, starting with a letter or digit (the name is the --scenario value)"))
        if sid == "base":
            col.add(doc.error((), "'base' is the assumptions as stated; a scenario file cannot be called base"))
        out[sid] = Scenario(sid, raw.name, raw.description, raw.author, raw.note, raw.created, changes, doc.file)
    return out


def validate_changes(changes: dict, options: dict, first_year: int, period: int,
                     current_lines: dict | None = None) -> tuple[dict, list]:
    """Check a scenario's ``{all|option: {path: value}}`` changes; returns parsed changes and ``(path, message)`` problems."""
    out: dict[str, dict[str, float]] = {}
    problems = []
    for target, mapping in changes.items():
        if target != "all" and target not in options:
            problems.append(((target,), f"unknown option{suggest(target, list(options) + ['all'])}; "
                                        f"use 'all' or one of {', '.join(options)}"))
            continue
        if not isinstance(mapping, dict):
            problems.append(((target,), "expected a mapping of driver: value"))
            continue
        parsed = {}
        for key, raw in mapping.items():
            try:
                unit_d = resolve_path(key, None if target == "all" else options[target], current_lines)
            except KeyError as e:
                problems.append(((target, key), e.args[0]))
                continue
            try:
                parsed[key] = parse_driver_value(key, raw, unit_d.unit, first_year, period, unit_d.minimum, unit_d.maximum)
            except ValueError as e:
                problems.append(((target, key), str(e)))
        out[target] = parsed
    return out, problems


def resolve_path(key: str, option: Option | None, current_lines: dict | None = None):
    """The driver definition behind a change path; KeyError with a message when there is none.

    Paths: an economy driver (``pay_inflation``), a current-service driver (``current_service.fees_income_gbp``)
    or a field of a current-service line (``current_service.lines.cafe.amount_gbp``), an option driver
    (``staff_fte``: the option's value from go-live), an item field (``one_off_costs.legal.amount_gbp``) or a
    field of the option's line (``lines.cafe.amount_gbp``). With ``option=None`` only the shared paths are allowed.
    """
    if key in RENAMED or key.removeprefix("current_service.") in RENAMED:
        raise KeyError(renamed_msg(key.removeprefix("current_service.")))
    if key in ECONOMY_DRIVERS:
        return DRIVERS[key]
    if key.startswith("current_service.lines.") or key.startswith("lines."):
        shared = key.startswith("current_service.")
        if not shared and option is None:
            raise KeyError(f"{key!r} cannot apply to all options; use current_service.{key} for the current service's "
                           "line, or put it under an option's id")
        pool = (current_lines if current_lines is not None else (option.lines if option is not None else {})) \
            if shared else option.lines
        parts = key.split(".")
        if len(parts) != (4 if shared else 3):
            raise KeyError(f"{key!r} is not a line field: write lines.<line id>.<field>")
        ident, f = parts[-2], parts[-1]
        if ident not in pool:
            whose = "the current service" if shared else option.id
            raise KeyError(f"{whose} has no line {ident!r}{suggest(ident, pool)}; its lines: {', '.join(pool) or 'none'}")
        if f not in pool[ident].values:
            why = (" (its first and last years follow go-live: move go_live_year instead)"
                   if f in ("from_year", "to_year") else "")
            raise KeyError(f"line {ident!r} has no driver field {f!r}{suggest(f, pool[ident].values)}{why}; "
                           f"valid: {', '.join(pool[ident].values)}")
        return LINE_FIELDS[f]
    if key.startswith("current_service."):
        name = key.split(".", 1)[1]
        if name in DRIVERS and name not in ECONOMY_DRIVERS:
            return DRIVERS[name]
        raise KeyError(f"{key!r} is not a current-service driver{suggest(name, DRIVERS)}")
    if option is None:
        hint = suggest(key, list(ECONOMY_DRIVERS) + [f"current_service.{n}" for n in DRIVERS if n not in ECONOMY_DRIVERS])
        raise KeyError(f"{key!r} cannot apply to all options{hint}; use an economy driver, current_service.<driver>, "
                       "or put it under an option's id")
    if key in DRIVERS:
        return DRIVERS[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] in ITEM_FIELDS:
        lst, ident, f = parts
        ids = [it.id for it in getattr(option, lst)]
        if ident not in ids:
            raise KeyError(f"{option.id} has no {lst} item {ident!r}{suggest(ident, ids)}")
        if f not in ITEM_FIELDS[lst]:
            raise KeyError(f"{lst} items have no driver field {f!r}{suggest(f, ITEM_FIELDS[lst])}")
        return ITEM_FIELDS[lst][f]
    allowed = list(DRIVERS) + [f"{lst}.<id>.<field>" for lst in ITEM_FIELDS] + ["lines.<id>.<field>"]
    raise KeyError(f"unknown driver {key!r}{suggest(key, allowed)}; valid: {', '.join(allowed)}")

