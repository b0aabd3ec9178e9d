"""The cabinet pack's charts, drawn by Typst from simple shapes (no browser, vector, the document's own font).

Each function returns a *drawing*: ``{"width", "height", "title", "items"}`` in points, where an item
is a ``rect``, a ``line`` or a ``text`` with its position; ``templates/pack/charts.typ`` draws it. The
layout and every label are computed here, so labels print exactly as the suite formats money
(:func:`asdm_models.pack.money_m`) and a test can read them back from the PDF.

Why not the reports' plotly charts: rendering them in Chromium costs about half a second each, and a
pack has two per option per stage; drawn by Typst they cost nothing measurable, stay sharp in print,
and the static PNG/SVG of every report chart remain available through :mod:`asdm_models.figures`.
The same findings are stated in the titles as in the reports' charts.

Colours are colour-blind-safe (Okabe-Ito blue for favourable, vermillion for unfavourable, as in
:mod:`asdm_models.charts`), and every bar is labelled with its value, so colour is never the only cue.
"""

from __future__ import annotations

import math

from .charts import BAD, GOOD, TARGET, TOTAL

__all__ = ["waterfall_drawing", "budget_drawing", "options_drawing", "nice_ticks", "TEXT_WIDTH_PT"]

TEXT_WIDTH_PT = 487.0  # A4 (595.3 pt) less two margins of 19 mm
_GRID = "#d9dee2"
_INK = "#333f48"
_MUTED = "#55636d"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``: steps of 1, 2 or 5 times a power of ten.

    >>> nice_ticks(-1.2e6, 4.7e6)
    [-2000000.0, 0.0, 2000000.0, 4000000.0, 6000000.0]
    """
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t < hi + step * 0.999:
        ticks.append(float(round(t / step) * step))
        t += step
    return [0.0 if abs(x) < step * 1e-9 else x for x in ticks]


def _fmt():
    from .pack import money_m

    return money_m


class _Scale:
    def __init__(self, lo: float, hi: float, a: float, b: float):
        self.lo, self.hi, self.a, self.b = lo, hi, a, b

    def __call__(self, v: float) -> float:
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)


def _rect(x, y, w, h, fill):
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    return {"kind": "rect", "x": round(x, 2), "y": round(y, 2), "w": round(max(w, 0.6), 2), "h": round(max(h, 0.6), 2),
            "fill": fill}


def _line(x1, y1, x2, y2, stroke=_INK, width=0.6, dash=None):
    return {"kind": "line", "x1": round(x1, 2), "y1": round(y1, 2), "x2": round(x2, 2), "y2": round(y2, 2),
            "stroke": stroke, "width": width, "dash": dash}


def _text(x, y, text, anchor="l", size=7.5, fill=_INK, bold=False):
    return {"kind": "text", "x": round(x, 2), "y": round(y, 2), "text": str(text), "anchor": anchor, "size": size,
            "fill": fill, "bold": bold}


def _tick(t: float, money_m) -> str:
    return "£0" if t == 0 else money_m(t)


def _value_axis(items, scale, ticks, y_top, y_bottom, label_y):
    money_m = _fmt()
    for t in ticks:
        x = scale(t)
        items.append(_line(x, y_top, x, y_bottom, stroke=_GRID if t else _INK, width=0.4 if t else 0.8))
        items.append(_text(x, label_y, _tick(t, money_m), anchor="c", size=7, fill=_MUTED))


def _bars_layout(n_rows: int, width: float, label_w: float, value_w: float):
    row_h, top = 11.5, 6.0
    height = top + n_rows * row_h + 18.0
    return row_h, top, height, label_w + 6.0, width - value_w - 6.0


def waterfall_drawing(result, *, width: float = TEXT_WIDTH_PT) -> dict:
    """NPSV against no change line by line (economic case, present values), then the total: horizontal bars,
    each starting where the one above ended; the value of each line in the right-hand column."""
    money_m = _fmt()
    ec = result.economic_case
    ec = ec[ec["vs_no_change_pv_gbp"].abs() >= 0.5]
    labels = list(ec["label"])
    values = [float(v) for v in ec["vs_no_change_pv_gbp"]]
    total = float(result.npsv_vs_no_change_gbp)
    cum, starts = 0.0, []
    for v in values:
        starts.append(cum)
        cum += v
    ends = [s + v for s, v in zip(starts, values)]
    lo = min([0.0, total] + starts + ends)
    hi = max([0.0, total] + starts + ends)
    ticks = nice_ticks(lo, hi)
    n = len(values) + 1
    row_h, top, height, x0, x1 = _bars_layout(n, width, 175.0, 52.0)
    row_h = max(8.0, min(row_h, 165.0 / n))  # a long economic case stays within its share of the page
    height = top + n * row_h + 18.0
    scale = _Scale(ticks[0], ticks[-1], x0, x1)
    items: list = []
    _value_axis(items, scale, ticks, top - 2, top + n * row_h, top + n * row_h + 8)
    for i, (lab, s, v) in enumerate(zip(labels + ["NPSV against no change"], starts + [0.0], values + [total])):
        y = top + i * row_h
        last = i == n - 1
        fill = TOTAL if last else (GOOD if v >= 0 else BAD)
        items.append(_rect(scale(s), y + 2, scale(s + v) - scale(s), row_h - 4, fill))
        fs = 7.5 if row_h >= 10 else 7.0
        items.append(_text(x0 - 6, y + row_h / 2, lab, anchor="r", size=fs, bold=last))
        items.append(_text(width, y + row_h / 2, money_m(v), anchor="r", size=fs, bold=last,
                           fill=_INK if v >= 0 or last else BAD))
        if not last and i < n - 2:  # connector to the next bar
            x = scale(s + v)
            items.append(_line(x, y + row_h - 2, x, y + row_h + 2, stroke="#9aa5ab", width=0.5))
    items.append(_line(scale(0), top - 2, scale(0), top + n * row_h, stroke=_INK, width=0.8))
    d = total
    title = (f"{result.name} is {money_m(abs(d))} {'better' if d >= 0 else 'worse'} than no change "
             f"(NPSV, {result.stage.upper()}, risk- and optimism-bias-adjusted), line by line")
    return {"width": width, "height": round(height, 2), "title": title, "items": items}


def budget_drawing(result, *, width: float = TEXT_WIDTH_PT, height: float = 125.0) -> dict:
    """The council's saving against no change by year (nominal cash) against the savings target."""
    money_m = _fmt()
    fin = result.financial_case
    years = list(fin.columns)
    saving = [float(v) for v in fin.loc["saving_vs_no_change_nominal_gbp"]]
    target = [float(v) for v in fin.loc["savings_target_nominal_gbp"]]
    ticks = nice_ticks(min([0.0] + saving + target), max([0.0] + saving + target), 4)
    left, top, bottom = 44.0, 16.0, height - 16.0
    scale = _Scale(ticks[0], ticks[-1], bottom, top)  # y grows downwards
    items: list = []
    for t in ticks:
        y = scale(t)
        items.append(_line(left, y, width, y, stroke=_GRID if t else _INK, width=0.4 if t else 0.8))
        items.append(_text(left - 4, y, _tick(t, money_m), anchor="r", size=7, fill=_MUTED))
    n = len(years)
    slot = (width - left) / n
    every = max(1, math.ceil(n / 12))
    for i, (yr, v) in enumerate(zip(years, saving)):
        x = left + i * slot
        items.append(_rect(x + slot * 0.18, scale(0), slot * 0.64, scale(v) - scale(0), GOOD if v >= 0 else BAD))
        if i % every == 0:
            items.append(_text(x + slot / 2, bottom + 8, yr, anchor="c", size=7, fill=_MUTED))
    # the savings target: a dashed step line
    for i, t in enumerate(target):
        x = left + i * slot
        items.append(_line(x, scale(t), x + slot, scale(t), stroke=TARGET, width=1.0, dash="dashed"))
        if i and target[i - 1] != t:
            items.append(_line(x, scale(target[i - 1]), x, scale(t), stroke=TARGET, width=1.0, dash="dashed"))
    # legend
    items.append(_rect(width - 205, 3, 8, 7, GOOD))
    items.append(_rect(width - 196, 3, 8, 7, BAD))
    items.append(_text(width - 185, 6.5, "saving / cost vs no change", size=7, fill=_MUTED))
    items.append(_line(width - 78, 6.5, width - 62, 6.5, stroke=TARGET, width=1.0, dash="dashed"))
    items.append(_text(width - 58, 6.5, "savings target", size=7, fill=_MUTED))
    idx = [i for i, t in enumerate(target) if t > 0]
    met = sum(1 for i in idx if saving[i] >= target[i] - 0.5)
    if idx:
        gap = max(target[i] - saving[i] for i in idx)
        title = (f"{result.name} meets the savings target in every year from {years[idx[0]]}" if met == len(idx) else
                 f"{result.name} meets the savings target in {met} of {len(idx)} years (largest shortfall "
                 f"{money_m(gap)})")
    else:
        total = sum(saving)
        title = f"{result.name} {'saves' if total >= 0 else 'costs'} the council {money_m(abs(total))} in cash"
    return {"width": width, "height": height, "title": title, "items": items}


def options_drawing(rows, *, width: float = TEXT_WIDTH_PT) -> dict:
    """Every option's NPSV against no change (bar) with its Monte Carlo P10 to P90 (line) and P50 (dot).

    ``rows``: dicts with ``name``, ``npsv_vs_no_change_gbp``, ``p10_…``, ``p50_…``, ``p90_npsv_vs_no_change_gbp``
    and ``shortlisted``, best first.
    """
    money_m = _fmt()
    vals = []
    for r in rows:
        vals += [r["npsv_vs_no_change_gbp"]] + [r[k] for k in ("p10_npsv_vs_no_change_gbp", "p90_npsv_vs_no_change_gbp")
                                                 if r.get(k) is not None and not math.isnan(r[k])]
    ticks = nice_ticks(min([0.0] + vals), max([0.0] + vals))
    n = len(rows)
    row_h, top, height, x0, x1 = _bars_layout(n, width, 190.0, 52.0)
    row_h = 16.0
    height = top + n * row_h + 30.0
    scale = _Scale(ticks[0], ticks[-1], x0, x1)
    items: list = []
    _value_axis(items, scale, ticks, top - 2, top + n * row_h, top + n * row_h + 8)
    for i, r in enumerate(rows):
        y = top + i * row_h
        v = float(r["npsv_vs_no_change_gbp"])
        faded = not r.get("shortlisted", True)
        items.append(_rect(scale(0), y + 3, scale(v) - scale(0), row_h - 6,
                           (GOOD if v > 0 else BAD) + ("66" if faded else "")))
        items.append(_text(x0 - 6, y + row_h / 2, r["name"], anchor="r", size=7.5, fill=_MUTED if faded else _INK))
        items.append(_text(width, y + row_h / 2, money_m(v), anchor="r", size=7.5, fill=_INK if v >= 0 else BAD))
        p10, p50, p90 = (r.get(k) for k in ("p10_npsv_vs_no_change_gbp", "p50_npsv_vs_no_change_gbp",
                                             "p90_npsv_vs_no_change_gbp"))
        if p10 is not None and not math.isnan(p10):
            yc = y + row_h / 2
            items.append(_line(scale(p10), yc, scale(p90), yc, stroke="#111111", width=0.9))
            for x in (scale(p10), scale(p90)):
                items.append(_line(x, yc - 3, x, yc + 3, stroke="#111111", width=0.9))
            items.append(_rect(scale(p50) - 2, yc - 2, 4, 4, "#111111"))
    items.append(_line(scale(0), top - 2, scale(0), top + n * row_h, stroke=_INK, width=0.8))
    ly = height - 6
    items.append(_rect(x0, ly - 3.5, 8, 7, GOOD))
    items.append(_rect(x0 + 9, ly - 3.5, 8, 7, BAD))
    items.append(_text(x0 + 21, ly, "NPSV against no change (better / worse)", size=7, fill=_MUTED))
    items.append(_line(x0 + 190, ly, x0 + 212, ly, stroke="#111111", width=0.9))
    items.append(_rect(x0 + 199, ly - 2, 4, 4, "#111111"))
    items.append(_text(x0 + 216, ly, "Monte Carlo P10 to P90, and P50", size=7, fill=_MUTED))
    return {"width": width, "height": round(height, 2), "title": "", "items": items}
