"""Stage 1, discovery: what to fetch. ``stage`` (the stage itself: sources in — feeds, sitemaps, listings, the
sitemaps robots.txt names — candidate article URLs out), ``sources`` (each source's documents, outcome and
validators), ``feeds`` (feeds and sitemaps read, sitemaps streamed), ``candidates`` (the articles waiting, newest
first) and, for each article URL found, the decision to fetch it or not (``freshness``: known and unchanged, older
than the look-back, known not to be an article)."""
