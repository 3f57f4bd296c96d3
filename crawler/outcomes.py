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
    STOPPED = "stopped"      # stopped before its end by SIGTERM/SIGINT (within a bounded grace), report complete

    @property
    def completed(self) -> bool:
        """The run crawled the site to its end (a success for the schedule's catch-up and "last success")."""
        return self in (RunResult.OK, RunResult.DEGRADED)


class RunKind(StrEnum):
    """What wrote a run report (``RunReport.kind``): history, status and catch-up read crawls only."""

    CRAWL = "crawl"
    WATCH = "watch"            # ``arshif serve``'s feed watch between full runs (feeds only, plus revisits)
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

    @property
    def transient(self) -> bool:
        """Whether the page may still become the article (see :data:`PERMANENT_NOT_ARTICLE`)."""
        return self.reason not in PERMANENT_NOT_ARTICLE

    @property
    def rejected(self) -> bool:
        """Whether the page is known to stand in for the article asked for (see :data:`STAND_INS`)."""
        return self.reason in STAND_INS


#: Why an article URL answered no article, when that cannot change by itself: a 404/410, a video or gallery
#: page (only a widget), a page of a few words, a URL of no article. Such a page is not fetched again for
#: ``crawl.recheck_not_article`` (unless its sitemap or feed date moves). Every other reason — an interstitial
#: (challenge, access denied, paywall), a garbled text, a page without its body or title, another article's
#: text — is transient: the page is fetched again on a backoff (``crawl.recheck_transient``) within the
#: look-back.
PERMANENT_NOT_ARTICLE = frozenset({"HTTP 404", "HTTP 410", "widget_only", "text_too_short", "not_article_url"})
#: Of the transient reasons, those that are known to stand in for the article asked for: a bot challenge, an
#: access-denied page, a paywall stub (``crawler/extract/interstitial.py``), a garbled text, another id's text or
#: another article (``crawler/extract/verdict.py``). Counted ``rejected``: an article the run did not get, as a
#: failed page is (``crawl.max_failed_share``). A page without body or title may be a video page as well as a
#: page cut short: retried, not counted so.
STAND_INS = frozenset({"challenge", "access_denied", "paywall", "garbled_text", "shared_text", "not_requested"})


#: page outcomes that are articles which passed validation
ARTICLE_OUTCOMES = (PageOutcome.NEW, PageOutcome.UPDATED, PageOutcome.UNCHANGED, PageOutcome.PENDING)


class Count(StrEnum):
    """The run report's other counts (``RunReport.counts`` holds these beside every ``PageOutcome``)."""

    DISCOVERED = "discovered"                    # article URLs found (each id once per run)
    FETCHED = "fetched"                          # article pages answered (with a body, or a 404/410: a dead link)
    REQUESTED = "requested"                      # article requests made (the candidates left wait as URLs)
    UNDATED = "undated"                          # articles archived without a publication date
    SHORT_TEXT = "short_text"                    # articles under status.short_words words
    ROBOTS_FORBIDDEN = "robots_forbidden"        # requests robots.txt forbade
    THROTTLED = "throttled"                      # 429/503 answers with Retry-After (the site was slowed down)
    BACKLOG = "backlog"                          # article pages left for the next run (page cap or time limit)
    SKIPPED_NOT_ARTICLE = "skipped_not_article"  # of the skipped: found no article (or a 404) recently
    REJECTED = "rejected"                        # of the not_article: not the article asked for, for now (a
                                                 # challenge, denial or paywall page, garbled, another id's
                                                 # text): fetched again on a backoff
    MISMATCHED = "mismatched"                    # articles whose page names another article as itself (its
                                                 # canonical link): archived under the address fetched
    NOT_MODIFIED = "not_modified"                # feeds and sitemaps answered 304 (not parsed)
    GONE_FROM_ARCHIVE = "gone_from_archive"      # articles the index knew that the archive no longer held
    REVISITED = "revisited"                      # archived articles fetched again on their revisit schedule
    REVISIT_NOT_MODIFIED = "revisit_not_modified"  # of those, answered 304 (nothing read)
    GONE = "gone"                                # archived articles that answered gone (404/410, to a section)
    REMOVED = "removed"                          # of those, confirmed by a second check: recorded as removed
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
