"""What story linking keeps of an article: its content terms (with counts) and their MinHash signature.

Computed once per article version from the archived record and stored under ``stories/features/``, so
linking never reads article text again.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from datasketch import LeanMinHash, MinHash

from crawler.stories.normalize import terms

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"        # datasketch's permutation scheme; signatures of different schemes never compare
TITLE_WEIGHT = 2          # a title names the event: its terms count twice


@dataclass(frozen=True)
class Features:
    id: str
    site: str
    day: str                       # the article's archive date (YYYY-MM-DD): where its state is kept
    when: float                    # publication time (or first fetch when undated), POSIX seconds
    title: str
    sha: str                       # content_sha256 of the version these features describe
    terms: dict[str, int]
    minhash: tuple[int, ...]

    def signature(self) -> LeanMinHash:
        return LeanMinHash(seed=SEED, hashvalues=self.minhash, scheme=SCHEME)

    def to_json(self) -> dict:
        return {"site": self.site, "when": self.when, "title": self.title, "sha": self.sha,
                "terms": self.terms, "minhash": list(self.minhash)}

    @classmethod
    def from_json(cls, article_id: str, day: str, data: dict) -> "Features":
        return cls(article_id, data["site"], day, float(data["when"]), data["title"], data["sha"],
                   dict(data["terms"]), tuple(int(v) for v in data["minhash"]))


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
                    record["content_sha256"], dict(sorted(counts.items())),
                    tuple(int(v) for v in signature_of(counts).hashvalues))
