"""One site's re-extraction: its WARC files read in order (``warc_read``), captures handed in batches to the
workers (``workers``), results stored in capture order here, each through ``crawler.archive.storage.store.ingest`` (the
crawl's own path: checked, planned against the archived record, ``version`` decided there), progress kept in
the ``checkpoint``."""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Callable

from crawler.archive.storage.base import Archive, ArchiveUnavailable
from crawler.archive.state.index import ArticleIndex
from crawler.archive.storage.keys import parse_article_key
from crawler.archive.storage.store import Archived, InvalidRecord, ingest, store
from crawler.extract.record import ArticleRecord
from crawler.outcomes import Count, PageOutcome, RunResult
from crawler.reextract.checkpoint import Checkpoint
from crawler.reextract.warc_read import Capture, capture_order, read_captures, run_id_of, warc_files
from crawler.reextract.workers import ARTICLE, Executor, ExtractorMismatch, extract_captures, extractor_fingerprint
from crawler.sites import get_site
from crawler.urls import article_id

log = logging.getLogger("arshif.reextract")
BATCH = 8                   # captures per task: small enough to spread a few WARC files over many workers


@dataclass
class SiteResult:
    site: str
    files: int = 0                      # WARC files in range
    files_done_before: int = 0          # done by an earlier, interrupted run (resumed)
    counts: Counter = field(default_factory=Counter)
    unfinished_files: int = 0           # files a worker failed on: done again by the next run
    touched_days: set[tuple[str, str]] = field(default_factory=set)    # (site, date) of every article written
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return self.counts[PageOutcome.NEW] + self.counts[PageOutcome.UPDATED]

    def summary(self) -> str:
        c = self.counts
        resumed = f" (resumed: {self.files_done_before} done before)" if self.files_done_before else ""
        return (f"{self.site}: reextract read {c[Count.CAPTURES]} captures in {self.files} WARC files{resumed}: "
                f"{c[Count.PAGES]} article pages, {self.changed} changed ({c[PageOutcome.NEW]} new, "
                f"{c[PageOutcome.UPDATED]} updated), {c[PageOutcome.UNCHANGED]} unchanged, {c[Count.OLDER]} older "
                f"captures, {c[PageOutcome.NOT_ARTICLE]} not articles, {c[PageOutcome.FAILED]} failed; "
                f"{len(self.touched_days)} days touched; {self.seconds:.1f}s"
                + (f"; {self.unfinished_files} WARC files unfinished" if self.unfinished_files else ""))


@dataclass
class _Pending:
    """A capture handed to a worker, with what the client knows of its article."""

    capture: Capture
    guess_id: str                       # article id of the capture's URL (the page may name another)
    current: tuple[str, dict] | None    # (key, archived record) when the article was archived


class SiteReextraction:
    """Re-extraction of one site's WARC files, extraction in ``executor``, writes here."""

    def __init__(self, archive: Archive, site: str, index: ArticleIndex, executor: Executor, state_dir: Path, *,
                 base_url: str, since: str | None = None, until: str | None = None, batch: int = BATCH,
                 window: int | None = None, progress: Callable[[int, int, int], None] | None = None):
        self.archive = archive
        self.site = site
        self.spec = get_site(site)
        self.index = index
        self.executor = executor
        self.base_url = base_url
        self.since, self.until = since, until
        self.batch = batch
        # batches in flight: enough to keep every worker busy while the client reads and writes
        self.window = window or 2 * (getattr(executor, "slots", None) or getattr(executor, "workers", None) or 2)
        self.progress = progress or (lambda *_: None)   # called as the run goes
        job = {"site": site, "since": since, "until": until, "extractor": extractor_fingerprint(site)}
        self.checkpoint = Checkpoint(Path(state_dir) / f"reextract-{site}.json", job)
        self._written: set[str] = set()    # article ids written by this run (their archived copy changed)

    # -- reading ---------------------------------------------------------------------------------------

    def _archived(self, aid: str) -> tuple[str, dict] | None:
        known = self.index.get(aid)
        if known is None:
            return None
        data = self.archive.get(known.key)
        return None if data is None else (known.key, json.loads(data))

    def _pending(self, capture: Capture) -> _Pending:
        guess = article_id(capture.url, capture.base_url, self.spec)
        current = self._archived(guess)
        if current is not None and (current[1].get("warc") or {}).get("record_id") == capture.record_id:
            # the archived record came from this very capture: extract as of its fetch time (relative dates)
            capture = replace(capture, fetched_at=current[1]["fetched_at"])
        return _Pending(capture, guess, current)

    # -- writing ---------------------------------------------------------------------------------------

    def _apply(self, pending: _Pending, outcome: str, value: Any, counts: Counter,
               touched: set[tuple[str, str]]) -> None:
        capture = pending.capture
        counts[Count.PAGES] += 1
        if outcome != ARTICLE:
            counts[outcome] += 1
            if outcome == PageOutcome.FAILED:
                log.warning("reextract %s: extraction failed: %s (%s@%d): %s", self.site, capture.url,
                            capture.file, capture.offset, value)
            return
        aid = value["id"]
        current = pending.current if aid == pending.guess_id and aid not in self._written else self._archived(aid)
        discovered_by = None          # known for the capture the archived record was made from, not another
        if current is None:
            fetched_at, run_id = capture.fetched_at, run_id_of(capture.file)
        else:
            key, archived = current
            pointer = archived.get("warc") or {}
            if pointer.get("record_id") == capture.record_id:
                fetched_at, run_id = archived["fetched_at"], archived["run_id"]
                discovered_by = archived.get("discovered_by")
            elif (capture.order < capture_order(pointer["file"], pointer["offset"]) if pointer.get("file")
                  else datetime.fromisoformat(capture.fetched_at) < datetime.fromisoformat(archived["fetched_at"])):
                counts[Count.OLDER] += 1
                return
            else:
                fetched_at, run_id = capture.fetched_at, run_id_of(capture.file)
        record = ArticleRecord.complete(value, fetched_at=datetime.fromisoformat(fetched_at), run_id=run_id,
                                        warc=capture.pointer, discovered_by=discovered_by)
        try:
            plan, done = ingest(record, None if current is None else Archived(*current), partial(store, self.archive))
        except InvalidRecord as exc:
            counts[PageOutcome.FAILED] += 1
            log.warning("reextract %s: %s, not archived", self.site, exc)
            return
        if done is None:
            counts[PageOutcome.UNCHANGED] += 1
            return
        outcome, written, stored = done
        key = plan.key
        counts[outcome] += 1
        self.checkpoint.wrote(written)
        if stored is not None:
            self.index.record(stored, key)
            self._written.add(aid)
            touched.add((self.site, parse_article_key(key)["date"]))
            log.debug("reextract %s: %s: %s → %s", self.site, outcome, capture.url, key)
        requested = article_id(capture.url, capture.base_url, self.spec)
        self.index.add_alias(requested, aid)

    # -- the run ---------------------------------------------------------------------------------------

    def run(self) -> SiteResult:
        """Re-extract every WARC file in range not done yet. The result's counts and touched days include
        those of the files an interrupted earlier run finished."""
        started = time.monotonic()
        files = warc_files(self.archive, self.site, self.since, self.until)
        result = SiteResult(self.site, files=len(files), files_done_before=len(self.checkpoint.done & set(files)))
        progress = Counter(files=result.files_done_before)
        self.progress(progress["files"], len(files), 0)
        # batches in flight, oldest first: (file key, its pendings, future); pendings None: the file's end
        flight: deque = deque()
        counts: dict[str, Counter] = {}
        touched: dict[str, set[tuple[str, str]]] = {}
        ok: dict[str, bool] = {}
        unfinished = Counter()

        def drain(limit: int) -> None:
            while len(flight) > limit:
                key, pendings, future = flight.popleft()
                if pendings is None:                       # every batch of ``key`` is written
                    if ok.pop(key):
                        self.checkpoint.file_done(key, counts[key], touched[key])
                    else:
                        log.warning("reextract %s: %s not finished (a worker failed); a rerun does it again",
                                    self.site, key)
                        unfinished.update(counts[key])
                        result.unfinished_files += 1
                        result.touched_days |= touched[key]
                    progress.update(files=1)
                    self.progress(progress["files"], len(files), progress["pages"])
                    del counts[key], touched[key]
                    continue
                try:
                    results = future.result()
                except ExtractorMismatch:
                    raise
                except Exception as exc:                   # the worker died (not the extractor failing)
                    log.error("reextract %s: a batch of %s failed: %s: %s", self.site, key, type(exc).__name__, exc)
                    counts[key][PageOutcome.FAILED] += len(pendings)
                    ok[key] = False
                    continue
                for pending, (outcome, value) in zip(pendings, results):
                    self._apply(pending, outcome, value, counts[key], touched[key])
                progress.update(pages=len(pendings))
                self.progress(progress["files"], len(files), progress["pages"])

        def submit(key: str, batch: list[_Pending]) -> None:
            flight.append((key, batch, self.executor.submit(extract_captures, self.site, [p.capture for p in batch],
                                                            self.checkpoint.job["extractor"])))
            drain(self.window)

        for key in files:
            if key in self.checkpoint.done:
                continue
            counts[key], touched[key], ok[key] = Counter(), set(), True
            batch: list[_Pending] = []
            try:
                for capture in read_captures(self.archive, key, self.base_url, self.spec, counts[key]):
                    batch.append(self._pending(capture))
                    if len(batch) == self.batch:
                        submit(key, batch)
                        batch = []
            except ArchiveUnavailable:
                raise
            except Exception as exc:     # a WARC file cut short or corrupt: what was read is done, the file is not
                log.error("reextract %s: cannot read all of %s: %s: %s", self.site, key, type(exc).__name__, exc)
                counts[key][PageOutcome.FAILED] += 1
                ok[key] = False
            if batch:
                submit(key, batch)
            flight.append((key, None, None))
        drain(0)
        result.counts = self.checkpoint.counts + unfinished
        result.touched_days |= self.checkpoint.touched
        result.seconds = time.monotonic() - started
        return result

    def finish(self, result: SiteResult) -> None:
        """Once every file is done (and the touched days were handed on): store the run's manifest under
        ``runs/`` (``kind: "reextract"``: ``arshif status`` and the crawl history leave it out; data teams read
        its ``keys_written`` like a crawl's) when it wrote anything, then forget the checkpoint. Else keep the
        checkpoint for the next run."""
        if result.unfinished_files:
            self.checkpoint.close()
            return
        report = self.checkpoint.report
        report.keys_written = self.checkpoint.keys_written()
        if report.keys_written:                 # a run that wrote nothing leaves no trace in the archive
            report.archive = self.archive.url
            for name, n in result.counts.items():
                report.count(name, n)
            failed = result.counts[PageOutcome.FAILED]
            report.finish(RunResult.FAILED if failed else RunResult.OK, f"{failed} captures failed" if failed else None)
            self.archive.put(report.key, report.to_json(), content_type="application/json; charset=utf-8",
                             metadata={"site": self.site, "run-id": report.run_id})
        self.checkpoint.remove()
