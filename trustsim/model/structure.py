"""The fixed arrays a TrustModel is built on, once, from its world: the directed edges and the flat
positions of their trust, the observation and alliance operators, the repertoires and Richardson
coefficients, the work buffers, and the layout of a batch's copies. ``TrustModel`` inherits them;
the step (``trustsim.model.model``) only reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from trustsim.config.schema import Scenario
from trustsim.model.world import KIND_CODES, Relations

DENSE_LIMIT = 200  # networks up to this many states use dense matrix products
# The dense path observes over the terms when the product would multiply this many times as many
# entries (each term reads an edge's evidence where the product reads whole rows in order).
OBSERVE_BY_TERMS = 2
# Generators whose networks have as many relations whatever the seed (a batch's copies must)
FIXED_SIZE_GENERATORS = ("complete", "watts_strogatz", "barabasi_albert")


@dataclass(frozen=True)
class CopyLayout:
    """Each copy's structure, one row per copy (``Structure._build_copy_layout``)."""

    states: np.ndarray  # its states' ids in the model
    src: np.ndarray  # each of its edges' actor, by the copy's own state ids
    same_bloc: np.ndarray  # whether each of its edges joins two states of one bloc
    out_degree: np.ndarray  # each of its states' partners


class Structure:
    """Construction of a TrustModel's fixed arrays (a mixin of ``TrustModel``)."""

    def _build_edges(self, relations: Relations) -> None:
        """Directed edges (both directions of each relation) and the matrices built on them."""
        pairs = relations.pairs
        self.src = np.concatenate([pairs[:, 0], pairs[:, 1]])
        self.dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
        half = len(pairs)
        self.n_edges = 2 * half
        self.rev = np.concatenate([np.arange(half, 2 * half), np.arange(half)])
        self.edge_kind = np.concatenate([relations.kind, relations.kind])
        self.salience = np.concatenate([relations.salience, relations.salience])
        if self.copies > 1:
            # A batch lists each copy's edges together, in the order a run of its own has them
            # (its forward directions, then their reverses), so each copy draws into one block. The
            # copies' relations come copy by copy, as many each (``world.replicate`` checks it).
            per_copy = half // self.copies
            forward = np.arange(half).reshape(self.copies, per_copy)
            order = np.concatenate([forward, forward + half], axis=1).ravel()
            position = np.empty_like(order)
            position[order] = np.arange(len(order))
            self.src, self.dst, self.rev = self.src[order], self.dst[order], position[self.rev[order]]
            self.edge_kind, self.salience = self.edge_kind[order], self.salience[order]
        self.same_bloc = self.bloc_ids[self.src] == self.bloc_ids[self.dst]
        self.within_bloc, self.across_bloc = np.flatnonzero(self.same_bloc), np.flatnonzero(~self.same_bloc)
        self.is_ally = self.edge_kind == KIND_CODES["ally"]
        self.first_half = np.arange(self.n_edges) < half
        n, size = self.n, self.copy_size
        # Flat positions in the (row-major) trust matrix, so that an edge's trust is one np.take
        # instead of a two-array fancy index: trust[src, dst] == trust.ravel()[flat_src_dst]. A
        # batch's matrix is (copies x states) x states, row i holding i's views of its own copy's
        # states (``world.replicate``): column dst % copy_size (in a single run, dst).
        self.flat_src_dst = self.src * size + self.dst % size  # the actor's trust in the target
        self.flat_dst_src = self.dst * size + self.src % size  # the target's trust in the actor
        self.diagonal_flat = np.arange(n) * size + np.arange(n) % size  # each state's trust in itself
        # Dense products where the run alone uses them: each copy of a batch takes its run's path,
        # so that it computes its run's sums in the same order (its results are its run's, bit for bit).
        per_copy = self.n_edges // self.copies
        self.dense = (size <= DENSE_LIMIT or per_copy > 0.25 * size * size) and not self.local
        self.out_degree = np.bincount(self.src, minlength=n)
        self._neighbours = np.split(
            self.dst[np.argsort(self.src, kind="stable")], np.cumsum(self.out_degree)[:-1]
        )
        self._build_observation()
        self.support = self.support_rows = self.support_cols = None
        if self.local:
            self._build_support()
            self._build_local_alliances()
        else:
            self._build_alliances()

    def _build_support(self) -> None:
        """The pairs a state holds trust in with local views: its partners (both directions of each
        relation) and the states it sees deal with its friends (the observation pairs), as sorted
        flat keys row * n + column. The flat positions of edges and observation pairs become
        indices into this list, so that the step reads and writes the 1-D views as it does the
        matrix."""
        n = self.n
        keys = np.sort(np.concatenate([self.flat_src_dst, self.obs_flat]))
        self.support = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]  # np.unique, faster
        self.support_rows, self.support_cols = np.divmod(self.support, n)
        self.flat_src_dst = np.searchsorted(self.support, self.flat_src_dst)
        self.flat_dst_src = np.searchsorted(self.support, self.flat_dst_src)
        self.obs_flat = np.searchsorted(self.support, self.obs_flat)

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
        seen = (friends @ indicator).tocsr()
        seen.sum_duplicates()  # also sorts each row's columns: the pairs come in row-major order
        seen = seen.tocoo()
        keep = (seen.row != seen.col) & (seen.data > 0)
        friends.sort_indices()  # each row's terms in ascending column (kernels.fused_rows' order)
        self.friends = friends
        self.obs_rows, self.obs_cols = seen.row[keep].astype(np.int64), seen.col[keep].astype(np.int64)
        # ascending, as the pairs are (observer and subject are of one copy)
        self.obs_flat = self.obs_rows * self.copy_size + self.obs_cols % self.copy_size
        self.obs_weight = seen.data[keep]
        # The sums over the operator's terms are those of the dense product at the pairs, bit for
        # bit (kernels.observe_terms), so the dense path takes whichever is less work: the product
        # multiplies each friend's whole row of the signal, the terms only the pairs' edges. A term
        # is a friendship k - j and an edge i -> j with i != k: each friendship meets the edges into
        # j, one of which is k's own (saliences are positive, so every other term's pair is observed).
        terms = int(np.bincount(self.dst, minlength=n)[friends.indices].sum()) - friends.nnz
        self.observe_by_terms = not self.dense or OBSERVE_BY_TERMS * terms <= friends.nnz * self.copy_size
        if self.observe_by_terms:  # (else the operator would not be read)
            self._build_observation_operator()

    def _build_observation_operator(self) -> None:
        """The observation sums as one sparse matrix over the edges (the terms of each pair).

        Row (k, i) of ``self.observation`` (one row per observation pair, in ``obs_flat`` order)
        holds friends[k, j] in the column of edge i -> j, so that
        ``observation @ evidence[by_source]`` gives sum_j friends[k, j] * evidence(i -> j) for every
        pair at once: one product over the terms, where the textbook form (friends @ signal, one
        sparse n x n signal matrix per evidence column) would build three matrices every step. Its
        columns are the edges sorted by (source, target), ``by_source``, so each row adds its terms
        in ascending j, as the dense product does (``kernels.fused_rows``). The step sums the terms
        with ``kernels.observe_terms``, reading each term's edge (``obs_edge``) directly: the dense
        product's numbers at the pairs, bit for bit (tests/test_network_paths.py), in one pass.
        """
        n = self.n
        friends = self.friends.tocoo()  # entries by k, then ascending j (sorted: _build_observation)
        self.by_source = np.lexsort((self.dst, self.src))
        column = np.empty(self.n_edges, dtype=np.int64)
        column[self.by_source] = np.arange(self.n_edges)
        # Every friendship k - j meets every edge into j (i -> j): one term (k, i) per such pair.
        into = np.argsort(self.dst, kind="stable")  # edge ids grouped by target j
        starts = np.searchsorted(self.dst[into], np.arange(n + 1))
        counts = starts[friends.col + 1] - starts[friends.col]
        term_friend = np.repeat(np.arange(friends.nnz), counts)
        within = np.arange(len(term_friend)) - np.repeat(np.cumsum(counts) - counts, counts)
        term_edge = into[starts[friends.col][term_friend] + within]
        term_pair = friends.row[term_friend] * self.copy_size + self.src[term_edge] % self.copy_size
        term_value = friends.data[term_friend]
        # Keep the terms of observation pairs (k != i with a positive weight).
        row = np.searchsorted(self.obs_flat, term_pair)
        keep = row < len(self.obs_flat)  # (a network may have no observation pairs: two allies)
        keep[keep] = self.obs_flat[row[keep]] == term_pair[keep]
        row, term_edge, term_value = row[keep], term_edge[keep], term_value[keep]
        # Rows in obs_flat order; within a row, ascending j (a stable sort keeps friends' order),
        # which is also ascending column: the matrix is in canonical form.
        order = np.argsort(row, kind="stable")
        row, term_edge, term_value = row[order], term_edge[order], term_value[order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(self.obs_flat)))])
        self.observation = sp.csr_matrix(
            (term_value, column[term_edge], indptr), shape=(len(self.obs_flat), self.n_edges)
        )
        self.obs_edge = self.by_source[self.observation.indices]  # each term's edge (kernels.observe_terms)

    def _ally_influence(self) -> sp.csr_matrix:
        """Row-stochastic influence of allies' views (DeGroot 1974), weighted by salience, and which
        states have allies (``has_allies``)."""
        n = self.n
        ally = self.edge_kind == KIND_CODES["ally"]
        weights = sp.csr_matrix((self.salience[ally], (self.src[ally], self.dst[ally])), shape=(n, n))
        totals = np.asarray(weights.sum(axis=1)).ravel()
        self.has_allies = totals > 0
        return sp.diags(np.divide(1.0, totals, out=np.zeros(n), where=totals > 0)) @ weights

    def _build_alliances(self) -> None:
        """Alliance pooling over the matrix: the influence (sparse, on both paths) and its
        renormalisation. A batch's influence is block diagonal, the stacked matrix of its copies',
        whose rows add their terms as a run's do."""
        influence = self._ally_influence().tocsr()  # a product's: no duplicate entries
        if self.dense:  # (the sparse path's pool keeps the product's order: kernels.pool_allies)
            influence.sort_indices()  # kernels.fused_rows adds a row's terms by ascending column
        self.influence = influence
        # Pooling leaves out each state's view of itself and renormalises by 1 - W[k, l]
        # (_update_trust); where that weight vanishes (l is k's only ally) the pool is k's own view.
        # The weight is exactly 1 wherever l is not an ally of k, and dividing by 1 changes nothing,
        # so only the flat positions of the other weights are kept, in ascending order.
        entries = influence.tocoo()
        flat = entries.row.astype(np.int64) * self.copy_size + entries.col % self.copy_size
        order = np.argsort(flat)
        flat, weight = flat[order], 1.0 - entries.data[order]
        vanishing = ~(weight > 1e-12)
        renormalised = (weight != 1.0) & ~vanishing
        self.pool_renormalised, self.pool_weight = flat[renormalised], weight[renormalised]
        self.pool_unweighted = flat[vanishing]
        if not self.dense:  # the sparse path's pool, compiled (kernels.pool_allies)
            # Where each row's entries start in the two weighings: row k's are k * size on.
            starts = np.arange(self.n + 1) * self.copy_size
            bounds = [
                np.searchsorted(self.pool_renormalised, starts),
                np.searchsorted(self.pool_unweighted, starts),
            ]
            self.pool_terms = (
                influence.indptr,
                influence.indices,
                influence.data,
                self.pool_renormalised,
                self.pool_weight,
                self.pool_unweighted,
                np.stack(bounds, axis=1),
            )

    def _build_local_alliances(self) -> None:
        """Alliance pooling over local views: for each held pair (k, l) of a state k with allies,
        pooled = sum over allies a != l of W[k, a] * T(a, l), renormalised by 1 - W[k, l] as with
        the matrix (``_build_alliances``), where T(a, l) is a's held view of l or, if a holds none,
        its initial trust, which it keeps. So pooled = pool_local @ views + pool_constant, one
        sparse product over the held pairs (pool_local) and a constant (the views not held)."""
        n, held = self.n, len(self.support)
        influence = self._ally_influence().tocsr()
        influence.sort_indices()
        self.influence = influence
        # One term per held pair (k, l) of a state with allies and per ally a of k, a != l.
        pooled = np.flatnonzero(self.has_allies[self.support_rows])
        observer, subject = self.support_rows[pooled], self.support_cols[pooled]
        counts = np.diff(influence.indptr)[observer]
        term = np.repeat(pooled, counts)
        within = np.arange(len(term)) - np.repeat(np.cumsum(counts) - counts, counts)
        entry = influence.indptr[self.support_rows[term]] + within
        ally_of, weight_of, subject_of = (
            influence.indices[entry].astype(np.int64),
            influence.data[entry],
            self.support_cols[term],
        )
        keep = ally_of != subject_of
        term, ally_of, weight_of, subject_of = term[keep], ally_of[keep], weight_of[keep], subject_of[keep]
        keys = ally_of * n + subject_of
        position = np.minimum(np.searchsorted(self.support, keys), held - 1)
        found = self.support[position] == keys
        self.pool_local = sp.csr_matrix(
            (weight_of[found], (term[found], position[found])), shape=(held, held)
        )
        lost = ~found
        self.pool_constant = np.bincount(
            term[lost],
            weights=weight_of[lost] * self._initial_at(ally_of[lost], subject_of[lost]),
            minlength=held,
        )
        # 1 - W[k, l] of each held pair: exactly 1 where l is not an ally of k.
        weight = np.ones(held)
        if influence.nnz:
            ally_keys = np.repeat(np.arange(n), np.diff(influence.indptr)) * n + influence.indices  # sorted
            wanted = observer * n + subject
            position = np.minimum(np.searchsorted(ally_keys, wanted), influence.nnz - 1)
            weight[pooled] = 1.0 - np.where(ally_keys[position] == wanted, influence.data[position], 0.0)
        vanishing = ~(weight > 1e-12)
        self.pool_renormalised = np.flatnonzero((weight != 1.0) & ~vanishing)
        self.pool_weight = weight[self.pool_renormalised]
        self.pool_unweighted = np.flatnonzero(vanishing)

    def _build_buffers(self) -> None:
        """Work arrays that the step reuses rather than allocating n x n matrices every time."""
        n, size = self.n, self.copy_size
        if self.dense and not self.observe_by_terms:
            # signal[j, i, :]: the evidence columns of edge i -> j (dense _observe), and their sums
            self._signal = np.zeros((n, size, self.rule.columns))
            self._seen = np.empty((n, size, self.rule.columns))
        # The allies' pooled views (sparse path: the copy of trust that kernels.pool_relax reads),
        # made at the first pooling: a sparse network without allies never holds the n x n buffer.
        self._pooled = np.zeros((n, size)) if self.dense else None

    def _build_repertoires(self, specs: list) -> None:
        """Each state's action per repertoire slot, and the same per edge (the actor's)."""
        default = self.config.repertoire
        self.repertoire = {}
        for slot in ("constructive", "escalatory", "neutral", "deterrent"):
            chosen = [getattr(spec.repertoire, slot) or getattr(default, slot) for spec in specs]
            self.repertoire[slot] = np.array([self.catalog.index(name) for name in chosen])
        self.edge_repertoire = {slot: ids[self.src] for slot, ids in self.repertoire.items()}
        # What a target reads of each action before noise, by whether the actor is its ally:
        # row 0 the other-view; row 1 the same except for rights, which an ally reads as the actor
        # does (self-view). An edge's row starts at ally_offset in the flattened table.
        catalog = self.catalog
        self.view_table = np.stack(
            [catalog.other_view, np.where(catalog.right, catalog.self_view, catalog.other_view)]
        )
        self.ally_offset = self.is_ally * len(catalog)

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
        self.rival_edges = np.flatnonzero(rival)
        self.rival_salience = self.salience[rival]

    @staticmethod
    def batch_refusal(config: Scenario) -> str | None:
        """Why runs of ``config`` cannot step together as copies of one model, or None if they can.
        A batch's copies may differ in their network (each seed draws its own generated network)
        but not in its number of relations (a batch's arrays hold as many edges per copy), and a
        batch records no dyad rows or attribution."""
        if config.network is not None and config.network.generator not in FIXED_SIZE_GENERATORS:
            return (
                f"{config.network.generator} networks have a number of relations of their own per seed; "
                f"batch explicit scenarios or the generators {', '.join(FIXED_SIZE_GENERATORS)}"
            )
        if config.record.dyads or config.record.attribution:
            return "set record.dyads and record.attribution to false"
        if config.propagation.views == "local":
            return "runs with propagation.views: local step one by one"
        return None

    @staticmethod
    def _copy_streams(config: Scenario, seeds: Sequence) -> list[np.random.Generator]:
        """Each copy's random stream, at the point where its run alone would build its world: an
        integer seed s as ``TrustModel(config)`` with ``seed: s``; any other seed (a SeedSequence)
        as ``TrustModel(config, rng=np.random.default_rng(seed))``, from which Mesa's Model first
        draws one integer (for its ``random``)."""
        refusal = Structure.batch_refusal(config)
        if refusal is not None:
            raise ValueError(f"copies: {refusal}")
        streams = []
        for seed in seeds:
            stream = np.random.default_rng(seed)
            if not isinstance(seed, int | np.integer):
                stream.integers(np.iinfo(np.int32).max)
            streams.append(stream)
        return streams

    def _build_copy_layout(self) -> None:
        """Per copy, the structure its measures read (``records.measures``), one row per copy: its
        states, its edges' actors by its own state ids, whether each edge joins one bloc, and each
        state's number of partners. A copy's network may be its own (a generated network per seed)."""
        n, copies = self.copy_size, self.copies
        states = np.arange(self.n).reshape(copies, n)
        self.copy_layout = CopyLayout(
            states=states,
            src=self.src.reshape(copies, -1) - states[:, :1],
            same_bloc=self.same_bloc.reshape(copies, -1),
            out_degree=self.out_degree.reshape(copies, n),
        )

    def _edges_by_copy(self) -> np.ndarray:
        """Per copy (row), its edge ids, in the order a run of its own numbers them (``_build_edges``
        lists a batch's edges copy by copy)."""
        return np.arange(self.n_edges).reshape(self.copies, -1)
