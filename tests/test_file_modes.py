"""Files the archive writes are readable by the accounts the umask lets read them (0644 under the usual 022;
``mkstemp`` alone would make them 0600), folders likewise; ``archive.file_mode`` sets a stricter mode."""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager

import pytest

from crawler.archive.storage.durable import write_atomic
from crawler.archive.storage.local import LocalArchive
from crawler.config import SettingsError, load_settings


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750),
                                                          (0o077, 0o600, 0o700)],
                         ids=["umask 022", "umask 027", "umask 077"])
def test_files_and_folders_get_what_the_umask_allows(tmp_path, mask, file_mode, folder_mode):
    with umask(mask):
        write_atomic(tmp_path / "a" / "b" / "out.jsonl", lambda fh: fh.write(b"{}\n"))
        archive = LocalArchive(f"file://{tmp_path}/archive")
        archive.check()
        archive.put("articles/site=elbalad/date=2026-12-01/x.json", b"{}", content_type="application/json")
    assert mode(tmp_path / "a" / "b" / "out.jsonl") == file_mode
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == folder_mode
    root = tmp_path / "archive"
    assert mode(root / "articles/site=elbalad/date=2026-12-01/x.json") == file_mode
    assert {mode(p) for p in [root, *root.rglob("*")] if p.is_dir()} == {folder_mode}


def test_a_stricter_mode_from_the_settings_holds_whatever_the_umask(tmp_path, monkeypatch):
    monkeypatch.setenv("ARSHIF_ARCHIVE__FILE_MODE", "0640")
    settings = load_settings(None)
    assert settings.archive.file_mode == 0o640
    from crawler.archive.storage import open_archive

    with umask(0o002):
        archive = open_archive(f"file://{tmp_path}/archive", settings)
        archive.check()
        archive.put("runs/site=rt_arabic/date=2026-12-01/r.json", b"{}", content_type="application/json")
    root = tmp_path / "archive"
    assert mode(root / "runs/site=rt_arabic/date=2026-12-01/r.json") == 0o640
    assert {mode(p) for p in [root, *root.rglob("*")] if p.is_dir()} == {0o750}


@pytest.mark.parametrize("value", ["0777", "0644x", "0440", "4644"])
def test_a_bad_file_mode_is_refused_naming_the_key(monkeypatch, value):
    monkeypatch.setenv("ARSHIF_ARCHIVE__FILE_MODE", value)
    with pytest.raises(SettingsError, match=r"archive\.file_mode: .*octal file mode"):
        load_settings(None)
