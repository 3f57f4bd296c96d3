"""One crawl and its sites' runs. ``session`` runs a crawl step by step (lock, settle the dead runs, crawl, link
stories, compact, report); ``lock`` keeps one crawl per site (its lock file and the archive's lease);
``after_run`` links the stories and compacts the dataset days the runs changed. A site's run: its resources
(``site_run``: ``open_run`` builds a ``SiteRun``), the Scrapy settings it runs with (``scrapy_settings``), its
report (``report``, stored by ``report_extension`` at the end), the uploader it writes through (``uploads``), the
item pipeline that hands a valid record to the run's index and uploader (``archive_pipeline``) and the settling
of runs that died (``dead_runs``).

May import every stage of ``crawler`` (discover, fetch, extract, archive), ``dataset`` and ``stories``; no stage
imports it (``tests/test_layers.py``), nor anything of ``jobs``."""
