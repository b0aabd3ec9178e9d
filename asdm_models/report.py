"""Display helpers for the report notebooks: figures and prose that export to offline HTML deterministically.

* Figures are displayed as a bundle: the plotly JSON (for JupyterLab) and HTML with a *fixed*
  div id (for the exported report). The report template (``templates/asdm_report``) embeds
  plotly.js once in the page head, so the HTML report works with no network and no CDN.
* Nothing displayed carries a timestamp or a random id, so a re-run gives identical outputs.
* Prose goes out as Markdown built from the figures, escaped where it quotes the data.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from IPython.display import Markdown, display

from .reference import PROJECT_ROOT

__all__ = ["show_figure", "show_markdown", "show_table", "resolve_data_dir", "escape_md", "reset"]

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


def show_table(df, *, index: bool = False, formats: dict | None = None) -> None:
    """A pandas table as HTML with the given column formatters (values are escaped)."""
    formatters = {k: (lambda f: (lambda v: "" if v is None or v != v else f(v)))(f) for k, f in (formats or {}).items()}
    display({"text/html": df.to_html(index=index, formatters=formatters, escape=True, border=0,
                                     classes="asdm-table", na_rep="", justify="left"),
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
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"asdm-{name}",
                       config={"displaylogo": False, "responsive": True})
    display({"application/vnd.plotly.v1+json": json.loads(fig.to_json()), "text/html": body}, raw=True)
