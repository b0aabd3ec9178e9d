"""Value for money (asdm_models/value_for_money.py) and its reference data (data/reference/value_for_money.yaml).

Sources: HM Treasury, The Green Book (2026) (the appraisal summary table ends in a value-for-money category;
non-monetised impacts can change it; the long-horizon sensitivity beyond 50 years); DfT, Value for Money Framework
(2017) (the BCR bands, and the reading of an option whose costs fall). Each case is worked by hand below.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asdm_models.reference import PROJECT_ROOT, VfmCategory, default_reference, load_reference
from asdm_models.value_for_money import (
    CATEGORY_RANK,
    appraisal_summary_table,
    category_rank,
    impact_adjustment,
    monetised_category,
    needs_long_horizon_test,
    vfm_category,
)

REF = default_reference()
VFM = REF.value_for_money
VFM_YAML = PROJECT_ROOT / "data" / "reference" / "value_for_money.yaml"


@dataclass(frozen=True)
class Impact:  # the shape of asdm_models.assumptions.Impact: objects are read by attribute
    description: str
    direction: str
    scale: str
    evidence: str


LARGE_UP = Impact("Health and wellbeing of users", "positive", "large", "moderate")
LARGE_DOWN = Impact("Loss of local control", "negative", "large", "strong")
SMALL_UP = Impact("Civic pride", "positive", "small", "strong")
WEAK_UP = Impact("Innovation", "positive", "large", "weak")


# ------------------------------------------------------------------------------------------------
# reference data
# ------------------------------------------------------------------------------------------------


def test_categories_and_sources_from_the_yaml():
    raw = yaml.safe_load(VFM_YAML.read_text(encoding="utf-8"))
    names = [b["name"] for b in raw["categories"]["bands"]]
    assert names == ["poor", "low", "medium", "high", "very_high"]
    assert dict(CATEGORY_RANK) == {n: i for i, n in enumerate(names)}  # derived from the YAML, in its order
    assert [c.bcr_from for c in VFM.categories] == [None, 1.0, 1.5, 2.0, 4.0]  # DfT VfM framework (2017)
    assert VFM.sources["categories"] == "DfT Value for Money Framework (2017), as used in Green Book appraisal summary tables"
    assert "Green Book (2026)" in VFM.sources["source"] and "suite's convention" in VFM.sources["non_monetised_impacts"]
    assert "beyond 50 years" in VFM.sources["long_horizon"] and VFM.long_horizon_threshold_years == 50
    assert VFM.long_horizon_schedule in REF.discount_schedules
    assert VFM_YAML in load_reference(None)[2]


def test_the_long_horizon_schedule_cites_the_2026_edition():
    src = REF.discount_schedules["long_horizon_2026"].source
    assert src.startswith("HM Treasury, The Green Book (2026), Annex A6: long-horizon sensitivity schedule")
    assert "design" not in src


def test_category_rank_by_name_or_label():
    assert [category_rank(n) for n in ("poor", "low", "medium", "high", "very_high")] == [0, 1, 2, 3, 4]
    assert category_rank("very high") == category_rank("Very high") == 4
    with pytest.raises(ValueError, match="unknown value-for-money category 'excellent'; valid: poor, low"):
        category_rank("excellent")


# ------------------------------------------------------------------------------------------------
# the monetised category
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("npsv, net_cost, ratio, name", [
    # net cost C = GBP 1,000,000 and NPSV N: benefits B = N + C, BCR = B / C
    (-100_000.0, 1_000_000.0, 0.9, "poor"),       # 900,000 / 1,000,000 = 0.90 < 1.0
    (0.0, 1_000_000.0, 1.0, "low"),               # 1,000,000 / 1,000,000 = 1.00: the band starts at 1.0
    (490_000.0, 1_000_000.0, 1.49, "low"),        # 1,490,000 / 1,000,000 = 1.49
    (500_000.0, 1_000_000.0, 1.5, "medium"),      # 1.50
    (850_000.0, 1_000_000.0, 1.85, "medium"),     # 1.85
    (1_000_000.0, 1_000_000.0, 2.0, "high"),      # 2.00
    (2_990_000.0, 1_000_000.0, 3.99, "high"),     # 3.99
    (3_000_000.0, 1_000_000.0, 4.0, "very_high"),  # 4.00
])
def test_bcr_bands_by_hand(npsv, net_cost, ratio, name):
    rank, basis, got, why = monetised_category(npsv, None, net_cost)
    assert (basis, rank) == ("bcr", category_rank(name)) and got == pytest.approx(ratio, rel=1e-12)
    assert f"a BCR of {ratio:.2f}" in why
    # the BCR given by the caller is banded the same way
    assert monetised_category(npsv, ratio, net_cost)[0] == rank


def test_an_option_that_saves_money_without_losing_benefits_is_very_high_whatever_its_bcr():
    # C = -300,000 (saves), N = 300,000: B = N + C = 0, no benefit lost. DfT: very high; the BCR is not meaningful.
    r = vfm_category(300_000.0, None, -300_000.0)
    assert (r.category, r.basis, r.ratio) == ("very_high", "saves_money", None)
    assert vfm_category(300_000.0, 0.2, -300_000.0).category == "very_high"  # a BCR given is ignored
    # C = 0 and B = 200,000: free benefits
    assert vfm_category(200_000.0, None, 0.0).category == "very_high"
    assert "whatever its BCR" in r.sentence


def test_a_saving_that_loses_benefits_is_banded_on_the_saving_per_pound_lost():
    # C = -1,000,000 (saves 1m), B = -400,000 (benefits lost): N = B - C = -400,000 + 1,000,000 = 600,000.
    # Saving per pound of benefit lost: 1,000,000 / 400,000 = 2.5, in the high band (2.0 to 4.0).
    r = vfm_category(600_000.0, None, -1_000_000.0)
    assert (r.category, r.basis) == ("high", "saving_per_benefit_lost") and r.ratio == pytest.approx(2.5)
    # C = -300,000, B = -400,000: N = -100,000; 300,000 / 400,000 = 0.75 < 1: it loses more than it saves, poor.
    r = vfm_category(-100_000.0, None, -300_000.0)
    assert (r.category, r.ratio) == ("poor", pytest.approx(0.75))
    # C = -1,000,000, B = -250,000: N = 750,000, 1,000,000 / 250,000 = 4.0: very high
    assert vfm_category(750_000.0, None, -1_000_000.0).category == "very_high"


def test_no_saving_and_benefits_lost_is_poor():
    # C = 0, N = -50,000: B = -50,000
    r = vfm_category(-50_000.0, None, 0.0)
    assert (r.category, r.basis) == ("poor", "no_saving_benefit_lost")


def test_a_negative_npsv_is_at_most_poor_even_with_a_bcr_above_one():
    # Inconsistent inputs: a BCR of 1.2 given with N = -10,000 and C = 500,000 (whose own BCR is 490,000 / 500,000
    # = 0.98). The category follows the NPSV.
    r = vfm_category(-10_000.0, 1.2, 500_000.0)
    assert r.category == "poor" and "below zero" in r.sentence


def test_the_bands_come_from_the_data():
    # Hypothetical bands: "good" from a BCR of 1.0, "excellent" from 3.0. A BCR of 1.85 is then "good".
    rules = dataclasses.replace(VFM, categories=(VfmCategory("weak", "Weak", None), VfmCategory("good", "Good", 1.0),
                                                 VfmCategory("excellent", "Excellent", 3.0)),
                                saves_money_category="excellent")
    r = vfm_category(850_000.0, None, 1_000_000.0, rules=rules)
    assert (r.category, r.rank) == ("good", 1)
    assert vfm_category(300_000.0, None, -300_000.0, rules=rules).category == "excellent"


def test_non_finite_figures_are_refused():
    with pytest.raises(ValueError, match="npsv_vs_no_change_gbp must be finite"):
        vfm_category(math.nan, None, 1.0)
    with pytest.raises(ValueError, match="net_cost_gbp must be a number"):
        vfm_category(1.0, None, "a lot")


# ------------------------------------------------------------------------------------------------
# non-monetised impacts
# ------------------------------------------------------------------------------------------------


def test_a_large_positive_impact_with_moderate_evidence_moves_up_one():
    # monetised: BCR 1.85, medium (rank 2); score: +1 x 1 (large) x 1 (moderate evidence) = 1: one step up, high.
    r = vfm_category(850_000.0, None, 1_000_000.0, [LARGE_UP])
    assert (r.monetised_category, r.category, r.adjustment, r.impact_score) == ("medium", "high", 1, 1.0)
    assert r.moving_impacts == ("Health and wellbeing of users",) and "move it up 1 step" in r.sentence


def test_a_large_negative_impact_moves_down_one():
    # -1 x 1 x 1 (strong evidence) = -1: medium -> low
    r = vfm_category(850_000.0, None, 1_000_000.0, [LARGE_DOWN])
    assert (r.category, r.adjustment) == ("low", -1)


def test_small_or_weakly_evidenced_impacts_are_reported_but_move_nothing():
    # small: +1 x 0 x 1 = 0; large but weak evidence: +1 x 1 x 0 = 0
    r = vfm_category(850_000.0, None, 1_000_000.0, [SMALL_UP, WEAK_UP])
    assert (r.category, r.adjustment, r.moving_impacts) == ("medium", 0, ())
    assert "reported but move nothing" in r.sentence
    t = appraisal_summary_table(850_000.0, None, 1_000_000.0, 0.0, [SMALL_UP, WEAK_UP])
    assert t.loc[t["item"] == "Civic pride", "detail"].item() == "positive, small, strong evidence; reported, moves nothing"


def test_the_step_is_at_most_one_and_opposites_cancel():
    # two large positives: 1 + 1 = 2, but max_step is 1: medium -> high, not very high
    two = [LARGE_UP, Impact("Jobs", "positive", "large", "strong")]
    assert impact_adjustment(two) == (1, 2.0, ("Health and wellbeing of users", "Jobs"))
    assert vfm_category(850_000.0, None, 1_000_000.0, two).category == "high"
    # +1 - 1 = 0
    r = vfm_category(850_000.0, None, 1_000_000.0, [LARGE_UP, LARGE_DOWN])
    assert (r.category, r.adjustment) == ("medium", 0) and "cancel out" in r.sentence


def test_the_category_stays_within_the_list():
    top = vfm_category(300_000.0, None, -300_000.0, [LARGE_UP])  # very high + 1
    assert (top.category, top.adjustment) == ("very_high", 0) and "already the highest" in top.sentence
    bottom = vfm_category(-100_000.0, None, 1_000_000.0, [LARGE_DOWN])  # poor - 1
    assert (bottom.category, bottom.adjustment) == ("poor", 0) and "already the lowest" in bottom.sentence
    # a large positive impact can lift poor (Green Book 2026: non-monetised impacts can change the category)
    assert vfm_category(-100_000.0, None, 1_000_000.0, [LARGE_UP]).category == "low"


def test_impacts_as_mappings_and_bad_impacts():
    as_dict = [{"description": "Health", "direction": "positive", "scale": "large", "evidence": "strong"}]
    assert vfm_category(850_000.0, None, 1_000_000.0, as_dict).category == "high"
    with pytest.raises(ValueError, match="impact 'Health': scale 'huge' is not one of small, moderate, large"):
        impact_adjustment([{**as_dict[0], "scale": "huge"}])


def test_the_scores_come_from_the_data():
    # Hypothetical scores: a moderate impact scores 0.5, so two of them make one step.
    rules = dataclasses.replace(VFM, scale_scores={"small": 0.0, "moderate": 0.5, "large": 1.0})
    two = [Impact("A", "positive", "moderate", "strong"), Impact("B", "positive", "moderate", "moderate")]
    assert impact_adjustment(two, rules) == (1, 1.0, ("A", "B"))
    assert impact_adjustment(two[:1], rules)[0] == 0  # 0.5 is not a whole step
    assert impact_adjustment(two)[0] == 0  # with the project's scores neither moves anything


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------

impacts = st.lists(st.builds(Impact, st.text(min_size=1, max_size=8), st.sampled_from(["positive", "negative"]),
                             st.sampled_from(["small", "moderate", "large"]),
                             st.sampled_from(["strong", "moderate", "weak"])), max_size=6)
figures = st.floats(-1e9, 1e9, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(figures, figures, impacts)
def test_category_properties(npsv, net_cost, imps):
    r = vfm_category(npsv, None, net_cost, imps)
    assert 0 <= r.rank <= 4 and r.rank == CATEGORY_RANK[r.category]
    assert abs(r.adjustment) <= VFM.max_step and r.rank - r.monetised_rank == r.adjustment
    if npsv < 0:  # in every case a negative NPSV is the lowest monetised category
        assert r.monetised_rank == 0
    if net_cost <= 0 and npsv + net_cost >= 0:
        assert r.monetised_category == "very_high"
    assert "\n" not in r.sentence and r.sentence.startswith(r.label)


@settings(max_examples=200, deadline=None)
@given(st.floats(1.0, 1e9), st.floats(-1e9, 1e9), st.floats(0, 5e9))
def test_more_benefit_for_the_same_cost_never_lowers_the_category(cost, b1, extra):
    # C > 0: the band rises with the BCR
    low = monetised_category(b1 - cost, None, cost)[0]
    high = monetised_category(b1 + extra - cost, None, cost)[0]
    assert high >= low


# ------------------------------------------------------------------------------------------------
# the appraisal summary table and the long-horizon test
# ------------------------------------------------------------------------------------------------


def test_appraisal_summary_table():
    risks = [{"description": "Pay award above plan", "expected_cost_gbp": 120_000.0}, ("TUPE claims", 30_000.0)]
    t = appraisal_summary_table(850_000.0, 1.85, 1_000_000.0, -250_000.0, [LARGE_UP, SMALL_UP], risks)
    assert isinstance(t, pd.DataFrame) and list(t.columns) == ["section", "item", "value", "detail"]
    assert t["section"].tolist() == ["Monetised"] * 4 + ["Non-monetised"] * 2 + ["Risks"] * 2 + ["Value for money"] * 2
    assert t["item"].tolist()[:4] == ["NPSV against no change", "Costs added against no change",
                                      "Benefit-cost ratio", "Council budget NPV against no change"]
    assert t["value"].tolist()[:4] == [850_000.0, 1_000_000.0, 1.85, -250_000.0]
    assert t["detail"].iloc[2] == "1.85" and t["detail"].iloc[0] == "£0.85m"
    assert t.loc[t["item"] == "TUPE claims", "value"].item() == 30_000.0
    assert t["detail"].iloc[-2] == "Medium" and t["value"].iloc[-2] == 2.0
    assert t["value"].iloc[-1] == 3.0 and t["detail"].iloc[-1].startswith("High value for money: ")


def test_summary_table_bcr_does_not_apply_and_nothing_stated():
    t = appraisal_summary_table(300_000.0, None, -300_000.0, 280_000.0)
    assert t.loc[t["item"] == "Benefit-cost ratio", "detail"].item() == "does not apply"
    assert math.isnan(t.loc[t["item"] == "Benefit-cost ratio", "value"].item())
    assert t.loc[t["section"] == "Risks", "item"].tolist() == ["none stated"]
    assert t.loc[t["section"] == "Non-monetised", "item"].tolist() == ["none stated"]
    assert t["detail"].iloc[-1].startswith("Very high value for money")


def test_summary_table_uses_a_result_given():
    res = vfm_category(850_000.0, None, 1_000_000.0, [LARGE_DOWN])
    t = appraisal_summary_table(850_000.0, None, 1_000_000.0, 0.0, [LARGE_DOWN], result=res)
    assert t["detail"].iloc[-1] == res.sentence and t["value"].iloc[-1] == 1.0


def test_long_horizon_test():
    # Green Book (2026): effects beyond 50 years: 50 does not need it, 51 does.
    assert needs_long_horizon_test(50) is False and needs_long_horizon_test(51) is True
    assert needs_long_horizon_test([10, 50, 60]).tolist() == [False, False, True]
    assert needs_long_horizon_test(40, rules=dataclasses.replace(VFM, long_horizon_threshold_years=30)) is True
    assert needs_long_horizon_test(40, threshold_years=45) is False


# ------------------------------------------------------------------------------------------------
# validation of value_for_money.yaml (file:line errors)
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    shutil.copytree(PROJECT_ROOT / "data" / "reference", tmp_path / "reference")
    (tmp_path / "appraisal").mkdir()
    return tmp_path


@pytest.mark.parametrize("old, new, field, words, line_has", [
    ("{name: high, label: High, bcr_from: 2.0}", "{name: high, label: High, bcr_from: 1.2}",
     "categories.bands[#4].bcr_from", "thresholds must ascend: 1.2 is not above 1.5 of medium", "bcr_from: 1.2"),
    ("{name: poor, label: Poor, bcr_from: null}", "{name: poor, label: Poor, bcr_from: 0}",
     "categories.bands[#1].bcr_from", "write bcr_from: null", "name: poor"),
    ("{name: low, label: Low, bcr_from: 1.0}", "{name: low, label: Low, bcr_from: one}",
     "categories.bands[#2].bcr_from", "expected a number", "bcr_from: one"),
    ("{name: low, label: Low, bcr_from: 1.0}", "{name: Low!, label: Low, bcr_from: 1.0}",
     "categories.bands[#2].name", "not a name", "Low!"),
    ("saves_money_without_benefit_loss: very_high", "saves_money_without_benefit_loss: superb",
     "cost_saving.saves_money_without_benefit_loss", "not one of the categories", "superb"),
    ("scale_scores: {small: 0, moderate: 0, large: 1}", "scale_scores: {small: 0, moderate: 0, large: -1}",
     "non_monetised_impacts.scale_scores", "0 or more", "scale_scores"),
    ("directions: {positive: 1, negative: -1}", "directions: {positive: 1, negative: 1}",
     "non_monetised_impacts.directions", "negative below 0", "directions"),
    ("evidence_weights: {strong: 1, moderate: 1, weak: 0}", "evidence_weights: {strong: 1, moderate: 1}",
     "non_monetised_impacts.evidence_weights", "missing weak", "evidence_weights"),
    ("max_step: 1", "max_step: 1.5", "non_monetised_impacts.max_step", "whole number", "max_step: 1.5"),
    ("threshold_years: 50", "threshold_years: \"50\"", "long_horizon.threshold_years", "whole number", "threshold_years"),
    ("schedule: long_horizon_2026", "schedule: long_horizon_2030", "long_horizon.schedule",
     "not a discount schedule", "long_horizon_2030"),
])
def test_broken_values_name_the_file_line_and_field(tree, old, new, field, words, line_has):
    p = tree / "reference" / "value_for_money.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    ref, errors, _ = load_reference(tree / "appraisal")
    assert ref is None
    e = next((e for e in errors if e.field == field), None)
    assert e is not None, [str(x) for x in errors]
    assert e.file == "reference/value_for_money.yaml" and words in e.message, str(e)
    assert str(e).startswith(f"reference/value_for_money.yaml:{e.line}:")
    assert line_has in p.read_text(encoding="utf-8").splitlines()[e.line - 1]


def test_missing_file_is_reported(tree):
    (tree / "reference" / "value_for_money.yaml").unlink()
    ref, errors, _ = load_reference(tree / "appraisal")
    assert ref is None and [(e.file, e.message) for e in errors] == [("reference/value_for_money.yaml",
                                                                      "file not found")]


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    else:
        yield path


@pytest.mark.parametrize("bad", [None, "x", -3, 2.5, [], {}, True])
def test_any_wrong_value_gives_data_errors_not_a_crash(tree, bad):
    p = tree / "reference" / "value_for_money.yaml"
    original = yaml.safe_load(p.read_text(encoding="utf-8"))
    for path in _leaves(original):
        data = yaml.safe_load(yaml.safe_dump(original))
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = bad
        p.write_text(yaml.safe_dump(data), encoding="utf-8")
        ref, errors, _ = load_reference(tree / "appraisal")
        if ref is None:
            assert errors and all(e.file == "reference/value_for_money.yaml" and "\n" not in str(e)
                                  for e in errors), path
