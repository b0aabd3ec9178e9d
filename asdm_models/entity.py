"""A new entity's own accounts: profit, tax, dividends and cash (trading company, social enterprise, joint venture).

All amounts here are nominal (the accounts and tax are in cash of the day), shape ``(T,)`` or
``(cases, T)``; income positive, costs negative, as in the rest of the model.
"""

from __future__ import annotations

import numpy as np

__all__ = ["profit_before_tax", "taxable_profit", "dividends"]


def profit_before_tax(income_gbp, operating_costs_gbp, depreciation_gbp):
    """Profit before tax: ``income + operating costs - depreciation`` (costs negative, depreciation positive).

    Parameters
    ----------
    income_gbp : float or ndarray (T,) or (cases, T)
        The entity's income by year (positive), nominal £.
    operating_costs_gbp : float or ndarray
        Its operating costs by year (negative), nominal £.
    depreciation_gbp : float or ndarray
        The depreciation charge by year (positive), from :func:`asdm_models.capital.depreciation`.

    Returns
    -------
    ndarray or float
        Profit before tax by year, nominal £ (negative in a loss year).

    Notes
    -----
    ``PBT_t = I_t + C_t - D_t``, with ``I_t`` income (>= 0), ``C_t`` operating costs (<= 0) and ``D_t``
    depreciation (>= 0), all nominal £ a year. Capital spend is not a charge against profit (it is in
    the cash flow and the balance sheet); depreciation spreads it over the asset's life. There are no
    interest or other financing lines in the engine.

    References
    ----------
    Companies Act 2006, s396 (a company's individual accounts: a balance sheet and a profit and loss
    account); FRS 102, section 5 (statement of comprehensive income and income statement) and section
    17 (depreciation of property, plant and equipment).

    Examples
    --------
    >>> from asdm_models.entity import profit_before_tax
    >>> float(profit_before_tax(1000.0, -700.0, 100.0))
    200.0
    """
    return income_gbp + operating_costs_gbp - depreciation_gbp


def taxable_profit(profit_before_tax_gbp, depreciation_gbp, capital_allowances_gbp):
    """Taxable trading profit before losses: depreciation added back, capital allowances deducted.

    Notes
    -----
    ``TP_t = PBT_t + D_t - CA_t``, with ``PBT_t`` profit before tax, ``D_t`` the depreciation charged in
    it and ``CA_t`` the capital allowances (:func:`asdm_models.tax.capital_allowances`), all nominal £ a
    year. The result may be negative (a trading loss); losses are carried forward by
    :func:`asdm_models.tax.taxable_profit_after_losses`.

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
        The dividend to the council and the dividend to the partner by year, nominal £ (>= 0).

    Notes
    -----
    With ``PAT_t`` the profit after tax (nominal £ a year), ``p`` the payout rate and ``s`` the
    partner's equity share (fractions),

    ``Div_t = p * max(PAT_t, 0)``, the council's ``Div_t * (1 - s)`` and the partner's ``Div_t * s``,

    so the two add up to what is distributed, split in proportion to the equity. A loss year pays
    nothing. The payout is on each year's profit: losses of earlier years are not netted first, so
    where the entity has accumulated losses the dividend may exceed what s830 allows; keep the payout
    rate at a level the entity's distributable reserves support. Both dividends are internal payments
    (between the entity and its owners) and out of the economic case.

    References
    ----------
    Companies Act 2006, s830 (distributions only out of profits available for the purpose: accumulated
    realised profits less accumulated realised losses) and s829 (meaning of distribution); HM Treasury,
    *The Green Book* (2022), on transfer payments (payments between parties that use no resources are
    left out of social value).

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
