"""``arshif migrate-ids [SITE ...] [--archive URL]``: move an archive written by arshif 0.1 to the ids of 0.2.

0.1 named an article by a hash of its whole canonical URL, so the same article reached under another host,
port, scheme or slug was archived again under another id. 0.2 names it by its site and the site's own
article number (``crawler.urls.article_id``). This command rewrites ``articles/`` and ``versions/`` under
the new ids (the ``id`` field inside each record too), merges articles that turn out to be one (every text
kept: the latest fetched is the article, the others its past versions), points the run manifests'
``keys_written`` at the new keys, and rebuilds this machine's index.

Crash-safe order: every new object is written, then the manifests, and only then are old keys deleted; a
second run finishes what a killed one left and otherwise changes nothing. It holds each site's local lock
and (S3) write lease, so it never runs beside a crawl of the same site. Exit 0 done (or nothing to do),
1 some objects could not be read (left as they were, listed), 2 bad configuration, 75 a crawl holds a site.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone

from crawler.archive.storage import ArchiveUnavailable, open_archive
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.archive.storage.keys import (article_key, articles_prefix, parse_article_key, parse_version_key, runs_prefix,
                                  version_key, versions_prefix)
from crawler.archive.state.lease import LeaseHeld
from crawler.archive.delivery.outbox import Outbox
from crawler.archive.storage.store import JSON, object_metadata
from crawler.config import SettingsError
from crawler.extract.record import encode
from crawler.run.lock import LockBusy, hold_site
from crawler.sites import get_site
from crawler.urls import article_id
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every configured site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


@dataclass(frozen=True)
class Stored:
    """One archived record (article or past version), as much of it as grouping needs."""
    key: str
    date: str
    id: str               # the id its key carries
    new_id: str           # the id its canonical URL has now
    sha: str
    current: bool         # under articles/ (else versions/)


@dataclass
class Migration:
    """What a run did, for the summary lines."""
    articles: int = 0            # articles after the migration
    rewritten: int = 0           # articles whose id changed
    merged: int = 0              # old articles folded into another one
    written: int = 0             # objects written
    deleted: int = 0             # old objects deleted
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.deleted)


def _fetch_many(archive, keys: list[str], workers: int = 8):
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arshif-migrate") as pool:
        yield from pool.map(lambda k: (k, archive.get(k)), keys)


def _parse(key: str) -> tuple[str, str, bool] | None:
    """``(date, id, current)`` of an article or version key, or None."""
    parts = parse_article_key(key)
    if parts is not None:
        return parts["date"], parts["id"], True
    parts = parse_version_key(key)
    return (parts["date"], parts["id"], False) if parts else None


def _read_site(archive, site: str, base_url: str, result: Migration) -> list[Stored]:
    spec = get_site(site)
    keys = list(archive.list(articles_prefix(site))) + list(archive.list(versions_prefix(site)))
    found = []
    for key, data in _fetch_many(archive, keys):
        parsed = _parse(key)
        if parsed is None:
            continue                                   # not ours to move; `arshif verify` names it
        try:
            record = json.loads(data or b"")
            new_id = article_id(record["canonical_url"], base_url, spec)
            sha = record["content_sha256"]
        except (ValueError, KeyError, TypeError):
            result.problems.append(f"{key}: not a readable article record; left as it is")
            continue
        date, old_id, current = parsed
        found.append(Stored(key, date, old_id, new_id, sha, current))
    return found


def _done(group: list[Stored]) -> bool:
    """Already one article under its new id: one current record, its past versions beside it."""
    current = [s for s in group if s.current]
    return (len(current) == 1 and all(s.id == s.new_id and s.date == current[0].date for s in group)
            and not any(s.sha == current[0].sha for s in group if not s.current))


def _order(records: list[dict]) -> list[dict]:
    """One record per text (the latest fetched of it: the latest URL wins), oldest first (the last is the
    article); version numbers kept where they tell a consistent story, else numbered afresh in that order
    (several 0.1 articles merged into one)."""
    by_sha: dict[str, dict] = {}
    for rec in sorted(records, key=lambda r: (_when(r), int(r.get("version") or 1))):
        by_sha[rec["content_sha256"]] = rec
    ordered = sorted(by_sha.values(), key=lambda r: (_when(r), int(r.get("version") or 1), r["content_sha256"]))
    versions = [int(r.get("version") or 1) for r in ordered]
    if versions != sorted(set(versions)):
        ordered = [{**rec, "version": n} for n, rec in enumerate(ordered, 1)]
    return ordered


def _when(record: dict) -> datetime:
    try:
        return datetime.fromisoformat(record.get("fetched_at") or "")
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def _migrate_group(archive, site: str, new_id: str, group: list[Stored], key_map: dict[str, str],
                   result: Migration) -> list[str]:
    """Write ``group`` as one article under ``new_id``; fill ``key_map`` (old key → new key); return the
    old keys to delete once every manifest points at the new ones."""
    records = []
    for _key, data in _fetch_many(archive, [s.key for s in group]):
        if data is None:
            continue                                  # deleted since listed (a killed run's leftovers)
        records.append(json.loads(data))
    if not records:
        return []
    date = min(s.date for s in group)
    ordered = _order(records)
    targets: dict[str, dict] = {}
    for rec in ordered[:-1]:
        targets[version_key(site, date, new_id, rec["content_sha256"])] = {**rec, "id": new_id}
    latest = ordered[-1]
    new_article = article_key(site, date, new_id)
    targets[new_article] = {**latest, "id": new_id}
    where = {rec["content_sha256"]: key for key, rec in targets.items()}
    # past versions first, the article last: a kill in between leaves the old article whole
    for key, rec in targets.items():
        data = encode(rec)
        if archive.get(key) != data:
            archive.put(key, data, content_type=JSON, metadata=object_metadata(rec))
            result.written += 1
    old = [s for s in group if s.key not in targets]
    for s in old:
        key_map[s.key] = where.get(s.sha, new_article)     # a merged duplicate's text: now a past version
    if any(s.id != new_id for s in group if s.current):
        result.rewritten += 1
    result.merged += max(0, len({s.id for s in group if s.current}) - 1)
    return [s.key for s in old]


def _rewrite_manifests(archive, key_map: dict[str, str]) -> int:
    """Point every run manifest's ``keys_written`` at the new keys; the number of manifests rewritten."""
    if not key_map:
        return 0
    rewritten = 0
    keys = list(archive.list(runs_prefix()))
    for key, data in _fetch_many(archive, keys):
        try:
            report = json.loads(data or b"")
            written = report["keys_written"]
            if not isinstance(written, list):
                continue
        except (ValueError, KeyError, TypeError):
            continue                                   # not a run report; `arshif verify` names it
        if not any(k in key_map for k in written):
            continue
        report["keys_written"] = list(dict.fromkeys(key_map.get(k, k) for k in written))
        archive.put(key, json.dumps(report, ensure_ascii=False).encode("utf-8"), content_type=JSON)
        rewritten += 1
    return rewritten


def migrate(archive, settings, sites: list[str]) -> tuple[dict[str, Migration], int]:
    """Migrate ``sites`` of ``archive`` to the current ids: the per-site results and the number of run
    manifests rewritten."""
    results: dict[str, Migration] = {}
    key_map: dict[str, str] = {}
    doomed: list[str] = []
    for site in sites:
        result = results[site] = Migration()
        groups: dict[str, list[Stored]] = defaultdict(list)
        for stored in _read_site(archive, site, settings.sites[site].base_url, result):
            groups[stored.new_id].append(stored)
        result.articles = len(groups)
        for new_id, group in sorted(groups.items()):
            if not _done(group):
                doomed += _migrate_group(archive, site, new_id, group, key_map, result)
    manifests = _rewrite_manifests(archive, key_map)
    for key in doomed:                                 # only now: every manifest points at the new keys
        archive.delete(key)
        results[key.split("site=", 1)[1].split("/", 1)[0]].deleted += 1
    return results, manifests


def _sites_in(settings, names: list[str]) -> list[str]:
    for name in names:
        if name not in settings.sites:
            raise SettingsError(f"unknown site {name!r} (known: {', '.join(sorted(settings.sites))})")
    return list(dict.fromkeys(names)) or list(settings.sites)


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    archive = open_archive(settings.archive.url, settings)
    folder = archive_state_dir(settings.archive.state_dir, archive.url)
    sites = _sites_in(settings, args.sites)
    pending = len(Outbox(folder / "outbox"))
    if pending:
        print(f"arshif: migrate-ids: the outbox holds {pending} writes made before the migration; "
              "run `arshif flush` first", file=sys.stderr)
        return 1
    try:
        archive.check()
        with ExitStack() as stack:
            for site in sites:
                hold_site(stack, settings, archive, site)
            results, manifests = migrate(archive, settings, sites)
            for site in sites:
                path = ArticleIndex.path(folder, site)
                for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                    stale.unlink(missing_ok=True)
                index = ArticleIndex.at(folder, site)
                index.rebuild(archive)
                index.close()
    except (LockBusy, LeaseHeld) as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return exc.exit_code
    except ArchiveUnavailable as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return 1
    finally:
        archive.close()
    problems = [p for r in results.values() for p in r.problems]
    for site, r in results.items():
        if r.changed:
            print(f"{site}: {r.articles} articles: {r.rewritten} moved to new ids ({r.merged} duplicates merged), "
                  f"{r.written} objects written, {r.deleted} old objects deleted")
        else:
            print(f"{site}: {r.articles} articles: ids already current, nothing changed")
    print(f"migrate-ids {archive.url}: {manifests} run manifests rewritten; local index rebuilt")
    for line in problems:
        print(f"problem: {line}")
    return 1 if problems else 0
