"""What a replica page handler returns, and the routing of a path to a handler."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:   # state imports the faults, which build responses
    from replica.state import SiteView


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def html(text: str, status: int = 200, charset: str = "utf-8") -> Response:
    # Characters the charset lacks become character references (the page stays valid HTML).
    return Response(status, text.encode(charset, "xmlcharrefreplace"), f"text/html; charset={charset}")


def xml(body: bytes, content_type: str = "application/xml", modified: datetime | None = None) -> Response:
    """A feed or sitemap, with the validators of conditional requests: an ``ETag`` (the body's hash) and,
    given ``modified``, a ``Last-Modified``."""
    headers = {"ETag": _etag(body)}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(timezone.utc).replace(microsecond=0),
                                                   usegmt=True)
    return Response(200, body, f"{content_type}; charset=utf-8", headers)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def conditional(response: Response, if_none_match: str | None, if_modified_since: str | None) -> Response:
    """``response``, or an empty 304 when the request's validators show the client holds it already
    (RFC 9110 §13.1: ``If-None-Match`` wins over ``If-Modified-Since``). A page without validators gets an
    ``ETag`` (its body's hash), as web servers give one to every static answer."""
    if response.status != 200:
        return response
    if "ETag" not in response.headers:
        response = replace(response, headers={**response.headers, "ETag": _etag(response.body)})
    etag = response.headers.get("ETag")
    if if_none_match is not None:
        fresh = etag is not None and (if_none_match.strip() == "*" or etag in
                                      [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")])
    elif if_modified_since is not None and "Last-Modified" in response.headers:
        try:
            fresh = (parsedate_to_datetime(response.headers["Last-Modified"])
                     <= parsedate_to_datetime(if_modified_since))
        except (TypeError, ValueError):
            fresh = False
    else:
        fresh = False
    return replace(response, status=304, body=b"") if fresh else response


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

