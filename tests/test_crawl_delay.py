"""robots.txt's Crawl-delay is honoured: with AutoThrottle on (the default pacing) and a Crawl-delay the site
asks for, no two requests of the run reach the site closer together than that delay. (A lower bound on the
spacing: a loaded machine can only widen it, but for the few ms a request may take on loopback.)"""
from __future__ import annotations

import pytest

from replica import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env, run_reports

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITE = "elbalad"
DELAY = 0.4     # seconds; ~20 requests (discovery and 6 articles) in a run


def test_requests_are_spaced_by_the_crawl_delay_robots_txt_asks(tmp_path):
    with ReplicaServer(plain=PLAIN) as replica:
        replica.inject("crawl_delay", "/robots.txt", site=SITE, seconds=DELAY)
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__MAX_PAGES="6", ARSHIF_CRAWL__AUTOTHROTTLE="true")
        done = arshif("crawl", env=env)
        arrivals = replica.arrivals(SITE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"robots.txt Crawl-delay: one request every {DELAY}s" in done.stderr + done.stdout
    after_robots = [t for t, path in arrivals][[p for _, p in arrivals].index("/robots.txt") + 1:]
    assert len(after_robots) >= 6
    gaps = [b - a for a, b in zip(after_robots, after_robots[1:])]
    # requests leave exactly DELAY apart; their arrival may vary by a few ms (more on a loaded machine)
    assert min(gaps) >= DELAY - 0.1, gaps
    assert run_reports(tmp_path / "archive", SITE)[-1]["counts"]["new"] >= 1


def test_without_a_crawl_delay_the_pace_is_autothrottle_s_alone(tmp_path):
    with ReplicaServer(plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__MAX_PAGES="6")
        done = arshif("crawl", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Crawl-delay" not in done.stderr + done.stdout
