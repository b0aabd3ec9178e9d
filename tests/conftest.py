"""Tests that need Debian's Chromium (the explorer in a browser, static chart export, the ``browser`` marker).

On a machine without Chromium, where ``make test`` could not install it (no root, no
passwordless sudo), these tests are skipped with one line saying why and how to get them.
CI sets ``ASDM_REQUIRE_BROWSER=1``: there a missing Chromium fails the run instead, so CI never
skips them.

Also the one shared fixture of the Dask tests: ``dask_executor``, a real two-worker ``LocalCluster`` per test module.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
BROWSER_MODULES = ("test_app_browser.py", "test_figures.py")
WHY = (f"Debian's Chromium is not installed ({CHROMIUM}), so the browser tests were skipped: "
       "install it with `sudo apt-get install chromium` (or run `make test` as root), then run `make test` again")


def _have_chromium() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs Debian's Chromium (skipped, saying why, where it is missing)")


def pytest_collection_modifyitems(config, items):
    if _have_chromium():
        return
    if os.environ.get("ASDM_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"ASDM_REQUIRE_BROWSER is set but {CHROMIUM} is missing: CI must run the browser tests")
    skip = pytest.mark.skip(reason=WHY)
    for item in items:
        if item.path.name in BROWSER_MODULES or item.get_closest_marker("browser"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _have_chromium() and not os.environ.get("ASDM_REQUIRE_BROWSER"):
        terminalreporter.write_line(WHY, yellow=True)


@pytest.fixture(scope="module")
def dask_executor():
    """A two-worker LocalCluster, started by the executor the way ``--executor dask --jobs 2`` starts it."""
    from asdm_models.executors import make_executor

    ex = make_executor("dask", jobs=2)
    ex.start()
    yield ex
    ex.shutdown()
