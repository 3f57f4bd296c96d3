"""Names of a day's Parquet files: ``part-<UTC time written, µs>-<first 16 hex of the fingerprint>.parquet``.

Names have a fixed width, so sorting them sorts by the time written, and **the file of a day is the one
whose name sorts last** in the day's folder. A writer never names a file before the newest one already
there (even when its clock is behind), so the newest name is always the newest content.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

_NAME = re.compile(r"^part-(?P<time>\d{8}T\d{12}Z)-(?P<fp>[0-9a-f]{16})\.parquet$")
_TIME = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True, order=True)
class PartName:
    written_at: datetime
    fingerprint16: str
    name: str

    @classmethod
    def parse(cls, name: str) -> "PartName | None":
        """The parts of a file name this module made; None for any other name (never touched)."""
        match = _NAME.match(name)
        if match is None:
            return None
        return cls(datetime.strptime(match["time"], _TIME).replace(tzinfo=timezone.utc), match["fp"], name)

    def holds(self, fingerprint: str) -> bool:
        return self.fingerprint16 == fingerprint[:16]


def parts(names: Iterable[str]) -> list[PartName]:
    """The day's files among ``names``, oldest first."""
    return sorted(p for p in map(PartName.parse, names) if p is not None)


def next_name(fingerprint: str, newest: PartName | None, now: datetime) -> str:
    """The name of a new file: written ``now``, but always after ``newest``."""
    when = now.astimezone(timezone.utc)
    if newest is not None and when <= newest.written_at:
        when = newest.written_at + timedelta(microseconds=1)
    return f"part-{when:{_TIME}}-{fingerprint[:16]}.parquet"
