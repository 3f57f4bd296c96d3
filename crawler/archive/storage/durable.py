"""Crash-safe local files: a file is there whole or not at all, and stays there after a power cut.

Files get the mode the process's umask allows (``0644`` under the usual ``022``, as ``open()`` would give;
``mkstemp`` alone makes ``0600``, which no other account can read), or the ``mode`` given
(``archive.file_mode``); folders made on the way get the same, with search (``x``) wherever read is allowed.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` can only be read by setting it, which
    would give a file another thread creates meanwhile the wrong mode)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)          # no /proc (not Linux): the only other way
    os.umask(mask)
    return mask


def folder_mode(file_mode: int) -> int:
    """A folder's mode for files of ``file_mode``: the same bits, plus search wherever read is allowed."""
    return file_mode | ((file_mode & 0o444) >> 2)


def make_folders(path: Path, mode: int | None = None) -> None:
    """``mkdir -p path``; with ``mode`` (a file mode), every folder made gets ``folder_mode(mode)``, else
    what the umask allows."""
    if mode is None:
        path.mkdir(parents=True, exist_ok=True)
        return
    missing = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:                 # made meanwhile by another writer
            continue
        os.chmod(folder, folder_mode(mode))     # exactly, whatever the umask


def write_atomic(target: Path, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    """``write(fh)`` into a temporary file beside ``target``, fsync it, rename it over ``target``, fsync the
    folder. The file gets ``mode``, or what the umask allows. Raises ``OSError`` (disk full…) with nothing
    left behind."""
    make_folders(target.parent, mode)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~current_umask() if mode is None else mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
