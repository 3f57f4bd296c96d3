"""Operator logs: text and JSON lines on stderr, rotating file, site/run stamps, Scrapy held down, no secrets."""
from __future__ import annotations

import json
import logging

import pytest

from crawler.config import load_settings
from crawler.logctx import site_logger
from crawler.logs import Redactor, setup_logging


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("scrapy", "apscheduler", "botocore")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


def configure(**env):
    setup_logging(load_settings(environ={f"ARSHIF_LOGGING__{k.upper()}": v for k, v in env.items()}))


def test_text_line_with_site_and_run_id(capsys):
    configure()
    log = site_logger(logging.getLogger("arshif.test"), "elbalad", "20261123T114002Z-elbalad-abcd")
    log.info("run finished: %s", "ok", extra={"result": "ok", "counts": {"new": 3}})
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("INFO    arshif.test: run finished: ok "
                         "[site=elbalad run_id=20261123T114002Z-elbalad-abcd result=ok]")
    assert line[:20].endswith("Z") and line[4] == "-" and line[10] == "T"


def test_json_lines_carry_every_extra(capsys):
    configure(format="json")
    log = site_logger(logging.getLogger("arshif.test"), "rt_arabic")
    log.warning("article failed: %s: %s", "https://x/a", "HTTP 500", extra={"url": "https://x/a"})
    log.info("run finished", extra={"counts": {"new": 3}})
    first, second = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert first["level"] == "WARNING" and first["logger"] == "arshif.test"
    assert first["message"] == "article failed: https://x/a: HTTP 500"
    assert (first["site"], first["url"]) == ("rt_arabic", "https://x/a")
    assert second["counts"] == {"new": 3} and "run_id" not in second


def test_exceptions_stay_inside_one_json_line(capsys):
    configure(format="json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("arshif.test").exception("failed")
    [line] = capsys.readouterr().err.splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_rotating_file_besides_stderr(tmp_path, capsys):
    path = tmp_path / "arshif.log"
    configure(file=str(path), file_max_bytes="1024", file_backups="2")
    for i in range(100):
        logging.getLogger("arshif.test").info("line %d of a log that rotates", i)
    assert len(capsys.readouterr().err.splitlines()) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arshif.log", "arshif.log.1", "arshif.log.2"]
    assert "line 99 of a log" in path.read_text()


def test_scrapy_chatter_is_held_at_warning_unless_asked(capsys):
    configure()
    logging.getLogger("scrapy.core.engine").info("Spider opened")
    logging.getLogger("scrapy.core.engine").warning("something odd")
    logging.getLogger("apscheduler.scheduler").info("Added job")
    err = capsys.readouterr().err
    assert "Spider opened" not in err and "Added job" not in err and "something odd" in err
    configure(scrapy_level="info")
    logging.getLogger("scrapy.core.engine").info("Spider opened")
    assert "Spider opened" in capsys.readouterr().err


def test_scheduler_lines_give_times_in_utc_like_ours(capsys):
    """APScheduler names a job by its next run time in the schedule's time zone ("… 16:12:18 EET"): in our
    lines every time is UTC, written as the line's own stamp is. Its line for each tick a running job skips is
    not ours to pass on (``jobs.service.overruns`` says an overrun once)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger
    from zoneinfo import ZoneInfo

    configure()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        job = scheduler.add_job(print, IntervalTrigger(minutes=30, timezone=ZoneInfo("Africa/Cairo")),
                                name="crawl elbalad")
        when = job.next_run_time
        logging.getLogger("apscheduler.executors.default").error('Job "%s" raised an exception', job)
        logging.getLogger("apscheduler.scheduler").warning(
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)', job, 1)
        logging.getLogger("apscheduler.executors.default").warning('Run time of job "%s" was missed by %s (at %s)',
                                                                   job, "0:00:01", when)
    finally:
        scheduler.shutdown(wait=False)
    first, second = capsys.readouterr().err.splitlines()
    utc = when.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'Job "crawl elbalad (trigger: interval[0:30:00], next run at: {utc})" raised' in first
    assert second.endswith(f"was missed by 0:00:01 (at {utc})")
    assert "EET" not in first + second and "+02:00" not in first + second


def test_secrets_never_appear(monkeypatch, capsys):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLETOKEN")
    for fmt in ("text", "json"):
        configure(format=fmt)
        log = logging.getLogger("arshif.test")
        log.error("signature mismatch for key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  extra={"token": "FQoGZXIvYXdzEXAMPLETOKEN"})
        log.error("cannot reach https://arshif:s3cr3t-pass@minio.local:9000/news")
        err = capsys.readouterr().err
        assert "EXAMPLEKEY" not in err and "EXAMPLETOKEN" not in err and "s3cr3t" not in err
        assert err.count("***") == 3
        assert "https://***@minio.local:9000/news" in err


def test_redactor_leaves_ordinary_text_alone():
    redact = Redactor({"AWS_SECRET_ACCESS_KEY": "abc", "HOME": "/home/arshif", "DB_PASSWORD": "hunter22"})
    assert redact("home /home/arshif, abc, hunter22") == "home /home/arshif, abc, ***"
    assert redact("s3://news/arshif and http://host/a@b") == "s3://news/arshif and http://host/a@b"
