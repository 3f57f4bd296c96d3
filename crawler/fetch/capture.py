"""Downloader middleware that records every response, as it came off the network, into the run's WARC
file, and tells the request where (``request.meta["warc"]``) so the article record can point at it. The
writing (gzip, disk) happens in the WARC writer's own thread while the reactor goes on."""
from __future__ import annotations

import asyncio
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from crawler.components import RunComponent


def _headers(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


class WarcRecorderMiddleware(RunComponent):
    async def process_response(self, request: Request, response: Response) -> Response:
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        pointer = await asyncio.wrap_future(self.run.warc.submit(
            url=request.url, method=request.method, request_headers=_headers(request.headers),
            status=response.status, reason=reason, protocol=response.protocol or "HTTP/1.1",
            response_headers=_headers(response.headers), body=response.body, path=path or "/",
        ))
        request.meta["warc"] = {"file": self.run.warc_key(pointer["name"]), "offset": pointer["offset"],
                                "record_id": pointer["record_id"]}
        return response
