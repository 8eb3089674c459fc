"""TrustModel: states choosing constructive or escalatory steps, and trust moving between them.

One step (docs/ODD.md, "Process overview and scheduling"): policy changes scheduled for the step;
every state chooses an action toward each partner (policies, vectorized per policy); scheduled
actions override them; execution noise and paralysis; targets perceive the actions; payoffs; trust
updates (direct, third-party observation, alliance influence, decay) and congealing; posture
(Richardson); fog and escalation memory; records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from threadpoolctl import ThreadpoolController

from trustsim.config.schema import MAX_PERCEPTION_ERROR, Scenario
from trustsim.model import kernels, records
from trustsim.model.agents import State
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL, Catalog
from trustsim.model.policies import NONE, POLICIES, C, Dyads, Policy
from trustsim.model.records import ALLIANCE, ALLIES, DECAY, DIRECT, NO_ACTOR, OBSERVATION
from trustsim.model.structure import Structure
from trustsim.model.threats import threat_level
from trustsim.model.trust_rules import RULES
from trustsim.model.world import build_world, replicate


class OneBlasThread:
    """A context that runs BLAS (NumPy's matrix products) on one thread, restoring it after.

    The dense path multiplies matrices of at most DENSE_LIMIT x DENSE_LIMIT, too small to gain from
    threads: OpenBLAS's worker threads busy-wait, and on a loaded machine they made N = 100 about
    five times slower (docs/performance.md). The products are the same with one thread or several.
    The libraries are found once per process (threadpoolctl; inspecting them takes milliseconds);
    each step then only sets their thread counts, a few microseconds where ``limit()`` takes ~30.
    """

    def __init__(self) -> None:
        self._libraries: list | None = None
        self._before: list[int] = []

    def __enter__(self) -> None:
        if self._libraries is None:
            self._libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        self._before = [library.get_num_threads() for library in self._libraries]
        for library in self._libraries:
            library.set_num_threads(1)

    def __exit__(self, *_: object) -> None:
        for library, threads in zip(self._libraries or (), self._before, strict=True):
            library.set_num_threads(threads)


one_blas_thread = OneBlasThread()


class TrustModel(Structure, mesa.Model):
    """The trust model of a scenario. ``TrustModel(scenario)`` seeds from ``scenario.seed``."""

    def __init__(
        self,
        config: Scenario,
        rng: int | np.random.Generator | None = None,
        copies: Sequence[int | np.random.SeedSequence] | None = None,
    ) -> None:
        """``copies``: one seed per run, to step that many runs of the scenario at once, each on its
        own random stream, exactly as ``TrustModel(config, rng=np.random.default_rng(seed))`` would
        run it alone (the batch never changes a run). The runs are disjoint copies of the world in
        one model (``world.replicate``). Each copy's model measures are collected by its own
        collector (``collectors``: (DataCollector, records.CopyView) per copy), exactly as its run
        alone collects them; a batch records no dyad rows or attribution. ``copy_edges`` gives each
        copy's edges, e.g. to read ``last`` per copy."""
        super().__init__(rng=config.seed if rng is None else rng)
        self.config = config
        self.catalog = Catalog.from_actions(config.actions)
        world = build_world(config, self.rng)
        self.copies, self.copy_size = 1, len(world.states)
        self._streams: list[np.random.Generator] | None = None
        if copies is not None:
            self._streams = self._copy_streams(config, copies)
            self.copies = len(copies)
            world = replicate(world, self.copies)
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
        self.copy_edges = self._edges_by_copy()
        self._build_repertoires(world.states)
        self._build_richardson(world.states)
        self.rule = RULES[config.trust.rule](config.trust, band=config.perception.neutral_band)
        self.greedy = np.array([state.motive == "greedy" for state in world.states])
        self._policies: dict[str, Policy] = {}
        self._policy_edges: dict[str, np.ndarray] | None = None
        self._policy_views: dict[str, tuple] | None = None
        self.memory: dict[str, np.ndarray] = {}
        self._scheduled = self._schedule_interventions()
        self.initiator, self.hops = self._initiator_hops(world.graph)

        e = self.n_edges
        self.own_last = np.full(e, NONE, dtype=np.int8)
        self.other_last = np.full(e, NONE, dtype=np.int8)
        self.other_before = np.full(e, NONE, dtype=np.int8)
        self.other_last_value = np.zeros(e)
        self.escalation = np.zeros(e)
        self.last_action = np.full(e, -1, dtype=np.int64)  # each actor's last action (-1: none yet)
        self.threatened = np.zeros(e)  # edge i -> j: the cost i expects from j if it escalates
        self.commitment = np.zeros(e, dtype=np.int64)  # steps i's declaration toward j still binds
        self.last: records.StepOutcome | None = None
        self.dyad_log = records.DyadLog() if config.record.dyads else None
        self.attribution = (
            records.AttributionLog(scoped=config.record.attribution_scope == "focus", focus=self.initiator)
            if config.record.attribution
            else None
        )
        self.datacollector = mesa.DataCollector(model_reporters=records.MODEL_REPORTERS)
        # What each step's measures are collected by and from: the model itself, or in a batch one
        # collector per copy, reading the copy as the model of its run alone.
        self.collectors: list[tuple[mesa.DataCollector, object]] = [(self.datacollector, self)]
        if self.copies > 1:
            views = [records.CopyView(self, b) for b in range(self.copies)]
            self.collectors = [(view.datacollector, view) for view in views]
        self.measures: dict[str, np.ndarray] = {}  # the last step's (records.measures), per copy
        self._build_buffers()

    # -- random numbers and interventions -------------------------------------------------------

    def _draw(self) -> tuple[np.ndarray, np.ndarray]:
        """This step's random numbers: four uniforms and a standard normal per directed edge, drawn
        whatever happens (common random numbers), each copy's from its own stream."""
        if self._streams is None:
            return self.rng.random((self.n_edges, 4)), self.rng.standard_normal(self.n_edges)
        draws, noise = np.empty((self.n_edges, 4)), np.empty(self.n_edges)
        size = self.n_edges // self.copies
        for b, stream in enumerate(self._streams):  # each copy's edges are one block of rows
            stream.random(out=draws[b * size : (b + 1) * size])
            stream.standard_normal(out=noise[b * size : (b + 1) * size])
        return draws, noise

    def schedule(self, item) -> None:
        """Add ``item`` (an ``Intervention``, checked by its caller) to the running model, as a
        scenario's ``interventions`` entry would be, and make its actor the initiator followed by
        the ``trust_in_initiator_*`` measures."""
        self.config.interventions.append(item)
        self._scheduled = self._schedule_interventions()
        if item.action is not None:
            self.initiator = self.codes.index(item.actor)
            if self.attribution is not None:
                self.attribution.focus = self.initiator
            self.hops = self._hops_from(self.grid.G, self.initiator)

    def _initiator_hops(self, graph: nx.Graph) -> tuple[int | None, np.ndarray]:
        """The initiator (actor of the first scheduled action, enabled or not) and every state's
        network distance from it, for charting propagation one, two and three hops away."""
        first = next((item for item in self.config.interventions if item.action is not None), None)
        if first is None:
            return None, np.full(self.n, -1)
        initiator = self.codes.index(first.actor)
        return initiator, self._hops_from(graph, initiator)

    def _hops_from(self, graph: nx.Graph, initiator: int) -> np.ndarray:
        """Every state's network distance from ``initiator`` (-1: not reachable)."""
        hops = np.full(self.n, -1)
        for node, distance in nx.single_source_shortest_path_length(graph, initiator).items():
            hops[node] = distance
        return hops

    def _schedule_interventions(self) -> dict[int, list]:
        """Per step, the scheduled policy changes and forced actions (in every copy of a batch)."""
        index = {code: i for i, code in enumerate(self.codes[: self.copy_size])}
        offsets = np.arange(self.copies) * self.copy_size
        scheduled: dict[int, list] = defaultdict(list)
        for item in self.config.interventions:
            if not item.enabled:
                continue
            if item.policy is not None:
                for offset in offsets:
                    scheduled[item.step].append(("policy", index[item.actor] + offset, item.policy))
                continue
            edges = np.isin(self.src, index[item.actor] + offsets)
            if item.target is not None:
                edges &= np.isin(self.dst, index[item.target] + offsets)
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
        self._policy_views = None

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

    def _policy_view_parts(self) -> dict[str, tuple]:
        """Per policy, what its Dyads view takes from the network rather than the step: its edges
        and the actors' repertoires (recomputed after a policy change). The arrays are read-only,
        since every step's view shares them."""
        if self._policy_views is None:
            self._policy_views = {}
            for name, edges in self.policy_edges().items():
                repertoire = {slot: ids[edges] for slot, ids in self.edge_repertoire.items()}
                for array in (edges, *repertoire.values()):
                    array.flags.writeable = False
                self._policy_views[name] = (edges, repertoire)
        return self._policy_views

    def policy(self, name: str) -> Policy:
        if name not in self._policies:
            cls = POLICIES[name]
            params = getattr(self.config.policy_params, cls.params_key) if cls.params_key else None
            self._policies[name] = cls(params)
            for field, (dtype, initial) in cls.memory.items():
                self.memory[f"{name}.{field}"] = np.full(self.n_edges, initial, dtype=dtype)
        return self._policies[name]

    def trust_at(self, flat: np.ndarray) -> np.ndarray:
        """Trust entries at flat positions (row * n + column): ``trust[rows, columns]``, faster."""
        return np.take(self.trust.ravel(), flat)

    @staticmethod
    def _flat(matrix: np.ndarray) -> np.ndarray:
        """An n x n matrix as a flat view, to write entries at flat positions.

        Trust and hardness are built C-contiguous and only ever updated in place (states' rows of
        trust are views of it), so ravel() is a view; were that ever broken, writes through a copy
        would be lost silently, hence the check.
        """
        if not matrix.flags.c_contiguous:
            raise RuntimeError("expected a C-contiguous matrix, updated in place")
        return matrix.ravel()

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
        draws, noise = self._draw()

        # Each actor's trust in its target, as it stands until this step's trust updates.
        trust = self.trust_at(self.flat_src_dst)
        threat_faced = self._threat_faced(trust)
        actions, declared = self._decide(draws[:, 0], reward, bonus, trust, threat_faced)
        forced = np.zeros(self.n_edges, dtype=bool)
        for kind, *rest in self._scheduled.get(t, ()):
            if kind == "action":
                edges, action, announce = rest
                actions[edges], declared[edges], forced[edges] = action, announce, True
        actions = self._execution_noise(actions, draws[:, 1], forced)
        actions = self._paralysis(actions, draws[:, 3], forced, trust)
        kind = self.catalog.kind[actions]
        declared &= kind == CONSTRUCTIVE
        perceived, move, error = self._perceive(actions, declared, draws[:, 2], noise)
        payoff, security = self._payoffs(actions, reward, bonus, trust, threat_faced)
        incoming = trust[self.rev]  # each target's trust in the actor (edge i -> j: trust[j, i])
        with one_blas_thread if self.dense else nullcontext():
            self._update_trust(actions, declared, perceived, move, error, incoming)
        edge_trust = self.trust_at(self.flat_src_dst)
        deltas = edge_trust[self.rev] - incoming
        self._update_posture(actions, edge_trust)
        self._remember(actions, kind, perceived, move, declared)
        self.last = records.StepOutcome(
            step=t,
            threat=threat,
            actions=actions,
            kind=kind,
            declared=declared,
            perceived=perceived,
            move=move,
            payoff=payoff,
            security=security,
            deltas=deltas,
            edge_trust=edge_trust,
        )
        if self.dyad_log is not None:
            self.dyad_log.add(self)
        if self.config.record.model:
            self.measures = records.measures(self)
            if self.copies == 1:
                self.datacollector.collect(self)  # its reporters read self.measures
            else:  # into each copy's collector, as its collect() would (18 x copies calls fewer)
                columns = {name: values.tolist() for name, values in self.measures.items()}
                for b, (collector, _) in enumerate(self.collectors):
                    collector._collection_steps.append(self.time)
                    for name, values in columns.items():
                        collector.model_vars[name].append(values[b])

    def _threat_faced(self, trust: np.ndarray) -> np.ndarray:
        """Per edge i -> j, the threat i faces from j: distrust * capability_j * posture_j, the
        national-security threat of Richardson's reaction term."""
        return (1.0 - trust) * self.capability[self.dst] * self.posture[self.dst]

    def decision_terms(self, threat_faced: np.ndarray) -> dict[str, np.ndarray]:
        """What each actor's payoffs look like to it this step (per edge), for the policies.

        - temptation: T for a greedy actor, ``security_temptation`` (< R) for a security seeker
          (Kydd 2005: security seekers prefer mutual restraint to exploitation);
        - sucker: S, lowered for a security seeker by ``fear`` times the threat it faces, including
          threatened costs: the more threatened, the worse being caught restraining (Jervis 1976,
          the spiral model);
        - escalation_cost: the cost the actor expects for escalating: threatened negative incentives
          (deterrence) and the audience cost of reneging on a declaration still binding it.
        """
        cfg = self.config.payoffs
        greedy = self.greedy[self.src]
        secure = cfg.security_temptation if cfg.security_temptation is not None else (cfg.P + cfg.R) / 2
        temptation = np.where(greedy, cfg.T, secure)
        sucker = np.where(greedy, cfg.S, cfg.S - cfg.fear * (threat_faced + self.threatened))
        binding = (self.commitment > 0) * self.config.trust.audience_cost
        deterred = cfg.deterrence * self.threatened
        return {"temptation": temptation, "sucker": sucker, "escalation_cost": deterred + binding}

    def _decide(
        self,
        draw: np.ndarray,
        reward: float,
        bonus: np.ndarray,
        trust: np.ndarray,
        threat_faced: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        actions = np.empty(self.n_edges, dtype=np.int64)
        declared = np.zeros(self.n_edges, dtype=bool)
        cfg = self.config.payoffs
        terms = self.decision_terms(threat_faced)
        for name, (edges, repertoire) in self._policy_view_parts().items():
            policy = self.policy(name)
            keys = [f"{name}.{field}" for field in policy.memory]
            view = Dyads(
                edges=edges,
                trust=trust[edges],
                other_last=self.other_last[edges],
                other_before=self.other_before[edges],
                other_last_value=self.other_last_value[edges],
                own_last=self.own_last[edges],
                draw=draw[edges],
                reward=np.full(len(edges), reward),
                bonus=bonus,
                payoffs=(cfg.T, cfg.R, cfg.P, cfg.S),
                catalog=self.catalog,
                repertoire=dict(repertoire),
                memory={
                    field: self.memory[key][edges] for field, key in zip(policy.memory, keys, strict=True)
                },
                temptation=terms["temptation"][edges],
                sucker=terms["sucker"][edges],
                escalation_cost=terms["escalation_cost"][edges],
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
        flipped = np.where(
            kind == CONSTRUCTIVE,
            self.edge_repertoire["escalatory"],
            np.where(kind == ESCALATORY, self.edge_repertoire["constructive"], actions),
        )
        return np.where(flip, flipped, actions)

    def _paralysis(
        self, actions: np.ndarray, draw: np.ndarray, forced: np.ndarray, trust: np.ndarray
    ) -> np.ndarray:
        """Low trust paralyses the will to try: an initiative (a constructive step not answering
        one) is dropped for holding with probability paralysis * (1 - trust)."""
        level = self.config.trust.paralysis
        if level == 0:
            return actions
        initiative = (self.catalog.kind[actions] == CONSTRUCTIVE) & (self.other_last != C) & ~forced
        frozen = initiative & (draw < level * (1.0 - trust))
        return np.where(frozen, self.edge_repertoire["neutral"], actions)

    def _perceive(self, actions, declared, draw, noise):
        """How each target reads the step toward it: noticed or not, other-view, noise and fog.

        A step is noticed with probability its verifiability (raised by a declaration). A rival
        reads a right exercised as escalation (other-view); an ally shares the actor's own view of
        its rights (self-view): one lookup in ``view_table``. The value read gets Gaussian noise of
        sd ``perception.noise`` + fog_gain * the target's fog, clipped to [-1, 1]; beyond the
        neutral band it is a constructive (1) or escalatory (-1) move. The perception error of a
        target grows with its fog, up to MAX_PERCEPTION_ERROR. One compiled pass (``kernels.perceive``).
        """
        spec = self.config.perception
        return kernels.perceive(
            actions,
            declared,
            draw,
            noise,
            self.dst,
            self.fog,
            self.catalog.verifiability,
            float(self.config.trust.declared_verifiability),
            self.view_table.ravel(),
            self.ally_offset,
            float(spec.noise),
            float(spec.fog_gain),
            float(spec.neutral_band),
            float(self.config.trust.perception_error),
            MAX_PERCEPTION_ERROR,
        )

    def _payoffs(
        self,
        actions: np.ndarray,
        reward: float,
        bonus: np.ndarray,
        trust: np.ndarray,
        threat_faced: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prisoner's Dilemma payoffs in bilinear form over cooperation levels, with incentives.

        U = R'xy + Sx(1-y) + T(1-x)y + P(1-x)(1-y) - cost - target cost of the other's step, where
        R' adds the larger of the two steps' bonuses (positive incentive; shared-threat work on the
        altered agenda). Security of the
        actor in the dyad subtracts the threat it faces from the partner:
        threat_weight * (1 - trust) * capability * posture.

        The payoff depends only on the pair of actions, so it is tabulated over catalog x catalog
        (the same arithmetic per entry) and looked up for every dyad.
        """
        cfg, cat = self.config.payoffs, self.catalog
        x, y = cat.cooperation[:, None], cat.cooperation[None, :]  # own action by row, other's by column
        pair_bonus = np.maximum(bonus[:, None], bonus[None, :])
        table = (
            (reward + pair_bonus) * x * y
            + cfg.S * x * (1 - y)
            + cfg.T * (1 - x) * y
            + cfg.P * (1 - x) * (1 - y)
            - cat.cost[:, None]
            - cat.target_cost[None, :]
        )
        # Per edge, in one compiled pass: the table's payoff, less the audience cost of reneging on
        # a binding declaration; national security, the payoff less the threat faced plus the
        # deterrent weight of one's own forces against a distrusted partner (arming raises it at
        # the partner's expense): (1 - trust) * capability * posture of the actor.
        return kernels.payoffs(
            actions,
            self.rev,
            table,
            self.commitment,
            cat.kind == ESCALATORY,
            float(self.config.trust.audience_cost),
            trust,
            self.src,
            self.capability,
            self.posture,
            threat_faced,
            float(cfg.threat_weight),
        )

    def _update_trust(self, actions, declared, perceived, move, error, before) -> None:
        """Direct update of each target, then third-party observation, alliance influence, decay.

        ``before`` is each target's trust in the actor (trust[dst, src] per edge) as it stands.
        """
        spec = self.config
        # The target knows its own last step toward the actor as it sees it (self-view): a reply to
        # an escalation it knows it made is discounted; a right it took as neutral is not.
        own_last = self.last_action[self.rev]
        provoked = (own_last >= 0) & (
            np.take(self.catalog.self_view, np.maximum(own_last, 0)) < -spec.perception.neutral_band
        )
        evidence = self.rule.evidence(
            value=perceived,
            declared=declared,
            move=move,
            cost=self.catalog.cost[actions],
            error=error,
            provoked=provoked,
        )
        hardness = np.take(self.hardness.ravel(), self.flat_dst_src)
        direct = self.rule.respond(before, hardness, evidence)
        self._apply(self.flat_dst_src, self.dst, self.src, before, direct, DIRECT, self.src, actions)
        # Sustained credible evidence thaws congealed mistrust (hysteresis, not a trap).
        thaw = np.maximum(0.0, 1.0 - spec.trust.thaw_rate * self.rule.credible(before, evidence))
        self._flat(self.hardness)[self.flat_dst_src] = hardness * thaw

        weight = spec.propagation.observation_weight
        if weight > 0 and len(self.obs_rows):
            seen = self._observe(evidence) / self.obs_weight[:, None]
            current = self.trust_at(self.obs_flat)
            hardness = np.take(self.hardness.ravel(), self.obs_flat)
            observed = weight * self.rule.respond(current, hardness, seen)
            # The acting state's dominant action is only needed to attribute the change.
            dominant = self._dominant_action(actions, perceived) if self.attribution is not None else None
            rows, cols = self.obs_rows, self.obs_cols
            self._apply(self.obs_flat, rows, cols, current, observed, OBSERVATION, cols, dominant)

        alpha = spec.propagation.alliance_weight
        if alpha > 0 and self.has_allies.any():
            # Pool allies' views of each state l, leaving out l's view of itself: the mean over
            # allies m != l of trust[m, l], renormalised by 1 - W[k, l]. The product takes trust
            # with its diagonal zeroed for the purpose (restored right after; no copy of the matrix).
            diagonal = self.trust.diagonal().copy()
            np.fill_diagonal(self.trust, 0.0)
            try:
                if self.copies > 1:
                    pooled = self._pool_blocks(self.trust, self._pooled)
                elif self.dense:
                    pooled = np.matmul(self.influence, self.trust, out=self._pooled)
                else:
                    pooled = np.asarray(self.influence @ self.trust)
            finally:
                np.fill_diagonal(self.trust, diagonal)
            flat = self._flat(pooled)
            flat[self.pool_renormalised] /= self.pool_weight  # elsewhere the weight is 1
            flat[self.pool_unweighted] = self.trust_at(self.pool_unweighted)
            # trust += alpha * (pooled - trust) for states with allies, off the diagonal
            self._relax(pooled, alpha, ~self.has_allies, True, ALLIANCE, actor=ALLIES)

        if spec.trust.decay > 0:
            nobody = np.zeros(self.n, dtype=bool)
            self._relax(self.initial_trust, spec.trust.decay, nobody, False, DECAY, actor=NO_ACTOR)

        self._congeal()

    def _observe(self, evidence: np.ndarray) -> np.ndarray:
        """Salience-weighted sums of the evidence each observer saw about each subject.

        Dense path: friends @ signal per evidence column, signal[j, i] the evidence of edge i -> j.
        Sparse path: the same sums as one sparse product over the edges (_build_observation_operator).
        """
        if not self.dense:
            return self.observation @ evidence[self.by_source]
        signal, seen = self._signal.ravel(), self._seen  # buffers: ravel() is a view
        columns = []
        for column in np.ascontiguousarray(np.moveaxis(evidence, -1, 0)):
            signal[self.flat_dst_src] = column  # only edge positions are ever non-zero
            np.matmul(self.friends, self._signal, out=seen)
            columns.append(np.take(seen.ravel(), self.obs_flat))
        return np.stack(columns, axis=-1)

    def _dominant_action(self, actions: np.ndarray, perceived: np.ndarray) -> np.ndarray:
        """For attribution: each state's most strongly perceived action this step."""
        order = np.lexsort((-np.abs(perceived), self.src))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.src[order][1:] != self.src[order][:-1]
        dominant = np.full(self.n, -1)
        dominant[self.src[order][first]] = actions[order][first]
        return dominant[self.obs_cols]

    def _apply(self, flat, rows, cols, before, delta, mechanism, actor, action) -> None:
        """Add ``delta`` to the trust entries at ``flat`` (rows * n + cols, currently ``before``),
        clipped to [0, 1], and attribute the change actually made."""
        after = np.clip(before + delta, 0.0, 1.0)
        self._flat(self.trust)[flat] = after
        if self.attribution is not None:
            self.attribution.add(self.steps, rows, cols, actor, action, mechanism, after - before)

    def _relax(self, target, rate, skip_rows, skip_diagonal, mechanism: int, actor: int) -> None:
        """trust += rate * (target - trust) over the whole matrix, clipped to [0, 1], except in
        ``skip_rows`` and (if ``skip_diagonal``) on the diagonal (``kernels.relax``, in place), and
        attribute the change. Only the entries that changed are looked up, and only when attribution
        is recorded."""
        if self.attribution is None:
            kernels.relax(self.trust, target, rate, skip_rows, skip_diagonal, self.copy_size)
            return
        before = self.trust.copy()
        kernels.relax(self.trust, target, rate, skip_rows, skip_diagonal, self.copy_size)
        changed = self.trust != before
        flat = np.flatnonzero(changed)  # row-major, as np.nonzero(changed)
        # Row and column of each flat position, without a (slow) int64 divmod of up to n^2 entries:
        # the rows repeat in order, as many times as each row has changes.
        rows = np.repeat(np.arange(self.n), np.count_nonzero(changed, axis=1))
        cols = flat - rows * self.n
        delta = self.trust.ravel()[flat] - before.ravel()[flat]
        self.attribution.add(self.steps, rows, cols, actor, -1, mechanism, delta)

    def _congeal(self) -> None:
        """Hardening of mistrust: while trust is below the threshold, hardness approaches its ceiling,

        hardness += congeal_rate * (congeal_max - hardness),

        never 1, so congealed mistrust can still thaw under credible evidence (``_update_trust``).
        One compiled pass over the matrix (``kernels.congeal``), in place.
        """
        p = self.config.trust
        kernels.congeal(
            self.hardness, self.trust, p.congeal_threshold, p.congeal_rate, p.congeal_max, self.copy_size
        )

    def _update_posture(self, actions: np.ndarray, edge_trust: np.ndarray) -> None:
        """Richardson (1960): dx/dt = k * sum_j w (1 - trust) cap_j x_j - a x + g, plus the
        posture change of the actions taken (mean over the state's partners)."""
        spec = self.config.posture
        distrust = (1.0 - edge_trust[self.rival_edges]) if spec.distrust_weighted else 1.0
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
        # The actions' posture changes are rates inside the ODE, so a sustained build-up settles at
        # a bounded level where fatigue balances it (Richardson's stable case, fatigue > reaction).
        self.posture = np.maximum(spec.floor, self.posture + spec.dt * (drift + stepped))

    def _remember(
        self,
        actions: np.ndarray,
        kind: np.ndarray,
        perceived: np.ndarray,
        move: np.ndarray,
        declared: np.ndarray,
    ) -> None:
        """What each actor will know next step: its own move and the other's perceived moves."""
        self.own_last = kind  # kinds are coded as moves: constructive C, neutral N, escalatory D
        self.other_before = self.other_last
        self.other_last = move[self.rev]
        self.other_last_value = perceived[self.rev]
        fog_in = np.bincount(self.dst, weights=self.catalog.fog[actions], minlength=self.n)
        self.fog = np.maximum(0.0, self.fog * (1.0 - self.config.perception.fog_decay) + fog_in)
        memory = self.config.outcomes.escalation_memory
        self.escalation = memory * self.escalation + np.maximum(0.0, -perceived)
        self.last_action = actions
        # Threatened costs: edge i -> j remembers what j threatened i with (negative incentives).
        cat = self.catalog
        threat_in = (cat.target_cost * cat.negative)[actions[self.rev]]
        self.threatened = self.config.payoffs.deterrence_memory * self.threatened + threat_in
        window = self.config.trust.commitment_window
        self.commitment = np.where(declared, window, np.maximum(self.commitment - 1, 0))

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


__all__ = ["NEUTRAL", "TrustModel"]
