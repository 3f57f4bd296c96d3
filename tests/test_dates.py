"""crawler.dates.parse_date: Arabic dates in every form the sites use, to ISO 8601 with an offset."""
from datetime import datetime, timezone

import pytest

from crawler.dates import parse_date

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
