"""The crawl's archive uploader (``crawler/archive/delivery/uploader.py``), wired for arshif: its outbox in the
archive's local state folder, and after every outbox replay the sites' local indexes told about the articles
written and one manifest stored per site (a run report of kind "flush"). This is the part of uploading that
knows the index (``crawler/archive/state/index.py``) and the run report (``crawler/run/report.py``), which ``crawler/archive``
does not."""
from __future__ import annotations

from collections import defaultdict
from functools import partial
from pathlib import Path

from crawler.archive.storage.base import Archive
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.archive.delivery.outbox import Outbox
from crawler.archive.delivery.uploader import FlushResult, Uploader
from crawler.outcomes import RunKind, RunResult
from crawler.run.report import RunReport, new_run_id

JSON = "application/json; charset=utf-8"


def open_uploader(archive: Archive, settings) -> Uploader:
    folder = archive_state_dir(settings.archive.state_dir, archive.url)
    return Uploader(archive, workers=settings.archive.s3.upload_workers, outbox=Outbox(folder / "outbox"),
                    after_flush=(partial(record_in_indexes, folder), store_flush_reports))


def record_in_indexes(state_dir: Path, result: FlushResult, uploader: Uploader) -> None:
    """Tell the sites' local indexes about the articles written, so the run that follows plans against
    them (an index that does not exist yet is rebuilt from the archive anyway)."""
    by_site = defaultdict(list)
    for site, record, key in result.stored:
        by_site[site].append((record, key))
    for site, items in by_site.items():
        if not ArticleIndex.path(state_dir, site).exists():
            continue
        index = ArticleIndex.at(state_dir, site)
        try:
            if index.is_built():
                for record, key in items:
                    index.record(record, key)
        finally:
            index.close()


def store_flush_reports(result: FlushResult, uploader: Uploader) -> None:
    """For every site the replay wrote something for, a run report of its own under ``runs/`` (``run_id``
    ending in ``-flush``) whose ``keys_written`` is the manifest of what it uploaded."""
    for site in sorted(set(result.counts) | set(result.keys)):
        if site == "unknown":
            continue
        report = RunReport(new_run_id(site) + "-flush", site, uploader.archive.url, kind=RunKind.FLUSH)
        for outcome, n in result.counts.get(site, {}).items():
            report.count(outcome, n)
        report.keys_written = list(result.keys.get(site, []))
        report.finish(RunResult.OK)
        uploader.submit_bytes(report.key, report.to_json(), content_type=JSON,
                              metadata={"site": site, "run-id": report.run_id}).result()
