"""Article writes on the local archive: idempotent, versioned; the index is rebuilt from the archive."""
import hashlib
import json

from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.store import plan_article, store_article
from crawler.extract.record import complete, problems
from crawler.archive.state.index import ArticleIndex


def record(text="نص المقال الأول كما هو."):
    extracted = {
        "id": "0123456789abcdef0123", "url": "https://www.elbalad.news/5634973",
        "canonical_url": "https://www.elbalad.news/5634973", "site": "elbalad", "title": "عنوان",
        "description": None, "authors": [], "published_at": "2026-11-20T10:00:00+02:00", "modified_at": None,
        "section": "سياسة", "tags": [], "image": None, "language": "ar", "text": text,
        "word_count": len(text.split()), "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "extractor": {"name": "trafilatura", "version": "2", "rules": "elbalad@1.1"},
    }
    from datetime import datetime, timezone
    return complete(extracted, fetched_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc), run_id="r1", warc=None)


def save(archive, index, rec):
    plan = plan_article(rec, index.get(rec["id"]), "2026-11-20")
    outcome, keys, _ = store_article(archive, plan)
    if outcome != "unchanged":
        index.record(plan.record, plan.key)
    return outcome, keys


def test_record_fixture_is_schema_valid():
    assert problems(record()) == []


def test_new_then_unchanged_then_updated_keeps_previous_version(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/a")
    index = ArticleIndex(tmp_path / "idx.sqlite", "elbalad")
    key = "articles/site=elbalad/date=2026-11-20/0123456789abcdef0123.json"

    assert save(archive, index, record()) == ("new", [key])
    assert save(archive, index, record()) == ("unchanged", [])
    edited = record("نص المقال بعد التعديل.")
    outcome, keys = save(archive, index, edited)
    assert outcome == "updated"
    old_sha = record()["content_sha256"]
    vkey = f"versions/site=elbalad/date=2026-11-20/0123456789abcdef0123/{old_sha}.json"
    assert keys == [vkey, key]
    latest = json.loads(archive.get(key))
    assert latest["text"] == "نص المقال بعد التعديل." and latest["version"] == 2
    assert json.loads(archive.get(vkey))["text"] == "نص المقال الأول كما هو."
    assert list(archive.list("articles/")) == [key]


def test_archive_ahead_of_index_is_not_written_twice(tmp_path):
    """A run killed after the archive write but before the index update: the replay writes nothing."""
    archive = LocalArchive(f"file://{tmp_path}/a")
    save(archive, ArticleIndex(tmp_path / "one.sqlite", "elbalad"), record())
    fresh = ArticleIndex(tmp_path / "two.sqlite", "elbalad")   # knows nothing
    assert save(archive, fresh, record()) == ("unchanged", [])
    outcome, _ = save(archive, ArticleIndex(tmp_path / "three.sqlite", "elbalad"), record("نص آخر مختلف."))
    assert outcome == "updated"
    assert json.loads(archive.get("articles/site=elbalad/date=2026-11-20/0123456789abcdef0123.json"))["version"] == 2


def test_index_rebuilds_from_the_archive_listing(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/a")
    save(archive, ArticleIndex(tmp_path / "one.sqlite", "elbalad"), record())
    index = ArticleIndex(tmp_path / "new.sqlite", "elbalad")
    assert not index.is_built()
    assert index.rebuild(archive) == 1 and index.is_built()
    known = index.get("0123456789abcdef0123")
    assert known.key == "articles/site=elbalad/date=2026-11-20/0123456789abcdef0123.json"
    assert known.fetched_at.tzinfo is not None            # when it was stored: the freshness test needs it
    # the hash is not read back: the next fetch of the same text is compared with the archived copy
    assert save(archive, index, record()) == ("unchanged", [])
    assert save(archive, index, record("نص بعد تعديل."))[0] == "updated"


def test_aliases_resolve_to_the_article(tmp_path):
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    index.record(record(), "k")
    index.add_alias("ffffffffffffffffffff", "0123456789abcdef0123")
    assert index.get("ffffffffffffffffffff").id == "0123456789abcdef0123"


def test_local_writes_leave_no_partial_files(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/a")
    archive.put("x/y.json", b"{}", content_type="application/json")
    assert archive.put("x/y.json", b"[]", content_type="application/json", if_absent=True) is False
    assert archive.get("x/y.json") == b"{}"
    assert [p.name for p in (tmp_path / "a" / "x").iterdir()] == ["y.json"]


def test_local_archive_sweeps_only_old_partial_writes(tmp_path):
    import os
    import time
    from datetime import timedelta

    archive = LocalArchive(f"file://{tmp_path}/archive")
    archive.put("articles/site=elbalad/a.json", b"{}", content_type="application/json")
    folder = tmp_path / "archive" / "articles" / "site=elbalad"
    old, young, other = folder / ".tmp-old.part", folder / ".tmp-young.part", folder / ".tmp-notes.txt"
    for path in (old, young, other):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    os.utime(other, (time.time() - 7200, time.time() - 7200))
    assert archive.sweep_partial_writes(timedelta(hours=1)) == 1
    assert not old.exists() and young.exists() and other.exists()
    assert list(archive.list("articles/")) == ["articles/site=elbalad/a.json"]


def test_a_partial_write_that_cannot_be_removed_is_left_for_a_later_run(tmp_path, monkeypatch):
    import os
    import time
    from datetime import timedelta

    archive = LocalArchive(f"file://{tmp_path}/archive")
    archive.put("articles/site=elbalad/a.json", b"{}", content_type="application/json")
    stale = tmp_path / "archive" / "articles" / "site=elbalad" / ".tmp-old.part"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    def read_only(path, *args, **kwargs):          # what a folder mounted read-only answers
        raise OSError(30, "Read-only file system", path)

    monkeypatch.setattr(os, "unlink", read_only)
    assert archive.sweep_partial_writes(timedelta(hours=1)) == 0
    monkeypatch.undo()
    assert stale.exists() and archive.sweep_partial_writes(timedelta(hours=1)) == 1


def typed(text="نص المقال الأول كما هو.", **changes):
    from dataclasses import replace
    from datetime import datetime, timezone

    from crawler.extract.record import ArticleRecord

    rec = record(text)
    extracted = {k: v for k, v in rec.items() if k in ArticleRecord.__dataclass_fields__}
    made = ArticleRecord.complete(extracted, fetched_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc), run_id="r1",
                                  warc=None)
    return replace(made, **changes)


def test_ingest_stores_a_checked_record_and_decides_its_version(tmp_path):
    """The one path of the crawl and re-extraction: placed by its date, planned against what the index knows,
    written by the caller's writer; unchanged text writes nothing."""
    from functools import partial

    from crawler.archive.storage.store import ingest, store

    archive = LocalArchive(f"file://{tmp_path}/a")
    index = ArticleIndex(tmp_path / "idx.sqlite", "elbalad")
    write = partial(store, archive)
    key = "articles/site=elbalad/date=2026-11-20/0123456789abcdef0123.json"
    plan, (outcome, keys, stored) = ingest(typed(), None, write)
    assert (plan.key, outcome, keys, stored["version"]) == (key, "new", [key], 1)
    index.record(stored, key)
    assert ingest(typed(), index.get(stored["id"]), write)[1] is None
    plan, (outcome, _, stored) = ingest(typed("نص بعد تعديل."), index.get(stored["id"]), write)
    assert (outcome, plan.record["version"], stored["version"]) == ("updated", 2, 2)
    assert json.loads(archive.get(key))["version"] == 2


def test_ingest_refuses_a_record_that_breaks_the_schema_and_writes_nothing(tmp_path):
    from crawler.archive.storage.store import InvalidRecord, ingest, store
    import pytest

    archive = LocalArchive(f"file://{tmp_path}/a")
    with pytest.raises(InvalidRecord) as caught:
        ingest(typed(title=""), None, lambda plan: store(archive, plan))
    assert caught.value.field == "title" and "https://www.elbalad.news/5634973" in str(caught.value)
    assert list(archive.list("")) == []


def test_ingest_against_the_archived_record_stores_a_change_of_metadata_alone_in_place(tmp_path):
    """Re-extraction reads the archived record: the same text with better metadata is stored in place as the
    next version (nothing under versions/); the same text and metadata is no write."""
    from functools import partial

    from crawler.archive.storage.store import Archived, ingest, store

    archive = LocalArchive(f"file://{tmp_path}/a")
    write = partial(store, archive)
    plan, (_, _, stored) = ingest(typed(), None, write)
    assert ingest(typed(), Archived(plan.key, stored), write)[1] is None
    better = typed(section="اقتصاد")
    plan, (outcome, keys, stored) = ingest(better, Archived(plan.key, stored), write)
    assert plan.metadata_only and (outcome, keys) == ("updated", [plan.key])
    assert (stored["section"], stored["version"]) == ("اقتصاد", 2) and list(archive.list("versions/")) == []
