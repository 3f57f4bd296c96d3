"""A site's write lease in the bucket: one crawl of a site writes to an archive at a time, across machines.

The lease is the object ``leases/site=<site>.json`` ({owner, host, boot, pidns, pid, start, token, acquired_at,
expires_at}: the holder's process named by more than its host name, ``crawler/liveness.py``):

* **take** at run start with a conditional create (``If-None-Match: *``); when the object exists and has
  expired, or names a process of this machine that is gone (a run killed here: its pid no longer runs, or
  runs a process started at another time), take it over with ``If-Match`` on the ETag read, so of two runs
  doing that at once exactly one wins. A live holder — another crawl on this host with another state folder
  included — is never taken over; a holder on another machine only once its lease expired;
* **renew** every third of ``archive.s3.lease`` from a background thread (``If-Match`` again: a renewal
  that fails because another run took the lease over marks it ``lost`` and logs an error);
* **release** at the end with a conditional delete.

A second run of the same site, while the lease is held and not expired, does not start: ``acquire`` raises
:class:`LeaseHeld` (one line, exit status 75 like the local lock). Should two runs overlap anyway (a lease
that expired under a stalled run, clocks far apart, a server without conditional writes), the writes stay
safe on their own: articles are created with ``If-None-Match`` and replaced with ``If-Match`` (store.py),
so no article is duplicated and no edit is lost.

When the archive does not answer at run start, no lease can be taken: the run goes on and its writes wait
in the outbox, which is replayed (under the next run's lease) later. A local folder's lease is an ``flock`` on
the hidden file ``leases/.site=<site>.lock`` in the archive folder itself (``LocalArchive.lock``), so two crawls of one folder
with different state folders exclude each other too; it goes with its holder, even SIGKILLed.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone

from crawler import liveness
from crawler.archive.storage.base import Archive, ArchiveError
from crawler.archive.storage.keys import lease_key, lease_lock_key

log = logging.getLogger("arshif.lease")

JSON = "application/json"


class LeaseHeld(Exception):
    """Another run holds the site's lease. ``str()`` is one line for the operator."""

    exit_code = 75   # like crawler.run.lock.LockBusy: "not started, try later", not a failure

    def __init__(self, site: str, holder: dict):
        self.site = site
        self.holder = holder
        super().__init__(
            f"site {site}: another crawl holds the archive's write lease (owner {holder.get('owner', '?')} on "
            f"{holder.get('host', '?')}, until {holder.get('expires_at', '?')}); not starting a second one")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Lease:
    def __init__(self, archive: Archive, site: str, duration: float, owner: str | None = None):
        self.archive = archive
        self.site = site
        self.duration = float(duration)
        self.process = liveness.identity()
        self.owner = owner or f"{self.process['host']}-{self.process['pid']}-{self.process['token']}"
        self.key = lease_key(site)
        self.etag: str | None = None
        self.lost = False
        self._fd: int | None = None          # a local folder's lease: the flock's fd
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self.etag is not None and not self.lost

    def _body(self) -> bytes:
        now = _now()
        return json.dumps({"owner": self.owner, **self.process,
                           "acquired_at": now.isoformat(timespec="milliseconds"),
                           "expires_at": (now + timedelta(seconds=self.duration)).isoformat(timespec="milliseconds")}
                          ).encode()

    def _read(self) -> tuple[dict, str] | None:
        got = self.archive.get_with_etag(self.key)
        if got is None:
            return None
        data, etag = got
        try:
            holder = json.loads(data)
        except ValueError:
            holder = {}
        return (holder if isinstance(holder, dict) else {}), etag

    def acquire(self) -> "Lease":
        """Take the lease or raise :class:`LeaseHeld`; archive errors (outage…) propagate."""
        if self.archive.has_locks:
            return self._lock_folder()
        for _ in range(3):
            if self.archive.put(self.key, self._body(), content_type=JSON, if_absent=True):
                return self._taken()
            current = self._read()
            if current is None:
                continue                      # released between our two requests: try again
            holder, etag = current
            if holder.get("owner") == self.owner:
                self.etag = etag
                return self
            try:
                expired = datetime.fromisoformat(holder["expires_at"]) <= _now()
            except (KeyError, TypeError, ValueError):
                expired = True                # unreadable lease: treat as abandoned
            gone = liveness.alive(holder) is False     # a process of this machine that no longer runs
            if not (expired or gone):
                raise LeaseHeld(self.site, holder)
            log.warning("site %s: taking over the write lease of %s (%s)", self.site, holder.get("owner", "?"),
                        f"left by a run on this host whose process is gone (pid {holder.get('pid')})"
                        if gone and not expired else f"expired at {holder.get('expires_at', '?')}")
            if self.archive.put(self.key, self._body(), content_type=JSON, if_match=etag):
                return self._taken()
        current = self._read()
        raise LeaseHeld(self.site, current[0] if current else {})

    def _lock_folder(self) -> "Lease":
        key = lease_lock_key(self.site)          # hidden: no listing sees it, it is no archive object
        self._fd = self.archive.lock(key)
        if self._fd is None:
            raise LeaseHeld(self.site, {"owner": f"the process that holds {key} in the archive folder",
                                        "host": "a machine sharing the folder", "expires_at": "its end"})
        return self

    def _taken(self) -> "Lease":
        current = self._read()
        if current is None or current[0].get("owner") != self.owner:
            raise LeaseHeld(self.site, current[0] if current else {})
        self.etag = current[1]
        return self

    def renew(self) -> bool:
        """Push the expiry forward. False (and ``lost``) when another run has taken the lease over."""
        if self.etag is None or self.lost:
            return False
        if not self.archive.put(self.key, self._body(), content_type=JSON, if_match=self.etag):
            self.lost = True
            log.error("site %s: write lease lost to another run; articles stay safe (conditional writes)",
                      self.site)
            return False
        current = self._read()
        if current is not None and current[0].get("owner") == self.owner:
            self.etag = current[1]
        return True

    def release(self) -> None:
        if self._fd is not None:
            self.archive.unlock(self._fd)
            self._fd = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.etag is None or self.lost:
            return
        try:
            self.archive.delete(self.key, if_match=self.etag)
        except ArchiveError as exc:
            log.warning("site %s: write lease not released (%s); it expires by itself", self.site, exc)
        self.etag = None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.duration / 3):
            try:
                if not self.renew():
                    return
            except ArchiveError as exc:
                log.warning("site %s: write lease not renewed: %s", self.site, exc)

    def __enter__(self) -> "Lease":
        self.acquire()
        if self.etag is not None:
            self._thread = threading.Thread(target=self._renew_loop, name=f"arshif-lease-{self.site}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
