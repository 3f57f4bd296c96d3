"""What the crawl remembers about the dataset's days between runs, in the local state folder:

- ``PendingDays``: days whose compaction after a run failed (the archive did not answer), until a later run
  compacts them: the dataset catches up by itself after an outage.
- ``CurrentDays``: for each recent day compacted, when the newest article it read was stored (the archive's
  clock): the next run reads a day again only if an article was stored after that
  (``crawler.dataset.compact.lagging_days``).

One small JSON file of each per site (``dataset-pending-<site>.json``, ``dataset-current-<site>.json``),
written atomically; only that site's crawl (which holds the site's lock) writes them. Either lost or
unreadable costs work, never data: a pending day is found again as lagging, a day not known current is
compared with its Parquet file's time."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from crawler.archive.storage.durable import write_atomic


def _load(path: Path):
    """The file's JSON, None when it is missing or unreadable (forgotten rather than stop the crawl)."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _save(path: Path, data) -> None:
    """``data`` as the file's JSON, written atomically; nothing to keep removes the file."""
    if not data:
        path.unlink(missing_ok=True)
        return
    body = json.dumps(data).encode()
    write_atomic(path, lambda fh: fh.write(body))


class PendingDays:
    def __init__(self, folder: Path, site: str):
        self.path = Path(folder) / f"dataset-pending-{site}.json"

    def load(self) -> set[str]:
        try:
            return set(_load(self.path) or ())
        except TypeError:
            return set()

    def save(self, dates: set[str]) -> None:
        _save(self.path, sorted(dates))


class CurrentDays:
    def __init__(self, folder: Path, site: str):
        self.path = Path(folder) / f"dataset-current-{site}.json"

    def load(self) -> dict[str, datetime]:
        try:
            return {date: datetime.fromisoformat(at) for date, at in (_load(self.path) or {}).items()}
        except (ValueError, TypeError, AttributeError):
            return {}

    def save(self, days: dict[str, datetime]) -> None:
        _save(self.path, {date: at.isoformat() for date, at in sorted(days.items())})
