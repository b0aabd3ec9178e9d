"""Error types: one base class, structured attributes, one-line messages.

Every problem with input data is a :class:`DataError` that names the file, the
field (a dotted path, with the row for lists), what was wrong and what would be
valid.  Loading collects every problem it can find before raising
:class:`DataErrors`, so a finance officer fixes a file once, not once per
mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["AsdmError", "DataError", "DataErrors", "ScenarioError", "RunError"]


class AsdmError(Exception):
    """Base class of every error asdm raises on purpose."""


@dataclass(eq=True)
class DataError(AsdmError):
    """One problem in one input file.

    Attributes
    ----------
    file : str
        Path of the file, relative to the data folder where possible.
    field : str
        Dotted path of the field, e.g. ``drivers.staff_fte`` or ``risks[2].probability``.
    message : str
        What was wrong and what would be valid.
    line : int or None
        1-based line in the file, when known.
    value : object
        The offending value, when there was one.
    """

    file: str
    field: str
    message: str
    line: int | None = None
    value: object = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        field = f" {self.field}:" if self.field else ""
        return " ".join(f"{where}:{field} {self.message}".splitlines())  # always one line

    def __hash__(self) -> int:  # dataclass(eq=True) would otherwise drop it
        return hash((self.file, self.field, self.message, self.line))


class DataErrors(AsdmError):
    """Every problem found while loading an appraisal, one per line."""

    def __init__(self, errors: Iterable[DataError]):
        seen: list[DataError] = []
        for e in errors:
            if e not in seen:
                seen.append(e)
        self.errors = seen
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} in the appraisal data"
        return head + ":\n" + "\n".join(str(e) for e in self.errors)


class ScenarioError(AsdmError):
    """A scenario or override names something the model does not have, or an invalid value."""


class RunError(AsdmError):
    """A batch run could not be started or verified (bad run folder, missing manifest...)."""


def relative_name(path: Path, root: Path | None) -> str:
    """The file name as a user would type it: relative to the data folder's parent when possible."""
    path = Path(path)
    if root is not None:
        try:
            # resolve the folder, not the file: the file may be a symbolic link loop
            return str((path.parent.resolve() / path.name).relative_to(Path(root).resolve().parent))
        except (ValueError, OSError, RuntimeError):
            pass
    return str(path)
