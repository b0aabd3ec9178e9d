"""The contract between the council and its provider: the fee (contract price) and the provider's margin."""

from __future__ import annotations

import numpy as np

__all__ = ["fee_real_change", "management_fee", "provider_margin"]


def fee_real_change(t, go_live, real_change):
    """``(1 + c) ** (t - L)`` from the go-live year ``L`` on: a fee that tapers (or rises) in real terms.

    Parameters
    ----------
    t : ndarray (T,)
        Year index.
    go_live : float or ndarray (cases, 1)
        The go-live year index ``L``.
    real_change : float or ndarray (cases, 1)
        ``c``: the agreed annual real-terms change in the fee, as a fraction (-0.05: 5% a year less).

    Returns
    -------
    ndarray (T,) or (cases, T)
        The fee's real-terms multiplier by year, dimensionless; 1 up to and including the go-live year.

    Notes
    -----
    ``f_t = (1 + c) ** max(t - L, 0)``.

    The go-live year's fee is the stated amount (``f_L = 1``); each later year changes it by ``c`` on
    top of the contract's indexation clause, so ``c`` is a change in real terms (after general
    inflation) and compounds. Before go-live no fee is paid (:func:`management_fee` multiplies by the
    go-live mask), so the 1 there has no effect.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (values in real terms at
    the price base; a price that changes relative to general inflation is shown as a real change);
    HM Treasury, *Business Case Guidance for Projects* (2018), the commercial case (the payment
    mechanism agreed in the contract).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.contract import fee_real_change
    >>> fee_real_change(np.arange(4), 1, -0.05).round(4).tolist()
    [1.0, 1.0, 0.95, 0.9025]
    """
    from .indexation import _power

    return _power(1.0 + np.asarray(real_change, dtype=float), np.maximum(t - np.asarray(go_live, dtype=float), 0.0))


def management_fee(amount_gbp, index, real_change, from_go_live):
    """What the council pays its provider each year (a council cost; the provider's income).

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        The fee for the go-live year at the price base.
    index : ndarray (T,) or (cases, T)
        The real index of the contract's indexation clause: 1 for a fee that keeps its real value
        (GDP deflator), the pay index for a fee that follows pay awards, a capped CPI or a weighted
        basket (:func:`~asdm_models.indexation.index_rate`, :func:`~asdm_models.indexation.real_index`).
    real_change : ndarray
        :func:`fee_real_change`: an agreed real-terms taper or rise from go-live.
    from_go_live : ndarray
        1 from the go-live year.

    Returns
    -------
    ndarray
        ``-amount * index * real_change * from_go_live`` (negative: the council's side).

    Notes
    -----
    With ``A`` the go-live year's fee (£ a year real at the price base), ``I_t`` the real index of the
    indexation clause, ``f_t`` the real change (:func:`fee_real_change`) and ``G_t`` 1 from go-live,

    ``fee_t = -A * I_t * f_t * G_t``  (£ a year real; negative on the council's side).

    Amounts are at the price base and every index runs from it, as for every other line. A fee
    indexed to pay passes the real pay drift (pay above the GDP deflator) to the council; a fee
    held in real terms leaves it with the provider, whose accounts then bear it. The fee is an
    internal payment between the council and the provider: it is in the council lens and the provider's
    accounts but nets out of the economic case, which counts the provider's costs (and a private
    provider's margin, :func:`provider_margin`) instead.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5, adjustments for inflation (real prices at the price
    base, general inflation removed with the GDP deflator, relative price changes kept); HM Treasury,
    *Business Case Guidance for Projects* (2018), the commercial case (payment mechanism and indexation
    of the contract price).

    Examples
    --------
    A fee of £1,000 indexed to pay 3% (GDP deflator 2%) from a go-live in year 1:

    >>> import numpy as np
    >>> from asdm_models.contract import management_fee, fee_real_change
    >>> from asdm_models.indexation import real_index, from_year
    >>> t = np.arange(3)
    >>> management_fee(1000.0, real_index(0.03, 0.02, t), fee_real_change(t, 1, 0.0), from_year(t, 1)).round(2).tolist()
    [-0.0, -1009.8, -1019.7]
    """
    return -amount_gbp * index * real_change * from_go_live


def provider_margin(operating_costs_gbp, margin_rate, from_go_live):
    """A private provider's margin on its operating costs: ``margin_rate * operating costs`` from go-live.

    Parameters
    ----------
    operating_costs_gbp : ndarray or Flow
        The provider's operating costs by year (negative): staff, pensions, running costs, support,
        net of efficiencies, and the costs of new trading.
    margin_rate : float or ndarray (cases, 1)
        The margin as a fraction of operating costs (0.06 = 6%).
    from_go_live : ndarray (T,) or (cases, T)
        1 from the go-live year.

    Returns
    -------
    ndarray or Flow
        The margin by year, negative with the costs (£ a year real).

    Notes
    -----
    With ``C_t`` the provider's operating costs (£ a year real, negative), ``m`` the margin as a
    fraction of cost and ``G_t`` 1 from go-live,

    ``margin_t = m * C_t * G_t``.

    A resource cost in the economic case: the price of private delivery above its cost.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (social costs: the full cost of delivery, which for a
    private provider includes the return it requires); HM Treasury, *Business Case Guidance for
    Projects* (2018), the commercial case (the price and payment mechanism).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.contract import provider_margin
    >>> provider_margin(np.array([-1000.0, -1000.0]), 0.06, np.array([0.0, 1.0])).tolist()
    [-0.0, -60.0]
    """
    return operating_costs_gbp * margin_rate * from_go_live
