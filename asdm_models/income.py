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

    ``ramp_share`` starts at the later of the stated first trading year and the option's go-live
    (an option earns nothing before it runs), and builds up over the trading ramp.

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
