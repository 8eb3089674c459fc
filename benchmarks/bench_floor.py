"""How much of the model's step is its floor: the calls that must stay as they are for the results
to stay bit for bit the same.

A run's results are fixed (docs/performance.md): the same (config, seed) gives the same numbers on
every release. The step's compiled kernels (``trustsim/model/kernels.py``) reproduce NumPy's
arithmetic exactly, but three kinds of call cannot move into them without changing results:

- the random draws (NumPy's generators: four uniforms and a normal per directed edge);
- NumPy's exponential and logarithm (SIMD routines whose last bits differ from the C library's,
  which compiled code calls): the logit's weights (actions x logit dyads), the hard-to-fake exponent
  (per edge), and the adaptive rule's log and exp of its direct and third-party updates;
- the dense path's observation sums and alliance pool (``kernels.fused_rows``: since session 20
  compiled, each row's terms added in stored order with fused multiply-adds, where BLAS once added
  them in an order of its own that depended on the processor). They stay floor calls: the kernel
  is the product itself, whose order of terms fixes the results. SciPy's sparse products add each
  row's terms in stored order, which compiled code repeats term for term: the sparse path's
  observation and alliance sums have been compiled since session 18 (``kernels.observe_terms``,
  ``kernels.pool_relax``) inside fused passes, so they are not counted. The local views' pool is
  still SciPy's matrix-vector product in the step; it could be compiled the same way, and is
  counted here until it is.

The exponential cannot move into compiled code for speed either: the C library's scalar exp, which
compiled code calls, is several times slower than NumPy's SIMD one on this machine. The script
prints the logit's exponentials both ways.

For each case this script builds the model, runs a few steps, then times ``--steps`` steps one by
one (the median step), and times each floor call on arrays of the sizes the case's step uses
(median of the same number of repeats). The floor's sum is the least a step can take while its
results stay the same, however well the rest is fused; ``floor x 1000`` beside issue 11's aims
says whether an aim can be met at all without changing results.

Usage::

    python benchmarks/bench_floor.py                 # N = 100 complete, N = 500 sparse (matrix and local)
    python benchmarks/bench_floor.py --steps 50
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import CASES, overrides

from trustsim.config.loading import load_scenario
from trustsim.model import kernels
from trustsim.model.model import TrustModel

WARM_UP = 20  # steps before timing: policies' memories and congealing under way


def median_time(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def floor_calls(model: TrustModel) -> dict[str, Callable[[], object]]:
    """The calls of one step that must stay NumPy's, BLAS's or SciPy's, on this model's sizes."""
    rng = np.random.default_rng(0)
    edges = model.n_edges
    logit = len(model.policy_edges().get("logit", ()))
    actions = len(model.catalog)
    observed = len(model.obs_rows)
    columns = model.rule.columns
    exponents = rng.uniform(-30.0, 0.0, (actions, logit))
    per_edge = rng.uniform(-3.0, 0.0, edges)
    odds = rng.uniform(0.01, 100.0, edges)
    observed_odds = rng.uniform(0.01, 100.0, observed)
    calls: dict[str, Callable[[], object]] = {
        "draws (4 uniforms + 1 normal per edge)": lambda: (
            model.rng.random((edges, 4)),
            model.rng.standard_normal(edges),
        ),
        f"logit exp ({actions} x {logit})": lambda: np.exp(exponents),
        "hard-to-fake exp (per edge)": lambda: np.exp(per_edge),
        "direct update log + exp (per edge)": lambda: np.exp(np.log(odds)),
        "observation log + exp (per observed pair)": lambda: np.exp(np.log(observed_odds)),
    }
    if model.dense:
        n = model.n
        signal, seen, pooled = rng.random((n, n * columns)), np.empty((n, n * columns)), np.empty((n, n))
        friends, influence = model.friends, model.influence
        if not model.observe_by_terms:  # (else summed over its terms in a fused pass, not counted)
            calls["observation product (dense, compiled)"] = lambda: kernels.fused_rows(
                friends.indptr, friends.indices, friends.data, signal, seen
            )
        calls["alliance product (dense, compiled)"] = lambda: kernels.fused_rows(
            influence.indptr, influence.indices, influence.data, model.trust, pooled
        )
    elif model.local:
        calls["alliance product (local views)"] = lambda: model.pool_local @ model.trust
    return calls


@njit(cache=True)
def compiled_exp(values: np.ndarray, out: np.ndarray) -> None:
    """The exponential as a compiled kernel computes it: the C library's, one value at a time."""
    flat, into = values.ravel(), out.ravel()
    for i in range(flat.size):
        into[i] = math.exp(flat[i])


def exp_both_ways(model: TrustModel, repeats: int) -> tuple[float, float, int, int]:
    """Seconds of the logit's exponentials (actions x logit dyads) with NumPy and compiled, how
    many of the values differ in their last bits, and of how many."""
    logit = len(model.policy_edges().get("logit", ()))
    exponents = np.random.default_rng(1).uniform(-30.0, 0.0, (len(model.catalog), logit))
    numpy_out, compiled_out = np.empty_like(exponents), np.empty_like(exponents)
    compiled_exp(exponents, compiled_out)  # compiled (or loaded) before timing
    numpy_seconds = median_time(lambda: np.exp(exponents, out=numpy_out), repeats)
    compiled_seconds = median_time(lambda: compiled_exp(exponents, compiled_out), repeats)
    return numpy_seconds, compiled_seconds, int(np.count_nonzero(numpy_out != compiled_out)), exponents.size


def measure(label: str, settings: list[str], steps: int) -> None:
    model = TrustModel(load_scenario("random_network", settings))
    model.run(WARM_UP)
    step = median_time(model.step, steps)
    parts = {name: median_time(call, steps) for name, call in floor_calls(model).items()}
    floor = sum(parts.values())
    print(f"\n{label}: {model.n_edges:,} directed dyads, load {os.getloadavg()[0]:.1f}")
    print(f"  {'median step':<48} {1000 * step:8.3f} ms")
    for name, seconds in parts.items():
        print(f"    floor: {name:<41} {1000 * seconds:8.3f} ms")
    print(f"  {'floor in all':<48} {1000 * floor:8.3f} ms  ({floor / step:.0%} of the step)")
    print(f"  {'1,000 steps: now / at the floor':<48} {step * 1000:8.2f} s / {floor * 1000:.2f} s")
    numpy_seconds, compiled_seconds, differ, values = exp_both_ways(model, steps)
    print(
        f"  logit exp, NumPy / compiled (C library): {1000 * numpy_seconds:.3f} / "
        f"{1000 * compiled_seconds:.3f} ms ({compiled_seconds / numpy_seconds:.1f}x); "
        f"{differ:,} of {values:,} values differ"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="steps timed (and repeats of each call)")
    args = parser.parse_args(argv)
    complete, sparse = CASES[1], CASES[2]
    cases = {
        f"N = 100 complete (aim: 1,000 steps < {complete.aim_per_1000} s)": overrides(
            complete, False, False, 10_000
        ),
        f"N = 500 sparse, matrix views (aim: < {sparse.aim_per_1000} s)": overrides(
            sparse, False, False, 10_000
        ),
        f"N = 500 sparse, local views (aim: < {sparse.aim_per_1000} s)": [
            *overrides(sparse, False, False, 10_000),
            "propagation.views=local",
        ],
    }
    for label, settings in cases.items():
        measure(label, settings, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
