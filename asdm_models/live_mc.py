"""Work off the interactive path: one background thread that always runs the latest request.

The explorer's quick Monte Carlo must not hold up a slider: the deterministic headline is
recomputed in the control's handler (tens of milliseconds), and the Monte Carlo of the new
settings is handed to a :class:`LatestOnly` runner. While it computes, further requests replace
the pending one (a slider dragged across ten positions runs at most two Monte Carlos, not ten),
and a result whose request is no longer the latest is dropped, never shown for the wrong
settings. numpy releases the GIL in its array work, so on two cores the kernel stays responsive.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

__all__ = ["LatestOnly"]


class LatestOnly:
    """Run ``fn()`` for the latest ``submit(key, fn)`` in a daemon thread; ``on_done(key, result, error)`` after.

    ``on_done`` runs in the worker thread, only when ``key`` is still the latest request. ``wait()``
    blocks until nothing is pending or running (for tests and scripts).
    """

    def __init__(self, on_done: Callable[[Any, Any, BaseException | None], None]):
        self._on_done = on_done
        self._cond = threading.Condition()
        self._pending: tuple | None = None
        self._latest = None
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, key, fn: Callable[[], Any]) -> None:
        with self._cond:
            self._pending = (key, fn)
            self._latest = key
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="asdm-quick-monte-carlo", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    @property
    def latest(self):
        return self._latest

    def is_current(self, key) -> bool:
        with self._cond:
            return key == self._latest and self._pending is None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None:
                    if not self._cond.wait(timeout=30.0):
                        if self._pending is None:  # idle: let the thread end; submit() starts another
                            self._thread = None
                            return
                key, fn = self._pending
                self._pending = None
                self._busy = True
            result, error = None, None
            try:
                result = fn()
            except BaseException as e:  # reported to on_done: the explorer says it, the thread lives on
                error = e
            try:
                if self.is_current(key):
                    self._on_done(key, result, error)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """True when nothing is pending or running within ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout=timeout)
