"""Article writes, written once for every backend: idempotent, versioned.

* same content hash as the archived copy → no write at all ("unchanged");
* new article → conditional write of ``articles/…/<id>.json`` ("new");
* changed text → the archived copy is kept under ``versions/…/<id>/<old sha>.json``, then the new one
  replaces ``articles/…/<id>.json`` with ``version`` + 1 ("updated").

Every step is idempotent, so replaying a write after a crash (or from the outbox) never duplicates.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..record import encode
from .base import Archive
from .keys import article_key, version_key

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Planned:
    outcome: str                 # "new" | "updated" | "unchanged"
    key: str
    record: dict
    previous_key: str | None = None   # for "updated": where the archived copy is now


def object_metadata(record: dict) -> dict[str, str]:
    return {
        "site": record["site"],
        "published-date": (record.get("published_at") or "")[:10],
        "content-sha256": record["content_sha256"],
        "article-id": record["id"],
        "version": str(record["version"]),
    }


def write_article(archive: Archive, plan: Planned) -> tuple[str, list[str]]:
    """Carry out ``plan`` on ``archive``. Returns the outcome (which can differ from the plan's when the
    archive is ahead of the index, e.g. after a crash) and the keys written."""
    if plan.outcome == "unchanged":
        return "unchanged", []
    if plan.outcome == "new":
        if archive.put(plan.key, encode(plan.record), content_type=JSON, metadata=object_metadata(plan.record),
                       if_absent=True):
            return "new", [plan.key]
        # Someone (an interrupted run, a concurrent one) wrote this id already: compare with what is there.
        existing = json.loads(archive.get(plan.key) or b"{}")
        if existing.get("content_sha256") == plan.record["content_sha256"]:
            return "unchanged", []
        plan = Planned("updated", plan.key, {**plan.record, "version": int(existing.get("version", 1)) + 1},
                       previous_key=plan.key)
    written = []
    old = archive.get(plan.previous_key) if plan.previous_key else None
    if old is not None:
        old_rec = json.loads(old)
        if old_rec["content_sha256"] == plan.record["content_sha256"]:
            return "unchanged", []
        date = plan.key.split("/date=", 1)[1].split("/", 1)[0]
        vkey = version_key(old_rec["site"], date, old_rec["id"], old_rec["content_sha256"])
        if archive.put(vkey, old, content_type=JSON, metadata=object_metadata(old_rec), if_absent=True):
            written.append(vkey)
    archive.put(plan.key, encode(plan.record), content_type=JSON, metadata=object_metadata(plan.record))
    written.append(plan.key)
    return "updated", written


def plan_article(record: dict, known, date: str) -> Planned:
    """Decide what ``record`` means for the archive, given what the index knows of its id (or None)."""
    if known is None:
        return Planned("new", article_key(record["site"], date, record["id"]), {**record, "version": 1})
    if known.content_sha256 == record["content_sha256"]:
        return Planned("unchanged", known.key, record)
    return Planned("updated", known.key, {**record, "version": known.version + 1}, previous_key=known.key)
