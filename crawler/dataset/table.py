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
        "first_seen_at": _utc(record.get("first_seen_at")),
        "removed_at": _utc(record.get("removed_at")),
        "story_id": story_id,
    }


def to_table(raw: Mapping[str, bytes], story_ids: Mapping[str, str] | None) -> pa.Table:
    """The table of the articles ``raw`` (id → stored JSON): one row per article, sorted by id."""
    return pa.Table.from_pylist([row(json.loads(raw[article_id]), (story_ids or {}).get(article_id))
                                 for article_id in sorted(raw)], schema=FILE_SCHEMA)


class DayFile:
    """A day's Parquet file (zstd), written a batch of articles at a time — one row group each, batches in
    order of id — with its fingerprint computed on the way: what the day is made of, the format version and
    per article id its stored bytes and story id (equal fingerprints mean an identical file, so compaction
    writes nothing). Memory holds one batch and the compressed file, never the day's records."""

    def __init__(self, story_ids: Mapping[str, str] | None):
        self._story_ids = story_ids or {}
        self._digest = hashlib.sha256(f"arshif-dataset-articles/{FORMAT_VERSION}\n".encode())
        self._out = pa.BufferOutputStream()
        self._writer = pq.ParquetWriter(self._out, FILE_SCHEMA, compression="zstd")
        self._last: str | None = None
        self.rows = 0

    def add(self, raw: Mapping[str, bytes]) -> None:
        """The next batch (id → stored JSON); its ids all come after the previous batch's."""
        ids = sorted(raw)
        if not ids:
            return
        if self._last is not None and ids[0] <= self._last:
            raise ValueError(f"a batch of a day's file must follow the last in order of id ({ids[0]} ≤ {self._last})")
        for article_id in ids:
            story = self._story_ids.get(article_id) or ""
            self._digest.update(f"{article_id} {hashlib.sha256(raw[article_id]).hexdigest()} {story}\n".encode())
        self._writer.write_table(to_table(raw, self._story_ids))
        self._last = ids[-1]
        self.rows += len(ids)

    @property
    def fingerprint(self) -> str:
        return self._digest.hexdigest()

    def finish(self) -> bytes:
        """The file's bytes, its fingerprint and format version in its metadata."""
        self._writer.add_key_value_metadata({FINGERPRINT_KEY: self.fingerprint.encode(),
                                             b"arshif.format_version": str(FORMAT_VERSION).encode()})
        self._writer.close()
        return self._out.getvalue().to_pybytes()

    def __enter__(self) -> "DayFile":
        return self

    def __exit__(self, *exc) -> None:
        """A file not finished is dropped (closing twice is harmless)."""
        self._writer.close()


def from_parquet(data: bytes) -> pa.Table:
    """A day's file as written (``FILE_SCHEMA``; a file of another shape raises). One small file in memory,
    read by the plain Parquet reader on this thread: ``pq.read_table`` goes through the dataset scanner,
    whose I/O thread outlived the work and made the interpreter abort now and then at exit ("terminate
    called without an active exception", seen under load in CI)."""
    table = pq.ParquetFile(pa.BufferReader(data)).read(columns=FILE_SCHEMA.names, use_threads=False)
    return table.cast(FILE_SCHEMA)
