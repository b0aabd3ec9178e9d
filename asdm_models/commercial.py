"""The commercial case: how an option is procured, the contract's terms, who bears which risk, how the council pays.

The Green Book's five-case model asks the commercial case to show that a deal is lawful, that its risks sit with
the party best able to manage them, and how payment works (HM Treasury, *Business Case Guidance for Projects*
(2018), chapter 5). An option states these in its ``commercial:`` section; the procurement routes and their legal
bases are reference data (``data/reference/procurement.yaml``), so a change in procurement law is a data change.

Parsers take the raw YAML value plus context and return ``(object or None, [DataError])``: every problem is
collected, none is raised. The tables are plain pandas frames a notebook can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .adjustments import triangular_mean
from .catalogue import suggest
from .errors import DataError, relative_name
from .indexation import IndexSpec
from .line_data import check_id
from .reference import PROJECT_ROOT
from .units import format_pct, fy_label, gbp_full
from .yamlio import YamlDoc, read_yaml

__all__ = [
    "ProcurementRoute",
    "ProcurementRoutes",
    "RiskShare",
    "Commercial",
    "BEARERS",
    "COMMERCIAL_KEYS",
    "STANDARD_TRANSFERS",
    "MODEL_TRANSFERS",
    "DEFAULT_PROCUREMENT_FILE",
    "load_procurement_routes",
    "parse_commercial",
    "default_commercial",
    "risk_allocation_table",
    "payment_mechanism_sentence",
    "commercial_summary",
]

DEFAULT_PROCUREMENT_FILE = PROJECT_ROOT / "data" / "reference" / "procurement.yaml"

#: Who may bear a risk in the risk allocation: the council, the provider (contractor, company, trust or partner
#: authority) or both under a sharing mechanism.
BEARERS = ("council", "provider", "shared")

#: The keys of an option's ``commercial:`` section.
COMMERCIAL_KEYS = ("procurement_route", "lawful_basis", "contract_length_years", "break_clause", "exit_terms",
                   "payment_mechanism", "risk_allocation")
_SHARE_KEYS = ("risk", "bearer", "note")
_ROUTE_KEYS = ("label", "legal_basis", "source")
_FILE_KEYS = ("source", "routes", "defaults_by_model")

#: The risk transfers a delivery model implies whatever its contract says, by delivery (the ``delivery`` of
#: :data:`asdm_models.assumptions.OPTION_MODELS`): ``(risk, bearer)``. Shown in the risk allocation as "standard
#: for the model", so a reader sees what choosing the model transfers before any negotiated term.
STANDARD_TRANSFERS: dict[str, tuple[tuple[str, str], ...]] = {
    "in_house": (
        ("Staff costs, pay awards and pensions", "council"),
        ("Demand and fees income", "council"),
        ("Running costs, energy and supply prices", "council"),
        ("Delivery of the planned efficiencies", "council"),
    ),
    "public_partner": (
        ("Staff costs and pay awards above the indexation of the council's payment", "provider"),
        ("Running costs and efficiencies within the agreed payment", "provider"),
        ("Stranded overheads left with the council", "council"),
        ("Governance of the arrangement (client side)", "council"),
        ("Unwinding the arrangement and bringing the service back", "shared"),
    ),
    "entity": (
        ("Staff costs and pay awards above the fee's indexation", "provider"),
        ("Running costs and efficiencies within the fee", "provider"),
        ("Stranded overheads left with the council", "council"),
        ("Client-side contract management", "council"),
        ("Continuity of the service if the provider fails (the council stays responsible for it)", "council"),
    ),
    "contractor": (
        ("Staff costs and pay awards above the fee's indexation", "provider"),
        ("Running costs and efficiencies within the contract price", "provider"),
        ("Stranded overheads left with the council", "council"),
        ("Client-side contract management", "council"),
        ("Continuity of the service if the provider fails (the council stays responsible for it)", "council"),
        ("The provider's margin and its own solvency", "provider"),
    ),
}

#: Transfers particular to one model, added after its delivery's :data:`STANDARD_TRANSFERS`.
MODEL_TRANSFERS: dict[str, tuple[tuple[str, str], ...]] = {
    "trading_company": (("Losses and funding of the company (the council is its sole shareholder)", "council"),),
    "joint_venture": (("Losses and funding of the joint venture (by shareholding)", "shared"),),
    "social_enterprise": (("Losses of the independent enterprise (the council holds no shares)", "provider"),),
}


# ----------------------------------------------------------------------------------------------
# Typed objects
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProcurementRoute:
    """One way of putting a delivery model in place lawfully (``data/reference/procurement.yaml``)."""

    key: str
    label: str
    legal_basis: str
    source: str


@dataclass(frozen=True)
class ProcurementRoutes:
    """The procurement routes by key and the default route of each option model."""

    routes: dict  # key -> ProcurementRoute
    defaults_by_model: dict  # option model -> route key
    source: str = ""
    file: str = ""

    def default_for(self, model: str) -> str:
        """The route an option of ``model`` is shown with when it states no commercial section."""
        return self.defaults_by_model[model]


@dataclass(frozen=True)
class RiskShare:
    """One row of an option's stated risk allocation."""

    risk: str
    bearer: str  # council | provider | shared
    note: str | None = None


@dataclass(frozen=True)
class Commercial:
    """An option's commercial section, validated. ``is_default``: the route is the model's default, not stated."""

    procurement_route: str
    lawful_basis: str | None = None
    contract_length_years: int | None = None
    break_clause: str | None = None
    exit_terms: str | None = None
    payment_mechanism: str | None = None
    risk_allocation: tuple = ()  # RiskShare
    is_default: bool = False


# ----------------------------------------------------------------------------------------------
# Reference data: data/reference/procurement.yaml
# ----------------------------------------------------------------------------------------------

def _text(value: Any) -> str | None:
    """Stripped non-empty text, or None when ``value`` is not one."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _unknown_keys(doc: YamlDoc, path: tuple, mapping: dict, allowed: tuple, what: str) -> list[DataError]:
    return [doc.error(path + (k,), f"unknown field {k!r} in {what}{suggest(str(k), allowed)}; "
                                   f"valid: {', '.join(allowed)}")
            for k in mapping if k not in allowed]


def load_procurement_routes(path: str | Path | None = None) -> tuple[ProcurementRoutes | None, list[DataError]]:
    """Read and validate the procurement routes.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file; default ``data/reference/procurement.yaml`` under the project root.

    Returns
    -------
    (ProcurementRoutes or None, list of DataError)
        The routes, or None with every problem found (file, line, field, what is valid).

    Notes
    -----
    The file is a mapping with ``source`` (text), ``routes`` (key -> ``label``, ``legal_basis``, ``source``, all
    non-empty text) and ``defaults_by_model`` (every option model -> a route key).

    References
    ----------
    Procurement Act 2023, ss19-20, s41, Sch 2 paras 2-3, Sch 5; Subsidy Control Act 2022.

    Examples
    --------
    >>> from asdm_models.commercial import load_procurement_routes
    >>> routes, errors = load_procurement_routes()
    >>> errors, routes.default_for("trading_company")
    ([], 'vertical_arrangement')
    >>> routes.routes["vertical_arrangement"].source.startswith("Procurement Act 2023, Sch 2 para 2")
    True
    """
    from .assumptions import OPTION_MODELS  # here, not at the top: assumptions imports this module

    path = Path(path) if path is not None else DEFAULT_PROCUREMENT_FILE
    doc, errors = read_yaml(path, relative_name(path, PROJECT_ROOT / "data"))
    if doc is None:
        return None, errors
    data = doc.data
    if not isinstance(data, dict):
        return None, errors + [doc.error((), "expected a mapping with source, routes and defaults_by_model at the "
                                             "top level")]
    errors += _unknown_keys(doc, (), data, _FILE_KEYS, "the procurement file")
    source = _text(data.get("source"))
    if source is None:
        errors.append(doc.error(("source",), "missing: name the legislation the routes summarise"))
    routes: dict[str, ProcurementRoute] = {}
    raw_routes = data.get("routes")
    if not isinstance(raw_routes, dict) or not raw_routes:
        errors.append(doc.error(("routes",), "expected a mapping of routes by key, each with label, legal_basis "
                                             "and source"))
        raw_routes = {}
    for key, spec in raw_routes.items():
        p = ("routes", key)
        try:
            check_id(key, "route key")
        except ValueError as e:
            errors.append(doc.error(p, str(e)))
            continue
        if not isinstance(spec, dict):
            errors.append(doc.error(p, "expected a mapping with label, legal_basis and source"))
            continue
        errors += _unknown_keys(doc, p, spec, _ROUTE_KEYS, f"route {key}")
        fields = {f: _text(spec.get(f)) for f in _ROUTE_KEYS}
        for f, v in fields.items():
            if v is None:
                errors.append(doc.error(p + (f,), f"missing or empty: route {key} needs its {f.replace('_', ' ')} "
                                                  "as text"))
        if all(fields.values()):
            routes[key] = ProcurementRoute(key, **fields)
    defaults: dict[str, str] = {}
    raw_defaults = data.get("defaults_by_model")
    if not isinstance(raw_defaults, dict):
        errors.append(doc.error(("defaults_by_model",), "expected a mapping of option model -> route key, one for "
                                                        f"each of {', '.join(OPTION_MODELS)}"))
        raw_defaults = {}
    for model, key in raw_defaults.items():
        p = ("defaults_by_model", model)
        if model not in OPTION_MODELS:
            errors.append(doc.error(p, f"unknown option model {model!r}{suggest(str(model), OPTION_MODELS)}; "
                                       f"valid: {', '.join(OPTION_MODELS)}"))
        elif not isinstance(key, str) or key not in raw_routes:
            errors.append(doc.error(p, f"{key!r} is not a route of this file{suggest(str(key), raw_routes)}; "
                                       f"valid: {', '.join(raw_routes)}"))
        else:
            defaults[model] = key
    missing = [m for m in OPTION_MODELS if m not in raw_defaults]
    if isinstance(data.get("defaults_by_model"), dict) and missing:
        errors.append(doc.error(("defaults_by_model",), f"no default route for {', '.join(missing)}: every option "
                                                        "model needs one"))
    if errors:
        return None, errors
    return ProcurementRoutes(routes, defaults, source or "", doc.file), []


# ----------------------------------------------------------------------------------------------
# The option's commercial section
# ----------------------------------------------------------------------------------------------

def default_commercial(option_model: str, routes: ProcurementRoutes) -> Commercial:
    """The commercial section of an option that states none: its model's default route, marked as the default.

    Examples
    --------
    >>> from asdm_models.commercial import default_commercial, load_procurement_routes
    >>> default_commercial("outsourcing", load_procurement_routes()[0])
    Commercial(procurement_route='competitive_tendering', lawful_basis=None, contract_length_years=None, break_clause=None, exit_terms=None, payment_mechanism=None, risk_allocation=(), is_default=True)
    """
    return Commercial(routes.default_for(option_model), is_default=True)


def parse_commercial(doc: YamlDoc, path: tuple, raw: Any, *, option_model: str,
                     routes: ProcurementRoutes) -> tuple[Commercial | None, list[DataError]]:
    """Validate an option's ``commercial:`` section.

    Parameters
    ----------
    doc : YamlDoc
        The option file (for file and line of every error).
    path : tuple
        Where the section is in the file, e.g. ``("commercial",)``.
    raw : mapping or None
        The section as read. None (no section): the model's default route, ``is_default=True``.
    option_model : str
        The option's ``model`` (a key of ``OPTION_MODELS``).
    routes : ProcurementRoutes
        From :func:`load_procurement_routes`.

    Returns
    -------
    (Commercial or None, list of DataError)

    Notes
    -----
    Refused: unknown keys; a route that is not in the reference file; ``no_procurement`` for an option with a
    provider, or any other route for ``no_change``; a contract length that is not a whole number of years above
    0 (a contract longer than the appraisal period is allowed: the appraisal covers its first years); text fields
    that are not text; a risk allocation row without ``risk`` text, with a bearer other than council, provider or
    shared, or naming the same risk twice.

    Examples
    --------
    >>> from asdm_models.commercial import load_procurement_routes, parse_commercial
    >>> from asdm_models.yamlio import YamlDoc
    >>> routes = load_procurement_routes()[0]
    >>> raw = {"procurement_route": "vertcal_arrangement", "contract_length_years": 0}
    >>> doc = YamlDoc("options/tc.yaml", {"commercial": raw}, {("commercial",): 40})
    >>> c, errors = parse_commercial(doc, ("commercial",), raw, option_model="trading_company", routes=routes)
    >>> c is None, [str(e) for e in errors]  # doctest: +NORMALIZE_WHITESPACE
    (True, ["options/tc.yaml:40: commercial.procurement_route: unknown procurement route 'vertcal_arrangement'
    (did you mean 'vertical_arrangement'?); valid: competitive_tendering, vertical_arrangement,
    horizontal_arrangement, direct_award, grant_or_non_contract, no_procurement",
    'options/tc.yaml:40: commercial.contract_length_years: 0 is not a contract length: give a whole number of
    years, 1 or more'])
    """
    from .assumptions import OPTION_MODELS  # here, not at the top: assumptions imports this module

    path = tuple(path)
    if raw is None:
        return default_commercial(option_model, routes), []
    if not isinstance(raw, dict):
        return None, [doc.error(path, f"expected a mapping with {', '.join(COMMERCIAL_KEYS)}, got "
                                      f"{type(raw).__name__}")]
    errors = _unknown_keys(doc, path, raw, COMMERCIAL_KEYS, "the commercial section")
    delivery = OPTION_MODELS.get(option_model, {}).get("delivery")

    is_default = "procurement_route" not in raw
    route = routes.default_for(option_model) if is_default else raw["procurement_route"]
    if not isinstance(route, str) or route not in routes.routes:
        errors.append(doc.error(path + ("procurement_route",),
                                f"unknown procurement route {route!r}{suggest(str(route), routes.routes)}; "
                                f"valid: {', '.join(routes.routes)}"))
    elif route == "no_procurement" and delivery not in (None, "in_house"):
        errors.append(doc.error(path + ("procurement_route",),
                                f"no_procurement means the council keeps delivering, but a {option_model} option has "
                                f"a provider to contract with; name how it is put in place (the model's default is "
                                f"{routes.default_for(option_model)})"))
    elif option_model == "no_change" and route != "no_procurement":
        errors.append(doc.error(path + ("procurement_route",),
                                f"no change keeps the current service: its route is no_procurement, not {route}"))

    texts: dict[str, str | None] = {}
    for key in ("lawful_basis", "break_clause", "exit_terms", "payment_mechanism"):
        v = raw.get(key)
        if v is not None and _text(v) is None:
            errors.append(doc.error(path + (key,), f"expected text, got {v!r}; write it as a sentence or leave it out"))
        texts[key] = _text(v)

    length = raw.get("contract_length_years")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length <= 0):
        errors.append(doc.error(path + ("contract_length_years",),
                                f"{length!r} is not a contract length: give a whole number of years, 1 or more"))

    shares: list[RiskShare] = []
    rows = raw.get("risk_allocation")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        errors.append(doc.error(path + ("risk_allocation",), "expected a list of {risk, bearer, note} rows"))
        rows = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        p = path + ("risk_allocation", i)
        if not isinstance(row, dict):
            errors.append(doc.error(p, f"row {i + 1}: expected a mapping with risk, bearer and an optional note"))
            continue
        n_before = len(errors)
        errors += _unknown_keys(doc, p, row, _SHARE_KEYS, f"risk allocation row {i + 1}")
        risk, bearer, note = _text(row.get("risk")), row.get("bearer"), row.get("note")
        if risk is None:
            errors.append(doc.error(p + ("risk",), f"row {i + 1}: missing or empty: name the risk"))
        elif risk.lower() in seen:
            errors.append(doc.error(p + ("risk",), f"row {i + 1}: {risk!r} is already allocated in row "
                                                   f"{seen[risk.lower()] + 1}; state each risk once"))
        else:
            seen[risk.lower()] = i
        if bearer not in BEARERS:
            errors.append(doc.error(p + ("bearer",), f"row {i + 1}: bearer {bearer!r} is not valid"
                                                     f"{suggest(str(bearer), BEARERS)}; use council, provider or "
                                                     "shared"))
        if note is not None and _text(note) is None:
            errors.append(doc.error(p + ("note",), f"row {i + 1}: expected text, got {note!r}"))
        if len(errors) == n_before:
            shares.append(RiskShare(risk, bearer, _text(note)))
    if errors:
        return None, errors
    return Commercial(route, texts["lawful_basis"], length, texts["break_clause"], texts["exit_terms"],
                      texts["payment_mechanism"], tuple(shares), is_default), []


# ----------------------------------------------------------------------------------------------
# Tables and sentences
# ----------------------------------------------------------------------------------------------

def _delivery(option) -> str:
    from .assumptions import OPTION_MODELS

    return OPTION_MODELS[option.model]["delivery"]


def _pay_weight(spec: IndexSpec | None) -> float:
    """Share of a fee's indexation basket that follows pay awards (0 for the default GDP deflator)."""
    return sum(w for n, w in (spec.basket if spec is not None else ()) if n == "pay")


def _standard_rows(option, stage_drivers: dict | None, stated=()) -> list[tuple[str, str]]:
    rows = list(STANDARD_TRANSFERS[_delivery(option)]) + list(MODEL_TRANSFERS.get(option.model, ()))
    said = [s.lower() for s in stated]
    rows = [(r, b) for r, b in rows if not any(s in r.lower() or r.lower() in s for s in said)]
    drivers = option.drivers if stage_drivers is None else stage_drivers
    fee = drivers.get("management_fee_gbp")
    w = _pay_weight(getattr(fee, "index", None))
    if w > 0:  # a fee indexed to pay passes pay awards back to the council
        bearer = "council" if w >= 1.0 else "shared"
        rows = [(r, bearer if r.startswith("Staff costs and pay awards above") else b) for r, b in rows]
    return rows


def risk_allocation_table(option, commercial: Commercial | None, *, stage_drivers: dict | None = None) -> pd.DataFrame:
    """Who bears each risk: the option's risk register, its stated allocation and the model's standard transfers.

    Parameters
    ----------
    option : Option
        The option (its ``risks``, ``model`` and fee driver are read).
    commercial : Commercial or None
        Its parsed commercial section (None: no stated allocation rows).
    stage_drivers : dict, optional
        Name -> Assumption at the stage (OBC values with the FBC's changes); default the option's OBC drivers.
        Read for the fee's indexation: a fee indexed to pay moves "pay awards above the fee's indexation" to the
        council (all pay) or to shared (part of a basket).

    Returns
    -------
    DataFrame
        Columns ``risk, bearer, expected_cost_gbp, mitigation, note, source``; ``source`` is "risk register",
        "commercial" (the option's stated allocation) or "standard for the model" (:data:`STANDARD_TRANSFERS`,
        :data:`MODEL_TRANSFERS`). ``expected_cost_gbp`` (positive, real at the price base, undiscounted, over the
        risk's whole window) is given for risk-register rows only, NaN elsewhere. A standard row that a stated row
        restates (one's text contains the other's, ignoring case) is left out: the option's own words win.

    Notes
    -----
    ``expected cost = probability * (low + most likely + high) / 3``: the triangular mean the project uses for
    every risk (:func:`asdm_models.adjustments.triangular_mean`); the sum over the years of
    :func:`asdm_models.adjustments.risk_expected_value`, which spreads it over the window.

    References
    ----------
    HM Treasury, *The Green Book* (2022), A5.10-A5.11 (risk registers and expected values); HM Treasury,
    *Business Case Guidance for Projects* (2018), the commercial case: risk allocation.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from asdm_models.commercial import Commercial, RiskShare, risk_allocation_table
    >>> risk = NS(description="Plant failure", borne_by="council", probability=0.35, impact_low_gbp=120_000,
    ...           impact_most_likely_gbp=250_000, impact_high_gbp=600_000, mitigation="Condition survey")
    >>> option = NS(model="outsourcing", risks=(risk,), drivers={})
    >>> c = Commercial("competitive_tendering", risk_allocation=(RiskShare("Demand and fees income", "provider"),))
    >>> t = risk_allocation_table(option, c)
    >>> round(float(t.loc[0, "expected_cost_gbp"]), 2)    # 0.35 * (120,000 + 250,000 + 600,000) / 3
    113166.67
    >>> t[["bearer", "source"]].iloc[:3].values.tolist()
    [['council', 'risk register'], ['provider', 'commercial'], ['provider', 'standard for the model']]
    """
    rows = []
    for r in option.risks:
        ev = float(r.probability * triangular_mean(r.impact_low_gbp, r.impact_most_likely_gbp, r.impact_high_gbp))
        rows.append({"risk": r.description, "bearer": r.borne_by, "expected_cost_gbp": ev,
                     "mitigation": r.mitigation or "", "note": "", "source": "risk register"})
    for s in (commercial.risk_allocation if commercial is not None else ()):
        rows.append({"risk": s.risk, "bearer": s.bearer, "expected_cost_gbp": float("nan"), "mitigation": "",
                     "note": s.note or "", "source": "commercial"})
    stated = [s.risk for s in (commercial.risk_allocation if commercial is not None else ())]
    for risk, bearer in _standard_rows(option, stage_drivers, stated):
        rows.append({"risk": risk, "bearer": bearer, "expected_cost_gbp": float("nan"), "mitigation": "",
                     "note": "", "source": "standard for the model"})
    return pd.DataFrame(rows, columns=["risk", "bearer", "expected_cost_gbp", "mitigation", "note", "source"])


_INDEX_WORDS = {"gdp_deflator": "the GDP deflator", "pay": "pay inflation", "price": "price inflation",
                "energy": "energy prices", "cpi": "CPI", "none": "nothing (fixed in cash)"}
_FEE_NOUN = {"contractor": "contract price", "entity": "management fee", "public_partner": "payment to the partner"}


def _indexation_words(spec: IndexSpec) -> str:
    """``indexed to CPI with a cap of 4.00%``, from the fee's :class:`~asdm_models.indexation.IndexSpec`."""
    if spec.basket == (("none", 1.0),):
        text = "fixed in cash (not indexed)"
    else:
        parts = [_INDEX_WORDS.get(n, n) if w == 1.0 else f"{format_pct(w, 0)} {_INDEX_WORDS.get(n, n)}"
                 for n, w in spec.basket]
        text = "indexed to " + (" and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1])
    limits = [f"a cap of {format_pct(spec.cap, 2)}"] if spec.cap is not None else []
    limits += [f"a collar of {format_pct(spec.collar, 2)}"] if spec.collar is not None else []
    if limits:
        text += " with " + " and ".join(limits)
    return text


def payment_mechanism_sentence(option, stage_drivers: dict | None = None, *, first_year: int | None = None,
                               go_live_year: int | None = None) -> str:
    """How the council pays: the fee or contract price, its indexation and its real change, as one sentence.

    Parameters
    ----------
    option : Option
        The option (its model decides whether there is a provider to pay).
    stage_drivers : dict, optional
        Name -> Assumption at the stage (OBC values with the FBC's changes); default the option's OBC drivers.
        Read: ``management_fee_gbp`` (value, and its ``index``: an IndexSpec or None for the catalogue's
        default, the GDP deflator), ``management_fee_real_change`` (default 0) and ``go_live_year``.
    first_year : int, optional
        The appraisal's first year (calendar year of year index 0): with it the first contract year is named.
    go_live_year : int, optional
        The option's go-live year index at the stage; default the ``go_live_year`` driver when stated.

    Returns
    -------
    str

    Notes
    -----
    The fee in year ``t`` from go-live ``L`` is ``amount * index_t * (1 + real_change) ** (t - L)``
    (:func:`asdm_models.contract.management_fee`): the amount is the first contract year's at the price base.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from asdm_models.commercial import payment_mechanism_sentence
    >>> from asdm_models.indexation import IndexSpec
    >>> drivers = {"management_fee_gbp": NS(value=3_580_000.0, index=IndexSpec((("cpi", 1.0),), cap=0.04)),
    ...            "management_fee_real_change": NS(value=-0.015, index=None), "go_live_year": NS(value=2, index=None)}
    >>> payment_mechanism_sentence(NS(model="outsourcing", drivers=drivers), first_year=2026)
    'Annual contract price of £3,580,000 in the first contract year (2028-29, at the price base), indexed to CPI with a cap of 4.00%, falling 1.5% a year against that index after the first year.'
    >>> payment_mechanism_sentence(NS(model="in_house_redesign", drivers={}))
    'The council keeps running the service: no payment mechanism (its costs stay in its own budget).'
    """
    delivery = _delivery(option)
    if delivery == "in_house":
        return "The council keeps running the service: no payment mechanism (its costs stay in its own budget)."
    drivers = option.drivers if stage_drivers is None else stage_drivers
    noun = _FEE_NOUN[delivery]
    fee = drivers.get("management_fee_gbp")
    if fee is None or not fee.value:
        return (f"No {noun} is stated for this option (management_fee_gbp): the council's payment to its provider "
                "is not yet in the case.")
    when = ""
    if go_live_year is None and drivers.get("go_live_year") is not None:
        go_live_year = int(drivers["go_live_year"].value)
    if first_year is not None and go_live_year is not None:
        when = f" ({fy_label(first_year + int(go_live_year))}, at the price base)"
    elif first_year is not None:
        when = " (at the price base)"
    spec = fee.index if getattr(fee, "index", None) is not None else IndexSpec()
    text = f"Annual {noun} of {gbp_full(fee.value)} in the first contract year{when}, {_indexation_words(spec)}"
    rc = drivers.get("management_fee_real_change")
    c = float(rc.value) if rc is not None else 0.0
    gdp = spec.basket == (("gdp_deflator", 1.0),) and spec.cap is None and spec.collar is None
    if c == 0.0:
        text += ", so constant in real terms" if gdp else ""
    else:
        way = "falling" if c < 0 else "rising"
        text += (f", {way} {format_pct(abs(c))} a year in real terms after the first year" if gdp else
                 f", {way} {format_pct(abs(c))} a year against that index after the first year")
    return text + "."


_TUPE_PLACEHOLDER = ("To be completed: the staff who transfer under TUPE and the pension arrangement (see the "
                     "transition plan and the financial case)")


def commercial_summary(option, commercial: Commercial | None, routes: ProcurementRoutes, *,
                       stage_drivers: dict | None = None, first_year: int | None = None,
                       go_live_year: int | None = None, tupe_pensions: str | None = None) -> pd.DataFrame:
    """The commercial case as ``field / value`` rows a notebook shows as they are.

    Parameters
    ----------
    option : Option
    commercial : Commercial or None
        Its parsed section; None: the model's default route (marked as the default).
    routes : ProcurementRoutes
    stage_drivers, first_year, go_live_year
        As :func:`payment_mechanism_sentence`.
    tupe_pensions : str, optional
        The caller's text on the TUPE transfer and pensions (e.g. from the transition plan and the pension
        arrangement); default a placeholder naming the option's pension arrangement if it states one.

    Returns
    -------
    DataFrame
        Columns ``field, value``; fields: procurement route, legal basis, source, why lawful here, contract length,
        break clause, exit terms, payment mechanism, TUPE and pensions.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from asdm_models.commercial import commercial_summary, load_procurement_routes
    >>> o = NS(model="shared_service", drivers={}, exit_strategy="Either council may leave on 2 years' notice",
    ...        pension_arrangement=None)
    >>> t = commercial_summary(o, None, load_procurement_routes()[0])
    >>> t.set_index("field").loc["Procurement route", "value"]
    'Horizontal arrangement (public-public cooperation) (the default for a shared_service option: the option states no route)'
    >>> t.set_index("field").loc["Exit terms", "value"]
    "Either council may leave on 2 years' notice"
    """
    c = commercial if commercial is not None else default_commercial(option.model, routes)
    route = routes.routes[c.procurement_route]
    shown = route.label + (f" (the default for a {option.model} option: the option states no route)"
                           if c.is_default else "")
    in_house = c.procurement_route == "no_procurement"
    length = (f"{c.contract_length_years} year{'s' if c.contract_length_years != 1 else ''}"
              if c.contract_length_years is not None else ("no contract" if in_house else "not stated"))
    stated_pay = c.payment_mechanism
    sentence = payment_mechanism_sentence(option, stage_drivers, first_year=first_year, go_live_year=go_live_year)
    payment = f"{stated_pay.rstrip('.')}. {sentence}" if stated_pay else sentence
    if tupe_pensions is None and in_house:
        tupe_pensions = "No transfer: the staff stay with the council"
    if tupe_pensions is None:
        arrangement = getattr(option, "pension_arrangement", None)
        tupe_pensions = _TUPE_PLACEHOLDER + (f"; pension arrangement: {arrangement}" if arrangement else "")
    rows = [
        ("Procurement route", shown),
        ("Legal basis", route.legal_basis),
        ("Source", route.source),
        ("Why lawful here", c.lawful_basis or "The route's legal basis above (the option gives no reason of its own)"),
        ("Contract length", length),
        ("Break clause", c.break_clause or ("no contract" if in_house else "not stated")),
        ("Exit terms", c.exit_terms or getattr(option, "exit_strategy", "") or "not stated"),
        ("Payment mechanism", payment),
        ("TUPE and pensions", tupe_pensions),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])
