"""Portfolios of appraisals: several services appraised together, with one economy and one savings target.

A council closing a budget gap reviews several services at once. A *portfolio* is a folder holding
``portfolio.yaml``, which names the appraisal folders, the option chosen or proposed in each, the
economy assumptions that must agree across them and the combined savings target. This module loads
and validates it and computes the combined figures; :mod:`asdm_models.portfolio_run` runs it
(every appraisal's reports, the portfolio report, a manifest) and verifies a run.

The file
--------
.. code-block:: yaml

    portfolio: example_portfolio            # id: letters, digits, _ and -; names the run folders
    title: "Leisure and waste: the 2026 service reviews together"
    council: Example District Council (illustrative)
    illustrative: true                      # the report carries the illustrative mark
    description: "..."                      # optional
    appraisals:                             # at least one; each appraisal folder once
      - path: ../example_leisure            # relative to this folder (or absolute)
        option: trading_company             # the option the portfolio counts
        decision: proposed                  # chosen (a gate has chosen it) or proposed (default)
        stage: obc                          # obc (default) or fbc: which business case's figures
        note: "Cabinet chose the company at the OBC gate, with conditions"
      - path: ../example_depot
        option: outsourcing
    shared_assumptions: [gdp_deflator, pay_inflation, price_inflation, energy_inflation, cpi_inflation]
    wins:                                   # which figure wins where the appraisals disagree
      pay_inflation: {from: ../example_leisure}         # that appraisal's value, distribution and source
      price_inflation: {value: 2.5%, source: "MTFS 2026-30", distribution: triangular, low: 2%, high: 4%}
      correlations: {from: ../example_leisure}          # rank correlations among the shared drivers
    savings_target:                         # combined, nominal cash, against no change
      annual_gbp: 550000
      from_year: 2028-29                    # or by_year: {2028-29: 300000, 2029-30: 550000}
      note: "MTFS 2026-30: the two reviews' savings together"

``shared_assumptions`` defaults to every economy driver (the appraisals all have them: gdp_deflator,
pay_inflation, price_inflation, energy_inflation, and cpi_inflation, which follows price inflation
where an appraisal does not state it). A shared driver's *figure* is its value, its distribution
under ``uncertain:`` (or none: fixed) and, for CPI, whether it follows price inflation; the rank
correlations among shared drivers are shared too. Where two appraisals' figures differ, loading
fails with one line naming both files and both figures, unless ``wins`` settles it: ``from:`` an
appraisal of the portfolio takes that appraisal's figure; a stated ``value`` (with ``source``, and
a distribution's fields to keep it uncertain; without them it is fixed) is used as written. The
winning figure is then used in every appraisal *for the portfolio's combined figures* (each
appraisal's own reports keep its own data); the report lists what changed.
``savings_target`` defaults to the sum of the appraisals' own targets, year by year.

Years
-----
Appraisals may start in different years and run for different periods. Figures in cash (budget
impact, one-off costs, the target) are combined by *financial year* over every year any appraisal
covers, each year saying which appraisals it holds; the target test and the combined Monte Carlo
of budget savings use only the *common window*, the years every appraisal covers (it must not be
empty). Present values are restated at the portfolio's base, the earliest first year and price
base: an appraisal starting ``d`` years later is discounted ``d`` more years at its own schedule,
and one priced ``k`` years later is deflated by ``(1 + g)^k`` (``g`` its GDP deflator, per draw
when drawn). HM Treasury (2022), *The Green Book*, A6.2 (real prices) and A6.3 (discounting to a
common base year).

Combined Monte Carlo
--------------------
Common random numbers across appraisals: a shared driver takes the same uniform in every appraisal
(streams keyed by the portfolio, see :func:`asdm_models.montecarlo.monte_carlo_block`), so a high
pay award hits every service in the same draw and the spread of the total is honest; each
appraisal's own drivers and risks keep their own streams (the same as in its own report). The
probability of meeting the combined target is the share of draws in which the combined budget
saving against no change (nominal, as each financial case states it) is at least the combined
target in *every* target year of the common window. Which appraisal's risk matters most: each
appraisal's share of the variance of the combined NPSV, ``cov(X_i, S) / var(S)`` with
``S = sum_i X_i`` (Euler allocation; the shares sum to 1 and a share can be negative for an
appraisal that hedges the others). Draws split at multiples of
:data:`~asdm_models.montecarlo.CHUNK` (:func:`draw_ranges`) give exactly the one-pass numbers.
"""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .assumptions import STAGES, Appraisal, Assumption, load_appraisal
from .catalogue import DRIVERS, ECONOMY_DRIVERS, suggest
from .discounting import discount_factors
from .distributions import Distribution, nearest_psd_check, parse_distribution, rank_to_pearson
from .errors import DataError, DataErrors, relative_name
from .line_data import ID_PATTERN
from .montecarlo import BEATS_TOLERANCE_GBP, CHUNK, MonteCarloResult, chunk_bounds, monte_carlo_block
from .units import fy_label, parse_fy_label, parse_number, parse_rate
from .yamlio import read_yaml

__all__ = ["PORTFOLIO_FILE", "Portfolio", "PortfolioEntry", "PortfolioDraws", "PortfolioFigures", "load_portfolio",
           "is_portfolio", "portfolio_figures", "combined_monte_carlo", "merge_draws", "draw_ranges",
           "place_by_year", "rebase_factor", "variance_shares", "prob_meets_target", "peak_year",
           "summary_frame", "by_year_frame", "draws_bytes", "read_draws", "PORTFOLIO_COLUMNS", "DECISIONS"]

PORTFOLIO_FILE = "portfolio.yaml"
DECISIONS = ("chosen", "proposed")
_TOP = ("portfolio", "title", "council", "illustrative", "description", "appraisals", "shared_assumptions", "wins",
        "savings_target")
_ENTRY = ("path", "option", "decision", "stage", "note")
_WIN_FIELDS = ("from", "value", "source", "confidence", "distribution", "low", "mode", "high", "mean", "sd")


def is_portfolio(folder) -> bool:
    """True when ``folder`` holds ``portfolio.yaml`` (``asdm run`` and ``asdm validate`` then treat it as one)."""
    return (Path(folder) / PORTFOLIO_FILE).is_file()


# --------------------------------------------------------------------------------------------- the objects
@dataclass(frozen=True)
class _Figure:
    """One appraisal's figure for a shared driver: value (or follows another driver), distribution, where."""

    follows: str | None
    value: float | None
    dist: Distribution | None
    file: str
    field: str
    assumption: Assumption | None = None

    @property
    def key(self) -> tuple:
        d = None if self.dist is None else (self.dist.name, tuple(sorted(self.dist.params.items())))
        return (self.follows, self.value, d)

    def describe(self) -> str:
        if self.follows:
            return f"follows {self.follows}"
        text = _pct(self.value)
        if self.dist is None:
            return text + " fixed (no distribution)"
        args = ", ".join(f"{k} {_pct(v)}" for k, v in self.dist.params.items())
        return f"{text}, {self.dist.name} ({args})"


def _pct(x: float) -> str:
    return f"{x * 100:.4g}%"


@dataclass(frozen=True)
class PortfolioEntry:
    """One appraisal of a portfolio.

    Attributes
    ----------
    path : Path
        The appraisal folder (resolved).
    shown : str
        The path as ``portfolio.yaml`` gives it.
    option, decision, stage, note : str
        The option counted, ``chosen`` or ``proposed``, ``obc`` or ``fbc``, free text.
    appraisal : Appraisal or None
        As loaded (its own data); None when it could not be loaded (``errors`` say why; partial loads only).
    resolved : Appraisal or None
        The appraisal with the portfolio's shared assumptions (the winning figures) in place: what the
        combined figures use.
    changed : tuple of (driver, own figure, portfolio figure)
        The shared figures the portfolio replaced in this appraisal.
    errors : tuple of DataError
        Why the appraisal (or its chosen option) is left out of a partial load.
    """

    path: Path
    shown: str
    option: str
    decision: str
    stage: str
    note: str
    appraisal: Appraisal | None = field(repr=False, default=None)
    resolved: Appraisal | None = field(repr=False, default=None)
    changed: tuple = ()
    errors: tuple = ()

    @property
    def id(self) -> str:
        return self.appraisal.id if self.appraisal is not None else self.path.name

    @property
    def ok(self) -> bool:
        return self.resolved is not None


@dataclass(frozen=True)
class Portfolio:
    """A loaded, validated portfolio (see the module docstring for the file).

    Attributes
    ----------
    entries : tuple of PortfolioEntry
        In the order of ``portfolio.yaml``.
    shared : tuple of str
        The shared economy drivers.
    settled : tuple of (driver, how, figure)
        The drivers ``wins`` settled: how (``from <path>`` or ``stated in portfolio.yaml``) and the figure used.
    years : list of str
        Financial years any appraisal covers (contiguous), the axis of the by-year figures.
    first_year : int
        Calendar year of ``years[0]``; with ``price_base``, the base of the portfolio's present values.
    common : tuple of int
        ``(first, last)`` indices into ``years`` of the common window (years every appraisal covers).
    target_nominal_gbp : ndarray, shape (len(years),)
        The combined savings target by year (0 where there is none).
    """

    id: str
    title: str
    council: str
    illustrative: bool
    description: str
    folder: Path
    entries: tuple
    shared: tuple
    settled: tuple
    years: list
    first_year: int
    price_base: int
    common: tuple
    target_nominal_gbp: np.ndarray = field(repr=False)
    target_note: str = ""
    target_stated: bool = True
    input_files: tuple = field(repr=False, default=())

    @property
    def loaded(self) -> list:
        """The entries that loaded (a partial load can leave some out)."""
        return [e for e in self.entries if e.ok]

    @property
    def crn_key(self) -> str:
        """The key of the shared drivers' random-number streams: the same in every appraisal of the portfolio."""
        return f"portfolio:{self.id}"

    @property
    def common_years(self) -> list:
        a, b = self.common
        return self.years[a:b + 1]

    def offset(self, entry: PortfolioEntry) -> int:
        """Index into :attr:`years` of the entry's first year."""
        return entry.resolved.first_year - self.first_year

    @property
    def target_years(self) -> list:
        """Indices into :attr:`years` of the years the target test covers: a target above 0, in the common window."""
        a, b = self.common
        return [i for i in range(a, b + 1) if self.target_nominal_gbp[i] > 0]


# --------------------------------------------------------------------------------------------- loading
class _Errors:
    def __init__(self):
        self.errors: list[DataError] = []

    def add(self, e) -> None:
        if isinstance(e, DataError):
            self.errors.append(e)
        else:
            self.errors.extend(e)


def _figure(a: Appraisal, driver: str) -> _Figure:
    file = f"{relative_name(a.data_dir / 'appraisal.yaml', a.data_dir)}"
    if driver in a.economy:
        asm = a.economy[driver]
        return _Figure(None, float(asm.value), a.uncertain.get(driver), asm.file or file, f"economy.{driver}", asm)
    return _Figure(DRIVERS[driver].follows, None, a.uncertain.get(driver), file, f"economy.{driver}")


def _shared_correlations(a: Appraisal, shared) -> tuple:
    """The appraisal's rank correlations between two shared drivers, in a canonical order."""
    out = []
    for (x, y), r in a.correlations:
        if x in shared and y in shared:
            out.append((tuple(sorted((x, y))), float(r)))
    return tuple(sorted(out))


def _show_correlations(c: tuple) -> str:
    return "; ".join(f"{a} with {b} {r:g}" for (a, b), r in c) or "none"


def load_portfolio(folder, *, partial: bool = False) -> Portfolio:
    """Load and validate a portfolio folder (``portfolio.yaml`` and the appraisals it names).

    Parameters
    ----------
    folder : str or Path
        The folder holding ``portfolio.yaml``.
    partial : bool
        For runs: an appraisal that does not load (or whose counted option does not) is kept as an entry
        with its ``errors`` and left out of the combined figures, instead of refusing the portfolio.
        Problems of ``portfolio.yaml`` itself, and disagreements between the appraisals that load, still
        raise.

    Returns
    -------
    Portfolio

    Raises
    ------
    DataErrors
        Every problem found, one line each naming the file (and both files for a disagreement).

    Examples
    --------
    >>> p = load_portfolio(PROJECT_ROOT / "data" / "example_portfolio")
    >>> [e.id for e in p.entries], p.years[0], p.common_years[-1]
    (['example_leisure', 'example_depot'], '2026-27', '2035-36')
    """
    root = Path(folder).expanduser()
    errs = _Errors()
    if not root.is_dir():
        raise DataErrors([DataError(str(folder), "", "portfolio folder not found (it should hold portfolio.yaml)")])
    path = root / PORTFOLIO_FILE
    shown = relative_name(path, root)
    if not path.is_file():
        raise DataErrors([DataError(shown, "", "file not found: a portfolio folder holds portfolio.yaml naming its "
                                               "appraisals (see asdm_models.portfolio)")])
    doc, problems = read_yaml(path, shown)
    errs.add(problems)
    if doc is None:
        raise DataErrors(errs.errors)
    data = doc.data
    if not isinstance(data, dict):
        raise DataErrors(errs.errors + [doc.error((), "expected a mapping with portfolio, title and appraisals")])
    for k in data:
        if k not in _TOP:
            errs.add(doc.error((k,), f"unknown field{suggest(str(k), _TOP)}; a portfolio has {', '.join(_TOP)}"))
    pid = data.get("portfolio")
    if not isinstance(pid, str) or not ID_PATTERN.fullmatch(pid):
        errs.add(doc.error(("portfolio",), f"needs an id of letters, digits, _ and - starting with a letter "
                                           f"(it names the run folders), got {pid!r}"))
        pid = root.name
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        errs.add(doc.error(("title",), "needs a title (text), e.g. \"Leisure and waste: the service reviews together\""))
        title = pid
    council = data.get("council", "")
    if not isinstance(council, str):
        errs.add(doc.error(("council",), f"must be text (the council's name), got {council!r}"))
        council = ""
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        errs.add(doc.error(("illustrative",), f"must be true or false, got {illustrative!r}"))
        illustrative = True
    description = data.get("description", "")
    if not isinstance(description, str):
        errs.add(doc.error(("description",), "must be text"))
        description = ""

    entries = _load_entries(doc, root, errs, partial)
    shared = _shared_list(doc, errs)
    loaded = [e for e in entries if e.appraisal is not None and not e.errors]
    wins = _parse_wins(doc, root, entries, shared, errs)
    resolved, settled = _resolve(doc, loaded, shared, wins, errs)
    entries = [resolved.get(id(e), e) for e in entries]
    ok = [e for e in entries if e.ok]

    years, first, price_base, common = [], 0, 0, (0, -1)
    target = np.zeros(0)
    note, stated = "", True
    if ok:
        first = min(e.resolved.first_year for e in ok)
        last = max(e.resolved.first_year + e.resolved.period_years - 1 for e in ok)
        years = [fy_label(y) for y in range(first, last + 1)]
        price_base = min(parse_fy_label(e.resolved.price_base) for e in ok)
        lo = max(e.resolved.first_year for e in ok) - first
        hi = min(e.resolved.first_year + e.resolved.period_years - 1 for e in ok) - first
        common = (lo, hi)
        if hi < lo:
            spans = "; ".join(f"{e.id} {e.resolved.years[0]} to {e.resolved.years[-1]}" for e in ok)
            errs.add(doc.error(("appraisals",), f"the appraisals' periods have no year in common ({spans}); a combined "
                                                "view needs at least one financial year every appraisal covers"))
        target, note, stated = _parse_target(doc, years, first, ok, errs)
    elif not errs.errors and not partial:
        errs.add(doc.error(("appraisals",), "no appraisal could be loaded"))
    if errs.errors:
        raise DataErrors(errs.errors)
    files = [path] + [f for e in ok for f in e.appraisal.input_files]
    return Portfolio(id=pid, title=title.strip(), council=council, illustrative=illustrative,
                     description=description, folder=root.resolve(), entries=tuple(entries), shared=tuple(shared),
                     settled=tuple(settled), years=years, first_year=first, price_base=price_base, common=common,
                     target_nominal_gbp=target, target_note=note, target_stated=stated,
                     input_files=tuple(dict.fromkeys(files)))


def _load_entries(doc, root: Path, errs: _Errors, partial: bool) -> list:
    raw = doc.data.get("appraisals")
    if not isinstance(raw, list) or not raw:
        errs.add(doc.error(("appraisals",), "needs a list of appraisals, each {path: ../<appraisal folder>, option: "
                                            "<option id>}"))
        return []
    entries: list[PortfolioEntry] = []
    seen_path: dict = {}
    seen_id: dict = {}
    for i, item in enumerate(raw):
        p = ("appraisals", i)
        if not isinstance(item, dict):
            errs.add(doc.error(p, f"expected {{path: ..., option: ...}}, got {item!r}"))
            continue
        for k in item:
            if k not in _ENTRY:
                errs.add(doc.error(p + (k,), f"unknown field{suggest(str(k), _ENTRY)}; an appraisal entry has "
                                             f"{', '.join(_ENTRY)}"))
        rel = item.get("path")
        if not isinstance(rel, str) or not rel.strip():
            errs.add(doc.error(p + ("path",), "needs the appraisal folder, relative to the portfolio folder "
                                              "(e.g. ../example_leisure)"))
            continue
        folder = (root / rel).expanduser().resolve()
        option = item.get("option")
        if not isinstance(option, str) or not option:
            errs.add(doc.error(p + ("option",), "needs the id of the option the portfolio counts (chosen or proposed)"))
            option = ""
        decision = item.get("decision", "proposed")
        if decision not in DECISIONS:
            errs.add(doc.error(p + ("decision",), f"must be chosen or proposed, got {decision!r}"))
            decision = "proposed"
        stage = item.get("stage", "obc")
        if stage not in STAGES:
            errs.add(doc.error(p + ("stage",), f"must be one of {', '.join(STAGES)}, got {stage!r}"))
            stage = "obc"
        note = item.get("note", "")
        if not isinstance(note, str):
            errs.add(doc.error(p + ("note",), "must be text"))
            note = ""
        if folder in seen_path:
            errs.add(doc.error(p + ("path",), f"{rel} is listed twice (also appraisals[#{seen_path[folder] + 1}]); "
                                              "each appraisal counts once"))
            continue
        seen_path[folder] = i
        if not (folder / "appraisal.yaml").is_file():
            errs.add(doc.error(p + ("path",), f"{rel} is not an appraisal folder (no appraisal.yaml in {folder})"))
            continue
        entry_errors: list = []
        appraisal = None
        try:
            appraisal = load_appraisal(folder, partial=partial)
        except DataErrors as e:
            if not partial:
                errs.add(e.errors)
                errs.add(doc.error(p + ("path",), f"{rel}: the appraisal does not load ({len(e.errors)} problem"
                                                  f"{'s' if len(e.errors) != 1 else ''}, listed above)"))
                continue
            entry_errors = list(e.errors)
        if appraisal is not None:
            if appraisal.id in seen_id:
                errs.add(doc.error(p + ("path",), f"{rel}: appraisal id {appraisal.id} is also the id of "
                                                  f"appraisals[#{seen_id[appraisal.id] + 1}]; ids name the "
                                                  "appraisals' runs and random-number streams, so each must be unique"))
                continue
            seen_id[appraisal.id] = i
            if option and option in appraisal.broken_options:
                entry_errors = list(appraisal.broken_options[option])
            elif option and option not in appraisal.options:
                errs.add(doc.error(p + ("option",), f"{option!r} is not an option of {appraisal.id}"
                                                    f"{suggest(option, appraisal.options)}; its options are: "
                                                    f"{', '.join(appraisal.options)}"))
                continue
            elif option and appraisal.options[option].model == "no_change":
                errs.add(doc.error(p + ("option",), f"{option!r} is {appraisal.id}'s no change: count the option "
                                                    "the council chose or proposes (against no change)"))
                continue
        entries.append(PortfolioEntry(folder, rel, option, decision, stage, note, appraisal, None, (),
                                      tuple(entry_errors)))
    return entries


def _shared_list(doc, errs: _Errors) -> list:
    raw = doc.data.get("shared_assumptions")
    if raw is None:
        return list(ECONOMY_DRIVERS)
    if not isinstance(raw, list) or not raw:
        errs.add(doc.error(("shared_assumptions",), f"must be a list of economy drivers ({', '.join(ECONOMY_DRIVERS)}); "
                                                    "leave it out to share them all"))
        return list(ECONOMY_DRIVERS)
    out = []
    for i, d in enumerate(raw):
        if d not in ECONOMY_DRIVERS:
            errs.add(doc.error(("shared_assumptions", i), f"{d!r} is not an economy driver{suggest(str(d), ECONOMY_DRIVERS)}; "
                                                          f"shared assumptions are {', '.join(ECONOMY_DRIVERS)}"))
        elif d in out:
            errs.add(doc.error(("shared_assumptions", i), f"{d} is listed twice"))
        else:
            out.append(d)
    # CPI follows price inflation where an appraisal does not state it: sharing one without the other would
    # let the follower's draw differ between appraisals that share its leader.
    for d in list(out):
        lead = DRIVERS[d].follows
        if lead and lead not in out:
            errs.add(doc.error(("shared_assumptions",), f"{d} follows {lead} where an appraisal does not state it, "
                                                        f"so sharing {d} needs {lead} shared too"))
    return out


def _parse_wins(doc, root: Path, entries, shared, errs: _Errors) -> dict:
    raw = doc.data.get("wins")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errs.add(doc.error(("wins",), "must map a shared driver (or correlations) to {from: <appraisal path>} or "
                                      "{value: ..., source: ...}"))
        return {}
    by_path = {e.path: e for e in entries}
    out: dict = {}
    for d, spec in raw.items():
        p = ("wins", d)
        if d != "correlations" and d not in shared:
            errs.add(doc.error(p, f"{d!r} is not a shared assumption of this portfolio "
                                  f"({', '.join(shared)}, or correlations){suggest(str(d), list(shared) + ['correlations'])}"))
            continue
        if isinstance(spec, dict) and "from" in spec:
            extra = [k for k in spec if k != "from"]
            if extra:
                errs.add(doc.error(p + (extra[0],), "a winner taken from an appraisal takes its whole figure; give "
                                                    "either from: or a stated value, not both"))
            src = spec["from"]
            folder = (root / src).expanduser().resolve() if isinstance(src, str) else None
            if folder not in by_path:
                errs.add(doc.error(p + ("from",), f"{src!r} is not one of the portfolio's appraisals "
                                                  f"({', '.join(e.shown for e in entries)})"))
                continue
            out[d] = ("from", by_path[folder])
            continue
        if d == "correlations":
            out[d] = ("stated", _parse_stated_correlations(doc, spec, shared, errs))
            continue
        if not isinstance(spec, dict) or "value" not in spec:
            errs.add(doc.error(p, "give {from: <appraisal path>} or {value: 3%, source: \"...\"} (optionally with "
                                  "a distribution's fields to keep it uncertain)"))
            continue
        for k in spec:
            if k not in _WIN_FIELDS:
                errs.add(doc.error(p + (k,), f"unknown field{suggest(str(k), _WIN_FIELDS)}; a stated winner has value, "
                                             "source, confidence and optionally distribution with its fields"))
        try:
            value = parse_rate(spec["value"])
        except ValueError as e:
            errs.add(doc.error(p + ("value",), str(e)))
            continue
        dist = None
        if "distribution" in spec:
            dspec = {k: v for k, v in spec.items() if k not in ("value", "source", "confidence")}
            dist, problems = parse_distribution(dspec, "rate", value)
            for f_, msg in problems:
                errs.add(doc.error(p + ((f_,) if f_ else ()), msg))
            if dist is None:
                continue
        source = spec.get("source")
        if not isinstance(source, str) or not source.strip():
            errs.add(doc.error(p + ("source",), "a stated winner needs its source (where the figure comes from)"))
            source = ""
        asm = Assumption(value, source, spec.get("confidence"), file=doc.file, field=f"wins.{d}.value")
        out[d] = ("stated", _Figure(None, value, dist, doc.file, f"wins.{d}", asm))
    return out


def _parse_stated_correlations(doc, spec, shared, errs: _Errors) -> tuple:
    p = ("wins", "correlations")
    if not isinstance(spec, list):
        errs.add(doc.error(p, "give {from: <appraisal path>} or a list of {drivers: [a, b], rank_correlation: r}"))
        return ()
    out = []
    for i, c in enumerate(spec):
        q = p + (i,)
        drivers = c.get("drivers") if isinstance(c, dict) else None
        if not (isinstance(drivers, list) and len(drivers) == 2 and all(d in shared for d in drivers)
                and drivers[0] != drivers[1]):
            errs.add(doc.error(q, f"needs drivers: two different shared drivers ({', '.join(shared)})"))
            continue
        try:
            r = parse_number(c.get("rank_correlation"))
        except (ValueError, TypeError):
            errs.add(doc.error(q + ("rank_correlation",), "needs a rank correlation from -1 to 1"))
            continue
        if not -1.0 <= r <= 1.0:
            errs.add(doc.error(q + ("rank_correlation",), f"must be from -1 to 1, got {r:g}"))
            continue
        out.append((tuple(sorted(drivers)), float(r)))
    names = sorted({d for pair, _ in out for d in pair})
    if len(names) > 1:
        m = np.eye(len(names))
        for (a, b), r in out:
            m[names.index(a), names.index(b)] = m[names.index(b), names.index(a)] = rank_to_pearson(r)
        if nearest_psd_check(m) < -1e-9:
            errs.add(doc.error(p, "these correlations cannot hold together (the matrix is not positive "
                                  "semi-definite); weaken one of them"))
    return tuple(sorted(out))


def _resolve(doc, loaded, shared, wins, errs: _Errors) -> tuple[dict, list]:
    """Check the shared figures agree (or are settled by ``wins``) and put the winning figures in each appraisal."""
    settled = []
    replace: dict[str, _Figure] = {}
    where = ("shared_assumptions",) if "shared_assumptions" in doc.data else ("appraisals",)
    for d in shared:
        figs = [(e, _figure(e.appraisal, d)) for e in loaded]
        keys = {f.key for _, f in figs}
        win = wins.get(d)
        if win is None:
            if len(keys) > 1:
                first_e, first_f = figs[0]
                other = [(e, f) for e, f in figs if f.key != first_f.key]
                parts = [f"{first_f.file} {first_f.field} is {first_f.describe()}"] + [
                    f"{f.file} {f.field} is {f.describe()}" for _, f in other]
                errs.add(doc.error(where,
                                   f"shared assumption {d} disagrees: " + "; ".join(parts)
                                   + f". Make them agree, or say which wins: wins: {{{d}: {{from: {first_e.shown}}}}}"))
            continue
        how, what = win
        fig = _figure(what.appraisal, d) if how == "from" and what.appraisal is not None else what
        if how == "from" and what.appraisal is None:
            errs.add(doc.error(("wins", d, "from"), f"{what.shown} does not load, so its figure cannot win"))
            continue
        replace[d] = fig
        settled.append((d, f"from {what.shown}" if how == "from" else "stated in portfolio.yaml", fig.describe()))
    corr_replace = None
    corr = [(e, _shared_correlations(e.appraisal, shared)) for e in loaded]
    win = wins.get("correlations")
    if win is None:
        if len({c for _, c in corr}) > 1:
            (e0, c0), other = corr[0], [(e, c) for e, c in corr if c != corr[0][1]]
            parts = [f"{_file(e0)} correlations: {_show_correlations(c0)}"] + [
                f"{_file(e)} correlations: {_show_correlations(c)}" for e, c in other]
            errs.add(doc.error(where,
                               "the rank correlations among the shared drivers disagree: " + "; ".join(parts)
                               + f". Make them agree, or say which wins: wins: {{correlations: {{from: {e0.shown}}}}}"))
    else:
        how, what = win
        if how == "from":
            if what.appraisal is None:
                errs.add(doc.error(("wins", "correlations", "from"), f"{what.shown} does not load"))
            else:
                corr_replace = _shared_correlations(what.appraisal, shared)
                settled.append(("correlations", f"from {what.shown}", _show_correlations(corr_replace)))
        else:
            corr_replace = what
            settled.append(("correlations", "stated in portfolio.yaml", _show_correlations(what)))
    out = {}
    for e in loaded:
        a = e.appraisal
        economy, uncertain = dict(a.economy), dict(a.uncertain)
        changed = []
        for d, fig in replace.items():
            own = _figure(a, d)
            if own.key != fig.key:
                changed.append((d, own.describe(), fig.describe()))
            if fig.follows:
                economy.pop(d, None)
            else:
                economy[d] = fig.assumption if fig.assumption is not None else dataclasses.replace(
                    a.economy[d], value=fig.value)
            if fig.dist is None:
                uncertain.pop(d, None)
            else:
                uncertain[d] = fig.dist
        correlations = a.correlations
        if corr_replace is not None:
            own_c = _shared_correlations(a, shared)
            if own_c != corr_replace:
                changed.append(("correlations", _show_correlations(own_c), _show_correlations(corr_replace)))
            correlations = tuple(c for c in a.correlations if not (c[0][0] in shared and c[0][1] in shared)) \
                + tuple(corr_replace)
        res = a if not replace and corr_replace is None else dataclasses.replace(
            a, economy=economy, uncertain=uncertain, correlations=correlations, cache={})
        out[id(e)] = dataclasses.replace(e, resolved=res, changed=tuple(changed))
    return out, settled


def _file(e: PortfolioEntry) -> str:
    return relative_name(e.appraisal.data_dir / "appraisal.yaml", e.appraisal.data_dir)


def _parse_target(doc, years, first: int, ok, errs: _Errors) -> tuple[np.ndarray, str, bool]:
    raw = doc.data.get("savings_target")
    target = np.zeros(len(years))
    if raw is None:
        # The sum of the appraisals' own targets, each in its own years (nominal cash, as its financial case).
        for e in ok:
            a = e.resolved
            off = a.first_year - first
            t = np.where(np.arange(a.period_years) >= a.savings_target_from, a.savings_target_gbp, 0.0)
            target[off:off + a.period_years] += t
        return target, "the sum of the appraisals' own savings targets, year by year", False
    p = ("savings_target",)
    if not isinstance(raw, dict):
        errs.add(doc.error(p, "give {annual_gbp: ..., from_year: 2028-29} or {by_year: {2028-29: ..., ...}}"))
        return target, "", True
    allowed = ("annual_gbp", "from_year", "by_year", "note")
    for k in raw:
        if k not in allowed:
            errs.add(doc.error(p + (k,), f"unknown field{suggest(str(k), allowed)}; the target has {', '.join(allowed)}"))
    note = raw.get("note", "") if isinstance(raw.get("note", ""), str) else ""

    def year_index(value, q):
        try:
            y = parse_fy_label(value)
        except (ValueError, TypeError):
            errs.add(doc.error(q, f"needs a financial year such as 2028-29, got {value!r}"))
            return None
        if not 0 <= y - first < len(years):
            errs.add(doc.error(q, f"{fy_label(y)} is outside the portfolio's years ({years[0]} to {years[-1]})"))
            return None
        return y - first

    def amount(value, q):
        try:
            x = parse_number(value)
        except (ValueError, TypeError) as e:
            errs.add(doc.error(q, f"needs an amount in £ a year (nominal cash), e.g. 550000 ({e})"))
            return None
        if not math.isfinite(x) or x < 0:
            errs.add(doc.error(q, f"must be 0 or more (a saving to find), got {x:g}"))
            return None
        return x

    if "by_year" in raw:
        if "annual_gbp" in raw or "from_year" in raw:
            errs.add(doc.error(p, "give either by_year or annual_gbp with from_year, not both"))
        by = raw["by_year"]
        if not isinstance(by, dict) or not by:
            errs.add(doc.error(p + ("by_year",), "needs a mapping of financial year to £, e.g. {2028-29: 300000}"))
            return target, note, True
        for y, v in by.items():
            i, x = year_index(y, p + ("by_year", y)), amount(v, p + ("by_year", y))
            if i is not None and x is not None:
                target[i] = x
        return target, note, True
    x = amount(raw.get("annual_gbp"), p + ("annual_gbp",))
    i = year_index(raw.get("from_year"), p + ("from_year",))
    if x is not None and i is not None:
        target[i:] = x
    return target, note, True


# --------------------------------------------------------------------------------------------- pure figures
def place_by_year(values, offset: int, n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """An appraisal's figures by its own years placed on the portfolio's years.

    Parameters
    ----------
    values : array_like, shape (..., T)
        By the appraisal's years (year 0 its first).
    offset : int
        Index of the appraisal's first year among the portfolio's years (``first_year_i - first_year``).
    n_years : int
        Length of the portfolio's year axis.

    Returns
    -------
    placed : ndarray, shape (..., n_years)
        The values in their financial years, 0 outside the appraisal's period.
    covered : ndarray of bool, shape (n_years,)
        The years the appraisal covers.

    Examples
    --------
    >>> placed, covered = place_by_year([1.0, 2.0], 1, 4)
    >>> placed.tolist(), covered.tolist()
    ([0.0, 1.0, 2.0, 0.0], [False, True, True, False])
    """
    v = np.asarray(values, dtype=float)
    T = v.shape[-1]
    if offset < 0 or offset + T > n_years:
        raise ValueError(f"years {offset}..{offset + T - 1} fall outside the axis of {n_years} years")
    out = np.zeros(v.shape[:-1] + (n_years,))
    out[..., offset:offset + T] = v
    covered = np.zeros(n_years, dtype=bool)
    covered[offset:offset + T] = True
    return out, covered


def rebase_factor(years_later: int, price_years_later: int, schedule, gdp_deflator, *, reference=None):
    """What restates an appraisal's present value at the portfolio's base year and price base.

    ``F = D(d) / (1 + g)^k``: ``D(d)`` the appraisal's own discount factor ``d`` years on (its first
    year is ``d`` years after the portfolio's), ``k`` the years its price base is after the portfolio's,
    ``g`` its GDP deflator (a scalar, or one per draw).

    References
    ----------
    HM Treasury (2022), *The Green Book*, A6.2 (real prices: remove general inflation, the GDP deflator)
    and A6.3 (discount to a common base year).

    Examples
    --------
    >>> float(rebase_factor(0, 0, "green_book", 0.02))
    1.0
    >>> round(float(rebase_factor(1, 1, "green_book", 0.02)), 6) == round(1 / 1.035 / 1.02, 6)
    True
    """
    d = discount_factors(years_later + 1, schedule, reference=reference)[years_later] if years_later else 1.0
    g = np.asarray(gdp_deflator, dtype=float)
    return d / (1.0 + g) ** price_years_later if price_years_later else np.broadcast_to(np.float64(d), g.shape)


def variance_shares(x) -> np.ndarray:
    """Each component's share of the variance of the total: ``cov(X_i, S) / var(S)``, ``S = sum_i X_i``.

    Parameters
    ----------
    x : array_like, shape (k, draws)
        Each component's draws (e.g. each appraisal's NPSV against no change).

    Returns
    -------
    ndarray, shape (k,)
        Shares that sum to 1 (Euler allocation of variance); NaN when the total does not vary.

    Notes
    -----
    ``var(S) = sum_i cov(X_i, S)``, so the shares add up exactly; a component negatively correlated with
    the rest has a negative share (it hedges the total). Reference: Tasche, D. (1999), *Risk contributions
    and performance measurement*, TU Munchen (Euler allocation).

    Examples
    --------
    >>> variance_shares([[1.0, -1.0, 1.0, -1.0], [2.0, -2.0, 2.0, -2.0]]).round(6).tolist()
    [0.333333, 0.666667]
    """
    x = np.asarray(x, dtype=float)
    s = x.sum(axis=0)
    ds = s - s.mean()
    var = float(np.dot(ds, ds))
    if not var > 0:
        return np.full(x.shape[0], np.nan)
    return (x - x.mean(axis=1, keepdims=True)) @ ds / var


def prob_meets_target(saving, target, years) -> tuple[float | None, np.ndarray]:
    """The chance the combined saving meets the target in every target year, and in each year.

    Parameters
    ----------
    saving : array_like, shape (draws, n_years)
        Combined budget saving against no change by year, nominal.
    target : array_like, shape (n_years,)
        The combined target by year.
    years : sequence of int
        The years tested (indices): a target above 0, every appraisal covering the year.

    Returns
    -------
    all_years : float or None
        Share of draws with ``saving_y >= target_y`` in every tested year (None when no year is tested).
    by_year : ndarray, shape (n_years,)
        Share of draws meeting the target in each year (NaN in years not tested).

    Examples
    --------
    >>> s = [[10.0, 12.0], [10.0, 8.0], [5.0, 12.0], [11.0, 11.0]]
    >>> p, by = prob_meets_target(s, [10.0, 10.0], [0, 1])
    >>> p, by.tolist()
    (0.5, [0.75, 0.75])
    """
    s = np.asarray(saving, dtype=float)
    t = np.asarray(target, dtype=float)
    by = np.full(s.shape[1], np.nan)
    years = list(years)
    if not years:
        return None, by
    meets = s[:, years] >= t[years]
    by[years] = meets.mean(axis=0)
    return float(meets.all(axis=1).mean()), by


def peak_year(costs_by_year, years) -> tuple[str | None, float]:
    """The year of the largest cost (costs negative, as in the model) and its amount (a positive number).

    >>> peak_year([-5.0, -20.0, 0.0], ["2026-27", "2027-28", "2028-29"])
    ('2027-28', 20.0)
    >>> peak_year([0.0, 0.0], ["a", "b"])
    (None, 0.0)
    """
    c = np.asarray(costs_by_year, dtype=float)
    if not c.size or not (c < 0).any():
        return None, 0.0
    i = int(np.argmin(c))
    return list(years)[i], float(-c[i])


# --------------------------------------------------------------------------------------------- Monte Carlo
@dataclass
class PortfolioDraws:
    """The combined Monte Carlo of a portfolio, draws ``[start, stop)``.

    Attributes
    ----------
    appraisals : list of str
        Appraisal ids, in the portfolio's order (the loaded entries).
    npsv_vs_no_change_gbp : ndarray, shape (k, n)
        Each appraisal's NPSV against no change, in its own terms (its first year, its price base).
    council_npv_vs_no_change_gbp : ndarray, shape (k, n)
        Each appraisal's council lens against no change, in its own terms.
    rebase : ndarray, shape (k, n)
        :func:`rebase_factor` per draw: ``rebase * npsv`` is at the portfolio's base.
    saving_nominal_gbp : ndarray, shape (n, len(common window))
        The combined budget saving against no change by year of the common window, nominal.
    """

    seed: int
    start: int
    stop: int
    appraisals: list
    npsv_vs_no_change_gbp: np.ndarray = field(repr=False)
    council_npv_vs_no_change_gbp: np.ndarray = field(repr=False)
    rebase: np.ndarray = field(repr=False)
    saving_nominal_gbp: np.ndarray = field(repr=False)

    ARRAYS = ("npsv_vs_no_change_gbp", "council_npv_vs_no_change_gbp", "rebase", "saving_nominal_gbp")

    @property
    def draws(self) -> int:
        return self.stop - self.start

    @property
    def rebased_npsv_gbp(self) -> np.ndarray:
        """Each appraisal's NPSV against no change at the portfolio's base, shape (k, n)."""
        return self.npsv_vs_no_change_gbp * self.rebase

    @property
    def combined_npsv_gbp(self) -> np.ndarray:
        """The portfolio's NPSV against no change (sum of the rebased NPSVs), shape (n,)."""
        return self.rebased_npsv_gbp.sum(axis=0)


def draw_ranges(draws: int, parts: int) -> list[tuple[int, int]]:
    """Draws ``[0, draws)`` split into at most ``parts`` ranges at multiples of :data:`CHUNK`, so that their
    :func:`combined_monte_carlo` blocks concatenate to exactly the one-pass result.

    >>> draw_ranges(20000, 2), draw_ranges(5000, 4)
    ([(0, 16384), (16384, 20000)], [(0, 5000)])
    """
    chunks = chunk_bounds(0, draws, CHUNK)
    parts = max(1, min(int(parts), len(chunks)))
    per = math.ceil(len(chunks) / parts)
    return [(chunks[i][0], chunks[min(i + per, len(chunks)) - 1][1]) for i in range(0, len(chunks), per)]


def combined_monte_carlo(portfolio: Portfolio, draws: int, seed: int, *, start: int = 0, stop: int | None = None,
                         cache: dict | None = None) -> PortfolioDraws:
    """The portfolio's Monte Carlo with common random numbers across appraisals, draws ``[start, stop)``.

    Parameters
    ----------
    portfolio : Portfolio
    draws : int
        The run's number of draws (``stop`` defaults to it).
    seed : int
    start, stop : int
        The block of draws; blocks from :func:`draw_ranges` concatenate (:func:`merge_draws`) to the
        one-pass result exactly.
    cache : dict, optional
        Kept across blocks: each appraisal's resolved option inputs.

    Returns
    -------
    PortfolioDraws
    """
    stop = draws if stop is None else stop
    a, b = portfolio.common
    n = stop - start
    k = len(portfolio.loaded)
    npsv, council, rebase = np.empty((k, n)), np.empty((k, n)), np.empty((k, n))
    saving = np.zeros((n, b - a + 1))
    for i, e in enumerate(portfolio.loaded):
        r = e.resolved
        blk = monte_carlo_block(r, e.option, e.stage, seed, start, stop, crn_key=portfolio.crn_key,
                                crn_paths=portfolio.shared, cache=cache)
        npsv[i], council[i] = blk.npsv_vs_no_change_gbp, blk.council_npv_vs_no_change_gbp
        g = blk.driver_values.get("gdp_deflator", r.economy["gdp_deflator"].value)
        rebase[i] = _rebase(portfolio, r, g)
        off = portfolio.offset(e)
        saving += blk.saving_nominal_gbp[:, a - off:b - off + 1]
    return PortfolioDraws(seed, start, stop, [e.id for e in portfolio.loaded], npsv, council, rebase, saving)


def _rebase(portfolio: Portfolio, a: Appraisal, gdp):
    schedule = a.discount_flat_rate if a.discount_schedule == "flat" else a.discount_schedule
    return rebase_factor(a.first_year - portfolio.first_year, parse_fy_label(a.price_base) - portfolio.price_base,
                         schedule, gdp, reference=a.reference)


def merge_draws(parts) -> PortfolioDraws:
    """Blocks of draws (in any order) joined into one: they must be consecutive, from the same portfolio and seed."""
    parts = sorted(parts, key=lambda p: p.start)
    for x, y in zip(parts, parts[1:]):
        if x.stop != y.start or x.seed != y.seed or x.appraisals != y.appraisals:
            raise ValueError(f"blocks [{x.start}, {x.stop}) and [{y.start}, {y.stop}) do not follow one another")
    first = parts[0]
    joined = {name: np.concatenate([getattr(p, name) for p in parts], axis=0 if name == "saving_nominal_gbp" else 1)
              for name in PortfolioDraws.ARRAYS}
    return PortfolioDraws(first.seed, first.start, parts[-1].stop, list(first.appraisals), **joined)


def draws_bytes(mc: PortfolioDraws) -> bytes:
    """The draws as a ``.npz`` (numpy's zip of ``.npy`` arrays) with fixed timestamps: the same draws give the
    same bytes, so the file can be hashed in a manifest and checked by verify."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        meta = {"seed": np.array(mc.seed, dtype=np.int64), "start": np.array(mc.start, dtype=np.int64),
                "stop": np.array(mc.stop, dtype=np.int64), "appraisals": np.array(mc.appraisals, dtype=str)}
        for name, arr in {**meta, **{n: getattr(mc, n) for n in PortfolioDraws.ARRAYS}}.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            b = io.BytesIO()
            np.lib.format.write_array(b, np.asarray(arr, order="C"), allow_pickle=False)  # keeps 0-d as 0-d
            z.writestr(info, b.getvalue())
    return buf.getvalue()


def read_draws(path) -> PortfolioDraws:
    """A ``.npz`` written by :func:`draws_bytes` back as :class:`PortfolioDraws`."""
    with np.load(path, allow_pickle=False) as z:
        return PortfolioDraws(int(z["seed"]), int(z["start"]), int(z["stop"]), [str(x) for x in z["appraisals"]],
                              **{n: z[n] for n in PortfolioDraws.ARRAYS})


# --------------------------------------------------------------------------------------------- the figures
@dataclass
class PortfolioFigures:
    """Everything the portfolio report shows.

    Attributes
    ----------
    portfolio : Portfolio
    results : dict
        Appraisal id -> :class:`~asdm_models.appraisal.OptionAppraisal` of its counted option (the
        portfolio's shared assumptions in place).
    rows : dict
        Appraisal id -> its ``summary.csv``-style row (gate included), under the portfolio's assumptions,
        with the portfolio's Monte Carlo.
    saving_by_year, one_off_by_year, capital_by_year : DataFrame
        Nominal cash by the portfolio's financial years, one column per appraisal (NaN outside its period).
    mc : PortfolioDraws or None
        The combined Monte Carlo (None with 0 draws).
    """

    portfolio: Portfolio
    draws: int
    seed: int
    results: dict = field(repr=False)
    rows: dict = field(repr=False)
    saving_by_year: pd.DataFrame = field(repr=False)
    one_off_by_year: pd.DataFrame = field(repr=False)
    capital_by_year: pd.DataFrame = field(repr=False)
    mc: PortfolioDraws | None = field(repr=False, default=None)

    @property
    def combined_saving_gbp(self) -> pd.Series:
        return self.saving_by_year.sum(axis=1, min_count=1)

    @property
    def covered_by(self) -> pd.Series:
        """How many appraisals cover each year."""
        return self.saving_by_year.notna().sum(axis=1)

    @property
    def target_gbp(self) -> pd.Series:
        return pd.Series(self.portfolio.target_nominal_gbp, index=self.portfolio.years)

    @property
    def deterministic_meets_target(self) -> bool | None:
        """Whether the combined saving (deterministic) meets the target in every tested year."""
        ty = self.portfolio.target_years
        if not ty:
            return None
        s = self.combined_saving_gbp.to_numpy()
        return bool((s[ty] >= self.portfolio.target_nominal_gbp[ty]).all())

    @property
    def peak_one_off(self) -> tuple[str | None, float]:
        return peak_year(self.one_off_by_year.sum(axis=1).to_numpy(), self.portfolio.years)

    @property
    def variance_shares(self) -> dict:
        if self.mc is None:
            return {}
        return dict(zip(self.mc.appraisals, variance_shares(self.mc.rebased_npsv_gbp)))

    @property
    def prob_meets_target(self) -> tuple[float | None, np.ndarray]:
        """Over the common window (see :func:`prob_meets_target`); ``by_year`` indexed like the common years."""
        if self.mc is None:
            return None, np.full(len(self.portfolio.common_years), np.nan)
        a, _ = self.portfolio.common
        target = self.portfolio.target_nominal_gbp[a:a + self.mc.saving_nominal_gbp.shape[1]]
        return prob_meets_target(self.mc.saving_nominal_gbp, target, [i - a for i in self.portfolio.target_years])

    def mc_result(self, appraisal_id: str) -> MonteCarloResult | None:
        """One appraisal's draws as a :class:`MonteCarloResult` (for its percentiles and chance of beating no change)."""
        if self.mc is None:
            return None
        i = self.mc.appraisals.index(appraisal_id)
        e = self.portfolio.loaded[i]
        return _mc_result(e, self.mc, i)


def _mc_result(e: PortfolioEntry, mc: PortfolioDraws, i: int) -> MonteCarloResult:
    return MonteCarloResult(e.id, e.option, e.stage, "base", mc.seed, mc.draws, e.resolved.years,
                            npsv_vs_no_change_gbp=mc.npsv_vs_no_change_gbp[i],
                            council_npv_vs_no_change_gbp=mc.council_npv_vs_no_change_gbp[i],
                            npsv_gbp=np.full(mc.draws, np.nan), driver_values={})


def portfolio_figures(portfolio: Portfolio, *, draws: int, seed: int, mc: PortfolioDraws | None = None
                      ) -> PortfolioFigures:
    """The combined figures: each counted option under the portfolio's assumptions, cash by year, the Monte Carlo.

    ``mc`` (e.g. computed in blocks on a cluster, or read back from a run) is used instead of computing the
    Monte Carlo here; it must cover draws ``[0, draws)`` with ``seed``.
    """
    from .appraisal import appraise
    from .business_case import summary_row

    if mc is None and draws:
        mc = combined_monte_carlo(portfolio, draws, seed)
    if mc is not None and (mc.start != 0 or mc.stop != draws or mc.seed != seed
                           or mc.appraisals != [e.id for e in portfolio.loaded]):
        raise ValueError(f"the draws given are [{mc.start}, {mc.stop}) of seed {mc.seed} for {mc.appraisals}, not "
                         f"[0, {draws}) of seed {seed} for this portfolio")
    n = len(portfolio.years)
    results, rows = {}, {}
    saving, one_off, capital = {}, {}, {}
    for i, e in enumerate(portfolio.loaded):
        r = appraise(e.resolved, e.option, e.stage)
        results[e.id] = r
        row, _gate = summary_row(e.resolved, r, _mc_result(e, mc, i) if mc is not None else None)
        rows[e.id] = row
        fc = r.financial_case
        off = portfolio.offset(e)
        for store, line in ((saving, "saving_vs_no_change_nominal_gbp"), (one_off, "one_off_costs_nominal_gbp"),
                            (capital, "capital_spend_nominal_gbp")):
            placed, covered = place_by_year(fc.loc[line].to_numpy(dtype=float), off, n)
            store[e.id] = np.where(covered, placed, np.nan)
    frame = lambda d: pd.DataFrame(d, index=pd.Index(portfolio.years, name="year"))  # noqa: E731
    return PortfolioFigures(portfolio, draws, seed, results, rows, frame(saving), frame(one_off), frame(capital), mc)


PORTFOLIO_COLUMNS = [
    "row", "appraisal", "title", "option", "name", "model", "decision", "stage", "first_year", "last_year",
    "price_base", "npsv_vs_no_change_gbp", "npsv_vs_no_change_at_portfolio_base_gbp", "council_npv_vs_no_change_gbp",
    "payback_year", "peak_funding_gbp", "gate", "p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp",
    "p90_npsv_vs_no_change_gbp", "prob_beats_no_change", "share_of_npsv_variance", "one_off_costs_nominal_gbp",
    "peak_one_off_year", "peak_one_off_nominal_gbp", "savings_target_first_year", "prob_meets_target",
    "mc_draws", "status", "error",
]


def summary_frame(fig: PortfolioFigures, statuses: dict | None = None) -> pd.DataFrame:
    """``portfolio_summary.csv``: one row per appraisal (its counted option) and a ``portfolio`` row (the total).

    ``statuses``: appraisal id -> ``(status, error)`` of its reports in a run (``ok``, or ``failed`` with
    which reports failed); an appraisal not in the combined figures (it did not load) has a row saying so.
    """
    p = fig.portfolio
    statuses = statuses or {}
    shares = fig.variance_shares
    rows = []
    for e in p.entries:
        st, err = statuses.get(e.id, ("ok", None))
        row = {c: None for c in PORTFOLIO_COLUMNS}
        row.update({"row": "appraisal", "appraisal": e.id, "option": e.option, "decision": e.decision,
                    "stage": e.stage, "status": st, "error": err})
        if not e.ok:
            row.update({"status": "failed", "error": err or ("not in the combined figures: " + "; ".join(
                str(x) for x in e.errors[:3]))})
            rows.append(row)
            continue
        a, r, s = e.resolved, fig.results[e.id], fig.rows[e.id]
        f = float(_rebase(p, a, a.economy["gdp_deflator"].value))
        py, pv = peak_year(fig.one_off_by_year[e.id].fillna(0.0).to_numpy(), p.years)
        row.update({
            "title": a.title, "name": r.name, "model": r.model, "first_year": a.years[0], "last_year": a.years[-1],
            "price_base": a.price_base, "npsv_vs_no_change_gbp": r.npsv_vs_no_change_gbp,
            "npsv_vs_no_change_at_portfolio_base_gbp": r.npsv_vs_no_change_gbp * f,
            "council_npv_vs_no_change_gbp": r.council_npv_vs_no_change_gbp, "payback_year": r.payback_year,
            "peak_funding_gbp": r.peak_funding_gbp, "gate": s["gate"],
            "p10_npsv_vs_no_change_gbp": s["p10_npsv_vs_no_change_gbp"],
            "p50_npsv_vs_no_change_gbp": s["p50_npsv_vs_no_change_gbp"],
            "p90_npsv_vs_no_change_gbp": s["p90_npsv_vs_no_change_gbp"], "prob_beats_no_change": s["prob_beats_no_change"],
            "share_of_npsv_variance": float(shares[e.id]) if e.id in shares else None,
            "one_off_costs_nominal_gbp": float(fig.one_off_by_year[e.id].sum()),
            "peak_one_off_year": py, "peak_one_off_nominal_gbp": pv if py else None,
            "savings_target_first_year": a.years[a.savings_target_from] if a.savings_target_gbp > 0 else None,
            "mc_draws": fig.draws if fig.mc is not None else None,
        })
        rows.append(row)
    total = {c: None for c in PORTFOLIO_COLUMNS}
    py, pv = fig.peak_one_off
    prob, _ = fig.prob_meets_target
    ty = p.target_years
    missing = [e.id for e in p.entries if not e.ok or statuses.get(e.id, ("ok",))[0] != "ok"]
    total.update({
        "row": "portfolio", "appraisal": p.id, "title": p.title, "first_year": p.years[0] if p.years else None,
        "last_year": p.years[-1] if p.years else None, "price_base": fy_label(p.price_base) if p.years else None,
        "npsv_vs_no_change_at_portfolio_base_gbp": float(sum(r["npsv_vs_no_change_at_portfolio_base_gbp"]
                                                             for r in rows if r["npsv_vs_no_change_gbp"] is not None)),
        "one_off_costs_nominal_gbp": float(fig.one_off_by_year.sum().sum()),
        "peak_one_off_year": py, "peak_one_off_nominal_gbp": pv if py else None,
        "savings_target_first_year": p.years[ty[0]] if ty else None,
        "prob_meets_target": prob, "mc_draws": fig.draws if fig.mc is not None else None,
        "status": "ok" if not missing else "incomplete",
        "error": None if not missing else "reports missing or failed for: " + ", ".join(missing),
    })
    if fig.mc is not None:
        s = fig.mc.combined_npsv_gbp
        total.update({"p10_npsv_vs_no_change_gbp": float(np.quantile(s, 0.1)),
                      "p50_npsv_vs_no_change_gbp": float(np.quantile(s, 0.5)),
                      "p90_npsv_vs_no_change_gbp": float(np.quantile(s, 0.9)),
                      "prob_beats_no_change": float(np.mean(s > BEATS_TOLERANCE_GBP)),
                      "share_of_npsv_variance": float(sum(shares.values())) if shares else None})
    rows.append(total)
    return pd.DataFrame(rows, columns=PORTFOLIO_COLUMNS)


def by_year_frame(fig: PortfolioFigures) -> pd.DataFrame:
    """``portfolio_by_year.csv``: the combined cash by financial year against the target, with the Monte Carlo.

    Columns: ``year``, ``appraisals_covering``, ``in_common_window``; per appraisal ``saving_<id>_nominal_gbp``
    and ``one_off_<id>_nominal_gbp``; the combined saving, target and shortfall, one-off and capital spend;
    in the common window the P10/P50/P90 of the combined saving and the chance of meeting that year's target.
    """
    p = fig.portfolio
    df = pd.DataFrame({"year": p.years})
    df["appraisals_covering"] = fig.covered_by.to_numpy()
    a, b = p.common
    idx = np.arange(len(p.years))
    df["in_common_window"] = (idx >= a) & (idx <= b)
    for e in p.loaded:
        df[f"saving_{e.id}_nominal_gbp"] = fig.saving_by_year[e.id].to_numpy()
    for e in p.loaded:
        df[f"one_off_{e.id}_nominal_gbp"] = fig.one_off_by_year[e.id].to_numpy()
    combined = fig.combined_saving_gbp.to_numpy()
    target = p.target_nominal_gbp
    df["combined_saving_nominal_gbp"] = combined
    df["combined_target_nominal_gbp"] = target
    df["shortfall_vs_target_nominal_gbp"] = np.where(target > 0, np.maximum(target - combined, 0.0), np.nan)
    df["combined_one_off_nominal_gbp"] = fig.one_off_by_year.sum(axis=1).to_numpy()
    df["combined_capital_nominal_gbp"] = fig.capital_by_year.sum(axis=1).to_numpy()
    for q in ("p10", "p50", "p90"):
        df[f"{q}_combined_saving_nominal_gbp"] = np.nan
    df["prob_meets_target_in_year"] = np.nan
    if fig.mc is not None:
        qs = np.quantile(fig.mc.saving_nominal_gbp, [0.1, 0.5, 0.9], axis=0)
        for j, q in enumerate(("p10", "p50", "p90")):
            df.loc[a:b, f"{q}_combined_saving_nominal_gbp"] = qs[j]
        _, by = fig.prob_meets_target
        df.loc[a:b, "prob_meets_target_in_year"] = by
    return df
