"""Story linking scored on the replica: precision and recall of pairwise linking against its gold pairs.

Every article of both replica sites (their gold text, as a perfect extractor archives it) goes into a fresh
local archive and the stories are rebuilt from it — or, with ``--crawl``, ``arshif crawl`` archives the
replica (real extraction) and links its stories after the run, as in service. Two articles are linked
when they share a story_id. The
gold pairs are the replica's ``[[events]]`` reported by both sites (replica/data/text_bank.toml);
every pair that involves an event article and is not gold (same speaker or organization, another event;
the beat's template articles) is a false link when linked. The replica's regular articles are templated
(a story's sentences with other names and numbers), so links among them are counted apart, not scored.

Run: ``python bench/stories.py [--now ISO] [--crawl]``.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.archive.keys import article_key  # noqa: E402
from crawler.archive.local import LocalArchive  # noqa: E402
from crawler.config import load_settings  # noqa: E402
from crawler.extract.record import encode  # noqa: E402
from crawler.stories import LinkParams, load_story_ids, rebuild  # noqa: E402
from replica.corpus import ReplicaArticle, build, story_pairs  # noqa: E402

SITES = ("rt_arabic", "elbalad")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", type=datetime.fromisoformat, default=NOW, help="the replica's clock (aware ISO)")
    parser.add_argument("--crawl", action="store_true", help="crawl the replica (real extraction) instead")
    args = parser.parse_args()
    params = LinkParams.from_settings(load_settings())
    started = time.perf_counter()
    result = crawled() if args.crawl else evaluate(params, args.now)
    elapsed = time.perf_counter() - started
    print(f"settings: threshold {params.threshold}, same-site {params.same_site_threshold}, "
          f"min_shared {params.min_shared}, candidates {params.candidate_threshold}, window {params.window:.0f}s")
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}  "
          f"({result.true_links} gold pairs linked, {len(result.false_links)} false links, "
          f"{len(result.missed)} missed; {elapsed:.1f}s)")
    print(f"links among the replica's templated regular articles (not scored): {result.template_links}")
    for a, b in result.false_links:
        print(f"  false link: {a} | {b}")
    for a, b in result.missed:
        print(f"  missed:     {a} | {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
