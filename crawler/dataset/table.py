"""Article records (the archive's JSON) → an Arrow table of ``FILE_SCHEMA``, and back to Parquet bytes."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.dataset.schema import FILE_SCHEMA, FORMAT_VERSION

PARQUET_TYPE = "application/vnd.apache.parquet"
#: key of the fingerprint in the Parquet file's key-value metadata (its first 16 hex digits name the file)
FINGERPRINT_KEY = b"arshif.fingerprint"


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(timezone.utc)


def row(record: dict, story_id: str | None) -> dict:
    """One row of ``FILE_SCHEMA`` from one archived record."""
    return {
        **{name: record.get(name) for name in FILE_SCHEMA.names},
        "published_at": _utc(record.get("published_at")),
        "modified_at": _utc(record.get("modified_at")),
        "fetched_at": _utc(record["fetched_at"]),
        "story_id": story_id,
    }


def fingerprint(raw: Mapping[str, bytes], story_ids: Mapping[str, str] | None) -> str:
    """What a day's file is made of: the format version, and per article id its stored bytes and story id.
    Equal fingerprints mean an identical file, so compaction writes nothing."""
    digest = hashlib.sha256(f"arshif-dataset-articles/{FORMAT_VERSION}\n".encode())
    for article_id in sorted(raw):
        story = (story_ids or {}).get(article_id) or ""
        digest.update(f"{article_id} {hashlib.sha256(raw[article_id]).hexdigest()} {story}\n".encode())
    return digest.hexdigest()


def to_table(raw: Mapping[str, bytes], story_ids: Mapping[str, str] | None) -> pa.Table:
    """The day's table: one row per article, sorted by id."""
    rows = []
    for article_id in sorted(raw):
        record = json.loads(raw[article_id])
        rows.append(row(record, (story_ids or {}).get(article_id)))
    return pa.Table.from_pylist(rows, schema=FILE_SCHEMA)


def to_parquet(table: pa.Table, fingerprint_: str) -> bytes:
    """One Parquet file (zstd, one row group), its fingerprint and format version in its metadata."""
    table = table.replace_schema_metadata({FINGERPRINT_KEY: fingerprint_.encode(),
                                           b"arshif.format_version": str(FORMAT_VERSION).encode()})
    out = pa.BufferOutputStream()
    pq.write_table(table, out, compression="zstd", row_group_size=max(1, table.num_rows))
    return out.getvalue().to_pybytes()


def from_parquet(data: bytes) -> pa.Table:
    """A day's file as written (``FILE_SCHEMA``; a file of another shape raises). One small file in memory,
    read by the plain Parquet reader on this thread: ``pq.read_table`` goes through the dataset scanner,
    whose I/O thread outlived the work and made the interpreter abort now and then at exit ("terminate
    called without an active exception", seen under load in CI)."""
    table = pq.ParquetFile(pa.BufferReader(data)).read(columns=FILE_SCHEMA.names, use_threads=False)
    return table.cast(FILE_SCHEMA)
