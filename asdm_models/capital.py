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

    Parameters
    ----------
    t : ndarray (T,)
        Year index ``0..T-1``.
    first_year : float or ndarray (cases, 1)
        ``y``: the year index of the first purchase.
    repeat_every_years : int, optional
        ``k``: years between replacements (the asset's replacement cycle); None or 0 for a single purchase.

    Returns
    -------
    ndarray (T,) or (cases, T)
        1.0 in each purchase year, 0.0 in the others.

    Notes
    -----
    With ``t`` the year index, ``y`` the first purchase year and ``k`` the replacement cycle in years,

    ``b_t = 1 if t >= y and (t - y) mod k = 0, else 0``  (``k`` given), ``b_t = [t = y]``  (no ``k``).

    ``b_t`` is a count of purchases (dimensionless); the engine multiplies it by the item's cost
    (£ real at the price base) to place each purchase's capital cost in the year it is spent. Years
    are whole: a ``first_year`` that is not a whole number matches no year.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs, capital costs included,
    are counted in the years they are incurred over the whole appraisal period, so an asset whose life
    ends within the period is bought again).

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
        The number of purchases' worth of value left (a fraction of one purchase's cost for each purchase
        still in service); with a case axis in ``bought`` or ``life_years``, a column per case.

    Notes
    -----
    With ``b_s`` the purchases in year ``s`` (:func:`purchase_years`), ``L`` the useful life in years
    and ``T`` the appraisal period in years,

    ``R = sum_{s=0}^{T-1} b_s * clip((s + L - T) / L, 0, 1)``.

    A purchase in year ``s`` has used ``T - s`` of its ``L`` years by the end of the period (a full
    year's use in the year it is bought, as :func:`depreciation` charges), so the share of its cost left
    is its straight-line written-down value ``1 - (T - s) / L``, never below 0 (fully used) or above 1.
    ``R`` is dimensionless; the engine multiplies it by the item's cost (£ real at the price base) and
    counts the result as a residual value in the last year of the period, ``T - 1``.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: the residual value of assets
    at the end of the appraisal period is counted); IAS 16 *Property, Plant and Equipment*, paragraphs
    50 and 62 (the depreciable amount allocated over the useful life; the straight-line method), as
    adopted for local authorities by the CIPFA/LASAAC *Code of Practice on Local Authority Accounting
    in the United Kingdom*, section 4.1.

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
    With ``x_s`` the capital spent in year ``s`` (£ a year, nominal in the entity's accounts) and ``L``
    the useful life in years,

    ``dep_t = sum_{s <= t} x_s * (min(t - s + 1, L) - min(t - s, L)) / L``:

    each year's share of the asset's life, a full year's charge in the year of spend and the last
    part-year pro rata, so the charges on each purchase add up to its cost.

    The entity's accounts charge depreciation against profit; for tax, capital allowances replace it
    (:func:`asdm_models.tax.capital_allowances`).

    References
    ----------
    FRS 102 *The Financial Reporting Standard applicable in the UK and Republic of Ireland*, section 17
    (property, plant and equipment: depreciation over the useful life); IAS 16 *Property, Plant and
    Equipment*, paragraphs 50 and 62 (systematic allocation of the depreciable amount; the straight-line
    method).

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
