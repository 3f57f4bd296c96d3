"""A site's history is its crawls: outbox-flush manifests in runs/ are not runs of the site."""
from crawler.archive.storage.local import LocalArchive
from crawler.run.report import RunReport
from jobs.service.history import SiteHistory


def store(archive, run_id, result, kind="crawl"):
    report = RunReport(run_id, "elbalad", archive.url, kind=kind, started_at="2026-11-23T10:00:00+00:00")
    report.finish(result)
    archive.put(report.key, report.to_json(), content_type="application/json")


def test_flush_manifests_do_not_count_as_runs(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}")
    store(archive, "20261123T100000Z-elbalad-aaaa", "ok")
    store(archive, "20261123T100500Z-elbalad-bbbb", "failed")
    store(archive, "20261123T100600Z-elbalad-cccc-flush", "ok", kind="flush")   # newer, "ok", but a flush
    history = SiteHistory.load(archive, "elbalad", window=3)
    assert [r.run_id for r in history.runs] == ["20261123T100500Z-elbalad-bbbb", "20261123T100000Z-elbalad-aaaa"]
    assert history.last_run.result == "failed" and history.consecutive_failures == 1
    assert history.last_success.run_id == "20261123T100000Z-elbalad-aaaa"
