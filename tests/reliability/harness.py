"""What every reliability scenario shares: crawling the replica (with faults, then without) and measuring
the archive itself against the replica's gold: articles expected, archived, lost, duplicated, garbled,
unaccounted (in no run manifest). Each scenario adds one :class:`Row`; the suite prints them as one table at
its end (``tests/conftest.py``, gathered from the xdist workers too)."""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.storage.base import Archive
from crawler.verify import verify_archive

ROWS: list["Row"] = []
COLUMNS = ("scenario", "faults injected", "expected", "archived", "lost", "duplicated", "garbled", "unaccounted")

ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# UTF-8 Arabic read as windows-1252/latin-1 ("Ø§Ù„…"), or windows-1256 bytes read as latin-1 ("ÇáÚ…")
MOJIBAKE = re.compile(r"[ØÙÚÛ][\u0080-\u00ff\u0152-\u2122]|[ÇÈÊËÌÍÎÏÐÑÒÓÔÕÖ×][áãäåæçèéêëìíîï]")
MIN_ARABIC_SHARE = 0.6     # of the letters of an article's text (Latin names, "RT"… are a few words)


@dataclass
class Row:
    scenario: str
    faults: str
    expected: int
    archived: int
    lost: int
    duplicated: int
    garbled: int
    unaccounted: int
    details: dict = field(default_factory=dict)

    def cells(self) -> tuple:
        return (self.scenario, self.faults, self.expected, self.archived, self.lost, self.duplicated,
                self.garbled, self.unaccounted)

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.garbled == self.unaccounted == 0


def garbled_reason(text: str) -> str | None:
    """Why ``text`` (an archived title or text) is not Arabic text as it was written, or None."""
    if not text:
        return None
    if "\ufffd" in text:
        return "U+FFFD replacement characters"
    if MOJIBAKE.search(text):
        return "mojibake"
    letters = [ch for ch in text if unicodedata.category(ch).startswith("L")]
    if len(letters) >= 10 and sum(bool(ARABIC.match(ch)) for ch in letters) / len(letters) < MIN_ARABIC_SHARE:
        return "mostly non-Arabic letters"
    return None


def archived_records(archive: Archive) -> list[dict]:
    return [json.loads(archive.get(key)) for key in archive.list("articles/")]


def expected_articles(replica, sites) -> dict[str, str]:
    """The replica's gold: canonical URL → title of every article (not the pages that are not articles)."""
    return {a.url(replica.base_urls[site]): a.title for site in sites for a in replica.articles(site)
            if a.kind != "not_article"}


def measure(scenario: str, faults: str, archive: Archive, expected: dict[str, str]) -> Row:
    """One row, measured from ``archive`` (any backend) against the gold (``expected_articles``). Stored in
    :data:`ROWS` before the scenario asserts on it. An article is identified by its canonical URL, or by its
    gold title when archived under a URL the gold does not know (the same article twice)."""
    records = archived_records(archive)
    by_title = {title: url for url, title in expected.items()}
    identity = [r["canonical_url"] if r["canonical_url"] in expected else by_title.get(r.get("title"), r["canonical_url"])
                for r in records]
    garbled = {r["canonical_url"]: why for r in records
               if (why := garbled_reason(r.get("title") or "") or garbled_reason(r.get("text") or ""))}
    verification = verify_archive(archive)
    lost = sorted(set(expected) - set(identity))
    row = Row(scenario, faults, len(expected), len(records), lost=len(lost),
              duplicated=len(identity) - len(set(identity)), garbled=len(garbled),
              unaccounted=verification.counts["unlisted"],
              details={"lost": lost, "garbled": garbled, "problems": verification.problems[:10],
                       "unexpected": sorted(set(identity) - set(expected))})
    ROWS.append(row)
    return row


def describe(injected: dict[str, int], extra: str = "") -> str:
    """The "faults injected" cell: each kind with the number of requests it hit."""
    parts = ", ".join(f"{kind}×{n}" for kind, n in sorted(injected.items())) or "none hit"
    return f"{parts} {extra}" if extra else parts


def table(rows: list[Row]) -> str:
    cells = [COLUMNS] + [tuple(str(c) for c in row.cells()) for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = [" | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def scan_for(values: list[str], roots: list[Path], texts: list[str]) -> list[str]:
    """Where any of ``values`` (secrets) shows up: file paths under ``roots`` (any file, bytes; gzip files
    decompressed) and the indices of ``texts`` (process outputs)."""
    import gzip

    found = []
    needles = [v.encode() for v in values if v]
    for root in roots:
        for path in Path(root).rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                try:
                    data += gzip.decompress(data)
                except (OSError, EOFError):
                    pass
            if any(n in data for n in needles):
                found.append(str(path))
    for i, text in enumerate(texts):
        if any(v and v in text for v in values):
            found.append(f"output #{i}")
    return found
