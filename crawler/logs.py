"""Logging for operators: stderr (journald, docker and kubernetes pick it up), ``text`` or ``json`` (one object
per line), an optional rotating file. A line carries ``site`` and ``run_id`` when known (pass them with
``extra=`` or log through ``crawler.logctx.site_logger``); Scrapy's own chatter is held at
``logging.scrapy_level``.

Secrets never reach a line: credentials in URLs (``scheme://user:password@host``) and the values of secret
environment variables (``AWS_SECRET_ACCESS_KEY``, ``*_TOKEN``, ``*_PASSWORD``…) are replaced by ``***``.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
from datetime import datetime, timezone

_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY", re.I)
#: shorter values are not masked: they would mask ordinary words and numbers
_MIN_SECRET_LEN = 6
# third-party loggers held at WARNING (or the configured level when it is stricter)
_QUIET = ("botocore", "boto3", "urllib3", "s3transfer", "trafilatura", "htmldate", "courlan",
          "charset_normalizer", "apscheduler", "filelock")
# Scrapy and its reactor: ``logging.scrapy_level``
_SCRAPY = ("scrapy", "twisted", "py.warnings")
_RETRY = "scrapy.downloadermiddlewares.retry"
# APScheduler's line for a tick skipped by a job still running (apscheduler.schedulers.base, max_instances)
_SKIPPED_TICK = 'Execution of job "%s" skipped: maximum number of running instances reached'


class ScrapyLevelFilter(logging.Filter):
    """Holds Scrapy's and Twisted's records at ``logging.scrapy_level`` on our handlers, whatever levels
    Scrapy's own logging set-up gives its loggers. Below DEBUG their network errors stay one line (the
    traceback of a refused connection tells an operator nothing), and the retry middleware's "gave up" lines
    are left to arshif's own one line per failed page."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(_SCRAPY):
            return True
        if record.levelno < self.level or (record.name == _RETRY and self.level > logging.DEBUG):
            return False
        if self.level > logging.DEBUG and record.exc_info and _is_network_error(record.exc_info[1]):
            record.exc_info = record.exc_text = None
        return True


class SchedulerTimesFilter(logging.Filter):
    """APScheduler names a job in its lines by ``str(job)``, whose next run time is in the schedule's time zone
    (``… next run at: 2026-12-07 16:12:18 EET``), and passes run times as they are: in its records, every such
    time is UTC and written like every other time in our lines. Its line for every tick a running job skips is
    dropped: ``jobs.service.overruns`` says an overrun once when it begins and once when it ends."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and str(record.msg).startswith(_SKIPPED_TICK):
            return False
        if record.name.startswith("apscheduler") and isinstance(record.args, tuple):
            record.args = tuple(_in_utc(arg) for arg in record.args)
        return True


def _in_utc(arg):
    from apscheduler.job import Job          # imported already: this is one of its records

    if isinstance(arg, datetime):
        return utc_iso(arg)
    if isinstance(arg, Job):
        when = getattr(arg, "next_run_time", None)
        return f"{arg.name} (trigger: {arg.trigger}, next run at: {utc_iso(when) if when else 'paused'})"
    return arg


def utc_iso(when: datetime) -> str:
    """``2026-11-23T11:40:02Z``: how arshif writes a time for people (log lines, ``arshif status``)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_network_error(exc: BaseException | None) -> bool:
    from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError

    while exc is not None:
        if isinstance(exc, (ConnectError, ConnectionLost, DNSLookupError, TimeoutError)) or \
                type(exc).__name__ in ("ResponseNeverReceived", "ResponseFailed", "DownloadTimeoutError",
                                       "DownloadConnectionRefusedError", "CannotResolveHostError"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Redactor:
    """Masks URL credentials and the values of secret environment variables in a line."""

    def __init__(self, environ=os.environ):
        values = {v for k, v in environ.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
        self._values = re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True)))) if values else None

    def __call__(self, text: str) -> str:
        text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
        return self._values.sub("***", text) if self._values else text


def _extras(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """``2026-11-23T11:40:02Z INFO    arshif.serve: message [site=elbalad run_id=…]``. Structured extras
    (dicts, lists) are left to the JSON format."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        when = utc_iso(datetime.fromtimestamp(record.created, timezone.utc))
        ctx = " ".join(f"{k}={v}" for k, v in _extras(record).items() if not isinstance(v, (dict, list, tuple)))
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}" + (f" [{ctx}]" if ctx else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then every extra (site, run_id, url, counts…)."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(_extras(record))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(doc, ensure_ascii=False, default=str))


def setup_logging(settings) -> None:
    """Configure the root logger from ``settings.logging``; safe to call more than once."""
    cfg = settings.logging
    redact = Redactor()
    formatter = JsonFormatter(redact) if cfg.format == "json" else TextFormatter(redact)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if cfg.file:
        handlers.append(logging.handlers.RotatingFileHandler(
            cfg.file, maxBytes=cfg.file_max_bytes, backupCount=cfg.file_backups, encoding="utf-8"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if getattr(old, "_arshif", False):
            old.close()
    for handler in handlers:
        handler._arshif = True
        handler.setFormatter(formatter)
        handler.addFilter(ScrapyLevelFilter(logging.getLevelName(cfg.scrapy_level)))
        handler.addFilter(SchedulerTimesFilter())
        root.addHandler(handler)
    root.setLevel(cfg.level)
    for name in _SCRAPY:
        logging.getLogger(name).setLevel(cfg.scrapy_level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(cfg.level)))
