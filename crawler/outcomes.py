"""The names of outcomes, in one place: what a run ended as and what became of a page.

Both are ``StrEnum``: a member *is* its string, so run reports, log lines, metric labels and ``arshif status``
carry the same plain words (``"ok"``, ``"new"``) that data teams and alert rules read.
"""
from __future__ import annotations

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


#: page outcomes that are articles which passed validation
ARTICLE_OUTCOMES = (PageOutcome.NEW, PageOutcome.UPDATED, PageOutcome.UNCHANGED, PageOutcome.PENDING)
