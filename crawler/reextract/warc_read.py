"""Reading a site's WARC files for re-extraction: which files (``warc_files``, in capture order), and the captures
of article URLs in one file (``read_captures``), the file checked whole as it is read: every gzip member complete
(its trailer checked, before any record is read), one record per member, every record read to its end with its
digest checked, and the file's seal at its end (``crawler.fetch.warc_writer``: a copy cut exactly between two
records is otherwise a valid, shorter file)."""
from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Iterator
from urllib.parse import urlsplit

from w3lib.encoding import http_content_type_encoding
from fastwarc.warc import WarcRecord

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import parse_warc_key, warc_prefix
from crawler.fetch.warc_writer import DamagedWarc, check_sealed, gzip_members, warc_fields
from crawler.outcomes import Count
from crawler.urls import is_article_url


@dataclass(frozen=True)
class Capture:
    """One archived response of an article URL, as a worker needs it (picklable, no archive handle)."""

    file: str                  # archive key of the WARC file
    offset: int                # of the response record
    record_id: str
    url: str
    base_url: str              # the site's base URL when the capture was made
    encoding: str | None       # charset of the Content-Type header
    fetched_at: str            # ISO 8601: the archived record's, when it came from this capture, else WARC-Date
    body: bytes = field(repr=False)

    @property
    def order(self) -> tuple[str, int]:
        return capture_order(self.file, self.offset)

    @property
    def pointer(self) -> dict:
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id}


def capture_order(file_key: str, offset: int) -> tuple[str, int]:
    """Captures of a site in time order: WARC file names start with their run's start time."""
    return PurePosixPath(file_key).name, offset



def warc_files(archive: Archive, site: str, since: str | None = None, until: str | None = None) -> list[str]:
    """Keys of ``site``'s WARC files captured between ``since`` and ``until`` (``YYYY-MM-DD``, inclusive), in
    capture order."""
    keys = []
    for key in archive.list(warc_prefix(site)):
        parts = parse_warc_key(key)
        if parts is None or not parts["name"].endswith(".warc.gz"):
            continue
        date = parts["date"]
        if (since and date < since) or (until and date > until):
            continue
        keys.append(key)
    return sorted(keys, key=lambda k: capture_order(k, 0))


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: a capture's own site root."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"



def read_captures(archive: Archive, key: str, site_base: str, spec, counts: Counter,
                  data: bytes | None = None) -> Iterator[Capture]:
    """The captures of article URLs (``200`` responses) in the WARC file ``key`` of the site at ``site_base``
    (``spec``), each checked whole as it is read; ``counts[Count.CAPTURES]`` counts every response.
    ``DamagedWarc`` when the file is cut short or damaged (after the whole captures before the damage were
    given). ``data``: the file's bytes when the caller has them (one GET a file, made ahead of time).

    Every gzip member is first checked whole (``gzip_members`` inflates each to its trailer, before any capture
    is given), then inflated again and parsed alone by FastWARC (``WarcRecord.from_bytes``, native code: warcio's pure-Python line reader was
    three quarters of the client's time): one record a member, every record's block and payload digests
    checked."""
    if data is None:
        data = archive.get(key)
    if data is None:
        raise FileNotFoundError("listed but not in the archive any more")
    members = gzip_members(data)                   # DamagedWarc at a member cut short or damaged
    seen: list[tuple[int, str, dict[str, str]]] = []
    view = memoryview(data)
    for offset, end in members:
        record, block = _one_record(zlib.decompress(view[offset:end], wbits=31), offset)
        kind = record.headers.get("WARC-Type") or ""
        seen.append((offset, kind, warc_fields(block) if kind == "warcinfo" else {}))
        if kind != "response":
            continue
        counts[Count.CAPTURES] += 1
        url = record.headers.get("WARC-Target-URI") or ""
        base_url = site_base if url.startswith(site_base.rstrip("/") + "/") else _origin(url)
        if not (block.startswith(b"HTTP/") and is_article_url(url, base_url, spec)):
            continue
        try:
            record.parse_http()
        except Exception as exc:
            raise DamagedWarc(f"the HTTP response at offset {offset} cannot be parsed ({exc})") from None
        payload_digest = record.headers.get("WARC-Payload-Digest")
        if payload_digest and not record.verify_payload_digest():
            raise DamagedWarc(f"the record at offset {offset} does not match its payload digest")
        if record.http_headers.status_code != 200:
            continue
        when = datetime.fromisoformat(record.headers.get("WARC-Date").replace("Z", "+00:00"))
        yield Capture(file=key, offset=offset, record_id=record.headers.get("WARC-Record-ID"), url=url,
                      base_url=base_url,
                      encoding=http_content_type_encoding(record.http_headers.get("Content-Type") or ""),
                      fetched_at=when.isoformat(timespec="seconds"), body=record.reader.read())
    if not seen:
        raise DamagedWarc("empty: no WARC record")
    check_sealed(seen)


def _one_record(raw: bytes, offset: int):
    """The one WARC record of an inflated gzip member (a FastWARC ``WarcRecord``) and its block, its block digest
    checked; ``DamagedWarc`` when the member holds anything else (no record, a record cut short, more than
    one, a digest that does not match)."""
    head_end = raw.find(b"\r\n\r\n")
    if not raw.startswith(b"WARC/") or head_end < 0:
        raise DamagedWarc(f"damaged: the gzip member at offset {offset} holds no WARC record")
    try:
        record = WarcRecord.from_bytes(raw)
    except Exception as exc:
        raise DamagedWarc(f"damaged WARC record at offset {offset} ({exc})") from None
    length = record.content_length
    block = raw[head_end + 4:head_end + 4 + length]
    if len(block) != length or raw[head_end + 4 + length:] != b"\r\n\r\n":
        raise DamagedWarc(f"damaged: the record read at offset {offset} is not one whole gzip member")
    if record.headers.get("WARC-Block-Digest") and not record.verify_block_digest():
        raise DamagedWarc(f"the record at offset {offset} does not match its block digest")
    return record, block


def run_id_of(file_key: str) -> str:
    """The crawl run a WARC file belongs to: its name without ``-NNNNN.warc.gz``."""
    return PurePosixPath(file_key).name.removesuffix(".warc.gz").rsplit("-", 1)[0]
