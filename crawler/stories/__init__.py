"""Story linking across outlets: articles of either site that report the same event share a ``story_id``.

``normalize`` (Arabic folded for matching), ``features`` (terms per article), ``handoff`` (the features of
what a crawl archived, handed from its extraction workers to the linker), ``link`` (candidates,
verification, stories), ``state`` (kept in the archive under ``stories/``: incremental update, rebuild, the
readers ``load_story_ids`` and ``list_stories``).

The names below are imported on first use (PEP 562): ``link`` and ``state`` import numpy and scipy, which the
extraction workers (``features``) and the crawl's process during its runs (``handoff``) never need.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.stories.link import LinkParams
    from crawler.stories.state import Story, UpdateResult, list_stories, load_story_ids, pending, rebuild, update

_WHERE = {"LinkParams": "link", "Story": "state", "UpdateResult": "state", "list_stories": "state",
          "load_story_ids": "state", "pending": "state", "rebuild": "state", "update": "state"}

__all__ = ["LinkParams", "Story", "UpdateResult", "list_stories", "load_story_ids", "pending", "rebuild",
           "update"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"crawler.stories.{_WHERE[name]}"), name)
