"""What a replica page handler returns, and the routing of a path to a handler."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:   # state imports the faults, which build responses
    from .state import SiteView


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def html(text: str, status: int = 200, charset: str = "utf-8") -> Response:
    # Characters the charset lacks become character references (the page stays valid HTML).
    return Response(status, text.encode(charset, "xmlcharrefreplace"), f"text/html; charset={charset}")


def xml(body: bytes, content_type: str = "application/xml") -> Response:
    return Response(200, body, f"{content_type}; charset=utf-8")


def text(body: bytes) -> Response:
    return Response(200, body, "text/plain; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(301, b"", "text/plain; charset=utf-8", {"Location": location})


Handler = Callable[["SiteView", re.Match, dict[str, str]], Response]


def route(routes: list[tuple[re.Pattern[str], Handler]], fallback: Callable[["SiteView"], Response],
          view: "SiteView", path: str, query: dict[str, str]) -> Response:
    """The response of the first route whose pattern fully matches ``path``, else ``fallback`` (a 404)."""
    for pattern, handler in routes:
        match = pattern.fullmatch(path)
        if match:
            return handler(view, match, query)
    return fallback(view)
