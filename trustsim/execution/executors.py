"""Where runs execute: in this process, a local process pool, or a Dask cluster.

All three have the ``concurrent.futures`` shape (``submit`` returns a future with ``result()``)
plus ``wait_first``; the sweep runner streams tasks through whichever it is given.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from multiprocessing import forkserver
from typing import Any

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class InProcess:
    """Runs each task at once in this process: one worker, no pickling, easiest to debug."""

    workers = 1

    def submit(self, fn: Callable[[Any], Any], task: Any) -> futures.Future:
        future: futures.Future = futures.Future()
        try:
            future.set_result(fn(task))
        except BaseException as exc:  # the worker function catches run errors; this is a bug
            future.set_exception(exc)
        return future

    def wait_first(self, pending: set) -> tuple[set, set]:
        return set(pending), set()

    def close(self) -> None:
        pass


class ProcessPool:
    """A pool of worker processes on this machine (forkserver: safe beside the progress thread)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("forkserver")
        # the fork server imports the model once; each worker forked from it starts ready to run
        context.set_forkserver_preload(["trustsim.execution.sweep"])
        # and with one BLAS thread (unless the user chose): the workers are the parallelism, and
        # OpenBLAS threads busy-wait when the cores are oversubscribed (a run at N = 100 took 5-8x
        # longer with 2 threads on 2 cores). Dask's nanny sets the same for its workers.
        added = {name: "1" for name in BLAS_THREAD_VARS if name not in os.environ}
        os.environ.update(added)
        try:
            forkserver.ensure_running()
        finally:
            for name in added:
                del os.environ[name]
        self.pool = futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> futures.Future:
        return self.pool.submit(fn, task)

    def wait_first(self, pending: set) -> tuple[set, set]:
        done, rest = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster:
    """A Dask cluster: ``local`` starts a LocalCluster, otherwise ``address`` is a scheduler's.

    Tasks are submitted with retries, so the runs of a worker that dies are run again elsewhere.
    """

    def __init__(self, address: str, workers: int) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("Dask is not installed: pip install 'trustsim[dask]'") from None
        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(address, timeout="10s")
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self.client.submit(fn, task, pure=False, retries=3)

    def wait_first(self, pending: set) -> tuple[set, set]:
        from dask.distributed import wait

        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(workers: int | None, dask: str | None) -> InProcess | ProcessPool | DaskCluster:
    workers = workers or os.cpu_count() or 1
    if dask is not None:
        return DaskCluster(dask, workers)
    return InProcess() if workers == 1 else ProcessPool(workers)


def stream(executor: Any, fn: Callable[[Any], Any], tasks: Iterable[Any], window: int) -> Iterator[Any]:
    """Results of ``fn`` over ``tasks`` as they finish, with at most ``window`` tasks in flight
    (so memory stays bounded however many runs there are)."""
    tasks = iter(tasks)
    pending: set = set()
    for task in tasks:
        pending.add(executor.submit(fn, task))
        if len(pending) >= window:
            break
    while pending:
        done, pending = executor.wait_first(pending)
        for task in tasks:  # refill first: the workers keep busy while the results are handled
            pending.add(executor.submit(fn, task))
            if len(pending) >= window:
                break
        for future in done:
            yield future.result()
