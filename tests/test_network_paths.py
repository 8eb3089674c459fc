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


@pytest.mark.parametrize("scenario", ["europe", "random_network"])
def test_the_dense_path_observes_the_same_over_the_product_or_the_terms(scenario, monkeypatch):
    """The dense path sums the observation either as the product friends @ signal
    (``kernels.fused_rows``) or over the pairs' terms (``kernels.observe_terms``), whichever is
    less work (``OBSERVE_BY_TERMS``): the same sums in the same order, so the same run, bit for bit,
    step by step. europe's saliences (0.5 to 2) make the products inexact."""
    runs = []
    for factor in (0, 10**9):  # always the terms; always the product
        with monkeypatch.context() as patch:
            patch.setattr(structure, "OBSERVE_BY_TERMS", factor)
            model = model_module.TrustModel(load_scenario(scenario, ["record.dyads=false"]))
        assert model.dense and model.observe_by_terms == (factor == 0)
        runs.append(model)
    by_terms, by_product = runs
    for _ in range(40):
        by_terms.step()
        by_product.step()
        np.testing.assert_array_equal(by_terms.trust, by_product.trust)
        np.testing.assert_array_equal(by_terms.hardness, by_product.hardness)
    assert np.ptp(by_terms.trust) > 0.3


RUN_ON_ANY_PROCESSOR = """
import hashlib, sys
import numpy as np
from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel

def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]

rng = np.random.default_rng(3)
product = rng.random((100, 100)) @ rng.random((100, 300))  # BLAS's own
exponential = np.exp(rng.uniform(-30, 30, 100_000))  # NumPy's own
runs = hashlib.sha256()
for settings in ([], ["network.generator=complete", "network.n=60"]):  # observed by terms; by the product
    model = TrustModel(load_scenario("random_network", ["record.dyads=false", *settings]))
    assert model.dense and model.observe_by_terms == (not settings)
    for _ in range(20):
        model.step()
        runs.update(model.trust.tobytes())
        runs.update(model.hardness.tobytes())
print(digest(product), digest(exponential), runs.hexdigest()[:16])
"""


def test_a_run_is_the_same_whatever_the_processor_s_simd_and_blas(tmp_path):
    """A run's numbers depend on no choice made by the processor's features: the dense products
    are compiled (``kernels.fused_rows``, ``kernels.observe_terms``), and the exponential and
    logarithm are the model's own (``kernels.exp``, ``kernels.log``). So random_network, observed
    over its terms and as the product, runs the same (trust and hardness at every step) in this
    process's setting and with the oldest x86-64 everywhere: OpenBLAS's Nehalem kernels (without
    fused multiply-adds), NumPy's baseline loops (its SIMD dispatch off) and Numba's kernels compiled
    for a generic x86-64 processor (in a cache of their own). There a BLAS product differs, and on a
    processor with AVX-512 NumPy's exp too (as at 3858d26, whose runs then differed)."""
    import os
    import subprocess
    import sys

    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    oldest = {
        "OPENBLAS_CORETYPE": "Nehalem",
        "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__),
        "NUMBA_CPU_NAME": "generic",
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
    }
    prints = []
    for setting in ({}, oldest):
        env = {key: value for key, value in os.environ.items() if key not in oldest}
        done = subprocess.run(
            [sys.executable, "-c", RUN_ON_ANY_PROCESSOR],
            env={**env, **setting},
            capture_output=True,
            text=True,
            check=True,
        )
        prints.append(done.stdout.split())
    (blas, numpy_exp, run), (oldest_blas, oldest_exp, oldest_run) = prints
    assert blas != oldest_blas  # else the two settings could not tell a BLAS product from ours
    if __cpu_features__.get("AVX512F"):
        assert numpy_exp != oldest_exp  # nor NumPy's exp from ours
    assert run == oldest_run
