"""Progress bars for the commands that run long (``reextract``, ``compact``, ``stories --rebuild``): a tqdm bar
on stderr when it is a terminal; none in a log file, a pipe or a service's journal (each command still prints
its summary lines)."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(desc: str, unit: str, total: int | None = None):
    """A tqdm bar (``update(n)``, ``close()``, ``total`` settable); a silent one unless stderr is a terminal."""
    return tqdm(desc=desc, unit=unit, total=total, file=sys.stderr, leave=True, dynamic_ncols=True,
                disable=not sys.stderr.isatty())


def follow(bar):
    """A ``progress(done, total)`` callback that moves ``bar`` to ``done`` of ``total``."""
    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return progress
