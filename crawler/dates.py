"""Dates as the two sites write them, to ISO 8601 with an offset.

Parsing is dateparser's: the ``ar-LB`` locale knows both month-name sets (يناير… and كانون الثاني…),
Arabic-Indic digits, ص/م and relative phrases ("منذ ساعتين"); ``en`` covers RFC 822 dates of feeds and
meta tags. What is ours: machine dates take a fast path, naive times are local times of the site's IANA
zone, and a date that needs "now" (relative phrases, a missing year) is only resolved against the
``fetched_at`` the caller gives — never against the clock, so the same page always gives the same record.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

__all__ = ["parse_date", "to_iso"]

LOCALES = ("ar-LB", "en")   # ar-LB: Egyptian and Levantine month names; en: feeds, meta tags
# Two far-apart bases: a date whose value depends on the base is relative (or lacks its year).
_PROBE_BASES = (datetime(2001, 1, 1, 12, 0), datetime(2011, 7, 1, 12, 0))


@lru_cache(maxsize=16)
def _parser(timezone: str, base: datetime) -> DateDataParser:
    return DateDataParser(
        locales=list(LOCALES),
        settings={
            "TIMEZONE": timezone,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "DMY",
        },
    )


def to_iso(value: datetime, timezone: str) -> str:
    """ISO 8601 with an offset; a naive ``value`` is a local time of ``timezone``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.isoformat()


def _machine_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None


@lru_cache(maxsize=256)          # a page often gives the same text as its publication and modification date
def _parse(text: str, timezone: str, base: datetime) -> datetime | None:
    return _parser(timezone, base).get_date_data(text).date_obj


def parse_date(text: str | None, timezone: str, fetched_at: datetime | None = None) -> str | None:
    """Parse a date string found on a page of a site in ``timezone``; ISO 8601 with offset, or None.

    Relative dates ("منذ ساعتين", "أمس", a day and month without a year) are resolved against
    ``fetched_at`` and are None without it.
    """
    text = " ".join((text or "").split())
    if not text:
        return None
    machine = _machine_date(text)
    if machine is not None:
        return to_iso(machine, timezone)
    if fetched_at is not None:
        local = fetched_at.astimezone(ZoneInfo(timezone)) if fetched_at.tzinfo else fetched_at
        base = local.replace(tzinfo=None, microsecond=0)
        parsed = _parse(text, timezone, base)
    else:
        first, second = (_parse(text, timezone, base) for base in _PROBE_BASES)
        absolute = first is not None and second is not None and abs(first - second) < timedelta(seconds=1)
        parsed = first if absolute else None
    return to_iso(parsed, timezone) if parsed is not None else None
