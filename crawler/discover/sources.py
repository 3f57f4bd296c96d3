"""Discovery sources and the documents read for them, each with its own outcome and validators.

A *source* is what a site's settings name (a feed, a sitemap, a listing: ``crawler/sites/<site>.py`` or
``[sites.<site>]``) or what its robots.txt names (``Sitemap:`` lines). Reading a source reads one or more
*documents*: the source's own URL, then a sitemap index's children or a listing's next pages (children of the
page that led to them). Each document keeps what its answer was and the validators (ETag, Last-Modified) it
came with; a source's outcome is ``ok``, ``not_modified`` (answered 304: nothing to read) or ``failed: <reason>``
(it, or any document read for it, could not be read whole).

Validators are kept per document, and only for a document whose answer was dealt with in full: it and every
document read for it (a sitemap index's 304 skips its children next time, the one that failed this time among
them) was read whole, and every article it put in the queue got an answer (a backlog or a failed page is listed
again next time, not skipped behind a 304). The validators of every other document are forgotten, so a failed
source costs that source alone a full download next run.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Iterator


class SourceOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"


class DocState(StrEnum):
    PENDING = "pending"                 # asked for, not answered yet
    READ = "read"
    NOT_MODIFIED = "not_modified"       # answered 304
    FAILED = "failed"


class Document:
    """One discovery document of a source: its answer, what it listed, its validators, its articles' fate."""

    def __init__(self, url: str, kind: str, source: "Source", page: int | None = None):
        self.url = url
        self.kind = kind                  # "feed" | "sitemap" | "listing" | "robots" (robots.txt not obeyed) |
        #                                   "id_probe" (the probes of a run, ``ids``: no document is read)
        self.source = source
        self.page = page                  # a listing's page (numbered listings: the number in the path)
        self.children: list[Document] = []
        self.state = DocState.PENDING
        self.reason: str | None = None    # why it failed, or the problem it was read with
        self.validators: tuple[str | None, str | None] | None = None   # (ETag, Last-Modified) of its answer
        self.outstanding = 0              # its articles queued and not answered yet
        self.lost = False                 # one of its articles failed
        self.urls = 0                     # entries it listed
        self.bytes = 0                    # size of its answer's body
        self.newest: datetime | None = None

    def child(self, url: str, kind: str | None = None, page: int | None = None) -> "Document":
        doc = Document(url, kind or self.kind, self.source, page)
        self.children.append(doc)
        return doc

    def walk(self) -> Iterator["Document"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def fail(self, why: str) -> None:
        self.state = DocState.FAILED
        self.reason = why

    def clean(self) -> bool:
        """Was this document, and every document read for it, dealt with in full (see the module's doc)?"""
        return (self.state in (DocState.READ, DocState.NOT_MODIFIED) and self.reason is None and not self.outstanding
                and not self.lost and all(child.clean() for child in self.children))


class Source:
    """A discovery source: ``name`` as an operator reads it (``sitemap /sitemap.xml``, ``robots.txt sitemap
    /sitemaps/news.xml``), its root document and its outcome."""

    def __init__(self, kind: str, path: str, url: str, origin: str = "settings", numbered: bool = False):
        self.kind = kind
        self.path = path
        self.origin = origin              # "settings" (the site's module or settings) | "robots.txt"
        self.numbered = numbered          # a listing paged by the number in its path
        self.root = Document(url, kind, self, page=0 if numbered else 1 if kind == "listing" else None)

    @property
    def name(self) -> str:
        return f"{'robots.txt ' if self.origin == 'robots.txt' else ''}{self.kind} {self.path}"

    def documents(self) -> Iterator[Document]:
        return self.root.walk()

    def outcome(self) -> tuple[SourceOutcome, str | None]:
        # a document still pending when the run stopped (its page cap) is the run's backlog, not a failure: it
        # is read again next run (its validators, and its source's, are not kept)
        for doc in self.documents():
            if doc.state == DocState.FAILED or doc.reason:
                where = "" if doc is self.root else f"{doc.url}: "
                return SourceOutcome.FAILED, where + (doc.reason or "failed")
        if self.root.state == DocState.NOT_MODIFIED:
            return SourceOutcome.NOT_MODIFIED, None
        return SourceOutcome.OK, None

    def to_json(self) -> dict:
        outcome, reason = self.outcome()
        docs = list(self.documents())
        newest = max((d.newest for d in docs if d.newest), default=None)
        return {"source": self.name, "kind": self.kind, "url": self.root.url, "origin": self.origin,
                "outcome": str(outcome), "reason": reason, "documents": len(docs),
                "not_modified": sum(d.state == DocState.NOT_MODIFIED for d in docs),
                "urls": sum(d.urls for d in docs), "bytes": sum(d.bytes for d in docs),
                "newest": newest.isoformat() if newest else None}


def validator_changes(sources: list[Source]) -> tuple[dict[str, tuple[str | None, str | None]], list[str]]:
    """``(keep, forget)``: the validators to store for the next run (documents dealt with in full that came
    with some), and the URLs whose stored validators must go (every document that was not)."""
    keep: dict[str, tuple[str | None, str | None]] = {}
    forget: list[str] = []
    for source in sources:
        for doc in source.documents():
            if not doc.clean():
                forget.append(doc.url)
            elif doc.validators:
                keep[doc.url] = doc.validators
    return keep, forget


def failure_line(sources: list[Source]) -> str | None:
    """One line naming every failed source and why (None when none failed)."""
    failed = [(s.name, s.outcome()[1]) for s in sources if s.outcome()[0] == SourceOutcome.FAILED]
    if not failed:
        return None
    return (f"discovery lost {len(failed)} of {len(sources)} sources: "
            + "; ".join(f"{name}: {why}" for name, why in failed))
