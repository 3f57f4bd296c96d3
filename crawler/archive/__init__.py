"""Archive backends, chosen by the archive URL's scheme."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler.archive.base import Archive, ArchiveConfigError, ArchiveError, ArchiveUnavailable

__all__ = ["Archive", "ArchiveError", "ArchiveConfigError", "ArchiveUnavailable", "open_archive"]


def open_archive(url: str, settings=None) -> Archive:
    """The backend for ``url``; ``settings`` is the validated ``Settings`` (the S3 backend's settings, the
    local archive's file mode)."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        from crawler.archive.local import LocalArchive

        return LocalArchive(url, settings.archive.file_mode if settings is not None else None)
    if scheme == "s3":
        from crawler.archive.s3 import S3Archive

        return S3Archive(url, settings.archive.s3)
    raise ArchiveConfigError(f"archive {url}: unsupported scheme {scheme!r} (use file:// or s3://)")
