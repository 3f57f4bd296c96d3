"""The per-site crawl lock, between real processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from crawler.config import load_settings
from crawler.run.lock import LockBusy, SiteLock, lock_path
from tests.waiting import wait_until


@pytest.fixture
def env(tmp_path):
    return {"ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def settings(env):
    return load_settings(environ=env)


HOLDER = textwrap.dedent("""
    import sys
    from crawler.config import load_settings
    from crawler.run.lock import SiteLock
    with SiteLock(load_settings(), sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()
""")


@pytest.fixture
def holder(env):
    """Start a process that holds a site's lock until its stdin closes (or it is killed)."""
    procs = []

    def start(site):
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, site], env={**os.environ, **env},
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_second_holder_is_refused_with_the_holders_pid(settings, holder):
    proc = holder("elbalad")
    with pytest.raises(LockBusy) as info:
        with SiteLock(settings, "elbalad"):
            pytest.fail("took a lock another process holds")
    message = str(info.value)
    assert message.startswith(f"site elbalad: another crawl is already running (pid {proc.pid} since 20")
    assert message.endswith("Z); not starting a second one")
    assert "\n" not in message
    assert info.value.exit_code == 75


def test_a_crawl_that_looks_just_before_the_holder_wrote_its_record_still_names_it(settings):
    """Two crawls started at once: the loser may find the lock taken and its record not yet written."""
    import fcntl
    import threading

    path = lock_path(settings, "elbalad")
    path.parent.mkdir(parents=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)           # taken, its record not written yet
    late = threading.Timer(0.3, lambda: os.pwrite(fd, b'{"pid": 4242, "since": "2026-12-04T16:00:00Z"}\n', 0))
    late.start()
    try:
        with pytest.raises(LockBusy) as info:
            with SiteLock(settings, "elbalad"):
                pytest.fail("took a lock another holder has")
    finally:
        late.join()
        os.close(fd)
    assert "(pid 4242 since 2026-12-04T16:00:00Z)" in str(info.value)


def test_lock_is_per_site(settings, holder):
    holder("elbalad")
    with SiteLock(settings, "rt_arabic"):
        pass


def test_lock_is_released_when_the_holder_is_killed(settings, holder):
    proc = holder("elbalad")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with SiteLock(settings, "elbalad"):
        pass


def test_lock_is_released_on_exit_and_reusable(settings):
    with SiteLock(settings, "elbalad"):
        record = json.loads(lock_path(settings, "elbalad").read_text())
        assert record["pid"] == os.getpid()
    with SiteLock(settings, "elbalad"):
        pass
    assert lock_path(settings, "elbalad").read_text() == ""


def test_lock_lives_in_the_archives_state_folder(settings, tmp_path):
    path = lock_path(settings, "elbalad")
    assert path.name == "lock-elbalad"
    assert path.parent.parent == tmp_path / "state"


def test_busy_message_without_holder_record():
    assert str(LockBusy("elbalad", None)) == (
        "site elbalad: another crawl is already running; not starting a second one")


@pytest.mark.slow
def test_two_crawls_of_a_site_started_at_once_one_crawls_the_other_exits(tmp_path):
    """Against the replica, stalled so that the first crawl surely still runs when the second one starts."""
    from replica import ReplicaServer
    from tests.crawl_helpers import PLAIN, crawl_env, run_reports

    with ReplicaServer(plain=PLAIN) as replica:
        replica.stall(True, "elbalad")
        # the stalled requests wait for the loser however long it takes to start (not the 30 s download timeout)
        env = crawl_env(replica, tmp_path, ARSHIF_CRAWL__DOWNLOAD_TIMEOUT="10m")
        procs = [subprocess.Popen([sys.executable, "-m", "jobs.cli", "crawl", "elbalad"], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        try:
            wait_until(lambda: any(p.poll() is not None for p in procs), "one of the crawls to exit", timeout=300)
            [loser] = [p for p in procs if p.poll() is not None]
            [winner] = [p for p in procs if p is not loser]
            replica.stall(False, "elbalad")
            out, err = winner.communicate(timeout=300)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        lost_err = loser.stderr.read()
    assert loser.returncode == LockBusy.exit_code
    assert (f"arshif: site elbalad: another crawl is already running (pid {winner.pid} since "
            in lost_err), lost_err
    assert lost_err.rstrip().endswith("not starting a second one")
    assert winner.returncode == 0, err[-2000:]
    assert [r["result"] for r in run_reports(tmp_path / "archive", "elbalad")] == ["ok"]
