"""Helpers for tests that run real crawls (``arshif crawl`` in a child process) against the replica."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import sys
from pathlib import Path

from replica.resources import load
from tests import warm_cli


#: What a crawl does after its runs, besides archiving: story linking and the Parquet compaction (a fifth of a
#: crawl's CPU). Off in ``crawl_env`` unless asked for (``after_run=True``): the tests of those steps, and the
#: end-to-end crawl, turn them on; the others assert on the archive only.
AFTER_RUN_OFF = {"ARSHIF_STORIES__ENABLED": "false", "ARSHIF_DATASET__COMPACT_AFTER_RUN": "false"}


#: Plain articles per site (``ReplicaServer(plain=PLAIN)``) for the tests of the crawl's mechanics (faults,
#: storage, schedules, state, re-extraction) rather than of extraction: the replica keeps every special page,
#: shape, event, URL variant and redirect, in ~25 pages a site instead of ~57, and a crawl of both sites costs
#: ~3.0 s of machine CPU (extraction workers included) instead of ~4.5.
PLAIN = 6

#: Id probes (crawler/discover/ids.py) are off in ``crawl_env`` unless asked for: the replica's base corpus numbers
#: its ~44 articles 7–400 apart (replica/corpus.py), so a crawl would probe hundreds of holes that are no article;
#: the tests of completeness (tests/test_coverage.py) turn them on over the replica's newly published articles.
NO_ID_PROBES = {"ARSHIF_SITES__ELBALAD__ID_PROBES": "0", "ARSHIF_SITES__RT_ARABIC__ID_PROBES": "0"}


def crawl_env(replica, tmp: Path, *, after_run: bool = False, **extra: str) -> dict[str, str]:
    """Environment that points every site at ``replica`` and the archive and state at ``tmp``; with
    ``after_run`` the crawl links stories and compacts the Parquet dataset as in production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    for site, url in replica.base_urls.items():
        env[f"ARSHIF_SITES__{site.upper()}__BASE_URL"] = url
    env.update({
        "ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive",
        "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state"),
        "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0",
        "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
        "ARSHIF_CRAWL__EXTRACT_WORKERS": "2",
    })
    if not after_run:
        env.update(AFTER_RUN_OFF)
    env.update(NO_ID_PROBES)
    env.update(extra)
    return env


def arshif(*args: str, env: dict[str, str], timeout: float = 180, cwd: Path | None = None,
           fresh: bool = False) -> subprocess.CompletedProcess:
    """``arshif args``: in a process forked from the tests' warm interpreter (tests/warm_cli.py), or with
    ``fresh`` (or ``FRESH_CLI=1`` in the tests' environment) as ``python -m jobs.cli`` in a new one."""
    if not (fresh or os.environ.get("FRESH_CLI") or warm_cli.needs_fresh(env)):
        return warm_cli.run(list(args), env=env, timeout=timeout, cwd=cwd)
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)


def archived(root: Path, prefix: str = "articles") -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((root / prefix).rglob("*.json"))]


def run_reports(root: Path, site: str) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((root / "runs" / f"site={site}").rglob("*.json"))]


def expected_urls(replica, site: str) -> set[str]:
    base = replica.base_urls[site]
    return {base + a.url_path for a in replica.articles(site) if a.kind != "not_article"}


def assert_each_article_archived_once(records: list[dict], replica, sites) -> None:
    """Every article the replica serves for ``sites`` is among ``records``, once; nothing else is."""
    for site in sites:
        got = [r["canonical_url"] for r in records if r["site"] == site]
        assert len(got) == len(set(got)), "an article was archived twice"
        assert set(got) == expected_urls(replica, site)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def assert_no_noise(records: list[dict]) -> None:
    """No noise text of the replica is a line of an archived text (nor, when long, anywhere in it)."""
    for record in records:
        lines = set(record["text"].splitlines())
        for noise in noise_strings(record["site"]):
            assert noise not in lines, f"{noise!r} left in {record['url']}"
            if len(noise) >= 14:
                assert noise not in record["text"], f"{noise!r} left in {record['url']}"


def noise_strings(site: str) -> list[str]:
    """Every noise text the replica puts around articles that is long enough to be unambiguous."""
    out: list[str] = []

    def walk(value):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(load("noise")[site])
    return sorted({s for s in out if len(s) >= 8 and "{" not in s and "://" not in s})


def read_while_rewriting(read, rewrite, *, min_rewrites: int, max_rewrites: int, min_reads: int = 20) -> list:
    """Call ``read()`` over and over in a thread while ``rewrite(n)`` runs in this one, ``min_rewrites`` times
    at least and until ``min_reads`` reads are done (at most ``max_rewrites``); every read's result, in order.
    An exception in the reader fails the test."""
    seen: list = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                seen.append(read())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    rewrites = 0
    try:
        while (rewrites < min_rewrites or len(seen) < min_reads) and not errors and rewrites < max_rewrites:
            rewrite(rewrites)
            rewrites += 1
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    return seen


def layout_crawl_fixtures(layout: int):
    """The module-scoped fixtures of a test module about one replica layout: ``replica`` (serving ``layout``)
    and ``crawled`` (``(tmp, env, result)`` of one ``arshif crawl`` of it). In the module:
    ``replica, crawled = layout_crawl_fixtures(2)``."""
    import pytest

    from replica.server import ReplicaServer

    @pytest.fixture(scope="module")
    def replica():
        with ReplicaServer(port=0, layout=layout) as server:
            yield server

    @pytest.fixture(scope="module")
    def crawled(replica, tmp_path_factory):
        tmp = tmp_path_factory.mktemp(f"layout{layout}")
        env = crawl_env(replica, tmp)
        return tmp, env, arshif("crawl", env=env)

    return replica, crawled
