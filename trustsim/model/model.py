"""TrustModel: states choosing constructive or escalatory steps, and trust moving between them.

One step (docs/ODD.md, "Process overview and scheduling"): policy changes scheduled for the step;
every state chooses an action toward each partner (policies, vectorized per policy); scheduled
actions override them; execution noise and paralysis; targets perceive the actions; payoffs; trust
updates (direct, third-party observation, alliance influence, decay) and congealing; posture
(Richardson); fog and escalation memory; records.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network

from trustsim.config.schema import Scenario
from trustsim.model import records
from trustsim.model.agents import State
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL, Catalog
from trustsim.model.policies import NONE, POLICIES, C, D, Dyads, N, Policy
from trustsim.model.threats import threat_level
from trustsim.model.trust_rules import RULES
from trustsim.model.world import KIND_CODES, build_world

DIRECT, OBSERVATION, ALLIANCE, DECAY = range(4)
ALLIES, NO_ACTOR = -1, -2  # attribution's actor for alliance influence and for decay
MECHANISMS = ("direct", "observation", "alliance", "decay")
DENSE_LIMIT = 200  # networks up to this many states use dense matrix products


class TrustModel(mesa.Model):
    """The trust model of a scenario. ``TrustModel(scenario)`` seeds from ``scenario.seed``."""

    def __init__(self, config: Scenario, rng: int | np.random.Generator | None = None) -> None:
        super().__init__(rng=config.seed if rng is None else rng)
        self.config = config
        self.catalog = Catalog.from_actions(config.actions)
        world = build_world(config, self.rng)
        self.n = len(world.states)
        self.grid = Network(world.graph, capacity=1, random=self.random, layout=None)
        self.trust = world.trust.copy()
        self.initial_trust = world.trust
        self.hardness = np.zeros_like(self.trust)
        self.posture = np.array([state.posture for state in world.states], dtype=float)
        self.fog = np.zeros(self.n)
        for state in world.states:
            cell = self.grid[len(self.agents)]
            State(
                self,
                cell,
                state.code,
                state.name,
                state.bloc,
                state.capability,
                state.policy or config.default_policy,
            )
        self.states: list[State] = sorted(self.agents, key=lambda agent: agent.index)
        self.codes = [state.code for state in self.states]
        self.capability = np.array([state.capability for state in self.states])
        self.bloc_ids = np.unique([s.bloc for s in self.states], return_inverse=True)[1]
        self._build_edges(world.graph)
        self._build_repertoires(world.states)
        self._build_richardson(world.states)
        self.rule = RULES[config.trust.rule](config.trust)
        self._policies: dict[str, Policy] = {}
        self._policy_edges: dict[str, np.ndarray] | None = None
        self.memory: dict[str, np.ndarray] = {}
        self._scheduled = self._schedule_interventions()
        self.initiator, self.hops = self._initiator_hops(world.graph)

        e = self.n_edges
        self.own_last = np.full(e, NONE, dtype=np.int8)
        self.other_last = np.full(e, NONE, dtype=np.int8)
        self.other_before = np.full(e, NONE, dtype=np.int8)
        self.other_last_value = np.zeros(e)
        self.escalation = np.zeros(e)
        self.last: records.StepOutcome | None = None
        self.dyad_log = records.DyadLog() if config.record.dyads else None
        self.attribution = records.AttributionLog() if config.record.attribution else None
        self.datacollector = mesa.DataCollector(model_reporters=records.MODEL_REPORTERS)

    # -- construction -----------------------------------------------------------------------------

    def _build_edges(self, graph: nx.Graph) -> None:
        """Directed edges (both directions of each relation) and the matrices built on them."""
        pairs = np.array(sorted(graph.edges), dtype=np.int64).reshape(-1, 2)
        self.src = np.concatenate([pairs[:, 0], pairs[:, 1]])
        self.dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
        half = len(pairs)
        self.n_edges = 2 * half
        self.rev = np.concatenate([np.arange(half, 2 * half), np.arange(half)])
        kinds = [graph.edges[a, b]["kind"] for a, b in pairs]
        self.edge_kind = np.array([KIND_CODES[k] for k in kinds] * 2, dtype=np.int8)
        self.salience = np.array([graph.edges[a, b]["salience"] for a, b in pairs] * 2)
        self.same_bloc = self.bloc_ids[self.src] == self.bloc_ids[self.dst]
        self.is_ally = self.edge_kind == KIND_CODES["ally"]
        self.first_half = np.arange(self.n_edges) < half
        n = self.n
        self.dense = n <= DENSE_LIMIT or self.n_edges > 0.25 * n * n
        self.out_degree = np.bincount(self.src, minlength=n)
        self._neighbours = np.split(
            self.dst[np.argsort(self.src, kind="stable")], np.cumsum(self.out_degree)[:-1]
        )
        self._build_observation()
        self._build_alliances()

    def _build_observation(self) -> None:
        """Who sees a step between others: k sees i's step toward j when j is k's ally or neighbour
        ("how i treats my friends tells me how it would treat me"; rivals' quarrels are not read).

        The observed signal of k about i is the salience-weighted mean over those steps:
        O = F V / W, F the friendship adjacency, V[j, i] the signal of edge i -> j, W = F 1_V.
        """
        n = self.n
        friendly = self.edge_kind != KIND_CODES["rival"]
        friends = sp.csr_matrix(
            (self.salience[friendly], (self.src[friendly], self.dst[friendly])), shape=(n, n)
        )
        indicator = sp.csr_matrix((np.ones(self.n_edges), (self.dst, self.src)), shape=(n, n))
        seen = (friends @ indicator).toarray()
        np.fill_diagonal(seen, 0.0)
        self.friends = friends.toarray() if self.dense else friends
        self.obs_rows, self.obs_cols = np.nonzero(seen > 0)
        self.obs_weight = seen[self.obs_rows, self.obs_cols]

    def _build_alliances(self) -> None:
        """Row-stochastic influence of allies' views (DeGroot 1974), weighted by salience."""
        n = self.n
        ally = self.edge_kind == KIND_CODES["ally"]
        weights = sp.csr_matrix((self.salience[ally], (self.src[ally], self.dst[ally])), shape=(n, n))
        totals = np.asarray(weights.sum(axis=1)).ravel()
        self.has_allies = totals > 0
        influence = sp.diags(np.divide(1.0, totals, out=np.zeros(n), where=totals > 0)) @ weights
        self.influence_dense = influence.toarray()
        self.influence = self.influence_dense if self.dense else influence.tocsr()

    def _build_repertoires(self, specs: list) -> None:
        default = self.config.repertoire
        self.repertoire = {}
        for slot in ("constructive", "escalatory", "neutral", "deterrent"):
            chosen = [getattr(spec.repertoire, slot) or getattr(default, slot) for spec in specs]
            self.repertoire[slot] = np.array([self.catalog.index(name) for name in chosen])

    def _build_richardson(self, specs: list) -> None:
        base = self.config.posture
        self.reaction = np.array(
            [s.richardson.reaction if s.richardson.reaction is not None else base.reaction for s in specs]
        )
        self.fatigue = np.array(
            [s.richardson.fatigue if s.richardson.fatigue is not None else base.fatigue for s in specs]
        )
        self.grievance = np.array(
            [s.richardson.grievance if s.richardson.grievance is not None else base.grievance for s in specs]
        )
        rival = self.edge_kind == KIND_CODES["rival"]
        self.rival_src, self.rival_dst = self.src[rival], self.dst[rival]
        self.rival_salience = self.salience[rival]

    def _initiator_hops(self, graph: nx.Graph) -> tuple[int | None, np.ndarray]:
        """The initiator (actor of the first scheduled action, enabled or not) and every state's
        network distance from it, for charting propagation one, two and three hops away."""
        first = next((item for item in self.config.interventions if item.action is not None), None)
        hops = np.full(self.n, -1)
        if first is None:
            return None, hops
        initiator = self.codes.index(first.actor)
        for node, distance in nx.single_source_shortest_path_length(graph, initiator).items():
            hops[node] = distance
        return initiator, hops

    def _schedule_interventions(self) -> dict[int, list]:
        index = {code: i for i, code in enumerate(self.codes)}
        scheduled: dict[int, list] = defaultdict(list)
        for item in self.config.interventions:
            if not item.enabled:
                continue
            if item.policy is not None:
                scheduled[item.step].append(("policy", index[item.actor], item.policy))
                continue
            actor = index[item.actor]
            edges = self.src == actor
            if item.target is not None:
                edges &= self.dst == index[item.target]
            action = self.catalog.index(item.action)
            for step in range(item.step, item.step + item.duration):
                scheduled[step].append(("action", np.flatnonzero(edges), action, item.declared))
        return scheduled

    # -- queries ----------------------------------------------------------------------------------

    def neighbours(self, index: int) -> np.ndarray:
        return self._neighbours[index]

    def state(self, code: str) -> State:
        return self.states[self.codes.index(code)]

    def policies_changed(self) -> None:
        self._policy_edges = None

    def policy_edges(self) -> dict[str, np.ndarray]:
        """Edge ids grouped by the policy of their actor (recomputed after a policy change)."""
        if self._policy_edges is None:
            actor_policy = np.empty(self.n, dtype=object)
            for name, group in self.agents.groupby("policy", result_type="list"):
                actor_policy[[state.index for state in group]] = name
            edge_policy = actor_policy[self.src]
            self._policy_edges = {
                name: np.flatnonzero(edge_policy == name) for name in sorted(set(edge_policy))
            }
        return self._policy_edges

    def policy(self, name: str) -> Policy:
        if name not in self._policies:
            cls = POLICIES[name]
            params = getattr(self.config.policy_params, cls.params_key) if cls.params_key else None
            self._policies[name] = cls(params)
            for field, (dtype, initial) in cls.memory.items():
                self.memory[f"{name}.{field}"] = np.full(self.n_edges, initial, dtype=dtype)
        return self._policies[name]

    # -- the step ---------------------------------------------------------------------------------

    def step(self) -> None:
        t = self.steps
        for kind, actor, *rest in self._scheduled.get(t, ()):
            if kind == "policy":
                self.states[actor].policy = rest[0]
        threat = threat_level(self.config.threats, t)
        agenda = self.config.altered_agenda
        agenda_gain = agenda.gain * threat if agenda.enabled else 0.0
        reward = self.config.payoffs.R + agenda_gain
        # Extra reward of mutual restraint when a step is a positive incentive or, on the altered
        # agenda, joint work on the shared threat (per action; either side's step earns it).
        bonus = (
            self.config.payoffs.positive_incentive_bonus * self.catalog.positive
            + agenda_gain * self.catalog.shared_threat
        )
        # Every step draws the same numbers whatever is chosen, so a run with an intervention
        # and one without share their random streams (common random numbers).
        draws = self.rng.random((self.n_edges, 4))
        noise = self.rng.standard_normal(self.n_edges)

        actions, declared = self._decide(draws[:, 0], reward, bonus)
        forced = np.zeros(self.n_edges, dtype=bool)
        for kind, *rest in self._scheduled.get(t, ()):
            if kind == "action":
                edges, action, announce = rest
                actions[edges], declared[edges], forced[edges] = action, announce, True
        actions = self._execution_noise(actions, draws[:, 1], forced)
        actions = self._paralysis(actions, draws[:, 3], forced)
        declared &= self.catalog.kind[actions] == CONSTRUCTIVE
        perceived, move, error = self._perceive(actions, declared, draws[:, 2], noise)
        payoff, security = self._payoffs(actions, reward, bonus)
        deltas = self._update_trust(actions, declared, perceived, move, error)
        self._update_posture(actions)
        self._remember(actions, perceived, move)
        self.last = records.StepOutcome(
            step=t,
            threat=threat,
            actions=actions,
            declared=declared,
            perceived=perceived,
            move=move,
            payoff=payoff,
            security=security,
            deltas=deltas,
            edge_trust=self.trust[self.src, self.dst],
        )
        if self.dyad_log is not None:
            self.dyad_log.add(self)
        if self.config.record.model:
            self.datacollector.collect(self)

    def _decide(self, draw: np.ndarray, reward: float, bonus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actions = np.empty(self.n_edges, dtype=np.int64)
        declared = np.zeros(self.n_edges, dtype=bool)
        cfg = self.config.payoffs
        for name, edges in self.policy_edges().items():
            policy = self.policy(name)
            keys = [f"{name}.{field}" for field in policy.memory]
            view = Dyads(
                edges=edges,
                trust=self.trust[self.src[edges], self.dst[edges]],
                other_last=self.other_last[edges],
                other_before=self.other_before[edges],
                other_last_value=self.other_last_value[edges],
                own_last=self.own_last[edges],
                draw=draw[edges],
                reward=np.full(len(edges), reward),
                bonus=bonus,
                payoffs=(cfg.T, cfg.R, cfg.P, cfg.S),
                catalog=self.catalog,
                repertoire={slot: ids[self.src[edges]] for slot, ids in self.repertoire.items()},
                memory={
                    field: self.memory[key][edges] for field, key in zip(policy.memory, keys, strict=True)
                },
            )
            actions[edges], declared[edges] = policy.choose(view)
            for field, key in zip(policy.memory, keys, strict=True):
                self.memory[key][edges] = view.memory[field]
        return actions, declared

    def _execution_noise(self, actions: np.ndarray, draw: np.ndarray, forced: np.ndarray) -> np.ndarray:
        """With probability ``execution_noise`` an intended move comes out as its opposite."""
        flip = (draw < self.config.execution_noise) & ~forced
        if not flip.any():
            return actions
        kind = self.catalog.kind[actions]
        actor = self.src
        flipped = np.where(
            kind == CONSTRUCTIVE,
            self.repertoire["escalatory"][actor],
            np.where(kind == ESCALATORY, self.repertoire["constructive"][actor], actions),
        )
        return np.where(flip, flipped, actions)

    def _paralysis(self, actions: np.ndarray, draw: np.ndarray, forced: np.ndarray) -> np.ndarray:
        """Low trust paralyses the will to try: an initiative (a constructive step not answering
        one) is dropped for holding with probability paralysis * (1 - trust)."""
        level = self.config.trust.paralysis
        if level == 0:
            return actions
        initiative = (self.catalog.kind[actions] == CONSTRUCTIVE) & (self.other_last != C) & ~forced
        trust = self.trust[self.src, self.dst]
        frozen = initiative & (draw < level * (1.0 - trust))
        return np.where(frozen, self.repertoire["neutral"][self.src], actions)

    def _perceive(self, actions, declared, draw, noise):
        """How each target reads the step toward it: noticed or not, other-view, noise and fog."""
        spec = self.config.perception
        visible = self.catalog.verifiability[actions] + declared * self.config.trust.declared_verifiability
        noticed = draw < visible
        sigma = spec.noise + spec.fog_gain * self.fog[self.dst]
        # Countervailing rights: a rival reads a right exercised as escalation (other-view); an
        # ally shares the actor's own view of its rights (self-view).
        shared_view = self.is_ally & self.catalog.right[actions]
        view = np.where(shared_view, self.catalog.self_view[actions], self.catalog.other_view[actions])
        value = np.where(noticed, view, 0.0)
        perceived = np.clip(value + sigma * noise, -1.0, 1.0) if sigma.any() else value
        move = np.where(
            perceived > spec.neutral_band, C, np.where(perceived < -spec.neutral_band, D, N)
        ).astype(np.int8)
        error = np.minimum(0.49, self.config.trust.perception_error + spec.fog_gain * self.fog[self.dst])
        return perceived, move, error

    def _payoffs(
        self, actions: np.ndarray, reward: float, bonus: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prisoner's Dilemma payoffs in bilinear form over cooperation levels, with incentives.

        U = R'xy + Sx(1-y) + T(1-x)y + P(1-x)(1-y) - cost - target cost of the other's step, where
        R' adds the larger of the two steps' bonuses (positive incentive; shared-threat work on the
        altered agenda). Security of the
        actor in the dyad subtracts the threat it faces from the partner:
        threat_weight * (1 - trust) * capability * posture.
        """
        cfg, cat = self.config.payoffs, self.catalog
        other = actions[self.rev]
        x, y = cat.cooperation[actions], cat.cooperation[other]
        bonus = np.maximum(bonus[actions], bonus[other])
        payoff = (
            (reward + bonus) * x * y
            + cfg.S * x * (1 - y)
            + cfg.T * (1 - x) * y
            + cfg.P * (1 - x) * (1 - y)
            - cat.cost[actions]
            - cat.target_cost[other]
        )
        threat = (1.0 - self.trust[self.src, self.dst]) * self.capability[self.dst] * self.posture[self.dst]
        return payoff, payoff - cfg.threat_weight * threat

    def _update_trust(self, actions, declared, perceived, move, error) -> np.ndarray:
        """Direct update of each target, then third-party observation, alliance influence, decay.

        Returns the total change of each directed edge's trust (target's trust in the actor).
        """
        spec = self.config
        observer, subject = self.dst, self.src
        evidence = self.rule.evidence(
            value=perceived,
            declared=declared,
            move=move,
            cost=self.catalog.cost[actions],
            error=error,
        )
        before = self.trust[observer, subject]
        direct = self.rule.respond(before, self.hardness[observer, subject], evidence)
        self._apply(observer, subject, direct, DIRECT, subject, actions)

        weight = spec.propagation.observation_weight
        if weight > 0 and len(self.obs_rows):
            seen = self._observe(evidence) / self.obs_weight[:, None]
            rows, cols = self.obs_rows, self.obs_cols
            observed = weight * self.rule.respond(self.trust[rows, cols], self.hardness[rows, cols], seen)
            self._apply(rows, cols, observed, OBSERVATION, cols, self._dominant_action(actions, perceived))

        alpha = spec.propagation.alliance_weight
        if alpha > 0 and self.has_allies.any():
            # Pool allies' views of each state l, leaving out l's view of itself: the mean over
            # allies m != l of trust[m, l], renormalised by 1 - W[k, l].
            others = self.trust.copy()
            np.fill_diagonal(others, 0.0)
            pooled = np.asarray(self.influence @ others)
            weight = 1.0 - self.influence_dense
            pooled = np.divide(pooled, weight, out=self.trust.copy(), where=weight > 1e-12)
            change = alpha * (pooled - self.trust)
            change[~self.has_allies] = 0.0
            np.fill_diagonal(change, 0.0)
            self._apply_matrix(change, ALLIANCE, actor=ALLIES)

        if spec.trust.decay > 0:
            change = spec.trust.decay * (self.initial_trust - self.trust)
            self._apply_matrix(change, DECAY, actor=NO_ACTOR)

        self._congeal()
        return self.trust[observer, subject] - before

    def _observe(self, evidence: np.ndarray) -> np.ndarray:
        """Salience-weighted sums of the evidence each observer saw about each subject."""
        columns = []
        for column in np.moveaxis(evidence, -1, 0):
            if self.dense:
                signal = np.zeros((self.n, self.n))
                signal[self.dst, self.src] = column
                seen = self.friends @ signal
            else:
                signal = sp.csr_matrix((column, (self.dst, self.src)), shape=(self.n, self.n))
                seen = (self.friends @ signal).toarray()
            columns.append(seen[self.obs_rows, self.obs_cols])
        return np.stack(columns, axis=-1)

    def _dominant_action(self, actions: np.ndarray, perceived: np.ndarray) -> np.ndarray:
        """For attribution: each state's most strongly perceived action this step."""
        order = np.lexsort((-np.abs(perceived), self.src))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.src[order][1:] != self.src[order][:-1]
        dominant = np.full(self.n, -1)
        dominant[self.src[order][first]] = actions[order][first]
        return dominant[self.obs_cols]

    def _apply(self, rows, cols, delta, mechanism, actor, action) -> None:
        """Add ``delta`` to trust (clipped to [0, 1]) and attribute the change actually made."""
        before = self.trust[rows, cols]
        after = np.clip(before + delta, 0.0, 1.0)
        self.trust[rows, cols] = after
        if self.attribution is not None:
            self.attribution.add(self.steps, rows, cols, actor, action, mechanism, after - before)

    def _apply_matrix(self, change: np.ndarray, mechanism: int, actor: int) -> None:
        rows, cols = np.nonzero(change)
        count = len(rows)
        self._apply(rows, cols, change[rows, cols], mechanism, np.full(count, actor), np.full(count, -1))

    def _congeal(self) -> None:
        """Hardening of mistrust: hardness grows while trust is below the threshold, thaws above it."""
        p = self.config.trust
        low = self.trust < p.congeal_threshold
        self.hardness += np.where(low, p.congeal_rate * (1.0 - self.hardness), -p.thaw_rate * self.hardness)

    def _update_posture(self, actions: np.ndarray) -> None:
        """Richardson (1960): dx/dt = k * sum_j w (1 - trust) cap_j x_j - a x + g, plus the
        posture change of the actions taken (mean over the state's partners)."""
        spec = self.config.posture
        distrust = (1.0 - self.trust[self.rival_src, self.rival_dst]) if spec.distrust_weighted else 1.0
        pressure = np.bincount(
            self.rival_src,
            weights=self.rival_salience
            * distrust
            * self.capability[self.rival_dst]
            * self.posture[self.rival_dst],
            minlength=self.n,
        )
        drift = self.reaction * pressure - self.fatigue * self.posture + self.grievance
        stepped = np.bincount(self.src, weights=self.catalog.posture[actions], minlength=self.n)
        stepped = np.divide(stepped, self.out_degree, out=np.zeros(self.n), where=self.out_degree > 0)
        self.posture = np.maximum(spec.floor, self.posture + spec.dt * drift + stepped)

    def _remember(self, actions: np.ndarray, perceived: np.ndarray, move: np.ndarray) -> None:
        """What each actor will know next step: its own move and the other's perceived moves."""
        kind = self.catalog.kind[actions]
        self.own_last = kind  # kinds are coded as moves: constructive C, neutral N, escalatory D
        self.other_before = self.other_last
        self.other_last = move[self.rev]
        self.other_last_value = perceived[self.rev]
        fog_in = np.bincount(self.dst, weights=self.catalog.fog[actions], minlength=self.n)
        self.fog = np.maximum(0.0, self.fog * (1.0 - self.config.perception.fog_decay) + fog_in)
        memory = self.config.outcomes.escalation_memory
        self.escalation = memory * self.escalation + np.maximum(0.0, -perceived)

    # -- running ----------------------------------------------------------------------------------

    def run(self, steps: int | None = None, progress=None, until=None) -> None:
        """Run ``steps`` steps (default: the scenario's), or until ``until(model)`` is true."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
            if progress is not None:
                progress()
            if until is not None and until(self):
                self.running = False
                break


__all__ = ["MECHANISMS", "NEUTRAL", "TrustModel"]
