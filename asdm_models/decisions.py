"""Gate decisions as data: the appraisal's ``decisions.yaml``, checked, and the journey it records.

A council's review of a service passes five stages, with a decision of cabinet, a board, a committee
or full council (a *gate*) after each: proceed, proceed with conditions, or stop (DESIGN.md section 1;
HM Treasury, *The Green Book* (2022), section 2, and the *Guide to developing the project business
case* (2018): strategic outline, outline and full business cases). :data:`GATES` is the one table of
those gates; every list of keys, stages or names in the suite is derived from it.

``decisions.yaml`` (optional, in the appraisal folder) records each gate's date, body, decision,
conditions, the option chosen and the run its figures came from::

    runs: ../../reports/example_leisure   # optional: where the runs named below are kept
    decisions:
      - gate: obc
        date: 2026-11-10
        body: cabinet
        decision: proceed_with_conditions
        conditions: ["FBC to include the pension bond quote"]
        option: trading_company
        run: 20261020-101500-1a2b3c
        reference: "Cabinet minute 2026/118"

A run named by a decision is looked for in ``<runs>/<run>/manifest.json`` and then in the papers
filed with the minutes, ``<appraisal folder>/decisions/<run>/manifest.json`` (a copy of the run's
``manifest.json`` and usually its ``summary.csv``, which ``asdm verify`` checks like the run).

The log is written after the runs it cites, so it is a *journey record*
(:func:`is_journey_record`): it never enters a run's figures, and a change to it is a note of
``asdm verify``, not a difference.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from .catalogue import suggest
from .errors import DataError, relative_name
from .reference import PROJECT_ROOT
from .yamlio import YamlDoc, read_yaml

__all__ = ["GATES", "GATE_KEYS", "Gate", "Decision", "DecisionLog", "BODIES", "OUTCOMES", "TAKEN", "DECISIONS_FILE",
           "FILED_DIR", "RUN_ID_PATTERN", "load_decisions", "journey_table", "journey_markdown", "is_journey_record",
           "decision_words", "long_date"]

DECISIONS_FILE = "decisions.yaml"
#: The folder of an appraisal holding the papers filed with the minutes, one folder per run.
FILED_DIR = "decisions"
#: The folder of an appraisal holding outturn after launch.
ACTUALS_DIR = "actuals"


@dataclass(frozen=True)
class Gate:
    """One gate of the review: its key in ``decisions.yaml``, its stage (1 to 5) and what it decides.

    Attributes
    ----------
    key : str
        The ``gate`` of a decision, e.g. ``obc``.
    stage : int
        The stage the gate closes, 1 to 5 (the OBC and FBC are both stage 3).
    name : str
        The gate's name as a heading, e.g. ``Outline business case``.
    short : str
        The name in a sentence, e.g. ``OBC``.
    title : str
        The gate as the next step, e.g. ``the full business case``.
    decides : str
        What the decision settles.
    needs : str
        What the gate needs, in one sentence a cabinet member understands.
    """

    key: str
    stage: int
    name: str
    short: str
    title: str
    decides: str
    needs: str


#: The gates in order (DESIGN.md section 1). Every list of gates is derived from this table.
GATES: tuple[Gate, ...] = (
    Gate("strategic_direction", 1, "Strategic direction", "strategic direction", "the strategic direction",
         "objectives, scope, savings target, risk appetite",
         "the objectives of the review, the services in scope, the budget envelope and savings target, and the "
         "risk appetite: the yardsticks every later gate is judged against"),
    Gate("options_appraisal", 2, "Options appraisal", "options appraisal", "the options appraisal",
         "the short list taken to the business case (and a preferred option)",
         "the long list of delivery options scored against the critical success factors, and a high-level "
         "cost-benefit analysis of each against no change, to choose the short list and a preferred option"),
    Gate("obc", 3, "Outline business case", "OBC", "the outline business case",
         "the preferred option, on OBC figures",
         "the outline business case of each short-listed option: economic, commercial, financial and management "
         "cases at OBC optimism bias, with the gate tests of appraisal.yaml"),
    Gate("fbc", 3, "Full business case", "FBC", "the full business case",
         "the option to implement, on FBC figures",
         "the full business case of the preferred option: firm prices and costs at FBC optimism bias, the "
         "affordability against the medium-term financial strategy, and the gate tests of appraisal.yaml"),
    Gate("transition", 4, "Transition", "transition", "the transition gate",
         "readiness to go live",
         "evidence that the new arrangement is ready to go live: staff transfer and pensions settled, contracts "
         "and agreements signed, assets transferred and the transition plan's milestones met"),
    Gate("launch", 5, "Launch and benefits realisation", "post-implementation review", "the post-implementation review",
         "post-implementation review: actuals against the FBC",
         "the post-implementation review: the outturn year by year against the full business case and the "
         "strategic objectives, and what to do about any shortfall"),
)
GATE_KEYS: tuple[str, ...] = tuple(g.key for g in GATES)
_GATE = {g.key: g for g in GATES}
_ORDER = {g.key: i for i, g in enumerate(GATES)}
N_STAGES = max(g.stage for g in GATES)

BODIES = ("cabinet", "board", "committee", "council")
#: A decision's outcome; ``pending`` is a scheduled decision not yet taken.
OUTCOMES = ("proceed", "proceed_with_conditions", "stop", "pending")
TAKEN = ("proceed", "proceed_with_conditions", "stop")
_PROCEEDS = ("proceed", "proceed_with_conditions")
#: Gates whose decision must name the run it relied on (when taken).
_NEEDS_RUN = ("options_appraisal", "obc", "fbc")
#: Gates whose decision to proceed must name the option.
_NEEDS_OPTION = ("obc", "fbc", "transition", "launch")
#: Gates whose run must hold a report of the chosen option at the gate's stage (the stage key is the gate key).
_NEEDS_REPORT = ("obc", "fbc")
#: A run id: letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit (so never ``..``), no slashes.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

_ENTRY_KEYS = ("gate", "date", "body", "decision", "conditions", "shortlist", "option", "run", "reference", "note")
_TOP_KEYS = ("runs", "decisions")
_MAX_MANIFEST_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Decision:
    """One entry of ``decisions.yaml``: a gate's decision (or a scheduled one, ``pending``)."""

    gate: str
    date: _dt.date
    body: str
    decision: str
    conditions: tuple[str, ...] = ()
    option: str | None = None
    shortlist: tuple[str, ...] = ()
    run: str | None = None
    reference: str | None = None
    note: str | None = None

    @property
    def taken(self) -> bool:
        """True unless the decision is only scheduled (``pending``)."""
        return self.decision != "pending"

    def describe(self) -> str:
        """``the OBC decision of cabinet on 10 November 2026 (proceed with conditions)``."""
        return (f"the {_GATE[self.gate].short} decision of {self.body} on {long_date(self.date)} "
                f"({decision_words(self.decision)})")


@dataclass(frozen=True)
class DecisionLog:
    """The decisions of one appraisal, in gate order, with where its runs are kept.

    Attributes
    ----------
    decisions : tuple of Decision
        The entries of ``decisions.yaml`` that could be read, in the file's order.
    runs_dir : Path
        Where the runs the decisions name are kept.
    file : Path
        The ``decisions.yaml`` read.
    """

    decisions: tuple[Decision, ...]
    runs_dir: Path
    file: Path

    def decided(self, gate: str) -> Decision | None:
        """The taken decision (proceed, with conditions, or stop) at ``gate``, or None."""
        _known_gate(gate)
        return next((d for d in self.decisions if d.gate == gate and d.taken), None)

    def pending(self) -> Decision | None:
        """The scheduled decision (``pending``), if there is one."""
        return next((d for d in self.decisions if not d.taken), None)

    def latest(self) -> Decision | None:
        """The last taken decision in gate order, or None when none has been taken."""
        taken = [d for d in self.decisions if d.taken]
        return max(taken, key=lambda d: _ORDER[d.gate]) if taken else None

    def stopped(self) -> Decision | None:
        """The decision that stopped the review, if one did."""
        return next((d for d in self.decisions if d.decision == "stop"), None)

    def next_gate(self) -> Gate | None:
        """The first gate without a taken decision; None when every gate is decided or the review was stopped."""
        if self.stopped() is not None:
            return None
        return next((g for g in GATES if self.decided(g.key) is None), None)

    def for_run(self, run_id: str) -> tuple[Decision, ...]:
        """The decisions that name ``run_id`` as the run they relied on."""
        return tuple(d for d in self.decisions if d.run is not None and d.run == run_id)

    def chosen_option(self) -> str | None:
        """The option of the latest taken decision to proceed that names one (the preferred or chosen option)."""
        named = [d for d in self.decisions if d.taken and d.decision in _PROCEEDS and d.option]
        return max(named, key=lambda d: _ORDER[d.gate]).option if named else None


def _known_gate(gate: str) -> Gate:
    if gate not in _GATE:
        raise KeyError(f"unknown gate {gate!r}{suggest(str(gate), GATE_KEYS)}; gates: {', '.join(GATE_KEYS)}")
    return _GATE[gate]


def long_date(d: _dt.date) -> str:
    """A date as a minute writes it.

    Examples
    --------
    >>> import datetime
    >>> from asdm_models.decisions import long_date
    >>> long_date(datetime.date(2026, 11, 10))
    '10 November 2026'
    """
    return f"{d.day} {d:%B %Y}"


def decision_words(decision: str) -> str:
    """A decision as words: ``proceed_with_conditions`` -> ``proceed with conditions``.

    Examples
    --------
    >>> from asdm_models.decisions import decision_words
    >>> decision_words("proceed_with_conditions"), decision_words("stop")
    ('proceed with conditions', 'stop')
    """
    return decision.replace("_", " ")


def is_journey_record(relative_path: str) -> bool:
    """True for a file of an appraisal's journey: ``decisions.yaml``, or anything under ``decisions/`` or ``actuals/``.

    Journey records are written after the runs they cite (a decision, the papers filed with its minute, the
    outturn after launch), so they never enter a run's figures. ``relative_path`` is as a manifest records
    inputs: relative to the data folder's parent (``example_leisure/decisions.yaml``); a path relative to the
    appraisal folder itself (``decisions.yaml``, ``actuals/2028-29.csv``) is recognised too.

    Examples
    --------
    >>> from asdm_models.decisions import is_journey_record
    >>> is_journey_record("example_leisure/decisions.yaml"), is_journey_record("example_leisure/actuals/2028-29.csv")
    (True, True)
    >>> is_journey_record("example_leisure/decisions/20261020-101500-1a2b3c/manifest.json")
    True
    >>> is_journey_record("example_leisure/appraisal.yaml"), is_journey_record("example_leisure/options/decisions.yaml")
    (False, False)
    """
    parts = PurePosixPath(str(relative_path).replace("\\", "/")).parts
    if not parts or ".." in parts:
        return False
    if parts[-1] == DECISIONS_FILE and len(parts) <= 2:
        return True
    folders = (FILED_DIR, ACTUALS_DIR)
    return (len(parts) >= 2 and parts[0] in folders) or (len(parts) >= 3 and parts[1] in folders)


# ---------------------------------------------------------------------------------------------- loading


def _date(value) -> tuple[_dt.date | None, str | None]:
    """A decision's date from a YAML date or ``"2026-03-10"``: (date, None) or (None, what is wrong)."""
    if isinstance(value, _dt.datetime):
        return None, f"{value.isoformat()} has a time; give the date only, e.g. {value.date().isoformat()}"
    if isinstance(value, _dt.date):
        return value, None
    if isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                return _dt.date.fromisoformat(value.strip()), None
        except ValueError:
            return None, f"{value!r} is not a date in the calendar; give an ISO date such as 2026-03-10"
    return None, f"{value!r} is not a date; give an ISO date such as 2026-03-10"


def _text(doc: YamlDoc, path: tuple, value, errors: list) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.append(doc.error(path, f"expected text, got {value!r}", value))
        return None
    return value


def _choice(doc: YamlDoc, path: tuple, value, choices, what: str, errors: list) -> str | None:
    if value is None:
        errors.append(doc.error(path, f"required field is missing; add the {what}: one of {', '.join(choices)}"))
        return None
    if not isinstance(value, str) or value not in choices:
        errors.append(doc.error(path, f"unknown {what} {value!r}{suggest(str(value), choices)}; "
                                      f"choose one of {', '.join(choices)}", value))
        return None
    return value


def _texts(doc: YamlDoc, path: tuple, value, errors: list) -> tuple[str, ...] | None:
    """A list of text items (None counts as an empty list); None after reporting when it is not one."""
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(doc.error(path, f"expected a list of text items, got {value!r}", value))
        return None
    out, ok = [], True
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            errors.append(doc.error(path + (i,), f"expected text, got {item!r}", item))
            ok = False
        else:
            out.append(item)
    return tuple(out) if ok else None


def _option_ids(options) -> list[str] | None:
    return None if options is None else sorted(options)


def _is_known(option: str | None, known: list[str] | None) -> bool:
    """True for an option that is named and is one of the appraisal's (so the checks that use it mean something)."""
    return option is not None and (known is None or option in known)


def _check_option(doc: YamlDoc, path: tuple, ident: str, known: list[str] | None, errors: list) -> None:
    if known is not None and ident not in known:
        errors.append(doc.error(path, f"{ident!r} is not an option of this appraisal{suggest(ident, known)}; "
                                      f"its options are {', '.join(known)}", ident))


def _read_entry(doc: YamlDoc, i: int, raw, known: list[str] | None, errors: list) -> tuple[Decision | None, bool]:
    """One entry checked on its own (its keys, values and the rules within it).

    Returns the decision (with ``date``, ``body`` or ``decision`` None where those could not be read, so the
    rules between entries can still look at the rest; None when its gate is unknown) and whether it is whole.
    """
    path = ("decisions", i)
    if not isinstance(raw, dict):
        errors.append(doc.error(path, f"expected a decision (gate, date, body, decision, ...), got {raw!r}", raw))
        return None, False
    for k in raw:
        if k not in _ENTRY_KEYS:
            errors.append(doc.error(path + (k,), f"unknown field {k!r}{suggest(str(k), _ENTRY_KEYS)}; valid fields of "
                                                 f"a decision: {', '.join(_ENTRY_KEYS)}", k))
    gate = _choice(doc, path + ("gate",), raw.get("gate"), GATE_KEYS, "gate", errors)
    body = _choice(doc, path + ("body",), raw.get("body"), BODIES, "body", errors)
    outcome = _choice(doc, path + ("decision",), raw.get("decision"), OUTCOMES, "decision", errors)
    when = None
    if raw.get("date") is None:
        errors.append(doc.error(path + ("date",), "required field is missing; add the date of the decision (or of "
                                                  "the meeting it is scheduled for), e.g. 2026-03-10"))
    else:
        when, why = _date(raw["date"])
        if why:
            errors.append(doc.error(path + ("date",), why, raw["date"]))
    conditions = _texts(doc, path + ("conditions",), raw.get("conditions"), errors)
    shortlist = _texts(doc, path + ("shortlist",), raw.get("shortlist"), errors)
    option = _text(doc, path + ("option",), raw.get("option"), errors)
    reference = _text(doc, path + ("reference",), raw.get("reference"), errors)
    note = _text(doc, path + ("note",), raw.get("note"), errors)
    run = raw.get("run")
    if run is not None:
        if not isinstance(run, str) or not RUN_ID_PATTERN.fullmatch(run):
            errors.append(doc.error(path + ("run",), f"{run!r} is not a run id: a run id is the name of the run's "
                                                     "folder (letters, digits, _, - and ., no slashes), e.g. "
                                                     "20261020-101500-1a2b3c", run))
            run = None

    if outcome is not None and conditions is not None:
        if outcome == "proceed_with_conditions" and not conditions:
            errors.append(doc.error(path + ("conditions",), "a decision to proceed with conditions must list them "
                                                            "(conditions: [\"...\"]); or make it proceed"))
        elif outcome != "proceed_with_conditions" and conditions:
            errors.append(doc.error(path + ("conditions",), f"conditions are only for proceed_with_conditions; this "
                                                            f"decision is {outcome}: make it proceed_with_conditions "
                                                            "or leave conditions empty"))
    if shortlist:
        if gate is not None and gate != "options_appraisal":
            errors.append(doc.error(path + ("shortlist",), f"a short list is chosen at the options_appraisal gate, "
                                                           f"not at {gate}; remove it here"))
        seen = set()
        for j, ident in enumerate(shortlist):
            _check_option(doc, path + ("shortlist", j), ident, known, errors)
            if ident in seen:
                errors.append(doc.error(path + ("shortlist", j), f"{ident!r} is on the short list twice", ident))
            seen.add(ident)
        if _is_known(option, known) and option not in shortlist:
            errors.append(doc.error(path + ("option",), f"the preferred option {option!r} is not on this decision's "
                                                        f"short list ({', '.join(shortlist)})", option))
    if option is not None:
        _check_option(doc, path + ("option",), option, known, errors)
    if gate in _NEEDS_OPTION and outcome in _PROCEEDS and option is None:
        errors.append(doc.error(path + ("option",), f"required: a decision to {decision_words(outcome)} at the "
                                                    f"{gate} gate must name the option (option: <id>)"))
    if gate in _NEEDS_RUN and outcome in TAKEN and run is None and raw.get("run") is None:
        errors.append(doc.error(path + ("run",), f"required: a taken {gate} decision must name the run its figures "
                                                 "came from (run: <run id>, the name of the run's folder)"))
    if gate is None:
        return None, False
    whole = when is not None and outcome is not None and body is not None
    return Decision(gate, when, body, outcome, conditions or (), option, shortlist or (), run, reference, note), whole


def _check_order(doc: YamlDoc, entries: list[tuple[int, Decision]], today: _dt.date, errors: list,
                 known: list[str] | None = None, gaps: bool = True) -> None:
    """The rules between entries: gate order, once each, no gaps, dates in order, nothing after stop, pending last.

    ``entries`` are the entries whose gate could be read; a date or decision that could not be read (None)
    is left out of the rules that need it. ``gaps`` is False when an entry's gate could not be read, so a
    gate missing before a later one is not claimed (it may be the unreadable one).
    """
    prev: Decision | None = None  # the entry before
    dated: Decision | None = None  # the last entry before with a date
    seen: dict[str, int] = {}
    stopped: Decision | None = None
    n = len(entries)
    for k, (i, d) in enumerate(entries):
        path = ("decisions", i)
        if d.decision is not None and d.taken and d.date is not None and d.date > today:
            errors.append(doc.error(path + ("date",), f"{d.date.isoformat()} is after today ({today.isoformat()}): "
                                                      "only a pending decision (one scheduled, not yet taken) may be dated "
                                                      "in the future; make it pending or correct the date"))
        if d.decision == "pending" and k != n - 1:
            errors.append(doc.error(path + ("decision",), "pending (a decision scheduled, not yet taken) may only be "
                                                          "the last entry: record the decision taken, or remove the "
                                                          "entries after it"))
        if stopped is not None:
            errors.append(doc.error(path + ("gate",), f"{d.gate} follows the stop decided at the {stopped.gate} gate"
                                                      f"{_on(stopped.date)}: nothing may follow a stop (a review "
                                                      "restarted is a new appraisal)", d.gate))
        if d.gate in seen:
            errors.append(doc.error(path + ("gate",), f"{d.gate} is decided twice (also entry #{seen[d.gate] + 1}); "
                                                      "each gate is decided once: record a changed decision by correcting "
                                                      "the entry", d.gate))
        elif prev is not None and _ORDER[d.gate] < _ORDER[prev.gate]:
            errors.append(doc.error(path + ("gate",), f"{d.gate} is listed after {prev.gate}; list the gates in "
                                                      f"order: {', '.join(GATE_KEYS)}", d.gate))
        else:
            missing = [g for g in GATE_KEYS[:_ORDER[d.gate]] if g not in seen]
            if missing and gaps:
                errors.append(doc.error(path + ("gate",), f"{d.gate} decided but {missing[-1]} has no decision; record "
                                                          f"the decision of every earlier gate first "
                                                          f"({', '.join(missing)})", d.gate))
        if dated is not None and d.date is not None and d.date < dated.date and d.gate not in seen:
            errors.append(doc.error(path + ("date",), f"{d.gate} is dated {d.date.isoformat()}, before the "
                                                      f"{dated.gate} decision before it ({dated.date.isoformat()}); "
                                                      "a later gate cannot be decided before an earlier one", d.date))
        if d.decision == "stop" and stopped is None:
            stopped = d
        seen.setdefault(d.gate, i)
        prev = d
        if d.date is not None:
            dated = d
    # an OBC or FBC is of a short-listed option
    shortlist = next((d.shortlist for _, d in entries if d.gate == "options_appraisal" and d.shortlist), ())
    for i, d in entries:
        if shortlist and d.gate in ("obc", "fbc") and _is_known(d.option, known) and d.option not in shortlist:
            errors.append(doc.error(("decisions", i, "option"), f"{d.option!r} was not short-listed at the options "
                                                                f"appraisal ({', '.join(shortlist)}); the {d.gate} "
                                                                "chooses among the short list", d.option))


def _on(day: _dt.date | None) -> str:
    return f" on {day.isoformat()}" if day is not None else ""


def _read_manifest(path: Path) -> tuple[dict | None, str | None]:
    try:
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            return None, "is too large to be a run manifest"
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, "is not UTF-8 text, so not a run manifest"
    except json.JSONDecodeError as e:
        return None, f"is not valid JSON ({e.msg} at line {e.lineno})"
    except (OSError, RecursionError) as e:
        return None, f"cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})"
    if not isinstance(data, dict):
        return None, "is not a run manifest (a JSON object)"
    return data, None


def _check_run(doc: YamlDoc, i: int, d: Decision, root: Path, runs_dir: Path, appraisal_id: str,
               files: list[Path], errors: list, known: list[str] | None = None) -> None:
    """The run a decision names exists, is of this appraisal and, for an OBC or FBC, holds the option's report."""
    path = ("decisions", i, "run")
    in_runs = runs_dir / d.run / "manifest.json"
    filed = root / FILED_DIR / d.run / "manifest.json"
    if in_runs.is_file():
        mpath = in_runs
    elif filed.is_file():
        mpath = filed
        files.append(filed)
    else:
        errors.append(doc.error(path, f"run {d.run!r} not found: neither {in_runs} nor the filed copy "
                                      f"{FILED_DIR}/{d.run}/manifest.json of this appraisal exists; file the run's "
                                      "manifest.json (and summary.csv) there, or correct the run id", d.run))
        return
    manifest, why = _read_manifest(mpath)
    if manifest is None:
        errors.append(doc.error(path, f"run {d.run!r}: {mpath} {why}", d.run))
        return
    of = manifest.get("appraisal")
    if of != appraisal_id:
        errors.append(doc.error(path, f"run {d.run!r} is a run of appraisal {of!r}, not of {appraisal_id!r} "
                                      f"({mpath}); name a run of this appraisal", d.run))
        return
    if d.gate in _NEEDS_REPORT and _is_known(d.option, known):
        reports = manifest.get("reports") if isinstance(manifest.get("reports"), list) else []
        mine = [r for r in reports if isinstance(r, dict) and r.get("option") == d.option and r.get("stage") == d.gate]
        if not mine:
            have = sorted({f"{r.get('option')}-{r.get('stage')}" for r in reports
                           if isinstance(r, dict) and r.get("option")})
            errors.append(doc.error(path, f"run {d.run!r} has no {d.gate} report of {d.option!r} (it has "
                                          f"{', '.join(have) or 'no option reports'}); name the run whose "
                                          f"{d.option}-{d.gate} report the decision relied on", d.run))
        elif not any(r.get("status") == "ok" for r in mine):
            errors.append(doc.error(path, f"run {d.run!r}: its {d.option}-{d.gate} report failed, so it has no "
                                          "figures a decision could rely on; name a run where it succeeded", d.run))


def load_decisions(root, appraisal_id: str, options, *, today: _dt.date | None = None
                   ) -> tuple[DecisionLog | None, list[DataError], list[Path]]:
    """Read and check an appraisal's ``decisions.yaml``.

    Parameters
    ----------
    root : path
        The appraisal folder (holding ``appraisal.yaml``).
    appraisal_id : str
        The appraisal's id; a run named by a decision must be a run of it.
    options : dict or set of str, or None
        The appraisal's option ids; ``option`` and every ``shortlist`` id must be one. None skips that check
        (used by ``asdm verify`` when the data no longer loads).
    today : datetime.date, optional
        Only pending decisions may be dated after it; default ``datetime.date.today()``.

    Returns
    -------
    log : DecisionLog or None
        None when the folder has no ``decisions.yaml``. Otherwise the entries that could be read, even when
        there are errors: rely on it only when ``errors`` is empty.
    errors : list of DataError
        Every problem, each naming the file, line and field (``decisions[#3].option``).
    files : list of Path
        The files read (``decisions.yaml`` and any filed manifests), for the run's input record.

    Notes
    -----
    The rules, each broken one a :class:`~asdm_models.errors.DataError`:

    * only the known fields; ``gate``, ``body`` and ``decision`` from :data:`GATE_KEYS`, :data:`BODIES`
      and :data:`OUTCOMES` (the nearest suggested); ``date`` an ISO date;
    * ``conditions`` non-empty for ``proceed_with_conditions`` and empty otherwise; ``shortlist`` only at
      the options appraisal; ``option`` and every short-listed id an option of the appraisal, the preferred
      option on its decision's short list, an OBC or FBC option on the options appraisal's short list;
      ``option`` required to proceed at the OBC, FBC, transition and launch gates;
    * ``run`` (a folder name, :data:`RUN_ID_PATTERN`) required for a taken options appraisal, OBC or FBC
      decision; the run found in ``runs`` or filed under ``decisions/``, a run of this appraisal and, for an
      OBC or FBC, holding the chosen option's report at that stage, not failed;
    * the gates in the order of :data:`GATES`, each once, none while an earlier gate has no decision, dates
      not going back, nothing after a stop, ``pending`` only last, no taken decision after ``today``.

    References
    ----------
    HM Treasury (2018), *Guide to developing the project business case*: the strategic outline, outline
    and full business cases and their approval points; DESIGN.md sections 1 and 3.

    Examples
    --------
    >>> import tempfile, datetime
    >>> from pathlib import Path
    >>> from asdm_models.decisions import load_decisions
    >>> root = Path(tempfile.mkdtemp()) / "example"
    >>> root.mkdir()
    >>> _ = (root / "decisions.yaml").write_text(
    ...     "decisions:\\n  - {gate: strategic_direction, date: 2026-03-10, body: cabinet, decision: proceed}\\n")
    >>> log, errors, files = load_decisions(root, "example", {"no_change", "trading_company"},
    ...                                     today=datetime.date(2026, 4, 1))
    >>> errors, log.next_gate().key, [f.name for f in files]
    ([], 'options_appraisal', ['decisions.yaml'])
    """
    root = Path(root)
    path = root / DECISIONS_FILE
    if not path.exists() and not path.is_symlink():
        return None, [], []
    today = today or _dt.date.today()
    shown = relative_name(path, root)
    files: list[Path] = [path]
    doc, errors = read_yaml(path, shown)
    default_runs = PROJECT_ROOT / "reports" / appraisal_id
    if doc is None:
        return DecisionLog((), default_runs, path), errors, files
    data = doc.data
    if not isinstance(data, dict):
        errors.append(doc.error((), f"expected a mapping with decisions: (a list of gate decisions), got {data!r}"))
        return DecisionLog((), default_runs, path), errors, files
    for k in data:
        if k not in _TOP_KEYS:
            errors.append(doc.error((k,), f"unknown field {k!r}{suggest(str(k), _TOP_KEYS)}; valid fields: "
                                          f"{', '.join(_TOP_KEYS)}", k))
    runs_dir = default_runs
    if data.get("runs") is not None:
        if not isinstance(data["runs"], str) or not data["runs"].strip():
            errors.append(doc.error(("runs",), f"expected a folder (relative to this file's folder), got "
                                               f"{data['runs']!r}", data["runs"]))
        else:
            runs_dir = (root / data["runs"]).resolve()
    raw = data.get("decisions")
    entries: list[tuple[int, Decision]] = []
    if raw is None:
        errors.append(doc.error(("decisions",), "required field is missing; add decisions: a list of gate decisions "
                                                "(gate, date, body, decision, ...)"))
    elif not isinstance(raw, list):
        errors.append(doc.error(("decisions",), f"expected a list of gate decisions, got {raw!r}", raw))
    else:
        known = _option_ids(options)
        whole: list[bool] = []
        for i, item in enumerate(raw):
            d, ok = _read_entry(doc, i, item, known, errors)
            if d is not None:
                entries.append((i, d))
                whole.append(ok)
        _check_order(doc, entries, today, errors, known, gaps=len(entries) == len(raw))
        for i, d in entries:
            if d.run is not None:
                _check_run(doc, i, d, root, runs_dir, appraisal_id, files, errors, known)
        entries = [e for e, ok in zip(entries, whole) if ok]
    return DecisionLog(tuple(d for _, d in entries), runs_dir, path), errors, files


# ---------------------------------------------------------------------------------------------- the journey


_VERB = {"proceed": "approved", "proceed_with_conditions": "approved with conditions", "stop": "stopped"}


def journey_table(log: DecisionLog | None, appraisal_id: str | None = None) -> pd.DataFrame:
    """One row per gate, in order: where the review stands.

    Parameters
    ----------
    log : DecisionLog or None
        The decisions (None: none recorded yet).
    appraisal_id : str, optional
        Not used in the figures; kept so a report can name the appraisal alongside (``df.attrs["appraisal"]``).

    Returns
    -------
    pandas.DataFrame
        Columns ``stage`` (1 to 5), ``gate``, ``name``, ``status`` (``decided``, ``pending``, ``next``,
        ``not reached``, ``stopped``), ``date`` (ISO), ``body``, ``decision`` (``proceed``, ``proceed with
        conditions``, ``stop``, or ``pending``), ``conditions`` (joined with "; "), ``option``, ``run``; a cell
        that does not apply is empty (``""``).

    Notes
    -----
    A gate with a taken decision is ``decided`` (``stopped`` when the decision was stop); the first gate
    without one is ``pending`` when a decision is scheduled, else ``next``; every later gate is
    ``not reached``. After a stop no gate is next.

    Examples
    --------
    >>> import datetime
    >>> from pathlib import Path
    >>> from asdm_models.decisions import Decision, DecisionLog, journey_table
    >>> log = DecisionLog((Decision("strategic_direction", datetime.date(2026, 3, 10), "cabinet", "proceed"),),
    ...                   Path("runs"), Path("decisions.yaml"))
    >>> journey_table(log)[["stage", "gate", "status"]].head(3).values.tolist()
    [[1, 'strategic_direction', 'decided'], [2, 'options_appraisal', 'next'], [3, 'obc', 'not reached']]
    """
    nxt = log.next_gate() if log is not None else GATES[0]
    pending = log.pending() if log is not None else None
    rows = []
    for g in GATES:
        d = log.decided(g.key) if log is not None else None
        if d is None and pending is not None and pending.gate == g.key:
            d = pending
        if d is not None and d.taken:
            status = "stopped" if d.decision == "stop" else "decided"
        elif nxt is not None and g.key == nxt.key:
            status = "pending" if d is not None else "next"
        else:
            status, d = "not reached", None
        rows.append({"stage": g.stage, "gate": g.key, "name": g.name, "status": status,
                     "date": d.date.isoformat() if d else "", "body": d.body if d else "",
                     "decision": decision_words(d.decision) if d else "",
                     "conditions": "; ".join(d.conditions) if d else "", "option": (d.option or "") if d else "",
                     "run": (d.run or "") if d else ""})
    df = pd.DataFrame(rows, columns=["stage", "gate", "name", "status", "date", "body", "decision", "conditions",
                                     "option", "run"])
    df.attrs["appraisal"] = appraisal_id
    return df


def journey_markdown(log: DecisionLog | None) -> str:
    """A short paragraph for reports: the latest decision, its conditions, and which gate comes next and what it needs.

    Examples
    --------
    >>> import datetime
    >>> from pathlib import Path
    >>> from asdm_models.decisions import Decision, DecisionLog, journey_markdown
    >>> print(journey_markdown(None))  # doctest: +NORMALIZE_WHITESPACE
    No gate decisions are recorded yet (no decisions.yaml); next: the strategic direction, which needs the
    objectives of the review, the services in scope, the budget envelope and savings target, and the risk
    appetite: the yardsticks every later gate is judged against.
    >>> day = datetime.date(2026, 3, 10)
    >>> log = DecisionLog((Decision("strategic_direction", day, "cabinet", "stop"),), Path("r"), Path("d.yaml"))
    >>> journey_markdown(log)
    'Stage 1 of 5: the strategic direction was stopped by cabinet on 10 March 2026; the review ends there.'
    """
    if log is None or log.latest() is None:
        g = GATES[0] if log is None else log.next_gate()
        why = "no decisions.yaml" if log is None else "no decision has been taken"
        text = f"No gate decisions are recorded yet ({why}); next: {g.title}"
        pending = log.pending() if log is not None else None
        if pending is not None:
            text += f" (scheduled for {pending.body} on {long_date(pending.date)})"
        return text + f", which needs {g.needs}."
    last = log.latest()
    g = _GATE[last.gate]
    text = (f"Stage {g.stage} of {N_STAGES}: the {g.short} was {_VERB[last.decision]} by {last.body} on "
            f"{long_date(last.date)}")
    if last.option and last.decision != "stop":
        text += f" (option: {last.option})"
    if last.decision == "stop":
        return text + "; the review ends there."
    nxt = log.next_gate()
    if nxt is None:
        text += "; every gate has been decided."
    else:
        text += f"; next: {nxt.title}"
        pending = log.pending()
        if pending is not None and pending.gate == nxt.key:
            text += f" (scheduled for {pending.body} on {long_date(pending.date)})"
        text += f", which needs {nxt.needs}."
    if last.conditions:
        text += f" The conditions of the {g.short} decision: " + "; ".join(
            f"({k}) {c.strip().rstrip('.')}" for k, c in enumerate(last.conditions, 1)) + "."
    return text
