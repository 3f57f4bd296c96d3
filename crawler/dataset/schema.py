"""The Arrow schema of the articles dataset: the published contract of ``datasets/articles/``.

One row per article (its latest version) per publication day. The Parquet files hold ``FILE_SCHEMA``;
``site`` and ``date`` are Hive partition columns, taken from the path
(``datasets/articles/site=<site>/date=<YYYY-MM-DD>/``) and not stored in the files (a column stored in the
file as well would clash with the partition column in pyarrow). Readers see ``DATASET_SCHEMA``: the file
columns plus the partition columns.

Every field of the JSON record (crawler/schema/article.schema.json) is a column here with the matching
type, and the other way round, except ``DATASET_ONLY`` columns; ``tests/test_dataset_schema.py`` fails
when the two drift, and ``docs/schema.md`` is generated from both (``python -m crawler.dataset.docs``).

* timestamps are ``timestamp[us, tz=UTC]``: the record's ISO 8601 strings converted to UTC (the original
  offset is not kept; the JSON record has it);
* ``authors`` and ``tags`` are lists of strings; ``extractor`` and ``warc`` are structs, as in the record;
* ``story_id`` is the dataset's own column: the story an article belongs to across both outlets, null
  where no story is known.
"""
from __future__ import annotations

import json
from importlib import resources

import pyarrow as pa

#: bump when the columns or their meaning change; stored in every file's metadata, and part of the
#: fingerprint, so that a new format rewrites every day on the next compaction
FORMAT_VERSION = 3

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.field("item", pa.string(), nullable=False))


def _field(name: str, type_: pa.DataType, nullable: bool, description: str) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _record_description(name: str) -> str:
    """The JSON Schema's description of the record's field ``name`` (written once, there)."""
    record = json.loads(resources.files("crawler.schema").joinpath("article.schema.json").read_text("utf-8"))
    return record["properties"][name]["description"]


FILE_SCHEMA = pa.schema([
    _field("id", pa.string(), False, _record_description("id").rstrip(".") + "; unique in the whole dataset"),
    _field("schema_version", pa.int16(), False, "version of the JSON record's schema (1)"),
    _field("url", pa.string(), False, "URL as fetched (after redirects)"),
    _field("canonical_url", pa.string(), False, "canonical URL: no tracking parameters, AMP or fragment variants"),
    _field("title", pa.string(), False, "headline"),
    _field("description", pa.string(), True, "summary the page gives, if any"),
    _field("authors", STRINGS, False, "bylines, possibly empty"),
    _field("published_at", UTC_TIMESTAMP, True, "publication time in UTC; null when the page carries no date"),
    _field("modified_at", UTC_TIMESTAMP, True, "last modification time the page states, in UTC"),
    _field("section", pa.string(), True, "the site's section"),
    _field("tags", STRINGS, False, "the page's tags, possibly empty"),
    _field("image", pa.string(), True, "lead image URL"),
    _field("language", pa.string(), False, "ISO 639-1 code (ar)"),
    _field("text", pa.string(), False, "the cleaned article body: paragraphs joined with a newline, title "
                                       "not included"),
    _field("word_count", pa.int32(), False, "words in text"),
    _field("content_sha256", pa.string(), False, "SHA-256 of text (UTF-8); a new value means a new version"),
    _field("version", pa.int32(), False, "1 for the first archived text, +1 for each edit seen"),
    _field("first_seen_at", UTC_TIMESTAMP, True, "when discovery first showed the article, in UTC; null in "
                                                 "records written before it was kept"),
    _field("fetched_at", UTC_TIMESTAMP, False, "when this version was fetched, in UTC"),
    _field("removed_at", UTC_TIMESTAMP, True, "when the site was found to have taken the article down (a "
                                              "second check confirmed it), in UTC; null while it is online"),
    _field("removed_how", pa.string(), True, "how the site answered then: HTTP 404, HTTP 410, or HTTP 301 "
                                             "to /<section path>"),
    _field("run_id", pa.string(), False, "the run that fetched this version"),
    _field("discovered_by", pa.string(), True, "the kind of discovery source that led to this version's fetch: "
                                               "feed, sitemap, listing or id_probe (a probe of the site's own "
                                               "article number); null for arshif refetch and older records"),
    _field("extractor", pa.struct([
        _field("name", pa.string(), False, "extraction library (trafilatura)"),
        _field("version", pa.string(), False, "its version"),
        _field("rules", pa.string(), False, "our cleaning rules' version, site@N.M"),
        _field("notes", pa.map_(pa.string(), pa.int32()), True, "cleaning rules that fired in a way that may "
                                                                "be wrong, name → count; null in records "
                                                                "written before arshif 0.2"),
    ]), False, "what extracted the text"),
    _field("warc", pa.struct([
        _field("file", pa.string(), False, "archive key of the WARC file holding the raw response"),
        _field("offset", pa.int64(), False, "byte offset of the response record in that file (each record "
                                            "is its own gzip member)"),
        _field("record_id", pa.string(), False, "WARC-Record-ID of the response record"),
    ]), True, "where the raw response is; null when it was not recorded"),
    _field("story_id", pa.string(), True, "the story this article belongs to, shared by the articles of both "
                                          "outlets that report the same event; null when none is known"),
])

PARTITION_SCHEMA = pa.schema([
    _field("site", pa.string(), False, "rt_arabic or elbalad (Hive partition site=…)"),
    _field("date", pa.date32(), False, "UTC date of publication, or of the first fetch when the page has no "
                                       "date (Hive partition date=YYYY-MM-DD); an article keeps it for life"),
])

DATASET_SCHEMA = pa.schema(list(FILE_SCHEMA) + list(PARTITION_SCHEMA))

#: columns of the dataset that are not fields of the JSON record
DATASET_ONLY = ("story_id", "date")


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode("utf-8")
