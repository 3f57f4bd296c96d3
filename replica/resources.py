"""The replica's data files (``replica/data/*.toml``), read once."""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict:
    """The parsed TOML file ``data/<name>.toml`` (shared; do not mutate)."""
    with open(DATA_DIR / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)
