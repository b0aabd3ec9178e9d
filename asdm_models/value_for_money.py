"""Value for money (Green Book 2026): the appraisal summary table and its value-for-money category.

An option is judged on an appraisal summary table: the monetised figures, the non-monetised impacts and the
risks, ending in a value-for-money category. A BCR is never a pass/fail test on its own: it places the monetised
figures in a band, and the non-monetised impacts may then move the category. The bands, the rule for options that
save money, the scores of the impacts and the long-horizon threshold are reference data in
``data/reference/value_for_money.yaml`` with their sources; a function given no ``rules`` reads the project's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .reference import ValueForMoneyRules, default_reference
from .units import gbp_m

__all__ = [
    "CATEGORY_RANK",
    "category_rank",
    "VfmResult",
    "monetised_category",
    "impact_adjustment",
    "vfm_category",
    "appraisal_summary_table",
    "needs_long_horizon_test",
]


def _rules(rules: ValueForMoneyRules | None) -> ValueForMoneyRules:
    if rules is not None:
        return rules
    vfm = default_reference().value_for_money
    if vfm is None:  # pragma: no cover - default_reference raises on a broken file
        raise ValueError("the reference data has no value_for_money.yaml")
    return vfm


class _CategoryRank(Mapping):
    """Category name -> rank (0 = lowest), derived from the project's ``value_for_money.yaml`` when first read."""

    def _ranks(self) -> dict:
        return {c.name: i for i, c in enumerate(_rules(None).categories)}

    def __getitem__(self, name: str) -> int:
        return self._ranks()[name]

    def __iter__(self):
        return iter(self._ranks())

    def __len__(self) -> int:
        return len(self._ranks())

    def __repr__(self) -> str:
        return repr(self._ranks())


#: Category name -> rank, lowest 0, in the order of ``value_for_money.yaml`` (read when first used).
CATEGORY_RANK: Mapping = _CategoryRank()


def category_rank(name: str, rules: ValueForMoneyRules | None = None) -> int:
    """Rank of a category (0 = lowest) by its name or label: ``"very_high"``, ``"very high"`` or ``"Very high"``.

    Examples
    --------
    >>> from asdm_models.value_for_money import category_rank
    >>> category_rank("poor"), category_rank("Very high")
    (0, 4)
    """
    vfm = _rules(rules)
    key = str(name).strip().lower().replace(" ", "_")
    for i, c in enumerate(vfm.categories):
        if key in (c.name, c.label.lower().replace(" ", "_")):
            return i
    raise ValueError(f"unknown value-for-money category {name!r}; valid: {', '.join(vfm.names)}")


def _band(ratio: float, vfm: ValueForMoneyRules) -> int:
    """Rank of the band a ratio falls in: the highest whose ``bcr_from`` is not above it."""
    rank = 0
    for i, c in enumerate(vfm.categories):
        if c.bcr_from is not None and ratio >= c.bcr_from:
            rank = i
    return rank


@dataclass(frozen=True)
class VfmResult:
    """The value-for-money category of an option and why.

    Attributes
    ----------
    category, label, rank : str, str, int
        The final category (name, label, rank with 0 the lowest).
    monetised_category, monetised_rank : str, int
        The category from the monetised figures alone, before the non-monetised impacts.
    adjustment : int
        Steps the non-monetised impacts moved the category (``rank - monetised_rank``).
    basis : str
        ``bcr`` (costs rise: banded on the BCR), ``saves_money`` (costs fall, benefits do not),
        ``saving_per_benefit_lost`` (costs and benefits both fall: banded on the saving per pound of benefit lost)
        or ``no_saving_benefit_lost`` (no cost change, benefits lost).
    ratio : float or None
        The ratio that was banded, where one was.
    impact_score : float
        Sum of the impacts' scores.
    moving_impacts : tuple of str
        Descriptions of the impacts that scored (the others are reported but move nothing).
    sentence : str
        Why, in one sentence for a report.
    """

    category: str
    label: str
    rank: int
    monetised_category: str
    monetised_rank: int
    adjustment: int
    basis: str
    ratio: float | None
    impact_score: float
    moving_impacts: tuple
    sentence: str


def _finite(x, what: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return v


def monetised_category(npsv_vs_no_change_gbp: float, bcr: float | None, net_cost_gbp: float,
                       rules: ValueForMoneyRules | None = None) -> tuple[int, str, float | None, str]:
    """The category from the monetised figures alone.

    Parameters
    ----------
    npsv_vs_no_change_gbp : float
        Net present social value against no change, GBP (benefits less costs, risk-adjusted).
    bcr : float or None
        Benefit-cost ratio against no change, or ``None`` where it does not apply
        (:func:`asdm_models.metrics.benefit_cost_ratio`); where costs rise and it is ``None`` it is computed
        from the other two figures.
    net_cost_gbp : float
        Present value of the option's net cost to the public sector against no change, GBP; positive when the
        option costs more, 0 or negative when it costs the same or saves money.
    rules : ValueForMoneyRules, optional

    Returns
    -------
    (int, str, float or None, str)
        Rank, basis (see :class:`VfmResult`), the ratio banded (or None) and a clause saying why.

    Notes
    -----
    With net cost C and NPSV N, the present value of benefits against no change is B = N + C. The cases:

    1. C > 0 (the option costs more): banded on BCR = B / C (the BCR given, else this). A negative NPSV is at
       most the lowest category whatever BCR is given (a BCR at or above the lowest threshold with a negative
       NPSV can only come from inconsistent inputs).
    2. C <= 0 and B >= 0 (saves money, or costs nothing more, and loses no benefit): the option dominates no change
       and is the ``saves_money_without_benefit_loss`` category (very high) whatever its BCR, which is not
       meaningful when costs fall (DfT VfM framework).
    3. C < 0 and B < 0 (saves money but loses benefits): banded on the saving per pound of benefit lost,
       -C / -B, the BCR read the other way round (DfT VfM framework); this is below 1, the lowest category, exactly
       when N < 0, so a cut that loses more than it saves is poor and one that saves four times what it loses is
       very high.
    4. C = 0 and B < 0 (no saving, benefits lost): N < 0, the lowest category.

    In every case an NPSV below zero gives the lowest category.

    References
    ----------
    HM Treasury, The Green Book (2026), appraisal summary table and value for money; DfT, Value for Money
    Framework (2017).

    Examples
    --------
    >>> from asdm_models.value_for_money import monetised_category
    >>> monetised_category(850_000.0, None, 1_000_000.0)[:3]  # BCR 1,850,000 / 1,000,000
    (2, 'bcr', 1.85)
    >>> monetised_category(300_000.0, None, -300_000.0)[:2]  # saves 300,000, no benefit lost
    (4, 'saves_money')
    """
    vfm = _rules(rules)
    n = _finite(npsv_vs_no_change_gbp, "npsv_vs_no_change_gbp")
    c = _finite(net_cost_gbp, "net_cost_gbp")
    b = n + c
    if c > 0:
        ratio = b / c if bcr is None else _finite(bcr, "bcr")
        rank = _band(ratio, vfm)
        why = (f"against no change the option adds {gbp_m(c)} of costs for {gbp_m(b)} of benefits (savings included), a BCR of {ratio:.2f}, "
               f"in the {vfm.categories[rank].label.lower()} band")
        if n < 0 and rank > 0:
            rank = 0
            why += f", but its NPSV against no change is below zero ({gbp_m(n)}), so it is at most " \
                   f"{vfm.categories[0].label.lower()}"
        return rank, "bcr", ratio, why
    if b >= 0:
        rank = category_rank(vfm.saves_money_category, vfm)
        saving = f"saves {gbp_m(-c)} against no change" if c < 0 else "costs no more than no change"
        return rank, "saves_money", None, (f"the option {saving} without losing monetised benefits, so it is "
                                           f"{vfm.categories[rank].label.lower()} whatever its BCR, which does "
                                           f"not apply when costs fall")
    if c < 0:
        ratio = -c / -b
        rank = 0 if n < 0 else _band(ratio, vfm)
        return rank, "saving_per_benefit_lost", ratio, (
            f"the option saves {gbp_m(-c)} against no change but loses {gbp_m(-b)} of benefits, a saving of "
            f"£{ratio:.2f} per £1 of benefit lost, in the {vfm.categories[rank].label.lower()} band")
    return 0, "no_saving_benefit_lost", None, (f"the option saves nothing against no change and loses "
                                               f"{gbp_m(-b)} of benefits")


def _get(impact, key: str):
    if isinstance(impact, Mapping):
        return impact.get(key)
    return getattr(impact, key, None)


def impact_adjustment(impacts, rules: ValueForMoneyRules | None = None) -> tuple[int, float, tuple]:
    """Steps the non-monetised impacts move the category.

    Parameters
    ----------
    impacts : sequence
        Impacts with ``description``, ``direction`` (positive / negative), ``scale`` (small / moderate / large)
        and ``evidence`` (strong / moderate / weak): mappings or objects such as
        :class:`asdm_models.assumptions.Impact`.
    rules : ValueForMoneyRules, optional

    Returns
    -------
    (int, float, tuple of str)
        Steps (negative moves down), the summed score and the descriptions of the impacts that scored.

    Notes
    -----
    .. math:: S = \\sum_i d_i \\, s_i \\, e_i, \\qquad
              \\text{steps} = \\operatorname{sign}(S) \\min(k, \\lfloor |S| \\rfloor)

    with the direction, scale and evidence scores d, s, e and the maximum step k from the reference data. With
    the project's scores only a large impact with at least moderate evidence scores (1 or -1), the step is at
    most one, and a large positive and a large negative impact cancel. This step rule is the suite's convention,
    stated in data: the Green Book (2026) says only that non-monetised impacts can change the category.

    Examples
    --------
    >>> from asdm_models.value_for_money import impact_adjustment
    >>> impact_adjustment([{"description": "Wellbeing", "direction": "positive", "scale": "large",
    ...                     "evidence": "moderate"},
    ...                    {"description": "Footfall", "direction": "negative", "scale": "small",
    ...                     "evidence": "strong"}])
    (1, 1.0, ('Wellbeing',))
    """
    vfm = _rules(rules)
    total = 0.0
    moving = []
    for i, imp in enumerate(impacts):
        d, s, e = (_get(imp, k) for k in ("direction", "scale", "evidence"))
        desc = _get(imp, "description") or f"impact {i + 1}"
        for value, table, what in ((d, vfm.directions, "direction"), (s, vfm.scale_scores, "scale"),
                                   (e, vfm.evidence_weights, "evidence")):
            if value not in table:
                raise ValueError(f"non-monetised impact {desc!r}: {what} {value!r} is not one of {', '.join(table)}")
        score = vfm.directions[d] * vfm.scale_scores[s] * vfm.evidence_weights[e]
        if score != 0:
            moving.append(str(desc))
        total += score
    steps = int(math.copysign(min(vfm.max_step, math.floor(abs(total) + 1e-9)), total)) if total else 0
    return steps, total, tuple(moving)


def vfm_category(npsv_vs_no_change_gbp: float, bcr: float | None, net_cost_gbp: float, impacts=(),
                 rules: ValueForMoneyRules | None = None) -> VfmResult:
    """The value-for-money category of an option: the monetised band, moved by the non-monetised impacts.

    Parameters
    ----------
    npsv_vs_no_change_gbp, bcr, net_cost_gbp
        See :func:`monetised_category`.
    impacts : sequence
        See :func:`impact_adjustment`.
    rules : ValueForMoneyRules, optional
        Reference data; ``None``: the project's.

    Returns
    -------
    VfmResult

    Notes
    -----
    ``rank = clip(monetised_rank + steps, 0, top)``: the impacts move the category within the list; a move past
    either end is reported in the sentence and does not happen.

    References
    ----------
    HM Treasury, The Green Book (2026) and its supplementary guidance on value for money (the appraisal summary
    table; non-monetised impacts can change the category); DfT, Value for Money Framework (2017) (the BCR bands).

    Examples
    --------
    >>> from asdm_models.value_for_money import vfm_category
    >>> r = vfm_category(850_000.0, 1.85, 1_000_000.0,
    ...                  [{"description": "Health", "direction": "positive", "scale": "large", "evidence": "strong"}])
    >>> r.monetised_category, r.category, r.adjustment
    ('medium', 'high', 1)
    """
    vfm = _rules(rules)
    rank0, basis, ratio, why = monetised_category(npsv_vs_no_change_gbp, bcr, net_cost_gbp, vfm)
    steps, score, moving = impact_adjustment(impacts, vfm)
    moving = tuple(" ".join(str(m).split()) for m in moving)  # one line, whatever the data's line breaks
    top = len(vfm.categories) - 1
    rank = min(top, max(0, rank0 + steps))
    n_impacts = len(list(impacts))
    if steps == 0:
        tail = (f"the {n_impacts} non-monetised impact{'s' if n_impacts != 1 else ''} "
                f"{'are' if n_impacts != 1 else 'is'} reported but move{'' if n_impacts != 1 else 's'} nothing"
                if n_impacts else "no non-monetised impacts are stated")
        if moving:
            tail = f"the non-monetised impacts ({', '.join(moving)}) cancel out"
    else:
        way = "up" if steps > 0 else "down"
        tail = f"the non-monetised impacts ({', '.join(moving)}) move it {way} {abs(steps)} step" \
               + ("s" if abs(steps) != 1 else "")
        if rank == rank0:
            tail += f", but it is already {'the highest' if steps > 0 else 'the lowest'} category"
    cat = vfm.categories[rank]
    sentence = f"{cat.label} value for money: {why}; {tail}."
    return VfmResult(cat.name, cat.label, rank, vfm.categories[rank0].name, rank0, rank - rank0, basis, ratio, score,
                     moving, sentence)


def _risk(risk, i: int) -> tuple[str, float]:
    if isinstance(risk, Mapping):
        desc, amount = risk.get("description"), risk.get("expected_cost_gbp")
    elif isinstance(risk, (tuple, list)) and len(risk) == 2:
        desc, amount = risk
    else:
        desc, amount = getattr(risk, "description", None), getattr(risk, "expected_cost_gbp", None)
    return str(desc or f"risk {i + 1}"), _finite(amount, f"the expected cost of risk {desc or i + 1}")


def appraisal_summary_table(npsv_vs_no_change_gbp: float, bcr: float | None, net_cost_gbp: float,
                            council_npv_vs_no_change_gbp: float, impacts=(), risks=(), *,
                            result: VfmResult | None = None,
                            rules: ValueForMoneyRules | None = None) -> pd.DataFrame:
    """The appraisal summary table of one option: monetised figures, non-monetised impacts, risks, category.

    Parameters
    ----------
    npsv_vs_no_change_gbp, bcr, net_cost_gbp
        See :func:`monetised_category`.
    council_npv_vs_no_change_gbp : float
        The council-budget lens, real and discounted, against no change, GBP.
    impacts : sequence
        Non-monetised impacts (see :func:`impact_adjustment`).
    risks : sequence
        Risks as mappings ``{"description", "expected_cost_gbp"}``, ``(description, expected_cost_gbp)`` pairs or
        objects with those attributes; expected cost in positive pounds (present value).
    result : VfmResult, optional
        The category already computed; ``None``: :func:`vfm_category` of the figures given.
    rules : ValueForMoneyRules, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``section`` (Monetised, Non-monetised, Risks, Value for money), ``item``, ``value`` (a number:
        pounds, the BCR or the category's rank; NaN where the row has none) and ``detail`` (the text a report
        shows). Rows: NPSV vs no change, net present cost vs no change, BCR (or "does not apply"), council budget
        NPV vs no change, each impact, each risk (or "none stated"), the category before the non-monetised
        impacts and the final category with the sentence why.

    References
    ----------
    HM Treasury, The Green Book (2026): the appraisal summary table.

    Examples
    --------
    >>> from asdm_models.value_for_money import appraisal_summary_table
    >>> t = appraisal_summary_table(850_000.0, None, 1_000_000.0, -200_000.0, [], [("Pay award", 120_000.0)])
    >>> t["item"].tolist()[:3], t["detail"].iloc[2]
    (['NPSV against no change', 'Costs added against no change', 'Benefit-cost ratio'], 'does not apply')
    >>> t["detail"].iloc[-1].split(":")[0]
    'Medium value for money'
    """
    vfm = _rules(rules)
    impacts = list(impacts)
    res = result if result is not None else vfm_category(npsv_vs_no_change_gbp, bcr, net_cost_gbp, impacts, vfm)
    _, _, moving = impact_adjustment(impacts, vfm)
    rows = [
        ("Monetised", "NPSV against no change", float(npsv_vs_no_change_gbp), gbp_m(npsv_vs_no_change_gbp)),
        ("Monetised", "Costs added against no change", float(net_cost_gbp), gbp_m(net_cost_gbp)),
        ("Monetised", "Benefit-cost ratio", np.nan if bcr is None else float(bcr),
         "does not apply" if bcr is None else f"{float(bcr):.2f}"),
        ("Monetised", "Council budget NPV against no change", float(council_npv_vs_no_change_gbp),
         gbp_m(council_npv_vs_no_change_gbp)),
    ]
    for i, imp in enumerate(impacts):
        desc = str(_get(imp, "description") or f"impact {i + 1}")
        effect = "moves the category" if desc in moving else "reported, moves nothing"
        rows.append(("Non-monetised", desc, np.nan, f"{_get(imp, 'direction')}, {_get(imp, 'scale')}, "
                                                    f"{_get(imp, 'evidence')} evidence; {effect}"))
    if not impacts:
        rows.append(("Non-monetised", "none stated", np.nan, ""))
    risk_rows = [_risk(r, i) for i, r in enumerate(risks)]
    for desc, amount in risk_rows:
        rows.append(("Risks", desc, amount, f"expected cost {gbp_m(amount)}"))
    if not risk_rows:
        rows.append(("Risks", "none stated", np.nan, ""))
    mon = vfm.categories[res.monetised_rank]
    rows.append(("Value for money", "Category before non-monetised impacts", float(res.monetised_rank), mon.label))
    rows.append(("Value for money", "Value-for-money category", float(res.rank), res.sentence))
    return pd.DataFrame(rows, columns=["section", "item", "value", "detail"])


def needs_long_horizon_test(period_years, threshold_years: int | None = None,
                            rules: ValueForMoneyRules | None = None):
    """Whether an appraisal must also report the long-horizon discount schedule as a sensitivity test.

    Parameters
    ----------
    period_years : int or array_like
        Appraisal period, years.
    threshold_years : int, optional
        ``None``: the reference data's (50).
    rules : ValueForMoneyRules, optional

    Returns
    -------
    bool or ndarray of bool
        ``period_years > threshold_years`` (effects *beyond* 50 years); the schedule to use is
        ``rules.long_horizon_schedule``.

    References
    ----------
    HM Treasury, The Green Book (2026), discounting (the long-horizon sensitivity schedule).

    Examples
    --------
    >>> from asdm_models.value_for_money import needs_long_horizon_test
    >>> needs_long_horizon_test(50), needs_long_horizon_test(60)
    (False, True)
    """
    thr = _rules(rules).long_horizon_threshold_years if threshold_years is None else threshold_years
    out = np.asarray(period_years) > thr
    return bool(out) if out.ndim == 0 else out
