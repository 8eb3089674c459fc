"""A batch (``TrustModel(config, copies=seeds)``) steps many runs of one scenario at once, and each
run in it is exactly the run its seed gives alone: the batch never changes a result."""

from __future__ import annotations

import numpy as np
import pytest

from trustsim.config.loading import load_scenario
from trustsim.execution.match import match_scenario, play, play_all
from trustsim.model.model import TrustModel

QUIET = ["record.model=false", "record.dyads=false", "record.attribution=false"]
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
        alone = TrustModel(config, rng=np.random.default_rng(seed))
        alone.run(40)
        block = slice(b * n, (b + 1) * n)
        assert (batch.trust[block, block] == alone.trust).all()
        assert (batch.posture[block] == alone.posture).all()
        assert (batch.last.actions[batch.copy_edges[b]] == alone.last.actions).all()
    assert not (batch.trust[:n, :n] == batch.trust[n : 2 * n, n : 2 * n]).all()


def test_a_batch_refuses_what_it_would_pool_or_cannot_share():
    with pytest.raises(ValueError, match="record"):
        TrustModel(load_scenario("europe"), copies=[1, 2])
    with pytest.raises(ValueError, match="generated network"):
        TrustModel(load_scenario("random_network", QUIET), copies=[1, 2])
