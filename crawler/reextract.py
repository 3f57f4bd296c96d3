"""Re-extraction from the stored captures: the current extractor and rules over the archive's WARC files.

The sites are never asked again. For each site, the WARC files under ``warc/site=<site>/`` (optionally only
the capture dates ``since``…``until``) are read in order; every ``200`` response of an article URL goes, in
batches, to :func:`extract_captures` — a pure function run by workers (a local process pool, or the
workers of a Dask cluster): captures in, results out. This process (the client) writes the results in
capture order, so the archive comes out the same whichever workers ran the extraction:

* the capture that counts for an article is the latest: captures are ordered by WARC file name (which
  starts with the run's start time) and offset, and a capture older than the one the archived record came
  from changes nothing ("older");
* the record is compared with the archived one on text and metadata (``record.CONTENT_FIELDS``): equal is
  "unchanged", no write at all (a new rules version alone is no change); a new text goes through
  ``store_article`` (the previous text kept under ``versions/``, ``version`` + 1); the same text with new
  metadata replaces the record in place (``store_metadata_change``, ``version`` + 1); a capture that is an
  article now but was not archived is archived ("new"). An archived article that is no article under the
  current rules is left as it is (counted "not_article"): re-extraction never deletes.
* a record keeps the ``fetched_at`` and ``run_id`` of its capture, so re-running re-extraction (or running
  it elsewhere) writes byte-identical records.

Every WARC file is checked whole: every gzip member complete (its trailer checked, before any record is read),
one record per member, every record read to its end with its digest checked, and the file's seal at its end
(``crawler.fetch.warc_writer``: a copy cut exactly between two records is otherwise a valid, shorter file). A file cut
short or damaged is one error line and is left for the next run, never giving a truncated page; the whole
captures before the damage are done (every write is idempotent).

Resumable: after each WARC file the client records it, with the counts and the days it touched, in a
checkpoint in the local state folder (``reextract-<site>.json``; the keys written go to
``reextract-<site>.keys``). A rerun with the same extractor and the same dates skips the files done; every
write is idempotent, so the file that was cut short is simply done again. When the site is finished and
its touched days were handed on, the run's manifest is stored under ``runs/`` and the checkpoint goes.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator, Protocol
from urllib.parse import urlsplit

from w3lib.encoding import http_content_type_encoding
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive.base import Archive, ArchiveUnavailable
from crawler.archive.durable import write_atomic
from crawler.archive.index import ArticleIndex
from crawler.archive.keys import article_key, parse_article_key, utc_date
from crawler.archive.store import Planned, store_article, store_metadata_change
from crawler.extract import cleaning
from crawler.extract.page import MIN_WORDS, RULES_VERSION, NotArticle, extract
from crawler.extract.record import complete, problems, same_content
from crawler.fetch.warc_writer import DamagedWarc, check_sealed, gzip_members, warc_fields
from crawler.outcomes import Count, PageOutcome, RunKind, RunResult
from crawler.run.report import RunReport, new_run_id
from crawler.sites import get_site
from crawler.urls import article_id, is_article_url

log = logging.getLogger("arshif.reextract")

#: a worker's result for a capture that is an article (else ``PageOutcome.NOT_ARTICLE`` or ``PageOutcome.FAILED``)
ARTICLE = "article"
BATCH = 8                   # captures per task: small enough to spread a few WARC files over many workers


# -------------------------------------------------------------------------------------------- the workers

@dataclass(frozen=True)
class Capture:
    """One archived response of an article URL, as a worker needs it (picklable, no archive handle)."""

    file: str                  # archive key of the WARC file
    offset: int                # of the response record
    record_id: str
    url: str
    base_url: str              # the site's base URL when the capture was made
    encoding: str | None       # charset of the Content-Type header
    fetched_at: str            # ISO 8601: the archived record's, when it came from this capture, else WARC-Date
    body: bytes = field(repr=False)

    @property
    def order(self) -> tuple[str, int]:
        return capture_order(self.file, self.offset)

    @property
    def pointer(self) -> dict:
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id}


def capture_order(file_key: str, offset: int) -> tuple[str, int]:
    """Captures of a site in time order: WARC file names start with their run's start time."""
    return PurePosixPath(file_key).name, offset


class ExtractorMismatch(Exception):
    """A worker's extractor is not the client's (another arshif installed on a Dask worker)."""


def extract_captures(site: str, captures: list[Capture], fingerprint: str | None = None) -> list[tuple[str, Any]]:
    """The extractor on each capture: ``(ARTICLE, fields)``, ``(PageOutcome.NOT_ARTICLE, reason)`` or
    ``(PageOutcome.FAILED, message)``, in order. Pure: what the crawl's extraction workers run, with nothing written anywhere.
    ``fingerprint`` is the client's ``extractor_fingerprint``: a worker whose extractor differs refuses."""
    if fingerprint is not None and extractor_fingerprint(site) != fingerprint:
        import socket

        raise ExtractorMismatch(f"the extractor on worker {socket.gethostname()} differs from this one's (rules or "
                                "versions): install the same arshif on every worker")
    out: list[tuple[str, Any]] = []
    for capture in captures:
        try:
            result = extract(capture.body, capture.url, site, base_url=capture.base_url, encoding=capture.encoding,
                             fetched_at=datetime.fromisoformat(capture.fetched_at))
        except Exception as exc:   # one page's failure, reported with its capture
            out.append((PageOutcome.FAILED, f"{type(exc).__name__}: {exc}"))
        else:
            out.append((PageOutcome.NOT_ARTICLE, result.reason) if isinstance(result, NotArticle) else (ARTICLE, result))
    return out


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A future of ``fn(*args)`` (``.result()``)."""


class DaskExecutor:
    """The workers of an existing Dask cluster (``dask.distributed``); arshif must be installed on them. They
    get the captures with the tasks, so they need no access to the archive."""

    def __init__(self, address: str, timeout: float = 10):
        from distributed import Client

        self.address = address
        self.client = Client(address, timeout=timeout, set_as_default=False)

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (its workers' threads)."""
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or 1

    def submit(self, fn: Callable[..., Any], *args: Any):
        return self.client.submit(fn, *args, pure=False)

    def close(self) -> None:
        self.client.close()


# ---------------------------------------------------------------------------------------------- the client

@lru_cache(maxsize=8)
def extractor_fingerprint(site: str) -> str:
    """What the extraction of ``site`` depends on, hashed: a checkpoint is only resumed by the same extractor."""
    import trafilatura

    spec = get_site(site)
    parts = (trafilatura.__version__, RULES_VERSION, MIN_WORDS, repr(spec.extraction), repr(cleaning.RULES),
             repr(cleaning.PRUNE_XPATH))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def warc_files(archive: Archive, site: str, since: str | None = None, until: str | None = None) -> list[str]:
    """Keys of ``site``'s WARC files captured between ``since`` and ``until`` (``YYYY-MM-DD``, inclusive), in
    capture order."""
    keys = []
    for key in archive.list(f"warc/site={site}/"):
        parts = key.split("/")
        if len(parts) != 4 or not parts[3].endswith(".warc.gz"):
            continue
        date = parts[2].removeprefix("date=")
        if (since and date < since) or (until and date > until):
            continue
        keys.append(key)
    return sorted(keys, key=lambda k: capture_order(k, 0))


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: a capture's own site root."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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

    def _captures(self, key: str, counts: Counter) -> Iterator[Capture]:
        data = self.archive.get(key)
        if data is None:
            raise FileNotFoundError("listed but not in the archive any more")
        members = gzip_members(data)                   # DamagedWarc at a member cut short or damaged
        seen: list[tuple[int, str, dict[str, str]]] = []
        records = ArchiveIterator(io.BytesIO(data), check_digests="raise")
        end = 0
        try:
            for record in records:
                response = record.rec_type == "response"
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                base_url = self.base_url if url.startswith(self.base_url.rstrip("/") + "/") else _origin(url)
                wanted = (response and record.http_headers is not None and record.http_headers.get_statuscode() == "200"
                          and is_article_url(url, base_url, self.spec))
                # every record is read to its end, so that every digest is checked: a file cut short or damaged
                # is an error here, never a truncated page or a silent end of the file
                body = record.content_stream().read() if wanted else record.raw_stream.read()
                offset = records.get_record_offset()      # after the read: asking it first skips the payload
                end = offset + records.get_record_length()
                if len(seen) >= len(members) or members[len(seen)] != (offset, end):
                    raise DamagedWarc(f"damaged: the record read at offset {offset} is not one whole gzip member")
                if record.digest_checker.passed is not True and (record.rec_headers.get_header("WARC-Payload-Digest")
                                                                 or record.rec_headers.get_header("WARC-Block-Digest")):
                    raise DamagedWarc(f"the record at offset {offset} is cut short (its digest could not be checked)")
                seen.append((offset, record.rec_type, warc_fields(body) if record.rec_type == "warcinfo" else {}))
                counts[Count.CAPTURES] += response
                if not wanted:
                    continue
                when = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
                yield Capture(file=key, offset=offset, record_id=record.rec_headers.get_header("WARC-Record-ID"),
                              url=url, base_url=base_url,
                              encoding=http_content_type_encoding(record.http_headers.get_header("Content-Type") or ""),
                              fetched_at=when.isoformat(timespec="seconds"), body=body)
        except ArchiveLoadFailed:       # its message quotes the damaged bytes
            raise DamagedWarc(f"damaged WARC data after offset {end}") from None
        if len(seen) != len(members):
            raise DamagedWarc(f"damaged: {len(members) - len(seen)} gzip members after offset {end} are no WARC record")
        if not seen:
            raise DamagedWarc("empty: no WARC record")
        check_sealed(seen)

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
            fetched_at, run_id = capture.fetched_at, _run_id(capture.file)
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
                fetched_at, run_id = capture.fetched_at, _run_id(capture.file)
        record = complete(value, fetched_at=datetime.fromisoformat(fetched_at), run_id=run_id, warc=capture.pointer,
                          discovered_by=discovered_by)
        found = problems(record)
        if found:
            counts[PageOutcome.FAILED] += 1
            log.warning("reextract %s: invalid record, not archived: %s: %s", self.site, capture.url, found[0])
            return
        if current is None:
            date = utc_date(record["published_at"], datetime.fromisoformat(fetched_at))
            outcome, written, stored = store_article(self.archive, Planned(PageOutcome.NEW, article_key(self.site, date, aid),
                                                                           record))
            key = article_key(self.site, date, aid)
        elif same_content(archived, record):
            counts[PageOutcome.UNCHANGED] += 1
            return
        elif archived["content_sha256"] != record["content_sha256"]:
            outcome, written, stored = store_article(self.archive, Planned(PageOutcome.UPDATED, key, record, previous_key=key))
        else:
            outcome, written, stored = store_metadata_change(self.archive, key, record)
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
                for capture in self._captures(key, counts[key]):
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


def _run_id(file_key: str) -> str:
    """The crawl run a WARC file belongs to: its name without ``-NNNNN.warc.gz``."""
    return PurePosixPath(file_key).name.removesuffix(".warc.gz").rsplit("-", 1)[0]

