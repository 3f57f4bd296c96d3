"""Which process a record names — a write lease, a lock file, a run report — and whether it is still alive.

A host name is not enough: two crawls on one host (another state folder, another container with the same
host name) or a pid reused after a reboot would be taken for one another. A process is named here by its host
name, the machine's boot (``/proc/sys/kernel/random/boot_id``), its pid namespace, its pid, its start time
(clock ticks after boot, ``/proc/<pid>/stat`` field 22: a pid reused by another process has another) and a
random token of the process (``token``).

:func:`alive` answers True (that very process runs), False (it is gone: same machine, boot and pid namespace,
and the pid is not running or runs a process started at another time) or None — it cannot be told from here
(another machine or container, a record without those fields). Only False lets a caller treat the holder as dead.
"""
from __future__ import annotations

import os
import secrets
import socket
from functools import lru_cache
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def start_ticks(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks after boot, None when it is not running (or no /proc)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()          # after "pid (comm)": state is field 3, starttime field 22
    return int(fields[19])


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


@lru_cache(maxsize=1)
def this_process() -> dict:
    """This process's identity: ``host``, ``boot``, ``pidns``, ``pid``, ``start``, ``token`` (cached; a forked
    child has a pid of its own, so it is computed per pid)."""
    return _identity(os.getpid())


def _identity(pid: int) -> dict:
    return {"host": socket.gethostname(), "boot": _read("/proc/sys/kernel/random/boot_id"), "pidns": _pid_namespace(),
            "pid": pid, "start": start_ticks(pid), "token": secrets.token_hex(8)}


def identity() -> dict:
    """This process's identity (see :func:`this_process`), fresh after a fork."""
    ident = this_process()
    if ident["pid"] != os.getpid():
        this_process.cache_clear()
        ident = this_process()
    return ident


def alive(record: dict) -> bool | None:
    """Is the process ``record`` names (the fields of :func:`identity`) alive? None when it cannot be told."""
    me = identity()
    pid = record.get("pid")
    if not isinstance(pid, int) or record.get("host") != me["host"]:
        return None
    if not record.get("boot") or record.get("boot") != me["boot"] or record.get("pidns") != me["pidns"]:
        return None
    started = start_ticks(pid)
    if started is None:
        return False
    return record.get("start") is None or started == record["start"] or False
