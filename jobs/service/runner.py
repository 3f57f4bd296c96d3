"""One crawl of one site as a child process (``arshif crawl SITE``), with a time limit, for ``arshif serve``.

Each run is its own process, in its own process group: Scrapy's reactor cannot be restarted in one process,
and a crawl that crashes or hangs can be killed whole without touching the service. A crawl told to stop
(past its ``time_limit``, or at the end of the service's shutdown grace) gets SIGTERM, which Scrapy turns
into a clean close, then after ``service.stop_timeout`` SIGKILL for its whole process group. Its lock dies
with it.

The run's id and deadline are fixed here, when the process is started, and given to it (``arshif crawl SITE
--run-id ID --deadline ISO``): the crawl closes itself at that deadline (``crawler.run.deadline``), this
runner stops the process at the same instant, and reads the report stored under that very id.

Every run ends with a run report in the archive: the one the crawl wrote, or — when it was stopped or died
without one — a failed report written here (a report the stopped crawl did write is marked failed, with
the reason it was stopped, unless it says the run was crawled to its end: then only the exit was late).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from crawler.archive.storage.base import Archive
from crawler.display import human_duration
from crawler.logctx import site_logger
from crawler.outcomes import RunKind, RunResult
from crawler.run.dead_runs import complete_dead_run
from crawler.run.lock import LockBusy
from crawler.run.report import RunReport, new_run_id


log = logging.getLogger("arshif.serve")

JSON = "application/json; charset=utf-8"


@dataclass
class _Child:
    site: str
    proc: subprocess.Popen
    report: RunReport           # where the crawl stores its report: its run id and start (the spawn)
    stop_reason: str | None = None


class CrawlRunner:
    """Runs ``command + [site]`` for one site at a time per call of :meth:`run` (thread-safe)."""
    def __init__(self, settings, command: list[str], archive: Archive,
                 on_report: Callable[[RunReport], None] = lambda report: None):
        self.settings = settings
        self.command = command
        self.archive = archive
        self.on_report = on_report
        self._children: dict[int, _Child] = {}
        # one run of a site at a time from this service: a full run waits for a feed watch to end, a watch is
        # skipped while any run of its site is on (the crawl lock would refuse it anyway)
        self._site_locks: dict[str, threading.Lock] = {}
        self._closed = False
        self._cond = threading.Condition()

    # -- one run ---------------------------------------------------------------------------------------

    def run(self, site: str, watch: bool = False) -> RunReport | None:
        """Crawl ``site`` now and return its run report (None when not run: closing, or its lock was busy).
        ``watch``: a feed watch (``arshif crawl --watch``), skipped while another run of the site is on."""
        with self._cond:
            lock = self._site_locks.setdefault(site, threading.Lock())
        if not lock.acquire(blocking=not watch):
            return None
        try:
            return self._run(site, watch)
        finally:
            lock.release()

    def _run(self, site: str, watch: bool) -> RunReport | None:
        limit = self.settings.sites[site].time_limit
        with self._cond:
            if self._closed:
                return None
            spawned = datetime.now(timezone.utc)          # the run's start (its id and report name its second)
            deadline = spawned + timedelta(seconds=limit)
            run_id = new_run_id(site, spawned)
            proc = subprocess.Popen([*self.command, site, "--run-id", run_id, "--deadline", deadline.isoformat(),
                                     *(["--watch"] if watch else [])],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
            report = RunReport(run_id, site, self.archive.url, kind=RunKind.WATCH if watch else RunKind.CRAWL,
                               started_at=spawned.isoformat(timespec="seconds"))
            child = self._children[proc.pid] = _Child(site, proc, report)
        slog = site_logger(log, site, run_id)
        try:
            slog.info("%s: %s started (pid %d, time limit %s)", site, "feed watch" if watch else "crawl", proc.pid,
                      human_duration(limit))
            try:
                proc.wait(timeout=max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds()))
            except subprocess.TimeoutExpired:
                self._stop([child], f"time limit {human_duration(limit)} exceeded")
            if proc.returncode == LockBusy.exit_code and child.stop_reason is None:
                slog.warning("%s: not crawled: another crawl of the site holds its lock", site)
                return None
            report = self._settle(child)
            self.on_report(report)
            return report
        finally:
            with self._cond:
                del self._children[proc.pid]
                self._cond.notify_all()

    def _stop(self, children: list[_Child], reason: str) -> None:
        """SIGTERM each crawl (a clean close), then SIGKILL the process group of those still running."""
        for child in children:
            child.stop_reason = child.stop_reason or reason
            site_logger(log, child.site).warning("%s: stopping the crawl (pid %d): %s", child.site,
                                                 child.proc.pid, reason)
            child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.service.stop_timeout
        for child in children:
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                site_logger(log, child.site).warning("%s: the crawl did not stop within %s: killing it",
                                                     child.site, human_duration(self.settings.service.stop_timeout))
                try:
                    os.killpg(child.proc.pid, signal.SIGKILL)  # unreaped, so the group id is still ours
                except ProcessLookupError:  # it ended in the meantime
                    pass
                child.proc.wait()

    def _settle(self, child: _Child) -> RunReport:
        """The run's report: the crawl's own when it ended by itself or completed its run before it was stopped
        (a report of a run crawled to its end: the stop cut nothing short, the process was only still exiting,
        which on a loaded machine can take seconds), else one written (or amended) here."""
        report = self._stored_report(child)
        if report is not None and report.result == RunResult.RUNNING:     # it died before completing it
            result = RunResult.FAILED if child.stop_reason else RunResult.KILLED
            report = complete_dead_run(self.archive, report, result,
                                       child.stop_reason or _exit_reason(child.proc.returncode, report=True))
        elif report is not None and (child.stop_reason is None or report.result.completed):
            return report
        elif report is None:
            report = child.report
            report.finish(RunResult.FAILED, child.stop_reason or _exit_reason(child.proc.returncode))
        elif child.stop_reason is not None:
            report.result, report.reason = RunResult.FAILED, child.stop_reason
        self.archive.put(report.key, report.to_json(), content_type=JSON,
                         metadata={"site": child.site, "run-id": report.run_id})
        site_logger(log, child.site, report.run_id).error(
            "run finished: %s", report.summary(),
            extra={"result": report.result, "duration_s": report.duration_s, "counts": report.told_counts()})
        return report

    def _stored_report(self, child: _Child) -> RunReport | None:
        """The report the crawl stored under the run id it was given, if any."""
        data = self.archive.get(child.report.key)
        return RunReport.from_json(data) if data else None

    # -- the service's shutdown ------------------------------------------------------------------------

    def close(self) -> None:
        """Start no new crawl from now on."""
        with self._cond:
            self._closed = True

    def running(self) -> list[str]:
        with self._cond:
            return [child.site for child in self._children.values()]

    def wait_idle(self, timeout: float | None, interrupted: threading.Event | None = None) -> bool:
        """Wait until no crawl runs (their reports written), at most ``timeout`` seconds or until
        ``interrupted`` is set. True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._children:
                if interrupted is not None and interrupted.is_set():
                    return False
                left = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stop_all(self, reason: str) -> None:
        with self._cond:
            children = list(self._children.values())
        self._stop(children, reason)


def _exit_reason(code: int, report: bool = False) -> str:
    without = "before completing its run report" if report else "without a run report"
    if code < 0:
        return f"crawl killed by signal {signal.Signals(-code).name} {without}"
    return f"crawl exited with status {code} {without}"
