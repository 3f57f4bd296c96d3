"""``arshif reextract``: a changed cleaning rule reaches exactly the archived articles it affects, from the
stored WARC captures alone, the same on a local pool, on a Dask cluster and across a kill."""
from datetime import datetime, timezone
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.archive.storage.local import LocalArchive
from crawler.extract.page import RULES_VERSION
from crawler.extract.workers import ExtractWorkers
from crawler.reextract.site import SiteReextraction
from crawler.sites import get_site
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env

TWEAK = Path(__file__).parent / "rule_tweak"     # sitecustomize.py: the changed rule, in every process


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the archive but re-extraction's run manifests and the Parquet dataset (their run ids,
    file names and times differ; the dataset's rows are checked on their own), and but a write's hidden
    temporary file (``.tmp-*.part``, left when a SIGKILL lands inside a write; no listing shows it)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith("-reextract.json") and not p.name.startswith(".tmp-")
            and not str(p.relative_to(root)).startswith("datasets/")}


def manifests(root: Path) -> dict[str, list[str]]:
    """Re-extraction's run manifests: site → the keys they list."""
    out: dict[str, list[str]] = {}
    for path in sorted((root / "runs").rglob("*-reextract.json")):
        report = json.loads(path.read_text("utf-8"))
        assert report["kind"] == "reextract" and report["result"] == "ok"
        out.setdefault(report["site"], []).extend(report["keys_written"])
    return out


def by_id(root: Path, prefix: str = "articles") -> dict[str, dict]:
    return {r["id"]: r for r in archived(root, prefix)}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The replica crawled once (WARC files rolled small: several per site), and the rule change to apply:
    rt_arabic drops a paragraph some of its articles share (text changes), elbalad drops an author name
    (metadata changes, text does not)."""
    tmp = tmp_path_factory.mktemp("reextract")
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp, ARSHIF_ARCHIVE__WARC_MAX_BYTES="40000", after_run=True)
        done = arshif("crawl", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    records = archived(tmp / "archive")
    rt = [r for r in records if r["site"] == "rt_arabic"]
    shared = Counter(line for r in rt for line in set(r["text"].splitlines()) if len(line.split()) >= 8)
    line = next(line for line, n in shared.most_common() if 2 <= n < len(rt) // 2
                and all(len(r["text"].splitlines()) >= 3 for r in rt if line in r["text"].splitlines()))
    text_ids = {r["id"] for r in rt if line in r["text"].splitlines()}
    eb = [r for r in records if r["site"] == "elbalad"]
    author = Counter(a for r in eb for a in r["authors"]).most_common(1)[0][0]
    meta_ids = {r["id"] for r in eb if author in r["authors"]}
    assert text_ids and meta_ids and len(text_ids) + len(meta_ids) < len(records) // 2
    rules = json.dumps({"rt_arabic": [line], "elbalad": [author]}, ensure_ascii=False)
    return tmp, rules, line, author, text_ids, meta_ids


def copy_of(base, tmp: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the crawled archive (its state too) and the environment of a reextract with the new rule."""
    src, rules = base[0], base[1]
    shutil.copytree(src / "archive", tmp / "archive")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state"),
                "ARSHIF_CRAWL__EXTRACT_WORKERS": "2", "REEXTRACT_TEST_RULES": rules,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(TWEAK), os.environ.get("PYTHONPATH")]))})
    return tmp / "archive", env


@pytest.fixture(scope="module")
def local(base, tmp_path_factory):
    """The rule change re-extracted on the local process pool, then once more."""
    root, env = copy_of(base, tmp_path_factory.mktemp("local"))
    first = arshif("reextract", env=env)
    after_first = tree(root)
    second = arshif("reextract", env=env)
    return root, env, first, after_first, second


@pytest.mark.slow
def test_changed_rule_changes_exactly_the_affected_articles(base, local):
    src, _, line, author, text_ids, meta_ids = base
    root, env, first, after_first, _ = local
    assert first.returncode == 0, first.stderr[-3000:]
    before, after = by_id(src / "archive"), by_id(root)
    changed = {i for i in before if before[i] != after[i]}
    assert changed == text_ids | meta_ids
    assert set(after) == set(before), "re-extraction neither adds nor loses articles here"
    past = {(r["id"], r["content_sha256"]): r for r in archived(root, "versions")}
    for i in text_ids:
        new, old = after[i], before[i]
        assert line not in new["text"].splitlines() and new["content_sha256"] != old["content_sha256"]
        assert new["text"].splitlines() == [x for x in old["text"].splitlines() if x != line]
        assert new["version"] == 2 and past[(i, old["content_sha256"])] == old, "the previous text is kept"
        assert new["extractor"]["rules"].endswith(f"-test.{RULES_VERSION}") and new["fetched_at"] == old["fetched_at"]
        assert new["warc"] == old["warc"], "the record still points at its capture"
    for i in meta_ids:
        new, old = after[i], before[i]
        assert new["text"] == old["text"] and author not in new["authors"] and author in old["authors"]
        assert new["version"] == 2 and (i, old["content_sha256"]) not in past
    assert len(past) == len(text_ids), "past versions: one per changed text, none for metadata changes"
    for key, data in tree(src / "archive").items():     # the rest of the archive is byte for byte the same
        if not any(key.endswith(f"/{i}.json") for i in changed):
            assert after_first[key] == data, f"{key} rewritten"
    summary = dict(line.split(": ", 1) for line in first.stdout.splitlines() if ": reextract " in line)
    assert f"{len(text_ids)} changed (0 new, {len(text_ids)} updated)" in summary["rt_arabic"]
    assert f"{len(meta_ids)} changed (0 new, {len(meta_ids)} updated)" in summary["elbalad"]
    assert "days touched:" in first.stdout
    listed = manifests(root)          # one manifest per site, listing every key written, once
    written = {k for k in tree(root) if k not in tree(src / "archive") or tree(root)[k] != tree(src / "archive")[k]}
    assert sorted(listed) == ["elbalad", "rt_arabic"] and all(len(v) == len(set(v)) for v in listed.values())
    assert {k for keys in listed.values() for k in keys} == written
    verify = arshif("verify", env=env)
    assert verify.returncode == 0, verify.stdout[-3000:]


@pytest.mark.slow
def test_second_reextract_changes_nothing(local):
    root, _, _, after_first, second = local
    assert second.returncode == 0, second.stderr[-3000:]
    assert " 0 changed " in second.stdout and "days touched:" not in second.stdout
    assert tree(root) == after_first
    assert len(list((root / "runs").rglob("*-reextract.json"))) == 2, "a run that wrote nothing stores no manifest"


@pytest.mark.slow
def test_dask_cluster_gives_the_same_archive(base, local, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    root, env = copy_of(base, tmp_path)
    for name in ("REEXTRACT_TEST_RULES", "PYTHONPATH"):     # the cluster's worker processes get the rule too
        monkeypatch.setenv(name, env[name])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        done = arshif("reextract", "--scheduler", cluster.scheduler_address, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        worked = cluster.scheduler.task_prefixes.get("extract_captures")
        pids = {w.pid for w in cluster.scheduler.workers.values()}
        after = tree(root)
        # a client whose rules differ from the workers' (here: without the changed rule) writes nothing
        plain = {k: v for k, v in env.items() if k not in ("REEXTRACT_TEST_RULES", "PYTHONPATH")}
        refused = arshif("reextract", "--scheduler", cluster.scheduler_address, env=plain)
        assert refused.returncode == 2 and "differs from this one's" in refused.stderr, refused.stderr[-3000:]
        assert tree(root) == after
    assert worked is not None, "the extraction ran on the cluster's workers"
    assert len(pids) == 2 and os.getpid() not in pids
    assert tree(root) == local[3], "the Dask run wrote exactly what the local pool wrote"
    assert {s: sorted(k) for s, k in manifests(root).items()} == {s: sorted(k) for s, k in manifests(local[0]).items()}


def summaries(stdout: str) -> list[str]:
    """The per-site summary lines of a reextract, without their duration."""
    return [re.sub(r"; [0-9.]+s", "", line) for line in stdout.splitlines() if ": reextract " in line]


@pytest.mark.slow
def test_one_capture_a_task_gives_the_same_archive_as_batches(base, local, tmp_path):
    """The captures go to the workers in batches (``--batch``, default 32), their results are decided in
    capture order: with every capture its own task, the same archive, counts and manifests."""
    root, env = copy_of(base, tmp_path)
    done = arshif("reextract", "--batch", "1", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert summaries(done.stdout) == summaries(local[2].stdout) and len(summaries(done.stdout)) == 2
    assert tree(root) == local[3]
    assert {s: sorted(k) for s, k in manifests(root).items()} == {s: sorted(k) for s, k in manifests(local[0]).items()}


class _Recorded:
    """The local pool, keeping the captures of each task it is given, in order."""

    workers = 2

    def __init__(self, pool: ExtractWorkers):
        self.pool, self.tasks = pool, []

    def submit(self, fn, site, captures, *rest):
        self.tasks.append(captures)
        return self.pool.submit(fn, site, captures, *rest)


@pytest.mark.slow
def test_the_end_of_a_site_goes_to_the_workers_in_small_batches(base, tmp_path):
    """Captures go in batches of ``batch``, except at the end of a site's stream: the last ones (one batch and
    what was left of the next) in batches of an eighth of it (here: one capture a task), so that no worker
    is left extracting the last whole batch alone while the others wait. Every capture is extracted once."""
    root, _ = copy_of(base, tmp_path)
    archive = LocalArchive(f"file://{root}")
    ends = []
    for site in ("rt_arabic", "elbalad"):
        origin = re.match(r"https?://[^/]+", next(r["url"] for r in archived(root) if r["site"] == site))[0]
        index = ArticleIndex.at(tmp_path / "state", site)
        index.rebuild(archive)
        with ExtractWorkers(2) as pool:
            recorded = _Recorded(pool)
            result = SiteReextraction(archive, site, index, recorded, tmp_path / "state", base_url=origin,
                                      batch=8).run()
        index.close()
        assert result.counts["pages"] == sum(map(len, recorded.tasks)) and not result.changed
        files = [task[0].file for task in recorded.tasks]
        last = [len(task) for task in recorded.tasks if task[0].file == files[-1]]
        ends.append(min(sum(last), 8))         # the captures of the last file sent at its end
        assert last[-ends[-1]:] == [1] * ends[-1], last
        for file in set(files) - {files[-1]}:      # another file: whole batches, then what is left of one
            sizes = [len(task) for task in recorded.tasks if task[0].file == file]
            assert set(sizes[:-1]) <= {8} and sizes[-1] <= 8, sizes
    assert max(ends) > 1, "a site whose last WARC file has more than one capture"


@pytest.mark.slow
def test_kill_mid_run_then_resume(base, local, tmp_path):
    root, env = copy_of(base, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "reextract", "rt_arabic", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    done_files: list[str] = []
    while time.monotonic() < deadline and proc.poll() is None:
        for path in (tmp_path / "state").glob("*/reextract-rt_arabic.json"):
            try:
                done_files = json.loads(path.read_text())["done"]
            except (ValueError, FileNotFoundError):
                continue
        if done_files:
            os.killpg(proc.pid, signal.SIGKILL)      # the run and its extraction workers, as a power cut would
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "killed while re-extracting"
    total = len(list((root / "warc" / "site=rt_arabic").rglob("*.warc.gz")))
    assert 1 <= len(done_files) < total
    rerun = arshif("reextract", env=env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"(resumed: {len(done_files)} done before)" in rerun.stdout
    assert not list((tmp_path / "state").glob("*/reextract-*.json")), "the checkpoint goes when done"
    assert tree(root) == local[3], "killed and resumed, the archive is the one of an uninterrupted run"
    listed = manifests(root)
    assert {s: sorted(set(k)) for s, k in listed.items()} == {s: sorted(k) for s, k in manifests(local[0]).items()}, \
        "the manifest lists what the killed run wrote too"


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["--scheduler", "dask-scheduler:8786"], "--scheduler 'dask-scheduler:8786': expected a Dask scheduler address"),
    (["--since", "2026-11-30", "--until", "2026-11-01"], "--since 2026-11-30 is after --until 2026-11-01"),
    (["--since", "30/11/2026"], "argument --since: '30/11/2026' is not a date (YYYY-MM-DD)"),
    (["no_such_site"], "unknown site 'no_such_site'"),
    (["--batch", "0"], "--batch 0: expected 1 to 10000 captures per task"),
])
def test_bad_usage_is_one_line_and_exit_2(tmp_path, argv, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "s")})
    done = arshif("reextract", *argv, env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def _members(data: bytes) -> list[tuple[int, int]]:
    from crawler.fetch.warc_writer import gzip_members

    return gzip_members(data)


def _damages(data: bytes, seed: int):
    """``(name, damaged copy)`` of a WARC file: cut at every record boundary (a valid, shorter gzip file), one
    byte either side of each and inside each member's gzip trailer; then, seeded, cuts anywhere followed by
    nothing, zeros, the start of a record, garbage or a whole record of the file, garbage spliced in at a
    boundary, and bytes flipped inside compressed data."""
    import random

    members = _members(data)
    rnd = random.Random(seed)
    first = data[members[0][0]:members[0][1]]               # a whole, valid record (the opening warcinfo)
    for start, end in members:
        if start:
            yield f"cut at the boundary {start}", data[:start]
            yield f"a whole record appended at the boundary {start}", data[:start] + first
        yield f"cut one byte into the member at {start}", data[:start + 1]
        yield f"cut one byte before the end of the member at {start}", data[:end - 1]
        yield f"cut in the gzip trailer of the member at {start}", data[:end - rnd.randint(2, 8)]
    yield "cut before the last byte", data[:-1]
    yield "empty", b""
    tails = (b"", b"\x00" * 300, b"WARC/1.1\r\n", b"\x00garbage" * 64, first)
    for _ in range(40):
        cut = rnd.randrange(1, len(data))
        tail = rnd.choice(tails)
        yield f"cut at {cut} + {tail[:10]!r}", data[:cut] + tail
    for _ in range(10):
        start, end = rnd.choice(members)
        yield f"garbage spliced in at {end}", data[:end] + b"\x1f\x8b\x08garbage" + data[end:]
    for _ in range(20):
        start, end = rnd.choice(members)
        pos = rnd.randrange(start + 10, end - 8)            # inside the deflate data (past the gzip header)
        yield f"byte {pos} flipped", data[:pos] + bytes([data[pos] ^ 0x55]) + data[pos + 1:]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["cut at a record boundary", "garbage from the middle"])
def test_a_corrupt_warc_file_is_one_line_and_is_done_again(base, tmp_path, damage):
    root, env = copy_of(base, tmp_path)
    env.pop("REEXTRACT_TEST_RULES")                         # the archive's own rules: nothing to change
    warcs = sorted((root / "warc" / "site=elbalad").rglob("*.warc.gz"))
    broken = warcs[len(warcs) // 2]
    data = broken.read_bytes()
    if damage == "cut at a record boundary":                # a valid gzip file, only shorter: its seal is missing
        members = _members(data)
        broken.write_bytes(data[:members[len(members) // 2][0]])
    else:
        broken.write_bytes(data[: len(data) // 2] + b"\x00garbage" * 64)
    before = tree(root)
    done = arshif("reextract", "elbalad", env=env)
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if "cannot read all of" in line]
    assert len(lines) == 1 and str(broken.relative_to(root)) in lines[0] and "DamagedWarc" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert "1 WARC files unfinished" in done.stdout and " 0 changed " in done.stdout
    assert tree(root) == before, "nothing written, nothing lost"
    [checkpoint] = (tmp_path / "state").glob("*/reextract-elbalad.json")
    assert str(broken.relative_to(root)) not in json.loads(checkpoint.read_text())["done"]
    broken.write_bytes(data)                                 # repaired: the rerun does that file only
    again = arshif("reextract", "elbalad", env=env)
    assert again.returncode == 0 and f"(resumed: {len(warcs) - 1} done before)" in again.stdout, again.stdout


@pytest.mark.slow
def test_a_warc_file_cut_short_is_an_error_never_a_truncated_page(base, tmp_path):
    """Wherever a WARC file is cut or damaged (and whatever follows the cut), reading it fails with one
    DamagedWarc: no record is read from past the damage, no page comes out truncated, the file never seems to
    end early — at every record boundary too, where the cut copy is a valid gzip file."""
    from crawler.archive.storage.local import LocalArchive
    from crawler.reextract.warc_read import read_captures
    from crawler.fetch.warc_writer import DamagedWarc

    root = base[0] / "archive"

    def read(data: bytes, key: str) -> dict[int, bytes]:
        class OneFile(LocalArchive):
            def get(self, k):
                return data

        got: dict[int, bytes] = {}
        for capture in read_captures(OneFile(f"file://{root}"), key, "http://127.0.0.1", get_site("elbalad"),
                                     Counter()):
            got[capture.offset] = capture.body
        return got

    # the file with the most article pages (which pages share a file depends on the crawl's order: the
    # largest file was once mostly sitemaps, with two articles)
    files = {str(p.relative_to(root)): p.read_bytes() for p in (root / "warc" / "site=elbalad").rglob("*.warc.gz")}
    key, complete = max(((k, read(data, k)) for k, data in files.items()), key=lambda found: len(found[1]))
    whole = files[key]
    assert len(complete) >= 3 and len(_members(whole)) >= 8
    tried = 0
    for name, data in _damages(whole, seed=20261203):
        got: dict[int, bytes] = {}
        with pytest.raises(DamagedWarc):
            got = read(data, key)
        assert all(complete[offset] == body for offset, body in got.items()), name
        tried += 1
    assert tried > 100


@pytest.mark.slow
def test_a_warc_file_left_open_by_a_killed_run_is_sealed_after_its_last_whole_record(base, tmp_path):
    """Recovered at the next run's start, a file cut mid-record by the kill reads as its whole records."""
    from crawler.fetch.warc_writer import DamagedWarc, gzip_members, seal_left_open

    src = max((base[0] / "archive" / "warc" / "site=elbalad").rglob("*.warc.gz"), key=lambda p: p.stat().st_size)
    data = src.read_bytes()
    members = gzip_members(data)
    cut = members[5][0] + 40                                   # the kill came while the 6th record was written
    left = tmp_path / (src.name + ".open")
    left.write_bytes(data[:members[-1][0]][:cut])
    assert "sealed after 5 whole records" in seal_left_open(left)
    sealed = left.read_bytes()
    assert sealed[:members[5][0]] == data[:members[5][0]]
    from crawler.archive.storage.local import LocalArchive
    from crawler.reextract.warc_read import read_captures

    class OneFile(LocalArchive):
        def get(self, k):
            return sealed

    list(read_captures(OneFile(f"file://{tmp_path}"), "k", "http://127.0.0.1", get_site("elbalad"),
                       Counter()))                             # no DamagedWarc: whole and sealed
    with pytest.raises(DamagedWarc):
        gzip_members(data[:cut])
    nothing = tmp_path / "nothing.warc.gz.open"
    nothing.write_bytes(b"raw bytes")
    assert seal_left_open(nothing) is None and nothing.read_bytes() == b"raw bytes"


@pytest.mark.slow
def test_the_latest_capture_counts(tmp_path):
    """An article edited between two crawls has two captures: re-extraction never puts the older text back."""
    with ReplicaServer(port=0, plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path, after_run=True)
        assert arshif("crawl", "elbalad", env=env).returncode == 0
        article = next(a for a in replica.articles("elbalad") if a.kind == "article")
        edited = replica.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc))
        again = arshif("crawl", "elbalad", env=env)
        assert again.returncode == 0 and "updated 1" in again.stdout, again.stdout
    root = tmp_path / "archive"
    assert len(list((root / "warc").rglob("*.warc.gz"))) == 2
    before = tree(root)
    done = arshif("reextract", "elbalad", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert " 0 changed " in done.stdout and " 1 older captures" in done.stdout, done.stdout
    assert tree(root) == before
    [current] = [r for r in archived(root) if r["title"] == edited.title]
    assert current["version"] == 2 and current["warc"]["file"].endswith(sorted(
        p.name for p in (root / "warc").rglob("*.warc.gz"))[-1])


@pytest.mark.slow
def test_touched_days_go_to_the_recompaction_hook_until_it_succeeds(base, local, tmp_path):
    """``jobs.reextract.RECOMPACT_DAYS`` (wired to the Parquet compaction) gets every (site, date) whose
    articles were written; when it fails, the checkpoint stays and the next run hands the same days on
    without re-extracting anything."""
    root, env = copy_of(base, tmp_path)
    calls = tmp_path / "days.jsonl"
    env.update(REEXTRACT_TEST_DAYS=str(calls), REEXTRACT_TEST_DAYS_FAIL="1")
    failed = arshif("reextract", env=env)
    assert failed.returncode == 1 and "the touched days were not re-compacted" in failed.stderr, failed.stderr
    after = tree(root)
    changed_days = sorted({tuple(k.split("/")[1:3]) for k in after if k.startswith("articles/")
                           and after[k] != tree(base[0] / "archive").get(k)})
    expected = [[site.removeprefix("site="), date.removeprefix("date=")] for site, date in changed_days]
    first = [json.loads(line) for line in calls.read_text().splitlines()]
    assert sorted(day for call in first for day in call) == sorted(expected)
    env.pop("REEXTRACT_TEST_DAYS_FAIL")
    again = arshif("reextract", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("(resumed: ") == 2, "nothing re-extracted: every WARC file was done"
    assert [json.loads(line) for line in calls.read_text().splitlines()][len(first):] == first
    assert tree(root) == local[3] and not list((tmp_path / "state").glob("*/reextract-*"))


@pytest.mark.slow
def test_the_dataset_shows_the_reextracted_text(base, local):
    """Re-extraction hands the days it wrote to the Parquet compaction: each article's row in the dataset
    holds its new text and version, once."""
    from crawler.archive.storage import open_archive
    from crawler.dataset.read import current_file
    from crawler.dataset.table import from_parquet

    root, *_ = local
    records = {r["id"]: r for r in archived(root)}
    archive = open_archive(f"file://{root}")
    days = {(r["site"], p.parent.name.removeprefix("date=")) for p in (root / "articles").rglob("*.json")
            for r in [json.loads(p.read_text("utf-8"))]}
    rows = []
    for site, date in sorted(days):
        data = current_file(archive, site, date)
        assert data is not None, f"{site} {date}: no Parquet file after re-extraction"
        rows += from_parquet(data).to_pylist()
    assert sorted(row["id"] for row in rows) == sorted(records)
    changed = set(base[4]) | set(base[5])
    assert changed
    for row in rows:
        assert (row["text"], row["version"]) == (records[row["id"]]["text"], records[row["id"]]["version"])
    assert {row["version"] for row in rows if row["id"] in changed} == {2}


@pytest.mark.parametrize("content_type", ['text/html; charset="Windows-1256"', "text/html;charset=windows-1256",
                                          "text/html", "text/html; charset=utf-8"])
def test_a_capture_is_decoded_as_the_crawl_decoded_it(tmp_path, content_type):
    """The charset of a capture's Content-Type is read by w3lib, as the crawl reads it (any case, quoted or
    not, an unknown or missing one: None); a windows-1256 page comes out as the same Arabic text whatever its
    header says (wrong or missing: its meta charset decides)."""
    import io

    from w3lib.encoding import http_content_type_encoding
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from crawler.archive.storage.local import LocalArchive
    from crawler.extract.page import extract
    from crawler.reextract.warc_read import read_captures

    html = (Path(__file__).parent / "fixtures" / "html" / "elbalad_article.html").read_text("utf-8")
    cp1256 = html.replace('<meta charset="utf-8">', '<meta charset="windows-1256">').encode("cp1256")
    url, base_url = "http://127.0.0.1:8801/5634002", "http://127.0.0.1:8801"
    data = io.BytesIO()
    writer = WARCWriter(data, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warc_record(
        url, "response", payload=io.BytesIO(cp1256), warc_headers_dict={"WARC-Date": "2026-11-23T10:00:00Z"},
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")))

    class OneFile(LocalArchive):
        def get(self, key):
            return data.getvalue()

    [capture] = read_captures(OneFile(f"file://{tmp_path}/archive"), "warc/x.warc.gz", base_url, get_site("elbalad"),
                              Counter())
    assert capture.encoding == http_content_type_encoding(content_type)
    assert capture.encoding in ("cp1256", "utf-8", None)
    record = extract(capture.body, capture.url, "elbalad", base_url=base_url, encoding=capture.encoding)
    assert record["text"] == extract(html, url, "elbalad", base_url=base_url)["text"]


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """``arshif argv`` with stderr on a pseudo-terminal: its exit code and what the terminal showed."""
    import pty
    import threading

    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))     # a terminal's size
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:                      # EIO: the last writer has gone
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-m", "jobs.cli", *argv], env=env, stdout=subprocess.DEVNULL,
                              stderr=slave, stdin=subprocess.DEVNULL, timeout=300)
    finally:
        os.close(slave)
    reader.join(timeout=60)
    os.close(master)
    return done.returncode, shown.decode("utf-8", "replace")


@pytest.mark.slow
def test_long_commands_show_a_bar_on_a_terminal_and_none_elsewhere(base, tmp_path):
    """reextract counts the article captures it re-extracted (not the WARC files: 0/1 until the end), compact
    the days, stories --rebuild the articles; on a terminal only."""
    root, env = copy_of(base, tmp_path)
    articles = len(archived(root))
    code, shown = _on_a_terminal(["reextract", "rt_arabic"], env)
    assert code == 0, shown[-2000:]
    pages = int(next(line for line in shown.splitlines() if "rt_arabic: reextract read" in line)
                .split(" captures in ")[1].split(": ")[1].split(" article pages")[0])
    assert f"rt_arabic: {pages}page " in shown and re.search(r"files=(\d+)/\1\]", shown), repr(shown[-3000:])
    days = len(list((root / "articles" / "site=elbalad").iterdir()))
    code, shown = _on_a_terminal(["compact", "elbalad"], env)
    assert code == 0 and re.search(rf"elbalad: 100%\S* {days}/{days} \[.*day", shown), shown[-2000:]
    code, shown = _on_a_terminal(["stories", "--rebuild"], env)
    assert code == 0 and re.search(rf"stories: 100%\S* {articles}/{articles} \[.*article", shown), shown[-2000:]
    quiet = arshif("stories", "--rebuild", env=env, fresh=True)           # stderr a pipe: no bar
    assert quiet.returncode == 0 and "\r" not in quiet.stderr and "article/s" not in quiet.stderr


@pytest.mark.slow
def test_a_text_another_archived_article_has_is_refused_as_the_crawl_refuses_it(base, tmp_path):
    """The crawl refuses a page whose text another article id already has (``shared_text``: one page under two
    addresses); re-extraction refuses it too, and never archives it as a new article (``bench/reextract.py``
    found one at 1,000 articles a site: the crawl had refused it, a re-extraction without a rule change wrote
    it). Here the archive holds an article's text under a second id, and the article itself is missing."""
    root, env = copy_of(base, tmp_path)
    del env["REEXTRACT_TEST_RULES"]                            # the crawl's own rules: nothing else changes
    records = sorted((r for r in archived(root) if r["site"] == "elbalad"), key=lambda r: r["id"])
    missing, holder = records[0], records[1]
    next(root.glob(f"articles/site=elbalad/date=*/{missing['id']}.json")).unlink()
    twin = dict(holder, id="f" * 20, url=holder["url"] + "-twin", canonical_url=holder["canonical_url"] + "-twin",
                content_sha256=missing["content_sha256"])
    holder_path = next(root.glob(f"articles/site=elbalad/date=*/{holder['id']}.json"))
    twin_path = holder_path.parent / f"{twin['id']}.json"
    twin_path.write_text(json.dumps(twin, ensure_ascii=False), "utf-8")
    # the index as the crawl that archived the twin leaves it: the twin's text hash known (a rebuilt index learns
    # hashes only as it reads records, and re-extraction reads none without a capture)
    archive = LocalArchive(f"file://{root}")
    index = ArticleIndex.at(archive_state_dir(env["ARSHIF_ARCHIVE__STATE_DIR"], archive.url), "elbalad")
    index.rebuild(archive)
    index.record(twin, str(twin_path.relative_to(root)))
    index.close()
    done = arshif("reextract", "elbalad", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(root.glob(f"articles/**/{missing['id']}.json")), done.stdout + done.stderr[-1500:]
    assert " 0 changed " in done.stdout, done.stdout
