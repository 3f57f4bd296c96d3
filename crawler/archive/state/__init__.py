"""What a crawl remembers of an archive between runs: the per-site index (``index``: SQLite under
``state_dir``, a cache of the archive rebuilt from it — known articles, aliases, first sightings, revisits,
removals, article numbers, and the feeds' and sitemaps' validators) and the site's write lease (``lease``).
May import ``crawler.archive.storage``, ``crawler.outcomes`` and ``crawler.liveness``; nothing of
``crawler.archive.delivery``."""
