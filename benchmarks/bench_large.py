"""Large sparse networks with local views (``propagation.views: local``): wall time and peak memory.

Each case runs in a fresh Python process (so that its peak resident memory is its own, read from
``resource.getrusage`` at the end): build the model from ``configs/random_network.yaml`` with a
``watts_strogatz`` network of the given size and degree, then run the steps. Dyad rows and
attribution are off; model-level measures are collected every step, as in any run. The first case
is preceded by one small warm-up run in its process, so that compiled kernels are loaded from
numba's cache rather than timed.

Cases (issue 11's goals):

- N = 10,000, degree 10, 100 steps, local views: under 10 s, peak RSS under 2 GB;
- N = 500, degree 10, 1,000 steps, local views and, beside it, the matrix (views: all), which is
  what ``bench_model.py`` times for N = 500: under 1.5 s.

Usage::

    python benchmarks/bench_large.py                 # all cases, 3 repeats each (~2 min)
    python benchmarks/bench_large.py --only 10000 --repeat 1

Each case is repeated ``--repeat`` times (a fresh process each); the table gives the median build,
run and total, the best total, and the largest peak RSS. The machine is shared: absolute times
drift by up to 1.5x from one minute to the next, so the 1-minute load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CASES = (
    (10_000, 10, 100, "local", 10.0),
    (500, 10, 1000, "local", 1.5),
    (500, 10, 1000, "all", 1.5),
)

CHILD = """
import json, resource, sys, time
from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel
n, degree, steps, views = json.loads(sys.argv[1])
def config(n, steps):
    return load_scenario("random_network", [
        f"network={{generator: watts_strogatz, n: {n}, degree: {degree}}}", f"propagation.views={views}",
        "record.dyads=false", "record.attribution=false", f"steps={steps}"])
TrustModel(config(60, 2)).run(2)  # warm-up: imports and compiled kernels
started = time.perf_counter()
model = TrustModel(config(n, steps))
built = time.perf_counter()
model.run(steps)
done = time.perf_counter()
held = len(model.support) if model.local else model.n * model.n
print(json.dumps({"build": built - started, "run": done - built, "held": held, "edges": model.n_edges,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", type=int, help="run only the cases of this many states")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per case (default 3)")
    args = parser.parse_args(argv)
    print(
        f"{'states':>7} {'steps':>6} {'views':>6} {'directed edges':>15} {'pairs held':>11} "
        f"{'build s':>8} {'run s':>7} {'total s':>8} {'best s':>7} {'aim s':>6} "
        f"{'peak RSS MB':>12} {'load':>5}"
    )
    for n, degree, steps, views, aim in CASES:
        if args.only is not None and n != args.only:
            continue
        load = os.getloadavg()[0]
        results = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps([n, degree, steps, views])],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        first = results[0]

        totals = [r["build"] + r["run"] for r in results]
        print(
            f"{n:>7,} {steps:>6,} {views:>6} {first['edges']:>15,} {first['held']:>11,} "
            f"{median(results, 'build'):>8.2f} {median(results, 'run'):>7.2f} "
            f"{statistics.median(totals):>8.2f} "
            f"{min(totals):>7.2f} {aim:>6.1f} {max(r['rss_mb'] for r in results):>12,.0f} {load:>5.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
