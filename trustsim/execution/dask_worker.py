"""What a sweep's Dask workers do as they join: warm up and settle, as a process pool's workers do.

A Dask worker is a process of its own (a LocalCluster's is spawned, a SLURM job's starts on another
machine), so it inherits no loaded kernel: without this, each worker loads numba's kernels in its
first task and its full garbage collections walk every module it imported (``executors.settle``).
Imported only when a sweep runs on Dask (it needs ``distributed``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

NAME = "trustsim-settle"


class Settle(WorkerPlugin):
    """Registered by ``executors.DaskCluster`` with ``start`` = ``executors.settle`` and the sweep's
    warm-up: every worker of the cluster, those there now and those that join later (a SLURM job
    that starts late, a lost worker's replacement), calls it once before its first task. It runs
    off the worker's event loop, so the worker keeps answering its scheduler meanwhile."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self.start = start

    async def setup(self, worker: Any) -> None:
        await asyncio.to_thread(self.start)
