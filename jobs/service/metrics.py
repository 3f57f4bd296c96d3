"""Prometheus metrics of ``arshif serve``: runs, articles by outcome, last success time, run duration.

Exposed on ``http://<service.metrics_host>:<service.metrics_port>/metrics`` when the port is set (127.0.0.1 by
default: put a reverse proxy or the pod network in front to expose it), and/or written after every run to
``service.metrics_textfile`` for node_exporter's textfile collector (the path must end in ``.prom``).

    arshif_runs_total{site,result}                  runs finished, result "ok" | "degraded" | "failed" | "killed" | "stopped"
    arshif_articles_total{site,outcome}             pages by outcome (new, updated, unchanged, skipped, ...)
    arshif_last_run_result{site,arshif_last_run_result}  1 for the last run's result, 0 for the others
    arshif_last_success_timestamp_seconds{site}     end of the last run that went to its end (ok or degraded)
    arshif_last_run_duration_seconds{site}          duration of the last run (seeded from the reports)
    arshif_lag_seconds{site,since,quantile}         publication ("published") or discovery's first sight
                                                    ("first_seen") → archive, p50 and p95 over the last day's runs
    arshif_removed_total{site}                      archived articles recorded as taken down by the site
    arshif_watch_runs_total{site,result}            feed watches finished (between the full runs)
    arshif_selector_hit_rate{site}                  share of the checks on the article pages of the last run
                                                    that read any where the site's own selectors matched
    arshif_coverage_ratio{site,day}                 the last run's coverage: archived ÷ (article numbers in the
                                                    id range − known gaps), per UTC day and day="all"
    arshif_id_unprobed{site}                        numbers of the id range neither archived nor known gaps

Alert on ``time() - arshif_last_success_timestamp_seconds > 3 * interval``: it catches a failing site and a
stopped service alike; on ``arshif_last_run_result{arshif_last_run_result="degraded"} == 1`` for a site
that is crawled but loses too many pages; on ``arshif_selector_hit_rate < 0.5`` to learn of a redesign; and on
``arshif_coverage_ratio{day="all"} < 1`` for articles the site published that the archive does not hold.
"""
from __future__ import annotations

from collections import deque
from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, start_http_server, write_to_textfile

from crawler.outcomes import Count, PageOutcome, RunKind, RunResult
from crawler.run.report import RunReport
from jobs.service.lag import LAG_WINDOW, SINCE, lag_summary


#: the results a finished run can have (a report still "running" is not finished)
RESULTS = tuple(r.value for r in RunResult if r is not RunResult.RUNNING)


VERDICTS = (Count.REJECTED, Count.MISMATCHED)


def _timestamp(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


class ServiceMetrics:
    def __init__(self, sites: list[str], textfile: str = ""):
        self.textfile = textfile
        self.registry = CollectorRegistry()
        self.runs = Counter("arshif_runs", "Crawl runs finished, by site and result.", ["site", "result"],
                            registry=self.registry)
        self.articles = Counter("arshif_articles", "Pages of crawl runs by outcome.", ["site", "outcome"],
                                registry=self.registry)
        self.verdicts = Counter("arshif_page_verdicts", "Article pages that were not the article asked for "
                                "(rejected: a challenge, denial or paywall page, a garbled text, another id's text) "
                                "or named another article as theirs (mismatched).", ["site", "verdict"],
                                registry=self.registry)
        self.last_success = Gauge("arshif_last_success_timestamp_seconds",
                                  "Unix time at which the last successful run of the site ended.", ["site"],
                                  registry=self.registry)
        self.last_result = Enum("arshif_last_run_result", "Result of the last run of the site.", ["site"],
                                states=list(RESULTS), registry=self.registry)
        self.duration = Gauge("arshif_last_run_duration_seconds", "Duration of the last run of the site.",
                              ["site"], registry=self.registry)
        self.selector_hit_rate = Gauge("arshif_selector_hit_rate",
                                       "Share of checks on the last run's article pages where the site's own "
                                       "selectors matched (low: the site changed its layout).", ["site"],
                                       registry=self.registry)
        self.lag = Gauge("arshif_lag_seconds", "Seconds from publication (since=published) or from discovery's "
                         "first sight (since=first_seen) to the archive, over the last day's runs.",
                         ["site", "since", "quantile"], registry=self.registry)
        self.removed = Counter("arshif_removed", "Archived articles recorded as taken down by the site.", ["site"],
                               registry=self.registry)
        self.watch_runs = Counter("arshif_watch_runs", "Feed watches finished, by site and result.",
                                  ["site", "result"], registry=self.registry)
        self._recent: dict[str, deque[RunReport]] = {site: deque() for site in sites}
        self.coverage = Gauge("arshif_coverage_ratio", "Archived share of the article numbers of the id range that "
                              "are articles (last run), per UTC day and day=all.", ["site", "day"],
                              registry=self.registry)
        self.unprobed = Gauge("arshif_id_unprobed", "Numbers of the id range neither archived nor known gaps "
                              "(last run).", ["site"], registry=self.registry)
        self._coverage_days: dict[str, set[str]] = {}
        self._server = None
        for site in sites:  # every series exists from the start, at 0, so that rate() and absent() behave
            for result in RESULTS:
                self.runs.labels(site, result)
            for outcome in PageOutcome:
                self.articles.labels(site, outcome)
            for verdict in VERDICTS:
                self.verdicts.labels(site, verdict)
            self.removed.labels(site)

    def seed(self, site: str, last_run: RunReport | None, last_success: RunReport | None) -> None:
        """Set the gauges from the run reports, so that a restart does not look like a site never run."""
        if last_success and _timestamp(last_success.finished_at):
            self.last_success.labels(site).set(_timestamp(last_success.finished_at))
        if last_run and last_run.duration_s is not None:
            self.duration.labels(site).set(last_run.duration_s)
        if last_run and last_run.result in RESULTS:
            self.last_result.labels(site).state(last_run.result)
        if last_run:
            self._set_hit_rate(last_run)
            self._set_coverage(last_run)

    def _set_hit_rate(self, report: RunReport) -> None:
        rate = (report.selectors or {}).get("rate")
        if rate is not None:              # a run without an article page says nothing about the selectors
            self.selector_hit_rate.labels(report.site).set(rate)

    def _set_coverage(self, report: RunReport) -> None:
        ids = report.ids
        if not ids:
            return
        site, shares = report.site, {day: t["coverage"] for day, t in ids["days"].items()}
        shares["all"] = ids["coverage"]
        days = {day for day, share in shares.items() if share is not None}
        for day in self._coverage_days.get(site, set()) - days:     # days that left the range
            self.coverage.remove(site, day)
        self._coverage_days[site] = days
        for day in days:
            self.coverage.labels(site, day).set(shares[day])
        self.unprobed.labels(site).set(ids["unprobed"])

    def record(self, report: RunReport) -> None:
        """Count a finished run, then rewrite the textfile when one is configured."""
        site = report.site
        result = report.result if report.result in RESULTS else RunResult.FAILED
        told = report.told_counts()          # the id probes' gaps are no pages that were not articles
        for outcome in PageOutcome:
            if told.get(outcome):
                self.articles.labels(site, outcome).inc(told[outcome])
        for verdict in VERDICTS:
            if report.counts.get(verdict):
                self.verdicts.labels(site, verdict).inc(report.counts[verdict])
        self.removed.labels(site).inc(report.counts.get(Count.REMOVED, 0))
        self._record_lag(report)
        if report.kind == RunKind.WATCH:      # the full runs' gauges are the full runs' alone
            self.watch_runs.labels(site, result).inc()
            self.write_textfile()
            return
        self.runs.labels(site, result).inc()
        self.last_result.labels(site).state(result)
        if report.duration_s is not None:
            self.duration.labels(site).set(report.duration_s)
        self._set_hit_rate(report)
        self._set_coverage(report)
        if report.result.completed:
            self.last_success.labels(site).set(_timestamp(report.finished_at))
        self.write_textfile()

    def _record_lag(self, report: RunReport) -> None:
        recent = self._recent.setdefault(report.site, deque())
        recent.append(report)
        horizon = datetime.now(timezone.utc) - LAG_WINDOW
        while recent and _timestamp(recent[0].finished_at or recent[0].started_at) < horizon.timestamp():
            recent.popleft()
        summary = lag_summary(recent)
        for since in SINCE:
            for name, q in (("p50", "0.5"), ("p95", "0.95")):
                if summary[since][name] is not None:
                    self.lag.labels(report.site, since, q).set(summary[since][name])

    def write_textfile(self) -> None:
        if self.textfile:
            write_to_textfile(self.textfile, self.registry)

    def start_http(self, host: str, port: int) -> None:
        self._server, _ = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
