"""What every archive backend offers: a small set of object-store primitives, every one declared here.

Backends (``local.LocalArchive`` for ``file://``, ``s3.S3Archive`` for ``s3://``) implement all of them; the
article logic (idempotence, versions) is written once on top of them in ``store.py``, the site lease in
``crawler/archive/state/lease.py``. What a backend can or cannot do is said by what these methods answer (an
ETag of None: no conditional replace) and by two declared facts (:attr:`Archive.remote`,
:attr:`Archive.has_locks`), never by asking an object which methods it happens to have.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Iterator


class ArchiveError(Exception):
    """Base for archive problems. ``str()`` is one line naming the archive and the cause, no secrets."""


class ArchiveConfigError(ArchiveError):
    """The archive cannot be used as configured (missing bucket, refused credentials…): fatal, exit 2."""


class ArchiveUnavailable(ArchiveError):
    """The archive does not answer now (after retries): an outage. Writes go to the outbox."""


@dataclass(frozen=True)
class ObjectInfo:
    """What ``stat`` tells about an object: enough for ``arshif verify`` and for reading a write back."""
    key: str
    size: int
    etag: str                        # "" where the backend has no ETags
    content_type: str | None         # None where the backend keeps none (a local folder)
    content_encoding: str | None
    metadata: dict[str, str]         # {} where the backend keeps none
    checksum_sha256: str | None      # base64, as S3 returns it; None when the backend keeps none


class Archive(ABC):
    #: the archive URL as configured, safe to log (never carries secrets)
    url: str
    #: a write's answer can be lost after the write was applied (an archive over the network), and ``stat``
    #: returns the metadata a write stored: ``store.py`` then reads a refused or unanswered write back
    remote: ClassVar[bool]
    #: :meth:`lock` holds a lock that goes with its holder (a local folder's ``flock``); without one, the
    #: site lease is an object taken with conditional writes (``crawler/archive/state/lease.py``)
    has_locks: ClassVar[bool]

    @abstractmethod
    def check(self, *, create: bool = True) -> None:
        """Fail fast at start: raise ArchiveConfigError (fatal) or ArchiveUnavailable (outage). Without
        ``create`` (a command that only reads or repairs an archive), an archive that does not exist yet is
        fatal too, instead of being made empty."""

    @abstractmethod
    def put(self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None,
            metadata: dict[str, str] | None = None, if_absent: bool = False, if_match: str | None = None) -> bool:
        """Store ``data`` at ``key`` atomically. With ``if_absent``, do nothing and return False when the
        key exists already; with ``if_match``, only while the object's ETag is still this one (an ETag from
        :meth:`get_with_etag`: a backend that gives None there is never asked). Returns True when written."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        """Store the local file ``path`` at ``key`` atomically (large files: WARC)."""

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""

    @abstractmethod
    def get_with_etag(self, key: str) -> tuple[bytes, str | None] | None:
        """The object's bytes and its ETag (for a later ``put(..., if_match=etag)``), or None when absent. The
        ETag is None where the backend has no conditional replace (a local folder: one writer per site
        holds the folder's lock)."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo | None:
        """What the backend keeps about the object (size, ETag, metadata, checksum), or None when absent."""

    @abstractmethod
    def list_info(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """``(key, last modified)`` of every object under ``prefix``, keys in lexicographic order."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, in lexicographic order."""
        return (key for key, _ in self.list_info(prefix))

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    @abstractmethod
    def delete(self, key: str, *, if_match: str | None = None) -> bool:
        """Remove ``key`` (nothing there is no error); with ``if_match`` (an ETag, see :meth:`put`), only while
        the object is still that one, else False. Only the dataset's replaced files, a released lease and
        maintenance (``arshif migrate-ids``) delete: a crawl never deletes an article, version, WARC file or
        run report."""

    @abstractmethod
    def lock(self, key: str) -> int | None:
        """Where :attr:`has_locks`: hold an exclusive lock on ``key`` that goes with its holder, even killed;
        its handle, or None when another process holds it. Raises NotImplementedError elsewhere."""

    @abstractmethod
    def unlock(self, handle: int) -> None:
        """Release a lock :meth:`lock` returned."""

    def sweep_partial_writes(self, older_than: timedelta) -> int:
        """Remove what writes killed midway left behind, older than ``older_than`` (so that no write still
        running is touched); the count. An object store has none: a PUT is whole or absent."""
        return 0

    def close(self) -> None:
        """Release connections and pools."""
