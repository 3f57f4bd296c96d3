"""The typed article record is the one source of the record's schema: the committed JSON Schema is what it
generates, the stored JSON keeps its field order, and the cheap check of a record our code built finds what
the full JSON Schema check finds."""
import copy
import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.extract.record import (CONTENT_FIELDS, ArticleRecord, WarcPointer, complete, encode, problems,
                                    render_json_schema, schema, versioned)

ROOT = Path(__file__).resolve().parent.parent
FETCHED = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
TEXT = "نص المقال الأول كما هو."
EXTRACTED = {
    "id": "0123456789abcdef0123", "url": "https://www.elbalad.news/5634973",
    "canonical_url": "https://www.elbalad.news/5634973", "site": "elbalad", "title": "عنوان",
    "description": None, "authors": ["كاتب"], "published_at": "2026-11-20T10:00:00+02:00", "modified_at": None,
    "section": "سياسة", "tags": [], "image": None, "language": "ar", "text": TEXT,
    "word_count": len(TEXT.split()), "content_sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
    "extractor": {"name": "trafilatura", "version": "2", "rules": "elbalad@1.1", "notes": {"cut_at_box": 1}},
}
WARC = {"file": "warc/site=elbalad/date=2026-11-20/r1-00000.warc.gz", "offset": 12, "record_id": "<urn:uuid:1>"}


def typed() -> ArticleRecord:
    return ArticleRecord.complete(EXTRACTED, fetched_at=FETCHED, run_id="r1", warc=WARC, discovered_by="feed",
                                  first_seen_at=FETCHED - timedelta(hours=1))


def test_the_committed_json_schema_is_the_generated_one():
    assert (ROOT / "crawler" / "schema" / "article.schema.json").read_text("utf-8") == render_json_schema(), \
        "crawler/schema/article.schema.json is out of date: python -m crawler.extract.record > it"


def test_the_stored_json_keeps_its_fields_order_and_form():
    """What the crawl stored before the record was typed: the extractor's fields in their order, then what
    the crawl knows; the take-down fields only once set."""
    stored = complete(EXTRACTED, fetched_at=FETCHED, run_id="r1", warc=WARC, discovered_by="feed")
    assert list(stored) == ["schema_version", *EXTRACTED, "first_seen_at", "fetched_at", "run_id", "discovered_by",
                            "warc", "version"]
    assert stored["warc"] == WARC and stored["extractor"] == EXTRACTED["extractor"]
    assert (stored["schema_version"], stored["version"], stored["fetched_at"]) == (1, 1, "2026-11-20T09:00:00+00:00")
    removed = replace(typed(), removed_at="2026-11-21T09:00:00+00:00", removed_how="HTTP 404").to_dict()
    assert list(removed)[-2:] == ["removed_at", "removed_how"] and problems(removed) == []
    old = dict(EXTRACTED, extractor={"name": "trafilatura", "version": "2", "rules": "elbalad@1.1"})
    assert "notes" not in complete(old, fetched_at=FETCHED, run_id="r1", warc=None)["extractor"]
    assert json.loads(encode(stored)) == stored


def test_content_fields_are_the_article_itself():
    assert CONTENT_FIELDS == ("id", "canonical_url", "site", "title", "description", "authors", "published_at",
                              "modified_at", "section", "tags", "image", "language", "text", "word_count",
                              "content_sha256")


def test_the_version_is_decided_from_the_archived_one():
    assert versioned({"version": 7, "id": "x"}, None) == {"version": 1, "id": "x"}
    assert versioned({"version": 1}, 3)["version"] == 4


BROKEN = {
    "id": "not-an-id", "url": "ftp://x/1", "canonical_url": 5, "site": "El Balad", "title": "", "description": 3,
    "authors": [""], "published_at": "2026-11-20T10:00:00", "modified_at": "yesterday", "section": None,
    "tags": "politics", "language": "arabic", "text": "", "word_count": 0, "content_sha256": "abc",
    "fetched_at": None, "run_id": "", "discovered_by": "rumour", "version": 0, "first_seen_at": "noon",
    "removed_at": "2026-11-21", "image": ["a"], "removed_how": 404,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_cheap_check_finds_what_the_json_schema_finds(name):
    """Each field broken alone: both checks say that field, and nothing else."""
    record = replace(typed(), **{name: BROKEN[name]})
    cheap = {p.split(":", 1)[0] for p in record.problems()}
    full = {p.split(":", 1)[0].split(".")[0] for p in problems(record.to_dict())}     # authors.0: authors
    assert cheap == full
    if name != "section":             # a null section is allowed
        assert cheap == {name}


def test_the_cheap_check_reads_the_time_itself():
    """``format: date-time`` is checked only where jsonschema has a date-time parser installed; the cheap
    check always parses the time."""
    assert [p.split(":", 1)[0] for p in replace(typed(), modified_at="yesterday+02:00").problems()] == ["modified_at"]


def test_the_cheap_check_looks_inside_the_nested_parts():
    record = typed()
    record.warc = WarcPointer(file="w", offset=-1, record_id="r")
    record.extractor.notes = {"cut_at_box": 0}
    record.schema_version = 2
    cheap = sorted(p.split(":", 1)[0] for p in record.problems())
    full = sorted(".".join(p.split(":", 1)[0].split(".")[:2]) for p in problems(record.to_dict()))
    assert cheap == full == ["extractor.notes", "schema_version", "warc.offset"]
    assert typed().problems() == [] and problems(typed().to_dict()) == []


def test_records_of_old_archives_pass_the_full_check():
    """Records written before first_seen_at, discovered_by and extractor.notes existed are still valid."""
    stored = complete(EXTRACTED, fetched_at=FETCHED, run_id="r1", warc=None)
    old = {k: v for k, v in stored.items() if k not in ("first_seen_at", "discovered_by")}
    old["extractor"] = {k: v for k, v in old["extractor"].items() if k != "notes"}
    assert problems(old) == []
    wrong = copy.deepcopy(old)
    wrong["subtitle"] = "x"
    assert problems(wrong) and schema()["additionalProperties"] is False
