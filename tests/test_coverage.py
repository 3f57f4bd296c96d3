"""Completeness by id continuity (crawler/discover/ids.py), freshness, revisits and takedowns end to end:
`arshif serve` against a replica that publishes over time, shows a fifth of its new articles in no feed, sitemap
or listing, edits some and takes some down archives every article once (the hidden ones through their own id
URL), every edit as a version and every takedown as a removal; the run reports, `arshif status` and the metrics
give coverage 100%, lag and removals. Then the coverage arithmetic itself, and a run that leaves holes unprobed
is degraded."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawler.discover.ids import coverage, number_in
from crawler.run.report import RunReport
from crawler.sites import get_site
from jobs.service.lag import lag_summary
from replica.clock import Clock, Publish
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, run_reports
from tests.test_serve import stop, wait_for

SITES = ("elbalad", "rt_arabic")
#: probes on, over a range that holds every number published during the test and a few of the base corpus's
#: (numbered 7–400 apart: corpus.build), sparse ranges not shrinking the budget
PROBES = {f"ARSHIF_SITES__{site.upper()}__{key}": value for site in SITES
          for key, value in (("ID_PROBES", "150"), ("ID_WINDOW", "80"), ("ID_RECHECKS", "2"),
                             ("ID_SPARSE_BELOW", "0.01"))}


def _number(record: dict) -> str:
    return str(number_in(record["canonical_url"], get_site(record["site"])))


def _final(reports: list[dict], after: str) -> dict | None:
    """The first report of a full run started after ``after`` whose id range has no hole left."""
    return next((r for r in reports if r["kind"] == "crawl" and r["started_at"] > after
                 and r["result"] in ("ok", "degraded")
                 and r["ids"] and r["ids"]["unprobed"] == 0), None)


#: the clock: an article a site every 3 s for 48 ticks (2 min 24 s of publishing), a fifth hidden, an id gap
#: after every fourth; every other tick an edit and a takedown of an archived article a site, CHANGES of each
#: (the clock ticks on, publishing no more, until they are all made)
EVERY, TICKS, CHANGES = 3.0, 48, 6
#: revisits past publication up to ten minutes: later than any change (made to the oldest unchanged archived
#: article, seconds to a minute old on a quiet machine), so every change is seen whatever the machine's pace
REVISITS = '["5s", "10s", "15s", "20s", "30s", "40s", "50s", "60s", "80s", "100s", "120s", "180s", "300s", "600s"]'
#: full runs (sitemaps, listings, id probes) every 15 s, a feed watch every 3 s between them
SCHEDULE = {f"ARSHIF_SITES__{site.upper()}__{key}": value for site in SITES for key, value in
            (("EVERY", "15s"), ("WATCH_EVERY", "3s"), ("REVISIT_AFTER", REVISITS))}


def _archived_numbers(archive, site: str) -> set[str]:
    try:
        return {_number(r) for r in archived(archive, f"articles/site={site}")}
    except (OSError, ValueError):       # a record being written: not archived yet
        return set()


def _first(ticks: int, step):
    """``step`` on the clock's first ``ticks`` ticks only."""
    return lambda state, tick: step(state, tick) if tick < ticks else None


def _removed_how(status: int, location: str | None) -> str:
    return f"HTTP {status}" + (f" to {location}" if location else "")


@pytest.mark.slow
def test_serve_archives_every_article_its_edits_and_takedowns_coverage_100_and_status_shows_lag(tmp_path,
                                                                                             record_property):
    """``arshif serve`` while the replica publishes for over two minutes, a fifth of it hidden from every
    discovery source, with id gaps that are no article, edits and takedowns: every article archived once (the
    hidden ones through their id), every edit a version, every takedown recorded, coverage 100% per site and
    per day, and ``arshif status`` and the metrics giving coverage, lag and removals as the run reports do."""
    from replica.changes import Edit, TakeDown

    archive, textfile = tmp_path / "archive", tmp_path / "arshif.prom"
    ready = lambda site, aid: aid in _archived_numbers(archive, site)    # noqa: E731 (changes only what is archived)
    edit = Edit(every=2, min_ticks=2, ready=ready, limit=CHANGES)
    takedown = TakeDown(every=2, min_ticks=2, ready=ready, limit=CHANGES)
    publish = Publish(per_tick=1)
    clock = Clock(every=EVERY, steps=[_first(TICKS, publish), edit, takedown])
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        env = crawl_env(replica, tmp_path, **PROBES, **SCHEDULE, ARSHIF_CRAWL__EXTRACT_WORKERS="1",
                        ARSHIF_SERVICE__GRACE="60s", ARSHIF_SERVICE__METRICS_TEXTFILE=str(textfile))
        log = (tmp_path / "serve.log").open("w")        # read at the end: a pipe left unread would block it
        proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log, text=True)

        def caught_up() -> bool:
            """A full run after the publishing with no hole left, every edit a version, every takedown recorded."""
            if not all(_final(run_reports(archive, s), published_by) for s in SITES):
                return False
            records = archived(archive)
            versioned = {(r["site"], _number(r)) for r in records if r["version"] >= 2}
            removed = {(r["site"], _number(r)) for r in records if r.get("removed_at")}
            return all({(site, aid) for aid in edit.changed.get(site, ())} <= versioned
                       and {(site, aid) for aid in takedown.changed.get(site, ())} <= removed for site in SITES)

        try:
            wait_for(lambda: clock.count >= TICKS and all(
                len(step.changed.get(site, ())) == CHANGES for step in (edit, takedown) for site in SITES),
                600, "the clock's publishing and changes")
            clock.stop()
            published_by = datetime.now(timezone.utc).isoformat(timespec="seconds")
            wait_for(caught_up, 600, "a full run after the publishing with no hole left in either site's numbers, "
                                     "every edit archived as a version and every takedown recorded")
        finally:
            code, _ = stop(proc, timeout=120)
            log.close()
        assert code == 0, (tmp_path / "serve.log").read_text()[-3000:]
        served = {site: {a.article_id for a in replica.articles(site) if a.kind != "not_article"} for site in SITES}
        hidden = {site: replica.unlisted(site) - set(replica.gaps(site)) for site in SITES}
        gaps = {site: replica.gaps(site) for site in SITES}
        taken = {site: replica.taken_down(site) for site in SITES}

    records, versions = archived(archive), archived(archive, "versions")
    for site in SITES:
        mine = [r for r in records if r["site"] == site]
        numbers = [_number(r) for r in mine]
        assert len(numbers) == len(set(numbers)), site                       # one record per article
        by_number = dict(zip(numbers, mine))
        # every article published, the taken down ones too, archived; the gaps are no article
        assert served[site] | set(taken[site]) <= set(numbers), (site, served[site] - set(numbers))
        assert set(publish.published_at[site]) <= set(numbers)
        assert not set(gaps[site]) & set(numbers)
        assert len(hidden[site]) == TICKS // 5                              # a fifth of the new articles
        for number in hidden[site]:                                         # each found through its own URL
            assert by_number[number]["discovered_by"] == "id_probe", (site, number)
        listed = [r for r in mine if r["discovered_by"] in ("feed", "sitemap", "listing")]
        assert listed and all(_number(r) not in hidden[site] for r in listed)
        # first seen when discovery showed it, never before it was published (a probe of a number not given yet
        # is no sighting); a probe's find is first seen when it is fetched
        for number, instant in publish.published_at[site].items():
            rec = by_number[number]
            assert rec["first_seen_at"] >= instant.isoformat(timespec="seconds"), (site, number, instant, rec)
            assert number not in hidden[site] or rec["first_seen_at"] == rec["fetched_at"], rec
        # every edit a version, its earlier one kept; no version of an article that was not edited
        edited, removed = edit.changed[site], takedown.changed[site]
        assert len(edited) == len(removed) == CHANGES and not set(edited) & set(removed)
        kept = {}
        for version in (v for v in versions if v["site"] == site):
            kept.setdefault(_number(version), []).append(version)
        assert set(kept) == set(edited), site
        for number, rec in by_number.items():
            assert rec["version"] == len(kept.get(number, ())) + 1 == (2 if number in edited else 1), (site, number)
        for number in edited:
            (earlier,) = kept[number]
            assert earlier["id"] == by_number[number]["id"] and earlier["text"] != by_number[number]["text"]
            assert not by_number[number].get("removed_at")
        # every takedown recorded, its text kept
        assert set(removed) == set(taken[site])
        for number in removed:
            rec = by_number[number]
            assert rec["removed_how"] == _removed_how(*taken[site][number]) and rec["text"], rec
            assert rec["first_seen_at"] <= rec["fetched_at"] < rec["removed_at"]
        assert not [r for r in mine if r.get("removed_at") and _number(r) not in removed]
        # the run reports: coverage 100% per site and per day in the final run, watches, revisits, removals
        reports = run_reports(archive, site)
        final = _final(reports, published_by)
        assert final["ids"]["coverage"] == 1.0 and final["ids"]["gaps"] >= len(gaps[site]), final["ids"]
        assert all(day["coverage"] == 1.0 for day in final["ids"]["days"].values())
        assert [r for r in reports if r["kind"] == "watch"]
        assert all(r["result"] == "ok" for r in reports if r["kind"] == "watch"), site
        assert sum(r["counts"].get("revisited", 0) for r in reports) > 0
        assert sum(r["counts"].get("removed", 0) for r in reports) == len(removed)

    # arshif status, text and JSON, and the metrics: coverage, lag and removals as the reports give them
    status_env = {**env, "ARSHIF_STATUS__NO_NEW_RUNS": "1000"}
    shown = arshif("status", env=status_env)
    assert shown.returncode in (0, 1), shown.stdout + shown.stderr
    doc = json.loads(arshif("status", "--json", env=status_env).stdout)
    metrics = {(s.name, s.labels.get("site"), s.labels.get("day") or s.labels.get("since"),
                s.labels.get("quantile")): s.value
               for family in text_string_to_metric_families(textfile.read_text()) for s in family.samples}
    assert "lag (24h)     published → archived p50" in shown.stdout
    for site in doc["sites"]:
        name, reports = site["site"], run_reports(archive, site["site"])
        crawls = [r for r in reports if r["kind"] == "crawl" and r["result"] != "running"]
        assert site["coverage"] == crawls[-1]["ids"] and site["coverage"]["coverage"] == 1.0
        assert f"coverage      {site['coverage']['coverage']:.1%}" in shown.stdout
        assert metrics["arshif_coverage_ratio", name, "all", None] == 1.0
        lag = site["lag"]
        assert lag == lag_summary(RunReport.from_json(json.dumps(r)) for r in reports)
        assert lag["published"]["n"] >= len(publish.published_at[name]) - len(hidden[name])
        assert lag["first_seen"]["n"] == lag["published"]["n"]
        for since in ("published", "first_seen"):
            assert metrics["arshif_lag_seconds", name, since, "0.5"] == lag[since]["p50"]
            assert metrics["arshif_lag_seconds", name, since, "0.95"] == lag[since]["p95"]
        assert site["removed"] == len(taken[name]) == metrics["arshif_removed_total", name, None, None]
        assert f"removals      {site['removed']} recorded in the last 24h" in shown.stdout
        record_property(f"lag_{name}", lag)
        print(f"{name}: lag published → archived p50 {lag['published']['p50']}s p95 {lag['published']['p95']}s, "
              f"first seen → archived p50 {lag['first_seen']['p50']}s p95 {lag['first_seen']['p95']}s over "
              f"{lag['published']['n']} articles; coverage {site['coverage']['coverage']:.0%}; "
              f"removed {site['removed']}")


def test_coverage_counts_archived_over_numbers_that_are_articles_per_day():
    numbers = {10: ("archived", "2026-12-01", 0), 11: ("gone", None, 1), 13: ("archived", "2026-12-02", 0),
               14: ("not_article", None, 3)}
    cov = coverage(numbers, 10, 15)
    assert (cov["ids"], cov["archived"], cov["gaps"], cov["unprobed"]) == (6, 2, 2, 2)
    assert cov["coverage"] == 0.5                                     # 2 of the 4 numbers that may be articles
    assert cov["open"] == [15, 12]
    assert cov["days"]["2026-12-01"] == {"ids": 3, "archived": 1, "gaps": 1, "unprobed": 1, "coverage": 0.5}
    assert cov["days"]["2026-12-02"]["coverage"] == 0.5               # 13 archived, 14 a gap, 15 unprobed


def test_a_run_that_leaves_holes_unprobed_is_degraded_and_says_so(tmp_path):
    clock = Clock(every=0.05, ticks=6, steps=[Publish(per_tick=2)])
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        assert clock.done.wait(60)
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="3", ARSHIF_SITES__ELBALAD__ID_WINDOW="40")
        done = arshif("crawl", "elbalad", env=env)
    [report] = run_reports(tmp_path / "archive", "elbalad")
    ids = report["ids"]
    assert (ids["probed"], ids["budget"]) == (3, 3) and ids["unprobed"] > 0, ids
    assert ids["open"] and len(ids["open"]) == min(ids["unprobed"], 20) and ids["open"] == sorted(ids["open"])[::-1]
    assert report["result"] == "degraded" and done.returncode == 3
    assert f"{ids['unprobed']} article numbers of {ids['low']}–{ids['high']} neither archived nor known gaps" \
        in report["reason"]
    [probes] = [s for s in report["sources"] if s["kind"] == "id_probe"]
    assert (probes["source"], probes["urls"]) == ("id_probe /{id}", 3)


def test_sparse_numbers_shrink_the_probe_budget_and_status_says_so(tmp_path):
    """A range where one number in ten is an article (numbers shared with other editions, say): the budget
    follows the density (10 archived of the 91 numbers 1000–1090: 200 × 0.1099 ÷ 0.5 → 44 probes), the report
    says sparse, status warns."""
    from crawler.archive.state.index import GONE, ArticleIndex
    from crawler.config import SiteConfig, load_settings
    from crawler.discover.ids import IdLedger
    from jobs.status import _coverage_warning

    settings = load_settings(environ={})
    index = ArticleIndex.at(tmp_path, "elbalad")
    for number in range(1000, 1100, 10):
        index.archived_number(number, "2026-12-01")
    index.remember_gaps({n: GONE for n in range(1000, 1100) if n % 10}, datetime.now(timezone.utc))
    cfg = settings.sites["elbalad"]
    ledger = IdLedger(index, SiteConfig.of(settings, "elbalad"))
    urls = ledger.plan()
    assert (ledger.density, ledger.budget, len(urls)) == (0.1099, 44, 44)
    # newest first: the 5 numbers above the range, then its open gaps (rechecked), never an archived number
    assert urls[:6] == [f"{cfg.base_url}/{n}" for n in (1095, 1094, 1093, 1092, 1091, 1089)]
    assert urls[-1] == f"{cfg.base_url}/1047" and f"{cfg.base_url}/1080" not in urls
    report = ledger.report()
    assert report["sparse"] and report["coverage"] == 1.0
    assert "article numbers are sparse (density 11%" in _coverage_warning(report, cfg)
    assert "44 of id_probes 200 a run" in _coverage_warning(report, cfg)


def test_a_number_probed_before_it_was_given_is_fetched_when_a_feed_lists_it(tmp_path):
    """Probes ask for a few numbers above the range, not given yet (404): that is no memory of "no article" for
    the article published there next, which the next run fetches from the feed that lists it."""
    with ReplicaServer(plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="10", ARSHIF_SITES__ELBALAD__ID_WINDOW="10")
        assert arshif("crawl", "elbalad", env=env).returncode in (0, 3)
        probed = set(replica.stats("elbalad"))
        [new] = replica.publish(1, site="elbalad")
        assert f"/{new.article_id}" in probed                  # asked for before it was published: 404
        assert arshif("crawl", "elbalad", env=env).returncode in (0, 3)
    [record] = [r for r in archived(tmp_path / "archive") if _number(r) == new.article_id]
    assert record["discovered_by"] in ("feed", "sitemap", "listing")


def test_numbers_long_past_the_range_are_forgotten(tmp_path):
    from crawler.archive.state.index import ArticleIndex
    from crawler.config import SiteConfig, load_settings
    from crawler.discover.ids import IdLedger

    index = ArticleIndex.at(tmp_path, "elbalad")
    for number in (100, 500, 979, 1000):
        index.archived_number(number, "2026-12-01")
    settings = load_settings(environ={"ARSHIF_SITES__ELBALAD__ID_WINDOW": "10"})
    IdLedger(index, SiteConfig.of(settings, "elbalad")).remember(True)
    assert sorted(index.numbers(1000)) == [1000]           # 979 and below: more than two ranges below the top
    assert index.lowest_archived_number() == 1000


def _crawl_sparse(tmp_path, clock=None) -> tuple[subprocess.CompletedProcess, dict]:
    """``arshif crawl elbalad`` of the replica at the default probe settings: the base corpus numbers its
    articles 7–400 apart (sparse ids), ``clock`` may publish more above them."""
    import re

    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        assert clock is None or clock.done.wait(60)
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="200")
        done = arshif("crawl", "elbalad", env=env)
    [report] = run_reports(tmp_path / "archive", "elbalad")
    summary = re.search(r"not article (\d+), .*, probed (\d+) numbers: (\d+) articles, (\d+) gaps, (\d+) not "
                        r"published yet, coverage ([\d.]+)%", done.stdout + done.stderr)
    assert summary, (done.stdout + done.stderr)[-3000:]
    not_article, probed, articles, gaps, unpublished = map(int, summary.groups()[:5])
    # probed numbers that were gaps are told apart from fetched pages that were no article
    found = report["ids"]["probes"]
    assert (probed, articles, gaps, unpublished) == (report["ids"]["probed"], found["articles"], found["gaps"],
                                                     found["not_given_yet"])
    assert not_article + gaps + unpublished == report["counts"]["not_article"]
    assert float(summary.group(6)) == round(report["ids"]["coverage"] * 100, 1)
    # the run's end line counts as the summary does (it said not_article=204 beside "not article 4, probed 200
    # numbers: 0 articles, 195 gaps, 5 not published yet")
    [end] = re.findall(r"run finished: elbalad: .* \[(site=elbalad [^]]*)\]$", done.stderr, re.M)
    told = dict(pair.split("=", 1) for pair in end.split())
    assert tuple(int(told[k]) for k in ("not_article", "probed", "probed_articles", "probed_gaps",
                                        "probed_not_published")) == (not_article, probed, articles, gaps, unpublished)
    return done, report


def test_a_healthy_run_over_sparse_numbers_says_what_its_probes_found_and_coverage_100(tmp_path):
    """The replica's base corpus (numbers 7–400 apart, every article in a feed, sitemap or listing): the probes
    find gaps only, so the unprobed numbers of the sparse range are no missed articles: coverage 100%, ok (it
    was 0.6%: 16 archived ÷ 2,805 numbers not known gaps)."""
    done, report = _crawl_sparse(tmp_path)
    ids = report["ids"]
    assert ids["sparse"] and ids["unprobed"] > 1000 and ids["probes"]["articles"] == 0, ids
    assert ids["probes"]["gaps"] > 100 and ids["open_rate"] == 0
    assert ids["coverage"] == 1.0 and report["result"] == "ok" and done.returncode == 0
    assert report["counts"]["not_article"] - ids["probes"]["gaps"] - ids["probes"]["not_given_yet"] < 10


def test_a_run_whose_probes_find_hidden_articles_among_sparse_numbers_is_not_ok(tmp_path):
    """Sparse numbers, and articles only their own URL shows (half of 10 published): the probes archive them
    (4 below the newest number shown, the last one above it), and the numbers left unprobed are estimated to
    hold more at the rate the probes found them below it: coverage under 100%, degraded, saying so."""
    clock = Clock(every=0.05, ticks=10, steps=[Publish(per_tick=1, hide_every=2, gap_every=0)])
    done, report = _crawl_sparse(tmp_path, clock)
    ids = report["ids"]
    assert ids["sparse"] and (ids["probes"]["articles"], ids["probes"]["missed"]) == (5, 4), ids
    assert 0 < ids["open_rate"] < 0.1, ids
    assert ids["coverage"] < 1 and report["result"] == "degraded" and done.returncode == 3
    assert "the probes found 4 articles no discovery source showed" in report["reason"], report["reason"]


def _published_after_go(count: int, hide_every: int):
    """The clock's step: once ``go`` is set, ``count`` articles a site, one a tick, every ``hide_every``-th of
    them hidden from every discovery source; ``done`` set once every site has them all."""
    import threading

    publish = Publish(per_tick=1, hide_every=hide_every, gap_every=0)
    go, done, made = threading.Event(), threading.Event(), {}

    def step(state, tick):
        if go.is_set() and made.get(state.site, 0) < count:
            publish(state, tick)
            made[state.site] = made.get(state.site, 0) + 1
        if made and all(n >= count for n in made.values()) and len(made) == len(SITES):
            done.set()
    return publish, go, done, step


@pytest.mark.parametrize("budget", ["4", "0"])
def test_a_feed_watch_probes_the_newest_holes_since_the_last_full_run_within_its_budget(tmp_path, budget):
    """A full run, then the site publishes seven articles, every second one shown by no feed, sitemap or
    listing: the next feed watch archives the listed ones from the feed and the hidden ones through their id
    (``discovered_by`` id_probe), probing no number above the newest the feed showed, its budget not cut by
    the sparse numbers of the range below (the replica's base corpus: the full run's probes find them sparse);
    with ``watch_id_probes`` 0 it probes nothing (the hidden ones wait for the full run)."""
    publish, go, done, step = _published_after_go(7, hide_every=2)
    with ReplicaServer(plain=PLAIN, clock=Clock(every=0.05, steps=[step])) as replica:
        # a range reaching two of the base corpus's numbers (7–400 apart): the full run finds it sparse
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="400", ARSHIF_SITES__ELBALAD__ID_WINDOW="400",
                        ARSHIF_SITES__ELBALAD__WATCH_ID_PROBES=budget)
        assert arshif("crawl", "elbalad", env=env).returncode in (0, 3)
        go.set()
        assert done.wait(60)
        before = dict(replica.stats("elbalad"))
        watch = arshif("crawl", "elbalad", "--watch", env=env)
        assert watch.returncode == 0, watch.stderr
        asked = {path for path, n in replica.stats("elbalad").items() if n > before.get(path, 0)}
        hidden = replica.unlisted("elbalad") & set(publish.published_at["elbalad"])
    new = list(publish.published_at["elbalad"])
    assert len(new) == 7 and hidden == {new[1], new[3], new[5]}
    records = {_number(r): r for r in archived(tmp_path / "archive", "articles/site=elbalad")}
    report = next(r for r in run_reports(tmp_path / "archive", "elbalad") if r["kind"] == "watch")
    assert all(records[n]["discovered_by"] == "feed" for n in new[::2])
    assert f"/{int(new[6]) + 1}" not in asked                  # nothing past the newest number the feed shows
    if budget == "0":
        assert report["ids"]["probed"] == 0 and not hidden & set(records)
        assert not {f"/{n}" for n in hidden} & asked
    else:
        assert report["ids"]["probed"] == 3 and report["result"] == "ok", report
        assert all(records[n]["discovered_by"] == "id_probe" for n in hidden)
