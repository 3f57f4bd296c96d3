"""One site's run: the objects every component of that site's crawler shares (reached through the
``ARSHIF_RUN`` Scrapy setting): settings, the site's spec, the run report, the archive index, the uploader,
the WARC writer and the extraction worker pool."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from pathlib import Path

from .archive.base import Archive, ArchiveUnavailable
from .archive.keys import warc_key
from .archive.uploader import Uploader
from .logctx import site_logger
from .report import RunReport, new_run_id
from .sites import get_site
from .state import ArticleIndex, archive_state_dir
from .warc import RollingWarcWriter
from .workers import ExtractWorkers

log = logging.getLogger("arshif.run")


def run_from(crawler) -> "SiteRun":
    """The crawler's ``SiteRun`` (the ``ARSHIF_RUN`` setting); components are not configured without one."""
    from scrapy.exceptions import NotConfigured

    run = crawler.settings.get("ARSHIF_RUN")
    if run is None:
        raise NotConfigured("no ARSHIF_RUN: arshif's components run only in arshif's crawls")
    return run


class RunComponent:
    """Base of arshif's Scrapy components: built from the crawler with its site's run."""

    def __init__(self, run: "SiteRun"):
        self.run = run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler))


class SiteRun:
    def __init__(self, settings, site_key: str, archive: Archive, uploader: Uploader, extract_pool: ExtractWorkers):
        self.settings = settings
        self.spec = get_site(site_key)
        self.cfg = settings.sites[site_key]
        self.archive = archive
        self.uploader = uploader
        self.extract_pool = extract_pool
        self.report = RunReport(new_run_id(site_key), site_key, archive.url)
        self.log = site_logger(log, site_key, self.report.run_id)
        self.state_dir = archive_state_dir(settings.archive.state_dir, archive.url)
        self.index = self._open_index()
        self._lock = threading.Lock()
        self._futures: list[Future] = []
        self.discovery_ok = 0
        self.discovery_failures: list[str] = []
        self.write_failures: list[str] = []
        warc_dir = self.state_dir / "warc" / site_key
        self._recover_warc(warc_dir)
        self.warc = RollingWarcWriter(warc_dir, self.report.run_id, settings.archive.warc_max_bytes,
                                      on_close=self._warc_closed,
                                      operator_info={"isPartOf": f"arshif {site_key}", "robots": "obey"
                                                     if settings.crawl.obey_robots else "ignore"})

    def __deepcopy__(self, memo) -> "SiteRun":
        # Scrapy deep-copies its settings; the run is a shared handle, never a value to copy.
        return self

    @property
    def site(self) -> str:
        return self.spec.key

    @property
    def base_url(self) -> str:
        return self.cfg.base_url

    def _open_index(self) -> ArticleIndex:
        index = ArticleIndex.at(self.state_dir, self.site)
        if not index.is_built():
            try:
                count = index.rebuild(self.archive)
                self.log.info("rebuilt the incremental index from the archive: %d articles", count)
            except ArchiveUnavailable as exc:
                self.log.warning("index not rebuilt, archive unavailable: %s", exc)
        return index

    # -- WARC files ------------------------------------------------------------------------------------

    def warc_key(self, name: str) -> str:
        return warc_key(self.site, self.report.started_at[:10], name)

    def _warc_closed(self, path: Path, name: str) -> None:
        self.track_file(self.uploader.submit_file(self.warc_key(name), path, content_type="application/warc",
                                                  metadata={"site": self.site, "run-id": self.report.run_id}))

    def _recover_warc(self, folder: Path) -> None:
        """WARC files left by a run that was killed: complete the name and archive them."""
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.warc.gz*")):
            final = path.with_name(path.name.removesuffix(".open"))
            if path != final:
                path.replace(final)
            date = final.name[:8]
            key = warc_key(self.site, f"{date[:4]}-{date[4:6]}-{date[6:8]}", final.name)
            self.log.warning("archiving WARC file %s left by an interrupted run", final.name)
            self.track_file(self.uploader.submit_file(key, final, content_type="application/warc",
                                                      metadata={"site": self.site}))

    # -- archive writes --------------------------------------------------------------------------------

    def track_file(self, future: Future) -> Future:
        """Follow a file's archive write (``Uploader.submit_file``) to the end of the run: list the key it
        wrote, or count it pending."""
        with self._lock:
            self._futures.append(future)

        def done(fut: Future) -> None:
            exc = fut.exception()
            if exc is not None:
                self.write_failed("file", exc)
                return
            with self._lock:
                if fut.result() is None:
                    self.report.count("pending")
                else:
                    self.report.keys_written.append(fut.result())

        future.add_done_callback(done)
        return future

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
