"""The workers of an existing Dask cluster as re-extraction's executor."""
from __future__ import annotations

import pickle
import uuid
from typing import Any, Callable


class DaskExecutor:
    """The workers of an existing Dask cluster (``dask.distributed``); arshif must be installed on them. They
    get the captures with the tasks, so they need no access to the archive."""

    #: captures a task by default: a Dask task costs ~4 ms of CPU of its own (client, scheduler and worker, measured
    #: on a 2-worker ``LocalCluster``) against ~0.15 ms for the local pool's, so twice the local pool's batch
    batch = 64

    def __init__(self, address: str, timeout: float = 10):
        from distributed import Client

        self.address = address
        self.client = Client(address, timeout=timeout, set_as_default=False)

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (its workers' threads)."""
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or 1

    def submit(self, fn: Callable[..., Any], *args: Any):
        """``fn(*args)`` on a worker. The arguments (a batch of captures, their HTML) travel pickled once, as one
        ``bytes``, which Dask passes through the scheduler to the worker as they are, where it serialized the list
        of captures itself (measured without extraction, 10 KB captures, 2-worker ``LocalCluster``, loaded
        machine: this process's CPU 0.20-0.22 ms a capture instead of 0.24-0.29; the workers' the same)."""
        key = f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex}"     # named for fn on the dashboard
        return self.client.submit(_call, fn, pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL), key=key)

    def close(self) -> None:
        self.client.close()


def _call(fn: Callable[..., Any], args: bytes) -> Any:
    """On a worker: ``fn`` on the arguments ``DaskExecutor.submit`` pickled."""
    return fn(*pickle.loads(args))
