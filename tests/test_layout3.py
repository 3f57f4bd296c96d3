"""RT's other known markup (the replica's layout 3): half RT's article pages in the newer ``main-article__*``
markup other people's public scrapers read (lead ``div.main-article__intro-text``, body
``div.main-article__editor-content editor-content``), the others in the older markup with ``p.intro`` inside the
body block; the source credit is the body's last paragraph in both. ``crawler/sites/rt_arabic.py`` reads both
with its own selectors: every article archived, the text against the gold, the lead once, the credit gone,
and the run report's selector hit rate high (the site's own rules matched, not only the generic fallbacks)."""
import json
import re
from functools import cache

import pytest
from lxml import html as lxml_html

from bench.extraction import BASE_URL, NOW, evaluate, replica_pages
from crawler.extract.page import extract
from bench.quality import Score
from crawler.sites import get_site
from tests.crawl_helpers import (archived, arshif, assert_each_article_archived_once, assert_no_noise,
                                 expected_urls, layout_crawl_fixtures, run_reports)

SITES = ("rt_arabic", "elbalad")
F1_FLOOR = 0.97
SELECTOR_RATE_FLOOR = 0.85       # the newer markup's photo and tags have no public selector: OpenGraph gives them
NEWER, OLDER = "main-article__editor-content", "js-mediator-article"


@cache
def _pages(layout: int = 3):
    return [p for p in replica_pages("rt_arabic", layout=layout) if p.gold and not p.url.endswith("amp")]


def _markup(page) -> str:
    text = page.body.decode(page.encoding or "utf-8")
    return NEWER if NEWER in text else OLDER


def _extract(page, hits=None):
    return extract(page.body, page.url, page.site, base_url=BASE_URL, encoding=page.encoding, fetched_at=NOW,
                   hits=hits)


def test_layout_3_serves_both_markups_with_the_lead_and_credit_where_scrapers_find_them():
    by_markup = {NEWER: 0, OLDER: 0}
    for page in _pages():
        doc = lxml_html.fromstring(page.body)
        by_markup[_markup(page)] += 1
        if _markup(page) == NEWER:
            [body] = doc.cssselect("div.main-article__editor-content.editor-content")
            assert doc.cssselect(".main-article h1") and not doc.cssselect("div.article h1.heading")
        else:
            [body] = doc.cssselect("div.text.js-text.js-mediator-article")
            lead = doc.cssselect("p.intro")
            assert not lead or lead[0].getparent() is body and body.index(lead[0]) == 0   # the lead inside the body
        assert body.findall("p")[-1].text_content().startswith("المصدر")                 # the credit last
    assert by_markup[NEWER] >= 20 and by_markup[OLDER] >= 20


def test_the_sites_own_rules_read_both_markups():
    """F1 against the gold and the selector hit rate, as bench/extraction.py measures them; the lead that the
    newer markup prints apart from the body is the article's first line (the generic reading lost it: F1 0.96)."""
    result = evaluate(list(replica_pages("rt_arabic", layout=3)), layout=3, warm_up=False)
    assert result.ours.f1 >= F1_FLOOR, f"F1 {result.ours.f1:.4f}, worst {result.worst[:3]}"
    assert result.rejected == result.not_articles
    assert result.selector_rate >= SELECTOR_RATE_FLOOR, result.selector_rate
    for page in _pages():
        hits: dict[str, bool] = {}
        record = _extract(page, hits)
        assert hits["title"] and hits["body"] and hits["prune"], (page.url, hits)
        lines = record["text"].split("\n")
        assert lines[0] == page.gold.split("\n")[0], page.url                  # the lead opens the article...
        assert not any(line.startswith("المصدر:") for line in lines)           # ...and the credit is gone


def test_the_lead_is_kept_once_inside_the_body_or_restated():
    """Older markup: ``p.intro`` is the body's first paragraph (sometimes printed again after it); newer: the lead
    block and, on some pages, the same lead again as the body's first paragraph, or a longer restatement."""
    seen = set()
    for page in _pages():
        lead = page.gold.split("\n")[0]
        text = _extract(page)["text"]
        assert text.count(lead) == 1, page.url
        doc = lxml_html.fromstring(page.body)
        body = doc.cssselect(f"div.{NEWER}, div.{OLDER}")[0]
        if body.findall("p")[0].text_content() == lead:
            seen.add(_markup(page))
    assert seen == {NEWER, OLDER}      # both markups have pages whose body repeats or holds the lead


def test_the_credit_goes_by_structure_even_where_no_line_rule_knows_it():
    """The body's last paragraph «المصدر: …» is pruned by the site's rule, not by the shared source-footer line
    rule alone: a credit the line rule would not take (a long agency list) goes too, an article sentence that
    starts with «المصدر» stays."""
    page = next(p for p in _pages() if _markup(p) == NEWER)
    credit = "المصدر: وكالة أنباء ومراسلون ومصادر محلية متعددة في المنطقة ورويترز"
    sentence = "المصدر الأمني قال إن التحقيقات ما زالت جارية حول ملابسات الحادث في المدينة."
    for last, kept in ((credit, False), (sentence, True)):
        body, replaced = re.subn(r"<p>المصدر[^<]*</p></div>", f"<p>{last}</p></div>", page.body.decode("utf-8"))
        assert replaced == 1
        record = extract(body.encode(), page.url, "rt_arabic", base_url=BASE_URL, fetched_at=NOW)
        assert (last in record["text"].split("\n")) == kept


# --- a whole crawl of layout 3 -------------------------------------------------------------------------------

replica, crawled = layout_crawl_fixtures(3)


@pytest.mark.slow
def test_every_article_is_archived_once(replica, crawled):
    tmp, _, result = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    assert_each_article_archived_once(archived(tmp / "archive"), replica, SITES)
    assert_no_noise(archived(tmp / "archive"))


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_text_scores_against_the_gold(replica, crawled, site):
    tmp, _, _ = crawled
    by_url = {r["canonical_url"]: r for r in archived(tmp / "archive")}
    score = Score()
    for article in replica.articles(site):
        if article.kind != "not_article":
            score.add(by_url[article.url(replica.base_urls[site])]["text"], article.gold_text)
    assert score.f1 >= F1_FLOOR, f"{site}: P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}"


@pytest.mark.slow
def test_the_run_report_says_the_sites_own_selectors_matched(replica, crawled):
    tmp, env, result = crawled
    (report,) = run_reports(tmp / "archive", "rt_arabic")
    selectors = report["selectors"]
    assert selectors["pages"] == report["counts"]["new"] == len(expected_urls(replica, "rt_arabic"))
    assert selectors["rate"] >= SELECTOR_RATE_FLOOR, selectors
    for name in ("title", "body", "prune"):
        assert selectors["fields"][name]["hits"] == selectors["pages"], (name, selectors["fields"][name])
    assert "site selectors matched" not in result.stderr
    done = arshif("status", "--json", env=env)
    warnings = [w for s in json.loads(done.stdout)["sites"] for w in s["warnings"]]
    assert not [w for w in warnings if "selectors" in w], warnings


def test_the_site_module_names_the_newer_markup():
    """The newer markup's selectors are the site's own (not the generic fallback's)."""
    extraction = get_site("rt_arabic").extraction
    assert ("div.main-article__editor-content", None) in extraction.body
    assert ("div.main-article__intro-text", None) in extraction.lead
