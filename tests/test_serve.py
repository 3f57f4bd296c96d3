"""`arshif serve` and its crawl runner.

The first part drives the runner and the service with a stand-in crawl (a short script that takes the site's
lock, writes a run report, and can be told to be slow, hang, ignore SIGTERM or crash), so that time limits,
shutdown and catch-up are tested in seconds; the last part runs the real `arshif serve` against the replica.
"""
from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawler.archive.storage import open_archive
from crawler.config import load_settings
from crawler.run.report import RunReport, new_run_id
from jobs.service.history import reports_newest_first
from jobs.service.runner import CrawlRunner
from tests.waiting import wait_until

FAKE_CRAWL = textwrap.dedent("""
    import json, os, signal, subprocess, sys, time

    site, flag, run_id, flag2, deadline = sys.argv[1:]     # like `arshif crawl SITE --run-id ID --deadline ISO`
    assert (flag, flag2) == ("--run-id", "--deadline")
    mode = json.loads(open(os.environ["FAKE_MODES"]).read() or "{}").get(site, "ok")
    if mode in ("hang", "lingers"):  # like Scrapy: SIGTERM (even during the imports below) closes the crawl
        stopped = []
        signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
    if mode == "stubborn":  # ignores SIGTERM (from its start) and has a child of its own
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    from datetime import datetime
    from crawler.archive.storage import open_archive
    from crawler.config import load_settings
    from crawler.run.report import RunReport, new_run_id, run_started
    from crawler.run.lock import LockBusy, SiteLock

    settings = load_settings()
    archive = open_archive(settings.archive.url, settings)

    def event(what):
        with open(os.environ["FAKE_EVENTS"], "a") as fh:
            fh.write(json.dumps({"site": site, "pid": os.getpid(), "what": what, "t": time.time()}) + "\\n")

    try:
        SiteLock(settings, site).__enter__()
    except LockBusy:
        sys.exit(75)
    report = RunReport(run_id, site, archive.url, started_at=run_started(run_id, site).isoformat())
    event("start")
    event(f"told {report.started_at} {deadline}")

    def finish(result, reason=None):
        report.count("new", 2)
        report.finish(result, reason)
        archive.put(report.key, report.to_json(), content_type="application/json")
        event("end")

    if mode == "crash":
        sys.exit(3)
    if mode == "dies":  # like a crawl: report stored at start, an article written, then SIGKILL (OOM killer)
        archive.put(report.key, report.to_json(), content_type="application/json")
        archive.put("articles/site=%s/date=2026-11-20/00000000000000000001.json" % site, b"{}",
                    content_type="application/json")
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        while not stopped:
            time.sleep(0.05)
        finish("failed", "stopped early (shutdown)")
        sys.exit(0)
    if mode == "lingers":  # its run done and reported, the process is still exiting when its deadline passes
        finish("ok")
        while not stopped:
            time.sleep(0.05)
        sys.exit(0)
    if mode == "stubborn":
        grandchild = subprocess.Popen(["sleep", "3600"])
        event(f"grandchild {grandchild.pid}")
        time.sleep(3600)
    if mode == "decoy":  # another run of the site (a manual `arshif crawl`) stores a newer report meanwhile
        other = RunReport(new_run_id(site, datetime.fromisoformat(deadline)), site, archive.url,
                          started_at=deadline)
        other.finish("failed", "not this run")
        archive.put(other.key, other.to_json(), content_type="application/json")
    if mode.startswith("slow "):
        time.sleep(float(mode.split()[1]))
    finish("ok")
""")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Environment for the stand-in crawl; returns a function that sets each site's behaviour."""
    script = tmp_path / "fake_crawl.py"
    script.write_text(FAKE_CRAWL)
    modes, events = tmp_path / "modes.json", tmp_path / "events.jsonl"
    modes.write_text("{}")
    env = {"ARSHIF_ARCHIVE__URL": f"file://{tmp_path}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp_path / "state"),
           # a stopped stand-in may need seconds to finish on a loaded machine: SIGKILL only if it ignores SIGTERM
           "ARSHIF_SERVICE__STOP_TIMEOUT": "120s", "FAKE_MODES": str(modes), "FAKE_EVENTS": str(events)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Fake:
        command = [sys.executable, str(script)]

        @staticmethod
        def set(**site_modes):
            modes.write_text(json.dumps(site_modes))

        @staticmethod
        def events():
            return [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []

    return Fake


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reports(site):
    settings = load_settings()
    return list(reversed(list(reports_newest_first(open_archive(settings.archive.url, settings), site))))


def runner_for(fake, recorded=None, **env):
    settings = load_settings(environ={**os.environ, **env})
    archive = open_archive(settings.archive.url, settings)
    return CrawlRunner(settings, fake.command, archive, on_report=[].append if recorded is None else recorded.append)


def test_a_run_returns_the_crawls_own_report(fake):
    recorded = []
    report = runner_for(fake, recorded).run("elbalad")
    assert report.result == "ok" and report.counts["new"] == 2
    assert recorded == [report]
    assert [r.run_id for r in reports("elbalad")] == [report.run_id]


def test_the_crawl_is_told_its_run_id_and_deadline_and_its_very_report_is_read(fake):
    """One deadline, fixed when the process starts: the run's start (its id's) + time_limit; the runner reads
    the report stored under the id it gave, not the newest report it finds (here another run's)."""
    fake.set(elbalad="decoy")
    report = runner_for(fake, ARSHIF_SITES__ELBALAD__TIME_LIMIT="7m").run("elbalad")
    assert report.result == "ok" and report.reason is None
    [told] = [e["what"].split()[1:] for e in fake.events() if e["what"].startswith("told ")]
    start, deadline = map(datetime.fromisoformat, told)
    assert start == datetime.fromisoformat(report.started_at)
    assert timedelta(minutes=7) <= deadline - start < timedelta(minutes=7, seconds=1)    # the id names the second
    stored = reports("elbalad")
    assert len(stored) == 2 and stored[-1].reason == "not this run" and stored[-1].run_id > report.run_id
    assert report.run_id in {r.run_id for r in stored}


def test_a_hung_crawl_is_stopped_at_its_time_limit_and_its_report_marked_failed(fake):
    fake.set(elbalad="hang")
    report = runner_for(fake, ARSHIF_SITES__ELBALAD__TIME_LIMIT="2s").run("elbalad")
    assert (report.result, report.reason) == ("failed", "time limit 2s exceeded")
    [stored] = reports("elbalad")
    assert (stored.run_id, stored.result, stored.reason) == (report.run_id, "failed", "time limit 2s exceeded")
    assert stored.counts["new"] == 2  # what the stopped crawl had done is kept


def run_stopped_at(fake, runner, site: str, event: str, reason: str = "stopped by the test"):
    """``runner.run(site)`` stopped as at a time limit or at the end of the service's grace (the same stop:
    ``runner.stop_all``) once the stand-in has logged ``event``, not after a length of time that a loaded
    machine may need just to start it; returns the run's report and the event's text after its name."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(runner.run, site)
        def logged():
            if running.done():
                pytest.fail(f"the run ended before the stand-in logged {event!r}: {running.result()}")
            return next((e["what"][len(event):].strip() or "-" for e in fake.events()
                         if e["what"].split()[0] == event), None)

        detail = wait_until(logged, event)
        runner.stop_all(reason)
        return running.result(timeout=300), detail


def test_a_crawl_that_stored_the_report_of_a_complete_run_keeps_it_though_stopped_while_exiting(fake):
    """The stop cut nothing short: the run was complete, the process was only still exiting (on a loaded
    machine an interpreter's exit can take seconds after the report is stored); it was marked failed."""
    fake.set(elbalad="lingers")
    report, _ = run_stopped_at(fake, runner_for(fake), "elbalad", "end", "time limit 1s exceeded")
    assert (report.result, report.reason) == ("ok", None)
    [stored] = reports("elbalad")
    assert (stored.run_id, stored.result, stored.reason) == (report.run_id, "ok", None)


def test_a_crawl_that_ignores_sigterm_is_killed_with_its_children(fake):
    fake.set(elbalad="stubborn")
    runner = runner_for(fake, ARSHIF_SERVICE__STOP_TIMEOUT="0.5s")
    report, grandchild = run_stopped_at(fake, runner, "elbalad", "grandchild", "time limit 1s exceeded")
    assert (report.result, report.reason) == ("failed", "time limit 1s exceeded")
    assert [r.run_id for r in reports("elbalad")] == [report.run_id]
    wait_until(lambda: not os.path.exists(f"/proc/{grandchild}"), "its child to be killed (and reaped by init)")


def test_a_crash_without_report_is_reported_as_failed(fake):
    fake.set(elbalad="crash")
    report = runner_for(fake).run("elbalad")
    assert (report.result, report.reason) == ("failed", "crawl exited with status 3 without a run report")
    assert [r.reason for r in reports("elbalad")] == [report.reason]


def test_a_crawl_that_dies_after_storing_its_report_is_marked_killed_with_what_it_wrote(fake):
    fake.set(elbalad="dies")
    report = runner_for(fake).run("elbalad")
    assert (report.result, report.reason) == ("killed", "crawl killed by signal SIGKILL before completing its "
                                                        "run report")
    assert report.keys_written == ["articles/site=elbalad/date=2026-11-20/00000000000000000001.json"]
    [stored] = reports("elbalad")
    assert (stored.run_id, stored.result, stored.keys_written) == (report.run_id, "killed", report.keys_written)


def test_a_crawl_skipped_for_a_busy_lock_is_not_a_run(fake):
    from crawler.run.lock import SiteLock

    with SiteLock(load_settings(), "elbalad"):
        assert runner_for(fake).run("elbalad") is None
    assert reports("elbalad") == []


def test_a_closed_runner_starts_nothing(fake):
    runner = runner_for(fake)
    runner.close()
    assert runner.run("elbalad") is None
    assert fake.events() == []


# -- the service, with the stand-in crawl ------------------------------------------------------------------

SERVICE = textwrap.dedent("""
    import sys
    from crawler.config import load_settings
    from crawler.logs import setup_logging
    from jobs.serve import Service
    settings = load_settings()
    setup_logging(settings)
    sys.exit(Service(settings, sys.argv[1:]).run())
""")


def start_service(fake, **env):
    return subprocess.Popen([sys.executable, "-c", SERVICE, *fake.command], env={**os.environ, **env},
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


#: The grace of the services whose every run must end by itself once stopped (a run may have started just
#: before the SIGTERM, and a fresh interpreter's crawl can take half a minute on a loaded machine): only the
#: bound of that wait, which ends with the runs; the grace's own expiry is tested with the hung stand-in.
GRACE, STOP_WAIT = "5m", 420


def stop(proc, timeout=120):
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def spans(events, site):
    starts = {e["pid"]: e["t"] for e in events if e["site"] == site and e["what"] == "start"}
    ends = {e["pid"]: e["t"] for e in events if e["site"] == site and e["what"] == "end"}
    return sorted((starts[pid], ends.get(pid)) for pid in starts)


@pytest.mark.slow
def test_service_runs_each_site_on_schedule_without_overlap_and_stops_on_sigterm(fake, tmp_path):
    fake.set(elbalad="slow 1.5", rt_arabic="slow 0.2")
    port, textfile, begun = free_port(), tmp_path / "arshif.prom", time.time()
    proc = start_service(fake, ARSHIF_SITES__ELBALAD__EVERY="1s", ARSHIF_SITES__RT_ARABIC__EVERY="1s",
                         ARSHIF_SERVICE__GRACE=GRACE, ARSHIF_SERVICE__METRICS_PORT=str(port),
                         ARSHIF_SERVICE__METRICS_TEXTFILE=str(textfile))
    try:
        wait_for(lambda: all(len(spans(fake.events(), s)) >= 3 for s in ("elbalad", "rt_arabic")), 300, "3 runs each")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            assert b'arshif_runs_total{result="ok",site="elbalad"}' in resp.read()
    finally:
        code, err = stop(proc, timeout=STOP_WAIT)
    assert code == 0, err
    metrics = {(s.name, s.labels.get("site"), s.labels.get("result")): s.value
               for family in text_string_to_metric_families(textfile.read_text()) for s in family.samples}
    for site in ("elbalad", "rt_arabic"):
        assert metrics["arshif_runs_total", site, "ok"] == len(reports(site))
        assert metrics["arshif_last_success_timestamp_seconds", site, None] > begun
    for site in ("elbalad", "rt_arabic"):
        runs = spans(fake.events(), site)
        assert all(end is not None for _, end in runs), f"{site}: a run did not finish before the exit"
        assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(runs)), f"{site}: runs overlapped"
        assert [r.result for r in reports(site)] == ["ok"] * len(runs)
    assert "stopped" in err.splitlines()[-1]


def test_a_run_that_overruns_its_schedule_is_said_once_not_at_every_skipped_tick(fake):
    """APScheduler skips a tick while the job's run is on and logs a warning at each one; the service says an
    overrun once when its first tick is skipped and once when the run ends, with the ticks it skipped."""
    fake.set(elbalad="slow 4")
    proc = start_service(fake, ARSHIF_SITES__ELBALAD__EVERY="1s", ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                         ARSHIF_SERVICE__GRACE=GRACE)
    try:
        wait_for(lambda: len(spans(fake.events(), "elbalad")) >= 2, 120, "a second run")
    finally:
        code, err = stop(proc, timeout=STOP_WAIT)
    assert code == 0, err
    assert "maximum number of running instances" not in err
    began = [line for line in err.splitlines() if "elbalad: the run is still on at its next scheduled time" in line]
    ended = [line for line in err.splitlines() if "elbalad: the run that overran its schedule ended" in line]
    assert ended and len(began) in (len(ended), len(ended) + 1), err       # the last run may still be on
    assert all(" WARNING " in line for line in began) and all(" INFO " in line for line in ended)
    assert all(int(line.split("ended; ")[1].split()[0]) >= 1 for line in ended)


def test_shutdown_stops_crawls_that_outlast_the_grace_period(fake):
    fake.set(elbalad="hang")
    proc = start_service(fake, ARSHIF_SITES__ELBALAD__EVERY="1h", ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                         ARSHIF_SERVICE__GRACE="1s")
    try:
        wait_for(lambda: spans(fake.events(), "elbalad"), 120, "the catch-up run to start")
    finally:
        code, err = stop(proc)
    assert code == 0, err
    [report] = reports("elbalad")
    assert (report.result, report.reason) == ("failed", "stopped by the service's shutdown after the 1s grace period")


def test_catch_up_at_start_only_when_a_run_was_missed(fake):
    settings = load_settings()
    archive = open_archive(settings.archive.url, settings)
    for site, ago in (("elbalad", timedelta(minutes=10)), ("rt_arabic", timedelta(hours=2))):
        start = datetime.now(timezone.utc) - ago
        report = RunReport(new_run_id(site, start), site, archive.url, started_at=start.isoformat(timespec="seconds"))
        report.finish("ok")
        archive.put(report.key, report.to_json(), content_type="application/json")
    proc = start_service(fake, ARSHIF_SITES__ELBALAD__EVERY="1h", ARSHIF_SITES__RT_ARABIC__EVERY="1h")
    try:
        wait_for(lambda: spans(fake.events(), "rt_arabic"), 120, "rt_arabic's catch-up run")
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert spans(fake.events(), "elbalad") == []
    elbalad_next = next(line for line in err.splitlines() if "elbalad: scheduled every 1h" in line)
    expected = datetime.fromisoformat(reports("elbalad")[0].started_at) + timedelta(hours=1)
    assert f"next run at {expected:%Y-%m-%dT%H:%M:%SZ}" in elbalad_next


# -- the real `arshif serve` against the replica ------------------------------------------------------------

@pytest.fixture
def replica():
    from replica import ReplicaServer
    from tests.crawl_helpers import PLAIN

    with ReplicaServer(plain=PLAIN) as server:
        yield server


def serve(env):
    return subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_serve_crawls_the_replica_on_schedule_and_stops_cleanly(replica, tmp_path):
    from tests.crawl_helpers import arshif, crawl_env, run_reports

    env = crawl_env(replica, tmp_path, ARSHIF_SITES__ELBALAD__EVERY="4s", ARSHIF_SITES__RT_ARABIC__EVERY="4s",
                    ARSHIF_SERVICE__GRACE=GRACE, ARSHIF_LOGGING__FORMAT="json")
    archive = tmp_path / "archive"
    proc = serve(env)
    try:
        wait_for(lambda: all(len(run_reports(archive, s)) >= 2 for s in ("elbalad", "rt_arabic")), 300, "2 runs each")
    finally:
        code, err = stop(proc, timeout=STOP_WAIT)
    assert code == 0, err[-3000:]
    lines = [json.loads(line) for line in err.splitlines()]
    for site in ("elbalad", "rt_arabic"):
        reports = run_reports(archive, site)
        launched = [line for line in lines if line.get("site") == site and "crawl started" in line["message"]]
        assert len(launched) == len(reports) >= 2  # every run that started ended with its report
        assert all(r["result"] == "ok" and r["finished_at"] and r["duration_s"] > 0 for r in reports)
        assert reports[0]["counts"]["new"] > 0
        times = [(r["started_at"], r["finished_at"]) for r in reports]
        assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(times)), times
    assert lines[-1]["message"] == "stopped"

    done = arshif("status", "--json", env={**env, "ARSHIF_STATUS__NO_NEW_RUNS": "10"})
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    for site in doc["sites"]:
        last = run_reports(archive, site["site"])[-1]
        assert site["state"] == "ok" and site["last_run"]["run_id"] == last["run_id"]
        assert site["last_success"]["run_id"] == last["run_id"]
        assert site["last_run"]["counts"] == last["counts"] and site["last_run"]["duration_s"] == last["duration_s"]
        assert site["next_run"] > last["started_at"][:19]
        assert (site["consecutive_failures"], site["pending_uploads"], site["warnings"]) == (0, 0, [])


@pytest.mark.slow
def test_a_stalled_crawl_is_stopped_at_the_time_limit_and_the_next_run_happens(replica, tmp_path):
    """The 8 s limit is what is tested: the stalled run does nothing but wait under it. A whole run of the site
    in a fresh interpreter can take longer than 8 s on a loaded machine (~25 s at a load of 20 on 2 cores), so
    the service's later runs are checked by their order and reports, not by their result, and that the stopped
    crawl left nothing in the way of the next one (its lock, its state) by a crawl without that limit after
    the service stopped."""
    from tests.crawl_helpers import arshif, crawl_env, run_reports

    def ended():
        return [r for r in run_reports(archive, "elbalad") if r["result"] != "running"]

    replica.stall(True, "elbalad")
    env = crawl_env(replica, tmp_path, ARSHIF_SITES__ELBALAD__EVERY="3s", ARSHIF_SITES__ELBALAD__TIME_LIMIT="8s",
                    ARSHIF_SITES__RT_ARABIC__ENABLED="false", ARSHIF_SERVICE__STOP_TIMEOUT="2s")
    archive = tmp_path / "archive"
    proc = serve(env)
    try:
        wait_for(lambda: ended(), 300, "the stalled run's report")
        replica.stall(False, "elbalad")
        wait_for(lambda: len(ended()) >= 2, 300, "the next run's report")
    finally:
        code, err = stop(proc, timeout=90)
    assert code == 0, err[-3000:]
    first, second, *_ = run_reports(archive, "elbalad")
    assert (first["result"], first["reason"]) == ("failed", "time limit 8s exceeded")
    assert "elbalad: stopping the crawl" in err and "time limit 8s exceeded" in err
    assert second["result"] != "running" and second["started_at"] >= first["finished_at"]

    done = arshif("crawl", "elbalad", env={**env, "ARSHIF_SITES__ELBALAD__TIME_LIMIT": "25m"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert run_reports(archive, "elbalad")[-1]["result"] == "ok"


def test_a_metrics_port_in_use_stops_the_service_at_start(fake):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start_service(fake, ARSHIF_SERVICE__METRICS_PORT=str(port))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"metrics on 127.0.0.1:{port}: cannot listen: Address already in use" in err
    assert fake.events() == []
