"""Is the test suite reliable on a loaded machine? Two fresh clones of this repository's HEAD: the first runs
``make test`` ``--runs`` times in a row while the second runs ``make test`` over and over beside it (a whole
second suite's load on the same cores, as on a shared CI machine). Prints one line per measured run: its
pytest summary line, wall time and the load average when it ended; exit 1 if any measured run failed.

Run: ``python bench/suite_under_load.py [--runs 5] [--keep DIR]``. Each clone sets itself up (``make test``
makes its own .venv), as CI does; the load clone stops when the last measured run has ended.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed).*) in [\d.]+s")


def clone(into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(into)], check=True)
    return into


def summary_line(log: str) -> str:
    for line in reversed(log.splitlines()):
        m = SUMMARY.match(line.strip())
        if m:
            return m.group(1)
    return "no pytest summary (see the log)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs in a row")
    parser.add_argument("--keep", type=Path, help="leave the clones and logs in this folder")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="arshif-load-"))
    work.mkdir(parents=True, exist_ok=True)
    measured, load = clone(work / "measured"), clone(work / "load")
    env = {**os.environ, "CI": "true"}
    subprocess.run(["make", "setup"], cwd=load, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    loader = subprocess.Popen(
        ["bash", "-c", "while [ ! -e stop ]; do make test >>load.log 2>&1 </dev/null; done"],
        cwd=load, env=env, start_new_session=True)
    failed = 0
    try:
        for n in range(1, args.runs + 1):
            started = time.monotonic()
            done = subprocess.run(["bash", ".ci/run"], cwd=measured, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            (work / f"run{n}.log").write_text(done.stdout)
            failed += done.returncode != 0
            print(f"run {n}: exit {done.returncode}, {summary_line(done.stdout)}, "
                  f"{time.monotonic() - started:.0f} s wall, load average {os.getloadavg()[0]:.1f}",
                  flush=True)
    finally:
        # The load suite is interrupted as a terminal's Ctrl-C would: pytest tears its fixtures down (the S3
        # servers and replicas it started stop with it).
        (load / "stop").touch()
        os.killpg(loader.pid, signal.SIGINT)
        try:
            loader.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(loader.pid, signal.SIGKILL)
            loader.wait()
    beside = [summary_line(chunk) for chunk in (load / "load.log").read_text().split("-m pytest")[1:]]
    print(f"beside them, the load suite ran {len(beside)} times: " + "; ".join(beside))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
