"""Safe YAML reading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and
forgets line numbers. An auditor reading "probability out of range" wants the
line, so the document is composed once into nodes, every path is mapped to
its line, duplicate keys are reported, and the values are built with the safe
constructor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataError

__all__ = ["read_yaml", "YamlDoc", "format_path"]


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


def _walk(node, path: tuple, lines: dict, dups: list) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in seen:
                dups.append((path + (key,), key_node.start_mark.line + 1, seen[key]))
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, dups)


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same safe constructor


def _compose_and_construct(text: str, loader_cls):
    """Compose the node tree (for line numbers) and build the data from it with the safe constructor: one parse."""
    loader = loader_cls(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return root, data


def read_yaml(path: Path, shown_name: str) -> tuple[YamlDoc | None, list[DataError]]:
    """Read one YAML file safely. Returns the document (or None) and the problems found."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [DataError(shown_name, "", "file not found")]
    except UnicodeDecodeError as e:
        return None, [DataError(shown_name, "", f"not UTF-8 text ({e.reason} at byte {e.start})")]
    except OSError as e:
        return None, [DataError(shown_name, "", f"cannot be read: {e.strerror}")]
    try:
        try:
            root, data = _compose_and_construct(text, _FAST_LOADER)
        except yaml.YAMLError:
            # libyaml's messages are terser (no tab shown): re-read with PyYAML for the message
            root, data = _compose_and_construct(text, yaml.SafeLoader)
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
    if root is not None:
        _walk(root, (), lines, dups)
    errors = [
        DataError(shown_name, format_path(p, data), f"duplicate key (also on line {first}); each key may appear once", ln)
        for p, ln, first in dups
    ]
    return YamlDoc(shown_name, data, lines), errors
