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
import select
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


def kill_leftovers(folder: Path) -> list[str]:
    """SIGKILL every process whose command line names ``folder`` (its programs run from the clone's .venv),
    wait for each to end; ``pid command`` of each."""
    killed = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if int(proc.name) == os.getpid() or not any(str(folder).encode() in arg for arg in argv):
                continue
            pidfd = os.pidfd_open(int(proc.name))
        except (OSError, ValueError):          # gone meanwhile, or not ours to read
            continue
        try:
            os.kill(int(proc.name), signal.SIGKILL)
            select.select([pidfd], [], [], 30)
            killed.append(f"{proc.name} {argv[0].decode(errors='replace')}")
        finally:
            os.close(pidfd)
    return killed


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
        # servers and replicas it started stop with it). One that does not end is SIGKILLed with its process
        # group (its SeaweedFS servers die with their pytest: bench/seaweedfs.py); what is left of it after
        # that (a crawl a test started in a session of its own) is found by the clone's path and killed.
        (load / "stop").touch()
        os.killpg(loader.pid, signal.SIGINT)
        try:
            loader.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(loader.pid, signal.SIGKILL)
            loader.wait()
        left = kill_leftovers(load)
        if left:
            print(f"killed {len(left)} processes of the load suite that outlived it: {', '.join(left)}", flush=True)
    beside = [summary_line(chunk) for chunk in (load / "load.log").read_text().split("-m pytest")[1:]]
    print(f"beside them, the load suite ran {len(beside)} times: " + "; ".join(beside))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
