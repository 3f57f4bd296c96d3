"""Settings: one source of truth.

Layers, lowest first: each site's module (``crawler/sites/<key>.py``: its base URL and discovery paths), the
project's ``settings.toml`` (every other default), the user's file (``--settings FILE`` or ``ARSHIF_SETTINGS``;
it need only set the keys it changes), ``ARSHIF_<SECTION>__<KEY>`` environment variables, then the command
line. pydantic-settings reads and merges the layers; the result is validated once, at start; a problem raises
:class:`SettingsError` whose message is one line naming the key (and where its value came from).
"""
from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)

from crawler.outcomes import NotArticle
from crawler.sites import SITES, SiteSpec, get_site

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


def parse_file_mode(value: Any) -> int | None:
    """'' (what the umask allows) or an octal file mode like '0640' → the mode."""
    text = str(value).strip()
    if not text:
        return None
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if mode < 0 or mode & ~0o666 or mode & 0o600 != 0o600:
        raise ValueError(f"expected an octal file mode like '0640' (owner read and write, no execute or special "
                         f"bits), or '' for what the umask allows, got {value!r}")
    return mode


class ArchiveSettings(_Section):
    url: Annotated[str, BeforeValidator(lambda v: check_archive_url(str(v)))] = "file://./archive"
    state_dir: str = "./state"
    file_mode: Annotated[int | None, BeforeValidator(parse_file_mode)] = None
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
    sitemap_maxsize: int = Field(52428800, ge=1024)
    retry_times: int = Field(2, ge=0, le=20)
    max_failed_share: float = Field(0.1, ge=0, le=1)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(2.0, gt=0)
    autothrottle_max_delay: Duration = 30.0
    extract_workers: int = Field(0, ge=0, le=64)
    extract_worker_max_rss_mb: int = Field(512, ge=0)
    recheck_not_article: Duration = 604800.0
    recheck_transient: Duration = 3600.0
    conditional_discovery: bool = True
    progress_interval: Duration = 30.0

    @field_validator("user_agent")
    @classmethod
    def _version_in_user_agent(cls, v: str) -> str:
        """``{version}`` is arshif's version (pyproject.toml), so the User-Agent never names an old one."""
        if "{version}" not in v:
            return v
        from crawler import __version__

        return v.replace("{version}", __version__)


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
    source_failures: int = Field(3, ge=1)


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
    module (``crawler/sites/<key>.py``), the lowest layer of settings (``_site_modules``)."""

    enabled: bool = True
    base_url: HttpUrl
    feeds: list[str]
    sitemaps: list[str]
    listings: list[str]
    lookback_days: float = Field(3, gt=0)
    max_pages: int = Field(2000, ge=1)
    listing_pages: int = Field(3, ge=1)
    # completeness by id continuity (crawler/discover/ids.py); the site module's id_url says whether and how
    id_probes: int = Field(200, ge=0)               # requests per run probing holes in the article numbers (0: off)
    id_window: int = Field(3000, ge=10, le=1_000_000)   # the range: the newest N article numbers
    id_rechecks: int = Field(3, ge=1)               # times a gap is found so before it is closed
    id_sparse_below: float = Field(0.5, gt=0, le=1)   # a density below this is sparse: the budget follows it
    cron: str | None = None
    every: Duration | None = None
    schedule_timezone: str = "UTC"
    time_limit: Duration = 1500.0
    # the feed watch between full runs (feeds only, conditional; 0 = off) and the revisits after publication
    watch_every: Duration = Field(180.0, ge=0)
    # numbers each watch probes at most: the newest holes since the last full run (crawler/discover/ids.py); a
    # site publishing N numbers a day gives N × watch_every / 86400 new ones a watch (El Balad ~1,000 a day: ~2
    # every 3 min; RT ~300: under 1), the holes among them fewer still: default_settings.toml sizes it per site
    watch_id_probes: int = Field(5, ge=0)
    revisit_after: list[Duration] = Field(default_factory=lambda: [3600.0, 21600.0, 86400.0, 259200.0, 604800.0])
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

    @field_validator("revisit_after")
    @classmethod
    def _revisit_after(cls, v: list[float]) -> list[float]:
        if any(d <= 0 for d in v):
            raise ValueError("every revisit delay must be a positive duration")
        if v != sorted(set(v)):
            raise ValueError(f"expected increasing delays after publication like [\"1h\", \"6h\", \"24h\"], got {v!r}")
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True, env_prefix=ENV_PREFIX, env_nested_delimiter="__")

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
        for key in sites if isinstance(sites, dict) else ():
            if key not in SITES:
                raise ValueError(f"unknown site {key!r} (known: {', '.join(sorted(SITES))})")
        return sites

    def enabled_sites(self) -> list[str]:
        return [key for key, site in self.sites.items() if site.enabled]

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **_: Any) -> tuple[PydanticBaseSettingsSource, ...]:
        """The layers, highest first (pydantic-settings merges them table by table)."""
        load = _LOADING.get(None) or _Load(os.environ.get(ENV_SETTINGS_FILE), os.environ, [])
        layers: list[tuple[Callable[[], dict], Callable[[tuple], str]]] = [
            (init_settings, lambda loc: "command line"),
            (_Environment(settings_cls, load.environ),
             lambda loc: f"environment variable {ENV_PREFIX}{'__'.join(loc).upper()}"),
        ]
        if load.user_file:
            layers.append((_toml_file(settings_cls, load.user_file), lambda loc: f"settings file {load.user_file}"))
        layers.append((_toml_file(settings_cls, DEFAULTS_FILE), lambda loc: f"defaults {DEFAULTS_FILE.name}"))
        layers.append((_site_modules, lambda loc: f"site module crawler/sites/{loc[1]}.py"))
        return tuple(_Layer(settings_cls, source, where, load.read) for source, where in layers)


@dataclass(frozen=True)
class SiteConfig:
    """One site's settings for its crawl, the one settings object the crawl's components read (``from_crawler``:
    ``crawler.components.config_from``): the site's validated section (``site``: ``[sites.<key>]``), its spec
    (``spec``: ``crawler/sites/<key>.py``) and the sections every site is crawled with (``crawl``, ``status``)."""

    spec: SiteSpec
    site: SiteSettings
    crawl: CrawlSettings
    status: StatusSettings

    @classmethod
    def of(cls, settings: "Settings", key: str) -> "SiteConfig":
        return cls(get_site(key), settings.sites[key], settings.crawl, settings.status)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def transient_backoff(self, answer: NotArticle, attempts: int) -> timedelta:
        """How long a page that was not the article ``attempts`` times in a row waits before it is fetched
        again, doubling from ``crawl.recheck_transient``, never past the look-back (an article is wanted within
        it): a page known to stand in for the article (a challenge, a garbled text: ``answer.rejected``) is
        fetched by the very next run the first time; a page without body or title (a video page, or a page
        cut short) waits ``recheck_transient`` first. ``crawl.recheck_not_article`` bounds it too (freshness)."""
        base = self.crawl.recheck_transient
        steps = 2 ** min(attempts - 1, 32) - (1 if answer.rejected else 0)
        return timedelta(seconds=min(base * steps, self.site.lookback_days * 86400))


# ---------------------------------------------------------------------------------------------- loading


@dataclass
class _Load:
    """One reading of the settings: its inputs, and what each layer gave (highest first) to name in errors."""

    user_file: str | None
    environ: Mapping[str, str]
    read: list[tuple[dict, Callable[[tuple], str]]]


_LOADING: ContextVar[_Load] = ContextVar("arshif_settings_load")


class _Layer(PydanticBaseSettingsSource):
    """A source of settings that remembers what it gave and names where it came from (``where(key path)``).
    A site's schedule comes whole from the highest layer that sets `cron` or `every`: a layer setting `cron`
    replaces a lower layer's `every`, and the reverse."""

    def __init__(self, settings_cls: type[BaseSettings], source: Callable[[], dict],
                 where: Callable[[tuple], str], read: list) -> None:
        super().__init__(settings_cls)
        self.source, self.where, self.read = source, where, read

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False           # unused: __call__ gives the whole layer

    def __call__(self) -> dict:
        data = self.source()
        sites, above = data.get("sites"), self.current_state.get("sites")
        if isinstance(sites, dict) and isinstance(above, dict):
            data = data | {"sites": {key: _without_schedule(site) if _has_schedule(above.get(key)) else site
                                     for key, site in sites.items()}}
        self.read.append((data, self.where))
        return data


def _has_schedule(site: Any) -> bool:
    return isinstance(site, dict) and any(key in site for key in SCHEDULE_KEYS)


def _without_schedule(site: Any) -> Any:
    return {k: v for k, v in site.items() if k not in SCHEDULE_KEYS} if isinstance(site, dict) else site


def _toml_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


class _Environment(EnvSettingsSource):
    """``ARSHIF_<SECTION>__<KEY>`` variables of ``environ``, each read as a TOML value when it parses as one
    (numbers, true/false, ["lists"], "quoted strings"), as a plain string otherwise."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {name.lower(): _toml_value(raw) for name, raw in environ.items()
                         if name.startswith(ENV_PREFIX) and name != ENV_SETTINGS_FILE}

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        return value                             # decoded above

    def __call__(self) -> dict:
        for name in self.env_vars:               # what pydantic-settings would skip silently
            path = name[len(ENV_PREFIX):].split("__")
            if not all(path):
                raise SettingsError(f"environment variable {name.upper()}: empty name part (use one '__' between keys)")
            if path[0] not in self.settings_cls.model_fields:
                raise SettingsError(f"settings: {path[0]}: unknown key (from environment variable {name.upper()})")
        return super().__call__()


def _toml_file(settings_cls: type[BaseSettings], path: str | os.PathLike) -> TomlConfigSettingsSource:
    path = Path(path)
    if not path.is_file():                       # pydantic-settings would read it as empty
        raise SettingsError(f"settings file {path}: {'is a directory' if path.is_dir() else 'not found'}")
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path}: not valid TOML: {exc}") from None


def _site_modules() -> dict:
    """Each known site's defaults from its module: a site no settings file names is crawled with these."""
    return {"sites": {key: {"base_url": spec.default_base_url, "feeds": list(spec.feeds),
                            "sitemaps": list(spec.sitemaps), "listings": list(spec.listings)}
                      for key, spec in SITES.items()}}


def _format_error(exc: ValidationError, read: list[tuple[dict, Callable[[tuple], str]]]) -> str:
    err = exc.errors()[0]
    loc = tuple(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing"
    where = ""
    for data, name in read:                      # the highest layer that has this key names it, if a value
        node: Any = data
        for part in loc:
            node = node.get(part, ...) if isinstance(node, dict) else ...
        if node is not ...:
            where = "" if isinstance(node, dict) else f" (from {name(loc)})"
            break
    return f"settings: {'.'.join(loc) or 'settings'}: {msg}{where}"


def load_settings(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build validated settings from the sites' modules, defaults, the user's file, the environment and
    ``overrides`` (a nested dict applied last: the command line's ``--archive`` and the like)."""
    environ = os.environ if environ is None else environ
    load = _Load(str(path) if path else environ.get(ENV_SETTINGS_FILE), environ, [])
    token = _LOADING.set(load)
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_format_error(exc, load.read)) from None
    finally:
        _LOADING.reset(token)
