"""Each policy's ``classifier`` (as in the Axelrod library) says what it is, and the model agrees.

- ``stochastic: False``: the same match gives the same moves whatever the seed;
  ``stochastic: True``: some seed gives other moves.
- ``memory_depth: 0``: the moves do not depend on the partner's (the same against all_cooperate and
  all_defect); a policy with memory answers them (different moves).

Policies are picked for each check by filtering on their classifier, so a new policy is checked by
what it declares.
"""

from __future__ import annotations

import numpy as np
import pytest

from trustsim.execution.match import match_scenario
from trustsim.model.model import TrustModel
from trustsim.model.policies import POLICIES

TURNS = 60


def moves(policy: str, opponent: str, seed: int) -> tuple[int, ...]:
    """Player A's kind of move (1 cooperate, -1 defect) on each turn of a noiseless match."""
    model = TrustModel(match_scenario(policy, opponent, TURNS, 0.0), rng=np.random.default_rng(seed))
    played = []
    for _ in range(TURNS):
        model.step()
        played.append(int(model.last.kind[0]))
    return tuple(played)


def names(**classifier) -> list[str]:
    return [
        name for name, cls in POLICIES.items() if all(cls.classifier[k] == v for k, v in classifier.items())
    ]


def test_every_policy_declares_a_classifier():
    for name, cls in POLICIES.items():
        assert set(cls.classifier) == {"memory_depth", "stochastic"}, name
    assert names(stochastic=True) and names(stochastic=False) and names(memory_depth=0)


@pytest.mark.parametrize("policy", names(stochastic=False))
def test_deterministic_policies_play_the_same_moves_whatever_the_seed(policy):
    for opponent in ("tit_for_tat", "suspicious_tit_for_tat", "grudger"):
        assert len({moves(policy, opponent, seed) for seed in range(4)}) == 1, opponent


@pytest.mark.parametrize("policy", names(stochastic=True))
def test_stochastic_policies_play_other_moves_under_another_seed(policy):
    assert len({moves(policy, "suspicious_tit_for_tat", seed) for seed in range(8)}) > 1


@pytest.mark.parametrize("policy", names(memory_depth=0))
def test_memoryless_policies_ignore_the_partner(policy):
    assert moves(policy, "all_cooperate", 0) == moves(policy, "all_defect", 0)


@pytest.mark.parametrize(
    "policy", [name for name in POLICIES if POLICIES[name].classifier["memory_depth"] != 0]
)
def test_policies_with_memory_answer_the_partner(policy):
    assert moves(policy, "all_cooperate", 0) != moves(policy, "all_defect", 0)
