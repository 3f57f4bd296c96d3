"""Outbox replay: write what the outbox holds — entries of the same key in order, different keys in parallel;
each entry is deleted once written. What it wrote is told in a :class:`FlushResult`; what to do about it
beyond the archive (the sites' local indexes, a manifest per site) is the caller's (``crawler/run/uploads.py``)."""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable

from crawler.archive.storage.base import Archive, ArchiveError
from crawler.archive.delivery.breaker import CircuitBreaker
from crawler.archive.storage.keys import RUNS
from crawler.archive.delivery.outbox import Entry, Outbox
from crawler.archive.storage.store import store_article

log = logging.getLogger("arshif.uploader")


@dataclass
class FlushResult:
    """What one replay of the outbox did."""
    replayed: int = 0                                      # entries written and removed
    remaining: int = 0                                     # entries still in the outbox
    counts: dict[str, dict[str, int]] = field(default_factory=dict)    # site → outcome → n
    keys: dict[str, list[str]] = field(default_factory=dict)           # site → keys written
    stored: list[tuple[str, dict, str]] = field(default_factory=list)  # (site, record as stored, key) of articles
    error: str | None = None                               # why it stopped early, one line


class OutboxReplay:
    """One replay of ``outbox`` into ``archive`` on ``pool``'s threads, stopping a key's chain at the first
    failure; an outage trips ``breaker`` and stops every chain."""

    def __init__(self, archive: Archive, outbox: Outbox, breaker: CircuitBreaker, pool: Executor):
        self.archive = archive
        self.outbox = outbox
        self.breaker = breaker
        self.pool = pool
        self._lock = threading.Lock()

    def run(self, after: Callable[[FlushResult], None] = lambda result: None) -> FlushResult:
        """Replay the outbox, then ``after(result)`` (still holding the outbox's lock, so that no other
        replay interleaves). Never raises for an outage: what could not be written stays, in ``remaining``."""
        result = FlushResult()
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
            self.breaker.reset()                       # a new replay gives the archive a new chance
            for fut in [self.pool.submit(self._replay_chain, chain, result) for chain in chains.values()]:
                fut.result()
            after(result)
            result.remaining = len(self.outbox)
        if result.remaining:
            log.warning("outbox: %d of %d writes uploaded, %d still waiting: %s", result.replayed, total,
                        result.remaining, result.error)
        else:
            log.info("outbox: all %d writes uploaded", result.replayed)
        return result

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

    def _replay_chain(self, chain: list[Entry], result: FlushResult) -> None:
        """Entries of one key, oldest first; stops at the first that fails (order matters within a key)."""
        for entry in chain:
            if self.breaker.is_open():
                return
            try:
                outcome, keys, record = self._replay(entry)
            except ArchiveError as exc:
                self.breaker.trip(exc)
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
                        result.stored.append((site, record, entry.key))
                listed = [k for k in keys if not k.startswith(RUNS)]     # reports are not in manifests
                if listed:
                    result.keys.setdefault(site, []).extend(listed)
