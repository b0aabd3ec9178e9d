"""The fresh-machine rule for the browser tests (issue 9, point 9), run in a throw-away pytest session.

Without Chromium the browser tests are skipped with one line that says why and how to get them; with
``ASDM_REQUIRE_BROWSER`` set (CI) a missing Chromium fails the session instead, so CI never skips them.
The session uses this suite's own ``tests/conftest.py`` with the Chromium path pointed somewhere empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from asdm_models import PROJECT_ROOT

TESTS = PROJECT_ROOT / "tests"


def _session(tmp_path: Path, require: bool) -> subprocess.CompletedProcess:
    text = (TESTS / "conftest.py").read_text(encoding="utf-8")
    assert 'CHROMIUM = "/usr/bin/chromium"' in text
    (tmp_path / "conftest.py").write_text(text.replace('CHROMIUM = "/usr/bin/chromium"',
                                                       f'CHROMIUM = "{tmp_path / "no-chromium"}"'), encoding="utf-8")
    (tmp_path / "test_app_browser.py").write_text("def test_in_a_browser():\n    pass\n", encoding="utf-8")
    (tmp_path / "test_other.py").write_text(
        "import pytest\n\n@pytest.mark.browser\ndef test_marked():\n    pass\n\ndef test_plain():\n    pass\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ASDM_REQUIRE_BROWSER"}
    if require:
        env["ASDM_REQUIRE_BROWSER"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-p", "no:randomly", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_without_chromium_the_browser_tests_are_skipped_with_one_line_saying_why(tmp_path):
    r = _session(tmp_path, require=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 2 skipped" in r.stdout
    why = [line for line in r.stdout.splitlines() if "so the browser tests were skipped" in line]
    assert len(why) == 1 and "apt-get install chromium" in why[0], r.stdout


def test_ci_never_skips_them(tmp_path):
    r = _session(tmp_path, require=True)
    assert r.returncode != 0
    assert "ASDM_REQUIRE_BROWSER is set but" in (r.stdout + r.stderr)
    assert " passed" not in r.stdout  # nothing ran


def test_no_wheel_or_other_stray_binary_is_committed():
    r = subprocess.run(["git", "ls-files", "*.whl", "*.egg", "*.tar.gz"], cwd=PROJECT_ROOT, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""
