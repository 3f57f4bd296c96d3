"""README's "Adding a site", done: a copy of the project plus one site module (crawler/sites/toy_news.py)
and its replica renderer (replica/render_toy_news.py), nothing else changed, crawls the new site end to
end against the replica and archives every one of its articles."""
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.crawl_helpers import archived, arshif, crawl_env, run_reports

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NEW_SITE = Path(__file__).resolve().parent / "fixtures" / "new_site"
SITE = "toy_news"


def project_with_new_site(dest: Path) -> Path:
    """The project's code and settings, then the two new files of the walk-through: nothing else."""
    skip = shutil.ignore_patterns("__pycache__")
    for package in ("crawler", "jobs", "replica"):
        shutil.copytree(ROOT / package, dest / package, symlinks=True, ignore=skip)
    shutil.copy(ROOT / "settings.toml", dest / "settings.toml")
    for new in (Path("crawler/sites/toy_news.py"), Path("replica/render_toy_news.py")):
        assert not (dest / new).exists()
        shutil.copy(NEW_SITE / new, dest / new)
    return dest


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return project_with_new_site(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def replica(tree):
    """``arshif replica --port 0`` of the copied project: every site, the new one included."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.Popen([sys.executable, "-m", "jobs.cli", "replica", "--port", "0"], cwd=tree, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        lines = dict(process.stdout.readline().split() for _ in range(3))
        yield SimpleNamespace(base_urls=lines)
    finally:
        process.terminate()
        process.wait(30)


def test_the_new_site_is_known_everywhere_from_its_module(tree, replica):
    probe = ("import crawler, json; from crawler.sites import SITES; from crawler.config import load_settings;"
             "s = load_settings(environ={}); print(json.dumps([crawler.__file__, list(SITES), s.enabled_sites(),"
             f" s.sites['{SITE}'].base_url, s.sites['{SITE}'].every]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                            capture_output=True, text=True, check=True)
    module_file, sites, enabled, base_url, every = json.loads(result.stdout)
    assert Path(module_file).is_relative_to(tree)          # the copy, not the project the tests run from
    assert sites == ["rt_arabic", "elbalad", SITE]          # listed by name
    assert SITE in enabled and base_url == "https://news.example.org" and every == 1800
    assert set(replica.base_urls) == {"rt_arabic", "elbalad", SITE}


def test_the_new_site_crawls_end_to_end(tree, replica, tmp_path):
    env = crawl_env(replica, tmp_path, PYTHONPATH=str(tree))
    result = arshif("crawl", SITE, env=env, cwd=tree)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith(f"{SITE}: ok in "), result.stdout

    base = replica.base_urls[SITE]
    with urllib.request.urlopen(f"{base}/__replica__/articles", timeout=30) as answer:
        served = json.load(answer)
    articles = {base + a["url_path"]: a for a in served if a["kind"] != "not_article"}
    assert len(articles) == 6 and any(a["kind"] == "not_article" for a in served)

    records = archived(tmp_path / "archive")
    assert {r["site"] for r in records} == {SITE}
    assert sorted(r["canonical_url"] for r in records) == sorted(articles)       # each one, once
    for record in records:
        article = articles[record["canonical_url"]]
        assert record["title"] == article["title"]
        assert record["text"] == article["gold_text"]       # no masthead, share bar or footer
        assert record["published_at"] is not None
    (report,) = run_reports(tmp_path / "archive", SITE)
    assert report["result"] == "ok" and report["counts"]["new"] == 6
