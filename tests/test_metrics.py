"""Prometheus metrics of the service: counting runs, seeding from reports, HTTP and textfile exposition."""
from __future__ import annotations

import socket
import urllib.request
from datetime import datetime

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from crawler.run.report import RunReport
from jobs.service.metrics import ServiceMetrics


def report(site="elbalad", result="ok", duration=12.5, finished="2026-11-23T11:40:14+00:00", **counts):
    r = RunReport(f"20261123T114002Z-{site}-abcd", site, "file:///tmp/a", started_at="2026-11-23T11:40:02+00:00")
    r.counts.update(counts)
    r.finished_at, r.duration_s, r.result = finished, duration, result
    return r


def samples(source: str | ServiceMetrics) -> dict:
    """The samples of an exposition text, or of what ``ServiceMetrics`` exposes (its registry's text)."""
    text = generate_latest(source.registry).decode() if isinstance(source, ServiceMetrics) else source
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_series_exist_at_zero_before_any_run():
    values = samples(ServiceMetrics(["elbalad", "rt_arabic"]))
    assert values[("arshif_runs_total", (("result", "failed"), ("site", "rt_arabic")))] == 0
    assert values[("arshif_articles_total", (("outcome", "new"), ("site", "elbalad")))] == 0
    assert not any(name == "arshif_last_success_timestamp_seconds" for name, _ in values)


def test_runs_and_articles_are_counted_and_last_success_kept():
    metrics = ServiceMetrics(["elbalad"])
    metrics.record(report(new=7, unchanged=3, failed=1))
    metrics.record(report(result="failed", duration=1500.0, finished="2026-11-23T12:25:02+00:00", new=2))
    values = samples(metrics)
    assert values[("arshif_runs_total", (("result", "ok"), ("site", "elbalad")))] == 1
    assert values[("arshif_runs_total", (("result", "failed"), ("site", "elbalad")))] == 1
    assert values[("arshif_articles_total", (("outcome", "new"), ("site", "elbalad")))] == 9
    assert values[("arshif_articles_total", (("outcome", "failed"), ("site", "elbalad")))] == 1
    assert values[("arshif_last_run_duration_seconds", (("site", "elbalad"),))] == 1500.0
    assert values[("arshif_page_verdicts_total", (("site", "elbalad"), ("verdict", "rejected")))] == 0
    metrics.record(report(new=5, not_article=3, rejected=2, mismatched=1))
    values = samples(metrics)
    assert values[("arshif_page_verdicts_total", (("site", "elbalad"), ("verdict", "rejected")))] == 2
    assert values[("arshif_page_verdicts_total", (("site", "elbalad"), ("verdict", "mismatched")))] == 1
    assert values[("arshif_last_success_timestamp_seconds", (("site", "elbalad"),))] == datetime.fromisoformat(
        "2026-11-23T11:40:14+00:00").timestamp()


def test_gauges_are_seeded_from_the_reports():
    metrics = ServiceMetrics(["elbalad"])
    metrics.seed("elbalad", report(result="failed", duration=3.0), report(finished="2026-11-20T08:00:00+00:00"))
    values = samples(metrics)
    assert values[("arshif_last_run_duration_seconds", (("site", "elbalad"),))] == 3.0
    assert values[("arshif_last_success_timestamp_seconds", (("site", "elbalad"),))] == datetime.fromisoformat(
        "2026-11-20T08:00:00+00:00").timestamp()
    assert values[("arshif_runs_total", (("result", "ok"), ("site", "elbalad")))] == 0


def test_selector_hit_rate_of_the_last_run_that_read_articles():
    metrics = ServiceMetrics(["elbalad"])
    redesigned = report(new=2)
    for _ in range(2):
        redesigned.count_selectors({"title": False, "body": False, "prune": True})
    metrics.seed("elbalad", redesigned, redesigned)
    key = ("arshif_selector_hit_rate", (("site", "elbalad"),))
    assert samples(metrics)[key] == pytest.approx(1 / 3, abs=1e-4)
    metrics.record(report(skipped=40))                    # no article page: the rate stays
    assert samples(metrics)[key] == pytest.approx(1 / 3, abs=1e-4)
    known = report(new=1)
    known.count_selectors({"title": True, "body": True})
    metrics.record(known)
    assert samples(metrics)[key] == 1.0


def test_textfile_is_rewritten_after_each_run(tmp_path):
    path = tmp_path / "arshif.prom"
    metrics = ServiceMetrics(["elbalad"], textfile=str(path))
    metrics.record(report(new=1))
    assert samples(path.read_text())[("arshif_runs_total", (("result", "ok"), ("site", "elbalad")))] == 1
    metrics.record(report(new=1))
    assert samples(path.read_text())[("arshif_runs_total", (("result", "ok"), ("site", "elbalad")))] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["arshif.prom"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_endpoint_on_localhost():
    metrics = ServiceMetrics(["elbalad"])
    port = free_port()
    metrics.start_http("127.0.0.1", port)
    try:
        metrics.record(report(new=4))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            body = resp.read().decode()
        assert samples(body)[("arshif_articles_total", (("outcome", "new"), ("site", "elbalad")))] == 4
    finally:
        metrics.close()
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # the server is gone
        s.connect(("127.0.0.1", port))


def test_a_degraded_run_is_counted_as_such_and_shown_as_the_last_result():
    metrics = ServiceMetrics(["elbalad"])
    metrics.record(report(result="degraded", new=20, failed=10))
    values = samples(metrics)
    assert values[("arshif_runs_total", (("result", "degraded"), ("site", "elbalad")))] == 1
    assert values[("arshif_runs_total", (("result", "ok"), ("site", "elbalad")))] == 0
    assert values[("arshif_runs_total", (("result", "failed"), ("site", "elbalad")))] == 0
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "degraded"), ("site", "elbalad")))] == 1
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "ok"), ("site", "elbalad")))] == 0
    # it went to its end: the site was crawled (the staleness alert stays quiet), the result says how well
    assert ("arshif_last_success_timestamp_seconds", (("site", "elbalad"),)) in values
    metrics.record(report(result="ok", new=1))
    values = samples(metrics)
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "ok"), ("site", "elbalad")))] == 1
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "degraded"), ("site", "elbalad")))] == 0


def test_the_last_result_is_seeded_from_the_reports():
    metrics = ServiceMetrics(["elbalad"])
    metrics.seed("elbalad", report(result="killed", duration=3.0), None)
    values = samples(metrics)
    assert values[("arshif_last_run_result", (("arshif_last_run_result", "killed"), ("site", "elbalad")))] == 1
