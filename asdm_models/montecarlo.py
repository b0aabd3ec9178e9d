"""Monte Carlo simulation with common random numbers, vectorised over draws.

Randomness
----------
Every uncertain driver gets its own stream of uniforms, seeded from the run's seed, the
appraisal id and the driver's path (``pay_inflation``, ``staff_efficiency_rate``,
``risks.pool_plant_failure``), never from the option or the order of work. So:

* results do not depend on run order, parallelism or which options are run;
* a driver shared by two options (pay inflation, energy prices, the current service's income,
  a risk both options carry) takes the *same* draw in both: "probability this option beats no
  change" compares like with like (common random numbers), and an option identical to no change
  differs from it by exactly 0 in every draw;
* each option turns the shared uniforms into values through its own distribution (inverse CDF),
  so options with different ranges for the same driver stay rank-correlated.

Rank correlations are imposed with a Gaussian copula. Draws are processed in chunks so memory
stays flat whatever the number of draws.

Portfolios (opt-in)
-------------------
:func:`monte_carlo_block` is the engine of a portfolio's combined Monte Carlo
(:mod:`asdm_models.portfolio`). Given ``crn_key`` (the portfolio's key) and ``crn_paths`` (the
shared economy drivers), those drivers' streams are keyed by (seed, ``crn_key``, driver) instead of
the appraisal id, so pay inflation takes the *same* uniform in every appraisal of the portfolio;
every other driver and risk keeps its single-appraisal stream. The copula then orders the shared
drivers first and conditions an appraisal's own correlated drivers on them (a block Cholesky-like
factorisation), so a shared driver's uniforms never depend on which own drivers an appraisal
correlates with it. Draws ``[start, stop)`` are a slice of the same streams (the generator is
advanced, not re-run), evaluated in chunks at absolute multiples of :data:`CHUNK`: a split of the
draws at multiples of :data:`CHUNK` (across processes or a Dask cluster) gives exactly the numbers
of one pass. The default keying, and so every single-appraisal result, is unchanged.

References
----------
Glasserman, P. (2003), *Monte Carlo Methods in Financial Engineering*, §4.2 (common random numbers).
HM Treasury (2022), *The Green Book*, A5 (uncertainty: Monte Carlo and switching values).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .appraisal import OptionInputs, build_inputs, propagate_inherited
from .cashflows import evaluate
from .discounting import to_nominal
from .distributions import rank_to_pearson
from .flows import pv_many

__all__ = ["monte_carlo", "monte_carlo_all", "MonteCarloResult", "driver_uniforms", "as_generator", "BEATS_TOLERANCE_GBP",
           "monte_carlo_block", "DrawBlock", "chunk_bounds", "CHUNK"]

BEATS_TOLERANCE_GBP = 0.01
CHUNK = 8192  # draws per chunk: (chunk x years) arrays stay in cache; memory does not grow with draws


def _key_words(*parts: str) -> list[int]:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


def as_generator(seed, *key: str) -> np.random.Generator:
    """The one place randomness is made: a Generator from an int seed and a key (appraisal, driver).

    A ``numpy.random.Generator`` passed as ``seed`` is used as it is (for callers that manage their own).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=_key_words(*key)))


def driver_uniforms(seed, appraisal_id: str, path: str, draws: int, width: int = 1, *, start: int = 0) -> np.ndarray:
    """Uniforms in (0, 1) for one driver: shape ``(draws,)`` (or ``(draws, width)``), the same in every option.

    ``start`` skips that many draws of the stream: the result is rows ``start .. start + draws`` of
    the stream from its beginning, exactly (``random()`` takes one 64-bit output per number, so the
    generator is advanced by ``start * width`` outputs instead of drawing them). ``appraisal_id`` is
    the stream's key: an appraisal's id, or a portfolio's key for its shared drivers.
    """
    g = as_generator(seed, appraisal_id, path)
    if start:
        if isinstance(seed, np.random.Generator):
            raise ValueError("start needs an integer seed (a caller's Generator cannot be rewound)")
        g.bit_generator.advance(int(start) * width)
    u = g.random((draws, width)) if width > 1 else g.random(draws)
    # random() is in [0, 1); the inverse CDFs of unbounded distributions need (0, 1).
    return np.clip(u, 1e-12, 1.0 - 1e-12)


@dataclass
class MonteCarloResult:
    """Distribution of one option's results against no change.

    Attributes
    ----------
    npsv_vs_no_change_gbp : ndarray, shape (draws,)
        Economic case (NPSV) vs no change, one value per draw.
    council_npv_vs_no_change_gbp : ndarray, shape (draws,)
        Council lens vs no change, real and discounted.
    npsv_gbp : ndarray, shape (draws,)
    driver_values : dict
        The drawn value of each uncertain driver, shape (draws,).
    """

    appraisal_id: str
    option: str
    stage: str
    scenario: str
    seed: object
    draws: int
    years: list
    npsv_vs_no_change_gbp: np.ndarray = field(repr=False)
    council_npv_vs_no_change_gbp: np.ndarray = field(repr=False)
    npsv_gbp: np.ndarray = field(repr=False)
    driver_values: dict = field(repr=False)
    labels: dict = field(repr=False, default_factory=dict)
    _by_year: object = field(repr=False, default=None)
    _by_year_cache: object = field(repr=False, default=None)

    @property
    def discounted_vs_no_change_by_year_gbp(self) -> np.ndarray:
        """Discounted economic net flow vs no change by year, shape (draws, years); rows sum to
        ``npsv_vs_no_change_gbp``. Built on first use (it re-runs the draws keeping every year)."""
        if self._by_year_cache is None:
            self._by_year_cache = self._by_year()
        return self._by_year_cache

    def _q(self, x, q):
        return float(np.quantile(x, q))

    @property
    def p10(self) -> float:
        return self._q(self.npsv_vs_no_change_gbp, 0.10)

    @property
    def p50(self) -> float:
        return self._q(self.npsv_vs_no_change_gbp, 0.50)

    @property
    def p90(self) -> float:
        return self._q(self.npsv_vs_no_change_gbp, 0.90)

    @property
    def mean(self) -> float:
        return float(np.mean(self.npsv_vs_no_change_gbp))

    @property
    def standard_error(self) -> float:
        """Standard error of the mean: sample standard deviation / sqrt(draws)."""
        x = self.npsv_vs_no_change_gbp
        return float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")

    @property
    def prob_beats_no_change(self) -> float:
        """Share of draws in which the option's NPSV beats no change's by more than a penny.

        Differences below a penny are floating-point rounding between two routes to the same figure
        (e.g. an option that restates no change), not value.
        """
        return float(np.mean(self.npsv_vs_no_change_gbp > BEATS_TOLERANCE_GBP))

    def summary(self) -> dict:
        """The percentiles and probability as the columns of ``summary.csv``."""
        c = self.council_npv_vs_no_change_gbp
        return {
            "p10_npsv_vs_no_change_gbp": self.p10,
            "p50_npsv_vs_no_change_gbp": self.p50,
            "p90_npsv_vs_no_change_gbp": self.p90,
            "mean_npsv_vs_no_change_gbp": self.mean,
            "se_mean_npsv_vs_no_change_gbp": self.standard_error,
            "prob_beats_no_change": self.prob_beats_no_change,
            "p10_council_npv_vs_no_change_gbp": self._q(c, 0.10),
            "p50_council_npv_vs_no_change_gbp": self._q(c, 0.50),
            "p90_council_npv_vs_no_change_gbp": self._q(c, 0.90),
            "mc_draws": self.draws,
        }

    def quantiles(self, qs=(0.1, 0.5, 0.9)) -> pd.DataFrame:
        """Tidy frame of NPSV and council-lens percentiles."""
        rows = []
        for q in qs:
            rows.append({"quantile": q, "npsv_vs_no_change_gbp": self._q(self.npsv_vs_no_change_gbp, q),
                         "council_npv_vs_no_change_gbp": self._q(self.council_npv_vs_no_change_gbp, q)})
        return pd.DataFrame(rows)

    def fan(self, qs=(0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        """Per-year quantiles of the cumulative discounted NPSV vs no change (for a fan chart)."""
        q = np.quantile(np.cumsum(self.discounted_vs_no_change_by_year_gbp, axis=1), qs, axis=0)
        df = pd.DataFrame(q.T, index=self.years, columns=[f"p{round(x * 100)}" for x in qs])
        df.index.name = "year"
        return df

    def contributions(self) -> pd.DataFrame:
        """Which drivers drive the spread: Spearman rank correlation of each driver with NPSV vs no change.

        ``share`` is the squared correlation normalised to sum to 1 (a common, approximate
        contribution-to-variance measure for monotone models).
        """
        y = _ranks(self.npsv_vs_no_change_gbp)
        rows = []
        for path, x in self.driver_values.items():
            xr = _ranks(np.asarray(x, dtype=float))
            rho = float(np.corrcoef(xr, y)[0, 1]) if np.std(xr) > 0 and np.std(y) > 0 else 0.0
            rows.append({"driver": path, "label": self.labels.get(path, path), "rank_correlation": rho})
        df = pd.DataFrame(rows, columns=["driver", "label", "rank_correlation"])
        if df.empty:
            df["share"] = []
            return df
        sq = df["rank_correlation"] ** 2
        df["share"] = sq / sq.sum() if sq.sum() > 0 else 0.0
        return df.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)

    def histogram(self, bins: int = 60) -> pd.DataFrame:
        counts, edges = np.histogram(self.npsv_vs_no_change_gbp, bins=bins)
        return pd.DataFrame({"from_gbp": edges[:-1], "to_gbp": edges[1:], "draws": counts})


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    r = np.empty(x.size, dtype=float)
    r[order] = np.arange(x.size)
    return r


def _correlated(uniforms: dict, correlations, appraisal_id: str) -> dict:
    """Impose rank correlations on the drivers that have them (Gaussian copula)."""
    names = []
    for (a, b), _r in correlations:
        for d in (a, b):
            p = d if d in uniforms else f"current_service.{d}" if f"current_service.{d}" in uniforms else None
            if p is not None and p not in names:
                names.append(p)
    if len(names) < 2:
        return uniforms
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for (a, b), r in correlations:
        pa = a if a in idx else f"current_service.{a}"
        pb = b if b in idx else f"current_service.{b}"
        if pa in idx and pb in idx:
            m[idx[pa], idx[pb]] = m[idx[pb], idx[pa]] = rank_to_pearson(r)
    w, vecs = np.linalg.eigh(m)
    root = vecs * np.sqrt(np.clip(w, 0.0, None))  # m = root @ root.T, also when m is only semi-definite
    z = special.ndtri(np.stack([uniforms[n] for n in names], axis=1))
    zc = z @ root.T
    out = dict(uniforms)
    for n, i in idx.items():
        out[n] = np.clip(special.ndtr(zc[:, i]), 1e-12, 1.0 - 1e-12)
    return out


def _psd_root(m: np.ndarray) -> np.ndarray:
    """``R`` with ``R @ R.T == m`` for a symmetric positive semi-definite ``m`` (eigen-decomposition)."""
    w, vecs = np.linalg.eigh(m)
    return vecs * np.sqrt(np.clip(w, 0.0, None))


def _combine_columns(weights: np.ndarray, columns: list) -> np.ndarray:
    """``sum_j weights[j] * columns[j]``, elementwise in a fixed order: each draw's value depends only on that
    draw (a matrix product's rounding may depend on how many rows it is given), so any slice of the draws
    gives the same numbers as the whole."""
    out = np.zeros_like(columns[0])
    for w, c in zip(weights, columns):
        if w != 0.0:
            out = out + w * c
    return out


def _correlated_crn(uniforms: dict, correlations, shared_paths) -> dict:
    """The Gaussian copula with the shared (portfolio) drivers first: their correlated uniforms depend only on
    the correlations among themselves, the same in every appraisal of a portfolio.

    Notes
    -----
    With normal scores ``z = Phi^-1(u)`` and the copula's correlation matrix ``M`` (Pearson, from the rank
    correlations: ``2 sin(pi rho / 6)``) over shared drivers ``S`` and an appraisal's own drivers ``O``:

    * shared: ``y_S = R_SS z_S`` with ``R_SS R_SS' = M_SS`` (only shared drivers in a shared-shared pair;
      the others keep their uniforms untouched);
    * own: ``y_O = B y_S + R_C z_O`` with ``B = M_OS M_SS^+`` and ``R_C R_C' = M_OO - B M_SO`` (the
      conditional distribution of a Gaussian vector), so ``corr(y) = M``.

    Each draw is computed on its own (no matrix products over draws), so a slice of the draws is exact.
    """
    def name(d):
        return d if d in uniforms else f"current_service.{d}" if f"current_service.{d}" in uniforms else None

    pairs = [(name(a), name(b), float(rank_to_pearson(r))) for (a, b), r in correlations]
    pairs = [(a, b, r) for a, b, r in pairs if a is not None and b is not None]
    if not pairs:
        return uniforms
    names = sorted({n for a, b, _ in pairs for n in (a, b)})
    shared = [n for n in names if n in shared_paths]
    own = [n for n in names if n not in shared_paths]
    order = shared + own
    idx = {n: i for i, n in enumerate(order)}
    m = np.eye(len(order))
    for a, b, r in pairs:
        m[idx[a], idx[b]] = m[idx[b], idx[a]] = r
    z = {n: special.ndtri(uniforms[n]) for n in names}
    out = dict(uniforms)
    y = {n: z[n] for n in shared}
    linked = [n for n in shared if any(a in shared_paths and b in shared_paths and n in (a, b) for a, b, _ in pairs)]
    if linked:
        li = [idx[n] for n in linked]
        root = _psd_root(m[np.ix_(li, li)])
        cols = [z[n] for n in linked]
        for i, n in enumerate(linked):
            y[n] = _combine_columns(root[i], cols)
            out[n] = np.clip(special.ndtr(y[n]), 1e-12, 1.0 - 1e-12)
    if own:
        si, oi = [idx[n] for n in shared], [idx[n] for n in own]
        m_os = m[np.ix_(oi, si)]
        b = m_os @ np.linalg.pinv(m[np.ix_(si, si)]) if si else np.zeros((len(oi), 0))
        root_c = _psd_root(m[np.ix_(oi, oi)] - b @ m_os.T)
        ys, zo = [y[n] for n in shared], [z[n] for n in own]
        for i, n in enumerate(own):
            yo = _combine_columns(root_c[i], zo)
            if si:
                yo = yo + _combine_columns(b[i], ys)
            out[n] = np.clip(special.ndtr(yo), 1e-12, 1.0 - 1e-12)
    return out


class _Sampler:
    """Uniforms and driver values for one appraisal, seed and draw count, shared across options."""

    def __init__(self, appraisal, seed, draws: int, *, start: int = 0, crn_key: str | None = None,
                 crn_paths=frozenset()):
        self.appraisal = appraisal
        self.seed = seed
        self.draws = draws
        self.start = start  # draws [start, start + draws) of every stream (portfolio blocks)
        self.crn_key = crn_key  # a portfolio's key: the streams of crn_paths are keyed by it, not the appraisal
        self.crn_paths = frozenset(crn_paths)
        self._u: dict[str, np.ndarray] = {}
        self._values: dict = {}
        self._correlated: dict | None = None

    def _raw(self, path: str, width: int = 1) -> np.ndarray:
        if path not in self._u:
            key = self.crn_key if self.crn_key is not None and path in self.crn_paths else self.appraisal.id
            self._u[path] = driver_uniforms(self.seed, key, path, self.draws, width, start=self.start)
        return self._u[path]

    def uniforms(self, paths, risk_ids) -> tuple[dict, dict]:
        """Uniforms of the given drivers (rank-correlated where the appraisal says) and of the risks."""
        if self._correlated is None:
            # Every driver named in a correlation, whichever option has it: the copula is applied once,
            # so a correlated driver's uniforms are the same in every option.
            named = {d for (pair, _r) in self.appraisal.correlations for d in pair}
            known = set(self.appraisal.uncertain) | {p for o in self.appraisal.options.values()
                                                     for p in list(o.uncertain) + list(o.fbc_uncertain)}
            paths_c = sorted(p for p in known if p in named or p.removeprefix("current_service.") in named)
            raw = {p: self._raw(p) for p in paths_c}
            self._correlated = (_correlated(raw, self.appraisal.correlations, self.appraisal.id)
                                if self.crn_key is None else _correlated_crn(raw, self.appraisal.correlations,
                                                                             self.crn_paths))
        u = {p: self._correlated[p] if p in self._correlated else self._raw(p) for p in paths}
        return u, {r: self._raw(f"risks.{r}", 3) for r in risk_ids}

    def values(self, path: str, dist, u: np.ndarray) -> np.ndarray:
        """``dist.ppf(u)``, computed once per (driver, distribution) and shared by the options that agree."""
        key = (path, dist.name, tuple(sorted(dist.params.items())))
        if key not in self._values:
            self._values[key] = dist.ppf(u)
        return self._values[key]


def _draw_values(inp: OptionInputs, sampler: "_Sampler") -> tuple[dict, dict]:
    """Drawn driver values (full length) and risk uniforms for one option.

    A degenerate distribution (no spread) is a constant: it is not sampled, so the result is the
    deterministic one exactly.
    """
    u, ru = sampler.uniforms([p for p, d in inp.distributions.items() if d.low != d.high],
                             [r.id for r in inp.spec.risks])
    drawn = {}
    for p, d in inp.distributions.items():
        drawn[p] = inp.values[p] if d.low == d.high else sampler.values(p, d, u[p])
    return drawn, ru


def _realise_risks(inp: OptionInputs, values: dict, risk_u: dict, sl: slice, shared: dict | None = None) -> dict:
    """Each risk's (occurs, impact, year) in every draw of the chunk, from its own uniforms.

    A risk two options both carry with the same figures is realised once (``shared``): common random
    numbers make it the same draw in both.
    """
    out = {}
    for r in inp.spec.risks:
        k = f"risks.{r.id}."
        p = values[k + "probability"]
        lo, ml, hi = values[k + "impact_low_gbp"], values[k + "impact_most_likely_gbp"], values[k + "impact_high_gbp"]
        key = ("risk", r.id, sl.start, sl.stop, r.from_year, r.to_year, p, lo, ml, hi) if all(
            np.ndim(x) == 0 for x in (p, lo, ml, hi)) else None
        if shared is not None and key is not None and key in shared:
            out[r.id] = shared[key]
            continue
        u = risk_u[r.id][sl]
        occurs = (u[:, 0] < p).astype(float)
        lo, ml, hi = (np.broadcast_to(np.asarray(x, dtype=float), u[:, 1].shape) for x in (lo, ml, hi))
        span = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            fc = np.where(span > 0, (ml - lo) / np.where(span > 0, span, 1.0), 0.0)
            impact = np.where(u[:, 1] < fc, lo + np.sqrt(u[:, 1] * span * (ml - lo)),
                              hi - np.sqrt((1.0 - u[:, 1]) * span * (hi - ml)))
        impact = np.where(span > 0, impact, lo)
        n_window = r.to_year - r.from_year + 1
        year = r.from_year + np.minimum(np.floor(u[:, 2] * n_window), n_window - 1)
        out[r.id] = (occurs, impact, year)
        if shared is not None and key is not None:
            shared[key] = out[r.id]
    return out


def _evaluate_chunks(inp: OptionInputs, drawn: dict, risk_u: dict, draws: int, chunk: int, by_year: bool = False,
                     shared: dict | None = None):
    """Present values (and optionally the economic flow by year) for every draw, chunk by chunk.

    ``shared`` (a dict living for one run) lets options reuse what their common random numbers make
    identical: the inflation indices of a chunk and the realised risks they share.
    Returns ``(npsv, council npv, economic by year or None)``.
    """
    ids = {p: id(arr) for p, arr in drawn.items() if isinstance(arr, np.ndarray)}
    f = inp.factors
    npsv = np.empty(draws)
    council = np.empty(draws)
    econ_by_year = np.empty((draws, inp.spec.n_years)) if by_year else None
    for start in range(0, draws, chunk):
        sl = slice(start, min(start + chunk, draws))
        v = dict(inp.values)
        for p, arr in drawn.items():
            v[p] = arr[sl] if isinstance(arr, np.ndarray) else arr
        propagate_inherited(v, inp.inherited)
        ev = evaluate(inp.spec, v, risk_draws=_realise_risks(inp, v, risk_u, sl, shared),
                      shared=None if shared is None else (shared, (sl.start, sl.stop), ids))
        pv = ev.pv(f)
        npsv[sl] = pv["economic"]
        council[sl] = pv["council"]
        if by_year:
            econ_by_year[sl] = ev.economic
    return npsv, council, econ_by_year


def monte_carlo(appraisal, option, stage: str = "obc", draws: int = 10_000, seed=20261125, *, scenario=None,
                overrides: dict | None = None, chunk: int = CHUNK, _cache: dict | None = None) -> MonteCarloResult:
    """Monte Carlo simulation of one option against no change.

    Parameters
    ----------
    appraisal : Appraisal
    option : str
        Option id.
    stage : {"obc", "fbc"}
    draws : int
        Number of draws.
    seed : int or numpy.random.Generator
        The run's seed. Each driver's stream is derived from (seed, appraisal id, driver path).
    scenario : str, optional
        Drivers a scenario sets are fixed at the scenario's value (not drawn).
    overrides : dict, optional
        As in :func:`appraise`: fixed values (not drawn); economy and ``current_service.*`` paths apply to
        no change too.
    chunk : int
        Draws evaluated at once (memory control only: results do not depend on it).

    Returns
    -------
    MonteCarloResult
        ``npsv_vs_no_change_gbp`` has one value per draw; ``p10``, ``p50``, ``p90`` and
        ``prob_beats_no_change`` summarise it.

    Examples
    --------
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> mc = monte_carlo(a, "no_change", "obc", draws=1000, seed=1)
    >>> float(mc.npsv_vs_no_change_gbp.max()), mc.prob_beats_no_change
    (0.0, 0.0)
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a positive whole number, got {draws!r}")
    if isinstance(seed, np.random.Generator):
        # A caller-managed generator: derive one integer seed from it so every driver stream stays keyed.
        seed = int(seed.integers(0, 2**63 - 1))
    cache = _cache if _cache is not None else {}
    sampler = cache.setdefault(("sampler", seed, draws), _Sampler(appraisal, seed, draws))
    # What options can share within this run: keyed by the identity of the sampler's arrays, which live as long.
    shared_store = cache.setdefault(("shared", seed, draws, tuple(sorted((overrides or {}).items()))), {})
    from .scenarios import is_shared_path

    overrides = dict(overrides or {})
    shared = {k: x for k, x in overrides.items() if is_shared_path(k)}
    inp = build_inputs(appraisal, option, stage, scenario, overrides)
    nc = build_inputs(appraisal, appraisal.no_change, stage, scenario, shared)
    nc_key = ("no_change", stage, inp.scenario, seed, draws, tuple(sorted(shared.items())))
    if nc_key not in cache:
        nc_drawn, nc_ru = _draw_values(nc, sampler)
        cache[nc_key] = (nc_drawn, nc_ru, _evaluate_chunks(nc, nc_drawn, nc_ru, draws, chunk, shared=shared_store))
    nc_drawn, nc_ru, (nc_npsv, nc_council, _) = cache[nc_key]
    drawn, ru = _draw_values(inp, sampler)
    if inp.option.model == "no_change":
        npsv, council = nc_npsv, nc_council
    else:
        npsv, council, _ = _evaluate_chunks(inp, drawn, ru, draws, chunk, shared=shared_store)

    def by_year() -> np.ndarray:
        # Built on request only (fan charts): the per-year flows of every draw, option minus no change.
        econ = _evaluate_chunks(inp, drawn, ru, draws, chunk, by_year=True)[2]
        econ_nc = _evaluate_chunks(nc, nc_drawn, nc_ru, draws, chunk, by_year=True)[2]
        return (econ - econ_nc) * inp.factors

    from .sensitivity import driver_label

    labels = {p: driver_label(p, inp.option) for p in drawn}
    return MonteCarloResult(
        appraisal_id=appraisal.id, option=inp.option.id, stage=stage, scenario=inp.scenario, seed=seed, draws=draws,
        years=appraisal.years, npsv_vs_no_change_gbp=npsv - nc_npsv,
        council_npv_vs_no_change_gbp=council - nc_council, npsv_gbp=npsv,
        driver_values={p: np.broadcast_to(x, (draws,)) for p, x in drawn.items()}, labels=labels, _by_year=by_year,
    )


def monte_carlo_all(appraisal, stage: str = "obc", draws: int = 10_000, seed=20261125, *, scenario=None,
                    options=None, chunk: int = CHUNK) -> dict:
    """Monte Carlo for every option (no change evaluated once and shared). Returns ``{option id: result}``."""
    cache: dict = {}
    return {o: monte_carlo(appraisal, o, stage, draws, seed, scenario=scenario, chunk=chunk, _cache=cache)
            for o in (options or list(appraisal.options))}



def chunk_bounds(start: int, stop: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """Draws ``[start, stop)`` cut at the absolute multiples of ``chunk``: the evaluation chunks of
    :func:`monte_carlo_block`, the same whichever way the draws were split between callers.

    >>> chunk_bounds(0, 20000), chunk_bounds(8192, 20000)
    ([(0, 8192), (8192, 16384), (16384, 20000)], [(8192, 16384), (16384, 20000)])
    """
    edges = [start] + list(range((start // chunk + 1) * chunk, stop, chunk)) + [stop]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


@dataclass
class DrawBlock:
    """One option's Monte Carlo against no change for draws ``[start, stop)`` (a portfolio's building block).

    Attributes
    ----------
    npsv_vs_no_change_gbp, council_npv_vs_no_change_gbp : ndarray, shape (n,)
        As in :class:`MonteCarloResult`, for the block's ``n = stop - start`` draws; real, discounted to the
        appraisal's first year at its price base. Summed from the flows by year (``sum_t x_t f_t`` per draw),
        so they equal :func:`monte_carlo`'s to rounding (1e-9 relative), not bit for bit.
    saving_nominal_gbp : ndarray, shape (n, years)
        The council's budget saving against no change by year, nominal cash: the option's council-lens flow
        minus no change's, each turned nominal by the draw's GDP deflator (``x_t (1 + g)^t``), as the
        financial case (``saving_vs_no_change_nominal_gbp``) states it.
    driver_values : dict
        Drawn value of each uncertain driver, shape (n,).
    uniforms : dict
        The uniforms each uncertain driver's value came from (after the copula), shape (n,).
    """

    appraisal_id: str
    option: str
    stage: str
    start: int
    stop: int
    npsv_vs_no_change_gbp: np.ndarray = field(repr=False)
    council_npv_vs_no_change_gbp: np.ndarray = field(repr=False)
    saving_nominal_gbp: np.ndarray = field(repr=False)
    driver_values: dict = field(repr=False)
    uniforms: dict = field(repr=False)


def _evaluate_block(inp: OptionInputs, drawn: dict, risk_u: dict, sl: slice, shared: dict):
    """One chunk ``sl`` of a block's draws: the option's Evaluation and its driver values."""
    v = dict(inp.values)
    for p, arr in drawn.items():
        v[p] = arr[sl] if isinstance(arr, np.ndarray) else arr
    propagate_inherited(v, inp.inherited)
    ids = {p: id(arr) for p, arr in drawn.items() if isinstance(arr, np.ndarray)}
    ev = evaluate(inp.spec, v, risk_draws=_realise_risks(inp, v, risk_u, sl, shared),
                  shared=(shared, (sl.start, sl.stop), ids))
    return ev, v


def monte_carlo_block(appraisal, option, stage: str, seed: int, start: int, stop: int, *, crn_key: str | None = None,
                      crn_paths=(), cache: dict | None = None) -> DrawBlock:
    """Draws ``[start, stop)`` of one option's Monte Carlo against no change, with optional portfolio keying.

    Parameters
    ----------
    appraisal : Appraisal
    option : str
    stage : {"obc", "fbc"}
    seed : int
        The run's seed (an integer: a block is a slice of streams that start from it).
    start, stop : int
        The draws, ``0 <= start < stop``. Evaluated in chunks at absolute multiples of :data:`CHUNK`
        (:func:`chunk_bounds`), so blocks split at multiples of :data:`CHUNK` concatenate to exactly the
        one-pass result.
    crn_key : str, optional
        A portfolio's key. With it, the drivers in ``crn_paths`` are drawn from streams keyed by
        (seed, ``crn_key``, driver): the same uniforms in every appraisal that shares them (common random
        numbers across appraisals); the copula orders them first (:func:`_correlated_crn`). Without it
        every stream is keyed by the appraisal id as in :func:`monte_carlo`.
    crn_paths : iterable of str
        The shared drivers (economy driver names).
    cache : dict, optional
        Kept by the caller across blocks of the same appraisal: the options' resolved inputs.

    Returns
    -------
    DrawBlock

    Examples
    --------
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> whole = monte_carlo_block(a, "trading_company", "obc", 1, 0, 9000, crn_key="p", crn_paths=["pay_inflation"])
    >>> tail = monte_carlo_block(a, "trading_company", "obc", 1, 8192, 9000, crn_key="p", crn_paths=["pay_inflation"])
    >>> bool((whole.npsv_vs_no_change_gbp[8192:] == tail.npsv_vs_no_change_gbp).all())
    True
    """
    for name_, x in (("seed", seed), ("start", start), ("stop", stop)):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
            raise ValueError(f"{name_} must be a non-negative whole number, got {x!r}")
    if stop <= start:
        raise ValueError(f"stop ({stop}) must be greater than start ({start})")
    cache = {} if cache is None else cache
    key = ("inputs", appraisal.id, option, stage)
    if key not in cache:
        cache[key] = (build_inputs(appraisal, option, stage), build_inputs(appraisal, appraisal.no_change, stage))
    inp, nc = cache[key]
    n_all, T = stop - start, inp.spec.n_years
    # Uniforms and values for the whole block at once (their cost is mostly per call: a PERT's table), every
    # step elementwise per draw; then evaluation chunk by chunk at absolute multiples of CHUNK.
    sampler = _Sampler(appraisal, seed, n_all, start=start, crn_key=crn_key, crn_paths=crn_paths)
    nc_drawn, nc_ru = _draw_values(nc, sampler)
    drawn, ru = _draw_values(inp, sampler)
    same = inp.option.model == "no_change"
    npsv_vs, council = np.zeros(n_all), np.zeros(n_all)
    saving = np.zeros((n_all, T))
    f = inp.factors
    for a, b in chunk_bounds(start, stop):
        if same:
            break  # no change against itself: 0 in every draw
        sl = slice(a - start, b - start)
        n = b - a
        shared: dict = {}  # what the option and no change share within this chunk (indices, realised risks)
        ev_nc, v_nc = _evaluate_block(nc, nc_drawn, nc_ru, sl, shared)
        ev, v = _evaluate_block(inp, drawn, ru, sl, shared)
        # The differences as one flow each: terms both share (the current service before go-live) cancel before
        # they meet the draws. PVs summed per draw (no product over draws: a slice gives the same numbers).
        d_econ = ev.flows["economic"] - ev_nc.flows["economic"]
        d_council = ev.flows["council"] - ev_nc.flows["council"]
        # Present values without the (draws x years) economic flow: coefficients meet the discount factors first.
        pv_econ, pv_council = pv_many([d_econ, d_council], f)
        npsv_vs[sl], council[sl] = np.broadcast_to(pv_econ, (n,)), np.broadcast_to(pv_council, (n,))
        real = np.broadcast_to(d_council.values(), (n, T))  # by year: the budget saving needs it
        g, g_nc = v["gdp_deflator"], v_nc["gdp_deflator"]
        if np.array_equal(g, g_nc):
            saving[sl] = to_nominal(real, g)
        else:  # a scenario could set the option's deflator alone: each side at its own
            saving[sl] = (to_nominal(np.broadcast_to(ev.flows["council"].values(), (n, T)), g)
                          - to_nominal(np.broadcast_to(ev_nc.flows["council"].values(), (n, T)), g_nc))
    u, _ = sampler.uniforms([p for p, x in drawn.items() if isinstance(x, np.ndarray)], [])
    values = {p: np.broadcast_to(x, (n_all,)) for p, x in drawn.items()}
    return DrawBlock(appraisal.id, inp.option.id, stage, start, stop, npsv_vs_no_change_gbp=npsv_vs,
                     council_npv_vs_no_change_gbp=council,
                     saving_nominal_gbp=saving, driver_values=values, uniforms=u)
