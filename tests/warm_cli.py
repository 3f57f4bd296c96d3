"""``arshif`` commands of the tests, each in a new process forked from one warm interpreter.

A crawl in a fresh interpreter pays ~1 s of CPU before its first page: its own imports (Scrapy, Twisted,
pydantic), then its extraction workers' fork server importing the extractor and warming dateparser
(``crawler/extract/preload.py``). The suite runs some 120 crawls. Here the test process keeps one
``multiprocessing`` fork server (per pytest worker) that has imported all of that once; each command is a
process forked from it that sets its environment, working folder and standard streams, then runs
``jobs.cli.main`` as ``python -m jobs.cli`` would. Its extraction workers are forked by that same warm
server (the server's address and the fds it needs are inherited; only its ``ensure_running``, which would
start a second server because it does not know the first one's pid, is skipped).

What differs from a fresh ``python -m jobs.cli``: the imports are done before the environment is set (no
module of ours reads it at import), and exit handlers registered by the command are run by hand before
``os._exit``. tests/test_warm_cli.py runs commands both ways and compares them; ``serve``'s children and the
signal tests that kill a crawl's process group start fresh interpreters (Popen), as does ``arshif(...,
fresh=True)``, an environment that changes how Python starts (``needs_fresh``) or ``FRESH_CLI=1``.
"""
from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.forkserver
import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: imported once by the fork server: every command's modules, what a crawl's Scrapy loads from its settings
#: (not ``twisted.internet.reactor``: importing it installs a reactor, and each crawl installs its own), and
#: the extraction workers' preload
PRELOAD = ["tests.warm_cli", "jobs.cli", "jobs.crawl", "jobs.compact", "crawler.run.session", "crawler.run.lock", "crawler.logs", "jobs.stories",
           "crawler.fetch.spider", "crawler.fetch.capture", "crawler.fetch.crawl_delay", "crawler.fetch.retry_after",
           "crawler.run.site_run", "crawler.run.uploads", "crawler.run.scrapy_settings", "crawler.run.dead_runs",
           "crawler.run.deadline", "crawler.run.report_extension", "crawler.archive.storage.s3", "crawler.archive.storage.local",
           "crawler.archive.state.lease", "crawler.run.archive_pipeline", "crawler.extract.pipeline",
           "scrapy.crawler", "scrapy.core.downloader.handlers.http11",
           "scrapy.core.downloader.contextfactory", "scrapy.downloadermiddlewares.httpcompression",
           "scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.redirect",
           "scrapy.downloadermiddlewares.retry", "scrapy.pqueues", "scrapy.squeues", "scrapy.robotstxt",
           "scrapy.extensions.throttle", "scrapy.extensions.memusage",
           "crawler.extract.preload"]

_context: multiprocessing.context.ForkServerContext | None = None


def _ctx() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(argv: list[str], env: dict[str, str], cwd: str | None, out: str, err: str) -> None:
    """The command's process: forked from the warm server, runs ``arshif argv`` and exits with its code."""
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, errors="backslashreplace", buffering=1)
    sys.argv = [sys.executable, *argv]
    # the workers this command starts are forked by the same warm server: it is running, but this process
    # did not start it, and the stock check (a waitpid on the server) would start a second one
    multiprocessing.forkserver._forkserver.ensure_running = lambda: None
    from jobs.cli import main

    code: object = 1
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        atexit._run_exitfuncs()         # what the interpreter does at exit (logging's flush, for one)
        sys.stdout.flush()
        sys.stderr.flush()
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    os._exit(code)


def needs_fresh(env: dict[str, str]) -> bool:
    """Whether ``env`` changes how an interpreter starts (``PYTHONPATH`` to a copy of the project or to a
    test's own rules, ``PYTHONHASHSEED``…): a warm interpreter has already started, only a fresh one honours it."""
    return any(env.get(k) != os.environ.get(k) for k in {*env, *os.environ} if k.startswith("PYTHON"))


def run(argv: list[str], *, env: dict[str, str], timeout: float, cwd: Path | None = None
        ) -> subprocess.CompletedProcess:
    """``arshif argv`` in a process forked from the warm server: what ``subprocess.run`` returns for it."""
    with tempfile.TemporaryDirectory(prefix="arshif-cli-") as folder:
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        Path(out).touch()
        Path(err).touch()
        process = _ctx().Process(target=_child, args=(argv, env, str(cwd) if cwd else None, out, err))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(argv, timeout, Path(out).read_bytes(), Path(err).read_bytes())
        return subprocess.CompletedProcess(argv, process.exitcode, Path(out).read_text("utf-8", "replace"),
                                           Path(err).read_text("utf-8", "replace"))
