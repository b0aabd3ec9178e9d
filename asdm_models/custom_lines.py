"""A council's own lines: the rule every line stated in the data follows.

A line (``lines:`` in ``current_service`` or an option) states its amount (a year's or once),
indexation, timing, who bears it, its kind for the lenses and an optional optimism-bias category;
see the README's data format. Its value by year is one formula, :func:`custom_line`; the engine
(:func:`asdm_models.cashflows.evaluate`) places it with the party that bears it and in the lenses
its kind says.
"""

from __future__ import annotations

import numpy as np

from .indexation import compound_from, in_year, in_years, ramp

__all__ = ["custom_line", "line_profile"]


def line_profile(t, *, per: str, start, end=None, ramp_years=0.0, real_growth=0.0, go_live=None, earlier_growth=None):
    """The shape by year of a line before its amount and index: timing, ramp and real growth.

    Parameters
    ----------
    t : ndarray (T,)
    per : {"year", "once"}
        A year's amount each year it runs, or one amount in its first year.
    start, end : float or ndarray (cases, 1)
        First and last year index (``end`` None: to the end of the period).
    ramp_years : float or ndarray (cases, 1)
        Straight-line build-up from ``start`` (:func:`~asdm_models.indexation.ramp`).
    real_growth : float or ndarray (cases, 1)
        Annual real change compounding from ``start`` (:func:`~asdm_models.indexation.compound_from`).
    go_live, earlier_growth : float or ndarray (cases, 1), optional
        For an option's restatement of a running line: the go-live year and the current service's growth,
        which applies until the year before go-live (the option's rate applies from its go-live year on,
        as :func:`~asdm_models.indexation.growth_from_go_live` does for fees).

    Returns
    -------
    ndarray (T,) or (cases, T)
        The line's shape by year, dimensionless (the engine multiplies it by the amount and the index).

    Notes
    -----
    With ``s`` the first year, ``e`` the last (``T - 1`` when ``end`` is None), ``n`` the ramp years and
    ``g`` the real growth (a fraction a year):

    * ``per == "once"``: ``p_t = [t = s]``;
    * ``per == "year"``: ``p_t = [s <= t <= e] * r_t * (1 + g) ** max(t - s, 0)``, with the ramp
      ``r_t = min((t - s + 1) / n, 1)`` (1 when ``n`` is 0);
    * a restated running line (``go_live`` ``L`` and ``earlier_growth`` ``g_c`` given), with
      ``M = max(L - 1, s)``: ``p_t = [s <= t <= e] * r_t * (1 + g_c) ** max(min(t, M) - s, 0) *
      (1 + g) ** max(t - M, 0)``.

    ``g`` is a change in real terms, on top of the line's index.

    References
    ----------
    HM Treasury, *The Green Book* (2022), chapter 5 (shortlist appraisal: costs and benefits counted in
    the years they occur; adjustments for inflation: real terms at the price base, real changes shown
    explicitly).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.custom_lines import line_profile
    >>> line_profile(np.arange(5), per="year", start=1, end=3, ramp_years=2, real_growth=0.1).round(4).tolist()
    [0.0, 0.5, 1.1, 1.21, 0.0]
    >>> line_profile(np.arange(3), per="once", start=2).tolist()
    [0.0, 0.0, 1.0]

    An option restating a line's growth as 10% from its go-live in year 2 (the current service's is 0%):

    >>> line_profile(np.arange(5), per="year", start=0, real_growth=0.1, go_live=2, earlier_growth=0.0).round(4).tolist()
    [1.0, 1.0, 1.1, 1.21, 1.331]
    """
    if per == "once":
        return in_year(t, start)
    last = t[-1] if end is None else end
    shape = in_years(t, start, last)
    if np.any(np.asarray(ramp_years) != 0):
        shape = shape * ramp(t, start, ramp_years)
    if go_live is not None and earlier_growth is not None:
        switch = np.maximum(np.asarray(go_live, dtype=float) - 1.0, np.asarray(start, dtype=float))
        if np.any(np.asarray(real_growth) != 0) or np.any(np.asarray(earlier_growth) != 0):
            shape = shape * compound_from(np.minimum(t, switch), start, earlier_growth) * compound_from(
                t, switch, real_growth)
    elif np.any(np.asarray(real_growth) != 0):
        shape = shape * compound_from(t, start, real_growth)
    return shape


def custom_line(sign, amount_gbp, index, profile):
    """A council's own line by year: ``sign * amount_gbp * index * profile``.

    Parameters
    ----------
    sign : {-1.0, 1.0}
        -1 for a cost, +1 for income (amounts are stated as positive numbers).
    amount_gbp : float or ndarray (cases, 1)
        A year's amount, or the single amount, real at the price base.
    index : ndarray (T,) or (cases, T)
        The real index the line follows (:func:`~asdm_models.indexation.real_index` of a single index or
        a capped basket; 1 for the GDP deflator, falling for an amount fixed in cash).
    profile : ndarray (T,) or (cases, T)
        :func:`line_profile`.

    Notes
    -----
    Indexation runs from the price base (year 0), like every other line, so an amount stated at the
    price base keeps its meaning whatever year it starts. Real growth compounds from the line's first
    year. Which lens a line enters follows its ``kind``: ``resource`` both, ``benefit`` the economic
    case only, ``transfer`` the council lens only, ``internal`` neither (it nets out between the
    council, the provider and the partner).

    References
    ----------
    HM Treasury, *The Green Book* (2022), A1.9 (transfers), A6.2-A6.4 (real terms and relative prices).

    Examples
    --------
    A café franchise paying £60,000 a year from year 1, indexed to CPI 2% with the GDP deflator at 2%:

    >>> import numpy as np
    >>> from asdm_models.custom_lines import custom_line, line_profile
    >>> from asdm_models.indexation import real_index
    >>> t = np.arange(3)
    >>> custom_line(1.0, 60_000.0, real_index(0.02, 0.02, t), line_profile(t, per="year", start=1)).tolist()
    [0.0, 60000.0, 60000.0]
    """
    return sign * amount_gbp * index * profile
