"""Green Book discounting, NPV, and real/nominal conversion.

Pure functions over numpy arrays; every function broadcasts over leading axes
(draws, cases) with years on the last axis.
"""

from __future__ import annotations

import numbers

import numpy as np

from .reference import DiscountSchedule, default_reference

__all__ = ["discount_factors", "npv", "to_nominal", "to_real", "real_growth_index", "year_rates"]


def year_rates(n_years: int, schedule: "str | float | DiscountSchedule" = "green_book", *, reference=None) -> np.ndarray:
    """The discount rate that applies to each year ``t = 0 .. n_years-1`` (year 0's is never used).

    Parameters
    ----------
    n_years : int
        Number of years, year 0 included.
    schedule : str, float or DiscountSchedule
        A schedule name from ``data/reference/discount_schedules.yaml``, a schedule object, or a flat
        annual rate as a fraction.
    reference : Reference, optional
        Where named schedules are looked up; the project's reference data when omitted.

    Returns
    -------
    ndarray, shape (n_years,)
        The annual rate of each year, a fraction.

    Notes
    -----
    ``r_t = rate_k`` for the band ``k`` with ``from_k <= t < from_{k+1}`` (the schedule's bands start at
    the years ``from_k``); a flat rate ``r`` gives ``r_t = r`` in every year. For the standard schedule
    ``r_t = 3.5%`` for ``t <= 30``, ``3.0%`` for ``31 <= t <= 75``, and so on.

    References
    ----------
    HM Treasury (2022), *The Green Book*, Annex A6 (discounting), table 8 (the social time preference rate
    and the declining long-term schedule).

    Examples
    --------
    >>> from asdm_models.discounting import year_rates
    >>> r = year_rates(80)
    >>> float(r[30]), float(r[31]), float(r[75]), float(r[76])
    (0.035, 0.03, 0.03, 0.025)
    """
    if isinstance(schedule, numbers.Real) and not isinstance(schedule, (bool, np.bool_)):  # numpy scalars too
        return np.full(n_years, float(schedule))
    if isinstance(schedule, str):
        ref = reference or default_reference()
        if schedule not in ref.discount_schedules:
            raise ValueError(f"unknown discount schedule {schedule!r}; known: {', '.join(ref.discount_schedules)}")
        schedule = ref.discount_schedules[schedule]
    t = np.arange(n_years)
    band = np.searchsorted(np.asarray(schedule.from_years), t, side="right") - 1
    return np.asarray(schedule.rates, dtype=float)[band]


def discount_factors(n_years: int, schedule: "str | float | DiscountSchedule" = "green_book", *, reference=None) -> np.ndarray:
    """Discount factors for years ``0 .. n_years-1`` under a Green Book schedule or a flat rate.

    Parameters
    ----------
    n_years : int
        Number of years, year 0 included.
    schedule : str, float or DiscountSchedule
        ``"green_book"`` (STPR), ``"health"``, ``"long_horizon_2026"`` (names from
        ``data/reference/discount_schedules.yaml``), a schedule object, or a flat annual rate
        as a fraction.

    Returns
    -------
    ndarray, shape (n_years,)
        ``D_0 = 1`` and ``D_t = D_{t-1} / (1 + r_t)``, where ``r_t`` is the rate of the band
        holding year ``t``.

    Notes
    -----
    A declining schedule compounds each band on from the last factor of the band
    before, so for the standard schedule ``D_t = 1.035^-t`` for ``t <= 30`` and
    ``D_t = 1.035^-30 * 1.03^-(t-30)`` for ``31 <= t <= 75``.

    References
    ----------
    HM Treasury (2022), *The Green Book*, Annex A6 (discounting), table 8.

    Examples
    --------
    >>> from asdm_models.discounting import discount_factors
    >>> df = discount_factors(32)
    >>> round(float(df[1]), 6), round(float(df[30]), 6), round(float(df[31]), 6)
    (0.966184, 0.356278, 0.345901)
    >>> discount_factors(3, 0.10).round(4).tolist()
    [1.0, 0.9091, 0.8264]
    """
    if n_years < 0:
        raise ValueError("n_years must be 0 or more")
    r = year_rates(n_years, schedule, reference=reference)
    growth = np.concatenate(([1.0], 1.0 + r[1:]))[:n_years]  # n_years == 0: no years, no factors
    return 1.0 / np.cumprod(growth)


def npv(cashflows, factors) -> np.ndarray | float:
    """Net present value: the sum over the last axis of cash flows times discount factors.

    Parameters
    ----------
    cashflows : array_like, shape (..., n_years)
        Cash flows by year, year 0 first, any leading shape (options, draws, cases).
    factors : array_like, shape (n_years,)
        Discount factors from :func:`discount_factors`.

    Returns
    -------
    float or ndarray of shape (...)
        The present value at year 0, in the units of the cash flows (£ real at the price base).

    Notes
    -----
    ``NPV = sum_{t=0}^{T-1} c_t * D_t``, with ``c_t`` the cash flow of year ``t`` (£ a year real) and
    ``D_t`` its discount factor (``D_0 = 1``). Cash flows of a year are taken to fall at a single point
    in it, year 0 undiscounted. The number of cash flow years must equal the number of factors.

    References
    ----------
    HM Treasury (2022), *The Green Book*, chapter 5 (discounting and social time preference; the net
    present social value) and Annex A6 (discounting).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.discounting import discount_factors, npv
    >>> npv([-100.0, 60.0, 60.0], discount_factors(3, 0.10)).round(2)
    np.float64(4.13)
    >>> npv(np.ones((2, 3)), [1.0, 0.5, 0.25]).tolist()
    [1.75, 1.75]
    """
    c = np.asarray(cashflows, dtype=float)
    f = np.asarray(factors, dtype=float)
    if c.shape[-1] != f.shape[-1]:
        raise ValueError(f"cash flows cover {c.shape[-1]} years but there are {f.shape[-1]} discount factors")
    return c @ f


def _deflator(n_years: int, gdp_deflator) -> np.ndarray:
    g = np.asarray(gdp_deflator, dtype=float)
    t = np.arange(n_years)
    return (1.0 + g[..., None]) ** t if g.ndim else (1.0 + g) ** t


def to_nominal(real, gdp_deflator) -> np.ndarray:
    """Real (price-base) cash flows to nominal cash: ``nominal_t = real_t * (1 + g)^t``.

    Year 0 is at the price base. ``gdp_deflator`` may be a scalar or have the leading shape of
    ``real`` without its year axis (one rate per draw).

    Notes
    -----
    ``n_t = r_t * (1 + g) ** t``, with ``r_t`` the real cash flow of year ``t`` (£ at the price base),
    ``g`` the annual GDP deflator (a fraction) and ``n_t`` cash of the day (nominal £).

    References
    ----------
    HM Treasury (2022), *The Green Book*, A6.2: real prices remove general inflation as
    measured by the GDP deflator.

    Examples
    --------
    >>> from asdm_models.discounting import to_nominal
    >>> to_nominal([100.0, 100.0, 100.0], 0.02).round(2).tolist()
    [100.0, 102.0, 104.04]
    """
    r = np.asarray(real, dtype=float)
    return r * _deflator(r.shape[-1], gdp_deflator)


def to_real(nominal, gdp_deflator) -> np.ndarray:
    """Nominal cash to real terms at the price base: the inverse of :func:`to_nominal`.

    Notes
    -----
    ``r_t = n_t / (1 + g) ** t``, with ``n_t`` nominal £ in year ``t``, ``g`` the annual GDP deflator (a
    fraction, a scalar or one per leading row) and ``r_t`` £ real at the price base (year 0).

    References
    ----------
    HM Treasury (2022), *The Green Book*, chapter 5, adjustments for inflation (nominal values converted
    to real prices with the GDP deflator).

    Examples
    --------
    >>> from asdm_models.discounting import to_real
    >>> to_real([100.0, 102.0, 104.04], 0.02).round(6).tolist()
    [100.0, 100.0, 100.0]
    """
    n = np.asarray(nominal, dtype=float)
    return n / _deflator(n.shape[-1], gdp_deflator)


def real_growth_index(n_years: int, nominal_rate, gdp_deflator) -> np.ndarray:
    """Relative price index in real terms: ``((1 + nominal) / (1 + deflator))^t``.

    A cost that rises with pay at 3% while general inflation is 2% grows by about 1% a
    year in real terms; that relative price effect stays in a real-terms appraisal.

    Notes
    -----
    ``X_t = ((1 + n) / (1 + g)) ** t``, with ``n`` the nominal annual rate of the price (pay, energy)
    and ``g`` the GDP deflator (fractions); dimensionless, 1 in year 0. It equals
    :func:`asdm_models.indexation.real_index` for the same rates.

    References
    ----------
    HM Treasury (2022), *The Green Book*, chapter 5, adjustments for inflation (relative price changes,
    a price rising faster or slower than general inflation, are kept in a real-terms appraisal).

    Examples
    --------
    >>> from asdm_models.discounting import real_growth_index
    >>> real_growth_index(3, 0.03, 0.02).round(6).tolist()
    [1.0, 1.009804, 1.019704]
    """
    rate = np.asarray(nominal_rate, dtype=float)
    g = np.asarray(gdp_deflator, dtype=float)
    ratio = (1.0 + rate) / (1.0 + g)
    return ratio[..., None] ** np.arange(n_years) if ratio.ndim else ratio ** np.arange(n_years)
