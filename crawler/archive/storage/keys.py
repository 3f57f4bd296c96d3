"""The archive's key layout, the same on every backend (Hive-style partitions for DuckDB/Spark/Athena).

    articles/site=<site>/date=<YYYY-MM-DD>/<id>.json                 latest version of each article
    versions/site=<site>/date=<YYYY-MM-DD>/<id>/<content_sha256>.json previous versions, kept on edit
    warc/site=<site>/date=<YYYY-MM-DD>/<run_id>-<NNNNN>.warc.gz      raw requests and responses
    runs/site=<site>/date=<YYYY-MM-DD>/<run_id>.json                 run report + manifest of keys written
    datasets/articles/site=<site>/date=<YYYY-MM-DD>/part-<time>-<fp>.parquet   the day: the newest file
    leases/site=<site>.json                                          a site's write lease (S3)
    leases/.site=<site>.lock                                         a local folder's lease (an flock; hidden)
    stories/features/date=<D>.json.gz, stories/links/date=<D>.json, stories/ids/date=<D>.json   crawler/stories

Every key and key prefix is built (and parsed) here and nowhere else: a prefix function with fewer arguments
names a wider listing (``articles_prefix()`` every article, ``articles_prefix(site)`` a site's,
``articles_prefix(site, date)`` one day's).

``date`` of an article is the UTC date of publication, or of its first fetch when the page has no date;
an article keeps its first key for life (edits never move it).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

ARTICLES, VERSIONS, WARC, RUNS = "articles/", "versions/", "warc/", "runs/"
DATASETS, LEASES, STORIES = "datasets/", "leases/", "stories/"
#: every top-level prefix an archive holds (``arshif verify`` reports any other object)
KNOWN_PREFIXES = (ARTICLES, VERSIONS, RUNS, WARC, LEASES, DATASETS, STORIES)
STORY_FEATURES, STORY_LINKS, STORY_IDS = STORIES + "features/", STORIES + "links/", STORIES + "ids/"

_ARTICLE_KEY = re.compile(r"^articles/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[0-9a-f]{20})\.json$")
_VERSION_KEY = re.compile(r"^versions/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/"
                          r"(?P<id>[0-9a-f]{20})/(?P<sha>[0-9a-f]{64})\.json$")
_WARC_KEY = re.compile(r"^warc/site=(?P<site>[^/]+)/date=(?P<date>[^/]+)/(?P<name>[^/]+)$")
_RUN_KEY = re.compile(r"^runs/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/(?P<name>[^/]+)\.json$")
_DATASET_KEY = re.compile(r"^datasets/articles/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/"
                          r"(?P<name>[^/]+)$")
_DATE = "/date="

# each layout's shape as an operator reads it (``arshif verify`` names the one a misplaced key should have had)
ARTICLE_KEY_SHAPE = "articles/site=S/date=D/<id>.json"
VERSION_KEY_SHAPE = "versions/site=S/date=D/<id>/<sha256>.json"
RUN_KEY_SHAPE = "runs/site=S/date=D/<run id>.json"


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


def cdxj_key(warc_key: str) -> str:
    """The CDXJ index stored beside the WARC file ``warc_key`` (``crawler/dataset/warc_index.py``)."""
    return warc_key.removesuffix(".warc.gz") + ".cdxj"


def _partitioned(top: str, site: str | None, date: str | None = None) -> str:
    if site is None:
        return top
    return f"{top}site={site}/" if date is None else f"{top}site={site}/date={date}/"


def articles_prefix(site: str | None = None, date: str | None = None) -> str:
    """Every article (no ``site``), a site's, or a site's articles of one ``date``."""
    return _partitioned(ARTICLES, site, date)


def versions_prefix(site: str | None = None) -> str:
    return _partitioned(VERSIONS, site)


def warc_prefix(site: str | None = None) -> str:
    return _partitioned(WARC, site)


def runs_prefix(site: str | None = None) -> str:
    return _partitioned(RUNS, site)


def key_date(key: str) -> str | None:
    """The ``date=`` partition (``YYYY-MM-DD``) of any partitioned key, or None for a key without one."""
    if _DATE not in key:
        return None
    return key.split(_DATE, 1)[1].split("/", 1)[0].split(".", 1)[0]


def top_prefix(key: str) -> str:
    """The top-level prefix of ``key`` (``articles/``…), to compare with :data:`KNOWN_PREFIXES`."""
    return key.split("/", 1)[0] + "/"


def lease_key(site: str) -> str:
    """A site's write lease on an object store (``crawler/archive/state/lease.py``)."""
    return f"{LEASES}site={site}.json"


def lease_lock_key(site: str) -> str:
    """A local folder's lease: the hidden file its ``flock`` is held on (no listing sees it)."""
    return f"{LEASES}.site={site}.lock"


def story_features_key(day: str) -> str:
    return f"{STORY_FEATURES}date={day}.json.gz"


def story_links_key(day: str) -> str:
    return f"{STORY_LINKS}date={day}.json"


def story_ids_key(day: str) -> str:
    return f"{STORY_IDS}date={day}.json"


def _groups(pattern: re.Pattern, key: str) -> dict | None:
    match = pattern.match(key)
    return match.groupdict() if match else None


def parse_article_key(key: str) -> dict | None:
    """``{'site', 'date', 'id'}`` of an article key, or None for any other key."""
    return _groups(_ARTICLE_KEY, key)


def parse_version_key(key: str) -> dict | None:
    """``{'site', 'date', 'id', 'sha'}`` of a past version's key, or None for any other key."""
    return _groups(_VERSION_KEY, key)


def parse_warc_key(key: str) -> dict | None:
    """``{'site', 'date', 'name'}`` of a key in a site's day of ``warc/`` (a WARC file or its index)."""
    return _groups(_WARC_KEY, key)


def parse_run_key(key: str) -> dict | None:
    """``{'site', 'date', 'name'}`` of a run report's key, or None for any other key."""
    return _groups(_RUN_KEY, key)


def parse_dataset_key(key: str) -> dict | None:
    """``{'site', 'date', 'name'}`` of a file of the Parquet dataset, or None for any other key."""
    return _groups(_DATASET_KEY, key)
