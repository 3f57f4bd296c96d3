"""Which module serves which site: ``render_<key>.py`` beside this file, for every site of ``crawler.sites``.

A renderer module defines ``SITE`` (the site key) and ``respond(view, path, query) -> Response`` (every page,
feed, sitemap and robots.txt of the site); it may define ``build(now) -> list[ReplicaArticle]`` (the site's
articles), else the corpus is ``corpus.build(SITE, now)`` from the prose bank's ``[sites.<key>]``, and
``section_path(article) -> str`` (the path of the article's section page; default the home page).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable

from crawler.sites import SITES

from replica import corpus
from replica.corpus import ReplicaArticle
from replica.response import Response
from replica.state import SiteView

__all__ = ["Renderer", "RENDERERS", "renderer"]


@dataclass(frozen=True)
class Renderer:
    site: str
    respond: Callable[[SiteView, str, dict[str, str]], Response]
    build: Callable[[datetime], list[ReplicaArticle]]
    section_path: Callable[[ReplicaArticle], str] = lambda article: "/"   # the page of an article's section


def renderer(site: str) -> Renderer:
    """The renderer of ``site``: its module ``replica/render_<site>.py``."""
    try:
        module = importlib.import_module(f"{__package__}.render_{site}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.render_{site}":
            raise
        raise LookupError(f"site {site!r} has no replica renderer replica/render_{site}.py") from None
    if getattr(module, "SITE", None) != site:
        raise LookupError(f"replica/render_{site}.py: SITE must be {site!r}")
    return Renderer(site, module.respond, getattr(module, "build", partial(corpus.build, site)),
                    getattr(module, "section_path", lambda article: "/"))


# Every site the crawler knows, in the order of crawler.sites.SITES (with ReplicaServer(port=P) the n-th
# site listens on P + n).
RENDERERS: dict[str, Renderer] = {site: renderer(site) for site in SITES}
