"""The model's step against another version of itself, side by side in one run.

Checks out ``--ref`` (default ab03262, model v1) into a temporary git worktree and runs
``benchmarks/bench_model.py`` (this tree's script) on it and on this tree in alternation, ``--rounds``
times, so that both see the same machine load. Prints, per case, each version's best run time over
the rounds and their ratio (this tree / ref): below 1 is faster than the reference.
Each round builds and runs two models per case in one process: the first run pays the process's
one-time costs (imports, loading compiled kernels from numba's cache), the second is the steady
state that every further run of a sweep worker sees. Both are printed.

Usage::

    python benchmarks/bench_against.py                          # v1 (ab03262), 200 steps, 3 rounds
    python benchmarks/bench_against.py --ref HEAD~3 --steps 1000 --rounds 5 --sizes 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_model.py"


@contextmanager
def checked_out(ref: str) -> Iterator[Path]:
    """``ref`` checked out in a temporary git worktree (a folder of its own), removed after."""
    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / "ref"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(reference), ref],
            check=True,
            capture_output=True,
        )
        try:
            yield reference
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(reference)], check=False
            )


def bench(checkout: Path, args: argparse.Namespace) -> list[dict]:
    command = [sys.executable, str(BENCH), "--json", "--attribution", "off", "--repeat", "2"]
    command += ["--steps", str(args.steps), "--sizes", *map(str, args.sizes)]
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        command, cwd=checkout, env=environment, capture_output=True, text=True, check=True, timeout=3600
    )
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="ab03262", help="git revision to compare with (default: v1)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    args = parser.parse_args(argv)

    results: dict[str, dict[str, list[tuple[float, float]]]] = {"ref": {}, "this": {}}
    with checked_out(args.ref) as reference:
        for round_ in range(args.rounds):
            for label, checkout in (("ref", reference), ("this", ROOT)):
                print(f"round {round_ + 1}/{args.rounds}: {label}", file=sys.stderr, flush=True)
                for row in bench(checkout, args):
                    times = results[label].setdefault(f"N={row['n']} {row['graph']}", [])
                    first, second = row["run_s_all"][:2]
                    times.append((second, first))

    print(f"{args.steps} steps, attribution off, best of {args.rounds} alternating rounds; ref = {args.ref}")
    print(
        f"{'case':<28} {'ref steady':>10} {'this steady':>11} {'ratio':>6} "
        f"{'ref first':>9} {'this first':>10} {'ratio':>6}"
    )
    for case, reference_times in results["ref"].items():
        this_times = results["this"][case]
        # Best of the rounds: on a shared machine other processes only ever add time.
        ref_steady, ref_first = (min(t[i] for t in reference_times) for i in (0, 1))
        steady, first = (min(t[i] for t in this_times) for i in (0, 1))
        print(
            f"{case:<28} {ref_steady:>10.3f} {steady:>11.3f} {steady / ref_steady:>6.2f} "
            f"{ref_first:>9.3f} {first:>10.3f} {first / ref_first:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
