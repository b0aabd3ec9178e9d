"""Saving named scenarios: what-if changes written as ``data/<appraisal>/scenarios/<name>.yaml``.

A scenario file holds only the drivers that differ from the stated assumptions, in the data's
own units (rates as ``"4.5%"``, years as ``"2028-29"``, money in £ at the price base), so a
finance officer can read it and an auditor can re-run it with ``asdm run --scenario NAME``.
Economy and ``current_service.*`` changes go under ``all`` (they apply to every option and to
no change); an option's own drivers and items go under the option's id.

:func:`save_scenario` validates everything before writing (the name, every path and value),
writes atomically, then re-loads the appraisal to prove the file validates like any input and
reproduces the values it was given exactly; otherwise the file is removed (or the old one
restored) and :class:`~asdm_models.errors.ScenarioError` is raised.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from pathlib import Path
from typing import Mapping

import yaml

from .assumptions import Appraisal, load_appraisal, resolve_path, validate_changes
from .catalogue import ECONOMY_DRIVERS
from .errors import DataErrors, ScenarioError
from .line_data import SCENARIO_NAME_PATTERN
from .outputs import write_text_atomic
from .units import fy_label, parse_rate

__all__ = ["save_scenario", "split_changes", "data_value", "check_scenario_name", "is_shared_path",
           "scenario_yaml", "NAME_PATTERN", "keep_previous_version", "HISTORY_DIR"]

NAME_PATTERN = SCENARIO_NAME_PATTERN  # matched in full: no trailing newline

_HEADER = ("# Scenario saved from the asdm assumptions explorer.\n"
           "# Values replace the stated assumptions (they are not changes to them): rates as percentages,\n"
           "# years as financial years, money in GBP at the price base. 'all' applies to every option and\n"
           "# to no change; an option's id applies to that option only.\n")


def is_shared_path(path: str) -> bool:
    """True for paths that apply to every option and to no change (economy and ``current_service.*``)."""
    return path in ECONOMY_DRIVERS or path.startswith("current_service.")


def split_changes(option: str, overrides: Mapping[str, float]) -> dict:
    """``{path: value}`` overrides of one option -> scenario changes ``{"all": {...}, option: {...}}``.

    >>> split_changes("trading_company", {"pay_inflation": 0.035, "staff_efficiency_rate": 0.06})
    {'all': {'pay_inflation': 0.035}, 'trading_company': {'staff_efficiency_rate': 0.06}}
    """
    out: dict[str, dict] = {}
    for k, v in overrides.items():
        out.setdefault("all" if is_shared_path(k) else option, {})[k] = v
    return {t: out[t] for t in sorted(out, key=lambda t: t != "all")}


def data_value(unit: str, x: float, first_year: int):
    """A model-unit value as the data writes it, chosen so that reading it back gives exactly ``x``.

    Rates become ``"4.5%"`` when that string parses back to the same float (otherwise the fraction
    itself, which YAML round-trips exactly); years become financial-year labels; other values stay
    numbers (whole numbers as ints).

    >>> data_value("rate", 0.045, 2026), data_value("year", 2.0, 2026), data_value("gbp", 20000.0, 2026)
    ('4.5%', '2028-29', 20000)
    """
    x = float(x)
    if not math.isfinite(x):
        raise ScenarioError(f"{x!r} is not a finite number")
    if unit == "rate":
        for digits in range(0, 13):
            text = f"{round(x * 100.0, digits):.{digits}f}"
            if parse_rate(text + "%") == x:
                return text + "%"
        return x
    if unit == "year":
        if not x.is_integer():
            raise ScenarioError(f"{x:g} is not a year index")
        return fy_label(first_year + int(x))
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


HISTORY_DIR = ".history"


def keep_previous_version(path: Path, text: str) -> Path:
    """Copy a scenario about to be replaced to ``scenarios/.history/<name>.<UTC time>.yaml``; returns the copy.

    A reviewed scenario is never lost by a later save: the history folder is not read as scenarios,
    and each copy gets a new name (a counter is added if two saves fall in the same second).
    """
    hist = path.parent / HISTORY_DIR
    hist.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    n = 1
    while True:
        copy = hist / f"{path.stem}.{stamp}{'' if n == 1 else f'-{n}'}.yaml"
        try:
            os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # reserve: never overwrite a copy
        except FileExistsError:
            n += 1
            continue
        return write_text_atomic(text, copy)


def check_scenario_name(data_dir: Path, name: str, *, overwrite: bool = False) -> Path:
    """The file a scenario called ``name`` is saved to; ScenarioError if the name cannot be used."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ScenarioError(f"scenario name {name!r} is not valid: use 1 to 64 letters, digits, '_' or '-', "
                            "starting with a letter or digit (it becomes the file name and the --scenario value)")
    if name.lower() == "base":
        raise ScenarioError("'base' is the assumptions as stated; choose another scenario name")
    sdir = Path(data_dir) / "scenarios"
    path = sdir / f"{name}.yaml"
    if not overwrite and sdir.is_dir():
        clash = [p.stem for p in sdir.glob("*.yaml") if p.stem.lower() == name.lower()]
        if clash:
            raise ScenarioError(f"a scenario called {clash[0]!r} already exists ({path.name}); choose another name "
                                "or save with overwrite")
    return path


def _validate(appraisal: Appraisal, changes: Mapping) -> dict:
    """Parse and check ``changes`` like a scenario file; returns ``{target: {path: model value}}``."""
    if not isinstance(changes, Mapping) or not changes:
        raise ScenarioError("nothing to save: no driver differs from the stated assumptions")
    if not all(isinstance(m, Mapping) for m in changes.values()):
        raise ScenarioError("changes must map 'all' or an option id to {driver path: value}")
    for target, mapping in changes.items():
        if target != "all" and target in appraisal.options:
            for k in mapping:
                if is_shared_path(k):
                    raise ScenarioError(f"{target}: {k} applies to every option and to no change; put it under 'all'")
    parsed, problems = validate_changes({t: dict(m) for t, m in changes.items()}, appraisal.options,
                                        appraisal.first_year, appraisal.period_years)
    if problems:
        raise ScenarioError("invalid scenario changes: " + "; ".join(
            f"{'.'.join(map(str, p))}: {msg}" for p, msg in problems))
    parsed = {t: m for t, m in parsed.items() if m}
    if not parsed:
        raise ScenarioError("nothing to save: no driver differs from the stated assumptions")
    return parsed


def scenario_yaml(appraisal: Appraisal, name: str, parsed: Mapping, *, author: str, note: str,
                  description: str = "", title: str | None = None, created: str | None = None) -> str:
    """The text of a scenario file for already-validated model-unit changes."""
    changes: dict[str, dict] = {}
    for target, mapping in parsed.items():
        opt = None if target == "all" else appraisal.options[target]
        changes[target] = {k: data_value(resolve_path(k, opt).unit, v, appraisal.first_year)
                           for k, v in mapping.items()}
    doc: dict = {"name": title or name, "description": description or "", "author": author, "note": note}
    if created:
        doc["created"] = str(created)
    doc["changes"] = changes
    return _HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def save_scenario(appraisal: "Appraisal | str | Path", name: str, changes: Mapping, *, author: str, note: str,
                  description: str = "", title: str | None = None, created: str | None = None,
                  overwrite: bool = False) -> Path:
    """Validate and save named scenario changes; returns the path of the file written.

    Parameters
    ----------
    appraisal : Appraisal or path
        The appraisal (its ``data_dir`` receives ``scenarios/<name>.yaml``) or its folder.
    name : str
        File stem and scenario id (``asdm run --scenario NAME``): letters, digits, ``_`` and ``-``;
        not ``base``; not an existing scenario unless ``overwrite``.
    changes : mapping
        ``{"all": {path: value}, <option id>: {path: value}}``. Values in model units (rates as
        fractions, years as indices, money in £) or as the data writes them (``"4.5%"``,
        ``"2028-29"``). Economy and ``current_service.*`` paths belong under ``all``.
    author, note : str
        Who saved it and why (both required, recorded in the file for the assumption register).
    description, title, created : str, optional
        Longer description; display name (default ``name``); a creation date as text.
    overwrite : bool
        Replace an existing scenario of the same name.

    Raises
    ------
    ScenarioError
        Invalid name, path or value (nothing is written), or a file that does not load back
        exactly (it is removed again and any previous file restored).
    """
    a = appraisal if isinstance(appraisal, Appraisal) else load_appraisal(appraisal)
    for what, text in (("author", author), ("note", note)):
        if not isinstance(text, str) or not text.strip():
            raise ScenarioError(f"{what} is required: say who saved the scenario and why")
    path = check_scenario_name(a.data_dir, name, overwrite=overwrite)
    parsed = _validate(a, changes)
    text = scenario_yaml(a, name, parsed, author=author.strip(), note=note.strip(), description=description,
                         title=title, created=created)
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    if previous is not None:
        keep_previous_version(path, previous)
    write_text_atomic(text, path)
    try:
        reloaded = load_appraisal(a.data_dir)
        got = reloaded.scenarios[name].changes
        if {t: dict(m) for t, m in got.items() if m} != parsed:
            raise ScenarioError(f"{path.name} did not read back exactly: wrote {parsed}, read {got}")
    except (DataErrors, ScenarioError, KeyError) as e:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            write_text_atomic(previous, path)
        if isinstance(e, ScenarioError):
            raise
        raise ScenarioError(f"the saved scenario did not validate, so it was not kept: {e}") from None
    return path
