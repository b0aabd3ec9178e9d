"""Optimism bias and risk: the Green Book's adjustments for over-optimism and for what could go wrong."""

from __future__ import annotations

import numpy as np

__all__ = ["optimism_bias_uplift", "triangular_mean", "risk_expected_value"]


def optimism_bias_uplift(upper: float, lower: float, mitigation: float) -> float:
    """The uplift to apply to a cost at a stage: ``lower + (1 - mitigation) * (upper - lower)``.

    Parameters
    ----------
    upper, lower : float
        Upper and lower bounds for the project type, as fractions (0.24 = 24%).
    mitigation : float
        Share of the gap between the bounds removed by evidence so far, 0 to 1. An OBC
        with early estimates mitigates little; an FBC with tendered prices mitigates most.

    References
    ----------
    HM Treasury, Green Book supplementary guidance: optimism bias (2003), section 3 and table 1:
    start from the upper bound and reduce it as contributory factors are managed, never below the lower bound.

    Examples
    --------
    >>> round(optimism_bias_uplift(0.24, 0.02, 0.5), 4)   # standard buildings, half mitigated
    0.13
    >>> optimism_bias_uplift(2.0, 0.10, 1.0)                # equipment/development, fully mitigated
    0.1
    """
    if not 0.0 <= mitigation <= 1.0:
        raise ValueError(f"mitigation must be between 0 and 1, got {mitigation}")
    return lower + (1.0 - mitigation) * (upper - lower)  # this order gives the lower bound exactly when fully mitigated


def triangular_mean(low, most_likely, high):
    """Mean of a triangular distribution: ``(low + most_likely + high) / 3``.

    Reference: Vose (2008), *Risk Analysis*, 3rd ed., triangular distribution.

    >>> float(triangular_mean(10.0, 20.0, 60.0))
    30.0
    """
    return (np.asarray(low) + np.asarray(most_likely) + np.asarray(high)) / 3.0


def risk_expected_value(probability, low, most_likely, high, from_year: int, to_year: int, n_years: int) -> np.ndarray:
    """Expected cost of a risk by year, negative (a cost).

    A risk occurs at most once in its window ``from_year..to_year`` with the given
    probability, in a year equally likely to be any of the window's; its cost if it occurs is
    triangular(low, most likely, high). The expected cost in each year of the window is
    therefore ``probability * mean impact / window length``.

    Examples
    --------
    >>> risk_expected_value(0.5, 10.0, 20.0, 60.0, 1, 2, 4).tolist()
    [-0.0, -7.5, -7.5, -0.0]
    """
    t = np.arange(n_years)
    window = (t >= from_year) & (t <= to_year)
    per_year = np.asarray(probability) * triangular_mean(low, most_likely, high) / (to_year - from_year + 1)
    return -np.asarray(per_year)[..., None] * window if np.ndim(per_year) else -per_year * window
