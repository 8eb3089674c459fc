"""Where a step's time goes: each stage of ``TrustModel.step`` and each compiled kernel, timed.

Wraps the step's stages (methods of ``TrustModel``), the policies' ``choose``, the trust rule's
calls and every compiled kernel of ``trustsim.model.kernels`` with a timer, runs ``--steps``
steps after a warm-up, and prints per case the time per step of each (stages nest: ``_decide``
holds the policies' ``choose``, which hold their kernels) and three totals:

- the step;
- the compiled kernels (every call of a ``kernels`` function, summed; none nests in another);
- the rest: NumPy, BLAS and SciPy calls (the draws, exponentials, products) and Python.

The timers add about a microsecond per call, so the step reads slower than in ``bench_model.py``;
the shares are what to read. Cases: N = 100 complete and N = 500 small world (degree 10), single
runs as ``bench_model.py`` runs them; europe and the quickstart's 40-state network in batches of
78 and 25 copies, per batch step. Those sizes stay fixed so that docs/performance.md's tables of
this script compare across sessions; a sweep now makes batches of up to 128 europe runs and 51 of
the quickstart (``plan.batch_size``: 2,048 states a batch, and at most the sweep's ``batch_size``),
which ``bench_batch.py`` times.

Usage::

    python benchmarks/bench_stages.py                      # all four cases, 200 steps
    python benchmarks/bench_stages.py --cases n100 --steps 500 --top 15
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

QUICKSTART_STEP = "[{step: 10, actor: S000, action: open_dialogue, declared: true, duration: 15}]"
QUIET = ["record.dyads=false", "record.attribution=false"]
CASES: dict[str, tuple[str, list[str], int | None]] = {  # scenario, settings, copies (None: a run)
    "n100": ("random_network", ["network.n=100", "network.generator=complete"], None),
    "n500": (
        "random_network",
        ["network.n=500", "network.generator=watts_strogatz", "network.degree=10"],
        None,
    ),
    "europe": ("europe", ["record.model=true", "interventions=[]"], 78),
    "quickstart": (
        "random_network",
        ["record.model=true", "network.n=40", f"interventions={QUICKSTART_STEP}"],
        25,
    ),
}
STAGES = (
    "step",
    "_draw",
    "_edge_views",
    "_decide",
    "_slips",
    "_perceive",
    "_payoffs",
    "_update_trust",
    "_observe",
    "_apply",
    "_relax",
    "_congeal",
    "_update_posture",
    "_remember",
)


class Timers:
    """Total seconds and calls per label, of every function wrapped with ``wrap``."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        function: Callable = getattr(owner, name)
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started
                calls[label] += 1

        setattr(owner, name, timed)

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def instrument(timers: Timers) -> None:
    """Wrap the stages, the policies' and rules' calls, and every compiled kernel."""
    from trustsim.model import kernels, records
    from trustsim.model.model import TrustModel
    from trustsim.model.policies import POLICIES
    from trustsim.model.trust_rules import RULES

    for name in STAGES:
        timers.wrap(TrustModel, name, f"stage {name}")
    timers.wrap(records, "measures", "stage records.measures")
    for name, cls in POLICIES.items():
        timers.wrap(cls, "choose", f"policy {name}.choose")
    for name, cls in RULES.items():
        for call in ("evidence", "respond", "credible"):
            if hasattr(cls, call):
                timers.wrap(cls, call, f"rule {name}.{call}")
    for name in dir(kernels):
        if hasattr(getattr(kernels, name), "py_func"):  # a numba dispatcher
            timers.wrap(kernels, name, f"kernel {name}")


def run_case(name: str, steps: int, timers: Timers) -> tuple[float, int, int]:
    """Time ``steps`` steps of the case; the step's seconds, its edges and its copies."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    scenario, settings, copies = CASES[name]
    config = load_scenario(scenario, [*QUIET, *settings])
    model = TrustModel(config, copies=None if copies is None else list(range(copies)))
    model.run(5)  # warm-up: compiled kernels loaded, buffers touched
    timers.clear()
    model.run(steps)
    return timers.seconds["stage step"], model.n_edges, model.copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--top", type=int, default=25, help="rows per case (by time)")
    args = parser.parse_args(argv)
    for name in args.cases:  # compile every kernel first: a kernel that calls another is typed
        run_case(name, 0, Timers())  # against its callee, which must not yet be wrapped
    timers = Timers()
    instrument(timers)
    for name in args.cases:
        step, edges, copies = run_case(name, args.steps, timers)
        per_step = 1e6 / args.steps
        kernel_labels = [label for label in timers.seconds if label.startswith("kernel ")]
        kernels = sum(timers.seconds[label] for label in kernel_labels)
        kernel_calls = sum(timers.calls[label] for label in kernel_labels) / args.steps
        batch = f", a batch of {copies} runs" if copies > 1 else ""
        print(f"\n## {name}: {edges:,} directed dyads{batch}; {args.steps} steps")
        print(
            f"step {step * per_step:,.0f} µs"
            + (f" ({step * per_step / copies:,.1f} µs per run-step)" if copies > 1 else "")
        )
        print(
            f"compiled kernels {kernels * per_step:,.0f} µs ({100 * kernels / step:.0f}%, "
            f"{kernel_calls:.0f} calls a step); the rest (NumPy, BLAS, SciPy, Python) "
            f"{(step - kernels) * per_step:,.0f} µs ({100 * (step - kernels) / step:.0f}%)"
        )
        print("| label | µs per step | share of the step | calls per step |")
        print("| --- | ---: | ---: | ---: |")
        for label, seconds in timers.seconds.most_common(args.top):
            calls = timers.calls[label] / args.steps
            print(f"| {label} | {seconds * per_step:,.1f} | {100 * seconds / step:.1f}% | {calls:g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
