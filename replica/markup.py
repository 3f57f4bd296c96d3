"""Tiny HTML builder: text is escaped unless it is already :class:`Html`."""
from __future__ import annotations

import html
import json
from typing import Any, Iterable


class Html(str):
    """A string of markup that is safe to insert as is."""


def render(child: Any) -> Html:
    if child is None or child is False:
        return Html("")
    if isinstance(child, Html):
        return child
    if isinstance(child, str):
        # quote=False: article text goes into the page verbatim (it never contains & < >).
        return Html(html.escape(child, quote=False))
    return Html("".join(render(c) for c in child))


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{html.escape(str(value), quote=True)}"')
    return "".join(out)


def el(tag: str, *children: Any, **attrs: Any) -> Html:
    """``<tag attrs>children</tag>``; attribute names: ``class_`` → ``class``, ``data_src`` → ``data-src``."""
    return Html(f"<{tag}{_attrs(attrs)}>{render(children)}</{tag}>")


def void(tag: str, **attrs: Any) -> Html:
    """An element without content (``meta``, ``link``, ``img``)."""
    return Html(f"<{tag}{_attrs(attrs)}>")


def json_ld(data: dict) -> Html:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return Html(f'<script type="application/ld+json">{text}</script>')


def script(code: str) -> Html:
    return Html(f"<script>{code}</script>")


def document(head: Iterable[Any], body: Iterable[Any], *, html_attrs: dict | None = None) -> str:
    """A whole page: ``<!DOCTYPE html><html lang="ar" dir="rtl">…``."""
    attrs = {"lang": "ar", "dir": "rtl", **(html_attrs or {})}
    return "<!DOCTYPE html>\n" + el("html", el("head", *head), el("body", *body), **attrs)
