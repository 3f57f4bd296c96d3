"""Time per call of ``crawler.dates``: page dates (absolute, relative against a fetch time that differs from
page to page, as in a crawl) and the date-line check of the cleaner.

    .venv/bin/python bench/dates.py [--calls 2000]

Speed figures only (no pass/fail): each kind of date is parsed ``--calls`` times, each call with its own
``fetched_at`` (one second apart: every page of a crawl is fetched at another time).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run as a script from anywhere

from crawler.extract.cleaning import is_date_line  # noqa: E402
from crawler.dates import parse_date  # noqa: E402

CAIRO = "Africa/Cairo"
START = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
KINDS = {
    "Arabic absolute": "الخميس، 07 مارس 2024 - 04:12 م",
    "Arabic-Indic digits": "الاثنين ٢ كانون الأول ٢٠٢٤ ٠٩:٠٥ م",
    "relative": "منذ ساعتين",
    "ISO 8601": "2024-03-10T14:05:00+03:00",
    "RFC 822": "Sun, 10 Mar 2024 10:30:00 +0300",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    parse_date(KINDS["relative"], CAIRO, START)            # locale data loaded once, outside the timing
    for kind, text in KINDS.items():
        t0 = time.perf_counter()
        for i in range(args.calls):
            parse_date(text, CAIRO, START + timedelta(seconds=i))
        per_call = (time.perf_counter() - t0) / args.calls
        print(f"parse_date  {kind:22} {per_call * 1e6:9.1f} µs/call")
    for line in ("22.11.2026 | 12:29", "قال الوزير في بيان 2024 إن 12 شخصا"):
        t0 = time.perf_counter()
        for _ in range(args.calls):
            is_date_line(line)
        print(f"is_date_line {line[:22]:22} {(time.perf_counter() - t0) / args.calls * 1e6:8.1f} µs/call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
