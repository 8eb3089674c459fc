"""Compiled per-dyad loops for the hottest stages of the step.

Numba compiles these loops (``cache=True``: once per machine, then loaded from the cache), because
NumPy would evaluate them as several arrays of (catalog actions x dyads) temporaries per step. The
arithmetic is the NumPy expression's, term by term and in the same order, without ``fastmath``, so
results do not depend on whether a stage runs here or as array expressions.
"""

from __future__ import annotations

import llvmlite.ir
import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numba.typed import List

from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL

# Every kernel: cached on disk, releasing the GIL, and dividing as NumPy does (``error_model``: a
# division by zero gives inf or NaN instead of raising, so that the compiler needs no check per
# division and can vectorize a loop that divides; no kernel divides by zero in a run, where the
# Python model would raise, so no result changes).
kernel = njit(cache=True, nogil=True, error_model="numpy")
# A kernel's helper, inlined into its callers (Numba's IR): a call per row would cost more than the row.
inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

# The exponent below which an action's logit weight (relative to the best action's, e^0 = 1) counts
# as zero. Floored here, because NumPy's exponential (the logit's until session 20) took a path over
# ten times slower for every result that underflows (below e^-708); ``exp`` has none, and the floor
# stays, so that no choice changes: ``inverse_cdf`` never picks an action floored here. Only a
# draw of exactly 0 could tell a weight of e^-700 from a true zero, so no choice changes.
NEGLIGIBLE_EXPONENT = -700.0
NEGLIGIBLE_WEIGHT = float.fromhex("0x1.14f2b0fb9307fp-1010")  # exp(NEGLIGIBLE_EXPONENT) (``exp``, tested)


@kernel
def logit_exponents(
    trust: np.ndarray,
    reward: np.ndarray,
    bonus: np.ndarray,
    temptation: np.ndarray,
    sucker: np.ndarray,
    punishment: float,
    escalation_cost: np.ndarray,
    cooperation: np.ndarray,
    cost: np.ndarray,
    escalatory: np.ndarray,
    rationality: float,
    provocation: np.ndarray,
    severity: np.ndarray,
) -> np.ndarray:
    """Per catalog action (row) and dyad (column): rationality * (U - max U), with U the expected
    utility of ``Logit.choose``, less the shortfall max(provocation[e] - severity[a], 0) of the
    action's answer to a provocation (``Logit.provocation``, already in exponent units; zero
    provocation: none). Each floored at NEGLIGIBLE_EXPONENT. Dyads run in the inner loops, over
    contiguous arrays, so that the compiler vectorizes them."""
    n, actions = len(trust), len(cooperation)
    exponent = np.empty((actions, n))
    best = np.full(n, -np.inf)
    for a in range(actions):
        x = cooperation[a]
        for e in range(n):
            y = trust[e]
            u = (
                (reward[e] + bonus[a]) * x * y
                + sucker[e] * x * (1 - y)
                + temptation[e] * (1 - x) * y
                + punishment * (1 - x) * (1 - y)
                - cost[a]
                - escalatory[a] * escalation_cost[e]
            )
            exponent[a, e] = u
            best[e] = max(best[e], u)
    for a in range(actions):
        for e in range(n):
            value = max(rationality * (exponent[a, e] - best[e]), NEGLIGIBLE_EXPONENT)
            shortfall = provocation[e] - severity[a]
            if shortfall > 0:
                value = max(value - shortfall, NEGLIGIBLE_EXPONENT)
            exponent[a, e] = value
    return exponent


@kernel
def logit_expectations(
    trust: np.ndarray,
    other_last: np.ndarray,
    other_value: np.ndarray,
    seeker: np.ndarray,
    level: np.ndarray,
    weight: np.ndarray,
    scale: float,
    none: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per dyad, in one pass (``Logit.expectations``, which
    document them): the expected cooperation y = T + weight[m] (level[m] - T), with m the partner's
    last perceived move less ``none``; and the provocation in exponent units, scale * max(-value, 0)
    where that move was escalatory (-1) and the actor a security seeker, else 0."""
    n = len(trust)
    expected, provocation = np.empty(n), np.empty(n)
    for e in range(n):
        m = other_last[e] - none
        expected[e] = trust[e] + weight[m] * (level[m] - trust[e])
        provoked = other_last[e] == -1 and seeker[e]
        provocation[e] = scale * max(-other_value[e], 0.0) if provoked else 0.0
    return expected, provocation


@kernel
def edge_views(
    trust: np.ndarray,
    flat_src_dst: np.ndarray,
    rev: np.ndarray,
    dst: np.ndarray,
    capability: np.ndarray,
    posture: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per edge i -> j, in one pass over the flat trust (``TrustModel.step``): i's trust in j (at
    ``flat_src_dst``), j's trust in i (the reverse edge's) and the threat i faces from j,
    (1 - trust) * capability_j * posture_j (``Decisions`` documents it), multiplied in that order."""
    n = len(flat_src_dst)
    own, incoming, threat = np.empty(n), np.empty(n), np.empty(n)
    for e in range(n):
        value = trust[flat_src_dst[e]]
        own[e] = value
        j = dst[e]
        threat[e] = (1.0 - value) * capability[j] * posture[j]
    for e in range(n):
        incoming[e] = own[rev[e]]
    return own, incoming, threat


@kernel
def decision_terms(
    edge_greedy: np.ndarray,
    threat_faced: np.ndarray,
    threatened: np.ndarray,
    commitment: np.ndarray,
    greedy_temptation: float,
    secure_temptation: float,
    sucker: float,
    fear: float,
    audience_cost: float,
    deterrence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per edge, in one pass (``Decisions.decision_terms``, which documents them): the actor's
    temptation and sucker's payoff, and the escalation cost it expects; ``edge_greedy``: whether
    the edge's actor is greedy."""
    n = len(edge_greedy)
    temptation, own_sucker, escalation_cost = np.empty(n), np.empty(n), np.empty(n)
    for e in range(n):
        is_greedy = edge_greedy[e]
        temptation[e] = greedy_temptation if is_greedy else secure_temptation
        own_sucker[e] = sucker if is_greedy else sucker - fear * (threat_faced[e] + threatened[e])
        binding = (1.0 if commitment[e] > 0 else 0.0) * audience_cost
        escalation_cost[e] = deterrence * threatened[e] + binding
    return temptation, own_sucker, escalation_cost


@kernel
def _nearest(candidates: np.ndarray, sizes: np.ndarray, magnitude: float) -> int:
    """The candidate whose size (``sizes`` ascending) is closest to ``magnitude``; a tie goes to the
    smaller. The position is NumPy's ``searchsorted`` (left), clipped to [1, len - 1]."""
    count = len(sizes)
    if count == 0:
        raise ValueError("the catalog has no action of the kind wanted")
    if count == 1:
        return candidates[0]
    position = 0
    while position < count and sizes[position] < magnitude:
        position += 1
    position = min(max(position, 1), count - 1)
    below, above = sizes[position - 1], sizes[position]
    closer_below = abs(magnitude - below) <= abs(above - magnitude)
    return candidates[position - 1] if closer_below else candidates[position]


@kernel
def grit(
    other_last: np.ndarray,
    other_value: np.ndarray,
    phase: np.ndarray,
    count: np.ndarray,
    size: np.ndarray,
    neutral: np.ndarray,
    step_size: float,
    growth: float,
    persistence: int,
    pause: int,
    announce: bool,
    constructive: np.ndarray,
    constructive_sizes: np.ndarray,
    escalatory: np.ndarray,
    escalatory_sizes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GRIT's rule per dyad in one pass (``policies.Grit``, which documents it; phase 0 is the
    initiative, 1 reciprocity): the actions, whether each is declared, and the new phase, count and
    step size. The constructive and escalatory candidates are the catalog's, by size (``_nearest``)."""
    n = len(other_last)
    actions, declared = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.bool_)
    new_phase, new_count, new_size = np.empty(n, dtype=np.int8), np.empty(n, dtype=np.int32), np.empty(n)
    for e in range(n):
        current = step_size if size[e] < 0 else size[e]
        stage, rounds = phase[e], count[e]
        if other_last[e] == 1:  # reciprocated: a larger step, and the initiative (re)starts
            current, stage, rounds = min(1.0, current + growth), 0, 0
        if stage == 0 and rounds >= persistence:  # unanswered too long: reciprocity
            stage, rounds = 1, 0
        if stage == 1 and rounds >= pause:  # a new initiative at the initial size
            stage, rounds, current = 0, 0, step_size
        if stage == 0:
            actions[e] = _nearest(constructive, constructive_sizes, current)
        elif other_last[e] == -1:
            actions[e] = _nearest(escalatory, escalatory_sizes, abs(other_value[e]))
        else:
            actions[e] = neutral[e]
        declared[e] = stage == 0 and announce
        new_phase[e], new_count[e], new_size[e] = stage, rounds + 1, current
    return actions, declared, new_phase, new_count, new_size


# Dyads per tile of ``inverse_cdf``: a tile's cumulative weights (actions x TILE) stay in the
# first-level cache between the two passes over them.
TILE = 512


@kernel
def inverse_cdf(
    weights: np.ndarray,
    prior: np.ndarray,
    draw: np.ndarray,
    last: np.ndarray,
    kind: np.ndarray,
    routine: float,
) -> np.ndarray:
    """Per column of ``weights`` (actions x dyads), each row scaled by 1 / ``prior``: the first
    action whose cumulative weight exceeds draw * total, summed in action order as ``np.cumsum``.
    Weights at or below NEGLIGIBLE_WEIGHT (floored in ``logit_exponents``) count as zero. Dyads
    run in tiles of TILE, in the inner loops (vectorized).

    Routine (``routine`` > 0): where the action chosen is of the same kind as the dyad's ``last``
    action (-1: none) but another, the last is taken instead when the draw's place within the chosen
    action's share of the total, uniform on [0, 1) whatever was chosen, is below ``routine``. The
    chance of each kind is unchanged; within it the last step's chance becomes routine + (1 -
    routine) p, p its chance without routine. No other number is drawn, and ``routine`` = 0 leaves
    every choice as it was."""
    actions, n = weights.shape
    chosen = np.empty(n, dtype=np.int64)
    total, threshold = np.empty(TILE), np.empty(TILE)
    cumulative = np.empty((actions, TILE))
    below = np.empty(TILE, dtype=np.int64)
    for start in range(0, n, TILE):
        size = min(TILE, n - start)
        total[:size] = 0.0
        for a in range(actions):
            scale = prior[a]
            for e in range(size):
                weight = weights[a, start + e]
                total[e] += (weight if weight > NEGLIGIBLE_WEIGHT else 0.0) / scale
                cumulative[a, e] = total[e]
        for e in range(size):
            threshold[e] = draw[start + e] * total[e]
            below[e] = 0
        for a in range(actions):
            for e in range(size):
                below[e] += cumulative[a, e] <= threshold[e]
        for e in range(size):
            chosen[start + e] = min(below[e], actions - 1)
        if routine > 0.0:
            for e in range(size):
                previous, a = last[start + e], chosen[start + e]
                if previous < 0 or previous == a or kind[previous] != kind[a]:
                    continue
                low = cumulative[a - 1, e] if a > 0 else 0.0
                # (threshold - low) / share < routine, without the division
                if threshold[e] - low < routine * (cumulative[a, e] - low):
                    chosen[start + e] = previous
    return chosen


@kernel
def relax(
    trust: np.ndarray,
    target: np.ndarray,
    rate: float,
    skip_rows: np.ndarray,
    skip_diagonal: bool,
    congeal: bool,
    hardness: np.ndarray,
    threshold: float,
    congeal_rate: float,
    ceiling: float,
) -> None:
    """In place: trust += rate * (target - trust), clipped to [0, 1], except in the rows marked in
    ``skip_rows`` and (if ``skip_diagonal``) on the diagonal, which stay exactly as they are.
    One pass over the matrix for what NumPy does in four (decay, alliance influence). A batch's
    matrix is (copies x states) x states (``world.replicate``): row i's diagonal entry, i's trust
    in itself, is in column i % states (in a single run's n x n matrix, column i).

    With ``congeal``, the same pass then congeals every entry, skipped ones included (``congeal``'s
    arithmetic on the entry's new trust: one pass over the matrix where two read it)."""
    rows, columns = trust.shape
    for i in range(rows):
        relaxed = not skip_rows[i]
        diagonal = i % columns if skip_diagonal else -1
        for j in range(columns):
            value = trust[i, j]
            if relaxed and j != diagonal:
                value = min(max(value + (target[i, j] - value) * rate, 0.0), 1.0)
                trust[i, j] = value
            if congeal and value < threshold:
                hardness[i, j] += congeal_rate * (ceiling - hardness[i, j])


@inlined
def _pool_row(k: int, terms: tuple, trust: np.ndarray, row: np.ndarray) -> None:
    """Row k of the sparse path's alliance pool into ``row`` (``pool_allies`` states it). Each
    column sums its terms from zero in the stored order of k's allies, as SciPy's CSR product
    does; an ally's view of itself is skipped where SciPy added its zeroed term, which adds nothing
    to a sum that is never negative (trust is in [0, 1])."""
    allies, ally, share, renormalised, weight, unweighted, bounds = terms
    size = trust.shape[1]
    row[:] = 0.0
    for t in range(allies[k], allies[k + 1]):
        m, w = ally[t], share[t]
        view, own = trust[m], m % size
        kept = row[own]  # restored after the whole row is added (one loop, which vectorizes)
        for c in range(size):
            row[c] += w * view[c]
        row[own] = kept
    start = k * size
    for p in range(bounds[k, 0], bounds[k + 1, 0]):
        row[renormalised[p] - start] = row[renormalised[p] - start] / weight[p]
    for p in range(bounds[k, 1], bounds[k + 1, 1]):
        row[unweighted[p] - start] = trust[k, unweighted[p] - start]


@kernel
def pool_allies(terms: tuple, trust: np.ndarray, pooled: np.ndarray) -> None:
    """The sparse path's alliance pool, in place in ``pooled`` (states x a copy's states, as
    ``trust``). ``terms`` are the influence's CSR arrays (allies, ally, share), the flat positions
    to renormalise with their weights, those where the weight vanishes, and where each row's
    start in those two (``Structure._build_alliances``). Row k sums share[t] * trust[m] over k's
    allies m = ally[t], t in allies[k]:allies[k + 1], leaving out each ally's view of itself
    (column m % size); then the entries to renormalise are divided by their weights and those
    where it vanishes take trust's. SciPy's product of the influence and trust with its diagonal
    zeroed, then NumPy's two scatters, term for term."""
    row = np.empty(trust.shape[1])  # a buffer of its own: the compiler knows it aliases no input
    for k in range(trust.shape[0]):
        _pool_row(k, terms, trust, row)
        pooled[k] = row


@kernel
def pool_relax(
    terms: tuple,
    trust: np.ndarray,
    before: np.ndarray,
    rate: float,
    skip_rows: np.ndarray,
    congeal: bool,
    hardness: np.ndarray,
    threshold: float,
    congeal_rate: float,
    ceiling: float,
) -> None:
    """``pool_allies`` then ``relax`` toward the pool (off the diagonal), in one pass over the rows:
    trust is first copied into ``before`` (a work array of its shape), which the pool reads, so
    that each row relaxes as soon as its pool is summed, from a row-long buffer, where the two
    passes wrote and read back a whole pooled matrix. The same numbers as the two."""
    size = trust.shape[1]
    before[:] = trust
    row = np.empty(size)
    for k in range(trust.shape[0]):
        _pool_row(k, terms, before, row)
        relaxed, diagonal = not skip_rows[k], k % size
        # relax's loop on row k, written out: shared as a helper called per entry (inlined by
        # Numba or left to LLVM), it made relax many times slower
        for j in range(size):
            value = trust[k, j]
            if relaxed and j != diagonal:
                value = min(max(value + (row[j] - value) * rate, 0.0), 1.0)
                trust[k, j] = value
            if congeal and value < threshold:
                hardness[k, j] += congeal_rate * (ceiling - hardness[k, j])


@kernel
def relax_entries(values: np.ndarray, target: np.ndarray, rate: float, skip: np.ndarray) -> None:
    """``relax`` over a run's local views (one value per held pair, ``propagation.views: local``):
    in place, values += rate * (target - values), clipped to [0, 1], except where ``skip``."""
    for p in range(len(values)):
        if not skip[p]:
            values[p] = min(max(values[p] + (target[p] - values[p]) * rate, 0.0), 1.0)


@kernel
def congeal(hardness: np.ndarray, trust: np.ndarray, threshold: float, rate: float, ceiling: float) -> None:
    """In place: where trust is below ``threshold``, hardness += rate * (ceiling - hardness)."""
    rows, columns = trust.shape
    for i in range(rows):
        for j in range(columns):
            if trust[i, j] < threshold:
                hardness[i, j] += rate * (ceiling - hardness[i, j])


@kernel
def congeal_entries(
    hardness: np.ndarray, trust: np.ndarray, threshold: float, rate: float, ceiling: float
) -> None:
    """``congeal`` over a run's local views (one value per held pair), in place."""
    for p in range(len(trust)):
        if trust[p] < threshold:
            hardness[p] += rate * (ceiling - hardness[p])


@kernel
def _mean(total: float, count: int) -> float:
    return total / count if count else np.nan


@kernel
def row_means(values: np.ndarray) -> np.ndarray:
    """The mean of each row, summed left to right: the same sum whatever the number of rows, so a
    measure of one run and of that run's row in a batch are the same number (NumPy's pairwise
    sums depend on the array's layout)."""
    rows, columns = values.shape
    means = np.empty(rows)
    for i in range(rows):
        total = 0.0
        for j in range(columns):
            total += values[i, j]
        means[i] = _mean(total, columns)
    return means


@kernel
def masked_row_means(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean of each row's entries where ``mask``, summed left to right (NaN where none): the mean
    ``row_means`` gives of those entries, for rows that each select their own."""
    rows, columns = values.shape
    means = np.empty(rows)
    for i in range(rows):
        total, count = 0.0, 0
        for j in range(columns):
            if mask[i, j]:
                total += values[i, j]
                count += 1
        means[i] = _mean(total, count)
    return means


@kernel
def perceive(
    actions: np.ndarray,
    declared: np.ndarray,
    draw: np.ndarray,
    noise: np.ndarray,
    dst: np.ndarray,
    fog: np.ndarray,
    verifiability: np.ndarray,
    declared_verifiability: float,
    view: np.ndarray,
    ally_offset: np.ndarray,
    noise_level: float,
    fog_gain: float,
    band: float,
    perception_error: float,
    max_error: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How each target reads the step toward it (``TrustModel._perceive``, which documents it),
    per edge in one pass: the perceived value, the move it reads (1, 0, -1) and its perception
    error. Noise is added (and the value clipped to [-1, 1]) only if some edge has any. One pass
    per edge, its move read without a branch (a mispredicted branch per noisy value cost more
    than the pass's arithmetic)."""
    n = len(actions)
    noisy = noise_level != 0.0
    for e in range(n):
        if noisy:
            break
        noisy = noise_level + fog_gain * fog[dst[e]] != 0.0
    perceived, move, error = np.empty(n), np.empty(n, dtype=np.int8), np.empty(n)
    for e in range(n):
        a = actions[e]
        target_fog = fog_gain * fog[dst[e]]
        visible = verifiability[a] + (declared_verifiability if declared[e] else 0.0)
        value = view[ally_offset[e] + a] if draw[e] < visible else 0.0
        if noisy:
            value = min(max(value + (noise_level + target_fog) * noise[e], -1.0), 1.0)
        perceived[e] = value
        move[e] = (value > band) - (value < -band)  # 1, 0 or -1, without a branch
        error[e] = min(max_error, perception_error + target_fog)
    return perceived, move, error


@kernel
def payoffs(
    actions: np.ndarray,
    rev: np.ndarray,
    table: np.ndarray,
    commitment: np.ndarray,
    escalatory: np.ndarray,
    audience_cost: float,
    trust: np.ndarray,
    src: np.ndarray,
    capability: np.ndarray,
    posture: np.ndarray,
    threat_faced: np.ndarray,
    threat_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per edge (``TrustModel._payoffs``, which documents it): the payoff of the pair of actions
    from ``table`` (own action by row, the other's by column), less the audience cost of reneging
    on a binding declaration; and the actor's security, the payoff less the threat it faces plus
    the deterrent weight of its own forces against a distrusted partner."""
    n, size = len(actions), table.shape[1]
    flat = table.ravel()
    payoff, security = np.empty(n), np.empty(n)
    for e in range(n):
        a = actions[e]
        value = flat[a * size + actions[rev[e]]]
        if commitment[e] > 0 and escalatory[a]:
            value = value - audience_cost
        payoff[e] = value
        own_forces = (1.0 - trust[e]) * capability[src[e]] * posture[src[e]]
        security[e] = value - threat_weight * (threat_faced[e] - own_forces)
    return payoff, security


@kernel
def slips(
    actions: np.ndarray,
    noise_draw: np.ndarray,
    paralysis_draw: np.ndarray,
    forced: np.ndarray,
    kind: np.ndarray,
    constructive: np.ndarray,
    escalatory: np.ndarray,
    neutral: np.ndarray,
    other_last: np.ndarray,
    last_action: np.ndarray,
    trust: np.ndarray,
    execution_noise: float,
    paralysis: float,
    keep_course: bool,
) -> np.ndarray:
    """Per edge, in one pass (``Decisions._slips``, which documents them): execution noise turns an
    intended constructive step into the actor's escalatory one and back with probability
    ``execution_noise``; then paralysis drops an initiative for holding with probability
    paralysis * (1 - trust), and, with ``keep_course``, turns any other change in the kind of step
    from the actor's ``last_action`` (-1: none yet) back into that action, with the same
    probability and draw. A forced (scheduled) action is neither. Returns the actions taken."""
    n = len(actions)
    taken = np.empty(n, dtype=np.int64)
    for e in range(n):
        a = actions[e]
        if not forced[e]:
            if noise_draw[e] < execution_noise:
                if kind[a] == CONSTRUCTIVE:
                    a = escalatory[e]
                elif kind[a] == ESCALATORY:
                    a = constructive[e]
            initiative = kind[a] == CONSTRUCTIVE and other_last[e] != CONSTRUCTIVE
            last = last_action[e]
            turning = keep_course and not initiative and last >= 0 and kind[a] != kind[last]
            paralysed = paralysis != 0.0 and paralysis_draw[e] < paralysis * (1.0 - trust[e])
            if (initiative or turning) and paralysed:
                a = neutral[e] if initiative else last
        taken[e] = a
    return taken


@kernel
def posture_step(
    posture: np.ndarray,
    edge_trust: np.ndarray,
    rival_edges: np.ndarray,
    rival_src: np.ndarray,
    rival_dst: np.ndarray,
    rival_salience: np.ndarray,
    distrust_weighted: bool,
    capability: np.ndarray,
    reaction: np.ndarray,
    fatigue: np.ndarray,
    grievance: np.ndarray,
    src: np.ndarray,
    action_posture: np.ndarray,
    actions: np.ndarray,
    out_degree: np.ndarray,
    dt: float,
    floor: float,
) -> np.ndarray:
    """Each state's posture after one Richardson step (``TrustModel._update_posture``, which
    documents it): the pressure of its rivals and the mean posture change of its actions summed
    in edge order, as ``np.bincount`` sums them."""
    n = len(posture)
    pressure, stepped, after = np.zeros(n), np.zeros(n), np.empty(n)
    for k in range(len(rival_edges)):
        distrust = 1.0 - edge_trust[rival_edges[k]] if distrust_weighted else 1.0
        other = rival_dst[k]
        pressure[rival_src[k]] += rival_salience[k] * distrust * capability[other] * posture[other]
    for e in range(len(src)):
        stepped[src[e]] += action_posture[actions[e]]
    for i in range(n):
        drift = reaction[i] * pressure[i] - fatigue[i] * posture[i] + grievance[i]
        mean_step = stepped[i] / out_degree[i] if out_degree[i] > 0 else 0.0
        after[i] = max(floor, posture[i] + dt * (drift + mean_step))
    return after


@kernel
def provoked(last_action: np.ndarray, rev: np.ndarray, self_view: np.ndarray, band: float) -> np.ndarray:
    """Per edge i -> j, whether j's own last step toward i (-1: none yet), as j itself sees it
    (self-view), was escalatory beyond the neutral band (``TrustUpdate._update_trust``)."""
    n = len(rev)
    out = np.empty(n, dtype=np.bool_)
    for e in range(n):
        own = last_action[rev[e]]
        out[e] = own >= 0 and self_view[own] < -band
    return out


@kernel
def signal_cost_exponent(
    actions: np.ndarray, cost: np.ndarray, declared: np.ndarray, audience_cost: float, scale: float
) -> np.ndarray:
    """Per edge, -(cost of its action + audience cost if declared) / scale: the exponent of
    ``trust_rules.hard_to_fake``."""
    n = len(actions)
    out = np.empty(n)
    for e in range(n):
        out[e] = -(cost[actions[e]] + (1.0 if declared[e] else 0.0) * audience_cost) / scale
    return out


@kernel
def apply_change(trust: np.ndarray, flat: np.ndarray, before: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """In place: trust[flat[e]] = clip(before[e] + delta[e], 0, 1) for each e (a flat view of trust,
    ``TrustUpdate._apply``); returns the values written."""
    n = len(flat)
    after = np.empty(n)
    for e in range(n):
        after[e] = min(max(before[e] + delta[e], 0.0), 1.0)
        trust[flat[e]] = after[e]
    return after


@kernel
def thaw(
    hardness: np.ndarray, flat: np.ndarray, current: np.ndarray, credible: np.ndarray, rate: float
) -> None:
    """In place: hardness[flat[e]] = current[e] * max(0, 1 - rate * credible[e]), credible evidence
    thawing congealed mistrust (``TrustUpdate._update_trust``)."""
    for e in range(len(flat)):
        hardness[flat[e]] = current[e] * max(0.0, 1.0 - rate * credible[e])


@kernel
def scatter_rows(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """In place: target[rows[e]] = values[e] for each e, rows of a 2-D array (what NumPy's
    ``target[rows] = values`` does, several times slower for short rows)."""
    for e in range(len(rows)):
        for c in range(values.shape[1]):
            target[rows[e], c] = values[e, c]


@kernel
def gather_rows_divided(source: np.ndarray, rows: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """source[rows[p]] / divisor[p] for each p, rows of a 2-D array: NumPy's
    ``np.take(source, rows, axis=0) / divisor[:, None]`` in one pass (the same quotients)."""
    out = np.empty((len(rows), source.shape[1]))
    for p in range(len(rows)):
        for c in range(source.shape[1]):
            out[p, c] = source[rows[p], c] / divisor[p]
    return out


@intrinsic
def _fma(typing_context, a, b, c):
    """a * b + c rounded once: LLVM's ``llvm.fma`` (a fused multiply-add instruction where the
    processor has one, else the C library's correctly rounded ``fma``), so that its result is the
    same on every processor. Numba has no fma of its own, and without ``fastmath`` it never fuses
    a * b + c by itself."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = llvmlite.ir.DoubleType()
        kind = llvmlite.ir.FunctionType(double, [double] * 3)
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [double], kind), args)

    return signature, codegen


# -- the exponential and the logarithm, the same on every processor ------------------------------
# NumPy picks its exp and log at run time by the processor's SIMD level: with AVX-512 they differ
# from those of other processors in the last bit of some values (docs/performance.md, Session 20),
# and every run's trust differs with them. These are computed from IEEE 754's exactly rounded
# operations only (+, -, *, /, fused multiply-add, integer bit operations; no library call), so they
# are the same on every processor; the compiler vectorizes their loops (``python
# benchmarks/bench_floor.py`` times them beside NumPy's: exp about as fast, log slower). Both are
# within one unit in the last place of the C library's (tests/test_kernels.py).


@intrinsic
def _as_float(typing_context, bits):
    """The float64 whose IEEE 754 bits are the int64 ``bits``."""
    signature = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.DoubleType())

    return signature, codegen


@intrinsic
def _as_bits(typing_context, value):
    """The IEEE 754 bits of the float64 ``value``, as an int64."""
    signature = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.IntType(64))

    return signature, codegen


_INV_LN2 = 1.4426950408889634  # 1 / ln 2
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts, the first with its last 32 bits zero (fdlibm)
_LN2_LO = 1.90821492927058770002e-10
_ROUNDING = 6755399441055744.0  # 1.5 * 2**52: x + it - it rounds x to the nearest integer
_EXP_MAX, _EXP_MIN = 709.782712893384, -745.1332191019412  # beyond: inf and 0
_MANTISSA = (1 << 52) - 1
_SQRT2_MANTISSA = 0x6A09E667F3BCD  # the mantissa bits of sqrt(2)
# log(1 + f) = f - f^2 / 2 + s (f^2 / 2 + R(s^2)), s = f / (2 + f): fdlibm's e_log.c and its constants
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)


@inlined
def _exp(x: float) -> float:
    """e^x: x = k ln 2 + r with |r| <= ln 2 / 2 (Cody and Waite's two-part ln 2, with fused
    multiply-adds), e^r by its Taylor series to r^13 (Horner's scheme, whose error at |r| = 0.35
    is below 2^-53), times 2^k built from its bits in two factors (so that each is a normal
    number down to e^-745). inf above 709.78, 0 below -745.13, NaN for NaN."""
    v = min(max(x, _EXP_MIN - 1.0), _EXP_MAX + 1.0) if x == x else 0.0  # k stays a small integer
    k = (v * _INV_LN2 + _ROUNDING) - _ROUNDING
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, v))
    p = 1.0 / 6227020800.0
    p = _fma(p, r, 1.0 / 479001600.0)
    p = _fma(p, r, 1.0 / 39916800.0)
    p = _fma(p, r, 1.0 / 3628800.0)
    p = _fma(p, r, 1.0 / 362880.0)
    p = _fma(p, r, 1.0 / 40320.0)
    p = _fma(p, r, 1.0 / 5040.0)
    p = _fma(p, r, 1.0 / 720.0)
    p = _fma(p, r, 1.0 / 120.0)
    p = _fma(p, r, 1.0 / 24.0)
    p = _fma(p, r, 1.0 / 6.0)
    p = _fma(p, r, 0.5)
    p = _fma(p, r, 1.0)
    p = _fma(p, r, 1.0)
    n = np.int64(k)
    half = n >> 1
    value = p * _as_float((half + 1023) << 52) * _as_float((n - half + 1023) << 52)
    if x > _EXP_MAX:
        value = np.inf
    elif x < _EXP_MIN:
        value = 0.0
    elif x != x:
        value = x
    return value


@inlined
def _log(x: float) -> float:
    """The natural logarithm: x = 2^k m with m in [sqrt(2) / 2, sqrt(2)) from x's bits (a
    subnormal x scaled by 2^54 first), then fdlibm's log(1 + f) for f = m - 1 and k ln 2 in two
    parts. NaN below 0 and for NaN, -inf at 0, inf at inf."""
    bits = _as_bits(x)
    k = (bits >> 52) - 1023
    if k == -1023:  # zero or subnormal
        bits = _as_bits(x * 18014398509481984.0)  # 2^54, exactly
        k = (bits >> 52) - 1023 - 54
    mantissa = bits & _MANTISSA
    if mantissa >= _SQRT2_MANTISSA:
        m = _as_float(mantissa | (1022 << 52))
        k += 1
    else:
        m = _as_float(mantissa | (1023 << 52))
    f = m - 1.0
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    half_square = 0.5 * f * f
    value = dk * _LN2_HI - ((half_square - (s * (half_square + (t2 + t1)) + dk * _LN2_LO)) - f)
    if not x > 0.0 or x == np.inf:  # x <= 0, NaN or inf
        value = np.nan if (x < 0.0 or x != x) else (-np.inf if x == 0.0 else x)
    return value


# In place, on one array: with two, the compiler checks at run time whether they overlap, and
# takes a loop it does not vectorize (four times slower) when they are the same array.
@kernel
def _exp_in_place(values: np.ndarray) -> None:
    for i in range(values.size):
        values[i] = _exp(values[i])


@kernel
def _log_in_place(values: np.ndarray) -> None:
    for i in range(values.size):
        values[i] = _log(values[i])


def _elementwise(in_place, values, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        out = np.array(values, dtype=np.float64, order="C")  # a copy
    elif out.shape != np.shape(values) or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError("out must be a contiguous float64 array of the values' shape")
    elif out is not values:
        np.copyto(out, values)
    in_place(out.reshape(-1))
    return out


def exp(values, out: np.ndarray | None = None) -> np.ndarray:
    """e^values, elementwise, the same on every processor (``_exp``); into ``out`` if given (a
    contiguous float64 array of the same shape, which may be ``values`` itself)."""
    return _elementwise(_exp_in_place, values, out)


def log(values, out: np.ndarray | None = None) -> np.ndarray:
    """The natural logarithm of values, elementwise, the same on every processor (``_log``)."""
    return _elementwise(_log_in_place, values, out)


@kernel
def fused_rows(
    indptr: np.ndarray, index: np.ndarray, value: np.ndarray, matrix: np.ndarray, out: np.ndarray
) -> None:
    """In place: out = S @ matrix for S in CSR form (indptr, index, value), the dense path's
    products (``TrustUpdate._observe`` and ``_pool_allies``). Row k of ``out`` starts at zero and
    adds value[t] * matrix[index[t]] for its terms t in stored order (ascending column), each
    with one fused multiply-add (``_fma``). So its numbers depend on neither the processor nor the
    BLAS library, whose kernels add a product's terms in their own order and differ between
    processors (docs/performance.md, Session 19). Four terms at a time over the row, which then
    makes a quarter of the passes over it; their order is the same as one at a time."""
    columns = matrix.shape[1]
    for k in range(len(indptr) - 1):
        row = out[k]
        row[:] = 0.0
        t, end = indptr[k], indptr[k + 1]
        while t + 4 <= end:
            w0, w1, w2, w3 = value[t], value[t + 1], value[t + 2], value[t + 3]
            s0, s1 = matrix[index[t]], matrix[index[t + 1]]
            s2, s3 = matrix[index[t + 2]], matrix[index[t + 3]]
            for c in range(columns):
                row[c] = _fma(w3, s3[c], _fma(w2, s2[c], _fma(w1, s1[c], _fma(w0, s0[c], row[c]))))
            t += 4
        while t < end:
            w, source = value[t], matrix[index[t]]
            for c in range(columns):
                row[c] = _fma(w, source[c], row[c])
            t += 1


@kernel
def observe_terms(
    indptr: np.ndarray, edge: np.ndarray, friend: np.ndarray, evidence: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """The observation (``TrustUpdate._observe``) over its terms: for each observation pair p, the
    sum over its terms t in indptr[p]:indptr[p + 1] of friend[t] * evidence[edge[t]], from zero in
    stored order (ascending friend), each term with one fused multiply-add (``_fma``), divided by
    weight[p]. These are ``fused_rows``' sums of friends @ signal at the pair, bit for bit: that
    product adds the same terms in the same order, and its other terms (friends j with no edge
    i -> j) add an exact zero."""
    rows, columns = len(indptr) - 1, evidence.shape[1]
    out = np.zeros((rows, columns))
    for p in range(rows):
        for t in range(indptr[p], indptr[p + 1]):
            e, f = edge[t], friend[t]
            for c in range(columns):
                out[p, c] = _fma(f, evidence[e, c], out[p, c])
        for c in range(columns):
            out[p, c] = out[p, c] / weight[p]
    return out


# -- the adaptive trust rule (trust_rules.AdaptiveRule, which states the equations) --------------
# Its arithmetic in one pass per stage, around ``log`` and ``exp`` in passes of their own: fused into
# one loop with the stages' arithmetic, they were not vectorized and the step was slower (session 20).


@kernel
def adaptive_evidence(
    value: np.ndarray, costly: np.ndarray, provoked: np.ndarray, band: float, discount: float
) -> np.ndarray:
    """Per edge: positive evidence (the value beyond the neutral band), its hard-to-fake part
    (times ``costly``) and negative evidence (discounted where ``provoked``), as three columns."""
    n = len(value)
    evidence = np.empty((n, 3))
    for e in range(n):
        v = value[e]
        sign = 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
        beyond = sign * max(abs(v) - band, 0.0)
        positive = max(beyond, 0.0)
        evidence[e, 0] = positive
        evidence[e, 1] = positive * costly[e]
        evidence[e, 2] = min(beyond, 0.0) * (1.0 - discount * provoked[e])
    return evidence


@kernel
def _credible(trust: float, positive: float, hard_to_fake: float, short_circuit: float) -> float:
    doubt = short_circuit * (1.0 - trust)
    return positive * (1.0 - doubt) + hard_to_fake * doubt


@kernel
def adaptive_credible(trust: np.ndarray, evidence: np.ndarray, short_circuit: float) -> np.ndarray:
    """Constructive evidence after short-circuiting: e0 (1 - doubt) + e1 doubt, doubt = s (1 - T)."""
    n = len(trust)
    credible = np.empty(n)
    for e in range(n):
        credible[e] = _credible(trust[e], evidence[e, 0], evidence[e, 1], short_circuit)
    return credible


@kernel
def adaptive_step(
    trust: np.ndarray,
    hardness: np.ndarray,
    evidence: np.ndarray,
    learning_rate: float,
    negativity_bias: float,
    short_circuit: float,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The log-odds step lr (credible (1 - H) + bias e2) of each entry, and the odds
    b / (1 - b) of its trust b clipped to [floor, 1 - floor] (whose log is its log-odds)."""
    n = len(trust)
    step, odds = np.empty(n), np.empty(n)
    for e in range(n):
        credible = _credible(trust[e], evidence[e, 0], evidence[e, 1], short_circuit)
        step[e] = learning_rate * (credible * (1.0 - hardness[e]) + negativity_bias * evidence[e, 2])
        belief = min(max(trust[e], floor), 1.0 - floor)
        odds[e] = belief / (1.0 - belief)
    return step, odds


@kernel
def moved(trust: np.ndarray, step: np.ndarray, decay: np.ndarray, floor: float) -> np.ndarray:
    """The change of trust whose log-odds moved by ``step``, from ``decay`` = exp(-(L + step)):
    clip(1 / (1 + decay), floor, 1 - floor) - T, exactly zero where the step is zero."""
    n = len(trust)
    change = np.empty(n)
    for e in range(n):  # both sides computed and one kept: a select, which vectorizes
        after = min(max(1.0 / (1.0 + decay[e]), floor), 1.0 - floor) - trust[e]
        change[e] = 0.0 if step[e] == 0.0 else after
    return change


# -- the model-level measures (records.measures, which documents each) --------------------------


@kernel
def edge_measures(
    trust: np.ndarray,
    kind: np.ndarray,
    actions: np.ndarray,
    security: np.ndarray,
    hot: np.ndarray,
    hardness: np.ndarray,
    same_bloc: np.ndarray,
    source: np.ndarray,
    out_degree: np.ndarray,
    gap: np.ndarray,
    right: np.ndarray,
    congealed_level: float,
    values: np.ndarray,
) -> None:
    """Per copy (row of the copies x edges inputs), the measures of ``records.EDGE_MEASURES`` (in
    that order: the vocabulary's measures of edges) in one pass each,
    every mean summed in edge order (as ``row_means``): a copy's numbers are its run's alone.
    ``kind`` holds the catalog's kind codes; edge e < half and e + half are one
    relation's two directions; ``same_bloc`` (whether an edge joins states of one bloc), ``source``
    (the actor, by its copy's state ids) and ``out_degree`` are per copy, as each copy's network
    may be its own (a generated network per seed). Written into ``values`` (copies x measures)."""
    copies, size = trust.shape
    half = size // 2
    states = out_degree.shape[1]
    per_state = np.empty(states)
    for b in range(copies):
        total, low = 0.0, np.inf
        constructive = neutral = escalatory = congealed = rights = 0
        gaps = 0.0
        per_state[:] = 0.0
        for e in range(size):
            t = trust[b, e]
            total += t
            low = min(low, t)
            k = kind[b, e]
            constructive += k == CONSTRUCTIVE
            neutral += k == NEUTRAL
            escalatory += k == ESCALATORY
            congealed += hardness[b, e] >= congealed_level
            a = actions[b, e]
            gaps += gap[a]
            rights += right[a]
            per_state[source[b, e]] += security[b, e]
        inside = outside = 0.0
        within = 0
        for e in range(size):  # in edge order, apart from the sum above: the same sums as before
            if same_bloc[b, e]:
                inside += trust[b, e]
                within += 1
        for e in range(size):
            if not same_bloc[b, e]:
                outside += trust[b, e]
        national, related = 0.0, 0
        for s in range(states):
            if out_degree[b, s] > 0:
                national += per_state[s] / out_degree[b, s]
                related += 1
        mutual, crises = 0.0, 0
        for e in range(half):
            mutual += min(security[b, e], security[b, e + half])
            crises += hot[b, e] or hot[b, e + half]
        values[b, 0] = _mean(total, size)
        values[b, 1] = low
        values[b, 2] = _mean(inside, within)
        values[b, 3] = _mean(outside, size - within)
        values[b, 4] = constructive / size
        values[b, 5] = neutral / size
        values[b, 6] = escalatory / size
        values[b, 7] = congealed
        values[b, 8] = _mean(national, related)
        values[b, 9] = _mean(mutual, half)
        values[b, 10] = crises
        values[b, 11] = _mean(gaps, size)
        values[b, 12] = rights / size


@kernel
def remember(
    rev: np.ndarray,
    move: np.ndarray,
    perceived: np.ndarray,
    actions: np.ndarray,
    declared: np.ndarray,
    escalation: np.ndarray,
    threatened: np.ndarray,
    commitment: np.ndarray,
    threat_of_action: np.ndarray,
    escalation_memory: float,
    deterrence_memory: float,
    window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per edge i -> j (``TrustModel._remember``, which documents it), in one pass: j's move and
    value toward i as i perceived them, i's escalation index memory * E + max(0, -perceived), the
    cost j threatened i with (memory * C + the threat of j's action), and how long i's declaration
    still binds it (``window`` when it declares, else one step less, down to 0)."""
    n = len(rev)
    other_last, other_value = np.empty(n, dtype=move.dtype), np.empty(n)
    new_escalation, new_threatened = np.empty(n), np.empty(n)
    new_commitment = np.empty(n, dtype=commitment.dtype)
    for e in range(n):
        r = rev[e]
        other_last[e] = move[r]
        other_value[e] = perceived[r]
        new_escalation[e] = escalation_memory * escalation[e] + max(0.0, -perceived[e])
        new_threatened[e] = deterrence_memory * threatened[e] + threat_of_action[actions[r]]
        new_commitment[e] = window if declared[e] else max(commitment[e] - 1, 0)
    return other_last, other_value, new_escalation, new_threatened, new_commitment


# -- random numbers of a batch -------------------------------------------------------------------


def stream_list(streams: list[np.random.Generator]) -> List:
    """The copies' generators as the typed list ``draw_streams`` takes. Built by the two compiled
    functions below, whose code (the list's own methods included) comes from numba's cache: a
    ``numba.typed.List`` filled from Python compiles its methods afresh in every process, before a
    batch's first step, in every sweep worker (tests/test_kernels.py)."""
    typed = _list_of(streams[0])
    for stream in streams[1:]:
        _append(typed, stream)
    return typed


@kernel
def _list_of(first):
    typed = List()
    typed.append(first)
    return typed


@kernel
def _append(typed, stream) -> None:
    typed.append(stream)


@kernel
def draw_streams(streams, draws: np.ndarray, noise: np.ndarray) -> None:
    """In place: each copy's block of ``draws`` (uniforms, row by row) then of ``noise`` (standard
    normals) from its own generator, in one call for all copies. Numba's Generator methods use the
    generator's own bit generator and NumPy's algorithms, so each stream yields exactly the numbers
    ``stream.random(out=...)`` and ``stream.standard_normal(out=...)`` would, and advances as they
    would (tests/test_kernels.py); a Python call per copy and step cost ~2 us each."""
    size = len(noise) // len(streams)
    for b in range(len(streams)):
        stream = streams[b]
        for i in range(b * size, (b + 1) * size):
            for j in range(draws.shape[1]):
                draws[i, j] = stream.random()
        for i in range(b * size, (b + 1) * size):
            noise[i] = stream.standard_normal()
