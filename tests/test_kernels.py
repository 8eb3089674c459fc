"""The compiled stages of the step compute exactly the array expressions they stand for.

Each kernel in ``trustsim.model.kernels`` replaces several NumPy passes; the model's results must
not depend on which of the two computes a stage. Each test writes the textbook NumPy expression
of the equation the kernel's docstring states and compares, bit for bit, on random inputs that
cover the edge cases (zero evidence, trust at and beyond the floor, the neutral band's edges).
"""

from __future__ import annotations

import numpy as np
import pytest

from trustsim.config.schema import TrustRule
from trustsim.model import kernels
from trustsim.model.trust_rules import AdaptiveRule

SIZE = 5_000


@pytest.fixture
def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    trust = rng.random(SIZE)
    trust[:50] = 0.0  # at and below the floor, at and above its mirror
    trust[50:100] = 1.0
    trust[100:150] = 1e-9
    value = rng.uniform(-1, 1, SIZE)
    value[:300] = 0.0  # no signal
    value[300:400] = rng.choice([-0.05, 0.05], 100)  # exactly on the neutral band
    return {
        "trust": trust,
        "hardness": rng.random(SIZE) * 0.9,
        "value": value,
        "cost": rng.random(SIZE) * 0.5,
        "declared": rng.random(SIZE) < 0.3,
        "provoked": rng.random(SIZE) < 0.2,
    }


def textbook_evidence(value, declared, cost, provoked, params: TrustRule, band: float) -> np.ndarray:
    beyond = np.sign(value) * np.maximum(np.abs(value) - band, 0.0)
    positive = np.maximum(beyond, 0.0)
    negative = np.minimum(beyond, 0.0) * (1.0 - params.provocation_discount * provoked)
    costly = 1.0 - kernels.exp(-(cost + declared * params.audience_cost) / params.signal_cost_scale)
    return np.stack([positive, positive * costly, negative], axis=-1)


def textbook_credible(trust, evidence, params: TrustRule) -> np.ndarray:
    doubt = params.short_circuit * (1.0 - trust)
    return evidence[..., 0] * (1.0 - doubt) + evidence[..., 1] * doubt


def textbook_respond(trust, hardness, evidence, params: TrustRule) -> np.ndarray:
    step = params.learning_rate * (
        textbook_credible(trust, evidence, params) * (1.0 - hardness)
        + params.negativity_bias * evidence[..., 2]
    )
    floor = params.trust_floor
    belief = np.clip(trust, floor, 1.0 - floor)
    after = 1.0 / (1.0 + kernels.exp(-(kernels.log(belief / (1.0 - belief)) + step)))
    return np.where(step == 0.0, 0.0, np.clip(after, floor, 1.0 - floor) - trust)


@pytest.mark.parametrize("band", [0.0, 0.05])
def test_the_adaptive_rule_computes_its_array_expressions_bit_for_bit(inputs, band):
    params = TrustRule(provocation_discount=0.5, audience_cost=0.4)
    rule = AdaptiveRule(params, band=band)
    value, declared, cost, provoked = (inputs[k] for k in ("value", "declared", "cost", "provoked"))
    # each step its own action, whose catalog cost is the step's
    evidence = rule.evidence(
        value=value, declared=declared, actions=np.arange(SIZE), cost=cost, provoked=provoked
    )
    expected = textbook_evidence(value, declared, cost, provoked, params, band)
    np.testing.assert_array_equal(evidence, expected)
    trust, hardness = inputs["trust"], inputs["hardness"]
    np.testing.assert_array_equal(rule.credible(trust, evidence), textbook_credible(trust, evidence, params))
    change = rule.respond(trust, hardness, evidence)
    np.testing.assert_array_equal(change, textbook_respond(trust, hardness, evidence, params))
    assert np.count_nonzero(change == 0.0) >= 300  # the signal-free entries do not move at all
    # Summed evidence (third-party observation) is not limited to one edge's values.
    summed = evidence * 2.7
    np.testing.assert_array_equal(
        rule.respond(trust, hardness, summed), textbook_respond(trust, hardness, summed, params)
    )


def test_the_logit_weights_are_the_quantal_response_expression(inputs):
    """``logit_exponents`` (with resolve's shortfall) then NumPy's exp and ``inverse_cdf``: the
    first action whose cumulative kind-weighted exp(rationality (U - max U) - shortfall) exceeds
    draw x total (np.cumsum)."""
    rng = np.random.default_rng(3)
    n, actions = SIZE, 6
    trust = inputs["trust"]
    reward, bonus = np.full(n, 3.0), rng.random(actions)
    temptation, sucker = rng.uniform(2, 5, n), rng.uniform(-1, 0.5, n)
    escalation_cost = rng.random(n)
    cooperation = np.array([1.0, 1.0, 0.5, 0.0, 0.0, 1.0])
    cost, escalatory = rng.random(actions) * 0.3, (cooperation == 0.0).astype(float)
    prior = np.array([3.0, 3.0, 1.0, 2.0, 2.0, 3.0])
    draw = rng.random(n)
    rationality = 4.0
    provocation = np.where(rng.random(n) < 0.3, rng.random(n) * 3, 0.0)  # resolve, exponent units
    severity = np.array([0.0, 0.0, 0.0, 1.2, 2.4, 0.0])
    x, y = cooperation[:, None], trust[None, :]
    utility = (
        (reward + bonus[:, None]) * x * y
        + sucker * x * (1 - y)
        + temptation * (1 - x) * y
        + 1.0 * (1 - x) * (1 - y)
        - cost[:, None]
        - escalatory[:, None] * escalation_cost
    )
    floor = kernels.NEGLIGIBLE_EXPONENT
    exponent = np.maximum(rationality * (utility - utility.max(axis=0)), floor)
    shortfall = provocation[None, :] - severity[:, None]
    exponent = np.where(shortfall > 0, np.maximum(exponent - shortfall, floor), exponent)
    compiled = kernels.logit_exponents(
        trust,
        reward,
        bonus,
        temptation,
        sucker,
        1.0,
        escalation_cost,
        cooperation,
        cost,
        escalatory,
        rationality,
        provocation,
        severity,
    )
    np.testing.assert_array_equal(compiled, exponent)
    assert np.count_nonzero(shortfall > 0) > 1000  # resolve's shortfall is exercised
    weights = kernels.exp(exponent) / prior[:, None]
    weights[exponent <= kernels.NEGLIGIBLE_EXPONENT] = 0.0
    cumulative = np.cumsum(weights, axis=0)
    expected = np.minimum((cumulative <= draw * cumulative[-1]).sum(axis=0), actions - 1)
    none, kind = np.full(1, -1), np.zeros(actions, dtype=np.int8)  # routine off: never read
    chosen = kernels.inverse_cdf(kernels.exp(compiled), prior, draw, none, kind, 0.0)
    np.testing.assert_array_equal(chosen, expected)


@pytest.mark.parametrize("routine", [0.0, 0.3, 0.8, 1.0])
def test_routine_repeats_the_last_step_of_a_kind_without_changing_the_kinds_chances(routine):
    """``inverse_cdf`` with routine (policy_params.logit.routine): on a fine grid of draws (so that
    shares are exact to 1 / draws), for every dyad and draw the kind chosen is the kind chosen
    without routine; within the kind of the last step, the last step's share is routine + (1 -
    routine) x its share without routine (within 2 / draws), also where the last step's weight is
    zero (a step the actor would not choose now: its share is routine); a last step of another
    kind, or none, changes nothing."""
    rng = np.random.default_rng(5)
    actions, dyads, draws = 7, 40, 2000
    kind = np.array([1, 1, 1, 0, -1, -1, -1], dtype=np.int8)
    prior = np.array([3.0, 3.0, 3.0, 1.0, 3.0, 3.0, 3.0])
    weights = rng.random((actions, dyads)) + 0.05
    last = rng.integers(-1, actions, dyads)
    zero = np.flatnonzero((last >= 0) & (kind[last] != 0))[:8]  # holding is its kind's only step
    weights[last[zero], zero] = 0.0  # steps whose weight is nil now
    grid = (np.arange(draws) + 0.5) / draws
    plain = np.empty((draws, dyads), dtype=np.int64)
    routed = np.empty((draws, dyads), dtype=np.int64)
    none = np.full(dyads, -1)
    for i, u in enumerate(grid):
        draw = np.full(dyads, u)
        plain[i] = kernels.inverse_cdf(weights, prior, draw, none, kind, 0.0)
        routed[i] = kernels.inverse_cdf(weights, prior, draw, last, kind, routine)
    np.testing.assert_array_equal(kind[routed], kind[plain])
    for e in range(dyads):
        if last[e] < 0:
            np.testing.assert_array_equal(routed[:, e], plain[:, e])
            continue
        same = kind[plain[:, e]] == kind[last[e]]
        np.testing.assert_array_equal(routed[~same, e], plain[~same, e])
        within = np.mean(plain[same, e] == last[e])
        expected = routine + (1 - routine) * within
        assert abs(np.mean(routed[same, e] == last[e]) - expected) <= 2 / same.sum(), (e, routine)


def test_scatter_rows_is_numpys_row_assignment():
    rng = np.random.default_rng(11)
    target, expected = np.zeros((400, 3)), np.zeros((400, 3))
    rows, values = rng.choice(400, 150, replace=False), rng.random((150, 3))
    kernels.scatter_rows(target, rows, values)
    expected[rows] = values
    np.testing.assert_array_equal(target, expected)


def test_gather_rows_divided_is_numpys_take_and_divide():
    """The observed means (dense ``_observe``): the same quotients as NumPy's, bit for bit (a
    reciprocal multiplied in, x * (1 / w), differs in the last bit for some of these)."""
    rng = np.random.default_rng(12)
    source, rows = rng.normal(size=(500, 3)), rng.choice(500, 300)
    divisor = rng.uniform(0.3, 7.0, 300)
    expected = np.take(source, rows, axis=0) / divisor[:, None]
    np.testing.assert_array_equal(kernels.gather_rows_divided(source, rows, divisor), expected)


def test_the_edge_measures_are_their_array_expressions():
    """``records.measures`` of a run (kernels.edge_measures) against the measures' definitions as
    NumPy expressions, on europe after 12 steps (blocs, rivals, rights and crises all present)."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL
    from trustsim.model.model import TrustModel
    from trustsim.model.records import EDGE_MEASURES, measures

    model = TrustModel(load_scenario("europe", ["steps=12", "record.dyads=false"]))
    model.run()
    last, half = model.last, model.n_edges // 2
    trust, kind, security = last.edge_trust, last.kind, last.security
    hot = model.escalation > model.config.outcomes.crisis_threshold
    related = model.out_degree > 0
    per_state = np.bincount(model.src, weights=security, minlength=model.n)
    hardness = model.hardness[model.src, model.dst]
    expected = {
        "mean_trust": trust.mean(),
        "min_trust": trust.min(),
        "trust_within_blocs": trust[model.within_bloc].mean(),
        "trust_across_blocs": trust[model.across_bloc].mean(),
        "share_constructive": np.mean(kind == CONSTRUCTIVE),
        "share_neutral": np.mean(kind == NEUTRAL),
        "share_escalatory": np.mean(kind == ESCALATORY),
        "congealed_dyads": np.sum(hardness >= model.config.trust.congealed_level),
        "national_security": np.mean(per_state[related] / model.out_degree[related]),
        "mutual_security": np.mean(np.minimum(security[:half], security[half:])),
        "crises": np.count_nonzero(hot[:half] | hot[half:]),
        "self_other_gap": model.catalog.self_other_gap[last.actions].mean(),
        "rights_exercised": np.mean(model.catalog.right[last.actions]),
    }
    computed = measures(model)
    assert set(EDGE_MEASURES) == set(expected)
    assert computed["crises"][0] > 0 and computed["rights_exercised"][0] > 0  # the case is not empty
    for name, value in expected.items():  # NumPy's pairwise sums: equal to rounding, not bit for bit
        assert computed[name][0] == pytest.approx(value, rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("copies", [None, [3, 4, 5]])
def test_the_edge_views_are_their_array_expressions(copies):
    """``kernels.edge_views`` (each edge's trust both ways and the threat its actor faces, read at the
    start of a step) against NumPy's fancy indexing and the threat's expression, bit for bit, on
    europe after 12 steps (trust, posture and capability all uneven), alone and in a batch."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    config = load_scenario("europe", ["steps=12", "record.dyads=false"])
    model = TrustModel(config, copies=copies)
    model.run()
    own, incoming, threat = model._edge_views()
    src, dst = model.src, model.dst if copies is None else model.dst % model.copy_size
    expected = model.trust[src, dst]
    np.testing.assert_array_equal(own, expected)
    np.testing.assert_array_equal(incoming, expected[model.rev])
    assert np.ptp(model.posture) > 0 and np.ptp(model.capability) > 0  # the case is not uniform
    np.testing.assert_array_equal(
        threat, (1.0 - expected) * model.capability[model.dst] * model.posture[model.dst]
    )


def test_the_payoff_table_is_recomputed_whenever_the_reward_moves():
    """``TrustModel._payoffs`` keeps the catalog x catalog table of payoffs while reward and bonus
    stay as they were; with the altered agenda on and a rising shared threat (europe's climate
    threat) they move every step. The run equals, bit for bit, one whose table is computed afresh
    every step."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    config = load_scenario("europe", ["steps=25", "record.dyads=false", "altered_agenda.enabled=true"])
    kept, fresh = TrustModel(config), TrustModel(config)
    tables = set()
    for _ in range(config.steps):
        kept.step()
        fresh._payoff_table = None
        fresh.step()
        tables.add(kept._payoff_table[0])
    np.testing.assert_array_equal(kept.last.payoff, fresh.last.payoff)
    np.testing.assert_array_equal(kept.trust, fresh.trust)
    assert len(tables) == config.steps  # the reward moved at every step


def test_draw_streams_draws_what_each_stream_would_and_advances_it():
    streams = kernels.stream_list([np.random.default_rng(seed) for seed in range(5)])
    alone = [np.random.default_rng(seed) for seed in range(5)]
    for _ in range(3):  # several steps: the streams' states carry over
        draws, noise = np.empty((10, 4)), np.empty(10)
        kernels.draw_streams(streams, draws, noise)
        for b, stream in enumerate(alone):
            np.testing.assert_array_equal(draws[2 * b : 2 * b + 2], stream.random((2, 4)))
            np.testing.assert_array_equal(noise[2 * b : 2 * b + 2], stream.standard_normal(2))
    assert streams[4].random() == alone[4].random()


def test_a_batch_s_stream_list_is_built_without_compiling_in_a_new_process():
    """A ``numba.typed.List`` filled from Python compiles its methods in every process (before a
    batch's first step, in every sweep worker); ``stream_list`` loads them from the cache.
    Once the cache holds them (the first call here), a fresh process compiles nothing."""
    import subprocess
    import sys

    kernels.stream_list([np.random.default_rng(0), np.random.default_rng(1)])  # fills the cache
    probe = (
        "import numpy as np\n"
        "from numba.core import event\n"
        "from trustsim.model import kernels\n"
        "streams = [np.random.default_rng(seed) for seed in range(3)]\n"
        "with event.install_recorder('numba:compile') as ours:\n"
        "    kernels.stream_list(streams)\n"
        "import numba\n"
        "with event.install_recorder('numba:compile') as typed:\n"
        "    numba.typed.List(streams)\n"
        "print(len(ours.buffer), len(typed.buffer))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    ours, typed = map(int, done.stdout.split())
    assert typed > 0  # the probe sees compilations: the list filled from Python compiles
    assert ours == 0


def test_the_logit_expectations_are_the_array_expressions(inputs):
    """``Logit.expectations`` (one compiled pass) against the textbook expressions: y = T + w (level
    - T) by the partner's last perceived move, and resolve's provocation where that move was
    escalatory and the actor seeks security."""
    from trustsim.config.schema import LogitParams
    from trustsim.model.policies import NONE, POLICIES, Dyads

    rng = np.random.default_rng(5)
    trust, n = inputs["trust"], SIZE
    other_last = rng.choice(np.array([NONE, -1, 0, 1], dtype=np.int8), n)
    value = rng.uniform(-1, 1, n)
    seeker = rng.random(n) < 0.7
    params = LogitParams(rationality=3.0, resolve=1.5, responsiveness=0.25, responsiveness_to_conflict=0.55)
    view = Dyads(
        edges=np.arange(n),
        trust=trust,
        other_last=other_last,
        other_before=other_last,
        other_last_value=value,
        own_last=other_last,
        draw=rng.random(n),
        reward=np.full(n, 3.0),
        bonus=np.zeros(3),
        payoffs=(5.0, 3.0, 1.0, 0.0),
        catalog=None,
        repertoire={},
        security_seeker=seeker,
    )
    expected, provocation = POLICIES["logit"](params).expectations(view)
    level = np.select([other_last == 1, other_last == 0], [1.0, 0.5], 0.0)
    weight = np.select([other_last == -1, other_last >= 0], [0.55, 0.25], 0.0)
    np.testing.assert_array_equal(expected, trust + weight * (level - trust))
    provoked = (other_last == -1) & seeker
    np.testing.assert_array_equal(provocation, np.where(provoked, 3.0 * 1.5 * np.maximum(-value, 0.0), 0.0))
    assert np.count_nonzero(provocation) > 300


def test_the_decision_terms_are_the_array_expressions(inputs):
    """``kernels.decision_terms`` (``Decisions.decision_terms``) against the textbook expressions."""
    rng = np.random.default_rng(9)
    n, states = SIZE, 40
    src, greedy = rng.integers(0, states, n), rng.random(states) < 0.4
    threat, threatened = rng.random(n), rng.random(n) * 0.5
    commitment = rng.integers(0, 3, n)
    T, secure, S, fear, audience, deterrence = 5.0, 2.0, 0.0, 0.8, 0.4, 1.3
    is_greedy = greedy[src]
    temptation, sucker, cost = kernels.decision_terms(
        is_greedy, threat, threatened, commitment, T, secure, S, fear, audience, deterrence
    )
    np.testing.assert_array_equal(temptation, np.where(is_greedy, T, secure))
    np.testing.assert_array_equal(sucker, np.where(is_greedy, S, S - fear * (threat + threatened)))
    np.testing.assert_array_equal(cost, deterrence * threatened + (commitment > 0) * audience)


def textbook_nearest(candidates, sizes, magnitude):
    position = np.clip(np.searchsorted(sizes, magnitude), 1, len(sizes) - 1)
    below, above = sizes[position - 1], sizes[position]
    return candidates[
        np.where(np.abs(magnitude - below) <= np.abs(above - magnitude), position - 1, position)
    ]


def test_grit_is_its_array_rule():
    """``kernels.grit`` (``policies.Grit``) against GRIT's rule as array expressions (Osgood 1962:
    reciprocation grows the step, an unanswered initiative lapses into reciprocity after
    ``persistence`` rounds, a new one opens after ``pause``), with the nearest catalog step by size
    (ties to the smaller, sizes met exactly)."""
    rng = np.random.default_rng(13)
    n = SIZE
    other_last = rng.choice(np.array([-2, -1, 0, 1], dtype=np.int8), n)
    value = rng.choice(np.array([-0.6, -0.3, -0.45, 0.2]), n) * rng.choice([1.0, rng.random()], n)
    phase = rng.integers(0, 2, n).astype(np.int8)
    count = rng.integers(0, 6, n).astype(np.int32)
    size = np.where(rng.random(n) < 0.2, -1.0, rng.random(n))
    neutral = rng.integers(20, 23, n)
    constructive, constructive_sizes = np.array([3, 1, 4]), np.array([0.2, 0.4, 0.6])
    escalatory, escalatory_sizes = np.array([9, 7, 8, 6]), np.array([0.3, 0.45, 0.6, 0.9])
    step_size, growth, persistence, pause = 0.2, 0.15, 3, 2
    actions, declared, new_phase, new_count, new_size = kernels.grit(
        other_last, value, phase, count, size, neutral, step_size, growth, persistence, pause, True,
        constructive, constructive_sizes, escalatory, escalatory_sizes,
    )  # fmt: skip
    answered, hostile = other_last == 1, other_last == -1
    size = np.where(size < 0, step_size, size)
    size = np.where(answered, np.minimum(1.0, size + growth), size)
    phase, count = np.where(answered, 0, phase), np.where(answered, 0, count)
    lapse = (phase == 0) & (count >= persistence)
    phase, count = np.where(lapse, 1, phase), np.where(lapse, 0, count)
    renew = (phase == 1) & (count >= pause)
    phase, count, size = (
        np.where(renew, 0, phase),
        np.where(renew, 0, count),
        np.where(renew, step_size, size),
    )
    initiative = phase == 0
    step = textbook_nearest(constructive, constructive_sizes, size)
    retaliation = textbook_nearest(escalatory, escalatory_sizes, np.abs(value))
    np.testing.assert_array_equal(
        actions, np.where(initiative, step, np.where(hostile, retaliation, neutral))
    )
    np.testing.assert_array_equal(declared, initiative)
    np.testing.assert_array_equal(new_phase, phase)
    np.testing.assert_array_equal(new_count, count + 1)
    np.testing.assert_array_equal(new_size, size)
    assert new_phase.dtype == np.int8 and new_count.dtype == np.int32
    assert lapse.sum() > 100 and renew.sum() > 100 and (initiative & hostile).sum() > 100


@pytest.mark.parametrize("keep_course", [False, True])
def test_slips_are_execution_noise_then_paralysis_as_array_expressions(inputs, keep_course):
    """``kernels.slips`` against the array rule: noise flips a constructive intention to the
    actor's escalatory step and back where draw < execution_noise, then paralysis drops an
    initiative for holding where draw < paralysis (1 - trust) and, keeping course, turns any other
    change of kind from the actor's last step back into that step with the same draw; scheduled
    actions are kept."""
    rng = np.random.default_rng(17)
    n, trust = SIZE, inputs["trust"]
    kind = np.array([1, 1, 0, -1, -1, 0])
    actions = rng.integers(0, len(kind), n)
    constructive, escalatory, neutral = (rng.choice(np.flatnonzero(kind == k), n) for k in (1, -1, 0))
    other_last = rng.choice(np.array([-2, -1, 0, 1], dtype=np.int8), n)
    last_action = rng.integers(-1, len(kind), n)  # -1: no step yet
    noise_draw, paralysis_draw, forced = rng.random(n), rng.random(n), rng.random(n) < 0.1
    taken = kernels.slips(
        actions, noise_draw, paralysis_draw, forced, kind, constructive, escalatory, neutral,
        other_last, last_action, trust, 0.3, 0.6, keep_course,
    )  # fmt: skip
    flip = (noise_draw < 0.3) & ~forced
    flipped = np.where(kind[actions] == 1, escalatory, np.where(kind[actions] == -1, constructive, actions))
    expected = np.where(flip, flipped, actions)
    paralysed = ~forced & (paralysis_draw < 0.6 * (1.0 - trust))
    initiative = (kind[expected] == 1) & (other_last != 1)
    turning = ~initiative & (last_action >= 0) & (kind[expected] != kind[np.maximum(last_action, 0)])
    kept = paralysed & turning & keep_course
    expected_taken = np.where(paralysed & initiative, neutral, np.where(kept, last_action, expected))
    np.testing.assert_array_equal(taken, expected_taken)
    assert flip.sum() > 1000 and (paralysed & initiative).sum() > 300
    assert kept.sum() > 300 if keep_course else kept.sum() == 0
    untouched = kernels.slips(
        actions, noise_draw, paralysis_draw, forced, kind, constructive, escalatory, neutral,
        other_last, last_action, trust, 0.0, 0.0, keep_course,
    )  # fmt: skip
    np.testing.assert_array_equal(untouched, actions)


@pytest.mark.parametrize("weighted", [True, False])
def test_the_posture_step_is_richardsons_array_expression(inputs, weighted):
    """``kernels.posture_step`` against ``TrustModel._update_posture``'s equation as array
    expressions (np.bincount sums in edge order)."""
    rng = np.random.default_rng(19)
    n, states = SIZE, 60
    src, dst = rng.integers(0, states, n), rng.integers(0, states, n)
    rival = np.flatnonzero(rng.random(n) < 0.4)
    posture, capability = rng.random(states) * 2, rng.random(states)
    reaction, fatigue, grievance = (
        rng.random(states) * 0.2,
        rng.random(states) * 0.3,
        rng.random(states) * 0.1,
    )
    action_posture, actions = rng.uniform(-0.1, 0.1, 6), rng.integers(0, 6, n)
    edge_trust, salience = inputs["trust"], rng.random(len(rival))
    out_degree = np.bincount(src, minlength=states + 2)[:states]
    out_degree[:3] = 0  # a state with no partners takes no step of its own
    after = kernels.posture_step(
        posture, edge_trust, rival, src[rival], dst[rival], salience, weighted, capability,
        reaction, fatigue, grievance, src, action_posture, actions, out_degree, 0.5, 0.05,
    )  # fmt: skip
    distrust = (1.0 - edge_trust[rival]) if weighted else 1.0
    weights = salience * distrust * capability[dst[rival]] * posture[dst[rival]]
    pressure = np.bincount(src[rival], weights=weights, minlength=states)
    drift = reaction * pressure - fatigue * posture + grievance
    stepped = np.bincount(src, weights=action_posture[actions], minlength=states)
    stepped = np.divide(stepped, out_degree, out=np.zeros(states), where=out_degree > 0)
    np.testing.assert_array_equal(after, np.maximum(0.05, posture + 0.5 * (drift + stepped)))


def test_the_direct_updates_helpers_are_their_array_expressions(inputs):
    """``provoked``, ``apply_change`` and ``thaw`` (``TrustUpdate._update_trust``) against NumPy:
    the target's own last step read by its self-view; the clipped change written at flat positions;
    hardness times max(0, 1 - rate * credible)."""
    rng = np.random.default_rng(23)
    n, states = SIZE, 80
    last_action, rev = rng.integers(-1, 6, n), rng.permutation(n)
    self_view = np.array([0.3, -0.02, -0.05, -0.4, 0.0, -0.9])
    own = last_action[rev]
    expected = (own >= 0) & (np.take(self_view, np.maximum(own, 0)) < -0.05)
    np.testing.assert_array_equal(kernels.provoked(last_action, rev, self_view, 0.05), expected)
    flat = rng.choice(states * states, n, replace=False)
    trust, before = rng.random(states * states), inputs["trust"]
    delta = rng.uniform(-0.6, 0.6, n)
    reference = trust.copy()
    reference[flat] = np.clip(before + delta, 0.0, 1.0)
    after = kernels.apply_change(trust, flat, before, delta)
    np.testing.assert_array_equal(trust, reference)
    np.testing.assert_array_equal(after, reference[flat])
    hardness, current, credible = rng.random(states * states), inputs["hardness"], rng.random(n) * 3
    reference = hardness.copy()
    reference[flat] = current * np.maximum(0.0, 1.0 - 0.4 * credible)
    kernels.thaw(hardness, flat, current, credible, 0.4)
    np.testing.assert_array_equal(hardness, reference)


@pytest.mark.parametrize("case", ["clear", "noise and fog", "fog alone"])
def test_perception_is_its_array_expression(case):
    """``kernels.perceive`` (``TrustModel._perceive``) against NumPy: noticed with probability the
    action's verifiability (raised by a declaration), read through the ally's or rival's view, noise
    of sd noise + fog_gain * the target's fog (clipped to [-1, 1]) only if some edge has any, the move
    beyond the neutral band (values exactly on it included), and the perception error."""
    rng = np.random.default_rng(31)
    n, states, actions, band = SIZE, 60, 8, 0.05
    action, declared, draw = rng.integers(0, actions, n), rng.random(n) < 0.3, rng.random(n)
    dst, ally_offset = rng.integers(0, states, n), rng.choice([0, actions], n)
    view = rng.choice([-0.6, -band, -0.01, 0.0, band, 0.3, 0.9], 2 * actions)
    verifiability = rng.random(actions)
    fog = np.zeros(states) if case == "clear" else rng.random(states) * 0.4
    noise = rng.standard_normal(n)
    noise_level, fog_gain, error_base, error_max = (0.1 if case == "noise and fog" else 0.0), 0.5, 0.05, 0.3
    perceived, move, error = kernels.perceive(
        action, declared, draw, noise, dst, fog, verifiability, 0.2, view, ally_offset,
        noise_level, fog_gain, band, error_base, error_max,
    )  # fmt: skip
    target_fog = fog_gain * fog[dst]
    visible = verifiability[action] + np.where(declared, 0.2, 0.0)
    value = np.where(draw < visible, view[ally_offset + action], 0.0)
    if np.any(noise_level + target_fog != 0.0):
        value = np.clip(value + (noise_level + target_fog) * noise, -1.0, 1.0)
    np.testing.assert_array_equal(perceived, value)
    np.testing.assert_array_equal(move, np.where(value > band, 1, np.where(value < -band, -1, 0)))
    assert move.dtype == np.int8
    np.testing.assert_array_equal(error, np.minimum(error_max, error_base + target_fog))
    if case == "clear":  # values exactly on the band's edges read as holding
        assert np.count_nonzero(np.abs(perceived) == band) > 100


@pytest.mark.parametrize("congeal", [False, True])
def test_relax_then_congeal_in_one_pass_is_the_two_array_expressions(congeal):
    """``kernels.relax`` (alliance influence, decay) against NumPy, and with ``congeal`` the same
    pass then congealing every entry, skipped rows and the diagonal included: ``kernels.congeal``'s
    arithmetic on the relaxed matrix (``TrustUpdate._relax``)."""
    rng = np.random.default_rng(37)
    copies, states = 3, 40  # a batch's (copies x states) x states: row i's diagonal is column i % states
    trust, target = rng.random((copies * states, states)), rng.random((copies * states, states)) * 1.4 - 0.2
    hardness, skip_rows = rng.random(trust.shape) * 0.8, rng.random(copies * states) < 0.3
    rate, threshold, congeal_rate, ceiling = 0.3, 0.35, 0.1, 0.9
    relaxed = np.clip(trust + (target - trust) * rate, 0.0, 1.0)
    kept = skip_rows[:, None] | (np.arange(states)[None, :] == (np.arange(copies * states) % states)[:, None])
    expected = np.where(kept, trust, relaxed)
    congealed = np.where(expected < threshold, hardness + congeal_rate * (ceiling - hardness), hardness)
    after, hard = trust.copy(), hardness.copy()
    kernels.relax(after, target, rate, skip_rows, True, congeal, hard, threshold, congeal_rate, ceiling)
    np.testing.assert_array_equal(after, expected)
    np.testing.assert_array_equal(hard, congealed if congeal else hardness)
    assert np.count_nonzero((expected < threshold) & kept) > 50  # congealing where nothing relaxed


SPARSE = ["network.n=210", "network.generator=watts_strogatz", "network.degree=6"]  # over DENSE_LIMIT


def test_exp_and_log_are_within_one_unit_in_the_last_place_of_the_c_library_s():
    """``kernels.exp`` and ``kernels.log`` (the model's own, the same on every processor) against
    Python's math module (the C library's, correctly rounded in nearly every case) over their
    whole ranges, subnormal results and arguments included: at most one unit in the last place
    apart, most values equal; and their special values as IEEE 754 and NumPy give them."""
    import math

    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-745.0, 709.7, 200_000), rng.uniform(-1, 1, 50_000), [0.0, -0.0, 1e-300]])
    expected = np.array([math.exp(v) for v in x])
    ulps = np.abs(kernels.exp(x) - expected) / np.spacing(expected)
    assert ulps.max() <= 1.0 and np.mean(ulps == 0) > 0.9
    y = np.concatenate([kernels.exp(rng.uniform(-744.0, 709.0, 200_000)), rng.uniform(0.5, 2.0, 50_000)])
    y = np.concatenate([y, [5e-324, 1e-310, 2.2250738585072014e-308, 1.0, np.e]])
    expected = np.array([math.log(v) for v in y])
    ulps = np.abs(kernels.log(y) - expected) / np.spacing(np.abs(expected))
    assert ulps.max() <= 1.0 and np.mean(ulps == 0) > 0.9
    special = np.array([np.inf, -np.inf, np.nan, 709.8, -745.2, 0.0])
    np.testing.assert_array_equal(kernels.exp(special), [np.inf, 0.0, np.nan, np.inf, 0.0, 1.0])
    special = np.array([np.inf, 0.0, -0.0, -1.0, -np.inf, np.nan, 1.0])
    np.testing.assert_array_equal(
        kernels.log(special), [np.inf, -np.inf, -np.inf, np.nan, np.nan, np.nan, 0.0]
    )
    assert kernels.exp(np.array([kernels.NEGLIGIBLE_EXPONENT]))[0] == kernels.NEGLIGIBLE_WEIGHT
    grid = rng.uniform(-3, 3, (4, 5))
    out = np.empty_like(grid)
    assert kernels.exp(grid, out=out) is out and out.shape == (4, 5)
    with pytest.raises(ValueError, match="contiguous"):
        kernels.exp(grid, out=np.empty((5, 4)).T)


def sequential_fma_rows(indptr, index, value, matrix) -> np.ndarray:
    """The exact reference of ``kernels.fused_rows``: each row from zero, adding its terms in stored
    order, each as (w * s + row) computed in exact rational arithmetic and rounded once."""
    from fractions import Fraction

    out = np.zeros((len(indptr) - 1, matrix.shape[1]))
    for k in range(len(indptr) - 1):
        for c in range(matrix.shape[1]):
            total = 0.0
            for t in range(indptr[k], indptr[k + 1]):
                total = float(Fraction(value[t]) * Fraction(matrix[index[t], c]) + Fraction(total))
            out[k, c] = total
    return out


def test_fused_rows_adds_each_row_s_terms_in_order_each_rounded_once():
    """``kernels.fused_rows`` against exact arithmetic, term by term, on rows of 0 to 11 terms (the
    four-term blocks and the remainder), bit for bit; and it is not the product rounded twice per
    term (a * b, then + c), which differs in many entries."""
    import scipy.sparse as sp

    rng = np.random.default_rng(11)
    rows, inner, columns = 24, 30, 17
    counts = np.arange(rows) % 12
    indices = [np.sort(rng.choice(inner, c, replace=False)) for c in counts]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    index = np.concatenate(indices).astype(np.int32)
    value = rng.uniform(0.01, 1.0, len(index)) / 7
    matrix = rng.uniform(-1, 1, (inner, columns)) / 3
    out = np.full((rows, columns), np.nan)
    kernels.fused_rows(indptr.astype(np.int32), index, value, matrix, out)
    np.testing.assert_array_equal(out, sequential_fma_rows(indptr, index, value, matrix))
    twice = np.asarray(sp.csr_matrix((value, index, indptr), shape=(rows, inner)) @ matrix)
    np.testing.assert_allclose(out, twice, rtol=0, atol=1e-15)
    assert np.count_nonzero(out != twice) > 20  # the single rounding shows
    assert not out[counts == 0].any()  # a row without terms is zero


def sparse_model(copies=None, steps: int = 15):
    """random_network with 210 states on a small world (the sparse path), after ``steps`` steps."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    config = load_scenario("random_network", [*SPARSE, "record.dyads=false", "record.attribution=false"])
    model = TrustModel(config, copies=copies)
    assert not model.dense and not model.local
    model.run(steps)
    return model


@pytest.mark.parametrize("copies", [None, [3, 4]])
def test_the_sparse_alliance_pool_is_scipys_product_then_numpys_scatters(copies):
    """``kernels.pool_allies`` against what ``TrustUpdate`` computed before it: SciPy's product of
    the influence and trust with its diagonal zeroed, then NumPy's renormalising scatters, bit for
    bit; and ``kernels.pool_relax`` against ``pool_allies`` then ``kernels.relax`` (with
    congealing), bit for bit, alone and in a batch."""
    model = sparse_model(copies)
    size, trust, influence = model.copy_size, model.trust, model.influence
    zeroed = trust.copy()
    zeroed[np.arange(model.n), np.arange(model.n) % size] = 0.0
    expected = np.asarray(influence @ zeroed)
    flat = expected.ravel()
    flat[model.pool_renormalised] /= model.pool_weight
    flat[model.pool_unweighted] = trust.ravel()[model.pool_unweighted]
    assert len(model.pool_renormalised) and len(model.pool_unweighted) and np.ptp(trust) > 0.5
    pooled = np.full_like(trust, np.nan)
    kernels.pool_allies(model.pool_terms, trust, pooled)
    np.testing.assert_array_equal(pooled, expected)

    p, skip = model.config.trust, np.arange(model.n) % 7 == 0  # some rows skipped
    congealing = (p.congeal_threshold, p.congeal_rate, p.congeal_max)
    apart, apart_hard = trust.copy(), model.hardness.copy()
    kernels.relax(apart, pooled, 0.3, skip, True, True, apart_hard, *congealing)
    fused, fused_hard = trust.copy(), model.hardness.copy()
    kernels.pool_relax(
        model.pool_terms, fused, np.empty_like(trust), 0.3, skip, True, fused_hard, *congealing
    )
    np.testing.assert_array_equal(fused, apart)
    np.testing.assert_array_equal(fused_hard, apart_hard)
    assert not np.array_equal(apart, trust) and not np.array_equal(apart_hard, model.hardness)


def test_the_observation_over_its_terms_is_each_pair_s_sum_rounded_once_per_term():
    """``kernels.observe_terms`` against exact arithmetic: each pair's terms (friend weight times
    the evidence of its edge) added in stored order, each rounded once, then divided by the pair's
    weight, bit for bit, with weights that make the products inexact and evidence of both signs
    with zeros; the same sums as SciPy's product (two roundings a term) differ in many entries."""
    model = sparse_model()
    rng = np.random.default_rng(5)
    evidence = rng.uniform(-1, 1, (model.n_edges, model.rule.columns))
    evidence[rng.random(evidence.shape) < 0.3] = 0.0
    operator = model.observation.copy()
    operator.data = rng.uniform(0.1, 2.0, operator.nnz)  # saliences other than 1
    seen = kernels.observe_terms(operator.indptr, model.obs_edge, operator.data, evidence, model.obs_weight)
    by_edge = evidence[model.obs_edge]  # each term's evidence, in term order
    exact = sequential_fma_rows(operator.indptr, np.arange(operator.nnz), operator.data, by_edge)
    np.testing.assert_array_equal(seen, exact / model.obs_weight[:, None])
    twice = (operator @ evidence[model.by_source]) / model.obs_weight[:, None]
    assert np.count_nonzero(seen != twice) > 20
    assert np.count_nonzero(np.diff(operator.indptr) > 1) > 100  # pairs seen through several friends


@pytest.mark.parametrize("case", ["europe", "sparse"])
@pytest.mark.parametrize("decay", [0.0, 0.02])
def test_a_run_congeals_as_it_relaxes_as_with_attribution(decay, case):
    """Without attribution the last relaxation of a step (alliance influence, or decay when there
    is any) congeals in the same pass, and on the sparse path it relaxes each row as soon as its
    pool is summed (``kernels.pool_relax``); with attribution they are separate passes. Trust and
    hardness are the same at every step."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    scenario = "europe" if case == "europe" else "random_network"
    settings = ["record.model=false", "record.dyads=false", f"trust.decay={decay}"]
    settings += SPARSE if case == "sparse" else []
    fused = TrustModel(load_scenario(scenario, [*settings, "record.attribution=false"]))
    apart = TrustModel(load_scenario(scenario, [*settings, "record.attribution=true"]))
    assert fused.dense == (case == "europe")
    for _ in range(40):
        fused.step()
        apart.step()
        np.testing.assert_array_equal(fused.trust, apart.trust)
        np.testing.assert_array_equal(fused.hardness, apart.hardness)
    assert fused.hardness.max() > 0.1  # congealing happened


@pytest.mark.parametrize("decay", [0.0, 0.02])
@pytest.mark.parametrize("attribution", [False, True])
def test_mistrust_congeals_once_a_step_on_every_path(monkeypatch, decay, attribution):
    """Whichever pass congeals (a relaxation's, or ``kernels.congeal``), it does so once a step."""
    from trustsim.config.loading import load_scenario
    from trustsim.model.model import TrustModel

    passes = []
    relax, congeal = kernels.relax, kernels.congeal

    def counted_relax(*args):
        passes.extend(["relax"] if args[5] else [])
        return relax(*args)

    def counted_congeal(*args):
        passes.append("congeal")
        return congeal(*args)

    monkeypatch.setattr(kernels, "relax", counted_relax)
    monkeypatch.setattr(kernels, "congeal", counted_congeal)
    settings = ["record.model=false", "record.dyads=false", f"record.attribution={str(attribution).lower()}"]
    model = TrustModel(load_scenario("europe", [*settings, f"trust.decay={decay}"]))
    model.run(5)
    assert len(passes) == 5
