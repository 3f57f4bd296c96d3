"""The Parquet dataset in a real S3 bucket (SeaweedFS): a crawl of the replica into the bucket compacts what
it wrote; DuckDB (httpfs) and pandas (pyarrow's S3 filesystem) read every article exactly once; a second
compaction makes no PUT at all (counted by the server); a reader never sees a day twice or missing while
the day is rewritten."""
from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import duckdb
import pyarrow.fs as pafs
import pytest

from crawler.archive.storage.s3 import S3Archive
from crawler.dataset.compact import compact_day
from replica.server import ReplicaServer
from tests.crawl_helpers import NO_ID_PROBES, PLAIN, arshif, read_while_rewriting
from tests.dataset_readers import duckdb_dataset, read_articles
from tests.s3_server import ISOLATING_ENV, s3_settings

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")


def httpfs_extension() -> str:
    """The httpfs extension shipped by the ``duckdb-extension-httpfs`` package (INSTALL needs the internet)."""
    import duckdb_extension_httpfs

    found = sorted(Path(duckdb_extension_httpfs.__file__).parent.rglob("httpfs.duckdb_extension"))
    assert found, "duckdb-extension-httpfs ships no httpfs.duckdb_extension"
    return str(found[-1])


@pytest.fixture(scope="module")
def bucket(s3_server, tmp_path_factory):
    """A bucket holding one crawl of the replica (compacted by the crawl itself), and the environment of an
    ``arshif`` process pointing at it."""
    tmp = tmp_path_factory.mktemp("dataset-s3")
    name = s3_server.create_bucket()
    env = {k: v for k, v in os.environ.items()
           if k not in ISOLATING_ENV and not k.startswith(("ARSHIF_", "AWS_"))}
    env.update(s3_server.env)
    env.update({
        "ARSHIF_ARCHIVE__URL": f"s3://{name}/arshif",
        "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state"),
        "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
        "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path",
        "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2",
        "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0",
        "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
        "ARSHIF_CRAWL__EXTRACT_WORKERS": "2",
        **NO_ID_PROBES,
    })
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        for site, url in replica.base_urls.items():
            env[f"ARSHIF_SITES__{site.upper()}__BASE_URL"] = url
        done = arshif("crawl", env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return name, env


def archive_of(s3_server, name: str) -> S3Archive:
    session = boto3.session.Session(aws_access_key_id=s3_server.access_key,
                                    aws_secret_access_key=s3_server.secret_key)
    return S3Archive(f"s3://{name}/arshif", s3_settings(s3_server), session=session)


def article_ids(s3_server, name: str) -> dict[str, str]:
    """Every archived article (its JSON object in the bucket): id → site."""
    archive = archive_of(s3_server, name)
    try:
        return {json.loads(archive.get(key))["id"]: key.split("/")[1].split("=")[1]
                for key in archive.list("articles/")}
    finally:
        archive.close()


def duckdb_s3(s3_server) -> duckdb.DuckDBPyConnection:
    """DuckDB reading the bucket as the README shows: httpfs LOADed from its package, an S3 secret."""
    con = duckdb.connect()
    con.execute(f"LOAD '{httpfs_extension()}'")
    con.execute(f"""CREATE SECRET arshif (TYPE s3, KEY_ID '{s3_server.access_key}',
                    SECRET '{s3_server.secret_key}', ENDPOINT '127.0.0.1:{s3_server.s3}',
                    URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')""")
    return con


def pyarrow_s3(s3_server) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(access_key=s3_server.access_key, secret_key=s3_server.secret_key,
                             endpoint_override=s3_server.endpoint, region="us-east-1")


def test_duckdb_reads_the_bucket_every_article_exactly_once(s3_server, bucket):
    name, _ = bucket
    expected = article_ids(s3_server, name)
    con = duckdb_s3(s3_server)
    rel = duckdb_dataset(con, f"s3://{name}/arshif/datasets/articles")
    rows = con.sql(f"SELECT id, site FROM {rel}").fetchall()
    assert len(rows) == len({i for i, _ in rows}) == len(expected)
    assert dict(rows) == expected
    types = dict(con.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {rel})").fetchall())
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE" and types["tags"] == "VARCHAR[]"
    assert types["date"] == "DATE"


def test_pandas_reads_the_bucket_every_article_exactly_once(s3_server, bucket):
    name, _ = bucket
    expected = article_ids(s3_server, name)
    df = read_articles(f"{name}/arshif/datasets/articles", pyarrow_s3(s3_server))
    assert df["id"].is_unique and dict(zip(df["id"], df["site"])) == expected
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"


def test_an_unchanged_dataset_costs_no_put(s3_server, bucket):
    name, env = bucket
    before = s3_server.requests(name)
    done = arshif("compact", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    after = s3_server.requests(name)
    puts = sum(n - before[k] for k, n in after.items() if k[0] == "PUT")
    assert puts == 0
    for site in SITES:
        assert f"{site}: " in done.stdout
    assert done.stdout.count("(0 written,") == len(SITES)


def test_a_reader_never_sees_a_day_twice_or_missing_while_it_is_rewritten(s3_server, bucket):
    name, _ = bucket
    expected = article_ids(s3_server, name)
    archive = archive_of(s3_server, name)
    day_keys = sorted({k.rsplit("/", 1)[0] for k in archive.list("datasets/articles/")})
    site, date = (part.split("=")[1] for part in day_keys[0].split("/")[2:4])
    ids = [k.rsplit("/", 1)[1][:-5] for k in archive.list(f"articles/site={site}/date={date}/")]
    con = duckdb_s3(s3_server)
    fs = pyarrow_s3(s3_server)

    def read():
        rel = duckdb_dataset(con, f"s3://{name}/arshif/datasets/articles")
        n, distinct, days = con.sql(
            f"SELECT count(*), count(DISTINCT id), count(DISTINCT (site, date)) FROM {rel}").fetchone()
        df = read_articles(f"{name}/arshif/datasets/articles", fs, columns=["id"])
        return n, distinct, days, len(df), df["id"].nunique()

    def rewrite(n):   # the day's story ids alternate, so each compaction really writes
        assert compact_day(archive, site, date, story_ids={i: f"story-{n % 2}" for i in ids}).written

    try:
        seen = read_while_rewriting(read, rewrite, min_rewrites=40, max_rewrites=500)
    finally:
        archive.close()
    n = len(expected)
    assert len(seen) >= 20 and set(seen) == {(n, n, len(day_keys), n, n)}
