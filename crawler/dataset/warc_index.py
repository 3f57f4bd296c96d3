"""CDXJ indexes of the archive's WARC files, so pywb-style replay tools read the archive directly.

One index per WARC file, stored beside it: ``warc/site=<site>/date=<D>/<run_id>-<NNNNN>.cdxj`` for
``….warc.gz``. The lines are cdxj-indexer's (the Webrecorder indexer pywb uses): a SURT key, a 14-digit
timestamp and a JSON block with ``url``, ``mime``, ``status``, ``digest``, ``length``, ``offset`` and
``filename`` (the WARC file's name, relative to the index), sorted. An archived article's ``warc.offset`` is
the ``offset`` of its response's line. WARC files never change once archived, so neither do their indexes:
a file that has one is skipped.
"""
from __future__ import annotations

import io
from pathlib import PurePosixPath

from cdxj_indexer.main import write_cdx_index

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import cdxj_key, warc_prefix

CDXJ = "text/x-cdxj; charset=utf-8"


def cdxj_of(data: bytes, filename: str) -> bytes:
    """The sorted CDXJ index of the WARC file ``data``, whose name is ``filename``."""
    out = io.StringIO()
    write_cdx_index(out, [io.BytesIO(data)], {"filename": filename, "sort": True})
    return out.getvalue().encode("utf-8")


def index_site(archive: Archive, site: str) -> tuple[int, int]:
    """Write the missing CDXJ indexes of ``site``'s WARC files: (files indexed now, files indexed before)."""
    keys = set(archive.list(warc_prefix(site)))
    written = before = 0
    for key in sorted(k for k in keys if k.endswith(".warc.gz")):
        if cdxj_key(key) in keys:
            before += 1
            continue
        data = archive.get(key)
        if data is None:
            continue
        archive.put(cdxj_key(key), cdxj_of(data, PurePosixPath(key).name), content_type=CDXJ)
        written += 1
    return written, before
