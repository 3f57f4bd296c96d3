"""`arshif status`: site health computed from run reports written into a temporary archive."""
from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from crawler.archive.storage import open_archive
from crawler.archive.delivery.outbox import Outbox
from crawler.config import load_settings
from crawler.run.report import RunReport, new_run_id
from crawler.archive.state.index import archive_state_dir
from jobs import status

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
              "ARSHIF_SITES__ELBALAD__EVERY": "30m", "ARSHIF_SITES__RT_ARABIC__EVERY": "30m"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def settings(env):
    return load_settings()


@pytest.fixture
def archive(settings):
    return open_archive(settings.archive.url, settings)


def write(archive, site="elbalad", ago=timedelta(minutes=10), result="ok", reason=None, duration=12.0,
          selector_pages=(), sources=(), **counts):
    """A run report; ``selector_pages``: each article page's {field: whether the site's selector matched};
    ``sources``: its discovery sources' outcomes, {name: None (ok) or why it failed}."""
    start = NOW - ago
    report = RunReport(new_run_id(site, start), site, archive.url, started_at=start.isoformat(timespec="seconds"))
    report.counts.update(counts)
    report.sources = [{"source": name, "outcome": "failed" if why else "ok", "reason": why}
                      for name, why in dict(sources).items()]
    for hits in selector_pages:
        report.count_selectors(hits)
    report.finished_at = (start + timedelta(seconds=duration)).isoformat(timespec="seconds")
    report.duration_s, report.result, report.reason = duration, result, reason
    archive.put(report.key, report.to_json(), content_type="application/json")
    return report


def history(archive, ages_and_counts, site="elbalad"):
    """Runs every 30 minutes, the newest first: [(result, counts), ...]."""
    for i, (result, counts) in enumerate(ages_and_counts):
        write(archive, site, ago=timedelta(minutes=10 + 30 * i), result=result,
              reason=None if result == "ok" else "site unreachable: connection refused", **counts)


def one(settings, site="elbalad"):
    [result] = status.collect(settings, [site], NOW)
    return result


def run_main(capsys, *argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings")
    status.add_arguments(parser)
    code = status.main(parser.parse_args(list(argv)))
    return code, capsys.readouterr().out


def test_healthy_site(settings, archive, capsys):
    history(archive, [("ok", {"new": 5, "fetched": 6}), ("ok", {"new": 3}), ("ok", {"new": 4})])
    s = one(settings)
    assert (s.state, s.errors, s.warnings) == ("ok", [], [])
    assert s.last_run["result"] == "ok" and s.last_run["counts"]["new"] == 5 and s.last_run["duration"] == "12s"
    assert s.last_success["run_id"] == s.last_run["run_id"]
    assert s.consecutive_failures == 0 and s.pending_uploads == 0
    assert s.next_run == (NOW + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out = run_main(capsys, "elbalad")
    assert code == 0
    assert "elbalad: OK  (every 30m (Africa/Cairo))" in out and "failures      0 in a row" in out


def test_failed_runs_make_the_site_failing(settings, archive, capsys):
    history(archive, [("failed", {}), ("failed", {}), ("ok", {"new": 2}), ("ok", {"new": 2})])
    s = one(settings)
    assert s.state == "failing" and s.consecutive_failures == 2
    assert s.errors == ["last run failed: site unreachable: connection refused (2 in a row)"]
    assert s.last_success["started_at"] == f"{NOW - timedelta(minutes=70):%Y-%m-%dT%H:%M:%SZ}"
    code, out = run_main(capsys, "elbalad", "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["state"] == "failing" and doc["sites"][0]["consecutive_failures"] == 2
    # every time of the document in one form: UTC, to the second, with Z (the reports say +00:00)
    times = re.findall(r'"(\d{4}-\d\d-\d\dT[^"]*)"', out)
    assert len(times) >= 6 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in times), times


def test_a_degraded_last_run_warns(settings, archive, capsys):
    why = "10 of 30 article pages failed (33%, more than crawl.max_failed_share 10%)"
    write(archive, ago=timedelta(minutes=40), new=4)
    write(archive, result="degraded", reason=why, new=20, failed=10)
    s = one(settings)
    assert s.state == "warning" and s.errors == []
    assert s.warnings == [f"last run degraded: {why}"]
    assert s.consecutive_failures == 0                    # it went to its end: the last success
    assert s.last_success["run_id"] == s.last_run["run_id"]
    code, out = run_main(capsys, "elbalad")
    assert code == 1
    assert "  degraded  " in out and f"WARNING  last run degraded: {why}" in out


def test_a_run_in_progress_is_shown_and_one_left_by_a_dead_process_warns(settings, archive, capsys):
    import socket
    import subprocess

    from crawler.run.lock import SiteLock

    history(archive, [("ok", {"new": 3})])
    start = NOW - timedelta(minutes=2)
    dead = subprocess.Popen(["true"])
    dead.wait()
    report = RunReport(new_run_id("elbalad", start), "elbalad", archive.url,
                       started_at=start.isoformat(timespec="seconds"), pid=dead.pid, host=socket.gethostname())
    archive.put(report.key, report.to_json(), content_type="application/json")
    (lock := archive_state_dir(settings.archive.state_dir, settings.archive.url) / "lock-elbalad").parent.mkdir(
        parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": dead.pid, "since": start.isoformat()}))      # what a SIGKILL leaves
    s = one(settings)
    assert s.running == {"run_id": report.run_id, "started_at": f"{start:%Y-%m-%dT%H:%M:%SZ}", "pid": dead.pid,
                         "host": socket.gethostname()}
    assert s.last_run["result"] == "ok" and s.consecutive_failures == 0 and s.errors == []
    assert s.warnings == [f"run {report.run_id} is recorded as running, but its process is gone: it died; "
                          "the next run marks it killed"]
    code, out = run_main(capsys, "elbalad")
    assert code == 1 and f"  running       since {start:%Y-%m-%dT%H:%M:%SZ}  [run {report.run_id}]" in out

    with SiteLock(settings, "elbalad"):                       # a crawl of this host is on: no warning
        s = one(settings)
        assert s.running["run_id"] == report.run_id and s.warnings == [] and s.state == "ok"


def test_no_new_article_for_n_runs_warns(settings, archive, capsys):
    history(archive, [("ok", {"skipped": 40}), ("ok", {"not_article": 12}), ("ok", {"unchanged": 3}),
                      ("ok", {"new": 9})])
    s = one(settings)
    assert s.state == "warning"
    assert s.warnings == ["no new article in the last 3 runs: did the site change its layout?"]
    assert run_main(capsys, "elbalad")[0] == 1


def test_fewer_runs_than_the_window_do_not_warn(settings, archive):
    history(archive, [("ok", {"skipped": 40}), ("ok", {"skipped": 40})])
    assert one(settings).state == "ok"


def test_undated_and_short_shares_over_the_window(settings, archive):
    history(archive, [("ok", {"new": 6, "undated": 3, "short_text": 1}), ("ok", {"new": 4, "undated": 0}),
                      ("ok", {"new": 2, "updated": 0})])
    s = one(settings)
    assert s.warnings == ["25% of the 12 articles of the last 3 runs have no date (threshold 20%): "
                          "is extraction degrading?"]


def test_shares_need_enough_articles(settings, archive):
    history(archive, [("ok", {"new": 2, "undated": 2, "short_text": 2}), ("ok", {"new": 1}), ("ok", {"new": 1})])
    assert one(settings).warnings == []


def test_short_text_share(settings, archive):
    history(archive, [("ok", {"new": 10, "unchanged": 5, "short_text": 8})] * 1 + [("ok", {"new": 1})] * 2)
    [warning] = one(settings).warnings
    assert warning.startswith("47% of the 17 articles of the last 3 runs have fewer than 80 words")


def test_robots_forbidding_us(settings, archive):
    history(archive, [("ok", {"new": 3, "robots_forbidden": 2}), ("ok", {"new": 1})])
    assert one(settings).warnings == ["robots.txt forbade 2 of our requests in the last run"]


KNOWN = {"title": True, "body": True, "image": True, "prune": True}
REDESIGNED = {"title": False, "body": False, "image": False, "prune": True}


def test_selector_hits_are_summed_in_the_report(archive):
    report = write(archive, new=3, selector_pages=[KNOWN, REDESIGNED, {"title": True, "body": False}])
    selectors = RunReport.from_json(report.to_json()).selectors
    assert (selectors["pages"], selectors["hits"], selectors["checks"]) == (3, 6, 10)
    assert selectors["rate"] == 0.6
    assert selectors["fields"]["body"] == {"hits": 1, "checks": 3}


def test_site_selectors_that_stopped_matching_warn(settings, archive, capsys):
    write(archive, ago=timedelta(minutes=70), new=5, selector_pages=[KNOWN] * 5)
    redesigned = write(archive, ago=timedelta(minutes=40), new=4, selector_pages=[REDESIGNED] * 4)
    write(archive, ago=timedelta(minutes=10), skipped=9)       # no article page read: no evidence either way
    s = one(settings)
    assert s.warnings == [f"the site's own selectors matched 25% of the checks on the 4 article pages of run "
                          f"{redesigned.run_id} (threshold 50%; misses: body 0/4, image 0/4, title 0/4): "
                          "did the site change its layout?"]
    assert run_main(capsys, "elbalad")[0] == 1


def test_selector_warning_follows_the_threshold_and_the_latest_evidence(settings, archive, monkeypatch):
    write(archive, ago=timedelta(minutes=40), new=4, selector_pages=[REDESIGNED] * 4)
    write(archive, ago=timedelta(minutes=10), new=2, selector_pages=[KNOWN] * 2)    # the site is back
    assert one(settings).warnings == []
    write(archive, ago=timedelta(minutes=5), new=1, selector_pages=[REDESIGNED])
    assert len(one(settings).warnings) == 1
    monkeypatch.setenv("ARSHIF_STATUS__MIN_SELECTOR_HIT_RATE", "0.2")
    assert one(load_settings()).warnings == []


def test_reports_without_selector_figures_do_not_warn(settings, archive):
    history(archive, [("ok", {"new": 3}), ("ok", {"new": 3})])
    assert one(settings).warnings == []


def test_overdue_when_no_run_happened(settings, archive):
    last = NOW - timedelta(hours=3, minutes=10)
    write(archive, ago=NOW - last, new=4)
    s = one(settings)
    assert s.warnings == [f"no run since {last:%Y-%m-%dT%H:%M:%SZ} although one was due at "
                          f"{last + timedelta(minutes=30):%Y-%m-%dT%H:%M:%SZ}: is the scheduler running?"]
    assert s.next_run == f"{NOW + timedelta(minutes=20):%Y-%m-%dT%H:%M:%SZ}"


def test_never_run_and_disabled_sites(settings, archive, monkeypatch, capsys):
    s = one(settings)
    assert (s.state, s.warnings, s.last_run, s.next_run) == ("warning", ["no run yet"], None, None)
    monkeypatch.setenv("ARSHIF_SITES__RT_ARABIC__ENABLED", "false")
    history(archive, [("ok", {"new": 1})])
    code, out = run_main(capsys, "--json")
    doc = json.loads(out)
    assert code == 0
    assert [(s["site"], s["state"]) for s in doc["sites"]] == [("rt_arabic", "disabled"), ("elbalad", "ok")]


def test_cron_schedule_next_run(settings, archive, monkeypatch):
    monkeypatch.setenv("ARSHIF_SITES__ELBALAD__CRON", "0 6 * * *")
    monkeypatch.delenv("ARSHIF_SITES__ELBALAD__EVERY")
    s = one(load_settings())
    assert s.schedule == "cron '0 6 * * *' (Africa/Cairo)"
    assert s.next_run is not None and s.next_run > NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_pending_uploads_in_the_outbox(settings, archive):
    history(archive, [("ok", {"new": 1})])
    outbox = Outbox(archive_state_dir(settings.archive.state_dir, settings.archive.url) / "outbox")
    for site in ("elbalad", "elbalad", "rt_arabic"):
        outbox.add_bytes(f"runs/site={site}/date=2026-11-23/x.json", b"{}", content_type="application/json",
                         metadata={"site": site})
    s = one(settings)
    assert s.pending_uploads == 2
    assert s.warnings == ["2 writes wait in the outbox for the archive"]


def test_unreadable_report_is_skipped(settings, archive):
    history(archive, [("ok", {"new": 1})])
    archive.put("runs/site=elbalad/date=2999-01-01/zzz.json", b"{not json", content_type="application/json")
    assert one(settings).last_run["counts"]["new"] == 1


@pytest.mark.slow
def test_status_flags_a_site_whose_pages_stopped_carrying_articles(tmp_path):
    """Real crawls of the replica, where elbalad's article pages lost their article ("layout changed")."""
    from replica import ReplicaServer
    from tests.crawl_helpers import PLAIN, arshif, crawl_env

    with ReplicaServer(plain=PLAIN) as replica:
        replica.serve_articles(False, "elbalad")
        env = crawl_env(replica, tmp_path, ARSHIF_STATUS__NO_NEW_RUNS="2")
        for _ in range(2):
            assert arshif("crawl", env=env).returncode == 0
    done = arshif("status", "--json", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    sites = {s["site"]: s for s in json.loads(done.stdout)["sites"]}
    assert sites["elbalad"]["state"] == "warning"
    assert sites["elbalad"]["warnings"] == ["no new article in the last 2 runs: did the site change its layout?"]
    assert sites["elbalad"]["last_run"]["counts"]["not_article"] > 0
    assert sites["rt_arabic"]["state"] == "ok" and sites["rt_arabic"]["warnings"] == []
    text = arshif("status", env=env)
    assert text.returncode == 1
    assert "elbalad: WARNING" in text.stdout and "rt_arabic: OK" in text.stdout


def test_a_source_failing_runs_in_a_row_is_a_warning_and_the_last_runs_sources_are_shown(settings, archive, capsys):
    lost = {"feed /rss.aspx": None, "listing /category/2": "HTTP 404"}
    for i in range(3):      # status.source_failures = 3
        write(archive, ago=timedelta(minutes=10 + 30 * i), result="degraded", new=2,
              reason="discovery lost 1 of 2 sources: listing /category/2: HTTP 404", sources=lost)
    s = one(settings)
    assert "discovery source listing /category/2 failed in each of the last 3 runs: HTTP 404" in s.warnings
    assert s.last_run["sources"][1] == {"source": "listing /category/2", "outcome": "failed", "reason": "HTTP 404"}
    code, out = run_main(capsys)
    assert code == 1
    assert "  sources       1 failed, 1 ok — listing /category/2: HTTP 404" in out
    # the source answered in between: no warning (only the degraded last run's)
    write(archive, ago=timedelta(minutes=25), result="ok", new=1, sources={"listing /category/2": None})
    write(archive, ago=timedelta(minutes=5), result="degraded", new=1, sources=lost)
    assert not any("in each of the last" in w for w in one(settings).warnings)


def test_the_last_runs_counts_are_the_summarys_the_id_probes_gaps_apart(settings, archive, capsys):
    """A run whose id probes found 26 gaps and 5 numbers not given yet among its 31 not_article answers: the
    status counts, as the run's summary, say not article 0 and the probes' own counts (it said not article 31
    beside the coverage line's 31 probes)."""
    report = write(archive, new=0, fetched=31, not_article=31)
    report.ids = {"low": 6309891, "high": 6312890, "ids": 3000, "archived": 16, "gaps": 195, "unprobed": 2789,
                  "coverage": 1.0, "open_rate": 0.0, "days": {}, "probing": True, "probed": 31, "budget": 31,
                  "probes": {"articles": 0, "gaps": 26, "not_given_yet": 5, "missed": 0}, "density": 0.0758,
                  "sparse": True, "id_url": "/{id}", "window": 3000}
    archive.put(report.key, report.to_json(), content_type="application/json")
    counts = one(settings).last_run["counts"]
    assert (counts["not_article"], counts["probed"], counts["probed_gaps"], counts["probed_not_published"]) == \
        (0, 31, 26, 5)
    assert "not article 0," in report.summary() and ", not article 0, " in run_main(capsys, "elbalad")[1]


def test_the_told_not_article_count_is_never_negative():
    """Probes that found numbers this run did not fetch (gaps known from earlier runs, skipped) counted more gaps
    than the run had not_article pages: the summary said "not article -1", and the metrics' counter refused the
    negative amount, so the run's lag was never recorded (serve's arshif_lag_seconds lagged status's)."""
    report = RunReport("20261207T120000Z-elbalad-0001", "elbalad", "file:///x")
    report.counts.update(not_article=5, skipped_not_article=3)
    report.ids = {"probed": 9, "probes": {"articles": 2, "gaps": 3, "not_given_yet": 4, "missed": 1}}
    assert report.told_counts()["not_article"] == 0 and ", not article 0, " in report.summary()
