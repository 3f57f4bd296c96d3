"""Raw captures: every request and response of a run, as fetched, in gzip WARC files (warcio).

One file per site per run, rolled past ``max_bytes``: ``<run_id>-00001.warc.gz``, ``-00002``… Each record is
its own gzip member, so the offset returned for a response record lets a reader seek straight to it.
Files are written in a local folder and handed to ``on_close(path, name)`` when complete (the crawl then
moves them into the archive); a file is never visible in the archive half-written.
"""
from __future__ import annotations

import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from . import __version__


class RollingWarcWriter:
    def __init__(self, folder: Path, run_id: str, max_bytes: int, on_close: Callable[[Path, str], None],
                 operator_info: dict | None = None):
        self.folder = Path(folder)
        self.run_id = run_id
        self.max_bytes = max_bytes
        self.on_close = on_close
        self.info = {"software": f"arshif/{__version__} (warcio)", "format": "WARC File Format 1.1",
                     **(operator_info or {})}
        self._seq = 0
        self._fh = None
        self._writer: WARCWriter | None = None
        self._name = ""
        self._thread: ThreadPoolExecutor | None = None

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        self._name = f"{self.run_id}-{self._seq:05d}.warc.gz"
        self._fh = open(self.folder / (self._name + ".open"), "wb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        self._writer.write_record(self._writer.create_warcinfo_record(self._name, self.info))

    def write(self, *, url: str, method: str, request_headers: list[tuple[str, str]], status: int, reason: str,
              protocol: str, response_headers: list[tuple[str, str]], body: bytes, path: str) -> dict:
        """Write a request/response pair; return ``{"name", "offset", "record_id"}`` of the response."""
        if self._writer is None:
            self._open()
        assert self._writer is not None and self._fh is not None
        date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        req = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"{method} {path} HTTP/1.1", request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        resp = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason}".strip(), response_headers, protocol=protocol),
            warc_headers_dict={"WARC-Date": date})
        req.rec_headers.add_header("WARC-Concurrent-To", resp.rec_headers.get_header("WARC-Record-ID"))
        offset = self._fh.tell()
        self._writer.write_record(resp)
        self._writer.write_record(req)
        pointer = {"name": self._name, "offset": offset, "record_id": resp.rec_headers.get_header("WARC-Record-ID")}
        if self._fh.tell() >= self.max_bytes:
            self._close_current()
        return pointer

    def submit(self, **record) -> Future:
        """``write(**record)`` in the writer's own thread (records keep their order; gzip and the disk stay off
        the caller's thread, the crawl's reactor): a future of the response's pointer."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="arshif-warc")
        return self._thread.submit(self.write, **record)

    def _close_current(self) -> None:
        if self._fh is None:
            return
        self._fh.flush()

        os.fsync(self._fh.fileno())
        self._fh.close()
        partial = self.folder / (self._name + ".open")
        final = self.folder / self._name
        partial.replace(final)
        self._fh = self._writer = None
        self.on_close(final, self._name)

    def close(self) -> None:
        """Close the current file once every submitted record is written."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        self._close_current()
