"""Waiting in tests on an event (a file, a request, a report), never on a length of time: ``timeout`` is only
the bound past which the test fails, far above what a loaded machine needs."""
from __future__ import annotations

import time


def wait_until(condition, what: str, timeout: float = 120, every: float = 0.02):
    """``condition()``'s first true value, asked every ``every`` seconds; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        time.sleep(every)
    return value
