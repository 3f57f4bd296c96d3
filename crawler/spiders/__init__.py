"""The spider: one class for every site (``base.NewsSpider``), named at start by the site of its run."""
from .base import NewsSpider

__all__ = ["NewsSpider"]
