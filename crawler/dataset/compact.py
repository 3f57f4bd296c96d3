"""Compaction: the latest version of every article of a publication day, as one Parquet file per day.

    datasets/articles/site=<site>/date=<YYYY-MM-DD>/articles.parquet   the day (FILE_SCHEMA, zstd)
    datasets/articles/site=<site>/date=<YYYY-MM-DD>/_manifest.json     {fingerprint, rows, file, …}

How a day is replaced, and what readers may rely on (the reader contract, also in README.md):

* A day is always exactly one object at one fixed key, replaced whole: locally a temporary file
  (``.tmp-*.part``, which no ``*.parquet`` glob matches) renamed over it, on S3 one PUT of the whole object
  (S3 replaces an object atomically: a GET returns the old bytes or the new ones, never a mix, never
  neither). So a reader listing ``datasets/articles/*/*/*.parquet`` sees every day once, old or new, never
  twice, never half-written, never missing — there are no "old" and "new" files side by side to clean up.
* The manifest is written after the file; it records the fingerprint of what the file holds (the format
  version and, per article id, the hash of its stored JSON and its story id). A compaction whose sources
  give the same fingerprint as the manifest writes nothing at all. A kill between the two writes leaves a
  stale manifest, so the next compaction writes the same day again: idempotent. Names starting with ``_``
  are skipped by Hive, Spark, Athena and pyarrow, and ``*.parquet`` globs do not match them.
* Two compactions of the same day at once (a crawl's and ``arshif compact``) each write a whole file; if
  the loser's sources were older, the next compaction sees the fingerprint differ and writes the day again.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping

from .. import __version__
from ..archive.base import Archive, ArchiveError
from ..archive.keys import dataset_key, dataset_manifest_key, parse_article_key
from .schema import FORMAT_VERSION
from .table import PARQUET_TYPE, fingerprint, to_parquet, to_table

log = logging.getLogger("arshif.dataset")

JSON = "application/json; charset=utf-8"
READ_WORKERS = 8


@dataclass(frozen=True)
class DayResult:
    site: str
    date: str
    rows: int
    written: bool


@dataclass
class CompactResult:
    """What one compaction of one site did."""
    site: str
    days: list[DayResult] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)     # date → one-line reason

    @property
    def written(self) -> int:
        return sum(d.written for d in self.days)

    def summary(self) -> str:
        rows = sum(d.rows for d in self.days)
        line = (f"{self.site}: {len(self.days)} days compacted ({self.written} written, "
                f"{len(self.days) - self.written} unchanged), {rows} articles")
        if self.failed:
            first = next(iter(self.failed.items()))
            line += f"; {len(self.failed)} days failed (first: {first[0]}: {first[1]})"
        return line


def article_days(archive: Archive, site: str, since: str | None = None) -> dict[str, list[str]]:
    """The site's article keys by publication day (``date >= since`` when given)."""
    days: dict[str, list[str]] = defaultdict(list)
    for key in archive.list(f"articles/site={site}/"):
        parts = parse_article_key(key)
        if parts and (since is None or parts["date"] >= since):
            days[parts["date"]].append(key)
    return dict(sorted(days.items()))


def read_day(archive: Archive, keys: Iterable[str], workers: int = READ_WORKERS) -> dict[str, bytes]:
    """The stored JSON of the given article keys, by article id (read in parallel)."""
    keys = list(keys)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-compact") as pool:
        blobs = list(pool.map(archive.get, keys))
    return {parse_article_key(key)["id"]: data for key, data in zip(keys, blobs) if data is not None}


def compact_day(archive: Archive, site: str, date: str, *, keys: Iterable[str] | None = None,
                story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS) -> DayResult:
    """Write the day's Parquet file and manifest unless they already hold exactly these articles.
    ``keys``: the day's article keys when the caller has listed them already."""
    if keys is None:
        keys = [k for k in archive.list(f"articles/site={site}/date={date}/") if parse_article_key(k)]
    raw = read_day(archive, keys, workers)
    if not raw:
        return DayResult(site, date, 0, False)
    fp = fingerprint(raw, story_ids)
    data_key, manifest_key = dataset_key(site, date), dataset_manifest_key(site, date)
    manifest = archive.get(manifest_key)
    if manifest is not None and json.loads(manifest).get("fingerprint") == fp and archive.exists(data_key):
        return DayResult(site, date, len(raw), False)
    archive.put(data_key, to_parquet(to_table(raw, story_ids), fp), content_type=PARQUET_TYPE,
                metadata={"site": site, "published-date": date, "fingerprint": fp})
    archive.put(manifest_key, json.dumps({
        "format_version": FORMAT_VERSION, "site": site, "date": date, "file": data_key.rsplit("/", 1)[1],
        "rows": len(raw), "fingerprint": fp,
        "compacted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "arshif_version": __version__,
    }, indent=1).encode() + b"\n", content_type=JSON, metadata={"site": site, "published-date": date})
    return DayResult(site, date, len(raw), True)


def compact_site(archive: Archive, site: str, *, since: str | None = None, dates: Iterable[str] | None = None,
                 story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS) -> CompactResult:
    """Compact ``dates`` of ``site`` (default: every day with articles, from ``since`` on). A day that
    cannot be compacted (the archive does not answer…) is counted in ``failed``; the others go on."""
    result = CompactResult(site)
    if dates is None:
        todo: dict[str, list[str] | None] = dict(article_days(archive, site, since))
    else:
        todo = dict.fromkeys(sorted(set(dates)))
    for date, keys in todo.items():
        try:
            day = compact_day(archive, site, date, keys=keys, story_ids=story_ids, workers=workers)
        except ArchiveError as exc:
            result.failed[date] = str(exc)
            continue
        if day.rows:
            result.days.append(day)
    return result


def days_written(keys: Iterable[str]) -> set[str]:
    """The publication days whose articles ``keys`` (a run report's ``keys_written``) changed."""
    return {parts["date"] for parts in map(parse_article_key, keys) if parts}
