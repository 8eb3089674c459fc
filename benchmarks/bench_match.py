"""`trustsim match` against the Axelrod library, side by side in one run, on the same matches.

For each pair of strategies, plays ``--repetitions`` matches of ``--turns`` turns with noise
``--noise`` in both: trustsim's ``run_match`` (the full TrustModel, all repetitions stepped together in
one batched model) and the Axelrod library's ``Match.play`` (one match after another, as its
tournaments do). Alternates the two ``--rounds`` times and prints each one's best time and the ratio
axelrod / trustsim (above 1: trustsim is faster). The Axelrod library is in the ``bench`` extra:
``pip install -e ".[bench]"``.

Usage::

    python benchmarks/bench_match.py                       # 200 matches of 200 turns, noise 0.05
    python benchmarks/bench_match.py --turns 200 --repetitions 200 --rounds 5
"""

from __future__ import annotations

import argparse
import time

PAIRS = (  # trustsim policy, axelrod strategy; both players
    (("tit_for_tat", "TitForTat"), ("grudger", "Grudger")),
    (("win_stay_lose_shift", "WinStayLoseShift"), ("suspicious_tit_for_tat", "SuspiciousTitForTat")),
    (("generous_tit_for_tat", "GTFT"), ("all_defect", "Defector")),
)


def time_trustsim(a: str, b: str, args: argparse.Namespace) -> float:
    from trustsim.execution.match import run_match

    started = time.perf_counter()
    run_match(a, b, args.turns, args.noise, args.repetitions, seed=0)
    return time.perf_counter() - started


def time_axelrod(a: str, b: str, args: argparse.Namespace) -> float:
    import axelrod as axl

    started = time.perf_counter()
    for seed in range(args.repetitions):
        players = (getattr(axl, a)(), getattr(axl, b)())
        axl.Match(players, turns=args.turns, noise=args.noise, seed=seed).play()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    time_trustsim("tit_for_tat", "grudger", argparse.Namespace(turns=5, noise=0.0, repetitions=2))  # warm-up
    print(
        f"{args.repetitions} matches of {args.turns} turns, noise {args.noise}; best of {args.rounds} rounds"
    )
    print(f"{'pair':<46} {'trustsim':>9} {'axelrod':>9} {'axelrod / trustsim':>19}")
    for (a, axl_a), (b, axl_b) in PAIRS:
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(time_trustsim(a, b, args))
            theirs.append(time_axelrod(axl_a, axl_b, args))
        best, anchor = min(ours), min(theirs)
        print(f"{a + ' v ' + b:<46} {best:>8.3f}s {anchor:>8.3f}s {anchor / best:>19.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
