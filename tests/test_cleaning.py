"""Line rules of crawler/extract/cleaning.py: every kind of noise in the catalogue of sites.md goes, the article stays."""
import re
from pathlib import Path

import pytest

from crawler.extract import cleaning
from crawler.extract.cleaning import RULES, Rules, clean, clean_lines, normalize_line, whole_lines
from crawler.sites import get_site
from crawler.sites.rules import any_of

RT = RULES.extend(get_site("rt_arabic").extraction.rules)
ELBALAD = RULES.extend(get_site("elbalad").extraction.rules)

ARTICLE = [
    "قال وزير الخارجية الروسي سيرغي لافروف، إن التصريحات الصادرة من يريفان هي خيار سيادي، لكن موسكو تأمل ألا تؤدي إلى تدمير العلاقات.",
    "وأوضح لافروف أن بلاده تحترم قرارات شركائها، مشيرا إلى أن الحوار يبقى السبيل الوحيد لتجاوز الخلافات القائمة بين البلدين.",
    "وكانت وزارة الخارجية الروسية قد أصدرت بيانا رفضت فيه ما وصفته بالتهجمات غير المقبولة على روسيا من جانب يريفان",
]
MORE = [
    "وفي سياق متصل، أكد وزير الخارجية الروسي أن اقتراح بلاده بنشر بعثة المنظمة في أرمينيا لا يزال قائماً.",
    "وتأسست المنظمة على أساس معاهدة الأمن الجماعي الموقعة بتاريخ 15 مايو عام 1992 من قبل البلدان الأعضاء.",
]

# Lines dropped wherever they stand (one per kind of noise seen on the real pages).
DROPPED = {
    "read-more box with headline": "إقرأ المزيد موسكو تحذر يريفان من عواقب التصديق على نظام روما",
    "two read-more boxes on one line": "إقرأ المزيد موسكو تحذر يريفان إقرأ المزيد موسكو: قيادة أرمينيا تخطئ بتدمير علاقتنا",
    "read-also with headline, no hamza": "اقرأ ايضا: زيلينسكي يعلن اعتقال صينيين",
    "read-also with tanween": "اقرأ أيضاً روسيا تعلن إسقاط 200 مسيرة",
    "watch-also box": "شاهد أيضا: لحظة وصول الوفد الأمريكي إلى إسطنبول",
    "share line": "شارك الخبر",
    "follow line": "تابعنا",
    "follow RT on": "تابعوا RT على",
    "social names": "telegram",
    "social bar": "Facebook X YouTube Instagram",
    "cookie notice": "هذا الموقع يستخدم ملفات تعريف الارتباط (كوكيز). بمواصلة التصفح فإنك توافق على سياسة الخصوصية.",
    "copy link glued to a URL": "انسخ الرابطhttps://arabic.rt.com/world/1500123/",
    "video report link": "للمزيد في التقرير المصور",
    "more-details link": "لمزيد من التفاصيل",
    "audio fallback": "Your browser does not support audio tag.",
    "comment help": "يمكنكم التعليق على المقال بعد تسجيل الدخول عبر حسابكم في فيسبوك أو تويتر. التعليقات لا تعبر عن رأي الموقع.",
    "copyright": "جميع الحقوق محفوظة لقناة RT عربية © 2005–2026",
    "photo credit": "Maksim Blinov / Sputnik",
    "photo credit agency": "RIA NOVOSTI",
    "photo credit AFP": "Ahmad Gharabli / AFP",
    "photo credit RT": "RT",
    "agency byline": "أ ش أ",
    "breaking label": "عاجل",
    "language switch": "english EN",
    "masthead role and name on one line": "رئيس التحرير: طه جبريل",
}


@pytest.mark.parametrize("noise", DROPPED.values(), ids=DROPPED.keys())
def test_noise_line_dropped_anywhere(noise):
    lines = [ARTICLE[0], noise, ARTICLE[1], ARTICLE[2]]
    assert clean_lines(lines, RULES) == ARTICLE


@pytest.mark.parametrize("noise,rules", [
    ("مباشر", RT), ("أين يمكنك متابعتنا", RT), ("أقسام مهمة", RT), ("Stories", RT), ("24 خبر", RT),
    ("صدى البلد", ELBALAD),
    ("قناة صدى البلد البلد سبورت صدى البلد جامعات صدى البلد عقارات Sada Elbalad english", ELBALAD),
])
def test_site_noise_line_dropped(noise, rules):
    assert clean_lines([ARTICLE[0], noise, ARTICLE[1], ARTICLE[2]], rules) == ARTICLE


TAIL = [
    "كلمات دلالية: كورونا سيرغي لافروف موسكو",
    "روسيا تعلن إسقاط 200 مسيرة أوكرانية عن طريق أنظمة الدفاع الجوي",
    "عرضت قناة القاهرة الإخبارية خبرا عاجلا يفيد بأن الدفاع الروسية أسقطت أمس 200 مسيرة أوكرانية في عدة مناطق.",
]


@pytest.mark.parametrize("end", [
    "المصدر: RT", "المصدر: نوفوستي", "المصدر: تاس", 'المصدر: "وفا"+RT', "المصدر: sportbox + RT", "المصدر: وكالات",
    "المصدر: RT Arabic", "كلمات دلالية: لافروف روسيا", "الكلمات المفتاحية", "مقالات مشابهة", "أخبار ذات صلة",
    "أخبار متعلقة", "الأكثر قراءة", "إقرأ أيضاً:", "اقرأ أيضا", "اقرأ ايضا", "• اقرأ المزيد",
])
def test_end_marker_cuts_everything_after(end):
    assert clean_lines(ARTICLE + [end] + TAIL, RULES) == ARTICLE


def test_second_story_after_read_also_header_removed():
    second_story = [
        "إقرأ أيضاً:",
        "روسيا تعلن إسقاط 200 مسيرة أوكرانية عن طريق أنظمة الدفاع الجوي",
        "عرضت قناة القاهرة الإخبارية خبرا عاجلا يفيد بأن الدفاع الروسية، قالت إن أنظمة دفاعنا الجوي أسقطت أمس 200 مسيرة أوكرانية.",
        "وفي وقت سابق؛ أكد المتحدث باسم الرئاسة الروسية دميتري بيسكوف أن روسيا والولايات المتحدة تعتزمان التحرك تدريجيا نحو تطبيع العلاقات.",
    ]
    assert clean_lines(ARTICLE + second_story, RULES) == ARTICLE


def test_end_marker_before_the_article_does_not_cut_it():
    assert clean_lines(["الأكثر قراءة", "مقالات مشابهة"] + ARTICLE, RULES) == ARTICLE


@pytest.mark.parametrize("line", [
    "وقال المصدر: إن المفاوضات ستستأنف الأسبوع المقبل في العاصمة القطرية الدوحة بحضور جميع الأطراف المعنية بالملف.",
    "المصدر ذاته أكد أن الوفد سيعود إلى دمشق مساء اليوم لإطلاع القيادة على نتائج المباحثات.",
    "وأضاف أن من يقرأ البيان يدرك أن المصدر الرئيسي للأزمة هو غياب الثقة بين الطرفين.",
    "ودعا المواطنين إلى أن اقرأ أيضا ما كتبه الخبراء قبل إصدار الأحكام، بحسب تعبيره في المؤتمر الصحفي.",
    "وقال المتحدث لموقع صدى البلد إن الحكومة ستعلن عن حزمة إجراءات جديدة خلال الأيام المقبلة.",
    "وتابع المتحدث باسم الكرملين أن لم يتم التطرق إلى مسألة استئناف الرحلات الجوية المباشرة.",
])
def test_article_sentences_containing_noise_words_kept(line):
    article = [ARTICLE[0], line, ARTICLE[1]]
    assert clean_lines(article, ELBALAD) == article
    assert clean_lines(article, RT) == article


def test_diacritics_and_tatweel_kept_byte_for_byte():
    line = "وتضمُّ منظمةُ معاهدةِ الأمن الجماعي كلاً من أرمينيا، وقال الوزيــــر إنّ القرار «نهائيٌّ» ولا رجعة فيه."
    assert clean_lines([line, ARTICLE[1]], RULES)[0].encode() == line.encode()


def test_only_white_space_and_unicode_form_normalized():
    decomposed = "وقال إن\u0627\u0653لاف المواطنين   خرجوا\u00a0إلى الشوارع للاحتفال بالفوز الكبير الذي حققه المنتخب."
    out = clean_lines([decomposed], RULES)
    assert out == [normalize_line(decomposed)]
    assert "آلاف" in out[0] and "  " not in out[0] and "\u00a0" not in out[0]


def test_masthead_structure_with_any_names_and_chrome_above_it():
    page = [
        "قناة صدى البلد البلد سبورت صدى البلد جامعات صدى البلد عقارات Sada Elbalad english",
        "عاجل",
        "السيسي يستقبل رئيس وزراء اليونان بقصر الاتحادية",
        "سعر الدولار اليوم في البنوك المصرية",
        "english EN",
        "الإشراف العام", "سلمى عبد الرحمن", "رئيس التحرير", "كريم مـــنصور",
        "الإشراف العام", "سلمى عبد الرحمن", "رئيس التحرير", "كريم مـــنصور",
    ] + ARTICLE
    assert clean_lines(page, ELBALAD) == ARTICLE


def test_page_dump_head_ticker_line_equal_to_title():
    title = "لافروف: لم نتوجه إلى دول معاهدة الأمن الجماعي للمساعدة"
    page = [
        "عاجل", "سعر الدولار اليوم في البنوك المصرية", title, "الزراعة: توريد 200 ألف طن من قصب السكر للمصانع",
        "الإشراف العام", "إلهام أبو الفتح", "رئيس التحرير", "طه جبريل",
        "العالم", title, "الذهب", "الذهب", "نهى مصطفى", "صدى البلد",
    ] + ARTICLE + MORE + [title, "لمزيد من التفاصيل"]
    # The title printed again late in the body is not ticker: position decides, not the string.
    assert clean_lines(page, ELBALAD, page_dump=True) == ARTICLE + MORE + [title]


def test_rt_desktop_page_dump():
    title = "لافروف: الانسحاب من معاهدة الأمن الجماعي خيار سيادي لأرمينيا"
    page = [
        "مباشر", "أين يمكنك متابعتنا", "أقسام مهمة", "Stories", "24 خبر",
        "الحرب على غزة", "الحرب على غزة", "الأزمة الأوكرانية", "الأزمة الأوكرانية", "الأزمة الأوكرانية",
        title, ARTICLE[0], title, "Maksim Blinov / Sputnik", ARTICLE[0], ARTICLE[1], ARTICLE[2],
        "المصدر: RT",
        "لماذا تتمسك موسكو بمنظمة معاهدة الأمن الجماعي؟", "#اسأل_أكثر #Question_MoreRT STORIES",
        "هذا الموقع يستخدم ملفات تعريف الارتباط (كوكيز). بمواصلة التصفح فإنك توافق على ذلك.", "telegram",
    ]
    assert clean_lines(page, RT, page_dump=True) == ARTICLE


def test_title_echo_dropped_near_start_with_known_title():
    title = "لافروف: الانسحاب من معاهدة الأمن الجماعي خيار سيادي لأرمينيا"
    assert clean_lines([ARTICLE[0], title, ARTICLE[1], ARTICLE[2]], RT, title=title) == ARTICLE


def test_rt_stories_widget_removed_with_its_headlines():
    widget = ["لماذا تتمسك موسكو بمنظمة معاهدة الأمن الجماعي؟", "#اسأل_أكثر #Question_MoreRT STORIES",
              "كيف يعمل نظام الدفاع الجوي إس-400؟", "#اسأل_أكثر #Question_MoreRT STORIES"]
    assert clean_lines(ARTICLE + widget, RT) == ARTICLE
    assert clean_lines(widget, RT, page_dump=True) == []


def test_doubled_caption_and_repeated_lead_kept_once():
    assert clean_lines([ARTICLE[0], ARTICLE[0], ARTICLE[1], ARTICLE[2]], RULES) == ARTICLE
    short = ["الذهب", "الذهب"]
    assert clean_lines(ARTICLE[:1] + short + ARTICLE[1:], RULES) == ARTICLE[:1] + ["الذهب"] + ARTICLE[1:]


def test_byline_above_the_article_and_known_authors_dropped():
    assert clean_lines(["نهى مصطفى"] + ARTICLE, ELBALAD) == ARTICLE
    assert clean_lines([ARTICLE[0], "محمود عبد الحميد", ARTICLE[1], ARTICLE[2]], ELBALAD,
                       authors=["محمود عبد الحميد"]) == ARTICLE


def test_chrome_without_a_paragraph_is_no_article():
    chrome = ["سياسة", "رياضة", "بحث", "الأرصاد: طقس مائل للبرودة ليلا وأمطار خفيفة على السواحل الشمالية",
              "شاهد.. لحظة انهيار جسر قيد الإنشاء بعد أمطار غزيرة", "فيديو متداول على مواقع التواصل الاجتماعي", "إعلان"]
    assert clean_lines(chrome, ELBALAD) == []


@pytest.mark.parametrize("line", ["22.11.2026 | 12:29", "الاثنين، ٢٣ تشرين الثاني ٢٠٢٦ - ٠١:٤٢ ص",
                                  "الخميس، 07 مارس 2024 - 04:12 م"])
def test_dateline_dropped(line):
    assert clean_lines([line] + ARTICLE, RULES) == ARTICLE
    assert clean_lines([ARTICLE[0], line, ARTICLE[1], ARTICLE[2]], RULES) == ARTICLE


def test_masthead_after_the_article_goes_with_its_names():
    footer = ["رئيس مجلس الإدارة", "محمد سعيد", "رئيس التحرير", "طه جبريل"]
    assert clean_lines(ARTICLE[:2] + footer + ARTICLE[2:], ELBALAD) == ARTICLE


# Read-more boxes: dropped wherever they stand; the article ends at one only when another story follows.
OTHER_HEADLINE = "مهرجان للتمور في الأحساء يجذب آلاف الزوار من دول الخليج"
OTHER_STORY = [
    "استقبل مهرجان التمور في الأحساء آلاف الزوار من دول الخليج في يومه الأول، وسط إقبال كبير على أجنحة المزارعين.",
    "ويعرض المهرجان أكثر من ثلاثين صنفا من التمور، إلى جانب منتجات النخيل والحرف اليدوية المرتبطة بها.",
]


@pytest.mark.parametrize("box", [
    ["إقرأ أيضاً:", OTHER_HEADLINE],
    [f"اقرأ المزيد {OTHER_HEADLINE}"],
    ["طالع أيضا", OTHER_HEADLINE, "موسم الحصاد يبدأ مبكرا في واحات الجنوب"],
])
def test_box_before_another_story_ends_the_article(box):
    assert clean_lines(ARTICLE + box + OTHER_STORY + ["مقالات مشابهة", "عنوان"], RULES) == ARTICLE


@pytest.mark.parametrize("box", [
    ["إقرأ أيضاً:", OTHER_HEADLINE],
    [f"اقرأ المزيد {OTHER_HEADLINE}"],
    ["اقرأ أيضا", "موسكو تحذر يريفان من عواقب التصديق على نظام روما", "لافروف يلتقي نظيره الأرميني في موسكو"],
])
def test_box_mid_article_dropped_and_the_article_goes_on(box):
    assert clean_lines(ARTICLE[:2] + box + ARTICLE[2:] + MORE, RULES) == ARTICLE + MORE


def test_box_headline_words_in_a_paragraph_that_continues_the_article():
    box = ["اقرأ المزيد", "لافروف: العلاقات مع يريفان تمر بمرحلة صعبة"]
    going_on = "وأكد لافروف أن العلاقات بين موسكو ويريفان تمر بمرحلة صعبة، لكن الخيار السيادي للقيادة الأرمينية لن يدمر روابط قائمة منذ قرون."
    assert clean_lines(ARTICLE + box + [going_on], RULES) == ARTICLE + [going_on]


def test_no_cut_at_a_box_before_the_article_is_long_enough_to_be_one():
    # Found at 1,000 replica articles per site: a one-sentence lead, a box whose headline shares the words of
    # any market story (rise, price, world) with the paragraphs after it. Cut there, the article was one
    # sentence and the page was dropped as too short: a whole article lost. The box goes; the article stays.
    title = "بورصة الرياض تربح مليارات في ختام تعاملات الأسبوع"
    lead = "أنهت بورصة الرياض تعاملات الأسبوع على ارتفاع جماعي لمؤشراتها وسط مشتريات المستثمرين."
    box = ["إقرأ أيضا | ارتفاع سعر القمح عالميا | البرلمان يقر تعديلات تشريعية جديدة"]
    rest = ["وارتفع سعر النفط بنسبة سبعة في المئة ليصل إلى أعلى مستوى في أسابيع، مع تقلبات الأسواق العالمية.",
            "وأشار محللون إلى أن سعر صرف الدولار يؤثر بدوره في حركة الأسواق الناشئة خلال الأيام المقبلة.",
            "ويترقب المستثمرون صدور بيانات التضخم هذا الأسبوع لما لها من أثر على توقعات أسعار الفائدة."]
    cleaned = clean([lead, *box, *rest], ELBALAD, title=title)
    assert cleaned.lines == [lead, *rest]
    assert cleaned.notes.get("box_not_cut") == 1 and "cut_at_box" not in cleaned.notes
    # with enough article before it, the same page does end at that box: words alone are all it has to go on
    long_lead = [lead, "وبلغت قيمة التداول مليارات الريالات في جلسة اليوم، فيما صعدت أسهم البنوك والطاقة بأكثر من نقطتين."]
    assert clean_lines([*long_lead, *box, *rest], ELBALAD, title=title) == long_lead


def test_a_headline_with_figures_is_restated_only_by_paragraphs_that_give_them():
    # 9 of 9,994 replica articles were cut short at a box whose headline («… to 6993 dollars a tonne») shares
    # a market story's common words with the article's next paragraphs, which give other figures.
    title = "بورصة الرياض تربح مليارات في ختام تعاملات الأسبوع"
    article = ["أنهت بورصة الرياض تعاملات الأسبوع على ارتفاع جماعي لمؤشراتها وسط مشتريات المستثمرين.",
               "وبلغت قيمة التداول مليارات الريالات في جلسة اليوم، فيما صعدت أسهم البنوك والطاقة بأكثر من نقطتين."]
    box = ["إقرأ أيضا | ارتفاع سعر القمح عالميا إلى 6993 دولار للطن | البرلمان يقر تعديلات تشريعية جديدة"]
    ours = ["وارتفع سعر النفط بنسبة 7.3 في المئة ليصل إلى 4368 دولار للبرميل، مع تقلبات الأسواق العالمية.",
            "وأشار محللون إلى أن سعر صرف الدولار يؤثر بدوره في حركة الأسواق الناشئة خلال الأيام المقبلة."]
    assert clean_lines([*article, *box, *ours], ELBALAD, title=title) == [*article, *ours]
    # the story the box links opens with its headline's figure (here in Arabic-Indic digits): it is cut
    other = ["ارتفع سعر القمح عالميا إلى ٦٩٩٣ دولارا للطن، مع تراجع المعروض في الأسواق العالمية وزيادة الطلب.",
             "ويقول تجار إن سعر القمح قد يواصل الارتفاع عالميا حتى نهاية الموسم."]
    assert clean_lines([*article, *box, *other], ELBALAD, title=title) == article


def test_page_dump_ticker_of_headline_shapes_before_the_article():
    ticker = ["عاجل", "بعد غياب عامين.. عودة مهرجان الزيتون إلى واحة سيوة...", "هل ترتفع الأسعار الأسبوع المقبل؟ الخبراء يجيبون",
              "ضبط 40 طن دقيق مدعم قبل بيعه في السوق السوداء", "هل يعود التوقيت الصيفي هذا العام؟ الحكومة ترد",
              "الفنانة سلمى رؤوف تكشف تفاصيل مسلسلها الجديد!", "وزير النقل: لا زيادة في أسعار التذاكر",
              "اقتصاد", "عنوان المقال", "أحمد سمير"]
    assert clean_lines(ticker + ARTICLE, ELBALAD, page_dump=True) == ARTICLE


def test_box_linking_a_story_of_the_same_subject_right_after_the_lead():
    # The box's headline and the article share their subject (the price of cotton), the article so far is one
    # short lead: what follows restates the headline about as much as our title, so it is ours, not a second story.
    title = "تراجع أسعار القطن في الأسواق المحلية مع وفرة المعروض"
    lead = "شهدت أسعار القطن تراجعا ملحوظا في تعاملات الأسبوع مع زيادة الكميات المعروضة في الأسواق."
    box = ["اقرأ أيضا", "ارتفاع سعر القطن طويل التيلة إلى 9200 جنيه للقنطار"]
    rest = ["وانخفض سعر القطن طويل التيلة إلى 7400 جنيه للقنطار، بعد أسابيع من الاستقرار في الأسواق المحلية.",
            "وقال تجار إن الطلب من مصانع الغزل تراجع بدوره، فيما ينتظر المزارعون تحسن الأسعار قبل البيع.",
            "ويتوقع متعاملون أن تستقر الأسعار مع بداية الموسم الجديد وعودة التصدير إلى معدلاته المعتادة."]
    assert clean_lines([lead, *box, *rest], RULES, title=title) == [lead, *rest]


# --- a rule group tested as one pattern (Rules.matches) --------------------------------------------------

def _lines_of_fixtures() -> list[str]:
    folder = Path(__file__).parent / "fixtures"
    lines = [cleaning.normalize_line(line) for path in sorted((folder / "dumps").glob("*.txt"))
             for line in path.read_text("utf-8").splitlines()]
    return [line for line in lines if line] + ["شارك الخبر", "المصدر: RT", "اقرأ أيضا", "- عاجل -", "EN", ""]


def test_a_rule_group_matches_as_one_pattern_where_one_of_its_patterns_does():
    from crawler.sites import SITES

    lines = _lines_of_fixtures()
    for rules in [cleaning.RULES, *(cleaning.RULES.extend(s.extraction.rules) for s in SITES.values())]:
        for group in ("drop", "end", "boxes", "roles", "widgets", "header", "ticker"):
            patterns = getattr(rules, group)
            for line in lines:
                assert rules.matches(group, line) == any(p.match(line) for p in patterns), (group, line)


def test_patterns_that_cannot_be_joined_are_tried_one_by_one():
    backreference = whole_lines(r"(\w+) \1", r"كلمة")          # «قال قال»: the same word twice
    assert any_of(backreference) is None
    rules = Rules(drop=backreference, end=(re.compile("a"), re.compile("b", re.IGNORECASE)))
    assert rules.matches("drop", "قال قال") and not rules.matches("drop", "قال قالت")
    assert rules.matches("end", "B") and not rules.matches("end", "A")
    assert not rules.matches("header", "anything")          # an empty group matches nothing
