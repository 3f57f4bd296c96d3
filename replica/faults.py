"""Fault injection: what a hostile or broken site does to a crawler, served by the replica on demand.

A :class:`Fault` is data: a ``kind`` (one of :data:`KINDS`), the paths it applies to (``pattern``: a glob
such as ``/news/*``, or a regular expression after ``re:``, matched against the whole percent-encoded path
without the query), the ``share`` of matching requests it hits, a ``seed`` and the kind's parameters. Whether
a request is hit depends only on the seed, the path and how many times the fault has seen that path before
(``sha256(seed|path|n)``), so a crawl meets the same faults whatever the order of its requests, and a retry
of a faulted page may get through when ``share`` < 1.

The same query syntax sets a fault everywhere: the control endpoint
``/__replica__/fault?kind=stall&path=/news/*&share=0.5&seconds=3``, the Python API
``ReplicaServer.inject("stall", "/news/*", share=0.5, seconds=3)`` and the command line
``arshif replica --fault 'kind=stall&path=/news/*&share=0.5&seconds=3'``. The first fault (in the order they
were set) whose pattern matches and whose share hits a request decides its answer.

Kinds and their parameters (defaults in :data:`KINDS`):

``status``          answers ``status`` (5xx) with a small HTML page.
``throttle``        429 with ``Retry-After: retry_after`` (seconds).
``reset``           the connection is reset (TCP RST) before any answer.
``stall``           sleeps ``seconds`` before the status line.
``stall_body``      sends the headers and half the body, sleeps ``seconds``, then the rest.
``truncate``        declares the full Content-Length, sends half the body and closes.
``wrong_charset``   the page's bytes in windows-1256 (its ``<meta charset>`` says so), the header says utf-8.
``no_charset``      ``Content-Type: text/html`` without a charset (the bytes and the meta are unchanged).
``empty``           200 with an empty body.
``oversize``        the page followed by an HTML comment padding it to ``size`` bytes.
``gzip_bomb``       ``Content-Encoding: gzip`` over the page followed by padding to ``size`` bytes (a few
                    hundred kB on the wire).
``gzip_file_bomb``  the same bytes as a gzip *file* (``application/x-gzip``, no Content-Encoding), as a
                    ``sitemap.xml.gz`` is served.
``redirect_loop``   302 to the same URL.
``offsite``         302 to ``to`` + the path (another host).
``raw_location``    302 to ``to`` (a path of the site, percent-encoded as the replica writes it), its Location
                    sent as raw UTF-8 bytes, not percent-encoded, as some servers send an Arabic slug.
``huge_sitemap``    the page's ``<urlset>`` with ``count`` more URLs that look like the site's articles,
                    with a ``<lastmod>`` a year old, generated while sending (no Content-Length).
``malformed_xml``   the first half of the document followed by broken markup.
``billion_laughs``  the document with a DOCTYPE of nested entities (``&lol9;`` is 10⁹ "lol") used once.
``external_entity`` the document with a DOCTYPE whose entities name ``/etc/passwd`` and a URL on the replica
                    (``/__xxe__``, counted in the stats like any path): a parser that resolves them shows it.
``rss_html``        an HTML page (the site's home page) where a feed was expected.
``crawl_delay``     robots.txt with ``Crawl-delay: <seconds>`` (use it on ``/robots.txt``; a politeness request, not a fault).

Pages that are not the article asked for, or that cost a reader too much (issue 20):

``challenge``       200 with a Cloudflare-style "Just a moment..." bot challenge instead of the page.
``utf8_twice``      the page encoded as UTF-8 twice (its UTF-8 bytes read as windows-1252, encoded again).
``access_denied``   the page in the site's own layout with title and text of an "access denied" page (تم رفض
                    الوصول): the same text under every URL it hits.
``paywall``         a paywall stub: the title and the article's first paragraph, then a paywall marker
                    (``<div class="paywall">`` and JSON-LD ``isAccessibleForFree: false``).
``canonical_other`` the page, with its ``<link rel=canonical>``, ``og:url`` and JSON-LD naming another article of
                    the site.
``deep_markup``     ``depth`` unclosed ``<div>`` elements opened before the article.
``link_farm``       ``count`` links (a list of tag links) added at the end of the page.
``bad_date``        the page's publication dates moved to the year ``year`` (the same day and time).
``future_lastmod``  a sitemap or feed whose every ``<lastmod>`` (``pubDate``) says the year ``year``.

robots.txt that decides a whole run (issue 20):

``disallow_all``    robots.txt as the site serves it with ``Disallow: /`` for every user agent (use it on ``/robots.txt``).
``client_error``    answers ``status`` (4xx) with a small HTML page (on ``/robots.txt``: "unavailable", RFC 9309).
"""
from __future__ import annotations

import fnmatch
import gzip
import hashlib
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Callable, Iterator
from urllib.parse import unquote

from replica.locked import locked_copy
from replica.response import Response
from w3lib.encoding import http_content_type_encoding

__all__ = ["KINDS", "Delivery", "Fault", "FaultSet", "parse_fault"]

# kind → its parameters and their defaults (values are parsed to the type of the default)
KINDS: dict[str, dict[str, object]] = {
    "status": {"status": 503},
    "throttle": {"retry_after": 1},
    "reset": {},
    "stall": {"seconds": 5.0},
    "stall_body": {"seconds": 5.0},
    "truncate": {},
    "wrong_charset": {},
    "no_charset": {},
    "empty": {},
    "oversize": {"size": 12 * 2**20},
    "gzip_bomb": {"size": 64 * 2**20},
    "gzip_file_bomb": {"size": 64 * 2**20},
    "redirect_loop": {},
    "offsite": {"to": "http://offsite.invalid"},
    "raw_location": {"to": "/"},
    "huge_sitemap": {"count": 100_000},
    "malformed_xml": {},
    "billion_laughs": {},
    "external_entity": {},
    "rss_html": {},
    "crawl_delay": {"seconds": 1},
    "challenge": {},
    "utf8_twice": {},
    "access_denied": {},
    "paywall": {},
    "canonical_other": {},
    "deep_markup": {"depth": 260},
    "link_farm": {"count": 200_000},
    "bad_date": {"year": 1},
    "future_lastmod": {"year": 2099},
    "disallow_all": {},
    "client_error": {"status": 404},
}
XXE_PATH = "/__xxe__"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass
class Delivery:
    """How the server sends an answer: ``response`` (None: reset the connection), a stall before it or in
    the middle of its body, only the first ``cut`` bytes of the body (with the full Content-Length), or a body generated while
    sending (``stream``, sent without Content-Length and ended by closing the connection)."""
    response: Response | None
    stall: float = 0.0
    stall_body: float = 0.0
    cut: int | None = None
    stream: Iterator[bytes] | None = None


@dataclass(frozen=True)
class Fault:
    kind: str
    pattern: str = "*"
    share: float = 1.0
    seed: int = 0
    params: dict[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"fault share must be within 0–1, got {self.share}")
        unknown = set(self.params) - set(KINDS[self.kind])
        if unknown:
            raise ValueError(f"fault {self.kind} takes no parameter {', '.join(sorted(unknown))} "
                             f"(it takes: {', '.join(KINDS[self.kind]) or 'none'})")
        if self.kind == "status" and not 500 <= int(self.param("status")) <= 599:
            raise ValueError(f"fault status must be 5xx, got {self.param('status')}")
        if self.kind == "client_error" and not 400 <= int(self.param("status")) <= 499:
            raise ValueError(f"fault client_error must be 4xx, got {self.param('status')}")
        if self.pattern.startswith("re:"):
            re.compile(self.pattern[3:])

    def param(self, name: str):
        return self.params.get(name, KINDS[self.kind][name])

    def matches(self, path: str) -> bool:
        if self.pattern.startswith("re:"):
            return re.fullmatch(self.pattern[3:], path) is not None
        return fnmatch.fnmatchcase(path, self.pattern)

    def hits(self, path: str, nth: int) -> bool:
        if self.share >= 1.0:
            return True
        digest = hashlib.sha256(f"{self.seed}|{path}|{nth}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.share

    def to_json(self) -> dict:
        return {"kind": self.kind, "path": self.pattern, "share": self.share, "seed": self.seed, **self.params}


def parse_fault(query: dict[str, str]) -> Fault:
    """A fault from its query form: ``kind``, ``path`` (pattern), ``share``, ``seed``, the kind's parameters."""
    query = dict(query)
    try:
        kind = query.pop("kind")
    except KeyError:
        raise ValueError("a fault needs kind=<one of: " + ", ".join(KINDS) + ">") from None
    pattern = query.pop("path", "*")
    share = float(query.pop("share", 1.0))
    seed = int(query.pop("seed", 0))
    query.pop("site", None)
    defaults = KINDS.get(kind, {})
    params = {name: type(defaults[name])(value) if name in defaults else value for name, value in query.items()}
    return Fault(kind, pattern, share, seed, params)


class FaultSet:
    """The faults of one site, thread-safe, with what they hit: ``injected`` → ``{kind: requests hit}``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._seen: Counter[tuple[int, str]] = Counter()
        self.injected: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._seen.clear()
            self.injected.clear()

    list = locked_copy("_faults", list, "The faults set, in the order they were set.")
    counts = locked_copy("injected", dict, "``{kind: requests hit}``.")

    def pick(self, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(path):
                    nth = self._seen[(index, path)]
                    self._seen[(index, path)] += 1
                    if fault.hits(path, nth):
                        self.injected[fault.kind] += 1
                        return fault
        return None


# --- the faults ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What a fault may use: the request's path, the site's base URL and ``now``, the normal answer (rendered
    on demand) and any other path's answer."""
    path: str
    base_url: str
    normal: Callable[[], Response]
    render: Callable[[str], Response]
    filler_path: Callable[[int], str]
    now: object
    other_article: Callable[[], str | None] = lambda: None   # the path of another article of the site


def _html_page(status: int, text: str) -> Response:
    return Response(status, f"<html><body><h1>{text}</h1></body></html>".encode(), "text/html; charset=utf-8")


def _charset(response: Response) -> str:
    return http_content_type_encoding(response.content_type) or "utf-8"


def _mime(response: Response) -> str:
    return response.content_type.split(";")[0].strip()


def _wrong_charset(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    text = page.body.decode(_charset(page))
    text = re.sub(r"""(<meta[^>]*charset=["']?)[\w-]+""", r"\g<1>windows-1256", text, count=1, flags=re.I)
    return Delivery(Response(page.status, text.encode("windows-1256", "xmlcharrefreplace"),
                             f"{_mime(page)}; charset=utf-8", page.headers))


@lru_cache(maxsize=8)
def _bomb(size: int) -> bytes:
    """gzip of ``size`` bytes: an HTML/XML-neutral start, then spaces (about 1000:1 on the wire)."""
    return gzip.compress(b"<html><body>" + b" " * max(size - 12, 0), compresslevel=9)


def _gzip_bomb(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    return Delivery(Response(200, _bomb(int(fault.param("size"))), page.content_type,
                             {"Content-Encoding": "gzip"}))


def _gzip_file_bomb(fault: Fault, ctx: Context) -> Delivery:
    return Delivery(Response(200, _bomb(int(fault.param("size"))), "application/x-gzip"))


def _oversize(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    pad = max(int(fault.param("size")) - len(page.body) - 7, 0)
    return Delivery(Response(page.status, page.body + b"<!--" + b"x" * pad + b"-->", page.content_type,
                             page.headers))


def _huge_sitemap(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    end = page.body.rfind(b"</urlset>")
    head = page.body[:end] if end >= 0 else (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">'.encode())
    old = (ctx.now - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def chunks() -> Iterator[bytes]:
        yield head
        batch = []
        for i in range(int(fault.param("count"))):
            batch.append(f"<url><loc>{ctx.base_url}{ctx.filler_path(i)}</loc><lastmod>{old}</lastmod></url>\n")
            if len(batch) == 1000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode() + b"</urlset>\n"

    return Delivery(Response(200, b"", "application/xml; charset=utf-8"), stream=chunks())


def _malformed_xml(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    return Delivery(Response(200, page.body[: len(page.body) // 2] + b"<<item><link>&&</broken", page.content_type))


_LAUGHS = b"".join([b'<!ENTITY lol0 "lol">\n'] + [
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n'.encode() for i in range(1, 10)])


def _with_doctype(page: Response, entities: bytes, use: bytes) -> Response:
    """``page`` (an XML document) with a DOCTYPE declaring ``entities``, and ``use`` (entity references)
    put inside one new entry of the document."""
    body = page.body
    root = re.search(rb"<(rss|urlset|sitemapindex|feed)\b", body)
    name = root[1].decode() if root else "urlset"
    declaration_end = body.find(b"?>") + 2 if body.startswith(b"<?xml") else 0
    doctype = b"\n<!DOCTYPE " + name.encode() + b" [\n" + entities + b"]>\n"
    body = body[:declaration_end] + doctype + body[declaration_end:].lstrip()
    entry = {"rss": b"<item><title>%s</title><link>%s</link></item>",
             "urlset": b"<url><loc>%s</loc></url>", "sitemapindex": b"<sitemap><loc>%s</loc></sitemap>",
             "feed": b"<entry><title>%s</title></entry>"}[name]
    entry = entry.replace(b"%s", use)
    close = b"</channel>" if name == "rss" else b"</" + name.encode() + b">"
    at = body.rfind(close)
    body = body[:at] + entry + body[at:] if at >= 0 else body + entry
    return Response(200, body, page.content_type)


def _billion_laughs(fault: Fault, ctx: Context) -> Delivery:
    return Delivery(_with_doctype(ctx.normal(), _LAUGHS, b"&lol9;"))


def _external_entity(fault: Fault, ctx: Context) -> Delivery:
    entities = (b'<!ENTITY passwd SYSTEM "file:///etc/passwd">\n'
                + f'<!ENTITY remote SYSTEM "{ctx.base_url}{XXE_PATH}">\n'.encode())
    return Delivery(_with_doctype(ctx.normal(), entities, b"&passwd;&remote;"))


def _redirect(location: str) -> Delivery:
    return Delivery(Response(302, b"", "text/plain; charset=utf-8", {"Location": location}))


def _crawl_delay(fault: Fault, ctx: Context) -> Delivery:
    """robots.txt as the site serves it, with ``Crawl-delay: <seconds>`` for every user agent."""
    page = ctx.normal()
    line = f"Crawl-delay: {fault.param('seconds')}\n".encode("ascii")
    body = page.body.replace(b"User-agent: *\n", b"User-agent: *\n" + line, 1)
    return Delivery(Response(page.status, body, page.content_type, page.headers))


def _disallow_all(ctx: Context) -> Delivery:
    """robots.txt as the site serves it, every user agent's rules replaced by ``Disallow: /``."""
    page = ctx.normal()
    body = page.body.replace(b"User-agent: *\n", b"User-agent: *\nDisallow: /\n", 1)
    return Delivery(Response(page.status, body, page.content_type, page.headers))


def _no_charset(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    return Delivery(Response(page.status, page.body, _mime(page), page.headers))


# -- pages that are not the article asked for, or cost too much (issue 20) -------------------------------------

_CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host}</h1><h2 class="h2" id="challenge-running">Checking if the site connection is
secure</h2><div id="challenge-stage"></div><noscript>Enable JavaScript and cookies to continue</noscript></div></div>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>"""
_DENIED_TITLE = "تم رفض الوصول"
_DENIED_TEXT = ("عذرا، لا يمكنك الوصول إلى هذه الصفحة في الوقت الحالي. تم رفض طلبك من قبل نظام الحماية الخاص بالموقع، "
                "وقد يكون ذلك بسبب عدد كبير من الطلبات من عنوانك أو إعدادات الشبكة التي تستخدمها. "
                "يرجى المحاولة مرة أخرى لاحقا أو التواصل مع فريق الدعم الفني إذا استمرت المشكلة.")
_PAYWALL_TEXT = "هذا المحتوى متاح للمشتركين فقط. اشترك الآن لمتابعة القراءة."


def _tree(page: Response):
    import lxml.html

    return lxml.html.document_fromstring(page.body.decode(_charset(page)))


def _page(tree, page: Response) -> Response:
    import lxml.html

    html = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    return Response(page.status, html.encode("utf-8"), f"{_mime(page)}; charset=utf-8", page.headers)


def _body_box(tree):
    """The element holding the article's paragraphs: the one with the most ``<p>`` children."""
    return max(tree.iter(), key=lambda el: sum(1 for child in el if child.tag == "p"))


def _ld_scripts(tree):
    return tree.xpath("//script[@type='application/ld+json']")


def _access_denied(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    tree = _tree(page)
    title = (tree.xpath("string(//meta[@property='og:title']/@content)") or tree.findtext(".//h1") or "").strip()
    for el in tree.xpath("//title | //h1"):
        el.text = (el.text or "").replace(title, _DENIED_TITLE) if title and title in (el.text or "") else _DENIED_TITLE
        for child in el:
            el.remove(child)
    for meta in tree.xpath("//meta[@property='og:title' or @property='og:description' or @name='description']"):
        meta.set("content", _DENIED_TITLE)
    for script in _ld_scripts(tree):
        script.getparent().remove(script)
    box = _body_box(tree)
    for child in list(box):
        box.remove(child)
    for _ in range(2):
        paragraph = box.makeelement("p", {})
        paragraph.text = _DENIED_TEXT
        box.append(paragraph)
    return Delivery(_page(tree, page))


def _paywall(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    tree = _tree(page)
    box = _body_box(tree)
    first = next(child for child in box if child.tag == "p")
    for child in list(box):
        if child is not first:
            box.remove(child)
    wall = box.makeelement("div", {"class": "paywall"})
    prompt = wall.makeelement("p", {})
    prompt.text = _PAYWALL_TEXT
    wall.append(prompt)
    box.append(wall)
    for script in _ld_scripts(tree):
        script.text = re.sub(r"^\s*\{", '{"isAccessibleForFree": false, "hasPart": {"@type": "WebPageElement", '
                             '"isAccessibleForFree": false, "cssSelector": ".paywall"},', script.text or "{}", count=1)
    return Delivery(_page(tree, page))


def _canonical_other(fault: Fault, ctx: Context) -> Delivery:
    """Every place the page names itself (``<link rel=canonical>``, ``og:url``, JSON-LD ``mainEntityOfPage``,
    share links) names another article instead, as a CMS that mixed two records up would."""
    page = ctx.normal()
    other = ctx.other_article()
    if other is None:
        return Delivery(page)
    body = page.body.replace((ctx.base_url + ctx.path).encode(), (ctx.base_url + other).encode())
    return Delivery(Response(page.status, body, page.content_type, page.headers))


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:      # the five bytes windows-1252 leaves undefined read as latin-1, as browsers do
        return chr(byte)


_CP1252 = [_cp1252(b) for b in range(256)]


def _utf8_twice(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    utf8 = page.body.decode(_charset(page)).encode("utf-8")
    twice = "".join(_CP1252[b] for b in utf8).encode("utf-8")
    return Delivery(Response(page.status, twice, f"{_mime(page)}; charset=utf-8", page.headers))


def _insert(page: Response, after: bytes, extra: bytes) -> Response:
    at = page.body.find(after)
    at = at + len(after) if at >= 0 else 0
    return Response(page.status, page.body[:at] + extra + page.body[at:], page.content_type, page.headers)


def _deep_markup(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    at = re.search(rb"<body[^>]*>", page.body)
    return Delivery(_insert(page, at[0] if at else b"", b"<div>" * int(fault.param("depth"))))


def _link_farm(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    links = "".join(f'<li><a href="/tag/{i}">وسم {i}</a></li>' for i in range(int(fault.param("count"))))
    body = page.body.replace(b"</body>", f'<ul class="tag-cloud">{links}</ul></body>'.encode("utf-8"), 1)
    return Delivery(Response(page.status, body, page.content_type, page.headers))


def _bad_date(fault: Fault, ctx: Context) -> Delivery:
    """Every machine-readable date of the page (meta tags, JSON-LD, ``<time datetime>``) in year ``year``;
    the visible dates are left as they are."""
    page = ctx.normal()
    year = f"{int(fault.param('year')):04d}".encode()
    body = re.sub(rb"\b20\d\d(-\d\d-\d\dT\d\d:\d\d)", year + rb"\1", page.body)
    return Delivery(Response(page.status, body, page.content_type, page.headers))


def _future_lastmod(fault: Fault, ctx: Context) -> Delivery:
    page = ctx.normal()
    year = str(int(fault.param("year"))).encode()
    body = re.sub(rb"(<(?:lastmod|news:publication_date)>)\d{4}", rb"\g<1>" + year, page.body)
    body = re.sub(rb"(<pubDate>[^<]*?\d{1,2} \w{3} )\d{4}", rb"\g<1>" + year, body)
    return Delivery(Response(page.status, body, page.content_type, {
        k: v for k, v in page.headers.items() if k not in ("ETag", "Last-Modified")}))


APPLY: dict[str, Callable[[Fault, Context], Delivery]] = {
    "status": lambda f, ctx: Delivery(_html_page(int(f.param("status")), "Server error")),
    "throttle": lambda f, ctx: Delivery(Response(429, b"<html><body>Too many requests</body></html>",
                                                 "text/html; charset=utf-8",
                                                 {"Retry-After": str(f.param("retry_after"))})),
    "reset": lambda f, ctx: Delivery(None),
    "stall": lambda f, ctx: Delivery(ctx.normal(), stall=float(f.param("seconds"))),
    "stall_body": lambda f, ctx: Delivery(ctx.normal(), stall_body=float(f.param("seconds"))),
    "truncate": lambda f, ctx: (lambda page: Delivery(page, cut=len(page.body) // 2))(ctx.normal()),
    "wrong_charset": _wrong_charset,
    "no_charset": _no_charset,
    "empty": lambda f, ctx: Delivery(Response(200, b"", "text/html; charset=utf-8")),
    "oversize": _oversize,
    "gzip_bomb": _gzip_bomb,
    "gzip_file_bomb": _gzip_file_bomb,
    "redirect_loop": lambda f, ctx: _redirect(ctx.base_url + ctx.path),
    "offsite": lambda f, ctx: _redirect(str(f.param("to")).rstrip("/") + ctx.path),
    # the header is written as Latin-1 (http.server): the UTF-8 bytes of the decoded path go out as they are
    "raw_location": lambda f, ctx: _redirect((ctx.base_url + unquote(str(f.param("to")))).encode().decode("latin-1")),
    "huge_sitemap": _huge_sitemap,
    "malformed_xml": _malformed_xml,
    "billion_laughs": _billion_laughs,
    "external_entity": _external_entity,
    "rss_html": lambda f, ctx: Delivery(ctx.render("/")),
    "crawl_delay": _crawl_delay,
    "challenge": lambda f, ctx: Delivery(Response(200, _CHALLENGE.format(host=ctx.base_url).encode(),
                                                  "text/html; charset=UTF-8")),
    "utf8_twice": _utf8_twice,
    "access_denied": _access_denied,
    "paywall": _paywall,
    "canonical_other": _canonical_other,
    "deep_markup": _deep_markup,
    "link_farm": _link_farm,
    "bad_date": _bad_date,
    "future_lastmod": _future_lastmod,
    "disallow_all": lambda f, ctx: _disallow_all(ctx),
    "client_error": lambda f, ctx: Delivery(_html_page(int(f.param("status")), "Not found")),
}
assert set(APPLY) == set(KINDS)


def deliver(fault: Fault, ctx: Context) -> Delivery:
    return APPLY[fault.kind](fault, ctx)
