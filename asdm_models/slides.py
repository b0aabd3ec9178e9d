"""Slides for a cabinet briefing: a short 16:9 deck per stage, written by ``asdm pack RUN_DIR --pptx``.

The deck follows the pack (:mod:`asdm_models.pack`) and says the same things in the same words:

1. title (the appraisal, the stage, the council, the run's date; ILLUSTRATIVE where the data say so);
2. the recommendation;
3. the options compared (a native table: numbers a reader can copy, not a picture of them);
4. one slide per short-listed option: its NPSV waterfall and budget impact against the savings target
   as images, its headline figures as a native table;
5. risks and sensitivity: for each short-listed option the risk that matters most and the switching
   value that matters most;
6. the next gate: the tests the recommended option met or did not meet, and what comes next.

Every slide's title states its finding, and every slide carries the run's provenance in its
footer. Charts are the pack's own, drawn by Typst and rasterised as PNG (no browser). The file is
repeatable: the core properties carry the run's date and the zip entries a fixed timestamp, so
the same run gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from .outputs import write_bytes_atomic

__all__ = ["write_slides", "build_deck", "SLIDE_WIDTH_IN", "SLIDE_HEIGHT_IN"]

SLIDE_WIDTH_IN, SLIDE_HEIGHT_IN = 13.333, 7.5
_NAVY, _MUTED, _WARN, _ACCENT, _HEAD = "1D3A52", "55636D", "B34700", "0072B2", "EEF2F5"
_FONT = "Arial"


def _rgb(hexs: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hexs)


def _text(slide, x, y, w, h, text, *, size=14, bold=False, colour="1A1A1A", align=None, wrap=True):
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = wrap
    paras = text if isinstance(text, list) else [text]
    for i, t in enumerate(paras):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        bullet = isinstance(t, tuple)
        run = p.add_run()
        run.text = ("•  " + t[0]) if bullet else t
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, _FONT
        run.font.color.rgb = _rgb(colour)
        if align is not None:
            p.alignment = align
        p.space_after = Pt(6)
    return box


def _table(slide, x, y, w, header, rows, *, widths=None, numeric=None, size=12, bold_rows=(), muted_rows=()):
    """A native table: header row shaded, numbers right-aligned."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    n, m = len(rows) + 1, len(header)
    row_h = 0.36
    shape = slide.shapes.add_table(n, m, Inches(x), Inches(y), Inches(w), Inches(row_h * n))
    table = shape.table
    numeric = numeric or [False] * m
    widths = widths or [w / m] * m
    for j, cw in enumerate(widths):
        table.columns[j].width = Inches(cw)
    for i, cells in enumerate([header] + rows):
        for j, value in enumerate(cells):
            cell = table.cell(i, j)
            cell.text = ""
            p = cell.text_frame.paragraphs[0]
            run = p.add_run()
            run.text = str(value)
            run.font.size, run.font.name = Pt(size), _FONT
            run.font.bold = i == 0 or (i - 1) in bold_rows
            run.font.color.rgb = _rgb(_NAVY if i == 0 else (_MUTED if (i - 1) in muted_rows else "1A1A1A"))
            p.alignment = PP_ALIGN.RIGHT if numeric[j] else PP_ALIGN.LEFT
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(_HEAD if i == 0 else ("FFFFFF" if i % 2 else "F7F9FA"))
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
    return table


def _png_images(folder: Path, names: list[str], ppi: float = 220.0) -> dict:
    """The pack's charts (drawn by Typst from ``data.json``) as PNG: one compile, one page per chart."""
    import typst

    if not names:
        return {}
    src = ('#import "charts.typ": draw\n#let d = json("data.json")\n'
           "#set page(width: auto, height: auto, margin: 6pt, fill: white)\n"
           '#set text(font: ("Liberation Sans", "Arial", "Helvetica", "DejaVu Sans"))\n'
           + "\n#pagebreak()\n".join(f"#draw(d.charts.at({json.dumps(n)}))" for n in names))
    (folder / "slides-images.typ").write_text(src, encoding="utf-8")
    pages = typst.compile(str(folder / "slides-images.typ"), root=str(folder), format="png", ppi=ppi)
    pages = pages if isinstance(pages, list) else [pages]
    return dict(zip(names, pages))


def build_deck(run, content, folder: Path) -> bytes:
    """The deck's bytes for one stage's content (:func:`asdm_models.pack.stage_content`)."""
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    d = content.data
    s = d["summary"]
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_WIDTH_IN), Inches(SLIDE_HEIGHT_IN)
    blank = prs.slide_layouts[6]
    footer = d["footer"]
    slides = []

    def slide(title: str, *, size: int = 24):
        sl = prs.slides.add_slide(blank)
        if title:
            _text(sl, 0.5, 0.3, 11.2 if d["illustrative"] else 12.3, 1.0, title, size=size, bold=True, colour=_NAVY)
        if d["illustrative"]:
            _text(sl, 11.6, 0.32, 1.3, 0.4, "ILLUSTRATIVE", size=11, bold=True, colour=_WARN, align=PP_ALIGN.RIGHT)
        slides.append(sl)
        return sl

    def footers():
        for i, sl in enumerate(slides, 1):
            _text(sl, 0.5, 7.05, 11.3, 0.3, footer, size=8, colour=_MUTED)
            _text(sl, 11.8, 7.05, 1.0, 0.3, f"{i} of {len(slides)}", size=8, colour=_MUTED, align=PP_ALIGN.RIGHT)

    names = [n for o in d["options"] for n in (o["waterfall"], o["budget"])]
    images = _png_images(folder, names)

    # 1 title
    sl = slide("")
    _text(sl, 0.5, 1.7, 12.3, 1.6, d["title"], size=36, bold=True, colour=_NAVY)
    _text(sl, 0.5, 2.9, 12.3, 0.8, f"{d['stage_label']}: cabinet briefing", size=26, bold=True, colour=_ACCENT)
    _text(sl, 0.5, 3.5, 12.3, 1.2, [f"{d['council']} · {d['service']}", f"{d['date_text']} · run {d['run_id']}"],
          size=16, colour=_MUTED)
    if d["illustrative"]:
        _text(sl, 0.5, 5.0, 12.3, 0.6, "Illustrative data. " + d["illustrative_note"], size=14, bold=True, colour=_WARN)

    # 2 recommendation
    sl = slide("Recommendation: " + s["headline"])
    _text(sl, 0.6, 1.45, 12.1, 4.6, [(p,) for p in s["points"]] + ([(s["passed_over"],)] if s["passed_over"] else [])
          + [s["decision"]], size=18)

    # 3 options compared
    sl = slide(d["compare"]["heading"])
    t = s["table"]
    rows = [r["cells"] for r in t["rows"]]
    _table(sl, 0.5, 1.45, 12.3, t["header"], rows, widths=[3.7, 1.4, 1.6, 1.5, 1.4, 1.8, 0.9],
           numeric=t["numeric"], size=12, bold_rows=[i for i, r in enumerate(t["rows"]) if r.get("bold")],
           muted_rows=[i for i, r in enumerate(t["rows"]) if r.get("muted")])
    _text(sl, 0.5, 6.05, 12.3, 0.9, s["basis"], size=9, colour=_MUTED)

    # 4 one per short-listed option
    for o in d["options"]:
        sl = slide(o["heading"])
        for name, top, box_h in ((o["waterfall"], 1.35, 3.35), (o["budget"], 4.8, 2.15)):
            if name in images:
                w, h = _png_size(images[name])
                width = min(8.1, box_h * w / h)
                sl.shapes.add_picture(io.BytesIO(images[name]), Inches(0.3), Inches(top), width=Inches(width))
        key = o["key_left"] + o["key_right"]
        _table(sl, 8.6, 1.4, 4.4, ["Figure", "Value"], [[a, b] for a, b in key], widths=[3.0, 1.4],
               numeric=[False, True], size=10)
        _text(sl, 8.6, 1.55 + 0.36 * (len(key) + 1) + 0.1, 4.4, 1.3, o["gate_sentence"], size=11, bold=True,
              colour=_WARN if o["gate"] == "stop" else _NAVY)

    # 5 risks and sensitivity
    rec = content.recommended
    det = content.details.get(rec) if rec else None
    if det is not None and det["switch"]["driver"] is not None and det["switch"]["change_pct"] is not None:
        title = (f"The case for {det['name']} rests most on {_lower(det['switch']['driver'])} "
                 f"(it switches {_pct(det['switch']['change_pct'])} from its base)")
    elif det is not None:
        title = f"Risks and sensitivity: no single assumption, moved alone, reverses the case for {det['name']}"
    else:
        title = "Risks and sensitivity: what would change the answer for each short-listed option"
    sl = slide(title, size=22)
    rows = [[o["heading"].split(":")[0], o["risk"], o["switching"]] for o in d["options"]]
    _table(sl, 0.5, 1.55, 12.3, ["Option", "The risk that matters most", "The switching value that matters most"], rows,
           widths=[2.5, 4.9, 4.9], size=9 if len(rows) > 4 else 11)

    # 6 next gate
    if det is not None:
        g = det["gate"]
        failed = int((g.tests["result"] == "fail").sum())
        nxt = {"obc": "the full business case", "fbc": "transition and implementation"}.get(content.stage, "the next stage")
        sl = slide(f"Next: {det['name']} to {nxt}" + (f", subject to {failed} condition{'s' if failed != 1 else ''}"
                                                      if failed else ", every gate test met"))
        rows = [[r.description, r.threshold, _minus(r.value_text), r.result + ("" if r.required else " (optional)")]
                for r in g.tests.itertuples()]
        _table(sl, 0.5, 1.45, 12.3, ["Gate test", "Threshold", "Value", "Result"], rows, widths=[6.3, 2.2, 2.0, 1.8],
               numeric=[False, False, True, False], size=12)
        after = _next_gate_tests(run, content.stage)
        if after:
            _text(sl, 0.5, 1.75 + 0.36 * (len(rows) + 1), 12.3, 2.5,
                  [f"At the {after[0]} gate the option will be tested again:"] + [(x,) for x in after[1]], size=14)
    else:
        sl = slide("Next: keep the service as it is; no option goes forward at this stage")
        _text(sl, 0.6, 1.5, 12.1, 3.0, [(x["name"] + f" ({x['gate']}): " + x["text"],) for x in s["gate_notes"]], size=14)
    footers()

    cp = prs.core_properties
    cp.title = f"{d['title']}: {d['stage_label']}"
    cp.author = d["council"]
    cp.last_modified_by = "asdm"
    cp.subject = f"Cabinet briefing, run {d['run_id']}"
    cp.keywords = "illustrative" if d["illustrative"] else ""
    cp.revision = 1
    when = run.date.replace(tzinfo=None, microsecond=0)
    cp.created = cp.modified = when
    cp.last_printed = when
    buf = io.BytesIO()
    prs.save(buf)
    return _fixed_zip(buf.getvalue(), run.date)


def _png_size(png: bytes) -> tuple[int, int]:
    import struct

    return struct.unpack(">II", png[16:24])


def _lower(label: str) -> str:
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _pct(x: float) -> str:
    from .units import format_pct

    return format_pct(abs(x), 0)


def _minus(text: str) -> str:
    from .pack import minus

    return minus(text)


def _next_gate_tests(run, stage: str):
    if stage == "obc" and "fbc" in run.appraisal.gates:
        from .assumptions import GATE_METRICS
        from .gates import _fmt

        tests = []
        for t in run.appraisal.gates["fbc"]:
            bits = ([f"at least {_fmt(t.metric, t.min)}"] if t.min is not None else []) + \
                   ([f"at most {_fmt(t.metric, t.max)}"] if t.max is not None else [])
            tests.append(_minus(f"{t.description or GATE_METRICS[t.metric]}: {' and '.join(bits)}"
                                + ("" if t.required else " (optional)")))
        return (run.appraisal.stages["fbc"].label.lower(), tests)
    return None


def _fixed_zip(data: bytes, date) -> bytes:
    """The same zip with every entry stamped with the run's date (python-pptx stamps now), so the bytes repeat."""
    stamp = (max(1980, date.year), date.month, date.day, date.hour, date.minute, date.second - date.second % 2)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def write_slides(run, content, folder: Path) -> Path:
    """Write ``RUN_DIR/slides-<stage>.pptx`` from a stage's content; ``folder`` holds the pack's rendered charts."""
    return write_bytes_atomic(build_deck(run, content, Path(folder)), run.path / f"slides-{content.stage}.pptx")
