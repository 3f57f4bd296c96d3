"""Text that is not text: replacement characters, mojibake, or the wrong script for the site.

One check, used where a page becomes an article (``crawler/extract/page.py``: a page that fails it is read again
from its bytes, and is no article when no reading passes) and where the archive is checked (``arshif verify``).
"""
from __future__ import annotations

import re

MAX_REPLACEMENT_SHARE = 0.01   # U+FFFD per letter: a stray one is a typo upstream, more is a wrong decoding
MAX_FOREIGN_SHARE = 0.2        # non-ASCII letters outside the site's script (Latin-1 "Ø§Ù" is Arabic as cp1252)
MAX_MOJIBAKE_SHARE = 0.2       # UTF-8 byte pairs seen through a single-byte charset, per non-ASCII character
_SCRIPT_RANGES = {"ar": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"}
_LETTERS = re.compile(r"[^\W\d_]")
_WIDE_NON_LETTERS = re.compile(r"[^\w\x00-\x7f]|[^\D\x00-\x7f]")   # non-ASCII and not a letter: few, cheap to find
_FOREIGN = {lang: re.compile(f"[^\\W\\d_\\x00-\\x7f{ranges}]") for lang, ranges in _SCRIPT_RANGES.items()}


def _utf8_pairs(charset: str) -> re.Pattern:
    """A UTF-8 two-byte sequence (lead byte C2–DF, continuation 80–BF: all of Arabic) as it reads when the
    bytes are decoded with ``charset``: every letter of the text becomes such a pair."""
    lead = bytes(range(0xC2, 0xE0)).decode(charset, errors="ignore")
    cont = bytes(range(0x80, 0xC0)).decode(charset, errors="ignore")
    return re.compile(f"[{re.escape(lead)}][{re.escape(cont)}]")


_MOJIBAKE = [_utf8_pairs(charset) for charset in ("cp1256", "cp1252", "latin-1")]


def garbled(text: str, language: str) -> str | None:
    """Why ``text`` (a page, or an article's title and text) cannot be text of a site in ``language``, or None:
    "replacement characters" (bytes a decoding could not read), "mojibake" (UTF-8 read as a single-byte
    charset), or "not <language> script" (letters of another script where the site writes its own)."""
    bad = text.count("\ufffd")
    if bad > 2 and bad > MAX_REPLACEMENT_SHARE * len(_LETTERS.findall(text)):
        return "replacement characters"
    wide_chars = len(text) - len(text.encode("ascii", "ignore"))      # non-ASCII characters
    if wide_chars and any(len(p.findall(text)) > MAX_MOJIBAKE_SHARE * wide_chars for p in _MOJIBAKE):
        return "mojibake"
    foreign = _FOREIGN.get(language)
    if foreign is not None:
        strangers = len(foreign.findall(text))
        if strangers and strangers > MAX_FOREIGN_SHARE * (wide_chars - len(_WIDE_NON_LETTERS.findall(text))):
            return f"not {language} script"
    return None
