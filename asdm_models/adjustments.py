"""The Green Book's adjustments: optimism bias on costs, the shortfall on benefits, and risk.

Optimism bias is "the demonstrated systematic tendency for appraisers to be over-optimistic about
key project parameters" (HM Treasury, *The Green Book* (2022), 5.45-5.47 and A5). Costs are
uplifted by a percentage for the kind of project, reduced as evidence firms up; benefits are
reduced by a shortfall; and the expected cost of the risks in the register is added.

Each function is a formula over numpy arrays; the engine also passes
:class:`~asdm_models.flows.Flow` objects, for which the same formulas stay factorised.
"""

from __future__ import annotations

import numpy as np

from .flows import Flow

__all__ = ["optimism_bias_uplift", "optimism_bias_on_costs", "benefits_shortfall", "triangular_mean",
           "risk_expected_value"]


def optimism_bias_uplift(upper: float, lower: float, mitigation: float) -> float:
    """The uplift to apply to a cost at a stage: ``lower + (1 - mitigation) * (upper - lower)``.

    Parameters
    ----------
    upper, lower : float
        Upper and lower bounds for the project type, as fractions (0.24 = 24%).
    mitigation : float
        Share of the gap between the bounds removed by evidence so far, 0 to 1. An OBC
        with early estimates mitigates little; an FBC with tendered prices mitigates most.

    Returns
    -------
    float
        The uplift, a fraction of the cost (0.13 = 13%).

    Notes
    -----
    ``u = l + (1 - m) * (h - l)``, with ``h`` and ``l`` the upper and lower bounds and ``m`` the
    mitigation (all fractions): the upper bound with no mitigation, the lower bound when fully mitigated,
    a straight line between. A mitigation outside 0 to 1 is an error.

    References
    ----------
    HM Treasury, Green Book supplementary guidance: optimism bias (2003), section 3 and table 1:
    start from the upper bound and reduce it as contributory factors are managed, never below the lower bound.

    Examples
    --------
    >>> from asdm_models.adjustments import optimism_bias_uplift
    >>> round(optimism_bias_uplift(0.24, 0.02, 0.5), 4)   # standard buildings, half mitigated
    0.13
    >>> optimism_bias_uplift(2.0, 0.10, 1.0)                # equipment/development, fully mitigated
    0.1
    >>> round(optimism_bias_uplift(0.41, 0.0, 0.4), 4)     # outsourcing (operating costs), OBC
    0.246
    """
    if not 0.0 <= mitigation <= 1.0:
        raise ValueError(f"mitigation must be between 0 and 1, got {mitigation}")
    return lower + (1.0 - mitigation) * (upper - lower)  # this order gives the lower bound exactly when fully mitigated


def optimism_bias_on_costs(cost_gbp, uplift):
    """The optimism-bias adjustment on a cost line: ``uplift * cost`` (negative: an extra cost).

    Parameters
    ----------
    cost_gbp : ndarray or Flow
        The cost by year as estimated (negative), in the years the estimate applies (an option's
        line from its go-live; a one-off or capital item in its year).
    uplift : float or ndarray (cases, 1)
        From :func:`optimism_bias_uplift` for the line's category at the stage.

    Notes
    -----
    ``OB_t = u * C_t``, with ``C_t`` the estimated cost (negative, £) and ``u`` the uplift (a fraction).

    The uplift stays in the kind of flow it uplifts: on a capital item it is capital (in a new
    entity's cash flow and balance sheet, never its profit and loss); on running costs or a contract
    price it is revenue. It is borne by whoever bears the cost. An uplift on a contract price is a
    resource cost in the economic case too: it is the expected extra cost of the service beyond the
    estimated price (Mott MacDonald found outsourced operating costs overrun by up to 41%), not a
    payment that nets out.

    References
    ----------
    HM Treasury, Green Book supplementary guidance: optimism bias (2003), table 1 (Mott MacDonald, *Review of
    Large Public Procurement in the UK*, 2002): outsourcing 0%-41% on operating expenditure.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.adjustments import optimism_bias_on_costs
    >>> optimism_bias_on_costs(np.array([0.0, -3_580_000.0]), 0.246).round(2).tolist()
    [0.0, -880680.0]
    """
    return cost_gbp * uplift


def benefits_shortfall(gain_gbp, shortfall_rate):
    """The shortfall on what an option adds: ``-shortfall_rate * max(gain, 0)`` by year.

    Parameters
    ----------
    gain_gbp : ndarray (..., T) or Flow
        An option's gain over the current service on one line (or a line and the line that is a ratio
        of it: trading income and the costs of earning it), from its go-live. Costs that fall and
        income that rises are gains, however the saving is entered (an efficiency rate, fewer FTE, a
        lower budget, a higher growth rate or a new line).
    shortfall_rate : float
        The stage's benefits shortfall (e.g. 20% at OBC).

    Returns
    -------
    ndarray or Flow
        Negative where the group gains, 0 where it loses (a loss is not made smaller).

    Notes
    -----
    ``SF_t = -f * max(g_t, 0)``, with ``g_t`` the line's gain over the current service (£ a year real)
    and ``f`` the shortfall rate (a fraction).

    Applying the shortfall line by line to what each line gains makes it independent of how a saving
    is typed; a line that costs more is not netted against another's saving (the cost estimate has
    its own optimism bias). Transfers (rates relief, VAT, grants) follow statute or an agreement
    rather than performance and are not reduced; nor are one-off and capital items (their cost
    uplift covers them).

    References
    ----------
    HM Treasury, *The Green Book* (2022), 5.45-5.47 and A5 (optimism bias applies to benefits as well
    as costs); Green Book supplementary guidance: optimism bias (2003), section 2.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.adjustments import benefits_shortfall
    >>> benefits_shortfall(np.array([0.0, 100.0, -50.0]), 0.2).tolist()
    [-0.0, -20.0, -0.0]
    """
    if isinstance(gain_gbp, Flow):
        g = gain_gbp.simplify()
        if g.is_zero() or not shortfall_rate:
            return Flow(g.n_years)
        # Every profile the model builds is >= 0, so the signs of the coefficients settle most cases.
        if g.has_nonnegative_coefficients():  # a gain in every year: no loss to floor, stay factorised
            return g.scale(-shortfall_rate)
        if g.has_nonpositive_coefficients():  # a loss in every year: nothing to reduce
            return Flow(g.n_years)
        if len(g.terms) == 1 and not g.points:  # one profile (>= 0): the positive part is max(coefficient, 0) x it
            c, p, m = g.terms[0]
            return Flow(g.n_years, [(-shortfall_rate * np.maximum(c, 0.0), p, m)])
        return Flow.term(g.n_years, -shortfall_rate, np.maximum(g.values(), 0.0))
    return -shortfall_rate * np.maximum(np.asarray(gain_gbp, dtype=float), 0.0)


def triangular_mean(low, most_likely, high):
    """Mean of a triangular distribution: ``(low + most_likely + high) / 3``.

    Notes
    -----
    ``mean = (a + c + b) / 3``, with ``a`` the lowest, ``c`` the most likely and ``b`` the highest value
    (£ for a risk's impact).

    References
    ----------
    Vose, D. (2008), *Risk Analysis: A Quantitative Guide*, 3rd ed., the triangular distribution.

    Examples
    --------
    >>> from asdm_models.adjustments import triangular_mean
    >>> float(triangular_mean(10.0, 20.0, 60.0))
    30.0
    """
    return (np.asarray(low) + np.asarray(most_likely) + np.asarray(high)) / 3.0


def risk_expected_value(probability, low, most_likely, high, from_year, to_year, n_years) -> np.ndarray:
    """Expected cost of a risk by year, negative (a cost).

    Parameters
    ----------
    probability : float or ndarray (cases,) or (cases, 1)
        Probability that the risk occurs (once) in its window.
    low, most_likely, high : float or ndarray, as ``probability``
        Triangular impact if it occurs (GBP, positive).
    from_year, to_year : int
        The window, year indices (inclusive).
    n_years : int

    Returns
    -------
    ndarray (T,) or (cases, T)
        ``-probability * mean impact / window length`` in each year of the window, 0 elsewhere.

    Notes
    -----
    ``EV_t = -p * (a + c + b) / 3 / (t_2 - t_1 + 1)`` for ``t_1 <= t <= t_2``, 0 elsewhere, with ``p`` the
    probability, ``(a, c, b)`` the triangular impact (£) and ``t_1..t_2`` the window (year indices).

    The risk occurs at most once, in a year equally likely to be any of the window's, so its
    expected cost is spread evenly over the window. The Monte Carlo draws the same risk
    (occurrence, impact and year) instead of taking its mean.

    References
    ----------
    HM Treasury, *The Green Book* (2022), A5.10-A5.11 (risk registers, expected values, risk-adjusted costs).

    Examples
    --------
    >>> from asdm_models.adjustments import risk_expected_value
    >>> risk_expected_value(0.5, 10.0, 20.0, 60.0, 1, 2, 4).tolist()
    [-0.0, -7.5, -7.5, -0.0]
    """
    t = np.arange(n_years)
    window = ((t >= from_year) & (t <= to_year)).astype(float)
    per_year = np.asarray(probability, dtype=float) * triangular_mean(low, most_likely, high) / (to_year - from_year + 1)
    if per_year.ndim == 1:  # one value per case, given as a flat array
        per_year = per_year[:, None]
    return -per_year * window
