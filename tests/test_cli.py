"""The command line's contract with operators: one clear line per mistake, the documented exit codes."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl_helpers import arshif, crawl_env

SEEDS = Path(__file__).parent / "fixtures" / "seeds"


class _NoReplica:
    def __init__(self, port):
        self.base_urls = {"rt_arabic": f"http://127.0.0.1:{port}", "elbalad": f"http://127.0.0.1:{port}"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("env_extra, needle", [
    ({"ARSHIF_SITES__ELBALAD__BASE_URL": "not a url"}, "sites.elbalad.base_url"),
    ({"ARSHIF_CRAWL__CONCURRENT_REQUESTS": "lots"}, "crawl.concurrent_requests"),
    ({"ARSHIF_ARCHIVE__URL": "s3://no_such_BUCKET/x"}, "archive.url: bad bucket name"),
    ({"ARSHIF_LOGGING__COLOUR": "red"}, "logging.colour: unknown key"),
    ({"ARSHIF_CRAWL__MAX_FAILED_SHARE": "1.5"}, "crawl.max_failed_share: Input should be less than or equal to 1"),
])
def test_bad_settings_exit_2_with_one_line_naming_the_key(tmp_path, env_extra, needle):
    env = crawl_env(_NoReplica(closed_port()), tmp_path, **env_extra)
    result = arshif("crawl", env=env)
    assert result.returncode == 2
    assert needle in one_line(result.stderr)


def test_missing_settings_file(tmp_path):
    env = crawl_env(_NoReplica(closed_port()), tmp_path)
    result = arshif("crawl", "--settings", str(tmp_path / "nope.toml"), env=env)
    assert result.returncode == 2
    assert "nope.toml: not found" in one_line(result.stderr)


def test_unknown_site_is_a_usage_error(tmp_path):
    result = arshif("crawl", "bbc", env=crawl_env(_NoReplica(closed_port()), tmp_path))
    assert result.returncode == 2
    assert "unknown site 'bbc'" in one_line(result.stderr)


@pytest.mark.slow        # a whole crawl (Scrapy, the extraction workers) against a closed port
def test_unreachable_site_names_host_and_cause(tmp_path):
    port = closed_port()
    env = crawl_env(_NoReplica(port), tmp_path, ARSHIF_CRAWL__RETRY_TIMES="0")
    result = arshif("crawl", "elbalad", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (summary,) = result.stdout.strip().splitlines()
    assert summary.startswith("elbalad: failed")
    assert f"site unreachable: 127.0.0.1:{port}: connection refused" in summary
    # what matters, once: no Scrapy warning about the Referer middleware left out on purpose, and the host's
    # failure said once, not once per feed, sitemap and listing (every URL is in the run report)
    assert "RefererMiddleware" not in result.stderr
    assert result.stderr.count("discovery source failed") == 1, result.stderr
    assert re.search(r"discovery: all \d+ sources failed: connection refused", result.stderr), result.stderr
    assert "discovery source listing" not in result.stderr


def test_extract_prints_cleaning_notes(tmp_path):
    dump = Path(__file__).parent / "fixtures" / "dumps" / "rt_aggregator_box_trailing.txt"
    result = arshif("extract", "--site", "rt_arabic", str(dump), env=crawl_env(_NoReplica(1), tmp_path))
    assert result.returncode == 0, result.stderr
    assert "cleaning note: cut_at_box ×1" in result.stderr
    assert "اليابان" not in result.stdout                  # the story after the box is not the article


def test_extract_missing_file(tmp_path):
    result = arshif("extract", "--site", "elbalad", str(tmp_path / "missing.html"), env=crawl_env(_NoReplica(1), tmp_path))
    assert result.returncode == 2
    assert "missing.html: no such file" in one_line(result.stderr)


def test_extract_of_a_url_off_the_sites_base_url_says_which_base_url(tmp_path):
    """A page saved from the replica, given with its replica URL while the site's base_url is the real one: it
    said ``not an article (not_article_url)`` and no more."""
    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>عنوان</h1></body></html>", encoding="utf-8")
    env = crawl_env(_NoReplica(1), tmp_path)
    result = arshif("extract", "--site", "elbalad", str(page), "--url", "https://example.com/6300315", env=env)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"arshif extract: {page}: not an article (not_article_url: --url https://example.com/6300315 is no "
        f"article address of elbalad at {env['ARSHIF_SITES__ELBALAD__BASE_URL']} (sites.elbalad.base_url))")


@pytest.mark.parametrize("seed, site", [("000_3645ae7182ab3018", "rt_arabic"), ("002_e41be7a0525616b9", "elbalad")])
def test_extract_prints_only_the_article_of_each_seed(tmp_path, seed, site):
    import json

    result = arshif("extract", "--site", site, str(SEEDS / f"{seed}.txt"), env=crawl_env(_NoReplica(1), tmp_path))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    expected = (SEEDS / f"{seed}.expected.txt").read_text("utf-8")
    assert " ".join(record["text"].split()) == " ".join(expected.split())


@pytest.mark.parametrize("command", [("verify",), ("export", "--since", "2026-01-01", "--format", "jsonl", "out.jsonl"),
                                     ("stories",), ("stories", "--rebuild")])
def test_a_mistyped_local_archive_is_one_line_and_no_folder(tmp_path, command):
    """A typo in a reading command's ``--archive`` is not an empty, healthy archive: one line naming it, a
    non-zero exit, and no folder made under the mistyped name."""
    env = crawl_env(_NoReplica(closed_port()), tmp_path)
    (tmp_path / "archive").mkdir()
    result = arshif(*command, "--archive", f"file://{tmp_path}/archve", env=env, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"archive file://{tmp_path}/archve: no such folder" in one_line(result.stderr)
    assert not (tmp_path / "archve").exists() and not (tmp_path / "out.jsonl").exists()


def test_a_closed_stdout_is_no_error(tmp_path):
    """``arshif stories --rebuild | head -1``: a reader gone before the output is no damaged state (no advice to
    rebuild), no message, exit 0. The pipe's read end is closed before the command starts, so its first line
    meets the closed pipe every time."""
    env = crawl_env(_NoReplica(closed_port()), tmp_path)
    (tmp_path / "archive").mkdir()
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "stories", "--rebuild"], env=env, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, stdin=subprocess.DEVNULL)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, "")


def test_the_version_is_written_once_and_said_everywhere(tmp_path):
    """pyproject.toml holds the version; ``--version``, run reports, WARC files (both read crawler.__version__)
    and the default User-Agent say it; it is the release README's upgrade section speaks of."""
    import re
    import tomllib

    from crawler.config import load_settings
    from crawler.run.report import RunReport

    root = Path(__file__).resolve().parent.parent
    version = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    readme = re.search(r"after installing (\d+\.\d+)", (root / "README.md").read_text("utf-8")).group(1)
    assert version.startswith(readme + ".")
    done = arshif("--version", env=crawl_env(_NoReplica(closed_port()), tmp_path))
    assert (done.returncode, done.stdout.strip()) == (0, f"arshif {version}")
    assert RunReport("r", "elbalad", "file://x").arshif_version == version
    assert load_settings(None).crawl.user_agent.startswith(f"arshif/{version} (+")
