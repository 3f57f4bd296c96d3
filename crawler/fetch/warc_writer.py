"""Raw captures: every request and response of a run, as fetched, in gzip WARC files (warcio).

One file per site per run, rolled past ``max_bytes``: ``<run_id>-00001.warc.gz``, ``-00002``… Each record is
its own gzip member, so the offset returned for a response record lets a reader seek straight to it.
Files are written in a local folder and handed to ``on_close(path, name)`` when complete (the crawl then
moves them into the archive); a file is never visible in the archive half-written.

A file is *sealed*: its opening ``warcinfo`` record says so (``arshif-sealed: yes``) and its last record is a
closing ``warcinfo`` (``arshif-seal: end of file``) giving the number of records before it and its own
offset. A copy cut exactly between two records is a valid WARC file, only shorter: the missing seal is how a
reader (``check_sealed``) tells. A file a killed run left open is sealed when it is recovered
(``seal_left_open``), after its last whole record, saying where it was cut.
"""
from __future__ import annotations

import io
import os
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__


#: field of the opening warcinfo record: the file ends with a seal
SEALED = "arshif-sealed"
#: field of the closing warcinfo record (the seal), with its "records" (before it) and "offset" (its own)
SEAL = "arshif-seal"
_CHUNK = 1 << 16


class DamagedWarc(ValueError):
    """A WARC file cut short or damaged: the message says where (one line)."""


def _write_seal(writer: WARCWriter, name: str, records: int, offset: int, **more: str) -> None:
    writer.write_record(writer.create_warcinfo_record(name, {SEAL: "end of file", "records": str(records),
                                                             "offset": str(offset), **more}))


def gzip_members(data: bytes, whole_only: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of every gzip member of ``data``, each checked whole (its deflate stream to its end and
    its CRC and length trailer): a gzip reader stops quietly where such a member is cut short, giving less
    data than was written. Raises :class:`DamagedWarc` at the first member cut short or damaged, and for bytes
    after the last member that are no gzip member; with ``whole_only``, returns the members before it."""
    view = memoryview(data)
    members: list[tuple[int, int]] = []
    start = 0
    while start < len(data):
        inflate = zlib.decompressobj(wbits=31)              # one gzip member, trailer checked
        pos = start
        try:
            while not inflate.eof and pos < len(data):
                inflate.decompress(view[pos:pos + _CHUNK])
                pos = min(pos + _CHUNK, len(data))
        except zlib.error as exc:
            if whole_only:
                break
            raise DamagedWarc(f"damaged: the data at offset {start} is no whole gzip member ({exc})") from None
        if not inflate.eof:
            if whole_only:
                break
            raise DamagedWarc(f"cut short: the gzip member at offset {start} ends early (file of {len(data)} bytes)")
        end = pos - len(inflate.unused_data)
        members.append((start, end))
        start = end
    return members


def warc_fields(block: bytes) -> dict[str, str]:
    """The ``name: value`` lines of an ``application/warc-fields`` block (a warcinfo record's)."""
    fields = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def check_sealed(records: list[tuple[int, str, dict[str, str]]]) -> None:
    """``records``: ``(offset, WARC-Type, warcinfo fields or {})`` of every record of a file, in order. A file
    whose opening warcinfo says it is sealed must end with its seal, which counts the records before it and
    gives its own offset; raises :class:`DamagedWarc` otherwise. (A file of an arshif before seals was not
    sealed: a cut between two of its records cannot be told from its end.)"""
    if not records or records[0][1] != "warcinfo" or records[0][2].get(SEALED) != "yes":
        return
    offset, kind, fields = records[-1]
    if kind != "warcinfo" or SEAL not in fields:
        raise DamagedWarc(f"cut short: the file ends without its closing record, after {len(records)} records "
                          f"(the last at offset {offset})")
    if fields.get("records") != str(len(records) - 1) or fields.get("offset") != str(offset):
        raise DamagedWarc(f"records missing: the closing record at offset {offset} counts {fields.get('records')} "
                          f"records before it at offset {fields.get('offset')}; the file has {len(records) - 1}")


def seal_left_open(path: Path) -> str | None:
    """Seal the WARC file a killed run left at ``path`` (written up to its death): cut after its last whole
    gzip member, then add the seal, which says where the file was cut. Returns what was done (None: the file
    has no whole record, left as it is)."""
    data = path.read_bytes()
    members = gzip_members(data, whole_only=True)
    if not members:
        return None
    end = members[-1][1]
    with open(path, "r+b") as fh:
        fh.truncate(end)
        fh.seek(end)
        _write_seal(WARCWriter(fh, gzip=True, warc_version="1.1"), path.name.removesuffix(".open"), len(members),
                    end, **{"arshif-recovered": f"left open by a run that was killed; cut at byte {end} of {len(data)}"})
        fh.flush()
        os.fsync(fh.fileno())
    return f"sealed after {len(members)} whole records (cut at byte {end} of {len(data)})"


class RollingWarcWriter:
    def __init__(self, folder: Path, run_id: str, max_bytes: int, on_close: Callable[[Path, str], None],
                 operator_info: dict | None = None):
        self.folder = Path(folder)
        self.run_id = run_id
        self.max_bytes = max_bytes
        self.on_close = on_close
        self.info = {"software": f"arshif/{__version__} (warcio)", "format": "WARC File Format 1.1",
                     **(operator_info or {}), SEALED: "yes"}
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
        self._records = 1

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
        self._records += 2
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
        _write_seal(self._writer, self._name, self._records, self._fh.tell())
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        partial = self.folder / (self._name + ".open")
        final = self.folder / self._name
        partial.replace(final)
        self._fh = self._writer = None
        self.on_close(final, self._name)

    def close(self) -> None:
        """Close the current file (sealed) once every submitted record is written."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        self._close_current()
