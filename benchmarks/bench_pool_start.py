"""What a sweep's process pool costs to start: workers forked from the sweep's own process (what
``trustsim sweep`` does on Linux) against workers forked from a fork server, which first imports the
model afresh (what it does while another Python thread runs; ``executors.start_method``).

Each figure is taken in a fresh Python process:

- import: ``import trustsim.execution.sweep`` in a new interpreter, the module the fork server
  imports before its first worker can run;
- pool: a ``ProcessPool`` of 2 workers forked from a process that has imported it, up and
  answering its first task;
- sweep: ``run_sweep`` of a small dyad sweep (``--runs`` runs of 100 steps, 2 workers, timed after
  the imports, as ``bench_sweep.py`` builds it), forked, then with the fork server (an idle thread
  started before the sweep, as a caller's thread would be).

Best of ``--repeat`` (default 1). Wall time on a shared machine: the load average is printed.

Usage::

    python benchmarks/bench_pool_start.py                 # 4 runs, once
    python benchmarks/bench_pool_start.py --runs 512 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def case(name: str, replications: int) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    started = time.perf_counter()
    from trustsim.execution import executors
    from trustsim.execution.sweep import run_sweep

    imported = time.perf_counter() - started
    if name == "import":
        return {"seconds": imported}
    if name == "pool":
        started = time.perf_counter()
        pool = executors.ProcessPool(2, method="fork")
        seconds = time.perf_counter() - started
        pool.close()
        return {"seconds": seconds}
    from bench_sweep import base_data, sweep_spec

    if name == "forkserver":  # another Python thread alive: the pool uses the fork server
        threading.Thread(target=threading.Event().wait, daemon=True).start()
    sweep, base = sweep_spec("dyad", replications), base_data("dyad")
    method = executors.start_method()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        outcome = run_sweep(sweep, base, "bench", Path(folder) / "out", workers=2)
        seconds = time.perf_counter() - started
    if method != name or outcome.completed != outcome.total:
        raise SystemExit(f"{name}: pool started by {method}, {outcome.completed}/{outcome.total} runs")
    return {"seconds": seconds, "runs": outcome.total, "steps": base["steps"]}


def measure(name: str, replications: int, repeat: int) -> dict[str, float]:
    """The best of ``repeat`` fresh processes."""
    results = []
    for _ in range(repeat):
        command = [sys.executable, __file__, "--case", name, str(replications)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"case {name} failed")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(results, key=lambda r: r["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4, help="runs of the dyad sweep (a multiple of 4)")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per figure (best shown)")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)  # one measurement (internal)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(case(args.case[0], int(args.case[1]))))
        return 0
    replications = max(1, args.runs // 4)  # bench_sweep's dyad grid has 4 points
    print(f"load {os.getloadavg()[0]:.2f}; best of {args.repeat}; wall seconds")
    imported = measure("import", replications, args.repeat)["seconds"]
    print(f"import trustsim.execution.sweep in a new interpreter: {imported:.2f} s")
    pool = measure("pool", replications, args.repeat)["seconds"]
    print(f"a pool of 2 workers forked after that import, up:    {pool * 1e3:.0f} ms")
    forked = measure("fork", replications, args.repeat)
    server = measure("forkserver", replications, args.repeat)
    print(
        f"dyad sweep, {forked['runs']} runs x {forked['steps']} steps, 2 workers: "
        f"forked {forked['seconds']:.2f} s, "
        f"fork server {server['seconds']:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
