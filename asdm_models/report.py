"""Display helpers for the report notebooks: figures and prose that export to offline HTML deterministically.

* Figures are displayed as a bundle: the plotly JSON (for JupyterLab) and HTML with a *fixed*
  div id (for the exported report). The report template (``templates/asdm_report``) embeds
  plotly.js once in the page head, so the HTML report works with no network and no CDN.
* Nothing displayed carries a timestamp or a random id, so a re-run gives identical outputs.
* Prose goes out as Markdown built from the figures, escaped where it quotes the data.
* Every chart has the toolbar of :data:`~asdm_models.charts.PLOTLY_CONFIG`: no "Share chart" button (it
  would upload the figures to Plotly's cloud service) and no Plotly logo.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .charts import PLOTLY_CONFIG
from .reference import PROJECT_ROOT
from .units import minus

__all__ = ["show_figure", "show_markdown", "show_table", "table_html", "resolve_data_dir", "escape_md", "reset"]

_STATE = {"names": set()}


def reset() -> None:
    """Forget the figure names used so far (for a notebook re-run in the same kernel)."""
    _STATE["names"].clear()


def resolve_data_dir(data_dir: str | Path) -> Path:
    """A data folder from a notebook parameter: absolute as given, otherwise relative to the project root
    (never the working directory, which differs between JupyterLab, papermill and Voila)."""
    p = Path(data_dir)
    return p if p.is_absolute() else PROJECT_ROOT / p


def escape_md(text: str) -> str:
    r"""Text from the data made safe inside Markdown and HTML: no tags, no Markdown or maths control characters.

    >>> print(escape_md("Council's <b>plan</b> #1 $5"))
    Council's &lt;b&gt;plan&lt;/b&gt; \#1 \$5
    """
    out = str(text).replace("\\", "\\\\")
    for ch in "`*_{}[]#|$":
        out = out.replace(ch, "\\" + ch)
    return html.escape(out, quote=False)


def show_markdown(text: str) -> None:
    display(Markdown(text))


_YEARS = re.compile(r"^\s*\d{4}[-/]\d{2}(\s+to\s+\d{4}[-/]\d{2})?\s*$")
# Inline styles, so the rule holds whatever the page's style sheet says (the report template makes every cell
# nowrap): text wraps and is aligned left, numbers are aligned right and never wrap, years never wrap.
_CELL = {"num": "text-align:right;white-space:nowrap", "year": "text-align:left;white-space:nowrap",
         "text": "text-align:left;white-space:normal;max-width:32em",
         "long": "text-align:left;white-space:normal;min-width:20em;max-width:40em"}


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _kind(values, shown) -> str:
    present = [(v, t) for v, t in zip(values, shown) if t != ""]
    if not present:
        return "text"
    if all(_YEARS.match(t) for _, t in present):
        return "year"
    if all(_is_number(v) for v, _ in present):
        return "num"
    return "text"


def table_html(df, *, index: bool = False, formats: dict | None = None) -> str:
    """A pandas table as HTML in the reports' style (values escaped).

    Each column is *text* (aligned left, wrapping: descriptions, reasons, sources), *number* (aligned right,
    never wrapping, negatives with a true minus sign) or *year* (financial years such as ``2026-27`` and
    ranges of them, never split over two lines); a blank is a figure that does not apply. Wide tables scroll
    sideways inside their box instead of being cut off.

    >>> import pandas as pd
    >>> out = table_html(pd.DataFrame({"year": ["2026-27"], "note": ["long text"], "amount": [-1500.0]}),
    ...                  formats={"amount": lambda x: f"-£{abs(x):,.0f}"})
    >>> 'class="year"' in out and 'class="text"' in out and "\u2212\u2060£1,500" in out
    True
    """
    formats = formats or {}
    frame = df.reset_index() if index else df
    cols = list(frame.columns)
    kinds, shown_cols = [], []
    for c in cols:
        f = formats.get(c)
        vals = list(frame[c])
        shown = ["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT
                 else (f(v) if f else str(v)) for v in vals]
        kind = _kind(vals, shown)
        if kind == "text" and max((len(t) for t in shown), default=0) > 80:
            kind = "long"  # descriptions and reasons: a column wide enough to read
        if kind == "num":
            shown = [minus(t) for t in shown]
        kinds.append(kind)
        shown_cols.append(shown)
    head = "".join(f'<th class="{k}" style="text-align:{"right" if k == "num" else "left"};white-space:normal">{html.escape(str(c)) if not (index and i == 0 and str(c) == "index") else ""}</th>'
                   for i, (c, k) in enumerate(zip(cols, kinds)))
    rows = []
    for i in range(len(frame)):
        rows.append("<tr>" + "".join(f'<td class="{k}" style="{_CELL[k]}">{html.escape(col[i])}</td>'
                                     for k, col in zip(kinds, shown_cols)) + "</tr>")
    return ('<div class="asdm-table-wrap" style="overflow-x:auto;max-width:100%">'
            f'<table class="asdm-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def show_table(df, *, index: bool = False, formats: dict | None = None) -> None:
    """Display a pandas table (see :func:`table_html`) with a plain-text copy for the notebook."""
    display({"text/html": table_html(df, index=index, formats=formats),
             "text/plain": df.to_string(index=index)}, raw=True)


def show_figure(fig, name: str) -> None:
    """Display a plotly figure so that it works in JupyterLab and in the exported HTML report.

    The output carries the plotly JSON (JupyterLab renders it) and a small HTML div with a fixed id
    (``name`` must be unique in the notebook) for the HTML report. plotly.js itself is not put in the
    notebook: the report template embeds it once in the page head, which keeps executed notebooks small
    (papermill saves the notebook after every cell).
    """
    if name in _STATE["names"]:
        raise ValueError(f"figure name {name!r} used twice in this notebook")
    _STATE["names"].add(name)
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"asdm-{name}", config=PLOTLY_CONFIG,
                       default_width="100%")
    display({"application/vnd.plotly.v1+json": json.loads(fig.to_json()), "text/html": body}, raw=True)
