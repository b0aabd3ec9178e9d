"""Overheads that stay with the council when a provider delivers: stranded overheads, client-side costs."""

from __future__ import annotations

import numpy as np

__all__ = ["stranded_share", "stranded_overheads", "client_side_costs"]


def stranded_share(t, go_live, removal_years):
    """Share of the stranded overheads still with the council in each year.

    Parameters
    ----------
    t : ndarray (T,)
    go_live : float or ndarray (cases, 1)
        Go-live year index ``L``.
    removal_years : float or ndarray (cases, 1)
        ``R``: years over which the overheads are removed.

    Returns
    -------
    ndarray
        ``max(1 - (t - L) / max(R, 1), 0)`` from ``L`` on, 0 before.

    Notes
    -----
    With ``L`` the go-live year index and ``R`` the removal period in years,

    ``s_t = clip(1 - (t - L) / max(R, 1), 0, 1)`` for ``t >= L``, ``s_t = 0`` before.

    The overheads are there in full in the go-live year (the service has just left; the
    recharges cannot be cut in advance) and fall in a straight line to zero ``R`` years later. A
    removal period of 0 (or 1) means the go-live year only: they cannot be removed faster than that.
    ``s_t`` is a share (dimensionless) of a year's stranded overheads. Before go-live the overheads are
    recharged to the service as usual, so none are stranded.

    References
    ----------
    CIPFA, *Service Reporting Code of Practice*: support-service costs recharged to services do not
    disappear when a service leaves; LGA, *Alternative service delivery models* guidance (stranded costs);
    HM Treasury, *The Green Book* (2022), chapter 5 (costs counted in the years they occur, against
    business as usual).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.overheads import stranded_share
    >>> stranded_share(np.arange(6), 1, 3).round(4).tolist()
    [0.0, 1.0, 0.6667, 0.3333, 0.0, 0.0]
    >>> stranded_share(np.arange(4), 1, 0).tolist()
    [0.0, 1.0, 0.0, 0.0]
    """
    go_live = np.asarray(go_live, dtype=float)
    r = np.maximum(np.asarray(removal_years, dtype=float), 1.0)
    return np.where(t >= go_live, np.clip(1.0 - (t - go_live) / r, 0.0, 1.0), 0.0)


def stranded_overheads(amount_gbp, share):
    """Stranded overheads by year: ``-amount_gbp * share`` (a council cost).

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        A year's central overheads that stay with the council when the service leaves.
    share : ndarray
        From :func:`stranded_share`.

    Returns
    -------
    ndarray (T,) or (cases, T)
        The stranded overheads by year (negative), £ a year real.

    Notes
    -----
    ``O_t = -A * s_t``, with ``A`` a year's stranded overheads at the price base (£ a year real) and
    ``s_t`` the share still with the council (:func:`stranded_share`). A resource cost in both lenses:
    the council keeps paying for support it no longer recharges.

    References
    ----------
    CIPFA, *Service Reporting Code of Practice*: support-service costs recharged to services do not
    disappear when a service leaves; LGA, *Alternative service delivery models* guidance (stranded costs).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.overheads import stranded_overheads
    >>> stranded_overheads(110_000.0, np.array([0.0, 1.0, 0.0])).tolist()
    [-0.0, -110000.0, -0.0]
    """
    return -amount_gbp * share


def client_side_costs(amount_gbp, from_go_live):
    """The council's cost of commissioning and monitoring the provider: ``-amount_gbp`` a year from go-live.

    Parameters
    ----------
    amount_gbp : float or ndarray (cases, 1)
        A year's client-side cost at the price base (contract management, monitoring, commissioning), £.
    from_go_live : ndarray (T,) or (cases, T)
        1 from the go-live year.

    Returns
    -------
    ndarray (T,) or (cases, T)
        The client-side costs by year (negative), £ a year real.

    Notes
    -----
    ``K_t = -A * G_t``, with ``A`` a year's cost (£ a year real, constant in real terms) and ``G_t`` 1
    from go-live. A resource cost in both lenses, borne by the council.

    References
    ----------
    HM Treasury, *Business Case Guidance for Projects* (2018), the commercial and management cases
    (contract management arrangements and their cost); HM Treasury, *The Green Book* (2022), chapter 5
    (all the costs of an option, the public sector's own included).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.overheads import client_side_costs
    >>> client_side_costs(95_000.0, np.array([0.0, 1.0])).tolist()
    [-0.0, -95000.0]
    """
    return -amount_gbp * from_go_live
