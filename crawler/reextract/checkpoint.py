"""A site's re-extraction so far, kept in the local state folder so that a rerun resumes: after each WARC file
the client records it, with the counts and the days it touched (``reextract-<site>.json``); the keys written
go to ``reextract-<site>.keys``. A rerun with the same extractor and the same dates skips the files done."""
from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path

from crawler.archive.storage.durable import write_atomic
from crawler.outcomes import RunKind
from crawler.run.report import RunReport, new_run_id

log = logging.getLogger("arshif.reextract")


class Checkpoint:
    """A site's re-extraction so far, in the local state folder: ``reextract-<site>.json`` (the run's id and
    start, the WARC files done, their counts and touched days; rewritten after each file) and
    ``reextract-<site>.keys`` (every archive key written, appended as it is written: the run's manifest)."""

    def __init__(self, path: Path, job: dict):
        self.path = path
        self.keys_path = path.with_suffix(".keys")
        self.job = job
        self.report = RunReport(new_run_id(job["site"]) + "-reextract", job["site"], "", kind=RunKind.REEXTRACT)
        self.done: set[str] = set()
        self.counts: Counter = Counter()
        self.touched: set[tuple[str, str]] = set()
        try:
            saved = json.loads(path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            saved = None
        if saved is not None and saved.get("job") == job:
            self.report.run_id, self.report.started_at = saved["run_id"], saved["started_at"]
            self.done = set(saved["done"])
            self.counts = Counter(saved["counts"])
            self.touched = {tuple(day) for day in saved["touched"]}
        else:
            if saved is not None:
                log.info("reextract %s: checkpoint of another job (extractor or dates changed): starting over",
                         job["site"])
            self.keys_path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keys = open(self.keys_path, "a", encoding="utf-8")

    def wrote(self, keys: list[str]) -> None:
        self._keys.write("".join(k + "\n" for k in keys))
        self._keys.flush()

    def file_done(self, key: str, counts: Counter, touched: set[tuple[str, str]]) -> None:
        os.fsync(self._keys.fileno())
        self.done.add(key)
        self.counts.update(counts)
        self.touched |= touched
        state = {"job": self.job, "run_id": self.report.run_id, "started_at": self.report.started_at,
                 "done": sorted(self.done), "counts": dict(self.counts), "touched": sorted(self.touched)}
        write_atomic(self.path, lambda fh: fh.write(json.dumps(state).encode("utf-8")))

    def keys_written(self) -> list[str]:
        self._keys.flush()
        return list(dict.fromkeys(self.keys_path.read_text("utf-8").splitlines()))

    def close(self) -> None:
        self._keys.close()

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self.keys_path.unlink(missing_ok=True)
