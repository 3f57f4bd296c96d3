"""The Parquet dataset on a local archive: a crawl of the replica compacts what it wrote; DuckDB and pandas
read every article exactly once with the published types; an unchanged day is never rewritten; an edit
rewrites its day only; a reader never sees a day twice or missing while the day is rewritten; a failed
compaction is caught up by the next run; ``arshif export`` round-trips in its three formats."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.store import Planned, store_article
from crawler.archive.storage.keys import dataset_day_prefix, parse_article_key
from crawler.dataset.compact import article_days, compact_day, compact_site, day_files
from crawler.dataset.schema import FILE_SCHEMA
from crawler.config import load_settings
from crawler.run.report import RunReport
from crawler.run.after_run import compact_after_run
from replica.server import ReplicaServer
from tests.crawl_helpers import archived, arshif, crawl_env, read_while_rewriting
from tests.dataset_readers import (ARTICLES_PER_SITE_PER_DAY, STORIES_OF_BOTH_OUTLETS_THIS_WEEK, duckdb_dataset,
                                   read_articles)

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of the replica (which compacts what it wrote, as every run does)."""
    tmp = tmp_path_factory.mktemp("dataset")
    with ReplicaServer(port=0) as replica:
        env = crawl_env(replica, tmp, after_run=True)
        result = arshif("crawl", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, env


@pytest.fixture
def archive_copy(crawled, tmp_path):
    """A copy of the crawled archive for a test that changes it, and the environment pointing at it."""
    tmp, env = crawled
    shutil.copytree(tmp / "archive", tmp_path / "archive")
    return tmp_path / "archive", {**env, "ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive",
                                  "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state")}


def records_by_id(root: Path) -> dict[str, dict]:
    return {r["id"]: r for r in archived(root)}


def utc(iso: str | None):
    return None if iso is None else datetime.fromisoformat(iso).astimezone(timezone.utc)


def read_pandas(root: Path) -> pd.DataFrame:
    return read_articles(str(root / "datasets" / "articles"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every dataset file: (inode, mtime in ns) — a rewrite changes both."""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted((root / "datasets").rglob("*")) if p.is_file()}


def test_duckdb_reads_every_article_exactly_once_with_the_published_types(crawled):
    tmp, _ = crawled
    root = tmp / "archive"
    records = records_by_id(root)
    con = duckdb.connect()
    rel = duckdb_dataset(con, f"{root}/datasets/articles")
    rows = con.sql(f"SELECT id, site, date, title, published_at, authors, tags, warc, story_id FROM {rel}").fetchall()
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)) == len(records)
    assert set(ids) == set(records)
    for article_id, site, date, title, published_at, authors, tags, warc, story_id in rows:
        record = records[article_id]
        assert (site, title, authors, tags) == (record["site"], record["title"], record["authors"], record["tags"])
        assert published_at == utc(record["published_at"])
        assert date.isoformat() == (record["published_at"] and utc(record["published_at"]).date().isoformat()
                                    or utc(record["fetched_at"]).date().isoformat())
        assert warc == record["warc"]
        assert story_id is not None          # the crawl linked its stories before it compacted
    types = dict(con.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {rel})").fetchall())
    assert types["published_at"] == types["fetched_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == types["tags"] == "VARCHAR[]"
    assert types["date"] == "DATE" and types["word_count"] == "INTEGER" and types["story_id"] == "VARCHAR"
    # the replica's cross-site events share a story_id in the dataset
    both = con.sql(f"SELECT story_id FROM {rel} GROUP BY story_id HAVING count(DISTINCT site) = 2").fetchall()
    assert both
    assert types["warc"].replace('"', '') == 'STRUCT(file VARCHAR, offset BIGINT, record_id VARCHAR)'
    # the README's query: articles per site per day
    per_day = con.sql(ARTICLES_PER_SITE_PER_DAY).fetchall()
    assert sum(n for *_, n in per_day) == len(records)
    assert {site for site, *_ in per_day} == set(SITES)


def test_pandas_reads_every_article_exactly_once_with_the_published_types(crawled):
    tmp, _ = crawled
    root = tmp / "archive"
    records = records_by_id(root)
    df = read_pandas(root)
    assert df["id"].is_unique and set(df["id"]) == set(records)
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    assert str(df["fetched_at"].dtype) == "datetime64[us, UTC]"
    for row in df.itertuples():
        record = records[row.id]
        assert (row.site, row.title, row.text, row.version) == (record["site"], record["title"], record["text"],
                                                                record["version"])
        assert list(row.authors) == record["authors"] and list(row.tags) == record["tags"]
        assert row.fetched_at.to_pydatetime() == utc(record["fetched_at"])
        assert (pd.isna(row.published_at) if record["published_at"] is None
                else row.published_at.to_pydatetime() == utc(record["published_at"]))
    # one file per day, holding exactly the published schema, zstd-compressed, no partition column inside
    files = sorted((root / "datasets").rglob("*"))
    assert all(p.is_dir() or p.name.startswith("part-") for p in files)
    files = [p for p in files if p.is_file()]
    assert len(files) == len({p.parent for p in files}) == len(set(zip(df["site"], df["date"])))
    for path in files:
        meta = pq.ParquetFile(path)
        assert meta.schema_arrow.remove_metadata() == FILE_SCHEMA.remove_metadata()
        assert meta.metadata.row_group(0).column(0).compression == "ZSTD"


def test_story_ids_given_to_compaction_fill_the_column_and_answer_the_readme_query(archive_copy):
    root, _ = archive_copy
    records = sorted(archived(root), key=lambda r: r["published_at"] or "")
    rt = [r for r in records if r["site"] == "rt_arabic" and r["published_at"]]
    eb = [r for r in records if r["site"] == "elbalad" and r["published_at"]]
    stories = {rt[-1]["id"]: "story-both", eb[-1]["id"]: "story-both", eb[-2]["id"]: "story-both",
               rt[-2]["id"]: "story-rt-only", rt[-3]["id"]: "story-rt-only"}
    archive = LocalArchive(f"file://{root}")
    for site in SITES:
        result = compact_site(archive, site, story_ids=stories)
        assert not result.failed and result.written >= 1
    df = read_pandas(root)
    assert dict(df.dropna(subset=["story_id"]).set_index("id")["story_id"]) == stories
    con = duckdb.connect()
    duckdb_dataset(con, f"{root}/datasets/articles")
    found = con.sql(STORIES_OF_BOTH_OUTLETS_THIS_WEEK).fetchall()
    assert [(story, sites, n) for story, _, sites, n, _ in found] == [("story-both", ["elbalad", "rt_arabic"], 3)]
    first = min((rt[-1], eb[-1], eb[-2]), key=lambda r: utc(r["published_at"]))
    assert found[0][1] == utc(first["published_at"]) and found[0][4] == first["title"]


def test_unchanged_days_are_not_written_again(crawled):
    tmp, env = crawled
    before = snapshot(tmp / "archive")
    done = arshif("compact", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert snapshot(tmp / "archive") == before
    for site in SITES:
        assert f"{site}: " in done.stdout and "(0 written," in done.stdout


def test_an_edit_rewrites_its_day_only(archive_copy):
    root, env = archive_copy
    key = sorted(str(p.relative_to(root)) for p in (root / "articles").rglob("*.json"))[0]
    record = json.loads((root / key).read_text("utf-8"))
    text = record["text"] + "\nفقرة أضيفت بعد النشر."
    edited = {**record, "text": text, "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
              "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    outcome, _, _ = store_article(LocalArchive(f"file://{root}"), Planned("updated", key, edited))
    assert outcome == "updated"
    day = key.split("/")[1] + "/" + key.split("/")[2]
    before = snapshot(root)
    done = arshif("compact", record["site"], env=env)
    assert done.returncode == 0 and "(1 written," in done.stdout, done.stdout + done.stderr[-2000:]
    after = snapshot(root)
    changed = {k for k in after if after[k] != before.get(k)}
    assert len(changed) == 1 and changed.pop().startswith(f"datasets/articles/{day}/part-")
    assert set(before) < set(after), "the replaced file stays for readers that listed the folder before"
    df = read_pandas(root)
    row = df[df["id"] == record["id"]]
    assert len(row) == 1 and row["text"].iloc[0] == text and row["version"].iloc[0] == record["version"] + 1


def test_a_reader_never_sees_a_day_twice_or_missing_while_it_is_rewritten(archive_copy):
    root, _ = archive_copy
    archive = LocalArchive(f"file://{root}")
    expected = len(records_by_id(root))
    days = {(p.parent.parent.name, p.parent.name) for p in (root / "datasets").rglob("part-*.parquet")}
    site, date = sorted(days)[0]
    site, date = site.split("=")[1], date.split("=")[1]
    ids = [p.stem for p in (root / "articles" / f"site={site}" / f"date={date}").glob("*.json")]
    con = duckdb.connect()
    base = f"{root}/datasets/articles"

    def read():
        n, distinct, n_days = con.sql(f"SELECT count(*), count(DISTINCT id), count(DISTINCT (site, date)) "
                                      f"FROM {duckdb_dataset(con, base)}").fetchone()
        df = read_articles(base, columns=["id"])
        return n, distinct, n_days, len(df), df["id"].nunique()

    def rewrite(n):   # the day's story ids alternate, so each compaction really writes
        assert compact_day(archive, site, date, story_ids={i: f"story-{n % 2}" for i in ids}).written

    seen = read_while_rewriting(read, rewrite, min_rewrites=20, max_rewrites=2000)
    assert len(seen) >= 20
    assert set(seen) == {(expected, expected, len(days), expected, expected)}
    assert not list((root / "datasets").rglob(".tmp-*")), "a temporary file was left behind"


def test_replaced_files_stay_for_a_while_then_go(archive_copy):
    root, _ = archive_copy
    archive = LocalArchive(f"file://{root}")
    folder = sorted((root / "datasets").rglob("part-*.parquet"))[0].parent
    site, date = folder.parent.name.split("=")[1], folder.name.split("=")[1]
    ids = [p.stem for p in (root / "articles" / f"site={site}" / f"date={date}").glob("*.json")]
    for n in range(3):
        assert compact_day(archive, site, date, story_ids={i: f"story-{n}" for i in ids}).written
    files = sorted(p.name for p in folder.glob("*.parquet"))
    assert len(files) == 4                                     # the crawl's file and three rewrites
    current = max(files)
    assert not compact_day(archive, site, date, story_ids={i: "story-2" for i in ids}, keep_replaced=0).written
    assert [p.name for p in folder.glob("*.parquet")] == [current]
    assert read_articles(str(root / "datasets" / "articles"))["story_id"].eq("story-2").sum() == len(ids)


def test_a_failed_compaction_is_caught_up_by_the_next_run(archive_copy):
    root, _ = archive_copy
    settings = load_settings(None, overrides={"archive": {"url": f"file://{root}",
                                                          "state_dir": str(root.parent / "state")}})
    archive = LocalArchive(settings.archive.url)
    shutil.rmtree(root / "datasets")
    (root / "datasets").write_text("in the way")            # every write under datasets/ fails
    report = RunReport("20261203T000000Z-elbalad-0000", "elbalad", archive.url)
    report.keys_written = [str(p.relative_to(root)) for p in (root / "articles" / "site=elbalad").rglob("*.json")]
    compact_after_run(archive, settings, [report])
    pending = sorted(root.parent.joinpath("state").rglob("dataset-pending-elbalad.json"))
    assert len(pending) == 1 and json.loads(pending[0].read_text())
    (root / "datasets").unlink()
    later = RunReport("20261203T003000Z-elbalad-0001", "elbalad", archive.url)
    compact_after_run(archive, settings, [later])           # the site's next run, which wrote nothing
    assert not pending[0].exists()
    df = read_pandas(root)
    assert set(df["id"]) == {r["id"] for r in archived(root) if r["site"] == "elbalad"}


def test_articles_of_a_crawl_killed_before_its_compaction_reach_the_dataset_on_the_next_run(archive_copy):
    root, _ = archive_copy
    settings = load_settings(None, overrides={"archive": {"url": f"file://{root}",
                                                          "state_dir": str(root.parent / "state")}})
    archive = LocalArchive(settings.archive.url)
    # what a killed crawl leaves: a new article stored, no compaction, no keys in any report
    record = max((r for r in archived(root) if r["site"] == "rt_arabic" and r["published_at"]),
                 key=lambda r: r["published_at"])
    url = record["canonical_url"] + "-2"
    new = {**record, "url": url, "canonical_url": url, "id": hashlib.sha256(url.encode()).hexdigest()[:20]}
    key = f"articles/site=rt_arabic/date={utc(record['published_at']).date()}/{new['id']}.json"
    assert store_article(archive, Planned("new", key, new))[0] == "new"
    assert new["id"] not in set(read_articles(str(root / "datasets" / "articles"))["id"])
    before = snapshot(root)
    compact_after_run(archive, settings, [RunReport("20261203T010000Z-rt_arabic-0002", "rt_arabic", archive.url)])
    assert new["id"] in set(read_articles(str(root / "datasets" / "articles"))["id"])
    after = snapshot(root)
    assert len({k for k in after if after[k] != before.get(k)}) == 1      # that day only, once


def test_a_run_reads_again_only_the_days_an_article_was_stored_in_since_their_last_compaction(archive_copy):
    """The defect: a day compacted right after its articles were stored looks lagging to the next run (its
    articles were stored within the clock-skew margin before its Parquet file), so every run read every recent
    day again, all of its articles (bench/pipeline.py's incremental run: 5 of its 10 s)."""
    root, _ = archive_copy
    settings = load_settings(None, overrides={"archive": {"url": f"file://{root}",
                                                          "state_dir": str(root.parent / "state")}})

    class Counting(LocalArchive):
        read: list[str] = []

        def get(self, key):
            self.read.append(key)
            return super().get(key)

    archive = Counting(settings.archive.url)
    nothing_written = [RunReport(f"20261203T0{n}0000Z-rt_arabic-000{n}", "rt_arabic", archive.url) for n in range(3)]
    compact_after_run(archive, settings, [nothing_written[0]])     # the crawl's own compaction was just before
    assert archive.read, "the recent days were not checked at all"
    archive.read.clear()
    compact_after_run(archive, settings, [nothing_written[1]])
    assert [k for k in archive.read if k.startswith("articles/")] == []      # known current: no article read

    record = max((r for r in archived(root) if r["site"] == "rt_arabic" and r["published_at"]),
                 key=lambda r: r["published_at"])
    url = record["canonical_url"] + "-2"
    new = {**record, "url": url, "canonical_url": url, "id": hashlib.sha256(url.encode()).hexdigest()[:20]}
    day = utc(record["published_at"]).date()
    key = f"articles/site=rt_arabic/date={day}/{new['id']}.json"
    assert store_article(archive, Planned("new", key, new))[0] == "new"
    archive.read.clear()
    compact_after_run(archive, settings, [nothing_written[2]])     # as after a crawl killed before compacting
    articles_read = [k for k in archive.read if k.startswith("articles/")]
    assert articles_read and {k.split("/")[2] for k in articles_read} == {f"date={day}"}
    assert new["id"] in set(read_articles(str(root / "datasets" / "articles"))["id"])


def test_verify_checks_the_dataset(archive_copy):
    root, env = archive_copy
    days = {p.parent for p in (root / "datasets").rglob("part-*.parquet")}
    done = arshif("verify", env=env)
    assert done.returncode == 0 and f" {len(days)} dataset days, 0 problems" in done.stdout, done.stdout
    folder = sorted(days)[0]
    newest = max(p.name for p in folder.glob("part-*.parquet"))
    bad = newest.replace(newest[5:13], "29991231")             # a later name: the day, for readers
    (folder / bad).write_bytes(b"not parquet")
    (root / "datasets" / "articles" / "notes.txt").write_text("x")
    done = arshif("verify", env=env)
    assert done.returncode == 1
    assert f"{bad}: not a Parquet file of the dataset's schema" in done.stdout
    assert "datasets/articles/notes.txt: unexpected key under datasets/" in done.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_export_round_trips_every_article(crawled, tmp_path, fmt):
    tmp, env = crawled
    root = tmp / "archive"
    expected = read_pandas(root)
    out = tmp_path / f"out.{fmt}"
    done = arshif("export", "--since", "2000-01-01", "--format", fmt, str(out), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"export: {len(expected)} articles" in done.stdout
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    elif fmt == "parquet":
        rows = pq.read_table(out).to_pylist()
    else:
        rows = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(
            column_types={"date": pa.string(), "published_at": pa.string(), "fetched_at": pa.string(),
                          "modified_at": pa.string(), "story_id": pa.string()}, strings_can_be_null=True)).to_pylist()
    assert len(rows) == len({r["id"] for r in rows}) == len(expected)
    records = records_by_id(root)
    for row in rows:
        record = records[row["id"]]
        for name in ("site", "title", "text", "url", "word_count", "version", "content_sha256", "run_id"):
            assert row[name] == record[name], name
        authors, tags = row["authors"], row["tags"]
        if fmt == "csv":
            authors, tags = json.loads(authors), json.loads(tags)
            warc = {"file": row["warc.file"], "offset": row["warc.offset"], "record_id": row["warc.record_id"]}
        else:
            warc = row["warc"]
        assert (authors, tags, warc) == (record["authors"], record["tags"], record["warc"])
        published = row["published_at"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        assert published == utc(record["published_at"])
        assert str(row["date"]) == (utc(record["published_at"]) or utc(record["fetched_at"])).date().isoformat()
        if fmt == "jsonl":          # every field of the record in the record's shape (extractor.notes an object)
            assert {name: shape(row[name]) for name in record} == {name: shape(v) for name, v in record.items()}
            assert row["extractor"] == record["extractor"]
    if fmt == "jsonl":
        assert any(records[row["id"]]["extractor"]["notes"] for row in rows)     # a non-empty map among them
        notes = pajson.read_json(out).schema.field("extractor").type.field("notes").type
        assert pa.types.is_struct(notes), notes                                 # an object, as readers infer it
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask()            # readable as the umask allows


def shape(value):
    """The JSON shape of ``value``: its type, and its members' shapes (a list's: the set of them)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return ("list", frozenset(repr(shape(v)) for v in value))
    return type(value).__name__


def umask() -> int:
    return next(int(line.split()[1], 8) for line in open("/proc/self/status") if line.startswith("Umask:"))


def test_export_filters_by_site_and_dates(crawled, tmp_path):
    tmp, env = crawled
    records = list(records_by_id(tmp / "archive").values())
    days = sorted({(utc(r["published_at"]) or utc(r["fetched_at"])).date().isoformat() for r in records})
    last = days[-1]
    out = tmp_path / "out.jsonl"
    done = arshif("export", "--since", last, "--until", last, "--site", "elbalad", "--format", "jsonl", str(out),
                  env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert rows and {(r["site"], r["date"]) for r in rows} == {("elbalad", last)}
    assert len(rows) == sum(1 for r in records if r["site"] == "elbalad"
                            and (utc(r["published_at"]) or utc(r["fetched_at"])).date().isoformat() == last)


def test_bad_usage_is_one_line_and_exit_2(crawled, tmp_path):
    _, env = crawled
    for args in (("compact", "--since", "yesterday"), ("compact", "nosuchsite"),
                 ("export", "--since", "2026-01-02", "--until", "2026-01-01", "--format", "csv", str(tmp_path / "x")),
                 ("export", "--since", "2026-01-01", "--format", "xml", str(tmp_path / "x"))):
        done = arshif(*args, env=env)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert any(word in done.stderr.strip().splitlines()[-1]
                   for word in ("yesterday", "nosuchsite", "before --since", "xml")), done.stderr
    assert not os.path.exists(tmp_path / "x")


def test_a_day_is_written_a_batch_at_a_time_as_the_same_file(archive_copy):
    """Compaction reads and writes a day ``batch`` articles at a time (one row group each): the file holds
    every article once, in order of id, and has the fingerprint of the day written whole — so a day already
    compacted in one batch is not written again in several."""
    root, _ = archive_copy
    archive = LocalArchive(f"file://{root}")
    site, date = max(((s, d) for s in SITES for d in article_days(archive, s)),
                     key=lambda sd: len(article_days(archive, sd[0])[sd[1]]))
    ids = sorted(parse_article_key(k)["id"] for k in article_days(archive, site)[date])
    assert len(ids) > 7
    assert compact_day(archive, site, date, batch=len(ids)).rows == len(ids)
    assert not compact_day(archive, site, date, batch=3).written        # same fingerprint: nothing written
    assert compact_day(archive, site, date, batch=3, story_ids={ids[0]: "story-x"}).written
    newest = day_files(archive, site, date)[-1]
    data = archive.get(dataset_day_prefix(site, date) + newest.name)
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    assert meta.num_row_groups == -(-len(ids) // 3)
    table = pq.ParquetFile(pa.BufferReader(data)).read()
    assert table.column("id").to_pylist() == ids
    assert table.column("story_id").to_pylist()[0] == "story-x"
    assert table.schema.metadata[b"arshif.fingerprint"].decode().startswith(newest.fingerprint16)
