"""crawler.dates, the one place dates are parsed: page dates in every form the sites use (to ISO 8601 with an
offset), sitemap and feed dates, HTTP dates, date lines, command-line days."""
import argparse
from datetime import datetime, timedelta, timezone

import pytest

from crawler import dates
from crawler.dates import day_argument, is_date, parse_date, parse_feed_date, parse_http_date

CAIRO = "Africa/Cairo"
FETCHED = datetime(2024, 1, 15, 10, 0, tzinfo=timezone.utc)      # 12:00 in Cairo (winter, +02:00)


@pytest.mark.parametrize("text,expected", [
    ("الأحد 14 يناير 2024 10:30 م", "2024-01-14T22:30:00+02:00"),                  # Egyptian month, م = PM
    ("الخميس، 07 مارس 2024 - 04:12 م", "2024-03-07T16:12:00+02:00"),
    ("الأربعاء 24 سبتمبر 2025 10:15 ص", "2025-09-24T10:15:00+03:00"),              # ص = AM; Cairo summer time
    ("10 كانون الثاني 2024", "2024-01-10T00:00:00+02:00"),                         # Levantine months
    ("5 شباط 2024 - 11:20", "2024-02-05T11:20:00+02:00"),
    ("تشرين الأول 5, 2023", "2023-10-05T00:00:00+03:00"),
    ("الاثنين ٢ كانون الأول ٢٠٢٤ ٠٩:٠٥ م", "2024-12-02T21:05:00+02:00"),           # Arabic-Indic digits
    ("١٠ يناير ٢٠٢٤ ٠٣:١٥ ص", "2024-01-10T03:15:00+02:00"),
    ("2024-03-10T14:05:00+03:00", "2024-03-10T14:05:00+03:00"),                   # offsets kept as given
    ("2024-03-10T11:05:00Z", "2024-03-10T11:05:00+00:00"),
    ("2024-03-10 14:05", "2024-03-10T14:05:00+02:00"),                             # naive: the site's zone
    ("Sun, 10 Mar 2024 10:30:00 +0300", "2024-03-10T09:30:00+02:00"),              # same instant
    ("Sun, 10 Mar 2024 10:30:00", "2024-03-10T10:30:00+02:00"),                    # RFC 822 without zone
    ("10 March 2024 14:05", "2024-03-10T14:05:00+02:00"),
])
def test_absolute_dates(text, expected):
    assert parse_date(text, CAIRO) == expected
    assert parse_date(text, CAIRO, FETCHED) == expected


@pytest.mark.parametrize("text,expected", [
    ("منذ ساعتين", "2024-01-15T10:00:00+02:00"),
    ("منذ 5 دقائق", "2024-01-15T11:55:00+02:00"),
    ("منذ ٣ ساعات", "2024-01-15T09:00:00+02:00"),
    ("منذ يومين", "2024-01-13T12:00:00+02:00"),
    ("أمس", "2024-01-14T12:00:00+02:00"),
    ("أمس 10:30", "2024-01-14T10:30:00+02:00"),
    ("الأحد", "2024-01-14T00:00:00+02:00"),              # a weekday alone: the last one before the fetch
    ("12:30", "2024-01-15T12:30:00+02:00"),               # a time alone: the day of the fetch
    ("10 مارس", "2023-03-10T00:00:00+02:00"),             # no year: the last 10 March before the fetch
    ("10 مارس 12:00", "2023-03-10T12:00:00+02:00"),
])
def test_relative_dates_against_fetched_at(text, expected):
    assert parse_date(text, CAIRO, FETCHED) == expected


@pytest.mark.parametrize("text", ["منذ ساعتين", "أمس", "10 مارس"])
def test_dates_needing_now_are_none_without_fetched_at(text):
    assert parse_date(text, CAIRO) is None


@pytest.mark.parametrize("text", [None, "", "   ", "ليس تاريخا على الإطلاق", "RT Arabic"])
def test_not_dates(text):
    assert parse_date(text, CAIRO, FETCHED) is None


def test_site_zone_decides_naive_times():
    assert parse_date("2024-07-01 12:00", "Europe/Moscow") == "2024-07-01T12:00:00+03:00"
    assert parse_date("2024-07-01 12:00", CAIRO) == "2024-07-01T12:00:00+03:00"
    assert parse_date("2024-01-01 12:00", CAIRO) == "2024-01-01T12:00:00+02:00"


@pytest.mark.parametrize("text", ["منذ ساعتين", "أمس", "الأحد", "12:30"])
def test_relative_dates_follow_the_fetch_time(text):
    """The same words on pages fetched a week apart name dates a week apart (nothing is read from the clock
    or left over from the previous page)."""
    first = datetime.fromisoformat(parse_date(text, CAIRO, FETCHED))
    later = datetime.fromisoformat(parse_date(text, CAIRO, FETCHED + timedelta(days=7)))
    assert later - first == timedelta(days=7)


def test_dateparser_parsers_are_built_once_not_per_page():
    """Pages fetched at different times reuse the parsers built for the site's zone: only a date whose
    reading depends on the fetch time in a way no offset gives (a weekday alone) gets one of its own."""
    dates._parser.cache_clear()
    dates._at_probe.cache_clear()
    for minute in range(30):
        fetched = FETCHED + timedelta(minutes=minute)
        assert parse_date("الخميس، 07 مارس 2024 - 04:12 م", CAIRO, fetched) == "2024-03-07T16:12:00+02:00"
        assert parse_date("منذ ساعتين", CAIRO, fetched) == (fetched - timedelta(hours=2)).astimezone(
            dates.ZoneInfo(CAIRO)).isoformat()
    assert dates._parser.cache_info().currsize == 2          # the zone's two probes
    assert dates._at_probe.cache_info().hits >= 2 * 29        # and each text read at a probe once, not per page
    parse_date("الأحد", CAIRO, FETCHED)
    assert dates._parser.cache_info().currsize == 3


@pytest.mark.parametrize("text, expected", [
    ("2026-11-23T10:15:00+02:00", datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)),
    ("2026-11-23T08:15:00Z", datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 08:15:00 GMT", datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 11:15:00 +0300", datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)),
    ("  2026-11-23\n", datetime(2026, 11, 23, tzinfo=timezone.utc)),        # naive: UTC
    ("yesterday-ish", None),
    ("الأحد 14 يناير 2024", None),                  # no guessing on sitemaps and feeds: machine dates only
    ("", None),
    (None, None),
])
def test_sitemap_and_feed_dates(text, expected):
    assert parse_feed_date(text) == expected


def test_http_dates():
    assert parse_http_date("Mon, 23 Nov 2026 08:15:00 GMT") == datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)
    assert parse_http_date(" Mon, 23 Nov 2026 08:15:00 ") == datetime(2026, 11, 23, 8, 15, tzinfo=timezone.utc)
    assert parse_http_date("soon") is None and parse_http_date("") is None


@pytest.mark.parametrize("text, expected", [
    ("22.11.2026 | 12:29", True),
    ("الاثنين، ٢٣ تشرين الثاني ٢٠٢٦ - ٠١:٤٢ ص", True),
    ("منذ ساعتين", True),                            # relative: a date, though no base is given
    ("2026-11-23T10:15:00+02:00", True),
    ("Mon, 23 Nov 2026 08:15:00 GMT", True),
    ("قال الوزير في بيان 2024 إن 12 شخصا", False),
    ("RT Arabic", False),
    ("  ", False),
])
def test_is_date(text, expected):
    assert is_date(text) is expected


def test_day_argument():
    assert day_argument("2026-11-30") == "2026-11-30"
    with pytest.raises(argparse.ArgumentTypeError, match=r"'30/11/2026' is not a date \(YYYY-MM-DD\)"):
        day_argument("30/11/2026")
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", type=day_argument)
    assert parser.parse_args(["--since", "2026-02-28"]).since == "2026-02-28"


@pytest.mark.parametrize("text, latest", [
    ("2026-11-23T10:15+02:00", datetime(2026, 11, 23, 8, 15, 59, 999999, tzinfo=timezone.utc)),
    ("2026-11-23T10:15:07+02:00", datetime(2026, 11, 23, 8, 15, 7, 999999, tzinfo=timezone.utc)),
    ("2026-11-23T10:15:07.250+02:00", datetime(2026, 11, 23, 8, 15, 7, 250000, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 08:15 GMT", datetime(2026, 11, 23, 8, 15, 59, 999999, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 08:15:07 GMT", datetime(2026, 11, 23, 8, 15, 7, 999999, tzinfo=timezone.utc)),
    ("2026-11-23", datetime(2026, 11, 23, tzinfo=timezone.utc)),          # a day alone: its start
])
def test_the_latest_instant_a_feed_date_can_name(text, latest):
    assert parse_feed_date(text, latest=True) == latest
    assert parse_feed_date(text) <= latest
