"""Static charts: every chart of a run's reports as PNG and SVG at print quality.

The charts are the reports' own: each executed report notebook in a run folder carries its
plotly figures (the ``application/vnd.plotly.v1+json`` output of
:func:`asdm_models.report.show_figure`, named by its fixed div id), so the images show exactly
what the HTML report shows, with the same titles stating the finding, and nothing is recomputed.

Rendering uses plotly's static export through kaleido 1.x and the machine's own Chromium
(Debian's ``chromium`` on the PATH, or ``BROWSER_PATH``); a browser is never downloaded.
:class:`StaticExporter` starts **one** headless browser for a whole batch of images (about 2 s)
and renders the charts in batches on two tabs (kaleido reloads a tab after every image, so that
costs 0.15 to 0.5 s an image, depending on the machine's load). Each chart is rendered once, as
SVG; its PNG is that SVG rasterised by Typst (:func:`rasterise_svgs`), a quarter of the cost of a
second browser render.

Sizes (:data:`PRINT_WIDTH_PX`, :data:`PRINT_SCALE`): a chart is laid out 800 CSS pixels wide and
rendered at 3.1 times that, so a PNG is 2,480 pixels wide: 300 dpi across the full width of an
A4 page (210 mm), more than that in a report's text column. The PNG says 300 dpi in its
``pHYs`` chunk, so a word processor inserts it at a sensible size. Titles too long for the
width are wrapped onto a second line rather than cut off. SVGs are vector and carry no random
ids (plotly's per-render ids are replaced by a fixed one), so the same run gives the same bytes.

Examples
--------
>>> from asdm_models.figures import print_figure
>>> import plotly.graph_objects as go
>>> fig = print_figure(go.Figure(layout={"title": {"text": "A long title " * 12}}))
>>> fig.layout.title.text.count("<br>")
1
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import plotly.graph_objects as go

from . import charts
from .errors import AsdmError
from .outputs import write_bytes_atomic

__all__ = ["StaticExporter", "export_run_figures", "report_figures", "print_figure", "print_layout", "rasterise_svgs",
           "wrap_title", "StaticExportError", "FIGURES_DIR",
           "PRINT_WIDTH_PX", "PRINT_SCALE", "PRINT_DPI", "FORMATS"]

FIGURES_DIR = "figures"
PRINT_WIDTH_PX = 800  # CSS pixels the chart is laid out in
PRINT_SCALE = 3.1  # 800 x 3.1 = 2,480 pixels: 300 dpi across A4's 210 mm
PRINT_DPI = 300
FORMATS = ("png", "svg")
_PLOTLY_MIME = "application/vnd.plotly.v1+json"
_DIV_ID = re.compile(r'id="asdm-([^"]+)"')


class StaticExportError(AsdmError):
    """Static export could not run (no Chromium, or the browser failed)."""


def _browser_path() -> str | None:
    """The Chromium kaleido should use: ``BROWSER_PATH`` if set, else ``chromium`` (or Chrome) on the PATH."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class StaticExporter:
    """One headless Chromium for a batch of static images (a context manager).

    ``with StaticExporter() as ex: ex.write(fig, run_dir / "figures" / "x")`` writes ``x.png`` and
    ``x.svg``. The browser is kaleido's sync server, started on entry and stopped on exit; if one is
    already running (an enclosing exporter), it is reused and left running.

    Raises :class:`StaticExportError` when no Chromium is installed (``apt-get install chromium``;
    the suite never downloads a browser).
    """

    def __init__(self, *, timeout: float = 90):
        self.timeout = timeout
        self._owner = False
        self.rendered = 0

    def __enter__(self) -> "StaticExporter":
        import kaleido
        from kaleido._sync_server import GlobalKaleidoServer

        path = _browser_path()
        if path is None:
            raise StaticExportError("static charts need Chromium: install Debian's package (apt-get install chromium) "
                                    "or set BROWSER_PATH; the suite never downloads a browser")
        os.environ.setdefault("BROWSER_PATH", path)
        if not GlobalKaleidoServer().is_running():
            # No MathJax: the charts use none, and kaleido would otherwise fetch it from a CDN (offline here).
            kaleido.start_sync_server(n=2, timeout=self.timeout, mathjax=False, silence_warnings=True)
            self._owner = True
        return self

    def __exit__(self, *exc) -> None:
        if self._owner:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            self._owner = False

    def render(self, fig, fmt: str = "png", *, width: int | None = None, height: int | None = None,
               scale: float = PRINT_SCALE) -> bytes:
        """The image as bytes: ``fmt`` is ``"png"`` or ``"svg"``; ``fig`` a ``Figure`` or its dict; size in CSS
        pixels (default: the figure's own, else :data:`PRINT_WIDTH_PX` wide)."""
        return self.render_many([(fig, fmt)], width=width, height=height, scale=scale)[0]

    def render_many(self, items, *, width: int | None = None, height: int | None = None,
                    scale: float = PRINT_SCALE) -> list[bytes]:
        """Render ``[(fig, fmt), ...]`` in one call, two browser tabs at a time; returns the bytes in order."""
        import kaleido

        specs = []
        with tempfile.TemporaryDirectory(prefix=".asdm-figures-") as tmp:
            for i, (fig, fmt) in enumerate(items):
                if fmt not in FORMATS:
                    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
                d = fig if isinstance(fig, dict) else fig.to_plotly_json()
                lay = d.get("layout", {})
                opts = {"format": fmt, "width": int(width or lay.get("width") or PRINT_WIDTH_PX),
                        "height": int(height or lay.get("height") or 420), "scale": scale if fmt == "png" else 1}
                specs.append({"fig": d, "path": str(Path(tmp) / f"{i}.{fmt}"), "opts": opts})
            if not specs:
                return []
            try:
                kaleido.write_fig_from_object_sync(specs, cancel_on_error=True)
            except Exception as e:  # kaleido and choreographer raise their own types; all mean "could not render"
                raise StaticExportError(f"static export failed: {type(e).__name__}: {e}") from e
            out = []
            for spec in specs:
                data = Path(spec["path"]).read_bytes()
                out.append(_png_with_dpi(data, PRINT_DPI) if spec["opts"]["format"] == "png" else _stable_svg(data))
        self.rendered += len(out)
        return out

    def write(self, fig, stem: Path, *, formats=FORMATS, **size) -> list[Path]:
        """Write ``stem.png`` / ``stem.svg`` (atomically) and return their paths."""
        return self.write_many([(fig, stem)], formats=formats, **size)

    def write_many(self, items, *, formats=FORMATS, **size) -> list[Path]:
        """Write ``[(fig, stem), ...]`` in every format (one batch of renders); returns the paths."""
        jobs = [(fig, Path(stem), fmt) for fig, stem in items for fmt in formats]
        images = self.render_many([(fig, fmt) for fig, _, fmt in jobs], **size)
        return [write_bytes_atomic(data, stem.with_name(f"{stem.name}.{fmt}"))
                for (_, stem, fmt), data in zip(jobs, images)]


def _png_with_dpi(png: bytes, dpi: int) -> bytes:
    """The PNG with a ``pHYs`` chunk saying ``dpi`` (inserted after IHDR; the pixels are untouched)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or b"pHYs" in png[:256]:
        return png
    ppm = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    ihdr_end = 8 + 4 + 4 + 13 + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]


_SVG_UID = re.compile(rb'id="defs-([0-9a-zA-Z]+)"')


def _stable_svg(svg: bytes) -> bytes:
    """plotly.js names its clip paths after a random id per render; one fixed id makes the bytes repeatable."""
    m = _SVG_UID.search(svg)
    if m:
        uid = re.escape(m.group(1))
        svg = re.sub(rb"(defs-|clip|legend)" + uid, rb"\1asdm", svg)
        if m.group(1) in svg:  # anywhere else plotly used it
            svg = svg.replace(m.group(1), b"asdm")
    return svg


def wrap_title(text: str, width_px: int = PRINT_WIDTH_PX, font_px: float = 17.0, max_lines: int = 3) -> str:
    """A chart title broken with ``<br>`` so that it fits ``width_px`` (plotly never wraps titles itself):
    :func:`asdm_models.charts.wrap_title` at the characters that fit the print width.

    >>> wrap_title("NPSV " * 30, 400).count("<br>")
    2
    """
    text = re.sub(r"\s*<br\s*/?>\s*", " ", str(text)).strip()
    per_line = max(20, int((width_px - 40) / (0.55 * font_px)))
    return charts.wrap_title(text, per_line, max_lines)


def print_layout(fig, *, width: int = PRINT_WIDTH_PX, height: int | None = None, title: bool = True,
                 font_px: float = 13.0) -> dict:
    """The figure as a plotly dict laid out for a printed page: fixed size, the title wrapped (or removed with
    ``title=False``, when the page states the finding in its own heading), room left for it and the legend.

    Works on plain dicts (no plotly validation: a tenth of the cost of copying a ``Figure``)."""
    d = json.loads(json.dumps(fig if isinstance(fig, dict) else fig.to_plotly_json(), cls=_Encoder))
    layout = d.setdefault("layout", {})
    t = layout.get("title")
    text = t.get("text") if isinstance(t, dict) else t
    margin_t = 12
    if title and text:
        wrapped = wrap_title(text, width, font_px * 1.3)
        margin_t = 40 + 24 * (wrapped.count("<br>") + 1)
        layout["title"] = {**(t if isinstance(t, dict) else {}), "text": wrapped, "font": {"size": round(font_px * 1.3)},
                           "y": 1.0, "yanchor": "top", "yref": "container", "pad": {"t": 12}}
    else:
        layout["title"] = {"text": ""}
    shown = [tr for tr in d.get("data", []) if tr.get("showlegend") is not False]
    legend = layout.get("legend") or {}
    has_legend = (legend.get("orientation") == "h" and layout.get("showlegend") is not False
                  and (len(shown) > 1 or layout.get("showlegend") is True))
    layout.update(width=width, height=height or layout.get("height") or 420, autosize=False)
    layout["font"] = {**layout.get("font", {}), "size": font_px}
    layout["margin"] = {**layout.get("margin", {}), "t": margin_t + (26 if has_legend else 0)}
    return d


def print_figure(fig, **kwargs) -> go.Figure:
    """:func:`print_layout` as a ``plotly.graph_objects.Figure``."""
    return go.Figure(print_layout(fig, **kwargs))


class _Encoder(json.JSONEncoder):
    def default(self, o):
        from plotly.utils import PlotlyJSONEncoder

        return PlotlyJSONEncoder().default(o)


def report_figures(notebook: Path) -> list[tuple[str, go.Figure]]:
    """The plotly figures an executed report notebook displays, in order, as ``(name, figure)``.

    ``name`` is the one :func:`asdm_models.report.show_figure` was given (``waterfall``, ``cash-flow``,
    ``tornado``, ``options-obc`` ...), read from the output's fixed div id.
    """
    return [(name, go.Figure(d)) for name, d in _figure_dicts(notebook)]


def _figure_dicts(notebook: Path) -> list[tuple[str, dict]]:
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    out, seen = [], set()
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if _PLOTLY_MIME not in data:
                continue
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            m = _DIV_ID.search(html)
            name = m.group(1) if m else f"figure-{len(out) + 1}"
            while name in seen:
                name += "-2"
            seen.add(name)
            out.append((name, data[_PLOTLY_MIME]))
    return out


def _report_notebooks(run_dir: Path) -> list[Path]:
    """The run's executed reports that finished (the manifest's list when there is one)."""
    mpath = run_dir / "manifest.json"
    if mpath.exists():
        manifest = json.loads(mpath.read_text())
        names = [r["name"] for r in manifest.get("reports", []) if r.get("status") == "ok"]
        return [run_dir / f"{n}.ipynb" for n in names if (run_dir / f"{n}.ipynb").exists()]
    return sorted(p for p in run_dir.glob("*.ipynb") if not p.name.endswith(".FAILED.ipynb"))


def rasterise_svgs(svgs: list[bytes], *, width_px: int = PRINT_WIDTH_PX, scale: float = PRINT_SCALE) -> list[bytes]:
    """PNGs of plotly SVGs (``width_px`` CSS pixels wide), ``scale`` times the size, drawn by Typst's SVG renderer
    in one compile: a quarter of the cost of a second browser render per chart, and the same picture."""
    import typst

    if not svgs:
        return []
    width_pt = width_px * 0.75  # a CSS pixel is 0.75 pt
    with tempfile.TemporaryDirectory(prefix=".asdm-png-") as tmp:
        for i, svg in enumerate(svgs):
            (Path(tmp) / f"{i}.svg").write_bytes(svg)
        src = ("#set page(width: auto, height: auto, margin: 0pt, fill: white)\n"
               '#set text(font: ("Liberation Sans", "Arial", "Helvetica", "DejaVu Sans"))\n'
               + "\n#pagebreak()\n".join(f'#image("{i}.svg", width: {width_pt}pt)' for i in range(len(svgs))))
        (Path(tmp) / "main.typ").write_text(src, encoding="utf-8")
        pages = typst.compile(str(Path(tmp) / "main.typ"), root=tmp, format="png", ppi=72 * scale / 0.75)
    pages = pages if isinstance(pages, list) else [pages]
    return [_png_with_dpi(p, PRINT_DPI) for p in pages]


def export_run_figures(run_dir, *, formats=FORMATS, exporter: StaticExporter | None = None) -> list[Path]:
    """Write every chart of a run's reports to ``run_dir/figures/<report>-<chart>.svg`` and ``.png``.

    The SVG is plotly's static export, one Chromium for the whole run (pass ``exporter`` to share one);
    the PNG (2,480 px wide, 300 dpi at A4 width) is that SVG rasterised by Typst. Returns the paths
    written, in report order. Raises :class:`StaticExportError` without Chromium.
    """
    run_dir = Path(run_dir)
    jobs = [(print_layout(d), run_dir / FIGURES_DIR / f"{nb.stem}-{name}")
            for nb in _report_notebooks(run_dir) for name, d in _figure_dicts(nb)]
    if not jobs:
        return []
    if exporter is None:
        with StaticExporter() as ex:
            return export_run_figures(run_dir, formats=formats, exporter=ex)
    svgs = exporter.render_many([(d, "svg") for d, _ in jobs])
    images = {"svg": svgs}
    if "png" in formats:
        images["png"] = rasterise_svgs(svgs)
    return [write_bytes_atomic(images[fmt][i], stem.with_name(f"{stem.name}.{fmt}"))
            for i, (_, stem) in enumerate(jobs) for fmt in formats]
