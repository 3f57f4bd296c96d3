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
            # each new article's own instant, which its pages give to the minute only
            instants = clock.steps[0].published_at[site]
            assert len(instants) == 10 and not set(instants) & set(gaps)
            for article in replica.articles(site):
                if article.article_id in instants:
                    assert 0 <= (instants[article.article_id] - article.published).total_seconds() < 61


def test_clock_rejects_bad_settings():
    with pytest.raises(ValueError, match="every"):
        Clock(every=0, steps=[])
    with pytest.raises(ValueError, match="per_tick"):
        Publish(per_tick=0)


def test_changes_wait_for_ready_articles_and_stop_at_their_limit():
    """Edits and takedowns change only the articles ``ready`` names (a test: those archived), at most ``limit``
    a site, the oldest first."""
    from replica.changes import Edit, TakeDown

    asked = []

    def ready(site, aid):
        asked.append(aid)
        return int(aid) % 2 == 0

    edit = Edit(every=1, min_ticks=0, ready=ready, limit=2)
    takedown = TakeDown(every=1, min_ticks=0, ready=ready, limit=1)
    clock = Clock(every=0.02, ticks=10, steps=[Publish(per_tick=1, hide_every=0, gap_every=0), edit, takedown])
    with ReplicaServer(clock=clock) as replica:
        assert clock.done.wait(30)
        for site in replica.base_urls:
            edited, taken = edit.changed[site], takedown.changed[site]
            assert len(edited) == 2 and len(taken) == 1 and not set(edited) & set(taken)
            assert all(int(aid) % 2 == 0 for aid in edited + taken) and edited == sorted(edited, key=int)
            assert set(taken) == set(replica.taken_down(site))
            assert all(a.edits for a in replica.articles(site) if a.article_id in edited)
    assert any(int(aid) % 2 for aid in asked)           # odd ones were asked about, and left alone
    with pytest.raises(ValueError, match="limit"):
        Edit(limit=0)
