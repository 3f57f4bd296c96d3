"""The names of outcomes, in one place: what a run ended as, what became of a page, what else a run report
counts, what kind of run a report is of, and a site's health in ``arshif status``.

Both are ``StrEnum``: a member *is* its string, so run reports, log lines, metric labels and ``arshif status``
carry the same plain words (``"ok"``, ``"new"``) that data teams and alert rules read.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RunResult(StrEnum):
    """How a run ended (``RunReport.result``)."""

    RUNNING = "running"      # the report written at start; a run still so after its process died is KILLED
    OK = "ok"
    DEGRADED = "degraded"    # it ran to its end, but more than crawl.max_failed_share of its article pages failed
    FAILED = "failed"        # the site could not be crawled (unreachable, time limit, archive writes failed…)
    KILLED = "killed"        # the process died before completing its report (marked so by the next run)

    @property
    def completed(self) -> bool:
        """The run crawled the site to its end (a success for the schedule's catch-up and "last success")."""
        return self in (RunResult.OK, RunResult.DEGRADED)


class RunKind(StrEnum):
    """What wrote a run report (``RunReport.kind``): history, status and catch-up read crawls only."""

    CRAWL = "crawl"
    REFETCH = "refetch"        # ``arshif refetch``: given articles fetched again
    FLUSH = "flush"            # the manifest of an outbox replay (``run_id`` ending in ``-flush``)
    RECOVERY = "recovery"      # keys listed by ``arshif verify --repair`` (``-recovery``)
    REEXTRACT = "reextract"    # ``arshif reextract`` (``-reextract``)


class PageOutcome(StrEnum):
    """What became of one discovered article URL (a count of the run report, a metric label)."""

    NEW = "new"                  # archived for the first time
    UPDATED = "updated"          # its text changed: archived as a new version
    UNCHANGED = "unchanged"      # fetched, same text as the archived copy: nothing written
    SKIPPED = "skipped"          # not fetched: archived and not changed since, or older than the look-back
    NOT_ARTICLE = "not_article"  # fetched, but no article in it (or text that could not be decoded)
    INVALID = "invalid"          # extracted, but the record failed the schema
    FAILED = "failed"            # the fetch, the extraction or the archive write failed: fetched again next run
    PENDING = "pending"          # waiting in the outbox for the archive


@dataclass(frozen=True)
class NotArticle:
    """What the extractor returns for a page that is not archived; ``reason`` is a short snake_case word for
    reports and logs. Defined here, not beside the extractor: a worker sends it back to the crawl's process,
    which must not import Trafilatura to read it."""

    reason: str


#: page outcomes that are articles which passed validation
ARTICLE_OUTCOMES = (PageOutcome.NEW, PageOutcome.UPDATED, PageOutcome.UNCHANGED, PageOutcome.PENDING)


class Count(StrEnum):
    """The run report's other counts (``RunReport.counts`` holds these beside every ``PageOutcome``)."""

    DISCOVERED = "discovered"                    # article URLs found (each id once per run)
    FETCHED = "fetched"                          # article pages answered with a body
    REQUESTED = "requested"                      # article requests made (the candidates left wait as URLs)
    UNDATED = "undated"                          # articles archived without a publication date
    SHORT_TEXT = "short_text"                    # articles under status.short_words words
    ROBOTS_FORBIDDEN = "robots_forbidden"        # requests robots.txt forbade
    THROTTLED = "throttled"                      # 429/503 answers with Retry-After (the site was slowed down)
    BACKLOG = "backlog"                          # article pages left for the next run (page cap or time limit)
    SKIPPED_NOT_ARTICLE = "skipped_not_article"  # of the skipped: found no article (or a 404) recently
    NOT_MODIFIED = "not_modified"                # feeds and sitemaps answered 304 (not parsed)
    # ``arshif reextract``'s report (beside new, updated, unchanged, not_article, failed)
    CAPTURES = "captures"                        # response records read from the WARC files
    PAGES = "pages"                              # article captures extracted
    OLDER = "older"                              # captures older than the archived record's: nothing written


class Health(StrEnum):
    """A site's state in ``arshif status`` (its exit status: ok 0, warning 1, failing 2)."""

    OK = "ok"
    WARNING = "warning"
    FAILING = "failing"
    DISABLED = "disabled"
