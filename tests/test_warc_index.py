"""``arshif warc-index``: a CDXJ index beside every WARC file, in which every archived article's WARC pointer
is found; the WARC files pass ``warcio check``."""
import json
import subprocess
import sys

import pytest
import surt

from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warcindex")
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp, ARSHIF_ARCHIVE__WARC_MAX_BYTES="60000")
        done = arshif("crawl", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp / "archive", env


def read_cdxj(path):
    lines = path.read_text("utf-8").splitlines()
    assert lines == sorted(lines), "pywb reads sorted CDXJ"
    out = []
    for line in lines:
        key, timestamp, block = line.split(" ", 2)
        out.append((key, timestamp, json.loads(block)))
    return out


def test_every_article_pointer_is_in_the_index_beside_its_warc(crawled):
    root, env = crawled
    done = arshif("warc-index", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    warcs = sorted((root / "warc").rglob("*.warc.gz"))
    assert len(warcs) > 2
    assert sorted(line.split(":")[0] for line in done.stdout.splitlines()) == ["elbalad", "rt_arabic"]
    assert sum(int(line.split(": ")[1].split()[0]) for line in done.stdout.splitlines()) == len(warcs)
    entries = {}
    for warc in warcs:
        cdxj = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
        for key, timestamp, block in read_cdxj(cdxj):
            assert block["filename"] == warc.name and len(timestamp) == 14
            assert key == surt.surt(block["url"])
            entries[(str(warc.relative_to(root)), int(block["offset"]))] = block
    records = archived(root)
    assert records
    for record in records:
        pointer = record["warc"]
        block = entries[(pointer["file"], pointer["offset"])]
        assert block["url"] == record["url"] and block["status"] == "200" and block["mime"] == "text/html"
    again = arshif("warc-index", env=env)
    assert all(" 0 WARC files indexed" in line for line in again.stdout.splitlines()), "indexes are kept"
    verify = arshif("verify", env=env)
    assert verify.returncode == 0 and f"{len(warcs)} WARC files" in verify.stdout, verify.stdout[-2000:]


def test_warc_files_pass_warcio_check(crawled):
    root, _ = crawled
    warcs = [str(p) for p in sorted((root / "warc").rglob("*.warc.gz"))]
    checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *warcs], capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert checked.stdout.count("digest pass") >= len(warcs), "the digests were there and were checked"
