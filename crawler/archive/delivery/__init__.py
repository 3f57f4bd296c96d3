"""How writes reach the storage, also while it does not answer: the uploader (a pool of writers off the
reactor), the outbox (writes kept on disk during an outage), its replay, and the circuit breaker that stops
asking a storage that is down. May import ``crawler.archive.storage`` and ``crawler.outcomes``; nothing of
``crawler.archive.state``."""
