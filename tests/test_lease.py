"""The site write lease and concurrent writers, against the real S3 server."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from crawler.archive.state.lease import Lease, LeaseHeld, lease_key
from crawler.archive.storage.s3 import S3Archive
from crawler.archive.storage.store import plan_article, store_article
from crawler.verify import verify_archive
from crawler.archive.state.index import Known
from tests.s3_server import s3_settings
from tests.test_outbox import make_record
from tests.waiting import wait_until

DATE = "2026-11-20"


@pytest.fixture
def arc(s3_server, s3_url):
    archive = S3Archive(s3_url, s3_settings(s3_server, upload_workers=16))
    yield archive
    archive.close()


def test_second_run_does_not_start_while_the_lease_is_held(arc):
    with Lease(arc, "elbalad", 60, owner="run-a") as first:
        assert first.held
        assert json.loads(arc.get(lease_key("elbalad")))["owner"] == "run-a"
        with pytest.raises(LeaseHeld) as err:
            Lease(arc, "elbalad", 60, owner="run-b").acquire()
        assert str(err.value).startswith("site elbalad: another crawl holds the archive's write lease (owner run-a")
        assert LeaseHeld.exit_code == 75
        with Lease(arc, "rt_arabic", 60, owner="run-b") as other_site:   # other sites are independent
            assert other_site.held
    assert arc.get(lease_key("elbalad")) is None                           # released
    with Lease(arc, "elbalad", 60, owner="run-b") as again:
        assert again.held


def test_lease_left_by_a_dead_process_on_this_host_is_taken_over_a_live_ones_never(arc, tmp_path):
    """A run that could not release its lease (killed, or the bucket went down at its end) must not block the
    next run on the same host for the lease's whole duration: its process is gone, so the lease is taken over
    at once. A live holder's lease — another crawl on this host with another state folder — never is."""
    Lease(arc, "elbalad", 600, owner="live-run").acquire()              # this process: alive
    with pytest.raises(LeaseHeld):
        Lease(arc, "elbalad", 600, owner="second-crawl").acquire()
    arc.delete(lease_key("elbalad"))
    left = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from crawler.archive.state.lease import Lease
        from crawler.archive.storage.s3 import S3Archive
        from crawler.config import S3Settings
        Lease(S3Archive({arc.url!r}, S3Settings(**{arc.settings.model_dump()!r})), "elbalad", 600,
              owner="killed-run").acquire()             # never released: the process ends with it held
        """)], capture_output=True, text=True)
    assert left.returncode == 0, left.stderr
    assert holder(arc)["owner"] == "killed-run"
    with Lease(arc, "elbalad", 600, owner="next-run") as taken:
        assert taken.held
        assert holder(arc)["owner"] == "next-run"


def holder(arc) -> dict:
    return json.loads(arc.get(lease_key("elbalad")))


def expired(lease: dict) -> bool:
    return datetime.fromisoformat(lease["expires_at"]) <= datetime.now(timezone.utc)


def test_expired_lease_is_taken_over_by_exactly_one(arc):
    dead = Lease(arc, "elbalad", 0.2, owner="dead-run").acquire()         # never renewed, never released
    assert dead.held
    wait_until(lambda: expired(holder(arc)), "the lease to expire")
    barrier = threading.Barrier(6)

    def contend(n):
        barrier.wait()
        try:
            return Lease(arc, "elbalad", 60, owner=f"run-{n}").acquire()
        except LeaseHeld:
            return None

    with ThreadPoolExecutor(6) as pool:
        winners = [lease for lease in pool.map(contend, range(6)) if lease is not None]
    assert len(winners) == 1
    assert json.loads(arc.get(lease_key("elbalad")))["owner"] == winners[0].owner
    assert dead.renew() is False and dead.lost                            # the old holder learns it
    winners[0].release()


def test_renewal_keeps_the_lease_alive(arc):
    with Lease(arc, "elbalad", 1.5, owner="long-run") as lease:
        first = holder(arc)
        expiries = {first["expires_at"]}
        # renewed (every 0.5 s) until well past the expiry it was taken with
        wait_until(lambda: expiries.add(holder(arc)["expires_at"]) or len(expiries) >= 3 and expired(first),
                   "two renewals and the first expiry")
        assert holder(arc)["owner"] == "long-run" and not expired(holder(arc))
        with pytest.raises(LeaseHeld):
            Lease(arc, "elbalad", 60, owner="intruder").acquire()
        assert lease.held


def test_two_writers_of_a_new_article_make_one_object(arc):
    rec = make_record(1)
    barrier = threading.Barrier(8)

    def write(_):
        barrier.wait()
        return store_article(arc, plan_article(rec, None, DATE))[0]

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(write, range(8)))
    assert outcomes == ["new"] + ["unchanged"] * 7
    assert len(list(arc.list("articles/"))) == 1 and list(arc.list("versions/")) == []


def test_concurrent_edits_lose_no_update(arc):
    """Many writers each replace the same article with a different edit at the same moment: every text
    ends up in the archive exactly once, the latest by fetch time on top."""
    base = make_record(1)
    key = store_article(arc, plan_article(base, None, DATE))[1][0]
    known = Known(base["id"], base["canonical_url"], key, base["content_sha256"], 1, datetime.now())
    edits = [make_record(1, f"نص معدل رقم {i} من المقال.", hour=10 + i) for i in range(6)]
    barrier = threading.Barrier(len(edits))

    def write(rec):
        barrier.wait()
        return store_article(arc, plan_article(rec, known, DATE))[0]

    with ThreadPoolExecutor(len(edits)) as pool:
        outcomes = list(pool.map(write, edits))
    assert set(outcomes) <= {"updated", "unchanged"} and "updated" in outcomes
    latest = json.loads(arc.get(key))
    assert latest["text"] == edits[-1]["text"]                             # the newest fetch is on top
    kept = {json.loads(arc.get(k))["content_sha256"] for k in arc.list("versions/")}
    assert kept == {base["content_sha256"]} | {e["content_sha256"] for e in edits[:-1]}
    checked = verify_archive(arc)       # written outside any run: the article and its 6 versions are unlisted
    assert [p for p in checked.problems if "in no run manifest" not in p] == [] and len(checked.unlisted) == 7
