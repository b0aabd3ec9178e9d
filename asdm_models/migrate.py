"""``asdm migrate DATA_DIR``: rewrite an appraisal folder written for an earlier version of the data format.

What it changes (each listed, file by file, so the change can be reviewed in git):

* drivers renamed so that names say what their values are (:data:`asdm_models.catalogue.RENAMED`):
  ``staff_efficiency_pct`` -> ``staff_efficiency_rate`` and the other ``_pct`` names, which always held
  fractions. Values are unchanged.

The files are edited as text (comments and layout kept); nothing else is touched. Run ``asdm validate``
afterwards: what is left to do by hand (a new entity's capital item needs its capital-allowance
category, for example) is reported there with the exact field.
"""

from __future__ import annotations

import re
from pathlib import Path

from .catalogue import RENAMED

__all__ = ["migrate_folder", "migrate_text"]

_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, RENAMED)) + r")\b")


def migrate_text(text: str) -> tuple[str, list[str]]:
    """The text with renamed drivers rewritten, and the renames made (``old -> new``, in order).

    >>> from asdm_models.migrate import migrate_text
    >>> migrate_text("  staff_efficiency_pct: 8%  # was staff_efficiency_pct\\n")
    ('  staff_efficiency_rate: 8%  # was staff_efficiency_rate\\n', ['staff_efficiency_pct -> staff_efficiency_rate', 'staff_efficiency_pct -> staff_efficiency_rate'])
    """
    done: list[str] = []

    def sub(m: re.Match) -> str:
        done.append(f"{m.group(1)} -> {RENAMED[m.group(1)]}")
        return RENAMED[m.group(1)]

    return _PATTERN.sub(sub, text), done


def migrate_folder(path: str | Path, *, dry_run: bool = False) -> dict[str, list[str]]:
    """Rewrite every YAML file of an appraisal folder in place; returns ``{file: [changes]}`` for files changed."""
    root = Path(path)
    changed: dict[str, list[str]] = {}
    for fp in sorted(list(root.glob("*.yaml")) + list(root.glob("*/*.yaml")) + list(root.glob("*/*.yml"))):
        text = fp.read_text(encoding="utf-8")
        new, done = migrate_text(text)
        if done:
            changed[str(fp.relative_to(root))] = done
            if not dry_run:
                fp.write_text(new, encoding="utf-8")
    return changed
