"""The story features of what a crawl archived, handed from its extraction workers to the linker after its runs.

The workers compute each article's terms (:func:`crawler.stories.features.article_terms`) beside its extraction;
the extraction pipeline gives them here (:meth:`Handoff.extracted`), the archive pipeline takes them back with
the record (:meth:`Handoff.take`) and, once the record is written, keeps its features under the key it was
written at (:meth:`Handoff.archived`). The linker (``crawler.stories.state``) takes an article's features from
here instead of reading the article back from the archive and computing them again in the crawl's process;
the articles it was not handed (written by another process, flushed from the outbox, a rebuild) it reads.

Only a record written as it was extracted is handed on: the terms must be of its very title and text (an
article of the same id extracted twice at once leaves the other's terms: not handed on), and a key written
twice in one crawl is read from the archive (which write came last is the archive's to say).
"""
from __future__ import annotations

from crawler.archive.storage.keys import parse_article_key
from crawler.stories.features import Features, features_from

Terms = list[tuple[str, int]]


class Handoff:
    """The features of the articles this process archived, by archive key (:attr:`features`)."""

    def __init__(self):
        self._extracted: dict[str, tuple[str, str, Terms]] = {}     # article id → (title, content sha, terms)
        self._twice: set[str] = set()                              # keys written more than once
        self.features: dict[str, Features] = {}

    def extracted(self, article_id: str, title: str, sha: str, terms: Terms) -> None:
        """The terms a worker computed for the article ``article_id`` of ``title`` and text hash ``sha``."""
        self._extracted[article_id] = (title, sha, terms)

    def take(self, article_id: str) -> tuple[str, str, Terms] | None:
        """What :meth:`extracted` kept for ``article_id`` (forgotten here: the record goes on to the archive)."""
        return self._extracted.pop(article_id, None)

    def archived(self, key: str, record: dict, taken: tuple[str, str, Terms] | None) -> None:
        """``record`` was written at the article ``key``; ``taken``: what :meth:`take` gave for it."""
        parts = parse_article_key(key)
        if taken is None or parts is None:
            return
        title, sha, terms = taken
        if key in self._twice or key in self.features:
            self._twice.add(key)
            self.features.pop(key, None)
        elif (record.get("title") or "") == title and record["content_sha256"] == sha:
            self.features[key] = features_from(record, parts["date"], terms)
