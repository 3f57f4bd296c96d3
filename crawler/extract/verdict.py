"""Is this the article we asked for? The run's verdict on each extracted page, before it is archived.

The extractor (``crawler/extract/page.py``) already refuses what a page shows by itself: a challenge, an
"access denied" page, a paywall stub (``crawler/extract/interstitial.py``), a garbled text. What only the run
can see is judged here:

- **the same number as requested**: the record's id is the id of the URL asked for (the extractor takes the
  identity from the URL fetched, so a record naming another article means a page served under the wrong
  address: ``not_requested``);
- **not a text another id has**: the same text under two article ids is one page (a denial or error page
  the extractor does not know, a site serving one article under many addresses): the id that had it first —
  in this run, or archived with it (the index) — keeps it, the others are ``shared_text``.

Both are transient (``NotArticle.transient``): the page is fetched again on a backoff, and counted
``rejected`` in the run report.
"""
from __future__ import annotations

from typing import Callable

from crawler.outcomes import NotArticle

__all__ = ["PageVerdict"]


class PageVerdict:
    """One run's verdicts; remembers which id each text was archived under in this run, and asks ``holder``
    (``ArticleIndex.other_holder``: another archived article with this text, if any) about earlier runs."""

    def __init__(self, holder: Callable[[str, str], str | None] | None = None) -> None:
        self._owners: dict[str, str] = {}       # content_sha256 → the first article id that had it
        self._holder = holder

    def judge(self, record: dict, requested_id: str) -> NotArticle | None:
        """None when ``record`` is the article asked for as ``requested_id``, else why not."""
        if record["id"] != requested_id:
            return NotArticle("not_requested")
        return self.shared_text(record)

    def shared_text(self, record: dict) -> NotArticle | None:
        """``shared_text`` when another id had ``record``'s text first (this run or archived), else None (the
        record's id now owns its text). Re-extraction asks this alone: it follows the id a page names."""
        sha, aid = record["content_sha256"], record["id"]
        owner = self._owners.get(sha)
        if owner is None and self._holder is not None and self._holder(sha, aid) is not None:
            return NotArticle("shared_text")
        if owner is not None and owner != aid:
            return NotArticle("shared_text")
        self._owners[sha] = aid            # only an accepted page owns its text
        return None
