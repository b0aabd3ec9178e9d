"""The assumptions explorer: move a driver, see the business case change at once, keep it as a scenario.

:func:`explorer` returns an ipywidgets panel for finance officers (Jupyter or Voila):

* pickers for the appraisal, the option, the stage and a second option to compare with;
* one control per driver of the option (a slider and a box to type a value in, £ or %),
  grouped as the business case groups them; beside each changed control its change from the
  saved assumptions; invalid typed values are refused at the control with the reason;
* a headline panel (NPSV vs no change risk-adjusted and unadjusted, council NPV vs no change,
  payback, break-even, peak funding and lowest cash for new entities, the gate tests that the
  deterministic figures decide) side by side with the second option under the same economy
  and current-service changes;
* plotly ``FigureWidget`` charts (cash flows against no change, NPV waterfall, tornado) whose
  trace data are replaced in place on every change: no figure is rebuilt;
* reset, and "save as scenario" (only the changed drivers, validated, see
  :mod:`asdm_models.scenarios`), so ``asdm run --scenario NAME`` reproduces what was shown.

Every figure shown comes from :func:`~asdm_models.appraise` (and the package's sensitivity
evaluator for the tornado); nothing here re-implements the model. The logic is usable without
a browser: tests set ``explorer.controls[path].value`` (or type into ``.text``) and read
``explorer.shown``.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ipywidgets as W
import numpy as np

from .appraisal import OptionAppraisal, appraise, build_inputs
from .assumptions import STAGES, Appraisal, load_appraisal, parse_driver_value, resolve_path
from .charts import cash_flow_figure, live_figure, tornado_figure, waterfall_figure
from .catalogue import DRIVERS, ECONOMY_DRIVERS, GROUPS, ITEM_FIELDS
from .errors import AsdmError, DataErrors, ScenarioError
from .dashboard import (HEADLINE_ROWS, QUICK_DRAWS, QUICK_SEED, gate_status_colour, headline_figures, mc_figures,
                        quick_monte_carlo, threshold_flags)
from .browser_buttons import CopyButton, DownloadButton
from .live_mc import LatestOnly
from .take_away import chart_png_bytes, settings_filename, settings_workbook_bytes, source_line, table_tsv
from .reference import PROJECT_ROOT
from .report import resolve_data_dir
from .scenario_compare import BASE_LABEL, ScenarioComparison, compare_scenarios, scenario_settings
from .scenarios import HISTORY_DIR, data_value, is_shared_path, save_scenario, split_changes
from .sensitivity import driver_label, tornado
from .units import format_gbp, fy_label

__all__ = ["explorer", "Explorer", "DriverControl", "ControlSpec", "control_specs", "slider_range",
           "format_value", "format_change", "parse_typed", "tornado_at"]


# ----------------------------------------------------------------------------------------------
# Which controls an option gets, their ranges and formats (pure functions)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlSpec:
    """One driver control: its path, what to call it, its saved value and the slider's range (model units)."""

    path: str
    label: str
    group: str
    unit: str  # gbp | rate | count | years | year
    base: float
    minimum: float | None
    maximum: float | None
    low: float
    high: float
    step: float
    description: str
    provenance: str


def _nice_step(x: float) -> float:
    """The 1-2-5 step at or below ``x``."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    e = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10 ** e <= x:
            return float(m * 10 ** e)
    return float(10 ** e)


def slider_range(unit: str, base: float, dist=None, minimum: float | None = None, maximum: float | None = None,
                 period: int = 10) -> tuple[float, float, float]:
    """``(low, high, step)`` of a driver's slider, in model units.

    From the driver's uncertainty range widened by half its span on each side when it has one,
    otherwise a band around the saved value (rates +/- the larger of 3 points and a quarter of the
    value; money 0 to twice the value; counts +/- a quarter; durations 0 to twice, at least 5 years);
    always containing the saved value and within the driver's valid bounds. Years span the period.

    >>> slider_range("rate", 0.05, None, -1.0, 1.0)
    (0.02, 0.08, 0.001)
    >>> slider_range("gbp", 800000.0, None, 0.0)
    (0.0, 1600000.0, 5000.0)
    """
    if unit == "year":
        return 0.0, float(period - 1), 1.0
    if dist is not None and dist.high > dist.low:
        span = dist.high - dist.low
        lo, hi = dist.low - 0.5 * span, dist.high + 0.5 * span
    elif unit == "rate":
        w = max(0.03, 0.25 * abs(base))
        lo, hi = base - w, base + w
    elif unit == "gbp":
        w = abs(base) if base else 100_000.0
        lo, hi = base - w, base + w
    elif unit == "count":
        w = max(5.0, 0.25 * abs(base))
        lo, hi = base - w, base + w
    else:  # years (a duration)
        lo, hi = 0.0, max(2.0 * base, 5.0)
    lo, hi = min(lo, base), max(hi, base)
    if unit == "rate":
        step = 0.001
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    elif unit == "years":
        step = 0.5
    elif unit == "count":
        step = max(_nice_step((hi - lo) / 100.0), 0.1)
    else:
        step = max(_nice_step((hi - lo) / 200.0), 1.0)
    if unit != "rate" and (minimum is None or minimum >= 0):
        lo = max(lo, 0.0)
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if minimum is not None:
        lo = max(lo, minimum)
    if maximum is not None:
        hi = min(hi, maximum)
    return round(lo, 10), round(hi, 10), step


def _item_lists(option) -> list[tuple[str, str]]:
    """``(path, group)`` of the item fields the explorer offers: one-off and capital amounts, risk probabilities."""
    out = []
    for it in option.one_off_costs:
        out.append((f"one_off_costs.{it.id}.amount_gbp", "one_off"))
    for it in option.capital:
        out.append((f"capital.{it.id}.amount_gbp", "capital"))
    for r in option.risks:
        out.append((f"risks.{r.id}.probability", "risk"))
    return out


def _provenance(source, confidence) -> str:
    bits = []
    if source:
        bits.append(f"Source: {source}")
    if confidence:
        bits.append(f"confidence: {confidence}")
    return "; ".join(bits)


def control_specs(appraisal: Appraisal, option, stage: str = "obc") -> list[ControlSpec]:
    """The controls for one option at one stage, in business-case order.

    Economy drivers; the current service's stated drivers (``current_service.<driver>``: they move
    no change too); the option's own drivers from go-live (those it states, at FBC with its FBC
    changes, and its go-live year); its one-off and capital amounts and risk probabilities.
    Saved values and uncertainty ranges are the stage's (``build_inputs`` with no scenario).
    """
    inp = build_inputs(appraisal, option, stage)
    opt = inp.option
    T = appraisal.period_years
    entries: list[tuple[str, str, str]] = []  # path, group, provenance
    for n in ECONOMY_DRIVERS:
        a = appraisal.economy.get(n)
        entries.append((n, "economy", _provenance(a.source, a.confidence) if a is not None else
                        f"Follows {DRIVERS[DRIVERS[n].follows].label.lower()} unless changed here"))
    for n, a in appraisal.current_service.items():
        if n != "go_live_year":  # no change never goes live; an option's go-live has its own control
            entries.append((f"current_service.{n}", DRIVERS[n].group, _provenance(a.source, a.confidence)))
    for ln in appraisal.lines.values():  # the council's own lines: their amounts move every option too
        entries.append((f"current_service.lines.{ln.id}.amount_gbp", "lines", _provenance(ln.source, ln.confidence)))
    if opt.model != "no_change":
        stated = set(opt.drivers) | ({k for k in opt.fbc_changes if k in DRIVERS} if stage == "fbc" else set())
        stated.add("go_live_year")
        for n in DRIVERS:
            if n in stated and n not in ECONOMY_DRIVERS:
                a = opt.fbc_changes.get(n) if stage == "fbc" and n in opt.fbc_changes else opt.drivers.get(n)
                entries.append((n, DRIVERS[n].group, _provenance(a.source, a.confidence) if a else
                                "Follows the current service unless changed here"))
        for ident in sorted(opt.own_lines, key=list(opt.lines).index):
            ln = opt.lines[ident]
            entries.append((f"lines.{ident}.amount_gbp", "lines", _provenance(ln.source, ln.confidence)))
        items = {f"{lst}.{it.id}": it for lst in ITEM_FIELDS for it in getattr(opt, lst)}
        for path, group in _item_lists(opt):
            it = items[path.rsplit(".", 1)[0]]
            a = opt.fbc_changes.get(path) if stage == "fbc" else None
            src = a.source if a else getattr(it, "source", None)
            conf = a.confidence if a else getattr(it, "confidence", None)
            entries.append((path, group, _provenance(src, conf)))
    order = list(GROUPS)
    entries.sort(key=lambda e: order.index(e[1]))  # stable: economy, staff, running, ... risk
    specs = []
    for path, group, prov in entries:
        d = resolve_path(path, opt)
        base = float(inp.values[path])
        lo, hi, step = slider_range(d.unit, base, inp.distributions.get(path), d.minimum, d.maximum, T)
        label = driver_label(path, opt)
        if path.startswith("current_service."):
            label = f"{d.label} (current service and no change)"
        elif group != "economy" and path in DRIVERS:
            label = f"{d.label} (this option)"
        specs.append(ControlSpec(path, label, group, d.unit, base, d.minimum, d.maximum, lo, hi, step,
                                 d.description, prov))
    return specs


def format_value(spec: ControlSpec, x: float, first_year: int) -> str:
    """A value as shown in a control's box; parsing it back (:func:`parse_typed`) gives ``x`` again.

    >>> s = ControlSpec("pay_inflation", "Pay", "economy", "rate", 0.03, -0.5, 1.0, 0.0, 0.08, 0.001, "", "")
    >>> format_value(s, 0.0325, 2026)
    '3.25%'
    """
    u = spec.unit
    if u == "rate":
        v = data_value("rate", x, first_year)
        return v if isinstance(v, str) else f"{x * 100!r}%"
    if u == "year":
        return fy_label(first_year + int(x))
    if u == "gbp":
        if float(x).is_integer():
            return ("-" if x < 0 else "") + f"£{abs(x):,.0f}"
        if round(x, 2) == x:
            return ("-" if x < 0 else "") + f"£{abs(x):,.2f}"
        return f"{x!r}"
    return f"{x:.6f}".rstrip("0").rstrip(".") if round(x, 6) == x else repr(x)


def format_change(spec: ControlSpec, x: float) -> str:
    """The change from the saved value as a reader says it: ``+0.5 pts``, ``+£20,000``, ``+1 yr``; ``""`` if none.

    >>> s = ControlSpec("pay_inflation", "Pay", "economy", "rate", 0.03, -0.5, 1.0, 0.0, 0.08, 0.001, "", "")
    >>> format_change(s, 0.035)
    '+0.5 pts'
    """
    d = x - spec.base
    if d == 0:
        return ""
    if spec.unit == "rate":
        pts = round(d * 100, 6)
        return f"{pts:+.4f}".rstrip("0").rstrip(".") + " pts"
    if spec.unit == "gbp":
        return format_gbp(d, millions=False, signed=True)
    if spec.unit in ("years", "year"):
        yrs = round(d, 6)
        return f"{yrs:+g} yr" + ("" if abs(yrs) == 1 else "s")
    return f"{round(d, 6):+g}"


_MONEY = re.compile(r"^\s*(-)?\s*£?\s*(-)?\s*([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*([kKmM])?\s*$")


def parse_typed(spec: ControlSpec, text: str, first_year: int, period: int) -> float:
    """A value typed into a control's box, in model units, checked as a data file's value would be.

    Rates take ``"4.5%"`` (or a fraction such as ``0.045``; ``4.5`` is refused with "did you mean
    4.5%?", as in the data); money takes ``£1,234,000``, ``1.2m`` or ``250k``; years a label such as
    ``2028-29``. Raises ``ValueError`` with the reason (below the minimum, not a rate ...).

    >>> s = ControlSpec("staff_fte", "Staff", "staff", "count", 142.0, 0.0, None, 100.0, 180.0, 1.0, "", "")
    >>> parse_typed(s, "-5", 2026, 10)
    Traceback (most recent call last):
    ...
    ValueError: -5 is below the smallest valid value 0
    """
    s = str(text).strip()
    if not s:
        raise ValueError("enter a value")
    u = spec.unit
    raw: object
    if u == "rate":
        raw = s if s.endswith("%") else _number(s)
    elif u == "year":
        raw = int(s) if re.fullmatch(r"[-+]?\d+", s) else s
    elif u == "gbp":
        m = _MONEY.match(s)
        if not m or (m.group(1) and m.group(2)):
            raise ValueError(f"{s!r} is not an amount of money: write it as £1,250,000, 1250000, 1.25m or 250k")
        x = float(m.group(3).replace(",", "")) * {"k": 1e3, "m": 1e6}.get((m.group(4) or "").lower(), 1.0)
        raw = -x if (m.group(1) or m.group(2)) else x
        raw = int(raw) if float(raw).is_integer() and abs(raw) < 2**53 else raw
    else:
        raw = _number(s)
    x = parse_driver_value(spec.path, raw, u, first_year, period, spec.minimum, spec.maximum)
    return float(x)


def _number(s: str):
    t = s.replace(",", "")
    try:
        x = float(t)
    except ValueError:
        raise ValueError(f"{s!r} is not a number") from None
    return int(x) if re.fullmatch(r"[-+]?\d+", t) else x


# ----------------------------------------------------------------------------------------------
# Tornado at the current settings (the package's vectorised case evaluator, with overrides)
# ----------------------------------------------------------------------------------------------


def tornado_at(appraisal, option, stage: str, overrides: dict, dists: dict) -> list[dict]:
    """One-way sensitivity around the current settings: each uncertain driver at its low and high.

    :func:`asdm_models.sensitivity.tornado` with the explorer's values as the base case; a driver the
    explorer has moved keeps its saved range (``dists``, from the option's saved inputs). Rows sorted by
    swing, largest first.
    """
    if not dists:
        return []
    t = tornado(appraisal, option, stage, overrides=overrides, ranges=dists)
    return [{"driver": r.driver, "label": r.label, "low_gbp": r.npsv_vs_no_change_low_gbp,
             "high_gbp": r.npsv_vs_no_change_high_gbp, "swing_gbp": r.swing_gbp,
             "base_gbp": r.base_npsv_vs_no_change_gbp} for r in t.itertuples()]


# ----------------------------------------------------------------------------------------------
# One driver control
# ----------------------------------------------------------------------------------------------


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", path)


class DriverControl:
    """A slider and a box for one driver, with its change from the saved value and any refusal message.

    ``value`` is in model units and always valid: the slider snaps to its grid, typed text goes
    through :func:`parse_typed` and is refused (with the reason shown) when invalid.
    """

    def __init__(self, spec: ControlSpec, first_year: int, period: int, on_change):
        self.spec = spec
        self.first_year, self.period = first_year, period
        self._on_change = on_change
        self._value = spec.base
        self._busy = False
        tip = html.escape(" ".join(x for x in (spec.description, spec.provenance) if x), quote=True)
        self.label = W.HTML(f'<span title="{tip}">{html.escape(spec.label)}</span>',
                            layout=W.Layout(width="255px"))
        if spec.unit == "year":
            self.slider = W.SelectionSlider(options=[(fy_label(first_year + t), t) for t in range(period)],
                                            value=int(spec.base), readout=False, continuous_update=False,
                                            layout=W.Layout(width="170px"))
        else:
            self.slider = W.FloatSlider(min=spec.low, max=spec.high, step=spec.step, value=spec.base, readout=False,
                                        continuous_update=False, layout=W.Layout(width="170px"))
        self.text = W.Text(value=format_value(spec, spec.base, first_year), continuous_update=False,
                           layout=W.Layout(width="110px"))
        self.text.add_class("asdm-value")
        self.change = W.HTML("", layout=W.Layout(width="90px"))
        self.change.add_class("asdm-change")
        self.message = W.HTML("")
        self.message.add_class("asdm-refused")
        self.widget = W.VBox([W.HBox([self.label, self.slider, self.text, self.change]), self.message])
        self.widget.add_class("asdm-driver")
        self.widget.add_class(f"asdm-driver-{_slug(spec.path)}")
        self.slider.observe(self._slid, "value")
        self.text.observe(self._typed, "value")

    # -- value -------------------------------------------------------------------------------
    @property
    def value(self) -> float:
        return self._value

    @value.setter
    def value(self, x: float) -> None:
        """Set a value in model units (validated like typed text; ValueError if invalid)."""
        self.set(x)

    @property
    def changed(self) -> bool:
        return self._value != self.spec.base

    def set(self, x: float, *, notify: bool = True) -> None:
        x = float(x)
        s = self.spec
        parse_driver_value(s.path, x, s.unit, self.first_year, self.period, s.minimum, s.maximum)
        self._apply(x, notify=notify)

    def reset(self, *, notify: bool = True) -> None:
        self._apply(self.spec.base, notify=notify)

    def _apply(self, x: float, *, notify: bool) -> None:
        self._value = x
        self._busy = True
        try:
            if self.spec.unit == "year":
                self.slider.value = int(x)
            else:
                if x < self.slider.min:
                    self.slider.min = x
                if x > self.slider.max:
                    self.slider.max = x
                self.slider.value = x
            self.text.value = format_value(self.spec, x, self.first_year)
        finally:
            self._busy = False
        self.message.value = ""
        self._show_change()
        if notify:
            self._on_change(self)

    def _show_change(self) -> None:
        c = format_change(self.spec, self._value)
        self.change.value = f'<span class="asdm-delta" title="change from the saved assumption">{html.escape(c)}</span>'
        if c:
            self.widget.add_class("asdm-changed")
        else:
            self.widget.remove_class("asdm-changed")

    # -- events ------------------------------------------------------------------------------
    def _snap(self, v: float) -> float:
        """A slider position on its grid, without binary noise (the value a user sees and a file keeps)."""
        s = self.spec
        if s.unit == "year":
            return float(v)
        k = round((v - self.slider.min) / s.step)
        x = self.slider.min + k * s.step
        digits = max(0, math.ceil(-math.log10(s.step))) + 2
        x = round(x, digits)
        return min(max(x, self.slider.min), self.slider.max)

    def _slid(self, ch) -> None:
        if self._busy:
            return
        x = self._snap(ch["new"])
        try:
            self.set(x)
        except ValueError as e:  # a grid point outside the valid bounds: cannot happen with clamped ranges
            self._refuse(str(e))

    def _typed(self, ch) -> None:
        if self._busy:
            return
        try:
            x = parse_typed(self.spec, ch["new"], self.first_year, self.period)
        except ValueError as e:
            self._refuse(str(e))
            return
        self._apply(x, notify=True)

    def _refuse(self, why: str) -> None:
        self._busy = True
        try:
            self.text.value = format_value(self.spec, self._value, self.first_year)
            if self.spec.unit == "year":
                self.slider.value = int(self._value)
            else:
                self.slider.value = self._value
        finally:
            self._busy = False
        self.message.value = (f'<span style="color:#c0392b">Refused: {html.escape(why.rstrip("."))}. '
                              f'Kept {html.escape(format_value(self.spec, self._value, self.first_year))}.</span>')


# ----------------------------------------------------------------------------------------------
# The explorer
# ----------------------------------------------------------------------------------------------

# The layout: a front sheet that fits a 1366x768 laptop screen without scrolling the page. The pickers
# sit on one bar; below, the controls scroll in their own column on the left while the pinned summary
# stays at the top of the right column, above the charts (which scroll on their own). Narrower than
# 1200 px the columns stack and the summary sticks to the top of the page instead.
_CSS = """<style>
.asdm-explorer {height: calc(100vh - 24px); min-height: 560px;}
.asdm-explorer .asdm-bar {flex: 0 0 auto; flex-flow: row wrap; align-items: center; gap: 2px 10px;}
.asdm-explorer .asdm-main {flex: 1 1 auto; min-height: 0; display: flex; flex-flow: row nowrap; gap: 10px;}
.asdm-explorer .asdm-left {flex: 0 0 600px; width: 600px; height: 100%; overflow-y: auto; overflow-x: hidden;}
.asdm-explorer .asdm-right {flex: 1 1 auto; min-width: 0; height: 100%; display: flex; flex-direction: column;}
.asdm-explorer .asdm-pinned {flex: 0 0 auto; background: white; z-index: 5; border-bottom: 2px solid #d0d7de;}
.asdm-explorer .asdm-charts {flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden;}
.asdm-explorer .asdm-charts > *, .asdm-explorer .asdm-left > * {flex: 0 0 auto;}
@media (max-width: 1200px) {
  /* Stacked: the pinned summary first (sticky at the top of the page), then the controls, then the charts. */
  .asdm-explorer {height: auto;}
  .asdm-explorer .asdm-main {flex-flow: column nowrap; height: auto;}
  .asdm-explorer .asdm-right {display: contents;}
  .asdm-explorer .asdm-pinned {order: -1; position: sticky; top: 0;}
  .asdm-explorer .asdm-left {flex: 0 0 auto; width: 100%; height: auto; max-height: 50vh;}
  .asdm-explorer .asdm-charts {order: 1; overflow: visible;}
}
.asdm-headline table {border-collapse: collapse; font-size: 12.5px;}
.asdm-headline td, .asdm-headline th {padding: 1px 8px; text-align: right; border-bottom: 1px solid #e5e5e5;
  line-height: 18px; white-space: nowrap;}
.asdm-headline td:first-child, .asdm-headline th:first-child {text-align: left;}
.asdm-explorer .asdm-pinned {overflow-x: auto;}
.asdm-explorer .asdm-comparison {overflow-x: auto; max-width: 100%;}
.asdm-comparison th {white-space: normal; max-width: 130px;}
.asdm-headline.asdm-compare-table td:first-child {white-space: normal; min-width: 140px; max-width: 190px;}
.asdm-compare-table td, .asdm-compare-table th {padding: 1px 5px;}
.asdm-headline th {max-width: 210px; white-space: normal; vertical-align: bottom;}
.asdm-headline .asdm-key td {font-weight: bold;}
.asdm-headline td.asdm-flag {background: #fdecea; color: #a61b1b; font-weight: bold;}
.asdm-headline td.asdm-pending {color: #888; font-style: italic;}
.asdm-headline .asdm-note {font-size: 11px; color: #555; max-width: 760px; line-height: 14px;}
.asdm-headline .asdm-title {font-size: 12px; line-height: 16px;}
.asdm-rag {display: inline-block; padding: 0 5px; margin: 1px 2px; border-radius: 8px; font-size: 11px;
  line-height: 16px; color: white;}
.asdm-rag-green {background: #2e8540;} .asdm-rag-red {background: #c0392b;} .asdm-rag-amber {background: #b35900;}
.asdm-rag.asdm-flag {outline: 2px solid #111;}
.asdm-changed .widget-html-content .asdm-delta {color: #1f6f8b; font-weight: bold;}
.asdm-gate td {font-size: 12px;}
.asdm-explorer .widget-dropdown select {text-overflow: clip;}
</style>"""

#: Short names of the gate tests for the pinned summary's red/amber/green chips (the full description is
#: the chip's tooltip and the gate table's row). A metric without one shows its own name.
GATE_CHIP_LABELS = {
    "npsv_vs_no_change_gbp": "NPSV", "council_npv_vs_no_change_gbp": "Council NPV", "p10_npsv_vs_no_change_gbp": "P10",
    "p50_npsv_vs_no_change_gbp": "P50", "prob_beats_no_change": "P(beats)", "entity_lowest_cash_gbp": "Cash",
    "shortfall_vs_savings_target_gbp": "Target", "weighted_score": "Score", "value_for_money": "VfM",
    "teckal_years_failing": "Teckal", "vat_partial_exemption_cost_gbp": "VAT", "implied_subsidy_gbp": "Subsidy",
    "pension_arrangement_stated": "Pensions",
}
_MC_KEYS = ("p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp", "p90_npsv_vs_no_change_gbp",
            "prob_beats_no_change")


def _appraisal_folders(extra: Path) -> list[tuple[str, str]]:
    root = PROJECT_ROOT / "data"
    found = sorted(p for p in root.iterdir() if (p / "appraisal.yaml").is_file()) if root.is_dir() else []
    if extra not in found:
        found.insert(0, extra)
    return [(p.name if p.parent == root else str(p), str(p)) for p in found]


def _fit_width(labels, description: str, floor: int = 18, cap: int = 70) -> str:
    """A dropdown wide enough for its longest option in full (in ``ch``), plus its description."""
    longest = max((len(x) for x in labels), default=floor)
    return f"{min(cap, max(floor, longest + 3)) + len(description)}ch"


class Explorer(W.VBox):
    """The assumptions explorer widget (see the module docstring). Build with :func:`explorer`.

    Attributes
    ----------
    appraisal : Appraisal
    controls : dict
        Driver path -> :class:`DriverControl` of the current option.
    result, compare_result : OptionAppraisal
        The figures shown (``compare_result`` None without a second option).
    mc, compare_mc : dict or None
        The quick Monte Carlo's figures (:func:`~asdm_models.dashboard.mc_figures`) at the settings shown,
        None while it runs; :meth:`wait_for_monte_carlo` waits for it.
    shown : dict
        The headline numbers on screen, ``{"option": {...}, "compare": {...}}``, with ``flags`` (the
        figures that crossed a threshold, :func:`~asdm_models.dashboard.threshold_flags`).
    figures : dict
        ``cash_flows``, ``waterfall``, ``tornado``: the plotly ``FigureWidget`` objects.
    last_update_ms : float
        Time of the last :meth:`update` (the deterministic headline; the Monte Carlo runs after it).
    """

    def __init__(self, data_dir, option: str, stage: str = "obc", compare_with: str | None = None, *,
                 quick_draws: int = QUICK_DRAWS, seed: int = QUICK_SEED):
        super().__init__()
        self.add_class("asdm-explorer")
        path = resolve_data_dir(data_dir)
        self.appraisal = load_appraisal(path)
        self.option_id = self.appraisal.option(option).id
        if stage not in STAGES:
            raise ScenarioError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
        self.stage = stage
        self.compare_id = self.appraisal.option(compare_with).id if compare_with else None
        if self.compare_id == self.option_id:
            self.compare_id = None
        self.quick_draws, self.seed = int(quick_draws), int(seed)
        self.controls: dict[str, DriverControl] = {}
        self.result: OptionAppraisal | None = None
        self.compare_result: OptionAppraisal | None = None
        self.mc: dict | None = None
        self.compare_mc: dict | None = None
        self.shown: dict = {}
        self.last_update_ms = float("nan")
        self._hold = False
        self._compare_key = None
        self._saved: dict = {}  # (option, stage) -> saved result, for "vs saved"
        self._saved_mc: dict = {}  # (data_dir, option, stage) -> the quick Monte Carlo at the saved assumptions
        self._undo: list[dict] = []
        self._redo: list[dict] = []
        self._applied: dict = {}  # the settings the figures on screen were computed for
        self._lock = threading.RLock()  # the headline is refreshed by the handler and by the Monte Carlo thread
        self._mc_runner = LatestOnly(self._mc_done)

        # Pickers
        self.appraisal_picker = W.Dropdown(options=_appraisal_folders(self.appraisal.data_dir),
                                           value=str(self.appraisal.data_dir), description="Appraisal")
        self.option_picker = W.Dropdown(description="Option")
        self.stage_picker = W.ToggleButtons(options=[("OBC", "obc"), ("FBC", "fbc")], value=stage,
                                            tooltips=["Outline business case", "Full business case"],
                                            style={"button_width": "52px"})
        self.compare_picker = W.Dropdown(description="Compare with", style={"description_width": "initial"})
        self.reset_button = W.Button(description="Reset to saved", icon="refresh",
                                     tooltip="Put every driver back to the saved assumptions",
                                     layout=W.Layout(width="auto"))
        self.undo_button = W.Button(description="Undo", icon="undo", tooltip="Undo the last change of the controls",
                                    disabled=True, layout=W.Layout(width="auto"))
        self.redo_button = W.Button(description="Redo", icon="repeat", tooltip="Redo the change undone",
                                    disabled=True, layout=W.Layout(width="auto"))
        self.undo_button.add_class("asdm-undo")
        self.redo_button.add_class("asdm-redo")
        self.status = W.HTML("")
        self.status.add_class("asdm-status")
        self.headline = W.HTML("")
        self.headline.add_class("asdm-headline")
        self.gate_table = W.HTML("")
        self.gate_table.add_class("asdm-gate-table")
        self.accordion = W.Accordion()
        self.accordion.add_class("asdm-controls")

        # Scenarios: load one into the controls, compare several side by side.
        self.scenario_picker = W.Dropdown(description="Scenario", style={"description_width": "initial"})
        self.scenario_picker.add_class("asdm-scenario-picker")
        self.load_button = W.Button(description="Load into the controls", icon="download",
                                    tooltip="Set the controls to the scenario's values (undo puts them back)",
                                    layout=W.Layout(width="auto"))
        self.load_button.add_class("asdm-load-scenario")
        self.compare_choices = W.SelectMultiple(description="Compare", rows=4, style={"description_width": "initial"},
                                                layout=W.Layout(width="95%"))
        self.compare_choices.add_class("asdm-compare-choices")
        self.compare_button = W.Button(description="Compare side by side", icon="columns", layout=W.Layout(width="auto"))
        self.compare_button.add_class("asdm-compare-scenarios")
        self.comparison_html = W.HTML("")
        self.comparison_html.add_class("asdm-comparison")
        self.comparison: ScenarioComparison | None = None

        # Save as scenario
        self.scenario_name = W.Text(description="Name", placeholder="e.g. pay_4pct")
        self.scenario_author = W.Text(description="Author", placeholder="who is saving it")
        self.scenario_note = W.Textarea(description="Note", placeholder="why: the question it answers",
                                        layout=W.Layout(width="420px", height="60px"))
        self.scenario_overwrite = W.Checkbox(value=False, description="replace a scenario of the same name",
                                              indent=False)
        self.save_button = W.Button(description="Save as scenario", icon="save", button_style="primary")
        self.save_status = W.HTML("")
        self.save_status.add_class("asdm-save-status")

        # Figures: built once in the house style, then only their data change.
        self._set_pickers()
        base = appraise(self.appraisal, self.option_id, self.stage)
        self.figures = {
            # live_figure: the reports' toolbar (no "Share chart" upload button, no logo)
            "cash_flows": live_figure(cash_flow_figure(base)),
            "waterfall": live_figure(waterfall_figure(base)),
            "tornado": live_figure(tornado_figure(tornado(self.appraisal, self.option_id, self.stage), base.name)),
        }
        for f in self.figures.values():
            f.layout.autosize = True
            f.layout.title.font.size = 14  # the findings as titles (on two lines), in a narrower column than a report's
            f.layout.margin.t = 95
            f.layout.margin.r = 30

        self.option_picker.observe(self._picked_option, "value")
        self.stage_picker.observe(self._picked_stage, "value")
        self.compare_picker.observe(self._picked_compare, "value")
        self.appraisal_picker.observe(self._picked_appraisal, "value")
        self.reset_button.on_click(lambda _: self.reset())
        self.undo_button.on_click(lambda _: self.undo())
        self.redo_button.on_click(lambda _: self.redo())
        self.load_button.on_click(lambda _: self.load_scenario_from_picker())
        self.compare_button.on_click(lambda _: self.compare_from_form())
        self.save_button.on_click(lambda _: self.save_from_form())
        self.scenario_name.observe(lambda _: self._warn_replace(), names="value")
        self.scenario_overwrite.observe(lambda _: self._warn_replace(), names="value")

        save_box = W.VBox([W.HTML("<b>Save these changes as a named scenario</b> (only the changed drivers; "
                                  "<code>asdm run DATA --scenario NAME</code> then reproduces these figures)"),
                           W.HBox([self.scenario_name, self.scenario_author], layout=W.Layout(flex_flow="row wrap")),
                           self.scenario_note, W.HBox([self.save_button, self.scenario_overwrite]), self.save_status])
        # Take it away: tables to the clipboard (tab-separated, pastes into Excel), the settings as a workbook in
        # the Excel import's format, each chart as a print-quality PNG with its marks.
        self.copy_headline = CopyButton(label="Copy summary", tooltip_text="Copy this summary as tab-separated "
                                        "text: it pastes into Excel as cells, numbers as numbers")
        self.copy_headline.add_class("asdm-copy-headline")
        self.copy_gate = CopyButton(label="Copy gate tests")
        self.copy_gate.add_class("asdm-copy-gate")
        self.copy_comparison = CopyButton(label="Copy comparison")
        self.copy_comparison.add_class("asdm-copy-comparison")
        self.download_settings = DownloadButton(
            self._settings_workbook, filename_of=lambda: settings_filename(self.appraisal, self.option_id, self.stage),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", label="Settings workbook",
            tooltip_text="Download the current settings as a workbook in the format of the Excel import "
                         "(asdm import-excel reads it back)")
        self.download_settings.add_class("asdm-download-settings")
        self.chart_buttons = {}
        for name in self.figures:
            b = DownloadButton(lambda name=name: self.chart_png(name), filename_of=lambda name=name: self._chart_file(name),
                               mimetype="image/png", label="Chart as PNG",
                               tooltip_text="Download this chart as a print-quality PNG (A4 width at 300 dpi) with its "
                                            "source line")
            b.add_class(f"asdm-download-{name.replace('_', '-')}")
            self.chart_buttons[name] = b
        self.takeaway = W.HBox([self.copy_headline, self.download_settings], layout=W.Layout(flex_flow="row wrap"))
        scenarios_box = W.VBox([
            W.HTML("<b>Load a saved scenario</b> into the controls (its changes for every option and for this one)"),
            W.HBox([self.scenario_picker, self.load_button], layout=W.Layout(flex_flow="row wrap")),
            W.HTML("<b>Compare</b> the saved base, saved scenarios and the current settings side by side "
                   "(hold Ctrl or Shift to pick several)"),
            self.compare_choices, self.compare_button, self.comparison_html, self.copy_comparison,
            W.HTML("<hr>"), save_box])
        scenarios_box.add_class("asdm-scenarios")
        self.left_tabs = W.Tab(children=[self.accordion, scenarios_box])
        self.left_tabs.set_title(0, "Drivers")
        self.left_tabs.set_title(1, "Scenarios")
        left = W.VBox([self.left_tabs])
        left.add_class("asdm-left")
        pinned = W.VBox([self.headline, self.takeaway])
        pinned.add_class("asdm-pinned")
        self.chart_box = W.VBox([w for name, f in self.figures.items() for w in (self.chart_buttons[name], f)]
                                + [self.gate_table, self.copy_gate])
        self.chart_box.add_class("asdm-charts")
        right = W.VBox([pinned, self.chart_box])
        right.add_class("asdm-right")
        bar = W.HBox([W.HTML('<b style="font-size:15px">Assumptions explorer</b>'), self.appraisal_picker, self.option_picker, self.compare_picker, self.stage_picker,
                      self.undo_button, self.redo_button, self.reset_button])
        bar.add_class("asdm-bar")
        main = W.HBox([left, right])
        main.add_class("asdm-main")
        self.children = [W.HTML(_CSS), bar, self.status, main]
        self._build_controls()
        self.update(record=False)

    # -- pickers -----------------------------------------------------------------------------
    def _set_pickers(self) -> None:
        a = self.appraisal
        self._hold = True
        try:
            names = [(o.name, o.id) for o in a.options.values()]
            self.option_picker.options = names
            self.option_picker.value = self.option_id
            self.compare_picker.options = [("(none)", "")] + [(n, i) for n, i in names if i != self.option_id]
            self.compare_picker.value = self.compare_id or ""
            # Names in full: wide enough for the longest, and the full name as the tooltip too.
            for w, desc in ((self.option_picker, "Option"), (self.compare_picker, "Compare with")):
                labels = [lab for lab, _ in w.options]
                w.layout.width = _fit_width(labels, desc)
                w.tooltip = "; ".join(labels)
            self.appraisal_picker.layout.width = _fit_width([lab for lab, _ in self.appraisal_picker.options],
                                                            "Appraisal", cap=40)
            sc = [(f"{s.name} ({sid})" if s.name and s.name != sid else sid, sid) for sid, s in a.scenarios.items()]
            self.scenario_picker.options = sc or [("(no saved scenarios)", "")]
            self.scenario_picker.value = self.scenario_picker.options[0][1]
            self.scenario_picker.layout.width = _fit_width([lab for lab, _ in self.scenario_picker.options], "Scenario",
                                                           cap=40)
            self.compare_choices.options = ([(BASE_LABEL, "base")] + [(lab, sid) for lab, sid in sc]
                                            + [("current settings", "current")])
            self.compare_choices.value = tuple(v for v in ("base", "current") if v in dict(
                (v, v) for _l, v in self.compare_choices.options))
        finally:
            self._hold = False

    def _picked_option(self, ch) -> None:
        if self._hold or ch["new"] is None or ch["new"] == self.option_id:
            return
        self.option_id = ch["new"]
        if self.compare_id == self.option_id:
            self.compare_id = None
        self._set_pickers()
        self._build_controls(keep_shared=True)
        self._clear_history()
        self.update(record=False)

    def _picked_stage(self, ch) -> None:
        if self._hold or ch["new"] == self.stage:
            return
        self.stage = ch["new"]
        self._build_controls(keep_shared=True)
        self._clear_history()
        self.update(record=False)

    def _picked_compare(self, ch) -> None:
        if self._hold:
            return
        self.compare_id = ch["new"] or None
        self.update(record=False)

    def _picked_appraisal(self, ch) -> None:
        if self._hold or ch["new"] == str(self.appraisal.data_dir):
            return
        try:
            a = load_appraisal(ch["new"])
        except DataErrors as e:
            self.status.value = f'<pre style="color:#c0392b">{html.escape(str(e))}</pre>'
            return
        self.appraisal = a
        self.option_id = self.option_id if self.option_id in a.options else next(
            (o for o, opt in a.options.items() if opt.model != "no_change"), a.no_change.id)
        self.compare_id = self.compare_id if self.compare_id in a.options and self.compare_id != self.option_id else None
        self._saved.clear()
        self._set_pickers()
        self._build_controls()
        self._clear_history()
        self.update(record=False)

    # -- controls ----------------------------------------------------------------------------
    def _build_controls(self, *, keep_shared: bool = False) -> None:
        kept = {p: c.value for p, c in self.controls.items() if c.changed and is_shared_path(p)} if keep_shared else {}
        a = self.appraisal
        specs = control_specs(a, self.option_id, self.stage)
        self.controls = {s.path: DriverControl(s, a.first_year, a.period_years, self._control_changed) for s in specs}
        for p, x in kept.items():
            if p in self.controls:
                self.controls[p].set(x, notify=False)
        groups: dict[str, list] = {}
        for s in specs:
            groups.setdefault(s.group, []).append(self.controls[s.path].widget)
        names = list(groups)
        self.accordion.children = [W.VBox(groups[g]) for g in names]
        for i, g in enumerate(names):
            self.accordion.set_title(i, GROUPS[g] + f" ({len(groups[g])})")
        self.accordion.selected_index = 0
        self._tornado_dists = dict(build_inputs(a, self.option_id, self.stage).distributions)

    def _control_changed(self, _control) -> None:
        if not self._hold:
            self.update()

    @property
    def overrides(self) -> dict:
        """The changed drivers, ``{path: value}`` in model units (what ``appraise(overrides=...)`` takes)."""
        return {p: c.value for p, c in self.controls.items() if c.changed}

    def changes(self) -> dict:
        """The changed drivers as scenario changes: ``{"all": {...}, option: {...}}`` (model units)."""
        return split_changes(self.option_id, self.overrides)

    def _apply_settings(self, settings: dict) -> list[str]:
        """Every control to ``settings`` (``{path: value}``; a control not named goes back to its saved value)
        and update once (one step of undo). Returns the paths that are not controls of this option."""
        missing = [p for p in settings if p not in self.controls]
        self._hold = True
        try:
            for p, c in self.controls.items():
                if p in settings:
                    c.set(settings[p], notify=False)
                elif c.changed:
                    c.reset(notify=False)
        finally:
            self._hold = False
        self.update()
        return missing

    def set_values(self, values: dict) -> None:
        """Set several drivers (model units) and update once (one step of undo)."""
        for p in values:
            if p not in self.controls:
                raise ScenarioError(f"{p!r} is not a control of {self.option_id}; controls: {', '.join(self.controls)}")
        self._apply_settings({**self.overrides, **values})

    def reset(self) -> None:
        """Every driver back to the saved assumptions (one step of undo)."""
        self._apply_settings({})
        self.save_status.value = ""

    # -- undo and redo -------------------------------------------------------------------------
    def _clear_history(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._history_buttons()

    def _history_buttons(self) -> None:
        self.undo_button.disabled = not self._undo
        self.redo_button.disabled = not self._redo

    def undo(self) -> bool:
        """Put the controls back as they were before the last change; False when there is nothing to undo."""
        if not self._undo:
            return False
        target = self._undo.pop()
        self._redo.append(dict(self._applied))
        self._restore(target)
        return True

    def redo(self) -> bool:
        """Make again the change last undone; False when there is nothing to redo."""
        if not self._redo:
            return False
        target = self._redo.pop()
        self._undo.append(dict(self._applied))
        self._restore(target)
        return True

    def _restore(self, settings: dict) -> None:
        self._hold = True
        try:
            for p, c in self.controls.items():
                if p in settings:
                    c.set(settings[p], notify=False)
                elif c.changed:
                    c.reset(notify=False)
        finally:
            self._hold = False
        self.update(record=False)

    # -- scenarios -----------------------------------------------------------------------------
    def load_scenario(self, name: str) -> list[str]:
        """Set the controls to a saved scenario's values for this option (one step of undo).

        Returns the scenario's paths that are not controls here (said in the status line too)."""
        settings = scenario_settings(self.appraisal, self.option_id, name)
        missing = self._apply_settings(settings)
        sc = self.appraisal.scenarios[name]
        others = sorted(o for o in sc.changes if o not in ("all", self.option_id))
        bits = [f"Loaded scenario {html.escape(sc.file)}: {len(settings) - len(missing)} driver(s) set."]
        if missing:
            bits.append("Not controls here, so not applied: " + html.escape(", ".join(missing)) + ".")
        if others:
            bits.append(f"Its changes for {html.escape(', '.join(others))} apply to those options only.")
        self.status.value = f'<span class="asdm-loaded">{" ".join(bits)}</span>'
        return missing

    def load_scenario_from_picker(self) -> None:
        name = self.scenario_picker.value
        if not name:
            self.status.value = "No saved scenario to load: save one first (Scenarios tab)."
            return
        self.load_scenario(name)

    def settings_of(self, choice: str) -> dict:
        """The setting of a comparison column: ``base``, ``current`` or a saved scenario's id."""
        if choice == "base":
            return {}
        if choice == "current":
            return dict(self.overrides)
        return scenario_settings(self.appraisal, self.option_id, choice)

    def compare(self, choices) -> ScenarioComparison:
        """Compare the saved base, saved scenarios and the current settings side by side (the Scenarios tab)."""
        labels = dict((v, lab) for lab, v in self.compare_choices.options)
        settings = {labels.get(c, c): self.settings_of(c) for c in choices}
        self.comparison = compare_scenarios(self.appraisal, self.option_id, self.stage, settings,
                                            draws=self.quick_draws, seed=self.seed)
        self.comparison_html.value = _comparison_html(self.comparison, self.appraisal)
        self.copy_comparison.text = table_tsv(self.comparison.table(), index=True)
        return self.comparison

    def compare_from_form(self) -> None:
        choices = list(self.compare_choices.value)
        if not choices:
            self.comparison_html.value = "Pick at least one column to compare."
            return
        try:
            self.compare(choices)
        except AsdmError as e:
            self.comparison_html.value = f'<span style="color:#c0392b">{html.escape(str(e))}</span>'

    # -- the update handler --------------------------------------------------------------------
    def update(self, *, record: bool = True) -> None:
        """Recompute the option (and the comparison when the shared changes moved) and refresh the panel and
        the charts' data in place; then hand the quick Monte Carlo to the background thread. This is the
        handler every control change calls (``record``: the change is one step of undo)."""
        t0 = time.perf_counter()
        a, oid, stage = self.appraisal, self.option_id, self.stage
        ov = self.overrides
        try:
            r = appraise(a, oid, stage, overrides=ov)
            shared = {k: v for k, v in ov.items() if is_shared_path(k)}
            key = (str(a.data_dir), self.compare_id, stage, tuple(sorted(shared.items())))
            compare, compare_key = self.compare_result, self._compare_key
            if self.compare_id is None:
                compare, compare_key = None, None
            elif key != compare_key:
                compare, compare_key = appraise(a, self.compare_id, stage, overrides=shared), key
            torn = tornado_at(a, oid, stage, ov, self._tornado_dists)
        except AsdmError as e:  # controls only hold valid values, so this is a defect: say so, keep the last figures
            self.status.value = f'<span style="color:#c0392b">Could not recompute: {html.escape(str(e))}</span>'
            return
        if record and ov != self._applied:
            self._undo.append(dict(self._applied))
            self._redo.clear()
        self._applied = dict(ov)
        self._history_buttons()
        self.status.value = ""
        with self._lock:  # the Monte Carlo thread reads these: they change together, with the key it checks
            self.result, self.compare_result, self._compare_key = r, compare, compare_key
            self.mc, self.compare_mc = None, None
            self._mc_key = (str(a.data_dir), oid, self.compare_id, stage, tuple(sorted(ov.items())))
            self._refresh_headline()
        self._refresh_cash_flows(r)
        self._refresh_waterfall(r)
        self._refresh_tornado(torn, r.name)
        self.last_update_ms = (time.perf_counter() - t0) * 1000.0
        if self.quick_draws:
            self._submit_mc()

    # -- the quick Monte Carlo (off the interactive path) ----------------------------------------
    def _submit_mc(self) -> None:
        a, oid, cid, stage = self.appraisal, self.option_id, self.compare_id, self.stage
        ov = dict(self.overrides)
        shared = {k: v for k, v in ov.items() if is_shared_path(k)}
        draws, seed, saved_key = self.quick_draws, self.seed, (str(a.data_dir), stage)
        saved_mc = self._saved_mc

        def run():
            cache: dict = {}
            own = mc_figures(quick_monte_carlo(a, oid, stage, ov, draws=draws, seed=seed, _cache=cache))
            other = None if cid is None else mc_figures(
                quick_monte_carlo(a, cid, stage, shared, draws=draws, seed=seed, _cache=cache))
            for o in (oid, cid):  # the saved assumptions' figures, once: what a gate test "flips" from
                if o is not None and (saved_key, o) not in saved_mc:
                    saved_mc[(saved_key, o)] = mc_figures(quick_monte_carlo(a, o, stage, {}, draws=draws, seed=seed))
            return own, other

        self._mc_runner.submit(self._mc_key, run)

    def _mc_done(self, key, result, error) -> None:
        with self._lock:
            if key != self._mc_key:
                return  # the settings moved on: these figures belong to an earlier position
            if error is not None:
                self.status.value = (f'<span style="color:#c0392b">The quick Monte Carlo failed: '
                                     f'{html.escape(type(error).__name__)}: {html.escape(str(error))}</span>')
                return
            try:
                self.mc, self.compare_mc = result
                self._refresh_headline()
            except Exception as e:  # shown, never lost in the thread: the figures on screen stay those of the handler
                self.mc, self.compare_mc = None, None
                self.status.value = (f'<span style="color:#c0392b">Could not show the quick Monte Carlo: '
                                     f'{html.escape(type(e).__name__)}: {html.escape(str(e))}</span>')

    def wait_for_monte_carlo(self, timeout: float = 30.0) -> bool:
        """Wait until the quick Monte Carlo of the settings shown has been shown (True) or ``timeout`` passed."""
        return self._mc_runner.wait(timeout)

    # -- take it away ----------------------------------------------------------------------------
    def _settings_workbook(self) -> bytes:
        return settings_workbook_bytes(self.appraisal, self.option_id, self.stage, self.overrides)

    def _chart_file(self, name: str) -> str:
        return f"{self.appraisal.id}-{self.option_id}-{self.stage}-{name.replace('_', '-')}.png"

    def chart_source(self) -> str:
        """The source line printed under a downloaded chart: the appraisal, the settings and the suite."""
        return source_line(self.appraisal, self.option_id, self.stage, self.overrides)

    def chart_png(self, name: str) -> bytes:
        """A chart of the explorer as a print-quality PNG with the illustrative mark and the source line."""
        return chart_png_bytes(self.figures[name], illustrative=bool(self.appraisal.illustrative),
                               source=self.chart_source())

    # -- headline ----------------------------------------------------------------------------
    def _saved_result(self, option: str) -> OptionAppraisal:
        k = (option, self.stage)
        if k not in self._saved:
            self._saved[k] = appraise(self.appraisal, option, self.stage)
        return self._saved[k]

    def _saved_figures(self, option: str) -> dict:
        mc = self._saved_mc.get(((str(self.appraisal.data_dir), self.stage), option))
        k = ("figures", option, self.stage, mc is not None)
        if k not in self._saved:  # the saved assumptions do not move: their figures are computed once
            self._saved[k] = headline_figures(self.appraisal, self._saved_result(option), mc)
        return self._saved[k]

    def _refresh_headline(self) -> None:
        r, c = self.result, self.compare_result
        a = self.appraisal
        fr = headline_figures(a, r, self.mc)
        fc = headline_figures(a, c, self.compare_mc) if c is not None else None
        saved = self._saved_figures(r.option)
        # Flags: against this option's saved figures; a Monte Carlo figure only once both are known.
        # (a test "not assessed" until the Monte Carlo is in never counts as a flip; the recommendation waits for it)
        flags = threshold_flags(fr, saved if self.mc is not None else {k: v for k, v in saved.items()
                                                                     if k not in _MC_KEYS and k != "gate"})
        cflags = threshold_flags(fc, self._saved_figures(c.option) if self.compare_mc is not None else None) \
            if fc is not None else {}
        self.shown = {"option": {k: v for k, v in fr.items() if k != "gate_tests"},
                      "compare": None if fc is None else {k: v for k, v in fc.items() if k != "gate_tests"},
                      "flags": flags, "compare_flags": cflags}
        entity = r.inputs.option.is_new_entity or (c is not None and c.inputs.option.is_new_entity)
        rows = [row for row in HEADLINE_ROWS if entity or not row[3]]

        def cell(key, kind, v, cls, fl, pending):
            title = f' title="{html.escape(fl[key], quote=True)}"' if key in fl else ""
            klass = cls + (" asdm-flag" if key in fl else "")
            if pending:
                return f'<td class="{klass} asdm-pending" data-value="">updating…</td>'
            if v is None:
                return f'<td class="{klass}" data-value=""{title}>n/a</td>'
            if kind == "gbp":
                text, dv = format_gbp(v, millions=False), repr(float(v))
            elif kind == "probability":
                text, dv = _probability_text(v), repr(float(v))
            else:
                text, dv = str(v), html.escape(str(v), quote=True)
            mark = " ⚠" if key in fl else ""
            return f'<td class="{klass}" data-value="{dv}"{title}>{html.escape(text)}{mark}</td>'

        head = (f"<tr><th></th><th>{html.escape(r.name)}</th><th>vs saved</th>"
                + (f"<th>{html.escape(c.name)}</th>" if c is not None else "") + "</tr>")
        body = []
        for key, label, kind, _entity in rows:
            slug = "asdm-" + key.removesuffix("_gbp").replace("_vs_no_change", "").replace("_", "-")
            cls = {"npsv_vs_no_change_gbp": "asdm-npsv", "npsv_vs_no_change_unadjusted_gbp": "asdm-npsv-unadjusted",
                   "council_npv_vs_no_change_gbp": "asdm-council-npv", "payback_year": "asdm-payback",
                   "breakeven_year": "asdm-breakeven", "gate": "asdm-gate-result"}.get(key, slug)
            v = fr[key]
            sv = saved.get(key)
            pending = key in _MC_KEYS and self.mc is None and r.model != "no_change"
            if pending or (key in _MC_KEYS and sv is None):
                delta = ""
            elif kind == "gbp" and v is not None and sv is not None:
                delta = format_gbp(v - sv, millions=False, signed=True) if v != sv else ""
            elif kind == "probability" and v is not None and sv is not None:
                delta = f"{(v - sv) * 100:+.1f} pts" if v != sv else ""
            else:
                delta = "" if v == sv else f"was {sv if sv is not None else 'n/a'}"
            style = ' class="asdm-key"' if key == "npsv_vs_no_change_gbp" else ""
            tr = (f"<tr{style}><td>{html.escape(label)}</td>{cell(key, kind, v, cls, flags, pending)}"
                  f'<td class="{cls}-delta">{html.escape(delta)}</td>')
            if fc is not None:
                cpending = key in _MC_KEYS and self.compare_mc is None and c.model != "no_change"
                tr += cell(key, kind, fc[key], cls.replace("asdm-", "asdm-compare-", 1), cflags, cpending)
            body.append(tr + "</tr>")
        chips = (f'<tr><td>Gate tests ({html.escape(self.stage.upper())})</td>'
                 f'<td class="asdm-gate-chips" colspan="2" style="white-space:normal;text-align:left">'
                 f'{self._chips(fr, flags, r)}</td>'
                 + (f'<td class="asdm-compare-gate-chips" style="white-space:normal;text-align:left">'
                    f'{self._chips(fc, cflags, c)}</td>' if fc is not None else "") + "</tr>")
        body.append(chips)
        scen = "saved assumptions" if not self.overrides else f"{len(self.overrides)} driver(s) changed from the saved assumptions"
        mc_note = (f"Monte Carlo: {self.quick_draws:,} draws, seed {self.seed} (the batch's random-number streams, common "
                   "random numbers with no change); ")
        if self.mc is not None:
            mc_note += (f"standard error of the P50 {format_gbp(self.mc['se_p50_gbp'], millions=False)}, of the chance "
                        f"{self.mc['se_prob'] * 100:.2f} pts. ")
        else:
            mc_note += "updating… "
        mc_note += "The full-draws figures of the batch (asdm run) are the reference."
        flag_note = ""
        if flags or cflags:  # which figures are flagged; why is in each flagged cell's tooltip
            parts = [f"{html.escape(r.name)}: " + ", ".join(map(_flag_label, flags))] if flags else []
            parts += [f"{html.escape(c.name)}: " + ", ".join(map(_flag_label, cflags))] if cflags else []
            flag_note = ('<div class="asdm-flags" style="color:#a61b1b;font-size:11px;line-height:14px;max-width:760px">'
                         "⚠ Crossed a threshold (hover a marked figure for why): " + "; ".join(parts) + "</div>")
        self.headline.value = (
            f"<div class=\"asdm-title\"><b>{html.escape(self.appraisal.title)}</b>: {html.escape(self.stage.upper())}, "
            f"{html.escape(scen)}; NPVs real at {html.escape(self.appraisal.price_base)} prices, discounted"
            + (" · <i>illustrative data</i>" if self.appraisal.illustrative else "") + "</div>"
            f"<table>{head}{''.join(body)}</table>{flag_note}<div class=\"asdm-note\">{html.escape(mc_note)}</div>")
        self.gate_table.value = self._gate_html(fr["gate_tests"], r) if r.model != "no_change" else ""
        self._headline_frame = self._frame(rows, fr, fc, r, c)
        self.copy_headline.text = table_tsv(self._headline_frame)
        if r.model != "no_change":
            self.copy_gate.text = table_tsv(fr["gate_tests"][["description", "threshold", "value", "result", "required"]])

    def _chips(self, f: dict, flags: dict, r) -> str:
        if r.model == "no_change":
            return "baseline"
        out = []
        for t in f["gate_tests"].itertuples():
            colour = gate_status_colour(t.result)
            fl = flags.get(f"gate_test:{t.metric}")
            tip = f"{t.description}: {t.threshold}; here {t.value_text}; {t.result}" + (f" ({fl})" if fl else "")
            out.append(f'<span class="asdm-rag asdm-rag-{colour}{" asdm-flag" if fl else ""}" '
                       f'data-metric="{html.escape(t.metric, quote=True)}" data-result="{html.escape(t.result, quote=True)}" '
                       f'title="{html.escape(tip, quote=True)}">{html.escape(GATE_CHIP_LABELS.get(t.metric, t.metric))}'
                       f'{" ⚠" if fl else ""}</span>')
        return "".join(out)

    def _frame(self, rows, fr, fc, r, c):
        """The pinned summary as a table of numbers (what "copy" puts on the clipboard)."""
        import pandas as pd

        data = {"figure": [label for _k, label, *_ in rows], r.name: [fr[k] for k, *_ in rows]}
        if fc is not None:
            data[c.name] = [fc[k] for k, *_ in rows]
        return pd.DataFrame(data)

    @property
    def headline_frame(self):
        """The pinned summary's figures as a DataFrame (one row per figure; numbers in £, probabilities 0-1)."""
        with self._lock:
            return self._headline_frame.copy()

    def _gate_html(self, tests, r) -> str:
        rows = []
        for t in tests.itertuples():
            if t.result == "not assessed":
                res = "not assessed yet: the quick Monte Carlo is running"
            else:
                res = t.result
            rows.append(f'<tr><td><span class="asdm-rag asdm-rag-{gate_status_colour(t.result)}">&nbsp;</span> '
                        f"{html.escape(str(t.description))}</td><td>{html.escape(str(t.threshold))}</td>"
                        f"<td>{html.escape(str(t.value_text))}</td><td>{html.escape(res)}</td></tr>")
        return (f'<b>Gate tests of {html.escape(r.name)} ({html.escape(self.stage.upper())}), in full</b>'
                '<table class="asdm-gate"><tr><th>Gate test</th><th>threshold</th><th>here</th><th>result</th></tr>'
                + "".join(rows) + "</table><div style=\"font-size:12px\">The probabilistic tests use the quick Monte "
                f"Carlo above ({self.quick_draws:,} draws); the business-case report of <code>asdm run DATA --scenario "
                "NAME</code> assesses them on the full draws.</div>")

    # -- charts (data replaced in place) -----------------------------------------------------
    def _refresh_cash_flows(self, r: OptionAppraisal) -> None:
        fin = r.financial_case
        years = list(fin.columns)
        saving = fin.loc["saving_vs_no_change_nominal_gbp"].to_numpy()
        total = float(saving.sum())
        verb = "saves" if total >= 0 else "costs"
        f = self.figures["cash_flows"]
        with f.batch_update():
            for tr, row in zip(f.data, ("council_net_nominal_gbp", "no_change_net_nominal_gbp",
                                        "saving_vs_no_change_nominal_gbp", "savings_target_nominal_gbp")):
                tr.x = years
                tr.y = fin.loc[row].to_numpy()
            f.data[0].name = r.name
            f.layout.title.text = (f"{html.escape(r.name)} {verb} the council {_m(abs(total))} in cash<br>over {len(years)} years "
                                   "against no change")

    def _refresh_waterfall(self, r: OptionAppraisal) -> None:
        ec = r.economic_case
        ec = ec[np.abs(ec["vs_no_change_pv_gbp"]) >= 0.5]
        labels = list(ec["label"]) + ["NPSV vs no change"]
        values = [float(v) for v in ec["vs_no_change_pv_gbp"]] + [r.npsv_vs_no_change_gbp]
        d = r.npsv_vs_no_change_gbp
        f = self.figures["waterfall"]
        with f.batch_update():
            tr = f.data[0]
            tr.x = labels
            tr.y = values
            tr.measure = ["relative"] * len(ec) + ["total"]
            tr.text = [_m(v) for v in values]
            f.layout.title.text = (f"{html.escape(r.name)} is {_m(abs(d))} {'better' if d >= 0 else 'worse'} than no change<br>"
                                   f"(NPSV, {r.stage.upper()}, risk- and optimism-bias-adjusted)")

    def _refresh_tornado(self, rows: list[dict], name: str) -> None:
        f = self.figures["tornado"]
        rev = rows[::-1]
        with f.batch_update():
            if rows:
                base = rows[0]["base_gbp"]
                labels = [x["label"] for x in rev]
                f.data[0].y, f.data[0].x, f.data[0].base = labels, [x["low_gbp"] - base for x in rev], base
                f.data[1].y, f.data[1].x, f.data[1].base = labels, [x["high_gbp"] - base for x in rev], base
                f.layout.title.text = (f"{html.escape(rows[0]['label'])} moves {html.escape(name)}'s NPSV vs no change most<br>"
                                       f"({_m(rows[0]['swing_gbp'])} swing, around the current settings)")
                f.layout.height = max(300, 90 + 38 * len(rows))
            else:
                for tr in f.data:
                    tr.x, tr.y = [], []
                f.layout.title.text = "No uncertain drivers stated"
        self.tornado_rows = rows

    # -- saving ------------------------------------------------------------------------------
    def save(self, name: str, *, author: str, note: str, overwrite: bool = False) -> Path:
        """Save the changed drivers as ``scenarios/<name>.yaml`` (validated; see :func:`save_scenario`)."""
        opt = self.appraisal.options[self.option_id]
        desc = (f"Saved from the assumptions explorer while appraising {opt.name} at {self.stage.upper()}; "
                "changes under 'all' apply to every option and to no change.")
        path = save_scenario(self.appraisal, name, self.changes(), author=author, note=note, description=desc,
                             created=date.today().isoformat(), overwrite=overwrite)
        self.appraisal = load_appraisal(self.appraisal.data_dir)  # knows the new scenario; same figures
        self._set_pickers()  # it can now be loaded and compared
        return path

    def existing_scenario(self, name: str):
        """The saved scenario a save under ``name`` would replace (same name, any case), or None."""
        name = name.strip().lower()
        return next((sc for sid, sc in self.appraisal.scenarios.items() if sid.lower() == name), None) if name else None

    def _warn_replace(self) -> None:
        """Say before saving that a reviewed file would be replaced, by whom it was saved, and that it is kept."""
        sc = self.existing_scenario(self.scenario_name.value)
        if sc is None:
            self.save_status.value = ""
            return
        who = ", ".join(x for x in (f"saved by {sc.author}" if sc.author else "", sc.created or "") if x)
        action = ("Saving will replace it; the current file is kept in scenarios/.history/."
                  if self.scenario_overwrite.value else "Tick 'replace' to replace it (the current file is kept in "
                  "scenarios/.history/), or choose another name.")
        self.save_status.value = (f'<span class="asdm-replace-warning" style="color:#b35900">{html.escape(sc.file)} '
                                  f'already exists{" (" + html.escape(who) + ")" if who else ""}: it may have been '
                                  f'reviewed. {html.escape(action)}</span>')

    def save_from_form(self) -> Path | None:
        """The save button: read the form, save, report the outcome beside the button."""
        replacing = self.existing_scenario(self.scenario_name.value) is not None
        try:
            path = self.save(self.scenario_name.value.strip(), author=self.scenario_author.value,
                             note=self.scenario_note.value, overwrite=self.scenario_overwrite.value)
        except (ScenarioError, DataErrors) as e:
            self.save_status.value = f'<span style="color:#c0392b">Not saved: {html.escape(str(e))}</span>'
            return None
        rel = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        kept = sorted((path.parent / HISTORY_DIR).glob(f"{path.stem}.*.yaml")) if replacing else []
        kept_note = f" The previous version is kept as {html.escape(kept[-1].name)} in scenarios/.history/." if kept else ""
        self.save_status.value = (f'<span style="color:#2e8540">Saved {html.escape(str(rel))}.{kept_note} Reproduce with '
                                  f'<code>asdm run {html.escape(str(rel.parent.parent))} --scenario '
                                  f'{html.escape(path.stem)}</code>.</span>')
        return path


def _probability_text(p: float) -> str:
    """A probability as the reports write it: 99.96% is ">99.9%", not a rounded "100.0%" that reads as certain."""
    if 0.999 < p < 1.0:
        return ">99.9%"
    if 0.0 < p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def _flag_label(key: str) -> str:
    if key.startswith("gate_test:"):
        return "gate test " + GATE_CHIP_LABELS.get(key.split(":", 1)[1], key.split(":", 1)[1])
    return next((label for k, label, *_ in HEADLINE_ROWS if k == key), key)


def _comparison_html(cmp: ScenarioComparison, appraisal) -> str:
    """The scenario comparison as an HTML table: the headline of each, then the drivers that differ."""
    head = "".join(f"<th>{html.escape(str(lab))}</th>" for lab in cmp.labels)
    body = []
    kinds = {label: kind for _k, label, kind, _e in HEADLINE_ROWS}
    for label, row in cmp.headline.iterrows():
        cells = []
        for v in row:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("<td>n/a</td>")
            elif kinds[label] == "gbp":
                cells.append(f'<td data-value="{float(v)!r}">{html.escape(format_gbp(float(v), millions=False))}</td>')
            elif kinds[label] == "probability":
                cells.append(f'<td data-value="{float(v)!r}">{_probability_text(float(v))}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append(f"<tr><td>{html.escape(label)}</td>{''.join(cells)}</tr>")
    if len(cmp.drivers):
        body.append(f'<tr><th colspan="{len(cmp.labels) + 1}" style="text-align:left">Drivers that differ</th></tr>')
        specs = {s.path: s for s in control_specs(appraisal, cmp.option, cmp.stage)}
        for d in cmp.drivers.itertuples(index=False):
            spec = specs.get(d.path)
            vals = list(d)[2:]
            cells = "".join(f"<td>{html.escape(format_value(spec, v, appraisal.first_year) if spec and v is not None else str(v))}</td>"
                            for v in vals)
            body.append(f"<tr><td>{html.escape(d.label)}</td>{cells}</tr>")
    note = (f'<div style="font-size:11px">{cmp.stage.upper()}; Monte Carlo rows: {cmp.draws:,} draws, seed {cmp.seed} '
            "(the batch's streams).</div>" if cmp.draws else "")
    return f'<div class="asdm-headline asdm-compare-table"><table><tr><th></th>{head}</tr>{"".join(body)}</table>{note}</div>'


def _m(x: float) -> str:
    return format_gbp(x, millions=abs(x) >= 1_000_000)


def explorer(data_dir="data/example_leisure", option: str = "trading_company", stage: str = "obc",
             compare_with: str | None = None, *, quick_draws: int = QUICK_DRAWS, seed: int = QUICK_SEED) -> Explorer:
    """The assumptions explorer for one appraisal (a folder, relative to the project root or absolute).

    ``quick_draws`` and ``seed``: the live Monte Carlo after each change (0 draws: none).

    >>> ex = explorer("data/example_leisure", "trading_company", "obc")
    >>> ex.controls["pay_inflation"].value = 0.035
    >>> r = appraise(ex.appraisal, "trading_company", "obc", overrides={"pay_inflation": 0.035})
    >>> ex.shown["option"]["npsv_vs_no_change_gbp"] == r.npsv_vs_no_change_gbp
    True
    """
    return Explorer(data_dir, option, stage, compare_with, quick_draws=quick_draws, seed=seed)
