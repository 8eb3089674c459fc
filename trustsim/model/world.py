"""Building the world a scenario describes: the states, their relations network and initial trust."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from trustsim.config.schema import GeneratedNetwork, Scenario, StateSpec

KIND_CODES = {"ally": 0, "rival": 1, "neighbour": 2}


class WorldError(ValueError):
    """A scenario whose world cannot be simulated, found only when it is built (a seeded draw)."""


@dataclass(frozen=True)
class World:
    """States in node order, the relations graph (integer nodes) and the initial trust matrix."""

    states: list[StateSpec]
    graph: nx.Graph
    trust: np.ndarray


def generate_states(
    spec: GeneratedNetwork, default_policy: str, rng: np.random.Generator
) -> tuple[list[StateSpec], nx.Graph]:
    """States ``S000…`` in ``spec.blocs`` blocs on a seeded random graph; same bloc means ally."""
    n = spec.n
    graph_seed = int(rng.integers(2**31 - 1))
    if spec.generator == "complete":
        graph = nx.complete_graph(n)
    elif spec.generator == "erdos_renyi":
        graph = nx.gnp_random_graph(n, spec.degree / (n - 1), seed=graph_seed)
    elif spec.generator == "watts_strogatz":
        graph = nx.connected_watts_strogatz_graph(n, max(2, spec.degree), spec.rewire, seed=graph_seed)
    else:
        graph = nx.barabasi_albert_graph(n, max(1, spec.degree // 2), seed=graph_seed)
    blocs = [chr(ord("A") + i) for i in range(spec.blocs)]
    bloc_of = rng.permutation(np.arange(n) % spec.blocs)
    capability = np.exp(rng.normal(0.0, spec.capability_spread, n))
    policies = np.full(n, default_policy, dtype=object)
    shares = list(spec.policy_mix.items())
    if shares:
        draws = rng.random(n)
        edges = np.cumsum([share for _, share in shares])
        for (name, _), low, high in zip(shares, np.concatenate([[0.0], edges[:-1]]), edges, strict=True):
            policies[(draws >= low) & (draws < high)] = name
    greedy = rng.random(n) < spec.greedy_share if spec.greedy_share > 0 else np.zeros(n, dtype=bool)
    states = [
        StateSpec(
            code=f"S{i:03d}",
            name=f"State {i}",
            bloc=f"bloc {blocs[bloc_of[i]]}",
            capability=round(float(capability[i]), 6),
            policy=str(policies[i]),
            motive="greedy" if greedy[i] else "security",
        )
        for i in range(n)
    ]
    for a, b in graph.edges:
        graph.edges[a, b]["kind"] = "ally" if bloc_of[a] == bloc_of[b] else "rival"
        graph.edges[a, b]["salience"] = 1.0
    return states, graph


def build_world(scenario: Scenario, rng: np.random.Generator) -> World:
    """Turn the scenario into states, a graph on integer nodes, and the initial trust matrix."""
    if scenario.network is not None:
        states, graph = generate_states(scenario.network, scenario.default_policy, rng)
    else:
        states = list(scenario.states)
        index = {state.code: i for i, state in enumerate(states)}
        graph = nx.Graph()
        graph.add_nodes_from(range(len(states)))
        for relation in scenario.relations:
            graph.add_edge(
                index[relation.a], index[relation.b], kind=relation.kind, salience=relation.salience
            )
    if graph.number_of_edges() == 0:
        raise WorldError(
            f"the {scenario.network.generator if scenario.network else 'given'} network drawn for "
            f"seed {scenario.seed} has no relations; raise network.degree or choose another seed"
        )
    return World(states=states, graph=graph, trust=initial_trust(scenario, states, graph))


def replicate(world: World, copies: int) -> World:
    """``copies`` disjoint copies of ``world`` as one world: copy b's states are nodes b*n ... b*n+n-1,
    its relations the same as the original's among them, its initial trust the original's (between
    copies: 1, never read, and never congealing). One model on it steps ``copies`` runs of the same
    structure at once (``TrustModel(config, copies=seeds)``)."""
    n = len(world.states)
    graph = nx.disjoint_union_all([world.graph] * copies)
    trust = np.ones((n * copies, n * copies))
    for b in range(copies):
        trust[b * n : (b + 1) * n, b * n : (b + 1) * n] = world.trust
    return World(states=list(world.states) * copies, graph=graph, trust=trust)


def initial_trust(scenario: Scenario, states: list[StateSpec], graph: nx.Graph) -> np.ndarray:
    """Trust at step 0: default, then bloc levels, then relation kinds, then explicit pairs."""
    spec = scenario.initial_trust
    n = len(states)
    trust = np.full((n, n), spec.default)
    blocs = np.array([state.bloc for state in states])
    same = blocs[:, None] == blocs[None, :]
    if spec.within_bloc is not None:
        trust[same] = spec.within_bloc
    if spec.across_bloc is not None:
        trust[~same] = spec.across_bloc
    for a, b, kind in graph.edges(data="kind"):
        if kind in spec.by_kind:
            trust[a, b] = trust[b, a] = spec.by_kind[kind]
    index = {state.code: i for i, state in enumerate(states)}
    explicit = set()
    for pair in spec.pairs:
        i, j = index[pair.source], index[pair.target]
        trust[i, j] = pair.value
        explicit.add((i, j))
    if spec.symmetric_pairs:
        for pair in spec.pairs:
            i, j = index[pair.source], index[pair.target]
            if (j, i) not in explicit:
                trust[j, i] = pair.value
    np.fill_diagonal(trust, 1.0)
    return trust
