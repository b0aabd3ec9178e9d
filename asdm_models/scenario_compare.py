"""Scenarios side by side: the headline of each and the drivers in which they differ.

A *setting* is what the explorer holds: ``{driver path: value in model units}`` changed from the saved
assumptions (``{}`` is the saved base). :func:`scenario_settings` turns a saved scenario into the setting
it gives one option (its ``all`` changes and the option's own); :func:`compare_scenarios` appraises each
setting (deterministic figures with :func:`~asdm_models.appraise`, the quick Monte Carlo with the batch's
seed) and lists, driver by driver, the values that are not the same in every column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .appraisal import appraise, build_inputs
from .dashboard import HEADLINE_ROWS, QUICK_DRAWS, QUICK_SEED, headline_figures, quick_monte_carlo
from .errors import ScenarioError
from .sensitivity import driver_label

__all__ = ["scenario_settings", "compare_scenarios", "ScenarioComparison", "BASE_LABEL"]

BASE_LABEL = "saved base"


def scenario_settings(appraisal, option: str, scenario: str | None) -> dict:
    """The setting a saved scenario gives one option: ``{path: value}`` (model units), ``{}`` for the base.

    Its ``all`` changes (economy, current service: they move no change too) and the option's own;
    changes it makes to other options do not apply to this one.
    """
    if scenario in (None, "", "base"):
        return {}
    if scenario not in appraisal.scenarios:
        raise ScenarioError(f"unknown scenario {scenario!r}; scenarios of {appraisal.id}: "
                            f"{', '.join(appraisal.scenarios) or '(none)'}")
    ch = appraisal.scenarios[scenario].changes
    return {**dict(ch.get("all") or {}), **dict(ch.get(option) or {})}


@dataclass
class ScenarioComparison:
    """``headline``: one row per :data:`~asdm_models.dashboard.HEADLINE_ROWS` figure, one column per setting;
    ``drivers``: one row per driver whose value is not the same in every setting (model units), with its
    label; ``labels``: the columns in order."""

    option: str
    stage: str
    labels: list
    headline: pd.DataFrame
    drivers: pd.DataFrame
    draws: int
    seed: int

    def table(self) -> pd.DataFrame:
        """Both parts in one frame (figures first, then the differing drivers), for display and copying."""
        d = self.drivers.drop(columns=["path"]).set_index("label") if len(self.drivers) else None
        h = self.headline.copy()
        return h if d is None else pd.concat([h, d])


def compare_scenarios(appraisal, option: str, stage: str, settings: dict, *, draws: int = QUICK_DRAWS,
                      seed: int = QUICK_SEED) -> ScenarioComparison:
    """Appraise several settings of one option side by side.

    Parameters
    ----------
    appraisal : Appraisal
    option : str
        Option id.
    stage : {"obc", "fbc"}
    settings : dict
        Column label -> ``{driver path: value}`` in model units (``{}`` for the saved base); e.g. from
        :func:`scenario_settings` for saved scenarios and the explorer's current changes.
    draws, seed : int
        The quick Monte Carlo of each setting (0 draws: none, the Monte Carlo rows are empty).

    Returns
    -------
    ScenarioComparison

    Examples
    --------
    >>> a = load_appraisal(PROJECT_ROOT / "data" / "example_leisure")
    >>> c = compare_scenarios(a, "trading_company", "obc", {"base": {}, "pay 4%": {"pay_inflation": 0.04}}, draws=0)
    >>> list(c.drivers["label"]), list(c.drivers["pay 4%"])
    (['Pay inflation'], [0.04])
    """
    if not settings:
        raise ScenarioError("compare_scenarios: give at least one setting")
    labels = list(settings)
    cols, paths = {}, []
    cache: dict = {}
    for lab in labels:
        ov = dict(settings[lab])
        r = appraise(appraisal, option, stage, overrides=ov)
        mc = quick_monte_carlo(appraisal, option, stage, ov, draws=draws, seed=seed, _cache=cache) if draws else None
        f = headline_figures(appraisal, r, mc)
        cols[lab] = [f.get(k) for k, *_ in HEADLINE_ROWS]
        paths += [p for p in ov if p not in paths]
    headline = pd.DataFrame(cols, index=[label for _k, label, *_ in HEADLINE_ROWS])
    headline.index.name = "figure"
    base = build_inputs(appraisal, option, stage).values
    opt = appraisal.options[option]
    rows = []
    for p in paths:
        vals = [settings[lab].get(p, base.get(p)) for lab in labels]
        if all(v == vals[0] for v in vals):
            continue
        rows.append({"path": p, "label": driver_label(p, opt), **dict(zip(labels, vals))})
    drivers = pd.DataFrame(rows, columns=["path", "label", *labels])
    return ScenarioComparison(option, stage, labels, headline, drivers, draws, seed)
