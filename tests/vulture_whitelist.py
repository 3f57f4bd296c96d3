"""Names vulture (``tests/test_dead_code.py``) cannot see used: called by name by a framework, wired by
settings, or read by the tests and benches only where that is their job. Not a module to import."""
# ruff: noqa
from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# pydantic (crawler/config.py): model settings and validators, called by pydantic
model_config
_._endpoint, _._upper, _._window, _._renamed_timezone, _._relative_paths, _._timezone, _._cron, _._every, _._revisit_after
_._some_discovery, _._default_schedule, _._one_schedule, _._known_sites, _._version_in_user_agent
# pydantic-settings: the source hooks it calls
_.settings_customise_sources, _.get_field_value, _.decode_complex_value

# Scrapy: components wired by crawler/run/scrapy_settings.py, their hooks, the settings module's names, spider attributes
CloseAtDeadline, CrawlDelay, RunReportExtension, CrawlProgress, PageFate, RetryAfterMiddleware, WarcRecorderMiddleware
RobotsPolicy, _.robot_parser, LetGo, _.process_exception, DOWNLOADER    # crawler/fetch/robots.py, stopping.py
_.jitter      # a Scrapy download slot's attribute, read by the downloader
ArchivePipeline, ExtractPipeline
_.process_response, _.process_item, _.allowed_domains
_.handle_referer     # Scrapy's redirect middlewares call it (crawler/fetch/redirects.py)
BOT_NAME, SPIDER_MODULES, NEWSPIDER_MODULE, ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES, EXTENSIONS
CONCURRENT_ITEMS, COOKIES_ENABLED, DNS_TIMEOUT, REDIRECT_MAX_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS, HTTPERROR_ALLOWED_CODES
LOG_ENABLED, DEFAULT_DROPITEM_LOG_LEVEL, STATS_DUMP, LOGSTATS_INTERVAL, WARN_ON_GENERATOR_RETURN_VALUE

# data: a run report's field (written to JSON), a column of the index's rows
arshif_version
canonical_url

# a module's __getattr__ (PEP 562), called by Python: crawler.__version__ read when first asked for
__getattr__

# the standard library: logging's cached traceback, http.server's class attributes and handlers
_.exc_text
daemon_threads, server_version, do_POST, _.do_HEAD, _.close_connection
# io.RawIOBase's protocol (a sitemap streamed to lxml, crawler/discover/feeds.py)
_.readable, _.readinto

# a type only named in an annotation (TYPE_CHECKING import)
BaseTrigger

# read by the tests and benches, whose job it is: the extraction score, the replica's fault reset
_.f1
_.clear_faults

# the typed article record (crawler/extract/record.py): fields read through dataclasses.fields() (the stored form,
# the generated schemas, the cheap check)
_.schema_version, _.modified_at, _.extractor, _.removed_how

# the line rules' groups (crawler/sites/rules.py) that cleaning.py asks by name: Rules.matches("roles", line)
_.roles, _.ticker
