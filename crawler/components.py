"""How arshif's Scrapy components (spider, middlewares, pipelines, extensions) reach their site's run: the
session attaches (:func:`attach`) a ``SiteRun`` (``crawler/run/site_run.py``: the run's resources) and the site's
``SiteConfig`` (``crawler/config.py``: its settings, one object) to the Scrapy crawler before it crawls; each
component's ``from_crawler`` finds them with :func:`run_from` and :func:`config_from`, and counts what happens in
the crawler's stats collector (:func:`count`), which the run report reads at the end. Nothing here imports the
run itself, so the stage packages can hold their components without importing upwards."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.config import SiteConfig
    from crawler.outcomes import Count, PageOutcome
    from crawler.run.site_run import SiteRun

#: a run's counters in Scrapy's stats collector: ``arshif/<count>`` (``crawler/run/report.py``: StatsCounts)
STATS_PREFIX = "arshif/"


def count(stats, name: "PageOutcome | Count", n: int = 1) -> None:
    """Count ``n`` of ``name`` (a member of ``PageOutcome`` or ``Count``) in a crawl's stats collector ``stats``:
    the run report's ``counts`` at the end."""
    stats.inc_value(STATS_PREFIX + name, n)


def counts_in(stats) -> dict[str, int]:
    """The counts :func:`count` kept in ``stats``, in the order they were first counted."""
    return {key[len(STATS_PREFIX):]: n for key, n in stats.get_stats().items() if key.startswith(STATS_PREFIX)}


def counter(crawler):
    """``count(name, n=1)`` in ``crawler``'s stats collector, for the parts a component builds before Scrapy has
    made the collector (the spider's discovery and candidates: the spider is made first)."""
    def count_in_stats(name: "PageOutcome | Count", n: int = 1) -> None:
        count(crawler.stats, name, n)          # the collector as it is when counting: made after the spider
    return count_in_stats


def attach(crawler, run: "SiteRun", config: "SiteConfig"):
    """Give ``crawler`` (a ``scrapy.crawler.Crawler``, before it crawls) its site's run and settings; returns
    the crawler."""
    crawler.arshif_run = run
    crawler.arshif_config = config
    return crawler


def _attached(found):
    from scrapy.exceptions import NotConfigured

    if found is None:
        raise NotConfigured("no arshif run attached: arshif's components run only in arshif's crawls")
    return found


def run_from(crawler) -> "SiteRun":
    """The crawler's ``SiteRun`` (see :func:`attach`); components are not configured without one."""
    return _attached(getattr(crawler, "arshif_run", None))


def config_from(crawler) -> "SiteConfig":
    """The crawler's ``SiteConfig`` (see :func:`attach`): the one settings object of its site."""
    return _attached(getattr(crawler, "arshif_config", None))


class RunComponent:
    """Base of arshif's Scrapy components: built from the crawler with its site's run (resources), its site's
    settings (``config``) and the crawler's stats collector (``stats``, where it counts: :func:`count`)."""

    def __init__(self, run: "SiteRun", config: "SiteConfig", stats):
        self.run = run
        self.config = config
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler), config_from(crawler), crawler.stats)
