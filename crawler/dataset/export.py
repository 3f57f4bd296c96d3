"""Writing dataset tables to one file for people without S3 tooling: JSON Lines, Parquet or CSV.

* ``jsonl``: one JSON object per article, the record's field names and shapes (lists and structs as JSON
  arrays and objects, ``extractor.notes`` an object), timestamps as ISO 8601 in UTC, plus ``story_id``,
  ``site`` and ``date``;
* ``parquet``: ``DATASET_SCHEMA`` (zstd), the partition columns as ordinary columns;
* ``csv``: a header row; structs flattened to ``extractor.name``, ``warc.file``…; ``authors`` and ``tags``
  as JSON arrays; timestamps as ISO 8601 in UTC; empty cell for null.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import BinaryIO, Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crawler.dataset.schema import DATASET_SCHEMA

FORMATS = ("jsonl", "parquet", "csv")
#: columns in export order: the id and the partitions first, then the file's columns
EXPORT_SCHEMA = pa.schema([DATASET_SCHEMA.field(n) for n in ("id", "site", "date")]
                          + [f for f in DATASET_SCHEMA if f.name not in ("id", "site", "date")])


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _has_map(type_: pa.DataType) -> bool:
    if pa.types.is_map(type_):
        return True
    if pa.types.is_struct(type_):
        return any(_has_map(child.type) for child in type_)
    return pa.types.is_list(type_) and _has_map(type_.value_type)


def _as_record(value, type_: pa.DataType):
    """``value`` (as ``to_pylist`` gives it) in the record's shape: a map (``extractor.notes``, name → count)
    is an object, as in the record, not the list of pairs pyarrow makes of it."""
    if value is None:
        return None
    if pa.types.is_map(type_):
        return {k: _as_record(v, type_.item_type) for k, v in value}
    if pa.types.is_struct(type_):
        return {child.name: _as_record(value[child.name], child.type) for child in type_}
    if pa.types.is_list(type_):
        return [_as_record(v, type_.value_type) for v in value]
    return value


def _jsonl_rows(table: pa.Table) -> Iterable[dict]:
    mapped = [field for field in table.schema if _has_map(field.type)]
    for row in table.to_pylist():
        for field in mapped:
            row[field.name] = _as_record(row[field.name], field.type)
        yield row


def _csv_table(table: pa.Table) -> pa.Table:
    """Flat columns of strings and numbers only: what CSV can hold."""
    columns, names = [], []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_list(field.type):
            columns.append(pa.array([json.dumps(v, ensure_ascii=False) for v in column.to_pylist()], pa.string()))
            names.append(field.name)
        elif pa.types.is_struct(field.type):
            for child in field.type:
                values = pc.struct_field(column, child.name)
                if pa.types.is_map(child.type):            # name → count: a JSON object in one cell
                    values = pa.array([None if v is None else json.dumps(dict(v), ensure_ascii=False)
                                       for v in values.to_pylist()], pa.string())
                columns.append(values)
                names.append(f"{field.name}.{child.name}")
        elif pa.types.is_timestamp(field.type):
            columns.append(pa.array([None if v is None else _iso(v) for v in column.to_pylist()], pa.string()))
            names.append(field.name)
        else:
            columns.append(column)
            names.append(field.name)
    return pa.table(columns, names=names)


def write_export(tables: Iterable[pa.Table], fmt: str, fh: BinaryIO) -> int:
    """Write every table (``DATASET_SCHEMA``) to ``fh`` in ``fmt``; returns the number of rows."""
    rows = 0
    writer = None
    try:
        for table in tables:
            table = table.select(EXPORT_SCHEMA.names).cast(EXPORT_SCHEMA)
            rows += table.num_rows
            if fmt == "jsonl":
                for row in _jsonl_rows(table):
                    fh.write(json.dumps(row, ensure_ascii=False, default=_iso).encode("utf-8") + b"\n")
            elif fmt == "parquet":
                writer = writer or pq.ParquetWriter(fh, EXPORT_SCHEMA, compression="zstd")
                writer.write_table(table)
            elif fmt == "csv":
                flat = _csv_table(table)
                writer = writer or pacsv.CSVWriter(fh, flat.schema)
                writer.write_table(flat)
            else:
                raise ValueError(f"unknown export format {fmt!r} (use {', '.join(FORMATS)})")
        if writer is None and fmt == "parquet":     # no rows: still a valid, empty file
            writer = pq.ParquetWriter(fh, EXPORT_SCHEMA, compression="zstd")
        if writer is None and fmt == "csv":
            pacsv.write_csv(_csv_table(EXPORT_SCHEMA.empty_table()), fh)
    finally:
        if writer is not None:
            writer.close()
    return rows
