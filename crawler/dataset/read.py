"""Reading the articles dataset back through the Archive interface (any backend): one day at a time, as
``DATASET_SCHEMA`` (the file's columns plus ``site`` and ``date``), for ``arshif export``."""
from __future__ import annotations

from datetime import date as Date
from typing import Iterator, Mapping

import pyarrow as pa

from ..archive.base import Archive
from ..archive.keys import dataset_key
from .compact import READ_WORKERS, article_days, read_day
from .schema import DATASET_SCHEMA
from .table import from_parquet, to_table


def with_partitions(table: pa.Table, site: str, date: str) -> pa.Table:
    """``table`` (FILE_SCHEMA) with the partition columns, as a reader of the dataset sees it."""
    n = table.num_rows
    table = table.append_column(DATASET_SCHEMA.field("site"), pa.array([site] * n, pa.string()))
    table = table.append_column(DATASET_SCHEMA.field("date"), pa.array([Date.fromisoformat(date)] * n, pa.date32()))
    return table.cast(DATASET_SCHEMA)


def iter_days(archive: Archive, site: str, *, since: str | None = None, until: str | None = None,
              story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS) -> Iterator[pa.Table]:
    """Every publication day of ``site`` in ``[since, until]`` that has articles: the day's Parquet file,
    or — for a day not compacted yet — the same table built from its articles."""
    for date, keys in article_days(archive, site, since).items():
        if until is not None and date > until:
            break
        data = archive.get(dataset_key(site, date))
        table = from_parquet(data) if data is not None else to_table(read_day(archive, keys, workers), story_ids)
        yield with_partitions(table, site, date)
