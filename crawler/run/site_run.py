"""One site's run: the resources every component of that site's crawler shares — the archive, the uploader, the
archive index, the WARC writer, the extraction worker pool, the log — and the run report.

:func:`open_run` does the I/O a run starts with (the index rebuilt from the archive when missing, WARC files
left by a killed run archived, a WARC writer opened) and returns a :class:`SiteRun`;
:func:`crawler.components.attach` hands it, with the site's ``SiteConfig`` (its settings: ``crawler/config.py``),
to a Scrapy crawler, whose components find them with :func:`crawler.components.run_from` and ``config_from``."""
from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from crawler import liveness
from crawler.archive.storage.base import Archive, ArchiveError, ArchiveUnavailable
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.archive.storage.keys import warc_key
from crawler.archive.delivery.uploader import Uploader
from crawler.config import SiteConfig
from crawler.discover.ids import number_in, rebuild_index
from crawler.extract.workers import ExtractWorkers
from crawler.fetch.warc_writer import RollingWarcWriter, seal_left_open
from crawler.logctx import site_logger
from crawler.outcomes import Count, PageOutcome, RunKind
from crawler.run.report import RunReport, new_run_id, run_started
from crawler.sites import SiteSpec
from crawler.stories.handoff import Handoff

log = logging.getLogger("arshif.run")


def open_run(settings, site_key: str, archive: Archive, uploader: Uploader, extract_pool: ExtractWorkers,
             kind: RunKind = RunKind.CRAWL, *, started: datetime | None = None, run_id: str | None = None,
             deadline: datetime | None = None, stories: Handoff | None = None) -> "SiteRun":
    """A new run of ``site_key``: its index ready (rebuilt from the archive when missing), the WARC files a
    killed run left archived, its WARC writer open; ``stories``: where it hands the story features of what it
    archives to the linking after the crawl (None: linking off).

    The run starts at ``started`` (default now) or, given ``run_id`` (``arshif serve`` names the run of the
    crawl process it starts, to read that very report), at the start that id names; it must end by
    ``deadline`` (default: its start + the site's ``time_limit``), fixed here once: Scrapy's close timeout
    (``crawler.run.deadline``) counts to it, and ``arshif serve`` stops the process at it."""
    config = SiteConfig.of(settings, site_key)
    spec = config.spec
    if run_id is not None:
        started = run_started(run_id, site_key)
    started = (started or datetime.now(timezone.utc)).astimezone(timezone.utc)
    report = RunReport(run_id or new_run_id(site_key, started), site_key, archive.url, kind=kind,
                       started_at=started.isoformat(timespec="seconds"), pid=os.getpid(), host=socket.gethostname(),
                       process=liveness.identity())
    run_log = site_logger(log, site_key, report.run_id)
    state_dir = archive_state_dir(settings.archive.state_dir, archive.url)
    run = SiteRun(site_key, archive, uploader, extract_pool, report, run_log,
                  _open_index(state_dir, spec, archive, run_log, config.site.lookback_days), state_dir=state_dir,
                  deadline=deadline or started + timedelta(seconds=config.site.time_limit), stories=stories)
    _check_index(run, spec)
    warc_dir = state_dir / "warc" / site_key
    _recover_warc(run, warc_dir)
    run.warc = RollingWarcWriter(warc_dir, report.run_id, settings.archive.warc_max_bytes, on_close=run.warc_closed,
                                 operator_info={"isPartOf": f"arshif {site_key}", "robots": "obey"
                                                if settings.crawl.obey_robots else "ignore"})
    return run


def _check_index(run: "SiteRun", spec: SiteSpec) -> None:
    """The archive is the truth, the index its cache: articles the index knows but the archive no longer holds
    (deleted behind the crawler's back) are forgotten, so that this run fetches and writes them again. One
    warning line and the count ``gone_from_archive``; an archive that does not answer is checked next run."""
    try:
        gone = run.index.forget_gone(run.archive, partial(number_in, spec=spec))
    except ArchiveError as exc:
        run.log.warning("index not checked against the archive, archive unavailable: %s", exc)
        return
    if gone:
        run.report.count(Count.GONE_FROM_ARCHIVE, len(gone))
        run.log.warning("%d archived articles are gone from the archive (deleted?), e.g. %s: they are fetched "
                        "and written again", len(gone), gone[0])


def _open_index(state_dir: Path, spec: SiteSpec, archive: Archive, run_log, lookback_days: float) -> ArticleIndex:
    index = ArticleIndex.at(state_dir, spec.key)
    if not index.is_built():
        try:
            count = rebuild_index(index, archive, spec, lookback_days)
            if count:                       # an empty archive (the first run) has nothing to say
                run_log.info("rebuilt the incremental index from the archive: %d articles", count)
        except ArchiveUnavailable as exc:
            run_log.warning("index not rebuilt, archive unavailable: %s", exc)
    return index


def _recover_warc(run: "SiteRun", folder: Path) -> None:
    """WARC files left by a run that was killed: seal those it was writing (cut after their last whole record),
    complete the name and archive them."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.warc.gz*")):
        final = path.with_name(path.name.removesuffix(".open"))
        if path != final:
            sealed = seal_left_open(path)
            run.log.warning("WARC file %s left open by an interrupted run: %s", final.name,
                            sealed or "no whole record in it, archived as it is")
            path.replace(final)
        date = final.name[:8]
        key = warc_key(run.site, f"{date[:4]}-{date[4:6]}-{date[6:8]}", final.name)
        run.log.warning("archiving WARC file %s left by an interrupted run", final.name)
        run.track_file(run.uploader.submit_file(key, final, content_type="application/warc",
                                                metadata={"site": run.site}))


class SiteRun:
    """One site's run (built by :func:`open_run`): its resources, which the crawl's components use and nobody
    replaces — ``site`` (the site's key), ``archive``, ``uploader``, ``index`` (the archive index), ``warc`` (the
    WARC writer), ``extract_pool``, ``log``, ``state_dir`` (the archive's state folder), ``deadline``, ``stories``
    (the story features of what it archives, for the linking after the crawl: ``crawler.stories.handoff``; None
    when linking is off) — and the run
    ``report``, the document this run leaves: components add its errors, keys written, sources, selector hits and
    lags; its counts are the crawl's stats (``crawler.components.count``; the run counts through its report only
    what it counts itself: articles gone from the archive, before the crawl, and its tracked writes, off the
    reactor). ``write_failures`` is written here only (:meth:`write_failed`, by the archive writes this run
    tracks) and read at the run's end.

    Not here: the site's settings (``SiteConfig``, attached beside it: ``crawler.components.config_from``); the
    run's discovery state, the spider's (``discovery``, ``candidates`` — what is queued, what was no article —,
    ``ids``), and why robots.txt was unreadable or a pause stopped the run (the crawl's stats:
    ``crawler.fetch.robots``, ``crawler.fetch.retry_after``), read at the end through the crawler
    (``crawler/run/report_extension.py``)."""

    def __init__(self, site: str, archive: Archive, uploader: Uploader, extract_pool: ExtractWorkers,
                 report: RunReport, log: logging.LoggerAdapter | logging.Logger, index: ArticleIndex,
                 warc: RollingWarcWriter | None = None, *, state_dir: Path | None = None,
                 deadline: datetime | None = None, stories: Handoff | None = None):
        self.site = site
        self.archive = archive
        self.uploader = uploader
        self.extract_pool = extract_pool
        self.report = report
        self.log = log
        self.index = index
        self.warc = warc
        self.state_dir = state_dir
        self.deadline = deadline            # the run is closed (closespider_timeout) at this instant
        self.stories = stories
        self._lock = threading.Lock()
        self._futures: list[Future] = []
        self.write_failures: list[str] = []

    def store_start_report(self) -> None:
        """The report, ``running``, stored before the run writes anything: a run that dies leaves it behind
        (``crawler/run/dead_runs.py``). Written directly, never through the outbox (a late replay would put it
        back over the final report); an archive that does not answer now only loses this early copy."""
        try:
            self.archive.put(self.report.key, self.report.to_json(), content_type="application/json; charset=utf-8",
                             metadata={"site": self.site, "run-id": self.report.run_id})
        except ArchiveError as exc:
            self.log.warning("run report not stored at start, archive unavailable: %s", exc)

    # -- WARC files ------------------------------------------------------------------------------------

    def warc_key(self, name: str) -> str:
        return warc_key(self.site, self.report.started_at[:10], name)

    def warc_closed(self, path: Path, name: str) -> None:
        """The WARC writer closed a file: archive it."""
        self.track_file(self.uploader.submit_file(self.warc_key(name), path, content_type="application/warc",
                                                  metadata={"site": self.site, "run-id": self.report.run_id}))

    # -- archive writes --------------------------------------------------------------------------------

    def track_file(self, future: Future) -> Future:
        """Follow a file's archive write (``Uploader.submit_file``) to the end of the run: list the key it
        wrote, or count it pending."""
        self.track(future)

        def done(fut: Future) -> None:
            exc = fut.exception()
            if exc is not None:
                self.write_failed("file", exc)
                return
            with self._lock:
                result = fut.result()
                if result is None:
                    self.report.count(PageOutcome.PENDING)
                else:
                    self.report.keys_written.append(result)

        future.add_done_callback(done)
        return future

    def track(self, future: Future) -> Future:
        """A write the run waits for before it ends (``wait_for_writes``)."""
        with self._lock:
            self._futures.append(future)
        return future

    def wrote(self, key: str, count: Count) -> None:
        """A write done off the reactor (a removal): its key listed, counted as ``count``."""
        with self._lock:
            self.report.keys_written.append(key)
            self.report.count(count)

    def write_failed(self, what: str, exc: BaseException) -> None:
        """A write neither the archive nor the outbox took (a full disk…): the run fails."""
        self.write_failures.append(str(exc))
        self.report.error(f"archive write failed: {exc}")
        self.log.error("archive write failed (%s): %s", what, exc)

    def wait_for_writes(self) -> None:
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            for fut in pending:
                try:
                    fut.result()
                except Exception:  # counted by the done-callback
                    pass
