"""What the extraction workers' fork server loads once, so that every worker it forks starts with it
(``crawler.extract.workers``): the extractor's modules, story linking's terms (``crawler.stories.features``),
and dateparser's locale data and compiled patterns for the sites' time zones, which each worker otherwise
built on its first page (~0.5 s of CPU in each worker)."""
from crawler import dates
from crawler.extract import page
from crawler.sites import SITES
from crawler.stories import features

__all__ = ["features", "page"]      # what the workers run

dates.warm(tuple(spec.timezone for spec in SITES.values()))
