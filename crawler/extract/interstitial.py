"""Pages that stand in for the article asked for: a bot challenge, an "access denied" page (in the site's own
layout or not), a paywall stub. Each is answered with HTTP 200 and may carry enough words to pass for an
article; archived, it would put one text under many ids or a truncated text in place of the article. Each
is the site's answer for now, not what the article is: ``NotArticle(<reason>)`` is transient (the page is
fetched again on a backoff, ``crawler/outcomes.py``).

What is recognised, on the parsed page before anything is extracted:

- ``challenge``: the markup of a JavaScript bot challenge — Cloudflare's ``/cdn-cgi/challenge-platform/``
  script, its ``challenge-running`` / ``challenge-stage`` / ``challenge-form`` elements or a ``__cf_chl``
  form — or a page title that is one of the challenge titles ("Just a moment...", "Attention Required!",
  "Checking your browser", "DDoS-Guard"). Public descriptions of these pages: pandamoo/cloudflaretoday
  (README: the "Just a moment..." title, "Checking your browser before accessing"), and the challenge-signal
  lists of scraper guides in the search corpus (title, ``/cdn-cgi/``, ``challenges.cloudflare.com``,
  ``__cf_chl_*``).
- ``access_denied``: a page whose title (any part of ``<title>`` between separators, or its ``<h1>``) is, as a
  whole, a denial: "Access Denied", "403 Forbidden", "تم رفض الوصول"… A headline that merely contains such
  words ("تم رفض الوصول إلى المساعدات") is an article.
- ``paywall``: a paywall marker — an element whose class or id names a paywall (not ``non-paywall``), or an
  element JSON-LD marks ``isAccessibleForFree: false`` by ``hasPart.cssSelector`` (Google's structured data
  for paywalled content, developers.google.com/search/docs/data-types/paywalled-content) — holding fewer
  than ``MIN_WORDS`` words: a prompt to subscribe in place of the text. A marker around the whole text (a site that serves its
  paywalled text to crawlers, as Google asks) is no stub.
"""
from __future__ import annotations

import json
import re

from lxml.etree import XPath

__all__ = ["interstitial"]

# Each step tests first that the attribute is there (``[@src]``, ``[@id]``…): the same elements, and libxml2 skips
# the string tests on the page's thousands of elements without it (half the CPU of these checks).
_CHALLENGE_MARKUP = XPath(
    "//script[@src][contains(@src, '/cdn-cgi/challenge-platform/') or contains(@src, 'challenges.cloudflare.com')]"
    " | //*[@id][@id='challenge-running' or @id='challenge-stage' or @id='challenge-form' or @id='cf-challenge-running']"
    " | //form[@action][contains(@action, '__cf_chl')]")
_CHALLENGE_TITLES = {"just a moment", "attention required", "checking your browser", "ddos-guard",
                     "one more step", "please wait", "verify you are human", "security check required"}
_DENIAL_TITLES = {"access denied", "403 forbidden", "forbidden", "error 403", "request blocked",
                  "sorry, you have been blocked", "تم رفض الوصول", "رفض الوصول", "الوصول مرفوض", "الوصول ممنوع",
                  "غير مسموح بالوصول", "ممنوع الوصول"}
_SEPARATORS = re.compile(r"\s+[-–—|:]\s+|\s*\|\s*")
_TRIM = re.compile(r"^[\s.!…،,:]+|[\s.!…،,:]+$")
_PAYWALL_MARKER = XPath("//*[@class or @id][contains(translate(@class, 'PAYWL', 'paywl'), 'paywall')"
                        " or contains(translate(@id, 'PAYWL', 'paywl'), 'paywall')]")
_NOT_PAYWALL = re.compile(r"(?:non|no|not|without)[-_]?paywall")
_LD = XPath("//script[@type='application/ld+json']/text()")


def _phrases(text: str) -> set[str]:
    """The parts of a title between separators, trimmed and lower-cased ("Just a moment..." → "just a moment")."""
    text = " ".join(text.split())
    return {_TRIM.sub("", part).lower() for part in [text, *_SEPARATORS.split(text)] if part}


def _titles(tree) -> set[str]:
    found: set[str] = set()
    for text in tree.xpath("//title/text() | //h1//text()"):
        found |= _phrases(text)
    return found


def _closed_selectors(tree) -> list[str]:
    """The ``cssSelector`` of every JSON-LD part marked ``isAccessibleForFree: false``."""
    selectors = []
    for text in _LD(tree):
        try:
            data = json.loads(text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                free = node.get("isAccessibleForFree")
                if str(free).lower() == "false" and isinstance(node.get("cssSelector"), str):
                    selectors.append(node["cssSelector"])
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return selectors


def _names_a_paywall(element) -> bool:
    """A class or id token naming a paywall (``paywall``, ``article-paywall``, ``paywall_prompt``), not its
    opposite (``non-paywall``: Google's own example marks the free part so)."""
    tokens = f"{element.get('class', '')} {element.get('id', '')}".lower().split()
    return any("paywall" in t and not _NOT_PAYWALL.match(t) for t in tokens)


def _paywall_stub(tree, min_words: int) -> bool:
    from lxml.cssselect import CSSSelector

    markers = [element for element in _PAYWALL_MARKER(tree) if _names_a_paywall(element)]
    for selector in _closed_selectors(tree):
        try:
            markers += CSSSelector(selector)(tree)
        except Exception:  # a selector cssselect cannot read (SelectorError and others): not a marker we know
            continue
    return bool(markers) and all(len(" ".join(m.itertext()).split()) < min_words for m in markers)


def interstitial(tree, min_words: int) -> str | None:
    """``"challenge"``, ``"access_denied"`` or ``"paywall"`` when the parsed page ``tree`` is such a page in
    place of the article, else None."""
    titles = _titles(tree)
    if _CHALLENGE_MARKUP(tree) or titles & _CHALLENGE_TITLES:
        return "challenge"
    if titles & _DENIAL_TITLES:
        return "access_denied"
    if _paywall_stub(tree, min_words):
        return "paywall"
    return None
