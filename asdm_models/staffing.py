"""Staff: pay, employer pension contributions, the admitted-body bond and the one-offs of a transfer.

Each rule is a formula over numpy arrays (per-case values as ``(cases, 1)`` columns, profiles by
year as ``(T,)`` or ``(cases, T)``); the engine passes its profiles as
:class:`~asdm_models.flows.Flow` objects so the same formula stays factorised. Costs are negative.
"""

from __future__ import annotations

import numpy as np

from .flows import Flow

__all__ = ["staff_pay", "employer_pension", "pension_bond", "apprenticeship_levy", "transfer_one_off"]


def staff_pay(staff_fte, cost_per_fte_gbp, pay_index):
    """Staff pay by year, real terms (a cost, negative).

    Parameters
    ----------
    staff_fte : float or ndarray (cases, 1)
        Full-time-equivalent staff.
    cost_per_fte_gbp : float or ndarray (cases, 1)
        Salary plus employer National Insurance per FTE a year at the price base (GBP).
    pay_index : ndarray (T,) or (cases, T)
        Real pay index ``((1 + pay) / (1 + GDP deflator)) ** t`` (:func:`~asdm_models.indexation.real_index`).

    Returns
    -------
    ndarray
        ``-fte * cost_per_fte * pay_index`` (GBP a year).

    Notes
    -----
    Pay awards above the GDP deflator are a real cost increase (the *real pay drift*); it lands on
    whoever employs the staff unless the fee is indexed to pay (see :func:`asdm_models.contract.management_fee`).

    References
    ----------
    HM Treasury, *The Green Book* (2022), A6.4 (relative price effects are included in real-terms appraisal).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.staffing import staff_pay
    >>> from asdm_models.indexation import real_index
    >>> staff_pay(10, 30_000.0, real_index(0.03, 0.02, np.arange(3))).round(2).tolist()
    [-300000.0, -302941.18, -305911.19]
    """
    return -staff_fte * cost_per_fte_gbp * pay_index


def employer_pension(staff_pay_gbp, employer_rate):
    """Employer pension contributions: ``employer_rate * staff pay`` (a cost, negative with pay).

    Parameters
    ----------
    staff_pay_gbp : ndarray or Flow
        Staff pay by year (negative), from :func:`staff_pay`.
    employer_rate : float or ndarray (cases, 1)
        LGPS (or other scheme) employer contribution rate as a fraction of pay.

    Returns
    -------
    ndarray or Flow
        Employer pension contributions by year (negative), £ a year real.

    Notes
    -----
    ``E_t = P_t * e``, with ``P_t`` staff pay (negative, £ a year real) and ``e`` the employer
    contribution rate (a fraction of pay), so the contributions follow pay, real pay drift included. One
    rate for the whole period: a change at a later actuarial valuation, or a deficit lump sum, is not
    modelled separately (state it in the rate, or as a line).

    References
    ----------
    Local Government Pension Scheme Regulations 2013 (SI 2013/2356), reg 62 (actuarial valuation and the
    rates and adjustments certificate) and reg 67 (employer's contributions at the certified rate).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.staffing import employer_pension
    >>> employer_pension(np.array([-300_000.0]), 0.185).tolist()
    [-55500.0]
    """
    return staff_pay_gbp * employer_rate


def pension_bond(bond_gbp, profile):
    """The admitted-body bond or guarantee premium a provider pays to join the LGPS (a cost each year).

    Parameters
    ----------
    bond_gbp : float or ndarray (cases, 1)
        A year's premium for the bond or guarantee at the price base, £.
    profile : ndarray (T,) or (cases, T), or Flow
        The years it is paid (1 in each).

    Returns
    -------
    ndarray or Flow
        The premium by year (negative), £ a year real.

    Notes
    -----
    ``B_t = -b * p_t``, with ``b`` a year's premium (£ a year real, constant in real terms) and ``p_t`` 1
    in each year it is paid. A resource cost to the provider (the price of insuring the fund against its
    exit or failure).

    References
    ----------
    Local Government Pension Scheme Regulations 2013 (SI 2013/2356), reg 3(1)(b) and Schedule 2 Part 3
    (admission bodies: the admission agreement, the risk assessment and the indemnity or bond it requires).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.staffing import pension_bond
    >>> pension_bond(45_000.0, np.ones(2)).tolist()
    [-45000.0, -45000.0]
    """
    return -bond_gbp * profile


def apprenticeship_levy(staff_pay_gbp, levy_rate, allowance_gbp):
    """The apprenticeship levy on the service's pay bill: ``-max(rate * pay bill - allowance, 0)`` a year.

    Parameters
    ----------
    staff_pay_gbp : ndarray or Flow
        Staff pay by year (negative), from :func:`staff_pay`; the levy is on pay subject to employer NICs.
    levy_rate : float or ndarray (cases, 1)
        0.5% (HMRC).
    allowance_gbp : float or ndarray (cases, 1)
        The employer's levy allowance (£15,000 a year) when it is the deliverer's own: 0 for the council or a
        large contractor, whose allowance the rest of their pay bill already uses; £15,000 for a new company.

    Returns
    -------
    ndarray or Flow
        The levy (negative), a transfer to the Exchequer: in the council lens and a provider's accounts, not
        in the economic case.

    Notes
    -----
    When staff transfer to a new entity with its own allowance, the first £3m of its pay bill is levy-free:
    money that stays with the service rather than going to the Exchequer.

    References
    ----------
    Finance Act 2016, Part 6 (apprenticeship levy), ss98-101; HMRC Apprenticeship Levy Manual ALM01000 (rate
    0.5%, allowance £15,000, shared by connected companies).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.staffing import apprenticeship_levy
    >>> apprenticeship_levy(np.array([-4_400_000.0, -2_000_000.0]), 0.005, 15_000.0).tolist()
    [-7000.0, -0.0]
    >>> apprenticeship_levy(np.array([-4_400_000.0]), 0.005, 0.0).tolist()
    [-22000.0]
    """
    if isinstance(staff_pay_gbp, Flow):
        if np.ndim(allowance_gbp) == 0 and float(allowance_gbp) == 0.0:
            return staff_pay_gbp * levy_rate  # no allowance: a share of pay, factorised
        staff_pay_gbp = staff_pay_gbp.values()
        return Flow.term(staff_pay_gbp.shape[-1], 1.0, -np.maximum(-staff_pay_gbp * levy_rate - allowance_gbp, 0.0))
    return -np.maximum(-np.asarray(staff_pay_gbp) * levy_rate - allowance_gbp, 0.0)


def transfer_one_off(amount_gbp, go_live_year_mask):
    """A one-off cost of the transfer borne by the council in the go-live year: redundancy, pension strain.

    Notes
    -----
    ``X_t = -A * [t = L]``, with ``A`` the one-off amount (£ real at the price base) and ``L`` the go-live
    year. Redundancy and pension strain are transfers (payments to individuals and the pension fund): in
    the council lens, not the economic case.

    References
    ----------
    HM Treasury, *The Green Book* (2022), A1.9 (transfer payments are excluded from social value).

    Examples
    --------
    >>> import numpy as np
    >>> from asdm_models.staffing import transfer_one_off
    >>> from asdm_models.indexation import in_year
    >>> transfer_one_off(40_000.0, in_year(np.arange(3), 1)).tolist()
    [-0.0, -40000.0, -0.0]
    """
    return -amount_gbp * go_live_year_mask
