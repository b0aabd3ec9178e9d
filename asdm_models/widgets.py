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
from .case_tests import case_tests
from .gates import evaluate_gate
from .reference import PROJECT_ROOT
from .report import resolve_data_dir
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

_CSS = """<style>
.asdm-headline table {border-collapse: collapse; font-size: 14px;}
.asdm-headline td, .asdm-headline th {padding: 3px 10px; text-align: right; border-bottom: 1px solid #e5e5e5;}
.asdm-headline td:first-child, .asdm-headline th:first-child {text-align: left;}
.asdm-headline .asdm-key {font-weight: bold; font-size: 16px;}
.asdm-changed .widget-html-content .asdm-delta {color: #1f6f8b; font-weight: bold;}
.asdm-gate td {font-size: 12px;}
</style>"""


def _appraisal_folders(extra: Path) -> list[tuple[str, str]]:
    root = PROJECT_ROOT / "data"
    found = sorted(p for p in root.iterdir() if (p / "appraisal.yaml").is_file()) if root.is_dir() else []
    if extra not in found:
        found.insert(0, extra)
    return [(p.name if p.parent == root else str(p), str(p)) for p in found]


class Explorer(W.VBox):
    """The assumptions explorer widget (see the module docstring). Build with :func:`explorer`.

    Attributes
    ----------
    appraisal : Appraisal
    controls : dict
        Driver path -> :class:`DriverControl` of the current option.
    result, compare_result : OptionAppraisal
        The figures shown (``compare_result`` None without a second option).
    shown : dict
        The headline numbers on screen, ``{"option": {...}, "compare": {...}}``.
    figures : dict
        ``cash_flows``, ``waterfall``, ``tornado``: the plotly ``FigureWidget`` objects.
    last_update_ms : float
        Time of the last :meth:`update`.
    """

    def __init__(self, data_dir, option: str, stage: str = "obc", compare_with: str | None = None):
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
        self.controls: dict[str, DriverControl] = {}
        self.result: OptionAppraisal | None = None
        self.compare_result: OptionAppraisal | None = None
        self.shown: dict = {}
        self.last_update_ms = float("nan")
        self._hold = False
        self._compare_key = None
        self._saved: dict = {}  # (option, stage) -> saved result, for "vs saved"

        # Pickers
        self.appraisal_picker = W.Dropdown(options=_appraisal_folders(self.appraisal.data_dir),
                                           value=str(self.appraisal.data_dir), description="Appraisal")
        self.option_picker = W.Dropdown(description="Option")
        self.stage_picker = W.ToggleButtons(options=[("OBC", "obc"), ("FBC", "fbc")], value=stage,
                                            tooltips=["Outline business case", "Full business case"])
        self.compare_picker = W.Dropdown(description="Compare with", style={"description_width": "initial"})
        self.reset_button = W.Button(description="Reset to saved", icon="undo",
                                     tooltip="Put every driver back to the saved assumptions")
        self.status = W.HTML("")
        self.status.add_class("asdm-status")
        self.headline = W.HTML("")
        self.headline.add_class("asdm-headline")
        self.accordion = W.Accordion()
        self.accordion.add_class("asdm-controls")

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
        from .sensitivity import tornado

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

        self.option_picker.observe(self._picked_option, "value")
        self.stage_picker.observe(self._picked_stage, "value")
        self.compare_picker.observe(self._picked_compare, "value")
        self.appraisal_picker.observe(self._picked_appraisal, "value")
        self.reset_button.on_click(lambda _: self.reset())
        self.save_button.on_click(lambda _: self.save_from_form())
        self.scenario_name.observe(lambda _: self._warn_replace(), names="value")
        self.scenario_overwrite.observe(lambda _: self._warn_replace(), names="value")

        save_box = W.VBox([W.HTML("<b>Save these changes as a named scenario</b> (only the changed drivers; "
                                  "<code>asdm run DATA --scenario NAME</code> then reproduces these figures)"),
                           W.HBox([self.scenario_name, self.scenario_author]), self.scenario_note,
                           W.HBox([self.save_button, self.scenario_overwrite]), self.save_status],
                          layout=W.Layout(min_width="440px"))
        charts = W.VBox(list(self.figures.values()), layout=W.Layout(flex="1 1 520px", min_width="480px"))
        self.children = [
            W.HTML(_CSS),
            W.HBox([self.appraisal_picker, self.option_picker, self.compare_picker], layout=W.Layout(flex_flow="row wrap")),
            W.HBox([self.stage_picker, self.reset_button]),
            self.status,
            W.HBox([self.headline, save_box], layout=W.Layout(flex_flow="row wrap", justify_content="space-between")),
            W.HBox([W.VBox([self.accordion], layout=W.Layout(width="650px", flex="0 0 650px")), charts],
                   layout=W.Layout(flex_flow="row wrap", align_items="flex-start")),
        ]
        self._build_controls()
        self.update()

    # -- pickers -----------------------------------------------------------------------------
    def _set_pickers(self) -> None:
        a = self.appraisal
        self._hold = True
        try:
            self.option_picker.options = [(o.name, o.id) for o in a.options.values()]
            self.option_picker.value = self.option_id
            self.compare_picker.options = [("(none)", "")] + [(o.name, o.id) for o in a.options.values()
                                                               if o.id != self.option_id]
            self.compare_picker.value = self.compare_id or ""
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
        self.update()

    def _picked_stage(self, ch) -> None:
        if self._hold or ch["new"] == self.stage:
            return
        self.stage = ch["new"]
        self._build_controls(keep_shared=True)
        self.update()

    def _picked_compare(self, ch) -> None:
        if self._hold:
            return
        self.compare_id = ch["new"] or None
        self.update()

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
        self.update()

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

    def set_values(self, values: dict) -> None:
        """Set several drivers (model units) and update once."""
        self._hold = True
        try:
            for p, x in values.items():
                if p not in self.controls:
                    raise ScenarioError(f"{p!r} is not a control of {self.option_id}; controls: {', '.join(self.controls)}")
                self.controls[p].set(x)
        finally:
            self._hold = False
        self.update()

    def reset(self) -> None:
        """Every driver back to the saved assumptions."""
        self._hold = True
        try:
            for c in self.controls.values():
                c.reset()
        finally:
            self._hold = False
        self.save_status.value = ""
        self.update()

    # -- the update handler --------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the option (and the comparison when the shared changes moved) and refresh the panel and
        the charts' data in place. This is the handler every control change calls."""
        t0 = time.perf_counter()
        a, oid, stage = self.appraisal, self.option_id, self.stage
        ov = self.overrides
        try:
            r = appraise(a, oid, stage, overrides=ov)
            shared = {k: v for k, v in ov.items() if is_shared_path(k)}
            key = (self.compare_id, stage, tuple(sorted(shared.items())))
            if self.compare_id is None:
                self.compare_result, self._compare_key = None, None
            elif key != self._compare_key:
                self.compare_result = appraise(a, self.compare_id, stage, overrides=shared)
                self._compare_key = key
            torn = tornado_at(a, oid, stage, ov, self._tornado_dists)
        except AsdmError as e:  # controls only hold valid values, so this is a defect: say so, keep the last figures
            self.status.value = f'<span style="color:#c0392b">Could not recompute: {html.escape(str(e))}</span>'
            return
        self.result = r
        self.status.value = ""
        self._refresh_headline()
        self._refresh_cash_flows(r)
        self._refresh_waterfall(r)
        self._refresh_tornado(torn, r.name)
        self.last_update_ms = (time.perf_counter() - t0) * 1000.0

    # -- headline ----------------------------------------------------------------------------
    def _saved_result(self, option: str) -> OptionAppraisal:
        k = (option, self.stage)
        if k not in self._saved:
            self._saved[k] = appraise(self.appraisal, option, self.stage)
        return self._saved[k]

    def _figures_of(self, r: OptionAppraisal) -> dict:
        out = {k: getattr(r, k) for k in ("npsv_vs_no_change_gbp", "npsv_vs_no_change_unadjusted_gbp",
                                          "council_npv_vs_no_change_gbp", "payback_year", "breakeven_year",
                                          "peak_funding_gbp", "lowest_cash_gbp")}
        metrics = r.headline()
        metrics["entity_lowest_cash_gbp"] = r.lowest_cash_gbp
        metrics.update(case_tests(self.appraisal, r, tables=False).metrics())  # value for money, Teckal, VAT, ...
        g = evaluate_gate(self.appraisal, self.stage, metrics)
        out["gate"] = "baseline" if r.model == "no_change" else g.recommendation
        out["gate_tests"] = g.tests
        return out

    def _refresh_headline(self) -> None:
        r, c = self.result, self.compare_result
        fr = self._figures_of(r)
        fc = self._figures_of(c) if c is not None else None
        self.shown = {"option": {k: v for k, v in fr.items() if k != "gate_tests"},
                      "compare": None if fc is None else {k: v for k, v in fc.items() if k != "gate_tests"}}
        saved = self._saved_result(r.option)
        rows = [
            ("npsv_vs_no_change_gbp", "NPSV vs no change (risk-adjusted)", "gbp", "asdm-npsv"),
            ("npsv_vs_no_change_unadjusted_gbp", "NPSV vs no change (unadjusted)", "gbp", "asdm-npsv-unadjusted"),
            ("council_npv_vs_no_change_gbp", "Council NPV vs no change", "gbp", "asdm-council-npv"),
            ("payback_year", "Payback year (council cash)", "text", "asdm-payback"),
        ]
        entity = r.inputs.option.is_new_entity or (c is not None and c.inputs.option.is_new_entity)
        if entity:
            rows += [("breakeven_year", "New entity: break-even year", "text", "asdm-breakeven"),
                     ("peak_funding_gbp", "New entity: peak funding", "gbp", "asdm-peak-funding"),
                     ("lowest_cash_gbp", "New entity: lowest cash", "gbp", "asdm-lowest-cash")]

        def cell(kind, v, cls, exact=True):
            if v is None:
                return f'<td class="{cls}" data-value="">n/a</td>'
            text = format_gbp(v, millions=False) if kind == "gbp" else str(v)
            dv = repr(float(v)) if kind == "gbp" else html.escape(str(v), quote=True)
            return f'<td class="{cls}" data-value="{dv}">{html.escape(text)}</td>'

        head = (f"<tr><th></th><th>{html.escape(r.name)}</th><th>vs saved</th>"
                + (f"<th>{html.escape(c.name)}</th>" if c is not None else "") + "</tr>")
        body = []
        for key, label, kind, cls in rows:
            v = fr[key]
            sv = getattr(saved, key)
            if kind == "gbp" and v is not None and sv is not None:
                delta = format_gbp(v - sv, millions=False, signed=True) if v != sv else ""
            else:
                delta = "" if v == sv else f"was {sv if sv is not None else 'n/a'}"
            style = ' class="asdm-key"' if key == "npsv_vs_no_change_gbp" else ""
            tr = (f"<tr{style}><td>{html.escape(label)}</td>{cell(kind, v, cls)}"
                  f'<td class="{cls}-delta">{html.escape(delta)}</td>')
            if fc is not None:
                tr += cell(kind, fc[key], cls.replace("asdm-", "asdm-compare-"))
            body.append(tr + "</tr>")
        gate_row = (f"<tr><td>Gate ({self.stage.upper()})</td><td class=\"asdm-gate-result\">{html.escape(fr['gate'])}</td><td></td>"
                    + (f"<td class=\"asdm-compare-gate-result\">{html.escape(fc['gate'])}</td>" if fc else "") + "</tr>")
        body.append(gate_row)
        gate_html = self._gate_html(fr["gate_tests"], r) if r.model != "no_change" else ""
        scen = "saved assumptions" if not self.overrides else f"{len(self.overrides)} driver(s) changed from the saved assumptions"
        self.headline.value = (
            f"<div><b>{html.escape(self.appraisal.title)}</b>: {html.escape(self.stage.upper())}, "
            f"{html.escape(scen)}; NPVs real at {html.escape(self.appraisal.price_base)} prices, discounted"
            + (" · <i>illustrative data</i>" if self.appraisal.illustrative else "") + "</div>"
            f"<table>{head}{''.join(body)}</table>{gate_html}")

    def _gate_html(self, tests, r) -> str:
        rows = []
        for t in tests.itertuples():
            if t.result == "not assessed":
                res = "needs Monte Carlo: see the business-case report"
            else:
                res = t.result
            rows.append(f"<tr><td>{html.escape(str(t.description))}</td><td>{html.escape(str(t.threshold))}</td>"
                        f"<td>{html.escape(str(t.value_text))}</td><td>{html.escape(res)}</td></tr>")
        return ('<table class="asdm-gate"><tr><th>Gate test</th><th>threshold</th><th>here</th><th>result</th></tr>'
                + "".join(rows) + "</table><div style=\"font-size:12px\">Probabilistic tests (P50, probability of "
                "beating no change) need the Monte Carlo: save a scenario and run <code>asdm run DATA --scenario NAME"
                "</code>.</div>")

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


def _m(x: float) -> str:
    return format_gbp(x, millions=abs(x) >= 1_000_000)


def explorer(data_dir="data/example_leisure", option: str = "trading_company", stage: str = "obc",
             compare_with: str | None = None) -> Explorer:
    """The assumptions explorer for one appraisal (a folder, relative to the project root or absolute).

    >>> ex = explorer("data/example_leisure", "trading_company", "obc")
    >>> ex.controls["pay_inflation"].value = 0.035
    >>> r = appraise(ex.appraisal, "trading_company", "obc", overrides={"pay_inflation": 0.035})
    >>> ex.shown["option"]["npsv_vs_no_change_gbp"] == r.npsv_vs_no_change_gbp
    True
    """
    return Explorer(data_dir, option, stage, compare_with)
