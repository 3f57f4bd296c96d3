"""Days whose compaction after a run failed (the archive did not answer), kept in the local state folder
until a later run compacts them: the dataset catches up by itself after an outage.

One small JSON file per site (``dataset-pending-<site>.json``, a sorted list of dates), written atomically;
only that site's crawl (which holds the site's lock) writes it."""
from __future__ import annotations

import json
from pathlib import Path

from crawler.archive.durable import write_atomic


class PendingDays:
    def __init__(self, folder: Path, site: str):
        self.path = Path(folder) / f"dataset-pending-{site}.json"

    def load(self) -> set[str]:
        try:
            return set(json.loads(self.path.read_text("utf-8")))
        except FileNotFoundError:
            return set()
        except ValueError:                 # unreadable: forget it rather than stop the crawl
            return set()

    def save(self, dates: set[str]) -> None:
        if not dates:
            self.path.unlink(missing_ok=True)
            return
        data = json.dumps(sorted(dates)).encode()
        write_atomic(self.path, lambda fh: fh.write(data))
