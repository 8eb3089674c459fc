"""What a large study costs: the measured cost of one run-step and of one Dask task, and from them
the wall time of a Sobol' study of ``--runs`` runs on 1, 16 and 256 cores.

1. Per run-step: ``--sample`` europe runs of ``--steps`` steps, one after another in this process
   (after one warm-up run), as a sweep worker runs them: seconds per run and per run-step.
2. Per task: ``--tasks`` no-op tasks through a Dask LocalCluster of 2 single-threaded workers, submitted
   and gathered as the sweep does: the overhead per task, taken as the one scheduler's serial time,
   hence a ceiling on tasks per second whatever the number of cores.

The estimate for C cores and b runs per task is max((runs x run + tasks x overhead) / C,
tasks x overhead) with tasks = runs / b: the work divided over the cores, or the scheduler's own
ceiling, whichever is longer, with perfect load balance otherwise. ``trustsim sweep`` submits one run
per task today (b = 1); b = 100 shows what batching runs into tasks buys.

Usage::

    python benchmarks/bench_scale.py                          # 10^6 runs of europe, 100 steps
    python benchmarks/bench_scale.py --runs 1000000 --steps 100 --sample 20 --tasks 2000
"""

from __future__ import annotations

import argparse
import time


def run_cost(steps: int, sample: int) -> float:
    """Seconds per run of europe (``steps`` steps), run after run in this process."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    config = load_scenario("europe", [f"steps={steps}", "record.dyads=false", "record.attribution=false"])
    TrustModel(config).run(steps)  # warm-up: imports and compiled kernels
    started = time.perf_counter()
    for seed in range(sample):
        TrustModel(config.model_copy(update={"seed": seed})).run(steps)
    return (time.perf_counter() - started) / sample


def noop(value: int) -> int:
    return value


def task_overhead(tasks: int) -> float:
    """Wall seconds per no-op task through a LocalCluster of 2 workers. The workers are idle, so this
    is the time of scheduling, sending and gathering one task; the estimate takes it (conservatively)
    as serial, the one scheduler's time per task."""
    from dask.distributed import Client, LocalCluster, wait

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        wait([client.submit(noop, i, pure=False) for i in range(50)])  # warm-up
        started = time.perf_counter()
        wait([client.submit(noop, i, pure=False, retries=3) for i in range(tasks)])
        return (time.perf_counter() - started) / tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--sample", type=int, default=20, help="europe runs timed for the per-run cost")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op Dask tasks timed for the overhead")
    args = parser.parse_args(argv)

    run = run_cost(args.steps, args.sample)
    overhead = task_overhead(args.tasks)
    print(
        f"one europe run of {args.steps} steps: {run * 1e3:.1f} ms "
        f"({run / args.steps * 1e6:.0f} us per run-step)"
    )
    print(
        f"one Dask task (LocalCluster, 2 workers, no-op): {overhead * 1e3:.2f} ms; "
        f"scheduler ceiling {1 / overhead:,.0f} tasks/s"
    )
    print(f"\n{args.runs:,} runs x {args.steps} steps:")
    print(f"{'runs per task':>13} {'cores':>6} {'hours':>9}  bound")
    for batch in (1, 100):
        for cores in (1, 16, 256):
            tasks = args.runs / batch
            work = (args.runs * run + tasks * overhead) / cores
            ceiling = tasks * overhead
            bound = "the cores" if work >= ceiling else "the scheduler"
            print(f"{batch:>13} {cores:>6} {max(work, ceiling) / 3600:>9.2f}  {bound}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
