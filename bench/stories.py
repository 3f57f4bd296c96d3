"""Story linking scored on our evaluation set and on the replica: precision and recall of pairwise linking.

**The evaluation set** (``tests/fixtures/stories/events.toml``: reports of both sites written for arshif in the
shapes real outlets give one event — agency rewrites, a decision and the reaction the next morning, briefs
against long reports, numbers and spellings written differently — and the same organisation's other events
within a day or two, the look-alikes) goes into a fresh local archive, the stories are rebuilt from it and
every pair of its articles is scored against the gold labels: once with the real publication dates, once as
a busy day (every event moved inside one window, each report keeping its distance from its event's first).
The candidate stage is scored on its own: the share of gold pairs it proposes to verification.

**The replica**:
Every article of both replica sites (their gold text, as a perfect extractor archives it) goes into a fresh
local archive and the stories are rebuilt from it — or, with ``--crawl``, ``arshif crawl`` archives the
replica (real extraction) and links its stories after the run, as in service. Two articles are linked
when they share a story_id. The
gold pairs are the replica's ``[[events]]`` reported by both sites (replica/data/text_bank.toml);
every pair that involves an event article and is not gold (same speaker or organization, another event;
the beat's template articles) is a false link when linked. The replica's regular articles are templated
(a story's sentences with other names and numbers), so links among them are counted apart, not scored.

Run: ``python bench/stories.py [--now ISO] [--crawl] [--rebuild-sizes 2000,20000]``.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.archive.storage.keys import article_key  # noqa: E402
from crawler.archive.storage.local import LocalArchive  # noqa: E402
from crawler.config import load_settings  # noqa: E402
from crawler.extract.record import encode  # noqa: E402
from crawler.stories import LinkParams, load_story_ids, rebuild  # noqa: E402
from replica.corpus import ReplicaArticle, build, story_pairs  # noqa: E402

SITES = ("rt_arabic", "elbalad")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
EVAL_SET = ROOT / "tests" / "fixtures" / "stories" / "events.toml"
BUSY_DAY = datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc)    # the busy day's first event
BUSY_SPREAD = 14 * 3600.0                                        # seconds over which its events begin


# --- the evaluation set ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """One article of the evaluation set."""
    key: str
    site: str
    event: str
    org: str
    published: datetime
    title: str
    text: str

    @property
    def record_id(self) -> str:
        return hashlib.sha256(f"eval/{self.key}".encode()).hexdigest()[:20]

    def record(self, now: datetime = NOW) -> dict:
        text = self.text.strip()
        return {"id": self.record_id, "site": self.site, "title": self.title, "text": text,
                "published_at": self.published.isoformat(), "fetched_at": now.isoformat(timespec="seconds"),
                "content_sha256": hashlib.sha256(text.encode()).hexdigest()}


def eval_reports(path: Path = EVAL_SET, busy: bool = False) -> list[Report]:
    """The evaluation set's reports; ``busy``: as a busy day — each event's first report moved into one
    window (``BUSY_SPREAD`` from ``BUSY_DAY``, in the order of the real dates), the others keeping their
    distance from it (the reaction still comes the next morning)."""
    import tomllib

    reports = [Report(a["key"], a["site"], a["event"], a["org"], datetime.fromisoformat(a["published"]),
                      a["title"], a["text"]) for a in tomllib.loads(path.read_text("utf-8"))["article"]]
    if not busy:
        return reports
    first: dict[str, datetime] = {}
    for report in reports:
        first[report.event] = min(first.get(report.event, report.published), report.published)
    order = sorted(first, key=lambda event: (first[event], event))
    start = {event: BUSY_DAY + timedelta(seconds=BUSY_SPREAD * n / len(order)) for n, event in enumerate(order)}
    return [replace(r, published=(start[r.event] + (r.published - first[r.event])).astimezone(r.published.tzinfo))
            for r in reports]


def archive_reports(archive, reports: list[Report]) -> None:
    for report in reports:
        day = report.published.astimezone(timezone.utc).date().isoformat()
        archive.put(article_key(report.site, day, report.record_id), encode(report.record()),
                    content_type="application/json")


@dataclass(frozen=True)
class SetScore:
    precision: float
    recall: float
    candidate_recall: float              # gold pairs the candidate stage proposes
    gold: int
    lookalikes: int                      # pairs of one organisation, another event
    linked: int
    false_links: list[tuple[str, str]]   # report keys
    missed: list[tuple[str, str]]
    missed_candidates: list[tuple[str, str]]


def gold_pairs(reports: list[Report]) -> set[frozenset[str]]:
    return {frozenset((a.key, b.key)) for i, a in enumerate(reports) for b in reports[i + 1:] if a.event == b.event}


def score_set(reports: list[Report], story_ids: dict[str, str], candidates: set[frozenset[str]]) -> SetScore:
    by_id = {r.record_id: r for r in reports}
    members: dict[str, list[str]] = {}
    for rid, story in story_ids.items():
        members.setdefault(story, []).append(by_id[rid].key)
    linked = {frozenset((x, y)) for group in members.values() for i, x in enumerate(group) for y in group[i + 1:]}
    gold = gold_pairs(reports)
    lookalikes = sum(1 for i, a in enumerate(reports) for b in reports[i + 1:] if a.org == b.org and a.event != b.event)
    true = linked & gold
    pairs = lambda found: sorted(tuple(sorted(p)) for p in found)  # noqa: E731
    return SetScore(precision=len(true) / len(linked) if linked else 1.0, recall=len(true) / len(gold),
                    candidate_recall=len(gold & candidates) / len(gold), gold=len(gold),
                    lookalikes=lookalikes, linked=len(linked), false_links=pairs(linked - gold),
                    missed=pairs(gold - linked), missed_candidates=pairs(gold - candidates))


def candidate_pairs(reports: list[Report], params: LinkParams) -> set[frozenset[str]]:
    """The pairs of ``reports`` the candidate stage proposes (the same vectors as a rebuild: one batch)."""
    from collections import Counter

    from crawler.stories.features import features_of
    from crawler.stories.link import Vectors

    feats = [features_of(r.record(), r.published.astimezone(timezone.utc).date().isoformat()) for r in reports]
    per_day: dict[str, tuple[int, Counter]] = {}
    for feat in feats:
        n, counts = per_day.get(feat.day, (0, Counter()))
        counts.update(feat.terms.keys())
        per_day[feat.day] = (n + 1, counts)
    vectors = Vectors(feats, lambda day: per_day.get(day, (0, Counter())))
    keys = {r.record_id: r.key for r in reports}
    rows_i, rows_j, _ = vectors.candidates(params)
    return {frozenset((keys[vectors.feats[i].id], keys[vectors.feats[j].id]))
            for i, j in zip(rows_i.tolist(), rows_j.tolist())}


def evaluate_set(params: LinkParams, busy: bool = False, path: Path = EVAL_SET,
                 events: set[str] | None = None) -> SetScore:
    """The evaluation set (or its reports of ``events``) rebuilt into a fresh archive and scored (``busy``:
    as a busy day)."""
    reports = [r for r in eval_reports(path, busy) if events is None or r.event in events]
    with tempfile.TemporaryDirectory() as tmp:
        archive = LocalArchive(f"file://{tmp}/archive")
        archive_reports(archive, reports)
        rebuild(archive, params)
        return score_set(reports, load_story_ids(archive), candidate_pairs(reports, params))


# --- the replica ----------------------------------------------------------------------------------------------


def record_id(site: str, article: ReplicaArticle) -> str:
    return hashlib.sha256(f"{site}/{article.article_id}".encode()).hexdigest()[:20]


def record_of(site: str, article: ReplicaArticle, now: datetime) -> dict:
    """The archived record of ``article`` as a perfect extraction gives it (the fields linking reads)."""
    text = article.gold_text
    return {"id": record_id(site, article), "site": site, "title": article.title, "text": text,
            "published_at": article.published.isoformat() if article.published else None,
            "fetched_at": now.isoformat(timespec="seconds"),
            "content_sha256": hashlib.sha256(text.encode()).hexdigest()}


def archive_replica(archive, now: datetime, sites=SITES) -> dict[str, tuple[str, ReplicaArticle]]:
    """Write the replica's articles of ``sites`` into ``archive``; record id → (site, replica article)."""
    out = {}
    for site in sites:
        for article in build(site, now):
            if article.kind == "not_article":
                continue
            record = record_of(site, article, now)
            day = (article.published or now).astimezone(timezone.utc).date().isoformat()
            archive.put(article_key(site, day, record["id"]), encode(record), content_type="application/json")
            out[record["id"]] = (site, article)
    return out


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    true_links: int
    false_links: list[tuple[str, str]]   # titles
    missed: list[tuple[str, str]]
    template_links: int                  # links among the replica's templated regular articles (not scored)


def score(story_ids: dict[str, str], articles: dict[str, tuple[str, ReplicaArticle]], now: datetime) -> Score:
    gold = story_pairs({site: build(site, now) for site in SITES})
    members: dict[str, list[str]] = {}
    for rid, story in story_ids.items():
        members.setdefault(story, []).append(rid)
    linked, template = set(), 0
    for group in members.values():
        for i, x in enumerate(group):
            for y in group[i + 1:]:
                (sx, ax), (sy, ay) = articles[x], articles[y]
                if ax.story or ay.story:
                    linked.add(frozenset(((sx, ax.article_id), (sy, ay.article_id))))
                else:
                    template += 1
    by_key = {(site, a.article_id): a for site, a in articles.values()}
    titles = lambda pair: tuple(sorted(by_key[k].title for k in pair))  # noqa: E731
    true = linked & gold
    return Score(precision=len(true) / len(linked) if linked else 1.0, recall=len(true) / len(gold),
                 true_links=len(true), false_links=sorted(titles(p) for p in linked - gold),
                 missed=sorted(titles(p) for p in gold - linked), template_links=template)


def evaluate(params: LinkParams, now: datetime = NOW) -> Score:
    with tempfile.TemporaryDirectory() as tmp:
        archive = LocalArchive(f"file://{tmp}/archive")
        articles = archive_replica(archive, now)
        rebuild(archive, params)
        return score(load_story_ids(archive), articles, now)


def crawled() -> Score:
    """``arshif crawl`` of the replica into a fresh archive (the stories are linked after the run); scored."""
    import json
    import os
    import subprocess

    from replica.server import ReplicaServer

    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(port=0) as replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({f"ARSHIF_SITES__{site.upper()}__BASE_URL": url for site, url in replica.base_urls.items()})
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/state",
                    "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false"})
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "crawl"], env=env, cwd=ROOT, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(f"arshif crawl failed ({done.returncode}): {done.stderr[-2000:]}")
        by_url = {replica.base_urls[site] + a.url_path: (site, a) for site in SITES for a in replica.articles(site)}
        archive = LocalArchive(f"file://{tmp}/archive")
        articles = {}
        for key in archive.list("articles/"):
            record = json.loads(archive.get(key))
            articles[record["id"]] = by_url[record["canonical_url"]]
        return score(load_story_ids(archive), articles, NOW)   # gold pairs do not depend on the clock


def print_set(label: str, result: SetScore) -> None:
    print(f"{label}: precision {result.precision:.3f}  recall {result.recall:.3f}  candidate recall "
          f"{result.candidate_recall:.3f}  ({result.gold} gold pairs, {result.lookalikes} look-alike pairs; "
          f"{result.linked} pairs linked, {len(result.false_links)} false, {len(result.missed)} missed)")
    for a, b in result.false_links:
        print(f"  false link: {a} | {b}")
    for a, b in result.missed:
        print(f"  missed:     {a} | {b}")
    for a, b in result.missed_candidates:
        print(f"  not a candidate: {a} | {b}")


def rebuild_time(articles: int, now: datetime = NOW) -> tuple[float, int]:
    """Seconds of ``stories --rebuild``'s work over ``articles`` replica articles (half a site each, the base
    corpus then older ones, as ``ReplicaServer(articles=…)`` serves them) and the links found."""
    from replica.older import OlderArticles

    with tempfile.TemporaryDirectory() as tmp:
        archive = LocalArchive(f"file://{tmp}/archive")
        for site in SITES:
            base = [a for a in build(site, now) if a.kind != "not_article"]
            before = min(a.published for a in base if a.published)
            older = OlderArticles(site, max(0, articles // 2 - len(base)), before)
            for article in base + list(older):
                record = record_of(site, article, now)
                day = (article.published or now).astimezone(timezone.utc).date().isoformat()
                archive.put(article_key(site, day, record["id"]), encode(record), content_type="application/json")
        started = time.process_time()
        result = rebuild(archive, LinkParams.from_settings(load_settings()))
        return time.process_time() - started, result.links


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", type=datetime.fromisoformat, default=NOW, help="the replica's clock (aware ISO)")
    parser.add_argument("--crawl", action="store_true", help="crawl the replica (real extraction) instead")
    parser.add_argument("--rebuild-sizes", default="", metavar="N,N",
                        help="also time `stories --rebuild` (CPU) over replicas of these many articles")
    args = parser.parse_args()
    params = LinkParams.from_settings(load_settings())
    print(f"settings: threshold {params.threshold}, same-site {params.same_site_threshold}, "
          f"min_shared {params.min_shared}, candidates {params.candidate_threshold}, window {params.window:.0f}s")
    print_set("evaluation set, real dates", evaluate_set(params))
    print_set("evaluation set, a busy day", evaluate_set(params, busy=True))
    started = time.perf_counter()
    result = crawled() if args.crawl else evaluate(params, args.now)
    elapsed = time.perf_counter() - started
    print(f"replica: precision {result.precision:.3f}  recall {result.recall:.3f}  "
          f"({result.true_links} gold pairs linked, {len(result.false_links)} false links, "
          f"{len(result.missed)} missed; {elapsed:.1f}s)")
    print(f"links among the replica's templated regular articles (not scored): {result.template_links}")
    for a, b in result.false_links:
        print(f"  false link: {a} | {b}")
    for a, b in result.missed:
        print(f"  missed:     {a} | {b}")
    for size in filter(None, args.rebuild_sizes.split(",")):
        seconds, links = rebuild_time(int(size))
        print(f"stories --rebuild of {int(size):,} replica articles: {seconds:.1f} s CPU, {links} links")
    return 0


if __name__ == "__main__":
    sys.exit(main())
