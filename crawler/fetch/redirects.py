"""Scrapy's redirect middlewares without the Referer header.

No site needs a Referer, so Scrapy's RefererMiddleware is left out of the spider middlewares
(``crawler/run/scrapy_settings.py``). Scrapy's own redirect middlewares then warn at every crawl's start that
they found none ("… found no RefererMiddleware instance …"): the remedy that warning names is a subclass whose
``handle_referer()`` decides the header, which these are (it is dropped, as Scrapy drops it without the
middleware). They look for no Referer middleware at the engine's start, so they do not warn.
"""
from __future__ import annotations

from scrapy.downloadermiddlewares import redirect


class _NoReferer:
    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def handle_referer(self, request, response) -> None:
        request.headers.pop("Referer", None)


class RedirectMiddleware(_NoReferer, redirect.RedirectMiddleware):
    """HTTP 301/302/303/307/308, as Scrapy's."""


class MetaRefreshMiddleware(_NoReferer, redirect.MetaRefreshMiddleware):
    """``<meta http-equiv="refresh">``, as Scrapy's."""
