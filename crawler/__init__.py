"""arshif's crawler: the Scrapy project (spiders, pipelines, middlewares), extraction, cleaning, archive.

``crawler.__version__`` is the version in pyproject.toml (the one place it is written), as the installed
package's metadata gives it; read when first asked for (every extraction worker imports this package)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arshif")
    except PackageNotFoundError:        # a checkout on PYTHONPATH, never installed: its pyproject.toml
        import tomllib

        try:
            with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as fh:
                return tomllib.load(fh)["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
