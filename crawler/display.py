"""How arshif writes quantities for people to read (logs, `arshif status`, run reports)."""
from __future__ import annotations


def human_duration(seconds: float) -> str:
    """A duration as settings write it: 1500 → '25m', 5400 → '1h30m', 90 → '1m30s', 4.48 → '4.5s'."""
    if seconds < 60 and seconds != int(seconds):
        return f"{round(seconds, 1):g}s"
    rest = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"
