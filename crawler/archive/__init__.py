"""The archive, in three rooms (none imports a room above it):

* ``storage`` — where objects are kept: the backend interface (``base``) and its backends (``local``, ``s3``),
  atomic file writes (``durable``), the key layout (``keys``: every key built and parsed there), and the
  idempotent, versioned article writes on top of any backend (``store``). ``open_archive`` picks the backend.
* ``delivery`` — how writes reach storage while it is down: the uploader, the outbox and its replay, the
  circuit breaker. Imports storage.
* ``state`` — what a crawl remembers between runs: the per-site index (``index``, SQLite) and the write
  lease (``lease``). Imports storage.

Nothing here imports the crawl (``crawler.run``), the dataset (``crawler.dataset``) or ``crawler.verify``:
they are above the archive.
"""
