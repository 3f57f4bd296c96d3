"""``arshif migrate-ids``: an archive written with 0.1's ids (SHA-256 of the whole canonical URL) moved to the
ids of 0.2 — same articles, every version kept, duplicates of one article merged, verify clean, idempotent;
on a local folder and on S3."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.archive.storage.keys import parse_article_key, parse_version_key
from crawler.archive.storage.s3 import S3Archive
from crawler.archive.storage.store import JSON
from crawler.extract.record import encode
from crawler.sites import get_site
from crawler.urls import article_id
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env, expected_urls, run_reports
from tests.s3_server import ISOLATING_ENV, s3_settings

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")


@pytest.fixture(scope="module")
def now() -> datetime:
    """The replica's clock for every crawl of this module, taken when the first one starts (not when the
    suite is collected: a replica clock behind real time makes an edit older than the fetch before it)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def old_id(canonical_url: str) -> str:
    """The id arshif 0.1 gave an article."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]


def downgrade(src: Path, dst: Path) -> None:
    """Copy the archive ``src`` into ``dst`` as arshif 0.1 wrote it: keys and record ids from the whole
    canonical URL, run manifests listing those keys."""
    key_map = {}
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        key = path.relative_to(src).as_posix()
        if parse_article_key(key) or parse_version_key(key):
            record = json.loads(path.read_bytes())
            new = key.replace(record["id"], old_id(record["canonical_url"]))
            key_map[key] = new
            target = dst / new
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(encode({**record, "id": old_id(record["canonical_url"])}))
        elif not key.startswith("runs/"):
            (dst / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dst / key)
    for path in sorted((src / "runs").rglob("*.json")):
        report = json.loads(path.read_bytes())
        report["keys_written"] = [key_map.get(k, k) for k in report["keys_written"]]
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, ensure_ascii=False), "utf-8")


def identity(record: dict) -> str:
    """``<site>/<article number>`` of a record, from its canonical URL's path."""
    return get_site(record["site"]).identity("/" + record["canonical_url"].split("/", 3)[3])


def texts(root: Path) -> dict[str, set[str]]:
    """Article identity → every text the archive keeps of it, current and past."""
    out: dict[str, set[str]] = {}
    for path in root.rglob("*.json"):
        key = path.relative_to(root).as_posix()
        if parse_article_key(key) or parse_version_key(key):
            record = json.loads(path.read_bytes())
            out.setdefault(identity(record), set()).add(record["content_sha256"])
    return out


def objects_of(root: Path, prefix: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / prefix).rglob("*.json"))


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, now):
    """Two crawls of the replica as 0.1 made them: one (with an edit, so past versions exist) into ``a``, one
    of the replica on another port into ``b`` — the ``make demo`` twice that doubled archives."""
    tmp = tmp_path_factory.mktemp("migrate")
    with ReplicaServer(port=0, now=now, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp / "a")
        assert arshif("crawl", env=env).returncode == 0
        article = next(a for a in replica.articles("elbalad") if a.kind == "article")
        replica.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc))
        assert arshif("crawl", "elbalad", env=env).returncode == 0
        expected = {site: len(expected_urls(replica, site)) for site in SITES}
    with ReplicaServer(port=0, host="localhost", now=now, plain=PLAIN) as replica:
        result = arshif("crawl", env=crawl_env(replica, tmp / "b"))
        assert result.returncode == 0, result.stderr[-2000:]
    old_a, old_ab = tmp / "old-a", tmp / "old-ab"
    downgrade(tmp / "a" / "archive", old_a)
    downgrade(tmp / "a" / "archive", old_ab)
    downgrade(tmp / "b" / "archive", old_ab)
    return tmp, expected


def migrate(root: Path, tmp: Path, *sites: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    env.update(ARSHIF_ARCHIVE__STATE_DIR=str(tmp / "state"))
    return arshif("migrate-ids", *sites, "--archive", f"file://{root}", env=env)


def verify(root: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    return arshif("verify", "--archive", f"file://{root}", env=env)


def test_migration_keeps_every_article_and_version(crawled, tmp_path):
    tmp, expected = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-a", root)
    before_texts, before_versions = texts(root), objects_of(root, "versions")
    assert before_versions, "the fixture archive has past versions"
    result = migrate(root, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "moved to new ids" in result.stdout
    for site in SITES:
        articles = [k for k in objects_of(root, "articles") if f"site={site}/" in k]
        assert len(articles) == expected[site]
        for key in articles:                                   # the key and the record carry the new id
            record = json.loads((root / key).read_bytes())
            new_id = hashlib.sha256(identity(record).encode()).hexdigest()[:20]
            assert record["id"] == parse_article_key(key)["id"] == new_id
            assert new_id == article_id(record["canonical_url"], get_site(site).default_base_url, get_site(site))
    assert texts(root) == before_texts                         # every text of every article kept
    assert len(objects_of(root, "versions")) == len(before_versions)
    checked = verify(root)
    assert checked.returncode == 0, checked.stdout
    assert " 0 problems" in checked.stdout and " 0 articles in no manifest" in checked.stdout


def test_migration_is_idempotent(crawled, tmp_path):
    tmp, _ = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-a", root)
    assert migrate(root, tmp_path).returncode == 0
    before = mtimes(root)
    again = migrate(root, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("ids already current, nothing changed") == len(SITES)
    assert "0 run manifests rewritten" in again.stdout
    assert mtimes(root) == before


def test_duplicates_written_by_two_demos_are_merged(crawled, tmp_path):
    """0.1 archived every article twice when the replica's port changed: one article each after migrating,
    the edited article's two texts kept (the latest as the article, the other as its past version)."""
    tmp, expected = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-ab", root)
    before = texts(root)
    assert len(objects_of(root, "articles")) == 2 * sum(expected.values())
    result = migrate(root, tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(objects_of(root, "articles")) == sum(expected.values())
    assert texts(root) == before
    edited = [k for k, shas in texts(root).items() if len(shas) == 2]
    assert len(edited) == 1 and len(objects_of(root, "versions")) == 1
    checked = verify(root)
    assert checked.returncode == 0, checked.stdout


def test_after_migrating_a_crawl_archives_nothing_again(crawled, now, tmp_path):
    """The command rebuilds the index: the next crawl knows every article by its new id."""
    tmp, expected = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-ab", root)
    assert migrate(root, tmp_path).returncode == 0
    before = mtimes(root / "articles")
    with ReplicaServer(port=0, now=now, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path)          # archive tmp_path/archive, state tmp_path/state
        result = arshif("crawl", env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        for site in SITES:
            report = run_reports(root, site)[-1]
            assert report["counts"]["new"] == 0 and report["counts"]["updated"] == 0
            fetched = replica.stats(site)
            assert not [a for a in replica.articles(site) if a.kind != "not_article" and fetched.get(a.url_path)]
    assert mtimes(root / "articles") == before


def test_a_busy_outbox_is_flushed_first(crawled, tmp_path):
    from crawler.archive.delivery.outbox import Outbox
    from crawler.archive.state.index import archive_state_dir

    tmp, _ = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-a", root)
    Outbox(archive_state_dir(tmp_path / "state", f"file://{root}") / "outbox").add_bytes(
        "runs/site=elbalad/date=2026-11-20/x.json", b"{}", content_type=JSON)
    before = mtimes(root)
    result = migrate(root, tmp_path)
    assert result.returncode == 1
    assert "outbox holds 1 writes" in result.stderr and "arshif flush" in result.stderr
    assert mtimes(root) == before


def test_migration_on_s3(crawled, s3_server, s3_url, tmp_path):
    tmp, expected = crawled
    archive = S3Archive(s3_url, s3_settings(s3_server))
    source = tmp / "old-ab"
    for path in sorted(source.rglob("*")):
        if path.is_file():
            archive.put(path.relative_to(source).as_posix(), path.read_bytes(), content_type=JSON)
    env = {k: v for k, v in os.environ.items()
           if k not in ISOLATING_ENV and not k.startswith("ARSHIF_") and not k.startswith("AWS_")}
    env.update(s3_server.env)
    env.update({"ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
                "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
                "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path", "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2"})
    result = arshif("migrate-ids", "--archive", s3_url, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert len(list(archive.list("articles/"))) == sum(expected.values())
    assert len(list(archive.list("versions/"))) == 1
    checked = arshif("verify", "--archive", s3_url, env=env)
    assert checked.returncode == 0, checked.stdout
    keys = {k: archive.stat(k).etag for k in archive.list("")}
    again = arshif("migrate-ids", "--archive", s3_url, env=env)
    assert again.returncode == 0 and again.stdout.count("nothing changed") == len(SITES)
    assert {k: archive.stat(k).etag for k in archive.list("")} == keys
    archive.close()


class Killed(Exception):
    pass


@pytest.mark.parametrize("dies_at", ["put", "delete"])
def test_a_killed_migration_is_finished_by_the_next_run(crawled, tmp_path, dies_at):
    """New objects and manifests are written before any old key goes: a kill among the writes or the
    deletes leaves old and new side by side, which the next run sorts out; nothing is lost."""
    from crawler.archive.storage.local import LocalArchive
    from crawler.config import load_settings
    from jobs.migrate_ids import migrate as migrate_archive

    class DiesMidway(LocalArchive):
        calls = 0

        def _count(self):
            if self.calls == 25:
                raise Killed
            self.calls += 1

        def put(self, key, data, **kwargs):
            if dies_at == "put":
                self._count()
            return super().put(key, data, **kwargs)

        def delete(self, key):
            if dies_at == "delete":
                self._count()
            return super().delete(key)

    tmp, expected = crawled
    root = tmp_path / "archive"
    shutil.copytree(tmp / "old-ab", root)
    before = texts(root)
    with pytest.raises(Killed):
        migrate_archive(DiesMidway(f"file://{root}"), load_settings(environ={}), list(SITES))
    assert texts(root) == before                       # half-way: nothing lost
    result = migrate(root, tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(objects_of(root, "articles")) == sum(expected.values())
    assert texts(root) == before
    checked = verify(root)
    assert checked.returncode == 0, checked.stdout


def test_it_does_not_run_beside_a_crawl_of_the_site(tmp_path):
    from crawler.config import load_settings
    from crawler.run.lock import SiteLock

    root = tmp_path / "archive"
    root.mkdir()
    settings = load_settings(environ={"ARSHIF_ARCHIVE__URL": f"file://{root}",
                                      "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state")})
    with SiteLock(settings, "elbalad"):
        busy = migrate(root, tmp_path)
    assert busy.returncode == 75 and "elbalad" in busy.stderr
    idle = migrate(root, tmp_path)
    assert idle.returncode == 0 and idle.stdout.count("nothing changed") == len(SITES)
