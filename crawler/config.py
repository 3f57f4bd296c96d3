"""Settings: one source of truth.

Layers, lowest first: the project's ``settings.toml`` (every default), the user's file (``--settings FILE`` or
``ARSHIF_SETTINGS``; it need only set the keys it changes), then ``ARSHIF_<SECTION>__<KEY>`` environment
variables. The merged result is validated once, at start; a problem raises :class:`SettingsError` whose
message is one line naming the key (and where its value came from).
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.sites import SITES

# The project's settings.toml; the package reaches it through a link, which a wheel turns into a copy.
DEFAULTS_FILE = Path(__file__).resolve().parent / "default_settings.toml"
ENV_PREFIX = "ARSHIF_"
ENV_SETTINGS_FILE = "ARSHIF_SETTINGS"
SCHEDULE_KEYS = ("cron", "every")
DEFAULT_EVERY = 1800.0      # a site's schedule when its settings set neither `cron` nor `every` (30m)


class SettingsError(Exception):
    """A setting is missing, unknown or wrong. ``str()`` is one line for the operator."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """'90s', '45m', '2h', '1d', '250ms' or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '30s', '45m', '2h'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration like '30s', '45m', '2h', got {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def human_duration(seconds: float) -> str:
    """The inverse of ``parse_duration``: 1500 → '25m', 5400 → '1h30m', 90 → '1m30s', 4.48 → '4.5s'."""
    if seconds < 60 and seconds != int(seconds):
        return f"{round(seconds, 1):g}s"
    rest = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL with a host, got {value!r}")
    return value.rstrip("/")


HttpUrl = Annotated[str, BeforeValidator(lambda v: _http_url(str(v)))]

_BUCKET = re.compile(r"^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$")


def check_archive_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "file":
        if not (parts.netloc + parts.path):
            raise ValueError("file:// URL has no path")
        return value
    if parts.scheme == "s3":
        bucket = parts.netloc
        if not _BUCKET.match(bucket) or ".." in bucket or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
            raise ValueError(
                f"bad bucket name {bucket!r}: 3-63 characters, lowercase letters, digits, '.' and '-', "
                "starting and ending with a letter or digit"
            )
        return value
    raise ValueError(f"expected file://PATH or s3://BUCKET/PREFIX, got {value!r}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class S3Settings(_Section):
    endpoint_url: str = ""
    region: str = "us-east-1"
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    verify_tls: bool = True
    ca_bundle: str = ""
    retry_mode: Literal["standard", "adaptive", "legacy"] = "standard"
    max_attempts: int = Field(5, ge=1, le=20)
    connect_timeout: Duration = 5.0
    read_timeout: Duration = 30.0
    upload_workers: int = Field(8, ge=1, le=128)
    lease: Duration = 900.0

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        return _http_url(v) if v else v


class ArchiveSettings(_Section):
    url: Annotated[str, BeforeValidator(lambda v: check_archive_url(str(v)))] = "file://./archive"
    state_dir: str = "./state"
    warc_max_bytes: int = Field(104857600, ge=1024)
    s3: S3Settings = S3Settings()


class CrawlSettings(_Section):
    obey_robots: bool = True
    user_agent: str = Field(min_length=1)
    concurrent_requests: int = Field(16, ge=1, le=512)
    concurrent_requests_per_domain: int = Field(4, ge=1, le=64)
    download_delay: Duration = 0.25
    download_timeout: Duration = 30.0
    download_maxsize: int = Field(10485760, ge=1024)
    retry_times: int = Field(2, ge=0, le=20)
    max_failed_share: float = Field(0.1, ge=0, le=1)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(2.0, gt=0)
    autothrottle_max_delay: Duration = 30.0
    extract_workers: int = Field(0, ge=0, le=64)
    recheck_not_article: Duration = 604800.0
    conditional_discovery: bool = True


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"
    file: str = ""
    file_max_bytes: int = Field(10485760, ge=1024)
    file_backups: int = Field(5, ge=0)
    scrapy_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("level", "scrapy_level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class ServiceSettings(_Section):
    grace: Duration = 60.0
    stop_timeout: Duration = 30.0
    metrics_port: int = Field(0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    metrics_textfile: str = ""


class StatusSettings(_Section):
    no_new_runs: int = Field(3, ge=1)
    max_undated_share: float = Field(0.2, ge=0, le=1)
    max_short_share: float = Field(0.2, ge=0, le=1)
    short_words: int = Field(80, ge=1)
    min_selector_hit_rate: float = Field(0.5, ge=0, le=1)


class DatasetSettings(_Section):
    compact_after_run: bool = True
    read_workers: int = Field(8, ge=1, le=128)
    keep_replaced: Duration = 3600.0


class StoriesSettings(_Section):
    enabled: bool = True
    threshold: float = Field(0.25, gt=0, le=1)
    same_site_threshold: float = Field(0.5, gt=0, le=1)
    min_shared: int = Field(2, ge=0, le=12)
    candidate_threshold: float = Field(0.1, gt=0, lt=1)
    window: Duration = 129600.0

    @field_validator("window")
    @classmethod
    def _window(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be a positive duration")
        return v


class SiteSettings(_Section):
    """What an operator changes about a site. ``base_url`` and the discovery paths default to the site's
    module (``crawler/sites/<key>.py``), filled in by ``Settings`` before validation."""

    enabled: bool = True
    base_url: HttpUrl
    feeds: list[str]
    sitemaps: list[str]
    listings: list[str]
    lookback_days: float = Field(3, gt=0)
    max_pages: int = Field(2000, ge=1)
    listing_pages: int = Field(3, ge=1)
    cron: str | None = None
    every: Duration | None = None
    schedule_timezone: str = "UTC"
    time_limit: Duration = 1500.0
    # Renamed in 0.2 (it read as the site's own time zone, which is SiteSpec.timezone): refused with a line
    # that names the new key.
    timezone: None = Field(None, exclude=True)

    @field_validator("timezone", mode="before")
    @classmethod
    def _renamed_timezone(cls, v: Any) -> None:
        raise ValueError(
            f"renamed to 'schedule_timezone' (the time zone of the schedule); write schedule_timezone = {v!r}"
        )

    @field_validator("feeds", "sitemaps", "listings")
    @classmethod
    def _relative_paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/") or "://" in path:
                raise ValueError(f"expected a path relative to base_url starting with '/', got {path!r}")
        return paths

    @field_validator("schedule_timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if len(v.split()) != 5:
            raise ValueError(f"expected a 5-field crontab like '*/30 * * * *', got {v!r}")
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as exc:
            raise ValueError(f"bad crontab {v!r}: {exc}") from None
        return v

    @field_validator("every")
    @classmethod
    def _every(cls, v: float | None) -> float | None:
        if v is not None and v <= 0:
            raise ValueError("must be a positive duration")
        return v

    @model_validator(mode="after")
    def _some_discovery(self) -> "SiteSettings":
        if not (self.feeds or self.sitemaps or self.listings):
            raise ValueError("give at least one discovery source: feeds, sitemaps or listings")
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_schedule(cls, given: Any) -> Any:
        if isinstance(given, dict) and given.get("cron") is None and given.get("every") is None:
            return given | {"every": DEFAULT_EVERY}
        return given

    @model_validator(mode="after")
    def _one_schedule(self) -> "SiteSettings":
        if self.cron is not None and self.every is not None:
            raise ValueError("set exactly one of 'cron' or 'every'")
        return self

    def url(self, path: str) -> str:
        return self.base_url + path


class Settings(_Section):
    archive: ArchiveSettings
    crawl: CrawlSettings
    logging: LoggingSettings
    service: ServiceSettings
    status: StatusSettings
    dataset: DatasetSettings = DatasetSettings()
    stories: StoriesSettings = StoriesSettings()
    sites: dict[str, SiteSettings]

    @field_validator("sites", mode="before")
    @classmethod
    def _known_sites(cls, sites: Any) -> Any:
        """Refuse unknown sites; under each site's settings, put the defaults its module defines. A site
        whose module exists but that no layer mentions gets its module's defaults (a new site is crawled
        without a settings entry)."""
        if not isinstance(sites, dict):
            return sites
        for key in sites:
            if key not in SITES:
                raise ValueError(f"unknown site {key!r} (known: {', '.join(sorted(SITES))})")
        filled = {}
        for key, given in {**sites, **{key: {} for key in SITES if key not in sites}}.items():
            spec = SITES[key]
            defaults = {"base_url": spec.default_base_url, "feeds": list(spec.feeds),
                        "sitemaps": list(spec.sitemaps), "listings": list(spec.listings)}
            filled[key] = defaults | given if isinstance(given, dict) else given
        return filled

    def enabled_sites(self) -> list[str]:
        return [key for key, site in self.sites.items() if site.enabled]


# ---------------------------------------------------------------------------------------------- loading


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"settings file {path}: not found") from None
    except IsADirectoryError:
        raise SettingsError(f"settings file {path}: is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path}: not valid TOML: {exc}") from None


def _merge(base: dict, over: Mapping, origin: dict, source: str, prefix: str = "") -> None:
    """Overlay ``over`` onto ``base`` in place, recording each leaf's ``source`` in ``origin``."""
    # A layer that sets one schedule key replaces the other from lower layers.
    if prefix.startswith("sites.") and prefix.count(".") == 1 and any(k in over for k in SCHEDULE_KEYS):
        for key in SCHEDULE_KEYS:
            if key not in over:
                base.pop(key, None)
    for key, value in over.items():
        dotted = f"{prefix}{key}" if not prefix else f"{prefix}.{key}"
        if isinstance(value, Mapping):
            target = base.setdefault(key, {})
            if not isinstance(target, dict):
                raise SettingsError(f"settings: {dotted}: expected a value, got a table (from {source})")
            _merge(target, value, origin, source, dotted)
        else:
            base[key] = value
            origin[dotted] = source


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _env_layer(environ: Mapping[str, str]) -> dict[str, tuple[dict, str]]:
    layers = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name == ENV_SETTINGS_FILE:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        if not all(path):
            raise SettingsError(f"environment variable {name}: empty name part (use one '__' between keys)")
        tree: dict = {}
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(raw)
        layers[name] = (tree, f"environment variable {name}")
    return layers


def _format_error(exc: ValidationError, origin: dict) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
    key = ".".join(loc) or "settings"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing"
    source = origin.get(key)
    where = f" (from {source})" if source else ""
    return f"settings: {key}: {msg}{where}"


def load_settings(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build validated settings from defaults, the user's file, the environment and ``overrides``.

    ``overrides`` is a nested dict applied last (the command line's ``--archive`` and the like).
    """
    environ = os.environ if environ is None else environ
    origin: dict[str, str] = {}
    merged: dict = {}
    _merge(merged, _read_toml(DEFAULTS_FILE), origin, f"defaults {DEFAULTS_FILE.name}")
    user_file = path or environ.get(ENV_SETTINGS_FILE)
    if user_file:
        _merge(merged, _read_toml(Path(user_file)), origin, f"settings file {user_file}")
    for tree, source in _env_layer(environ).values():
        _merge(merged, tree, origin, source)
    if overrides:
        _merge(merged, overrides, origin, "command line")
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError(_format_error(exc, origin)) from None
