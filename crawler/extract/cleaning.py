"""Line-level cleaning of Arabic news text: the rules are data, one function applies them.

Text reaches this module as lines: paragraphs from Trafilatura, or a whole-page text dump. Each rule group
below is a concept (read-more boxes, source footers, tag lists, share bars, mastheads…) written as regular
expressions that must match a *whole line*, so an article sentence that merely contains «المصدر» or «اقرأ»
is never touched. What a match does depends on the group and on position:

- ``drop``: the line goes, wherever it is (share bars, widgets, photo credits, bylines, link labels);
- ``end``: once the article has begun the line ends it, with everything after (source footer, tag list,
  "related" headers: what belongs to the page's end); before that it is dropped;
- ``boxes``: a read-more box — a label with its headline on the line, or a label alone with its headline(s)
  on the next short lines — goes wherever it stands. The article ends there only on evidence that what
  follows is another story: its first paragraphs share few content words with the article read so far
  (``crawler/extract/vocabulary.py``), or restate the box's headline more than they continue the article;
- ``roles``: a masthead role line («رئيس التحرير») goes with the name line after it; the page chrome above
  the last masthead near the top (ticker, sister sites, language switch) goes with it;
- ``widgets``: a widget marker line goes with the short headline lines next to it;
- ``header`` / ``ticker``: lines of the page's header, dropped wherever they stand; in a page dump they also
  say where the title stands. A ``ticker`` line (the breaking-news label, a sister-sites line) opens a ticker
  of headlines; a ``header`` line (the language switch, RT's live link and header labels) comes after the
  ticker, right above the title (and its section labels).

A whole-page dump (``page_dump``) is read by structure: the article's running text starts at the first line
that reads like it (a long paragraph, or a full sentence followed by another paragraph). Above it, a ticker of
short headlines, the sister-sites line, the section label and the title go, with or without a masthead: what
stands before the title. The title is the first line after the page's header (its last ``header`` line, or
the masthead) that is not a section label. Short lines after the title are the article's (an interview's
highlights) and are kept, except what is chrome by structure: the title printed again, a line printed twice
in a row (a photo caption, the author), a name line right below the title or right above the running text
(the author); every such drop is noted (``dropped_after_title``). When a ticker opens after the page's last
header line, the title cannot be told from the ticker's headlines: everything above the running text goes,
as a ticker, with the note ``title_not_found``. A lead printed again at greater length by the body's first paragraph is
kept once (the longer). Lines are never rewritten: the applier only keeps or drops them, after normalizing
white space and the Unicode form (NFC). A site adds its own groups (``Rules.extend``) in its module under
``crawler/sites``. ``clean`` also returns ``notes``: counts of rule firings that may be wrong (a cut that
dropped many paragraphs, a box without a headline, a dump without recognizable chrome), for the crawl to log.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from lxml.etree import XPath

from crawler.dates import ARABIC_DIGITS, is_date
from crawler.extract.vocabulary import containment, content_words
from crawler.sites.rules import Rules, whole_lines

__all__ = ["BOX_XPATH", "PRUNE_XPATH", "RULES", "Cleaned", "Rules", "clean", "clean_lines", "flatten_boxes",
           "is_date_line", "is_noise", "is_paragraph", "normalize_line", "whole_lines"]


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
# A box line: the label, then its headline on the same line (group ``headline``) or on the next lines.
READ_MORE_BOX = whole_lines(rf"{READ_MORE}(?:\s*[:：]?\s*(?P<headline>[^\s:：.\-–—].*))?")
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
BREAKING = whole_lines(r"عاجل", r"(?:أخبار|اخبار)\s+عاجلة", r"breaking(?: news)?")     # opens a ticker
MASTHEAD_ROLE = whole_lines(ROLE)
MASTHEAD_LINE = whole_lines(rf"{ROLE}\s*[:：]\s*\S+(?:\s+\S+){{0,3}}")     # role and name on one line

# Read-more boxes in the HTML, whatever their markup: box-sized blocks whose text starts with a label.
# ``flatten_boxes`` turns each into one ``<p>`` holding the label and its headline(s), so that the line rules
# see where the box stood and decide, by what follows, whether the article ends there.
READ_MORE_VERBS = ("اقرأ", "إقرأ", "أقرأ", "شاهد", "طالع")
READ_MORE_LABELS = tuple(f"{verb} {what}" for verb in READ_MORE_VERBS
                         for what in ("أيضا", "أيضاً", "ايضا", "ايضاً", "المزيد", "كذلك"))
BOX_MAX_CHARS = 400
LABEL_MAX_CHARS = 24            # a block this short that starts with a label is the label alone
BOX_HEADLINES = 3               # headlines a box holds after a label alone (links in HTML, short lines in text)
BOX_SEPARATOR = " | "           # between the label and the headlines of a box flattened from HTML
# Only the blocks around a text node that holds a label's verb are measured: the text of every block of the
# page (its normalized string value, nested blocks over and over) cost more than Trafilatura's extraction.
# A label split across elements is found (``<b>اقرأ</b> أيضا``); a verb split inside itself would not be.
BOX_XPATH = (
    "//text()[" + " or ".join(f"contains(., '{verb}')" for verb in READ_MORE_VERBS) + "]"
    "/ancestor::*[self::div or self::aside or self::section or self::p or self::h2 or self::h3 or self::h4"
    " or self::ul or self::blockquote or self::figure]"
    f"[string-length(normalize-space(.)) < {BOX_MAX_CHARS}]"
    "[" + " or ".join(f"starts-with(normalize-space(.), '{label}')" for label in READ_MORE_LABELS) + "]"
)
_BOXES = XPath(BOX_XPATH)
_BOX_BLOCKS = {"div", "aside", "section", "p", "h2", "h3", "h4", "h5", "ul", "ol", "li", "a", "blockquote", "span"}
# Blocks pruned from the HTML before Trafilatura reads it: embedded posts (tweets…).
EMBEDS = ("twitter-tweet", "twitter-video", "instagram-media", "tiktok-embed", "fb-post", "telegram-post")
PRUNE_XPATH = (
    "//blockquote[" + " or ".join(f"contains(@class, '{c}')" for c in EMBEDS) + "]",
)


def _text(element) -> str:
    return " ".join(" ".join(element.itertext()).split())      # list items and links apart, not glued


def _link_only(element) -> bool:
    """A block whose text is all inside links (a box's headline), box-sized."""
    if not isinstance(element.tag, str) or element.tag not in _BOX_BLOCKS or (element.tail or "").strip():
        return False
    text = _text(element)
    if not text or len(text) >= BOX_MAX_CHARS:
        return False
    return element.tag == "a" or (bool(element.xpath(".//a"))
                                  and not element.xpath(".//text()[normalize-space()][not(ancestor::a)]"))


def _headlines(element) -> list[str]:
    """The headlines of a box's block: each link's text, and the text outside links first (the label)."""
    links = [_text(a) for a in element.iter("a")]
    outside = " ".join(" ".join(element.xpath(".//text()[not(ancestor::a)]")).split())
    return [t for t in (outside, *links) if t] if links else [_text(element)]


def flatten_boxes(tree) -> int:
    """Replace every read-more box of ``tree`` (in place) by a ``<p>`` of its label and headline(s), joined
    by BOX_SEPARATOR; the count.

    A label alone in its block takes the link-only blocks right after it as its headlines (a ``<p>`` label
    then a ``<p><a>headline</a></p>``, an ``<h2>`` then a ``<div><a>``).
    """
    found = _BOXES(tree)
    inside = set(found)
    count = 0
    for box in found:
        if any(a in inside for a in box.iterancestors()) or box.getparent() is None:
            continue
        parts = _headlines(box)
        if len(_text(box)) <= LABEL_MAX_CHARS:
            block = box.getnext()
            while block is not None and _link_only(block) and len(parts) <= BOX_HEADLINES:
                parts += _headlines(block)
                following = block.getnext()
                block.getparent().remove(block)
                block = following
        line = box.makeelement("p", {})
        line.text = BOX_SEPARATOR.join(parts)
        line.tail = box.tail
        box.getparent().replace(box, line)
        count += 1
    return count


RULES = Rules(
    drop=(SHARE + COOKIE + COPYRIGHT + COMMENTS_HELP + LINK_LABEL + PHOTO_CREDIT + AGENCY_BYLINE + ADVERT
          + MASTHEAD_LINE),
    end=SOURCE_FOOTER + TAG_LIST + RELATED_HEADER,
    boxes=READ_MORE_BOX,
    roles=MASTHEAD_ROLE,
    header=LANGUAGE_SWITCH,
    ticker=BREAKING,
)

# Shape of lines. A paragraph is what the article is made of; a headline-like line is short and does not
# end a sentence (ticker items, captions, labels, names).
_SENTENCE_END = re.compile(r"[.!?؟…:;؛»\"”')\]]\s*$")
_STATEMENT_END = re.compile(r"[.…:;؛][\"”»')\]]*\s*$")   # a full stop, not a headline's «؟», «!» or quote
_HEADLINE_BREAK = re.compile(r"[^\s.]\s*\.\.(?!\.)\s*[^\s.]")  # «قرار صادم.. والوزير يرد»: how headlines join clauses
PARAGRAPH_MIN_WORDS = 16        # this many words make a paragraph even without a full stop
SENTENCE_MIN_WORDS = 5          # a sentence ending in punctuation is a paragraph from this many words
NAME_MAX_WORDS = 5              # a name line (masthead, byline)
LABEL_MAX_WORDS = 3             # a section or topic label above a page dump's title («اقتصاد», «أسواق الطاقة»)
HEAD_WINDOW = 60                # a masthead this near the top ends the page's header
TITLE_ECHO_WINDOW = 4           # the title printed again within this many lines of the article's start
LEAD_WINDOW = 3                 # a lead restated by a paragraph within this many kept lines is kept once
LEAD_RESTATED = 0.75            # share of the lead's content words the longer paragraph repeats
# After a read-more box, the next FOLLOW_PARAGRAPHS paragraphs are another story when they repeat at least
# HEADLINE_RESTATED of one box headline's content words (a story's opening restates its headline) while
# sharing less than CONTINUES_SHARED of theirs with the article so far (title included). Shared words alone
# are no evidence: an article's next paragraph often shares none with what came before. A headline with
# numbers is restated only by paragraphs that repeat them: a story's opening gives its headline's figures,
# while an article of the same trade shares the headline's common words (price, rise, dollar) with other
# figures (9 of 9,994 replica articles were cut short by that before).
FOLLOW_PARAGRAPHS = 2
HEADLINE_RESTATED = 0.5
CONTINUES_SHARED = 0.35
HEADLINE_MARGIN = 0.3           # …and restate the box's headline by this much more than the article's title
LONG_CUT_PARAGRAPHS = 3         # an end-of-article cut that drops more paragraphs than this is noted
MIN_WORDS = 25                  # fewer words of cleaned text is not an article (a widget, a video page); and
                                # the article never ends at a box before this many words: such a cut would
                                # leave no article, so it is the cut that is wrong (noted ``box_not_cut``)
DATE_LINE_MAX_WORDS = 8         # a dateline alone: «22.11.2026 | 12:29», «الاثنين، ٢٣ تشرين الثاني ٢٠٢٦ - ٠١:٤٢ ص»
_NUMBERS = re.compile(r"[0-9٠-٩]+")
_YEAR_OR_TIME = re.compile(r"(?:[12][0-9]{3}|[١٢][٠-٩]{3}|[0-9٠-٩]{1,2}\s*:\s*[0-9٠-٩]{2})")


def is_date_line(line: str, timezone: str = "UTC") -> bool:
    """A short line that is a date and time and nothing else (two numbers at least, one a year or a time);
    ``timezone``: the site's, as ``crawler.dates.is_date`` takes it."""
    if (len(line.split()) > DATE_LINE_MAX_WORDS or len(_NUMBERS.findall(line)) < 2
            or not _YEAR_OR_TIME.search(line)):
        return False
    return is_date(line, timezone)


def normalize_line(line: str) -> str:
    """NFC and collapsed white space; nothing else is changed."""
    return " ".join(unicodedata.normalize("NFC", line).split())


def is_paragraph(line: str) -> bool:
    words = len(line.split())
    return words >= PARAGRAPH_MIN_WORDS or (words >= SENTENCE_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def _is_statement(line: str) -> bool:
    """A sentence of running text: long, or of some words and ending in a full stop."""
    words = len(line.split())
    return words >= PARAGRAPH_MIN_WORDS or (words >= SENTENCE_MIN_WORDS and bool(_STATEMENT_END.search(line)))


def _is_headline(line: str) -> bool:
    return len(line.split()) < PARAGRAPH_MIN_WORDS and not _STATEMENT_END.search(line)


def _match(patterns: tuple[re.Pattern[str], ...], line: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(line))), None)


def is_noise(line: str, rules: Rules = RULES) -> bool:
    """Whether ``line`` is dropped wherever it stands (a byline, a share bar, a credit, the page's header…)."""
    return _is_noise(normalize_line(line), rules)


def _is_noise(line: str, rules: Rules) -> bool:
    return rules.matches("drop", line) or rules.matches("header", line) or rules.matches("ticker", line)


def _is_name(line: str) -> bool:
    return (len(line.split()) <= NAME_MAX_WORDS and not any(ch.isdigit() for ch in line)
            and not _SENTENCE_END.search(line))


def _masthead_spans(lines: list[str], rules: Rules) -> list[tuple[int, int]]:
    """(start, end) of each role line, with the name line after it."""
    spans = []
    for i, line in enumerate(lines):
        if rules.matches("roles", line):
            named = i + 1 < len(lines) and _is_name(lines[i + 1]) and not rules.matches("roles", lines[i + 1])
            spans.append((i, i + 2 if named else i + 1))
    return spans


def _drop_mastheads(lines: list[str], rules: Rules) -> tuple[list[str], bool]:
    """Drop every masthead, and the page chrome above the last one near the top when no paragraph is there;
    whether there was a masthead near the top."""
    spans = _masthead_spans(lines, rules)
    top = [s for s in spans if s[0] < HEAD_WINDOW]
    start = top[-1][1] if top and not any(map(is_paragraph, lines[:top[-1][0]])) else 0
    drop = {i for first, end in spans for i in range(first, end)}
    return [line for i, line in enumerate(lines) if i >= start and i not in drop], bool(top)


def _drop_widgets(lines: list[str], rules: Rules) -> tuple[list[str], int]:
    """Lines without the widgets' markers and headlines; how many lines went."""
    if not rules.widgets:
        return lines, 0
    drop = set()
    for i, line in enumerate(lines):
        if rules.matches("widgets", line):
            drop.add(i)
            for j in (i - 1, i + 1):     # the widget's headlines, questions included
                if 0 <= j < len(lines) and len(lines[j].split()) < PARAGRAPH_MIN_WORDS:
                    drop.add(j)
    return [line for i, line in enumerate(lines) if i not in drop], len(drop)


def _dump_start(lines: list[str], rules: Rules) -> int | None:
    """Where the article of a whole-page dump starts: the first line of running text — a long paragraph, or a
    sentence with a full stop that another such sentence follows — so that headline-shaped chrome above it (a
    ticker, labels, the title even when long, captions, the author) goes. Failing that, the first full sentence (an article of
    a few words); None when there is none."""
    text = [i for i, line in enumerate(lines) if not rules.matches("end", line) and not rules.matches("boxes", line)]
    for n, i in enumerate(text):
        line = lines[i]
        if _HEADLINE_BREAK.search(line) and not _STATEMENT_END.search(line):
            continue                    # a headline, however long: clauses joined by «..», no full stop
        if len(line.split()) >= PARAGRAPH_MIN_WORDS:
            return i
        if _is_statement(line) and any(_is_statement(lines[j]) for j in text[n + 1:n + 3]):
            return i
    return next((i for i in text if _is_statement(lines[i])), None)


def _box_end(lines: list[str], rules: Rules) -> tuple[int, bool]:
    """Index past the box that starts ``lines`` (the label's line and, for a label alone, the short lines of
    its headlines), and whether it has a headline."""
    if _match(rules.boxes, lines[0]).groupdict().get("headline"):
        return 1, True
    end = 1
    while (end < len(lines) and end <= BOX_HEADLINES and _is_headline(lines[end])
           and not rules.matches("end", lines[end]) and not rules.matches("boxes", lines[end])):
        end += 1
    return end, end > 1


def _other_story(title: str, kept: list[str], box: list[str], following: list[str], rules: Rules) -> bool:
    """Whether the paragraphs after a read-more box belong to another story than ``kept`` and ``title``: they
    restate the box's headline, share little with the article so far, and restate the headline clearly more
    than our own title (a box linking a story of the same subject is followed by more of ours)."""
    paragraphs = []
    for line in following:
        if rules.matches("end", line) or rules.matches("boxes", line) or len(paragraphs) == FOLLOW_PARAGRAPHS:
            break
        if is_paragraph(line):
            paragraphs.append(line)
    if not paragraphs:
        return False
    words = content_words(" ".join(paragraphs))
    shared = containment(words, content_words(" ".join([title, *kept])))
    headlines = [part for line in box for part in line.split(BOX_SEPARATOR)]
    figures = _figures(" ".join(paragraphs))
    restated = max((containment(content_words(headline) - _LABEL_WORDS, words) for headline in headlines
                    if _figures(headline) <= figures), default=0.0)
    ours = containment(content_words(title), words)
    return restated >= HEADLINE_RESTATED and shared < CONTINUES_SHARED and restated - ours >= HEADLINE_MARGIN


_LABEL_WORDS = content_words(" ".join(READ_MORE_LABELS))


def _figures(text: str) -> set[str]:
    """The numbers written in ``text`` (Arabic-Indic and Persian digits read as their Western forms)."""
    return set(_NUMBERS.findall(text.translate(ARABIC_DIGITS)))


def _restated_lead(kept: list[str], line: str) -> int | None:
    """Index of a paragraph of the article's first lines that ``line`` restates at greater length."""
    if len(kept) > LEAD_WINDOW:
        return None
    words = content_words(line)
    for i, earlier in enumerate(kept):
        lead = content_words(earlier)
        if (is_paragraph(earlier) and len(earlier) < len(line) and len(lead) >= SENTENCE_MIN_WORDS
                and containment(lead, words) >= LEAD_RESTATED):
            return i
    return None


@dataclass
class Cleaned:
    """The article's lines, and what the rules did that may be wrong (``notes``: name → count):

    - ``cut_at_box``: the article ended at a read-more box (what followed read as another story);
    - ``box_not_cut``: what followed a box read as another story, but the article before it was too short to
      be one (fewer than MIN_WORDS words): the box went and the article went on;
    - ``long_cut``: an end of article dropped more than LONG_CUT_PARAGRAPHS paragraphs after it;
    - ``box_without_headline``: a read-more label with no headline after it;
    - ``lead_restated``: a lead dropped because a longer paragraph repeats it;
    - ``dump_without_chrome``: a page dump with neither a masthead nor lines above its article;
    - ``dropped_after_title``: lines after the title dropped as chrome before the article's first line (a
      doubled caption, the author's name…; in a page dump, or a name-like line opening a page's text): short
      lines after the title are otherwise kept;
    - ``title_not_found``: a page dump whose title could not be told from a ticker above it: every line above
      the running text went.

    ``widget_lines`` counts lines that were widgets (an "RT STORIES" block): a page of widgets only is no article.
    """

    lines: list[str]
    notes: dict[str, int] = field(default_factory=dict)
    widget_lines: int = 0


def clean(lines: list[str], rules: Rules = RULES, *, title: str | None = None,
          authors: tuple[str, ...] | list[str] = (), page_dump: bool = False) -> Cleaned:
    """The article's lines among ``lines`` (normalized, in order; none when there is no paragraph), with notes.

    The article starts at its first paragraph (in a ``page_dump``, at its first line of running text, and the
    short lines between the title and it: see the module's docstring). Above it, a name-like line is a byline
    and goes. ``title`` (known from the page's metadata) is dropped where it is printed again near the
    article's start; a line that is one of ``authors`` is a byline wherever it stands.
    """
    notes: Counter[str] = Counter()
    lines = [n for n in map(normalize_line, lines) if n]
    lines, masthead = _drop_mastheads(lines, rules)
    lines, widget_lines = _drop_widgets(lines, rules)
    bylines = {normalize_line(a) for a in authors}
    headers: list[int] = []        # where the lines after a header line, and after a ticker's opening, start
    tickers: list[int] = []
    text: list[str] = []
    for line in lines:
        if rules.matches("header", line):
            headers.append(len(text))
        elif rules.matches("ticker", line):
            tickers.append(len(text))
        elif not (line in bylines or rules.matches("drop", line) or is_date_line(line)):
            text.append(line)
    lines = text
    titles = {normalize_line(title)} if title else set()
    protected = 0                  # the first lines that are the article's though not running text (highlights)
    if page_dump:
        start = _dump_start(lines, rules)
        start = len(lines) if start is None else start
        if start == 0 and not masthead:
            notes["dump_without_chrome"] += 1
        begin = max((h for h in headers if h <= start), default=0)     # past the page's header, if any
        if any(begin <= t < start for t in tickers):   # a ticker runs into the title: no telling them apart
            notes["title_not_found"] += 1
            at = None
        else:
            at = _dump_title(lines, begin, start)
        top = start if at is None else at + 1
        titles.update(line for line in lines[:top] if not is_paragraph(line))   # printed again: goes there too
        after, dropped = _after_title(lines[top:start], lines[at] if at is not None else None, titles)
        if dropped:
            notes["dropped_after_title"] += dropped
        protected = len(after)
        lines = after + lines[start:]
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if rules.matches("end", line):
            if kept:
                _note_cut(notes, lines[i + 1:])
                break
            i += 1
            continue
        if rules.matches("boxes", line):
            size, headline = _box_end(lines[i:], rules)
            end = i + size
            if not headline:
                notes["box_without_headline"] += 1
            if kept and _other_story(title or "", kept, lines[i:end], lines[end:], rules):
                if len(" ".join(kept).split()) >= MIN_WORDS:
                    notes["cut_at_box"] += 1
                    _note_cut(notes, lines[end:])
                    break
                notes["box_not_cut"] += 1
            i = end
            continue
        i += 1
        if not kept and i > protected and not is_paragraph(line) and _is_name(line):
            if line not in titles:      # a line after the title, dropped as its byline
                notes["dropped_after_title"] += 1
            titles.add(line)            # a byline or the title: printed again at the start, it goes there too
            continue
        if line in titles and len(kept) < TITLE_ECHO_WINDOW:
            continue
        if line in kept and (is_paragraph(line) or kept[-1] == line):
            continue                    # a lead printed again as the body's first paragraph, a doubled caption
        if is_paragraph(line) and (lead := _restated_lead(kept, line)) is not None:
            del kept[lead]
            notes["lead_restated"] += 1
        kept.append(line)
    kept = kept if any(map(is_paragraph, kept)) else []
    return Cleaned(kept, dict(sorted(notes.items())), widget_lines)


def _is_label(line: str) -> bool:
    """A section or topic label: a name-like line of a few words."""
    return len(line.split()) <= LABEL_MAX_WORDS and _is_name(line)


def _dump_title(lines: list[str], begin: int, start: int) -> int | None:
    """Index of a page dump's title among ``lines``: the first line from ``begin`` (past the page's last header
    line, or the top: a masthead took what stood above it) that is not a label, before the running text at
    ``start``; None when there is none."""
    at = begin
    while at < start and _is_label(lines[at]):
        at += 1
    return at if at < start else None


def _after_title(head: list[str], title: str | None, titles: set[str]) -> tuple[list[str], int]:
    """Of ``head``, the lines between a page dump's ``title`` and its running text, those that are the article's:
    all but what is chrome by structure — the title printed again, a line printed twice in a row (a caption, the
    author), a line printed above the title (a ticker's), a name line right below the title or right above the
    running text (the author); and how many went, the title's echoes aside."""
    head = [line for line in head if line != title]
    doubled = {j for j in range(1, len(head)) if head[j] == head[j - 1]} | \
              {j for j in range(len(head) - 1) if head[j] == head[j + 1]}
    rest = [j for j in range(len(head)) if j not in doubled and head[j] not in titles]
    bylines = {j for j in rest[:1] + rest[-1:] if _is_name(head[j])}
    kept = [head[j] for j in rest if j not in bylines]
    return kept, len(head) - len(kept)


def _note_cut(notes: Counter[str], rest: list[str]) -> None:
    if sum(map(is_paragraph, rest)) > LONG_CUT_PARAGRAPHS:
        notes["long_cut"] += 1


def clean_lines(lines: list[str], rules: Rules = RULES, *, title: str | None = None,
                authors: tuple[str, ...] | list[str] = (), page_dump: bool = False) -> list[str]:
    """``clean(...).lines``: the article's lines only."""
    return clean(lines, rules, title=title, authors=authors, page_dump=page_dump).lines
