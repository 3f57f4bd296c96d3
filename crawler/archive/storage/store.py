"""Article writes, written once for every backend: idempotent, versioned.

* same content hash as the archived copy → no write at all ("unchanged");
* new article → conditional write of ``articles/…/<id>.json`` ("new");
* a text older than the archived one (late replay) → kept under ``versions/`` only ("unchanged");
* changed text → the archived copy is kept under ``versions/…/<id>/<old sha>.json``, then the new one
  replaces ``articles/…/<id>.json`` with ``version`` + 1 ("updated").

On S3 the replace is conditional (``If-Match`` on the ETag just read) so concurrent writers never lose an
edit. Every step is idempotent, so replaying a write after a crash (or from the outbox) never duplicates.

A write's answer can be lost after the write was applied (a connection cut, a proxy timing out): botocore's
retry of a conditional write is then refused (412) by our own write, or the retries give up. So a write is
counted only from what the archive holds (:func:`_put`): a refused or unanswered write whose key now holds
this very write (its random ``write-id`` metadata) is ours, and is counted and listed in the run's manifest
like any other.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, TypeVar

from crawler.outcomes import PageOutcome
from crawler.extract.record import ArticleRecord, encode, same_content, versioned
from crawler.archive.storage.base import Archive, ArchiveError, ArchiveUnavailable
from crawler.archive.storage.keys import article_key, key_date, utc_date, version_key

T = TypeVar("T")

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Planned:
    outcome: PageOutcome         # NEW | UPDATED | UNCHANGED
    key: str
    record: dict
    previous_key: str | None = None   # for UPDATED: where the archived copy is now
    metadata_only: bool = False       # for UPDATED: the same text with new metadata, replaced in place

    def __post_init__(self) -> None:      # an outbox entry carries the outcome as its string
        object.__setattr__(self, "outcome", PageOutcome(self.outcome))


def object_metadata(record: dict) -> dict[str, str]:
    return {
        "site": record["site"],
        "published-date": (record.get("published_at") or "")[:10],
        "content-sha256": record["content_sha256"],
        "article-id": record["id"],
        "version": str(record["version"]),
    }


MAX_CONFLICTS = 8


def _superseded(archive: Archive, record: dict, current: dict, date: str) -> bool:
    """Is ``record`` older than the archived ``current``? By fetch time; on a tie, by whether its text is
    already kept among the article's past versions."""
    ours, theirs = record.get("fetched_at") or "", current.get("fetched_at") or ""
    try:
        ours_t, theirs_t = datetime.fromisoformat(ours), datetime.fromisoformat(theirs)
    except ValueError:
        ours_t = theirs_t = None
    if ours_t is not None and ours_t != theirs_t:
        return ours_t < theirs_t
    return archive.exists(version_key(record["site"], date, record["id"], record["content_sha256"]))


def _put(archive: Archive, key: str, data: bytes, *, metadata: dict[str, str], **how) -> bool:
    """``archive.put(key, data, **how)``, true when this very write is at ``key`` afterwards. Where a write's
    answer can be lost (a backend over the network: ``archive.remote``), each write carries a random ``write-id``
    in its metadata, and a conditional write refused, or a write whose answer never came
    (``ArchiveUnavailable`` after the retries), is read back (HEAD) before it is counted as not done."""
    if not archive.remote:
        return archive.put(key, data, metadata=metadata, **how)
    write_id = secrets.token_hex(8)
    try:
        if archive.put(key, data, metadata={**metadata, "write-id": write_id}, **how):
            return True
    except ArchiveUnavailable:
        try:
            info = archive.stat(key)
        except ArchiveError:
            info = None
        if info is not None and info.metadata.get("write-id") == write_id:
            return True
        raise
    info = archive.stat(key)
    return info is not None and info.metadata.get("write-id") == write_id


def store_article(archive: Archive, plan: Planned) -> tuple[PageOutcome, list[str], dict | None]:
    """Carry out ``plan`` on ``archive``: the outcome (which can differ from the plan's when the archive is
    ahead of the index, e.g. after a crash), the keys written, and the record as stored (its ``version`` is
    decided here, from the archived copy, not from the index), or None when nothing was written.

    A replace is conditional on the ETag read just before (``If-Match``) where the backend supports it, so
    two writers of the same article never lose an edit: the loser reads again, keeps the winner's text
    under ``versions/`` and writes on top of it (or finds the same text there and writes nothing)."""
    if plan.outcome == PageOutcome.UNCHANGED:
        return PageOutcome.UNCHANGED, [], None
    record = plan.record
    if plan.outcome == PageOutcome.NEW:
        rec = versioned(record, None)
        if _put(archive, plan.key, encode(rec), content_type=JSON, metadata=object_metadata(rec), if_absent=True):
            return PageOutcome.NEW, [plan.key], rec
    written: list[str] = []
    date = key_date(plan.key)
    for _ in range(MAX_CONFLICTS):
        current = archive.get_with_etag(plan.key)
        if current is None:                      # nothing there (any more): create it
            rec = versioned(record, None)
            if _put(archive, plan.key, encode(rec), content_type=JSON, metadata=object_metadata(rec),
                    if_absent=True):
                return PageOutcome.NEW, written + [plan.key], rec
            continue
        old, etag = current
        old_rec = json.loads(old)
        if old_rec.get("content_sha256") == record["content_sha256"]:
            return PageOutcome.UNCHANGED, written, None
        if _superseded(archive, record, old_rec, date):
            # A late write (an outbox replay, a slow concurrent run) of a text the archive has already moved
            # past: keep it as a past version, never put it back on top.
            vkey = version_key(record["site"], date, record["id"], record["content_sha256"])
            if _put(archive, vkey, encode(record), content_type=JSON, metadata=object_metadata(record),
                    if_absent=True):
                written.append(vkey)
            return PageOutcome.UNCHANGED, written, None
        vkey = version_key(old_rec["site"], date, old_rec["id"], old_rec["content_sha256"])
        if _put(archive, vkey, old, content_type=JSON, metadata=object_metadata(old_rec), if_absent=True):
            written.append(vkey)
        rec = versioned(record, old_rec.get("version", 1))
        condition = {"if_match": etag} if etag else {}
        if _put(archive, plan.key, encode(rec), content_type=JSON, metadata=object_metadata(rec), **condition):
            return PageOutcome.UPDATED, written + [plan.key], rec
        # another writer replaced it between our read and our write: read again
    raise ArchiveError(f"archive {archive.url}: {plan.key} kept changing under {MAX_CONFLICTS} concurrent writes")


def store_metadata_change(archive: Archive, key: str, record: dict) -> tuple[PageOutcome, list[str], dict | None]:
    """Store ``record`` at ``key`` when its text is the archived one's but its metadata differ (a re-extraction
    with better rules): the record is replaced in place with ``version`` + 1. Past versions are kept per text
    (``versions/…/<content_sha256>.json``) and this text is the current one, so nothing goes to ``versions/``.
    Returns what ``store_article`` returns; a text that changed meanwhile goes through ``store_article``."""
    for _ in range(MAX_CONFLICTS):
        current = archive.get_with_etag(key)
        if current is None:
            return store_article(archive, Planned(PageOutcome.NEW, key, record))
        old, etag = current
        old_rec = json.loads(old)
        if old_rec.get("content_sha256") != record["content_sha256"]:
            return store_article(archive, Planned(PageOutcome.UPDATED, key, record, previous_key=key))
        if same_content(old_rec, record):
            return PageOutcome.UNCHANGED, [], None
        rec = versioned(record, old_rec.get("version", 1))
        condition = {"if_match": etag} if etag else {}
        if _put(archive, key, encode(rec), content_type=JSON, metadata=object_metadata(rec), **condition):
            return PageOutcome.UPDATED, [key], rec
    raise ArchiveError(f"archive {archive.url}: {key} kept changing under {MAX_CONFLICTS} concurrent writes")


class Known(Protocol):
    """What is known of an archived article: the index's entry, or :class:`Archived`."""

    key: str
    content_sha256: str
    version: int


@dataclass(frozen=True)
class Archived:
    """An archived article as read from the archive (re-extraction): its key, and the record itself."""

    key: str
    record: dict

    @property
    def content_sha256(self) -> str:
        return self.record["content_sha256"]

    @property
    def version(self) -> int:
        return self.record.get("version", 1)


def plan_article(record: dict, known: Known | None, date: str) -> Planned:
    """Decide what ``record`` means for the archive, given what is known of its id (or None). Where the
    archived record itself is known (:class:`Archived`), the same text with other metadata is a change too
    (stored in place); the index knows only the text's hash."""
    if known is None:
        return Planned(PageOutcome.NEW, article_key(record["site"], date, record["id"]), versioned(record, None))
    archived = known.record if isinstance(known, Archived) else None
    if archived is not None and same_content(archived, record):
        return Planned(PageOutcome.UNCHANGED, known.key, record)
    if known.content_sha256 == record["content_sha256"]:
        if archived is None:
            return Planned(PageOutcome.UNCHANGED, known.key, record)
        return Planned(PageOutcome.UPDATED, known.key, versioned(record, known.version), metadata_only=True)
    return Planned(PageOutcome.UPDATED, known.key, versioned(record, known.version), previous_key=known.key)


def store(archive: Archive, plan: Planned) -> tuple[PageOutcome, list[str], dict | None]:
    """Carry out ``plan``: :func:`store_metadata_change` for a change of metadata alone, else
    :func:`store_article`."""
    if plan.metadata_only:
        return store_metadata_change(archive, plan.key, plan.record)
    return store_article(archive, plan)


class InvalidRecord(ValueError):
    """A record built from a page breaks the schema: it is not archived."""

    def __init__(self, record: ArticleRecord, found: list[str]):
        super().__init__(f"invalid record: {record.url}: {'; '.join(found[:3])}")
        self.field = found[0].split(":", 1)[0]


def ingest(record: ArticleRecord, known: Known | None, write: Callable[[Planned], T]) -> tuple[Planned, T | None]:
    """The one way a record built from a page goes into the archive, for the crawl and for re-extraction:
    checked (once, cheaply: :meth:`ArticleRecord.problems`; ``InvalidRecord`` when it breaks the schema), placed
    by its date, planned against what is ``known`` of its article (its ``version`` decided there), then
    ``write`` (the crawl's uploader, or :func:`store`) unless nothing changed. Returns the plan and what
    ``write`` returned (None when unchanged)."""
    found = record.problems()
    if found:
        raise InvalidRecord(record, found)
    date = utc_date(record.published_at, datetime.fromisoformat(record.fetched_at))
    plan = plan_article(record.to_dict(), known, date)
    return plan, (None if plan.outcome == PageOutcome.UNCHANGED else write(plan))


def store_removal(archive: Archive, key: str, removed_at: str, how: str) -> bool:
    """Mark the archived record at ``key`` as taken down by the site (``removed_at``, ``removed_how``), in place:
    its text, version and past versions stay as they are. False when there is no record at ``key``; a record
    already marked is left as it is (True)."""
    for _ in range(MAX_CONFLICTS):
        current = archive.get_with_etag(key)
        if current is None:
            return False
        old, etag = current
        rec = json.loads(old)
        if rec.get("removed_at"):
            return True
        rec = {**rec, "removed_at": removed_at, "removed_how": how}
        condition = {"if_match": etag} if etag else {}
        if archive.put(key, encode(rec), content_type=JSON, metadata=object_metadata(rec), **condition):
            return True
    raise ArchiveError(f"archive {archive.url}: {key} kept changing under {MAX_CONFLICTS} concurrent writes")
