"""Income: fees and charges, new trading income and its direct costs, grants, social benefits.

Formulas over numpy arrays (or :class:`~asdm_models.flows.Flow` profiles in the engine); income positive.
"""

from __future__ import annotations

__all__ = ["fees_income", "trading_income", "trading_costs", "grant_income", "social_benefits"]


def fees_income(amount_gbp, index, growth):
    """Fees and charges by year: ``amount_gbp * index * growth``.

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        A year's fees at the price base.
    index : ndarray (T,) or (cases, T)
        The real index fees follow (prices by default; CPI or a capped basket if stated).
    growth : ndarray (T,) or (cases, T)
        Real growth above the index: the current service's rate until the year before go-live and
        the option's from its go-live year (:func:`~asdm_models.indexation.growth_from_go_live`).

    Returns
    -------
    ndarray (T,) or (cases, T)
        Fees and charges income by year (positive), £ a year real.

    Notes
    -----
    ``F_t = A * I_t * G_t``, with ``A`` a year's fees at the price base (£ a year real), ``I_t`` the real
    index and ``G_t`` the real growth in volume or price above the index (both dimensionless, 1 in
    year 0).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price base,
    general inflation removed with the GDP deflator, relative price changes kept); the growth above the index
    is a real change, shown explicitly.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.income import fees_income
    >>> from asdm_models.indexation import growth_from_go_live
    >>> fees_income(5_600_000.0, np.ones(4), growth_from_go_live(np.arange(4), 2, 0.0, 0.01)).round(2).tolist()
    [5600000.0, 5600000.0, 5656000.0, 5712560.0]
    """
    return amount_gbp * index * growth


def trading_income(amount_gbp, index, ramp_share):
    """New trading income by year: ``amount_gbp * index * ramp``.

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        A year's trading income once fully built up, at the price base.
    index : ndarray (T,) or (cases, T)
        The real index the income follows (prices by default).
    ramp_share : ndarray (T,) or (cases, T)
        Share reached by each year (:func:`~asdm_models.indexation.ramp`).

    Returns
    -------
    ndarray (T,) or (cases, T)
        Trading income by year (positive), £ a year real.

    Notes
    -----
    ``I_t = A * X_t * r_t``, with ``A`` the full year's income (£ a year real at the price base), ``X_t``
    the real index and ``r_t`` the ramp share (0 to 1).

    ``ramp_share`` starts at the later of the stated first trading year and the option's go-live
    (an option earns nothing before it runs), and builds up over the trading ramp. Its direct costs are
    :func:`trading_costs`; what the two gain together is reduced by the benefits shortfall
    (:func:`asdm_models.adjustments.benefits_shortfall`).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price base,
    general inflation removed with the GDP deflator, relative price changes kept); Local Government Act 2003,
    s95 (a council trading for a commercial purpose does so through a company, hence the new entity that earns
    this income).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.income import trading_income
    >>> from asdm_models.indexation import ramp
    >>> trading_income(450_000.0, np.ones(4), ramp(np.arange(4), 2, 2)).tolist()
    [0.0, 0.0, 225000.0, 450000.0]
    """
    return amount_gbp * index * ramp_share


def trading_costs(trading_income_gbp, cost_ratio):
    """Direct costs of earning new trading income: ``-cost_ratio * trading income`` (negative).

    Parameters
    ----------
    trading_income_gbp : ndarray or Flow
        Trading income by year (positive), from :func:`trading_income`.
    cost_ratio : float or ndarray (cases, 1)
        Direct costs as a fraction of the income (0.55 = 55p of cost for each £1 earned).

    Returns
    -------
    ndarray or Flow
        The direct costs by year (negative), £ a year real.

    Notes
    -----
    ``C_t = -k * I_t``, with ``k`` the cost ratio and ``I_t`` the trading income (£ a year real), so the
    net gain from trading is ``(1 - k) * I_t``.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: social costs and benefits, the
    resources used to earn an income counted against it).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.income import trading_costs
    >>> trading_costs(np.array([0.0, 450_000.0]), 0.55).tolist()
    [-0.0, -247500.00000000003]
    """
    return -(trading_income_gbp * cost_ratio)


def grant_income(amount_gbp, profile):
    """Grants from other public bodies or charities: ``amount_gbp * profile`` (a transfer).

    Notes
    -----
    ``G_t = A * p_t``, with ``A`` the grant (£ real at the price base, a year's or once) and ``p_t`` the
    years it is received (dimensionless). In the council lens and the receiving party's accounts, not in
    the economic case.

    References
    ----------
    HM Treasury, *The Green Book* (2022), A1.9: grants are transfers, excluded from social value.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.income import grant_income
    >>> grant_income(70_000.0, np.array([0.0, 1.0])).tolist()
    [0.0, 70000.0]
    """
    return amount_gbp * profile


def social_benefits(amount_gbp, ramp_share):
    """Monetised social benefits by year: ``amount_gbp * ramp`` (economic case only, never cash).

    Notes
    -----
    ``B_t = A * r_t``, with ``A`` a year's monetised benefit once fully realised (£ a year real at the
    price base) and ``r_t`` the ramp share (0 to 1).

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 6 and A2 (valuing non-market impacts).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.income import social_benefits
    >>> social_benefits(100_000.0, np.array([0.0, 0.5, 1.0])).tolist()
    [0.0, 50000.0, 100000.0]
    """
    return amount_gbp * ramp_share
