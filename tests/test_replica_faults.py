"""Fault injection in the replica (replica/faults.py): each fault is served as it says, hits the share
of requests it is given (the same ones for the same seed), and is set in process, over HTTP or on the
command line."""
from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import zlib
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree

from crawler.sites import get_site
from crawler.urls import is_article_url
from replica import ReplicaServer
from replica.faults import KINDS, XXE_PATH

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def replica():
    with ReplicaServer() as server:
        yield server


def get(url: str, timeout: float = 10) -> tuple[http.client.HTTPResponse, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = conn.getresponse()
    return response, response.read()


def an_article(replica, site="elbalad"):
    return next(a for a in replica.articles(site) if a.kind == "article")


def test_every_kind_has_a_test_here():
    source = open(__file__, encoding="utf-8").read()
    assert [k for k in KINDS if f'"{k}"' not in source] == []


@pytest.mark.parametrize("status", [500, 503])
def test_status(replica, status):
    article = an_article(replica)
    replica.inject("status", article.url_path, status=status)
    response, _ = get(article.url(replica.base_urls["elbalad"]))
    assert response.status == status
    assert replica.injected() == {"status": 1}


def test_throttle_says_when_to_come_back(replica):
    replica.inject("throttle", "*", retry_after=7)
    response, _ = get(replica.base_urls["rt_arabic"] + "/rss/")
    assert (response.status, response.headers["Retry-After"]) == (429, "7")


def test_reset(replica):
    replica.inject("reset", "/rss.aspx")
    with pytest.raises(ConnectionResetError):
        get(replica.base_urls["elbalad"] + "/rss.aspx")
    assert get(replica.base_urls["elbalad"] + "/robots.txt")[0].status == 200    # other paths unaffected


def test_stall_before_the_answer(replica):
    replica.inject("stall", "/rss.aspx", seconds=30)
    with pytest.raises(socket.timeout):
        get(replica.base_urls["elbalad"] + "/rss.aspx", timeout=0.5)
    # stopping the server ends the stall (the fixture's stop would otherwise wait 30 s)


def test_stall_in_the_middle_of_the_body(replica):
    replica.inject("stall_body", "/rss.aspx", seconds=30)
    parts = urlsplit(replica.base_urls["elbalad"])
    got = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=0.5) as sock:
        sock.sendall(b"GET /rss.aspx HTTP/1.0\r\n\r\n")
        with pytest.raises(socket.timeout):
            while chunk := sock.recv(65536):
                got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")                # the headers came at once, then half the body
    length = int(next(l for l in head.split(b"\r\n") if l.startswith(b"Content-Length:")).split(b":")[1])
    assert 0 < len(body) == length // 2


def test_truncate(replica):
    replica.inject("truncate", "/rss.aspx")
    with pytest.raises(http.client.IncompleteRead) as caught:
        get(replica.base_urls["elbalad"] + "/rss.aspx")
    assert caught.value.expected > 0 and len(caught.value.partial) > 0      # half the body, then closed


def test_wrong_charset(replica):
    article = an_article(replica)
    replica.inject("wrong_charset", article.url_path)
    response, body = get(article.url(replica.base_urls["elbalad"]))
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("windows-1256")
    assert article.title in text
    assert re.search(r"""<meta[^>]*charset=["']?windows-1256""", text)          # the page itself is honest


def test_no_charset(replica):
    article = an_article(replica, "rt_arabic")
    replica.inject("no_charset", article.url_path)
    response, body = get(article.url(replica.base_urls["rt_arabic"]))
    assert response.headers["Content-Type"] == "text/html"
    assert article.title in body.decode("utf-8")


def test_empty(replica):
    article = an_article(replica)
    replica.inject("empty", article.url_path)
    response, body = get(article.url(replica.base_urls["elbalad"]))
    assert (response.status, body, response.headers["Content-Length"]) == (200, b"", "0")


def test_oversize(replica):
    article = an_article(replica)
    replica.inject("oversize", article.url_path, size=3_000_000)
    response, body = get(article.url(replica.base_urls["elbalad"]))
    assert len(body) == int(response.headers["Content-Length"]) >= 3_000_000
    assert article.title in body.decode("utf-8")


@pytest.mark.parametrize("kind", ["gzip_bomb", "gzip_file_bomb"])
def test_gzip_bombs(replica, kind):
    replica.inject(kind, "/sitemap.xml", size=50_000_000)
    response, body = get(replica.base_urls["rt_arabic"] + "/sitemap.xml")
    assert len(body) < 200_000                                   # small on the wire
    assert body[:2] == b"\x1f\x8b"
    assert len(zlib.decompress(body, 16 + zlib.MAX_WBITS)) == 50_000_000
    if kind == "gzip_bomb":
        assert response.headers["Content-Encoding"] == "gzip"
    else:
        assert response.headers["Content-Type"] == "application/x-gzip" and "Content-Encoding" not in response.headers


def test_redirect_loop(replica):
    article = an_article(replica)
    replica.inject("redirect_loop", article.url_path)
    url = article.url(replica.base_urls["elbalad"])
    response, _ = get(url)
    assert (response.status, response.headers["Location"]) == (302, url)


def test_offsite_redirect(replica):
    replica.inject("offsite", "/rss/", to="http://elsewhere.invalid:8080")
    response, _ = get(replica.base_urls["rt_arabic"] + "/rss/")
    assert (response.status, response.headers["Location"]) == (302, "http://elsewhere.invalid:8080/rss/")


def test_raw_location(replica):
    """The Location's bytes on the wire are the UTF-8 of the decoded path (http.client reads them as Latin-1)."""
    article = next(a for a in replica.articles("rt_arabic") if a.redirects)
    replica.inject("raw_location", article.redirects[0], site="rt_arabic", to=article.url_path)
    base = replica.base_urls["rt_arabic"]
    response, _ = get(base + article.redirects[0])
    assert response.status == 302
    assert response.headers["Location"].encode("latin-1") == (base + unquote(article.url_path)).encode("utf-8")


def test_huge_sitemap_keeps_the_real_entries_and_adds_100000(replica):
    base = replica.base_urls["elbalad"]
    normal = etree.fromstring(get(base + "/sitemaps/articles.xml")[1])
    real = [loc.text for loc in normal.iter(f"{SM}loc")]
    replica.inject("huge_sitemap", "/sitemaps/articles.xml")
    response, body = get(base + "/sitemaps/articles.xml", timeout=60)
    assert response.headers["Content-Length"] is None               # generated while sending
    locs = [loc.text for loc in etree.fromstring(body, etree.XMLParser(huge_tree=True)).iter(f"{SM}loc")]
    assert len(locs) == len(real) + 100_000 and locs[:len(real)] == real
    assert len(set(locs)) == len(locs)
    assert is_article_url(locs[-1], base, get_site("elbalad")), locs[-1]     # looks like an article


def test_malformed_xml(replica):
    replica.inject("malformed_xml", "/rss.aspx")
    _, body = get(replica.base_urls["elbalad"] + "/rss.aspx")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)


def test_billion_laughs(replica):
    replica.inject("billion_laughs", "/sitemap.xml")
    _, body = get(replica.base_urls["elbalad"] + "/sitemap.xml")
    assert body.startswith(b"<?xml") and b"<!DOCTYPE sitemapindex [" in body
    assert b'<!ENTITY lol0 "lol">' in body
    for i in range(1, 10):
        assert f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() in body
    assert b"<sitemap><loc>&lol9;</loc></sitemap></sitemapindex>" in body
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):     # libxml2's own guard refuses it
        etree.fromstring(body, etree.XMLParser(resolve_entities=True))


def test_external_entity(replica):
    base = replica.base_urls["rt_arabic"]
    replica.inject("external_entity", "/rss/")
    _, body = get(base + "/rss/")
    dtd = etree.fromstring(body, etree.XMLParser(resolve_entities=False)).getroottree().docinfo.internalDTD
    assert {e.name: e.system_url for e in dtd.iterentities()} == {"passwd": "file:///etc/passwd",
                                                                  "remote": base + XXE_PATH}
    assert b"<link>&passwd;&remote;</link>" in body


def test_rss_html(replica):
    replica.inject("rss_html", "/rss/")
    response, body = get(replica.base_urls["rt_arabic"] + "/rss/")
    assert response.headers["Content-Type"].startswith("text/html")
    assert body.lstrip().lower().startswith((b"<!doctype html", b"<html"))


def test_crawl_delay(replica):
    replica.inject("crawl_delay", "/robots.txt", seconds=2.5)
    _, body = get(replica.base_urls["elbalad"] + "/robots.txt")
    lines = body.decode("ascii").splitlines()
    assert lines[:2] == ["User-agent: *", "Crawl-delay: 2.5"]
    assert any(line.startswith("Disallow:") for line in lines) and any(line.startswith("Sitemap:") for line in lines)


# --- choosing the requests ------------------------------------------------------------------------------------

def hits(seed: int, share: float, n: int = 60) -> list[bool]:
    with ReplicaServer() as server:
        server.inject("status", "/rss.aspx", share=share, seed=seed, site="elbalad")
        return [get(server.base_urls["elbalad"] + "/rss.aspx")[0].status == 503 for _ in range(n)]


def test_share_is_deterministic_per_seed():
    first = hits(seed=1, share=0.3)
    assert 5 <= sum(first) <= 35
    assert hits(seed=1, share=0.3) == first
    assert hits(seed=2, share=0.3) != first


def test_patterns_glob_and_regex_and_first_match_wins(replica):
    base = replica.base_urls["rt_arabic"]
    replica.inject("status", "re:/sitemap/.*\\.xml", status=502, site="rt_arabic")
    replica.inject("empty", "/sitemap*", site="rt_arabic")
    assert get(base + "/sitemap/news.xml")[0].status == 502
    assert get(base + "/sitemap.xml")[1] == b""
    assert get(base + "/robots.txt")[0].status == 200
    assert get(replica.base_urls["elbalad"] + "/sitemap.xml")[1] != b""      # one site only
    replica.clear_faults()
    assert get(base + "/sitemap.xml")[1] != b""


def test_control_endpoint(replica):
    base = replica.base_urls["elbalad"]
    response, body = get(base + "/__replica__/fault?kind=throttle&path=/rss.aspx&retry_after=3&share=1&seed=4")
    assert response.status == 200
    assert json.loads(body) == {"kind": "throttle", "path": "/rss.aspx", "share": 1.0, "seed": 4, "retry_after": 3}
    assert get(base + "/rss.aspx")[0].status == 429
    listed = json.loads(get(base + "/__replica__/faults")[1])
    assert listed["injected"] == {"throttle": 1} and len(listed["faults"]) == 1
    for bad in ("kind=nope", "kind=stall&colour=red", "kind=status&status=404", "kind=empty&share=2", "path=/x"):
        response, body = get(base + "/__replica__/fault?" + bad)
        assert response.status == 400 and json.loads(body)["error"], bad
    assert get(base + "/__replica__/clear_faults")[0].status == 200
    assert get(base + "/rss.aspx")[0].status == 200
    get(base + "/__replica__/fault?kind=empty")
    get(base + "/__replica__/reset")
    assert get(base + "/rss.aspx")[1] != b""                                   # reset clears faults too


def test_command_line_option(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "replica", "--port", "0",
                             "--fault", "kind=status&path=/rss.aspx&status=502&site=elbalad"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls = dict(proc.stdout.readline().split() for _ in range(2))
        assert get(urls["elbalad"] + "/rss.aspx")[0].status == 502
        assert get(urls["rt_arabic"] + "/rss/")[0].status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    bad = subprocess.run([sys.executable, "-m", "jobs.cli", "replica", "--port", "0", "--fault", "kind=nope"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "bad --fault: unknown fault kind 'nope'" in bad.stderr


# -- pages that are not the article asked for, or cost too much (issue 20) --------------------------------------

def _page(replica, kind: str, site: str = "elbalad", **params) -> tuple[str, str]:
    article = an_article(replica, site)
    replica.inject(kind, article.url_path, site=site, **params)
    response, body = get(article.url(replica.base_urls[site]))
    assert response.status == 200 and replica.injected() == {kind: 1}
    return body.decode("utf-8"), article.title


def test_challenge_is_a_200_bot_check(replica):
    body, title = _page(replica, "challenge")
    assert "<title>Just a moment...</title>" in body and "/cdn-cgi/challenge-platform/" in body
    assert title not in body


def test_utf8_twice_is_mojibake_of_the_page(replica):
    body, title = _page(replica, "utf8_twice")
    assert title not in body and "\ufffd" not in body and "Ø§Ù„" in body       # "ال" read as windows-1252


def test_access_denied_keeps_the_layout_not_the_article(replica):
    body, title = _page(replica, "access_denied")
    assert "<title>تم رفض الوصول" in body and "<h1>تم رفض الوصول</h1>" in body
    assert title not in body and 'class="paragraph-list"' in body


def test_paywall_is_title_first_paragraph_and_marker(replica):
    body, title = _page(replica, "paywall")
    assert title in body and '<div class="paywall">' in body and '"isAccessibleForFree": false' in body
    paragraphs = re.search(r'<div class="paragraph-list">(.*?)<div class="paywall">', body, re.S)[1]
    assert paragraphs.count("<p>") == 1


def test_canonical_other_names_another_article(replica):
    body, _ = _page(replica, "canonical_other")
    article = an_article(replica)
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', body)[1]
    assert canonical != article.url(replica.base_urls["elbalad"])
    assert is_article_url(canonical, replica.base_urls["elbalad"], get_site("elbalad"))


def test_deep_markup_and_link_farm(replica):
    body, _ = _page(replica, "deep_markup", depth=300)
    assert "<div>" * 300 in body
    replica.clear_faults()
    body, _ = _page(replica, "link_farm", count=1000)
    assert body.count('<a href="/tag/') >= 1000


def test_bad_date_and_future_lastmod(replica):
    body, _ = _page(replica, "bad_date", year=999)
    assert '"datePublished": "0999-' in body and not re.search(r'"datePublished": "20\d\d', body)
    replica.clear_faults()
    base = replica.base_urls["elbalad"]
    replica.inject("future_lastmod", "/sitemap*", site="elbalad", year=2099)
    root = etree.fromstring(get(base + "/sitemap.xml")[1])
    assert {e.text[:4] for e in root.iter(f"{SM}lastmod")} == {"2099"}


# --- robots.txt as the run faults see it (tests/reliability/test_run_faults.py) -------------------------------

def test_disallow_all(replica):
    replica.inject("disallow_all", "/robots.txt")
    _, body = get(replica.base_urls["elbalad"] + "/robots.txt")
    lines = body.decode("ascii").splitlines()
    assert lines[:2] == ["User-agent: *", "Disallow: /"] and any(line.startswith("Sitemap:") for line in lines)


def test_client_error(replica):
    replica.inject("client_error", "/robots.txt", status=410)
    assert get(replica.base_urls["elbalad"] + "/robots.txt")[0].status == 410
    with pytest.raises(ValueError, match="fault client_error must be 4xx, got 503"):
        replica.inject("client_error", "/robots.txt", status=503)


def test_a_fault_sets_reads_are_copies_the_caller_may_change():
    """``FaultSet.list`` and ``counts`` (``replica.locked.locked_copy``) hand out snapshots: changing one
    changes neither the set nor what it answers next."""
    from replica.faults import FaultSet, parse_fault

    faults = FaultSet()
    faults.add(parse_fault({"kind": "empty", "path": "/a"}))
    assert faults.pick("/a").kind == "empty"
    listed, counts = faults.list(), faults.counts()
    listed.clear()
    counts["empty"] = 99
    assert [f.kind for f in faults.list()] == ["empty"] and faults.counts() == {"empty": 1}
    assert faults.pick("/a") is not None and faults.counts() == {"empty": 2}
    assert FaultSet.list.__doc__ == "The faults set, in the order they were set."
