"""The contract between the council and its provider: the fee (contract price) and the provider's margin."""

from __future__ import annotations

import numpy as np

__all__ = ["fee_real_change", "management_fee", "provider_margin"]


def fee_real_change(t, go_live, real_change):
    """``(1 + c) ** (t - L)`` from the go-live year ``L`` on: a fee that tapers (or rises) in real terms.

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
    Amounts are at the price base and every index runs from it, as for every other line. A fee
    indexed to pay passes the real pay drift (pay above the GDP deflator) to the council; a fee
    held in real terms leaves it with the provider, whose accounts then bear it.

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

    Notes
    -----
    A resource cost in the economic case: the price of private delivery above its cost.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.contract import provider_margin
    >>> provider_margin(np.array([-1000.0, -1000.0]), 0.06, np.array([0.0, 1.0])).tolist()
    [-0.0, -60.0]
    """
    return operating_costs_gbp * margin_rate * from_go_live
