"""One site's run: its shared state (``site_run``: ``open_run`` builds a ``SiteRun``), the Scrapy settings it
runs with (``scrapy_settings``), its report (``report``, stored by ``report_extension`` at the end), the
uploader it writes through (``uploads``) and the settling of runs that died (``dead_runs``)."""
