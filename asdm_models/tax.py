"""UK corporation tax for a council-owned company or joint venture, as pure numpy functions.

The rates, limits and capital-allowance categories are reference data
(``data/reference/corporation_tax.yaml``, loaded by :mod:`asdm_models.reference`),
so a Finance Act that changes them is a data change. Every function works over
the last axis (years) with any leading shape (cases, draws), without a Python
loop over years or cases.

A company's tax by year is built in three steps::

    allowances = capital_allowances(capital_spend, category)     # per category, summed
    taxable = taxable_profit_after_losses(profit - allowances)   # losses carried forward
    tax = corporation_tax(taxable, rules)                         # small profits rate / marginal relief

Assumptions, stated once: each year of the appraisal is one 12-month accounting
period aligned with the financial year (1 April to 31 March), so no limit is
time-apportioned and no accounting period straddles a change of rate; the
company has no ring fence profits, is not a close investment-holding company and
receives no exempt distributions (augmented profits equal taxable total profits).
"""

from __future__ import annotations

import numpy as np

from .reference import CapitalAllowanceCategory, CorporationTaxRules, default_reference

__all__ = [
    "taxable_profit_after_losses",
    "corporation_tax",
    "marginal_relief",
    "capital_allowances",
    "capital_allowance_kernel",
]


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _by_year(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        raise ValueError(f"{name} must have a years axis (the last axis); got a scalar")
    return a


def _rules(rules: CorporationTaxRules | None) -> CorporationTaxRules:
    if rules is None:
        rules = default_reference().corporation_tax
    if not isinstance(rules, CorporationTaxRules):
        raise TypeError(f"rules must be a CorporationTaxRules (Reference.corporation_tax), got {type(rules).__name__}")
    return rules


def _category(category: CapitalAllowanceCategory | str) -> CapitalAllowanceCategory:
    if isinstance(category, str):
        known = default_reference().capital_allowances
        if category not in known:
            raise ValueError(f"unknown capital allowance category {category!r}; known: {', '.join(known)}")
        return known[category]
    if not isinstance(category, CapitalAllowanceCategory):
        raise TypeError(f"category must be a CapitalAllowanceCategory or its name, got {type(category).__name__}")
    return category


def _taxable(profit) -> np.ndarray:
    n = np.asarray(profit, dtype=float)
    if np.any(n < 0):
        raise ValueError("taxable profit must be >= 0: apply taxable_profit_after_losses to the profit first")
    return n


def _limits(rules: CorporationTaxRules, associated_companies) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for a 12-month period, divided by 1 + associated companies (CTA 2010 s18D(3))."""
    n = np.asarray(associated_companies, dtype=float)
    if np.any(~np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError(f"associated_companies must be a whole number >= 0, got {associated_companies!r}")
    return rules.lower_limit_gbp / (1.0 + n), rules.upper_limit_gbp / (1.0 + n)


# ------------------------------------------------------------------------------------------------
# losses
# ------------------------------------------------------------------------------------------------


def taxable_profit_after_losses(profit) -> np.ndarray:
    """Taxable profit by year after trading losses carried forward without limit (never back).

    Parameters
    ----------
    profit : array_like, shape (..., n_years)
        Taxable trading profit before loss relief, nominal £ a year (after capital
        allowances); negative in a loss-making year. Leading axes are cases.

    Returns
    -------
    ndarray, shape (..., n_years)
        Profit taxed in each year, £ (>= 0). A loss year is taxed 0, with no repayment;
        later profits are taxed only once they exceed the losses brought forward.

    Notes
    -----
    With losses carried forward and set against the first available profits, the
    profit taxed up to year :math:`t` is the highest cumulative profit reached so far,
    or 0:

    .. math:: X_t = \\max\\bigl(0, \\max_{s \\le t} C_s\\bigr), \\qquad C_t = \\sum_{s \\le t} p_s,

    and the profit taxed in year :math:`t` is :math:`X_t - X_{t-1}` (:math:`X_{-1} = 0`).
    A cumulative-maximum and a difference, so no loop over years.

    The company is assumed to claim the carry-forward in full each year
    (CTA 2010 s45A for losses arising from 1 April 2017, set against total
    profits). Carry-back against the previous 12 months (CTA 2010 s37) is not
    modelled: it would bring tax relief forward, so leaving it out is prudent. The
    2017 loss restriction (only 50% of profits above a £5m deductions allowance may
    be relieved by losses brought forward, CTA 2010 s269ZB, with the deductions
    allowance in s269ZR and s269ZW) does not bite
    at the scale modelled (profits of a council company well below £5m a year) and
    is not applied.

    References
    ----------
    .. [1] Corporation Tax Act 2010, s37 (carry-back), s45A (carry-forward of losses
       arising from 1 April 2017), s269ZB (restriction of carried-forward losses).
    .. [2] HMRC Company Taxation Manual, CTM05000 onwards (restriction on relief for
       carried-forward losses; CTM05130, the £5m deductions allowance).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.tax import taxable_profit_after_losses
    >>> taxable_profit_after_losses(np.array([-100.0, 30.0, 50.0, 40.0, -20.0, 60.0])).tolist()
    [0.0, 0.0, 0.0, 20.0, 0.0, 40.0]

    Cases on the leading axis:

    >>> taxable_profit_after_losses(np.array([[10.0, -5.0, 10.0], [-10.0, 5.0, 10.0]])).tolist()
    [[10.0, 0.0, 5.0], [0.0, 0.0, 5.0]]
    """
    p = _by_year(profit, "profit")
    c = np.cumsum(p, axis=-1)
    cum_taxable = np.maximum(np.maximum.accumulate(c, axis=-1), 0.0)
    return np.diff(cum_taxable, axis=-1, prepend=0.0)


# ------------------------------------------------------------------------------------------------
# corporation tax
# ------------------------------------------------------------------------------------------------


def marginal_relief(taxable_profit_gbp, rules: CorporationTaxRules | None = None, *, associated_companies=0) -> np.ndarray:
    """Marginal relief: the reduction of tax at the main rate for profits between the limits.

    Parameters
    ----------
    taxable_profit_gbp : array_like, shape (..., n_years)
        Taxable total profits N of each 12-month accounting period, nominal £, after loss
        relief (>= 0).
    rules : CorporationTaxRules, optional
        Rates, limits and fraction (``Reference.corporation_tax``); the project's
        ``data/reference/corporation_tax.yaml`` when omitted.
    associated_companies : int or array_like of int, broadcastable to the profit
        Number of companies associated with this one in the period (CTA 2010 s18E);
        the limits are divided by one plus this number.

    Returns
    -------
    ndarray, shape (..., n_years)
        Relief in £ (>= 0): zero at or below the lower limit and above the upper limit.

    Notes
    -----
    For augmented profits A above the lower limit L and not above the upper limit U,

    .. math:: \\text{relief} = F \\times (U - A) \\times \\frac{N}{A},

    with F the standard marginal relief fraction (3/200 from financial year 2023).
    A = N here (no exempt distributions), so the relief is :math:`F (U - N)`. With
    :math:`n` associated companies, L and U are divided by :math:`1 + n`. The limits
    are for a 12-month accounting period: each year is taken to be one, aligned with
    the financial year, so they are not time-apportioned (CTA 2010 s18D(4)).

    References
    ----------
    .. [1] Corporation Tax Act 2010, s18B (marginal relief), s18D (lower and upper limits),
       s18E (associated companies), s18L (augmented profits).
    .. [2] Finance Act 2021, s7(2)(b): standard marginal relief fraction 3/200ths.
    .. [3] HMRC Company Taxation Manual, CTM03925 (formula), CTM03935 (associated companies).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.reference import default_reference
    >>> from asdm_models.tax import marginal_relief
    >>> rules = default_reference().corporation_tax
    >>> marginal_relief(np.array([40_000.0, 150_000.0, 300_000.0]), rules).round(2).tolist()
    [0.0, 1500.0, 0.0]

    HMRC's example (CTM03956): profits of £55,000 and two associated companies, so the
    upper limit is £250,000 / 3 = £83,333 and the relief (£83,333 - £55,000) x 3/200 = £425:

    >>> marginal_relief(np.array([55_000.0]), rules, associated_companies=2).round(0).tolist()
    [425.0]
    """
    rules = _rules(rules)
    n = _taxable(taxable_profit_gbp)
    lower, upper = _limits(rules, associated_companies)
    a = n  # augmented profits: no exempt distributions
    between = (a > lower) & (a <= upper)
    return np.where(between, rules.marginal_relief_fraction * (upper - a), 0.0)


def corporation_tax(taxable_profit_gbp, rules: CorporationTaxRules | None = None, *, associated_companies=0,
                    flat_rate=None) -> np.ndarray:
    """Corporation tax payable by year on taxable profit (a positive amount).

    Parameters
    ----------
    taxable_profit_gbp : array_like, shape (..., n_years)
        Taxable total profits of each 12-month accounting period, nominal £, already after
        loss relief (>= 0; see :func:`taxable_profit_after_losses`).
    rules : CorporationTaxRules, optional
        Rates, limits and fraction (``Reference.corporation_tax``); the project's
        ``data/reference/corporation_tax.yaml`` when omitted. Ignored with ``flat_rate``.
    associated_companies : int or array_like of int, broadcastable to the profit
        Number of associated companies (CTA 2010 s18E); the limits are divided by one plus
        this number.
    flat_rate : float or array_like, optional
        A single rate (fraction) applied to all profit instead of the UK regime: 0 for a
        charity or a body exempt from corporation tax, or the user's own rate. May be an
        array broadcastable to the profit, e.g. shape (cases, 1).

    Returns
    -------
    ndarray
        Tax in £ (>= 0), the broadcast shape of the profit and the other arguments.

    Notes
    -----
    The regime from 1 April 2023 (financial year 2023), with N the taxable total profits,
    L and U the lower and upper limits, F the standard marginal relief fraction:

    .. math::

        \\text{tax} = \\begin{cases}
            r_s N & N \\le L \\\\
            r_m N - F (U - N) & L < N \\le U \\\\
            r_m N & N > U
        \\end{cases}

    where :math:`r_s` is the small profits rate (19%) and :math:`r_m` the main rate (25%),
    L = £50,000 and U = £250,000 each divided by one plus the number of associated
    companies. The middle line is the main rate less marginal relief
    (:func:`marginal_relief`), with augmented profits equal to N (no exempt
    distributions). F is set so the tax is continuous at L (the loader checks
    :math:`F = (r_m - r_s) L / (U - L)`), giving a marginal rate of
    :math:`r_m + F` = 26.5% between the limits and an effective rate that rises from
    19% to 25%. All rates, limits and F come from ``rules``.

    Each year is taken to be one 12-month accounting period aligned with the financial
    year, so the limits are not time-apportioned (CTA 2010 s18D(4)) and no period
    straddles a change of rate. Instalment payments (quarterly for large companies) are
    not modelled: the tax is the liability for the year.

    References
    ----------
    .. [1] Corporation Tax Act 2010, s3 (main rate), s18A (small profits rate), s18B
       (marginal relief), s18D-s18E (limits, associated companies).
    .. [2] Finance Act 2021, s6(2)(b) (main rate 25%) and s7(2) (small profits rate 19%,
       fraction 3/200ths) for financial year 2023.
    .. [3] HMRC Company Taxation Manual, CTM03900 onwards; gov.uk, "Marginal Relief for
       Corporation Tax".

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.reference import default_reference
    >>> from asdm_models.tax import corporation_tax
    >>> rules = default_reference().corporation_tax
    >>> corporation_tax(np.array([40_000.0, 150_000.0, 300_000.0]), rules).round(2).tolist()
    [7600.0, 36000.0, 75000.0]

    £150,000 is taxed 25% x 150,000 - 3/200 x (250,000 - 150,000) = 37,500 - 1,500.
    A charity pays nothing; a user's own flat rate is applied to all profit:

    >>> corporation_tax(np.array([150_000.0]), flat_rate=0.0).tolist()
    [0.0]
    >>> corporation_tax(np.array([150_000.0]), flat_rate=0.2).round(2).tolist()
    [30000.0]
    """
    n = _taxable(taxable_profit_gbp)
    if flat_rate is not None:
        r = np.asarray(flat_rate, dtype=float)
        if np.any(~np.isfinite(r)) or np.any(r < 0) or np.any(r > 1):
            raise ValueError(f"flat_rate must be a fraction from 0 to 1 (0.25 for 25%), got {flat_rate!r}")
        return r * n
    rules = _rules(rules)
    lower, _ = _limits(rules, associated_companies)
    relief = marginal_relief(n, rules, associated_companies=associated_companies)
    return np.where(n <= lower, rules.small_profits_rate * n, rules.main_rate * n - relief)


# ------------------------------------------------------------------------------------------------
# capital allowances
# ------------------------------------------------------------------------------------------------


def capital_allowance_kernel(category: CapitalAllowanceCategory | str, n_years: int) -> np.ndarray:
    """Allowances in year ``s + k`` per £1 of capital spend in year ``s``, for ``k = 0 .. n_years-1``.

    Parameters
    ----------
    category : CapitalAllowanceCategory or str
        The category (``Reference.capital_allowances[name]``) or its name in the project's
        ``data/reference/corporation_tax.yaml``: ``main_pool``, ``special_rate``,
        ``annual_investment_allowance``, ``structures_and_buildings``, ``none``.
    n_years : int
        Length of the kernel (the appraisal period).

    Returns
    -------
    ndarray, shape (n_years,)
        Allowance per £1 spent, by years since the spend (>= 0, summing to at most 1).

    Notes
    -----
    Pooled categories (plant and machinery), with first-year rate :math:`f` and
    writing-down rate :math:`w` on the balance :math:`b = 1 - f`:

    * balance entering the pool in the **next** period (a first-year allowance, as
      CAA 2001 s58(5)(a) requires): :math:`k_0 = f`,
      :math:`k_j = b\\, w (1 - w)^{j-1}` for :math:`j \\ge 1`;
    * balance entering the pool in the **same** period (no first-year allowance, or
      the annual investment allowance, CAA 2001 s58(3) and s58(4A)):
      :math:`k_0 = f + b\\, w`, :math:`k_j = b\\, w (1 - w)^j`.

    Straight-line categories (structures and buildings allowance at :math:`s` = 3%):
    :math:`k_j = \\min\\bigl(s, \\max(0, 1 - j s)\\bigr)`, i.e. the cumulative allowance is
    :math:`\\min(1, (j + 1) s)` until the whole cost is relieved (33 1/3 years at 3%).
    The allowance is taken from the year of spend, a simplification: the law starts it
    when the building is first brought into non-residential use (CAA 2001 s270AA(2)).

    Each pool is treated as if it held only this spend (the kernel is linear, so the
    pool of several years' spend is the sum). The written-down value left at the end of
    the period is not relieved; the small pools allowance (CAA 2001 s56A), disposal
    values and balancing allowances or charges are not modelled.

    References
    ----------
    .. [1] Capital Allowances Act 2001: s45S and s52(3) (full expensing 100% on main rate,
       50% on special rate expenditure, companies, from 1 April 2023); s51A (annual
       investment allowance, £1m); s56(1) (main pool 18%); s104D (special rate pool 6%);
       s58(5) (first-year allowance expenditure not pooled in the period it is incurred);
       Part 2A, s270AA (structures and buildings allowance).
    .. [2] Capital Allowances Act 2001, Explanatory Notes, para 291: where a first-year
       allowance is made the expenditure is pooled from the next chargeable period.

    Examples
    --------
    >>> from asdm_models.reference import default_reference
    >>> from asdm_models.tax import capital_allowance_kernel
    >>> cats = default_reference().capital_allowances
    >>> capital_allowance_kernel(cats["special_rate"], 4).round(6).tolist()
    [0.5, 0.03, 0.0282, 0.026508]
    >>> capital_allowance_kernel(cats["main_pool"], 3).tolist()
    [1.0, 0.0, 0.0]
    >>> capital_allowance_kernel(cats["structures_and_buildings"], 3).round(6).tolist()
    [0.03, 0.03, 0.03]
    """
    cat = _category(category)
    if isinstance(n_years, bool) or int(n_years) != n_years or n_years < 0:
        raise ValueError(f"n_years must be a whole number >= 0, got {n_years!r}")
    j = np.arange(int(n_years), dtype=float)
    if cat.straight_line_rate > 0:
        cumulative = np.minimum(1.0, (j + 1.0) * cat.straight_line_rate)
        return np.diff(cumulative, prepend=0.0)
    f, w = cat.first_year_rate, cat.writing_down_rate
    b = 1.0 - f
    if cat.balance_enters_pool == "same_period":
        kernel = b * w * (1.0 - w) ** j
    else:  # next_period
        kernel = np.where(j >= 1, b * w * (1.0 - w) ** np.maximum(j - 1.0, 0.0), 0.0)
    if kernel.size:
        kernel[0] += f
    return kernel


def capital_allowances(spend_gbp, category: CapitalAllowanceCategory | str) -> np.ndarray:
    """Capital allowances by year for capital spend by year in one category.

    Parameters
    ----------
    spend_gbp : array_like, shape (..., n_years)
        Qualifying capital expenditure incurred in each year, nominal £ (>= 0). Leading
        axes are cases.
    category : CapitalAllowanceCategory or str
        The category or its name in ``data/reference/corporation_tax.yaml`` (see
        :func:`capital_allowance_kernel`).

    Returns
    -------
    ndarray, shape (..., n_years)
        Allowances in £ (>= 0) to deduct from taxable profit in each year. Cumulative
        allowances never exceed cumulative spend.

    Notes
    -----
    The allowances are the spend convolved with the kernel :math:`k`
    (:func:`capital_allowance_kernel`):

    .. math:: A_t = \\sum_{s \\le t} x_s\\, k_{t-s},

    computed as one product with the lower-triangular Toeplitz matrix
    :math:`M_{ts} = k_{t-s}` (:math:`t \\ge s`), so it is vectorised over cases and years.
    This is exact for a reducing-balance pool: the pool's writing-down allowance is
    linear in what was added to it.

    For ``main_pool`` and ``special_rate`` the balance left after the first-year allowance
    joins the pool in the next period, as CAA 2001 s58(5)(a) requires ("none of that amount
    is to be allocated to a pool for the chargeable period in which the expenditure is
    incurred"); £100,000 of special rate spend gives £50,000 in year 0, then 6% of £50,000
    = £3,000, then £2,820, and so on. The annual investment allowance limit (£1m a year,
    CAA 2001 s51A(5), shared within a group) is not applied: spend above it belongs in
    ``main_pool`` or ``special_rate``. Unused written-down value at the end of the period
    is not relieved.

    References
    ----------
    .. [1] Capital Allowances Act 2001, Part 2 (plant and machinery: ss45S, 51A, 52, 56, 58,
       104D) and Part 2A (structures and buildings, s270AA).
    .. [2] HMRC Capital Allowances Manual, CA23081 and CA23085 (annual investment allowance).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.reference import default_reference
    >>> from asdm_models.tax import capital_allowances
    >>> cats = default_reference().capital_allowances
    >>> capital_allowances(np.array([100_000.0, 0, 0, 0]), cats["special_rate"]).round(2).tolist()
    [50000.0, 3000.0, 2820.0, 2650.8]
    >>> capital_allowances(np.array([[1e6, 0, 0], [0, 1e6, 0]]), "structures_and_buildings").round(2).tolist()
    [[30000.0, 30000.0, 30000.0], [0.0, 30000.0, 30000.0]]
    """
    x = _by_year(spend_gbp, "spend_gbp")
    if np.any(x < 0):
        raise ValueError("capital spend must be >= 0 (a positive amount of pounds spent)")
    n = x.shape[-1]
    kernel = capital_allowance_kernel(category, n)
    lag = np.subtract.outer(np.arange(n), np.arange(n))  # t - s
    m = np.where(lag >= 0, kernel[np.clip(lag, 0, None)], 0.0)  # M[t, s] = k[t - s]
    return x @ m.T
