"""Compaction: the latest version of every article of a publication day, as one Parquet file per day.

    datasets/articles/site=<site>/date=<YYYY-MM-DD>/part-<time written>-<fingerprint>.parquet

How a day is replaced, and what readers may rely on (the reader contract, also in README.md):

* Parquet files are immutable: a new content of a day is a new file under a new name, never written over
  an existing one, and it appears whole or not at all (one PUT on S3; locally a temporary ``.tmp-*.part``
  file renamed). **The day is the file whose name sorts last in the day's folder** (names carry the time
  written, fixed width; see ``naming.py``). A reader that lists the folder and reads its newest file gets
  the old day or the new one, each whole — never both, never half, never none — on S3 as locally.
* Replacing one Parquet object in place would not do on S3: DuckDB and pyarrow read a file in several
  ranged GETs, and a replacement between two of them mixes bytes of two files (the tests saw it). Nor
  would a mutable manifest naming the current file: DuckDB's httpfs fails a read when the object's ETag
  changes between its HEAD and its GET. Immutable files and "newest name wins" need neither.
* A replaced file is kept ``keep_replaced`` (default 1 h) after the file that replaced it was written, so
  a reader that listed the folder just before the switch still finds it; a later compaction of the day (or
  ``arshif compact``) removes it. A plain glob over ``*.parquet`` can see a day twice meanwhile.
* The newest file's name carries the fingerprint of what it holds (the format version and, per article
  id, the hash of its stored JSON and its story id; the full value is in the file's metadata). A
  compaction whose sources give the same fingerprint writes nothing at all.
* Two compactions of the same day at once (a crawl's and ``arshif compact``) each write their own file;
  the newer name wins, and if its sources were older the next compaction sees the fingerprint differ and
  writes the day again.
"""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from crawler.archive.storage.base import Archive, ArchiveError, ArchiveUnavailable
from crawler.archive.storage.keys import articles_prefix, dataset_day_prefix, parse_article_key
from crawler.dataset.naming import PartName, next_name, parts
from crawler.dataset.table import PARQUET_TYPE, DayFile

READ_WORKERS = 8
BATCH = 1000                  # articles read, parsed and written (one row group) at a time
KEEP_REPLACED = 3600.0        # seconds a replaced file stays for readers that listed the folder before
CLOCK_SKEW = 300.0            # seconds by which the archive's clock (S3 LastModified) may differ from ours


@dataclass(frozen=True)
class DayResult:
    site: str
    date: str
    rows: int
    written: bool
    newest_article: datetime | None = None    # when the newest article read was stored (the archive's clock)


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
    for key in archive.list(articles_prefix(site)):
        found = parse_article_key(key)
        if found and (since is None or found["date"] >= since):
            days[found["date"]].append(key)
    return dict(sorted(days.items()))


def read_day(archive: Archive, keys: Iterable[str], workers: int = READ_WORKERS) -> dict[str, bytes]:
    """The stored JSON of the given article keys, by article id (read in parallel)."""
    keys = list(keys)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-compact") as pool:
        blobs = list(pool.map(archive.get, keys))
    return {parse_article_key(key)["id"]: data for key, data in zip(keys, blobs) if data is not None}


def sweep_day(archive: Archive, site: str, date: str, files: list[PartName], keep_replaced: float,
              now: datetime) -> int:
    """Remove the day's files (``files``, oldest first, the newest being the day) that were replaced by a
    newer one more than ``keep_replaced`` seconds ago. Returns how many were removed."""
    removed = 0
    for old, newer in zip(files, files[1:]):
        if (now - newer.written_at).total_seconds() >= keep_replaced:
            archive.delete(dataset_day_prefix(site, date) + old.name)
            removed += 1
    return removed


def day_files(archive: Archive, site: str, date: str) -> list[PartName]:
    """The day's Parquet files, oldest first: the last one is the day."""
    return parts(key.rsplit("/", 1)[1] for key in archive.list(dataset_day_prefix(site, date)))


def compact_day(archive: Archive, site: str, date: str, *, keys: Iterable[str] | None = None,
                story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS,
                keep_replaced: float = KEEP_REPLACED, batch: int = BATCH) -> DayResult:
    """Write the day's new Parquet file, unless its newest file already holds exactly these articles; then
    remove files replaced long enough ago. ``keys``: the day's article keys when the caller listed them.
    The articles are read ``batch`` at a time in order of id, each batch a row group of the file: memory
    holds one batch and the compressed file, not the day (a day of 25,000 articles is ~150 MB of JSON)."""
    newest_article = None
    if keys is None:
        listed = [(k, at) for k, at in archive.list_info(articles_prefix(site, date)) if parse_article_key(k)]
        keys = [k for k, _ in listed]
        newest_article = max((at for _, at in listed), default=None)
    by_id = {parse_article_key(key)["id"]: key for key in keys}
    ordered = [by_id[article_id] for article_id in sorted(by_id)]
    with DayFile(story_ids) as day:
        for start in range(0, len(ordered), batch):
            day.add(read_day(archive, ordered[start:start + batch], workers))
        if not day.rows:
            return DayResult(site, date, 0, False)
        fp = day.fingerprint
        now = datetime.now(timezone.utc)
        files = day_files(archive, site, date)
        newest = files[-1] if files else None
        written = newest is None or not newest.holds(fp)
        if written:
            name = next_name(fp, newest, now)
            archive.put(dataset_day_prefix(site, date) + name, day.finish(), content_type=PARQUET_TYPE,
                        metadata={"site": site, "published-date": date, "fingerprint": fp}, if_absent=True)
            files.append(PartName.parse(name))
    sweep_day(archive, site, date, files, keep_replaced, now)
    return DayResult(site, date, day.rows, written, newest_article)


def compact_site(archive: Archive, site: str, *, since: str | None = None, dates: Iterable[str] | None = None,
                 story_ids: Mapping[str, str] | None = None, workers: int = READ_WORKERS,
                 keep_replaced: float = KEEP_REPLACED,
                 progress: Callable[[int, int], None] | None = None) -> CompactResult:
    """Compact ``dates`` of ``site`` (default: every day with articles, from ``since`` on). A day that
    cannot be compacted is counted in ``failed`` and the others go on — unless the archive does not
    answer at all, then every day left is counted failed at once. ``progress(days done, days)`` is called
    before the first day and after each."""
    result = CompactResult(site)
    if dates is None:
        todo: dict[str, list[str] | None] = dict(article_days(archive, site, since))
    else:
        todo = dict.fromkeys(sorted(set(dates)))
    progress = progress or (lambda done, total: None)
    for n, (date, keys) in enumerate(todo.items()):
        progress(n, len(todo))
        try:
            day = compact_day(archive, site, date, keys=keys, story_ids=story_ids, workers=workers,
                              keep_replaced=keep_replaced)
        except ArchiveUnavailable as exc:      # down: the other days would only wait for the same timeouts
            result.failed.update(dict.fromkeys(list(todo)[n:], str(exc)))
            break
        except ArchiveError as exc:
            result.failed[date] = str(exc)
            continue
        if day.rows:
            result.days.append(day)
    progress(len(todo), len(todo))
    return result


def lagging_days(archive: Archive, site: str, dates: Iterable[str], skew: float = CLOCK_SKEW,
                 current: Mapping[str, datetime] | None = None) -> set[str]:
    """Among ``dates``, the days whose dataset may lag their articles — found by listing alone. A crawl that
    was killed before its compaction leaves such days; the next run finds them here.

    ``current`` (date → when the newest article of the day's last compaction was stored, both by the
    archive's clock; ``CurrentDays``) answers exactly: the day lags when an article was stored after that.
    A day not in it is compared with its newest Parquet file: lagging when there is none, or when an article
    was stored after (or up to ``skew`` seconds before, the two clocks may differ) the file was written —
    which every day a run just compacted is, so without ``current`` each run would read those days again."""
    lagging = set()
    current = current or {}
    for date in dates:
        stored = [at for key, at in archive.list_info(articles_prefix(site, date)) if parse_article_key(key)]
        if not stored:
            continue
        if date in current:
            if max(stored) > current[date]:
                lagging.add(date)
            continue
        files = day_files(archive, site, date)
        if not files or (max(stored) - files[-1].written_at).total_seconds() >= -skew:
            lagging.add(date)
    return lagging


def days_written(keys: Iterable[str]) -> set[str]:
    """The publication days whose articles ``keys`` (a run report's ``keys_written``) changed."""
    return {found["date"] for found in map(parse_article_key, keys) if found}
