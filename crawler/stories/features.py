"""What story linking keeps of an article: its content terms (with counts).

Computed once per article version and stored under ``stories/features/``, so linking never reads article text
again: during a crawl by the extraction workers, from the text they extracted (:func:`article_terms`, handed to
the linker by ``crawler.stories.handoff``), else from the archived record (:func:`features_of`). ``VERSION``
names the way terms are made (``crawler.stories.normalize``): features of another version are made again from
the article (``crawler.stories.state``), never compared with these.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from crawler.stories.normalize import anchors_of, normalize, terms_of

VERSION = 2               # 1: the first normalization, with a MinHash signature (no "v" in the row)
TITLE_WEIGHT = 2          # a title names the event: its terms count twice


def _terms(counts) -> dict[str, int]:
    """Term counts with each term interned: linking holds the terms of every article of a week, and the same
    few thousand words recur in all of them (a string each per article was a third of linking's memory)."""
    return {sys.intern(term): int(count) for term, count in counts}


@dataclass(frozen=True)
class Features:
    id: str
    site: str
    day: str                       # the article's archive date (YYYY-MM-DD): where its state is kept
    when: float                    # publication time (or first fetch when undated), POSIX seconds
    title: str
    sha: str                       # content_sha256 of the version these features describe
    terms: dict[str, int]

    def to_json(self) -> dict:
        return {"v": VERSION, "site": self.site, "when": self.when, "title": self.title, "sha": self.sha,
                "terms": self.terms}

    @classmethod
    def from_json(cls, article_id: str, day: str, data: dict) -> "Features":
        return cls(article_id, data["site"], day, float(data["when"]), data["title"], data["sha"],
                   _terms(data["terms"].items()))

    @staticmethod
    def current(data: dict) -> bool:
        """Whether a stored row was made the way terms are made now."""
        return data.get("v") == VERSION


def _when(record: dict) -> float:
    stamp = record.get("published_at") or record["fetched_at"]
    when = datetime.fromisoformat(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def article_terms(title: str, text: str) -> list[tuple[str, int]]:
    """The content terms of an article's ``title`` and ``text`` with their counts, sorted: each term of the
    text once an occurrence, of the title ``TITLE_WEIGHT`` times, each anchor (a day, a figure) once more.
    The costly part of an article's features, so the crawl's extraction workers compute it."""
    title, text = normalize(title), normalize(text)
    counts = Counter(terms_of(text))
    for term in terms_of(title):
        counts[term] += TITLE_WEIGHT
    counts.update(set(anchors_of(f"{title} {text}")))
    return sorted(counts.items())


def features_from(record: dict, day: str, terms: list[tuple[str, int]]) -> Features:
    """The features of the article record ``record`` stored under date ``day``, whose title and text have the
    ``terms`` (:func:`article_terms`)."""
    return Features(record["id"], record["site"], day, _when(record), record.get("title") or "",
                    record["content_sha256"], _terms(terms))


def features_of(record: dict, day: str) -> Features:
    """The features of an archived article record stored under date ``day``."""
    return features_from(record, day, article_terms(record.get("title") or "", record.get("text") or ""))
