"""The backend interface (``crawler/archive/storage/base.py``) declares every method a backend has: the code above
the backends calls only what ``Archive`` declares, and each backend implements all of it."""
import inspect

import pytest

from crawler.archive.storage.base import Archive
from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.s3 import S3Archive


def _public_methods(cls) -> set[str]:
    return {name for name, member in inspect.getmembers(cls, callable) if not name.startswith("_")}


@pytest.mark.parametrize("backend", [LocalArchive, S3Archive])
def test_a_backend_has_no_method_the_interface_does_not_declare(backend):
    assert _public_methods(backend) - _public_methods(Archive) == set()
    assert not inspect.isabstract(backend), backend.__abstractmethods__
    assert isinstance(backend.remote, bool) and isinstance(backend.has_locks, bool)


def test_a_local_archive_answers_every_declared_method(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/a")
    archive.check()
    assert archive.get_with_etag("k.json") is None and archive.stat("k.json") is None
    archive.put("k.json", b"{}", content_type="application/json")
    assert archive.get_with_etag("k.json") == (b"{}", None)          # no ETag: no conditional replace
    assert archive.stat("k.json").size == 2 and archive.stat("k.json").metadata == {}
    with pytest.raises(ValueError):
        archive.put("k.json", b"[]", content_type="application/json", if_match="x")
    handle = archive.lock("leases/.site=x.lock")
    assert handle is not None and archive.lock("leases/.site=x.lock") is None
    archive.unlock(handle)
    assert archive.delete("k.json") and archive.get("k.json") is None
