"""The article record: completing it for the archive and validating it against the published schema."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_VERSION = 1


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("crawler.schema").joinpath("article.schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def complete(extracted: dict, *, fetched_at: datetime, run_id: str, warc: dict | None,
             first_seen_at: datetime | None = None, discovered_by: str | None = None) -> dict:
    """The extractor's fields plus what the crawl knows: when discovery first showed it (``first_seen_at``,
    default the fetch), when it was fetched, which run, which kind of discovery source led to the page, where
    the raw bytes are. ``version`` is 1; storing an edit over an archived article makes it the next
    (``crawler/archive/store.py``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        **extracted,
        "first_seen_at": min(first_seen_at or fetched_at, fetched_at).isoformat(timespec="seconds"),
        "fetched_at": fetched_at.isoformat(timespec="seconds"),
        "run_id": run_id,
        "discovered_by": discovered_by,
        "warc": warc,
        "version": 1,
    }


# The fields that are the article itself (text and metadata), as opposed to how and when it was fetched and
# extracted (url as fetched, fetched_at, run_id, warc, extractor, version): a re-extraction that changes none
# of these changes nothing.
CONTENT_FIELDS = ("id", "canonical_url", "site", "title", "description", "authors", "published_at", "modified_at",
                  "section", "tags", "image", "language", "text", "word_count", "content_sha256")


def same_content(a: dict, b: dict) -> bool:
    """Do the records ``a`` and ``b`` say the same article: same text and metadata?"""
    return all(a.get(name) == b.get(name) for name in CONTENT_FIELDS)


def problems(record: dict) -> list[str]:
    """Every way ``record`` breaks the schema, as 'field: message' strings (empty when valid)."""
    out = []
    for err in sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "record"
        out.append(f"{where}: {err.message}")
    return out


def encode(record: dict) -> bytes:
    """The stored form: UTF-8 JSON, Arabic unescaped, keys in schema order."""
    return (json.dumps(record, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n").encode("utf-8")
