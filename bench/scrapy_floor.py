"""Scrapy alone over a URL list: (i) in bench/pipeline.py, the floor of the crawl process's CPU a page.

    .venv/bin/python bench/scrapy_floor.py URLS_FILE

One spider on Scrapy's default settings but politeness (no delay, no AutoThrottle, no robots.txt, the crawl's
concurrency: 32 requests, 16 a host) requests every URL and keeps nothing of the answers: no extraction, no
WARC record, no archive, no index, no report. What arshif's crawl process spends above this per page is its own
work; this is what any Scrapy crawl of these pages spends (the project's fixed choice of crawler). Prints one
line: pages answered 200, seconds.
"""
import sys
import time

import scrapy
from scrapy.crawler import CrawlerProcess


class Fetch(scrapy.Spider):
    name = "floor"

    def __init__(self, urls: list[str], **kwargs):
        super().__init__(**kwargs)
        self.urls, self.answered = urls, 0

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        self.answered += response.status == 200


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    process = CrawlerProcess({"LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0,
                              "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Fetch)
    start = time.perf_counter()
    process.crawl(crawler, urls=urls)
    process.start()
    print(f"{crawler.spider.answered} pages, {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
