"""The Arrow schema of the articles dataset: the published contract of ``datasets/articles/``.

One row per article (its latest version) per publication day. The Parquet files hold ``FILE_SCHEMA``;
``site`` and ``date`` are Hive partition columns, taken from the path
(``datasets/articles/site=<site>/date=<YYYY-MM-DD>/``) and not stored in the files (a column stored in the
file as well would clash with the partition column in pyarrow). Readers see ``DATASET_SCHEMA``: the file
columns plus the partition columns.

The columns of the record's fields are generated from the typed record (``crawler.extract.record.ArticleRecord``:
type, nullability, description), as the JSON Schema is; only their order and the ``DATASET_ONLY`` columns are
written here. ``tests/test_dataset_schema.py`` fails when the JSON Schema and this drift, and ``docs/schema.md``
is generated from both (``python -m crawler.dataset.docs``).

* timestamps are ``timestamp[us, tz=UTC]``: the record's ISO 8601 strings converted to UTC (the original
  offset is not kept; the JSON record has it);
* ``authors`` and ``tags`` are lists of strings; ``extractor`` and ``warc`` are structs, as in the record;
* ``story_id`` is the dataset's own column: the story an article belongs to across both outlets, null
  where no story is known.
"""
from __future__ import annotations

import dataclasses
import typing

import pyarrow as pa

from crawler.extract import record

#: bump when the columns or their meaning change; stored in every file's metadata, and part of the
#: fingerprint, so that a new format rewrites every day on the next compaction
FORMAT_VERSION = 3

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.field("item", pa.string(), nullable=False))


def _field(name: str, type_: pa.DataType, nullable: bool, description: str) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


_INTEGERS = {"int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64()}


def _arrow_type(hint, meta) -> pa.DataType:
    kind, _ = record.kind_of(hint)
    if dataclasses.is_dataclass(kind):
        return pa.struct(list(_record_fields(kind).values()))
    if typing.get_origin(kind) is list:
        return STRINGS
    if typing.get_origin(kind) is dict:           # name → count
        return pa.map_(pa.string(), _INTEGERS[meta["arrow"]])
    if meta["format"] == "date-time":
        return UTC_TIMESTAMP
    return _INTEGERS[meta["arrow"]] if kind is int else pa.string()


def _record_fields(cls) -> dict[str, pa.Field]:
    """The columns of the record type ``cls`` (``ArticleRecord`` or one of its nested types), by name: type,
    nullability and description generated from the record's field specs."""
    hints = record.type_hints(cls)
    return {f.name: _field(f.name, _arrow_type(hints[f.name], f.metadata), record.kind_of(hints[f.name])[1],
                           f.metadata["column"])
            for f in dataclasses.fields(cls)}


_RECORD = _record_fields(record.ArticleRecord)

#: the files' columns in their order (the record's stored order differs: this one is the published dataset's)
FILE_SCHEMA = pa.schema([_RECORD[name] for name in (
    "id", "schema_version", "url", "canonical_url", "title", "description", "authors", "published_at",
    "modified_at", "section", "tags", "image", "language", "text", "word_count", "content_sha256", "version",
    "first_seen_at", "fetched_at", "removed_at", "removed_how", "run_id", "discovered_by", "extractor", "warc")] + [
    _field("story_id", pa.string(), True, "the story this article belongs to, shared by the articles of both "
                                          "outlets that report the same event; null when none is known"),
])

PARTITION_SCHEMA = pa.schema([
    _RECORD["site"],
    _field("date", pa.date32(), False, "UTC date of publication, or of the first fetch when the page has no "
                                       "date (Hive partition date=YYYY-MM-DD); an article keeps it for life"),
])

DATASET_SCHEMA = pa.schema(list(FILE_SCHEMA) + list(PARTITION_SCHEMA))

#: columns of the dataset that are not fields of the JSON record
DATASET_ONLY = ("story_id", "date")


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode("utf-8")
