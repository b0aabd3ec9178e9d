"""Indexation, growth, ramps and timing: the shapes by year that every line is built from.

Every function here is a pure formula over numpy arrays. ``t`` is the year index ``0..T-1``
(shape ``(T,)``); per-case values (Monte Carlo draws, tornado cases) are columns of shape
``(cases, 1)``, so results broadcast to ``(T,)`` or ``(cases, T)``.

The model is in real terms at the price base: a nominal annual rate ``r`` becomes a real index
``((1 + r) / (1 + g)) ** t`` with ``g`` the GDP deflator (HM Treasury, *The Green Book* (2022),
A6.2-A6.4: convert nominal to real with the GDP deflator; relative price effects are shown
explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IndexSpec", "index_rate", "real_index", "growth_from_go_live", "compound_from", "ramp", "from_year", "in_years",
           "in_year", "go_live_masks"]


@dataclass(frozen=True)
class IndexSpec:
    """What a line is indexed to: a basket of ``(index, weight)`` (weights add to 1), an optional cap and collar
    on the basket's nominal annual rate. Index names are the keys of :data:`asdm_models.catalogue.INDICES`."""

    basket: tuple = (("gdp_deflator", 1.0),)
    cap: float | None = None
    collar: float | None = None

    @property
    def is_constant(self) -> bool:
        return self.basket == (("gdp_deflator", 1.0),) and self.cap is None and self.collar is None

    def describe(self) -> str:
        parts = [n if w == 1.0 else f"{w:.0%} {n}" for n, w in self.basket]
        s = " + ".join(p.replace("gdp_deflator", "GDP deflator").replace("none", "fixed in cash") for p in parts)
        if self.cap is not None:
            s += f", cap {self.cap:.2%}"
        if self.collar is not None:
            s += f", collar {self.collar:.2%}"
        return s


def index_rate(rates, weights=None, cap=None, collar=None):
    """The nominal annual rate of an index or a weighted basket of indices, capped and collared.

    Parameters
    ----------
    rates : sequence of float or array, each of shape () or (cases, 1)
        Nominal annual rates of the indices in the basket (e.g. pay 3%, CPI 2%).
    weights : sequence of float, optional
        Weight of each index; they add to 1. Default: a single index (weight 1).
    cap, collar : float, optional
        Largest and smallest annual rate applied, as contracts state them (e.g. CPI capped at 3%,
        collared at 0%).

    Returns
    -------
    float or ndarray
        ``clip(sum(w_i * r_i), collar, cap)``.

    Notes
    -----
    ``r = clip(sum_i w_i * r_i, collar, cap)``, with ``r_i`` the nominal annual rates (fractions) and
    ``w_i`` their weights; no cap or collar leaves that side unbounded.

    The cap and collar bind the basket's rate each year, which is how an indexation clause
    "CPI, minimum 0%, maximum 3%" is applied. The rate is nominal: :func:`real_index` turns it into a
    real-terms index against the GDP deflator.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price base,
    general inflation removed with the GDP deflator, relative price changes kept); HM Treasury, *Business Case
    Guidance for Projects* (2018), the commercial case (the payment mechanism, including how the price is
    indexed).

    Examples
    --------
    >>> from asdm_models.indexation import index_rate
    >>> round(float(index_rate([0.03, 0.02], [0.7, 0.3])), 6)      # 70% pay, 30% CPI
    0.027
    >>> float(index_rate([0.045], cap=0.03)), float(index_rate([-0.01], collar=0.0))
    (0.03, 0.0)
    """
    weights = [1.0] * len(rates) if weights is None else list(weights)
    r = sum(w * np.asarray(x, dtype=float) for w, x in zip(weights, rates))
    if cap is not None or collar is not None:
        r = np.clip(r, -np.inf if collar is None else collar, np.inf if cap is None else cap)
    return r


def real_index(nominal_rate, gdp_deflator, t):
    """Real-terms index of an amount that rises at ``nominal_rate`` a year from the price base.

    Parameters
    ----------
    nominal_rate : float or ndarray (cases, 1)
        Annual nominal rate (pay, prices, a capped basket); ``None`` for an amount fixed in cash.
    gdp_deflator : float or ndarray (cases, 1)
        Annual GDP deflator.
    t : ndarray (T,)
        Year index, 0 = the price base year.

    Returns
    -------
    ndarray (T,) or (cases, T)
        ``((1 + r) / (1 + g)) ** t``; 1 in year 0.

    Notes
    -----
    A line indexed to the GDP deflator is constant in real terms (index 1); a line fixed in cash
    (``nominal_rate=None``) falls by ``(1 + g) ** -t``.

    References
    ----------
    HM Treasury, *The Green Book* (2022), A6.2-A6.4 (real prices, GDP deflator, relative price effects).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import real_index
    >>> t = np.arange(3)
    >>> np.round(real_index(0.03, 0.02, t), 6).tolist()
    [1.0, 1.009804, 1.019704]
    >>> np.round(real_index(None, 0.02, t), 6).tolist()          # fixed in cash
    [1.0, 0.980392, 0.961169]
    """
    g = np.asarray(gdp_deflator, dtype=float)
    r = 0.0 if nominal_rate is None else np.asarray(nominal_rate, dtype=float)
    ratio = (1.0 + r) / (1.0 + g)
    if ratio.ndim == 2 and ratio.shape[0] > 1 and np.array_equal(t, np.arange(t.size)):
        # One ratio per case: a running product is far cheaper than a power per element (Monte Carlo draws).
        out = np.empty((ratio.shape[0], t.size))
        out[:, 0] = 1.0
        if t.size > 1:
            np.cumprod(np.broadcast_to(ratio, (ratio.shape[0], t.size - 1)), axis=1, out=out[:, 1:])
        return out
    return ratio ** t


def growth_from_go_live(t, go_live, current_rate, option_rate):
    """Real growth of a continuing line whose rate the option changes from its go-live year.

    Parameters
    ----------
    t : ndarray (T,)
        Year index.
    go_live : float or ndarray (cases, 1)
        The option's go-live year index ``L``.
    current_rate, option_rate : float or ndarray (cases, 1)
        The current service's annual real growth and the option's.

    Returns
    -------
    ndarray (T,) or (cases, T)
        ``(1 + c) ** min(t, M) * (1 + o) ** max(t - M, 0)`` with ``M = max(L - 1, 0)``: the
        current service's growth up to the year before go-live, the option's from the go-live year.

    Notes
    -----
    The option states a new growth rate, not a new starting point: its growth applies to the
    year-on-year change into its go-live year and after, never to the years before it (the
    current service runs unchanged until go-live). With equal rates it is ``(1 + c) ** t``. With ``c`` and
    ``o`` the annual real growth rates (fractions), ``L`` the go-live year index and ``M = max(L - 1, 0)``:
    ``G_t = (1 + c) ** min(t, M) * (1 + o) ** max(t - M, 0)`` (dimensionless, 1 in year 0).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price base,
    general inflation removed with the GDP deflator, relative price changes kept); chapter 5 also compares
    each option with business as usual, which runs until the option goes live.

    Examples
    --------
    Fees growing 1% a year from a go-live in year 2, with no growth in the current service:

    >>> import numpy as np
    >>> from asdm_models.indexation import growth_from_go_live
    >>> np.round(growth_from_go_live(np.arange(5), 2, 0.0, 0.01), 6).tolist()
    [1.0, 1.0, 1.01, 1.0201, 1.030301]
    """
    m = np.maximum(np.asarray(go_live, dtype=float) - 1.0, 0.0)
    return _power(1.0 + np.asarray(current_rate, dtype=float), np.minimum(t, m)) * \
        _power(1.0 + np.asarray(option_rate, dtype=float), np.maximum(t - m, 0.0))


def _power(base, exponent):
    """``base ** exponent``; for one base per case (cases, 1) and whole-year exponents (T,), a running product
    gathered by exponent, far cheaper than a power per element (a Monte Carlo draw's growth rate)."""
    base = np.asarray(base, dtype=float)
    exponent = np.asarray(exponent, dtype=float)
    if base.ndim == 2 and base.shape[0] > 1 and exponent.ndim == 1 and np.all(exponent == np.round(exponent)) \
            and exponent.min(initial=0) >= 0:
        k = exponent.astype(np.intp)
        top = int(k.max(initial=0))
        table = np.empty((base.shape[0], top + 1))
        table[:, 0] = 1.0
        if top:
            np.cumprod(np.broadcast_to(base, (base.shape[0], top)), axis=1, out=table[:, 1:])
        return table[:, k]
    return base ** exponent


def compound_from(t, start, rate):
    """``(1 + rate) ** (t - start)`` from ``start`` on, 1 before: growth that begins with a line.

    Parameters
    ----------
    t : ndarray (T,)
        Year index.
    start : float or ndarray (cases, 1)
        ``s``: the first year of the line.
    rate : float or ndarray (cases, 1)
        ``g``: the annual real growth, as a fraction.

    Returns
    -------
    ndarray (T,) or (cases, T)
        The growth multiplier by year, dimensionless.

    Notes
    -----
    ``c_t = (1 + g) ** max(t - s, 0)``: 1 up to and including the first year, compounding each year after.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price base,
    general inflation removed with the GDP deflator, relative price changes kept); real growth is a real
    change shown explicitly.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import compound_from
    >>> compound_from(np.arange(4), 1, 0.1).round(6).tolist()
    [1.0, 1.0, 1.1, 1.21]
    """
    return _power(1.0 + np.asarray(rate, dtype=float), np.maximum(t - np.asarray(start, dtype=float), 0.0))


def ramp(t, start, years):
    """Share of a saving or income reached by year ``t``: a straight line from ``start`` over ``years``.

    Parameters
    ----------
    t : ndarray (T,)
    start : float or ndarray (cases, 1)
        First year of the ramp (an option's go-live, a line's first year).
    years : float or ndarray (cases, 1)
        Years to full effect; 0 means all at once.

    Returns
    -------
    ndarray
        0 before ``start``; ``min((t - start + 1) / years, 1)`` from it (1 when ``years`` is 0).

    Notes
    -----
    With ``s`` the first year and ``n`` the years to full effect,

    ``r_t = 0`` for ``t < s``; ``r_t = clip((t - s + 1) / n, 0, 1)`` for ``t >= s`` (``r_t = 1`` when
    ``n`` is 0).

    A two-year ramp reaches half in its first year and all of it in the second. ``r_t`` is a share
    (dimensionless): the engine multiplies it by a year's saving or income (£ a year real).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in the
    years they occur, against business as usual) and Annex A6 (discounting from year 0, the present); a saving
    or income counted in the years it is expected to be delivered, not all from the first.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import ramp
    >>> ramp(np.arange(5), 1, 2).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    >>> ramp(np.arange(3), 1, 0).tolist()
    [0.0, 1.0, 1.0]
    """
    start = np.asarray(start, dtype=float)
    years = np.asarray(years, dtype=float)
    elapsed = t - start + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(years > 0, elapsed / np.where(years > 0, years, 1.0), 1.0)
    return np.where(t >= start, np.clip(frac, 0.0, 1.0), 0.0)


def from_year(t, start):
    """1 from year ``start`` on, 0 before.

    Notes
    -----
    ``m_t = [t >= s]`` (1.0 or 0.0), with ``s`` the first year index.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in
    the years they occur, against business as usual) and Annex A6 (discounting from year 0, the present).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import from_year
    >>> from_year(np.arange(4), 2).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    return (t >= np.asarray(start, dtype=float)).astype(float)


def in_years(t, first, last):
    """1 in the years ``first..last`` (inclusive), 0 elsewhere.

    Notes
    -----
    ``m_t = [a <= t <= b]`` (1.0 or 0.0), with ``a`` and ``b`` the first and last year indices.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in
    the years they occur, against business as usual) and Annex A6 (discounting from year 0, the present).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import in_years
    >>> in_years(np.arange(5), 1, 3).tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    return ((t >= np.asarray(first, dtype=float)) & (t <= np.asarray(last, dtype=float))).astype(float)


def in_year(t, year):
    """1 in year ``year`` only.

    Notes
    -----
    ``m_t = [t = y]`` (1.0 or 0.0), with ``y`` the year index: a one-off amount placed in its year.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in
    the years they occur, against business as usual) and Annex A6 (discounting from year 0, the present).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import in_year
    >>> in_year(np.arange(3), 1).tolist()
    [0.0, 1.0, 0.0]
    """
    return (t == np.asarray(year, dtype=float)).astype(float)


def go_live_masks(t, go_live):
    """``(before, from)``: 1 in the years before the go-live year and 1 from it on.

    DESIGN section 2: before an option's go-live year the current service runs unchanged.

    Notes
    -----
    ``post_t = [t >= L]`` and ``before_t = 1 - post_t`` (1.0 or 0.0), with ``L`` the go-live year index.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in the
    years they occur, against business as usual) and Annex A6 (discounting from year 0, the present): before
    an option goes live its years are those of business as usual.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.indexation import go_live_masks
    >>> [m.tolist() for m in go_live_masks(np.arange(3), 1)]
    [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    """
    post = from_year(t, go_live)
    return 1.0 - post, post
