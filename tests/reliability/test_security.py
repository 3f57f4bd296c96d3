"""Security checks: secrets never in what arshif writes or prints; requests never leave the site; archive
keys safe whatever a page holds; XML parsed with no entity expansion and no network access; the replica and
the metrics endpoint listen on loopback unless told otherwise."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from scrapy.http import XmlResponse
from scrapy.utils.iterators import xmliter_lxml
from scrapy.utils.sitemap import Sitemap

from crawler.archive.storage.keys import article_key, parse_article_key, utc_date
from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.base import ArchiveError
from crawler.config import load_settings
from crawler.discover.feeds import read_feed, read_sitemap
from crawler.sites import get_site
from crawler.urls import article_id, canonicalize
from jobs.service.metrics import ServiceMetrics
from replica import ReplicaServer
from replica.faults import XXE_PATH
from tests.crawl_helpers import PLAIN, arshif, crawl_env
from tests.reliability.harness import scan_for
from tests.s3_server import ISOLATING_ENV

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def replica():
    with ReplicaServer(plain=PLAIN) as server:
        yield server


@pytest.mark.slow
def test_secrets_never_in_logs_reports_or_errors(s3_server, s3_env, s3_url, replica, tmp_path):
    """A crawl into S3 at DEBUG with a JSON log file, one with the wrong secret, status and verify: the
    access key and the secret appear in no output, no log file, no state file, no object of the bucket."""
    env = {k: v for k, v in os.environ.items()
           if k not in ISOLATING_ENV and not k.startswith("ARSHIF_") and not k.startswith("AWS_")}
    env.update(s3_server.env)
    env.update(crawl_env(replica, tmp_path))
    env.update({"ARSHIF_ARCHIVE__URL": s3_url, "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
                "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path", "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2",
                "ARSHIF_LOGGING__LEVEL": "DEBUG", "ARSHIF_LOGGING__SCRAPY_LEVEL": "DEBUG",
                "ARSHIF_LOGGING__FORMAT": "json", "ARSHIF_LOGGING__FILE": str(tmp_path / "logs" / "arshif.log")})
    (tmp_path / "logs").mkdir()
    runs = [arshif("crawl", "elbalad", env=env, cwd=ROOT),
            arshif("crawl", "elbalad", env={**env, "AWS_SECRET_ACCESS_KEY": s3_server.secret_key[::-1]}, cwd=ROOT),
            arshif("status", env=env, cwd=ROOT),
            arshif("verify", "--archive", s3_url, env=env, cwd=ROOT)]
    assert runs[0].returncode == 0, runs[0].stderr[-3000:]
    assert runs[1].returncode == 2 and "credentials refused" in runs[1].stderr
    bucket = s3_url[5:].split("/")[0]
    client = s3_server.client()
    dump = tmp_path / "bucket"
    dump.mkdir()
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", ())]
    assert any("/runs/" in k for k in keys) and any("/warc/" in k for k in keys)
    for i, key in enumerate(keys):
        (dump / str(i)).write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert (tmp_path / "logs" / "arshif.log").stat().st_size > 0
    texts = [t for r in runs for t in (r.stdout, r.stderr)]
    secrets = [s3_server.secret_key, s3_server.access_key, s3_server.secret_key[::-1]]
    assert scan_for(secrets, [tmp_path], texts) == []


@pytest.mark.slow
def test_offsite_requests_refused(replica, tmp_path):
    """Every document and article of the site redirects to another host (the other site's replica, as
    "localhost"): Scrapy's OffsiteMiddleware and the spider refuse them all, each with one line."""
    other = replica.base_urls["rt_arabic"].replace("127.0.0.1", "localhost")
    replica.inject("offsite", "re:/(rss|sitemap|category|\\d).*", to=other, site="elbalad")
    done = arshif("crawl", "elbalad", env=crawl_env(replica, tmp_path))
    assert replica.stats("rt_arabic") == {}                        # not one request reached the other host
    for document in ("/rss.aspx", "/sitemap.xml", "/category/2"):
        assert f"{document}: redirect to another host refused (localhost:" in done.stderr, done.stderr[-3000:]
    assert not list((tmp_path / "archive").rglob("articles/**/*.json"))


HOSTILE = ["/../../../etc/passwd", "/%2e%2e/%2e%2e/x", "/6300000/..%2f..%2fsecret", "/6300000\x00.json",
           "/6300000/" + "a" * 5000, "/6300000?title=../../x&q=%00", "/6300000/\u202e\u0640..\\..\\x",
           "//evil.example/6300000", "/6300000#/../../x"]


@pytest.mark.parametrize("path", HOSTILE)
def test_archive_keys_safe_whatever_the_url(path, tmp_path):
    base = "http://127.0.0.1:8801"
    url = canonicalize(path, base, get_site("elbalad"))
    key = article_key("elbalad", utc_date("2026-11-23T10:00:00+02:00", None), article_id(url, base, get_site("elbalad")))
    assert parse_article_key(key) is not None and len(key) < 100, key


@pytest.mark.parametrize("key", ["../outside.json", "/etc/x.json", "articles/../../outside.json",
                                 "articles/x\x00.json"])
def test_local_archive_refuses_keys_outside_it(key, tmp_path):
    archive = LocalArchive(f"file://{tmp_path / 'archive'}")
    with pytest.raises((ValueError, ArchiveError)):
        archive.put(key, b"{}", content_type="application/json")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.slow
def test_titles_never_reach_a_key(replica, tmp_path):
    """Records hold titles and URLs only as JSON values: every key of a real crawl is one the layout knows."""
    done = arshif("crawl", "elbalad", env=crawl_env(replica, tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    for path in (tmp_path / "archive" / "articles").rglob("*"):
        if path.is_file():
            assert parse_article_key(path.relative_to(tmp_path / "archive").as_posix()), path


def xml_documents(replica, kind: str) -> dict[str, bytes]:
    base = replica.base_urls["elbalad"]
    replica.inject(kind, "*", site="elbalad")
    try:
        return {p: urllib.request.urlopen(base + p, timeout=10).read() for p in ("/rss.aspx", "/sitemap.xml")}
    finally:
        replica.clear_faults()


@pytest.mark.parametrize("kind", ["billion_laughs", "external_entity"])
def test_xml_parsed_without_entities_or_network(replica, kind):
    """Scrapy's parsers (which arshif uses) and arshif's readers: no entity expanded, no file read, no
    request made; the documents' real entries are still read."""
    base = replica.base_urls["elbalad"]
    docs = xml_documents(replica, kind)
    before = replica.stats("elbalad")
    feed = XmlResponse(base + "/rss.aspx", body=docs["/rss.aspx"])
    sitemap = XmlResponse(base + "/sitemap.xml", body=docs["/sitemap.xml"])
    raw = [Sitemap(docs["/sitemap.xml"]).type]
    try:
        raw += [n.get() for n in xmliter_lxml(feed, "item")]
    except Exception as exc:                        # libxml2 refuses a billion laughs outright: also safe
        raw.append(str(exc))
    listing, urls = read_feed(feed), read_sitemap(sitemap, 10**7)
    everything = " ".join(map(str, raw + listing.entries + urls.entries))
    assert "root:" not in everything and "lollollol" not in everything
    assert replica.stats("elbalad") == before and XXE_PATH not in replica.stats("elbalad")
    assert len(listing.entries) >= 20 and len(urls.entries) == 2
    assert "declares XML entities" in listing.problem and "declares XML entities" in urls.problem


def test_replica_binds_to_loopback_by_default():
    with ReplicaServer(plain=PLAIN) as server:
        assert all(url.startswith("http://127.0.0.1:") for url in server.base_urls.values())
        for site_server in server._servers.values():
            assert site_server.server_address[0] == "127.0.0.1"
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "replica", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        assert all(line.split()[1].startswith("http://127.0.0.1:") for line in lines), lines
    finally:
        proc.terminate()
        proc.wait(10)


def test_metrics_bind_to_loopback_by_default():
    settings = load_settings(environ={})
    assert settings.service.metrics_host == "127.0.0.1"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    metrics = ServiceMetrics(["elbalad"])
    metrics.start_http(settings.service.metrics_host, port)
    try:
        assert metrics._server.server_address[0] == "127.0.0.1"
        assert b"arshif_runs" in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    finally:
        metrics.close()
