"""Two small browser-side buttons for the explorer (anywidget): copy to the clipboard, download a file.

ipywidgets has no clipboard and no download; both need a few lines of JavaScript in the page, which
anywidget runs from the widget itself (its JupyterLab extension is what Voila 0.5 loads: nothing to
build, nothing fetched from the network, no CDN):

* :class:`CopyButton` holds its text in a synced trait (kept current by the explorer after every
  update), so a click copies at once, without a round trip to the kernel;
* :class:`DownloadButton` asks the kernel for the file on click (``make()`` runs only then: a workbook
  or a print-quality PNG is not built on every slider move), receives the bytes as a binary buffer and
  saves them under its file name. An error in ``make()`` comes back as one line beside the button.

Both buttons carry the class ``asdm-button`` and ``asdm-copy`` or ``asdm-download``, plus the caller's
``button_class``, so a browser test can find them; the line beside a button has ``asdm-button-note``
(and ``asdm-error`` for a failure).

Examples
--------
>>> from asdm_models.browser_buttons import CopyButton, DownloadButton
>>> DownloadButton(lambda: b"a,b\\n1,2\\n", filename="t.csv", mimetype="text/csv").payload()
('t.csv', b'a,b\\n1,2\\n')
"""

from __future__ import annotations

from typing import Callable

import anywidget
import traitlets

from .errors import AsdmError

__all__ = ["CopyButton", "DownloadButton", "one_line_error"]

_BUTTON_CSS = """
.asdm-button { font: inherit; font-size: 13px; padding: 2px 10px; margin: 2px 6px 2px 0; cursor: pointer;
  border: 1px solid #9aa5b1; border-radius: 3px; background: #f6f8fa; color: #1f2328; }
.asdm-button:hover { background: #eaeef2; }
.asdm-button:disabled { cursor: progress; opacity: 0.7; }
.asdm-button-note { font-size: 12px; margin-left: 4px; }
.asdm-button-note.asdm-error { color: #c0392b; }
"""

# Shared by both buttons: the button and the note beside it, kept in step with the traits.
_COMMON_JS = """
function makeButton(model, el, kind) {
  const b = document.createElement("button");
  b.type = "button";
  const note = document.createElement("span");
  note.className = "asdm-button-note";
  note.setAttribute("role", "status");  // read out by screen readers when it changes
  const sync = () => {
    b.textContent = model.get("label");
    b.title = model.get("tooltip_text");
    b.className = ("asdm-button asdm-" + kind + " " + model.get("button_class")).trim();
  };
  sync();
  for (const t of ["label", "tooltip_text", "button_class"]) model.on("change:" + t, sync);
  el.append(b, note);
  const say = (text, error) => {
    note.className = "asdm-button-note" + (error ? " asdm-error" : "");
    note.textContent = text;
  };
  return { b, say };
}
"""

_COPY_ESM = _COMMON_JS + """
function copyByCommand(text) {
  // The old way, for a page the browser does not trust with the clipboard API (not https or localhost,
  // or permission refused): select a hidden textarea and run the copy command.
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed"; ta.style.top = "0"; ta.style.left = "0"; ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  ta.remove();
  return ok;
}
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall back below */ }
  }
  return copyByCommand(text);
}
function render({ model, el }) {
  const { b, say } = makeButton(model, el, "copy");
  let timer = null;
  b.addEventListener("click", async () => {
    const ok = await copyText(model.get("text"));
    clearTimeout(timer);
    if (ok) {
      say("Copied", false);
      timer = setTimeout(() => say("", false), 2000);
    } else {
      say("Not copied: the browser refused the clipboard", true);
    }
  });
}
export default { render };
"""

_DOWNLOAD_ESM = _COMMON_JS + """
function render({ model, el }) {
  const { b, say } = makeButton(model, el, "download");
  // One id per click, so only the view that asked saves the file (a widget may be shown twice).
  let waiting = null;
  b.addEventListener("click", () => {
    waiting = Math.random().toString(36).slice(2);
    say("preparing…", false);
    b.disabled = true;
    model.send({ event: "download", request: waiting });
  });
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.request !== waiting) return;
    waiting = null;
    b.disabled = false;
    if (msg.kind !== "file") { say(msg.message, true); return; }
    const url = URL.createObjectURL(new Blob([buffers[0]], { type: msg.mimetype }));
    const a = document.createElement("a");
    a.href = url; a.download = msg.filename; a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);  // after the browser has read it
    say("", false);
  });
}
export default { render };
"""

_MAX_MESSAGE = 300


def one_line_error(e: BaseException) -> str:
    """An exception as one short line for a person: the suite's own errors by their message, others with their
    type (a bug, said plainly, never a traceback)."""
    text = str(e) if isinstance(e, AsdmError) else f"{type(e).__name__}: {e}"
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 1] + "…"


class _Button(anywidget.AnyWidget):
    _css = _BUTTON_CSS
    label = traitlets.Unicode("").tag(sync=True)
    tooltip_text = traitlets.Unicode("").tag(sync=True)
    button_class = traitlets.Unicode("").tag(sync=True)  # more classes on the <button>, for styling and tests


class CopyButton(_Button):
    """A button that copies ``text`` to the clipboard and says "Copied" beside it for two seconds.

    ``navigator.clipboard.writeText`` where the page may use it (https, or the explorer on
    127.0.0.1), else a hidden textarea and ``document.execCommand("copy")``. No kernel round trip.

    Parameters
    ----------
    text : str
        What a click copies (e.g. :func:`asdm_models.take_away.table_tsv` of a table); keep it current.
    label, tooltip_text : str
        The button's text and tooltip.
    button_class : str
        Classes added to the button (it always has ``asdm-button asdm-copy``).
    """

    _esm = _COPY_ESM
    text = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Copy").tag(sync=True)
    tooltip_text = traitlets.Unicode("Copy to the clipboard as tab-separated text (pastes into Excel)").tag(sync=True)


class DownloadButton(_Button):
    """A button that downloads ``make()``'s bytes as ``filename``, built when clicked.

    Parameters
    ----------
    make : callable
        ``make() -> bytes``; called on each click. An exception is shown beside the button as one
        line (:func:`one_line_error`) and kept in ``last_error``; nothing is downloaded.
    filename, mimetype : str
        The saved file's name and media type.
    filename_of : callable, optional
        ``filename_of() -> str``, for a name that follows the settings (replaces ``filename``).
    label, tooltip_text, button_class : str
        As :class:`CopyButton` (the button has ``asdm-button asdm-download``).

    Notes
    -----
    A click sends ``{"event": "download", "request": id}`` to the kernel; the reply is
    ``{"kind": "file", "filename", "mimetype", "request"}`` with the bytes as one binary buffer
    (no base64), or ``{"kind": "error", "message", "request"}``; the page makes a Blob and clicks
    an ``<a download>`` for it.
    """

    _esm = _DOWNLOAD_ESM
    label = traitlets.Unicode("Download").tag(sync=True)
    filename = traitlets.Unicode("download.bin")
    mimetype = traitlets.Unicode("application/octet-stream")
    last_error = traitlets.Unicode("")

    def __init__(self, make: Callable[[], bytes], *, filename_of: Callable[[], str] | None = None, **kwargs):
        if not callable(make):
            raise TypeError(f"DownloadButton: make must be a function returning bytes, got {type(make).__name__}")
        super().__init__(**kwargs)
        self._make = make
        self._filename_of = filename_of
        self.on_msg(self._on_click)

    def payload(self) -> tuple[str, bytes]:
        """``(file name, bytes)`` a click would download (for tests and scripts without a browser)."""
        data = self._make()
        if not isinstance(data, (bytes, bytearray, memoryview)):  # bytes(5) would be five zero bytes
            raise TypeError(f"make() returned {type(data).__name__}, not bytes")
        name = self._filename_of() if self._filename_of is not None else self.filename
        return str(name), bytes(data)

    def _on_click(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "download":
            return
        request = content.get("request")
        try:
            name, data = self.payload()
        except Exception as e:  # shown beside the button: a failed download must say why, never a traceback
            self.last_error = "Not downloaded: " + one_line_error(e)
            self.send({"kind": "error", "message": self.last_error, "request": request})
            return
        self.last_error = ""
        self.send({"kind": "file", "filename": name, "mimetype": self.mimetype, "request": request}, [data])
