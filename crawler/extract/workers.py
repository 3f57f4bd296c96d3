"""The extraction workers: a pool of processes (Trafilatura and lxml are not thread-safe, and the reactor
must never wait on them) that survives its workers. A page that crashes a worker (a segfault deep in lxml,
the kernel's OOM killer) fails alone: the pool is rebuilt and the crawl goes on.

Workers are not replaced after a quota of pages by default (``tasks_per_worker=None``): CPython's
``ProcessPoolExecutor(max_tasks_per_child=…)`` deadlocks when a worker exits at its quota while pages are
queued (python/cpython#115634, in every 3.11 and 3.12; the crawl of 10,000 pages of ``bench/pipeline.py
--articles 5000`` hung there with no worker left). A worker's memory settles after its first hundred pages
(~85 MB) and stays there.

A worker that one page left holding more than ``max_rss`` bytes (malloc keeps what a big page took) is not
used again: after that page the pool is renewed — later pages go to fresh workers, the old pool finishes what
it holds and its workers exit (``crawl.extract_worker_max_rss_mb``). No quota, so no deadlock.

The workers die with the crawl, even when it is SIGKILLed (:func:`_die_with_fork_server`): each worker closes
its copy of the fork server's "alive" pipe (every worker held one, so the fork server never saw the crawl go,
and each worker waited on a task queue whose writing end it held itself: a killed crawl left the fork server
and its workers running for good) and asks the kernel for SIGKILL when its parent — the fork server — dies;
the fork server exits when the crawl's end of that pipe closes.

Pages go to the workers in batches when they queue (:meth:`ExtractWorkers.run`): at most two batches a worker
are out at a time, and the pages that come meanwhile wait and leave together, up to ``BATCH_PAGES``. A page
that comes to idle workers leaves at once, alone. Each task of a ``ProcessPoolExecutor`` costs the calling
process ~0.15 ms of CPU (its work item, the manager thread's wake-ups, one pickling each way, the future's hop
back to the event loop), a batch of 8 ~0.025 ms a page. A page that raises fails alone; a worker that dies
fails the pages of its batch, as it failed every page queued in the pool before batches."""
from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

log = logging.getLogger("arshif.workers")


# The most pages sent to a worker as one task (pages that queue while every worker has two batches to do).
BATCH_PAGES = 16


class WorkerCrashed(Exception):
    """The worker process running this page died."""


class ExtractWorkers:
    def __init__(self, workers: int = 0, tasks_per_worker: int | None = None,
                 preload: tuple[str, ...] = ("crawler.extract.preload",), max_rss: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.tasks_per_worker = tasks_per_worker
        self.max_rss = max_rss
        self._ctx = multiprocessing.get_context("forkserver")   # never fork a process that runs threads
        self._ctx.set_forkserver_preload(list(preload))          # workers start with the extractor imported
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        # batches (run()): pages waiting to leave as (fn, args, future), batches out; a quota of tasks per
        # worker counts pages only when each leaves alone
        self._waiting: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []
        self._out = 0
        self._batches: set[asyncio.Task] = set()      # held: the loop keeps only weak references to tasks
        self._batch = 1 if tasks_per_worker else BATCH_PAGES

    def _new_pool(self) -> ProcessPoolExecutor:
        from multiprocessing import forkserver

        forkserver._forkserver.ensure_running()          # started now, so that its pid is known
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx,
                                   max_tasks_per_child=self.tasks_per_worker, initializer=_die_with_fork_server,
                                   initargs=(forkserver._forkserver._forkserver_pid,))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker, sent alone or in a batch with other pages (the module's docstring);
        raises :class:`WorkerCrashed` when the worker died on its batch."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((fn, args, done))
        self._send()
        return await done

    def _send(self) -> None:
        """The waiting pages out, in batches, while fewer than two batches a worker are out."""
        while self._waiting and self._out < 2 * self.workers:
            batch, self._waiting = self._waiting[:self._batch], self._waiting[self._batch:]
            self._out += 1
            self._batches.add(asyncio.get_running_loop().create_task(self._run_batch(batch)))

    async def _run_batch(self, batch: list[tuple[Callable[..., Any], tuple, asyncio.Future]]) -> None:
        pool = self._pool
        try:
            outcomes, rss = await asyncio.get_running_loop().run_in_executor(
                pool, _measured, [(fn, args) for fn, args, _ in batch])
        except BrokenProcessPool:
            self._replace(pool)
            outcomes, rss = [(False, WorkerCrashed("extraction worker died")) for _ in batch], 0
        except Exception as exc:       # the batch itself failed (its results could not be pickled…)
            outcomes, rss = [(False, exc)] * len(batch), 0
        except BaseException:          # cancelled: the run's loop is closing
            for _, _, done in batch:
                done.cancel()
            raise
        finally:
            self._out -= 1
            self._batches.discard(asyncio.current_task())
            self._send()
        if self.max_rss and rss > self.max_rss:
            self._renew(pool, rss)
        for (_, _, done), (ok, value) in zip(batch, outcomes):
            if not done.done():        # its page's task was cancelled meanwhile (the run stopped)
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(value)

    def _renew(self, worn: ProcessPoolExecutor, rss: int) -> None:
        """A worker of ``worn`` holds ``rss`` bytes, more than ``max_rss``: new pages go to a new pool; the worn
        one finishes the pages it holds, then its workers exit."""
        with self._lock:
            if self._pool is not worn:
                return
            self._pool = self._new_pool()
        log.info("an extraction worker holds %d MB after a page (more than %d MB): worker pool renewed",
                 rss >> 20, self.max_rss >> 20)
        worn.shutdown(wait=False)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """``fn(*args)`` in a worker, from plain synchronous code (re-extraction). A future whose worker died
        raises ``BrokenProcessPool``; the pool is rebuilt for the next submissions."""
        pool = self._pool
        try:
            return pool.submit(fn, *args)
        except BrokenProcessPool:
            self._replace(pool)
            return self._pool.submit(fn, *args)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:          # the first of the pages that saw it break rebuilds the pool
                self._pool = self._new_pool()
                log.warning("an extraction worker died; worker pool restarted")
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ExtractWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _measured(calls: list[tuple[Callable[..., Any], tuple]]) -> tuple[list[tuple[bool, Any]], int]:
    """Each ``fn(*args)`` of a batch in the worker, as ``(True, result)`` or ``(False, exception)`` (a page that
    raises fails alone), and the worker's resident memory after them."""
    outcomes: list[tuple[bool, Any]] = []
    for fn, args in calls:
        try:
            outcomes.append((True, fn(*args)))
        except Exception as exc:
            try:
                pickle.dumps(exc)
            except Exception:          # sent back as its description, or the whole batch would fail with it
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            outcomes.append((False, exc))
    return outcomes, _resident()


def _resident() -> int:
    """This process's resident memory now, in bytes (Linux: /proc; elsewhere its peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


PR_SET_PDEATHSIG = 1     # <linux/prctl.h>


def _die_with_fork_server(fork_server: int | None) -> None:
    """Worker initializer: let go of the fork server's "alive" pipe (the crawl's end of it closing is what
    stops the fork server), and be SIGKILLed when the fork server — this worker's parent — dies (Linux
    ``prctl(PR_SET_PDEATHSIG)``; elsewhere the worker still ends when its task queue does)."""
    from multiprocessing import forkserver

    alive = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        forkserver._forkserver._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if fork_server is not None and os.getppid() != fork_server:   # it died before the request above
            os._exit(1)


def stop_fork_server() -> None:
    """Stop the fork server this process started for its workers, once every pool is closed: it holds the
    extractor's imports (~50 MB) that nothing needs after the crawl, while story linking and the dataset's
    compaction still run in the crawl's process. A later pool would start a new one. ``_stop`` is CPython's
    own (its tests use it); in a process that did not start the server (one forked from it) it does nothing."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()
