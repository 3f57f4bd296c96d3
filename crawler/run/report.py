"""The run report: one JSON document per site per run, stored at ``runs/site=<site>/date=<D>/<run_id>.json``.

It is the record that ``arshif status``, the scheduler's catch-up and data teams ("what is new since run
X") read, so its fields are a stable interface:

    run_id, site, started_at, finished_at (ISO 8601 UTC), duration_s,
    kind        (``RunKind``) "crawl"; "refetch" (``arshif refetch``: given articles fetched again); "flush" for the
                manifest of an outbox replay (``run_id`` ending in ``-flush``); "recovery" for keys listed
                by ``arshif verify --repair``; "reextract" for that of ``arshif reextract``
                (``-reextract``): history, status and catch-up read crawls only
    result      "running" (written so at start) | "ok" | "degraded" | "failed" | "killed" (``RunResult``)
    reason      why it is not ok (one line), or null
    counts      discovered, fetched, then each ``PageOutcome`` (new, updated, unchanged, skipped, not_article,
                invalid, failed, pending), then undated, short_text, robots_forbidden, throttled (429 or
                503 answers with Retry-After, which slowed the site down), backlog, and when non-zero
                skipped_not_article, not_modified, requested; a reextract report counts captures, pages, new, updated,
                unchanged, older, not_article, failed. Every name is a member of ``PageOutcome`` or ``Count``
    errors      {reason: count} for failed pages, invalid records, not-articles
    failures    up to 100 {url, reason} of pages that failed
    selectors   how often the site's own selectors matched the article pages of this run, against the
                generic fallbacks (``crawler.extract.metadata.selector_hits``): pages, hits, checks, rate (hits /
                checks, null without an article page) and fields {name: {hits, checks}} (title, body,
                published, image, prune...). A low rate means the site changed its markup.
    keys_written  every archive key this run wrote (articles, versions, WARC files)
    sources     each discovery source of a crawl: source (its name, e.g. "sitemap /sitemap.xml", "robots.txt
                sitemap /news.xml"), kind, url, origin ("settings" | "robots.txt"), outcome ("ok" |
                "not_modified" | "failed"), reason, documents (read for it), not_modified (of those), urls (entries
                listed), bytes (downloaded), newest (date listed)
    ids         completeness by id continuity (``crawler/discover/ids.py``), null for a site without article
                numbers: low, high (the id range), ids, archived, gaps (known non-articles), unprobed, open (the newest 20 of those), coverage
                (archived ÷ (ids − gaps), null without an article), days {YYYY-MM-DD: the same per day}, probing
                (whether the site's holes are probed), probed (requests this run), budget, density (articles
                per resolved number, null before any), sparse, id_url, window
    archive     the archive URL (never carries secrets)
    pid, host   the crawl's process, for the operator (a report left "running" by a dead process names it)
    process     that process named in full (host, boot, pid namespace, pid, start time, token;
                ``crawler/liveness.py``): a report left "running" by a live process is never marked killed
    arshif_version
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from crawler import __version__
from crawler.archive.storage.keys import run_key
from crawler.components import STATS_PREFIX, counts_in
from crawler.outcomes import Count, PageOutcome, RunKind, RunResult

if TYPE_CHECKING:
    from crawler.extract.record import ArticleRecord

#: the counts every report starts with, in this order (``backlog`` is added at the run's end; the other ``Count``
#: members when they happen)
COUNTS = (Count.DISCOVERED, Count.FETCHED, *PageOutcome, Count.UNDATED, Count.SHORT_TEXT, Count.ROBOTS_FORBIDDEN,
          Count.THROTTLED)
MAX_FAILURES = 100


_RUN_ID = re.compile(r"(\d{8}T\d{6}Z)-(.+)-[0-9a-f]{4}")


def new_run_id(site: str, now: datetime | None = None) -> str:
    """``<start, UTC, to the second>-<site>-<4 hex digits: the fraction of that second>``: ids sort by start
    time, also between two runs that start within one second (a run can take less than one)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{site}-{now.microsecond * 0x10000 // 1_000_000:04x}"


def run_started(run_id: str, site: str) -> datetime:
    """The start a run id of ``site`` (made by :func:`new_run_id`) names; ValueError for anything else."""
    match = _RUN_ID.fullmatch(run_id)
    if match is None or match[2] != site:
        raise ValueError(f"{run_id!r} is not a run id of site {site} (<YYYYMMDDTHHMMSSZ>-{site}-<4 hex digits>)")
    return datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


#: the sites date their articles to the minute: an article dated in the minute the archive began is not backfill
SITE_DATE_PRECISION = timedelta(minutes=1)


@dataclass
class RunReport:
    """One run's report (the fields above). In a crawl its ``counts`` are the crawl's Scrapy stats (``count_in``:
    the components count there, ``crawler.components.count``; :meth:`count` is for a report counted outside a
    crawl — a flush, a re-extraction — and for what its run counts before the crawl or off the reactor); the
    rest is no counter and stays here, added to by the components: ``errors`` and ``failures`` (a reason per
    page, the first 100 URLs), ``keys_written``, ``sources``, ``selectors`` (per-field hits) and ``lags`` (a
    list of seconds) are the report's own document fields, which Scrapy's flat stats do not hold."""

    run_id: str
    site: str
    archive: str
    kind: RunKind = RunKind.CRAWL
    started_at: str = field(default_factory=lambda: utcnow().isoformat(timespec="seconds"))
    finished_at: str | None = None
    duration_s: float | None = None
    result: RunResult = RunResult.RUNNING
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    keys_written: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    ids: dict | None = None
    selectors: dict = field(default_factory=lambda: {"pages": 0, "hits": 0, "checks": 0, "rate": None,
                                                     "fields": {}})
    # seconds from publication, and from discovery's first sight, to the archive of each new article published
    # since the site's archive began on this machine (its first run's backfill is no lag): arshif status's p50/p95
    lags: dict[str, list[int]] = field(default_factory=lambda: {"published": [], "first_seen": []})
    pid: int | None = None
    host: str | None = None
    process: dict | None = None       # the run's process named in full (crawler/liveness.py): alive or not
    arshif_version: str = __version__

    def __setattr__(self, name: str, value) -> None:
        # read from JSON or set by hand, result and kind are always enum members (an unknown word is an error)
        super().__setattr__(name, RunResult(value) if name == "result" else RunKind(value) if name == "kind" else value)

    def count(self, name: PageOutcome | Count, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def count_in(self, stats) -> None:
        """From now on keep the counts in Scrapy's stats collector ``stats`` (a crawl's: see :class:`StatsCounts`);
        :meth:`finish` takes them back."""
        self.counts = StatsCounts(stats, self.counts)

    def error(self, reason: str, url: str | None = None) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1
        if url is not None and len(self.failures) < MAX_FAILURES:
            self.failures.append({"url": url, "reason": reason})

    def lag(self, record: ArticleRecord, since: datetime | None) -> None:
        """A new article archived: its lags, when it was published after ``since`` (the archive's start)."""
        published, fetched = record.published_at, datetime.fromisoformat(record.fetched_at)
        if not published or since is None or datetime.fromisoformat(published) < since - SITE_DATE_PRECISION:
            return
        self.lags["published"].append(max(0, round((fetched - datetime.fromisoformat(published)).total_seconds())))
        if record.first_seen_at:
            self.lags["first_seen"].append(
                max(0, round((fetched - datetime.fromisoformat(record.first_seen_at)).total_seconds())))

    def count_selectors(self, hits: dict[str, bool]) -> None:
        """One article page's ``{field: whether the site's own selector matched}``."""
        if not hits:
            return
        tally = self.selectors
        tally["pages"] += 1
        for name, hit in hits.items():
            counts = tally["fields"].setdefault(name, {"hits": 0, "checks": 0})
            counts["hits"] += hit
            counts["checks"] += 1
        tally["hits"] += sum(hits.values())
        tally["checks"] += len(hits)
        tally["rate"] = round(tally["hits"] / tally["checks"], 4)

    def finish(self, result: RunResult, reason: str | None = None) -> None:
        end = utcnow()
        self.finished_at = end.isoformat(timespec="seconds")
        self.duration_s = round((end - datetime.fromisoformat(self.started_at)).total_seconds(), 3)
        self.result = result
        self.reason = reason
        self.counts = dict(self.counts)          # the run's final counts, whoever kept them


    @property
    def key(self) -> str:
        return run_key(self.site, self.started_at[:10], self.run_id)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(replace(self, counts=dict(self.counts))), ensure_ascii=False, indent=1)
                + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> "RunReport":
        raw = json.loads(data)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)

    def told_counts(self) -> dict[str, int]:
        """The counts as the summary and the run's end line tell them: an id probe that found no article is a
        gap in the site's numbers, or a number not published yet, not a page that was no article — taken out of
        ``not_article`` and told as the probes' own counts (``probed``, ``probed_articles``, ``probed_gaps``,
        ``probed_not_published``). The stored report keeps its counts as they were counted."""
        told = dict(self.counts)
        ids = self.ids or {}
        probes = ids.get("probes") or {}
        if not (ids.get("probed") and probes):
            return told
        # at least 0: the probes' findings also count numbers this run did not fetch (known gaps skipped as
        # skipped_not_article, numbers another source answered), so the difference can undercount, never go
        # below 0 (it did: "not article -1", and a negative count stopped the metrics' record of the run)
        told[PageOutcome.NOT_ARTICLE] = max(0, told.get(PageOutcome.NOT_ARTICLE, 0)
                                            - probes.get("gaps", 0) - probes.get("not_given_yet", 0))
        told.update(probed=ids["probed"], probed_articles=probes["articles"], probed_gaps=probes["gaps"],
                    probed_not_published=probes["not_given_yet"])
        return told

    def summary(self) -> str:
        c = Counter(self.told_counts())
        ids = self.ids or {}
        probes = ids.get("probes") or {}
        return (f"{self.site}: {self.result} in {self.duration_s or 0:.1f}s — discovered {c[Count.DISCOVERED]}, "
                f"fetched {c[Count.FETCHED]}, "
                + ", ".join(f"{o.replace('_', ' ')} {c[o]}" for o in PageOutcome)
                + (f", probed {ids['probed']} numbers: {probes['articles']} articles, {probes['gaps']} gaps, "
                   f"{probes['not_given_yet']} not published yet" if ids.get("probed") and probes else "")
                + (f", coverage {ids['coverage']:.1%}" if ids.get("coverage") is not None else "")
                + (f" — {self.reason}" if self.reason else "") + f" [run {self.run_id}]")


class StatsCounts(MutableMapping):
    """A crawl's counts, kept in its Scrapy stats collector as ``arshif/<count>`` (one counter per thing counted,
    beside Scrapy's own stats and seen by any stats extension; the crawl's components count there directly:
    ``crawler.components.count``), read as the report's ``counts`` (in the order they were first counted, as the
    report writes them)."""

    def __init__(self, stats, counts: dict[str, int]):
        self.stats = stats
        for name, n in counts.items():
            self[name] = n

    def __getitem__(self, name: str) -> int:
        value = self.stats.get_value(STATS_PREFIX + name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, n: int) -> None:
        self.stats.set_value(STATS_PREFIX + name, n)

    def __delitem__(self, name: str) -> None:
        self[name]
        del self.stats.get_stats()[STATS_PREFIX + name]

    def __iter__(self):
        return iter(list(counts_in(self.stats)))

    def __len__(self) -> int:
        return len(counts_in(self.stats))


def selector_misses(selectors: dict) -> str:
    """The fields whose selectors missed, worst first: 'title 0/40, body 0/40, image 3/40'."""
    fields = sorted(selectors.get("fields", {}).items(), key=lambda kv: (kv[1]["hits"] / kv[1]["checks"], kv[0]))
    return ", ".join(f"{name} {c['hits']}/{c['checks']}" for name, c in fields if c["hits"] < c["checks"])
