"""How much of the model's step is its floor: the calls that must stay as they are for the results
to stay bit for bit the same.

A run's results are fixed (docs/performance.md): the same (config, seed) gives the same numbers on
every release. The step's compiled kernels (``trustsim/model/kernels.py``) reproduce the array
expressions' arithmetic exactly, but three kinds of work cannot be fused into its other passes
without changing results, and must be done whatever the rest costs:

- the random draws (NumPy's generators: four uniforms and a normal per directed edge);
- the exponential and the logarithm: the logit's weights (actions x logit dyads), the hard-to-fake
  exponent (per edge), and the adaptive rule's log and exp of its direct and third-party updates.
  NumPy's until session 20, whose SIMD routines differ between processors; since then the model's
  own (``kernels.exp``, ``kernels.log``), the same on every processor, in passes of their own (fused
  into the adaptive rule's loop they were not vectorized, and slower); they are timed here alone;
- the dense path's observation sums and alliance pool (``kernels.fused_rows``: since session 20
  compiled, each row's terms added in stored order with fused multiply-adds, where BLAS once added
  them in an order of its own that depended on the processor). They stay floor calls: the kernel
  is the product itself, whose order of terms fixes the results. Where the dense path observes over
  the pairs' terms (``observe_by_terms``), and on the sparse path, the sums are compiled inside
  fused passes (``kernels.observe_terms``, ``kernels.pool_relax``), so they are not counted. The
  local views' pool is still SciPy's matrix-vector product in the step; it could be compiled the
  same way, and is counted here until it is.

The script also prints the logit's exponentials three ways: NumPy's SIMD exp, the C library's
scalar one (what compiled code calling ``math.exp`` gets: several times slower), and the model's own;
and the direct update's logarithms two ways, NumPy's and the model's own.

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
    """The calls of one step that must stay as they are, on this model's sizes."""
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
        f"logit exp ({actions} x {logit})": lambda: kernels.exp(exponents),
        "hard-to-fake exp (per edge)": lambda: kernels.exp(per_edge),
        "direct update log + exp (per edge)": lambda: kernels.exp(kernels.log(odds)),
        "observation log + exp (per observed pair)": lambda: kernels.exp(kernels.log(observed_odds)),
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


def exp_three_ways(model: TrustModel, repeats: int) -> tuple[dict[str, float], int, int]:
    """Seconds of the logit's exponentials (actions x logit dyads) with NumPy's exp, the C
    library's one value at a time and the model's own (``kernels.exp``), and how many of the
    model's values differ from NumPy's in their last bits, of how many."""
    logit = len(model.policy_edges().get("logit", ()))
    exponents = np.random.default_rng(1).uniform(-30.0, 0.0, (len(model.catalog), logit))
    numpy_out, library_out, own_out = (np.empty_like(exponents) for _ in range(3))
    compiled_exp(exponents, library_out)  # compiled (or loaded) before timing
    kernels.exp(exponents, out=own_out)
    seconds = {
        "NumPy": median_time(lambda: np.exp(exponents, out=numpy_out), repeats),
        "C library": median_time(lambda: compiled_exp(exponents, library_out), repeats),
        "kernels.exp": median_time(lambda: kernels.exp(exponents, out=own_out), repeats),
    }
    return seconds, int(np.count_nonzero(numpy_out != own_out)), exponents.size


def log_both_ways(model: TrustModel, repeats: int) -> dict[str, float]:
    """Seconds of the direct update's logarithms (one per edge, of odds in [0.01, 100]) with
    NumPy's log and the model's own (``kernels.log``), each in place as the step takes it."""
    odds = np.random.default_rng(2).uniform(0.01, 100.0, model.n_edges)
    work = np.empty_like(odds)
    kernels.log(odds, out=work)  # compiled (or loaded) before timing
    return {
        "NumPy": median_time(lambda: (np.copyto(work, odds), np.log(work, out=work)), repeats),
        "kernels.log": median_time(lambda: (np.copyto(work, odds), kernels.log(work, out=work)), repeats),
    }


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
    seconds, differ, values = exp_three_ways(model, steps)
    shown = " / ".join(f"{1000 * value:.3f}" for value in seconds.values())
    print(
        f"  logit exp, {' / '.join(seconds)}: {shown} ms; kernels.exp's differ from NumPy's in "
        f"{differ:,} of {values:,} values"
    )
    seconds = log_both_ways(model, steps)
    shown = " / ".join(f"{1000 * value:.3f}" for value in seconds.values())
    print(f"  direct update log, {' / '.join(seconds)} (with a copy in each): {shown} ms")


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
