"""The article record, typed: :class:`ArticleRecord` holds every field with its type, nullability, constraints
and descriptions, and is the one source of what the record is. Generated from it:

* the JSON Schema, the published contract (:func:`json_schema`; committed as
  ``crawler/schema/article.schema.json`` by ``python -m crawler.extract.record``);
* the dataset's Arrow schema (``crawler/dataset/schema.py``) and ``docs/schema.md`` (``crawler/dataset/docs.py``);
* :data:`CONTENT_FIELDS` and the cheap check of a record our own code built (:meth:`ArticleRecord.problems`).

``tests/test_record.py`` fails when the committed JSON Schema is not what this module generates, and when the
cheap check and the JSON Schema disagree about a record.

A record built here is checked once, by :meth:`ArticleRecord.problems` (plain Python, compiled from the same
field specs); the full JSON Schema check (:func:`problems`) is for records that come from outside: stored files
read back (``arshif verify``), old archives.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import typing
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from importlib import resources
from types import UnionType
from typing import Any, Callable

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_VERSION = 1
OFFSET = r"(Z|[+-]\d{2}:\d{2})$"         # an ISO 8601 time with its offset
WEB = "^https?://"


def spec(*, doc: str | None = None, column: str | None = None, pattern: str | None = None, fmt: str | None = None,
         min_length: int | None = None, minimum: int | None = None, enum: tuple | None = None, const: Any = None,
         arrow: str | None = None, content: bool = False, required: bool = True, omit_null: bool = False,
         default: Any = MISSING, item_min_length: int | None = None, value_minimum: int | None = None):
    """A field of the record and what it means: ``doc`` the JSON Schema's description (None: none there),
    ``column`` the dataset column's description, ``pattern``/``fmt``/``min_length``/``minimum``/``enum``/``const``
    the JSON Schema's constraints (``item_min_length`` of a list's strings, ``value_minimum`` of a map's values),
    ``arrow`` the width of an integer column (int16/int32/int64), ``content`` part of the article itself
    (:data:`CONTENT_FIELDS`), ``required`` in every stored record (else absent in older ones), ``omit_null``
    left out of the stored JSON while null."""
    meta = {"doc": doc, "column": column, "pattern": pattern, "format": fmt, "minLength": min_length,
            "minimum": minimum, "enum": enum, "const": const, "arrow": arrow, "content": content,
            "required": required, "omit_null": omit_null, "item_minLength": item_min_length,
            "value_minimum": value_minimum}
    return field(default=default, metadata=meta)


@dataclass
class Extractor:
    name: str = spec(column="extraction library (trafilatura)")
    version: str = spec(column="its version")
    rules: str = spec(column="our cleaning rules' version, site@N.M")
    notes: dict[str, int] | None = spec(
        doc="Cleaning rules that fired in a way that may be wrong, name → count (cut_at_box, long_cut, "
            "box_without_headline, lead_restated, dump_without_chrome); empty when none.",
        column="cleaning rules that fired in a way that may be wrong, name → count; null in records written "
               "before arshif 0.2", required=False, omit_null=True, value_minimum=1, arrow="int32",
        default=None)


@dataclass
class WarcPointer:
    file: str = spec(column="archive key of the WARC file holding the raw response")
    offset: int = spec(column="byte offset of the response record in that file (each record is its own gzip "
                              "member)", minimum=0, arrow="int64")
    record_id: str = spec(column="WARC-Record-ID of the response record")


@dataclass
class ArticleRecord:
    """One archived news article: cleaned text plus metadata. Stored as
    articles/site=<site>/date=<YYYY-MM-DD>/<id>.json (latest version) and, once edited, the previous versions
    under versions/site=<site>/date=<YYYY-MM-DD>/<id>/<content_sha256>.json."""

    # the fields in the stored JSON's order (what the extractor gives, then what the crawl knows)
    schema_version: int = spec(const=SCHEMA_VERSION, arrow="int16",
                               column=f"version of the JSON record's schema ({SCHEMA_VERSION})")
    id: str = spec(pattern="^[0-9a-f]{20}$", content=True,
                   doc="First 20 hex digits of SHA-256 of '<site>/<the site's own article number>' ('<site><canonical "
                       "path>' for URLs without one); independent of host, scheme, port, query and slug; stable "
                       "across versions.",
                   column="First 20 hex digits of SHA-256 of '<site>/<the site's own article number>' ('<site><canonical "
                          "path>' for URLs without one); independent of host, scheme, port, query and slug; stable "
                          "across versions; unique in the whole dataset")
    url: str = spec(fmt="uri", pattern=WEB, doc="URL as fetched (after redirects).",
                    column="URL as fetched (after redirects)")
    canonical_url: str = spec(fmt="uri", pattern=WEB, content=True,
                              column="canonical URL: no tracking parameters, AMP or fragment variants")
    site: str = spec(pattern="^[a-z][a-z0-9_]*$", content=True,
                     doc="The site's key, the name of its module in crawler/sites (rt_arabic, elbalad); the archive "
                         "partition site=<site>.",
                     column="rt_arabic or elbalad (Hive partition site=…)")
    title: str = spec(min_length=1, content=True, column="headline")
    description: str | None = spec(content=True, column="summary the page gives, if any")
    authors: list[str] = spec(item_min_length=1, content=True, column="bylines, possibly empty")
    published_at: str | None = spec(fmt="date-time", pattern=OFFSET, content=True,
                                    doc="ISO 8601 with offset; null when the page carries no date.",
                                    column="publication time in UTC; null when the page carries no date")
    modified_at: str | None = spec(fmt="date-time", pattern=OFFSET, content=True,
                                   column="last modification time the page states, in UTC")
    section: str | None = spec(content=True, column="the site's section")
    tags: list[str] = spec(item_min_length=1, content=True, column="the page's tags, possibly empty")
    image: str | None = spec(content=True, column="lead image URL")
    language: str = spec(pattern="^[a-z]{2}$", content=True, column="ISO 639-1 code (ar)")
    text: str = spec(min_length=1, content=True,
                     doc="The cleaned article body: paragraphs joined with a newline, title not included.",
                     column="the cleaned article body: paragraphs joined with a newline, title not included")
    word_count: int = spec(minimum=1, arrow="int32", content=True, column="words in text")
    content_sha256: str = spec(pattern="^[0-9a-f]{64}$", content=True,
                               doc="SHA-256 of text (UTF-8); a new value means a new version.",
                               column="SHA-256 of text (UTF-8); a new value means a new version")
    extractor: Extractor = spec(column="what extracted the text")
    first_seen_at: str | None = spec(
        fmt="date-time", pattern=OFFSET, required=False,
        doc="When discovery (a feed, sitemap, listing) first showed the article; kept across versions. Absent in "
            "records written before it existed.",
        column="when discovery first showed the article, in UTC; null in records written before it was kept")
    fetched_at: str = spec(fmt="date-time", pattern=OFFSET, column="when this version was fetched, in UTC")
    run_id: str = spec(min_length=1, column="the run that fetched this version")
    discovered_by: str | None = spec(
        enum=("feed", "sitemap", "listing", "id_probe", "revisit", None), required=False,
        doc="How this version's fetch was found: the kind of discovery source that led to it (a feed, a sitemap "
            "(robots.txt's included), a listing, or a probe of the site's own article number: id_probe, a page no "
            "feed, sitemap or listing showed), or revisit (an archived article fetched again on its revisit_after "
            "schedule); null for arshif refetch and for records written before the field existed.",
        column="the kind of discovery source that led to this version's fetch: feed, sitemap, listing or id_probe "
               "(a probe of the site's own article number), or revisit (an archived article fetched again on its "
               "revisit_after schedule); null for arshif refetch and older records")
    warc: WarcPointer | None = spec(
        doc="Where the raw response is: the WARC file's archive key and the byte offset of its response record (each "
            "record is its own gzip member).",
        column="where the raw response is; null when it was not recorded")
    version: int = spec(minimum=1, arrow="int32", default=1, doc="1 for the first archived text, +1 for each edit seen.",
                        column="1 for the first archived text, +1 for each edit seen")
    removed_at: str | None = spec(
        fmt="date-time", pattern=OFFSET, required=False, omit_null=True, default=None,
        doc="When the site was found to have taken the article down (a second check confirmed it); absent or null "
            "while it is online. Its text and versions are kept.",
        column="when the site was found to have taken the article down (a second check confirmed it), in UTC; "
               "null while it is online")
    removed_how: str | None = spec(
        required=False, omit_null=True, default=None,
        doc="How the site answered when the article was taken down: 'HTTP 404', 'HTTP 410', or 'HTTP 301 to "
            "/<section path>'.",
        column="how the site answered then: HTTP 404, HTTP 410, or HTTP 301 to /<section path>")

    @classmethod
    def complete(cls, extracted: dict, *, fetched_at: datetime, run_id: str, warc: dict | None,
                 first_seen_at: datetime | None = None, discovered_by: str | None = None) -> ArticleRecord:
        """The extractor's fields plus what the crawl knows: when discovery first showed it (``first_seen_at``,
        default the fetch), when it was fetched, which run, which kind of discovery source led to the page,
        where the raw bytes are. Its ``version`` is the default, 1, until :func:`versioned` decides it against what
        the archive holds."""
        ex = extracted["extractor"]
        return cls(**{**extracted,
                      "schema_version": SCHEMA_VERSION,
                      "extractor": Extractor(ex["name"], ex["version"], ex["rules"], ex.get("notes")),
                      "first_seen_at": min(first_seen_at or fetched_at, fetched_at).isoformat(timespec="seconds"),
                      "fetched_at": fetched_at.isoformat(timespec="seconds"),
                      "run_id": run_id,
                      "discovered_by": discovered_by,
                      "warc": WarcPointer(**warc) if warc is not None else None})

    def problems(self) -> list[str]:
        """Every way this record breaks the schema, as 'field: message' strings (empty when valid): the
        checks of the JSON Schema, compiled from the same field specs, without building the JSON first."""
        out: list[str] = []
        for name, check in _checks(type(self)):
            check(getattr(self, name), name, out)
        return out

    def to_dict(self) -> dict:
        """The stored form's fields, in their stored order."""
        return _to_dict(self)


def _to_dict(obj) -> dict:
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None and f.metadata["omit_null"]:
            continue
        out[f.name] = _to_dict(value) if hasattr(value, "__dataclass_fields__") else value
    return out


# The fields that are the article itself (text and metadata), as opposed to how and when it was fetched and
# extracted (url as fetched, fetched_at, run_id, warc, extractor, version): a re-extraction that changes none
# of these changes nothing.
CONTENT_FIELDS = tuple(f.name for f in fields(ArticleRecord) if f.metadata["content"])


def same_content(a: dict, b: dict) -> bool:
    """Do the records ``a`` and ``b`` say the same article: same text and metadata?"""
    return all(a.get(name) == b.get(name) for name in CONTENT_FIELDS)


def content_digest(record: dict) -> str:
    """SHA-256 of the record's text and metadata (:data:`CONTENT_FIELDS`), of their ``repr``: strict about types
    (``1`` is not ``1.0``, a list is not a tuple), so equal digests mean :func:`same_content`; a digest that
    differs says nothing (ask :func:`same_content`). Re-extraction's workers compute it of what they extract,
    the index keeps it of what is archived (``ArticleIndex.content``): an unchanged article is told without
    reading its archived record."""
    return hashlib.sha256(repr([record.get(name) for name in CONTENT_FIELDS]).encode("utf-8")).hexdigest()


def versioned(record: dict, archived_version: int | None) -> dict:
    """``record`` with its ``version`` decided: 1 when nothing is archived, else the archived one's + 1. The
    one place a version is decided (the crawl's plan, every store, re-extraction)."""
    return {**record, "version": 1 if archived_version is None else int(archived_version) + 1}


# ------------------------------------------------------------------------------ the schema, generated

def kind_of(hint) -> tuple[Any, bool]:
    """(the non-null type, nullable) of a field's annotation."""
    args = typing.get_args(hint)
    if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union:
        return [a for a in args if a is not type(None)][0], type(None) in args
    return hint, False


def type_hints(cls) -> dict:
    return typing.get_type_hints(cls, vars(sys.modules[__name__]))


def _json_property(hint, meta) -> dict:
    kind, nullable = kind_of(hint)
    if meta["const"] is not None:
        return {"const": meta["const"]}
    prop: dict[str, Any] = {}
    if hasattr(kind, "__dataclass_fields__"):
        prop = {"type": "object", "additionalProperties": False, **_json_object(kind)}
    elif typing.get_origin(kind) is list:
        prop = {"type": "array", "items": {"type": "string", "minLength": meta["item_minLength"]}}
    elif typing.get_origin(kind) is dict:
        prop = {"type": "object", "additionalProperties": {"type": "integer", "minimum": meta["value_minimum"]}}
    else:
        prop = {"type": {str: "string", int: "integer"}[kind]}
    if nullable:
        prop["type"] = [prop["type"], "null"]
    for key in ("enum", "format", "pattern", "minLength", "minimum"):
        if meta[key] is not None:
            prop[key] = list(meta[key]) if key == "enum" else meta[key]
    if meta["doc"]:
        prop["description"] = meta["doc"]
    return prop


def _json_object(cls) -> dict:
    hints = type_hints(cls)
    return {"required": [f.name for f in fields(cls) if f.metadata["required"]],
            "properties": {f.name: _json_property(hints[f.name], f.metadata) for f in fields(cls)}}


def json_schema() -> dict:
    """The JSON Schema of the stored record, generated from :class:`ArticleRecord`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://github.com/arshif/arshif/schema/article/v{SCHEMA_VERSION}.json",
        "title": f"arshif article record, schema version {SCHEMA_VERSION}",
        "description": " ".join(ArticleRecord.__doc__.split()),
        "type": "object",
        "additionalProperties": False,
        **_json_object(ArticleRecord),
    }


def render_json_schema() -> str:
    """The committed file's text: ``crawler/schema/article.schema.json``."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------- the cheap check, compiled

Check = Callable[[Any, str, list], None]


def _value_check(hint, meta) -> Check:
    kind, nullable = kind_of(hint)
    tests: list[Callable[[Any, str, list], bool]] = []

    def add(test: Callable[[Any], bool], message: str):
        tests.append(lambda v, where, out: test(v) or out.append(f"{where}: {v!r} {message}"))

    if meta["const"] is not None:
        const = meta["const"]
        add(lambda v: v == const and type(v) is type(const), f"is not {const!r}")
    elif hasattr(kind, "__dataclass_fields__"):
        inner = _checks(kind)
        tests.append(lambda v, where, out: (isinstance(v, kind) or out.append(f"{where}: is not an object")) and
                     [c(getattr(v, n), f"{where}.{n}", out) for n, c in inner])
    elif typing.get_origin(kind) is list:
        least = meta["item_minLength"] or 0
        add(lambda v: isinstance(v, list) and all(isinstance(i, str) and len(i) >= least for i in v),
            f"is not an array of strings of at least {least} characters")
    elif typing.get_origin(kind) is dict:
        least = meta["value_minimum"]
        add(lambda v: isinstance(v, dict) and all(type(n) is int and n >= least for n in v.values()),
            f"is not an object of integers >= {least}")
    else:
        py = {str: (str,), int: (int,)}[kind]
        add(lambda v: isinstance(v, py) and not isinstance(v, bool), f"is not of type {kind.__name__}")
        if meta["enum"] is not None:
            allowed = meta["enum"]
            add(lambda v: v in allowed, f"is not one of {list(allowed)}")
        if meta["pattern"] is not None:
            rx = re.compile(meta["pattern"])
            add(lambda v: not isinstance(v, str) or rx.search(v) is not None,
                f"does not match {meta['pattern']!r}")
        if meta["format"] == "date-time":
            add(lambda v: not isinstance(v, str) or _is_datetime(v), "is not a 'date-time'")
        if meta["minLength"] is not None:
            n = meta["minLength"]
            add(lambda v: not isinstance(v, str) or len(v) >= n, "is too short")
        if meta["minimum"] is not None:
            m = meta["minimum"]
            add(lambda v: not isinstance(v, int) or v >= m, f"is less than the minimum of {m}")

    def check(value, where: str, out: list) -> None:
        if value is None:
            if not nullable:
                out.append(f"{where}: None is not allowed")
            return
        for test in tests:
            test(value, where, out)

    return check


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value


@lru_cache(maxsize=None)
def _checks(cls) -> tuple[tuple[str, Check], ...]:
    hints = type_hints(cls)
    return tuple((f.name, _value_check(hints[f.name], f.metadata)) for f in fields(cls))


# ------------------------------------------------------------------- records from outside: the full check

@lru_cache(maxsize=1)
def schema() -> dict:
    """The published JSON Schema, as committed."""
    return json.loads(resources.files("crawler.schema").joinpath("article.schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def complete(extracted: dict, **how) -> dict:
    """:meth:`ArticleRecord.complete`, in the stored form."""
    return ArticleRecord.complete(extracted, **how).to_dict()


def problems(record: dict) -> list[str]:
    """Every way ``record`` (read from outside: a stored file, an old archive) breaks the published JSON Schema,
    as 'field: message' strings (empty when valid)."""
    out = []
    for err in sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "record"
        out.append(f"{where}: {err.message}")
    return out


def encode(record: dict) -> bytes:
    """The stored form: UTF-8 JSON, Arabic unescaped, keys in schema order."""
    return (json.dumps(record, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n").encode("utf-8")


if __name__ == "__main__":          # python -m crawler.extract.record > crawler/schema/article.schema.json
    sys.stdout.write(render_json_schema())
