"""A local replica of the two news sites arshif crawls, for tests: RT Arabic and Sada El Balad.

There is no internet in tests, so the project serves both sites itself on 127.0.0.1, one port per site
(robots.txt is per host). The pages follow what the real sites look like to a crawler
(/work/shared/reference/sites.md): the same article URL patterns (``crawler/sites/*.py``), the same
discovery (RSS, sitemap index and Google News sitemap, listing pages with pagination, robots.txt naming
sitemaps and disallowing ``/search/``), the same markup and the same noise around and inside the article
body (mastheads, tickers, read-more boxes, source lines, cookie notices...). Code that extracts the right
text here is meant to extract it on the real sites.

Modules: ``corpus`` (the articles and their gold text, generated from ``data/text_bank.toml``),
``render_rt_arabic`` / ``render_elbalad`` (everything one site serves; page noise from ``data/noise.toml``;
``render_<site>_v2`` the redesigned markup of layout 2; ``renderers`` finds ``render_<key>`` for every site of
``crawler.sites``),
``feeds`` (RSS, sitemaps, robots.txt), ``discovery`` (the parts of those documents both sites build the same
way), ``response`` (a handler's response, routing), ``older`` (a big replica's generated older articles), ``faults`` (fault injection), ``markup`` and ``arabic_dates`` (helpers), ``state`` (one site's mutable
state), ``server`` (:class:`ReplicaServer` and ``run(port)`` for ``arshif replica``).

Gold text: what a perfect cleaner returns — the article's lead (if any) then its paragraphs, joined with
"\\n", without the title and without any noise; text the page repeats (the lead as first paragraph) counts
once. ``ReplicaArticle.gold_text``.

Kinds (``ReplicaArticle.kind``): every kind but ``not_article`` must end up archived exactly once.
  ``article``      a normal article page.
  ``no_date``      an article page with no date anywhere (no meta, JSON-LD or visible date; undated in
                   RSS and sitemaps, absent from the news sitemap).
  ``cp1256``       an article page served in windows-1256 (Content-Type header and meta charset).
  ``not_article``  linked like an article but not one (``layout``): RT ``video`` (matches the article URL
                   pattern, no body), RT ``stories`` (only the "RT STORIES" widget), RT ``programme``
                   (``/prg/...``); El Balad ``video``, ``gallery`` and ``brief`` (an article page of a few
                   words: too short). Gold text is empty.
Shapes (``ReplicaArticle.shape``, ``corpus.SHAPES``): one page per shape seen in real page text (issue 7):
El Balad ``ticker_top`` (sister sites and ticker open the article, no masthead) and ``brief``; RT
``lead_restated`` (the lead restated at greater length by the body's first paragraph; the gold keeps the
longer copy only), ``title_credit`` (title echoed, photo credit as its own line) and ``stories`` (only the
"RT STORIES" widget, in groups).
Awkward URLs: ``ReplicaArticle.variants`` (same page under tracking parameters, a ``#fragment`` or RT's
``/amp``; listings and feeds link these instead of the canonical URL) and ``redirects`` (RT ``/news/<id>``
and ``/news/<id>-<slug>/`` — RT resolves that legacy form for every id —, El Balad's old id
``/<id - 4000000>``: 301 to the canonical URL, linked from the RT listing's / El Balad categories' first
page, next to a link that answers 404 (``MISSING_PATH`` of each render module)). Every article is reachable
from at least one of RSS, sitemaps, listings; not every source lists every article.

Layouts: ``ReplicaServer(layout=2)`` (``arshif replica --layout 2``; ``set_layout(n)`` or
``/__replica__/layout?n=2`` at run time) serves every page in a redesigned markup (``render_<site>_v2``): other
class names for title, body, read-more boxes and chrome, the read-more box as a bare ``<p>`` label then a link
paragraph, byline and date moved, the site's own meta tags gone; JSON-LD and OpenGraph stay. Same corpus,
URLs, feeds and sitemaps: a crawl of it is scored against the same gold text, and none of the selectors of
``crawler/sites`` match it (the run report's selector hit rate). ``layout=3`` serves RT in both markups other
people's public scrapers read (``render_rt_arabic_v3``: half the article pages in the newer
``main-article__*`` markup, the others in the older one with ``p.intro`` inside the body block); El Balad, with
no other markup known, as in layout 1. The site's own selectors read both (``tests/test_layout3.py``).

Controls (in process on :class:`ReplicaServer`, or over HTTP under ``/__replica__/`` on a site's port):
``set_layout(n)``; ``stall(on)`` every request blocks until un-stalled or the server stops;
``serve_articles(on)`` when off,
article URLs answer a normal page without any article (feeds still list them); ``edit(article_id)`` appends a
paragraph, moves the modified time (sitemap ``<lastmod>``, RSS date) to now and updates the gold text;
``fail(status)`` every page answers ``status``; ``reset()``; ``stats`` → ``{path: count}``; ``articles``;
``inject(kind, pattern, share=, seed=, **params)`` a fault on some paths (``faults``: 5xx, 429, resets, stalls,
truncated bodies, wrong or missing charset, empty 200, oversize bodies, gzip bombs, redirect loops, offsite
redirects, a sitemap of 100,000 URLs, malformed or entity-expanding XML, RSS that is HTML; pages standing in for
the article — challenge, access denied, paywall stub, UTF-8 twice —, a canonical link to another article,
deep markup, a link farm, dates of year 1 or 2099), ``clear_faults()``,
``injected()`` → ``{kind: requests hit}``.
``publish(count)`` adds ``count`` new regular articles published now (the newest of the site, in its feed,
sitemaps and listings).

Size: ``ReplicaServer(articles=N)`` (``arshif replica --articles N``) serves N articles per site, up to
100,000: the base corpus then older regular articles generated on demand (``older``), listed by child
sitemaps of 1,000. Feeds and sitemaps carry ``ETag`` / ``Last-Modified`` and answer conditional requests
with 304.
"""
from replica.corpus import KINDS, ReplicaArticle, build
from replica.server import ReplicaServer, run

__all__ = ["KINDS", "ReplicaArticle", "ReplicaServer", "build", "run"]
