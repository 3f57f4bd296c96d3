"""Signs of life during a crawl: a progress line every ``crawl.progress_interval`` and, in ``arshif status``,
the running run's figures so far (from the state folder)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from crawler.archive.state.index import archive_state_dir
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env

pytestmark = pytest.mark.slow       # a whole crawl in a child process


def wait_for(predicate, what: str, timeout: float = 120.0):
    """Poll ``predicate`` until it gives something (the event), failing after ``timeout`` (never reached when
    all is well: not a timing assertion)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def test_a_running_crawl_logs_its_progress_and_status_shows_it(tmp_path):
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        # one article stalls until the replica stops: the crawl cannot end before the test has looked at it
        stalled = next(a for a in replica.articles("elbalad") if a.kind != "not_article")
        replica.inject("stall", stalled.url_path, site="elbalad", seconds=600)
        env = crawl_env(replica, tmp_path, ARSHIF_CRAWL__PROGRESS_INTERVAL="0.2s",
                        ARSHIF_CRAWL__DOWNLOAD_TIMEOUT="600s", ARSHIF_CRAWL__RETRY_TIMES="0")
        progress = archive_state_dir(str(tmp_path / "state"), env["ARSHIF_ARCHIVE__URL"]) / "progress-elbalad.json"

        def fetched_some():
            try:
                doc = json.loads(progress.read_text("utf-8"))
            except (OSError, ValueError):
                return None
            return doc if doc["counts"]["fetched"] >= 1 else None

        log = open(tmp_path / "crawl.log", "w")
        crawl = subprocess.Popen([sys.executable, "-m", "jobs.cli", "crawl", "elbalad"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
        try:
            doc = wait_for(fetched_some, "a progress figure with a page fetched")
            status = arshif("status", "elbalad", env=env)
            shown = arshif("status", "elbalad", "--json", env=env)
        except BaseException:
            crawl.kill()
            raise
        finally:
            log.close()
    # the replica has stopped: the stalled page fails at once and the crawl ends
    assert crawl.wait(timeout=180) in (0, 1, 3)
    assert "  running       since " in status.stdout, status.stdout
    [so_far] = [line for line in status.stdout.splitlines() if line.startswith("  so far ")]
    assert "fetched " in so_far and "articles to fetch" in so_far
    running = json.loads(shown.stdout)["sites"][0]["running"]
    assert running["run_id"] == doc["run_id"] and running["counts"]["fetched"] >= 1
    lines = (tmp_path / "crawl.log").read_text("utf-8").splitlines()
    assert any("arshif.run: progress: " in line and " pages fetched (" in line for line in lines), lines
    assert not progress.exists()                     # the run is over: nothing left that status could show
