"""Business rates, rates relief and irrecoverable VAT: the taxes that often decide between delivery models.

All three are transfers (HM Treasury, *The Green Book* (2022), A1.9): they move money between the
council, the provider and the national taxpayer and are left out of the economic case, but they are
real money in the council lens and in a provider's accounts.
"""

from __future__ import annotations

__all__ = ["business_rates", "rates_relief", "irrecoverable_vat"]


def business_rates(gross_rates_gbp, index):
    """Gross non-domestic rates by year: ``-gross * index`` (negative).

    Parameters
    ----------
    gross_rates_gbp : float or ndarray (cases, 1)
        A year's rates bill before relief at the price base (rateable value times the multiplier), £.
    index : ndarray (T,) or (cases, T)
        The real index the bill follows (prices: the multiplier is uprated with inflation).

    Returns
    -------
    ndarray (T,) or (cases, T)
        The gross rates by year (negative), £ a year real.

    Notes
    -----
    ``R_t = -G * I_t``, with ``G`` the gross bill at the price base (£ a year real) and ``I_t`` the real
    index. Relief is a separate line (:func:`rates_relief`). A transfer: in the council lens and the
    deliverer's accounts, not in the economic case. Revaluations and transitional relief are not
    modelled.

    References
    ----------
    Local Government Finance Act 1988, Part 3 (non-domestic rating): s43 (the chargeable amount for an
    occupied hereditament, from its rateable value and the multiplier) and Schedule 7 (the multipliers);
    HM Treasury, *The Green Book* (2022): taxes are transfer payments, left out of social value.

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.local_taxes import business_rates
    >>> business_rates(480_000.0, np.ones(2)).tolist()
    [-480000.0, -480000.0]
    """
    return -gross_rates_gbp * index


def rates_relief(business_rates_gbp, relief_rate):
    """Rates relief: ``-relief_rate * rates`` (positive: it reduces the bill).

    Notes
    -----
    ``RR_t = -q * R_t``, with ``R_t`` the gross rates (negative, £ a year real, :func:`business_rates`)
    and ``q`` the relief as a fraction of the bill (0.8 for a charity's mandatory relief, up to 1 with
    discretionary top-up), so ``RR_t >= 0``. A transfer, like the rates.

    References
    ----------
    Local Government Finance Act 1988, s43(5)-(6) (mandatory 80% relief for charities) and s47
    (discretionary relief).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.local_taxes import rates_relief
    >>> rates_relief(np.array([-480_000.0]), 0.8).tolist()
    [384000.0]
    """
    return -(business_rates_gbp * relief_rate)


def irrecoverable_vat(vatable_spend_gbp, irrecoverable_rate):
    """VAT the deliverer cannot recover on its non-pay spend: ``rate * spend`` (negative with spend).

    Parameters
    ----------
    vatable_spend_gbp : ndarray or Flow
        Non-staff, energy and support spend by year (negative), net of non-staff efficiencies.
    irrecoverable_rate : float or ndarray (cases, 1)
        Share of that spend lost as VAT (0 for a council under s33 VATA 1994).

    Notes
    -----
    ``V_t = v * S_t``, with ``S_t`` the VAT-able spend (negative, £ a year real) and ``v`` the share of
    it lost as VAT (a fraction of the spend). A transfer to the Exchequer: in the council lens and the
    deliverer's accounts, not the economic case.

    References
    ----------
    Value Added Tax Act 1994, s33 (local authorities recover VAT on non-business activities).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.local_taxes import irrecoverable_vat
    >>> irrecoverable_vat(np.array([-1_000_000.0]), 0.02).tolist()
    [-20000.0]
    """
    return vatable_spend_gbp * irrecoverable_rate
