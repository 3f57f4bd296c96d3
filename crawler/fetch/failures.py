"""One short, operator-readable reason for a failed request (no tracebacks, no secrets)."""
from __future__ import annotations

from scrapy import exceptions as sx
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as neterr
from twisted.python.failure import Failure

ROBOTS_FORBIDDEN = "forbidden by robots.txt"
DNS_FAILED = "DNS lookup failed (offline, or no such host)"
#: the site says the page is not there: a dead link, not a failed fetch
GONE = ("HTTP 404", "HTTP 410")

# Scrapy ≥ 2.13 wraps Twisted's errors in its own; both are listed, first match wins along the cause chain.
_KNOWN = (
    (sx.CannotResolveHostError, DNS_FAILED),
    (neterr.DNSLookupError, DNS_FAILED),
    (sx.DownloadConnectionRefusedError, "connection refused"),
    (neterr.ConnectionRefusedError, "connection refused"),
    (sx.DownloadTimeoutError, "timed out"),
    (neterr.TCPTimedOutError, "connection timed out"),
    (neterr.TimeoutError, "timed out"),
    (neterr.NoRouteError, "no route to host (offline?)"),
    (neterr.ConnectionLost, "connection lost"),
    (sx.ResponseDataLossError, "response cut short"),
    (sx.DownloadCancelledError, "body larger than crawl.download_maxsize"),
)


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_tls(exc: BaseException) -> bool:
    text = f"{type(exc).__module__}.{type(exc).__name__} {exc}".lower()
    return "ssl" in text or "tls" in text or "certificate" in text


def reason(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        return _ignored(str(exc))
    causes = list(_chain(exc))
    # Twisted keeps the failures under ResponseNeverReceived / ResponseFailed in ``.reasons``
    causes += [r.value for c in list(causes) for r in getattr(c, "reasons", None) or [] if hasattr(r, "value")]
    if any(_is_tls(c) for c in causes):
        return "TLS error"
    for cause in causes:
        for kind, text in _KNOWN:
            if isinstance(cause, kind):
                return text
    return type(exc).__name__


def _ignored(message: str) -> str:
    """Why Scrapy's middlewares refused a request or a response (robots.txt, offsite, redirects, size)."""
    text = message.lower()
    if "robots" in text:
        return ROBOTS_FORBIDDEN
    if "offsite" in text:
        return f"refused: {message}"                 # "Filtered offsite request to 'host'"
    if "redirections" in text:
        return "redirect loop (too many redirects)"
    if "during decompression" in text:
        return "body larger than the download size limit once decompressed (gzip bomb?)"
    return f"ignored: {message[:160]}" if message else "ignored"
