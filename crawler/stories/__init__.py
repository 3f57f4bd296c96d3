"""Story linking across outlets: articles of either site that report the same event share a ``story_id``.

``normalize`` (Arabic folded for matching), ``features`` (terms per article), ``link`` (candidates,
verification, stories), ``state`` (kept in the archive under ``stories/``: incremental update, rebuild, the
readers ``load_story_ids`` and ``list_stories``).
"""
from crawler.stories.link import LinkParams
from crawler.stories.state import Story, UpdateResult, list_stories, load_story_ids, pending, rebuild, update

__all__ = ["LinkParams", "Story", "UpdateResult", "list_stories", "load_story_ids", "pending", "rebuild",
           "update"]
