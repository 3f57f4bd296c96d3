"""Stage 1, discovery: what to fetch. Feeds and sitemaps read (``feeds``), and for each article URL found the
decision to fetch it or not (``freshness``: known and unchanged, older than the look-back, known not to be an
article)."""
