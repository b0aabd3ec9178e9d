"""A council's own lines as data: read and check ``lines:`` entries, and an option's restatement of a line.

A line is stated in ``current_service.lines`` (the service as it is) or in an option's ``lines``
(its version from go-live, or a line only the option has). An option line whose id is a current-service
line *restates* it: the fields it gives replace the current service's from go-live, the others follow
the current service (like drivers). Every problem is reported with file, line, field and what is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as _field
from typing import Any

from .catalogue import DRIVERS, INDICES, KINDS, LINE_FIELDS, LINE_TYPES, suggest
from .indexation import IndexSpec
from .units import fy_label, parse_fy_label, parse_number, parse_rate

__all__ = ["Line", "parse_lines", "parse_indexation", "line_paths", "ID_PATTERN", "ID_RULE", "SCENARIO_NAME_PATTERN", "check_id", "LINE_KEYS"]

#: Every id in the data (appraisal, option, line, item, risk, success factor): matched in full, so an
#: id can never be empty, hold a NUL, a slash, a dot or a newline, or name a path outside a run folder.
ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
ID_RULE = "use 1 to 64 letters, digits, _ and -, starting with a letter"
#: A scenario's name is its file name (scenarios/<name>.yaml) and the --scenario value.
SCENARIO_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_id(value: str, what: str = "id") -> str:
    """``value`` if it is a valid id (:data:`ID_PATTERN`, in full), else ValueError saying what is valid."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(f"{_shown_id(value)} is not a valid {what}: {ID_RULE} (e.g. trading_company)")
    return value


def _shown_id(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"
_GO_LIVE = re.compile(r"^\s*go[_-]live\s*(?:([+-])\s*(\d+))?\s*$")
PARTIES = ("deliverer", "council", "provider", "partner")
LINE_KEYS = ("id", "label", "description", "type", "per", "amount_gbp", "indexation", "cap", "collar",
             "real_growth", "from_year", "year", "to_year", "ramp_years", "borne_by", "counterparty", "kind",
             "accounts", "optimism_bias_category", "source", "confidence", "note")
_STRUCTURE = ("type", "per", "kind")  # what a restatement may not change: it would be a different line


@dataclass(frozen=True)
class Line:
    """One line as the model uses it, with every field resolved (defaults and the current service's filled in)."""

    id: str
    label: str
    type: str  # cost | income
    per: str  # year | once
    index: IndexSpec
    start: tuple  # ("year", index) or ("go_live", offset)
    end: tuple | None  # ("year", index), ("go_live", offset) or None (to the end of the period)
    values: dict  # numeric fields that are drivers: amount_gbp, real_growth, ramp_years, from_year/to_year (absolute)
    borne_by: str
    counterparty: str | None
    kind: str
    accounts: str
    optimism_bias_category: str | None
    source: str | None = None
    confidence: str | None = None
    description: str = ""
    file: str = ""
    field: str = ""
    stated: frozenset = _field(default_factory=frozenset)  # fields the entry itself states

    @property
    def sign(self) -> float:
        return -1.0 if self.type == "cost" else 1.0


def line_paths(prefix: str, line: Line) -> dict:
    """Driver paths of a line's numeric fields -> their catalogue entry (``lines.<id>.amount_gbp`` ...)."""
    return {f"{prefix}{line.id}.{f}": LINE_FIELDS[f] for f in line.values}


def parse_indexation(raw: Any, cap: Any, collar: Any) -> tuple[IndexSpec | None, list[tuple[str, str]]]:
    """``indexation`` (an index name or ``{index: weight}``), ``cap`` and ``collar`` -> IndexSpec, problems.

    Problems are ``(field, message)``.

    >>> from asdm_models.line_data import parse_indexation
    >>> parse_indexation({"pay": "70%", "cpi": "30%"}, "4%", None)[0]
    IndexSpec(basket=(('pay', 0.7), ('cpi', 0.3)), cap=0.04, collar=None)
    >>> parse_indexation("rpi", None, None)[1]
    [('indexation', "unknown index 'rpi' (did you mean 'cpi'?); valid: gdp_deflator, pay, price, energy, cpi, none, or a basket such as {pay: 70%, cpi: 30%}")]
    """
    problems: list[tuple[str, str]] = []
    valid = f"valid: {', '.join(INDICES)}, or a basket such as {{pay: 70%, cpi: 30%}}"
    basket: list[tuple[str, float]] = []
    if raw is None:
        basket = [("gdp_deflator", 1.0)]
    elif isinstance(raw, str):
        if raw not in INDICES:
            problems.append(("indexation", f"unknown index {raw!r}{suggest(raw, INDICES)}; {valid}"))
        else:
            basket = [(raw, 1.0)]
    elif isinstance(raw, dict) and raw:
        for name, w in raw.items():
            if name not in INDICES:
                problems.append(("indexation", f"unknown index {name!r}{suggest(str(name), INDICES)}; {valid}"))
                continue
            try:
                weight = parse_rate(w)
            except ValueError as e:
                problems.append(("indexation", f"weight of {name}: {e}"))
                continue
            if not 0 < weight <= 1:
                problems.append(("indexation", f"weight of {name} must be above 0% and at most 100%, got {w!r}"))
            basket.append((str(name), weight))
        total = sum(w for _n, w in basket)
        if basket and not problems and abs(total - 1.0) > 1e-9:
            problems.append(("indexation", f"the basket's weights add up to {total:.4%}; they must add up to 100%"))
    else:
        problems.append(("indexation", f"expected an index name or a basket of weights, got {raw!r}; {valid}"))
    bounds = {}
    for f, x in (("cap", cap), ("collar", collar)):
        if x is None:
            continue
        try:
            bounds[f] = parse_rate(x)
        except ValueError as e:
            problems.append((f, str(e)))
    if "cap" in bounds and "collar" in bounds and bounds["cap"] < bounds["collar"]:
        problems.append(("cap", f"the cap {bounds['cap']:.2%} is below the collar {bounds['collar']:.2%}; "
                                "a cap is the largest annual rise, the collar the smallest"))
    if bounds and basket == [("none", 1.0)]:
        problems.append(("indexation", "a cap or collar needs an index to bind (indexation: none is fixed in cash)"))
    if problems:
        return None, problems
    return IndexSpec(tuple(basket), bounds.get("cap"), bounds.get("collar")), []


def _parse_when(raw: Any, first_year: int, period: int, allow_go_live: bool) -> tuple[tuple | None, str | None]:
    """A line's year: a financial year, an index, ``go_live`` or ``go_live+N`` -> (("year", i) | ("go_live", k), problem)."""
    if isinstance(raw, str):
        m = _GO_LIVE.match(raw)
        if m:
            if not allow_go_live:
                return None, "the current service has no go-live; state a financial year such as \"2027-28\""
            k = int(m.group(2) or 0) * (-1 if m.group(1) == "-" else 1)
            return ("go_live", float(k)), None
    try:
        y = parse_fy_label(raw, first_year=first_year)
    except ValueError as e:
        extra = ", go_live or go_live+N" if allow_go_live else ""
        return None, f"{e} (a financial year such as \"2027-28\", a year index{extra})"
    if not 0 <= y <= period - 1:
        return None, (f"year {fy_label(first_year + y)} is outside the appraisal period {fy_label(first_year)} to "
                      f"{fy_label(first_year + period - 1)} (year index 0 to {period - 1})")
    return ("year", float(y)), None


def parse_lines(doc, path: tuple, raw: Any, *, first_year: int, period: int, col, ob_cats: dict | None,
                where: str, current: dict | None = None, reserved=()) -> dict:
    """Read a ``lines:`` list. ``where`` is ``current_service`` or ``option``; ``current`` the current service's
    lines (an option's entry with one of their ids restates it). Returns ``{id: Line}``; problems go to ``col``."""
    out: dict[str, Line] = {}
    if raw is None:
        return out
    if not isinstance(raw, list):
        col.add(doc.error(path, f"expected a list of lines (each with id, label, type, amount_gbp, ...), got {raw!r}"))
        return out
    current = current or {}
    for i, entry in enumerate(raw):
        p = path + (i,)
        if not isinstance(entry, dict):
            col.add(doc.error(p, f"expected a line (id, label, type, amount_gbp, ...), got {entry!r}"))
            continue
        line = _parse_line(doc, p, entry, first_year, period, col, ob_cats, where, current, reserved, out)
        if line is not None:
            out[line.id] = line
    return out


def _parse_line(doc, p, e: dict, first_year, period, col, ob_cats, where, current, reserved, seen) -> Line | None:
    n_errors = len(col.errors)
    err = lambda f, msg, value=None: col.add(doc.error(p + ((f,) if f else ()), msg, value))  # noqa: E731
    for k in e:
        if k not in LINE_KEYS:
            err(k, f"unknown field{suggest(str(k), LINE_KEYS)}; a line takes {', '.join(LINE_KEYS)}")
    ident = e.get("id")
    if not isinstance(ident, str) or not ID_PATTERN.fullmatch(ident):
        err("id", f"{_shown_id(ident)} is not a valid line id: {ID_RULE}, e.g. cafe_franchise")
        return None
    if ident in seen:
        err("id", f"line id {ident!r} is used twice in this file; each line needs its own id")
        return None
    if ident in LINE_TYPES or ident in DRIVERS or ident in reserved:
        err("id", f"{ident!r} is the name of a built-in line or driver; give the line its own id "
                  "(to change a built-in driver, state it under drivers:)")
        return None
    base: Line | None = current.get(ident) if where == "option" else None
    stated = frozenset(k for k in e if k in LINE_KEYS and k not in ("id",))

    def text(f, default=None):
        x = e.get(f, default)
        if x is not None and not isinstance(x, str):
            err(f, f"expected text, got {x!r}")
            return default
        return x

    def choice(f, options, default):
        x = e.get(f)
        if x is None:
            return getattr(base, f) if base is not None else default
        if x not in options:
            err(f, f"{x!r} is not valid{suggest(str(x), options)}; expected one of {', '.join(options)}")
            return getattr(base, f) if base is not None else default
        return x

    label = text("label") or (base.label if base else None)
    if label is None:
        err("", "missing label: give the line a label for reports, e.g. label: Café franchise income")
        label = ident
    if base is None and "type" not in e:
        err("", "missing type: say whether the line is a cost or income (type: cost or type: income)")
    line_type = choice("type", ("cost", "income"), "cost")
    per = choice("per", ("year", "once"), "year")
    kind = choice("kind", tuple(KINDS), "resource")
    if base is not None:
        for f in _STRUCTURE:
            if f in e and e[f] != getattr(base, f):
                err(f, f"a restated line keeps the current service's {f} ({getattr(base, f)}); "
                       f"to model a different {f}, give the option a new line with its own id")
    borne_by = choice("borne_by", PARTIES, "deliverer")
    if where == "current_service" and borne_by not in ("deliverer", "council"):
        err("borne_by", f"{borne_by!r} does not exist in the current service: use deliverer (moves to the "
                        "provider with the service) or council (stays with the council)")
    counterparty = choice("counterparty", PARTIES[1:], None)
    if kind == "internal":
        if counterparty is None:
            err("counterparty", "an internal line is a payment between two parties: say who is on the other side "
                                "(counterparty: council, provider or partner)")
        elif counterparty == borne_by:
            err("counterparty", f"the counterparty must differ from borne_by ({borne_by})")
    elif "counterparty" in e:
        err("counterparty", "only an internal line (kind: internal) has a counterparty")
    accounts = choice("accounts", ("revenue", "capital"), "revenue")

    # Numbers: amount, growth, ramp.
    values: dict[str, float] = dict(base.values) if base is not None else {}
    for f in ("amount_gbp", "real_growth", "ramp_years"):
        if f not in e:
            continue
        d = LINE_FIELDS[f]
        x = e[f]
        try:
            if d.unit == "rate":
                v = parse_rate(x)
            else:
                if isinstance(x, str) and x.strip().endswith("%"):
                    raise ValueError(f"{x!r} is a percentage, but {f} is in {'pounds' if d.unit == 'gbp' else 'years'}")
                v = parse_number(x)
        except ValueError as ex:
            err(f, str(ex), x)
            continue
        if d.minimum is not None and v < d.minimum:
            err(f, f"{v:g} is below the smallest valid value {d.minimum:g}"
                   + ("; state amounts as positive numbers and say type: cost or type: income" if f == "amount_gbp" else ""), x)
            continue
        if d.maximum is not None and v > d.maximum:
            err(f, f"{v:g} is above the largest valid value {d.maximum:g}", x)
            continue
        values[f] = v
    if "amount_gbp" not in values and "amount_gbp" not in e:  # (a stated but invalid amount has its own error)
        err("", "missing amount_gbp: the line's amount (a year's, or once with per: once), a positive number")
    if per == "once":
        for f in ("to_year", "ramp_years", "real_growth"):
            if f in e:
                err(f, f"{f} does not apply to a line that falls once (per: once); remove it")
        values.pop("ramp_years", None)
        values.pop("real_growth", None)
    else:
        values.setdefault("real_growth", 0.0)
        values.setdefault("ramp_years", 0.0)

    # Timing.
    allow_go_live = where == "option"
    start_raw = e.get("from_year", e.get("year"))
    if "from_year" in e and "year" in e:
        err("year", "give from_year or year (the same thing), not both")
    if start_raw is None:
        start = base.start if base is not None else (("go_live", 0.0) if where == "option" else ("year", 0.0))
    else:
        start, problem = _parse_when(start_raw, first_year, period, allow_go_live)
        if problem:
            err("from_year" if "from_year" in e else "year", problem, start_raw)
            start = ("year", 0.0)
    end = base.end if base is not None and "to_year" not in e else None
    if "to_year" in e and per != "once":
        end, problem = _parse_when(e["to_year"], first_year, period, allow_go_live)
        if problem:
            err("to_year", problem, e["to_year"])
            end = None
    if per == "once":
        end = None
    values.pop("from_year", None)
    values.pop("to_year", None)
    if start[0] == "year":
        values["from_year"] = start[1]
    if end is not None and end[0] == "year":
        values["to_year"] = end[1]
    if end is not None and start[0] == end[0] and end[1] < start[1]:
        err("to_year", f"to_year is before from_year ({_when_text(end, first_year)} < {_when_text(start, first_year)}); "
                       "it must be the same year or later")

    # Indexation.
    if any(k in e for k in ("indexation", "cap", "collar")) or base is None:
        ix_raw = e.get("indexation", None)
        cap = e.get("cap", base.index.cap if base is not None and "indexation" not in e else None)
        collar = e.get("collar", base.index.collar if base is not None and "indexation" not in e else None)
        if ix_raw is None and base is not None:
            ix_raw = {n: w for n, w in base.index.basket}
            ix_raw = next(iter(ix_raw)) if len(ix_raw) == 1 else ix_raw
        index, problems = parse_indexation(ix_raw, cap, collar)
        for f, msg in problems:
            err(f, msg)
        index = index or IndexSpec()
    else:
        index = base.index

    # Optimism bias: uplifts costs that are real resources (or a contract price).
    cat = e.get("optimism_bias_category", base.optimism_bias_category if base is not None else None)
    if "optimism_bias_category" in e and cat is not None:
        if ob_cats is not None and cat not in ob_cats:
            err("optimism_bias_category", f"unknown category {cat!r}{suggest(str(cat), ob_cats)}; valid: {', '.join(ob_cats)}")
        elif line_type != "cost":
            err("optimism_bias_category", "optimism bias uplifts costs; on income the stage's benefits shortfall "
                                          "applies instead: remove the category")
        elif kind not in ("resource", "internal"):
            err("optimism_bias_category", f"a {kind} line carries no optimism bias (it is not a resource cost)")
    confidence = e.get("confidence", base.confidence if base is not None and "source" not in e else None)
    if confidence is not None and confidence not in ("high", "medium", "low"):
        err("confidence", f"{confidence!r} is not valid; expected one of high, medium, low")
    source = text("source") if "source" in e else (base.source if base is not None else None)
    description = text("description") or text("note") or (base.description if base is not None else "")
    if len(col.errors) > n_errors:
        return None
    from .yamlio import format_path

    return Line(ident, label, line_type, per, index, start, end, values, borne_by, counterparty, kind, accounts, cat,
                source, confidence, description, doc.file, format_path(p, doc.data), stated)


def _when_text(w: tuple, first_year: int) -> str:
    if w[0] == "go_live":
        k = int(w[1])
        return "go_live" + (f"{k:+d}" if k else "")
    return fy_label(first_year + int(w[1]))
