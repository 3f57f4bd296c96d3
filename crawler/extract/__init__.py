"""Stage 3, extraction and cleaning: a page in, an article record or "not an article" out (``page``), with
the Arabic cleaning rules (``cleaning``), metadata (``metadata``), the checks on the text (``garbled``,
``quality``) — run in worker processes (``workers``) by the ``pipeline``, then ``validate``d against the
published schema.

Nothing is imported here: a light module of this package (``garbled``, ``record``) must not pull
Trafilatura into a process that does not extract (the crawl's main process, ``arshif verify``)."""
