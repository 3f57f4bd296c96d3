"""A site's run: open_run does the start-up I/O and returns plain state; the run reaches the Scrapy
components through the crawler it is attached to (not through Scrapy's settings)."""
import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.archive.storage.local import LocalArchive
from crawler.archive.delivery.uploader import Uploader
from crawler.config import SiteConfig, load_settings
from crawler.components import attach, config_from, run_from
from crawler.run.site_run import open_run
from crawler.run.scrapy_settings import scrapy_settings
from crawler.fetch.spider import NewsSpider
from crawler.archive.state.index import archive_state_dir


@pytest.fixture
def started(tmp_path):
    settings = load_settings(environ={"ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state")})
    archive = LocalArchive(f"file://{tmp_path}/archive")
    # a WARC file a killed run left open
    leftover = archive_state_dir(tmp_path / "state", archive.url) / "warc" / "elbalad"
    leftover.mkdir(parents=True)
    (leftover / "20261120T090000Z-elbalad-dead-00001.warc.gz.open").write_bytes(b"raw bytes")
    uploader = Uploader(archive)
    run = open_run(settings, "elbalad", archive, uploader, extract_pool=None)
    yield settings, archive, run
    run.warc.close()
    run.wait_for_writes()
    run.index.close()
    uploader.close()


def test_open_run_readies_the_index_recovers_warc_files_and_opens_a_writer(started):
    _, archive, run = started
    assert run.site == "elbalad" and run.report.site == "elbalad"
    assert run.index.is_built()                       # rebuilt from the (empty) archive
    run.wait_for_writes()
    key = "warc/site=elbalad/date=2026-11-20/20261120T090000Z-elbalad-dead-00001.warc.gz"
    assert archive.get(key) == b"raw bytes" and run.report.keys_written == [key]
    assert run.warc is not None


def test_components_find_the_run_attached_to_their_crawler(started):
    settings, _, run = started
    scrapy = scrapy_settings(settings, "elbalad")
    assert all(value is not run for value in scrapy.values())
    config = SiteConfig.of(settings, "elbalad")
    crawler = attach(Crawler(NewsSpider, scrapy), run, config)
    assert run_from(crawler) is run and config_from(crawler) is config
    spider = NewsSpider.from_crawler(crawler)
    assert spider.name == "elbalad" and spider.run is run and spider.config is config
    with pytest.raises(NotConfigured):
        run_from(Crawler(NewsSpider, scrapy))


def test_no_spider_callback_is_a_generator_returning_a_value():
    """Scrapy's own check of this (WARN_ON_GENERATOR_RETURN_VALUE) is off: it re-read the callback's source on
    every response. It is made here, once, on every callback and errback the spider gives its requests, and on
    the discovery stage's readers those callbacks hand their answers to."""
    from scrapy.utils.misc import is_generator_with_return_value

    from crawler.discover.stage import Discovery

    callbacks = [getattr(NewsSpider, name) for name in dir(NewsSpider)
                 if name.startswith(("parse_", "discovery_", "article_", "follow_"))]
    callbacks += [getattr(Discovery, name) for name in ("response", "_redirect", "_feed", "_sitemap", "_listing")]
    assert len(callbacks) >= 10
    assert not [c.__name__ for c in callbacks if is_generator_with_return_value(c)]


def test_components_count_in_scrapys_stats_and_read_one_settings_object():
    """Issue 23: the crawl's components count in Scrapy's stats collector, not through the run's report (only
    the run itself does, for what it counts before the crawl); no class reads arshif's settings by more than one
    route (the run's settings, cfg, spec and the site's SiteConfig); SiteRun holds the run's resources only."""
    from bench.house_counts import py_files, report_reaches, settings_routes, site_run_attributes

    assert {hit.split(":")[0] for hit in report_reaches(py_files("crawler", "jobs"), count_only=True)} <= {
        "crawler/run/site_run.py"}
    assert settings_routes(py_files("crawler")) == []
    assert not {"settings", "cfg", "spec", "base_url", "discovery", "ids", "queued", "not_articles", "stop_why",
                "robots_unreadable", "robots_refusal"} & set(site_run_attributes())


@pytest.mark.parametrize("environ, per_site", [
    ({}, 4),                                                                         # the real sites: polite
    ({"ARSHIF_CRAWL__AUTOTHROTTLE": "false"}, 4),                                    # a fixed delay
    ({"ARSHIF_CRAWL__DOWNLOAD_DELAY": "0"}, 4),                                      # AutoThrottle paces it
    ({"ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false"}, 16),   # politeness off
    ({"ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
      "ARSHIF_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "32", "ARSHIF_CRAWL__CONCURRENT_REQUESTS": "8"}, 32),
])
def test_a_site_gets_the_whole_concurrency_only_with_politeness_off(environ, per_site):
    settings = load_settings(environ={"ARSHIF_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "4",
                                      "ARSHIF_CRAWL__CONCURRENT_REQUESTS": "16", **environ})
    assert scrapy_settings(settings, "elbalad")["CONCURRENT_REQUESTS_PER_DOMAIN"] == per_site
