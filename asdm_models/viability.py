"""Viability of a new entity: break-even, peak funding requirement, lowest cash balance."""

from __future__ import annotations

import numpy as np

__all__ = ["breakeven_index", "peak_funding", "cash_balance"]


def breakeven_index(profit_after_tax, start: int = 0) -> int | None:
    """First year index from ``start`` in which the annual surplus after tax is 0 or more.

    >>> breakeven_index([-5.0, -2.0, 1.0, 3.0])
    2
    >>> breakeven_index([0.0, -1.0, 2.0], start=1)
    2
    """
    p = np.asarray(profit_after_tax, dtype=float)
    hits = np.flatnonzero(p[start:] >= 0)
    return int(hits[0]) + start if hits.size else None


def peak_funding(cash_flow) -> np.ndarray | float:
    """Peak funding requirement: the deepest the cumulative cash flow goes below zero (0 if never).

    Works over the last axis, any leading shape.

    >>> float(peak_funding([-10.0, -5.0, 8.0, 20.0]))
    15.0
    """
    cum = np.cumsum(np.asarray(cash_flow, dtype=float), axis=-1)
    return np.maximum(-np.min(cum, axis=-1), 0.0)


def cash_balance(cash_flow, funding: float, funding_year: int) -> np.ndarray:
    """Year-end cash balance with the planned funding put in at ``funding_year``.

    >>> cash_balance([-10.0, -5.0, 8.0], 12.0, 0).tolist()
    [2.0, -3.0, 5.0]
    """
    cf = np.asarray(cash_flow, dtype=float).copy()
    cf[..., funding_year] += funding
    return np.cumsum(cf, axis=-1)
