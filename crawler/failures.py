"""One short, operator-readable reason for a failed request (no tracebacks, no secrets)."""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as neterr
from twisted.python.failure import Failure

_NETWORK = (
    (neterr.DNSLookupError, "DNS lookup failed"),
    (neterr.ConnectionRefusedError, "connection refused"),
    (neterr.TCPTimedOutError, "connection timed out"),
    (neterr.TimeoutError, "timed out"),
    (neterr.ConnectionLost, "connection lost"),
    (neterr.ConnectError, "cannot connect"),
)


ROBOTS_FORBIDDEN = "forbidden by robots.txt"


def reason(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    for kind, text in _NETWORK:
        if isinstance(exc, kind):
            return text
    name = type(exc).__name__
    if "SSL" in name or "TLS" in name or "certificate" in str(exc).lower():
        return "TLS error"
    if isinstance(exc, IgnoreRequest):
        return ROBOTS_FORBIDDEN if "robots" in str(exc).lower() else "ignored"
    if "ResponseNeverReceived" in name:
        return "no response (connection closed)"
    if "Timeout" in name:
        return "timed out"
    return name


def host_of(url: str) -> str:
    return urlsplit(url).netloc
