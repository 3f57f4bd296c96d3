"""``arshif verify``: walk a whole archive (any backend) and list every problem.

* ``articles/``: every object parses, validates against the schema, sits at the key its site, date and id
  name, its text hashes to its ``content_sha256``; where the backend keeps them (S3), the stored SHA-256
  checksum matches the bytes and the ``content-sha256`` metadata matches the record; no article id is
  stored twice (under two dates or sites), no canonical URL under two ids; the WARC file a record points to
  exists.
* ``versions/``: the same checks, plus: the key's hash is the record's, the article it is a past version of
  exists, and it is not the article's current text.
* ``runs/``: every run report parses and every key its manifest (``keys_written``) lists exists. Articles
  no manifest lists (written by a run that was killed before storing its report) are counted as
  "unlisted": data teams reading manifests would miss them, but the archive itself is whole.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

from ..record import problems as schema_problems
from .base import Archive
from .keys import parse_article_key

_VERSION_KEY = re.compile(r"^versions/site=(?P<site>[a-z0-9_]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/"
                          r"(?P<id>[0-9a-f]{20})/(?P<sha>[0-9a-f]{64})\.json$")
_RUN_KEY = re.compile(r"^runs/site=[a-z0-9_]+/date=\d{4}-\d{2}-\d{2}/[^/]+\.json$")
KNOWN_PREFIXES = ("articles/", "versions/", "runs/", "warc/", "leases/", "stories/")   # stories/: crawler/stories
MAX_SCHEMA_MESSAGES = 3


@dataclass
class Verification:
    archive: str
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def summary(self) -> str:
        c = self.counts
        return (f"verify {self.archive}: {c['articles']} articles, {c['versions']} past versions, "
                f"{c['runs']} run manifests, {c['warc']} WARC files, {c['unlisted']} articles in no manifest, "
                f"{len(self.problems)} problems")


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class _Fetcher:
    """Bytes (and, where the backend has ``stat``, stored checksum and metadata) of many keys, in parallel."""

    def __init__(self, archive: Archive, workers: int):
        self.archive = archive
        self.workers = workers
        self.stat = getattr(archive, "stat", None)

    def one(self, key: str):
        info = self.stat(key) if self.stat else None
        return key, self.archive.get(key), info

    def many(self, keys: Iterable[str]):
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="arshif-verify") as pool:
            yield from pool.map(self.one, keys)


def _check_object(v: Verification, key: str, data: bytes | None, info) -> dict | None:
    """Parse and validate one record; report problems; the record or None when unusable."""
    if data is None:
        v.problem(key, "listed but cannot be read")
        return None
    if info is not None and info.checksum_sha256 and info.checksum_sha256 != _b64_sha256(data):
        v.problem(key, "stored SHA-256 checksum does not match the object's bytes")
    try:
        record = json.loads(data)
    except ValueError as exc:
        v.problem(key, f"not valid JSON ({exc.msg} at line {exc.lineno})")
        return None
    if not isinstance(record, dict):
        v.problem(key, "not a JSON object")
        return None
    found = schema_problems(record)
    for message in found[:MAX_SCHEMA_MESSAGES]:
        v.problem(key, f"schema: {message}")
    if len(found) > MAX_SCHEMA_MESSAGES:
        v.problem(key, f"schema: {len(found) - MAX_SCHEMA_MESSAGES} more schema errors")
    text = record.get("text")
    if isinstance(text, str) and hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("content_sha256"):
        v.problem(key, "text does not match content_sha256")
    if info is not None and info.metadata.get("content-sha256") not in (None, record.get("content_sha256")):
        v.problem(key, "object metadata content-sha256 differs from the record's")
    return record


def verify_archive(archive: Archive, *, workers: int = 8) -> Verification:
    v = Verification(archive.url)
    fetch = _Fetcher(archive, workers)
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for key in archive.list(""):
        prefix = key.split("/", 1)[0] + "/"
        if prefix in KNOWN_PREFIXES:
            by_prefix[prefix].append(key)
        else:
            v.problem(key, "unexpected object outside articles/, versions/, runs/, warc/")
    all_keys = {k for keys in by_prefix.values() for k in keys}
    v.counts["warc"] = len(by_prefix["warc/"])

    # ---- articles
    where_id: dict[str, list[str]] = defaultdict(list)
    ids_of_url: dict[str, set[str]] = defaultdict(set)
    latest_sha: dict[tuple[str, str, str], str] = {}
    for key, data, info in fetch.many(by_prefix["articles/"]):
        parts = parse_article_key(key)
        if parts is None:
            v.problem(key, "unexpected key under articles/ (expected articles/site=S/date=D/<id>.json)")
            continue
        v.counts["articles"] += 1
        where_id[parts["id"]].append(key)
        record = _check_object(v, key, data, info)
        if record is None:
            continue
        if record.get("id") != parts["id"] or record.get("site") != parts["site"]:
            v.problem(key, f"record says site {record.get('site')!r} id {record.get('id')!r}, the key says otherwise")
        if record.get("canonical_url"):
            ids_of_url[record["canonical_url"]].add(parts["id"])
        latest_sha[(parts["site"], parts["date"], parts["id"])] = record.get("content_sha256", "")
        warc = record.get("warc")
        if isinstance(warc, dict) and warc.get("file") and warc["file"] not in all_keys:
            v.problem(key, f"its WARC file {warc['file']} is not in the archive")
    for article, keys in where_id.items():
        if len(keys) > 1:
            v.problem(keys[0], f"article id {article} is stored {len(keys)} times: {', '.join(keys)}")
    for url, ids in ids_of_url.items():
        if len(ids) > 1:
            v.problem(url, f"canonical URL stored under {len(ids)} article ids: {', '.join(sorted(ids))}")

    # ---- past versions
    for key, data, info in fetch.many(by_prefix["versions/"]):
        match = _VERSION_KEY.match(key)
        if match is None:
            v.problem(key, "unexpected key under versions/ (expected versions/site=S/date=D/<id>/<sha256>.json)")
            continue
        v.counts["versions"] += 1
        record = _check_object(v, key, data, info)
        if record is None:
            continue
        if record.get("content_sha256") != match["sha"] or record.get("id") != match["id"]:
            v.problem(key, "record's id or content_sha256 differs from its key")
        current = latest_sha.get((match["site"], match["date"], match["id"]))
        if current is None:
            v.problem(key, "past version of an article that is not in articles/")
        elif current == match["sha"]:
            v.problem(key, "past version identical to the article's current text")

    # ---- run manifests
    listed: set[str] = set()
    for key, data, _ in fetch.many(by_prefix["runs/"]):
        if not _RUN_KEY.match(key):
            v.problem(key, "unexpected key under runs/")
            continue
        v.counts["runs"] += 1
        try:
            report = json.loads(data or b"")
            written = report["keys_written"]
            counts = report["counts"]
            if not isinstance(written, list) or not isinstance(counts, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            v.problem(key, "not a run report (JSON with counts and keys_written)")
            continue
        missing = [k for k in written if k not in all_keys]
        for k in missing[:5]:
            v.problem(key, f"manifest lists {k}, which is not in the archive")
        if len(missing) > 5:
            v.problem(key, f"manifest lists {len(missing) - 5} more keys that are not in the archive")
        listed.update(written)
    v.counts["unlisted"] = sum(1 for k in by_prefix["articles/"] if k not in listed)
    return v
