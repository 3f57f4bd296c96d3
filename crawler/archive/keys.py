"""The archive's key layout, the same on every backend (Hive-style partitions for DuckDB/Spark/Athena).

    articles/site=<site>/date=<YYYY-MM-DD>/<id>.json                 latest version of each article
    versions/site=<site>/date=<YYYY-MM-DD>/<id>/<content_sha256>.json previous versions, kept on edit
    warc/site=<site>/date=<YYYY-MM-DD>/<run_id>-<NNNNN>.warc.gz      raw requests and responses
    runs/site=<site>/date=<YYYY-MM-DD>/<run_id>.json                 run report + manifest of keys written
    datasets/articles/site=<site>/date=<YYYY-MM-DD>/part-<time>-<fp>.parquet   the day: the newest file

``date`` of an article is the UTC date of publication, or of its first fetch when the page has no date;
an article keeps its first key for life (edits never move it).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

_ARTICLE_KEY = re.compile(r"^articles/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[0-9a-f]{20})\.json$")
_VERSION_KEY = re.compile(r"^versions/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/"
                          r"(?P<id>[0-9a-f]{20})/(?P<sha>[0-9a-f]{64})\.json$")


def utc_date(iso: str | None, fallback: datetime) -> str:
    """``YYYY-MM-DD`` of ``iso`` in UTC, or of ``fallback`` when there is none or it has no UTC date a key can
    carry (year 1 east of UTC is before datetime's first instant; a year before 1000 has no four digits): the
    extractor reads such a date as no date (``crawler.dates.sane``), this keeps a record written before from
    raising or landing under an unreadable key."""
    for when in ((datetime.fromisoformat(iso),) if iso else ()) + (fallback,):
        try:
            day = when.astimezone(timezone.utc).date()
        except OverflowError:
            continue
        if day.year >= 1000:
            return day.isoformat()
    return fallback.astimezone(timezone.utc).date().isoformat()


def article_key(site: str, date: str, article_id: str) -> str:
    return f"articles/site={site}/date={date}/{article_id}.json"


def version_key(site: str, date: str, article_id: str, content_sha256: str) -> str:
    return f"versions/site={site}/date={date}/{article_id}/{content_sha256}.json"


def warc_key(site: str, date: str, name: str) -> str:
    return f"warc/site={site}/date={date}/{name}"


def run_key(site: str, date: str, run_id: str) -> str:
    return f"runs/site={site}/date={date}/{run_id}.json"


def dataset_day_prefix(site: str, date: str) -> str:
    return f"datasets/articles/site={site}/date={date}/"


def parse_article_key(key: str) -> dict | None:
    """``{'site', 'date', 'id'}`` of an article key, or None for any other key."""
    match = _ARTICLE_KEY.match(key)
    return match.groupdict() if match else None


def parse_version_key(key: str) -> dict | None:
    """``{'site', 'date', 'id', 'sha'}`` of a past version's key, or None for any other key."""
    match = _VERSION_KEY.match(key)
    return match.groupdict() if match else None
