"""The action catalog as columns of NumPy arrays, indexed by action id, for vectorized lookups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from trustsim.config.schema import Action

# Kinds are coded as the moves of policies.py: constructive = C, neutral = N, escalatory = D.
CONSTRUCTIVE, NEUTRAL, ESCALATORY = 1, 0, -1
KIND_CODE = {"constructive": CONSTRUCTIVE, "neutral": NEUTRAL, "escalatory": ESCALATORY}
# Cooperation level of each kind in the payoff's bilinear form: C = 1, D = 0, holding halfway.
COOPERATION_LEVEL = {CONSTRUCTIVE: 1.0, NEUTRAL: 0.5, ESCALATORY: 0.0}


@dataclass(frozen=True)
class Catalog:
    """Every action attribute as an array, so that ``catalog.other_view[actions]`` is one lookup."""

    names: tuple[str, ...]
    kind: np.ndarray
    self_view: np.ndarray
    other_view: np.ndarray
    cost: np.ndarray
    verifiability: np.ndarray
    posture: np.ndarray
    fog: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    target_cost: np.ndarray
    right: np.ndarray
    shared_threat: np.ndarray
    cooperation: np.ndarray

    @classmethod
    def from_actions(cls, actions: list[Action]) -> Catalog:
        def column(attribute: str, dtype: type = float) -> np.ndarray:
            return np.array([getattr(action, attribute) for action in actions], dtype=dtype)

        kind = np.array([KIND_CODE[action.kind] for action in actions], dtype=np.int8)
        return cls(
            names=tuple(action.name for action in actions),
            kind=kind,
            self_view=column("self_view"),
            other_view=column("other_view"),
            cost=column("cost"),
            verifiability=column("verifiability"),
            posture=column("posture"),
            fog=column("fog"),
            positive=np.array([a.incentive == "positive" for a in actions]),
            negative=np.array([a.incentive == "negative" for a in actions]),
            target_cost=column("target_cost"),
            right=column("right", bool),
            shared_threat=column("shared_threat", bool),
            cooperation=np.array([COOPERATION_LEVEL[k] for k in kind]),
        )

    def index(self, name: str) -> int:
        return self.names.index(name)

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def kind_count(self) -> np.ndarray:
        """Per action, the number of catalog actions of its kind (the logit's equal prior per kind)."""
        kinds, counts = np.unique(self.kind, return_inverse=True, return_counts=True)[1:]
        return counts[kinds].astype(float)

    @cached_property
    def escalatory(self) -> np.ndarray:
        """Per action, 1.0 if it is escalatory, else 0.0 (the logit's weight of escalation costs)."""
        return (self.kind == ESCALATORY).astype(float)

    @cached_property
    def self_other_gap(self) -> np.ndarray:
        """Per action: self-view - other-view (the countervailing-rights gap)."""
        return self.self_view - self.other_view

    @cached_property
    def by_size(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per kind: its actions sorted by |other_view| (stable), and those sizes (GRIT's nearest
        step by size, ``kernels.grit``)."""
        table = {}
        for kind in (CONSTRUCTIVE, NEUTRAL, ESCALATORY):
            candidates = np.flatnonzero(self.kind == kind)
            sizes = np.abs(self.other_view[candidates])
            order = np.argsort(sizes, kind="stable")
            table[kind] = candidates[order], sizes[order]
        return table
