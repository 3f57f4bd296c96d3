"""Reading a site's WARC files for re-extraction: which files (``warc_files``, in capture order), and the captures
of article URLs in one file (``read_captures``), the file checked whole as it is read: every gzip member complete
(its trailer checked, before any record is read), one record per member, every record read to its end with its
digest checked, and the file's seal at its end (``crawler.fetch.warc_writer``: a copy cut exactly between two
records is otherwise a valid, shorter file)."""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Iterator
from urllib.parse import urlsplit

from w3lib.encoding import http_content_type_encoding
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

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



def read_captures(archive: Archive, key: str, site_base: str, spec, counts: Counter) -> Iterator[Capture]:
    """The captures of article URLs (``200`` responses) in the WARC file ``key`` of the site at ``site_base`` (``spec``), each checked whole as it is
    read; ``counts[Count.CAPTURES]`` counts every response. ``DamagedWarc`` when the file is cut short or
    damaged (after the whole captures before the damage were given)."""
    data = archive.get(key)
    if data is None:
        raise FileNotFoundError("listed but not in the archive any more")
    members = gzip_members(data)                   # DamagedWarc at a member cut short or damaged
    seen: list[tuple[int, str, dict[str, str]]] = []
    records = ArchiveIterator(io.BytesIO(data), check_digests="raise")
    end = 0
    try:
        for record in records:
            response = record.rec_type == "response"
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            base_url = site_base if url.startswith(site_base.rstrip("/") + "/") else _origin(url)
            wanted = (response and record.http_headers is not None and record.http_headers.get_statuscode() == "200"
                      and is_article_url(url, base_url, spec))
            # every record is read to its end, so that every digest is checked: a file cut short or damaged
            # is an error here, never a truncated page or a silent end of the file
            body = record.content_stream().read() if wanted else record.raw_stream.read()
            offset = records.get_record_offset()      # after the read: asking it first skips the payload
            end = offset + records.get_record_length()
            if len(seen) >= len(members) or members[len(seen)] != (offset, end):
                raise DamagedWarc(f"damaged: the record read at offset {offset} is not one whole gzip member")
            if record.digest_checker.passed is not True and (record.rec_headers.get_header("WARC-Payload-Digest")
                                                             or record.rec_headers.get_header("WARC-Block-Digest")):
                raise DamagedWarc(f"the record at offset {offset} is cut short (its digest could not be checked)")
            seen.append((offset, record.rec_type, warc_fields(body) if record.rec_type == "warcinfo" else {}))
            counts[Count.CAPTURES] += response
            if not wanted:
                continue
            when = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
            yield Capture(file=key, offset=offset, record_id=record.rec_headers.get_header("WARC-Record-ID"),
                          url=url, base_url=base_url,
                          encoding=http_content_type_encoding(record.http_headers.get_header("Content-Type") or ""),
                          fetched_at=when.isoformat(timespec="seconds"), body=body)
    except ArchiveLoadFailed:       # its message quotes the damaged bytes
        raise DamagedWarc(f"damaged WARC data after offset {end}") from None
    if len(seen) != len(members):
        raise DamagedWarc(f"damaged: {len(members) - len(seen)} gzip members after offset {end} are no WARC record")
    if not seen:
        raise DamagedWarc("empty: no WARC record")
    check_sealed(seen)



def run_id_of(file_key: str) -> str:
    """The crawl run a WARC file belongs to: its name without ``-NNNNN.warc.gz``."""
    return PurePosixPath(file_key).name.removesuffix(".warc.gz").rsplit("-", 1)[0]
