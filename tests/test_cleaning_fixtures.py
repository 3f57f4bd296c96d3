"""Page shapes the replica never showed, as fixtures written in our own words, each scored against its gold text.

``fixtures/dumps/*.txt`` are whole-page text dumps (``arshif extract`` on text) of both sites: a ticker with
and without a masthead, a long «..» headline over an interview's highlights, an interview's highlights after
a ticker and its title, a box mid-article and another story after the article, RT's restated lead, photo
credits, a widget block above the article, a widget-only page, an article of a few words.
``fixtures/html/*_unknown_boxes.html`` hold read-more boxes in markup no selector knows, mid-article and before
a trailing other story; ``fixtures/html/elbalad_interview_highlights_page.html`` is the interview as a page. Each
article fixture has ``<name>.gold.txt``: the article's lines.
"""
import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import html as lxml_html
from scrapy.utils.test import get_crawler

from crawler.extract.cleaning import RULES, clean, flatten_boxes
from crawler.extract.page import NotArticle, extract, extract_file
from crawler.items import PageItem
from crawler.extract.pipeline import ExtractPipeline
from bench.quality import Score
from crawler.extract.record import problems
from crawler.run.report import RunReport
from crawler.sites import get_site
from crawler.archive.state.index import ArticleIndex
from crawler.extract.vocabulary import containment, content_words
from crawler.extract.workers import ExtractWorkers

FIXTURES = Path(__file__).parent / "fixtures"
DUMPS = sorted(p for p in (FIXTURES / "dumps").glob("*.txt") if not p.name.endswith(".gold.txt"))
PAGES = sorted(p for p in (FIXTURES / "html").glob("*.html") if p.with_name(f"{p.stem}.gold.txt").exists())
URLS = {"rt_arabic": "https://arabic.rt.com/society/1600500-%D8%A7%D9%84%D9%81%D9%88%D9%84%D8%BA%D8%A7/",
        "elbalad": "https://www.elbalad.news/6900123"}
NOT_ARTICLES = {"elbalad_short_article": "text_too_short", "rt_widget_only": "widget_only"}
# Fixtures whose article is followed by another story that only the evidence rule can cut.
TRAILING_STORY = {"elbalad_masthead_box_trailing", "rt_aggregator_box_trailing", "rt_arabic_unknown_boxes",
                  "elbalad_unknown_boxes"}
RECALL_FLOOR = 0.97
PRECISION_FLOOR = 0.97


def _site(path: Path) -> str:
    return "rt_arabic" if path.name.startswith("rt_") else "elbalad"


def _extract(path: Path) -> dict | NotArticle:
    site = _site(path)
    if path.suffix == ".html":
        return extract(path.read_bytes(), URLS[site], site)
    return extract_file(path, site)


def _gold(path: Path) -> str:
    return path.with_name(f"{path.stem}.gold.txt").read_text("utf-8")


@pytest.mark.parametrize("path", DUMPS + PAGES, ids=lambda p: p.stem)
def test_fixture_scored_against_gold(path):
    result = _extract(path)
    if path.stem in NOT_ARTICLES:
        assert result == NotArticle(NOT_ARTICLES[path.stem])
        return
    assert isinstance(result, dict), result
    gold = _gold(path)
    score = Score().add(result["text"], gold)
    assert score.recall >= RECALL_FLOOR and score.precision >= PRECISION_FLOOR, (score.precision, score.recall)
    # only the article's own lines, unchanged: nothing of the chrome or of another story
    assert set(result["text"].split("\n")) <= {" ".join(line.split()) for line in gold.splitlines()}
    if path.stem in TRAILING_STORY:
        assert result["extractor"]["notes"].get("cut_at_box") == 1


def test_every_shape_has_a_fixture():
    names = {p.stem for p in DUMPS + PAGES}
    assert set(NOT_ARTICLES) | TRAILING_STORY <= names
    assert {"elbalad_ticker_no_masthead", "elbalad_interview_long_title", "rt_desktop_lead_restated",
            "elbalad_opinion_author_twice", "rt_amp_credits", "rt_widget_above_article",
            "elbalad_interview_highlights"} <= names


def test_restated_lead_kept_once_as_the_longer_paragraph():
    record = _extract(FIXTURES / "dumps" / "rt_desktop_lead_restated.txt")
    first = record["text"].split("\n")[0]
    assert first.startswith("أطلقت روسيا صباح اليوم الثلاثاء") and record["text"].count("أطلقت روسيا") == 1
    assert record["extractor"]["notes"] == {"lead_restated": 1}


def test_highlights_after_the_title_are_the_articles():
    """An interview opens, after its title and byline, with its highlights as short lines: they are kept, in the
    page dump (where a ticker of short lines stands above the title) and in the page; nothing is noted."""
    for path in (FIXTURES / "dumps" / "elbalad_interview_highlights.txt",
                 FIXTURES / "html" / "elbalad_interview_highlights_page.html"):
        record = _extract(path)
        assert record["text"].split("\n") == _gold(path).splitlines(), path.name
        assert record["extractor"]["notes"] == {}, path.name


def _dump_lines(name: str) -> list[str]:
    return (FIXTURES / "dumps" / f"{name}.txt").read_text("utf-8").splitlines()


def test_a_drop_after_the_title_is_noted():
    """What goes between the title and the running text goes by structure, and says so: the author printed below
    the highlights, a doubled caption, a name line opening the text of a page."""
    rules = RULES.extend(get_site("elbalad").extraction.rules)
    lines = _dump_lines("elbalad_interview_highlights")
    gold = _gold(FIXTURES / "dumps" / "elbalad_interview_highlights.txt").splitlines()
    body = lines.index(gold[4])
    cleaned = clean(lines[:body] + ["سامي الحسيني"] + lines[body:], rules, page_dump=True)
    assert cleaned.lines == gold and cleaned.notes == {"dropped_after_title": 1}
    cleaned = clean(lines[:body] + ["محطة تحلية", "محطة تحلية"] + lines[body:], rules, page_dump=True)
    assert cleaned.lines == gold and cleaned.notes == {"dropped_after_title": 2}
    assert clean(_dump_lines("elbalad_ticker_no_masthead"), rules, page_dump=True).notes == {"dropped_after_title": 3}
    page = clean(["ريهام عادل"] + gold[4:], rules, title="خبير المياه")           # a page's text, title known
    assert page.lines == gold[4:] and page.notes == {"dropped_after_title": 1}


def test_a_ticker_the_title_cannot_be_told_from_is_noted():
    """A ticker with no header line between it and the title: its headlines cannot be told from the title and
    the highlights by their shape; all of it goes, as before, and the record says so."""
    rules = RULES.extend(get_site("elbalad").extraction.rules)
    lines = [line for line in _dump_lines("elbalad_interview_highlights") if line not in ("english EN", "حوارات")]
    gold = _gold(FIXTURES / "dumps" / "elbalad_interview_highlights.txt").splitlines()
    cleaned = clean(lines, rules, page_dump=True)
    assert cleaned.lines == gold[4:] and cleaned.notes == {"title_not_found": 1}


def test_box_mid_article_only_dropped_when_the_article_goes_on():
    lines = _gold(FIXTURES / "dumps" / "elbalad_masthead_box_trailing.txt").splitlines()
    box = ["اقرأ أيضا", "منتخب الناشئين لكرة اليد يواجه تونس وديا استعدادا لكأس أفريقيا"]
    cleaned = clean(lines[:2] + box + lines[2:], RULES)
    assert cleaned.lines == lines and cleaned.notes == {}


def test_box_label_without_headline_is_noted():
    lines = _gold(FIXTURES / "dumps" / "elbalad_ticker_no_masthead.txt").splitlines()
    cleaned = clean(lines[:3] + ["اقرأ أيضا"] + lines[3:], RULES)
    assert cleaned.lines == lines
    assert cleaned.notes == {"box_without_headline": 1}


def test_long_cut_is_noted():
    lines = _gold(FIXTURES / "dumps" / "elbalad_ticker_no_masthead.txt").splitlines()
    cleaned = clean(lines[:1] + ["المصدر: وكالات"] + lines[1:], RULES)
    assert cleaned.lines == lines[:1] and cleaned.notes == {"long_cut": 1}


def test_dump_without_chrome_is_noted():
    lines = _gold(FIXTURES / "dumps" / "elbalad_ticker_no_masthead.txt").splitlines()
    assert clean(lines, RULES, page_dump=True).notes == {"dump_without_chrome": 1}
    assert clean(["اقتصاد"] + lines, RULES, page_dump=True).notes == {}


def test_boxes_in_unknown_markup_become_one_line_each():
    tree = lxml_html.fromstring((FIXTURES / "html" / "elbalad_unknown_boxes.html").read_bytes())
    assert flatten_boxes(tree) == 3
    boxes = [p.text for p in tree.iter("p") if "أيضا" in (p.text or "")[:12]]
    assert boxes == [
        "إقرأ أيضا | ارتفاع أعداد السائحين في الأقصر خلال موسم الشتاء | تطوير كورنيش النيل في إدفو بتكلفة 40 مليون جنيه",
        "اقرأ أيضا: | محافظ أسوان يتفقد أعمال رصف الطرق في كوم أمبو",
        "اقرأ أيضا | ارتفاع منسوب المياه في بحيرة ناصر مع بداية موسم الفيضان"
        " | منتخب مصر لكرة السلة يفوز على أنجولا في تصفيات كأس العالم",
    ]
    assert not tree.xpath("//ul") and not tree.xpath("//section")


def test_content_words_compare_across_spellings():
    assert content_words("والروسية الأُولى") == content_words("روسيا اولى")
    assert content_words("قال إن في من على") == set()
    assert containment({"أ"}, set()) == 0.0 and containment(set(), {"أ"}) == 0.0


def test_crawl_logs_and_counts_cleaning_notes(tmp_path, caplog):
    """The extract pipeline, with a real worker process, on the HTML page whose article ends at a box."""
    page = FIXTURES / "html" / "elbalad_unknown_boxes.html"
    item = PageItem(URLS["elbalad"], URLS["elbalad"], page.read_bytes(), "utf-8",
                    datetime(2026, 5, 2, 12, 0, tzinfo=timezone.utc), None)
    with ExtractWorkers(1, preload=()) as workers:
        run = SimpleNamespace(site="elbalad", extract_pool=workers,
                              report=RunReport("r1", "elbalad", "file:///tmp/archive"),
                              log=logging.getLogger("arshif.test"), index=ArticleIndex(tmp_path / "i.sqlite", "elbalad"),
                              stories=None)
        with caplog.at_level(logging.WARNING, "arshif.test"):
            config = SimpleNamespace(spec=get_site("elbalad"), base_url="https://www.elbalad.news")
            record = asyncio.run(ExtractPipeline(run, config, get_crawler().stats).process_item(item))
    assert record.extractor.notes == {"cut_at_box": 1} and record.problems() == [] and problems(record.to_dict()) == []
    assert run.report.errors == {"cleaning: cut_at_box": 1}
    assert any("cut_at_box" in r.getMessage() and URLS["elbalad"] in r.getMessage() for r in caplog.records)


def test_a_box_label_split_across_elements_is_still_a_box():
    """Boxes are looked for around the text nodes that hold a label's verb; a label in two elements (the verb
    in bold) and a label nested deep inside its block are found like any other."""
    tree = lxml_html.fromstring(
        "<html><body><article>"
        "<p>فقرة أولى من الخبر تكفي لتكون بداية المقال المنشور اليوم في الموقع.</p>"
        "<div class='x'><span><b>اقرأ</b> المزيد</span>: <a href='/1'>عنوان خبر آخر في المدينة</a></div>"
        "<section><div><div><em>شاهد أيضا</em></div></div><a href='/2'>عنوان مقطع مصور عن الحدث</a></section>"
        "<p>فقرة ثانية من الخبر نفسه تكمل ما بدأته الفقرة الأولى.</p>"
        "</article></body></html>")
    assert flatten_boxes(tree) == 2
    assert [p.text for p in tree.iter("p") if p.text and p.text.startswith(("اقرأ", "شاهد"))] == [
        "اقرأ المزيد : | عنوان خبر آخر في المدينة",
        "شاهد أيضا | عنوان مقطع مصور عن الحدث",
    ]
