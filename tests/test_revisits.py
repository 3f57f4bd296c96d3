"""Revisits and takedowns in the incremental index and the archive: when an article is due again, the
confirming second check of a takedown, the removal written into the record with its text and versions kept,
and the lag and removals the service's metrics give."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from crawler.archive.state.index import ArticleIndex
from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.store import PageOutcome, Planned, store_article, store_removal
from crawler.discover.revisits import due
from crawler.extract.record import encode

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
DELAYS = [3600.0, 21600.0, 86400.0, 259200.0, 604800.0]


def _rec(aid="a" * 20, published=T0, fetched=T0 + timedelta(minutes=2), text="نص", **more) -> dict:
    return {"id": aid, "site": "elbalad", "canonical_url": f"https://www.elbalad.news/{aid[:3]}",
            "published_at": published.isoformat(), "first_seen_at": published.isoformat(),
            "fetched_at": fetched.isoformat(), "content_sha256": str(hash(text)), "version": 1, "text": text, **more}


def _index(tmp_path) -> ArticleIndex:
    index = ArticleIndex(tmp_path / "index.sqlite", "elbalad")
    index.record(_rec(), "articles/site=elbalad/date=2026-12-01/aaa.json")
    return index


def test_an_article_is_due_at_each_delay_after_publication_once(tmp_path):
    index = _index(tmp_path)
    assert due(index, DELAYS, T0 + timedelta(minutes=59), 10) == []
    assert [aid for aid, _ in due(index, DELAYS, T0 + timedelta(minutes=61), 10)] == ["a" * 20]
    index.checked("a" * 20, (T0 + timedelta(minutes=61)).isoformat())
    assert due(index, DELAYS, T0 + timedelta(hours=5), 10) == []          # the 1 h revisit is done
    assert due(index, DELAYS, T0 + timedelta(hours=6, minutes=1), 10)     # the 6 h one is due
    index.checked("a" * 20, (T0 + timedelta(days=7, minutes=1)).isoformat())
    assert due(index, DELAYS, T0 + timedelta(days=30), 10) == []          # past the last delay: never again


def test_a_takedown_is_confirmed_by_a_second_check_and_then_not_revisited(tmp_path):
    index = _index(tmp_path)
    aid, first = "a" * 20, T0 + timedelta(hours=1)
    assert index.gone(aid, "HTTP 404", first) is None                     # suspected only
    assert [a for a, _ in due(index, DELAYS, first + timedelta(minutes=3), 10)] == [aid]   # checked again at once
    index.checked(aid, (first + timedelta(minutes=3)).isoformat())        # it answered after all: suspicion gone
    assert index.suspects() == []
    assert index.gone(aid, "HTTP 410", first + timedelta(hours=5)) is None
    assert index.gone(aid, "HTTP 404", first + timedelta(hours=5, minutes=3)) == "HTTP 410"   # confirmed
    index.mark_removed(aid, first + timedelta(hours=5, minutes=3))
    assert index.removed(aid) and due(index, DELAYS, T0 + timedelta(days=2), 10) == []


def test_a_removal_is_written_into_the_record_keeping_text_and_versions(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/archive")
    key = "articles/site=elbalad/date=2026-12-01/" + "a" * 20 + ".json"
    store_article(archive, Planned(PageOutcome.NEW, key, _rec(text="الأول")))
    store_article(archive, Planned(PageOutcome.UPDATED, key, _rec(text="الثاني", fetched=T0 + timedelta(hours=1))))
    versions = sorted(p.name for p in (tmp_path / "archive" / "versions").rglob("*.json"))
    assert store_removal(archive, key, "2026-12-01T14:00:00+00:00", "HTTP 301 to /category/2")
    assert store_removal(archive, key, "2026-12-02T00:00:00+00:00", "HTTP 404")      # already marked: kept
    rec = json.loads(archive.get(key))
    assert (rec["removed_at"], rec["removed_how"]) == ("2026-12-01T14:00:00+00:00", "HTTP 301 to /category/2")
    assert (rec["text"], rec["version"]) == ("الثاني", 2)
    assert sorted(p.name for p in (tmp_path / "archive" / "versions").rglob("*.json")) == versions == [
        json.loads(encode(_rec(text="الأول")))["content_sha256"] + ".json"]
    assert not store_removal(archive, key.replace("a" * 20, "b" * 20), "2026-12-01T14:00:00+00:00", "HTTP 404")


def test_metrics_give_lag_quantiles_and_removals_and_keep_watches_apart():
    from jobs.service.metrics import ServiceMetrics
    from tests.test_metrics import report, samples

    metrics = ServiceMetrics(["elbalad"])
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    crawl = report(finished=now, new=3)
    watch = report(finished=now, removed=2)
    watch.kind, watch.result = "watch", "failed"
    watch.lags = {"published": [60, 120, 600] + [30] * 17, "first_seen": [5] * 20}
    metrics.record(crawl)
    metrics.record(watch)
    values = samples(metrics)
    assert values[("arshif_lag_seconds", (("quantile", "0.5"), ("since", "published"), ("site", "elbalad")))] == 30
    assert values[("arshif_lag_seconds", (("quantile", "0.95"), ("since", "published"), ("site", "elbalad")))] == 120
    assert values[("arshif_lag_seconds", (("quantile", "0.95"), ("since", "first_seen"), ("site", "elbalad")))] == 5
    assert values[("arshif_removed_total", (("site", "elbalad"),))] == 2
    assert values[("arshif_watch_runs_total", (("result", "failed"), ("site", "elbalad")))] == 1
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "ok"), ("site", "elbalad")))] == 1


def test_a_version_written_by_a_revisit_says_it_was_found_by_a_revisit(tmp_path):
    """A real revisit: a crawl archives the replica's articles, one is edited, the next crawl fetches it again on
    its revisit schedule (before any discovery source could lead to it) and writes version 2, whose
    ``discovered_by`` says ``revisit`` (not null: a record says how this version was found)."""
    import time

    from crawler.discover.ids import number_in
    from crawler.extract.record import problems
    from crawler.sites import get_site
    from replica.server import ReplicaServer
    from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, run_reports

    with ReplicaServer(plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__REVISIT_AFTER='["3s", "1h"]')
        first = arshif("crawl", "elbalad", env=env)
        assert first.returncode == 0, first.stderr[-2000:]
        # the one fetched soonest after discovery showed it: its 3 s revisit is still ahead of its fetch
        record = min(archived(tmp_path / "archive"), key=lambda r: (datetime.fromisoformat(r["fetched_at"])
                                                                    - datetime.fromisoformat(r["first_seen_at"])))
        replica.edit(str(number_in(record["canonical_url"], get_site("elbalad"))), site="elbalad",
                     after=datetime.now(timezone.utc))
        # its revisit is due 3 s after discovery first showed it (the first_seen_at of the record, to the second)
        due_at = datetime.fromisoformat(record["first_seen_at"]) + timedelta(seconds=4)
        while datetime.now(timezone.utc) < due_at:
            time.sleep(0.05)
        second = arshif("crawl", "elbalad", env=env)
        assert second.returncode == 0, second.stderr[-2000:]
    assert run_reports(tmp_path / "archive", "elbalad")[-1]["counts"]["revisited"] > 0
    [edited] = [r for r in archived(tmp_path / "archive") if r["id"] == record["id"]]
    assert edited["version"] == 2 and edited["text"] != record["text"]
    assert edited["discovered_by"] == "revisit"
    assert problems(edited) == []
