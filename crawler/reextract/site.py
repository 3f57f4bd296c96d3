"""One site's re-extraction, as a stream: its WARC files read in order, each with one GET made while the file
before it is re-extracted (``warc_read``), captures handed in batches to the workers (``workers``), results
decided in capture order here: an unchanged article by the digest of its content, which the worker computed
and the index keeps of the archived record (no read of the record); any other through
``crawler.archive.storage.store.ingest`` (the crawl's own path: checked, planned against the archived record,
``version`` decided there), the writes made by a few threads while the stream goes on; progress kept in the
``checkpoint`` once every write of a file is done."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Callable

from crawler.archive.storage.base import Archive, ArchiveUnavailable
from crawler.archive.state.index import ArticleIndex, Content
from crawler.archive.storage.keys import parse_article_key
from crawler.archive.storage.store import Archived, InvalidRecord, ingest, store
from crawler.extract.record import ArticleRecord
from crawler.extract.verdict import PageVerdict
from crawler.outcomes import Count, PageOutcome, RunResult
from crawler.reextract.checkpoint import Checkpoint
from crawler.reextract.warc_read import Capture, capture_order, read_captures, run_id_of, warc_files
from crawler.reextract.workers import ARTICLE, Executor, ExtractorMismatch, extract_captures, extractor_fingerprint
from crawler.sites import get_site
from crawler.urls import article_id

log = logging.getLogger("arshif.reextract")
BATCH = 32     # captures per task on the local pool (~0.25 s of extraction; a task costs this process ~0.15 ms),
               # small enough to spread one WARC file (hundreds of captures) over many workers; Dask: DaskExecutor.batch
END_SPLIT = 8  # the captures held back at the end of a site's stream go in batches of 1/END_SPLIT of a batch
THREADS = 8    # archived records read and written at once (on S3: requests in flight)


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
    known: Content | None               # what the index keeps of the archived record's content, when it does
    # (key, archived record) when the article is archived and the index keeps no digest of it (read ahead: a
    # future until the batch goes to the workers), else None
    current: tuple[str, dict] | None | Future = None


class SiteReextraction:
    """Re-extraction of one site's WARC files, extraction in ``executor``, writes here."""

    def __init__(self, archive: Archive, site: str, index: ArticleIndex, executor: Executor, state_dir: Path, *,
                 base_url: str, since: str | None = None, until: str | None = None, batch: int | None = None,
                 window: int | None = None, progress: Callable[[int, int, int], None] | None = None):
        self.archive = archive
        self.site = site
        self.spec = get_site(site)
        self.index = index
        self.executor = executor
        self.base_url = base_url
        self.since, self.until = since, until
        # captures a task: the executor's own default (a Dask task costs more than a local pool's) unless given
        self.batch = batch or getattr(executor, "batch", BATCH)
        # batches in flight: enough to keep every worker busy while the client reads and writes
        self.window = window or 2 * (getattr(executor, "slots", None) or getattr(executor, "workers", None) or 2)
        self.progress = progress or (lambda *_: None)   # called as the run goes
        job = {"site": site, "since": since, "until": until, "extractor": extractor_fingerprint(site)}
        self.checkpoint = Checkpoint(Path(state_dir) / f"reextract-{site}.json", job)
        self._written: set[str] = set()    # article ids written by this run (their archived copy changed)
        # the crawl's verdict on a text another id has (``shared_text``): what the crawl refused, this refuses
        self._verdict = PageVerdict(index.other_holder)
        # while run() runs: the threads that read ahead (WARC files, archived records) and those that write (apart:
        # a read of an article being written waits for its write)
        self._reads: ThreadPoolExecutor | None = None
        self._writes: ThreadPoolExecutor | None = None
        self._writing: dict[str, Future] = {}              # article id → its write in progress
        self._lock = threading.Lock()                       # the checkpoint's keys file, written by the writes

    # -- reading ---------------------------------------------------------------------------------------

    def _archived(self, aid: str) -> tuple[str, dict] | None:
        """The archived record of ``aid`` read from the archive (after this run's write of it, if one is under
        way), its digest kept in the index for the next runs."""
        writing = self._writing.get(aid)
        if writing is not None:
            writing.exception()              # wait for it; its outcome is handled with its file
        known = self.index.get(aid)
        if known is None:
            return None
        data = self.archive.get(known.key)
        if data is None:
            return None
        record = json.loads(data)
        self.index.remember_content(record, known.key)
        return known.key, record

    def _pending(self, capture: Capture) -> _Pending:
        guess = article_id(capture.url, capture.base_url, self.spec)
        known = self.index.content(guess)
        if known is not None:
            if (known.warc or {}).get("record_id") == capture.record_id:
                # the archived record came from this very capture: extract as of its fetch time (relative dates)
                capture = replace(capture, fetched_at=known.fetched_at)
            return _Pending(capture, guess, known)
        current = self._reads.submit(self._archived, guess) if self.index.get(guess) is not None else None
        return _Pending(capture, guess, None, current)

    @staticmethod
    def _ready(pending: _Pending) -> _Pending:
        """``pending`` with its archived record read (the reads of a batch are made at once)."""
        if isinstance(pending.current, Future):
            pending.current = current = pending.current.result()
            if current is not None and (current[1].get("warc") or {}).get("record_id") == pending.capture.record_id:
                pending.capture = replace(pending.capture, fetched_at=current[1]["fetched_at"])
        return pending

    # -- writing ---------------------------------------------------------------------------------------

    def _apply(self, pending: _Pending, result: tuple, counts: Counter, writes: list) -> None:
        """Decide what the worker's ``result`` for ``pending`` means for the archive; a write is started in a
        thread and appended to ``writes`` (handled by :meth:`_wrote` before the file is checkpointed)."""
        capture = pending.capture
        outcome, value = result[0], result[1]
        counts[Count.PAGES] += 1
        if outcome != ARTICLE:
            counts[outcome] += 1
            if outcome == PageOutcome.FAILED:
                log.warning("reextract %s: extraction failed: %s (%s@%d): %s", self.site, capture.url,
                            capture.file, capture.offset, value)
            return
        aid = value["id"]
        own = aid == pending.guess_id and aid not in self._written
        known = pending.known if own else None
        if known is not None and result[3]:
            # the index keeps the archived record's digest: the decision below, without reading the record
            if _older(capture, known.warc, known.fetched_at):
                counts[Count.OLDER] += 1
                return
            if result[2] == known.digest:         # the same text and metadata (record.content_digest)
                counts[PageOutcome.UNCHANGED] += 1
                return
        refused = self._verdict.shared_text(value)
        if refused is not None:
            counts[PageOutcome.NOT_ARTICLE] += 1
            log.info("reextract %s: %s: %s, not archived (%s@%d)", self.site, capture.url, refused.reason,
                     capture.file, capture.offset)
            return
        current = pending.current if own and known is None else self._archived(aid)
        discovered_by = None          # known for the capture the archived record was made from, not another
        if current is None:
            fetched_at, run_id = capture.fetched_at, run_id_of(capture.file)
        else:
            key, archived = current
            if _older(capture, archived.get("warc"), archived["fetched_at"]):
                counts[Count.OLDER] += 1
                return
            if (archived.get("warc") or {}).get("record_id") == capture.record_id:
                fetched_at, run_id = archived["fetched_at"], archived["run_id"]
                discovered_by = archived.get("discovered_by")
            else:
                fetched_at, run_id = capture.fetched_at, run_id_of(capture.file)
        record = ArticleRecord.complete(value, fetched_at=datetime.fromisoformat(fetched_at), run_id=run_id,
                                        warc=capture.pointer, discovered_by=discovered_by)
        write = self._writes.submit(self._store, record, None if current is None else Archived(*current),
                                    pending.guess_id)
        self._writing[aid] = write
        self._written.add(aid)                # its later captures read the archived record again, once written
        writes.append((pending, aid, write))

    def _store(self, record: ArticleRecord, current: Archived | None, requested: str):
        """In a write thread: ``record`` into the archive (``ingest``), and at once, as the write is done, the keys
        written into the checkpoint (the manifest of a run killed later lists them), the record into the index,
        and the article id of the URL asked for (``requested``) as an alias of the article's."""
        plan, done = ingest(record, current, partial(store, self.archive))
        if done is not None:
            _, written, stored = done
            with self._lock:
                self.checkpoint.wrote(written)
            if stored is not None:
                self.index.record(stored, plan.key)
            self.index.add_alias(requested, record.id)
        return plan, done

    def _wrote(self, pending: _Pending, aid: str, write: Future, counts: Counter,
               touched: set[tuple[str, str]]) -> None:
        """The outcome of a write started by :meth:`_apply` (waited for)."""
        capture = pending.capture
        try:
            plan, done = write.result()
        except InvalidRecord as exc:
            counts[PageOutcome.FAILED] += 1
            log.warning("reextract %s: %s, not archived", self.site, exc)
            return
        finally:
            if self._writing.get(aid) is write:
                del self._writing[aid]
        if done is None:
            counts[PageOutcome.UNCHANGED] += 1
            return
        outcome, _, stored = done
        counts[outcome] += 1
        if stored is not None:
            touched.add((self.site, parse_article_key(plan.key)["date"]))
            log.debug("reextract %s: %s: %s → %s", self.site, outcome, capture.url, plan.key)


    # -- the run ---------------------------------------------------------------------------------------

    def run(self) -> SiteResult:
        """Re-extract every WARC file in range not done yet. The result's counts and touched days include
        those of the files an interrupted earlier run finished."""
        with ThreadPoolExecutor(THREADS, thread_name_prefix=f"reextract-{self.site}-read") as self._reads, \
                ThreadPoolExecutor(THREADS, thread_name_prefix=f"reextract-{self.site}-write") as self._writes:
            try:
                return self._run()
            finally:
                for write in list(self._writing.values()):     # an error stops the run: its writes end first
                    write.exception()
                self._writing.clear()

    def _run(self) -> SiteResult:
        started = time.monotonic()
        files = warc_files(self.archive, self.site, self.since, self.until)
        result = SiteResult(self.site, files=len(files), files_done_before=len(self.checkpoint.done & set(files)))
        progress = Counter(files=result.files_done_before)
        self.progress(progress["files"], len(files), 0)
        # batches in flight, oldest first: (file key, its pendings, future); pendings None: the file's end
        flight: deque = deque()
        counts: dict[str, Counter] = {}
        touched: dict[str, set[tuple[str, str]]] = {}
        writes: dict[str, list] = {}          # file key → its writes started, in capture order
        ok: dict[str, bool] = {}
        unfinished = Counter()

        def drain(limit: int) -> None:
            while len(flight) > limit:
                key, pendings, future = flight.popleft()
                if pendings is None:                       # every batch of ``key`` is decided: its writes end
                    for write in writes.pop(key):
                        self._wrote(*write, counts[key], touched[key])
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
                for pending, outcome in zip(pendings, results):
                    self._apply(pending, outcome, counts[key], writes[key])
                progress.update(pages=len(pendings))
                self.progress(progress["files"], len(files), progress["pages"])

        def submit(key: str, batch: list[_Pending]) -> None:
            captures = [self._ready(p).capture for p in batch]
            flight.append((key, batch, self.executor.submit(extract_captures, self.site, captures,
                                                            self.checkpoint.job["extractor"])))
            drain(self.window)

        todo = [key for key in files if key not in self.checkpoint.done]
        # each file with one GET, made while the file before it is re-extracted
        reads = deque(self._reads.submit(self.archive.get, key) for key in todo[:1])
        for i, key in enumerate(todo):
            if i + 1 < len(todo):
                reads.append(self._reads.submit(self.archive.get, todo[i + 1]))
            data = reads.popleft()
            counts[key], touched[key], writes[key], ok[key] = Counter(), set(), [], True
            held: list[_Pending] = []       # read, not sent yet: one batch is held back until the file's end
            try:
                for capture in read_captures(self.archive, key, self.base_url, self.spec, counts[key],
                                             data=data.result()):
                    held.append(self._pending(capture))
                    if len(held) == 2 * self.batch:
                        submit(key, held[:self.batch])
                        del held[:self.batch]
            except ArchiveUnavailable:
                raise
            except Exception as exc:     # a WARC file cut short or corrupt: what was read is done, the file is not
                log.error("reextract %s: cannot read all of %s: %s: %s", self.site, key, type(exc).__name__, exc)
                counts[key][PageOutcome.FAILED] += 1
                ok[key] = False
            for batch in last_batches(held, self.batch, end=i + 1 == len(todo)):
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


def last_batches(held: list, batch: int, *, end: bool) -> list[list]:
    """The captures held back at the end of a WARC file (fewer than two batches) as the tasks that carry them:
    batches of ``batch``; at the end of the site's stream (``end``), batches of an eighth of it, so that the
    workers finish together — the worker given the last whole batch would work on it alone while the others
    wait (the next site, or the end of the run)."""
    step = max(1, batch // END_SPLIT) if end else batch
    return [held[i:i + step] for i in range(0, len(held), step)]


def _older(capture: Capture, pointer: dict | None, fetched_at: str) -> bool:
    """Is ``capture`` older than the one the archived record (its ``warc`` pointer, its ``fetched_at``) came from?
    Never when it is that very capture. The same decision whether the index or the record read tells it."""
    pointer = pointer or {}
    if pointer.get("record_id") == capture.record_id:
        return False
    if pointer.get("file"):
        return capture.order < capture_order(pointer["file"], pointer["offset"])
    return datetime.fromisoformat(capture.fetched_at) < datetime.fromisoformat(fetched_at)
