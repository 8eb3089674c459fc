"""A Match of two policies in the iterated Prisoner's Dilemma, played by the full TrustModel.

Like the Match of the Axelrod library: two players, a number of turns, execution noise flipping
each intended move (the first too) and repetitions; but every turn is a step of ``TrustModel`` built
from ``configs/classic_ipd.yaml``, so the special case checks the model itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.config.schema import Scenario
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


def play(scenario: Scenario, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """One repetition: per-player mean payoff per turn and cooperation rate."""
    model = TrustModel(scenario, rng=np.random.default_rng(seed))
    total = np.zeros(2)
    cooperated = np.zeros(2)
    for _ in range(scenario.steps):
        model.step()
        # Edge 0 is A -> B, edge 1 is B -> A: payoff and move of each player in turn.
        total += model.last.payoff
        cooperated += model.catalog.kind[model.last.actions] == CONSTRUCTIVE
    return total / scenario.steps, cooperated / scenario.steps


def run_match(
    policy_a: str,
    policy_b: str,
    turns: int = 200,
    noise: float = 0.0,
    repetitions: int = 100,
    seed: int = 0,
    payoffs: tuple[float, ...] | None = None,
) -> MatchResult:
    """Play ``repetitions`` independent matches, with seeds spawned from ``seed``."""
    scenario = match_scenario(policy_a, policy_b, turns, noise, payoffs)
    seeds = np.random.SeedSequence(seed).spawn(repetitions)
    outcomes = [play(scenario, child) for child in seeds]
    payoff = np.array([p for p, _ in outcomes])
    cooperation = np.array([c for _, c in outcomes])
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
