"""A crawl killed at any moment loses nothing and duplicates nothing (local archive)."""
import os
import signal
import subprocess
import sys
import time

import pytest

from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, expected_urls, run_reports
from tests.waiting import wait_until

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')


@pytest.fixture
def replica():
    with ReplicaServer(port=0, plain=PLAIN) as server:
        yield server


def test_sigkill_mid_crawl_then_rerun(replica, tmp_path):
    env = crawl_env(replica, tmp_path)
    replica.stall_after(8, "elbalad")                        # it cannot end before it is killed
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "crawl", "elbalad"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def five_articles():
        assert proc.poll() is None, "the crawl ended before it could be killed"
        return len(list((tmp_path / "archive").rglob("articles/**/*.json"))) >= 5

    wait_until(five_articles, "5 articles archived")
    os.killpg(proc.pid, signal.SIGKILL)                      # the crawl and its extraction workers
    proc.wait()
    partial = len(archived(tmp_path / "archive"))
    assert 5 <= partial < len(expected_urls(replica, "elbalad"))
    assert list((tmp_path / "state").rglob("*.warc.gz.open")), "the killed run left its WARC file open"

    # what a write killed an hour ago left (the kill above may have left one too, too young to remove)
    stale = next((tmp_path / "archive" / "articles").rglob("*.json")).parent / ".tmp-killed.part"
    stale.write_bytes(b'{"id": "half')
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    replica.stall(False, "elbalad")
    again = arshif("crawl", "elbalad", env=crawl_env(replica, tmp_path))
    assert again.returncode == 0, again.stderr[-3000:]
    urls = [r["canonical_url"] for r in archived(tmp_path / "archive") if r["site"] == "elbalad"]
    assert sorted(urls) == sorted(expected_urls(replica, "elbalad"))       # all of them, each once
    assert not stale.exists() and "partial file(s) that writes killed midway left" in again.stderr
    assert all(time.time() - p.stat().st_mtime < 3600 for p in (tmp_path / "archive").rglob(".tmp-*"))
    assert not list((tmp_path / "state").rglob("*.warc.gz*")), "the interrupted run's WARC was not archived"
    warcs = list((tmp_path / "archive" / "warc").rglob("*.warc.gz"))
    assert len(warcs) == 2                                   # the killed run's, recovered, and the rerun's
    # every article is in some run's manifest: the killed run's report, written at its start, was marked
    # killed by the rerun and lists what the killed run wrote
    reports = {r["run_id"]: r for r in run_reports(tmp_path / "archive", "elbalad")}
    [killed] = [r for r in reports.values() if r["result"] == "killed"]
    [rerun] = [r for r in reports.values() if r["result"] == "ok"]
    # started_at is to the second, and on a quick machine both runs start within one: run ids sort by start
    # time to a fraction of the second (crawler/run/report.new_run_id)
    assert killed["pid"] == proc.pid and killed["run_id"] < rerun["run_id"]
    assert killed["reason"].startswith(f"the crawl (pid {proc.pid} on ") and rerun["run_id"] in killed["reason"]
    listed = set(killed["keys_written"]) | set(rerun["keys_written"])
    articles = {str(p.relative_to(tmp_path / "archive")) for p in (tmp_path / "archive" / "articles").rglob("*.json")}
    assert partial <= len(set(killed["keys_written"]) & articles)
    assert articles <= listed
    verified = arshif("verify", "--archive", env["ARSHIF_ARCHIVE__URL"], env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 articles in no manifest," in verified.stdout and " 0 problems" in verified.stdout
