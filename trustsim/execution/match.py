"""A Match of two policies in the iterated Prisoner's Dilemma, played by the full TrustModel.

Like the Match of the Axelrod library: two players, a number of turns, execution noise flipping
each intended move (the first too) and repetitions; but every turn is a step of ``TrustModel`` built
from ``configs/classic_ipd.yaml``, so the special case checks the model itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.config.schema import Scenario
from trustsim.config.vocabulary import MATCH_DEFAULTS
from trustsim.model.catalog import CONSTRUCTIVE
from trustsim.model.model import TrustModel

IPD_CONFIG = "classic_ipd"


@dataclass
class MatchResult:
    policies: list[str]
    turns: int
    noise: float
    repetitions: int
    mean_payoff: list[float]
    stderr: list[float]
    cooperation: list[float]

    def as_dict(self) -> dict:
        return asdict(self)


def match_scenario(
    policy_a: str, policy_b: str, turns: int, noise: float, payoffs: tuple[float, ...] | None = None
) -> Scenario:
    """The classic IPD scenario with the two players' policies, turns, noise and payoffs set."""
    overrides = [
        f"states.0.policy={policy_a}",
        f"states.1.policy={policy_b}",
        f"steps={turns}",
        f"execution_noise={noise}",
        "record.model=false",
        "record.dyads=false",
        "record.attribution=false",
    ]
    if payoffs is not None:
        overrides += [f"payoffs.{key}={value}" for key, value in zip("TRPS", payoffs, strict=True)]
    return load_scenario(IPD_CONFIG, overrides)


def play_all(
    scenario: Scenario, seeds: list, progress: Callable[[], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One repetition per seed, all stepped together in one batched model (``copies``): per
    repetition (row) and player (column), the mean payoff per turn and the cooperation rate. Each
    repetition is exactly the match ``TrustModel(scenario, rng=np.random.default_rng(seed))`` plays
    alone. ``progress`` is called after each turn (all repetitions at once)."""
    model = TrustModel(scenario, copies=seeds)
    edges = model.copy_edges  # per repetition: edge A -> B, then B -> A
    total = np.zeros(edges.shape)
    cooperated = np.zeros(edges.shape)
    for _ in range(scenario.steps):
        model.step()
        total += model.last.payoff[edges]
        cooperated += model.catalog.kind[model.last.actions[edges]] == CONSTRUCTIVE
        if progress is not None:
            progress()
    return total / scenario.steps, cooperated / scenario.steps


def play(scenario: Scenario, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """One repetition: per-player mean payoff per turn and cooperation rate."""
    payoff, cooperation = play_all(scenario, [seed])
    return payoff[0], cooperation[0]


def run_match(
    policy_a: str,
    policy_b: str,
    turns: int = MATCH_DEFAULTS["turns"],
    noise: float = MATCH_DEFAULTS["noise"],
    repetitions: int = MATCH_DEFAULTS["repetitions"],
    seed: int = MATCH_DEFAULTS["seed"],
    payoffs: tuple[float, ...] | None = None,
    progress: Callable[[], None] | None = None,
) -> MatchResult:
    """Play ``repetitions`` independent matches, with seeds spawned from ``seed`` (``progress``:
    called after each turn)."""
    scenario = match_scenario(policy_a, policy_b, turns, noise, payoffs)
    seeds = np.random.SeedSequence(seed).spawn(repetitions)
    payoff, cooperation = play_all(scenario, seeds, progress)
    stderr = payoff.std(axis=0, ddof=1) / np.sqrt(repetitions) if repetitions > 1 else np.zeros(2)
    return MatchResult(
        policies=[policy_a, policy_b],
        turns=turns,
        noise=noise,
        repetitions=repetitions,
        mean_payoff=payoff.mean(axis=0).tolist(),
        stderr=stderr.tolist(),
        cooperation=cooperation.mean(axis=0).tolist(),
    )
