"""Safe YAML reading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and
forgets line numbers. An auditor reading "probability out of range" wants the
line, so the document is composed once into nodes, every path is mapped to
its line, duplicate keys are reported, and the values are built with the safe
constructor.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError

__all__ = ["read_yaml", "YamlDoc", "format_path", "MAX_INPUT_BYTES", "MAX_DEPTH", "MAX_ALIASES", "MAX_NODES",
           "MAX_INT_DIGITS"]


class YamlDoc:
    """A parsed YAML file: ``data`` plus ``line(path)`` for any path into it."""

    def __init__(self, file: str, data: Any, lines: dict[tuple, int]):
        self.file = file
        self.data = data
        self._lines = lines

    def line(self, path: tuple) -> int | None:
        """Line of ``path`` or of its nearest ancestor that exists in the file."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), None)

    def error(self, path: tuple, message: str, value: object = None) -> DataError:
        return DataError(self.file, format_path(path, self.data), message, self.line(path), value)


def format_path(path: tuple, data: Any = None) -> str:
    """``('risks', 2, 'probability')`` -> ``risks[tupe_claim].probability`` when row 2 has an id, else ``risks[#3]``."""
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            label = f"#{part + 1}"
            if isinstance(node, list) and 0 <= part < len(node) and isinstance(node[part], dict):
                ident = node[part].get("id")
                if isinstance(ident, str) and ident:
                    label = ident
            out += f"[{label}]"
        else:
            out += ("." if out else "") + str(part)
        try:
            node = node[part] if node is not None else None
        except (KeyError, IndexError, TypeError):
            node = None
    return out


#: Limits on one input file, so that a hostile or broken file gets a clear error, not a hang or an
#: exhausted memory (README "Input limits"). Real appraisal files are a few kilobytes.
MAX_INPUT_BYTES = 1 << 20          # 1 MiB per file
MAX_DEPTH = 50                     # nesting of mappings and lists
MAX_ALIASES = 100                  # uses of YAML aliases (*name) per file
MAX_NODES = 200_000                # values in the file once aliases are expanded ("billion laughs")
MAX_INT_DIGITS = 15                # a whole number in an input has at most 15 digits (below 10^15)

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Refused(Exception):
    """A file broke one of the limits above: (message, line)."""


def _check_events(text: str, loader_cls) -> None:
    """One streaming pass over the parser's events: nesting, aliases and expanded size, before anything is built.

    The expanded size counts every value as the data would hold it once aliases are followed, so an
    alias bomb (nine aliases of nine aliases of ...) is refused while it is still a few hundred bytes.
    """
    sizes: dict[str, int] = {}
    stack: list[list] = [[None, 0]]  # [anchor, expanded values so far] per open collection
    aliases = 0
    for ev in yaml.parse(text, Loader=loader_cls):
        line = ev.start_mark.line + 1 if ev.start_mark else None
        if isinstance(ev, yaml.CollectionStartEvent):
            stack.append([ev.anchor, 1])
            if len(stack) - 1 > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep; an appraisal file needs a handful", line)
            continue
        if isinstance(ev, yaml.CollectionEndEvent):
            anchor, n = stack.pop()
            if anchor is not None:
                sizes[anchor] = n
            stack[-1][1] += n
        elif isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name); write the values out instead", line)
            stack[-1][1] += sizes.get(ev.anchor, 1)
        elif isinstance(ev, yaml.ScalarEvent):
            if ev.anchor is not None:
                sizes[ev.anchor] = 1
            stack[-1][1] += 1
        else:
            continue
        if sum(n for _, n in stack) > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values once its aliases are expanded; "
                           "an appraisal file holds a few hundred", line)


def _walk(root, lines: dict, dups: list, problems: list) -> None:
    """Map every path to its line, find duplicate keys and numbers no appraisal could hold (iterative: no recursion)."""
    todo = [(root, ())]
    while todo:
        node, path = todo.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                if key in seen:
                    dups.append((path + (key,), key_node.start_mark.line + 1, seen[key]))
                seen[key] = key_node.start_mark.line + 1
                todo.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, path + (i,)) for i, item in enumerate(node.value))
        elif node.tag == _INT_TAG:
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > MAX_INT_DIGITS:
                problems.append((path, node.start_mark.line + 1,
                                 f"a whole number of {digits} digits is too large (at most {MAX_INT_DIGITS} digits)"))
        elif node.tag == _FLOAT_TAG:
            try:
                big = abs(float(node.value.replace("_", ""))) >= 1e15
            except ValueError:
                big = False  # .inf and .nan: the field's own check says what is valid
            if big and "inf" not in node.value.lower():
                problems.append((path, node.start_mark.line + 1,
                                 f"{_short(node.value)} is too large (at most {MAX_INT_DIGITS} digits before the point)"))


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[:n] + f"... ({len(text)} characters)"


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same safe constructor


def _compose(text: str, loader_cls):
    loader = loader_cls(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _construct(root, loader_cls):
    """Build the data from an already composed node tree with the safe constructor."""
    loader = loader_cls("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _read_text(path: Path, shown_name: str) -> tuple[str | None, DataError | None]:
    """The file's text, or why it cannot be an input: missing, a symlink loop, not a regular file, too big, not UTF-8."""
    try:
        st = os.stat(path)  # follows symlinks; a loop is ELOOP
    except FileNotFoundError:
        return None, DataError(shown_name, "", "file not found" + (" (a symbolic link to nothing)" if os.path.islink(path) else ""))
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None, DataError(shown_name, "", "symbolic link loop: the link points (through others) back to itself; "
                                                   "replace it with the file it should name")
        return None, DataError(shown_name, "", f"cannot be read: {e.strerror}")
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        return None, DataError(shown_name, "", f"is {kind}; an input must be an ordinary YAML file")
    if st.st_size > MAX_INPUT_BYTES:
        return None, DataError(shown_name, "", f"is {st.st_size / 2**20:.1f} MiB; input files are limited to "
                                               f"{MAX_INPUT_BYTES // 2**20} MiB (an appraisal file is a few kilobytes)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)  # the file may have grown since stat
    except OSError as e:
        return None, DataError(shown_name, "", f"cannot be read: {e.strerror}")
    if len(raw) > MAX_INPUT_BYTES:
        return None, DataError(shown_name, "", f"is larger than {MAX_INPUT_BYTES // 2**20} MiB, the limit for an input file")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return None, DataError(shown_name, "", f"not UTF-8 text ({e.reason} at byte {e.start})")


def read_yaml(path: Path, shown_name: str) -> tuple[YamlDoc | None, list[DataError]]:
    """Read one YAML file safely. Returns the document (or None) and the problems found.

    Refused with one clear problem, before anything is built: a file that is not a regular file
    (a pipe, a folder, a symbolic link loop), larger than ``MAX_INPUT_BYTES``, nested deeper than
    ``MAX_DEPTH``, with more than ``MAX_ALIASES`` aliases or ``MAX_NODES`` values once they are
    expanded, or with a number too large for any appraisal.
    """
    text, err = _read_text(Path(path), shown_name)
    if err is not None:
        return None, [err]
    try:
        try:
            _check_events(text, _FAST_LOADER)
            root = _compose(text, _FAST_LOADER)
        except yaml.YAMLError:
            # libyaml's messages are terser (no tab shown): re-read with PyYAML for the message
            _check_events(text, yaml.SafeLoader)
            root = _compose(text, yaml.SafeLoader)
    except _Refused as e:
        message, line = e.args
        return None, [DataError(shown_name, "", f"refused: {message}", line)]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        what = " ".join(what.split())  # one line, whatever PyYAML put in it
        return None, [DataError(shown_name, "", f"YAML syntax error: {what}; check the indentation (spaces, not tabs), "
                                                "quotes and brackets on this line or the one before", line)]
    except yaml.YAMLError as e:  # pragma: no cover - every PyYAML parse error is marked
        return None, [DataError(shown_name, "", f"YAML syntax error: {e}")]
    lines: dict[tuple, int] = {}
    dups: list = []
    problems: list = []
    if root is not None:
        _walk(root, lines, dups, problems)
    if problems:
        return None, [DataError(shown_name, format_path(p), msg, ln) for p, ln, msg in problems]
    try:
        data = _construct(root, _FAST_LOADER) if root is not None else None
    except (yaml.YAMLError, ValueError) as e:  # e.g. a timestamp no calendar has
        mark = getattr(e, "problem_mark", None)
        return None, [DataError(shown_name, "", f"cannot be read as data: {' '.join(str(e).split())[:200]}",
                                mark.line + 1 if mark else None)]
    errors = [
        DataError(shown_name, format_path(p, data), f"duplicate key (also on line {first}); each key may appear once", ln)
        for p, ln, first in dups
    ]
    return YamlDoc(shown_name, data, lines), errors
