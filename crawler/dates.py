"""Every date the crawler reads from outside, parsed in one place.

- Page dates (``parse_date``): as the two sites write them, to ISO 8601 with an offset. ISO 8601 and
  RFC 822 take the standard library's parsers (``datetime.fromisoformat``, ``email.utils``); everything else is
  dateparser's: the ``ar-LB`` locale knows both month-name sets (يناير… and كانون الثاني…), Arabic-Indic
  digits, ص/م and relative phrases ("منذ ساعتين"); ``en`` covers English dates of meta tags. Naive times are
  local times of the site's IANA zone (its ``SiteSpec.timezone``), and a date that needs "now" (relative
  phrases, a missing year, a weekday alone) is only resolved against the ``fetched_at`` the caller gives —
  never against the clock, so the same page always gives the same record.
- Discovery dates (``parse_feed_date``): a sitemap ``lastmod`` (W3C datetime) or a feed ``pubDate``
  (RFC 822); ``parse_http_date``: an HTTP date (``Retry-After``).
- Date lines (``is_date``): whether a line of text is a date at all (the cleaner drops datelines).
- Days of the command line (``day_argument``): ``--since``/``--until`` as ``YYYY-MM-DD``.

dateparser's parsers are built once per time zone, each with a fixed relative base (a *probe*), never per
page: a date is parsed at the first probe; when it names its year, month and day it is absolute and that is
the answer. Otherwise it is parsed at the second probe too: the same instant is an absolute date after all,
the same offset from the probe is a relative date (moved onto ``fetched_at``), and only a date whose
reading depends on the base in another way (a weekday, a time or a day without a year) gets a parser whose
base is the fetch time (rare: the sites date their articles in full).
"""
from __future__ import annotations

import re
from argparse import ArgumentTypeError
from datetime import date, datetime, timedelta, timezone as dt_timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["EARLIEST", "day_argument", "is_date", "parse_date", "parse_feed_date", "parse_http_date", "sane", "to_iso",
           "warm"]

LOCALES = ("ar-LB", "en")   # ar-LB: Egyptian and Levantine month names; en: feeds, meta tags
# Two probes far apart in year, season, weekday and time of day: a reading that moves with the base is
# relative (or lacks a part the base fills in).
_PROBES = (datetime(2001, 1, 1, 6, 17), datetime(2011, 7, 7, 15, 43))
_NUMBER = re.compile(r"[0-9]+")
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_FULL_DATE = {"year", "month", "day"}
#: No web page is older than the web (CERN, 1990–91): the floor of a site's dates when its module does not say
#: when it started publishing (``SiteSpec.published_since``).
EARLIEST = date(1990, 1, 1)
#: A date this far past the fetch (or now) is a mistake, not an article dated ahead (time zones, clock skew).
FUTURE_SLACK = timedelta(days=1)


def sane(when: datetime | None, since: date | None, now: datetime) -> bool:
    """Whether ``when`` (aware) can be a date of a site that publishes since ``since`` (None: ``EARLIEST``),
    seen at ``now``: not before the site's first day, not more than ``FUTURE_SLACK`` after ``now``. A date
    outside is no date (year 1, year 999, a sitemap lastmod of 2099): read as undated and counted by the caller."""
    if when is None:
        return True
    floor = datetime.combine(since or EARLIEST, datetime.min.time(), dt_timezone.utc)
    return floor <= when <= now + FUTURE_SLACK


@lru_cache(maxsize=64)
def _parser(timezone: str, base: datetime):
    from dateparser.date import DateDataParser   # half a second to import: not for every `arshif` command

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


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def _names_its_year(text: str, found) -> bool:
    """dateparser read year, month and day from ``text`` itself, and the year is written in it."""
    if not _FULL_DATE <= set(found.parts):
        return False
    return str(found.date_obj.year) in _NUMBER.findall(text.translate(ARABIC_DIGITS))


@lru_cache(maxsize=1024)        # a page often gives the same text as its publication and modification date
def _at_probe(text: str, timezone: str, probe: int):
    return _parser(timezone, _PROBES[probe]).get_date_data(text)


def _dateparser(text: str, timezone: str, fetched_at: datetime | None) -> datetime | None:
    first = _at_probe(text, timezone, 0)
    if first.date_obj is None or _names_its_year(text, first):
        return first.date_obj
    second = _at_probe(text, timezone, 1).date_obj
    if second is None:
        return None
    if second == first.date_obj:
        return second                                           # absolute, though its year is not spelled out
    if fetched_at is None:
        return None
    local = fetched_at.astimezone(ZoneInfo(timezone)) if fetched_at.tzinfo else fetched_at
    base = _local(local).replace(microsecond=0)
    offset = _local(first.date_obj) - _PROBES[0]
    if _local(second) - _PROBES[1] == offset:                   # "منذ ساعتين", "أمس": the same offset from any base
        return base + offset
    return _parser(timezone, base).get_date_data(text).date_obj        # a weekday, a day without a year


def parse_date(text: str | None, timezone: str, fetched_at: datetime | None = None) -> str | None:
    """Parse a date string found on a page of a site in ``timezone``; ISO 8601 with offset, or None.

    An ISO 8601 offset is kept as given; an RFC 822 date is the same instant in the site's zone. Relative
    dates ("منذ ساعتين", "أمس", a day and month without a year) are resolved against ``fetched_at`` and
    are None without it.
    """
    text = " ".join((text or "").split())
    if not text:
        return None
    machine = _iso(text)
    if machine is not None:
        return to_iso(machine, timezone)
    mail = _rfc822(text) if text.isascii() else None
    if mail is not None:
        return to_iso(mail.astimezone(ZoneInfo(timezone)) if mail.tzinfo else mail, timezone)
    parsed = _dateparser(text, timezone, fetched_at)
    return to_iso(parsed, timezone) if parsed is not None else None


def is_date(text: str, timezone: str = "UTC") -> bool:
    """Whether ``text`` reads as a date (absolute or relative) and nothing else; no base is needed.
    ``timezone``, the zone of the site the text comes from, decides nothing but which reading is kept: a date
    that a page's metadata is chosen by and that ``parse_date`` then reads in the same zone is read by
    dateparser once (~3 ms of CPU each time, the dearest step of a page that gives its date in words alone)."""
    text = " ".join(text.split())
    if not text:
        return False
    return (_iso(text) is not None or (text.isascii() and _rfc822(text) is not None)
            or _at_probe(text, timezone, 0).date_obj is not None)


def warm(timezones: tuple[str, ...]) -> None:
    """Build the parsers ``parse_date`` and ``is_date`` use for ``timezones`` and read a date in each locale:
    dateparser loads its locale data and compiles its patterns on first use (~0.5 s of CPU). The extraction
    workers' fork server calls this once (``crawler.extract.preload``), so the workers it forks start with
    them instead of paying it each on its first page."""
    samples = ("23 نوفمبر 2026 10:30 م", "الأحد، 23 نوفمبر 2026", "منذ ساعتين", "Sunday, 23 November 2026 10:30")
    for timezone in dict.fromkeys(("UTC", *timezones)):
        for probe in range(len(_PROBES)):
            parser = _parser(timezone, _PROBES[probe])
            for text in samples:
                parser.get_date_data(text)


def parse_feed_date(text: str | None, *, latest: bool = False) -> datetime | None:
    """A sitemap ``lastmod`` (W3C datetime) or a feed date (RFC 822) as an aware datetime (naive: UTC), or
    None. Machine dates only: a date these documents cannot carry is no date (no dateparser guessing on
    sitemaps of 50,000 URLs).

    With ``latest``, the last instant the text can name: ``10:15`` is any time up to 10:15:59.999999 and
    ``10:15:00`` any up to 10:15:00.999999, so an edit made in the same minute (second) as our fetch, and
    stamped with it, is still later than the fetch (the freshness rule's reading). A lastmod giving only a
    day is taken as written, its start: stretched to the day's end, every run of the day would fetch every
    article of the day again, and such a sitemap cannot tell an edit on the day of a fetch from no edit."""
    text = (text or "").strip()
    if not text:
        return None
    when = _iso(text)
    step = _iso_step(text) if when is not None else None
    if when is None:
        when = _rfc822(text)
        if when is None:
            return None
        step = _rfc822_step(text)
    if latest and step:
        when += step - timedelta(microseconds=1)
    return when if when.tzinfo else when.replace(tzinfo=dt_timezone.utc)


_ISO_TIME = re.compile(r"[T ](\d{2}):?(\d{2})(?::?(\d{2})([.,]\d+)?)?")
_RFC822_TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")


def _iso_step(text: str) -> timedelta | None:
    """How long the ISO text's last written unit lasts: a minute, a second, nothing below (a fraction); None
    for a date alone."""
    match = _ISO_TIME.search(text)
    if match is None:
        return None
    if match[3] is None:
        return timedelta(minutes=1)
    return None if match[4] else timedelta(seconds=1)


def _rfc822_step(text: str) -> timedelta | None:
    match = _RFC822_TIME.search(text)
    if match is None:
        return None
    return timedelta(seconds=1) if match[1] else timedelta(minutes=1)


def parse_http_date(text: str) -> datetime | None:
    """An HTTP date (RFC 9110's IMF-fixdate, an RFC 822 date) as an aware datetime (naive: UTC), or None."""
    when = _rfc822(text.strip())
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt_timezone.utc)


def day_argument(text: str) -> str:
    """A command-line day (``--since``, ``--until``): ``YYYY-MM-DD``, returned as that string; anything
    else is argparse's error line naming the value."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
