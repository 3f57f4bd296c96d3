"""The outbox: archive writes that could not be made (archive unreachable after retries), kept on local disk
until ``Uploader.flush_outbox`` (start of the next run, or ``arshif flush``) makes them.

Layout, under ``<state folder of the archive>/outbox/``::

    <seq>.article.json   an article plan (outcome, key, record): replayed through store.py
    <seq>.bytes.json     a small object (a run report): key, content type, metadata, data (base64)
    <seq>.file.json      a large object (a WARC file): key, content type, metadata …
    <seq>.data           … and its bytes, moved here from where the crawl wrote them

``<seq>`` is the time in nanoseconds, the process id and a counter, so entries replay in the order they were
made. Crash safety: every ``.json`` is written to a temporary file, fsync'd and renamed, then the folder is
fsync'd: an entry exists whole or not at all. A file entry is committed by its data: the description is
written first, then the file is moved in; a description without data (a kill between the two steps) means
the file never left the crawl's folder, where the next run's WARC recovery finds it. Replaying is
idempotent (articles through store.py's conditional writes, other objects at deterministic keys), and an
entry is deleted only after its write succeeded, so a kill at any moment neither loses nor duplicates.
"""
from __future__ import annotations

import base64
import errno
import fcntl
import itertools
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from crawler.archive.storage.durable import fsync_dir, write_atomic
from crawler.archive.storage.store import Planned

_counter = itertools.count()
#: a file description older than this without its data is the trace of a kill mid-move: dropped
STALE_DESCRIPTION_S = 600


@dataclass(frozen=True)
class Entry:
    path: Path            # the .json description
    kind: str             # "article" | "bytes" | "file"
    body: dict

    @property
    def seq(self) -> str:
        return self.path.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.body["plan"]["key"] if self.kind == "article" else self.body["key"]

    @property
    def site(self) -> str | None:
        return self.body.get("site")

    @property
    def data_path(self) -> Path:
        return self.path.with_name(f"{self.seq}.data")

    def plan(self) -> Planned:
        p = self.body["plan"]
        return Planned(p["outcome"], p["key"], p["record"], p.get("previous_key"))

    def data(self) -> bytes:
        return base64.b64decode(self.body["data"])


class Outbox:
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    # ------------------------------------------------------------------------------------------ adding

    def _seq(self) -> str:
        return f"{time.time_ns():020d}-{os.getpid():07d}-{next(_counter):06d}"

    def _write(self, name: str, body: dict) -> Path:
        target = self.folder / name
        write_atomic(target, lambda fh: fh.write(json.dumps(body, ensure_ascii=False).encode("utf-8")))
        return target

    def add_article(self, plan: Planned) -> Path:
        return self._write(f"{self._seq()}.article.json", {
            "site": plan.record.get("site"),
            "plan": {"outcome": plan.outcome, "key": plan.key, "record": plan.record,
                     "previous_key": plan.previous_key}})

    def add_bytes(self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None,
                  metadata: dict[str, str] | None = None) -> Path:
        return self._write(f"{self._seq()}.bytes.json", {
            "site": (metadata or {}).get("site"), "key": key, "content_type": content_type,
            "content_encoding": content_encoding, "metadata": metadata or {},
            "data": base64.b64encode(data).decode("ascii")})

    def add_file(self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
                 metadata: dict[str, str] | None = None) -> Path:
        """Move the file at ``path`` into the outbox (same file system: a rename)."""
        seq = self._seq()
        description = self._write(f"{seq}.file.json", {
            "site": (metadata or {}).get("site"), "key": key, "content_type": content_type,
            "content_encoding": content_encoding, "metadata": metadata or {}, "name": Path(path).name})
        target = self.folder / f"{seq}.data"
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                description.unlink(missing_ok=True)
                raise
            partial = target.with_suffix(".data.part")
            with open(path, "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(partial, target)
            fsync_dir(self.folder)
            Path(path).unlink()
            return description
        fsync_dir(self.folder)
        return description

    # ------------------------------------------------------------------------------------------ reading

    def entries(self) -> Iterator[Entry]:
        """Committed entries, oldest first. Unreadable descriptions are skipped (and left for a human)."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json")):
            kind = path.name.split(".")[1] if path.name.count(".") >= 2 else ""
            if kind not in ("article", "bytes", "file"):
                continue
            try:
                body = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            entry = Entry(path, kind, body)
            if kind == "file" and not entry.data_path.exists():
                if time.time() - _mtime(path) > STALE_DESCRIPTION_S:
                    path.unlink(missing_ok=True)    # the kill came before the move: the file is elsewhere
                continue
            yield entry

    def __len__(self) -> int:
        return sum(1 for _ in self.entries())

    def remove(self, entry: Entry) -> None:
        """Forget an entry whose write is done (description last, so a kill leaves it replayable)."""
        entry.data_path.unlink(missing_ok=True)
        entry.path.unlink(missing_ok=True)
        fsync_dir(self.folder)

    # ------------------------------------------------------------------------------------------ replay lock

    def lock(self) -> "_FlushLock":
        """``with outbox.lock() as held:`` — ``held`` is False when another process is flushing already."""
        return _FlushLock(self.folder / ".flush.lock")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


class _FlushLock:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
