"""Which articles report the same event: candidates from MinHash-LSH, then a verification score.

Every decision here is a function of the articles involved and of those published around them (never of
the order they arrived in), so linking a batch at a time gives the same links as linking everything at once
(``crawler.stories.state`` relies on it):

* **candidates** — two articles whose MinHash signatures share an LSH band (a property of the pair alone),
  published within ``window`` of each other;
* **verification** — the TF-IDF cosine of their content terms, with document frequencies counted over the
  articles of the days around the pair (so the speaker, the organization and the beat's usual words, which
  many articles of those days share, weigh little; the names, places and numbers of the event weigh a lot),
  must reach ``threshold``; and the pair must share at least ``min_shared`` of each other's most distinctive
  terms, so a long common vocabulary alone never links two different events;
* **best match** — of the verified links, an article keeps only the one with its best match on each site,
  when that article's best match is itself (two statements of one minister on one day, each reported by
  both outlets: each report links to its counterpart, not to the other statement); a link within one site
  also needs ``same_site_threshold``;
* **stories** — the connected components of the verified links; a story's id is the id of its first
  article (earliest publication time, then smallest id).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable, Iterator

from datasketch import MinHashLSH

from crawler.stories.features import NUM_PERM, Features

DAY = 86400.0
TOP_TERMS = 12


@dataclass(frozen=True)
class LinkParams:
    threshold: float            # verification score (TF-IDF cosine) a link needs
    window: float               # seconds: two articles further apart in time are never linked
    candidate_threshold: float  # MinHash-LSH Jaccard threshold for candidates
    min_shared: int             # distinctive terms the two articles must share
    same_site_threshold: float  # score a link between two articles of one site needs

    @property
    def window_days(self) -> int:
        return math.ceil(self.window / DAY)

    @classmethod
    def from_settings(cls, settings) -> "LinkParams":
        s = settings.stories
        return cls(s.threshold, s.window, s.candidate_threshold, s.min_shared, s.same_site_threshold)


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    score: float


def day_offset(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def day_distance(a: str, b: str) -> int:
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)


def candidates(articles: Iterable[Features], params: LinkParams) -> Iterator[tuple[Features, Features]]:
    """Pairs (first id < second id) sharing an LSH band, within the time window, in order of the second id.
    One pass in order of id: each article is matched against those before it, then added (its signature made
    once); pairs are made as they are read, never held together: a day of news on one beat gives pairs by
    the hundred thousand (the replica's 4,000 articles of one day: 1.6 million, ~180 MB as a list)."""
    by_id = {feat.id: feat for feat in articles}
    lsh = MinHashLSH(threshold=params.candidate_threshold, num_perm=NUM_PERM)
    for feat_id in sorted(by_id):
        feat = by_id[feat_id]
        signature = feat.signature()
        for other_id in sorted(lsh.query(signature)):
            other = by_id[other_id]
            if abs(feat.when - other.when) <= params.window and \
                    day_distance(feat.day, other.day) <= params.window_days:
                yield other, feat
        lsh.insert(feat_id, signature, check_duplication=False)


_TF = tuple(1 + math.log(n) for n in range(1, 257))


def _tf(count: int) -> float:
    """A term's weight from its count in the article, ``1 + log(count)`` (looked up for the usual counts)."""
    return _TF[count - 1] if 0 < count <= 256 else 1 + math.log(count)


class DocFrequencies:
    """Document frequencies of terms over the articles of given days (``per_day``: day → (articles, Counter
    of the days' terms)), summed over the days around a pair: the day before the earlier article to the day
    after the later one. What is kept per article and span is its TF-IDF norm and its strongest terms (a few
    hundred bytes); the weights themselves are computed again for each pair from the article's term counts
    and the span's IDF, never held: kept, they were a dict per article and span (~10 KB each), and linking
    the replica's 100,000 articles of three days took the crawl process past 4 GB."""

    def __init__(self, per_day: Callable[[str], tuple[int, Counter]]):
        self._per_day = per_day
        self._idfs: dict[tuple[str, str], Callable[[str], float]] = {}
        self._summaries: dict[tuple[str, tuple[str, str]], tuple[float, tuple[str, ...]]] = {}

    def _idf(self, key: tuple[str, str]) -> Callable[[str], float]:
        """A term's inverse document frequency over the span ``key`` (each term's computed once)."""
        if key not in self._idfs:
            total, df = 0, Counter()
            day = key[0]
            while day <= key[1]:
                n, counts = self._per_day(day)
                total += n
                df.update(counts)
                day = day_offset(day, 1)
            cache: dict[str, float] = {}

            def idf(term: str) -> float:
                value = cache.get(term)
                if value is None:
                    value = cache[term] = math.log((1 + total) / (1 + df.get(term, 0))) + 1
                return value
            self._idfs[key] = idf
        return self._idfs[key]

    def _weights(self, feat: Features, key: tuple[str, str]) -> dict[str, float]:
        """``feat``'s TF-IDF weights over the span ``key`` (made anew: not kept)."""
        idf = self._idf(key)
        return {term: _tf(count) * idf(term) for term, count in feat.terms.items()}

    def summary(self, feat: Features, key: tuple[str, str]) -> tuple[float, tuple[str, ...]]:
        """The norm of ``feat``'s weights over the span ``key`` and its ``TOP_TERMS`` strongest terms (a tuple:
        a frozenset of 12 took five times the memory, held for every article and span)."""
        slot = (feat.id, key)
        if slot not in self._summaries:
            weights = self._weights(feat, key)
            norm = math.sqrt(sum(w * w for w in weights.values()))
            top = tuple(t for t, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS])
            self._summaries[slot] = (norm, top)
        return self._summaries[slot]

    @staticmethod
    def _products(terms: dict[str, int], other: dict[str, int], idf: Callable[[str], float]) -> Iterator[float]:
        """The products of the two articles' weights of each term they share (in ``terms``' order)."""
        for term, count in terms.items():
            theirs = other.get(term)
            if theirs is not None:
                weight = idf(term)
                yield _tf(count) * weight * (_tf(theirs) * weight)

    def score(self, a: Features, b: Features) -> tuple[float, int]:
        """TF-IDF cosine of ``a`` and ``b`` and the number of distinctive terms they share."""
        key = (day_offset(min(a.day, b.day), -1), day_offset(max(a.day, b.day), 1))
        (na, ta), (nb, tb) = self.summary(a, key), self.summary(b, key)
        if len(b.terms) < len(a.terms):
            a, b = b, a
        dot = sum(self._products(a.terms, b.terms, self._idf(key)))
        return (dot / (na * nb) if na and nb else 0.0), len(set(ta).intersection(tb))


def verify(pairs: Iterable[tuple[Features, Features]], freqs: DocFrequencies, params: LinkParams) -> Iterator[Link]:
    """The pairs whose score and shared distinctive terms reach ``params``, as they are checked."""
    for a, b in pairs:
        cosine, shared = freqs.score(a, b)
        if cosine >= params.threshold and shared >= params.min_shared:
            yield Link(a.id, b.id, round(cosine, 6))


def mutual_best(links: Iterable[Link], sites: dict[str, str], params: LinkParams) -> list[Link]:
    """The verified links each article has with its best match of the other's site, both ways (ties go to
    the smaller id); a link within one site also needs ``same_site_threshold``. ``links`` (each pair once)
    are read once and not kept: what is held is one best match per article and site, however many pairs
    pass verification (in a day of one beat's articles, hundreds of thousands do)."""
    best: dict[tuple[str, str], tuple[float, str]] = {}      # (article, site) → (-score, best match there)
    for link in links:
        for x, y in ((link.a, link.b), (link.b, link.a)):
            slot = (x, sites[y])
            best[slot] = min(best[slot], (-link.score, y)) if slot in best else (-link.score, y)
    out = []
    for (x, _), (negative, y) in best.items():
        if x > y or best[(y, sites[x])][1] != x:
            continue
        if sites[x] == sites[y] and -negative < params.same_site_threshold:
            continue
        out.append(Link(x, y, -negative))
    return sorted(out, key=lambda link: (link.a, link.b))


def stories(links: Iterable[Link], first: dict[str, tuple[float, str]]) -> dict[str, str]:
    """Article id → story id for every linked article: the connected components of ``links``, each named
    by its first article (``first``: id → (publication time, id))."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        ra, rb = find(link.a), find(link.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    out = {}
    for group in members.values():
        story = min(group, key=lambda x: first[x])
        out.update({x: story for x in group})
    return out
