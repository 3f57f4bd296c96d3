"""Archive a record the extraction built, through :func:`crawler.archive.storage.store.ingest` (checked against the
schema once, cheaply; new, updated — previous version kept — or unchanged, no write at all), written by the
run's uploader (off the reactor); writes the archive cannot take now are pending in the outbox. A record that
fails the schema is counted ``invalid`` and logged with its URL and reason, never archived half-empty."""
from __future__ import annotations

import asyncio

from crawler.archive.storage.keys import parse_article_key
from crawler.archive.storage.store import InvalidRecord, ingest
from crawler.extract.record import ArticleRecord
from crawler.outcomes import Count, PageOutcome
from crawler.components import RunComponent, config_from, count, run_from
from crawler.items import FetchAgain


class ArchivePipeline(RunComponent):
    """``ids``: the run's ``IdLedger`` (the spider's; None: numbers not followed)."""

    def __init__(self, run, config, stats, ids=None):
        super().__init__(run, config, stats)
        self.ids = ids
        self.short_words = config.status.short_words

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler), config_from(crawler), crawler.stats, crawler.spider.ids)

    async def process_item(self, record: ArticleRecord) -> ArticleRecord:
        run = self.run
        known = run.index.get(record.id)
        extracted = run.stories.take(record.id) if run.stories is not None else None   # its story terms, if any
        try:
            plan, pending = ingest(record, known, run.uploader.submit_article)
        except InvalidRecord as exc:
            count(self.stats, PageOutcome.INVALID)
            run.report.error(f"invalid record: {exc.field}", record.url)
            run.log.warning("%s, not archived", exc, extra={"url": record.url})
            raise FetchAgain(f"invalid record: {record.url}") from None
        if record.published_at is None:
            count(self.stats, Count.UNDATED)
        if record.word_count < self.short_words:
            count(self.stats, Count.SHORT_TEXT)
        if pending is None:
            count(self.stats, PageOutcome.UNCHANGED)
            run.index.checked(known.id, record.fetched_at, self._number(record, plan.key))
            return record
        try:
            outcome, keys, stored = await asyncio.wrap_future(pending)
        except Exception as exc:  # neither the archive nor the outbox took it (disk full…): the index is not
            run.write_failed("article", exc)     # advanced, so the next run fetches the article again
            count(self.stats, PageOutcome.FAILED)
            raise FetchAgain(f"not archived: {record.url}: {exc}") from None
        count(self.stats, outcome)
        run.report.keys_written.extend(keys)
        if extracted is not None and stored is not None and plan.key in keys:
            run.stories.archived(plan.key, stored, extracted)      # linked after the runs without reading it back
        if outcome == PageOutcome.NEW:
            run.report.lag(record, run.index.built_at())
        number = self._number(record, plan.key)
        if outcome != PageOutcome.PENDING:
            run.index.record(stored or plan.record, plan.key, number)     # one index transaction a page
            run.log.debug("%s: %s → %s", outcome, record.url, plan.key)
        elif number is not None:     # pending too: the outbox writes it to the archive
            run.index.archived_number(*number)
        return record

    def _number(self, record: ArticleRecord, key: str) -> tuple[int, str] | None:
        """The site's article number of ``record`` and its key's date, archived with it
        (``crawler/discover/ids.py``), or None."""
        num = self.ids.number(record.canonical_url) if self.ids is not None else None
        return None if num is None else (num, parse_article_key(key)["date"])
