"""States: the agents of the model (SPEC item 1). Their model is a ``TrustModel``, typed as
``mesa.Model`` because ``trustsim.model.model`` imports this module, not the other way round."""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import Cell, FixedAgent


class State(FixedAgent):
    """A state on the relations network.

    Its trust toward the others is its row of the model's trust matrix and its posture an entry of
    the model's posture vector: the agent reads and writes its own share, the model does the
    arithmetic for all states at once.
    """

    def __init__(
        self,
        model: mesa.Model,
        cell: Cell,
        code: str,
        name: str,
        bloc: str,
        capability: float,
        policy: str,
    ) -> None:
        super().__init__(model)
        self.cell = cell
        self.index: int = cell.coordinate
        self.code = code
        self.name = name or code
        self.bloc = bloc
        self.capability = capability
        self._policy = policy

    @property
    def policy(self) -> str:
        """Name of the decision policy in the registry; a change applies from the next decision."""
        return self._policy

    @policy.setter
    def policy(self, name: str) -> None:
        self._policy = name
        self.model.policies_changed()

    @property
    def trust(self) -> np.ndarray:
        """This state's trust toward every state (of its own copy, in a batch): a view of the model's
        matrix (writing it writes the matrix), or with local views a copy (the held views and,
        elsewhere, initial trust)."""
        if self.model.local:
            return self.model.trust_of(np.full(self.model.n, self.index), np.arange(self.model.n))
        return self.model.trust[self.index]

    @property
    def posture(self) -> float:
        return float(self.model.posture[self.index])

    @posture.setter
    def posture(self, value: float) -> None:
        self.model.posture[self.index] = value

    @property
    def trust_received(self) -> float:
        """Mean trust the state's partners place in it."""
        partners = self.model.neighbours(self.index)
        return float(self.model.trust_of(partners, self.index).mean()) if len(partners) else float("nan")

    def __repr__(self) -> str:
        return f"State({self.code}, bloc={self.bloc}, policy={self.policy})"
