"""Local views (``propagation.views: local``): a state holds trust only in its partners and in the
states it sees deal with its friends; every other pair stays at its initial trust and is never
stored, so memory grows with the relations, not n x n.

What the option changes is checked against the matrix it replaces (``views: all``) on the same
scenario and seed, within 1e-12 (floating-point sums in another order differ by ~1e-16; a real
difference is of the order of a trust change, 1e-3 or more):

- where every pair is held (a complete graph), the two are the same run;
- where alliance influence is off, no pair outside the local ones ever moves, so again the same run;
- otherwise the matrix with its pairs not held put back to initial trust after every step is the
  local run: that is the whole of the difference, and it is not nothing (allies' pooled views
  reach pairs a state does not deal with).
"""

from __future__ import annotations

import numpy as np
import pytest

from trustsim.config.errors import ConfigError
from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel

TOLERANCE = 1e-12


def scenario(views: str, *overrides: str):
    return load_scenario(
        "random_network",
        [*overrides, f"propagation.views={views}", "trust.decay=0.02", "record.dyads=false"],
    )


def whole(model: TrustModel) -> np.ndarray:
    """The model's trust as an n x n matrix, whatever its views."""
    rows, cols = np.divmod(np.arange(model.n * model.n), model.n)
    return model.trust_of(rows, cols).reshape(model.n, model.n)


def held(model: TrustModel) -> np.ndarray:
    """The pairs a local model holds, as an n x n mask."""
    mask = np.zeros(model.n * model.n, dtype=bool)
    mask[model.support] = True
    return mask.reshape(model.n, model.n)


def run_pair(*overrides: str, steps: int = 40, reset: bool = False) -> tuple[TrustModel, TrustModel]:
    """The same scenario and seed with views all and local; with ``reset``, the matrix's pairs that
    the local run does not hold are put back to initial trust after every step."""
    matrix, local = TrustModel(scenario("all", *overrides)), TrustModel(scenario("local", *overrides))
    off = ~held(local) & ~np.eye(local.n, dtype=bool)
    for _ in range(steps):
        matrix.step()
        local.step()
        if reset:
            matrix.trust[off] = matrix.initial_trust[off]
    return matrix, local


def assert_same_run(matrix: TrustModel, local: TrustModel) -> None:
    assert np.abs(matrix.trust - whole(local)).max() < TOLERANCE
    assert np.abs(matrix.hardness[held(local)] - local.hardness).max() < TOLERANCE
    assert np.abs(matrix.posture - local.posture).max() < TOLERANCE
    measures = matrix.datacollector.get_model_vars_dataframe()
    assert (measures - local.datacollector.get_model_vars_dataframe()).abs().max().max() < TOLERANCE


def test_on_a_complete_graph_local_views_are_the_matrix():
    matrix, local = run_pair("network={generator: complete, n: 20}", "record.attribution=true")
    assert len(local.support) == 20 * 19  # every pair but a state's view of itself
    assert_same_run(matrix, local)
    totals = [
        m.attribution.frame(m).groupby("mechanism", observed=True)["delta"].sum() for m in (matrix, local)
    ]
    assert set(totals[0].index) == {"direct", "observation", "alliance", "decay"}
    assert (totals[0] - totals[1]).abs().max() < 1e-9


def test_without_alliance_influence_no_pair_outside_the_local_ones_moves():
    matrix, local = run_pair(
        "network={generator: watts_strogatz, n: 300, degree: 6}", "propagation.alliance_weight=0"
    )
    assert not matrix.dense  # the matrix run's sparse path
    assert len(local.support) < 0.1 * 300 * 300
    assert_same_run(matrix, local)


def test_local_views_are_the_matrix_with_the_pairs_not_held_kept_at_initial_trust():
    matrix, local = run_pair(reset=True)
    assert_same_run(matrix, local)
    # The difference is real: left alone, allies' pooling moves pairs no state deals with, and
    # through them the pairs it does.
    free, local = run_pair()
    assert local.has_allies.any() and local.pool_constant.any()
    assert np.abs(free.trust - whole(local)).max() > 1e-3


def test_pairs_not_held_read_as_their_initial_trust_and_states_see_their_row():
    model = TrustModel(scenario("local"))
    model.run(20)
    everything = whole(model)
    not_held = ~held(model)
    start = TrustModel(scenario("all")).initial_trust
    assert (everything[not_held] == start[not_held]).all()
    assert (np.diag(everything) == 1.0).all()
    state = model.states[3]
    assert (state.trust == everything[3]).all()
    partners = model.neighbours(3)
    assert state.trust_received == pytest.approx(everything[partners, 3].mean(), abs=TOLERANCE)
    assert model.batch_refusal(model.config) is not None  # a batch holds copies of the matrix


def test_a_large_network_with_local_views_holds_nothing_n_by_n():
    n = 6000
    model = TrustModel(scenario("local", f"network={{generator: watts_strogatz, n: {n}, degree: 6}}"))
    model.run(2)
    sizes = {name: value.size for name, value in vars(model).items() if isinstance(value, np.ndarray)}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] < 0.01 * n * n, (largest, sizes[largest])
    assert model.trust.size == len(model.support) < 40 * n


def test_more_states_than_the_matrix_allows_need_local_views():
    network = "network={generator: watts_strogatz, n: 10000, degree: 10}"
    with pytest.raises(ConfigError) as error:
        load_scenario("random_network", [network])
    message = str(error.value)
    assert "network.n: at most 5,000 states (got 10,000) with propagation.views: all" in message
    assert "propagation.views: local" in message
    assert load_scenario("random_network", [network, "propagation.views=local"]).network.n == 10_000
