"""The background runner of the explorer's quick Monte Carlo (asdm_models.live_mc.LatestOnly)."""

from __future__ import annotations

import threading
import time

from asdm_models.live_mc import LatestOnly


def test_only_the_latest_request_is_reported_and_superseded_ones_are_skipped():
    done, started = [], []
    gate = threading.Event()

    def job(k):
        def run():
            started.append(k)
            if k == 0:
                gate.wait(5)  # the first job is still running while three more arrive
            return k * 10
        return run

    r = LatestOnly(lambda key, result, error: done.append((key, result, error)))
    r.submit(0, job(0))
    time.sleep(0.1)
    for k in (1, 2, 3):
        r.submit(k, job(k))
    gate.set()
    assert r.wait(10)
    assert done == [(3, 30, None)]  # 0 finished after newer requests came: not shown; 1 and 2 never ran
    assert started == [0, 3]


def test_an_error_is_reported_not_raised_and_the_runner_keeps_working():
    done = []
    r = LatestOnly(lambda key, result, error: done.append((key, result, type(error).__name__ if error else None)))
    r.submit("a", lambda: 1 / 0)
    assert r.wait(5)
    r.submit("b", lambda: "ok")
    assert r.wait(5)
    assert done == [("a", None, "ZeroDivisionError"), ("b", "ok", None)]


def test_wait_returns_false_while_a_job_is_still_running():
    gate = threading.Event()
    r = LatestOnly(lambda *a: None)
    r.submit(1, lambda: gate.wait(5))
    assert r.wait(0.2) is False
    gate.set()
    assert r.wait(5) is True
