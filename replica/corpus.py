"""The replica's articles and their gold text.

``build(site, now)`` generates a site's corpus from the prose bank ``data/text_bank.toml``: regular articles
spread over the site's sections and the last ~48 hours before ``now``, then the special pages the site's
``specials`` list names. The output depends only on ``site`` and ``now`` (the random generator is seeded with
the site key; times are relative to ``now``).

Gold text is exactly what a perfect cleaner returns for the page: the article's own text without its title —
the lead (RT's ``p.intro``), if any, then the body paragraphs, one per line (``"\\n"``); each appears once
even where the page repeats it. A page that is not an article has an empty gold text.
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from crawler.sites import get_site

from replica.resources import load

__all__ = ["KINDS", "SHAPES", "ReplicaArticle", "build", "edited", "fewer_plain", "story_pairs"]

# What the crawler should do with the page: every kind but "not_article" is archived exactly once.
KINDS = ("article", "no_date", "cp1256", "not_article")
# Page shapes seen in real page text of the sites (issue 7), each on one special page of its site:
#   ticker_top     (elbalad, article) the article element opens with the sister-sites line and the
#                  breaking-news ticker, and no masthead anywhere on the page;
#   brief          (elbalad, not_article, layout "brief") an article page whose text is a few words only: too
#                  short to archive;
#   lead_restated  (rt_arabic, article) the body's first paragraph restates the lead at greater length: the
#                  gold keeps the longer paragraph only;
#   title_credit   (rt_arabic, article) the title printed again after the lead and the photo credit
#                  («… / Sputnik») as plain lines, in markup no prune rule knows;
#   stories        (rt_arabic, not_article, layout "stories") a page holding only the "RT STORIES" widget,
#                  in groups under topic labels, in markup no prune rule knows.
SHAPES = ("ticker_top", "brief", "lead_restated", "title_credit", "stories")
MAX_AGE = timedelta(hours=47)
MIN_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class ReplicaArticle:
    site: str
    article_id: str              # the site's own numeric id (not crawler.urls.article_id)
    kind: str                    # one of KINDS
    layout: str                  # page template: article | video | stories | programme | gallery | brief
    section: str                 # RT section slug / El Balad category id
    path: str                    # canonical path, readable (Arabic slug)
    url_path: str                # canonical path as linked and served (percent-encoded)
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    image: str
    caption: str
    published: datetime | None   # aware, in the site's time zone; None for kind "no_date"
    modified: datetime | None
    variants: tuple[str, ...] = ()   # other URLs (query, fragment, AMP) answering 200 with this article
    redirects: tuple[str, ...] = ()  # paths answering 301 to url_path
    edits: int = 0
    shape: str = ""              # a page shape seen on the real sites (SHAPES), "" for the usual page
    story: str = ""                  # the event an ``[[events]]`` article reports (same story on both sites)

    @property
    def gold_text(self) -> str:
        if self.kind == "not_article":
            return ""
        lead = [self.lead] if self.lead and self.shape != "lead_restated" else []   # the longer copy counts
        return "\n".join(lead + list(self.paragraphs))

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.url_path

    def to_json(self) -> dict:
        return {
            "site": self.site, "article_id": self.article_id, "kind": self.kind, "layout": self.layout,
            "section": self.section, "path": self.path, "url_path": self.url_path, "title": self.title,
            "lead": self.lead, "paragraphs": list(self.paragraphs), "gold_text": self.gold_text,
            "authors": list(self.authors), "tags": list(self.tags), "image": self.image,
            "caption": self.caption, "published": _iso(self.published), "modified": _iso(self.modified),
            "variants": list(self.variants), "redirects": list(self.redirects), "edits": self.edits,
            "shape": self.shape,
            "story": self.story,
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


_DIACRITICS = re.compile("[\u064b-\u0652\u0640]")


def _slug(title: str) -> str:
    words = re.sub(r"[^\w\s]", " ", _DIACRITICS.sub("", title)).split()
    return "-".join(words[:10])


@dataclass(frozen=True)
class _Text:
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    caption: str


class _Writer:
    """Draws article text from the prose bank; titles are unique within a site."""

    def __init__(self, rng: random.Random, config: dict):
        self.rng = rng
        self.config = config
        self.themes = load("text_bank")["themes"]
        self.next_story: dict[str, int] = {}
        self.titles: set[str] = set()

    def article(self, section: str) -> _Text:
        rng = self.rng
        theme_key = rng.choice(self.config["sections"][section])
        theme = self.themes[theme_key]
        index = self.next_story.get(theme_key, 0)
        self.next_story[theme_key] = index + 1
        story = theme["stories"][index % len(theme["stories"])]
        for _ in range(100):
            slots = self._slots(theme)
            title = self._fill(rng.choice(story["titles"]), slots)
            if title not in self.titles:
                break
        else:
            raise RuntimeError(f"text bank too small for unique titles in theme {theme_key!r}")
        self.titles.add(title)
        return self._body(title, story, theme, slots)

    def _slots(self, theme: dict) -> dict[str, str]:
        slots: dict[str, str] = {}
        for values in theme.get("slots", {}).values():
            slots.update(self.rng.choice(values))
        return slots

    def _fill(self, template: str, slots: dict[str, str]) -> str:
        """``template`` with the article's slots and fresh numbers."""
        rng = self.rng
        numbers = {"n1": rng.randint(11, 40), "n2": rng.randint(50, 900), "n3": rng.randint(1000, 9000),
                   "pct": f"{rng.randint(11, 149) / 10:.1f}"}
        return template.format_map({**numbers, **slots})

    def _body(self, title: str, story: dict, theme: dict, slots: dict) -> _Text:
        rng = self.rng
        own = [self._fill(s, slots) for s in story["sentences"]]
        shared = [self._fill(s, slots) for s in theme["sentences"]]
        pool = own[:1] + rng.sample(own[1:] + shared, len(own) - 1 + len(shared))
        lead_text = self._fill(rng.choice(story["leads"]), slots) if story["leads"] else None
        lead = lead_text if lead_text and rng.random() < self.config["lead_share"] else ""
        if lead_text and not lead:
            pool.insert(0, lead_text)
        n_paragraphs = rng.randint(3, min(10, len(pool)))
        sentences = pool[: rng.randint(n_paragraphs, min(len(pool), n_paragraphs + 4))]
        cuts = [0, *sorted(rng.sample(range(1, len(sentences)), n_paragraphs - 1)), len(sentences)]
        paragraphs = tuple(" ".join(sentences[a:b]) for a, b in zip(cuts, cuts[1:]))
        tags = tuple(dict.fromkeys(self._fill(t, slots) for t in story["tags"]))
        return _Text(title, lead, paragraphs, tags, self._fill(rng.choice(story["captions"]), slots))

    def page(self, layout: str) -> _Text:
        pages = load("text_bank")["pages"]
        caption = {"video": pages["video_caption"], "gallery": pages["gallery_captions"][0]}.get(layout, "")
        if layout == "brief":
            brief = self.rng.choice(pages["brief"])
            return _Text(brief["title"], "", (brief["text"],), (), brief["caption"])
        return _Text(self.rng.choice(pages[layout]), "", (), (), caption)

    def restated(self, text: _Text, section: str) -> _Text:
        """``text`` with a lead that its first paragraph restates at greater length."""
        lead = text.lead or text.paragraphs[0]
        clause = self.rng.choice(load("text_bank")["pages"]["restatements"])
        first = lead.rstrip(".") + "، " + clause
        paragraphs = text.paragraphs[1:] if not text.lead else text.paragraphs
        return replace(text, lead=lead, paragraphs=(first, *paragraphs))


def build(site: str, now: datetime, config: dict | None = None) -> list[ReplicaArticle]:
    """The corpus of ``site`` as of ``now`` (aware), oldest first. ``config``: the site's corpus plan (ids,
    paths, sections → themes, specials…), by default the prose bank's ``[sites.<site>]``."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    if config is None:
        config = load("text_bank")["sites"][site]
    zone = ZoneInfo(get_site(site).timezone)
    rng = random.Random(f"arshif-replica/{site}")
    writer = _Writer(rng, config)
    sections = list(config["sections"])

    plans = [{"kind": "article", "layout": "article", "section": sections[i % len(sections)], "index": i}
             for i in range(config["regular"])]
    plans += [dict(special) for special in config["specials"]]
    for plan in plans:
        plan["text"] = (writer.article(plan["section"]) if plan["layout"] == "article"
                        else writer.page(plan["layout"]))
        if plan.get("shape") == "lead_restated":
            plan["text"] = writer.restated(plan["text"], plan["section"])
        age = MIN_AGE + timedelta(minutes=rng.randrange(int((MAX_AGE - MIN_AGE).total_seconds() // 60)))
        plan["published"] = (now - age).astimezone(zone).replace(second=0, microsecond=0)
        plan["modified"] = plan["published"] + timedelta(minutes=rng.choice((0, 0, 7, 25, 90)))
        plan["authors"] = (rng.choice(config["authors"]),) if rng.random() < config["author_share"] else ()
    plans += _event_plans(site, now.astimezone(zone))

    article_id = config["first_id"]
    articles = []
    for plan in sorted(plans, key=lambda p: p["published"]):
        article_id += rng.randint(7, 400)
        articles.append(_article(site, config, plan, str(article_id), now))
    return articles


def plain(article: ReplicaArticle) -> bool:
    """A regular article with nothing special about it: no shape, story, URL variant or redirect."""
    return (article.kind == "article" and article.layout == "article" and not article.shape and not article.story
            and not article.variants and not article.redirects)


def fewer_plain(articles: list[ReplicaArticle], keep: int) -> list[ReplicaArticle]:
    """``articles`` with only the newest ``keep`` of their plain articles: every other page is kept, so the
    site still serves each kind of page (specials, shapes, events, variants, redirects) in fewer pages."""
    newest = sorted((a for a in articles if plain(a)), key=lambda a: a.published, reverse=True)[:keep]
    kept = {a.article_id for a in newest}
    return [a for a in articles if not plain(a) or a.article_id in kept]


def _event_plans(site: str, now: datetime) -> list[dict]:
    """The site's versions of the text bank's ``[[events]]``: fixed text, fixed times before ``now``."""
    plans = []
    for event in load("text_bank")["events"]:
        version = event.get(site)
        if version is None:
            continue
        published = (now - timedelta(hours=event["hours_ago"]) + timedelta(minutes=version["delay"])
                     ).replace(second=0, microsecond=0)
        text = _Text(version["title"], version["lead"], tuple(version["paragraphs"]), tuple(version["tags"]),
                     version["title"])
        plans.append({"kind": "article", "layout": "article", "section": version["section"], "text": text,
                      "published": published, "modified": published, "authors": (), "story": event["story"]})
    return plans


def story_pairs(corpora: dict[str, list[ReplicaArticle]]) -> set[frozenset[tuple[str, str]]]:
    """The gold pairs of story linking: every two articles (``(site, article_id)``) that report the same
    ``[[events]]`` event, across ``corpora`` (site → its articles, as ``build`` returns them)."""
    by_story: dict[str, list[tuple[str, str]]] = {}
    for site, articles in corpora.items():
        for article in articles:
            if article.story:
                by_story.setdefault(article.story, []).append((site, article.article_id))
    return {frozenset((a, b)) for members in by_story.values() for i, a in enumerate(members)
            for b in members[i + 1:]}


def _modified(plan: dict, now: datetime) -> datetime:
    """The page's modified time: its planned edit's, or its publication's while that edit is still to come or
    less than a minute old (a lastmod in the second a crawl fetches the page rightly reads "maybe edited after
    the fetch", and a test's first crawl runs within a second of ``now``)."""
    return plan["modified"] if plan["modified"] <= now - timedelta(minutes=1) else plan["published"]


def _article(site: str, config: dict, plan: dict, article_id: str, now: datetime) -> ReplicaArticle:
    text: _Text = plan["text"]
    slug = _slug(text.title)
    template = config["paths"].get(plan["layout"], config["paths"]["article"])
    path = template.format(section=plan["section"], id=article_id, slug=slug)
    url_path = quote(path)
    fields = {"url_path": url_path, "id": article_id, "slug": quote(slug),
              "legacy_id": int(article_id) - config.get("legacy_offset", 0)}
    index = str(plan.get("index"))
    redirects = tuple(t.format_map(fields) for t in config["redirects"].get(index, ()))
    variant = config["variants"].get(index)
    dated = plan["kind"] != "no_date"
    published = plan["published"]
    digest = hashlib.sha1(f"{site}/{article_id}".encode()).hexdigest()[:16]
    return ReplicaArticle(
        site=site, article_id=article_id, kind=plan["kind"], layout=plan["layout"], section=plan["section"],
        path=path, url_path=url_path, title=text.title, lead=text.lead, paragraphs=text.paragraphs,
        authors=plan["authors"] if plan["layout"] in ("article", "brief") else (), tags=text.tags,
        image=config["image"].format(published=published, digest=digest), caption=text.caption,
        published=published if dated else None, modified=_modified(plan, now) if dated else None,
        variants=(variant.format_map(fields),) if variant else (), redirects=redirects,
        shape=plan.get("shape", ""),
        story=plan.get("story", ""),
    )


def edited(article: ReplicaArticle, when: datetime) -> ReplicaArticle:
    """``article`` after one more edit at ``when``: a paragraph appended, modified time moved to ``when``."""
    if article.kind == "not_article":
        raise ValueError(f"{article.site} {article.article_id} is not an article; it cannot be edited")
    number = article.edits + 1
    updates = load("text_bank")["updates"]["sentences"]
    paragraph = updates[(number - 1) % len(updates)].format(n=number)
    modified = None
    if article.modified is not None:
        modified = max(when.astimezone(article.modified.tzinfo).replace(microsecond=0),
                       article.modified + timedelta(seconds=1))
    return replace(article, paragraphs=article.paragraphs + (paragraph,), modified=modified, edits=number)
