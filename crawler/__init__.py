"""arshif's crawler: the Scrapy project (spiders, pipelines, middlewares), extraction, cleaning, archive."""
__version__ = "0.1.0"
