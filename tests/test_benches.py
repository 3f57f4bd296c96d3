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
