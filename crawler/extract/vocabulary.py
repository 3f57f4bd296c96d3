"""Content words of Arabic text, normalized, and how much two texts share them.

Used by the cleaning rules to decide by evidence whether text belongs to the article read so far (the
paragraphs after a read-more box) and whether a paragraph restates another (a lead printed again at greater
length). Normalization only serves comparison; the article's text itself is never changed.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["containment", "content_words"]

_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")   # diacritics, Quranic marks, tatweel
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_WORD = re.compile(r"[^\W\d_]+")
# Proclitics: conjunction (و ف), then article with an optional preposition (بال كال فال لل ال).
_CONJUNCTION = re.compile(r"^[وف](?=\w{3,})")
_ARTICLE = re.compile(r"^(?:ال|بال|كال|لل|وال)(?=\w{2,})")
# Endings of adjectives of relation, feminine and plural forms: «روسي», «روسية», «روسيا» → «روس».
_ENDING = re.compile(r"(?<=\w{3})(?:يين|يون|يه|يا|ات|ون|ين|ه|ي)$")
MIN_LETTERS = 3
# Function words and reporting verbs: they say nothing about what a text is about.
STOPWORDS = frozenset("""
    في من علي الي عن ان الا الذي التي الذين اللذين هذا هذه ذلك تلك هناك هنا كان كانت يكون تكون قد لقد لم لن ما
    لا مع بين كما حيث بعد قبل خلال منذ حتي عند عندما اذا ثم او ام بل غير كل بعض اي ايضا فقط اليوم امس وقت
    قال قالت يقول تقول اكد اكدت اضاف اضافت اوضح اوضحت اشار اشارت تابع تابعت اعلن اعلنت ذكر ذكرت وفق وفقا
    نحو لدي لها له لهم لهذا بهذا فيه فيها منه منها عليه عليها اليه اليها انه انها انهم وهو وهي هو هي هم نحن
    سابق جانب اطار ضمن شان بشان حول عدد اكثر اقل مثل لكن ولكن
""".split())


@lru_cache(maxsize=1 << 16)     # a worker meets the same few thousand words on every page
def _stem(word: str) -> str:
    word = _CONJUNCTION.sub("", word)
    return _ENDING.sub("", _ARTICLE.sub("", word))


@lru_cache(maxsize=4096)        # the cleaning rules compare each of a page's first lines with the others
def content_words(text: str) -> frozenset[str]:
    """The distinct content words of ``text``: marks and tatweel removed, letter variants unified
    (أ إ آ → ا, ى → ي, ة → ه), the conjunction, the article and common endings stripped (a light stem: the
    same for both texts compared), function words and short words out."""
    text = _MARKS.sub("", text).translate(_LETTERS).lower()
    words = (_stem(w) for w in _WORD.findall(text))
    return frozenset(w for w in words if len(w) >= MIN_LETTERS and w not in STOPWORDS)


def containment(part: frozenset[str], whole: frozenset[str]) -> float:
    """Share of ``part``'s words found in ``whole`` (0.0 for an empty ``part``)."""
    return len(part & whole) / len(part) if part else 0.0
