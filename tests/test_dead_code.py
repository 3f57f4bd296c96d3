"""No dead code in crawler/ and jobs/: vulture finds nothing beyond what ``tests/vulture_whitelist.py``
names (framework hooks, settings-wired components, data fields), each with its reason; and pyflakes finds
no undefined name and no unused import anywhere in the project's code."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_vulture_finds_no_unused_code():
    found = subprocess.run([sys.executable, "-m", "vulture", "crawler", "jobs", "tests/vulture_whitelist.py",
                            "--min-confidence", "60"], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, "unused code (remove it, or name it in tests/vulture_whitelist.py with why):\n" \
        + found.stdout + found.stderr


def test_pyflakes_finds_no_undefined_name_or_unused_import():
    files = [str(p.relative_to(ROOT)) for folder in ("crawler", "jobs", "replica", "bench", "tests")
             for p in sorted((ROOT / folder).rglob("*.py")) if p.name != "vulture_whitelist.py"]
    found = subprocess.run([sys.executable, "-m", "pyflakes", *files], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stdout + found.stderr
