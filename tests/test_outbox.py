"""The outbox and the outage-proof uploader, against the real S3 server (and a dead endpoint for outages)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from crawler.archive.delivery.outbox import Outbox
from crawler.archive.storage.s3 import S3Archive
from crawler.archive.storage.store import plan_article
from crawler.archive.delivery.uploader import Uploader
from crawler.config import S3Settings
from crawler.extract.record import complete
from crawler.run.report import RunReport
from crawler.sites import SITES
from crawler.run.uploads import store_flush_reports
from crawler.urls import article_id
from tests.s3_server import free_ports, s3_settings
from tests.waiting import wait_until

JSON = "application/json; charset=utf-8"


def make_record(n: int, text: str | None = None, site: str = "elbalad", hour: int = 9) -> dict:
    """A schema-valid article record, number ``n``."""
    text = text or f"نص المقال رقم {n} كما نشر في الموقع."
    url = f"https://www.elbalad.news/{5600000 + n}" if site == "elbalad" else f"https://arabic.rt.com/world/{1000 + n}-x/"
    extracted = {
        "id": article_id(url, SITES[site].default_base_url, SITES[site]), "url": url, "canonical_url": url, "site": site, "title": f"عنوان {n}",
        "description": None, "authors": [], "published_at": "2026-11-20T10:00:00+02:00", "modified_at": None,
        "section": None, "tags": [], "image": None, "language": "ar", "text": text,
        "word_count": len(text.split()), "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "extractor": {"name": "trafilatura", "version": "2", "rules": f"{site}@1"},
    }
    return complete(extracted, fetched_at=datetime(2026, 11, 20, hour, tzinfo=timezone.utc), run_id="r1", warc=None)


def new_plan(rec: dict):
    return plan_article(rec, None, "2026-11-20")


def dead_archive(url: str) -> S3Archive:
    """The same bucket URL behind an endpoint that refuses connections: an outage."""
    (port,) = free_ports(1)
    return S3Archive(url, S3Settings(endpoint_url=f"http://127.0.0.1:{port}", addressing_style="path",
                                     max_attempts=2, connect_timeout=1))


@pytest.fixture
def live(s3_server, s3_url):
    arc = S3Archive(s3_url, s3_settings(s3_server))
    yield arc
    arc.close()


# ------------------------------------------------------------------------------------------------ outbox


def test_outbox_entries_replay_in_order_and_are_whole(tmp_path):
    box = Outbox(tmp_path / "outbox")
    box.add_article(new_plan(make_record(1)))
    box.add_bytes("runs/site=elbalad/date=2026-11-20/r.json", b"{}", content_type=JSON, metadata={"site": "elbalad"})
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"gz" * 100)
    box.add_file("warc/site=elbalad/date=2026-11-20/x.warc.gz", warc, content_type="application/warc",
                 metadata={"site": "elbalad"})
    assert not warc.exists()                                   # moved in, not copied
    (tmp_path / "outbox" / ".tmp-123.part").write_bytes(b"{half")  # a kill mid-write leaves only this
    entries = list(box.entries())
    assert [e.kind for e in entries] == ["article", "bytes", "file"]
    assert [e.site for e in entries] == ["elbalad"] * 3
    assert entries[2].data_path.read_bytes() == b"gz" * 100
    box.remove(entries[2])
    assert len(box) == 2 and not entries[2].data_path.exists()


def test_file_description_without_data_is_not_an_entry(tmp_path):
    """A kill between writing a file's description and moving it in: the file is still where it was."""
    box = Outbox(tmp_path / "outbox")
    src = tmp_path / "y.warc.gz"
    src.write_bytes(b"data")
    path = box.add_file("warc/k", src, content_type="application/warc")
    path.with_name(path.name.split(".")[0] + ".data").rename(src)      # undo the move: as if killed before it
    assert list(box.entries()) == []
    assert path.exists()                                               # kept while it may be in progress
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    assert list(box.entries()) == [] and not path.exists()             # stale: dropped


def test_flush_lock_is_exclusive(tmp_path):
    box = Outbox(tmp_path / "outbox")
    with box.lock() as first:
        with Outbox(tmp_path / "outbox").lock() as second:
            assert first is True and second is False


_WRITER = """
import sys
sys.path.insert(0, {root!r})
from crawler.archive.delivery.outbox import Outbox
from tests.test_outbox import make_record, new_plan
box = Outbox({folder!r})
n = 0
while True:
    box.add_article(new_plan(make_record(n % 50)))
    n += 1
"""


def test_kill_while_adding_leaves_only_whole_entries(tmp_path):
    folder = tmp_path / "outbox"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", _WRITER.format(root=root, folder=str(folder))])
    try:
        wait_until(lambda: folder.exists() and len(list(folder.glob("*.json"))) >= 30, "30 entries in the outbox")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    entries = list(Outbox(folder).entries())
    assert len(entries) >= 30
    assert len(entries) == len(list(folder.glob("*.json")))            # every visible entry parses
    for entry in entries:
        assert entry.plan().record["site"] == "elbalad"


# ------------------------------------------------------------------------------------------------ uploader


def test_outage_sends_writes_to_the_outbox_then_flush_uploads_them(s3_url, live, tmp_path):
    box = Outbox(tmp_path / "outbox")
    down = Uploader(dead_archive(s3_url), workers=4, outbox=box)
    records = [make_record(i) for i in range(10)]
    started = time.monotonic()
    results = [down.submit_article(new_plan(r)) for r in records]
    assert [f.result(timeout=30) for f in results] == [("pending", [], None)] * 10
    warc = tmp_path / "run-00001.warc.gz"
    warc.write_bytes(b"warc bytes")
    assert down.submit_file("warc/site=elbalad/date=2026-11-20/run-00001.warc.gz", warc,
                            content_type="application/warc", metadata={"site": "elbalad"}).result() is None
    report = RunReport("20261120T090000Z-elbalad-abcd", "elbalad", s3_url)
    report.finish("failed", "archive unavailable")
    assert down.submit_bytes(report.key, report.to_json(), content_type=JSON,
                             metadata={"site": "elbalad"}).result() is None
    down.close()
    # The circuit breaker: one write waits through botocore's retries, the others go straight to the outbox.
    assert time.monotonic() - started < 10
    assert len(box) == 12 and not warc.exists()

    up = Uploader(live, workers=4, outbox=box, after_flush=(store_flush_reports,))
    result = up.flush_outbox()
    up.close()
    assert (result.replayed, result.remaining) == (12, 0)
    assert result.counts == {"elbalad": {"new": 10}}
    assert len(box) == 0
    keys = set(live.list("articles/"))
    assert keys == {p.key for p in map(new_plan, records)}
    assert live.get("warc/site=elbalad/date=2026-11-20/run-00001.warc.gz") == b"warc bytes"
    assert live.get(report.key) is not None
    # The flush stored a manifest of its own listing what it uploaded (not the report it replayed).
    flush_reports = [k for k in live.list("runs/") if k.endswith("-flush.json")]
    assert len(flush_reports) == 1
    manifest = json.loads(live.get(flush_reports[0]))
    assert manifest["counts"]["new"] == 10 and manifest["result"] == "ok"
    assert set(manifest["keys_written"]) == keys | {"warc/site=elbalad/date=2026-11-20/run-00001.warc.gz"}


def test_replaying_twice_duplicates_nothing(s3_url, live, tmp_path):
    """A kill after the upload but before the entry is deleted: the entry is replayed; nothing changes."""
    box = Outbox(tmp_path / "outbox")
    down = Uploader(dead_archive(s3_url), outbox=box)
    rec = make_record(1)
    edited = make_record(1, "نص المقال بعد تعديل المحرر.", hour=10)
    # Both the first text and an edit of it wait in the outbox, in that order.
    down.submit_article(new_plan(rec)).result()
    from crawler.archive.state.index import Known
    known = Known(rec["id"], rec["canonical_url"], new_plan(rec).key, rec["content_sha256"], 1, datetime.now())
    down.submit_article(plan_article(edited, known, "2026-11-20")).result()
    down.close()
    saved = {p.name: p.read_bytes() for p in box.folder.glob("*.json")}

    up = Uploader(live, outbox=box)
    first = up.flush_outbox()
    assert first.counts == {"elbalad": {"new": 1, "updated": 1}}
    state = {k: live.get(k) for k in live.list("articles/")} | {k: live.get(k) for k in live.list("versions/")}
    for name, data in saved.items():                     # as if the deletes had never happened
        (box.folder / name).write_bytes(data)
    second = up.flush_outbox()
    up.close()
    assert second.counts == {"elbalad": {"unchanged": 2}} and second.remaining == 0
    after = {k: live.get(k) for k in live.list("articles/")} | {k: live.get(k) for k in live.list("versions/")}
    assert after == state and len(after) == 2              # the article (version 2) and one kept version
    latest = json.loads(live.get(new_plan(rec).key))
    assert latest["version"] == 2 and latest["text"] == edited["text"]


def test_server_stopped_mid_writes_nothing_lost(s3_server, s3_url, tmp_path):
    """The real server goes down in the middle of a stream of writes, then comes back."""
    arc = S3Archive(s3_url, s3_settings(s3_server, max_attempts=2, connect_timeout=0.5, read_timeout=2))
    box = Outbox(tmp_path / "outbox")
    uploader = Uploader(arc, workers=4, outbox=box)
    records = [make_record(i) for i in range(40)]
    outcomes = [uploader.submit_article(new_plan(r)).result() for r in records[:20]]
    s3_server.stop(kill=True)
    try:
        outcomes += [f.result(timeout=60) for f in [uploader.submit_article(new_plan(r)) for r in records[20:]]]
    finally:
        s3_server.start()
    assert [o for o, _, _ in outcomes[:20]] == ["new"] * 20
    assert [o for o, _, _ in outcomes[20:]] == ["pending"] * 20
    result = uploader.flush_outbox()
    uploader.close()
    assert (result.replayed, result.remaining) == (20, 0)
    assert len(list(arc.list("articles/"))) == 40


def test_cli_flush(s3_server, s3_url, tmp_path, monkeypatch, capsys):
    from crawler.archive.state.index import archive_state_dir
    from jobs.cli import main

    state = tmp_path / "state"
    monkeypatch.setenv("ARSHIF_ARCHIVE__STATE_DIR", str(state))
    monkeypatch.setenv("ARSHIF_ARCHIVE__S3__ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE", "path")
    monkeypatch.setenv("ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS", "2")
    box = Outbox(archive_state_dir(state, s3_url) / "outbox")
    for i in range(3):
        box.add_article(new_plan(make_record(i)))
    assert main(["flush", "--archive", s3_url]) == 0
    assert capsys.readouterr().out.strip() == f"flush: 3 writes uploaded to {s3_url}, 0 still waiting"
    assert len(box) == 0

    box.add_article(new_plan(make_record(7)))
    (port,) = free_ports(1)
    monkeypatch.setenv("ARSHIF_ARCHIVE__S3__ENDPOINT_URL", f"http://127.0.0.1:{port}")
    assert main(["flush", "--archive", s3_url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("flush: 1 writes still waiting in the outbox: ") and "not answering" in out
