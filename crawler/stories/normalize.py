"""Arabic text normalized for matching only (never applied to stored text).

Two reports of one event spell the same words differently: hamza on the alef or not, ى for ي, ة for ه,
diacritics here and there, a tatweel for typography, Arabic-Indic digits, ``3.50%`` or ``٣٫٥٪``, a foreign
name with غ in one outlet and ج in the other (سيرغي / سيرجي, غروسي / جروسي), فدرالي / فيدرالي,
أميركي / أمريكي. :func:`normalize` folds all of that away and drops punctuation; :func:`terms` then gives
the content words of a text, lightly stemmed (the clitics و ف ب ك ل and the article ``ال`` in front, a
few plural, feminine and relative endings, an imperfect verb's prefix and the تفعيل verbal noun reduced
to their three letters, so يثبت / تثبيت / ثبت meet), ``عبد`` and ``أبو`` kept with the name they begin,
numbers as plain values (3.50 → 3_5, 21,00 → 21, 41,920 → 41920, ستة → 6) and without function words,
which is what story linking compares.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    # foreign names: Egyptian outlets write a hard g as ج, others as غ (جوهانسبرج / جوهانسبرغ); a native
    # word folded with it (غرب / جرب) is folded the same way in both reports, so only rare pairs collide
    "غ": "ج", "ڤ": "ف", "پ": "ب", "چ": "ج", "گ": "ك", "ک": "ك", "ی": "ي",
    **{chr(0x0660 + d): str(d) for d in range(10)},          # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},          # Eastern Arabic-Indic (Persian) digits
    "٫": ".", "٬": ",",                                      # Arabic decimal and thousands separators
})
# harakat, tanwin, shadda, sukun, dagger alef, Quranic marks; tatweel
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_NOT_WORD = re.compile(r"[^\w]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")                 # 41,920 → 41920
_DECIMAL = re.compile(r"(\d+)[.,](\d+)")                           # 3.50 → 3_5, 21,00 → 21
_PLUS = re.compile(r"(?<=\w)\+")                                    # أوبك+ → أوبك بلس
_SCORE = re.compile(r"(?<![\d_])(\d{1,2}) ?- ?(\d{1,2})(?![\d_])")      # a match's score 2-1 → 2x1
# spellings of the same foreign word after folding: (variant, canonical), applied inside words
_VARIANTS = (("فيدرال", "فدرال"), ("اميرك", "امريك"), ("اوروب", "اورب"))

# Function words and news filler: they say nothing about which event an article reports.
STOPWORDS = frozenset(normal for word in """
    في من الى إلى على عن مع ان إن أن كان كانت يكون تكون قد لقد لم لن لا ما ماذا هل هو هي هم هن انه أنه
    انها أنها التي الذي الذين اللذين اللتين هذا هذه ذلك تلك هذين هؤلاء اولئك ثم او أو أم بل حتى اذا إذا
    لو كل بعض غير عند عندما بين بعد قبل حول خلال منذ اي أي ايضا أيضا كما وكان وكانت وقد ولم ولا وما وهو
    وهي فيما فيها فيه منها منه عليه عليها لها له لهم به بها اليوم امس أمس الان الآن حيث الا إلا اما أما
    وقال قال قالت وقالت واضاف وأضاف اضاف أضاف واكد وأكد اكد أكد واوضح وأوضح اوضح أوضح واشار وأشار اشار
    أشار وشدد شدد وتابع تابع ولفت لفت واعلن وأعلن اعلن أعلن اعلنت أعلنت مشيرا مؤكدا مضيفا وفق بحسب وفقا
    ذات نفس الى جانب اطار إطار سياق متصل وفي وعلى ومن والى وإلى انه بان بأن لان لأن كذلك هناك هنا
    المئة المائة بالمئة بالمائة مئة نحو حوالي قرابة لدى ضمن دون عبر إثر اثر وسط أمام امام بينما فيما
""".split() for normal in [word.translate(_FOLD)])

# number words as the digits the other outlet may write (not اثنين: also Monday; not ordinals)
NUMBER_WORDS = {normal: value for words, value in (
    ("ثلاث ثلاثه", "3"), ("اربع اربعه", "4"), ("خمس خمسه", "5"), ("سته", "6"), ("سبع سبعه", "7"),
    ("ثماني ثمانيه", "8"), ("تسع تسعه", "9"), ("عشر عشره", "10"))
    for word in words.split() for normal in [word.translate(_FOLD)]}

_NUMBER_CLITICS = frozenset("وفبل")
_NAME_HEADS = frozenset(("عبد", "ابو", "ابي", "ابن", "بن", "بنت", "ام"))   # عبد العاطي is one name, not عبد + عاطي
_ARTICLE_PREFIXES = ("وبال", "وكال", "فبال", "وال", "بال", "كال", "فال", "ولل", "لل", "ال")
_CLITIC_PREFIXES = ("وب", "ول", "وك", "فب", "فل", "ب", "ل", "ك", "و", "ف")
# names (and a few loanwords) that begin with a clitic's letter: a word beginning with one is not cut as if
# it began with a clitic, and its stem is the name (names kept whole)
_NAMES = tuple(name.translate(_FOLD) for name in """
    فلسطين بريطاني لبنان ليبي فرنس فنزويل كوري كوبا كندا كولومبي كويت كازاخ بولند بلجيك برازيل بلغاري
    بيلاروس بنغلاديش باكستان فيتنام فنلند كرواتي لاتفي ليتوان لوكسمبورغ بغداد بيروت بنغازي لندن باريس
    برلين بكين كييف كابول كراتشي كريت كورسك بيلغورود بريانسك لافروف بوتين باول بايدن فيدان كليمنكو
    فاركو بيراميدز فوردو بوركينا كيلوغرام كيلومتر ليرة بورصة برميل بنك فيفا فدرال
""".split())
_SUFFIXES = ("يين", "يون", "يات", "ات", "ون", "ين", "ان", "يه", "ها", "هم", "ه", "ي")


def _decimal(match: re.Match) -> str:
    whole, fraction = match.group(1), match.group(2).rstrip("0")
    return f"{int(whole)}_{fraction}" if fraction else str(int(whole))


def normalize(text: str) -> str:
    """``text`` folded for matching: NFKC, alef/ya/ta-marbuta/hamza-seat and غ/ج variants unified,
    diacritics and tatweel removed, Arabic-Indic digits as ASCII, a number as its value (a decimal kept as
    one token, ``3.50`` → ``3_5``, thousands separators dropped, a score ``2-1`` → ``2x1``), punctuation
    dropped, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = _MARKS.sub("", text)
    text = _DECIMAL.sub(_decimal, _THOUSANDS.sub("", text))
    text = _SCORE.sub(r"\1x\2", _PLUS.sub(" بلس", text))
    for variant, canonical in _VARIANTS:
        text = text.replace(variant, canonical)
    return " ".join(_NOT_WORD.sub(" ", text).lower().split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light stem, only while at least three letters remain: the article with the clitics in front of it
    (``وال`` ``بال`` ``لل``…), or else one or two clitics (``و`` ``ف`` ``ب`` ``ل`` ``ك``: وبثنائية, لنهائي)
    in front of a word of five letters or more — unless the word begins with a name that starts with such
    a letter (فلسطين, بريطانيا, لافروف: names are kept whole, and the name is the stem of every word that
    begins with it: فلسطيني, فلسطينيين → فلسطين); then one common ending; then an imperfect
    verb's prefix (يثبت → ثبت) or the verbal noun تفعيل (تثبيت → ثبت)."""
    for prefix in _ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix):]
            break
    else:
        for prefix in _CLITIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 5 and not word.startswith(_NAMES) \
                    and not word[len(prefix):].startswith("ال"):
                word = word[len(prefix):]
                break
    if word.startswith(_NAMES):
        return next(name for name in _NAMES if word.startswith(name))
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) == 4 and word[0] == "ي":
        return word[1:]
    if len(word) == 5 and word[0] == "ت" and word[3] == "ي" and word[4] not in "اوي":
        return word[1] + word[2] + word[4]
    return word


def _number(word: str) -> str | None:
    """``word`` as a number (``و14`` → ``14``, ``بـ12`` → ``12``, ``ستة`` → ``6``), or None."""
    if word[0].isdigit():
        return word
    if word[0] in _NUMBER_CLITICS and word[1:2].isdigit():
        return word[1:]
    return NUMBER_WORDS.get(word[2:] if word[:2] == "ال" else word)


WEEKDAYS = tuple(day.translate(_FOLD) for day in "الاحد الاثنين الثلاثاء الاربعاء الخميس الجمعة السبت".split())
_TODAY = frozenset(word.translate(_FOLD) for word in "اليوم مساء صباح فجر ظهر ليلة ليل عصر".split())
_YESTERDAY, _TOMORROW = "امس", "غدا".translate(_FOLD)
ANCHOR = "@"        # anchors (:func:`anchors_of`) are kept with the terms, never weighed as words


def anchors_of(normal: str) -> list[str]:
    """The days a text (``normal``: normalized) reports on, as anchor terms: ``@today:<weekday>`` for a
    weekday after اليوم, مساء, صباح, فجر… (the day of the report), ``@said:<weekday>`` for every weekday it
    names, and the day before (after) a reported day when it says أمس (غدا; folded, also جدا "very": a
    day too many only makes two reports agree). Two reports of one event agree on them (the reaction of
    the next morning names the day before); two daily reports of a market do not."""
    words = [w[1:] if w[:1] in ("و", "ف") and w[1:] in WEEKDAYS else w for w in normal.split()]
    today = {words[i] for i in range(1, len(words)) if words[i] in WEEKDAYS and words[i - 1] in _TODAY}
    said = {w for w in words if w in WEEKDAYS}
    for day in today:
        n = WEEKDAYS.index(day)
        if _YESTERDAY in words:
            said.add(WEEKDAYS[(n - 1) % 7])
        if _TOMORROW in words:
            said.add(WEEKDAYS[(n + 1) % 7])
    return sorted(f"{ANCHOR}today:{d}" for d in today) + sorted(f"{ANCHOR}said:{d}" for d in said)


def terms(text: str) -> list[str]:
    """:func:`terms_of` the normalized ``text``."""
    return terms_of(normalize(text))


@lru_cache(maxsize=1 << 17)
def _term(word: str) -> str:
    """The term of one normalized word: its number, its stem, ``""`` for a stop word or a single letter, or
    ``"+"`` + the name head for ``عبد``/``أبو``… (the next word belongs to it). Cached: a few thousand
    words make most of the news."""
    number = _number(word)
    if number is not None:
        return number
    if word in STOPWORDS or len(word) < 2:
        return ""
    bare = word[1:] if word[:1] == "و" and word[1:] in _NAME_HEADS else word
    if bare in _NAME_HEADS:
        return "+" + bare
    return stem(word)


def terms_of(normal: str) -> list[str]:
    """The content words of a text (``normal``: normalized) in order: stop words out, lightly stemmed;
    numbers kept as values (a death toll or a sum is often what tells two events apart), a name beginning
    with ``عبد``/``أبو`` kept whole (``عبد_عاطي``), one-letter tokens dropped."""
    out: list[str] = []
    words = normal.split()
    i, n = 0, len(words)
    while i < n:
        term = _term(words[i])
        i += 1
        if term[:1] == "+":
            if i < n and not words[i][:1].isdigit():
                out.append(term[1:] + "_" + stem(words[i]))
                i += 1
                continue
            term = stem(term[1:])
        if term:
            out.append(term)
    return out
