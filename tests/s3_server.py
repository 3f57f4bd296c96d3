"""The tests' S3 server: the session's SeaweedFS (``bench/seaweedfs.py``), started on first use in a temporary
folder and stopped at the end of the session; ``s3_env`` points boto3 at it (via monkeypatch) and at nothing
else; ``s3_url`` gives a test a fresh bucket. Loaded as a pytest plugin by ``tests/conftest.py``."""
from __future__ import annotations

import pytest

from bench.seaweedfs import ISOLATING_ENV, SeaweedMissing, WeedServer, free_ports

__all__ = ["ISOLATING_ENV", "WeedServer", "free_ports", "s3_env", "s3_server", "s3_settings", "s3_url"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """The session's SeaweedFS server (started on first use)."""
    server = WeedServer(tmp_path_factory.mktemp("seaweedfs"))
    try:
        server.start()
    except SeaweedMissing as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop(kill=True)       # its data is thrown away: no need to wait (~2.3 s) for a clean exit


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The process environment boto3 reads, pointing at the test server's identity only."""
    for name in ISOLATING_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    if not s3_server.running:     # a previous test stopped it and failed before restarting
        s3_server.start()
    return s3_server.env


def s3_settings(server: WeedServer, **overrides):
    """``archive.s3`` settings for the test server: path-style, fast failure (2 attempts, short timeouts)."""
    from crawler.config import S3Settings

    values = dict(endpoint_url=server.endpoint, region="us-east-1", addressing_style="path", max_attempts=2,
                  connect_timeout=1, read_timeout=5, upload_workers=4, lease=30)
    values.update(overrides)
    return S3Settings(**values)


@pytest.fixture
def s3_url(s3_server, s3_env):
    """A fresh, empty bucket for this test: ``s3://<bucket>/arshif``."""
    return f"s3://{s3_server.create_bucket()}/arshif"
