"""``make test`` relies on pytest-xdist's ``--dist loadgroup`` to build a module-scoped fixture (most often a
crawled archive) once, on one worker (tests/conftest.py). pytest 9.2 silently broke that: xdist names a
test's group in ``item._nodeid``, which pytest 9.2 stopped reading, and every such fixture was built on both
workers. This runs a small suite the way ``make test`` does and counts the fixture's builds."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SUITE = '''
import os
import pytest

@pytest.fixture(scope="module")
def built():
    with open(os.environ["BUILDS"], "a") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "none") + "\\n")

@pytest.mark.parametrize("n", range(8))
def test_uses_the_fixture(built, n):
    pass

@pytest.mark.parametrize("n", range(8))
def test_alone(n):
    pass
'''


@pytest.mark.slow     # a pytest run of its own
def test_a_module_scoped_fixture_is_built_once_under_make_test_s_workers(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_collection_modifyitems\n")
    (tmp_path / "test_grouped.py").write_text(SUITE)
    builds = tmp_path / "builds"
    env = {**os.environ, "BUILDS": str(builds), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "3", "--dist", "loadgroup", "-p",
                           "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "16 passed" in done.stdout
    assert len(builds.read_text().split()) == 1, builds.read_text()
