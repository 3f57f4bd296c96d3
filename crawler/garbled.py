"""Text that is not text: replacement characters, mojibake, or the wrong script for the site.

One check, used where a page becomes an article (``crawler/extract.py``: a page that fails it is read again
from its bytes, and is no article when no reading passes) and where the archive is checked (``arshif verify``).
"""
from __future__ import annotations

import re

MAX_REPLACEMENT_SHARE = 0.01   # U+FFFD per letter: a stray one is a typo upstream, more is a wrong decoding
MAX_FOREIGN_SHARE = 0.2        # non-ASCII letters outside the site's script (Latin-1 "Ø§Ù" is Arabic as cp1252)
_SCRIPTS = {"ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")}
MAX_MOJIBAKE_SHARE = 0.2       # words that read back as UTF-8 (a real Arabic word in cp1256 bytes rarely does)
# UTF-8 read as a single-byte charset: encoding a word back gives valid UTF-8 that differs from it
_MOJIBAKE_FROM = ("cp1256", "cp1252", "latin-1")


def _reads_back(word: str) -> bool:
    for charset in _MOJIBAKE_FROM:
        try:
            if word.encode(charset).decode("utf-8") != word:
                return True
        except UnicodeError:
            continue
    return False


def garbled(text: str, language: str) -> str | None:
    """Why ``text`` (a page, or an article's title and text) cannot be text of a site in ``language``, or None:
    "replacement characters" (bytes a decoding could not read), "mojibake" (UTF-8 read as a single-byte
    charset), or "not <language> script" (letters of another script where the site writes its own)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if text.count("\ufffd") > max(2, MAX_REPLACEMENT_SHARE * letters):
        return "replacement characters"
    words = [w for w in text.split() if not w.isascii()]
    if words and sum(map(_reads_back, words)) > MAX_MOJIBAKE_SHARE * len(words):
        return "mojibake"
    script = _SCRIPTS.get(language)
    if script is not None:
        wide = [ch for ch in text if ch.isalpha() and not ch.isascii()]
        foreign = sum(1 for ch in wide if not script.match(ch))
        if wide and foreign > MAX_FOREIGN_SHARE * len(wide):
            return f"not {language} script"
    return None
