"""Where runs execute: in this process, a local process pool, or a Dask cluster.

All three have the ``concurrent.futures`` shape (``submit`` returns a future with ``result()``)
plus ``wait_first``; the sweep runner streams tasks through whichever it is given.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from functools import partial
from multiprocessing import forkserver
from typing import Any

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|inproc|ws|wss)://)?[\w.\-\[\]:]+:\d{1,5}$")


class ExecutorError(RuntimeError):
    """The pool or cluster cannot be started, in one line."""


class InProcess:
    """Runs each task at once in this process: one worker, no pickling, easiest to debug."""

    workers = 1
    name = "this process"
    local = False  # nothing to watch: the runs die with the sweep

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


def pinned_environment() -> dict[str, str]:
    """What a worker's interpreter needs to import the sweep's own trustsim, whatever its current
    directory: ``python -c`` (how the fork server starts) puts the current directory first on
    sys.path, where a ``trustsim/`` folder would shadow the package, and Python 3.12's fork server
    ignores the parent's sys.path. PYTHONSAFEPATH drops the current directory; PYTHONPATH puts the
    folder holding the parent's package first."""
    import trustsim

    root = os.path.dirname(os.path.dirname(os.path.abspath(trustsim.__file__)))
    path = os.pathsep.join(part for part in (root, os.environ.get("PYTHONPATH", "")) if part)
    return {"PYTHONSAFEPATH": "1", "PYTHONPATH": path}


_watching: set[int] = set()


def watch_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this worker process once the process ``parent`` is gone (killed with SIGKILL, say): a
    daemon thread polls it, as the pipes a killed parent leaves open would not wake the worker."""
    if parent in _watching:
        return
    _watching.add(parent)

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(70)
            except PermissionError:
                pass  # alive, another user's (the pid was reused: exiting is still right below)
            if os.getppid() == 1 and parent != 1:
                os._exit(70)  # orphaned: the fork server that started this worker is gone too

    threading.Thread(target=watch, name="trustsim-parent-watch", daemon=True).start()


def _start_worker(parent: int, one_blas_thread: bool = False, warm: Callable[[], Any] | None = None) -> None:
    """Pool worker initializer: exit when the sweep process dies; in a worker forked from the sweep
    (whose BLAS library was loaded before any setting could reach it), one BLAS thread; then warm up
    and leave what the worker holds out of the garbage collector's full passes (``settle``)."""
    watch_parent(parent)
    if one_blas_thread:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
    settle(warm)


def settle(warm: Callable[[], Any] | None = None) -> None:
    """In a new worker process: move every object the worker holds (the modules it inherited or
    imported and the kernels loaded: some 190,000 objects of NumPy, pandas, numba, Mesa and
    trustsim, as ``benchmarks/bench_worker.py`` counts them) out of the cyclic garbage collector's
    reach, with ``gc.freeze``; with ``warm`` (``worker.warm_up``, given to a fork server's workers
    and a Dask cluster's, which inherit no loaded kernels: ``dask_worker.Settle``), first load the
    compiled kernels while the sweep still prepares its tasks. The frozen objects live as long as
    the worker, but each full collection, which the many small objects of a batch trigger every few
    tasks, walked all of them: 0.27 of 2.9 s over 8 europe tasks (docs/performance.md, session 16).
    Objects made later are collected as before."""
    gc.freeze()  # what it inherited, before the warm-up's objects make the next full pass long
    if warm is not None:
        warm()
        gc.collect()  # the warm-up's run is garbage; what it loaded stays, and is frozen with the rest
        gc.freeze()


def start_method() -> str:
    """How the process pool starts its workers: ``fork`` on Linux while this process runs one
    thread, else ``forkserver``.

    A forked worker starts with the sweep's modules already imported, where a fork server first
    imports trustsim, Mesa, pandas, SciPy and numba afresh before the first run can start
    (``benchmarks/bench_pool_start.py`` times both; docs/sweeps.md). Forking is safe only while no
    other thread could hold a lock the child would inherit, so the pool forks all its workers at
    once when it is made (``ProcessPool``) and the sweep makes it before its progress bar's thread
    starts; with any other thread alive (a caller's, a test runner's), or where fork is unsafe
    (macOS) or missing (Windows), the fork server is used, as before.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver"


class ProcessPool:
    """A pool of worker processes on this machine, started by ``start_method()`` (or ``method``)."""

    name = "the process pool"
    local = True

    def __init__(
        self, workers: int, method: str | None = None, warm: Callable[[], Any] | None = None
    ) -> None:
        self.workers = workers
        self.method = method or start_method()
        # The workers are the parallelism: one BLAS thread each unless the user chose (OpenBLAS
        # threads busy-wait when the cores are oversubscribed: docs/sweeps.md gives the slow-down
        # at N = 100 that bench_model.py measured). Dask's nanny sets the same for its workers.
        added = {name: "1" for name in BLAS_THREAD_VARS if name not in os.environ}
        if self.method == "fork":
            if warm is not None:
                warm()  # here, once: the workers forked next start with what it loaded
            self.pool = futures.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(os.getpid(), not any(name in os.environ for name in BLAS_THREAD_VARS)),
            )
            # A fork pool forks every worker at its first task, before its own manager thread: now,
            # while this process still runs one Python thread. The threads Python 3.12 warns of
            # here are native pools (OpenBLAS's, idle), which their libraries re-create in a forked
            # child (pthread_atfork), as with every multiprocessing fork on Linux (Python <= 3.13's
            # default, mesa.batch_run's). Not waiting for the task: the workers warm up meanwhile.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                self.pool.submit(os.getpid)
            return
        context = multiprocessing.get_context("forkserver")
        # the fork server imports the model once; each worker forked from it starts ready to run
        context.set_forkserver_preload(["trustsim.execution.sweep"])
        saved = {name: os.environ.get(name) for name in ("PYTHONSAFEPATH", "PYTHONPATH")}
        os.environ.update(added)
        os.environ.update(pinned_environment())
        try:
            forkserver.ensure_running()
        finally:
            for name in added:
                del os.environ[name]
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self.pool = futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), False, warm),
        )

    def submit(self, fn: Callable[[Any], Any], task: Any) -> futures.Future:
        return self.pool.submit(fn, task)

    def wait_first(self, pending: set) -> tuple[set, set]:
        done, rest = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def slurm_cluster(workers: int) -> Any:
    """An HPC cluster under SLURM through dask-jobqueue: ``workers`` batch jobs of one single-core
    Dask worker each (runs are single-threaded). Queue, account, memory, walltime and the job's
    environment come from Dask's configuration, section ``jobqueue.slurm`` (for instance
    ``~/.config/dask/jobqueue.yaml``; docs/performance.md shows one)."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ExecutorError("dask-jobqueue is not installed: pip install 'trustsim[dask]'") from None
    try:
        cluster = SLURMCluster(cores=1, processes=1)
    except ValueError as exc:  # e.g. no memory given in the config
        raise ExecutorError(
            f"--dask slurm: {exc}; set jobqueue.slurm (memory, queue, walltime) in Dask's config"
        ) from None
    cluster.scale(jobs=workers)
    return cluster


# Named clusters for --dask: each builds a started cluster of ``workers`` workers.
CLUSTERS: dict[str, Callable[[int], Any]] = {"slurm": slurm_cluster}


class DaskCluster:
    """A Dask cluster: ``local`` starts a LocalCluster, ``slurm`` (``CLUSTERS``) an HPC cluster through
    dask-jobqueue, otherwise ``address`` is a running scheduler's.

    Tasks are submitted with retries, so the runs of a worker that dies are run again elsewhere.
    Each worker, as it joins, warms up with ``warm`` and settles (``dask_worker.Settle``), as a
    process pool's workers do.
    """

    def __init__(self, address: str, workers: int, warm: Callable[[], Any] | None = None) -> None:
        if address != "local" and address not in CLUSTERS and not ADDRESS.match(address):
            raise ExecutorError(
                f"--dask {address!r}: expected 'local', {', '.join(map(repr, CLUSTERS))} or a scheduler "
                "address such as tcp://host:8786"
            )
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("Dask is not installed: pip install 'trustsim[dask]'") from None
        quiet_dask_logs()
        self.cluster = None
        self.local = address == "local"  # its worker processes run here: they watch the sweep
        self.name = "the Dask LocalCluster" if self.local else f"the Dask scheduler at {address}"
        try:
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self.client = Client(self.cluster)
            elif address in CLUSTERS:
                self.name = f"the Dask cluster on {address}"
                self.cluster = CLUSTERS[address](workers)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="10s")
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)
            self._settle(warm)
        except ExecutorError:
            raise
        except Exception as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ExecutorError(f"--dask {address}: cannot connect ({detail[:200]})") from None

    def _settle(self, warm: Callable[[], Any] | None) -> None:
        """Register the plugin that warms up and settles each worker (``dask_worker.Settle``);
        returns once the workers already there have done so."""
        from trustsim.execution.dask_worker import NAME, Settle

        self.client.register_plugin(Settle(partial(settle, warm)), name=NAME)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self.client.submit(fn, task, pure=False, retries=3)

    def wait_first(self, pending: set) -> tuple[set, set]:
        from dask.distributed import wait

        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self) -> None:
        import contextlib

        from trustsim.execution.dask_worker import NAME

        with contextlib.suppress(Exception):  # a shared scheduler's later workers need not warm up
            self.client.unregister_worker_plugin(NAME)
        with contextlib.suppress(Exception):  # a lost scheduler: nothing left to close cleanly
            self.client.close(timeout=10)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=10)


def quiet_dask_logs() -> None:
    """Dask logs a lost scheduler or worker as tracebacks on stderr; the sweep says it in one line
    (and the runs of a lost worker are retried), so only Dask's critical messages are shown."""
    import logging

    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] == "distributed"]
    for name in ["distributed", *names]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def make_executor(
    workers: int | None, dask: str | None, warm: Callable[[], Any] | None = None
) -> InProcess | ProcessPool | DaskCluster:
    """The executor of ``workers`` workers (all cores if None); a process pool's or a Dask cluster's
    workers call ``warm`` as they start (``settle``)."""
    workers = workers or os.cpu_count() or 1
    if dask is not None:
        return DaskCluster(dask, workers, warm=warm)
    return InProcess() if workers == 1 else ProcessPool(workers, warm=warm)


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
