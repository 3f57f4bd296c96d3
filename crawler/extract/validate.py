"""Every record is checked against the published JSON Schema before it may be archived; a record that fails
is counted and logged with its URL and reason, never archived half-empty."""
from __future__ import annotations

from crawler.components import RunComponent
from crawler.extract.record import problems
from crawler.items import FetchAgain
from crawler.outcomes import Count, PageOutcome


class ValidatePipeline(RunComponent):
    def __init__(self, run):
        super().__init__(run)
        self.short_words = run.settings.status.short_words

    def process_item(self, record: dict) -> dict:
        run = self.run
        found = problems(record)
        if found:
            run.report.count(PageOutcome.INVALID)
            run.report.error(f"invalid record: {found[0].split(':', 1)[0]}", record.get("url"))
            run.log.warning("invalid record, not archived: %s: %s", record.get("url"), "; ".join(found[:3]),
                            extra={"url": record.get("url")})
            raise FetchAgain(f"invalid record: {record.get('url')}")
        if record["published_at"] is None:
            run.report.count(Count.UNDATED)
        if record["word_count"] < self.short_words:
            run.report.count(Count.SHORT_TEXT)
        return record
