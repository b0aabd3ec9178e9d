"""Running costs and efficiency savings.

Formulas over numpy arrays (or :class:`~asdm_models.flows.Flow` profiles in the engine); costs negative.
"""

from __future__ import annotations

__all__ = ["running_cost", "efficiency_saving"]


def running_cost(amount_gbp, index):
    """A running cost by year: ``-amount_gbp * index`` (negative).

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        A year's cost at the price base (non-staff costs, energy, support services).
    index : ndarray (T,) or (cases, T)
        The real index it follows (prices, energy: :func:`~asdm_models.indexation.real_index`).

    Returns
    -------
    ndarray (T,) or (cases, T)
        The cost by year (negative), £ a year real.

    Notes
    -----
    ``C_t = -A * I_t``, with ``A`` a year's cost at the price base (£ a year real) and ``I_t`` the real
    index (dimensionless, 1 in year 0): a cost that rises faster than the GDP deflator grows in real terms.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price
    base, general inflation removed with the GDP deflator, relative price changes kept).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.running_costs import running_cost
    >>> running_cost(100.0, np.array([1.0, 1.01])).tolist()
    [-100.0, -101.0]
    """
    return -amount_gbp * index


def efficiency_saving(costs_gbp, efficiency_rate, ramp_share):
    """An efficiency saving on costs, built up over the ramp (positive: a saving).

    Parameters
    ----------
    costs_gbp : ndarray or Flow
        The costs the efficiency applies to, by year (negative), e.g. staff pay plus pension.
    efficiency_rate : float or ndarray (cases, 1)
        Reduction once fully ramped up, as a fraction.
    ramp_share : ndarray (T,) or (cases, T)
        Share reached by each year (:func:`~asdm_models.indexation.ramp`, from go-live).

    Returns
    -------
    ndarray
        ``-costs * rate * ramp``.

    Notes
    -----
    ``S_t = -C_t * e * r_t``, with ``C_t`` the costs (negative, £ a year real), ``e`` the efficiency rate
    (a fraction) and ``r_t`` the ramp share (0 to 1), so ``S_t >= 0``.

    Stated as a rate or by restating the cost (fewer FTE, a lower budget), the saving is the same
    money; the benefits shortfall treats both alike (:func:`asdm_models.adjustments.benefits_shortfall`).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (a saving is a cost avoided against business as usual,
    counted in the years it is delivered; uncertainty, risk and optimism bias); HM Treasury, Green Book
    supplementary guidance: optimism bias (2003) (benefits are over-estimated as well as costs).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.running_costs import efficiency_saving
    >>> efficiency_saving(np.array([-1000.0, -1000.0, -1000.0]), 0.08, np.array([0.0, 0.5, 1.0])).tolist()
    [0.0, 40.0, 80.0]
    """
    return -(costs_gbp * efficiency_rate) * ramp_share
