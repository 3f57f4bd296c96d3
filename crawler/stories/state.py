"""Story linking kept in the archive, updated after each run, rebuildable from the articles alone.

    stories/features/date=<D>.json.gz   per article of archive date D: site, time, title, content hash,
                                        content terms and the days it reports on, the features' version
                                        "v" (gzip JSON; rows of another version are made again)
    stories/links/date=<D>.json         the verified links whose later article is of date D, with cosine
                                        and reason ("why")
    stories/ids/date=<D>.json           article id → story_id for every article of date D

An update reads only the articles a run wrote (plus any article of the recent days that has no features
yet, e.g. flushed later from the outbox) — and not even those the crawl's extraction workers made the features
of (``handed``: ``crawler.stories.handoff``) —, then recomputes the links of the days a change can reach (a link
depends on its two articles, their candidates within the window and the document frequencies of the days
around them: never on the order articles arrived in), so an update gives exactly what ``rebuild`` gives.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable, Mapping

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import (STORY_FEATURES, STORY_IDS, STORY_LINKS, articles_prefix, key_date, parse_article_key,
                                  story_features_key, story_ids_key, story_links_key)
from crawler.stories.features import Features, features_of
from crawler.stories.link import Link, LinkParams, day_offset, link, stories

JSON = "application/json; charset=utf-8"


def _days(archive: Archive, prefix: str) -> list[str]:
    return [key_date(key) for key in archive.list(prefix)]


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class UpdateResult:
    articles: int                 # article versions whose features were (re)made
    links: int                    # links recomputed
    changed_days: list[str]       # archive dates whose story ids changed (their datasets need a refresh)
    read: int = 0                 # of ``articles``, those read from the archive (the others were handed)


class StoryStore:
    """The ``stories/`` state of one archive; ``fresh`` ignores what was stored before (a rebuild), and
    reads only what it wrote itself."""

    def __init__(self, archive: Archive, params: LinkParams | None = None, fresh: bool = False):
        """``params`` may be left out by a store that only reads."""
        self.archive = archive
        self.params = params
        self.fresh = fresh
        self._written: set[str] = set()          # keys written by this store
        self._features: dict[str, dict[str, Features]] = {}
        self.migrated: set[str] = set()          # dates whose features were made again (an older version)

    def _get(self, key: str) -> bytes | None:
        return self.archive.get(key) if not self.fresh or key in self._written else None

    def _put(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self.archive.put(key, data, content_type=content_type)
        self._written.add(key)

    def forget_before(self, day: str) -> None:
        """Drop the features of dates before ``day`` from memory (read again if needed)."""
        for old in [d for d in self._features if d < day]:
            del self._features[old]

    # -- features --------------------------------------------------------------------------------------

    def features(self, day: str) -> dict[str, Features]:
        if day not in self._features:
            data = self._get(story_features_key(day))
            rows = json.loads(gzip.decompress(data)) if data else {}
            self._features[day] = {aid: Features.from_json(aid, day, row) for aid, row in rows.items()
                                   if Features.current(row)}
            stale = {aid: row["site"] for aid, row in rows.items() if not Features.current(row)}
            if stale:
                self._migrate(day, stale)
        return self._features[day]

    def _migrate(self, day: str, stale: dict[str, str]) -> None:
        """Features stored by an older version (``stale``: id → site) made again from their articles; an
        updating store saves them (a reader keeps them in memory only)."""
        feats = self._features[day]
        for site in sorted(set(stale.values())):
            for key in self.archive.list(articles_prefix(site, day)):
                parts = parse_article_key(key)
                data = self.archive.get(key) if parts and parts["id"] in stale else None
                if data is not None:
                    feats[parts["id"]] = features_of(json.loads(data), day)
        if self.params is not None:
            self._save_features(day)
            self.migrated.add(day)

    def _save_features(self, day: str) -> None:
        rows = {aid: feat.to_json() for aid, feat in sorted(self._features[day].items())}
        self._put(story_features_key(day), gzip.compress(_json(rows), compresslevel=6, mtime=0),
                  content_type="application/gzip")

    def _doc_freq(self, day: str) -> tuple[int, Counter]:
        feats = self.features(day)
        counts: Counter = Counter()
        for feat in feats.values():
            counts.update(feat.terms.keys())
        return len(feats), counts

    # -- links and ids ---------------------------------------------------------------------------------

    def _links(self, day: str) -> list[dict]:
        data = self._get(story_links_key(day))
        return json.loads(data) if data else []

    def _ids(self, day: str) -> dict[str, str] | None:
        data = self._get(story_ids_key(day))
        return json.loads(data) if data else None

    def stored_days(self, prefix: str, key) -> list[str]:
        """The dates that have a file under ``prefix`` (``key``: date → its key) this store may read."""
        return [day for day in _days(self.archive, prefix) if not self.fresh or key(day) in self._written]

    # -- the update ------------------------------------------------------------------------------------

    def read_articles(self, keys: Iterable[str], handed: Mapping[str, Features] | None = None
                      ) -> tuple[list[str], int, int]:
        """Features for the article ``keys`` whose text is new or changed, taken from ``handed`` (archive key →
        the features of the version written there) or made from the article read from the archive: the
        archive dates touched, the number of articles whose features were (re)made and of those read."""
        touched, count, read = set(), 0, 0
        handed = handed or {}
        for key in sorted(set(keys)):
            parts = parse_article_key(key)
            if parts is None:
                continue
            feat = handed.get(key)
            if feat is None:
                data = self.archive.get(key)
                if data is None:
                    continue
                read += 1
                record = json.loads(data)
                sha = record["content_sha256"]
            else:
                sha = feat.sha
            known = self.features(parts["date"]).get(parts["id"])
            if known is not None and known.sha == sha:
                continue
            if feat is None:
                feat = features_of(record, parts["date"])
            self.features(parts["date"])[parts["id"]] = feat
            touched.add(parts["date"])
            count += 1
        return sorted(touched), count, read

    def relink(self, touched: list[str], all_days: list[str]) -> UpdateResult:
        """Recompute the links a change in the ``touched`` dates can reach; rewrite links and ids."""
        params = self.params
        wd = params.window_days
        first_changed = day_offset(touched[0], -wd - 1)       # articles whose best match may change
        first_loaded = day_offset(first_changed, -2 * wd)     # …and every candidate of theirs
        feats = [feat for day in all_days if day >= first_loaded for feat in self.features(day).values()]
        by_id = {feat.id: feat for feat in feats}
        new_links: dict[str, list[dict]] = {}
        for found in link(feats, self._doc_freq, params):
            a, b = by_id[found.a], by_id[found.b]
            if max(a.day, b.day) >= first_changed:
                new_links.setdefault(max(a.day, b.day), []).append(
                    {"a": a.id, "a_day": a.day, "a_when": a.when, "b": b.id, "b_day": b.day, "b_when": b.when,
                     "score": found.score, "why": found.why})

        links = _LinkFiles(self)
        redone = sorted({day for day in all_days if day >= first_changed}
                        | {day for day in links.days if day >= first_changed})
        reach: dict[str, str] = {}                  # article → its date: those whose story may have changed
        for day in redone:
            rows = sorted(new_links.get(day, []), key=lambda r: (r["a"], r["b"]))
            for row in links.get(day) + rows:
                reach.update({row["a"]: row["a_day"], row["b"]: row["b_day"]})
            links.replace(day, rows)
        for day in touched:
            reach.update({aid: day for aid in self.features(day)})
        assigned, where = links.stories(reach, wd)
        days = set(redone) | set(where.values())
        changed = []
        for day in sorted(d for d in days if d in set(all_days)):
            ids = {aid: assigned.get(aid, aid) for aid in sorted(self.features(day))}
            if ids != self._ids(day):
                self._put(story_ids_key(day), _json(ids))
                changed.append(day)
        return UpdateResult(0, sum(map(len, new_links.values())), changed)

    def update(self, keys: Iterable[str], handed: Mapping[str, Features] | None = None) -> UpdateResult:
        touched, count, read = self.read_articles(keys, handed)
        for day in touched:
            self._save_features(day)
        if not touched and not self.migrated:
            return UpdateResult(0, 0, [], read)
        self.forget_before(day_offset(min(set(touched) | self.migrated), -3 * self.params.window_days - 3))
        all_days = sorted(set(self.stored_days(STORY_FEATURES, story_features_key)) | set(touched)
                          | set(self._features))
        all_days = [day for day in all_days if self.features(day) or day in touched]
        touched = sorted(set(touched) | self.migrated)    # features made again: their links are made again
        result = self.relink(touched, all_days)
        result.articles, result.read = count, read
        return result


class _LinkFiles:
    """The ``stories/links/`` files, read on demand; a replaced day is written at once (when it changed)."""

    def __init__(self, store: StoryStore):
        self.store = store
        self.days = set(store.stored_days(STORY_LINKS, story_links_key))
        self._rows: dict[str, list[dict]] = {}

    def get(self, day: str) -> list[dict]:
        if day not in self._rows:
            self._rows[day] = self.store._links(day) if day in self.days else []
        return self._rows[day]

    def replace(self, day: str, rows: list[dict]) -> None:
        if rows != self.get(day) or (self.store.fresh and story_links_key(day) not in self.store._written):
            self.store._put(story_links_key(day), _json(rows))
            self.days.add(day)
        self._rows[day] = rows

    def stories(self, start: dict[str, str], window_days: int) -> tuple[dict[str, str], dict[str, str]]:
        """The story of every linked article whose component contains one of ``start`` (article → date),
        and the date of every article of those components. A link is stored under the later date of its two
        articles, at most ``window_days`` after the earlier, so an article's links are all in the files of
        its date and the ``window_days`` after: the components are walked without reading every file."""
        where = dict(start)
        first: dict[str, tuple[float, str]] = {}
        rows_seen: list[dict] = []
        frontier, seen_days = list(start), set()
        while frontier:
            article = frontier.pop()
            for offset in range(window_days + 1):
                day = day_offset(where[article], offset)
                if day in seen_days:
                    continue
                seen_days.add(day)
                for row in self.get(day):
                    rows_seen.append(row)
                    for side in ("a", "b"):
                        first[row[side]] = (row[f"{side}_when"], row[side])
                        if row[side] not in where:
                            where[row[side]] = row[f"{side}_day"]
                            frontier.append(row[side])
        assigned = stories((Link(r["a"], r["b"], r["score"]) for r in rows_seen), first)
        return assigned, {aid: where[aid] for aid in assigned}


# --------------------------------------------------------------------------------------------- the API


def pending(archive: Archive, keys: Iterable[str], scan_sites: Iterable[str] = (), scan_days: int = 2) -> set[str]:
    """The article keys an update should read: ``keys`` (what a run wrote; keys of other objects are
    ignored), plus every article of the ``scan_sites`` archived on the days of ``keys`` or in the last
    ``scan_days`` days that has no features yet (flushed later from the outbox, or an update was skipped).
    Reads only listings and the days' features: nothing is written."""
    store = StoryStore(archive)
    keys = {key for key in keys if parse_article_key(key)}
    days = {parse_article_key(key)["date"] for key in keys}
    today = datetime.now(timezone.utc).date()
    days |= {(today - timedelta(days=n)).isoformat() for n in range(scan_days + 1)}
    for site in scan_sites:
        for day in sorted(days):
            for key in archive.list(articles_prefix(site, day)):
                parts = parse_article_key(key)
                if parts and parts["id"] not in store.features(day):
                    keys.add(key)
    return keys


def update(archive: Archive, params: LinkParams, keys: Iterable[str],
           handed: Mapping[str, Features] | None = None) -> UpdateResult:
    """Link the articles ``keys`` (archive keys; those of other objects are ignored) whose text is new or
    changed, and recompute what that changes; an article whose features are ``handed`` (archive key → the
    features of the version written there: ``crawler.stories.handoff``) is not read. Returns what changed."""
    return StoryStore(archive, params).update(keys, handed)


def rebuild(archive: Archive, params: LinkParams, days_per_update: int = 7,
            progress: Callable[[int, int], None] | None = None) -> UpdateResult:
    """Every story from the archived articles alone, whatever ``stories/`` held: the dates in order,
    ``days_per_update`` at a time (memory holds a few weeks of features, never the whole archive).
    ``progress(articles done, articles)`` is called before the first batch and after each."""
    store = StoryStore(archive, params, fresh=True)
    by_day: dict[str, list[str]] = {}
    for key in archive.list(articles_prefix()):
        parts = parse_article_key(key)
        if parts:
            by_day.setdefault(parts["date"], []).append(key)
    days = sorted(by_day)
    total = UpdateResult(0, 0, [])
    progress = progress or (lambda done, articles: None)
    articles, done = sum(map(len, by_day.values())), 0
    progress(done, articles)
    for start in range(0, len(days), days_per_update):
        batch = [key for day in days[start:start + days_per_update] for key in by_day[day]]
        result = store.update(batch)
        total.articles += result.articles
        total.read += result.read
        total.links += result.links
        total.changed_days = sorted(set(total.changed_days) | set(result.changed_days))
        done += len(batch)
        progress(done, articles)
    return total


def load_story_ids(archive: Archive, days: Iterable[str] | None = None) -> dict[str, str]:
    """Article id → story_id for every article linked so far, or for those of the archive ``days``
    (YYYY-MM-DD) only. An article no other article matches is its own story: its story_id is its id."""
    keys = archive.list(STORY_IDS) if days is None else (story_ids_key(day) for day in sorted(set(days)))
    out: dict[str, str] = {}
    for key in keys:
        data = archive.get(key)
        if data:
            out.update(json.loads(data))
    return out


@dataclass(frozen=True)
class Story:
    story_id: str
    first_seen: datetime
    sites: tuple[str, ...]
    articles: int
    title: str


def list_stories(archive: Archive, since: date) -> list[Story]:
    """The stories whose first article was published (or first fetched) on or after ``since``, oldest
    first."""
    store = StoryStore(archive)
    members: dict[str, list[Features]] = {}
    for day in _days(archive, STORY_IDS):
        if day < since.isoformat():
            continue
        ids = json.loads(archive.get(story_ids_key(day)) or b"{}")
        feats = store.features(day)
        for aid, story in ids.items():
            if aid in feats:
                members.setdefault(story, []).append(feats[aid])
    out = []
    for story, feats in members.items():
        head = next((f for f in feats if f.id == story), None)
        if head is None:              # the story began before ``since``
            continue
        out.append(Story(story, datetime.fromtimestamp(head.when, timezone.utc),
                         tuple(sorted({f.site for f in feats})), len(feats), head.title))
    return sorted(out, key=lambda s: (s.first_seen, s.story_id))


__all__ = ["Story", "UpdateResult", "list_stories", "load_story_ids", "pending", "rebuild", "update"]
