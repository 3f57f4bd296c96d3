"""``arshif reextract`` and ``arshif warc-index`` on the real S3 server: the WARC files read from the bucket,
new versions written through the conditional S3 writes, indexes stored beside the WARC files."""
from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from replica.server import ReplicaServer
from tests.crawl_helpers import AFTER_RUN_OFF, NO_ID_PROBES, PLAIN, arshif
from tests.s3_server import ISOLATING_ENV
from tests.test_reextract import TWEAK

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')


def bucket_records(client, bucket: str, prefix: str) -> dict[str, dict]:
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", ()):
            out[obj["Key"]] = json.loads(client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    return out


def keys(client, bucket: str, prefix: str) -> list[str]:
    return [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", ())]


def crawled_elbalad(s3_server, s3_url: str, tmp_path) -> dict[str, str]:
    """El Balad's replica crawled into the bucket of ``s3_url`` (WARC files rolled small: several); the
    environment of an arshif command on that archive, with the crawl's state folder."""
    env = {k: v for k, v in os.environ.items()
           if k not in ISOLATING_ENV and not k.startswith(("ARSHIF_", "AWS_"))}
    env.update(s3_server.env)
    env.update({"ARSHIF_ARCHIVE__URL": s3_url, "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
                "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint, "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path",
                "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2", "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0",
                "ARSHIF_CRAWL__AUTOTHROTTLE": "false", "ARSHIF_CRAWL__EXTRACT_WORKERS": "2",
                "ARSHIF_ARCHIVE__WARC_MAX_BYTES": "60000", **AFTER_RUN_OFF, **NO_ID_PROBES})
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        env["ARSHIF_SITES__ELBALAD__BASE_URL"] = replica.base_urls["elbalad"]
        crawled = arshif("crawl", "elbalad", env=env)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    return env


def test_reextract_and_warc_index_on_s3(s3_server, s3_env, s3_url, tmp_path):
    bucket = s3_url[5:].split("/")[0]
    env = crawled_elbalad(s3_server, s3_url, tmp_path)
    client = s3_server.client()
    before = {r["id"]: r for r in bucket_records(client, bucket, "arshif/articles/").values()}
    # the changed rule: a paragraph some articles share (new text) and an author's name (new metadata)
    shared = Counter(line for r in before.values() for line in set(r["text"].splitlines()) if len(line.split()) >= 8)
    line = next(line for line, n in shared.most_common() if 2 <= n < len(before) // 3)
    author = Counter(a for r in before.values() for a in r["authors"]).most_common(1)[0][0]
    text_ids = {i for i, r in before.items() if line in r["text"].splitlines()}
    meta_ids = {i for i, r in before.items() if author in r["authors"]} - text_ids
    assert text_ids and meta_ids
    env["REEXTRACT_TEST_RULES"] = json.dumps({"elbalad": [line, author]}, ensure_ascii=False)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TWEAK), os.environ.get("PYTHONPATH")]))

    first = arshif("reextract", "elbalad", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    after = {r["id"]: r for r in bucket_records(client, bucket, "arshif/articles/").values()}
    assert {i for i in before if after[i] != before[i]} == text_ids | meta_ids
    assert all(after[i]["version"] == 2 for i in text_ids | meta_ids)
    assert {r["id"] for r in bucket_records(client, bucket, "arshif/versions/").values()} == text_ids
    snapshot = {k: o["ETag"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for k, o in ((o["Key"], o) for o in page.get("Contents", ()))}
    second = arshif("reextract", "elbalad", env=env)
    assert second.returncode == 0 and " 0 changed " in second.stdout, second.stdout + second.stderr[-2000:]

    indexed = arshif("warc-index", "elbalad", env=env)
    assert indexed.returncode == 0, indexed.stderr[-3000:]
    warcs = keys(client, bucket, "arshif/warc/")
    gz = [k for k in warcs if k.endswith(".warc.gz")]
    assert len(gz) > 1 and sorted(k for k in warcs if k.endswith(".cdxj")) == sorted(
        k.removesuffix(".warc.gz") + ".cdxj" for k in gz)
    lines = {}
    for key in gz:
        body = client.get_object(Bucket=bucket, Key=key.removesuffix(".warc.gz") + ".cdxj")["Body"].read().decode()
        for entry in body.splitlines():
            block = json.loads(entry.split(" ", 2)[2])
            lines[(key.removeprefix("arshif/"), int(block["offset"]))] = block["url"]
    assert all(lines[(r["warc"]["file"], r["warc"]["offset"])] == r["url"] for r in after.values())
    now = {k: o["ETag"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
           for k, o in ((o["Key"], o) for o in page.get("Contents", ()))}
    assert {k: v for k, v in now.items() if not k.endswith(".cdxj")} == snapshot, "the second run wrote nothing"
    verify = arshif("verify", env=env)
    assert verify.returncode == 0, verify.stdout[-3000:]


def test_an_unchanged_reextract_reads_each_warc_file_once_and_no_record(s3_server, s3_env, s3_url, tmp_path):
    """Re-extraction as a stream on S3: one GET a WARC file, and no GET of an article's record when its text
    and metadata did not change (the digest the index keeps of it, from the crawl, tells), counted by the
    server."""
    bucket = s3_url[5:].split("/")[0]
    env = crawled_elbalad(s3_server, s3_url, tmp_path)
    client = s3_server.client()
    warcs = [k for k in keys(client, bucket, "arshif/warc/") if k.endswith(".warc.gz")]
    articles = keys(client, bucket, "arshif/articles/")
    assert len(warcs) > 1 and len(articles) > len(warcs) + 10
    before = s3_server.requests(bucket)
    done = arshif("reextract", "elbalad", env=env)
    assert done.returncode == 0 and " 0 changed " in done.stdout, done.stdout + done.stderr[-2000:]
    assert f"{len(articles)} unchanged" in done.stdout, done.stdout
    after = s3_server.requests_counted(bucket, before, made=len(warcs), kind="GET")
    gets = sum(n - before[k] for k, n in after.items() if k[0] == "GET")
    # each WARC file once; besides them, two GETs (the listing of the WARC files, the site's lease), never one
    # an article: before the digests, one GET each
    assert len(warcs) <= gets <= len(warcs) + 2, (gets, len(warcs), len(articles))
