"""Arabic text normalized for matching only (never applied to stored text).

Two reports of one event spell the same words differently: hamza on the alef or not, ى for ي, ة for ه,
diacritics here and there, a tatweel for typography, Arabic-Indic digits. :func:`normalize` folds all of
that away and drops punctuation; :func:`terms` then gives the content words of a text, lightly stemmed
(the article ``ال`` and the clitics و ف ب ك ل in front of it, a few plural and feminine endings) and
without function words, which is what story linking compares.
"""
from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    **{chr(0x0660 + d): str(d) for d in range(10)},          # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},          # Eastern Arabic-Indic (Persian) digits
})
# harakat, tanwin, shadda, sukun, dagger alef, Quranic marks; tatweel
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_NOT_WORD = re.compile(r"[^\w]+")
_DECIMAL = re.compile(r"(?<=\d)[.,٫](?=\d)")        # 2.2 and 2,2 and ٢٫٢ stay one token: 2_2

# Function words and news filler: they say nothing about which event an article reports.
STOPWORDS = frozenset(normal for word in """
    في من الى إلى على عن مع ان إن أن كان كانت يكون تكون قد لقد لم لن لا ما ماذا هل هو هي هم هن انه أنه
    انها أنها التي الذي الذين اللذين اللتين هذا هذه ذلك تلك هذين هؤلاء اولئك ثم او أو أم بل حتى اذا إذا
    لو كل بعض غير عند عندما بين بعد قبل حول خلال منذ اي أي ايضا أيضا كما وكان وكانت وقد ولم ولا وما وهو
    وهي فيما فيها فيه منها منه عليه عليها لها له لهم به بها اليوم امس أمس الان الآن حيث الا إلا اما أما
    وقال قال قالت وقالت واضاف وأضاف اضاف أضاف واكد وأكد اكد أكد واوضح وأوضح اوضح أوضح واشار وأشار اشار
    أشار وشدد شدد وتابع تابع ولفت لفت واعلن وأعلن اعلن أعلن اعلنت أعلنت مشيرا مؤكدا مضيفا وفق بحسب وفقا
    ذات نفس الى جانب اطار إطار سياق متصل وفي وعلى ومن والى وإلى انه بان بأن لان لأن كذلك هناك هنا
""".split() for normal in [word.translate(_FOLD)])

_PREFIXES = ("وبال", "وكال", "فبال", "وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("يين", "ات", "ون", "ين", "ان", "يه", "ه", "ي")


def normalize(text: str) -> str:
    """``text`` folded for matching: NFKC, alef/ya/ta-marbuta/hamza-seat variants unified, diacritics and
    tatweel removed, Arabic-Indic digits as ASCII (a decimal number kept as one token, ``2_5``), punctuation
    dropped, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = _DECIMAL.sub("_", _MARKS.sub("", text))
    return " ".join(_NOT_WORD.sub(" ", text).lower().split())


def stem(word: str) -> str:
    """A light stem: the article with a clitic in front (``وال`` ``بال`` ``لل``…), then one common ending,
    only while at least three letters remain."""
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix):]
            break
    else:
        if word[:1] in ("و", "ف") and len(word) >= 5:     # a bare conjunction in front of a long word
            word = word[1:]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The content words of ``text`` in order: normalized, stop words out, lightly stemmed; numbers kept
    (a death toll or a sum is often what tells two events apart), one-letter tokens dropped."""
    out = []
    for word in normalize(text).split():
        if word[:1] in ("و", "ف") and word[1:2].isdigit():     # و14 → 14
            word = word[1:]
        if word in STOPWORDS or len(word) < 2:
            continue
        out.append(word if word[0].isdigit() else stem(word))
    return out
