"""The workers of an existing Dask cluster as re-extraction's executor."""
from __future__ import annotations

from typing import Any, Callable


class DaskExecutor:
    """The workers of an existing Dask cluster (``dask.distributed``); arshif must be installed on them. They
    get the captures with the tasks, so they need no access to the archive."""

    def __init__(self, address: str, timeout: float = 10):
        from distributed import Client

        self.address = address
        self.client = Client(address, timeout=timeout, set_as_default=False)

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (its workers' threads)."""
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or 1

    def submit(self, fn: Callable[..., Any], *args: Any):
        return self.client.submit(fn, *args, pure=False)

    def close(self) -> None:
        self.client.close()
