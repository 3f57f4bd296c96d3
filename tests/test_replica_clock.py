"""The replica on a clock: articles published over time, a fifth shown by no discovery document, id gaps that
are no article (a 404, a page that is no article)."""
import urllib.error
import urllib.request

import pytest

from replica.clock import Clock, Publish
from replica.server import ReplicaServer

FEEDS = {"elbalad": "/rss.aspx", "rt_arabic": "/rss/"}
SITEMAPS = {"elbalad": "/sitemaps/news.xml", "rt_arabic": "/sitemap.xml"}
ID_PATH = {"elbalad": "/{id}", "rt_arabic": "/news/{id}"}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_clock_publishes_hides_a_fifth_and_leaves_gaps():
    clock = Clock(every=0.05, ticks=5, steps=[Publish(per_tick=2)])
    with ReplicaServer(clock=clock) as replica:
        assert clock.done.wait(30) and clock.count == 5
        for site, base in replica.base_urls.items():
            before = {a.article_id for a in replica.articles(site) if a.article_id not in replica.gaps(site)}
            gaps = replica.gaps(site)
            hidden = replica.unlisted(site) - set(gaps)
            assert len(hidden) == 2                     # 10 published, every fifth hidden
            assert sorted(gaps.values()) == ["deleted", "page"]
            shown = _get(base + FEEDS[site])[1] + _get(base + SITEMAPS[site])[1]
            assert not any(f"{aid}" in shown for aid in replica.unlisted(site))
            for aid in hidden:                          # reachable at its own URL
                assert _get(base + ID_PATH[site].format(id=aid))[0] == 200
            for aid, kind in gaps.items():
                assert _get(base + ID_PATH[site].format(id=aid))[0] == (404 if kind == "deleted" else 200)
            assert len(before) >= 10


def test_clock_rejects_bad_settings():
    with pytest.raises(ValueError, match="every"):
        Clock(every=0, steps=[])
    with pytest.raises(ValueError, match="per_tick"):
        Publish(per_tick=0)
