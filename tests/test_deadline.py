"""One deadline per run, fixed when it starts: Scrapy's close timeout counts to it (not from the spider's
opening), and ``arshif serve`` gives it — with the run's id — to the crawl process it starts."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from crawler.archive.storage.local import LocalArchive
from crawler.archive.delivery.uploader import Uploader
from crawler.config import load_settings
from crawler.run.report import new_run_id, run_started
from crawler.run.site_run import open_run
from replica import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env


@pytest.fixture
def opener(tmp_path):
    settings = load_settings(environ={"ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
                                      "ARSHIF_SITES__ELBALAD__TIME_LIMIT": "10m"})
    archive = LocalArchive(f"file://{tmp_path}/archive")
    uploader = Uploader(archive)
    runs = []

    def open_(**kwargs):
        runs.append(open_run(settings, "elbalad", archive, uploader, extract_pool=None, **kwargs))
        return runs[-1]

    yield open_
    for run in runs:
        run.warc.close()
        run.wait_for_writes()
        run.index.close()
    uploader.close()


def test_the_deadline_is_the_runs_start_plus_its_time_limit(opener):
    started = datetime(2026, 12, 3, 23, 59, 59, 700000, tzinfo=timezone.utc)
    run = opener(started=started)
    assert run.deadline == started + timedelta(minutes=10)
    assert run.report.started_at == "2026-12-03T23:59:59+00:00" and run.report.run_id.startswith("20261203T235959Z-")


def test_a_run_told_its_id_starts_when_the_id_says_and_is_stored_under_it(opener):
    run_id = new_run_id("elbalad", datetime(2026, 12, 3, 23, 59, 59, tzinfo=timezone.utc))
    deadline = datetime(2026, 12, 4, 0, 25, tzinfo=timezone.utc)
    run = opener(run_id=run_id, deadline=deadline)
    assert run.report.run_id == run_id and run.deadline == deadline
    assert run.report.key == f"runs/site=elbalad/date=2026-12-03/{run_id}.json"     # the day of its start
    assert run_started(run_id, "elbalad") == datetime(2026, 12, 3, 23, 59, 59, tzinfo=timezone.utc)
    for wrong in ("20261203T235959Z-rt_arabic-0a0b", "elbalad-0a0b", run_id + "x"):
        with pytest.raises(ValueError):
            run_started(wrong, "elbalad")


def test_run_ids_sort_by_start_also_within_one_second():
    """Reports are read newest first by key: two runs started in one second (a run can take less) must
    sort as they started, whatever the order of their sites' names."""
    second = datetime(2026, 12, 3, 23, 59, 59, tzinfo=timezone.utc)
    starts = [second.replace(microsecond=us) for us in (0, 16, 250_000, 500_000, 999_999)]
    ids = [new_run_id("elbalad", when) for when in starts]
    assert sorted(ids) == ids and len(set(ids)) == len(ids)
    assert all(run_started(i, "elbalad") == second for i in ids)
    assert new_run_id("elbalad", second + timedelta(seconds=1)) > ids[-1]


def test_a_crawl_past_its_deadline_when_the_spider_opens_stops_at_once(tmp_path):
    """The deadline, not the spider's opening, starts the clock: told a deadline already past, the crawl is
    closed as over its time limit at once (Scrapy's own CLOSESPIDER_TIMEOUT would have crawled for 25m),
    and its report is stored under the run id it was given."""
    run_id = new_run_id("elbalad")
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path)
        done = arshif("crawl", "elbalad", "--run-id", run_id, "--deadline",
                      (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(), env=env)
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    assert "time limit 25m exceeded" in done.stdout and f"[run {run_id}]" in done.stdout
    report = json.loads((tmp_path / "archive" / "runs" / "site=elbalad" /
                         f"date={run_started(run_id, 'elbalad'):%Y-%m-%d}" / f"{run_id}.json").read_text())
    assert (report["result"], report["reason"]) == ("failed", "time limit 25m exceeded")
    assert report["counts"]["new"] == 0
    assert not list((tmp_path / "archive").glob("articles/**/*.json"))


@pytest.mark.parametrize("args, message", [
    (["elbalad", "--run-id", "20261203T120000Z-rt_arabic-0a0b"], "is not a run id of site elbalad"),
    (["elbalad", "rt_arabic", "--run-id", "20261203T120000Z-elbalad-0a0b"], "give exactly one SITE"),
])
def test_a_wrong_run_id_is_one_line_and_exit_2(tmp_path, args, message):
    done = arshif("crawl", *args, env={"ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive",
                                       "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
