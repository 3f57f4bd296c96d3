"""What story linking keeps of an article: its content terms (with counts) and their MinHash signature.

Computed once per article version from the archived record and stored under ``stories/features/``, so
linking never reads article text again.
"""
from __future__ import annotations

import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from datasketch import LeanMinHash, MinHash

from crawler.stories.normalize import terms

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"        # datasketch's permutation scheme; signatures of different schemes never compare
TITLE_WEIGHT = 2          # a title names the event: its terms count twice


def _hashvalues(values) -> array:
    """A MinHash signature as 8-byte unsigned integers: 1 KB an article where a tuple of ints took 4.6."""
    return array("Q", (int(v) for v in values))


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
    minhash: array                 # the MinHash signature's NUM_PERM hash values

    def signature(self) -> LeanMinHash:
        return LeanMinHash(seed=SEED, hashvalues=self.minhash, scheme=SCHEME)

    def to_json(self) -> dict:
        return {"site": self.site, "when": self.when, "title": self.title, "sha": self.sha,
                "terms": self.terms, "minhash": list(self.minhash)}

    @classmethod
    def from_json(cls, article_id: str, day: str, data: dict) -> "Features":
        return cls(article_id, data["site"], day, float(data["when"]), data["title"], data["sha"],
                   _terms(data["terms"].items()), _hashvalues(data["minhash"]))


def _when(record: dict) -> float:
    stamp = record.get("published_at") or record["fetched_at"]
    when = datetime.fromisoformat(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def signature_of(words) -> MinHash:
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch([w.encode("utf-8") for w in sorted(set(words))])
    return minhash


def features_of(record: dict, day: str) -> Features:
    """The features of an archived article record stored under date ``day``."""
    counts = Counter(terms(record.get("text") or ""))
    for term in terms(record.get("title") or ""):
        counts[term] += TITLE_WEIGHT
    return Features(record["id"], record["site"], day, _when(record), record.get("title") or "",
                    record["content_sha256"], _terms(sorted(counts.items())),
                    _hashvalues(signature_of(counts).hashvalues))
