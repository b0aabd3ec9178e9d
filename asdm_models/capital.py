"""Capital: purchase schedules (with replacements), straight-line depreciation and residual values.

HM Treasury, *The Green Book* (2022), A1.27-A1.30 and A6: capital costs are counted when they are
spent, and the value of assets left at the end of the appraisal period is counted as a residual
value (here: straight-line written-down value over the asset's useful life).
"""

from __future__ import annotations

import numpy as np

__all__ = ["purchase_years", "residual_share", "depreciation"]


def purchase_years(t, first_year, repeat_every_years=None):
    """1 in each year an item is bought: ``first_year``, then every ``repeat_every_years`` after.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.capital import purchase_years
    >>> purchase_years(np.arange(7), 1, 2).tolist()
    [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    >>> purchase_years(np.arange(3), 1).tolist()
    [0.0, 1.0, 0.0]
    """
    y = np.asarray(first_year, dtype=float)
    k = repeat_every_years
    if k:
        return ((t >= y) & (((t - y) % k) == 0)).astype(float)
    return (t == y).astype(float)


def residual_share(bought, life_years, n_years):
    """Number of purchases' worth of value left at the end of the period (straight line).

    Parameters
    ----------
    bought : ndarray (T,) or (cases, T)
        1 in each purchase year (:func:`purchase_years`).
    life_years : float or ndarray (cases, 1)
        Useful life of each purchase.
    n_years : int
        Appraisal period ``T``.

    Returns
    -------
    ndarray () or (cases, 1)
        ``sum_s bought_s * clip((s + life - T) / life, 0, 1)``: a purchase in year ``s`` has used
        ``T - s`` of its ``life`` years by the end of the period.

    Examples
    --------
    A depot bought in year 1 with a 45-year life, 40-year appraisal: 6/45 of its cost is left.

    >>> import numpy as np
    >>> from asdm_models.capital import residual_share
    >>> t = np.arange(40)
    >>> round(float(residual_share((t == 1).astype(float), 45.0, 40)), 6)
    0.133333
    """
    t = np.arange(n_years, dtype=float)
    life = np.asarray(life_years, dtype=float)
    remaining = np.clip((t + life - n_years) / life, 0.0, 1.0)
    return np.sum(bought * remaining, axis=-1, keepdims=np.ndim(life) > 1 or np.ndim(bought) > 1)


def depreciation(spend_gbp, life_years):
    """Straight-line depreciation by year of capital spent by year (positive amounts in, positive out).

    Parameters
    ----------
    spend_gbp : ndarray (T,) or (cases, T)
        Capital spend by year (positive).
    life_years : float or ndarray (cases, 1)
        Useful life; the charge starts in the year of spend (a full year's charge in that year).

    Returns
    -------
    ndarray, same shape as ``spend_gbp`` broadcast with ``life_years``
        ``dep_t = sum_s spend_s * (min(t - s + 1, L) - min(t - s, L)) / L`` for ``t >= s``: each
        year's share of the asset's life, the last part-year pro rata.

    Notes
    -----
    The entity's accounts charge depreciation against profit; for tax, capital allowances replace it
    (:func:`asdm_models.tax.capital_allowances`).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.capital import depreciation
    >>> depreciation(np.array([120.0, 0.0, 0.0, 0.0, 0.0]), 2.5).round(6).tolist()
    [48.0, 48.0, 24.0, 0.0, 0.0]
    """
    spend = np.asarray(spend_gbp, dtype=float)
    T = spend.shape[-1]
    life = np.asarray(life_years, dtype=float)[..., None]  # (..., 1, 1) against (s, t)
    k = np.arange(T)[None, :] - np.arange(T)[:, None]  # t - s
    share = (np.clip(k + 1.0, 0.0, life) - np.clip(k, 0.0, life)) / life  # (..., s, t)
    share = np.where(k >= 0, share, 0.0)
    return np.einsum("...s,...st->...t", spend, share)
