"""Benchmark of TrustModel's step: steps per second and wall time at N = 10, 100 and 500 states.

Cases (all from ``configs/random_network.yaml`` with the default rules):

- N = 10 and N = 100 on a complete graph (``network.generator=complete``);
- N = 500 on a sparse small-world graph (``watts_strogatz``, ``network.degree=10``);

each with attribution recording off and on (``record.attribution``), dyad recording off unless
``--dyads``. Each case builds a fresh model (timed on its own) and runs ``--steps`` steps (timed
with ``time.perf_counter``), ``--repeat`` times; the table reports the best and the median.
Alongside wall time it records CPU time of the run (``time.process_time``, all threads, and
``time.thread_time``, the main thread) and the 1-minute load average before each case: on a shared
machine, wall time is inflated by other processes while the main thread's CPU time is not.

Aims for 1,000 steps on a 2-core machine (issue 11): N = 100 complete under 1 s, N = 500 sparse
under 1.5 s (scaled linearly when ``--steps`` is not 1,000; judged on the median). Before the
cases, one small warm-up run loads the compiled kernels (numba's cache and its first-call set-up,
once per process), which the first case would otherwise count as steps.

Usage::

    python benchmarks/bench_model.py                      # the full table (~3 min; 15-25 before optimizing)
    python benchmarks/bench_model.py --steps 100 --repeat 1 --sizes 100
    python benchmarks/bench_model.py --json > bench.json  # the same as one JSON list on stdout
    python benchmarks/bench_model.py --blas-threads 1     # pin BLAS to one thread

Progress goes to stderr; with ``--json`` stdout carries the JSON list and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


@dataclass(frozen=True)
class Case:
    n: int
    generator: str
    degree: int | None  # None: complete graph
    aim_per_1000: float | None  # seconds for 1,000 steps, or None when no aim is set

    @property
    def graph(self) -> str:
        return "complete" if self.degree is None else f"{self.generator} k={self.degree}"


CASES = (
    Case(10, "complete", None, None),
    Case(100, "complete", None, 1.0),  # issue 11's aims (before it: 2 s and 5 s)
    Case(500, "watts_strogatz", 10, 1.5),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="steps per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    parser.add_argument("--dyads", action="store_true", help="record per-step dyad rows (record.dyads)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON list only")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        choices=[case.n for case in CASES],
        default=[case.n for case in CASES],
        help="which sizes to run (default: all)",
    )
    parser.add_argument(
        "--attribution",
        choices=("off", "on", "both"),
        default="both",
        help="attribution recording to benchmark (default: both)",
    )
    parser.add_argument(
        "--scope",
        choices=("all", "focus"),
        default="all",
        help="record.attribution_scope when attribution is on (focus: S000 takes a step at step 1)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="set OPENBLAS/OMP/MKL/BLIS_NUM_THREADS before NumPy loads (default: leave as is)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeat < 1:
        parser.error("--steps and --repeat must be at least 1")
    return args


# -- machine facts --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision(directory: Path) -> str:
    """Short commit of the trustsim checkout, with ``+dirty`` when trustsim/ or configs/ are modified."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "trustsim", "configs")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def machine_facts() -> dict[str, Any]:
    from importlib.metadata import version

    import numpy as np

    import trustsim

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except (KeyError, TypeError, ValueError):
        blas_name = "unknown"
    import trustsim.model.model as model_module

    source = Path(trustsim.__file__).resolve().parents[1]
    affinity = getattr(os, "sched_getaffinity", None)
    # Once, TrustModel ran its dense path's BLAS calls on one thread itself; since session 20 the
    # dense products are compiled (kernels.fused_rows) and call no BLAS.
    from trustsim.model import kernels

    if hasattr(kernels, "fused_rows"):
        dense_blas = "none: the dense products are compiled (kernels.fused_rows)"
    elif hasattr(model_module, "one_blas_thread"):
        dense_blas = "one thread in the dense path (threadpoolctl)"
    else:
        dense_blas = "not limited"
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "mesa": version("mesa"),
        "networkx": version("networkx"),
        "blas": blas_name,
        "blas_threads": {var: os.environ[var] for var in BLAS_THREAD_VARS if var in os.environ}
        or "library default",
        "model_blas": dense_blas,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity else os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "trustsim": str(source),
        "trustsim_revision": git_revision(source),
    }


# -- running --------------------------------------------------------------------------------------


def overrides(case: Case, attribution: bool, dyads: bool, steps: int, scope: str = "all") -> list[str]:
    items = [
        f"steps={steps}",
        f"network.n={case.n}",
        f"network.generator={case.generator}",
        f"record.attribution={str(attribution).lower()}",
        f"record.dyads={str(dyads).lower()}",
    ]
    if attribution and scope == "focus":
        # An initiator to focus on: the first state opens dialogue with every partner at step 1.
        items += [
            "record.attribution_scope=focus",
            "interventions=[{step: 1, actor: S000, action: open_dialogue}]",
        ]
    if case.degree is not None:
        items.append(f"network.degree={case.degree}")
    return items


def log_size(log: Any) -> tuple[int, int] | None:
    """Rows and bytes held by a DyadLog or AttributionLog (None when not recording or unknown)."""
    chunks = getattr(log, "chunks", None)
    if not chunks:
        return None if chunks is None else (0, 0)
    try:
        columns = [list(chunk.values()) if isinstance(chunk, dict) else list(chunk) for chunk in chunks]
        return sum(len(c[0]) for c in columns), sum(a.nbytes for c in columns for a in c)
    except (AttributeError, IndexError, TypeError):
        return None


def warm_up() -> None:
    """One small run, untimed: imports and the compiled kernels loaded, once per process."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    for generator in ("complete", "watts_strogatz"):  # the dense path and the sparse one
        settings = ["steps=2", "network.n=20", f"network.generator={generator}"]
        TrustModel(load_scenario("random_network", settings)).run(2)


def run_case(case: Case, attribution: bool, args: argparse.Namespace, label: str) -> dict[str, Any]:
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    builds, runs, cpus, thread_cpus, edges, logs = [], [], [], [], None, {}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for repeat in range(args.repeat):
        config = load_scenario(
            "random_network", overrides(case, attribution, args.dyads, args.steps, args.scope)
        )
        gc.collect()
        started = time.perf_counter()
        model = TrustModel(config)
        built = time.perf_counter()
        cpu_started, thread_started = time.process_time(), time.thread_time()
        model.run(args.steps)
        finished = time.perf_counter()
        cpus.append(time.process_time() - cpu_started)
        thread_cpus.append(time.thread_time() - thread_started)
        if model.steps != args.steps:
            raise RuntimeError(f"{label}: ran {model.steps} steps, expected {args.steps}")
        builds.append(built - started)
        runs.append(finished - built)
        edges = model.n_edges
        logs = {"attribution": log_size(model.attribution), "dyads": log_size(model.dyad_log)}
        print(
            f"  {label} repeat {repeat + 1}/{args.repeat}: build {builds[-1]:.3f} s, "
            f"{args.steps} steps {runs[-1]:.3f} s "
            f"(CPU {cpus[-1]:.3f} s, main thread {thread_cpus[-1]:.3f} s)",
            file=sys.stderr,
            flush=True,
        )
        del model
    run_best, run_median = min(runs), statistics.median(runs)
    aim = None if case.aim_per_1000 is None else case.aim_per_1000 * args.steps / 1000
    return {
        "case": label,
        "n": case.n,
        "graph": case.graph,
        "generator": case.generator,
        "degree": case.degree,
        "directed_dyads": edges,
        "attribution": attribution,
        "dyads": args.dyads,
        "steps": args.steps,
        "repeat": args.repeat,
        "build_s_best": min(builds),
        "build_s_median": statistics.median(builds),
        "run_s_best": run_best,
        "run_s_median": run_median,
        "run_s_all": runs,
        "cpu_s_median": statistics.median(cpus),
        "thread_cpu_s_best": min(thread_cpus),
        "thread_cpu_s_median": statistics.median(thread_cpus),
        "load_1min_before": load_before,
        "steps_per_s_best": args.steps / run_best,
        "steps_per_s_median": args.steps / run_median,
        "ms_per_step_median": 1000 * run_median / args.steps,
        "aim_s": aim,
        "meets_aim": None if aim is None else run_median < aim,
        "attribution_rows": logs["attribution"][0] if logs["attribution"] else None,
        "attribution_mb": logs["attribution"][1] / 1e6 if logs["attribution"] else None,
        "dyad_rows": logs["dyads"][0] if logs["dyads"] else None,
    }


# -- output ---------------------------------------------------------------------------------------


def table(records: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    columns = (
        ("N", lambda r: str(r["n"])),
        ("graph", lambda r: r["graph"]),
        ("dyads", lambda r: str(r["directed_dyads"])),
        ("attrib", lambda r: "on" if r["attribution"] else "off"),
        ("build best", lambda r: f"{r['build_s_best']:.3f}"),
        ("build med", lambda r: f"{r['build_s_median']:.3f}"),
        ("run best", lambda r: f"{r['run_s_best']:.2f}"),
        ("run med", lambda r: f"{r['run_s_median']:.2f}"),
        ("steps/s best", lambda r: f"{r['steps_per_s_best']:.0f}"),
        ("steps/s med", lambda r: f"{r['steps_per_s_median']:.0f}"),
        ("ms/step med", lambda r: f"{r['ms_per_step_median']:.2f}"),
        ("CPU med", lambda r: f"{r['cpu_s_median']:.2f}"),
        ("main CPU med", lambda r: f"{r['thread_cpu_s_median']:.2f}"),
        ("load", lambda r: "-" if r["load_1min_before"] is None else f"{r['load_1min_before']:.1f}"),
        ("aim", lambda r: "-" if r["aim_s"] is None else f"< {r['aim_s']:g}"),
        ("meets", lambda r: "-" if r["meets_aim"] is None else ("yes" if r["meets_aim"] else "NO")),
        ("attrib rows", lambda r: "-" if r["attribution_rows"] is None else f"{r['attribution_rows']:,}"),
    )
    cells = [[name for name, _ in columns], *[[cell(r) for _, cell in columns] for r in records]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(text.rjust(width) for text, width in zip(row, widths, strict=True)) + " |"

    first = records[0]
    head = [
        f"TrustModel benchmark: {first['steps']} steps per run, best and median of {first['repeat']} runs, "
        f"dyad recording {'on' if first['dyads'] else 'off'}.",
        "Times in seconds: build = TrustModel(config); run = the steps (wall); CPU = process CPU time",
        "of the run (all threads); main CPU = the main thread's CPU time; load = 1-minute load average",
        "before the case; aim and meets judge the median wall time of the run.",
        "",
        line(cells[0]),
        "|" + "|".join("-" * (width + 2) for width in widths) + "|",
        *(line(row) for row in cells[1:]),
        "",
        "machine:",
        *(f"  {key}: {value}" for key, value in machine.items()),
    ]
    return "\n".join(head)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.blas_threads is not None:
        if "numpy" in sys.modules:
            print("warning: NumPy already loaded; --blas-threads may have no effect", file=sys.stderr)
        for var in BLAS_THREAD_VARS:
            os.environ[var] = str(args.blas_threads)
    attributions = {"off": (False,), "on": (True,), "both": (False, True)}[args.attribution]
    plan = [(case, attribution) for case in CASES if case.n in args.sizes for attribution in attributions]
    records = []
    # Anything the model might print goes to stderr, so that --json leaves stdout clean.
    with contextlib.redirect_stdout(sys.stderr):
        machine = machine_facts()
        warm_up()
        for i, (case, attribution) in enumerate(plan, start=1):
            label = f"n{case.n}-{case.generator}-attribution-{'on' if attribution else 'off'}"
            print(f"[{i}/{len(plan)}] {label}", file=sys.stderr, flush=True)
            records.append(run_case(case, attribution, args, label))
    for record in records:
        record["machine"] = machine
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        print(table(records, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
