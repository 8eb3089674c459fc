"""The trust update of a step (SPEC item 5, docs/ODD.md Section 7.5-7.12): each target's direct
update from the evidence it perceived, third-party observation, alliance influence, decay, and the
congealing of mistrust, all on the model's n x n trust and hardness (or, with local views, on
the held pairs' 1-D views: docs/ODD.md Section 7.12a), with attribution of every change.
``TrustUpdate`` is a part of ``TrustModel`` (which inherits it), kept apart because it is the
longest stage of the step; it reads the model's arrays and rule and writes trust and hardness.
"""

from __future__ import annotations

import numpy as np

from trustsim.model import kernels
from trustsim.model.records import ALLIANCE, ALLIES, DECAY, DIRECT, NO_ACTOR, OBSERVATION


class TrustUpdate:
    """The trust-update stage of ``TrustModel.step`` (a mixin: every attribute is the model's)."""

    def _update_trust(self, actions, declared, perceived, move, error, before) -> None:
        """Direct update of each target, then third-party observation, alliance influence, decay.

        ``before`` is each target's trust in the actor (trust[dst, src] per edge) as it stands.
        """
        spec = self.config
        # The target knows its own last step toward the actor as it sees it (self-view): a reply to
        # an escalation it knows it made is discounted; a right it took as neutral is not.
        provoked = kernels.provoked(
            self.last_action, self.rev, self.catalog.self_view, float(spec.perception.neutral_band)
        )
        evidence = self.rule.evidence(
            value=perceived,
            declared=declared,
            move=move,
            actions=actions,
            cost=self.catalog.cost,
            error=error,
            provoked=provoked,
        )
        hardness = np.take(self.hardness.ravel(), self.flat_dst_src)
        direct = self.rule.respond(before, hardness, evidence)
        self._apply(self.flat_dst_src, self.dst, self.src, before, direct, DIRECT, self.src, actions)
        # Sustained credible evidence thaws congealed mistrust (hysteresis, not a trap).
        credible = self.rule.credible(before, evidence)
        kernels.thaw(
            self._flat(self.hardness), self.flat_dst_src, hardness, credible, float(spec.trust.thaw_rate)
        )

        weight = spec.propagation.observation_weight
        if weight > 0 and len(self.obs_rows):
            seen = self._observe(evidence)
            current = self.trust_at(self.obs_flat)
            hardness = np.take(self.hardness.ravel(), self.obs_flat)
            observed = weight * self.rule.respond(current, hardness, seen)
            # The acting state's dominant action is only needed to attribute the change.
            dominant = self._dominant_action(actions, perceived) if self.attribution is not None else None
            rows, cols = self.obs_rows, self.obs_cols
            self._apply(self.obs_flat, rows, cols, current, observed, OBSERVATION, cols, dominant)

        # Alliance influence, then decay, then congealing; the last relaxation congeals as it goes.
        alpha, decay = spec.propagation.alliance_weight, spec.trust.decay
        allied = alpha > 0 and self.has_allies.any()
        alliance_congeals = decay == 0  # else decay relaxes last
        if allied:
            # trust += alpha * (pooled - trust) for states with allies, off the diagonal
            pooled = self._pool_allies(alpha, alliance_congeals)
            if pooled is not None:  # (else relaxed as pooled)
                skip = ~self.has_allies
                self._relax(pooled, alpha, skip, True, ALLIANCE, actor=ALLIES, then_congeal=alliance_congeals)

        if decay > 0:
            nobody = np.zeros(self.n, dtype=bool)
            self._relax(self.initial_trust, decay, nobody, False, DECAY, actor=NO_ACTOR, then_congeal=True)
        elif not allied:
            self._congeal()

    def _pool_allies(self, alpha: float, congeal: bool) -> np.ndarray | None:
        """Allies' views of each state l pooled for each state k, leaving out l's view of itself:
        the mean over allies m != l of trust[m, l], renormalised by 1 - W[k, l] (elsewhere the
        weight is 1). Returns the pool, for ``_relax``; or None where it has relaxed trust toward
        it already (the sparse path without attribution: ``kernels.pool_relax``, one pass)."""
        if self.local:  # the same pool over the held views (Structure._build_local_alliances)
            pooled = self.pool_local @ self.trust + self.pool_constant
            pooled[self.pool_renormalised] /= self.pool_weight
            pooled[self.pool_unweighted] = self.trust[self.pool_unweighted]
            return pooled
        if self._pooled is None:
            self._pooled = np.empty_like(self.trust)
        pooled = self._pooled
        if not self.dense:  # the sparse influence's terms summed, then weighed, compiled
            if self.attribution is not None:
                kernels.pool_allies(self.pool_terms, self.trust, pooled)
                return pooled
            p = self.config.trust
            congealing = (congeal, self.hardness, p.congeal_threshold, p.congeal_rate, p.congeal_max)
            kernels.pool_relax(self.pool_terms, self.trust, pooled, alpha, ~self.has_allies, *congealing)
            return None
        # The product of the influence and trust with its diagonal zeroed for the purpose
        # (restored right after; no copy of the matrix), compiled (kernels.fused_rows).
        entries, influence = self._flat(self.trust), self.influence
        diagonal = entries[self.diagonal_flat]
        entries[self.diagonal_flat] = 0.0
        try:
            kernels.fused_rows(influence.indptr, influence.indices, influence.data, self.trust, pooled)
        finally:
            entries[self.diagonal_flat] = diagonal
        flat = self._flat(pooled)
        flat[self.pool_renormalised] /= self.pool_weight
        flat[self.pool_unweighted] = self.trust_at(self.pool_unweighted)
        return pooled

    def _observe(self, evidence: np.ndarray) -> np.ndarray:
        """Salience-weighted means of the evidence each observer saw about each subject (per
        observation pair, the sums over the steps it saw divided by their weight ``obs_weight``).

        Either over the operator's terms (``_build_observation_operator``), in one compiled pass
        (``kernels.observe_terms``): the sparse path, and the dense one where that is less work
        (``observe_by_terms``); or, on the dense path, as the product friends @ signal,
        signal[j, i, c] the evidence column c of edge i -> j (``kernels.fused_rows``). Both add each
        pair's terms in the same order with one rounding each: the same numbers, on every processor.
        """
        if self.observe_by_terms:
            operator = self.observation
            return kernels.observe_terms(
                operator.indptr, self.obs_edge, operator.data, evidence, self.obs_weight
            )
        n, size, columns = self.n, self.copy_size, evidence.shape[-1]
        signal, seen = self._signal.reshape(n * size, columns), self._seen.reshape(n * size, columns)  # views
        kernels.scatter_rows(signal, self.flat_dst_src, evidence)  # only edge positions are ever non-zero
        # One product for all the evidence columns: seen[k, i, c] = sum_j friends[k, j] signal[j, i, c]
        friends, shape = self.friends, (n, size * columns)
        terms = (friends.indptr, friends.indices, friends.data)
        kernels.fused_rows(*terms, self._signal.reshape(shape), self._seen.reshape(shape))
        return kernels.gather_rows_divided(seen, self.obs_flat, self.obs_weight)

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
        after = kernels.apply_change(self._flat(self.trust), flat, before, delta)
        if self.attribution is not None:
            self.attribution.add(self.steps, rows, cols, actor, action, mechanism, after - before)

    def _relax(
        self, target, rate, skip_rows, skip_diagonal, mechanism: int, actor: int, then_congeal: bool
    ) -> None:
        """trust += rate * (target - trust) over the whole matrix, clipped to [0, 1], except in
        ``skip_rows`` and (if ``skip_diagonal``) on the diagonal (``kernels.relax``, in place), and
        attribute the change. Only the entries that changed are looked up, and only when attribution
        is recorded. With local views, over the held pairs (which exclude the diagonal). Then, if
        ``then_congeal``, congeal (``_congeal``): over the matrix without attribution, in the same
        pass as the relaxation."""
        p = self.config.trust
        congealing = (self.hardness, p.congeal_threshold, p.congeal_rate, p.congeal_max)
        if not self.local and self.attribution is None:
            kernels.relax(self.trust, target, rate, skip_rows, skip_diagonal, then_congeal, *congealing)
            return
        self._relax_alone(target, rate, skip_rows, skip_diagonal, mechanism, actor, congealing)
        if then_congeal:
            self._congeal()

    def _relax_alone(self, target, rate, skip_rows, skip_diagonal, mechanism, actor, congealing) -> None:
        """``_relax`` without congealing, with local views or attribution."""
        if self.local:
            skip = skip_rows[self.support_rows]
            before = self.trust.copy() if self.attribution is not None else None
            kernels.relax_entries(self.trust, target, rate, skip)
            if before is not None:
                changed = np.flatnonzero(self.trust != before)
                rows, cols = self.support_rows[changed], self.support_cols[changed]
                delta = self.trust[changed] - before[changed]
                self.attribution.add(self.steps, rows, cols, actor, -1, mechanism, delta)
            return
        before = self.trust.copy()
        kernels.relax(self.trust, target, rate, skip_rows, skip_diagonal, False, *congealing)
        changed = self.trust != before
        flat = np.flatnonzero(changed)  # row-major, as np.nonzero(changed)
        # Row and column of each flat position, without a (slow) int64 divmod of up to n^2 entries:
        # the rows repeat in order, as many times as each row has changes.
        rows = np.repeat(np.arange(self.n), np.count_nonzero(changed, axis=1))
        cols = flat - rows * self.copy_size  # a run with attribution is a run alone
        delta = self.trust.ravel()[flat] - before.ravel()[flat]
        self.attribution.add(self.steps, rows, cols, actor, -1, mechanism, delta)

    def _congeal(self) -> None:
        """Hardening of mistrust: while trust is below the threshold, hardness approaches its ceiling,

        hardness += congeal_rate * (congeal_max - hardness),

        never 1, so congealed mistrust can still thaw under credible evidence (``_update_trust``).
        One compiled pass over the matrix (``kernels.congeal``), in place.
        """
        p = self.config.trust
        if self.local:
            kernels.congeal_entries(
                self.hardness, self.trust, p.congeal_threshold, p.congeal_rate, p.congeal_max
            )
            return
        kernels.congeal(self.hardness, self.trust, p.congeal_threshold, p.congeal_rate, p.congeal_max)
