"""Opens and closes a site's run: one start line, then at the end the WARC file closed and archived, every
archive write awaited, the result decided, the run report stored and one summary line logged."""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.components import config_from, count, run_from
from crawler.display import human_duration
from crawler.fetch.retry_after import PAUSE_PAST_DEADLINE, STOP_WHY
from crawler.fetch.robots import ROBOTS_UNREADABLE
from crawler.fetch.stopping import SHUTDOWN
from crawler.outcomes import Count, PageOutcome, RunKind, RunResult
from crawler.run.report import selector_misses

JSON = "application/json; charset=utf-8"

# Scrapy close reasons that end a run normally
_NORMAL = {"finished", "closespider_pagecount"}


def decide(report, close_reason: str, *, discovery, config, write_failures=(), robots_unreadable: str | None = None,
           stop_why: str | None = None) -> tuple[RunResult, str | None]:
    """The run's result and, unless ok, why (one line): from its ``report`` (counts, ids), its ``discovery``
    stage, its site's ``config``, the archive writes that failed, and why robots.txt was unreadable or the run
    stopped at a pause past its deadline (the crawl's stats: ``crawler.fetch.robots``, ``crawler.fetch.retry_after``)."""
    failed = RunResult.FAILED
    if close_reason == SHUTDOWN:                   # SIGTERM/SIGINT (crawler.fetch.stopping.RunProcess)
        return RunResult.STOPPED, ("stopped by a signal (SIGTERM or SIGINT) before its end; "
                                   f"{report.counts[Count.BACKLOG]} articles left for the next run")
    if robots_unreadable:                          # every request refused (crawler.fetch.robots)
        return failed, robots_unreadable
    if close_reason == PAUSE_PAST_DEADLINE and stop_why:
        return failed, stop_why
    read_any = discovery is not None and discovery.read_any()
    if not read_any and discovery is not None and discovery.unreachable():
        return failed, "site unreachable: " + "; ".join(sorted(set(discovery.unreachable()))[:3])
    if close_reason == "closespider_timeout":      # the run's deadline (crawler.extensions.deadline)
        return failed, f"time limit {human_duration(config.site.time_limit)} exceeded"
    if not read_any:
        return failed, "no feed, sitemap or listing of the site could be read"
    if close_reason not in _NORMAL:
        return failed, f"stopped early ({close_reason})"
    if write_failures:
        return failed, f"{len(write_failures)} archive writes failed: {write_failures[0]}"
    if report.counts.get(PageOutcome.PENDING):
        return failed, f"{report.counts[PageOutcome.PENDING]} writes pending in the outbox (archive unavailable)"
    fetched, lost = report.counts[Count.FETCHED], report.counts[PageOutcome.FAILED]
    if fetched and lost == fetched:
        return failed, "every article page failed"
    # pages answered plus pages whose fetch failed (a page that failed after its fetch counts twice: the
    # share errs on the low side); a page that was not the article asked for (a challenge, denial or paywall
    # page, a garbled text: ``rejected``) is an article this run did not get either
    rejected = report.counts.get(Count.REJECTED, 0)
    pages, limit, missed = fetched + lost, config.crawl.max_failed_share, lost + rejected
    degraded = []
    if pages and missed / pages > limit:
        what = "failed" if not rejected else f"failed or were not the article ({rejected} rejected)"
        degraded.append(f"{missed} of {pages} article pages {what} ({missed / pages:.0%}, "
                        f"more than crawl.max_failed_share {limit:.0%})")
    sources_lost = discovery.lost()      # a run that saw less than the site published is not ok
    if sources_lost:
        degraded.append(sources_lost)
    ids = report.ids
    # holes left in the numbers: not ok (a full run's: a watch probes only the newest few, the full runs the rest)
    full_run_holes = ids and ids["probing"] and ids["unprobed"] and report.kind != RunKind.WATCH
    if full_run_holes and not ids["sparse"]:
        degraded.append(f"coverage {ids['coverage']:.1%}: {ids['unprobed']} article numbers of "
                        f"{ids['low']}–{ids['high']} neither archived nor known gaps (id_probes {ids['budget']} a run)")
    elif full_run_holes and ids.get("probes", {}).get("missed"):
        # sparse numbers whose probes found articles no feed, sitemap or listing showed: more are left unprobed
        degraded.append(f"coverage {ids['coverage']:.1%}: the probes found {ids['probes']['missed']} articles no "
                        f"discovery source showed among {ids['probes']['missed'] + ids['probes']['gaps']} numbers "
                        f"of sparse ids, so about {ids['unprobed'] * ids['open_rate']:.0f} more are estimated among "
                        f"the {ids['unprobed']} numbers of {ids['low']}–{ids['high']} left unprobed "
                        f"(id_probes {ids['budget']} a run)")
    if degraded:
        return RunResult.DEGRADED, "; ".join(degraded)
    return RunResult.OK, None


def remember(run, config, candidates, ids, discovery, result: RunResult) -> None:
    """At the end of a run that was not failed: URLs that answered no article, when the run also archived
    articles (so a layout change that hides every article is not taken for good); the validators of each
    discovery document dealt with in full, and those of every other document forgotten
    (``crawler/discover/sources.py``), but none after a run whose every article page answered no article
    (its articles are listed again next time, not skipped behind a 304). A document one of whose pages must
    be fetched again (``rejected``, a pipeline error: ``crawler/run/page_fate.py``) is not dealt with in full."""
    counts = run.report.counts
    if result not in (RunResult.OK, RunResult.DEGRADED):
        return
    archived = sum(counts.get(o, 0) for o in (PageOutcome.NEW, PageOutcome.UPDATED, PageOutcome.UNCHANGED))
    not_articles = candidates.not_articles
    if not_articles and archived:
        run.index.remember_not_articles(not_articles, datetime.now(timezone.utc), config.transient_backoff)
    if ids is not None:
        ids.remember(not_articles_too=bool(archived))
    if discovery is not None and (archived or not not_articles):
        run.index.remember_validators(*discovery.validator_changes())
        run.index.remember_listings(discovery.listings())


class RunReportExtension:
    """Reads, at the run's end, the run (``SiteRun``: its report and writes), its site's ``config``, the spider's
    discovery state (``discovery``, ``candidates``, ``ids``) and the crawl's stats (the counts, why it stopped)."""

    def __init__(self, crawler, run, config):
        self.crawler = crawler
        self.run = run
        self.config = config

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, run_from(crawler), config_from(crawler))
        ext.run.report.count_in(crawler.stats)      # the run's counters: Scrapy's stats collector
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        run = self.run
        run.log.info("run started: %s at %s, archive %s", run.site, self.config.base_url, run.archive.url)

    async def spider_closed(self, spider, reason: str) -> None:
        # waiting for the archive writes blocks: do it off the reactor
        await maybe_deferred_to_future(deferToThread(self._finish, spider, reason))

    def _finish(self, spider, close_reason: str) -> None:
        run, stats = self.run, self.crawler.stats
        discovery, candidates, ids = spider.discovery, spider.candidates, spider.ids
        run.warc.close()
        run.wait_for_writes()
        # article pages discovered but left for the next run (the page cap or the time limit came first)
        count(stats, Count.BACKLOG, len(candidates.queued))
        discovery.close()
        if not discovery.skipped:
            run.report.ids = ids.report()
        result, why = decide(run.report, close_reason, discovery=discovery, config=self.config,
                             write_failures=run.write_failures, robots_unreadable=stats.get_value(ROBOTS_UNREADABLE),
                             stop_why=stats.get_value(STOP_WHY))
        run.report.finish(result, why)
        remember(run, self.config, candidates, ids, discovery, result)
        fut = run.uploader.submit_bytes(run.report.key, run.report.to_json(), content_type=JSON,
                                        metadata={"site": run.site, "run-id": run.report.run_id})
        try:
            fut.result()
        except Exception as exc:
            run.log.error("run report not stored: %s", exc)
        self._check_selectors()
        log = {RunResult.OK: run.log.info, RunResult.DEGRADED: run.log.warning}.get(result, run.log.error)
        log("run finished: %s", run.report.summary(), extra={"result": result, **run.report.told_counts(),
                                                             "duration_s": run.report.duration_s})

    def _check_selectors(self) -> None:
        """One warning line when the site's own selectors stopped matching its article pages (a redesign)."""
        run = self.run
        selectors = run.report.selectors
        threshold = self.config.status.min_selector_hit_rate
        if selectors["rate"] is None or selectors["rate"] >= threshold:
            return
        run.log.warning("site selectors matched %.0f%% of %d checks on %d article pages (threshold %.0f%%): "
                        "has the site changed its layout? misses: %s", 100 * selectors["rate"], selectors["checks"],
                        selectors["pages"], 100 * threshold, selector_misses(selectors),
                        extra={"selector_hit_rate": selectors["rate"]})
