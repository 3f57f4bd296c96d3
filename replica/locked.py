"""Reads of a thread-safe replica object (a site's state, its faults): each a copy taken under its ``_lock``,
which the server's handler threads do not change under the caller."""
from __future__ import annotations

from typing import Callable


def locked_copy(name: str, copy: Callable, doc: str | None = None) -> Callable:
    """A method returning ``copy(self.<name>)``, taken under ``self._lock``; ``doc`` its docstring."""
    def read(self):
        with self._lock:
            return copy(getattr(self, name))
    read.__doc__ = doc
    return read
