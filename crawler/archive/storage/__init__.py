"""Where the archive's objects are kept: the backend interface every backend implements in full (``base``),
the backends (``local`` for ``file://``, ``s3`` for ``s3://``, chosen by :func:`open_archive` from the URL's
scheme), atomic file writes (``durable``), the key layout (``keys``) and the article writes on top of any
backend (``store``). May import ``crawler.config``, ``crawler.outcomes`` and ``crawler.extract.record``;
nothing of ``crawler.archive.delivery`` or ``crawler.archive.state``."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler.archive.storage.base import Archive, ArchiveConfigError, ArchiveError, ArchiveUnavailable

__all__ = ["Archive", "ArchiveError", "ArchiveConfigError", "ArchiveUnavailable", "open_archive"]


def open_archive(url: str, settings=None) -> Archive:
    """The backend for ``url``; ``settings`` is the validated ``Settings`` (the S3 backend's settings, the
    local archive's file mode)."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        from crawler.archive.storage.local import LocalArchive

        return LocalArchive(url, settings.archive.file_mode if settings is not None else None)
    if scheme == "s3":
        from crawler.archive.storage.s3 import S3Archive

        return S3Archive(url, settings.archive.s3)
    raise ArchiveConfigError(f"archive {url}: unsupported scheme {scheme!r} (use file:// or s3://)")
