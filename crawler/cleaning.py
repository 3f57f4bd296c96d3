"""Line-level cleaning of Arabic news text: the rules are data, one function applies them.

Text reaches this module as lines: paragraphs from Trafilatura, or a whole-page text dump. Each rule group
below is a concept (read-more boxes, source footers, tag lists, share bars, mastheads…) written as regular
expressions that must match a *whole line*, so an article sentence that merely contains «المصدر» or «اقرأ»
is never touched. What a match does depends on the group and on position:

- ``drop``: the line goes, wherever it is (share bars, widgets, photo credits, bylines, link labels);
- ``end``: once the article has begun the line ends it, with everything after (source footer, tag list,
  "related" headers, a bare «اقرأ أيضا» header followed by another story); before that it is dropped;
- ``roles``: a masthead role line («رئيس التحرير») goes with the name line after it; the page chrome above
  the last masthead near the top (ticker, sister sites, language switch) goes with it;
- ``widgets``: a widget marker line goes with the short headline lines next to it.

Lines are never rewritten: the applier only keeps or drops them, after normalizing white space and the
Unicode form (NFC). A site adds its own groups (``Rules.extend``) in its module under ``crawler/sites``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from crawler.dates import parse_date

__all__ = ["PRUNE_XPATH", "RULES", "Rules", "clean_lines", "is_date_line", "is_noise", "is_paragraph", "normalize_line",
           "whole_lines"]


def whole_lines(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """Compile whole-line patterns (optional bullet in front, optional colon/dash at the end)."""
    return tuple(re.compile(rf"^[\s•·\-–—*]*(?:{p})[\s:：.\-–—]*$", re.IGNORECASE) for p in patterns)


_ALSO = r"(?:أ|ا)يض(?:اً|ًا|ا|ً)?"
# «اقرأ أيضا», «إقرأ أيضاً», «اقرأ المزيد», «شاهد أيضا», «طالع أيضا», «اقرأ كذلك»…
READ_MORE = rf"(?:[اأإآ]قر[أاؤ](?:وا)?|شاهد(?:وا)?|طالع(?:وا)?)\s+(?:{_ALSO}|المزيد|كذلك)"
SOURCE = r"(?:المصدر|المصادر|مصدر الخبر|source)\s*[:：]"
# Where readers are told to follow or subscribe.
CHANNEL = (r"(?:قنا(?:ة|تنا)|صفح(?:ة|تنا)|حساب(?:نا)?|(?:ال)?تطبيق|(?:ال)?نشرة|نشرتنا|تيليجرام|تلغرام|تليجرام|واتساب|"
           r"فيسبوك|فيس بوك|تويتر|يوتيوب|إنستغرام|انستغرام|إنستجرام|جوجل نيوز|مواقع التواصل|وسائل التواصل|"
           r"google news|telegram|facebook|twitter|youtube|whatsapp|instagram|RT)")
SOCIAL = (r"(?:facebook|twitter|x|telegram|whatsapp|youtube|instagram|tiktok|vk|ok|email|print|rss|"
          r"فيسبوك|فيس بوك|تويتر|يوتيوب|إنستغرام|انستغرام|انستجرام|إنستجرام|تيليجرام|تلغرام|واتساب|تيك توك)")
# Agencies and wire credits printed as a photo credit.
AGENCY = (r"AFP|Reuters|AP|EPA|Sputnik|RIA\s*NOVOSTI|TASS|Getty\s*Images|Global\s*Look\s*Press|Anadolu|Xinhua|"
          r"Shutterstock|Imago|DPA|AA|RT|Archive")
ROLE = (r"(?:(?:الإشراف|الاشراف|المشرف)\s+العام|رئيس\s+مجلس\s+(?:الإدارة|الادارة)|رئيس\s+التحرير(?:\s+التنفيذي)?|"
        r"(?:نائب|مدير|مديرة)\s+(?:رئيس\s+)?التحرير|مدير\s+عام\s+التحرير|المدير\s+العام)")

# Concept groups. Each is a tuple of compiled whole-line patterns.
READ_MORE_BOX = whole_lines(rf"{READ_MORE}\s*[:：]?\s*\S.*")                    # label with its headline(s)
READ_MORE_HEADER = whole_lines(READ_MORE)                                      # label alone: another story follows
SOURCE_FOOTER = whole_lines(rf"{SOURCE}\s*\S+(?:\s+\S+){{0,6}}")               # «المصدر: RT», «المصدر: "وفا"+RT»
TAG_LIST = whole_lines(r"(?:ال)?كلمات\s+(?:ال)?(?:دلالية|مفتاحية)(?:\s*[:：].*)?", r"(?:ال)?وسوم(?:\s*[:：].*)?",
                       r"tags\s*[:：].*")
RELATED_HEADER = whole_lines(r"(?:مقالات|أخبار|اخبار|موضوعات|مواضيع|تقارير|قصص)\s+(?:مشابهة|ذات صلة|متعلقة|مقترحة)",
                             rf"(?:قد|ربما)\s+(?:يهمك|يعجبك|تهمك)(?:\s+{_ALSO})?",
                             r"(?:الأكثر|الاكثر)\s+(?:قراءة|مشاهدة|تداولا)")
SHARE = whole_lines(r"شارك(?:وا|ي)?(?:\s+(?:الخبر|المقال|الموضوع|الصفحة|على|عبر)(?:\s+\S+)?)?",
                    rf"(?:تابعنا|تابعونا|تابعوا|تابع|اشترك|اشتركوا|للاشتراك|انضم|انضموا|حمل|حمّل)(?:\s+\S+){{0,4}}?"
                    rf"(?:\s+(?:على|عبر|في|إلى))?\s+{CHANNEL}(?:\s+\S+){{0,3}}",
                    r"تابعنا|تابعونا", r"(?:انسخ|نسخ)\s+الرابط.*", r"share(?:\s+\w+){0,3}",
                    rf"{SOCIAL}(?:\s*[|/،,]?\s*{SOCIAL})*")
COOKIE = whole_lines(r".{0,80}(?:هذا|يستخدم)\s+(?:الموقع|موقعنا).{0,80}(?:ملفات تعريف الارتباط|الكوكيز|cookies).*",
                     r"this (?:web)?site uses cookies.*")
COPYRIGHT = whole_lines(r"(?:\S+\s+){0,6}(?:جميع الحقوق محفوظة|all rights reserved|©|\(c\)).{0,120}")
COMMENTS_HELP = whole_lines(r"(?:يمكنكم|يمكنك|يرجى|الرجاء)\s+(?:التعليق|تسجيل الدخول).{0,300}",
                            r".{0,300}التعليقات\s+(?:لا\s+تعبر|تعبر)\s+عن\s+رأي.{0,100}")
LINK_LABEL = whole_lines(r"(?:ل|لل)?مزيد من التفاصيل", r"للمزيد(?:\s+\S+){0,4}", r"التفاصيل(?: هنا| الكاملة)?",
                         r"اضغط هنا.*", r"Your browser does not support (?:the )?(?:audio|video)(?: tag| element)?")
LANGUAGE_SWITCH = whole_lines(r"english|english\s+EN|EN|عربي|العربية|français|FR")
PHOTO_CREDIT = whole_lines(rf"(?:[A-Za-z.'\- ]{{1,40}}\s*/\s*)?(?:{AGENCY})(?:\s*/\s*[A-Za-z.'\- ]{{1,40}})*",
                           r"(?:صورة|الصورة)\s*(?:أرشيفية|ارشيفية|تعبيرية|من الأرشيف)")
AGENCY_BYLINE = whole_lines(r"أ\s*ش\s*أ", r"د\s*ب\s*أ", r"أ\s*ف\s*ب", r"وكالات", r"رويترز", r"(?:وكالة\s+)?الأناضول")
ADVERT = whole_lines(r"إعلان|اعلان|إعلانات|advertisement|ads?|sponsored|محتوى مدعوم|محتوى ممول")
BREAKING = whole_lines(r"عاجل", r"(?:أخبار|اخبار)\s+عاجلة", r"breaking(?: news)?")
MASTHEAD_ROLE = whole_lines(ROLE)
MASTHEAD_LINE = whole_lines(rf"{ROLE}\s*[:：]\s*\S+(?:\s+\S+){{0,3}}")     # role and name on one line

# Blocks pruned from the HTML before Trafilatura reads it: embedded posts (tweets…), and boxes whose text
# starts with a read-more label (whatever their markup), as long as they are box-sized.
READ_MORE_LABELS = tuple(f"{verb} {what}" for verb in ("اقرأ", "إقرأ", "أقرأ", "شاهد", "طالع")
                         for what in ("أيضا", "أيضاً", "ايضا", "ايضاً", "المزيد", "كذلك"))
BOX_MAX_CHARS = 400
EMBEDS = ("twitter-tweet", "twitter-video", "instagram-media", "tiktok-embed", "fb-post", "telegram-post")
PRUNE_XPATH = (
    "//blockquote[" + " or ".join(f"contains(@class, '{c}')" for c in EMBEDS) + "]",
    "//*[self::div or self::aside or self::section or self::p or self::h2 or self::h3 or self::h4 or self::ul"
    " or self::blockquote]"
    f"[string-length(normalize-space(.)) < {BOX_MAX_CHARS}]"
    "[" + " or ".join(f"starts-with(normalize-space(.), '{label}')" for label in READ_MORE_LABELS) + "]",
)


@dataclass(frozen=True)
class Rules:
    """Groups of compiled whole-line patterns, by what a match does (see the module docstring)."""

    drop: tuple[re.Pattern[str], ...] = ()
    end: tuple[re.Pattern[str], ...] = ()
    roles: tuple[re.Pattern[str], ...] = ()
    widgets: tuple[re.Pattern[str], ...] = ()

    def extend(self, other: "Rules") -> "Rules":
        return Rules(*(getattr(self, f) + getattr(other, f) for f in ("drop", "end", "roles", "widgets")))


RULES = Rules(
    drop=(READ_MORE_BOX + SHARE + COOKIE + COPYRIGHT + COMMENTS_HELP + LINK_LABEL + LANGUAGE_SWITCH + PHOTO_CREDIT
          + AGENCY_BYLINE + ADVERT + BREAKING + MASTHEAD_LINE),
    end=SOURCE_FOOTER + TAG_LIST + RELATED_HEADER + READ_MORE_HEADER,
    roles=MASTHEAD_ROLE,
)

# Shape of lines. A paragraph is what the article is made of; a headline-like line is short and does not
# end a sentence (ticker items, captions, labels, names).
_SENTENCE_END = re.compile(r"[.!?؟…:;؛»\"”')\]]\s*$")
PARAGRAPH_MIN_WORDS = 16        # this many words make a paragraph even without a full stop
SENTENCE_MIN_WORDS = 5          # a sentence ending in punctuation is a paragraph from this many words
NAME_MAX_WORDS = 5              # a name line (masthead, byline)
HEAD_WINDOW = 60                # a masthead this near the top ends the page's header
TITLE_ECHO_WINDOW = 4           # the title printed again within this many lines of the article's start
DATE_LINE_MAX_WORDS = 8         # a dateline alone: «22.11.2026 | 12:29», «الاثنين، ٢٣ تشرين الثاني ٢٠٢٦ - ٠١:٤٢ ص»
DATE_PROBE = datetime(2000, 1, 1, tzinfo=timezone.utc)     # any base: only "is it a date" is asked
_NUMBERS = re.compile(r"[0-9٠-٩]+")
_YEAR_OR_TIME = re.compile(r"(?:[12][0-9]{3}|[١٢][٠-٩]{3}|[0-9٠-٩]{1,2}\s*:\s*[0-9٠-٩]{2})")


def is_date_line(line: str) -> bool:
    """A short line that is a date and time and nothing else (two numbers at least, one a year or a time)."""
    if (len(line.split()) > DATE_LINE_MAX_WORDS or len(_NUMBERS.findall(line)) < 2
            or not _YEAR_OR_TIME.search(line)):
        return False
    return parse_date(line, "UTC", DATE_PROBE) is not None


def normalize_line(line: str) -> str:
    """NFC and collapsed white space; nothing else is changed."""
    return " ".join(unicodedata.normalize("NFC", line).split())


def is_paragraph(line: str) -> bool:
    words = len(line.split())
    return words >= PARAGRAPH_MIN_WORDS or (words >= SENTENCE_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def _matches(patterns: tuple[re.Pattern[str], ...], line: str) -> bool:
    return any(p.match(line) for p in patterns)


def is_noise(line: str, rules: Rules = RULES) -> bool:
    """Whether ``line`` is dropped wherever it stands (a byline, a share bar, a credit…)."""
    return _matches(rules.drop, normalize_line(line))


def _is_name(line: str) -> bool:
    return (len(line.split()) <= NAME_MAX_WORDS and not any(ch.isdigit() for ch in line)
            and not _SENTENCE_END.search(line))


def _masthead_spans(lines: list[str], rules: Rules) -> list[tuple[int, int]]:
    """(start, end) of each role line, with the name line after it."""
    spans = []
    for i, line in enumerate(lines):
        if _matches(rules.roles, line):
            named = i + 1 < len(lines) and _is_name(lines[i + 1]) and not _matches(rules.roles, lines[i + 1])
            spans.append((i, i + 2 if named else i + 1))
    return spans


def _drop_mastheads(lines: list[str], rules: Rules) -> list[str]:
    """Drop every masthead, and the page chrome above the last one near the top when no paragraph is there."""
    spans = _masthead_spans(lines, rules)
    top = [s for s in spans if s[0] < HEAD_WINDOW]
    start = top[-1][1] if top and not any(map(is_paragraph, lines[:top[-1][0]])) else 0
    drop = {i for first, end in spans for i in range(first, end)}
    return [line for i, line in enumerate(lines) if i >= start and i not in drop]


def _drop_widgets(lines: list[str], rules: Rules) -> list[str]:
    if not rules.widgets:
        return lines
    drop = set()
    for i, line in enumerate(lines):
        if _matches(rules.widgets, line):
            drop.add(i)
            for j in (i - 1, i + 1):     # the widget's headlines, questions included
                if 0 <= j < len(lines) and len(lines[j].split()) < PARAGRAPH_MIN_WORDS:
                    drop.add(j)
    return [line for i, line in enumerate(lines) if i not in drop]


def clean_lines(lines: list[str], rules: Rules = RULES, *, title: str | None = None,
                authors: tuple[str, ...] | list[str] = (), page_dump: bool = False) -> list[str]:
    """The article's lines among ``lines`` (normalized, in order); empty when there is no paragraph.

    The article starts at its first paragraph. Above it, a name-like line is a byline and goes; with
    ``page_dump`` (the input is a whole page as text) every short line above it goes (ticker, labels, title,
    caption, author). ``title`` (known from the page's metadata) is dropped where it is printed again near
    the article's start; a line that is one of ``authors`` is a byline wherever it stands.
    """
    lines = [n for n in map(normalize_line, lines) if n]
    lines = _drop_widgets(_drop_mastheads(lines, rules), rules)
    kept: list[str] = []
    titles = {normalize_line(title)} if title else set()
    bylines = {normalize_line(a) for a in authors}
    for line in lines:
        if _matches(rules.end, line):
            if kept:
                break
            continue
        if line in bylines or _matches(rules.drop, line) or is_date_line(line):
            continue
        if not kept and not is_paragraph(line) and (page_dump or _is_name(line)):
            titles.add(line)            # chrome or the title: printed again at the start, it goes there too
            continue
        if line in titles and len(kept) < TITLE_ECHO_WINDOW:
            continue
        if line in kept and (is_paragraph(line) or kept[-1] == line):
            continue                    # a lead printed again as the body's first paragraph, a doubled caption
        kept.append(line)
    return kept if any(map(is_paragraph, kept)) else []
