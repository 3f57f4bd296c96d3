"""What a process imports decides how fast it starts: every crawl, status check and verify is a new process.
The crawl's own process sends pages to extraction workers and must not import the extractor (Trafilatura,
extruct: ~1 s of CPU per crawl); a sub-command imports its own module only."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("trafilatura", "extruct", "justext", "pyarrow", "scipy", "datasketch")


def imported_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_crawl_process_does_not_import_the_extractor():
    code = ("from jobs.cli import build_parser; build_parser('crawl')\n"
            "import jobs.crawl, crawler.extract.pipeline, crawler.run.site_run, crawler.fetch.spider\n")
    assert imported_after(code) == []


def test_a_result_sent_back_by_a_worker_is_read_without_the_extractor():
    sent = subprocess.run([sys.executable, "-c", "import pickle, sys\nfrom crawler.extract.page import NotArticle\n"
                           "sys.stdout.buffer.write(pickle.dumps(NotArticle('widget_only')))"],
                          capture_output=True, timeout=120)
    assert sent.returncode == 0, sent.stderr
    code = f"import pickle\nassert pickle.loads({sent.stdout!r}).reason == 'widget_only'"
    assert imported_after(code) == []


@pytest.mark.parametrize("command", ["verify", "status", "crawl", "flush"])
def test_a_sub_command_imports_only_its_own_module(command):
    assert imported_after(f"from jobs.cli import build_parser; build_parser({command!r})") == []


def test_the_command_module_alone_imports_nothing_of_ours():
    """Every extraction worker runs ``jobs.cli`` again at its start: its top must stay light."""
    code = ("import sys, jobs.cli\n"
            "assert not [m for m in sys.modules if m.startswith(('crawler', 'pydantic'))], sorted(sys.modules)")
    assert imported_after(code) == []


def test_scrapy_s_unused_extensions_are_not_even_imported():
    """A ``None`` in Scrapy's EXTENSIONS still imports the extension (Scrapy loads an override's key to normalise
    it): RemoteControl's import is aiohttp, 0.12 s of every crawl. They are left out of the base list instead."""
    code = ("from scrapy.settings import Settings\n"
            "from crawler.config import load_settings\nfrom crawler.run.scrapy_settings import scrapy_settings\n"
            "s = Settings(scrapy_settings(load_settings(), 'rt_arabic'))\n"
            "names = s.get_component_priority_dict_with_base('EXTENSIONS')\n"
            "assert not [n for n in names if 'remote_control' in n or 'telnet' in n or 'feedexport' in n], names\n"
            "mws = s.get_component_priority_dict_with_base('DOWNLOADER_MIDDLEWARES')\n"
            "assert not [n for n in mws if 'cookies' in n or 'httpcache' in n or 'DownloaderStats' in n], mws\n"
            "spider_mws = s.get_component_priority_dict_with_base('SPIDER_MIDDLEWARES')\n"
            "assert not [n for n in spider_mws if 'referer' in n or 'depth' in n or 'metacopy' in n], spider_mws\n"
            "assert [n for n in spider_mws if 'httperror' in n], spider_mws\n"
            "assert sorted(s.getwithbase('DOWNLOAD_HANDLERS')) == ['http', 'https']\n"
            "import sys\nassert 'aiohttp' not in sys.modules and 'scrapy.extensions.telnet' not in sys.modules\n"
            "assert 'scrapy.extensions.feedexport' not in sys.modules\n"
            "assert 'scrapy.downloadermiddlewares.cookies' not in sys.modules\n")
    assert imported_after(code) == []
