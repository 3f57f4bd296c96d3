"""Logging for operators: stderr (journald, docker, kubernetes pick it up), ``text`` or ``json`` (one object
per line), an optional rotating file. Every line carries ``site`` and ``run_id`` when known; Scrapy's own
chatter is held at ``logging.scrapy_level``.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime, timezone

_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        extras = {k: v for k, v in vars(record).items() if k not in _STD and not k.startswith("_")}
        ctx = " ".join(f"{k}={v}" for k, v in extras.items())
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}" + (f" [{ctx}]" if ctx else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({k: v for k, v in vars(record).items() if k not in _STD and not k.startswith("_")})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def setup_logging(settings) -> None:
    """Configure the root logger from ``settings.logging``; safe to call more than once."""
    cfg = settings.logging
    formatter = JsonFormatter() if cfg.format == "json" else TextFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if cfg.file:
        handlers.append(logging.handlers.RotatingFileHandler(
            cfg.file, maxBytes=cfg.file_max_bytes, backupCount=cfg.file_backups, encoding="utf-8"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(cfg.level)
    for name in ("scrapy", "twisted", "py.warnings", "botocore", "boto3", "urllib3", "s3transfer", "trafilatura",
                 "htmldate", "courlan", "charset_normalizer", "apscheduler", "filelock"):
        logging.getLogger(name).setLevel(cfg.scrapy_level if name in ("scrapy", "twisted", "py.warnings") else
                                         max(logging.WARNING, logging.getLevelName(cfg.level)))
