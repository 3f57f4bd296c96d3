"""The embedded default archive: a local folder with the same key layout as the bucket.

Every write is atomic (temporary file in the same folder, fsync, rename, fsync of the folder), so a kill at
any moment leaves either the old object or the new one, never half a file.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from crawler.archive.storage.durable import fsync_dir, make_folders, write_atomic
from crawler.archive.storage.base import Archive, ArchiveConfigError, ArchiveError, ArchiveUnavailable, ObjectInfo


def path_from_url(url: str) -> Path:
    parts = urlsplit(url)
    return Path(parts.netloc + parts.path) if parts.netloc in ("", ".", "..") else Path("/" + parts.netloc + parts.path)


class LocalArchive(Archive):
    remote = False            # a write's answer is never lost; no metadata is kept beside the bytes
    has_locks = True          # one crawl of a site at a time: the flock of lock()

    def __init__(self, url: str, file_mode: int | None = None):
        self.url = url
        self.root = path_from_url(url)
        self.file_mode = file_mode          # archive.file_mode; None: what the umask allows

    def check(self, *, create: bool = True) -> None:
        if not create and not self.root.is_dir():
            raise ArchiveConfigError(f"archive {self.url}: no such folder {self.root} (nothing was archived there: "
                                     "check archive.url or --archive)")
        try:
            make_folders(self.root, self.file_mode)
        except OSError as exc:
            raise ArchiveConfigError(f"archive {self.url}: cannot create folder {self.root}: {exc.strerror}") from None
        if not os.access(self.root, os.W_OK):
            raise ArchiveConfigError(f"archive {self.url}: folder {self.root} is not writable")

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad archive key {key!r}")
        return self.root / key

    def _write_atomic(self, target: Path, write) -> None:
        try:
            write_atomic(target, write, self.file_mode)
        except OSError as exc:
            reason = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
            raise ArchiveError(f"archive {self.url}: cannot write {target}: {reason}") from None

    @staticmethod
    def _no_etags(if_match: str | None) -> None:
        if if_match is not None:        # get_with_etag never gives one here
            raise ValueError("a local archive has no ETags to match")

    def put(self, key, data, *, content_type, content_encoding=None, metadata=None, if_absent=False,
            if_match=None) -> bool:
        self._no_etags(if_match)
        target = self._path(key)
        if if_absent and target.exists():
            return False
        self._write_atomic(target, lambda fh: fh.write(data))
        return True

    def put_file(self, key, path, *, content_type, content_encoding=None, metadata=None) -> None:
        def copy(fh):
            with open(path, "rb") as src:
                shutil.copyfileobj(src, fh, 1024 * 1024)

        self._write_atomic(self._path(key), copy)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):       # a file where a folder of the key would be
            return None
        except OSError as exc:
            raise ArchiveError(f"archive {self.url}: cannot read {key}: {exc.strerror}") from None

    def get_with_etag(self, key: str) -> tuple[bytes, None] | None:
        """The object's bytes and no ETag: a local folder has one writer per site (its lock), no If-Match."""
        data = self.get(key)
        return None if data is None else (data, None)

    def stat(self, key: str) -> ObjectInfo | None:
        """The object's size; a folder keeps no ETag, content type, metadata or checksum."""
        try:
            size = self._path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise ArchiveError(f"archive {self.url}: cannot stat {key}: {exc.strerror}") from None
        return ObjectInfo(key=key, size=size, etag="", content_type=None, content_encoding=None, metadata={},
                          checksum_sha256=None)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str, *, if_match: str | None = None) -> bool:
        """Remove ``key``, then the folders it leaves empty (up to the archive's root), durably."""
        self._no_etags(if_match)
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError as exc:
            raise ArchiveError(f"archive {self.url}: cannot delete {path}: {exc.strerror}") from None
        fsync_dir(path.parent)
        folder = path.parent
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
        return True

    def sweep_partial_writes(self, older_than: timedelta) -> int:
        """The hidden temporary files (``.tmp-*.part``, ``crawler/archive/storage/durable.py``) that a process killed
        inside a write left in the archive's folders: no listing or reader sees them, but they hold disk."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                if name.startswith(".tmp-") and name.endswith(".part"):
                    path = os.path.join(dirpath, name)
                    try:
                        if os.stat(path).st_mtime < cutoff:
                            os.unlink(path)
                            removed += 1
                    except OSError:         # gone meanwhile, or a read-only archive: left for a later run
                        continue
        return removed

    def lock(self, key: str) -> int | None:
        """Hold an exclusive ``flock`` on the (empty, created) file at ``key``: its fd, or None when another
        process holds it. The kernel releases it when the holder exits or dies; :meth:`unlock` releases it
        before. The file is never written (an archive's bytes and times stay as they were) and its fd is
        read-only, so the lock never keeps the archive's file system from being remounted read-only."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as exc:          # a full or read-only disk: no lock, the caller goes on as in an outage
            raise ArchiveUnavailable(f"archive {self.url}: cannot create the lock {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def unlock(self, handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)

    def list_info(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        # Walk only the folder that the prefix names, then filter by the rest of the prefix.
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return iter(())
        found = []
        for dirpath, _, filenames in os.walk(folder):
            for name in filenames:
                if name.startswith("."):        # a write in progress (.tmp-*.part), a lease's lock file
                    continue
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    found.append((key, datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc)))
        return iter(sorted(found))
