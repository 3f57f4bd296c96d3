"""The incremental index: which articles the archive holds, at which key, with which content hash.

It decides whether a discovered URL needs fetching again, and whether an extracted article is new, edited
or unchanged. It is only a cache of the archive: when missing (new machine, new pod) it is rebuilt from the
listing of the archive's ``articles/``, and an archive write always happens before the index records it, so
a kill can only make the index lag behind the archive, never run ahead of it.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import articles_prefix, parse_article_key
from crawler.extract.record import content_digest
from crawler.outcomes import NotArticle

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL,
    key TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    version INTEGER NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_text ON articles (content_sha256);
-- of each archived record as stored at ``key``: the digest of its text and metadata (record.content_digest) and its
-- capture (warc pointer, fetched_at): re-extraction tells an unchanged article without reading its record
CREATE TABLE IF NOT EXISTS contents (id TEXT PRIMARY KEY, key TEXT NOT NULL, digest TEXT NOT NULL, warc_file TEXT,
                                     warc_offset INTEGER, warc_record_id TEXT, fetched_at TEXT NOT NULL);
-- other URLs that led to an article (redirects, legacy forms): id of the URL asked for → article id
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- article URLs that answered no article (a video page, a 404...): not fetched again until re-checked; a transient
-- answer (a challenge page, a garbled text...) counts its consecutive ``attempts`` and is retried at ``retry_at``
CREATE TABLE IF NOT EXISTS not_articles (id TEXT PRIMARY KEY, reason TEXT NOT NULL, checked_at TEXT NOT NULL,
                                         attempts INTEGER NOT NULL DEFAULT 1, retry_at TEXT);
-- the validators of feeds and sitemaps, for conditional requests (ETag / Last-Modified)
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
-- which discovery documents listed each article (and those that led to them: a sitemap index, a listing's first
-- page), so that an article gone from the archive has only their validators forgotten (``forget_gone``)
CREATE TABLE IF NOT EXISTS listings (id TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (id, url));
-- when discovery first showed each article (kept when the index is rebuilt: the archive's records carry it too)
CREATE TABLE IF NOT EXISTS first_seen (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
-- the revisit schedule of each archived article: its publication and its last fetch (crawler/discover/revisits.py)
CREATE TABLE IF NOT EXISTS revisits (id TEXT PRIMARY KEY, url TEXT NOT NULL, published_at TEXT NOT NULL,
                                     checked_at TEXT NOT NULL);
-- archived articles that answered gone (404/410, a redirect to a section): suspected once, removed when confirmed
CREATE TABLE IF NOT EXISTS removals (id TEXT PRIMARY KEY, how TEXT NOT NULL, suspected_at TEXT NOT NULL,
                                     removed_at TEXT);
-- the site's own article numbers seen (crawler/discover/ids.py): archived, or a known gap — no article there
-- ("not_article") or nothing ("gone": 404/410) — probed ``checks`` times, last at ``checked_at``; ``day``: the
-- UTC day of an archived article (its key's date)
CREATE TABLE IF NOT EXISTS ids (num INTEGER PRIMARY KEY, state TEXT NOT NULL, day TEXT, checks INTEGER NOT NULL,
                                checked_at TEXT NOT NULL);
"""

#: states of a site's article number in the ``ids`` table
ARCHIVED, NOT_ARTICLE, GONE = "archived", "not_article", "gone"


def archive_state_dir(state_dir: str | Path, archive_url: str) -> Path:
    """One folder of local state per archive, so that two archives never share an index or an outbox."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", archive_url.split("://", 1)[-1]).strip("_")[:40]
    digest = hashlib.sha256(archive_url.encode()).hexdigest()[:8]
    return Path(state_dir) / f"{slug}-{digest}"


def revisit_base(rec: dict) -> datetime:
    """What an article's revisits count from: its publication, or discovery's first sight of it when that is
    later (an article found late is still revisited on the whole schedule; and the sites date to the minute)."""
    times = [datetime.fromisoformat(rec[name]) for name in ("published_at", "first_seen_at") if rec.get(name)]
    return max(times) if times else datetime.fromisoformat(rec["fetched_at"])


@dataclass(frozen=True)
class NotArticleMemory:
    """An article URL's last answer that gave no article: why, when, the how-manieth transient answer in a
    row, and (transient only) when it is to be fetched again."""
    reason: str
    checked_at: datetime
    attempts: int = 1
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Known:
    id: str
    canonical_url: str
    key: str
    content_sha256: str
    version: int
    fetched_at: datetime


@dataclass(frozen=True)
class Content:
    """What the index keeps of an archived record's content and capture (``ArticleIndex.content``)."""

    id: str
    key: str
    digest: str                 # record.content_digest of the archived record
    warc: dict | None           # its ``warc`` pointer (file, offset, record_id)
    fetched_at: str


def _content_row(rec: dict, key: str) -> tuple:
    warc = rec.get("warc") or {}
    return (rec["id"], key, content_digest(rec), warc.get("file"), warc.get("offset"), warc.get("record_id"),
            rec["fetched_at"])


class ArticleIndex:
    """SQLite index of one site's archived articles. Safe to share between threads."""

    def __init__(self, path: Path, site: str):
        self.path = path
        self.site = site
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._built_at: tuple[datetime | None] | None = None     # read once: only rebuild() changes it
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: in WAL mode a commit is not synced to disk one by one (the cost that dominated a crawl's own
        # time: one fsync per archived article); a power cut may lose the last commits, never corrupt the file.
        # The index is a cache of the archive, written after the archive: losing its tail is a lag, not a loss.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(not_articles)")}
        for column, decl in (("attempts", "INTEGER NOT NULL DEFAULT 1"), ("retry_at", "TEXT")):
            if column not in columns:       # an index written before transient answers were told apart
                self._db.execute(f"ALTER TABLE not_articles ADD COLUMN {column} {decl}")
        # the articles fetched before this index recorded their documents (``listings``) are not known to them
        # (to the second, as a record's fetched_at: one fetched in the second the index was made is known)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('listings_since', ?)",
                         (datetime.now().astimezone().isoformat(timespec="seconds"),))

    @staticmethod
    def path(folder: Path, site: str) -> Path:
        """Where ``site``'s index lives in an archive's state folder (``archive_state_dir``)."""
        return Path(folder) / f"index-{site}.sqlite"

    @classmethod
    def at(cls, folder: Path, site: str) -> "ArticleIndex":
        return cls(cls.path(folder, site), site)

    def is_built(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM meta WHERE name='built'").fetchone() is not None

    def rebuild(self, archive: Archive, number: Callable[[str], int | None] | None = None,
                since: str | None = None) -> int:
        """Replace the index with what the archive's ``articles/site=<site>/`` holds, from the listing alone
        (no object is read, so a large bucket is indexed in seconds): each article's id, key and when it was
        stored. Content hashes are filled in as articles are seen again; until then a re-fetched article is
        compared with its archived copy before anything is written. With ``number`` (canonical URL → the site's
        article number, or None), the article numbers of the records dated ``since`` (YYYY-MM-DD) or later are
        read back too (those records are read: the id range's days, ``crawler/discover/ids.py``); known gaps
        are not in the archive, they are probed again. Returns the count."""
        rows, numbers = [], []
        for key, stored_at in archive.list_info(articles_prefix(self.site)):
            parts = parse_article_key(key)
            if parts is None:
                continue
            url = ""
            if number is not None and since is not None and parts["date"] >= since:
                data = archive.get(key)
                url = json.loads(data)["canonical_url"] if data else ""
                num = number(url) if url else None
                if num is not None:
                    numbers.append((num, ARCHIVED, parts["date"], 0, stored_at.isoformat()))
            rows.append((parts["id"], url, key, "", 0, stored_at.isoformat()))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM articles")
            self._db.execute("DELETE FROM contents")
            self._db.executemany("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?)", rows)
            if number is not None:
                self._db.execute("DELETE FROM ids")
                self._db.executemany("INSERT OR REPLACE INTO ids VALUES (?,?,?,?,?)", numbers)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('built', ?)", (datetime.now().isoformat(),))
            self._db.execute("COMMIT")
            self._built_at = None
        return len(rows)

    def forget_gone(self, archive: Archive, number: Callable[[str], int | None] | None = None) -> list[str]:
        """Forget the articles whose objects the archive no longer holds (deleted behind our back, between runs
        or during one): one listing of the site's ``articles/`` (a LIST request per 1,000 keys), compared with
        the keys known here. Their URLs are then fetched again and written as new. Forgotten with them: the
        validators of the discovery documents that listed them (``listings``), so that their next read is a
        full answer that lists those URLs again while every other document keeps its 304 (all validators, for
        an article fetched before its documents were recorded); and, with ``number`` (canonical URL → the
        site's article number), their numbers' "archived" in ``ids``, so that an article only its own URL
        shows is probed and archived again (``crawler/discover/ids.py``). Returns the keys forgotten."""
        listed = {key for key, _ in archive.list_info(articles_prefix(self.site))}
        with self._lock:
            gone = [(aid, key, url, fetched) for aid, key, url, fetched in
                    self._db.execute("SELECT id, key, canonical_url, fetched_at FROM articles") if key not in listed]
            if gone:
                since = self._db.execute("SELECT value FROM meta WHERE name='listings_since'").fetchone()[0]
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("DELETE FROM articles WHERE id=? AND key=?", [(a, k) for a, k, _, _ in gone])
                if any(datetime.fromisoformat(fetched) < datetime.fromisoformat(since) for *_, fetched in gone):
                    self._db.execute("DELETE FROM validators")
                else:
                    self._db.executemany("DELETE FROM validators WHERE url IN (SELECT url FROM listings WHERE id=?)",
                                         [(aid,) for aid, _, _, _ in gone])
                self._db.executemany("DELETE FROM listings WHERE id=?", [(aid,) for aid, _, _, _ in gone])
                numbers = [(n,) for _, _, url, _ in gone if url and number and (n := number(url)) is not None]
                self._db.executemany("DELETE FROM ids WHERE num=? AND state='archived'", numbers)
                self._db.execute("COMMIT")
        return [key for _, key, _, _ in gone]

    def remember_listings(self, listings: set[tuple[str, str]]) -> None:
        """``{(article id, URL)}``: the discovery documents that listed each article, or led to one that did."""
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO listings VALUES (?,?)", sorted(listings))

    def meta(self, name: str) -> str | None:
        """The value kept under ``name`` (``set_meta``), or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (name, value))

    def built_at(self) -> datetime | None:
        """When this index was first built (the archive's first run on this machine), or None. Read once (the
        archive pipeline asks for every new article); only :meth:`rebuild` changes it."""
        if self._built_at is None:
            with self._lock:
                row = self._db.execute("SELECT value FROM meta WHERE name='built'").fetchone()
            self._built_at = (datetime.fromisoformat(row[0]).astimezone() if row else None,)
        return self._built_at[0]

    def get(self, article_id: str) -> Known | None:
        """What the archive holds for ``article_id`` (or for the article it is an alias of)."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, canonical_url, key, content_sha256, version, fetched_at FROM articles "
                "WHERE id = COALESCE((SELECT id FROM aliases WHERE alias=?), ?)",
                (article_id, article_id),
            ).fetchone()
        if row is None:
            return None
        return Known(*row[:5], fetched_at=datetime.fromisoformat(row[5]))

    def content(self, article_id: str) -> Content | None:
        """What the index keeps of the content of ``article_id``'s archived record (or of the article it is an
        alias of), when it was recorded for the key the article is at now; None when not known."""
        with self._lock:
            row = self._db.execute(
                "SELECT c.id, c.key, c.digest, c.warc_file, c.warc_offset, c.warc_record_id, c.fetched_at "
                "FROM articles a JOIN contents c ON c.id = a.id AND c.key = a.key "
                "WHERE a.id = COALESCE((SELECT id FROM aliases WHERE alias=?), ?)", (article_id, article_id),
            ).fetchone()
        if row is None:
            return None
        warc = {"file": row[3], "offset": row[4], "record_id": row[5]} if row[3] is not None else None
        return Content(row[0], row[1], row[2], warc, row[6])

    def remember_content(self, rec: dict, key: str) -> None:
        """Keep the content digest and capture of ``rec``, the record just read from ``key``."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO contents VALUES (?,?,?,?,?,?,?)", _content_row(rec, key))

    def other_holder(self, content_sha256: str, article_id: str) -> str | None:
        """Another archived article whose current text has this hash, unless ``article_id``'s has it too (an
        article seen again is not another's copy)."""
        with self._lock:
            ids = [row[0] for row in self._db.execute(
                "SELECT id FROM articles WHERE content_sha256=? LIMIT 2", (content_sha256,))]
        return None if not ids or article_id in ids else ids[0]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """The statements of the block as one transaction (one commit: one write of the WAL), under the lock."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record(self, rec: dict, key: str, number: tuple[int, str] | None = None) -> None:
        """``rec`` archived under ``key``; with ``number`` (the site's article number, its key's date), that
        number archived too (:meth:`archived_number`), in the same transaction."""
        with self._transaction():      # one transaction: the article in, its "no article" memory out
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?)",
                (rec["id"], rec["canonical_url"], key, rec["content_sha256"], rec["version"], rec["fetched_at"]),
            )
            self._db.execute("INSERT OR REPLACE INTO contents VALUES (?,?,?,?,?,?,?)", _content_row(rec, key))
            self._db.execute("DELETE FROM not_articles WHERE id=?", (rec["id"],))
            self._db.execute("INSERT OR REPLACE INTO revisits VALUES (?,?,?,?)",
                             (rec["id"], rec["canonical_url"], revisit_base(rec).isoformat(), rec["fetched_at"]))
            self._db.execute("DELETE FROM removals WHERE id=? AND removed_at IS NULL", (rec["id"],))
            if number is not None:
                self._archived_number(*number)

    def checked(self, article_id: str, fetched_at: str, number: tuple[int, str] | None = None) -> None:
        """``article_id`` was fetched again at ``fetched_at`` (ISO) and found as archived: the freshness rule
        measures its sitemap ``lastmod`` against this fetch from now on (else a lastmod in the second of the
        first fetch would have it fetched again on every run). ``number``: as :meth:`record`'s."""
        with self._transaction():
            self._db.execute("UPDATE articles SET fetched_at=? WHERE id=? AND fetched_at<?",
                             (fetched_at, article_id, fetched_at))
            self._db.execute("UPDATE revisits SET checked_at=? WHERE id=? AND checked_at<?",
                             (fetched_at, article_id, fetched_at))
            self._db.execute("DELETE FROM removals WHERE id=? AND removed_at IS NULL", (article_id,))
            if number is not None:
                self._archived_number(*number)

    # -- freshness: first seen, revisits, removals ------------------------------------------------------

    def saw(self, article_id: str, when: datetime) -> None:
        """Discovery showed ``article_id`` at ``when``: kept if it is the first time."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO first_seen VALUES (?,?)", (article_id, when.isoformat()))

    def first_seen(self, article_id: str) -> str | None:
        """When discovery first showed ``article_id`` (ISO), or None."""
        with self._lock:
            row = self._db.execute("SELECT seen_at FROM first_seen WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def revisit_rows(self, since: datetime) -> list[tuple[str, str, datetime, datetime]]:
        """``(id, url, published_at, checked_at)`` of the articles published from ``since`` on, not removed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, url, published_at, checked_at FROM revisits WHERE id NOT IN "
                "(SELECT id FROM removals WHERE removed_at IS NOT NULL)").fetchall()
        out = []
        for aid, url, published, checked in rows:
            published_t = datetime.fromisoformat(published)
            if published_t >= since:
                out.append((aid, url, published_t, datetime.fromisoformat(checked)))
        return out

    def suspects(self) -> list[tuple[str, str]]:
        """``(id, url)`` of archived articles that answered gone once, waiting for the confirming check."""
        with self._lock:
            return self._db.execute(
                "SELECT r.id, v.url FROM removals r JOIN revisits v ON v.id = r.id "
                "WHERE r.removed_at IS NULL").fetchall()

    def gone(self, article_id: str, how: str, when: datetime) -> str | None:
        """``article_id`` answered gone (``how``) at ``when``. The first time it is only suspected (None); a
        second answer as gone, at a later check, confirms it: returns how it first answered (then the archive
        is told, and ``mark_removed`` records it)."""
        with self._lock:
            row = self._db.execute("SELECT how FROM removals WHERE id=?", (article_id,)).fetchone()
            if row is None:
                self._db.execute("INSERT INTO removals VALUES (?,?,?,NULL)", (article_id, how, when.isoformat()))
                return None
            return row[0]

    def mark_removed(self, article_id: str, when: datetime) -> None:
        """The archive records ``article_id`` as removed since ``when``: it is not revisited any more."""
        with self._lock:
            self._db.execute("UPDATE removals SET removed_at=? WHERE id=?", (when.isoformat(), article_id))

    def removed(self, article_id: str) -> str | None:
        """When ``article_id`` was recorded as removed (ISO), or None."""
        with self._lock:
            row = self._db.execute("SELECT removed_at FROM removals WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def remember_not_articles(self, pages: dict[str, str], checked_at: datetime,
                              backoff: Callable[[NotArticle, int], timedelta] | None = None) -> None:
        """``{article id: reason}`` of URLs that answered no article (not an article, 404) at ``checked_at``.
        A transient reason (``NotArticle.transient``) is retried ``backoff(reason, n)`` after its ``n``-th
        answer in a row (without ``backoff``: at once, the next run)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            rows = []
            for aid, why in pages.items():
                attempts, retry_at = 1, None
                if NotArticle(why).transient:
                    before = self._db.execute("SELECT reason, attempts FROM not_articles WHERE id=?", (aid,)).fetchone()
                    if before is not None and NotArticle(before[0]).transient:
                        attempts = before[1] + 1
                    wait = backoff(NotArticle(why), attempts) if backoff else timedelta(0)
                    retry_at = (checked_at + wait).isoformat()
                rows.append((aid, why, checked_at.isoformat(), attempts, retry_at))
            self._db.executemany("INSERT OR REPLACE INTO not_articles VALUES (?,?,?,?,?)", rows)
            self._db.execute("COMMIT")

    def not_article(self, article_id: str) -> NotArticleMemory | None:
        """What the last answer of ``article_id`` that gave no article was, or None."""
        with self._lock:
            row = self._db.execute("SELECT reason, checked_at, attempts, retry_at FROM not_articles WHERE id=?",
                                   (article_id,)).fetchone()
        if row is None:
            return None
        return NotArticleMemory(row[0], datetime.fromisoformat(row[1]), row[2],
                                datetime.fromisoformat(row[3]) if row[3] else None)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """``(etag, last_modified)`` last served with the feed or sitemap at ``url`` (None where not known)."""
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def remember_validators(self, validators: dict[str, tuple[str | None, str | None]],
                            forget: list[str] = ()) -> None:
        """Keep ``validators`` ({URL: (ETag, Last-Modified)}) and drop those of the URLs in ``forget``."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO validators VALUES (?,?,?)",
                                 [(url, etag, modified) for url, (etag, modified) in validators.items()])
            self._db.executemany("DELETE FROM validators WHERE url=?", [(url,) for url in forget])
            self._db.execute("COMMIT")

    def archived_number(self, num: int, day: str) -> None:
        """The site's article number ``num`` is archived (its key's date ``day``)."""
        with self._lock:
            self._archived_number(num, day)

    def _archived_number(self, num: int, day: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO ids VALUES (?,?,?,0,?)",
                         (num, ARCHIVED, day, datetime.now().astimezone().isoformat()))

    def remember_gaps(self, gaps: dict[int, str], checked_at: datetime) -> None:
        """``{article number: NOT_ARTICLE | GONE}`` found by a probe at ``checked_at``: each one's checks + 1
        (an archived number stays archived)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO ids VALUES (?,?,NULL,1,?) ON CONFLICT(num) DO UPDATE SET state=excluded.state, "
                "checks=ids.checks+1, checked_at=excluded.checked_at WHERE ids.state != 'archived'",
                [(num, state, checked_at.isoformat()) for num, state in gaps.items()])
            self._db.execute("COMMIT")

    def numbers(self, window: int) -> dict[int, tuple[str, str | None, int]]:
        """The article numbers seen from ``window`` below the highest archived one on: number → (state, day,
        checks)."""
        with self._lock:
            rows = self._db.execute("SELECT num, state, day, checks FROM ids WHERE num > "
                                    "(SELECT MAX(num) FROM ids WHERE state='archived') - ?", (window,)).fetchall()
        return {num: (state, day, checks) for num, state, day, checks in rows}

    def forget_numbers_below(self, num: int) -> None:
        """Drop the article numbers below ``num`` (long past the id range): the table stays the range's size."""
        with self._lock:
            self._db.execute("DELETE FROM ids WHERE num < ?", (num,))

    def lowest_archived_number(self) -> int | None:
        """The lowest article number archived (the id range never reaches below it)."""
        with self._lock:
            return self._db.execute("SELECT MIN(num) FROM ids WHERE state='archived'").fetchone()[0]

    def add_alias(self, alias: str, article_id: str) -> None:
        if alias != article_id:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO aliases VALUES (?,?)", (alias, article_id))

    def close(self) -> None:
        with self._lock:
            self._db.close()
