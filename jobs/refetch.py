"""``arshif refetch URL|ID [...]``: fetch archived (or any) articles again now and store what the page gives
through the normal path: a changed text becomes a new version (the old one is kept under ``versions/``), the
same text writes nothing. It repairs an article ``arshif verify`` found garbled.

A URL is matched to the site whose article URLs it has the form of; an ID (20 hex digits) is looked up in
the archive and fetched from the site's current ``base_url``, whatever host it was archived from (the id
names the site's article, not its address: after ``make demo``, ``arshif refetch ID`` fetches the real
site's page). The run is a site's run like a crawl's (its lock, its report of ``kind: "refetch"`` listing
what it wrote), without discovery; exit codes as ``arshif crawl``.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
from urllib.parse import urlsplit

from crawler.archive.storage import open_archive
from crawler.archive.storage.keys import articles_prefix
from crawler.config import SettingsError
from crawler.logs import setup_logging
from crawler.run.session import run_crawl
from crawler.sites import get_site
from crawler.urls import article_id, canonicalize, is_article_url, same_site
from jobs.options import settings_from


_ID = re.compile(r"^[0-9a-f]{20}$")
log = logging.getLogger("arshif.refetch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="URL|ID", help="article URLs or archived article ids")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def _site_of_url(settings, url: str) -> tuple[str, str]:
    for site, cfg in settings.sites.items():
        spec = get_site(site)
        canonical = canonicalize(url, cfg.base_url, spec)
        if is_article_url(canonical, cfg.base_url, spec):
            return site, canonical
    raise SettingsError(f"refetch: {url} is not an article URL of any configured site")


def _archived(archive, settings, article: str) -> tuple[str, str]:
    """(site, URL to fetch) of the archived article ``article``: its canonical URL, on the site's current
    ``base_url`` when it was archived from another host (a replica's, after ``make demo``; an old base URL)."""
    for site in settings.sites:
        for key in archive.list(articles_prefix(site)):
            if key.endswith(f"/{article}.json"):
                data = archive.get(key)
                url = json.loads(data).get("canonical_url") if data else None
                if not url:
                    raise SettingsError(f"refetch: {key} cannot be read")
                return site, _on_current_base(settings, site, article, url)
    raise SettingsError(f"refetch: no archived article has the id {article}")


def _on_current_base(settings, site: str, article: str, url: str) -> str:
    """``url`` moved to the site's current ``base_url`` (the same article: its id is the site's article number,
    whatever the host), or ``url`` itself when it is on it. The crawl fetches only the site's own hosts: an
    article archived from another one would be dropped unfetched, and the run would say ok with nothing done."""
    base, spec = settings.sites[site].base_url, get_site(site)
    if same_site(url, base, spec):
        return url
    segments = urlsplit(url).path.split("/")[1:]
    for start in range(len(segments)):          # the old base URL's path prefix, if it had one, goes
        path = "/" + "/".join(segments[start:])
        if spec.is_article_path(path):
            moved = canonicalize(base + path, base, spec)
            if article_id(moved, base, spec) == article:
                log.info("refetch: %s was archived from %s, not from sites.%s.base_url: fetching %s", article,
                         url, site, moved)
                return moved
    raise SettingsError(f"refetch: {article} was archived from {url}, which is not an article URL of "
                        f"sites.{site}.base_url {base}")


def resolve(settings, archive, targets: list[str]) -> dict[str, list[str]]:
    """site → canonical article URLs to fetch again."""
    wanted: dict[str, list[str]] = {}
    for target in targets:
        site, url = _archived(archive, settings, target) if _ID.match(target) else _site_of_url(settings, target)
        if url not in wanted.setdefault(site, []):
            wanted[site].append(url)
    return wanted


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    archive = open_archive(settings.archive.url, settings)
    try:
        wanted = resolve(settings, archive, args.targets)
    finally:
        archive.close()
    code, _ = run_crawl(settings, list(wanted), refetch=wanted)
    return code
