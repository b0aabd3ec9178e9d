"""Writing outputs safely: never half-written, ordinary permissions, spreadsheet-safe text.

Every file the suite writes goes through :func:`write_bytes_atomic` (or its text and CSV
forms): written under a temporary name in the same folder, then renamed, so a reader never
sees half a file. ``tempfile.mkstemp`` creates files with mode 0600 whatever the umask; the
file is given the mode an ordinary ``open(path, "w")`` would (0666 less the umask) before it
is renamed, so colleagues on a shared drive can read the reports.

Text that a spreadsheet would run as a formula (a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is neutralised with a leading apostrophe, as OWASP's
"CSV injection" guidance recommends, in every CSV and workbook the suite writes. Numbers
are never touched: ``-1097367.0`` stays a number.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["write_bytes_atomic", "write_text_atomic", "write_csv_atomic", "ordinary_mode", "spreadsheet_safe",
           "spreadsheet_safe_frame", "FORMULA_PREFIXES", "json_safe", "original_text",
           "read_csv_written"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def ordinary_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: 0o666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes_atomic(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` so that a reader never sees it half-written; returns ``path``.

    The temporary file is in the same folder (so the rename is atomic) and is removed if
    anything fails, including KeyboardInterrupt. The result has ordinary permissions.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, ordinary_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(text: str, path: Path) -> Path:
    """UTF-8 text, newlines as given, written with :func:`write_bytes_atomic`."""
    return write_bytes_atomic(text.encode("utf-8"), path)


def spreadsheet_safe(value):
    """A cell value a spreadsheet will show as text, never run: ``"=1+1"`` -> ``"'=1+1"``.

    Only strings are changed, and only when they start with a formula character.

    Examples
    --------
    >>> from asdm_models.outputs import spreadsheet_safe
    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")"), spreadsheet_safe("Trading company"), spreadsheet_safe(-5.0)
    ('\\'=HYPERLINK("http://x")', 'Trading company', -5.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def original_text(value):
    """The inverse of :func:`spreadsheet_safe`: ``"'=1+1"`` -> ``"=1+1"`` (for reading the suite's own CSVs back).

    >>> from asdm_models.outputs import original_text, spreadsheet_safe
    >>> original_text(spreadsheet_safe("=1+1")), original_text("'quoted"), original_text(2.0)
    ('=1+1', "'quoted", 2.0)
    """
    if isinstance(value, str) and value.startswith("'") and value[1:2] != "" and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def read_csv_written(path) -> pd.DataFrame:
    """A CSV the suite wrote (``summary.csv``), with its text cells as they were before neutralising.

    For pages and documents that show the text (a PDF, an HTML page): only a spreadsheet needs the apostrophe.
    """
    df = pd.read_csv(path, keep_default_na=True)
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].map(original_text)
    return df


def spreadsheet_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and column name) passed through :func:`spreadsheet_safe`."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(spreadsheet_safe)
    out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out


def json_safe(x):
    """``x`` with every NaN or infinity (at any depth of dicts and lists) as None: JSON has neither."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_safe(v) for v in x]
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def write_csv_atomic(df: pd.DataFrame, path: Path) -> Path:
    """CSV with full precision (repr of floats), text cells spreadsheet-safe, written atomically."""
    return write_text_atomic(spreadsheet_safe_frame(df).to_csv(index=False, float_format=None), path)
