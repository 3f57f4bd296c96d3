"""Archive writes off the crawl's reactor, and never lost: a bounded pool of workers carries out article plans
and stores files (WARC, run reports); a write the archive cannot take goes to the durable outbox instead.

* Retries and backoff are botocore's (``archive.s3.retry_mode``/``max_attempts``). When they are exhausted
  (:class:`ArchiveUnavailable`), or the archive refuses the write (any :class:`ArchiveError`), the write is
  put in the outbox and its future resolves as pending: ``("pending", [])`` for an article, ``None`` for a
  file or bytes. Callers count those as pending in the run report.
* After an outage is seen, the archive is not tried again for ``cooldown`` seconds: writes go straight to
  the outbox instead of each waiting through botocore's retries (a circuit breaker, not a retry loop).
* ``flush_outbox()`` replays the outbox (first thing in a run, or ``arshif flush``): entries of the same key
  in order, different keys in parallel; each entry is deleted once written. For every site it wrote
  something for, it stores a run report of its own under ``runs/`` (``run_id`` ending in ``-flush``) whose
  ``keys_written`` is the manifest of what it uploaded, and records the articles in the site's local index.

Used by jobs/crawl.py (``for_settings``, ``flush_outbox``, ``close``), crawler/run.py (``submit_file``),
the archive pipeline (``submit_article``) and the run-report extension (``submit_bytes``).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .base import Archive, ArchiveError, ArchiveUnavailable
from .outbox import Entry, Outbox
from .store import Planned, store_article

log = logging.getLogger("arshif.uploader")

JSON = "application/json; charset=utf-8"
DEFAULT_COOLDOWN_S = 30.0


@dataclass
class FlushResult:
    """What one ``flush_outbox`` did."""
    replayed: int = 0                                      # entries written and removed
    remaining: int = 0                                     # entries still in the outbox
    counts: dict[str, dict[str, int]] = field(default_factory=dict)    # site → outcome → n
    keys: dict[str, list[str]] = field(default_factory=dict)           # site → keys written
    error: str | None = None                               # why it stopped early, one line


class Uploader:
    def __init__(self, archive: Archive, workers: int = 4, *, outbox: Outbox | None = None,
                 state_dir: Path | None = None, cooldown: float = DEFAULT_COOLDOWN_S):
        self.archive = archive
        self.outbox = outbox
        self.state_dir = Path(state_dir) if state_dir else None   # the archive's local folder (indexes)
        self.cooldown = cooldown
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-upload")
        self._lock = threading.Lock()
        self._down_until = 0.0

    @classmethod
    def for_settings(cls, archive: Archive, settings) -> "Uploader":
        from ..state import archive_state_dir

        folder = archive_state_dir(settings.archive.state_dir, archive.url)
        return cls(archive, workers=settings.archive.s3.upload_workers, outbox=Outbox(folder / "outbox"),
                   state_dir=folder)

    # ------------------------------------------------------------------------------------------ breaker

    def _archive_down(self) -> bool:
        with self._lock:
            return time.monotonic() < self._down_until

    def _trip(self, exc: ArchiveError) -> None:
        with self._lock:
            first = time.monotonic() >= self._down_until
            if isinstance(exc, ArchiveUnavailable):
                self._down_until = time.monotonic() + self.cooldown
        if first:
            log.warning("%s; writes go to the outbox%s", exc,
                        f" for the next {self.cooldown:g}s" if isinstance(exc, ArchiveUnavailable) else "")

    def _guarded(self, write, to_outbox, pending_value):
        """Run ``write()``; when the archive cannot take it, ``to_outbox()`` and return ``pending_value``."""
        if self.outbox is None:
            return write()
        if not self._archive_down():
            try:
                return write()
            except ArchiveError as exc:
                self._trip(exc)
        to_outbox()
        return pending_value

    # ------------------------------------------------------------------------------------------ writes

    def submit_article(self, plan: Planned) -> Future:
        """Future of ``(outcome, keys_written, record_as_stored)``; outcome is "new", "updated", "unchanged" or
        "pending"; the record is None when nothing was written."""
        return self._pool.submit(self._guarded, lambda: store_article(self.archive, plan),
                                 lambda: self.outbox.add_article(plan), ("pending", [], None))

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

    # ------------------------------------------------------------------------------------------ replay

    def _replay(self, entry: Entry) -> tuple[str, list[str], dict | None]:
        if entry.kind == "article":
            return store_article(self.archive, entry.plan())
        body = entry.body
        args = dict(content_type=body["content_type"], content_encoding=body.get("content_encoding"),
                    metadata=body.get("metadata") or None)
        if entry.kind == "file":
            self.archive.put_file(entry.key, entry.data_path, **args)
        else:
            self.archive.put(entry.key, entry.data(), **args)
        return "stored", [entry.key], None

    def _replay_chain(self, chain: list[Entry], result: FlushResult, stored: list) -> None:
        """Entries of one key, oldest first; stops at the first that fails (order matters within a key)."""
        for entry in chain:
            if self._archive_down():
                return
            try:
                outcome, keys, record = self._replay(entry)
            except ArchiveError as exc:
                self._trip(exc)
                with self._lock:
                    result.error = result.error or str(exc)
                return
            except Exception as exc:           # a damaged entry: leave it for a human, go on with the others
                log.error("outbox entry %s not replayed: %r", entry.path.name, exc)
                with self._lock:
                    result.error = result.error or f"outbox entry {entry.path.name}: {exc!r}"
                return
            self.outbox.remove(entry)
            site = entry.site or "unknown"
            with self._lock:
                result.replayed += 1
                if entry.kind == "article":
                    by_site = result.counts.setdefault(site, {})
                    by_site[outcome] = by_site.get(outcome, 0) + 1
                    if record is not None:
                        stored.append((site, record, entry.key))
                listed = [k for k in keys if not k.startswith("runs/")]     # reports are not in manifests
                if listed:
                    result.keys.setdefault(site, []).extend(listed)

    def flush_outbox(self) -> FlushResult:
        """Write what the outbox holds (see the module's docstring). Never raises for an outage: what could not
        be written stays in the outbox, counted in ``remaining``."""
        result = FlushResult()
        if self.outbox is None:
            return result
        with self.outbox.lock() as held:
            if not held:
                log.info("outbox: another process is flushing it")
                result.remaining = len(self.outbox)
                return result
            chains: dict[str, list[Entry]] = defaultdict(list)
            for entry in self.outbox.entries():
                chains[entry.key].append(entry)
            if not chains:
                return result
            total = sum(len(c) for c in chains.values())
            log.info("outbox: %d writes waiting, uploading them first", total)
            with self._lock:                   # a new run gives the archive a new chance
                self._down_until = 0.0
            stored: list = []
            futures = [self._pool.submit(self._replay_chain, chain, result, stored) for chain in chains.values()]
            for fut in futures:
                fut.result()
            self._record_in_indexes(stored)
            self._store_flush_reports(result)
            result.remaining = len(self.outbox)
        if result.remaining:
            log.warning("outbox: %d of %d writes uploaded, %d still waiting: %s", result.replayed, total,
                        result.remaining, result.error)
        else:
            log.info("outbox: all %d writes uploaded", result.replayed)
        return result

    def _record_in_indexes(self, stored: list) -> None:
        """Tell the sites' local indexes about the articles written, so the run that follows plans against
        them (an index that does not exist yet is rebuilt from the archive anyway)."""
        if not self.state_dir or not stored:
            return
        from ..state import ArticleIndex

        by_site = defaultdict(list)
        for site, record, key in stored:
            by_site[site].append((record, key))
        for site, items in by_site.items():
            if not ArticleIndex.path(self.state_dir, site).exists():
                continue
            index = ArticleIndex.at(self.state_dir, site)
            try:
                if index.is_built():
                    for record, key in items:
                        index.record(record, key)
            finally:
                index.close()

    def _store_flush_reports(self, result: FlushResult) -> None:
        from ..report import RunReport, new_run_id

        for site in sorted(set(result.counts) | set(result.keys)):
            if site == "unknown":
                continue
            report = RunReport(new_run_id(site) + "-flush", site, self.archive.url, kind="flush")
            for outcome, n in result.counts.get(site, {}).items():
                report.count(outcome, n)
            report.keys_written = list(result.keys.get(site, []))
            report.finish("ok")
            self.submit_bytes(report.key, report.to_json(), content_type=JSON,
                              metadata={"site": site, "run-id": report.run_id}).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
