"""Decision metrics from cash flows: payback, IRR, benefit-cost ratio.

Functions return ``None`` where a figure does not apply (a report shows it empty, never 0).
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf

__all__ = ["payback_index", "irr", "benefit_cost_ratio"]


def payback_index(savings) -> int | None:
    """Year index in which the cumulative saving is no longer negative.

    Parameters
    ----------
    savings : array_like, shape (n_years,)
        Saving against no change by year (positive = better than no change).

    Returns
    -------
    int or None
        ``None`` when there is no saving at all (every year zero) or the cumulative saving is
        still negative in the last year. When the cumulative saving is never negative the
        option pays back at once: year 0. Otherwise the first year, after the cumulative saving
        was last negative, in which it is 0 or more.

    Examples
    --------
    >>> payback_index([-100.0, 40.0, 40.0, 40.0])
    3
    >>> payback_index([-100.0, 40.0, 40.0]) is None
    True
    >>> payback_index([10.0, 10.0])
    0
    """
    s = np.asarray(savings, dtype=float)
    if not np.any(s):
        return None
    cum = np.cumsum(s)
    negative = np.flatnonzero(cum < 0)
    if negative.size == 0:
        return 0
    last_negative = int(negative[-1])
    return last_negative + 1 if last_negative + 1 < s.size else None


def irr(flows) -> float | None:
    """Internal rate of return of incremental flows that start with an investment.

    Applies only when the first non-zero flow is negative (an up-front investment) and the
    flows change sign afterwards; otherwise ``None``. Computed with ``numpy_financial.irr``.

    Examples
    --------
    >>> round(irr([-100.0, 60.0, 60.0]), 6)
    0.130662
    >>> irr([50.0, 50.0]) is None
    True
    """
    f = np.asarray(flows, dtype=float)
    nz = np.flatnonzero(np.abs(f) > 1e-9)
    if nz.size == 0 or f[nz[0]] >= 0 or not np.any(f[nz[0]:] > 0):
        return None
    r = npf.irr(f)
    return None if r is None or not np.isfinite(r) else float(r)


def benefit_cost_ratio(pv_benefits: float, pv_net_cost: float) -> float | None:
    """Benefit-cost ratio ``PV(benefits) / PV(net costs)`` against no change.

    Only defined when quantified benefits are positive and the option costs more than no
    change (a positive net cost); an option that both saves money and adds benefits dominates,
    and a ratio would mislead.

    Reference: HM Treasury (2022), *The Green Book*, 5.61-5.63 (BCR = PV benefits / PV costs).

    >>> benefit_cost_ratio(300.0, 200.0)
    1.5
    >>> benefit_cost_ratio(300.0, -50.0) is None
    True
    """
    if pv_benefits <= 0 or pv_net_cost <= 0:
        return None
    return float(pv_benefits / pv_net_cost)
