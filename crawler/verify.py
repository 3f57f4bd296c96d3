"""``arshif verify``: walk a whole archive (any backend) and list every problem.

* ``articles/``: every object parses, validates against the schema, sits at the key its site, date and id
  name, its text hashes to its ``content_sha256``; where the backend keeps them (S3), the stored SHA-256
  checksum matches the bytes and the ``content-sha256`` metadata matches the record; no article id is
  stored twice (under two dates or sites), no canonical URL under two ids; the WARC file a record points to
  exists.
* ``versions/``: the same checks, plus: the key's hash is the record's, the article it is a past version of
  exists, and it is not the article's current text.
* articles whose title and text are not text (``crawler/extract/garbled.py``: replacement characters, mojibake, the
  wrong script) are a problem, repaired by ``arshif refetch ID``; past versions are kept as they were.
* ``runs/``: every run report parses and every key its manifest (``keys_written``) lists exists. An article
  or past version no manifest lists ("unlisted": written by a run that died before its report) is a
  problem: data teams following the manifests would miss it. :func:`jobs.verify.repair_manifests` (``arshif verify
  --repair``) lists them in a recovery manifest per site (``kind: "recovery"``).
* ``datasets/``: every key is a day's Parquet file, and each day's newest file reads with the dataset's
  schema and holds each of that day's articles at most once (see ``_verify_dataset``).
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from crawler.extract.garbled import garbled
from crawler.extract.record import problems as schema_problems
from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import (ARTICLE_KEY_SHAPE, ARTICLES, DATASETS, KNOWN_PREFIXES, RUN_KEY_SHAPE, RUNS,
                                          VERSION_KEY_SHAPE, VERSIONS, WARC, article_key, parse_article_key,
                                          parse_dataset_key, parse_run_key, parse_version_key, top_prefix)
MAX_SCHEMA_MESSAGES = 3


@dataclass
class Verification:
    archive: str
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)     # articles and past versions in no run manifest

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def summary(self) -> str:
        c = self.counts
        return (f"verify {self.archive}: {c['articles']} articles, {c['versions']} past versions, "
                f"{c['runs']} run manifests, {c['warc']} WARC files, {c['unlisted']} articles in no manifest, "
                f"{c['dataset_days']} dataset days, {len(self.problems)} problems")


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class _Fetcher:
    """Bytes (and, where the backend keeps them: ``archive.remote``, stored checksum and metadata) of many
    keys, in parallel."""

    def __init__(self, archive: Archive, workers: int):
        self.archive = archive
        self.workers = workers
        self.recognised: dict[str, list[str]] = defaultdict(list)   # kind → the keys ``parsed`` recognised

    def one(self, key: str):
        info = self.archive.stat(key) if self.archive.remote else None
        return key, self.archive.get(key), info

    def many(self, keys: Iterable[str]):
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="arshif-verify") as pool:
            yield from pool.map(self.one, keys)

    def parsed(self, v: Verification, keys: list[str], parse: Callable[[str], dict | None], kind: str,
               expected: str) -> Iterator[tuple[str, dict, bytes | None, object]]:
        """``(key, parts, data, info)`` of each of ``keys`` (one prefix's, ``kind`` being its name and its count)
        that ``parse`` names the parts of, fetched, counted and kept in ``recognised``; every other key is a
        problem saying the key ``expected`` there."""
        known = []
        for key in keys:
            parts = parse(key)
            if parts is None:
                v.problem(key, f"unexpected key under {kind}/ (expected {expected})")
            else:
                known.append((key, parts))
                self.recognised[kind].append(key)
        v.counts[kind] += len(known)
        for (key, parts), (_, data, info) in zip(known, self.many(key for key, _ in known)):
            yield key, parts, data, info


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
        prefix = top_prefix(key)
        if prefix in KNOWN_PREFIXES:
            by_prefix[prefix].append(key)
        else:
            v.problem(key, "unexpected object outside articles/, versions/, runs/, warc/, datasets/")
    all_keys = {k for keys in by_prefix.values() for k in keys}
    v.counts["warc"] = sum(1 for k in by_prefix[WARC] if k.endswith(".warc.gz"))   # not their .cdxj indexes

    # ---- articles
    where_id: dict[str, list[str]] = defaultdict(list)
    ids_of_url: dict[str, set[str]] = defaultdict(set)
    latest_sha: dict[tuple[str, str, str], str] = {}
    for key, parts, data, info in fetch.parsed(v, by_prefix[ARTICLES], parse_article_key, "articles",
                                               ARTICLE_KEY_SHAPE):
        where_id[parts["id"]].append(key)
        record = _check_object(v, key, data, info)
        if record is None:
            continue
        if record.get("id") != parts["id"] or record.get("site") != parts["site"]:
            v.problem(key, f"record says site {record.get('site')!r} id {record.get('id')!r}, the key says otherwise")
        if record.get("canonical_url"):
            ids_of_url[record["canonical_url"]].add(parts["id"])
        latest_sha[(parts["site"], parts["date"], parts["id"])] = record.get("content_sha256", "")
        why = garbled(f"{record.get('title') or ''}\n{record.get('text') or ''}", record.get("language") or "")
        if why:
            v.problem(key, f"garbled text ({why}): fetch it again with `arshif refetch {parts['id']}`")
        warc = record.get("warc")
        if isinstance(warc, dict) and warc.get("file") and warc["file"] not in all_keys:
            v.problem(key, f"its WARC file {warc['file']} is not in the archive")
    for article, keys in where_id.items():
        if len(keys) > 1:
            v.problem(keys[0], f"article id {article} is stored {len(keys)} times: {', '.join(keys)}")
    for url, ids in ids_of_url.items():
        if len(ids) > 1:
            v.problem(url, f"canonical URL stored under {len(ids)} article ids: {', '.join(sorted(ids))}")
    ids_of_text: dict[tuple[str, str], list[str]] = defaultdict(list)       # (site, text) → ids
    for (site, _, article), sha in latest_sha.items():
        if sha:
            ids_of_text[(site, sha)].append(article)
    for (_, sha), ids in ids_of_text.items():
        if len(ids) > 1:      # one page (a denial or error page?) archived as several articles
            v.problem(f"text {sha[:12]}", f"the same text is the article of {len(ids)} ids: {', '.join(sorted(ids))} "
                      "(a page that stood in for them? fetch them again with `arshif refetch`)")

    # ---- past versions
    for key, match, data, info in fetch.parsed(v, by_prefix[VERSIONS], parse_version_key, "versions",
                                               VERSION_KEY_SHAPE):
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
    for key, _, data, _ in fetch.parsed(v, by_prefix[RUNS], parse_run_key, "runs",
                                        RUN_KEY_SHAPE):
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
    v.unlisted = sorted(k for k in fetch.recognised["articles"] + fetch.recognised["versions"] if k not in listed)
    v.counts["unlisted"] = sum(1 for k in v.unlisted if k.startswith(ARTICLES))
    for key in v.unlisted:
        v.problem(key, "in no run manifest (written by a run that died before its report?); "
                       "`arshif verify --repair` lists it in a recovery manifest")
    _verify_dataset(v, fetch, by_prefix[DATASETS], set(fetch.recognised["articles"]))
    return v


def _verify_dataset(v: Verification, fetch: _Fetcher, keys: list[str], article_keys: set[str]) -> None:
    """``datasets/``: every key is a day's Parquet file; each day's newest file (the day, for readers) reads
    with the dataset's schema, holds each article once, and only articles stored under that site and day.
    (A day may lag its articles for a while — a later compaction catches up — so missing rows are not
    problems.)"""
    from crawler.dataset.naming import PartName
    from crawler.dataset.table import from_parquet

    newest: dict[str, str] = {}
    for key in keys:
        match = parse_dataset_key(key)
        if match is None or PartName.parse(match["name"]) is None:
            v.problem(key, "unexpected key under datasets/ (expected datasets/articles/site=S/date=D/part-….parquet)")
            continue
        folder = key.rsplit("/", 1)[0]
        newest[folder] = max(newest.get(folder, ""), key)
    v.counts["dataset_days"] = len(newest)
    for key, data, _ in fetch.many(sorted(newest.values())):
        match = parse_dataset_key(key)
        try:
            ids = from_parquet(data or b"").column("id").to_pylist()
        except Exception as exc:             # pyarrow raises several kinds for a file it cannot read
            v.problem(key, f"not a Parquet file of the dataset's schema ({type(exc).__name__})")
            continue
        if len(ids) != len(set(ids)):
            v.problem(key, f"{len(ids) - len(set(ids))} articles appear twice in the day's file")
        strays = [i for i in ids if article_key(match["site"], match["date"], i) not in article_keys]
        if strays:
            v.problem(key, f"{len(strays)} rows are not articles of that site and day (first: {strays[0]})")
