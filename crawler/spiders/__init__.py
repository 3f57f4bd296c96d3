"""One spider per site, named by the site key; all logic is in ``base.NewsSpider``."""
from .base import NewsSpider


class RtArabicSpider(NewsSpider):
    name = "rt_arabic"


class ElbaladSpider(NewsSpider):
    name = "elbalad"


SPIDERS = {cls.name: cls for cls in (RtArabicSpider, ElbaladSpider)}
