"""``arshif status [SITE ...] [--json]``: each site's health, from the run reports in the archive.

Per site: last run (time, result, counts, duration), last success, next scheduled run, consecutive failures,
lag over the last day's runs and feed watches (publication → archive and discovery's first sight → archive, p50
and p95), the articles recorded as taken down by the site in that day,
writes pending in the outbox, and warnings that need a human: no new article for ``status.no_new_runs`` runs
(the site may have changed its layout), too many articles without a date or with very short text over the
same runs (extraction degrading), the site's own selectors matching less than ``status.min_selector_hit_rate``
of the checks on the article pages of the latest run that had any (a redesign: the articles still come
through the generic fallbacks), robots.txt forbidding our requests, a discovery source failing ``status.source_failures`` runs in a
row, no run when one was due (the scheduler is down), a last run that ended degraded (a lost discovery source
among the reasons, or holes left in the site's article numbers), article numbers too sparse to probe them all,
a run recorded as running whose process is gone. Coverage by id continuity (``crawler/discover/ids.py``) is
shown per site and per day: archived ÷ (numbers in the id range − known gaps). A run in progress
is shown. Exit 0 healthy, 1 warnings, 2 failing (the last run failed or was killed): usable as an alerting
check.
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from crawler.archive.storage import ArchiveError, open_archive
from crawler.archive.state.index import archive_state_dir
from crawler.archive.delivery.outbox import Outbox
from crawler.discover.sources import SourceOutcome
from crawler.display import human_duration
from crawler.outcomes import ARTICLE_OUTCOMES, Count, Health, NotArticle, PageOutcome, RunKind, RunResult
from crawler.run.lock import live_holder
from crawler.run.progress import read_progress
from crawler.run.report import selector_misses
from jobs.options import check_sites, settings_from
from jobs.service.history import SiteHistory, reports_newest_first, started
from jobs.service.lag import LAG_WINDOW, lag_summary
from jobs.service.schedule import describe, next_run_after, upcoming_run


EXIT = {Health.OK: 0, Health.WARNING: 1, Health.FAILING: 2}

#: the undated / short-text shares are judged only over at least this many articles (1 of 1 says nothing)
MIN_ARTICLES = 10
#: a run counts as missing this long after the time limit of the run that was due
OVERDUE_SLACK = timedelta(minutes=2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every configured site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


@dataclass
class SiteStatus:
    site: str
    enabled: bool
    schedule: str
    state: Health = Health.OK
    last_run: dict | None = None
    running: dict | None = None            # a report still "running": {run_id, started_at, pid, host}
    last_success: dict | None = None
    next_run: str | None = None
    consecutive_failures: int = 0
    pending_uploads: int = 0
    watch: str | None = None               # "every 3m": the feed watch between the full runs (None: off)
    # over the runs of the last LAG_WINDOW: {"published"|"first_seen": {"n", "p50", "p95"}} (seconds)
    lag: dict = field(default_factory=dict)
    removed: int = 0                       # archived articles recorded as taken down in that window
    coverage: dict | None = None           # the last run's id range and coverage (crawler/discover/ids.py)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def _when(iso: str | None) -> str | None:
    """A report's time (ISO 8601, any offset) as every time of the status is written (``…Z``, UTC)."""
    return _iso(datetime.fromisoformat(iso)) if iso else None


def _run_summary(report) -> dict:
    return {"run_id": report.run_id, "started_at": _when(report.started_at), "finished_at": _when(report.finished_at),
            "result": report.result, "reason": report.reason, "duration_s": report.duration_s,
            "duration": human_duration(report.duration_s) if report.duration_s is not None else None,
            "counts": report.told_counts(), "sources": [
                {k: source.get(k) for k in ("source", "outcome", "reason")} for source in report.sources or ()]}


def _source_warnings(runs, n: int) -> list[str]:
    """A discovery source that failed in each of the last ``n`` runs (that read sources): one warning each."""
    runs = [r for r in runs if r.sources][:n]
    if len(runs) < n:
        return []
    failing = [{s["source"]: s.get("reason") for s in r.sources if s.get("outcome") == SourceOutcome.FAILED} for r in runs]
    return [f"discovery source {name} failed in each of the last {n} runs: {why}"
            for name, why in failing[0].items() if all(name in f for f in failing[1:])]


def _reasons(report) -> str:
    """The reasons a run's pages were rejected, with their counts: 'challenge 12, access_denied 2'."""
    prefix = "not an article: "
    found = {key[len(prefix):]: n for key, n in report.errors.items()
             if key.startswith(prefix) and NotArticle(key[len(prefix):]).rejected}
    return ", ".join(f"{why} {n}" for why, n in sorted(found.items(), key=lambda kv: -kv[1])) or "no reason recorded"


def _share_warning(runs, count: str, what: str, limit: float) -> str | None:
    articles = sum(r.counts.get(k, 0) for r in runs for k in ARTICLE_OUTCOMES)
    hits = sum(r.counts.get(count, 0) for r in runs)
    if articles < MIN_ARTICLES or hits / articles <= limit:
        return None
    return (f"{hits / articles:.0%} of the {articles} articles of the last {len(runs)} runs {what} "
            f"(threshold {limit:.0%}): is extraction degrading?")


def _selector_warning(runs, limit: float) -> str | None:
    """From the newest of ``runs`` that read article pages: its site selectors' hit rate under ``limit``."""
    latest = next((r for r in runs if (r.selectors or {}).get("rate") is not None), None)
    if latest is None or latest.selectors["rate"] >= limit:
        return None
    selectors = latest.selectors
    return (f"the site's own selectors matched {selectors['rate']:.0%} of the checks on the "
            f"{selectors['pages']} article pages of run {latest.run_id} (threshold {limit:.0%}; misses: "
            f"{selector_misses(selectors)}): did the site change its layout?")


def _coverage_warning(ids: dict | None, cfg) -> str | None:
    """The site's article numbers sparse: the probe budget follows the density, and numbers are left open."""
    if not ids or not ids.get("sparse"):
        return None
    return (f"article numbers are sparse (density {ids['density']:.0%}, under id_sparse_below "
            f"{cfg.id_sparse_below:.0%}: shared with other editions?): the probe budget follows it, {ids['budget']} "
            f"of id_probes {cfg.id_probes} a run; {ids['unprobed']} numbers of the range not probed yet")


def _coverage_lines(ids: dict) -> list[str]:
    share = "—" if ids["coverage"] is None else f"{ids['coverage']:.1%}"
    lines = [f"  coverage      {share}  of numbers {ids['low']}–{ids['high']}: {ids['archived']} archived, "
             f"{ids['gaps']} known gaps, {ids['unprobed']} unprobed"
             + (f"; {ids['probed']} probed at {ids['id_url']} (budget {ids['budget']})" if ids["probing"]
                else "; not probed")
             + ("" if ids["density"] is None else f"; density {ids['density']:.0%}"
                + (" (sparse)" if ids["sparse"] else ""))]
    for day, tally in ids["days"].items():
        day_share = "—" if tally["coverage"] is None else f"{tally['coverage']:.1%}"
        articles = tally["archived"] + tally["unprobed"] * ids.get("open_rate", 1.0)   # estimated where sparse
        lines.append(f"    {day}  {day_share}  ({tally['archived']} archived of {articles:.0f}"
                     f" articles, {tally['unprobed']} unprobed)")
    return lines


def site_status(site: str, cfg, history, pending: int, thresholds, now: datetime,
                crawling: bool | None = None, progress: dict | None = None, day: list | None = None) -> SiteStatus:
    """The health of one site from its history (a :class:`jobs.service.history.SiteHistory`); ``crawling``: whether a
    live process of this host holds the site's lock (None: not known); ``progress``: the figures the running
    run left so far (``crawler.run.progress``); ``day``: the reports of its runs and feed watches of the last
    ``LAG_WINDOW`` (lag and removals)."""
    day = day or []
    status = SiteStatus(site, cfg.enabled, describe(cfg), pending_uploads=pending,
                        consecutive_failures=history.consecutive_failures,
                        watch=f"every {human_duration(cfg.watch_every)}" if cfg.watch_every else None,
                        lag=lag_summary(day), removed=sum(r.counts.get(Count.REMOVED, 0) for r in day))
    on = history.running
    if on is not None:
        status.running = {"run_id": on.run_id, "started_at": _when(on.started_at), "pid": on.pid, "host": on.host}
        if progress:
            status.running.update(counts=progress.get("counts", {}), counted_at=_when(progress.get("at")),
                                  pages_per_s=progress.get("pages_per_s"), queued=progress.get("queued"))
        if crawling is False and on.host == socket.gethostname():
            status.warnings.append(f"run {on.run_id} is recorded as running, but its process is gone: it died; "
                                   "the next run marks it killed")
    last, success = history.last_run, history.last_success
    status.last_run = _run_summary(last) if last else None
    status.coverage = last.ids if last else None
    status.last_success = _run_summary(success) if success else None
    if not cfg.enabled:
        status.state = Health.DISABLED
        return status
    status.next_run = _iso(upcoming_run(cfg, started(last) if last else None, now))
    if last is None:
        status.warnings.append("no run yet")
    else:
        if last.result == RunResult.DEGRADED:
            status.warnings.append(f"last run degraded: {last.reason or 'no reason given'}")
        elif last.result == RunResult.STOPPED:      # SIGTERM: a shutdown, not a fault of the site or archive
            status.warnings.append(f"last run stopped: {last.reason or 'no reason given'}")
        elif not last.result.completed:
            status.errors.append(f"last run {last.result}: {last.reason or 'no reason given'} "
                                 f"({status.consecutive_failures} in a row)")
        due = next_run_after(cfg, started(last))
        if now > due + timedelta(seconds=cfg.time_limit) + OVERDUE_SLACK:
            status.warnings.append(f"no run since {_iso(started(last))} although one was due at {_iso(due)}: "
                                   "is the scheduler running?")
        runs = history.recent(thresholds.no_new_runs)
        if len(runs) == thresholds.no_new_runs and not any(r.counts.get(PageOutcome.NEW, 0) for r in runs):
            status.warnings.append(f"no new article in the last {len(runs)} runs: did the site change its layout?")
        for count, what, limit in (
                (Count.UNDATED, "have no date", thresholds.max_undated_share),
                (Count.SHORT_TEXT, f"have fewer than {thresholds.short_words} words", thresholds.max_short_share)):
            warning = _share_warning(runs, count, what, limit)
            if warning:
                status.warnings.append(warning)
        status.warnings.extend(_source_warnings(history.recent(thresholds.source_failures),
                                                thresholds.source_failures))
        warning = _selector_warning(runs or [last], thresholds.min_selector_hit_rate)
        if warning:
            status.warnings.append(warning)
        if last.counts.get(Count.REJECTED, 0):
            status.warnings.append(f"{last.counts[Count.REJECTED]} article pages of the last run were not the article "
                                   f"asked for ({_reasons(last)}): fetched again on a backoff")
        if last.counts.get(Count.MISMATCHED, 0):
            status.warnings.append(f"{last.counts[Count.MISMATCHED]} article pages of the last run named another "
                                   "article as their canonical URL (archived as the URLs fetched)")
        if last.counts.get(Count.GONE_FROM_ARCHIVE, 0):
            status.warnings.append(f"{last.counts[Count.GONE_FROM_ARCHIVE]} archived articles were gone from the "
                                   "archive at the last run's start (deleted behind the crawler's back?): written "
                                   "again when the site still lists them; arshif verify tells what is missing")
        warning = _coverage_warning(last.ids, cfg)
        if warning:
            status.warnings.append(warning)
        if last.counts.get(Count.ROBOTS_FORBIDDEN, 0):
            status.warnings.append(f"robots.txt forbade {last.counts[Count.ROBOTS_FORBIDDEN]} of our requests "
                                   "in the last run")
    if pending:
        status.warnings.append(f"{pending} writes wait in the outbox for the archive")
    status.state = Health.FAILING if status.errors else Health.WARNING if status.warnings else Health.OK
    return status


def pending_uploads(settings, site: str) -> int:
    """Writes of ``site`` waiting in the outbox for the archive."""
    outbox = Outbox(archive_state_dir(settings.archive.state_dir, settings.archive.url) / "outbox")
    return sum(1 for entry in outbox.entries() if entry.site == site)


def collect(settings, sites: list[str], now: datetime | None = None) -> list[SiteStatus]:
    now = now or datetime.now(timezone.utc)
    archive = open_archive(settings.archive.url, settings)
    state_dir = archive_state_dir(settings.archive.state_dir, settings.archive.url)
    try:
        statuses = []
        for site in sites:
            history = SiteHistory.load(archive, site, window=max(settings.status.no_new_runs,
                                                                 settings.status.source_failures))
            progress = read_progress(state_dir, site, history.running.run_id) if history.running else None
            statuses.append(site_status(site, settings.sites[site], history, pending_uploads(settings, site),
                                        settings.status, now, crawling=live_holder(settings, site) is not None,
                                        progress=progress,
                                        day=list(reports_newest_first(archive, site, (RunKind.CRAWL, RunKind.WATCH),
                                                                      since=now - LAG_WINDOW))))
        return statuses
    finally:
        archive.close()


def overall(statuses: list[SiteStatus]) -> Health:
    states = {s.state for s in statuses}
    return Health.FAILING if Health.FAILING in states else Health.WARNING if Health.WARNING in states else Health.OK


def render_text(statuses: list[SiteStatus]) -> str:
    lines = []
    for s in statuses:
        lines.append(f"{s.site}: {s.state.upper()}  ({s.schedule}{'' if s.enabled else ', disabled'})")
        run = s.last_run
        if run:
            c = run["counts"]
            lines.append(f"  last run      {_when(run['started_at'])}  {run['result']}  {run['duration'] or '?'}"
                         f"  [run {run['run_id']}]" + (f"  {run['reason']}" if run["reason"] else ""))
            lines.append("  counts        " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.items()))
            failed = [f"{x['source']}: {x['reason']}" for x in run.get("sources", ()) if x["outcome"] == SourceOutcome.FAILED]
            if run.get("sources"):
                outcomes = Counter(x["outcome"] for x in run["sources"])
                lines.append("  sources       " + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items()))
                             + (f" — {'; '.join(failed)}" if failed else ""))
            if s.coverage:
                lines.extend(_coverage_lines(s.coverage))
            if c.get(Count.BACKLOG):
                lines.append(f"  backlog       {c[Count.BACKLOG]} article pages left for the next run (page cap or time limit)")
        else:
            lines.append("  last run      never")
        if s.running:
            lines.append(f"  running       since {_when(s.running['started_at'])}  [run {s.running['run_id']}]")
            if "counts" in s.running:
                on = s.running
                counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in on["counts"].items())
                lines.append(f"  so far        {counts}  ({on['pages_per_s']} pages/s, {on['queued']} articles "
                             f"to fetch, at {on['counted_at']})")
        success = s.last_success
        lines.append(f"  last success  {_when(success['started_at']) if success else 'never'}")
        if s.enabled:
            lines.append(f"  next run      {s.next_run or 'when the service starts'}")
        lines.append(f"  failures      {s.consecutive_failures} in a row")
        lines.append(f"  feed watch    {s.watch or 'off'}")
        lines.append(f"  lag (24h)     {_lag_text(s.lag)}")
        lines.append(f"  removals      {s.removed} recorded in the last 24h (taken down by the site)")
        lines.append(f"  outbox        {s.pending_uploads} pending")
        lines.extend(f"  ERROR    {msg}" for msg in s.errors)
        lines.extend(f"  WARNING  {msg}" for msg in s.warnings)
    return "\n".join(lines)


def _lag_text(lag: dict) -> str:
    """'published → archived p50 2m, p95 9m (120 articles); first seen → archived p50 8s, p95 40s'."""
    parts = []
    for since, name in (("published", "published"), ("first_seen", "first seen")):
        one = lag.get(since) or {}
        if one.get("n"):
            parts.append(f"{name} → archived p50 {human_duration(one['p50'])}, p95 {human_duration(one['p95'])} "
                         f"({one['n']} articles)")
    return "; ".join(parts) or "no new article published since the archive began"


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    sites = check_sites(settings, args.sites) if args.sites else list(settings.sites)
    now = datetime.now(timezone.utc)
    try:
        statuses = collect(settings, sites, now)
    except ArchiveError as exc:
        print(f"arshif status: cannot read the run reports: {exc}", file=sys.stderr)
        return EXIT["failing"]
    state = overall(statuses)
    if args.json:
        doc = {"checked_at": _iso(now), "archive": settings.archive.url, "state": state,
               "sites": [asdict(s) for s in statuses]}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(render_text(statuses))
    return EXIT[state]
