"""How arshif's Scrapy components (spider, middlewares, pipelines, extension) reach their site's run: the
runner attaches (:func:`attach`) a ``SiteRun`` (``crawler/run/site_run.py``) to the Scrapy crawler before it crawls;
each component's ``from_crawler`` finds it with :func:`run_from`. Nothing here imports the run itself, so
the stage packages can hold their components without importing upwards."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.run.site_run import SiteRun


def attach(crawler, run: "SiteRun"):
    """Give ``crawler`` (a ``scrapy.crawler.Crawler``, before it crawls) its site's run; returns the crawler."""
    crawler.arshif_run = run
    return crawler


def run_from(crawler) -> "SiteRun":
    """The crawler's ``SiteRun`` (see :func:`attach`); components are not configured without one."""
    from scrapy.exceptions import NotConfigured

    run = getattr(crawler, "arshif_run", None)
    if run is None:
        raise NotConfigured("no arshif run attached: arshif's components run only in arshif's crawls")
    return run


class RunComponent:
    """Base of arshif's Scrapy components: built from the crawler with its site's run."""

    def __init__(self, run: "SiteRun"):
        self.run = run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler))
