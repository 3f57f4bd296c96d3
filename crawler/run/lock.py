"""One crawl per site at a time, across processes: ``arshif crawl`` from cron, a systemd timer or ``arshif serve``;
and across machines with the archive's write lease (``hold_site``: both, as every writer of a site takes them).

The lock is an ``flock`` on ``<state folder of the archive>/lock-<site>``, taken without waiting. The kernel
releases it when the holder exits or dies (even by SIGKILL), so a crashed crawl never leaves a stale lock.
The file records the holder's process (``crawler/liveness.py``: pid, start time, …) and when it took the lock,
to tell the operator who holds it and ``arshif status`` whether that process still runs.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from crawler import liveness
from crawler.archive import ArchiveUnavailable
from crawler.archive.index import archive_state_dir
from crawler.archive.lease import Lease

log = logging.getLogger("arshif.lock")

#: how long a crawl turned away waits for the holder's record (pid, start) to name it in its message
HOLDER_WAIT = 1.0


def lock_path(settings, site: str) -> Path:
    return archive_state_dir(settings.archive.state_dir, settings.archive.url) / f"lock-{site}"


class LockBusy(Exception):
    """Another process holds the site's lock. ``str()`` is one line for the operator."""

    #: exit status of a crawl that did not start because another one was running (sysexits EX_TEMPFAIL):
    #: ``arshif serve`` and systemd (``SuccessExitStatus=75``) tell it apart from a failed crawl
    exit_code = 75

    def __init__(self, site: str, holder: dict | None):
        self.site = site
        self.holder = holder or {}
        who = (f" (pid {self.holder['pid']} since {self.holder['since']})"
               if {"pid", "since"} <= self.holder.keys() else "")
        super().__init__(f"site {site}: another crawl is already running{who}; not starting a second one")


class SiteLock:
    """``with SiteLock(settings, site):`` — raises :class:`LockBusy` at once when the site is being crawled."""

    def __init__(self, settings, site: str):
        self.site = site
        self.path = lock_path(settings, site)
        self._fd: int | None = None

    def __enter__(self) -> "SiteLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd, wait=HOLDER_WAIT)
            os.close(fd)
            raise LockBusy(self.site, holder) from None
        except BaseException:
            os.close(fd)
            raise
        since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({**liveness.identity(), "since": since}).encode() + b"\n", 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int, wait: float = 0) -> dict | None:
    """The holder's record, read again for up to ``wait`` seconds while it is empty: a holder writes it
    just after taking the lock, and a crawl started at the same moment may look in between."""
    deadline = time.monotonic() + wait
    while True:
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"null")
        except ValueError:  # being written
            holder = None
        if isinstance(holder, dict) or time.monotonic() >= deadline:
            return holder if isinstance(holder, dict) else None
        time.sleep(0.02)


def live_holder(settings, site: str) -> dict | None:
    """``{"pid", "since"}`` of the process that holds the site's lock when it is alive, else None — read
    without taking the lock (a crawl starting now is never turned away by a reader)."""
    try:
        fd = os.open(lock_path(settings, site), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        holder = _read_holder(fd)
    finally:
        os.close(fd)
    if not holder or not isinstance(holder.get("pid"), int):
        return None
    seen = liveness.alive(holder)
    if seen is not None:
        return holder if seen else None      # a pid reused by another process is not the holder
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return None              # killed (SIGKILL leaves its pid in the file): the kernel released the lock
    except PermissionError:
        pass                     # alive, another user's
    return holder


def hold_site(stack: ExitStack, settings, archive, name: str, *, outage_ok: bool = True) -> None:
    """Hold ``name``'s local lock (raises :class:`LockBusy`), then the archive's write lease for it (raises
    ``LeaseHeld``; a lease whose process is gone is taken over), until ``stack`` closes. With ``outage_ok``,
    an archive that does not answer now is an outage the outbox absorbs: the run goes on without the lease,
    and the conditional writes keep concurrent runs safe."""
    stack.enter_context(SiteLock(settings, name))                     # one writer on this machine…
    try:
        stack.enter_context(Lease(archive, name, settings.archive.s3.lease))     # …and across
    except ArchiveUnavailable as exc:
        if not outage_ok:
            raise
        log.warning("site %s: write lease not taken, archive unavailable: %s", name, exc)
