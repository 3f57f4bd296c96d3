"""Stage 3, extraction and cleaning: a page in, an article record or "not an article" out (``page``), with
the Arabic cleaning rules (``cleaning``), metadata (``metadata``), the checks on the text (``garbled``,
``quality``) — run in worker processes (``workers``) by the ``pipeline``, then ``validate``d against the
published schema."""
from crawler.extract.page import MIN_WORDS, RULES_VERSION, NotArticle, extract, extract_file

__all__ = ["NotArticle", "extract", "extract_file", "MIN_WORDS", "RULES_VERSION"]
