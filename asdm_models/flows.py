"""Factorised cash flows: a flow by year held as a sum of ``coefficient x profile x mask`` terms.

Why
---
A Monte Carlo run evaluates the model for 100,000 draws of a 40-year appraisal. Written
naively, every line is a (draws x years) array and every operation touches 4 million numbers,
for each of some 30 lines and 5 options: seconds of work and gigabytes of temporaries.

But most lines are a per-draw *amount* times a per-year *shape* (an inflation index, a ramp,
a go-live mask). A :class:`Flow` keeps them apart: the coefficient has one value per draw
``(n, 1)``, the profile is ``(years,)`` when it is the same in every draw or ``(n, years)``
when a draw changes it (uncertain inflation), and masks that are the same in every draw are
applied lazily. Present values then need one matrix product per distinct per-draw profile,
whatever the number of lines, and full per-year arrays are built only when asked for.

The arithmetic is exact re-association of the same sums, so a flow's values and PV equal
those of the naive arrays to rounding (the tests check 1e-9 relative).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Flow", "pv_many"]


def _as_coef(c):
    if isinstance(c, np.ndarray):
        return c if c.ndim == 2 else c.reshape(-1, 1) if c.ndim == 1 else float(c)
    return float(c)


class Flow:
    """A cash flow over ``n_years``: ``sum(coef * profile * mask) + point amounts``.

    Terms are ``(coef, profile, mask)``: ``coef`` a float or an ``(n, 1)`` array; ``profile``
    ``None`` (1 in every year), ``(T,)`` or ``(n, T)``; ``mask`` ``None`` or a ``(T,)`` array
    applied to an ``(n, T)`` profile lazily. Points are ``(amount (n, 1), year index (n, 1))``:
    one amount per draw falling in a year that varies by draw (realised risks).
    """

    __slots__ = ("n_years", "terms", "points")
    __array_ufunc__ = None  # ``ndarray * Flow`` defers to Flow.__rmul__ instead of making an object array

    def __init__(self, n_years: int, terms=None, points=None):
        self.n_years = n_years
        self.terms = terms or []
        self.points = points or []

    @classmethod
    def term(cls, n_years: int, coef, profile=None) -> "Flow":
        """``coef * profile`` (profile None: the same amount every year)."""
        coef = _as_coef(coef)
        if isinstance(coef, float) and coef == 0.0:
            return cls(n_years)  # a zero amount (most drivers of most options) costs nothing downstream
        if profile is not None:
            profile = np.asarray(profile, dtype=float)
        return cls(n_years, [(coef, profile, None)])

    @classmethod
    def point(cls, n_years: int, amount, year) -> "Flow":
        """One amount per draw in the year (index) given per draw."""
        a = np.asarray(amount, dtype=float).reshape(-1, 1)
        y = np.asarray(year).astype(np.intp).reshape(-1, 1)
        return cls(n_years, [], [(a, y)])

    # ------------------------------------------------------------------ arithmetic
    # Rules are written as plain formulas (``-fte * cost_gbp * pay_index``): given numpy arrays they give
    # numbers (the doctests), given a Flow for the profile they stay factorised (the engine).
    def __add__(self, other) -> "Flow":
        if isinstance(other, (int, float)) and other == 0:
            return self  # sum() starts from 0
        if not isinstance(other, Flow):
            return NotImplemented
        return Flow(self.n_years, self.terms + other.terms, self.points + other.points)

    __radd__ = __add__

    @staticmethod
    def total(n_years: int, flows) -> "Flow":
        """The sum of many flows as one Flow (one list of terms: no quadratic chain of additions)."""
        terms, points = [], []
        for f in flows:
            terms.extend(f.terms)
            points.extend(f.points)
        return Flow(n_years, terms, points)

    def __neg__(self) -> "Flow":
        return self.scale(-1.0)

    def __sub__(self, other) -> "Flow":
        if not isinstance(other, Flow):
            return NotImplemented
        return self + other.scale(-1.0)

    def __mul__(self, k) -> "Flow":
        """``Flow * x``: a per-case factor (float, ``(n, 1)``) scales; a per-year profile (``(T,)``, ``(n, T)``) masks."""
        if isinstance(k, Flow):
            raise TypeError("a Flow can be multiplied by an amount or a profile, not by another Flow")
        # Per-case values are columns (n, 1) in the engine, so a 1-D array is always a profile by year.
        if isinstance(k, np.ndarray) and (k.ndim == 1 or (k.ndim == 2 and k.shape[-1] != 1)):
            if k.shape[-1] != self.n_years:
                raise ValueError(f"a profile by year needs {self.n_years} values, got shape {k.shape}")
            return self.mask(k)
        return self.scale(k)

    __rmul__ = __mul__

    def __truediv__(self, k) -> "Flow":
        return self.scale(1.0 / np.asarray(k, dtype=float) if isinstance(k, np.ndarray) else 1.0 / float(k))

    def simplify(self) -> "Flow":
        """The same flow with terms that share a profile and mask merged and zero terms dropped.

        ``a - a`` then costs nothing downstream, and a sum whose surviving coefficients are all >= 0
        is recognised as >= 0 (see :meth:`has_nonnegative_coefficients`).
        """
        groups: dict = {}
        for c, p, m in self.terms:
            # A profile the same in every draw is matched by value (two routes to the same shape merge).
            key = (id(p) if p is None or p.ndim == 2 else p.tobytes(), id(m) if m is None or m.ndim == 2 else m.tobytes())
            if key in groups:
                groups[key][0] = groups[key][0] + c
            else:
                groups[key] = [c, p, m]
        terms = [(c, p, m) for c, p, m in groups.values()
                 if not (np.ndim(c) == 0 and float(c) == 0.0) and not (np.ndim(c) and not np.any(c))]
        points = [(a, y) for a, y in self.points if np.any(a)]
        return Flow(self.n_years, terms, points)

    def scale(self, k) -> "Flow":
        """Multiply by a per-draw (or common) factor: ``k`` float or ``(n, 1)``."""
        k = _as_coef(k)
        if isinstance(k, float) and k == 0.0:
            return Flow(self.n_years)
        return Flow(self.n_years, [(c * k, p, m) for c, p, m in self.terms],
                    [(a * k, y) for a, y in self.points])

    def mask(self, m) -> "Flow":
        """Multiply by a per-year profile: ``(T,)`` (same for every draw) or ``(n, T)``."""
        m = np.asarray(m, dtype=float)
        terms = []
        if m.ndim <= 1:
            for c, p, mm in self.terms:
                if p is None:
                    terms.append((c, m, None))
                elif p.ndim == 1:
                    terms.append((c, p * m, None))
                else:
                    terms.append((c, p, m if mm is None else mm * m))
            points = [(a * m[y], y) if m.ndim == 1 else (a * m, y) for a, y in self.points]
        else:
            for c, p, mm in self.terms:
                full = m if p is None else p * m
                terms.append((c, full if mm is None else full * mm, None))
            points = [(a * np.take_along_axis(m, y, axis=-1) if m.shape[0] == a.shape[0] else a * m[0, y], y)
                      for a, y in self.points]
        return Flow(self.n_years, terms, points)

    # ------------------------------------------------------------------ evaluation
    def is_zero(self) -> bool:
        return not self.terms and not self.points

    def has_nonnegative_coefficients(self) -> bool:
        """True when every coefficient (and point amount) is >= 0 in every case.

        Every profile and mask the model builds is >= 0 (price indices, ramps, go-live masks), so such a
        flow is >= 0 in every year: a floor at zero would change nothing and need not be computed.
        """
        return (all(np.all(np.asarray(c) >= 0) for c, _, _ in self.terms)
                and all(np.all(a >= 0) for a, _ in self.points))

    def has_nonpositive_coefficients(self) -> bool:
        """True when every coefficient (and point amount) is <= 0 in every case: the flow is <= 0 in every year."""
        return (all(np.all(np.asarray(c) <= 0) for c, _, _ in self.terms)
                and all(np.all(a <= 0) for a, _ in self.points))

    def values(self) -> np.ndarray:
        """The flow by year: shape ``(T,)``, or ``(n, T)`` when anything varies by draw.

        Terms whose profile is the same in every draw are summed with one matrix product
        (coefficients ``(n, K)`` @ profiles ``(K, T)``); each per-draw profile ``P`` is multiplied once by
        the matrix product of its own coefficients and masks. So the cost grows with the number of
        distinct per-draw profiles (a handful of indices), not with the number of lines.
        """
        T = self.n_years
        common: dict = {}  # id(profile) -> [coef, profile]: profiles the same in every draw
        per_draw: dict = {}  # id(profile) -> (profile, {id(mask): [coef, mask]})
        for c, p, m in self.terms:
            if p is None or p.ndim == 1:
                key = id(p)
                if key in common:
                    common[key][0] = common[key][0] + c
                else:
                    common[key] = [c, p]
            else:
                _p, masks = per_draw.setdefault(id(p), (p, {}))
                if id(m) in masks:
                    masks[id(m)][0] = masks[id(m)][0] + c
                else:
                    masks[id(m)] = [c, m]
        n = max([c.shape[0] for c, _p in common.values() if not isinstance(c, float)]
                + [p.shape[0] for p, _ in per_draw.values()]
                + [c.shape[0] for _p, ms in per_draw.values() for c, _m in ms.values() if not isinstance(c, float)] + [0])
        out = _combine([c for c, _ in common.values()], [p for _, p in common.values()], n, T)
        for p, masks in per_draw.values():
            w = _combine([c for c, _ in masks.values()], [m for _, m in masks.values()], n, T)
            out = out + p * w
        if self.points:
            n = max([a.shape[0] for a, _ in self.points] + [out.shape[0] if out.ndim == 2 else 1])
            out = np.broadcast_to(out, (n, self.n_years)).copy()
            rows = np.arange(n)
            for a, y in self.points:
                np.add.at(out, (rows, np.broadcast_to(y[:, 0], (n,))), np.broadcast_to(a[:, 0], (n,)))
        return out

    def pv(self, factors) -> np.ndarray | float:
        """Present value with discount factors ``(T,)``: float, or ``(n,)`` per draw."""
        return pv_many([self], factors)[0]


def _combine(coefs: list, profiles: list, n: int, T: int) -> np.ndarray:
    """``sum_k coefs[k] * profiles[k]``: ``(T,)`` when every coefficient is a float, else ``(n, T)`` by one matmul.

    A profile of ``None`` is 1 in every year.
    """
    if all(isinstance(c, float) for c in coefs):
        out = np.zeros(T)
        for c, p in zip(coefs, profiles):
            out += c if p is None else c * p
        return out
    prof = np.empty((len(coefs), T))
    cols = np.empty((n, len(coefs)))
    for k, (c, p) in enumerate(zip(coefs, profiles)):
        prof[k] = 1.0 if p is None else p
        cols[:, k] = c[:, 0] if not isinstance(c, float) else c
    return cols @ prof


def pv_many(flows, factors) -> list:
    """Present values of several flows at once, with one matrix product per distinct per-draw profile.

    Masks are matched by value, so lines that share a shape (from go-live, a ramp) share a column, and the
    coefficients of each (flow, column) are summed before they meet the draws.
    """
    f = np.asarray(factors, dtype=float)
    by_profile: dict = {}
    totals: list = [0.0] * len(flows)
    for i, fl in enumerate(flows):
        for c, p, m in fl.terms:
            if p is None:
                totals[i] = totals[i] + c * f.sum()
            elif p.ndim == 1:
                totals[i] = totals[i] + c * float(p @ f)
            else:
                p_, weights, acc = by_profile.setdefault(id(p), (p, {}, {}))
                key = None if m is None else m.tobytes() if m.ndim == 1 else id(m)
                if key not in weights:
                    weights[key] = (len(weights), f if m is None else f * m)
                j = weights[key][0]
                acc[(i, j)] = acc[(i, j)] + c if (i, j) in acc else c
        for a, y in fl.points:
            totals[i] = totals[i] + a * f[y]
    for p, weights, acc in by_profile.values():
        w = np.stack([wv for _, wv in sorted(weights.values(), key=lambda x: x[0])], axis=1)
        r = p @ w  # (n, k): one pass over the profile for all its masks
        for (i, j), c in acc.items():
            totals[i] = totals[i] + c * r[:, j:j + 1]
    return [np.ravel(x) if isinstance(x, np.ndarray) else float(x) for x in totals]
