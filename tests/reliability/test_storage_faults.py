"""Storage faults: the bucket down mid-run, a slow bucket, credentials revoked mid-run, a full disk, a
read-only archive folder, SIGKILL at seeded random points during the crawl and during uploads. Each
scenario crawls the replica through the fault, then again once the fault is gone, and measures the archive."""
from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crawler.archive.storage import open_archive
from crawler.archive.storage.s3 import S3Archive
from replica import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env
from tests.reliability.harness import expected_articles, measure, scan_for
from tests.s3_server import ISOLATING_ENV, s3_settings

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

ROOT = Path(__file__).resolve().parents[2]
SITE = "elbalad"
SLOW_CRAWL = {"ARSHIF_CRAWL__DOWNLOAD_DELAY": "0.1", "ARSHIF_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


@pytest.fixture
def replica():
    with ReplicaServer(plain=PLAIN) as server:
        yield server


# --- helpers ---------------------------------------------------------------------------------------------------

def start_crawl(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jobs.cli", "crawl", SITE], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_for(count, at_least: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``count()`` reaches ``at_least`` while ``proc`` runs."""
    deadline = time.monotonic() + timeout
    while count() < at_least:
        assert proc.poll() is None, "the crawl ended before the fault could be injected"
        assert time.monotonic() < deadline, "the crawl wrote too little"
        time.sleep(0.05)


def local_articles(root: Path) -> int:
    return sum(1 for _ in (root / "articles").rglob("*.json")) if (root / "articles").exists() else 0


def kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)          # the crawl and its extraction workers
    proc.wait()


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (root only; skipped elsewhere): ``mount(size)`` → its path; ``remount(opts)``."""
    point = tmp_path / "mnt"
    point.mkdir()
    mounted = []

    class Mount:
        path = point

        def mount(self, size: str) -> Path:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")
            mounted.append(point)
            return point

        def remount(self, options: str) -> None:
            """A read-only remount is refused (EBUSY) while a file there is open for writing: the crawl writes
            an article at any moment, each file for a few milliseconds; asked again until it is between two."""
            deadline = time.monotonic() + 10
            while True:
                done = subprocess.run(["mount", "-o", f"remount,{options}", str(point)], capture_output=True, text=True)
                if done.returncode == 0:
                    return
                assert "busy" in done.stderr and time.monotonic() < deadline, done.stderr
                time.sleep(0.005)

    yield Mount()
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


# --- local archive ----------------------------------------------------------------------------------------------

def test_disk_full(replica, tmp_path, tmpfs):
    archive = tmpfs.mount("160k")            # a whole El Balad crawl needs about 450 kB here
    env = crawl_env(replica, tmp_path, ARSHIF_ARCHIVE__URL=f"file://{archive}")
    full = arshif("crawl", SITE, env=env)
    tmpfs.remount("size=20m")                # space freed
    again = arshif("crawl", SITE, env=env)
    row = measure("disk full", "archive on a 160 kB tmpfs (ENOSPC), then 20 MB", open_archive(f"file://{archive}"),
                  expected_articles(replica, [SITE]))
    assert full.returncode == 1 and "disk full" in full.stderr, full.stderr[-3000:]
    assert again.returncode == 0, again.stderr[-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == []


def test_read_only_archive(replica, tmp_path, tmpfs):
    archive = tmpfs.mount("50m")
    env = crawl_env(replica, tmp_path, ARSHIF_ARCHIVE__URL=f"file://{archive}")
    replica.stall_after(10, SITE)                             # the crawl cannot end before the fault
    crawl = start_crawl(env)
    try:
        try:
            wait_for(lambda: local_articles(archive), 5, crawl)
            tmpfs.remount("ro")                               # mid-run
        finally:
            replica.stall(False, SITE)
        _, stderr = crawl.communicate(timeout=180)
    finally:
        if crawl.poll() is None:
            kill_group(crawl)
    at_start = arshif("crawl", SITE, env=env)                 # still read-only: refused at start, one line
    tmpfs.remount("rw")
    again = arshif("crawl", SITE, env=env)
    row = measure("read-only archive", "archive folder remounted read-only mid-run, then read-write",
                  open_archive(f"file://{archive}"), expected_articles(replica, [SITE]))
    assert crawl.returncode == 1 and "Read-only file system" in stderr, stderr[-3000:]
    assert at_start.returncode == 2 and at_start.stderr.strip().endswith("is not writable"), at_start.stderr
    assert again.returncode == 0, again.stderr[-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == []


@pytest.mark.slow
def test_sigkill_at_random_points_during_the_crawl(replica, tmp_path):
    rng = random.Random(8)
    env = crawl_env(replica, tmp_path, **SLOW_CRAWL)
    archive = tmp_path / "archive"
    expected = expected_articles(replica, [SITE])
    points = sorted(rng.sample(range(2, len(expected) - 1), 2))   # articles archived when each kill comes
    for point in points:
        replica.stall(False, SITE)
        replica.stall_after(len(expected) - 1 - local_articles(archive), SITE)   # it cannot end before the kill
        crawl = start_crawl(env)
        try:
            wait_for(lambda: local_articles(archive), point, crawl)
        finally:
            kill_group(crawl)
    replica.stall(False, SITE)
    again = arshif("crawl", SITE, env=crawl_env(replica, tmp_path))
    row = measure("SIGKILL during crawl", f"SIGKILL at {points[0]} then {points[1]} articles (seed 8)",
                  open_archive(env["ARSHIF_ARCHIVE__URL"]), expected)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details


# --- S3 ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def s3(s3_server, s3_env, s3_url, replica, tmp_path):
    """The environment of an ``arshif`` process writing to a fresh bucket, the archive to read it back,
    and every output a scenario produced (for the secret scan)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ISOLATING_ENV and not k.startswith("ARSHIF_") and not k.startswith("AWS_")}
    env.update(s3_server.env)
    env.update(crawl_env(replica, tmp_path))
    env.update({
        "ARSHIF_ARCHIVE__URL": s3_url,
        "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
        "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path",
        "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2",
        "ARSHIF_ARCHIVE__S3__CONNECT_TIMEOUT": "1s",
        "ARSHIF_ARCHIVE__S3__READ_TIMEOUT": "5s",
    })

    class S3:
        url = s3_url
        bucket = s3_url[5:].split("/")[0]
        server = s3_server
        outputs: list[str] = []

        def env_(self, **extra) -> dict:
            return {**env, **extra}

        def archive(self):
            return S3Archive(s3_url, s3_settings(s3_server))

        def objects(self, prefix: str = "arshif/articles/") -> int:
            return s3_server.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("KeyCount", 0)

        def no_secret_anywhere(self) -> list[str]:
            client = s3_server.client()
            dump = tmp_path / "bucket-dump"
            dump.mkdir(exist_ok=True)
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for i, obj in enumerate(page.get("Contents", ())):
                    body = client.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                    (dump / f"{len(list(dump.iterdir()))}.obj").write_bytes(body)
            return scan_for([s3_server.secret_key, s3_server.access_key], [tmp_path], self.outputs)

    return S3()


def crawl_through(s3, replica, env: dict, fault) -> subprocess.Popen:
    """Start a crawl, hold it after 10 article pages, wait for 5 articles in the bucket, call ``fault()``,
    let the crawl go on and wait for its end."""
    replica.stall_after(10, SITE)
    crawl = start_crawl(env)
    try:
        try:
            wait_for(s3.objects, 5, crawl)
            fault()
        finally:
            replica.stall(False, SITE)
        stdout, stderr = crawl.communicate(timeout=240)
        s3.outputs += [stdout, stderr]
    finally:
        if crawl.poll() is None:
            kill_group(crawl)
    return crawl


def finish(s3, replica, scenario: str, faults: str):
    again = arshif("crawl", SITE, env=s3.env_(), cwd=ROOT)
    s3.outputs += [again.stdout, again.stderr]
    row = measure(scenario, faults, s3.archive(), expected_articles(replica, [SITE]))
    assert again.returncode == 0, again.stderr[-3000:]
    assert s3.no_secret_anywhere() == []
    return row


@pytest.mark.slow
def test_bucket_down_mid_run(s3, replica):
    def down():
        s3.server.stop(kill=True)
    try:
        crawl = crawl_through(s3, replica, s3.env_(), down)
    finally:
        if not s3.server.running:
            s3.server.start()
    row = finish(s3, replica, "bucket down mid-run", "SeaweedFS SIGKILLed after 5 articles, back for the rerun")
    assert crawl.returncode == 1 and "pending in the outbox" in s3.outputs[0], s3.outputs[1][-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == []


@pytest.mark.slow
def test_slow_bucket(s3, replica):
    """The server frozen (SIGSTOP) 1.5 s out of every 2 s during the whole crawl: uploads wait, nothing fails."""
    stop = threading.Event()

    def pulse():
        while not stop.is_set():
            os.killpg(s3.server.proc.pid, signal.SIGSTOP)
            stop.wait(1.5)
            os.killpg(s3.server.proc.pid, signal.SIGCONT)
            stop.wait(0.5)

    pulses = threading.Thread(target=pulse, daemon=True)
    try:
        crawl = crawl_through(s3, replica, s3.env_(ARSHIF_ARCHIVE__S3__READ_TIMEOUT="30s"), pulses.start)
    finally:
        stop.set()
        if pulses.is_alive():
            pulses.join()
        os.killpg(s3.server.proc.pid, signal.SIGCONT)
    row = finish(s3, replica, "slow bucket", "SeaweedFS frozen 1.5 s of every 2 s (SIGSTOP/SIGCONT)")
    assert crawl.returncode == 0, s3.outputs[1][-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == []


def _identity(server, access_key: str, secret_key: str) -> None:
    """Make ``access_key`` the server's only identity and restart it (SeaweedFS reads the file at start)."""
    server.access_key, server.secret_key = access_key, secret_key
    server.identities.write_text(json.dumps({"identities": [{
        "name": "arshif", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    server.stop(kill=True)
    server.start()


@pytest.mark.slow
def test_credentials_revoked_mid_run(s3, replica):
    server = s3.server
    kept = server.access_key, server.secret_key
    try:
        crawl = crawl_through(s3, replica, s3.env_(),
                              lambda: _identity(server, "AKREVOKED" + secrets.token_hex(4).upper(),
                                                secrets.token_urlsafe(30)))
    finally:
        _identity(server, *kept)
    row = finish(s3, replica, "credentials revoked mid-run",
                 "the crawl's access key removed after 5 articles (restart), restored for the rerun")
    assert crawl.returncode in (1, 2), s3.outputs[1][-3000:]
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == []


@pytest.mark.slow
def test_sigkill_at_random_points_during_upload(s3, replica):
    point = random.Random(9).randint(3, len(expected_articles(replica, [SITE])) - 3)
    replica.stall_after(len(expected_articles(replica, [SITE])) - 1, SITE)   # it cannot end before the kill
    crawl = start_crawl(s3.env_(**SLOW_CRAWL))
    try:
        wait_for(s3.objects, point, crawl)
    finally:
        kill_group(crawl)
        replica.stall(False, SITE)
    row = finish(s3, replica, "SIGKILL during upload", f"SIGKILL at {point} articles in the bucket (seed 9)")
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
