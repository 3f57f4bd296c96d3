"""What every archive backend offers: a small set of object-store primitives.

Backends (``local.LocalArchive`` for ``file://``, ``s3.S3Archive`` for ``s3://``) implement these; the
article logic (idempotence, versions) is written once on top of them in ``store.py``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator


class ArchiveError(Exception):
    """Base for archive problems. ``str()`` is one line naming the archive and the cause, no secrets."""


class ArchiveConfigError(ArchiveError):
    """The archive cannot be used as configured (missing bucket, refused credentials…): fatal, exit 2."""


class ArchiveUnavailable(ArchiveError):
    """The archive does not answer now (after retries): an outage. Writes go to the outbox."""


class Archive(ABC):
    #: the archive URL as configured, safe to log (never carries secrets)
    url: str

    def check(self, *, create: bool = True) -> None:
        """Fail fast at start: raise ArchiveConfigError (fatal) or ArchiveUnavailable (outage). Without
        ``create`` (a command that only reads or repairs an archive), an archive that does not exist yet is
        fatal too, instead of being made empty."""

    @abstractmethod
    def put(self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None,
            metadata: dict[str, str] | None = None, if_absent: bool = False) -> bool:
        """Store ``data`` at ``key`` atomically. With ``if_absent``, do nothing and return False when the
        key exists already. Returns True when written."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        """Store the local file ``path`` at ``key`` atomically (large files: WARC)."""

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""

    @abstractmethod
    def list_info(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """``(key, last modified)`` of every object under ``prefix``, keys in lexicographic order."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, in lexicographic order."""
        return (key for key, _ in self.list_info(prefix))

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove ``key`` (nothing there is no error). Only the dataset's replaced files and maintenance
        (``arshif migrate-ids``) delete: a crawl never deletes an article, version, WARC file or run report."""

    def sweep_partial_writes(self, older_than: timedelta) -> int:
        """Remove what writes killed midway left behind, older than ``older_than`` (so that no write still
        running is touched); the count. An object store has none: a PUT is whole or absent."""
        return 0

    def close(self) -> None:
        """Release connections and pools."""
