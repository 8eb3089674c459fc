"""A batch (``TrustModel(config, copies=seeds)``) steps many runs of one scenario at once, and each
run in it is exactly the run its seed gives alone: the batch never changes a result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsim.config.loading import load_scenario
from trustsim.execution.match import match_scenario, play, play_all
from trustsim.model.model import TrustModel

QUIET = ["record.model=false", "record.dyads=false", "record.attribution=false"]
MEASURED = ["record.model=true", "record.dyads=false", "record.attribution=false"]
STEP = "[{step: 3, actor: RUS, action: limit_military_exercises, declared: true, duration: 10}]"


@pytest.mark.parametrize(
    "pair", [("tit_for_tat", "grudger"), ("logit", "generous_tit_for_tat"), ("grit", "hawk")]
)
def test_a_batch_of_matches_is_each_match_played_alone(pair):
    scenario = match_scenario(*pair, turns=80, noise=0.05)
    seeds = np.random.SeedSequence(11).spawn(6)
    payoff, cooperation = play_all(scenario, seeds)
    for row, seed in enumerate(seeds):
        alone_payoff, alone_cooperation = play(scenario, seed)
        assert (payoff[row] == alone_payoff).all() and (cooperation[row] == alone_cooperation).all()
    assert len({tuple(row) for row in payoff}) > 1  # the repetitions are not copies of one another


def test_a_batch_of_europe_runs_with_an_intervention_is_each_run_alone():
    config = load_scenario("europe", ["steps=40", f"interventions={STEP}", *QUIET])
    seeds = [3, 4, 5]
    batch = TrustModel(config, copies=seeds)
    batch.run(40)
    n = batch.copy_size
    for b, seed in enumerate(seeds):
        alone = TrustModel(config.model_copy(update={"seed": seed}))
        alone.run(40)
        block = slice(b * n, (b + 1) * n)
        assert (batch.trust[block] == alone.trust).all()
        assert (batch.posture[block] == alone.posture).all()
        assert (batch.last.actions[batch.copy_edges[b]] == alone.last.actions).all()
    assert not (batch.trust[:n] == batch.trust[n : 2 * n]).all()


@pytest.mark.parametrize(
    ("name", "settings", "copies", "steps"),
    [
        # 17 x 13 = 221 states, beyond DENSE_LIMIT: the batch once took the sparse observation sum
        # where each run alone takes the dense product, and seed 0 parted at step 39 (5.6e-17)
        ("europe", [], 17, 45),
        # copies of a network beyond DENSE_LIMIT: the sparse alliance pool where the batch once
        # multiplied dense blocks (2.6e-15 from the first step)
        ("random_network", ["network.n=250", "network.degree=10"], 2, 3),
        # the options of the event-data patterns: routine reads each edge's last action
        ("europe", ["policy_params.logit.routine=0.8", "trust.paralysis_keeps_course=true"], 3, 30),
    ],
)
def test_each_copy_takes_its_runs_path_whatever_the_batchs_size(name, settings, copies, steps):
    """Bit for bit at every step, however many states the batch holds: a copy computes its sums
    in the order its run alone does (the dense products where the run alone uses them)."""
    config = load_scenario(name, [f"steps={steps}", *settings, *QUIET])
    seeds = list(range(copies))
    batch = TrustModel(config, copies=seeds)
    alone = [TrustModel(config.model_copy(update={"seed": seed})) for seed in (seeds[0], seeds[-1])]
    n = batch.copy_size
    for _ in range(steps):
        batch.step()
        for b, model in zip((0, copies - 1), alone, strict=True):
            model.step()
            rows = slice(b * n, (b + 1) * n)
            assert (batch.trust[rows] == model.trust).all() and (batch.hardness[rows] == model.hardness).all()
            assert (batch.posture[rows] == model.posture).all()


def test_each_copy_of_a_batch_collects_the_measures_of_its_run_alone():
    """Every model-level measure of every step, bit for bit, including the initiator's (hops)."""
    config = load_scenario("europe", ["steps=25", f"interventions={STEP}", *MEASURED])
    seeds = [7, 8]
    batch = TrustModel(config, copies=seeds)
    batch.run(25)
    for (collector, _), seed in zip(batch.collectors, seeds, strict=True):
        alone = TrustModel(config.model_copy(update={"seed": seed}))
        alone.run(25)
        expected = alone.datacollector.get_model_vars_dataframe()
        pd.testing.assert_frame_equal(collector.get_model_vars_dataframe(), expected, check_exact=True)
    frames = [collector.get_model_vars_dataframe() for collector, _ in batch.collectors]
    assert not frames[0].equals(frames[1])
    assert frames[0]["trust_in_initiator_1hop"].notna().all()


def test_a_run_fills_its_datacollector_as_its_reporters_would():
    """A run hands each step's measures to its DataCollector directly (no reporter called); Mesa's
    ``collect``, calling the reporters (``records.MODEL_REPORTERS``), gives the same table, values
    and dtypes, bit for bit."""
    import mesa

    from trustsim.model import records

    config = load_scenario("europe", ["steps=20", f"interventions={STEP}", *MEASURED])
    model = TrustModel(config)
    reference = mesa.DataCollector(model_reporters=records.MODEL_REPORTERS)
    for _ in range(20):
        model.step()
        reference.collect(model)
    expected = reference.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(), expected, check_exact=True)
    assert model.datacollector._collection_steps == reference._collection_steps


@pytest.mark.parametrize("name", ["europe", "dyad"])
def test_simulate_keeps_the_measures_its_datacollector_would(name):
    """``simulate`` without a stop defers collection (no reporter called per step) and gives the
    table the run's DataCollector gives, values and dtypes, bit for bit."""
    from trustsim.execution.run import simulate

    step = [f"interventions={STEP}"] if name == "europe" else []
    config = load_scenario(name, ["steps=30", *step, *MEASURED])
    model = TrustModel(config)
    model.run()
    expected = model.datacollector.get_model_vars_dataframe()
    expected.index = pd.RangeIndex(1, len(expected) + 1, name="step")
    result = simulate(config)
    pd.testing.assert_frame_equal(result.model, expected, check_exact=True)
    assert result.summary["final_mean_trust"] == expected["mean_trust"].iloc[-1]


def test_a_batch_refuses_what_it_would_pool_or_cannot_share():
    with pytest.raises(ValueError, match="record"):
        TrustModel(load_scenario("europe"), copies=[1, 2])
    with pytest.raises(ValueError, match="erdos_renyi networks have a number of relations"):
        TrustModel(load_scenario("random_network", ["network.generator=erdos_renyi", *QUIET]), copies=[1, 2])


# A generated network, as the quickstart sweep's: each seed draws its own graph, blocs, capabilities,
# policies (a mix) and motives, and an initiator whose neighbours differ per seed.
GENERATED = [
    "network.n=30",
    "network.greedy_share=0.3",
    "network.blocs=3",
    "interventions=[{step: 4, actor: S000, action: open_dialogue, declared: true, duration: 8}]",
    *MEASURED,
]


@pytest.mark.parametrize("generator", ["watts_strogatz", "barabasi_albert"])
def test_a_batch_of_generated_networks_is_each_seeds_run_alone(generator):
    """Each copy builds its world from its own stream, as its run alone does: its network, its
    measures (blocs, degrees, hops from the initiator: its own) and its summary, bit for bit."""
    from trustsim.execution.run import simulate, simulate_batch

    config = load_scenario("random_network", ["steps=30", f"network.generator={generator}", *GENERATED])
    seeds = [5, 6, 7]
    batch = simulate_batch(config, seeds)
    for result, seed in zip(batch, seeds, strict=True):
        alone = simulate(config.model_copy(update={"seed": seed}))
        pd.testing.assert_frame_equal(result.model, alone.model, check_exact=True)
        assert result.summary == alone.summary and result.network == alone.network
        assert result.initial.keys() == alone.initial.keys()
        assert all(
            a == b or (np.isnan(a) and np.isnan(b))
            for a, b in zip(result.initial.values(), alone.initial.values(), strict=True)
        )
    networks = [result.network for result in batch]
    assert networks[0]["edges"] != networks[1]["edges"] and networks[0]["blocs"] != networks[1]["blocs"]
    assert networks[0]["hops"] != networks[1]["hops"]


def test_simulate_batch_gives_each_seeds_simulate_with_its_stop():
    """What a sweep needs: per seed the same steps table, summary and early stop as ``simulate``."""
    from trustsim.execution.run import simulate, simulate_batch

    config = load_scenario("dyad", ["steps=60", *MEASURED])

    def until(model) -> bool:
        return model.datacollector.model_vars["mean_trust"][-1] < 0.05

    seeds = [1, 2, 3, 4]
    batch = simulate_batch(config, seeds, until=until)
    lengths = set()
    for result, seed in zip(batch, seeds, strict=True):
        alone = simulate(config.model_copy(update={"seed": seed}), until=until)
        pd.testing.assert_frame_equal(result.model, alone.model, check_exact=True)
        assert result.summary == alone.summary
        lengths.add(len(alone.model))
    assert len(lengths) > 1  # the seeds stop at different steps: the cut is per run


def test_before_the_first_step_the_measures_describe_the_initial_state():
    """Step 0 of a sweep's steps table: the state's measures, NaN for what only a step does."""
    from trustsim.model import records

    config = load_scenario("europe", [f"interventions={STEP}", *MEASURED])
    model = TrustModel(config)
    initial = {name: values.tolist() for name, values in records.measures(model).items()}
    pairs = model.initial_trust[model.src, model.dst]
    assert initial["mean_trust"] == [pytest.approx(pairs.mean(), abs=1e-12)]
    assert initial["min_trust"] == [pairs.min()]
    assert initial["mean_posture"] == [pytest.approx(model.posture.mean(), abs=1e-12)]
    assert initial["crises"] == [0] and initial["congealed_dyads"] == [0]
    rus, neighbours = model.codes.index("RUS"), model.hops == 1
    assert initial["trust_in_initiator_1hop"] == [pytest.approx(model.trust[neighbours, rus].mean())]
    assert all(np.isnan(initial[name][0]) for name in records.STEP_MEASURES)
    batch = TrustModel(
        config.model_copy(
            update={"record": config.record.model_copy(update={"dyads": False, "attribution": False})}
        ),
        copies=[1, 2],
    )
    assert records.measures(batch)["mean_trust"].tolist() == initial["mean_trust"] * 2
