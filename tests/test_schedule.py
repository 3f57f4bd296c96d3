"""Schedules from settings: crontab or interval, time zones, next run, catch-up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import SettingsError, load_settings
from crawler.display import human_duration
from jobs.service.schedule import catch_up_due, describe, next_run_after, trigger, upcoming_run

UTC = timezone.utc


def site(**env):
    environ = {f"ARSHIF_SITES__ELBALAD__{k.upper()}": v for k, v in env.items()}
    return load_settings(environ=environ).sites["elbalad"]


@pytest.mark.parametrize("seconds, text", [
    (1500, "25m"), (5400, "1h30m"), (90, "1m30s"), (5, "5s"), (0.5, "0.5s"), (4.485, "4.5s"), (86400, "1d"), (0, "0s"),
])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_every_from_the_environment_replaces_the_files_schedule():
    cfg = site(every="5s")
    assert cfg.every == 5 and cfg.cron is None
    assert describe(cfg) == "every 5s (Africa/Cairo)"
    trig = trigger(cfg)
    assert isinstance(trig, IntervalTrigger) and trig.interval == timedelta(seconds=5)


def test_cron_replaces_every_and_fires_in_the_sites_time_zone():
    cfg = site(cron="0 6 * * *")
    assert cfg.every is None
    assert describe(cfg) == "cron '0 6 * * *' (Africa/Cairo)"
    trig = trigger(cfg)
    assert isinstance(trig, CronTrigger)
    fire = trig.get_next_fire_time(None, datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 06:00 in Cairo is 04:00 UTC


def test_bad_schedules_are_refused_at_start():
    with pytest.raises(SettingsError, match="sites.elbalad.cron"):
        site(cron="*/30 * * *")
    with pytest.raises(SettingsError, match="sites.elbalad"):
        site(every="0s")


def test_interval_trigger_starts_where_asked():
    cfg = site(every="45m")
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    fire = trigger(cfg, start=start).get_next_fire_time(None, start - timedelta(minutes=10))
    assert fire == start


def test_next_run_after_an_interval_counts_from_the_runs_start():
    cfg = site(every="30m")
    started = datetime(2026, 11, 23, 11, 40, 2, tzinfo=UTC)
    assert next_run_after(cfg, started) == datetime(2026, 11, 23, 12, 10, 2, tzinfo=UTC)


def test_next_run_after_a_cron_run_is_the_next_slot_even_when_the_run_started_on_the_slot():
    cfg = site(cron="*/30 * * * *")
    for started in (datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC), datetime(2026, 11, 23, 12, 0, 3, tzinfo=UTC)):
        assert next_run_after(cfg, started).astimezone(UTC) == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("schedule", [{"every": "30m"}, {"cron": "*/30 * * * *"}])
def test_catch_up_when_a_run_was_missed_since_the_last_success(schedule):
    cfg = site(**schedule)
    last = datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC)
    assert catch_up_due(cfg, None, last) is True
    assert catch_up_due(cfg, last, last + timedelta(minutes=29)) is False
    assert catch_up_due(cfg, last, last + timedelta(minutes=31)) is True


def test_upcoming_run_for_an_interval_is_the_next_multiple_from_the_last_start():
    cfg = site(every="30m")
    last = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)
    assert upcoming_run(cfg, None, last) is None
    assert upcoming_run(cfg, last, last + timedelta(minutes=10)) == last + timedelta(minutes=30)
    assert upcoming_run(cfg, last, last + timedelta(minutes=100)) == last + timedelta(minutes=120)


def test_upcoming_run_for_a_crontab_ignores_the_last_run():
    cfg = site(cron="*/30 * * * *")
    now = datetime(2026, 11, 23, 12, 10, tzinfo=UTC)
    assert upcoming_run(cfg, None, now).astimezone(UTC) == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
