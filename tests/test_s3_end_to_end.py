"""The whole path against the real S3 server: ``arshif crawl`` (separate processes, as in production) of the
replica of both sites into a bucket; idempotence counted from the server's side; an edit kept as a version;
the server down for a whole run; configuration errors. (The server killed in the middle of a crawl:
tests/reliability/test_storage_faults.py.)"""
from __future__ import annotations

from datetime import datetime, timezone
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from replica.server import ReplicaServer
from tests.s3_server import ISOLATING_ENV
from tests.crawl_helpers import AFTER_RUN_OFF, NO_ID_PROBES, PLAIN, arshif as run_arshif

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

ROOT = Path(__file__).resolve().parent.parent
SITES = ("rt_arabic", "elbalad")


@pytest.fixture
def replica():
    with ReplicaServer(port=0, plain=PLAIN) as server:
        yield server


@pytest.fixture
def env(s3_server, s3_env, replica, tmp_path):
    """Environment of an ``arshif`` process: the test server's identity and endpoint, the replica's URLs."""
    base = {k: v for k, v in os.environ.items()
            if k not in ISOLATING_ENV and not k.startswith("ARSHIF_") and not k.startswith("AWS_")}
    base.update(s3_server.env)
    base.update({
        "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
        "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
        "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path",
        "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2",
        "ARSHIF_ARCHIVE__S3__CONNECT_TIMEOUT": "1s",
        "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0",
        "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
        "ARSHIF_CRAWL__EXTRACT_WORKERS": "2",
        "ARSHIF_LOGGING__LEVEL": "WARNING",
        **NO_ID_PROBES,
        **AFTER_RUN_OFF,      # the dataset and stories on S3 have tests of their own (test_dataset_s3, test_stories)
    })
    for site, url in replica.base_urls.items():
        base[f"ARSHIF_SITES__{site.upper()}__BASE_URL"] = url
    return base


def arshif(env: dict, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return run_arshif(*args, env=env, cwd=ROOT, timeout=timeout)


def counts(stdout: str) -> dict[str, dict[str, int]]:
    """Per site, the counts of its summary line."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+): (ok|failed) in", line)
        if m:
            out[m[1]] = {name: int(n) for name, n in re.findall(r"\b(fetched|new|updated|unchanged|pending) (\d+)", line)}
    return out


def objects(s3_server, bucket: str) -> dict[str, str]:
    """Every object of the bucket: key → ETag."""
    client = s3_server.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", ()):
            found[obj["Key"]] = obj["ETag"]
    return found


def expected_articles(replica) -> dict[str, set[str]]:
    return {site: {a.title for a in replica.articles(site) if a.kind != "not_article"} for site in SITES}


def article_count(replica) -> int:
    return sum(len(titles) for titles in expected_articles(replica).values())


def archived_titles(s3_server, bucket: str) -> dict[str, list[str]]:
    client = s3_server.client()
    titles: dict[str, list[str]] = {site: [] for site in SITES}
    for key in objects(s3_server, bucket):
        if re.match(r"^([^/]+/)?articles/site=", key):           # not datasets/articles/…
            rec = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
            titles[rec["site"]].append(rec["title"])
    return titles


def verify(env, url) -> str:
    done = arshif(env, "verify", "--archive", url)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_crawl_is_idempotent_and_versioned(s3_server, s3_url, env, replica):
    bucket = s3_url[5:].split("/")[0]
    first = arshif(env, "crawl", "--archive", s3_url)
    assert first.returncode == 0, first.stderr[-3000:]
    expected = expected_articles(replica)
    titles = archived_titles(s3_server, bucket)
    for site in SITES:
        assert sorted(titles[site]) == sorted(expected[site])             # every replica article, once
        assert counts(first.stdout)[site]["new"] == len(expected[site])

    # Second run: no PUT at all for unchanged articles, counted by the server.
    before, requests_before = objects(s3_server, bucket), s3_server.requests(bucket)
    second = arshif(env, "crawl", "--archive", s3_url)
    assert second.returncode == 0, second.stderr[-3000:]
    after, requests_after = objects(s3_server, bucket), s3_server.requests(bucket)
    puts = sum(n - requests_before[k] for k, n in requests_after.items() if k[0] == "PUT")
    new_objects = sorted(set(after) - set(before))
    assert all(k.startswith(("arshif/runs/", "arshif/warc/")) for k in new_objects)
    # reports (stored at the run's start, then completed at its end) and WARC files, plus taking each site's
    # write lease (released at the end: not in the bucket)
    assert puts == len(new_objects) + 2 * len(SITES)
    assert not [k for k in after if "/leases/" in f"/{k}"]
    assert {k: v for k, v in after.items() if k in before} == before       # nothing rewritten
    for site in SITES:
        assert counts(second.stdout)[site]["new"] == 0

    # An edit on the site: a second version; the first is kept.
    article = next(a for a in replica.articles("elbalad") if a.kind == "article")
    edited = replica.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc))
    third = arshif(env, "crawl", "elbalad", "--archive", s3_url)
    assert third.returncode == 0, third.stderr[-3000:]
    assert counts(third.stdout)["elbalad"]["updated"] == 1
    client = s3_server.client()
    versions = [k for k in objects(s3_server, bucket) if k.startswith("arshif/versions/")]
    assert len(versions) == 1
    old = json.loads(client.get_object(Bucket=bucket, Key=versions[0])["Body"].read())
    current_key = versions[0].replace("versions/", "articles/").rsplit("/", 1)[0] + ".json"
    new = json.loads(client.get_object(Bucket=bucket, Key=current_key)["Body"].read())
    assert (old["version"], new["version"]) == (1, 2)
    assert old["text"] != new["text"] and new["title"] == edited.title
    out = verify(env, s3_url)
    assert f": {article_count(replica)} articles, 1 past versions," in out and out.rstrip().endswith(" 0 problems")


def test_bucket_down_for_a_whole_run(s3_server, s3_url, env, replica, tmp_path):
    bucket = s3_url[5:].split("/")[0]
    s3_server.stop(kill=True)
    try:
        down = arshif(env, "crawl", "--archive", s3_url)
    finally:
        s3_server.start()
    assert down.returncode == 1, down.stderr[-3000:]
    expected = expected_articles(replica)
    for site in SITES:
        assert counts(down.stdout)[site]["pending"] >= len(expected[site])   # articles (+ the WARC file)
        assert counts(down.stdout)[site]["new"] == 0
    assert objects(s3_server, bucket) == {}
    outbox = next((tmp_path / "state").glob("*/outbox"))
    assert len(list(outbox.glob("*.article.json"))) == sum(len(v) for v in expected.values())

    back = arshif(env, "crawl", "--archive", s3_url)
    assert back.returncode == 0, back.stderr[-3000:]
    assert list(outbox.glob("*.json")) == []
    titles = archived_titles(s3_server, bucket)
    for site in SITES:
        assert sorted(titles[site]) == sorted(expected[site])
    out = verify(env, s3_url)
    assert f": {article_count(replica)} articles, 0 past versions," in out
    assert " 0 articles in no manifest," in out and " 0 problems" in out


@pytest.mark.parametrize("case", ["missing bucket", "wrong secret", "unknown key", "bad bucket name"])
def test_configuration_errors_one_line_no_secret(s3_server, s3_url, env, case):
    secret, key = env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"]
    url = s3_url
    if case == "missing bucket":
        url = "s3://arshif-no-such-bucket/news"
    elif case == "wrong secret":
        env = {**env, "AWS_SECRET_ACCESS_KEY": "Wr0ngSecret" + "q" * 29}
    elif case == "unknown key":
        env = {**env, "AWS_ACCESS_KEY_ID": "AKUNKNOWN99999999"}
    else:
        url = "s3://Not_A_Bucket/news"
    done = arshif(env, "crawl", "--archive", url, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    expected = {
        "missing bucket": "arshif: archive s3://arshif-no-such-bucket/news: bucket 'arshif-no-such-bucket' does not exist",
        "wrong secret": f"arshif: archive {url}: credentials refused (SignatureDoesNotMatch; credentials from env)",
        "unknown key": f"arshif: archive {url}: credentials refused (InvalidAccessKeyId; credentials from env)",
        "bad bucket name": "arshif: settings: archive.url: bad bucket name 'Not_A_Bucket'",
    }[case]
    assert lines[0].startswith(expected)
    for value in (secret, key, env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"]):
        assert value not in done.stderr and value not in done.stdout
