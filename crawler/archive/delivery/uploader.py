"""Archive writes off the crawl's reactor, and never lost: a bounded pool of workers carries out article plans
and stores files (WARC, run reports); a write the archive cannot take goes to the durable outbox instead.

* Retries and backoff are botocore's (``archive.s3.retry_mode``/``max_attempts``). When they are exhausted
  (:class:`ArchiveUnavailable`), or the archive refuses the write (any :class:`ArchiveError`), the write is
  put in the outbox and its future resolves as pending: ``(PageOutcome.PENDING, [], None)`` for an article, ``None``
  for a file or bytes. Callers count those as pending in the run report.
* After an outage is seen, the archive is not tried again for a while (``breaker.py``).
* ``flush_outbox()`` replays the outbox (``replay.py``; first thing in a run, or ``arshif flush``), then calls
  each of ``after_flush`` with the result and the uploader: the crawl's (``crawler/run/uploads.py``) tell the
  sites' indexes and store a manifest per site.

Used by crawler/run/uploads.py (``open_uploader``), crawler/run/session.py and jobs/flush.py (``flush_outbox``, ``close``),
crawler/run/site_run.py (``submit_file``), the archive pipeline (``submit_article``) and the run-report extension
(``submit_bytes``).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from crawler.outcomes import PageOutcome
from crawler.archive.storage.base import Archive, ArchiveError
from crawler.archive.delivery.breaker import DEFAULT_COOLDOWN_S, CircuitBreaker
from crawler.archive.delivery.outbox import Outbox
from crawler.archive.delivery.replay import FlushResult, OutboxReplay
from crawler.archive.storage.store import Planned, store_article, store_removal

__all__ = ["FlushResult", "Uploader"]


class Uploader:
    def __init__(self, archive: Archive, workers: int = 4, *, outbox: Outbox | None = None,
                 cooldown: float = DEFAULT_COOLDOWN_S,
                 after_flush: Iterable[Callable[[FlushResult, "Uploader"], None]] = ()):
        self.archive = archive
        self.outbox = outbox
        self.breaker = CircuitBreaker(cooldown)
        self.after_flush = tuple(after_flush)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-upload")

    def _guarded(self, write, to_outbox, pending_value):
        """Run ``write()``; when the archive cannot take it, ``to_outbox()`` and return ``pending_value``."""
        if self.outbox is None:
            return write()
        if not self.breaker.is_open():
            try:
                return write()
            except ArchiveError as exc:
                self.breaker.trip(exc)
        to_outbox()
        return pending_value

    # ------------------------------------------------------------------------------------------ writes

    def submit_article(self, plan: Planned) -> Future:
        """Future of ``(outcome, keys_written, record_as_stored)``; outcome is a ``PageOutcome``: NEW, UPDATED,
        UNCHANGED or PENDING; the record is None when nothing was written."""
        return self._pool.submit(self._guarded, lambda: store_article(self.archive, plan),
                                 lambda: self.outbox.add_article(plan), (PageOutcome.PENDING, [], None))

    def submit_file(self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
                    metadata: dict[str, str] | None = None, remove: bool = True) -> Future:
        """Future of the key written, or None when the file waits in the outbox (moved there). The local file
        is removed after the upload when ``remove``."""
        def upload() -> str:
            self.archive.put_file(key, path, content_type=content_type, content_encoding=content_encoding,
                                  metadata=metadata)
            if remove:
                Path(path).unlink(missing_ok=True)
            return key

        def park() -> None:
            if remove:
                self.outbox.add_file(key, Path(path), content_type=content_type, content_encoding=content_encoding,
                                     metadata=metadata)
            else:
                self.outbox.add_bytes(key, Path(path).read_bytes(), content_type=content_type,
                                      content_encoding=content_encoding, metadata=metadata)

        return self._pool.submit(self._guarded, upload, park, None)

    def submit_bytes(self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None,
                     metadata: dict[str, str] | None = None) -> Future:
        """Future of the key written, or None when the object waits in the outbox."""
        def upload() -> str:
            self.archive.put(key, data, content_type=content_type, content_encoding=content_encoding,
                             metadata=metadata)
            return key

        return self._pool.submit(self._guarded, upload, lambda: self.outbox.add_bytes(
            key, data, content_type=content_type, content_encoding=content_encoding, metadata=metadata), None)

    def submit_removal(self, key: str, removed_at: str, how: str) -> Future:
        """Future of whether the archived record at ``key`` is now marked removed (``store_removal``). Never
        parked in the outbox: a removal the archive could not take is confirmed again by the next run."""
        return self._pool.submit(store_removal, self.archive, key, removed_at, how)

    # ------------------------------------------------------------------------------------------ replay

    def flush_outbox(self) -> FlushResult:
        """Write what the outbox holds (``replay.py``), then the ``after_flush`` hooks."""
        if self.outbox is None:
            return FlushResult()
        replay = OutboxReplay(self.archive, self.outbox, self.breaker, self._pool)
        return replay.run(after=lambda result: [hook(result, self) for hook in self.after_flush])

    def close(self) -> None:
        self._pool.shutdown(wait=True)
