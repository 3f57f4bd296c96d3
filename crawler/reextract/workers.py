"""What re-extraction's workers run (a local process pool, or the workers of a Dask cluster): the extractor
on a batch of captures, pure — captures in, results out, nothing written anywhere — and refusing to run with
an extractor other than the client's (:func:`extractor_fingerprint`)."""
from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Protocol

from crawler.extract import cleaning
from crawler.extract.page import MIN_WORDS, RULES_VERSION, NotArticle, extract
from crawler.outcomes import PageOutcome
from crawler.extract.record import ArticleRecord, content_digest
from crawler.reextract.warc_read import Capture, run_id_of
from crawler.sites import get_site

#: a worker's result for a capture that is an article (else ``PageOutcome.NOT_ARTICLE`` or ``PageOutcome.FAILED``)
ARTICLE = "article"


class ExtractorMismatch(Exception):
    """A worker's extractor is not the client's (another arshif installed on a Dask worker)."""


def extract_captures(site: str, captures: list[Capture], fingerprint: str | None = None) -> list[tuple]:
    """The extractor on each capture, in order: ``(ARTICLE, fields, digest, valid)`` — ``digest`` the
    ``record.content_digest`` of the fields, ``valid`` whether the record made of them and of the capture (its
    ``fetched_at``, run and pointer) passes the schema's check — or ``(PageOutcome.NOT_ARTICLE, reason)``, or
    ``(PageOutcome.FAILED, message)``. Pure: what the crawl's extraction workers run, with nothing written
    anywhere; the digest and the check here spare the client (the one process that decides and writes) that
    work for every unchanged article. ``fingerprint`` is the client's ``extractor_fingerprint``: a worker whose
    extractor differs refuses."""
    if fingerprint is not None and extractor_fingerprint(site) != fingerprint:
        import socket

        raise ExtractorMismatch(f"the extractor on worker {socket.gethostname()} differs from this one's (rules or "
                                "versions): install the same arshif on every worker")
    out: list[tuple] = []
    for capture in captures:
        fetched_at = datetime.fromisoformat(capture.fetched_at)
        try:
            result = extract(capture.body, capture.url, site, base_url=capture.base_url, encoding=capture.encoding,
                             fetched_at=fetched_at)
        except Exception as exc:   # one page's failure, reported with its capture
            out.append((PageOutcome.FAILED, f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(result, NotArticle):
            out.append((PageOutcome.NOT_ARTICLE, result.reason))
            continue
        try:
            valid = not ArticleRecord.complete(result, fetched_at=fetched_at, run_id=run_id_of(capture.file),
                                               warc=capture.pointer).problems()
        except Exception:          # fields the record cannot even be made of: the client reports it
            valid = False
        out.append((ARTICLE, result, content_digest(result), valid))
    return out


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A future of ``fn(*args)`` (``.result()``)."""



@lru_cache(maxsize=8)
def extractor_fingerprint(site: str) -> str:
    """What the extraction of ``site`` depends on, hashed: a checkpoint is only resumed by the same extractor."""
    import trafilatura

    spec = get_site(site)
    parts = (trafilatura.__version__, RULES_VERSION, MIN_WORDS, repr(spec.extraction), repr(cleaning.RULES),
             repr(cleaning.PRUNE_XPATH))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]
