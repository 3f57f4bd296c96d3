"""Dates as Arabic news pages print them: Arabic month names (Egyptian or Levantine set), Arabic-Indic digits."""
from __future__ import annotations

from datetime import datetime

MONTHS = {
    "egyptian": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
                 "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
    "levantine": ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
                  "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"),
}
WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def arabic_digits(text: str) -> str:
    return text.translate(_ARABIC_INDIC)


def long_date(when: datetime, *, months: str = "egyptian", indic: bool = True) -> str:
    """``الخميس، ٢٣ نوفمبر ٢٠٢٦ - ٠٣:١٥ م`` (12-hour clock, ص/م) in ``when``'s own time zone."""
    hour = when.hour % 12 or 12
    text = (f"{WEEKDAYS[when.weekday()]}، {when.day} {MONTHS[months][when.month - 1]} {when.year}"
            f" - {hour:02d}:{when.minute:02d} {'ص' if when.hour < 12 else 'م'}")
    return arabic_digits(text) if indic else text
