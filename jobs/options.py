"""What every command does with its arguments first: the validated settings of this invocation
(``settings_from``) and the sites it names (``check_sites``). Shared by the command modules; imports only
``crawler.config``."""
from __future__ import annotations

import argparse

from crawler.config import Settings, SettingsError, load_settings


def settings_from(args: argparse.Namespace, **overrides) -> Settings:
    """Validated settings for this invocation: --settings FILE, then ARSHIF_*, then ``--archive``."""
    tree: dict = {}
    archive = getattr(args, "archive", None)
    if archive:
        tree["archive"] = {"url": archive}
    for dotted, value in overrides.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return load_settings(getattr(args, "settings", None), overrides=tree)


def check_sites(settings: Settings, names: list[str]) -> list[str]:
    """``names`` without repeats (default: every enabled site); a SettingsError naming an unknown one."""
    if not names:
        names = settings.enabled_sites()
        if not names:
            raise SettingsError("settings: sites: no site is enabled")
    for name in names:
        if name not in settings.sites:
            raise SettingsError(f"unknown site {name!r} (known: {', '.join(sorted(settings.sites))})")
    return list(dict.fromkeys(names))
