"""Log lines that carry their context: ``site`` and ``run_id`` on every line of a site's run."""
from __future__ import annotations

import logging


class SiteLogger(logging.LoggerAdapter):
    """Stamps ``site`` and ``run_id`` on every line, keeping the caller's own ``extra=`` (which the standard
    adapter of Python 3.11 drops)."""

    def process(self, msg, kwargs):
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}
        return msg, kwargs


def site_logger(logger: logging.Logger, site: str, run_id: str | None = None) -> SiteLogger:
    return SiteLogger(logger, {"site": site, "run_id": run_id} if run_id else {"site": site})
