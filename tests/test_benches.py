"""The benchmarks (``bench/``) are run by hand, not by the suite: this keeps them importable, so that a moved
module does not break one unnoticed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.slow     # imports every bench's dependencies (pyarrow, trafilatura, boto3…) in a process of its own
def test_every_bench_imports():
    assert len(BENCHES) >= 10
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module('bench.' + name)\n"
    done = subprocess.run([sys.executable, "-c", code, *BENCHES], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_suite_under_load_kills_what_its_load_suite_left_running(tmp_path):
    """``bench/suite_under_load.py``'s last step: a process of the load clone that outlived the suite (one a test
    started in a session of its own, which no signal to the suite's process group reached) is killed."""
    import signal

    from bench.suite_under_load import kill_leftovers

    clone = tmp_path / "load"
    stray = subprocess.Popen([sys.executable, "-c", "print('up', flush=True); import threading; "
                              "threading.Event().wait(600)", str(clone)],
                             start_new_session=True, stdout=subprocess.PIPE, text=True)
    try:
        # running: Popen returns once exec began, when /proc/<pid>/cmdline may still read empty (seen under load)
        assert stray.stdout.readline() == "up\n"
        assert kill_leftovers(clone) == [f"{stray.pid} {sys.executable}"]
        assert stray.wait(timeout=30) == -signal.SIGKILL
        assert kill_leftovers(clone) == []
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait()
