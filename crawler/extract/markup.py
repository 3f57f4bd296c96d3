"""A page's markup parsed within bounds: what one page may cost a worker.

- **Depth.** libxml2 stops nesting elements at depth 256 unless told ``XML_PARSE_HUGE`` (lxml's ``huge_tree``):
  a page with 260 unclosed ``<div>`` elements before its article lost the article (``no_article_body``).
  With ``huge_tree`` the limit is 2048; a page past it is said (``NotArticle("markup_too_deep")``), never
  silently cut. ``huge_tree`` also lifts libxml2's 10 MB limit on one text node: the crawl's
  ``download_maxsize`` bounds the page before it gets here.
- **Links.** A page of 200,000 links (7.5 MB) cost ~1.2 GB and a minute in Trafilatura (its link-density
  checks walk every link for every block). Past ``MAX_LINKS`` links, the link lists — elements whose
  children are ``MIN_LIST_LINKS`` links or more (``<ul><li><a>``, ``<div><a>``…) with fewer than
  ``cleaning.MIN_WORDS`` words outside their links — are removed before anything else reads the page (an
  article's body has words between its links; a tag cloud does not), and counted in the record's
  ``extractor.notes`` (``link_lists_removed``).
- **Elements.** A page still over ``MAX_ELEMENTS`` elements after that is not read
  (``NotArticle("page_too_complex")``): the bound on what one page costs, whatever its shape.
"""
from __future__ import annotations

import lxml.html
from lxml import etree
from trafilatura.utils import is_dubious_html, repair_faulty_html

from crawler.outcomes import NotArticle

__all__ = ["MAX_ELEMENTS", "MAX_LINKS", "parse"]

# Real article pages carry a few hundred links (RT Arabic's ~400, El Balad's ~300 on the replica's copies and
# the fixtures) and a few thousand elements.
MAX_LINKS = 5_000
MIN_LIST_LINKS = 50
MIN_WORDS_AROUND_LINKS = 25       # cleaning.MIN_WORDS: fewer words outside the links is no article's body
MAX_ELEMENTS = 100_000

# trafilatura.utils.HTML_PARSER's options, with libxml2's huge-document limits
_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                               remove_pis=True, huge_tree=True)
_LINK_LISTS = etree.XPath(f"//*[count(a) + count(*/a) >= {MIN_LIST_LINKS}]")
_WORDS_OUTSIDE_LINKS = etree.XPath("descendant::text()[not(ancestor::a)]")


def _too_deep() -> bool:
    return any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in _PARSER.error_log)


def _remove_link_lists(tree) -> int:
    removed = 0
    for element in _LINK_LISTS(tree):
        parent = element.getparent()
        if parent is None or element.getroottree().getroot() is not tree:   # the root, or inside one removed
            continue
        words = sum(len(text.split()) for text in _WORDS_OUTSIDE_LINKS(element))
        if words < MIN_WORDS_AROUND_LINKS:
            element.drop_tree()         # keeps its tail text
            removed += 1
    return removed


def parse(html: str, notes: dict[str, int]) -> lxml.html.HtmlElement | NotArticle:
    """The page's tree, read as Trafilatura's ``load_html`` reads a page (its repairs, its parser's options,
    its test of what is HTML at all) within the bounds above; what was removed is added to ``notes``."""
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    try:
        try:
            tree = lxml.html.fromstring(html, parser=_PARSER)
        except ValueError:          # a str that declares its encoding (<?xml encoding=...?>)
            tree = lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except etree.LxmlError:
        return NotArticle("unparsable_html")
    if tree is None or (is_dubious_html(beginning) and len(tree) < 2):
        return NotArticle("unparsable_html")
    if _too_deep():
        return NotArticle("markup_too_deep")
    if int(tree.xpath("count(//a)")) > MAX_LINKS:
        removed = _remove_link_lists(tree)
        if removed:
            notes["link_lists_removed"] = removed
    if int(tree.xpath("count(//*)")) > MAX_ELEMENTS:
        return NotArticle("page_too_complex")
    return tree
