"""One crawl per site at a time, across processes: ``arshif crawl`` from cron, a systemd timer or ``arshif serve``;
and across machines with the archive's write lease (``hold_site``: both, as every writer of a site takes them).

The lock is filelock's ``flock`` on ``<state folder of the archive>/lock-<site>``, taken without waiting. The
kernel releases it when the holder exits or dies (even by SIGKILL), so a crashed crawl never leaves a stale
lock. The file records the holder's process (``crawler/liveness.py``: pid, start time, …) and when it took the
lock, to tell the operator who holds it and ``arshif status`` whether that process still runs; it stays, empty,
when the lock is released.
"""
from __future__ import annotations

import json
import logging
import os
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from crawler import liveness
from crawler.archive.storage import ArchiveUnavailable
from crawler.archive.state.index import archive_state_dir
from crawler.archive.state.lease import Lease

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
        # the file stays (preserve_lock_file): readers find it empty when nobody holds the lock
        self._lock = FileLock(self.path, blocking=False, mode=0o644, preserve_lock_file=True,
                              on_acquired=_write_holder)

    def __enter__(self) -> "SiteLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise LockBusy(self.site, _holder_at(self.path, wait=HOLDER_WAIT)) from None
        return self

    def __exit__(self, *exc) -> None:
        if self._lock.is_locked:
            os.truncate(self.path, 0)         # still ours: no holder from now on
            self._lock.release()


def _write_holder(fd: int) -> None:
    """Name this process in the lock file, just taken (filelock's ``on_acquired``: the lock's descriptor)."""
    since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({**liveness.identity(), "since": since}).encode() + b"\n", 0)


def _holder_at(path: Path, wait: float = 0) -> dict | None:
    """The holder's record in the lock file at ``path`` (None when there is none, or no file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return _read_holder(fd, wait)
    finally:
        os.close(fd)


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
    holder = _holder_at(lock_path(settings, site))
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
