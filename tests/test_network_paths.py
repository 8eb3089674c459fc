"""The two network paths of the step, dense (matrix products, up to ``DENSE_LIMIT`` states) and
sparse (sparse products over the edges, for large sparse networks), give the same run.

The same scenario and seed is run on each path by moving ``DENSE_LIMIT``; trust, hardness, posture,
every model-level measure and the attribution totals agree within 1e-12 (floating-point sums in
another order differ by ~1e-16; any real difference between the paths is of the order of a trust
change, 1e-3 or more).
"""

from __future__ import annotations

import numpy as np
import pytest

import trustsim.model.model as model_module
import trustsim.model.structure as structure
from trustsim.config.loading import load_scenario

TOLERANCE = 1e-12


def run(path: str, monkeypatch: pytest.MonkeyPatch, steps: int = 60) -> model_module.TrustModel:
    config = load_scenario(
        "random_network", ["network.n=80", "network.degree=6", f"steps={steps}", "record.attribution=true"]
    )
    with monkeypatch.context() as patch:
        patch.setattr(structure, "DENSE_LIMIT", 1000 if path == "dense" else 0)
        model = model_module.TrustModel(config)
    assert model.dense == (path == "dense")
    model.run(steps)
    return model


def test_dense_and_sparse_paths_give_the_same_run(monkeypatch):
    dense, sparse = run("dense", monkeypatch), run("sparse", monkeypatch)
    assert np.abs(dense.trust - sparse.trust).max() < TOLERANCE
    assert np.abs(dense.hardness - sparse.hardness).max() < TOLERANCE
    assert np.abs(dense.posture - sparse.posture).max() < TOLERANCE
    measures = dense.datacollector.get_model_vars_dataframe()
    assert (measures - sparse.datacollector.get_model_vars_dataframe()).abs().max().max() < TOLERANCE
    totals = [
        m.attribution.frame(m).groupby("mechanism", observed=True)["delta"].sum() for m in (dense, sparse)
    ]
    assert set(totals[0].index) == {"direct", "observation", "alliance"}
    assert (totals[0] - totals[1]).abs().max() < 1e-9  # sums of ~10^5 changes


def test_a_large_sparse_network_takes_the_sparse_path():
    config = load_scenario("random_network", ["network.n=300", "network.generator=watts_strogatz"])
    assert not model_module.TrustModel(config).dense
    assert model_module.TrustModel(load_scenario("random_network")).dense  # 50 states


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return sorted({library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"})


def test_the_dense_path_steps_on_one_blas_thread_set_once_for_a_run(monkeypatch):
    """The dense path's products run on one BLAS thread (``one_blas_thread``); a caller stepping
    the model many times sets it once (``TrustModel.stepping``): a step inside leaves it at one
    thread, where the step's own exit once restored the caller's, and the exit restores it."""
    from threadpoolctl import threadpool_limits

    model = model_module.TrustModel(load_scenario("europe"))
    during: list[list[int]] = []
    update = model._update_trust
    monkeypatch.setattr(model, "_update_trust", lambda *args: (during.append(blas_threads()), update(*args)))
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == [2]  # else the test could not tell one thread from the caller's
        model.step()
        assert during == [[1]] and blas_threads() == [2]  # a step alone restores at its end
        with model.stepping():
            assert blas_threads() == [1]
            model.step()
            assert during[-1] == [1] and blas_threads() == [1]  # nested: the step's exit kept it
        assert blas_threads() == [2]
        model.run(3)  # run steps inside stepping()
        assert during[-3:] == [[1]] * 3 and blas_threads() == [2]
