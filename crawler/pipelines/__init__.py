"""Item pipelines, one job each: extract (worker processes) → validate (JSON Schema) → archive."""
from scrapy.exceptions import NotConfigured


def run_from(crawler):
    run = crawler.settings.get("ARSHIF_RUN")
    if run is None:
        raise NotConfigured("no ARSHIF_RUN")
    return run
