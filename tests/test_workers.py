"""Extraction workers survive a worker that dies on a page."""
import asyncio
import os

import pytest

from crawler.extract.workers import ExtractWorkers, WorkerCrashed


def square(n):
    return n * n


def die(_):
    os._exit(1)          # what a segfault in lxml or the OOM killer looks like from the pool


def pid(_):
    return os.getpid()


def test_a_dead_worker_fails_its_page_only_and_the_pool_comes_back(caplog):
    async def scenario(workers):
        assert await workers.run(square, 7) == 49
        with pytest.raises(WorkerCrashed):
            await workers.run(die, None)
        return await asyncio.gather(*(workers.run(square, n) for n in range(5)))

    with ExtractWorkers(2, preload=()) as workers:
        assert asyncio.run(scenario(workers)) == [0, 1, 4, 9, 16]
    assert [r.getMessage() for r in caplog.records if "worker pool restarted" in r.getMessage()] == [
        "an extraction worker died; worker pool restarted"]       # once, by the page that saw it die


def square_but_seven(n):
    if n == 7:
        raise ValueError("seven")
    return n * n


def test_pages_that_queue_go_in_batches_and_a_page_that_raises_fails_alone():
    """Pages that come while every worker is busy leave together (one task of the pool for several pages:
    crawler/extract/workers.py); each page still gets its own result, or its own error."""
    async def pages(workers):
        return await asyncio.gather(*(workers.run(square_but_seven, n) for n in range(60)), return_exceptions=True)

    with ExtractWorkers(1, preload=()) as workers:
        results = asyncio.run(pages(workers))
        tasks = workers._pool._queue_count          # CPython's count of the pool's tasks submitted
    assert [r for n, r in enumerate(results) if n != 7] == [n * n for n in range(60) if n != 7]
    assert isinstance(results[7], ValueError) and str(results[7]) == "seven"
    assert tasks <= 60 // 4, tasks                  # 60 tasks, one a page, before batches


def test_workers_are_replaced_after_their_quota_of_pages():
    async def pids(workers):
        return {await workers.run(pid, None) for _ in range(6)}

    with ExtractWorkers(1, tasks_per_worker=2, preload=()) as workers:
        assert len(asyncio.run(pids(workers))) == 3


def test_a_backlog_longer_than_a_worker_quota_completes():
    """Pages queued past the old per-worker quota (500): CPython's max_tasks_per_child deadlocks there when a
    worker exits with pages queued (python/cpython#115634); the crawl's pool must finish every page."""
    async def backlog(workers):
        return await asyncio.wait_for(asyncio.gather(*(workers.run(square, n) for n in range(1200))), 120)

    with ExtractWorkers(1, preload=()) as workers:
        assert asyncio.run(backlog(workers)) == [n * n for n in range(1200)]


WARM_PROBE = """
from crawler.extract.workers import ExtractWorkers
from tests.test_workers import warm_state
with ExtractWorkers(1) as workers:
    print(*workers.submit(warm_state, None).result(timeout=60))
"""


def warm_state(_):
    """What a fresh worker holds before its first page: dateparser imported, how many parsers built."""
    import sys

    from crawler import dates
    return "dateparser.date" in sys.modules, dates._parser.cache_info().currsize


def test_workers_start_with_the_extractor_and_dateparser_warm():
    """The fork server builds dateparser's parsers once (crawler.extract.preload): a worker does not pay
    ~0.5 s of CPU for them on its first page. (In a process of its own: a process has one fork server,
    started by its first pool, and the tests above start it without preloading.)"""
    import subprocess
    import sys
    from pathlib import Path

    from crawler.sites import SITES

    done = subprocess.run([sys.executable, "-c", WARM_PROBE], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1], stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    imported, parsers = done.stdout.split()
    assert imported == "True" and int(parsers) >= 2 * len({spec.timezone for spec in SITES.values()})


def test_the_fork_server_is_stopped_after_the_crawl_and_comes_back_for_a_new_pool():
    """In a process of its own: the tests' warm commands share this process's fork server."""
    import subprocess
    import sys

    code = (
        "import os, multiprocessing.forkserver as fs\n"
        "from crawler.extract.workers import ExtractWorkers, stop_fork_server\n"
        "from tests.test_workers import square\n"
        "with ExtractWorkers(1, preload=()) as w:\n"
        "    assert w.submit(square, 3).result() == 9\n"
        "server = fs._forkserver._forkserver_pid\n"
        "os.kill(server, 0)\n"
        "stop_fork_server()\n"
        "try:\n"
        "    os.kill(server, 0)\n"
        "    raise SystemExit('the fork server still runs')\n"
        "except ProcessLookupError:\n"
        "    pass\n"
        "with ExtractWorkers(1, preload=()) as w:\n"
        "    assert w.submit(square, 4).result() == 16\n"
        "assert fs._forkserver._forkserver_pid not in (None, server)\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def grow(megabytes):
    """A page that leaves its worker holding memory (as malloc keeps what a big page took)."""
    global HELD
    HELD = bytearray(megabytes << 20)
    HELD[::4096] = b"x" * len(HELD[::4096])         # touched: resident, not just reserved
    return os.getpid()


def test_a_worker_holding_more_than_max_rss_is_not_used_again(caplog):
    async def pages(workers):
        first = await workers.run(grow, 200)            # leaves its worker over the bound
        after = await asyncio.gather(*(workers.run(pid, None) for _ in range(4)))
        return first, set(after), await asyncio.gather(*(workers.run(square, n) for n in range(50)))

    caplog.set_level("INFO", logger="arshif.workers")
    with ExtractWorkers(1, preload=(), max_rss=150 << 20) as workers:
        first, after, squares = asyncio.run(pages(workers))
    assert first not in after and squares == [n * n for n in range(50)]
    assert any("worker pool renewed" in r.getMessage() for r in caplog.records)


def test_workers_under_max_rss_stay():
    async def pids(workers):
        return {await workers.run(pid, None) for _ in range(6)}

    with ExtractWorkers(1, preload=(), max_rss=1 << 40) as workers:
        assert len(asyncio.run(pids(workers))) == 1
