"""A pytest run killed outright (SIGKILL: a CI job's timeout, ``bench/suite_under_load.py``'s end, ``kill -9``)
leaves no SeaweedFS server behind. The server runs in a session of its own (``bench/seaweedfs.py``), so no
signal to pytest's process group reached it, and each killed run left a ``weed`` holding its ports, its
folder and ~100 MB; it now dies with the process that started it."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.seaweedfs import SeaweedMissing, weed_binary
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent

HOLD = '''
import os
import threading

def test_hold_the_server(s3_server):
    with open(os.environ["WEED_PID"] + ".part", "w") as f:
        f.write(str(s3_server.proc.pid))
    os.rename(os.environ["WEED_PID"] + ".part", os.environ["WEED_PID"])
    threading.Event().wait(600)              # until the test kills this run
'''


def _exited(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` exits within ``timeout`` seconds (waits on its pidfd: the event, not a time)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


@pytest.mark.slow     # a pytest run of its own, with a SeaweedFS server
@pytest.mark.parametrize("workers, kill", [("no:xdist", "pytest"), ("1", "process group")])
def test_a_pytest_run_killed_with_sigkill_leaves_no_weed(tmp_path, workers, kill):
    """``workers`` "no:xdist": the server is pytest's child, and pytest alone is killed; "1": it is an xdist
    worker's, and the run's whole process group is killed (as the bench and a CI timeout do)."""
    try:
        weed_binary()
    except SeaweedMissing as exc:
        pytest.skip(str(exc))
    (tmp_path / "conftest.py").write_text("pytest_plugins = ['tests.s3_server']\n")
    (tmp_path / "test_hold.py").write_text(HOLD)
    pid_file = tmp_path / "weed.pid"
    env = {**os.environ, "WEED_PID": str(pid_file), "PYTHONPATH": str(ROOT)}
    plugins = ["-p", "no:xdist"] if workers == "no:xdist" else ["-n", workers]
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins,
                            "test_hold.py"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: pid_file.exists() or run.poll() is not None, "the inner run's server")
        assert pid_file.exists(), run.communicate()[0].decode()[-3000:]
        weed = int(pid_file.read_text())
        assert "weed" in Path(f"/proc/{weed}/cmdline").read_bytes().decode(errors="replace")
        if kill == "pytest":
            run.kill()
        else:
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        survived = not _exited(weed, 60)
        if survived:
            os.kill(weed, signal.SIGKILL)          # not left behind by this test either
        assert not survived, f"weed (pid {weed}) outlived the pytest run that started it"
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
