"""Building the world a scenario describes: the states, their relations network and initial trust."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import networkx as nx
import numpy as np

from trustsim.config.schema import GeneratedNetwork, Scenario, StateSpec
from trustsim.model import kernels

KIND_CODES = {"ally": 0, "rival": 1, "neighbour": 2}


class WorldError(ValueError):
    """A scenario whose world cannot be simulated, found only when it is built (a seeded draw)."""


@dataclass(frozen=True)
class Relations:
    """A world's relations as arrays, in the order of ``sorted(graph.edges)``: each one's two states
    (``pairs``, relations x 2, as the graph lists them), kind (``KIND_CODES``) and salience."""

    pairs: np.ndarray
    kind: np.ndarray
    salience: np.ndarray


def relations_of(graph: nx.Graph) -> Relations:
    """The graph's relations as arrays, read in one pass over its edges."""
    edges = sorted(graph.edges(data=True), key=lambda edge: (edge[0], edge[1]))
    return Relations(
        pairs=np.array([(a, b) for a, b, _ in edges], dtype=np.int64).reshape(-1, 2),
        kind=np.array([KIND_CODES[data["kind"]] for *_, data in edges], dtype=np.int8),
        salience=np.array([data["salience"] for *_, data in edges], dtype=float),
    )


@dataclass(frozen=True)
class World:
    """States in node order, the relations graph (integer nodes) and its ``relations`` as arrays,
    and initial trust: ``initial(rows, cols)`` gives it for any pairs (arrays of one shape);
    ``trust`` is the whole n x n matrix (a batch's: its copies' stacked, ``replicate``), or None
    where a run holds only local views (``propagation.views: local``) and never builds it."""

    states: list[StateSpec]
    graph: nx.Graph
    relations: Relations
    initial: Callable[[np.ndarray, np.ndarray], np.ndarray]
    trust: np.ndarray | None


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
    capability = kernels.exp(rng.normal(0.0, spec.capability_spread, n))
    policies = np.full(n, default_policy, dtype=object)
    shares = list(spec.policy_mix.items())
    if shares:
        draws = rng.random(n)
        edges = np.cumsum([share for _, share in shares])
        for (name, _), low, high in zip(shares, np.concatenate([[0.0], edges[:-1]]), edges, strict=True):
            policies[(draws >= low) & (draws < high)] = name
    greedy = rng.random(n) < spec.greedy_share if spec.greedy_share > 0 else np.zeros(n, dtype=bool)
    # Built from values made here within the schema's bounds, so not validated again: copies of one
    # ``model_construct``-ed state with these fields set (a batch of generated networks builds
    # thousands, and ``model_construct`` looks up every default each time).
    fields = ("code", "name", "bloc", "capability", "policy", "motive")
    template = StateSpec.model_construct(**dict.fromkeys(fields, ""))
    states = [
        template.model_copy(
            update={
                "code": f"S{i:03d}",
                "name": f"State {i}",
                "bloc": f"bloc {blocs[bloc_of[i]]}",
                "capability": round(float(capability[i]), 6),
                "policy": str(policies[i]),
                "motive": "greedy" if greedy[i] else "security",
            }
        )
        for i in range(n)
    ]
    for a, b, data in graph.edges(data=True):
        data["kind"] = "ally" if bloc_of[a] == bloc_of[b] else "rival"
        data["salience"] = 1.0
    return states, graph


def build_world(scenario: Scenario, rng: np.random.Generator, matrix: bool = True) -> World:
    """Turn the scenario into states, a graph on integer nodes, and initial trust (with ``matrix``,
    also as the n x n matrix)."""
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
    initial = partial(initial_trust_at, scenario, states, graph)
    n = len(states)
    trust = initial(*np.divmod(np.arange(n * n), n)).reshape(n, n) if matrix else None
    return World(states=states, graph=graph, relations=relations_of(graph), initial=initial, trust=trust)


def replicate(worlds: Sequence[World]) -> World:
    """Disjoint copies of the ``worlds`` (one per run of a batch, all with as many states n) as one
    world: copy b's states are nodes b*n ... b*n+n-1, its relations those of ``worlds[b]`` among
    them. Its trust is the copies' matrices stacked, (copies x n) x n: row i holds state i's views of
    the n states of its own copy (column j - b*n), so that a batch holds what its runs alone hold
    and no more (there is no trust between copies). One model on it steps the runs at once
    (``TrustModel(config, copies=seeds)``): copies of one explicit scenario, or each seed's own
    generated network."""
    n, copies = len(worlds[0].states), len(worlds)
    if len({len(world.relations.pairs) for world in worlds}) > 1:
        raise ValueError("copies: the copies' networks must have as many relations each")
    # Copy b's relations are its world's, b * n further on: in the order sorted(graph.edges) gives
    # on the union (copy b's states all come before copy b + 1's).
    relations = Relations(
        pairs=np.concatenate([world.relations.pairs + b * n for b, world in enumerate(worlds)]),
        kind=np.concatenate([world.relations.kind for world in worlds]),
        salience=np.concatenate([world.relations.salience for world in worlds]),
    )
    graph = nx.Graph()  # nx.disjoint_union_all's topology (the relations' data are in ``relations``)
    graph.add_nodes_from(range(n * copies))
    graph.add_edges_from(relations.pairs.tolist())
    trust = np.concatenate([world.trust for world in worlds])
    return World(
        states=[state for world in worlds for state in world.states],
        graph=graph,
        relations=relations,
        initial=lambda rows, cols: trust[rows, np.asarray(cols) % n],
        trust=trust,
    )


def initial_trust_at(
    scenario: Scenario, states: list[StateSpec], graph: nx.Graph, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """Trust at step 0 of each pair (rows[i], cols[i]): default, then bloc levels, then relation
    kinds, then explicit pairs; 1 on the diagonal. Any pairs, so that a run holding local views
    never builds the n x n matrix (which is this function over every pair)."""
    spec = scenario.initial_trust
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    n = len(states)
    keys = rows * n + cols
    trust = np.full(keys.shape, spec.default)
    blocs = np.unique([state.bloc for state in states], return_inverse=True)[1]
    same = blocs[rows] == blocs[cols]
    if spec.within_bloc is not None:
        trust[same] = spec.within_bloc
    if spec.across_bloc is not None:
        trust[~same] = spec.across_bloc
    by_kind = [(a, b, spec.by_kind[kind]) for a, b, kind in graph.edges(data="kind") if kind in spec.by_kind]
    index = {state.code: i for i, state in enumerate(states)}
    explicit = {(index[pair.source], index[pair.target]): pair.value for pair in spec.pairs}
    # Later entries override earlier ones, in the order the matrix was always filled.
    assigned: dict[int, float] = {}
    for a, b, value in by_kind:
        assigned[a * n + b] = assigned[b * n + a] = value
    for (i, j), value in explicit.items():
        assigned[i * n + j] = value
    if spec.symmetric_pairs:
        for (i, j), value in explicit.items():
            if (j, i) not in explicit:
                assigned[j * n + i] = value
    if assigned:
        where = np.fromiter(assigned, dtype=np.int64, count=len(assigned))
        values = np.fromiter(assigned.values(), dtype=float, count=len(assigned))
        order = np.argsort(where)
        where, values = where[order], values[order]
        position = np.minimum(np.searchsorted(where, keys), len(where) - 1)
        hit = where[position] == keys
        trust[hit] = values[position[hit]]
    trust[rows == cols] = 1.0
    return trust
