"""How close ``trustsim sweep --dry-run``'s estimate comes to the sweep's actual time.

For each shipped sweep named (default: all but sobol, which runs for minutes), runs
``trustsim sweep SWEEP --dry-run`` and then ``trustsim sweep SWEEP --out TMP`` as a user would,
each a fresh process timed from the shell's side, and prints the estimate, the actual wall time
and their ratio (the aim: within 1.5x either way). One sweep at a time: the two share the machine
with nothing else of ours.

Usage::

    python benchmarks/bench_dry_run.py
    python benchmarks/bench_dry_run.py grit congealing --workers 2
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ("quickstart", "grit", "congealing", "incentives", "altered_agenda")
ESTIMATE = re.compile(r"estimated ([\d.]+) s on")


def trustsim(*args: str) -> tuple[float, str]:
    script = Path(sys.executable).parent / "trustsim"  # the command a user runs, from this environment
    command = [str(script), *args] if script.exists() else [sys.executable, "-m", "trustsim.cli", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweeps", nargs="*", default=list(SWEEPS))
    parser.add_argument("--workers", type=int, default=None, help="as trustsim sweep --workers")
    args = parser.parse_args(argv)
    workers = ["--workers", str(args.workers)] if args.workers else []
    print(f"{'sweep':<16} {'estimate':>9} {'actual':>8} {'ratio':>6}  dry run took")
    worst = 1.0
    for name in args.sweeps:
        path = f"configs/sweeps/{name}.yaml"
        dry_wall, output = trustsim("sweep", path, "--dry-run", *workers)
        match = ESTIMATE.search(" ".join(output.split()))
        if match is None:
            raise SystemExit(f"{name}: no estimate in the dry run's output:\n{output}")
        estimate = float(match[1])
        with tempfile.TemporaryDirectory() as folder:
            actual, _ = trustsim("sweep", path, "--out", str(Path(folder) / name), *workers)
        ratio = estimate / actual
        worst = max(worst, ratio, 1 / ratio)
        print(f"{name:<16} {estimate:>8.1f}s {actual:>7.1f}s {ratio:>6.2f}  {dry_wall:.1f} s", flush=True)
    print(f"worst ratio either way: {worst:.2f} (aim <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
