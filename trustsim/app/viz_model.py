"""The model as the app runs it: ``TrustModel`` built from SolaraViz's keyword arguments, with a
cached layout, an intervention scheduled from the page, and its counterfactual: the same run
without the interventions, on common random numbers."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from trustsim.app.scenarios import DEFAULT_SCENARIO, build_scenario
from trustsim.config.loading import ConfigError
from trustsim.config.schema import Intervention
from trustsim.model.model import TrustModel

_LAYOUTS: dict[tuple, np.ndarray] = {}


def network_layout(graph: nx.Graph) -> np.ndarray:
    """Node positions (n x 2), computed once per graph and cached: a force-directed layout costs
    seconds at a few hundred states, so it is never recomputed on a step or a Reset."""
    key = (graph.number_of_nodes(), tuple(sorted(tuple(sorted(e)) for e in graph.edges)))
    if key not in _LAYOUTS:
        n = graph.number_of_nodes()
        if n <= 40:
            pos = nx.kamada_kawai_layout(graph) if nx.is_connected(graph) else nx.spring_layout(graph, seed=1)
        else:
            pos = nx.spring_layout(graph, seed=1, iterations=60)
        xy = np.array([pos[i] for i in range(n)], dtype=float)
        xy -= xy.mean(axis=0)
        xy /= max(np.abs(xy).max(), 1e-9)
        if len(_LAYOUTS) >= 64:  # a new seed can draw a new network: keep the latest 64
            del _LAYOUTS[next(iter(_LAYOUTS))]
        _LAYOUTS[key] = xy
    return _LAYOUTS[key]


class VizModel(TrustModel):
    """``TrustModel`` built the way SolaraViz builds models: from keyword arguments.

    ``scenario_name`` is a picker entry (or a scenario name or path), ``seed`` the seed, and every
    other keyword a dotted config path with its value (the sliders). Mesa's Reset also passes its
    own ``scenario`` (an empty Mesa experiment scenario); it is not ours and is ignored. A seed that
    is not a whole number keeps the scenario's and says so in ``problem`` (shown on the page) rather
    than failing the Reset. The model stops at the scenario's ``steps``.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: int | str | None = None, **params: Any):
        params.pop("scenario", None)
        self.choice = scenario_name
        self.problem = ""
        if seed is not None and not str(seed).strip().isdigit() and str(seed).strip() != "":
            self.problem = f"seed {str(seed).strip()!r} is not a whole number >= 0: kept the scenario's"
            seed = None
        super().__init__(build_scenario(scenario_name, seed, params))
        self.layout = network_layout(self.grid.G)
        self.bloc_names = list(np.unique([state.bloc for state in self.states]))
        self.initiator_since = 1 if self.initiator is not None else None
        self.without: TrustModel | None = None  # the counterfactual, once there is an intervention
        if any(item.enabled for item in self.config.interventions):
            self.without = self._counterfactual()

    def step(self) -> None:
        super().step()
        if self.without is not None:
            self.without.step()
        if self.steps >= self.config.steps:
            self.running = False

    def _counterfactual(self) -> TrustModel:
        """The same run without its interventions: the same config and seed, so the same random
        numbers (every step draws the same arrays whatever the states do), with every intervention
        switched off (``enabled: false``, as a sweep's paired comparison does), brought to this step."""
        config = self.config.model_copy(deep=True)
        config.interventions = [item.model_copy(update={"enabled": False}) for item in config.interventions]
        without = TrustModel(config)
        for _ in range(self.steps):
            without.step()
        without.initiator, without.hops = self.initiator, self.hops.copy()  # the same states followed
        return without

    def trust_received(self) -> np.ndarray:
        """Mean trust each state's partners place in it: ``State.trust_received`` of every state,
        over the edges at once (each partner i's trust in j is edge i -> j's)."""
        edges = np.bincount(self.dst, minlength=self.n)
        total = np.bincount(self.dst, weights=self.trust_at(self.flat_src_dst), minlength=self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(edges > 0, total / np.maximum(edges, 1), np.nan)

    def partners(self, code: str) -> list[str]:
        return [self.codes[j] for j in self.neighbours(self.codes.index(code))]

    def schedule_step(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        step: int | None = None,
        duration: int = 1,
        declared: bool = False,
    ) -> Intervention:
        """Schedule ``actor``'s ``action`` toward ``target`` (None: every partner) from ``step``
        (default: the next one) in the running model, checked as the page needs, and added with
        ``TrustModel.schedule`` as a scenario's ``interventions`` entry would be. The actor becomes
        the initiator followed by the ``trust_in_initiator_*`` measures, and the counterfactual
        (the run without it) starts, or takes the new step as switched off."""
        step = self.steps + 1 if step is None else int(step)
        item = Intervention(
            step=step, actor=actor, action=action, target=target, duration=duration, declared=declared
        )
        if actor not in self.codes:
            raise ConfigError(f"intervention: no state {actor!r}")
        if target is not None and target not in self.partners(actor):
            raise ConfigError(f"intervention: {target} is not a partner of {actor}")
        if action not in self.catalog.names:
            raise ConfigError(f"intervention: unknown action {action!r}")
        if not self.steps < step <= self.config.steps:
            raise ConfigError(
                f"intervention: step must be between {self.steps + 1} and {self.config.steps} (got {step})"
            )
        self.schedule(item)
        if self.without is None:
            self.without = self._counterfactual()
        else:
            self.without.schedule(item.model_copy(update={"enabled": False}))
        self.initiator_since = self.steps + 1
        return item
