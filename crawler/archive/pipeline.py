"""Archive a valid record: new, updated (previous version kept) or unchanged (no write at all), through the
run's uploader (off the reactor); writes the archive cannot take now are pending in the outbox."""
from __future__ import annotations

import asyncio
from datetime import datetime

from crawler.archive.keys import parse_article_key, utc_date
from crawler.archive.store import plan_article
from crawler.outcomes import PageOutcome
from crawler.components import RunComponent
from crawler.items import FetchAgain


class ArchivePipeline(RunComponent):
    async def process_item(self, record: dict) -> dict:
        run = self.run
        known = run.index.get(record["id"])
        date = utc_date(record["published_at"], datetime.fromisoformat(record["fetched_at"]))
        plan = plan_article(record, known, date)
        if plan.outcome == PageOutcome.UNCHANGED:
            run.report.count(PageOutcome.UNCHANGED)
            run.index.checked(known.id, record["fetched_at"])
            self._archived_number(record, plan.key)
            return record
        try:
            outcome, keys, stored = await asyncio.wrap_future(run.uploader.submit_article(plan))
        except Exception as exc:  # neither the archive nor the outbox took it (disk full…): the index is not
            run.write_failed("article", exc)     # advanced, so the next run fetches the article again
            run.report.count(PageOutcome.FAILED)
            raise FetchAgain(f"not archived: {record['url']}: {exc}") from None
        run.report.count(outcome)
        run.report.keys_written.extend(keys)
        if outcome == PageOutcome.NEW:
            run.report.lag(record, run.index.built_at())
        if outcome != PageOutcome.PENDING:
            run.index.record(stored or plan.record, plan.key)
            run.log.debug("%s: %s → %s", outcome, record["url"], plan.key)
        self._archived_number(record, plan.key)     # pending too: the outbox writes it to the archive
        return record

    def _archived_number(self, record: dict, key: str) -> None:
        """The site's article number of ``record`` is archived (``crawler/discover/ids.py``)."""
        run = self.run
        num = run.ids.number(record["canonical_url"]) if run.ids is not None else None
        if num is not None:
            run.index.archived_number(num, parse_article_key(key)["date"])
