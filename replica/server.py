"""The replica's HTTP server: one stdlib ``ThreadingHTTPServer`` per site, each on its own port.

In-process::

    with ReplicaServer(now=now) as replica:
        base = replica.base_urls["rt_arabic"]        # "http://127.0.0.1:<port>"
        replica.stall(True, "elbalad"); replica.edit("2400128"); replica.stats("rt_arabic")

Over HTTP (any process), on the port of the site to control; ``GET`` or ``POST``, JSON answers::

    /__replica__/stall?on=1|0         /__replica__/serve_articles?on=1|0    /__replica__/fail?status=503|0
    /__replica__/layout?n=1|2|3      /__replica__/publish?count=N
    /__replica__/edit?id=<article_id> /__replica__/reset                    /__replica__/stats
    /__replica__/articles             /__replica__/fault?kind=K&path=GLOB&share=S&seed=N&<param>=V
    /__replica__/faults (set faults and what they hit)                      /__replica__/clear_faults

Faults (``replica/faults.py``): ``inject(kind, pattern, share=…, seed=…, **params)`` in process, the
``fault`` control over HTTP, ``arshif replica --fault 'kind=…&path=…'`` on the command line.

Stats count requests per path (percent-encoded as in ``ReplicaArticle.url_path``, without the query);
control requests are not counted and never stall or fail.
"""
from __future__ import annotations

import json
import signal
import socket
import struct
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from replica.clock import Clock
from replica.renderers import RENDERERS
from replica.corpus import ReplicaArticle
from replica.faults import Context, Delivery, Fault, deliver, parse_fault
from replica.response import Response, conditional, redirect
from replica.state import SiteState

__all__ = ["ReplicaServer", "run", "CONTROL_PREFIX"]

CONTROL_PREFIX = "/__replica__/"
# Site key → its pages; with ReplicaServer(port=P) the n-th site listens on P + n.
SITE_PAGES = {site: renderer.respond for site, renderer in RENDERERS.items()}
_TRUE = {"1", "true", "yes", "on"}


def _json(data, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")


def _control(state: SiteState, name: str, query: dict[str, str]) -> Response:
    try:
        if name == "stall":
            state.stall(query.get("on", "1").lower() in _TRUE)
        elif name == "serve_articles":
            state.serve_articles(query.get("on", "1").lower() in _TRUE)
        elif name == "layout":
            state.set_layout(int(query.get("n", "1")))
        elif name == "fail":
            status = int(query.get("status", "503"))
            state.fail(status or None)
        elif name == "publish":
            return _json([a.to_json() for a in state.publish(int(query.get("count", "1")))])
        elif name == "edit":
            return _json(state.edit(query["id"]).to_json())
        elif name == "reset":
            state.reset()
        elif name == "stats":
            return _json(state.stats())
        elif name == "articles":
            return _json([a.to_json() for a in state.articles()])
        elif name == "fault":
            fault = parse_fault(query)
            state.faults.add(fault)
            return _json(fault.to_json())
        elif name == "faults":
            return _json({"faults": [f.to_json() for f in state.faults.list()], "injected": state.faults.counts()})
        elif name == "clear_faults":
            state.faults.clear()
        else:
            return _json({"error": f"unknown control {name!r}"}, 404)
    except (KeyError, ValueError) as exc:
        return _json({"error": str(exc)}, 400)
    return _json({"ok": True})


def _failure(status: int) -> Response:
    return Response(status, f"<html><body><h1>{status}</h1></body></html>".encode(), "text/html; charset=utf-8",
                    {"Retry-After": "1"} if status in (429, 503) else {})


class _SiteServer(ThreadingHTTPServer):
    """One site's server: a thread per connection (daemon threads: never waited for), the connections open now
    kept so that stopping the server hangs them up, idle kept-alive ones included."""
    daemon_threads = True

    def __init__(self, address, state: SiteState, respond, verbose: bool, keep_alive: bool = True):
        self.state = state
        self.respond = respond
        self.verbose = verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _KeepAliveHandler if keep_alive else _Handler)

    def process_request(self, request, client_address):
        self.state.count_connection()
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        """Shut every open connection down: a handler waiting for a kept-alive connection's next request reads
        its end and returns, and the client sees the connection closed."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:          # closed meanwhile
                pass

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):   # a client that hung up is no error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    server_version = "replica/1"

    def do_GET(self):
        self._handle(send_body=True)

    do_POST = do_GET

    def do_HEAD(self):
        self._handle(send_body=False)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        path = quote(unquote(parts.path))
        query = dict(parse_qsl(parts.query))
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:                       # a request's body (a control POSTed with one) is read, not
            self.rfile.read(length)          # left to be taken for the connection's next request
        if path.startswith(CONTROL_PREFIX):
            self._send(Delivery(_control(state, path[len(CONTROL_PREFIX):], query)), send_body)
            return
        state.count(path)
        if not state.wait_while_stalled():
            self.close_connection = True    # the server is stopping: hang up without an answer
            return
        status = state.fail_status()
        if status:
            self._send(Delivery(_failure(status)), send_body)
            return
        gone = state.gone_answer(path)
        if gone is not None:                 # an article the site took down
            status, location = gone
            self._send(Delivery(redirect(location) if location else _failure(status)), send_body)
            return
        view = state.view()
        fault = state.faults.pick(path)
        if fault is None:
            response = self.server.respond(view, path, query)
            response = conditional(response, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
            self._send(Delivery(response), send_body)
        else:
            self._send(deliver(fault, self._context(view, path, query)), send_body)

    def _context(self, view, path: str, query: dict[str, str]) -> Context:
        respond = self.server.respond
        model = next((a for a in view.articles if a.kind == "article"), None)

        def filler_path(i: int) -> str:    # a URL like the site's articles, of an article it does not have
            return model.url_path.replace(model.article_id, str(8_000_000 + i), 1) if model else f"/{8_000_000 + i}"

        def other_article() -> str | None:     # the next regular article's path after the one at ``path``
            regular = [a for a in view.articles if a.kind == "article"]
            at = next((i for i, a in enumerate(regular) if a.url_path == path), -1)
            return regular[(at + 1) % len(regular)].url_path if len(regular) > 1 else None

        return Context(path, view.base_url, lambda: respond(view, path, query), lambda p: respond(view, p, {}),
                       filler_path, view.now, other_article)

    def _send(self, delivery: Delivery, send_body: bool) -> None:
        state = self.server.state
        if delivery.stall and not state.sleep(delivery.stall):
            self.close_connection = True
            return
        response = delivery.response
        if response is None:                 # reset: RST instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if delivery.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        if delivery.stream is not None:
            for chunk in delivery.stream:
                self.wfile.write(chunk)
            return
        body = response.body
        if delivery.cut is not None:
            self.wfile.write(body[:delivery.cut])
            self.close_connection = True
            return
        if delivery.stall_body:
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            if not state.sleep(delivery.stall_body):
                self.close_connection = True
                return
            body = body[half:]
        self.wfile.write(body)


class _KeepAliveHandler(_Handler):
    """HTTP/1.1 with persistent connections, as the real sites answer; an idle connection is closed after
    ``timeout`` seconds. Every answer but a streamed one has a Content-Length, so the client knows its end.
    The faults that break an answer end its connection themselves (``_send``): a reset, a truncated body
    (closed after the bytes sent), a streamed body (``Connection: close``), a stall cut short by the server's
    stop; any other answer, a 5xx or a 429 too, leaves the connection open for the next request, as a web
    server in front of a failing application does."""
    protocol_version = "HTTP/1.1"
    timeout = 15


class ReplicaServer:
    """Both sites' replicas on 127.0.0.1; ``port=P`` puts rt_arabic on P and elbalad on P+1, 0 = ephemeral.
    ``layout=2`` serves every page in the redesigned markup, ``layout=3`` RT's two known markups at once
    (``set_layout`` switches it at run time);
    ``articles=N`` serves N articles per site (up to 100,000; default the base corpus, ~44), the ones past the
    base corpus older and generated on demand (``older``); ``plain=N`` keeps only N of the base corpus's plain
    articles (every special page, shape, event, URL variant and redirect stays): a site with every kind of
    page in half the pages, for tests of the crawl's mechanics rather than of extraction. By default the
    replica answers HTTP/1.1 and keeps connections open between requests, as the real sites do, so that tests
    and benches crawl over persistent connections (``connections`` counts those a site accepted); the faults
    that break an answer close its connection themselves; ``keep_alive=False`` answers HTTP/1.0, one request
    a connection. ``discovery="real"`` serves the feeds, sitemaps, listings and robots.txt
    in the shapes the real sites have them (``replica/real_discovery.py``) instead of ours. ``clock`` (a
    ``replica.clock.Clock``) changes the sites over time once the servers are up (new articles, some unlisted,
    id gaps: ``replica.clock.Publish``); it stops with the servers."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", now: datetime | None = None, verbose: bool = False,
                 layout: int = 1, articles: int | None = None, plain: int | None = None, keep_alive: bool = True,
                 discovery: str = "replica", clock: Clock | None = None):
        self.port = port
        self.clock = clock
        self.keep_alive = keep_alive
        self.host = host
        self.now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        self.verbose = verbose
        self._started = time.monotonic()
        self._states = {site: SiteState(site, partial(RENDERERS[site].build, self.now), self._clock, layout,
                                        articles, plain, discovery)
                        for site in SITE_PAGES}
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []

    def _clock(self) -> datetime:
        """``now`` as given, advancing with real time since the server was made."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    # --- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> "ReplicaServer":
        try:
            for offset, (site, respond) in enumerate(SITE_PAGES.items()):
                port = self.port + offset if self.port else 0
                server = _SiteServer((self.host, port), self._states[site], respond, self.verbose, self.keep_alive)
                self._states[site].base_url = f"http://{self.host}:{server.server_address[1]}"
                thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                          name=f"replica-{site}", daemon=True)
                thread.start()
                self._servers[site] = server
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise
        if self.clock is not None:
            self.clock.start(list(self._states.values()))
        return self

    def stop(self) -> None:
        if self.clock is not None:
            self.clock.stop()
        for state in self._states.values():
            state.close()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
            server.hang_up()
        for thread in self._threads:
            thread.join()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests read ------------------------------------------------------------------------------------
    @property
    def base_urls(self) -> dict[str, str]:
        return {site: state.base_url for site, state in self._states.items()}

    def articles(self, site: str) -> list[ReplicaArticle]:
        return self._state(site).articles()

    def stats(self, site: str) -> dict[str, int]:
        return self._state(site).stats()

    def unlisted(self, site: str) -> set[str]:
        """The ids of ``site`` that no feed, sitemap or listing shows (hidden articles, gap pages)."""
        return self._state(site).unlisted()

    def gaps(self, site: str) -> dict[str, str]:
        """The ids of ``site`` left that are no article: id → "deleted" (404) | "page" (no article)."""
        return self._state(site).gaps()

    def taken_down(self, site: str) -> dict[str, tuple[int, str | None]]:
        """The articles of ``site`` taken down (``replica.changes.TakeDown``): id → (status, Location)."""
        return self._state(site).taken_down()

    def connections(self, site: str) -> int:
        """How many TCP connections ``site`` accepted (control requests' too), since it started or was reset."""
        return self._state(site).connections()

    def arrivals(self, site: str) -> list[tuple[float, str]]:
        """``(time.monotonic(), path)`` of every request the site answered, in order of arrival."""
        return self._state(site).arrivals()

    # --- controls: site=None applies to every site --------------------------------------------------------------
    def stall(self, on: bool, site: str | None = None) -> None:
        for state in self._targets(site):
            state.stall(on)

    def stall_after(self, pages: int, site: str) -> None:
        """Stall ``site`` once it has answered ``pages`` more of its article pages: the next request for one, and
        every request after it, waits until ``stall(False)`` (which also drops a hold not reached). Decided as each request arrives, so a crawl can
        neither end nor get further, however loaded the machine, before a test has acted on it."""
        state = self._state(site)
        state.stall_after({a.url_path for a in state.articles() if a.kind != "not_article"}, pages)

    def serve_articles(self, on: bool, site: str | None = None) -> None:
        for state in self._targets(site):
            state.serve_articles(on)

    def fail(self, status: int | None, site: str | None = None) -> None:
        for state in self._targets(site):
            state.fail(status)

    def set_layout(self, layout: int, site: str | None = None) -> None:
        for state in self._targets(site):
            state.set_layout(layout)

    def reset(self, site: str | None = None) -> None:
        for state in self._targets(site):
            state.reset()

    def inject(self, kind: str, pattern: str = "*", *, share: float = 1.0, seed: int = 0, site: str | None = None,
               **params) -> Fault:
        """Add a fault (``replica/faults.py``) to ``site`` (None: every site); it is kept until
        ``clear_faults`` or ``reset``."""
        fault = Fault(kind, pattern, share, seed, params)
        for state in self._targets(site):
            state.faults.add(fault)
        return fault

    def clear_faults(self, site: str | None = None) -> None:
        for state in self._targets(site):
            state.faults.clear()

    def injected(self, site: str | None = None) -> dict[str, int]:
        """How many requests each kind of fault hit, since the faults were set."""
        total: dict[str, int] = {}
        for state in self._targets(site):
            for kind, n in state.faults.counts().items():
                total[kind] = total.get(kind, 0) + n
        return total

    def publish(self, count: int, site: str | None = None) -> list[ReplicaArticle]:
        """``count`` new articles per site, published now."""
        return [article for state in self._targets(site) for article in state.publish(count)]

    def edit(self, article_id: str, site: str | None = None, *, after: datetime | None = None) -> ReplicaArticle:
        """One more edit of the article, at the replica's clock. With ``after`` (a crawl's end, say), the edit's
        time (whole seconds, as sitemaps give it) is later than ``after``'s second: the edit waits for the
        clock, so that a page fetched before ``after`` is never dated as late as the edit."""
        if after is not None:
            due = after.replace(microsecond=0) + timedelta(seconds=1)
            if due - self._clock() > timedelta(seconds=5):
                raise ValueError(f"edit after {after.isoformat()}: the replica's clock is at "
                                 f"{self._clock().isoformat()}, too far behind to wait for")
            while self._clock() < due:
                time.sleep(0.02)
        for state in self._targets(site):
            if state.has(article_id):
                return state.edit(article_id)
        raise KeyError(f"no article {article_id!r}")

    def _state(self, site: str) -> SiteState:
        try:
            return self._states[site]
        except KeyError:
            raise KeyError(f"unknown site {site!r} (known: {', '.join(self._states)})") from None

    def _targets(self, site: str | None) -> list[SiteState]:
        return list(self._states.values()) if site is None else [self._state(site)]


def run(port: int, faults: list[str] = (), layout: int = 1, articles: int | None = None,
        discovery: str = "replica") -> int:
    """``arshif replica``: serve both sites, print ``SITE BASE_URL`` per site, run until SIGINT/SIGTERM.
    ``faults``: each in the query form of the ``fault`` control, ``site=`` naming one site (default both);
    ``layout``: the page markup (1 as the sites are known, 2 a redesign, 3 RT's two known markups);
    ``articles``: per site; ``discovery``: "real" for the real sites' discovery shapes."""
    stop = threading.Event()
    try:
        parsed = [((query := dict(parse_qsl(text))).get("site"), parse_fault(query)) for text in faults]
    except ValueError as exc:
        print(f"replica: bad --fault: {exc}", file=sys.stderr)
        return 2
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ReplicaServer(port=port, layout=layout, articles=articles, discovery=discovery) as replica:
            for site, fault in parsed:
                replica.inject(fault.kind, fault.pattern, share=fault.share, seed=fault.seed, site=site,
                               **fault.params)
            for site, base_url in replica.base_urls.items():
                print(f"{site} {base_url}", flush=True)
            while not stop.wait(0.5):
                pass
    except OSError as exc:
        print(f"replica: cannot listen on port {port}: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
