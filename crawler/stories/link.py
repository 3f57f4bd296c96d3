"""Which articles report the same event: nearest neighbours on TF-IDF vectors, an event-level decision, stories.

Every decision here is a function of the articles involved and of those published around them (never of
the order they arrived in), so linking a batch at a time gives the same links as linking everything at once
(``crawler.stories.state`` relies on it):

* **vectors** — an article's TF-IDF vector: ``1 + log(count)`` of each content term times its inverse
  document frequency over the articles of the day before the article's date to the day after (so the
  speaker, the organisation and the beat's usual words, which many articles of those days share, weigh
  little; the names, places and numbers of the event weigh a lot), L2-normalised; the vectors of all the
  articles being linked are one sparse matrix (scipy), made once;
* **candidates** — for each article, its ``CANDIDATES`` nearest neighbours by cosine among the articles
  published within ``window`` of it whose cosine reaches ``candidate_threshold`` (far below what a link
  needs: the candidates miss nothing verification would accept); the cosines are sparse matrix products of
  a block of rows against the articles of the block's window, so memory is bounded by block × window;
* **verification** — an event-level decision: the cosine reaches ``threshold`` (``same_site_threshold``
  within one site); the two share at least ``min_shared`` of their ``TOP_TERMS`` strongest terms (either
  one's strongest found in the other: a brief's names, places and figures in the long report); their
  figures agree (two reports of one event that both give figures — a rate, a price, a toll, a score —
  share one of them: yesterday's gold prices or another match, in the same words, do not); and the days
  they report on agree (``normalize.anchors_of``: "today, Tuesday" and "today, Wednesday" are two days'
  news, unless one names the other's day, as the reaction of the next morning names yesterday's decision);
* **links kept** — each article keeps its ``MAX_LINKS`` best verified links of each site; a link is kept
  when both of its articles keep it, with the reason it was made (cosine, the shared strong terms and
  figures);
* **stories** — the links joined from the strongest down, two groups merging only when at least half of
  the pairs between them are linked (average linkage on the link graph): one false link between two
  stories never chains them into one; a story's id is the id of its first article (earliest publication
  time, then smallest id).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable

import numpy as np
from scipy import sparse

from crawler.stories.features import Features
from crawler.stories.normalize import ANCHOR, WEEKDAYS

DAY = 86400.0
TOP_TERMS = 12        # an article's strongest terms: those two reports of one event must share
CANDIDATES = 24       # nearest neighbours proposed per article
MAX_LINKS = 4         # verified links an article keeps on each site
BLOCK = 256           # rows multiplied at once (memory: BLOCK × articles within the window, float64)
PAIRS = 8192          # candidate pairs verified at once (memory: PAIRS × an article's terms)
MERGE_SHARE = 0.5     # share of the pairs between two groups that must be linked for them to merge


@dataclass(frozen=True)
class LinkParams:
    threshold: float            # cosine a link between the two sites needs
    window: float               # seconds: two articles further apart in time are never linked
    candidate_threshold: float  # cosine a candidate needs (low: verification decides)
    min_shared: int             # strongest terms the two articles must share
    same_site_threshold: float  # cosine a link between two articles of one site needs

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
    why: str = ""               # the reason: "cosine 0.41; shared باول 3_5 فدرال"


def day_offset(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


_TODAY_BITS = {f"{ANCHOR}today:{day}": 1 << n for n, day in enumerate(WEEKDAYS)}
_SAID_BITS = {f"{ANCHOR}said:{day}": 1 << n for n, day in enumerate(WEEKDAYS)}


def _is_figure(term: str) -> bool:
    """A figure an event is told by: a number with a fraction or of three digits or more, not a year, or a
    match's score (3_5, 5240, 1350, 2x1; not 21, 6 or 2026: karats, counts and dates recur across one
    organisation's events)."""
    if not term[:1].isdigit():
        return False
    if "_" in term or "x" in term:
        return True
    return len(term) >= 3 and not (len(term) == 4 and term[:2] in ("19", "20"))


class Vectors:
    """The TF-IDF vectors of ``feats`` (rows in order of publication time, then id). ``per_day``: date →
    (articles archived that date, Counter of their terms), for the document frequencies of the days around
    each article, read once a day."""

    def __init__(self, feats: Iterable[Features], per_day: Callable[[str], tuple[int, Counter]]):
        self.feats = sorted(feats, key=lambda f: (f.when, f.id))
        # columns in the order of the terms (and each article's terms in that order): every sum below adds
        # the same numbers in the same order whatever else is in the batch, so a pair's cosine is the same
        # to the last bit in an update and in a rebuild
        vocab = {term: col for col, term in enumerate(sorted({t for f in self.feats for t in f.terms
                                                              if t[0] != ANCHOR}))}
        indptr, indices, counts = [0], [], []
        today, said = [], []           # the days each reports on and names, as bits (one a weekday)
        for feat in self.feats:
            for term, count in sorted(feat.terms.items()):
                if term[0] != ANCHOR:
                    indices.append(vocab[term])
                    counts.append(count)
            indptr.append(len(indices))
            today.append(sum(bit for mark, bit in _TODAY_BITS.items() if mark in feat.terms))
            said.append(sum(bit for mark, bit in _SAID_BITS.items() if mark in feat.terms))
        self.terms = list(vocab)
        cols = np.asarray(indices, dtype=np.int32)
        tf = 1 + np.log(np.asarray(counts, dtype=np.float64))
        days = [feat.day for feat in self.feats]
        ordinals = {day: date.fromisoformat(day).toordinal() for day in set(days)}
        self.day = np.asarray([ordinals[day] for day in days], dtype=np.int32)
        self.today, self.said = np.asarray(today, dtype=np.int16), np.asarray(said, dtype=np.int16)
        self.when = np.asarray([feat.when for feat in self.feats], dtype=np.float64)
        frequencies: dict[str, tuple[int, np.ndarray]] = {}

        def counted(day: str) -> tuple[int, np.ndarray]:
            if day not in frequencies:
                total, counter = per_day(day)
                df = np.zeros(len(vocab), dtype=np.float64)
                for term, n in counter.items():
                    col = vocab.get(term)
                    if col is not None:
                        df[col] = n
                frequencies[day] = (total, df)
            return frequencies[day]

        weights = np.empty_like(tf)
        rows = np.repeat(np.arange(len(self.feats)), np.diff(indptr))
        for day in sorted(set(days)):
            spans = [counted(day_offset(day, offset)) for offset in (-1, 0, 1)]
            total = sum(n for n, _ in spans)
            idf = np.log((1 + total) / (1 + sum(df for _, df in spans))) + 1
            mask = np.asarray([d == day for d in days])[rows]
            weights[mask] = tf[mask] * idf[cols[mask]]
        matrix = sparse.csr_matrix((weights, cols, np.asarray(indptr)), shape=(len(self.feats), len(vocab)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        self.matrix = sparse.csr_matrix(sparse.diags(1 / norms) @ matrix)
        # each article's TOP_TERMS strongest terms, all its terms and its figures, as 0/1 sparse rows
        top_rows, top_cols = [], []
        for i in range(len(self.feats)):
            lo, hi = self.matrix.indptr[i], self.matrix.indptr[i + 1]
            order = np.lexsort((self.matrix.indices[lo:hi], -self.matrix.data[lo:hi]))[:TOP_TERMS]
            top_cols.append(self.matrix.indices[lo:hi][order])
            top_rows.append(np.full(len(order), i))
        shape = self.matrix.shape
        self.top = sparse.csr_matrix((np.ones(sum(map(len, top_cols))), (np.concatenate(top_rows or [[]]),
                                     np.concatenate(top_cols or [[]]))), shape=shape)
        self.has = sparse.csr_matrix((np.ones(len(self.matrix.data)), self.matrix.indices, self.matrix.indptr),
                                     shape=shape)
        figure = np.asarray([_is_figure(t) for t in self.terms], dtype=bool)
        self.figures = self.has @ sparse.diags(figure.astype(np.float64))
        self.figures.eliminate_zeros()

    def __len__(self) -> int:
        return len(self.feats)

    def candidates(self, params: LinkParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate pairs (rows i < j) and their cosines: each article's ``CANDIDATES`` nearest
        neighbours within the window whose cosine reaches ``candidate_threshold``."""
        n = len(self)
        found_i, found_j, found_s = [], [], []
        for start in range(0, n, BLOCK):
            stop = min(n, start + BLOCK)
            lo = int(np.searchsorted(self.when, self.when[start] - params.window, "left"))
            hi = int(np.searchsorted(self.when, self.when[stop - 1] + params.window, "right"))
            block = (self.matrix[start:stop] @ self.matrix[lo:hi].T).toarray()
            near = (np.abs(self.when[start:stop, None] - self.when[None, lo:hi]) <= params.window) \
                & (np.abs(self.day[start:stop, None] - self.day[None, lo:hi]) <= params.window_days)
            block[~near] = 0
            block[np.arange(stop - start), np.arange(start, stop) - lo] = 0       # not itself
            block[block < params.candidate_threshold] = 0
            # the CANDIDATES best of each row, and every other as good (ties kept: the same in any batch)
            k = min(CANDIDATES, hi - lo)
            kth = -np.partition(-block, k - 1, axis=1)[:, k - 1]
            rows, cols = np.nonzero((block >= kth[:, None]) & (block > 0))
            scores = block[rows, cols]
            i, j = rows + start, cols + lo
            found_i.append(np.minimum(i, j))
            found_j.append(np.maximum(i, j))
            found_s.append(scores)
        if not found_i:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
        rows_i, rows_j, scores = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
        _, first = np.unique(rows_i.astype(np.int64) * n + rows_j, return_index=True)   # each pair once, in order
        return rows_i[first].astype(np.int64), rows_j[first].astype(np.int64), scores[first]

    def verify(self, rows_i: np.ndarray, rows_j: np.ndarray, params: LinkParams) -> np.ndarray:
        """Which pairs (``rows_i[k]``, ``rows_j[k]``), whose cosines reach the threshold, report one event
        (see the module's doc), all pairs at once."""
        def common(x: sparse.csr_matrix, y: sparse.csr_matrix) -> np.ndarray:
            return np.asarray(x[rows_i].multiply(y[rows_j]).sum(axis=1)).ravel()

        shared = common(self.top, self.has) + common(self.has, self.top) - common(self.top, self.top)
        figures_i, figures_j = np.diff(self.figures.indptr)[rows_i], np.diff(self.figures.indptr)[rows_j]
        other_figures = (figures_i > 0) & (figures_j > 0) & (common(self.figures, self.figures) == 0)
        today_i, today_j = self.today[rows_i], self.today[rows_j]
        each_its_own_day = (today_i != 0) & (today_j != 0) & ((today_i & self.said[rows_j]) == 0) \
            & ((today_j & self.said[rows_i]) == 0)
        return (shared >= params.min_shared) & ~other_figures & ~each_its_own_day

    def why(self, i: int, j: int, cosine: float) -> str:
        """The reason of a link: its cosine, the strong terms and the figures the two share."""
        def row(m: sparse.csr_matrix, k: int) -> set[int]:
            return set(m.indices[m.indptr[k]:m.indptr[k + 1]].tolist())

        shared = (row(self.top, i) & row(self.has, j)) | (row(self.top, j) & row(self.has, i)) \
            | (row(self.figures, i) & row(self.figures, j))
        return f"cosine {cosine:.2f}; shared {' '.join(sorted(self.terms[c] for c in shared))}"


def link(feats: Iterable[Features], per_day: Callable[[str], tuple[int, Counter]], params: LinkParams) -> list[Link]:
    """The links among ``feats`` (each pair once, first id < second id, sorted)."""
    vectors = Vectors(feats, per_day)
    if len(vectors) < 2:
        return []
    rows_i, rows_j, cosines = vectors.candidates(params)
    sites = np.asarray([feat.site for feat in vectors.feats])
    needed = np.where(sites[rows_i] == sites[rows_j], params.same_site_threshold, params.threshold)
    strong = cosines >= needed
    rows_i, rows_j, cosines = rows_i[strong], rows_j[strong], cosines[strong]
    accepted = np.concatenate([vectors.verify(rows_i[k:k + PAIRS], rows_j[k:k + PAIRS], params)
                               for k in range(0, len(rows_i), PAIRS)] or [np.zeros(0, bool)])
    verified = list(zip(rows_i[accepted].tolist(), rows_j[accepted].tolist(), cosines[accepted].tolist()))
    feats_ = vectors.feats
    best: dict[tuple[int, str], list[tuple[float, str]]] = {}       # (row, site) → [(-cosine, other id)]
    for i, j, cosine in verified:
        best.setdefault((i, feats_[j].site), []).append((-cosine, feats_[j].id))
        best.setdefault((j, feats_[i].site), []).append((-cosine, feats_[i].id))
    kept = {slot: {other for _, other in sorted(links)[:MAX_LINKS]} for slot, links in best.items()}
    out = []
    for i, j, cosine in verified:
        a, b = feats_[i], feats_[j]
        if b.id in kept[(i, b.site)] and a.id in kept[(j, a.site)]:
            x, y = sorted((a.id, b.id))
            out.append(Link(x, y, round(cosine, 6), vectors.why(i, j, cosine)))
    return sorted(out, key=lambda lk: (lk.a, lk.b))


def stories(links: Iterable[Link], first: dict[str, tuple[float, str]]) -> dict[str, str]:
    """Article id → story id for every linked article: ``links`` joined from the strongest down, two groups
    merging only when at least ``MERGE_SHARE`` of the pairs between them are linked; each story named by
    its first article (``first``: id → (publication time, id))."""
    links = sorted(set((lk.a, lk.b, lk.score) for lk in links), key=lambda t: (-t[2], t[0], t[1]))
    linked = {(a, b) for a, b, _ in links}
    group: dict[str, list[str]] = {}
    for a, b, _ in links:
        ga, gb = group.setdefault(a, [a]), group.setdefault(b, [b])
        if ga is gb:
            continue
        between = sum((min(x, y), max(x, y)) in linked for x in ga for y in gb)
        if between >= MERGE_SHARE * len(ga) * len(gb):
            merged = ga + gb
            for x in merged:
                group[x] = merged
    out = {}
    for members in {id(g): g for g in group.values()}.values():
        story = min(members, key=lambda x: first[x])
        out.update({x: story for x in members})
    return out
