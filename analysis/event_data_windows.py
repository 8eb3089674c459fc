"""The event-data VAR on windows of k steps: does summing the model's scored actions over windows,
as event data sum a month's events (Ward 1982; Goldstein & Freeman 1990), give inertia above
reciprocity with a positive asymmetry, as the event data find? In the shipped scenarios inertia
passes reciprocity at k >= 2, but the asymmetry is then shown only in random_network at k = 6
(docs/patterns.md, 'What the model cannot reproduce').

Each scenario runs with its default parameters, lengthened to --steps, on seeds 0 .. S-1 with its
dyad rows. Every directed dyad's scored series (``trustsim.patterns.scored_actions``, Goldstein
weight / 10) is summed over consecutive windows of k steps (a last partial window dropped) and fitted
by the patterns' own VAR(1) with a constant (``trustsim.patterns.fit_dyad``, statsmodels); the
partner's cooperative and conflictual parts are the window sums of max(x, 0) and min(x, 0). As in
docs/patterns.md, coefficients are averaged over a run's fitted dyads, then given as the mean and
95% t interval over seeds (``trustsim.patterns.interval``). Every k has its i.i.d. null row, always
printed: each per-step series permuted in time (NumPy's generator seeded with the run's seed), then
summed and fitted alike; it shows what summing alone makes. With --steps 0 (each scenario's shipped
length) the k = 1 rows reproduce docs/patterns.md's event-data table to the digit.

    python analysis/event_data_windows.py       # dyad, europe, random_network; 600 steps, 30 seeds (6 min)
    python analysis/event_data_windows.py --scenarios europe --windows 1 --steps 0 --seeds 30

Prints one markdown table per scenario (progress on stderr).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel
from trustsim.patterns import PATTERN_SCENARIOS, fit_dyad, interval, scored_actions

COLUMNS = (
    "k",
    "windows",
    "fitted",
    "inertia",
    "reciprocity",
    "inertia - reciprocity",
    "response to cooperation",
    "response to conflict",
    "asymmetry (conflict - cooperation)",
)


def scored_run(name: str, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One run's scored actions (steps x directed edges) and each directed edge's reverse, set up
    as ``trustsim.patterns.run_fits`` sets up its runs."""
    scenario = load_scenario(name, [f"steps={steps}"] if steps else [])
    scenario = scenario.model_copy(update={"seed": seed}, deep=True)
    scenario.record.dyads = True
    model = TrustModel(scenario)
    model.run()
    return scored_actions(model), np.asarray(model.rev)


def window_sums(series: np.ndarray, k: int) -> np.ndarray:
    """Sums over consecutive windows of k steps (rows); a last partial window is dropped."""
    windows = len(series) // k
    return series[: windows * k].reshape(windows, k, *series.shape[1:]).sum(axis=1)


def fit_windows(scores: np.ndarray, reverse: np.ndarray, k: int) -> tuple[float, np.ndarray | None]:
    """The share of directed dyads fitted on window sums of k steps, and the mean over them of
    (inertia, reciprocity, response to cooperation, response to conflict); None if none fits."""
    net = window_sums(scores, k)
    cooperation = window_sums(np.maximum(scores, 0.0), k)
    conflict = window_sums(np.minimum(scores, 0.0), k)
    fits = [
        fit_dyad(net[:, edge], net[:, back], cooperation[:, back], conflict[:, back])
        for edge, back in enumerate(reverse)
    ]
    rows = [(f.inertia, f.reciprocity, f.to_cooperation, f.to_conflict) for f in fits if f is not None]
    return len(rows) / len(reverse), (np.mean(rows, axis=0) if rows else None)


def row(label: str, windows: int, shares: list[float], means: list[np.ndarray]) -> str:
    values = np.array(means).reshape(-1, 4)
    inertia, reciprocity, cooperation, conflict = values.T
    columns = (inertia, reciprocity, inertia - reciprocity, cooperation, conflict, conflict - cooperation)
    cells = [f"{m:+.3f} [{low:+.3f}, {high:+.3f}]" for m, low, high in map(interval, columns)]
    return f"| {label} | {windows} | {np.mean(shares):.0%} | " + " | ".join(cells) + " |"


def scenario_table(name: str, steps: int, seeds: int, ks: list[int]) -> str:
    """One scenario's table: each k as run, then its i.i.d. null."""
    kinds = ("", ", i.i.d. null")
    shares = {(k, kind): [] for k in ks for kind in kinds}
    means = {(k, kind): [] for k in ks for kind in kinds}
    length = 0
    for seed in range(seeds):
        print(f"{name} seed {seed} ...", file=sys.stderr, flush=True)
        scores, reverse = scored_run(name, steps, seed)
        length = len(scores)
        permuted = np.random.default_rng(seed).permuted(scores, axis=0)  # each column on its own
        for k in ks:
            for kind, series in zip(kinds, (scores, permuted), strict=True):
                share, mean = fit_windows(series, reverse, k)
                shares[k, kind].append(share)
                if mean is not None:
                    means[k, kind].append(mean)
    lines = [
        f"## {name}: {length} steps, seeds 0-{seeds - 1}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    lines += [row(f"{k}{kind}", length // k, shares[k, kind], means[k, kind]) for k in ks for kind in kinds]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="+", default=list(PATTERN_SCENARIOS), choices=PATTERN_SCENARIOS)
    parser.add_argument("--steps", type=int, default=600, help="steps per run; 0: the scenario's own")
    parser.add_argument("--seeds", type=int, default=30, help="replications, seeds 0 .. SEEDS-1")
    parser.add_argument("--windows", default="1,2,3,4,6,12", help="window lengths k, comma-separated")
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.windows.split(",")]
    if args.seeds < 2 or args.steps < 0 or min(ks) < 1:
        parser.error("--seeds must be >= 2, --steps >= 0 and every window >= 1")
    for name in args.scenarios:
        print(scenario_table(name, args.steps, args.seeds, ks) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
