"""Reading the articles dataset back through the Archive interface (any backend), the way every reader
must: each day as the newest file of its folder. One day at a time, as ``DATASET_SCHEMA`` (the file's columns plus
``site`` and ``date``), for ``arshif export``."""
from __future__ import annotations

from datetime import date as Date
from typing import Iterator, Mapping

import pyarrow as pa

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import dataset_day_prefix
from crawler.dataset.compact import READ_WORKERS, article_days, day_files, read_day
from crawler.dataset.schema import DATASET_SCHEMA
from crawler.dataset.table import from_parquet, to_table


def with_partitions(table: pa.Table, site: str, date: str) -> pa.Table:
    """``table`` (FILE_SCHEMA) with the partition columns, as a reader of the dataset sees it."""
    n = table.num_rows
    table = table.append_column(DATASET_SCHEMA.field("site"), pa.array([site] * n, pa.string()))
    table = table.append_column(DATASET_SCHEMA.field("date"), pa.array([Date.fromisoformat(date)] * n, pa.date32()))
    return table.cast(DATASET_SCHEMA)


def current_file(archive: Archive, site: str, date: str) -> bytes | None:
    """The bytes of the day's Parquet file (the newest of its folder), or None when it has none."""
    files = day_files(archive, site, date)
    return archive.get(dataset_day_prefix(site, date) + files[-1].name) if files else None


def iter_days(archive: Archive, site: str, *, since: str | None = None, until: str | None = None,
              story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS) -> Iterator[pa.Table]:
    """Every publication day of ``site`` in ``[since, until]`` that has articles: the day's Parquet file,
    or — for a day not compacted yet — the same table built from its articles."""
    for date, keys in article_days(archive, site, since).items():
        if until is not None and date > until:
            break
        data = current_file(archive, site, date)
        table = from_parquet(data) if data is not None else to_table(read_day(archive, keys, workers), story_ids)
        yield with_partitions(table, site, date)
