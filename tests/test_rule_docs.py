"""Every rule function of the engine documents its formula, its source and a worked example.

A rule's numpydoc docstring must have a **Notes** section (the formula as the code computes it, symbols
and units defined), a **References** section (the Green Book paragraph, statute or other guidance it
follows) and an **Examples** section that runs as a doctest with its own imports. The headings are numpydoc
ones: the word on its own line, underlined with dashes.

The rule modules are listed here; a public function is one in the module's ``__all__`` or any function
defined in the module whose name does not start with ``_``. Classes (``indexation.IndexSpec``) are not
rules and are not checked.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest

RULE_MODULES = ("adjustments", "capital", "contract", "custom_lines", "entity", "income", "indexation",
                "local_taxes", "overheads", "running_costs", "staffing", "tax", "discounting")

SECTIONS = ("Notes", "References", "Examples")

# Public functions that are not rules (small helpers) and so need not have the three sections, each with the
# reason. Empty: every public function of the rule modules is documented as a rule. Add an entry only for a
# genuine helper, never to silence a missing section on a rule.
EXEMPT: dict[str, str] = {}


def _module(name: str):
    return importlib.import_module(f"asdm_models.{name}")


def _public_functions(name: str) -> dict[str, object]:
    """``{"module.function": function}``: the routines in ``__all__`` and the public functions defined here."""
    mod = _module(name)
    found = {}
    for attr in getattr(mod, "__all__", ()):
        obj = getattr(mod, attr)
        if callable(obj) and not inspect.isclass(obj):
            found[f"{name}.{attr}"] = obj
    for attr, obj in vars(mod).items():
        if inspect.isfunction(obj) and obj.__module__ == mod.__name__ and not attr.startswith("_"):
            found[f"{name}.{attr}"] = obj
    return found


def _all_functions() -> dict[str, object]:
    out = {}
    for name in RULE_MODULES:
        out.update(_public_functions(name))
    return out


FUNCTIONS = _all_functions()


def _sections(doc: str | None) -> dict[str, str]:
    """numpydoc sections of a docstring: ``{heading: body}`` for every ``Word`` line underlined with dashes."""
    text = inspect.cleandoc(doc or "")
    heading = re.compile(r"^([A-Z][A-Za-z ]*)\n(-+)[ \t]*$", re.M)
    found = [(m.group(1), m.start(), m.end()) for m in heading.finditer(text)
             if len(m.group(2)) == len(m.group(1))]
    out = {}
    for i, (word, _, end) in enumerate(found):
        stop = found[i + 1][1] if i + 1 < len(found) else len(text)
        out[word] = text[end:stop].strip()
    return out


def _missing(doc: str | None) -> list[str]:
    """The required sections a docstring lacks or leaves empty (Examples must hold a doctest)."""
    sections = _sections(doc)
    missing = [s for s in SECTIONS if not sections.get(s)]
    if "Examples" in sections and ">>>" not in sections["Examples"] and "Examples" not in missing:
        missing.append("Examples")
    return missing


@pytest.mark.parametrize("name", RULE_MODULES)
def test_rule_module_exists(name):
    mod = _module(name)
    assert _public_functions(name), f"asdm_models.{name} has no public functions"
    for attr in getattr(mod, "__all__", ()):
        assert hasattr(mod, attr), f"asdm_models.{name}.__all__ names {attr!r}, which the module does not define"


def test_exemptions_are_current_and_explained():
    for key, reason in EXEMPT.items():
        assert key in FUNCTIONS, f"exempted {key} is not a public function of a rule module (remove it)"
        assert reason.strip(), f"exempted {key} needs a reason"


@pytest.mark.parametrize("key", sorted(k for k in FUNCTIONS if k not in EXEMPT))
def test_rule_docstring_has_notes_references_examples(key):
    missing = _missing(FUNCTIONS[key].__doc__)
    assert not missing, f"{key}: docstring lacks numpydoc section(s) {', '.join(missing)}"


@pytest.mark.parametrize("key", sorted(k for k in FUNCTIONS if k not in EXEMPT))
def test_rule_examples_run_with_their_own_imports(key):
    """The Examples run on their own: no names from the module or the doctest namespace the conftest adds."""
    func = FUNCTIONS[key]
    tests = doctest.DocTestFinder(recurse=False).find(func, key, globs={})
    assert tests and any(t.examples for t in tests), f"{key}: no doctest examples"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    report: list[str] = []
    failed = attempted = 0
    for t in tests:
        result = runner.run(t, out=report.append)
        failed, attempted = failed + result.failed, attempted + result.attempted
    assert failed == 0, (f"{key}: {failed} of {attempted} examples fail when run on their own (does the "
                         f"Examples section import what it uses?)\n" + "".join(report))


_SAMPLE = '''A rule.

    Parameters
    ----------
    x : float

    Notes
    -----
    ``y = 2 * x``.

    References
    ----------
    HM Treasury, *The Green Book* (2022).

    Examples
    --------
    >>> 2 * 1
    2
    '''


def test_checker_sees_every_section_in_a_complete_docstring():
    assert _missing(_SAMPLE) == []


@pytest.mark.parametrize("section", SECTIONS)
def test_checker_fails_when_a_section_is_removed(section):
    """Removing a section, or its underline, or emptying it, is caught."""
    lines = _SAMPLE.split("\n")
    i = next(n for n, line in enumerate(lines) if line.strip() == section)
    j = next((n for n in range(i + 2, len(lines)) if lines[n].strip() in SECTIONS), len(lines))
    removed = "\n".join(lines[:i] + lines[j:])
    assert section in _missing(removed)
    no_underline = "\n".join(lines[:i + 1] + lines[i + 2:])
    assert section in _missing(no_underline)
    emptied = "\n".join(lines[:i + 2] + [""] + lines[j:])
    assert section in _missing(emptied)


def test_checker_wants_a_doctest_in_examples():
    assert "Examples" in _missing(_SAMPLE.replace(">>> 2 * 1\n    2", "Double it."))
