"""crawler.extract.page.extract: a page (HTML or text dump) in, the article record or NotArticle out."""
import pickle
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.extract.cleaning import normalize_line
from crawler.extract.page import NotArticle, extract, extract_file
from crawler.sites import SITES, get_site
from crawler.urls import article_id

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted(p for p in (FIXTURES / "seeds").glob("*.txt") if not p.name.endswith(".expected.txt"))
RT_HTML = (FIXTURES / "html" / "rt_arabic_article.html").read_text("utf-8")
ELBALAD_HTML = (FIXTURES / "html" / "elbalad_article.html").read_text("utf-8")
RT_URL = "https://arabic.rt.com/world/1500123-%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81/"
ELBALAD_URL = "https://www.elbalad.news/5634002"
KEYS = {"id", "url", "canonical_url", "site", "title", "description", "authors", "published_at", "modified_at",
        "section", "tags", "image", "language", "text", "word_count", "content_sha256", "extractor"}


def _normalized(text: str) -> str:
    return "\n".join(n for n in map(normalize_line, text.splitlines()) if n)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_dump_gives_only_the_article(seed):
    record = extract_file(seed, "rt_arabic" if seed.name.startswith("000") else "elbalad")
    expected = seed.with_name(seed.stem + ".expected.txt").read_text("utf-8")
    assert record["text"] == _normalized(expected)
    assert record["title"] is None


def test_record_fields_rt():
    record = extract(RT_HTML.encode(), RT_URL + "amp/", "rt_arabic")
    assert set(record) == KEYS
    assert record["canonical_url"] == RT_URL
    assert record["id"] == article_id(RT_URL, "https://arabic.rt.com", SITES["rt_arabic"])
    assert record["title"] == "لافروف: الانسحاب من معاهدة الأمن الجماعي خيار سيادي لأرمينيا"   # " - RT Arabic" gone
    assert record["published_at"] == "2024-03-10T14:05:00+03:00"
    assert record["modified_at"] == "2024-03-10T15:20:00+03:00"
    assert record["section"] == "العالم"
    assert record["tags"] == ["سيرغي لافروف", "أرمينيا"]                  # site selector before meta tags
    assert record["image"] == "https://mf.b37mrtl.ru/media/pics/2024.03/article/65ed.jpg"
    assert record["authors"] == []                                          # empty meta, publisher is no author
    assert record["language"] == "ar"
    assert record["word_count"] == len(record["text"].split())
    assert re.fullmatch(r"[0-9a-f]{64}", record["content_sha256"])
    assert record["extractor"]["name"] == "trafilatura" and record["extractor"]["rules"].startswith("rt_arabic@")


@pytest.mark.parametrize("url, base_url", [
    (RT_URL.replace("%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81", "%D8%A3%D8%B1%D9%85%D9%8A%D9%86%D9%8A%D8%A7"), None),
    ("https://arabic.rt.com/news/1500123", None),
    (RT_URL + "amp", None),
    (RT_URL.replace("https://arabic.rt.com", "https://rtarabic.com"), None),
    (RT_URL.replace("https://arabic.rt.com", "http://localhost:8123"), "http://localhost:8123"),
    (RT_URL.replace("https://arabic.rt.com", "http://127.0.0.1:9000") + "amp", "http://127.0.0.1:9000"),
])
def test_one_rt_article_under_any_address_is_one_record_id(url, base_url):
    record = extract(RT_HTML.encode(), url, "rt_arabic", base_url=base_url)
    assert record["id"] == extract(RT_HTML.encode(), RT_URL, "rt_arabic")["id"]
    assert record["url"] == url


def test_rt_article_text_is_the_article_only():
    text = extract(RT_HTML, RT_URL, "rt_arabic")["text"]
    lines = text.split("\n")
    assert lines[0].startswith("قال وزير الخارجية الروسي")                    # the lead, once
    assert lines[-1].startswith("وشدد البيان")
    assert len(lines) == 5
    for noise in ("مباشر", "أقسام مهمة", "اقرأ المزيد", "موسكو تحذر", "Sputnik", "المصدر: RT", "RT STORIES",
                  "تابعوا", "ملفات تعريف", "pic.twitter", "لماذا"):
        assert noise not in text
    assert "المصدر الرئيسي للقلق" in text and "أن يقرأ الجميع" in text   # mid-sentence words stay
    assert "الأرمينيّة" in text and "مـــدى" in text                       # shadda and tatweel as written


def test_elbalad_article_text_and_metadata():
    record = extract(ELBALAD_HTML, "https://elbalad.news/5634002?utm_source=x", "elbalad")
    lines = record["text"].split("\n")
    assert lines[0].startswith("نفى وزير الخارجية الروسي") and len(lines) == 4
    assert "صدى البلد الإقليمي" in record["text"]                            # the name inside a sentence stays
    for noise in ("إلهام", "رئيس التحرير", "اقرأ أيضا", "إقرأ أيضاً", "زيلينسكي", "لمزيد من التفاصيل",
                  "كلمات دلالية", "شارك", "أخبار متعلقة", "محفوظة", "Sada Elbalad"):
        assert noise not in record["text"]
    assert "وتضمُّ كلاً" in record["text"]
    assert record["canonical_url"] == ELBALAD_URL
    assert record["published_at"] == "2024-03-07T16:12:00+02:00"             # Arabic date, Cairo time
    assert record["authors"] == ["نهى مصطفى"]
    assert record["section"] == "العالم"
    assert record["tags"] == ["لافروف", "روسيا", "معاهدة الأمن الجماعي"]


def test_windows_1256_page_decoded_from_meta_charset():
    page = ELBALAD_HTML.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    body = page.encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    expected = extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad")
    assert extract(body, ELBALAD_URL, "elbalad") == expected


def test_transport_encoding_hint_wins_over_guessing():
    page = ELBALAD_HTML.replace('<meta charset="utf-8">', "")
    record = extract(page.encode("cp1256"), ELBALAD_URL, "elbalad", encoding="windows-1256")
    assert record["text"] == extract(ELBALAD_HTML, ELBALAD_URL, "elbalad")["text"]


def test_rt_stories_only_page_is_not_an_article():
    items = "".join(f'<a href="/world/15002{i}-x/">عنوان قصة رقم {i} عن الأحداث الجارية في المنطقة</a>'
                    '<span>#اسأل_أكثر #Question_MoreRT STORIES</span>' for i in range(12))
    page = f'<html><head><title>RT STORIES</title></head><body><div class="article"><h1 class="heading">RT STORIES</h1>{items}</div></body></html>'
    result = extract(page, RT_URL, "rt_arabic")
    assert result == NotArticle("widget_only")
    dump = "\n".join(f"عنوان قصة رقم {i} عن الأحداث الجارية\n#اسأل_أكثر #Question_MoreRT STORIES" for i in range(12))
    assert extract(dump, RT_URL, "rt_arabic") == NotArticle("widget_only")


def test_not_article_url():
    assert extract(RT_HTML, "https://arabic.rt.com/prg/telecast/123456-x/", "rt_arabic") == NotArticle("not_article_url")
    assert extract(RT_HTML, "https://example.com/world/1500123-x/", "rt_arabic") == NotArticle("not_article_url")


def test_replica_base_url_and_canonical_link_to_the_real_site():
    url = "http://127.0.0.1:8765/world/1500123-%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81/amp"
    record = extract(RT_HTML, url, "rt_arabic", base_url="http://127.0.0.1:8765")
    assert record["canonical_url"] == "http://127.0.0.1:8765/world/1500123-%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81/"
    assert extract(RT_HTML, url, "rt_arabic") == NotArticle("not_article_url")   # not the default site


def test_relative_dates_need_fetched_at():
    page = ELBALAD_HTML.replace("الخميس، 07 مارس 2024 - 04:12 م", "منذ ساعتين")
    assert extract(page, ELBALAD_URL, "elbalad")["published_at"] is None
    fetched = datetime(2024, 3, 7, 14, 0, tzinfo=timezone.utc)
    assert extract(page, ELBALAD_URL, "elbalad", fetched_at=fetched)["published_at"] == "2024-03-07T14:00:00+02:00"


def test_inputs_and_outputs_pickle_for_worker_processes():
    record = extract(RT_HTML, RT_URL, "rt_arabic")
    assert pickle.loads(pickle.dumps(record)) == record
    assert pickle.loads(pickle.dumps(NotArticle("text_too_short"))) == NotArticle("text_too_short")
    for key in ("rt_arabic", "elbalad"):
        spec = pickle.loads(pickle.dumps(get_site(key)))
        assert extract(RT_HTML if key == "rt_arabic" else ELBALAD_HTML,
                       RT_URL if key == "rt_arabic" else ELBALAD_URL, spec)["site"] == key


def test_same_page_same_record():
    assert extract(ELBALAD_HTML, ELBALAD_URL, "elbalad") == extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad")


def test_agency_bylines_are_not_authors():
    page = ELBALAD_HTML.replace('"name":"نهى مصطفى"', '"name":"أ ش أ"').replace('<div class="author">نهى مصطفى</div>',
                                                                              '<div class="author">أ ش أ</div>')
    record = extract(page, ELBALAD_URL, "elbalad")
    assert record["authors"] == [] and "أ ش أ" not in record["text"]


# --- text that is not text never becomes an article -------------------------------------------------------

CP1256_PAGE = ELBALAD_HTML.replace('<meta charset="utf-8">',
                                   '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')


def _clean(record) -> bool:
    text = record["title"] + record["text"]
    return "\ufffd" not in text and "Ø" not in text and "ظ…" not in text


def test_windows_1256_bytes_under_a_utf8_header_are_decoded_from_the_bytes():
    """The defect: the header says UTF-8, the bytes (and the meta charset) are windows-1256; the header won and
    the title and text were archived as U+FFFD."""
    expected = extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad")
    record = extract(CP1256_PAGE.encode("cp1256"), ELBALAD_URL, "elbalad", encoding="utf-8")
    assert not isinstance(record, NotArticle) and _clean(record)
    assert record == expected
    # no meta charset at all: the bytes are not UTF-8, so they are read as Arabic Windows
    bare = ELBALAD_HTML.replace('<meta charset="utf-8">', "").encode("cp1256")
    assert extract(bare, ELBALAD_URL, "elbalad", encoding="utf-8")["text"] == expected["text"]


@pytest.mark.parametrize("wrong", ["windows-1256", "windows-1252", "iso-8859-1"])
def test_utf8_bytes_under_a_single_byte_header_are_not_archived_as_mojibake(wrong):
    expected = extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad")
    record = extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad", encoding=wrong)
    assert not isinstance(record, NotArticle) and _clean(record)
    assert record["text"] == expected["text"] and record["title"] == expected["title"]


def test_text_no_decoding_can_read_is_not_an_article():
    # the page itself carries replacement characters where its Arabic was (a broken upstream conversion)
    broken = re.sub(r"[\u0621-\u064a]", "\ufffd", ELBALAD_HTML)
    assert extract(broken.encode(), ELBALAD_URL, "elbalad") == NotArticle("garbled_text")
    # or Latin letters where an Arabic site has Arabic (mojibake stored as such by the site)
    latin = ELBALAD_HTML.encode().decode("latin-1")
    assert extract(latin.encode(), ELBALAD_URL, "elbalad", encoding="utf-8") == NotArticle("garbled_text")


def test_garbled_tells_text_from_garbage():
    from crawler.extract.garbled import garbled

    good = extract(ELBALAD_HTML.encode(), ELBALAD_URL, "elbalad")
    assert garbled(good["title"] + "\n" + good["text"], "ar") is None
    assert garbled("A short English note, with one stray \ufffd in it, " * 3 + good["text"], "ar") is None
    assert garbled(good["text"].encode("utf-8").decode("cp1256", "replace"), "ar") == "mojibake"
    assert garbled(good["text"].encode("utf-8").decode("cp1252", "replace"), "ar") is not None
    assert garbled(good["text"].encode("cp1256").decode("utf-8", "replace"), "ar") == "replacement characters"
