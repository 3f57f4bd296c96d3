"""The S3 backend against a real S3-compatible server (SeaweedFS, see bench/seaweedfs.py)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import socket

import pytest

from crawler.archive.storage import open_archive
from crawler.archive.storage.base import ArchiveConfigError, ArchiveUnavailable
from crawler.archive.storage.s3 import S3Archive, split_url
from crawler.config import SettingsError, load_settings
from tests.s3_server import free_ports, s3_settings

JSON = "application/json; charset=utf-8"


@pytest.fixture
def archive(s3_server, s3_url):
    arc = S3Archive(s3_url, s3_settings(s3_server))
    yield arc
    arc.close()


def sent_headers(arc: S3Archive) -> list[dict]:
    """Capture the headers of every request the client sends from now on."""
    seen: list[dict] = []
    arc._client.meta.events.register("before-send.s3.*", lambda request, **kw: seen.append({k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}))
    return seen


def test_split_url():
    assert split_url("s3://news/arshif/") == ("news", "arshif/")
    assert split_url("s3://news") == ("news", "")
    assert split_url("s3://news/a/b") == ("news", "a/b/")


def test_open_archive_selects_s3(s3_server, s3_url):
    settings = load_settings(environ={}, overrides={"archive": {"url": s3_url, "s3": {
        "endpoint_url": s3_server.endpoint, "addressing_style": "path"}}})
    arc = open_archive(settings.archive.url, settings)
    assert isinstance(arc, S3Archive)
    arc.check()


def test_put_get_with_metadata_and_checksums(archive, s3_server):
    data = '{"title": "خبر"}\n'.encode()
    headers = sent_headers(archive)
    assert archive.put("articles/site=elbalad/date=2024-05-01/a.json", data, content_type=JSON,
                       metadata={"site": "elbalad", "content-sha256": "ab" * 32}) is True
    put = [h for h in headers if "Content-MD5" in h][-1]
    assert put["Content-MD5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert put["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()

    assert archive.get("articles/site=elbalad/date=2024-05-01/a.json") == data
    info = archive.stat("articles/site=elbalad/date=2024-05-01/a.json")
    assert info.content_type == JSON
    assert info.metadata == {"site": "elbalad", "content-sha256": "ab" * 32}
    assert info.checksum_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    # The prefix is part of the real key, invisible to callers.
    raw = s3_server.client().list_objects_v2(Bucket=archive.bucket)["Contents"]
    assert [o["Key"] for o in raw] == ["arshif/articles/site=elbalad/date=2024-05-01/a.json"]


def test_missing_key(archive):
    assert archive.get("nope.json") is None
    assert archive.stat("nope.json") is None
    assert archive.exists("nope.json") is False


def test_if_absent_is_a_real_conditional_write(archive):
    headers = sent_headers(archive)
    assert archive.put("k.json", b"first", content_type=JSON, if_absent=True) is True
    assert headers[-1]["If-None-Match"] == "*"
    assert archive.put("k.json", b"second", content_type=JSON, if_absent=True) is False   # server said 412
    assert archive.get("k.json") == b"first"


def test_if_match_refuses_a_stale_etag(archive):
    archive.put("k.json", b"v1", content_type=JSON)
    _, etag1 = archive.get_with_etag("k.json")
    assert archive.put("k.json", b"v2", content_type=JSON, if_match=etag1) is True
    assert archive.put("k.json", b"v3", content_type=JSON, if_match=etag1) is False       # someone else won
    assert archive.get("k.json") == b"v2"
    _, etag2 = archive.get_with_etag("k.json")
    assert archive.delete("k.json", if_match=etag1) is False
    assert archive.delete("k.json", if_match=etag2) is True
    assert archive.get("k.json") is None


def test_list_paginates_in_order(archive):
    archive.page_size = 7
    keys = [f"runs/site=elbalad/date=2024-05-0{d}/r{i:02d}.json" for d in (1, 2) for i in range(12)]
    for key in reversed(keys):
        archive.put(key, b"{}", content_type=JSON)
    archive.put("articles/site=elbalad/x.json", b"{}", content_type=JSON)
    assert list(archive.list("runs/")) == sorted(keys)
    assert list(archive.list("runs/site=elbalad/date=2024-05-02/")) == sorted(keys)[12:]
    assert len(list(archive.list(""))) == 25


def test_put_file_gzip(archive, tmp_path):
    path = tmp_path / "x.warc.gz"
    path.write_bytes(gzip.compress(b"WARC/1.1\r\n" * 1000))
    archive.put_file("warc/site=elbalad/date=2024-05-01/x.warc.gz", path, content_type="application/warc",
                     content_encoding="gzip", metadata={"site": "elbalad"})
    info = archive.stat("warc/site=elbalad/date=2024-05-01/x.warc.gz")
    assert info.content_encoding == "gzip" and info.content_type == "application/warc"
    assert info.size == path.stat().st_size
    raw = s3_server_bytes(archive, "warc/site=elbalad/date=2024-05-01/x.warc.gz")
    assert raw == path.read_bytes()


def s3_server_bytes(arc: S3Archive, key: str) -> bytes:
    return arc._client.get_object(Bucket=arc.bucket, Key=arc.prefix + key)["Body"].read()


# ------------------------------------------------------------------------------------------------ errors


def test_missing_bucket_is_a_config_error(s3_server, s3_env):
    arc = S3Archive("s3://no-such-bucket-here/p", s3_settings(s3_server))
    with pytest.raises(ArchiveConfigError) as err:
        arc.check()
    assert str(err.value) == "archive s3://no-such-bucket-here/p: bucket 'no-such-bucket-here' does not exist"
    with pytest.raises(ArchiveConfigError, match="does not exist"):
        arc.put("k", b"x", content_type=JSON)


def test_bad_bucket_name_is_refused_by_settings():
    with pytest.raises(SettingsError, match=r"archive.url: bad bucket name 'Bad_Bucket'"):
        load_settings(environ={}, overrides={"archive": {"url": "s3://Bad_Bucket/p"}})


@pytest.mark.parametrize("which", ["secret", "access_key"])
def test_refused_credentials_name_no_secret(s3_server, s3_url, monkeypatch, which):
    secret = "WRONGsecret" + "x" * 20
    key = "AKWRONG0000000001"
    if which == "secret":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        key = s3_server.access_key
    else:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
        secret = s3_server.secret_key
    arc = S3Archive(s3_url, s3_settings(s3_server))
    with pytest.raises(ArchiveConfigError) as err:
        arc.check()
    message = str(err.value)
    assert message.startswith(f"archive {s3_url}: credentials refused (")
    assert "credentials from env" in message
    assert secret not in message and key not in message and "\n" not in message
    with pytest.raises(ArchiveConfigError, match="credentials refused") as err:
        arc.put("k", b"x", content_type=JSON)
    assert secret not in str(err.value) and key not in str(err.value)


def test_no_credentials_is_a_config_error(s3_server, s3_url, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ArchiveConfigError, match="no usable credentials"):
        S3Archive(s3_url, s3_settings(s3_server)).check()


def test_endpoint_not_answering_is_an_outage(s3_env):
    (port,) = free_ports(1)
    from crawler.config import S3Settings

    arc = S3Archive("s3://somebucket/p", S3Settings(endpoint_url=f"http://127.0.0.1:{port}", addressing_style="path",
                                                    max_attempts=2, connect_timeout=1))
    with pytest.raises(ArchiveUnavailable, match=r"not answering after 2 attempts \(EndpointConnectionError\)"):
        arc.check()
    with pytest.raises(ArchiveUnavailable, match="after 2 attempts"):
        arc.put("k", b"x", content_type=JSON)


def test_timeout_is_an_outage(s3_env):
    """A server that accepts connections but never answers: read timeouts, retried, then an outage."""
    from crawler.config import S3Settings

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        arc = S3Archive("s3://somebucket/p", S3Settings(endpoint_url=f"http://127.0.0.1:{port}",
                                                        addressing_style="path", max_attempts=2, read_timeout=0.5))
        with pytest.raises(ArchiveUnavailable, match="ReadTimeoutError"):
            arc.get("k")


def test_server_counts_requests(s3_server, archive):
    before = s3_server.requests(archive.bucket)
    archive.put("a.json", b"{}", content_type=JSON, if_absent=True)
    archive.put("a.json", b"{}", content_type=JSON, if_absent=True)
    after = s3_server.requests_counted(archive.bucket, before, made=2, kind="PUT")
    assert after[("PUT", "200")] - before[("PUT", "200")] == 1
    assert after[("PUT", "412")] - before[("PUT", "412")] == 1


def test_index_rebuilt_from_the_bucket_listing_reads_no_object(archive, s3_server, tmp_path):
    from crawler.archive.state.index import ArticleIndex

    ids = [f"{n:020x}" for n in range(25)]
    for aid in ids:
        archive.put(f"articles/site=elbalad/date=2026-11-20/{aid}.json", b"{}", content_type=JSON)
    archive.put("articles/site=rt_arabic/date=2026-11-20/" + "f" * 20 + ".json", b"{}", content_type=JSON)
    before = s3_server.requests(archive.bucket)
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    assert index.rebuild(archive) == 25
    after = s3_server.requests(archive.bucket)
    assert not [k for k, n in after.items() if k[0] == "GET" and n != before.get(k, 0)]
    known = index.get(ids[3])
    assert known.key.endswith(f"/{ids[3]}.json") and known.fetched_at.tzinfo is not None
    assert index.get("f" * 20) is None                  # another site's article
