"""The run report: one JSON document per site per run, stored at ``runs/site=<site>/date=<D>/<run_id>.json``.

It is the record that ``arshif status``, the scheduler's catch-up and data teams ("what is new since run
X") read, so its fields are a stable interface:

    run_id, site, started_at, finished_at (ISO 8601 UTC), duration_s,
    kind        "crawl", or "flush" for the manifest of an outbox replay (``run_id`` ending in ``-flush``), or
                "reextract" for that of ``arshif reextract`` (``-reextract``): history, status and catch-up
                read crawls only
    result      "ok" | "failed"
    reason      why it failed (one line), or null
    counts      discovered, fetched, new, updated, unchanged, skipped, not_article, invalid, failed,
                pending, undated, short_text, robots_forbidden
    errors      {reason: count} for failed pages, invalid records, not-articles
    failures    up to 100 {url, reason} of pages that failed
    keys_written  every archive key this run wrote (articles, versions, WARC files)
    archive     the archive URL (never carries secrets)
    arshif_version
"""
from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from . import __version__
from .archive.keys import run_key

COUNTS = ("discovered", "fetched", "new", "updated", "unchanged", "skipped", "not_article", "invalid", "failed",
          "pending", "undated", "short_text", "robots_forbidden")
MAX_FAILURES = 100


def new_run_id(site: str, now: datetime | None = None) -> str:
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{site}-{secrets.token_hex(2)}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunReport:
    run_id: str
    site: str
    archive: str
    kind: str = "crawl"
    started_at: str = field(default_factory=lambda: utcnow().isoformat(timespec="seconds"))
    finished_at: str | None = None
    duration_s: float | None = None
    result: str = "running"
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    keys_written: list[str] = field(default_factory=list)
    arshif_version: str = __version__

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def error(self, reason: str, url: str | None = None) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1
        if url is not None and len(self.failures) < MAX_FAILURES:
            self.failures.append({"url": url, "reason": reason})

    def finish(self, result: str, reason: str | None = None) -> None:
        end = utcnow()
        self.finished_at = end.isoformat(timespec="seconds")
        self.duration_s = round((end - datetime.fromisoformat(self.started_at)).total_seconds(), 3)
        self.result = result
        self.reason = reason

    @property
    def key(self) -> str:
        return run_key(self.site, self.started_at[:10], self.run_id)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> "RunReport":
        raw = json.loads(data)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)

    def summary(self) -> str:
        c = Counter(self.counts)
        return (f"{self.site}: {self.result} in {self.duration_s or 0:.1f}s — discovered {c['discovered']}, "
                f"fetched {c['fetched']}, new {c['new']}, updated {c['updated']}, unchanged {c['unchanged']}, "
                f"skipped {c['skipped']}, not article {c['not_article']}, invalid {c['invalid']}, "
                f"failed {c['failed']}, pending {c['pending']}"
                + (f" — {self.reason}" if self.reason else "") + f" [run {self.run_id}]")
