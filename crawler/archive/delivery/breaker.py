"""The archive's circuit breaker: after an outage is seen, writes do not try the archive again for ``cooldown``
seconds (they go straight to the outbox instead of each waiting through botocore's retries). A refusal of
one write (any other :class:`ArchiveError`) is logged but does not open the breaker."""
from __future__ import annotations

import logging
import threading
import time

from crawler.archive.storage.base import ArchiveError, ArchiveUnavailable

log = logging.getLogger("arshif.uploader")

DEFAULT_COOLDOWN_S = 30.0


class CircuitBreaker:
    """Thread-safe. ``is_open()``: the archive is considered down; ``trip(exc)``: a write failed with ``exc``;
    ``reset()``: give the archive a new chance now."""

    def __init__(self, cooldown: float = DEFAULT_COOLDOWN_S):
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._down_until = 0.0

    def is_open(self) -> bool:
        with self._lock:
            return time.monotonic() < self._down_until

    def trip(self, exc: ArchiveError) -> None:
        outage = isinstance(exc, ArchiveUnavailable)
        with self._lock:
            first = time.monotonic() >= self._down_until
            if outage:
                self._down_until = time.monotonic() + self.cooldown
        if first:
            log.warning("%s; writes go to the outbox%s", exc, f" for the next {self.cooldown:g}s" if outage else "")

    def reset(self) -> None:
        with self._lock:
            self._down_until = 0.0
