"""What the spider hands to the pipelines: a fetched page, before extraction."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scrapy.exceptions import DropItem


@dataclass
class PageItem:
    url: str                       # final URL (after redirects)
    requested_url: str             # canonical URL the spider asked for
    body: bytes = field(repr=False)   # pages are large: never in a log line
    encoding: str | None           # charset from the Content-Type header, if any
    fetched_at: datetime
    warc: dict | None              # {"file", "offset", "record_id"} of the raw response
    discovered_by: str | None = None   # how it was found: feed, sitemap, listing, id_probe or revisit


class FetchAgain(DropItem):
    """A page dropped without its article that a later run must fetch again (an extraction error, a page that
    stood in for the article, a record that could not be checked or archived): ``crawler/run/page_fate.py``
    keeps its discovery document from being trusted next run, so no 304 hides the article."""
