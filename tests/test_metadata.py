"""crawler.extract.metadata.page_metadata: site selectors, then JSON-LD, OpenGraph/meta, then Trafilatura."""
import json

from lxml import html as lxml_html

from crawler.extract.metadata import page_metadata
from crawler.sites import Extraction, get_site
from trafilatura.settings import Document


def _tree(head: str, body: str = ""):
    return lxml_html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def _ld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


NONE = Extraction()


def test_json_ld_article_in_a_graph():
    tree = _tree(_ld({"@graph": [
        {"@type": "WebSite", "name": "صدى البلد", "url": "https://www.elbalad.news/"},
        {"@type": ["NewsArticle"], "headline": "عنوان الخبر", "description": "وصف", "datePublished": "2024-03-07T16:12:00+02:00",
         "dateModified": "2024-03-07T18:00:00+02:00", "articleSection": ["العالم", "سياسة"], "keywords": "روسيا، أرمينيا, لافروف",
         "author": [{"@type": "Person", "name": "نهى مصطفى"}, {"@type": "Organization", "name": "صدى البلد"}, "أحمد سعيد"],
         "image": [{"@type": "ImageObject", "url": "/img/a.jpg"}], "mainEntityOfPage": {"@id": "x", "url": "https://www.elbalad.news/5634002"}},
    ]}))
    meta = page_metadata(tree, NONE)
    assert meta.title == "عنوان الخبر" and meta.description == "وصف"
    assert meta.authors == ["نهى مصطفى", "أحمد سعيد"]
    assert meta.published == "2024-03-07T16:12:00+02:00" and meta.modified == "2024-03-07T18:00:00+02:00"
    assert meta.section == "العالم"
    assert meta.tags == ["روسيا", "أرمينيا", "لافروف"]
    assert meta.image == "/img/a.jpg"
    assert meta.canonical == ["https://www.elbalad.news/5634002"]


def test_json_ld_as_pages_write_it_comments_trailing_commas_and_a_broken_script():
    """extruct reads what strict JSON refuses (an HTML comment line, a trailing comma); a script that is no
    JSON at all is skipped without hiding the article of the next one."""
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    lenient = ('<script type="application/ld+json">\n<!-- schema -->\n{"@type": "NewsArticle", '
               '"headline": "عنوان الخبر", "datePublished": "2024-03-07T16:12:00+02:00",}\n</script>')
    meta = page_metadata(_tree(broken + lenient), NONE)
    assert meta.title == "عنوان الخبر" and meta.published == "2024-03-07T16:12:00+02:00"
    assert page_metadata(_tree(broken), NONE).title is None


def test_open_graph_and_meta_tags_when_no_json_ld():
    tree = _tree(
        '<meta property="og:title" content="عنوان - RT Arabic"><meta name="description" content="وصف">'
        '<meta property="article:published_time" content="2024-03-10T14:05:00+03:00">'
        '<meta property="article:tag" content="أ"><meta property="article:tag" content="ب">'
        '<meta property="og:image" content="https://mf.b37mrtl.ru/x.jpg"><meta name="category" content="العالم">'
        '<link rel="canonical" href="https://arabic.rt.com/world/1-x/"><meta property="og:url" content="https://arabic.rt.com/world/1-y/">'
        + _ld("not json at all {")
    )
    meta = page_metadata(tree, get_site("rt_arabic").extraction)
    assert meta.title == "عنوان"                                   # the site's title suffix goes
    assert meta.description == "وصف" and meta.published == "2024-03-10T14:05:00+03:00"
    assert meta.tags == ["أ", "ب"] and meta.section == "العالم"
    assert meta.image == "https://mf.b37mrtl.ru/x.jpg"
    assert meta.canonical == ["https://arabic.rt.com/world/1-x/", "https://arabic.rt.com/world/1-y/"]


def test_site_selectors_come_first():
    tree = _tree(
        _ld({"@type": "NewsArticle", "headline": "من JSON-LD", "keywords": ["x"], "datePublished": "2020-01-01"})
        + '<meta name="publish-date" content="2024-03-10T14:05:00+03:00"><meta name="mediator_author" content="">',
        '<div class="article"><h1 class="heading">  العنوان\n من الصفحة </h1>'
        '<div class="photo"><img data-src="/media/a.jpg"></div>'
        '<div class="news-tags news-tags_article"><a>لافروف</a><a>أرمينيا</a><a>لافروف</a></div></div>',
    )
    meta = page_metadata(tree, get_site("rt_arabic").extraction)
    assert meta.title == "العنوان من الصفحة"
    assert meta.tags == ["لافروف", "أرمينيا"]
    assert meta.published == "2024-03-10T14:05:00+03:00"
    assert meta.image == "/media/a.jpg"
    assert meta.authors == []                                      # empty mediator_author is no author


def test_generic_article_markup_after_machine_metadata():
    tree = _tree("", '<div class="ticker"><time datetime="2020-01-01T10:00:00+02:00">قديم</time></div>'
                     '<article><h1>عنوان</h1><div class="time"><span>الخميس، ٠٧ مارس ٢٠٢٤ - ٠٤:١٢ م</span></div>'
                     '<div class="writer">محمد شحتة</div><div class="tags"><span>كلمات دلالية</span><a>الذهب</a><a>أسعار</a></div>'
                     '</article>')
    meta = page_metadata(tree, NONE)
    assert meta.published == "الخميس، ٠٧ مارس ٢٠٢٤ - ٠٤:١٢ م"       # the article's date, not the ticker's
    assert meta.authors == ["محمد شحتة"] and meta.tags == ["الذهب", "أسعار"]


def test_trafilatura_is_the_last_fallback_but_not_for_dates():
    document = Document(title="عنوان ترافيلاتورا", author="أحمد سعيد; نهى مصطفى", date="2024-03-07",
                        categories=["اقتصاد"], tags=["ذهب"], image="https://x/y.jpg", description="وصف")
    meta = page_metadata(_tree('<meta name="description" content="وصف الصفحة">'), NONE, document)
    assert meta.title == "عنوان ترافيلاتورا" and meta.description == "وصف الصفحة"
    assert meta.authors == ["أحمد سعيد", "نهى مصطفى"]
    assert meta.published is None                                  # htmldate reads dates from anywhere
    assert meta.section == "اقتصاد" and meta.tags == ["ذهب"]


def test_a_date_in_words_is_read_by_dateparser_once_for_the_choice_and_the_record():
    """A page that gives its date in words alone (El Balad's visible date): the metadata's check that the text
    is a date, made in the site's zone, is the reading the record's ``parse_date`` then reuses (each reading
    costs ~3 ms of CPU)."""
    from crawler import dates

    written = "السبت، ٥ ديسمبر ٢٠٢٦ - ٠٧:٢٥ م"
    tree = _tree('<meta property="og:title" content="عنوان">', f'<article><span class="date">{written}</span></article>')
    dates._at_probe.cache_clear()
    meta = page_metadata(tree, NONE, timezone="Africa/Cairo")
    assert meta.published == written
    assert dates.parse_date(meta.published, "Africa/Cairo") == "2026-12-05T19:25:00+02:00"
    assert dates._at_probe.cache_info().misses == 1
