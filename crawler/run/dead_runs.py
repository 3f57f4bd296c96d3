"""Runs that died: every run stores its report at its start (``result: "running"``), so a run whose process
dies (SIGKILL, OOM, power cut) leaves a report behind. Whoever next holds the site — the next run, which has
the site's lock (and its lease on S3), or ``arshif serve``'s runner, which saw its child die — completes that
report as ``killed``, with what the dead run wrote in ``keys_written``: the site's articles and past versions
stored since the dead run started that no later manifest lists (the lock kept every other crawl of the site
out; flushes and refetches list their own keys). So every article in ``articles/`` is in some manifest.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

from crawler import liveness
from crawler.archive.storage.base import Archive, ArchiveError
from crawler.archive.storage.keys import articles_prefix, key_date, runs_prefix, versions_prefix
from crawler.outcomes import RunResult
from crawler.run.report import RunReport

log = logging.getLogger("arshif.run")

JSON = "application/json; charset=utf-8"
#: how many of a site's newest reports are read for one left running (a dead run is the last, or nearly)
LOOK_BACK = 20


def _keys_since(archive: Archive, site: str, report: RunReport) -> list[str]:
    """Keys of ``site`` stored since ``report`` started that no manifest dated from then on lists."""
    since = datetime.fromisoformat(report.started_at)
    listed: set[str] = set()
    for key in archive.list(runs_prefix(site)):
        if key != report.key and (key_date(key) or "") >= report.started_at[:10]:
            data = archive.get(key)
            try:
                listed.update(json.loads(data or b"{}").get("keys_written") or [])
            except ValueError:
                continue
    return [key for prefix in (articles_prefix(site), versions_prefix(site))
            for key, stored in archive.list_info(prefix) if stored >= since and key not in listed]


def complete_dead_run(archive: Archive, report: RunReport, result: RunResult, reason: str) -> RunReport:
    """Complete the report of a run whose process died: ``result`` and ``reason``, the keys it wrote, stored."""
    report.keys_written = sorted(set(report.keys_written) | set(_keys_since(archive, report.site, report)))
    report.finish(result, reason)
    archive.put(report.key, report.to_json(), content_type=JSON, metadata={"site": report.site,
                                                                          "run-id": report.run_id})
    return report


def settle_dead_runs(archive: Archive, site: str, found_by: str) -> list[RunReport]:
    """Mark ``killed`` the reports of ``site`` left ``running``; the caller holds the site's lock (and lease),
    so no process of theirs should be alive — a report whose process is seen alive is left as it is. Returns the reports completed; an archive that does not answer is
    left for the next run."""
    settled = []
    try:
        keys = [k for k in archive.list(runs_prefix(site)) if k.endswith(".json")][-LOOK_BACK:]
        for key in reversed(keys):
            data = archive.get(key)
            try:
                report = RunReport.from_json(data) if data else None
            except (ValueError, TypeError):
                continue
            if report is None or report.result != RunResult.RUNNING:
                continue
            if report.process and liveness.alive(report.process):     # e.g. a crawl with another state folder
                log.warning("run %s of %s is still running (pid %s on %s): not marked killed", report.run_id, site,
                            report.pid, report.host)
                continue
            who = f"pid {report.pid} on {report.host}" if report.pid else "its process"
            complete_dead_run(archive, report, RunResult.KILLED,
                              f"the crawl ({who}) died before completing its report; found by run {found_by}")
            log.warning("run %s of %s was left running by a process that died: marked killed, %d keys it "
                        "wrote listed in its report", report.run_id, site, len(report.keys_written))
            settled.append(report)
    except ArchiveError as exc:
        log.warning("reports of runs that died not checked, archive unavailable: %s", exc)
    return settled
