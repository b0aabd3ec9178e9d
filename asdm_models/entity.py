"""A new entity's own accounts: profit, tax, dividends and cash (trading company, social enterprise, joint venture).

All amounts here are nominal (the accounts and tax are in cash of the day), shape ``(T,)`` or
``(cases, T)``; income positive, costs negative, as in the rest of the model.
"""

from __future__ import annotations

import numpy as np

__all__ = ["profit_before_tax", "taxable_profit", "dividends"]


def profit_before_tax(income_gbp, operating_costs_gbp, depreciation_gbp):
    """Profit before tax: ``income + operating costs - depreciation`` (costs negative, depreciation positive).

    Examples
    --------
    >>> from asdm_models.entity import profit_before_tax
    >>> float(profit_before_tax(1000.0, -700.0, 100.0))
    200.0
    """
    return income_gbp + operating_costs_gbp - depreciation_gbp


def taxable_profit(profit_before_tax_gbp, depreciation_gbp, capital_allowances_gbp):
    """Taxable trading profit before losses: depreciation added back, capital allowances deducted.

    ``profit before tax + depreciation - capital allowances``.

    References
    ----------
    HMRC Business Income Manual BIM35000 (depreciation is not deductible); Capital Allowances Act 2001
    (allowances are given instead).

    Examples
    --------
    >>> from asdm_models.entity import taxable_profit
    >>> float(taxable_profit(200.0, 100.0, 250.0))
    50.0
    """
    return profit_before_tax_gbp + depreciation_gbp - capital_allowances_gbp


def dividends(profit_after_tax_gbp, payout_rate, partner_equity_share=0.0):
    """Dividends paid each year to the council and to a partner: ``(to council, to partner)``, positive.

    Parameters
    ----------
    profit_after_tax_gbp : ndarray
        The entity's profit after tax by year.
    payout_rate : float or ndarray (cases, 1)
        Share of a year's profit after tax distributed (nothing in a loss year).
    partner_equity_share : float or ndarray (cases, 1)
        A joint-venture partner's share of the equity; the council holds the rest.

    Returns
    -------
    tuple of ndarray
        ``payout * max(PAT, 0) * (1 - partner share)`` and ``payout * max(PAT, 0) * partner share``.

    Examples
    --------
    A 50:50 joint venture paying out half its profit:

    >>> import numpy as np
    >>> from asdm_models.entity import dividends
    >>> [x.tolist() for x in dividends(np.array([-10.0, 200.0]), 0.5, 0.5)]
    [[0.0, 50.0], [0.0, 50.0]]
    """
    distributed = payout_rate * np.maximum(profit_after_tax_gbp, 0.0)
    return distributed * (1.0 - partner_equity_share), distributed * partner_equity_share
