"""JSON-LD read by a library or by hand: the measurement behind ``crawler/extract/metadata.py``'s use of extruct.

    .venv/bin/python bench/metadata.py

Pages: every article page (and AMP variant) the replica renders for both sites in both layouts (1 the known
markup, 2 the redesign), and the HTML fixtures of ``tests/fixtures/html``. Three readers of the JSON-LD:
``handwritten`` (the reader ``crawler/extract/metadata.py`` had before, kept here as the baseline: ``json.loads`` of
each script), ``extruct`` (extruct's ``JsonLdExtractor``, what ``crawler/extract/metadata.py`` uses now; the mapping of
schema.org fields is ours in both) and ``trafilatura`` (Trafilatura's own metadata). Two comparisons,
agreement per field with the hand-written reader (share of pages giving the same value) and time per page:

1. **JSON-LD alone** — ``metadata._from_json_ld`` with each reader; ``trafilatura``: its JSON-LD reader
   (``trafilatura.metadata.extract_meta_json``: title, author, category only).
2. **The record** (what is archived: every source merged, dates parsed in the site's zone) —
   ``metadata.page_metadata`` with each reader; ``trafilatura``: its metadata extraction of the whole page
   (``extract_metadata``). On the replica, each is also checked against the gold metadata (title, authors,
   dates, image).

Figures only; exit code 0.
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from trafilatura.metadata import Document, extract_meta_json, extract_metadata  # noqa: E402
from trafilatura.utils import load_html  # noqa: E402

from crawler.extract import metadata  # noqa: E402
from crawler.dates import parse_date  # noqa: E402
from crawler.extract.page import decode  # noqa: E402
from crawler.sites import SITES  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
BASE_URL = "http://127.0.0.1:8800"
FIELDS = ("title", "authors", "published", "modified", "section", "image", "description")
GOLD_FIELDS = ("title", "authors", "published", "modified", "image")


@dataclass
class Page:
    group: str              # "<site> layout <n>" or "fixtures"
    site: str
    url: str
    tree: object
    gold: dict | None       # the replica's metadata of the article


def _replica_pages() -> list[Page]:
    from bench import extraction
    from replica import corpus

    pages = []
    for site in sorted(SITES):
        articles = {a.url(BASE_URL): a for a in corpus.build(site, NOW)}
        for layout in (1, 2):
            for page in extraction.replica_pages(site, NOW, BASE_URL, layout):
                if not page.gold:
                    continue                        # not an article: no metadata to compare
                article = articles.get(page.url.split("?")[0]) or articles.get(page.url.rsplit("/amp", 1)[0])
                gold = None if article is None else {
                    "title": article.title, "authors": list(article.authors), "image": article.image,
                    "published": article.published and article.published.isoformat(),
                    "modified": article.modified and article.modified.isoformat()}
                pages.append(Page(f"{site} layout {layout}", site, page.url,
                                  load_html(decode(page.body, page.encoding)), gold))
    return pages


def _fixture_pages() -> list[Page]:
    pages = []
    for path in sorted((ROOT / "tests" / "fixtures" / "html").glob("*.html")):
        site = next(s for s in SITES if path.name.startswith(s))
        pages.append(Page("fixtures", site, SITES[site].default_base_url, load_html(decode(path.read_bytes())),
                          None))
    return pages


# --- the JSON-LD readers ---------------------------------------------------------------------------------

def _handwritten_objects(tree):
    """The hand-written reader extruct replaced: strict ``json.loads`` of each script, ``@graph`` opened."""
    for raw in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


def _with_reader(reader, call):
    saved = metadata._ld_objects
    metadata._ld_objects = reader
    try:
        return call()
    finally:
        metadata._ld_objects = saved


def _fields(meta: metadata.PageMetadata) -> dict:
    return {name: getattr(meta, name) for name in FIELDS}


def ld_handwritten(page: Page) -> dict:
    return _fields(_with_reader(_handwritten_objects, lambda: metadata._from_json_ld(page.tree)))


def ld_extruct(page: Page) -> dict:
    return _fields(metadata._from_json_ld(page.tree))


def _from_document(document: Document) -> dict:
    authors = [a.strip() for a in (document.author or "").split(";") if a.strip()]
    return {"title": document.title, "authors": authors, "published": document.date, "modified": None,
            "section": (document.categories or [None])[0], "image": document.image,
            "description": document.description}


def ld_trafilatura(page: Page) -> dict:
    return _from_document(extract_meta_json(page.tree, Document()))


def _record(page: Page, fields: dict) -> dict:
    """As ``crawler.extract.page`` stores them: dates parsed in the site's zone, the image URL made absolute."""
    zone = SITES[page.site].timezone
    fields = dict(fields)
    for name in ("published", "modified"):
        fields[name] = parse_date(fields[name], zone, NOW)
    fields["image"] = urljoin(page.url, fields["image"]) if fields["image"] else None
    return fields


def record_handwritten(page: Page) -> dict:
    meta = _with_reader(_handwritten_objects,
                        lambda: metadata.page_metadata(page.tree, SITES[page.site].extraction))
    return _record(page, _fields(meta))


def record_extruct(page: Page) -> dict:
    return _record(page, _fields(metadata.page_metadata(page.tree, SITES[page.site].extraction)))


_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


def record_trafilatura(page: Page) -> dict:
    return _record(page, _from_document(extract_metadata(page.tree, page.url, _DATE_PARAMS, extensive=False)))


# --- the comparison ----------------------------------------------------------------------------------------

def compare(title: str, pages: list[Page], readers: dict[str, Callable[[Page], dict]], gold: bool) -> list[str]:
    for page in pages[:5]:                                   # warm-up (dateparser's locale data, caches)
        for read in readers.values():
            read(page)
    results: dict[str, list[dict]] = {}
    seconds: dict[str, float] = {}
    for name, read in readers.items():
        started = time.perf_counter()
        results[name] = [read(page) for page in pages]
        seconds[name] = time.perf_counter() - started
    groups = defaultdict(list)
    for i, page in enumerate(pages):
        groups[page.group].append(i)
    lines = [f"== {title}: {len(pages)} pages", "time per page: " + ", ".join(
        f"{name} {seconds[name] / len(pages) * 1e6:.0f} µs" for name in readers)]
    base, *others = readers                                   # agreement with the first reader
    header = f"{'pages':<22} {'reader':<12} " + " ".join(f"{f:>11}" for f in FIELDS)
    lines.append(f"agreement with {base} (share of pages with the same value):")
    lines.append(header)
    for group, index in [("all", range(len(pages))), *sorted(groups.items())]:
        for name in others:
            shares = [sum(results[name][i][f] == results[base][i][f] for i in index) / len(index) for f in FIELDS]
            lines.append(f"{group:<22} {name:<12} " + " ".join(f"{s:>11.3f}" for s in shares))
    if gold:
        graded = [i for i, page in enumerate(pages) if page.gold]
        lines.append(f"agreement with the replica's gold metadata ({len(graded)} pages):")
        lines.append(f"{'pages':<22} {'reader':<12} " + " ".join(f"{f:>11}" for f in GOLD_FIELDS))
        for name in readers:
            shares = [sum(results[name][i][f] == pages[i].gold[f] for i in graded) / len(graded) for f in GOLD_FIELDS]
            lines.append(f"{'replica':<22} {name:<12} " + " ".join(f"{s:>11.3f}" for s in shares))
    for name in others:
        diffs = [(pages[i].url, f, results[base][i][f], results[name][i][f])
                 for i in range(len(pages)) for f in FIELDS if results[name][i][f] != results[base][i][f]]
        for url, f, ours, theirs in diffs[:3]:
            lines.append(f"  e.g. {name} {f} on {url}: {base} {ours!r} / {name} {theirs!r}")
    return lines


def main() -> int:
    pages = _replica_pages() + _fixture_pages()
    readers_ld = {"handwritten": ld_handwritten, "extruct": ld_extruct, "trafilatura": ld_trafilatura}
    readers_record = {"handwritten": record_handwritten, "extruct": record_extruct,
                      "trafilatura": record_trafilatura}
    print("\n".join(compare("JSON-LD alone", pages, readers_ld, gold=False)))
    print("\n".join(compare("the record (all sources merged)", pages, readers_record, gold=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
