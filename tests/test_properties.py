"""Property tests: for any parameters within the schema's bounds, trust stays a probability, nothing
is NaN, and a run is a pure function of (config, seed)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsim.config.loading import load_scenario, scenario_from_dict
from trustsim.config.reference import parameters
from trustsim.model.model import TrustModel

unit = st.floats(0.0, 1.0, allow_nan=False)
POLICIES = ["logit", "tit_for_tat", "generous_tit_for_tat", "grit", "hawk", "dove", "grudger", "all_defect"]


# Parameters unbounded above are drawn up to this (perception noise 5 already reads any step as noise).
UNBOUNDED_UP_TO = 5.0


def schema_strategy(parameter):
    """A strategy for one schema field, from the schema's own type, choices and bounds."""
    if parameter.choices:
        return st.sampled_from(parameter.choices)
    if parameter.field.annotation is bool:
        return st.booleans()
    low, high = parameter.bounds
    exclusive = any(getattr(item, "gt", None) is not None for item in parameter.field.metadata)
    if parameter.field.annotation is int:
        return st.integers(int(low or 0), int(min(high if high is not None else 100, 100)))
    return st.floats(
        low if low is not None else -UNBOUNDED_UP_TO,
        high if high is not None else UNBOUNDED_UP_TO,
        exclude_min=exclusive,
        allow_nan=False,
    )


# Every trust, perception and propagation parameter and the execution noise, as the schema has them.
SECTIONS = ("trust.", "perception.", "propagation.", "execution_noise")
DRAWN = [p for p in parameters() if p.path.startswith(SECTIONS)]


@st.composite
def trust_sections(draw) -> dict:
    """Every trust, perception and propagation parameter, drawn within the schema's bounds."""
    drawn: dict = {}
    for parameter in DRAWN:
        *sections, name = parameter.path.split(".")
        node = drawn
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = draw(schema_strategy(parameter))
    return drawn


@st.composite
def network_scenarios(draw) -> dict:
    n = draw(st.integers(3, 30))
    mix = draw(st.lists(st.sampled_from(POLICIES), min_size=0, max_size=3, unique=True))
    return {
        "name": "property",
        "steps": 25,
        "seed": draw(st.integers(0, 2**31 - 1)),
        "network": {
            "generator": "watts_strogatz",
            "n": n,
            "degree": draw(st.integers(2, min(6, n - 1))),
            "rewire": draw(unit),
            "blocs": draw(st.integers(1, 3)),
            "policy_mix": {name: 1.0 / (len(mix) + 1) for name in mix},
        },
        "default_policy": draw(st.sampled_from(POLICIES)),
        "initial_trust": {"within_bloc": draw(unit), "across_bloc": draw(unit)},
        "record": {"dyads": True, "attribution": False},
        **draw(trust_sections()),
    }


def run(scenario) -> TrustModel:
    model = TrustModel(scenario)
    model.run()
    return model


def check_bounded_and_finite(model: TrustModel) -> None:
    assert np.isfinite(model.trust).all()
    assert ((model.trust >= 0.0) & (model.trust <= 1.0)).all(), (model.trust.min(), model.trust.max())
    for array in (model.hardness, model.posture, model.fog, model.escalation):
        assert np.isfinite(array).all()
    records = model.datacollector.get_model_vars_dataframe()
    # mean trust within (across) blocs is NaN, by design, only when no dyad is within (across) blocs
    allowed = {"trust_within_blocs": not model.same_bloc.any(), "trust_across_blocs": model.same_bloc.all()}
    # ... and trust in the initiator d hops away only without an initiator or states at that distance
    for hops, column in enumerate(
        ("trust_in_initiator_1hop", "trust_in_initiator_2hops", "trust_in_initiator_3hops"), start=1
    ):
        allowed[column] = model.initiator is None or not (model.hops == hops).any()
    for column in records:
        if not allowed.get(column, False):
            assert np.isfinite(records[column].to_numpy(float)).all(), column
    for column in ("mean_trust", "min_trust"):
        assert records[column].between(0.0, 1.0).all()
    dyads = model.dyad_log.frame(model)
    for column in ("perceived_value", "trust", "trust_change", "payoff"):
        assert np.isfinite(dyads[column].to_numpy(float)).all(), column
    assert dyads["trust"].between(0.0, 1.0).all()
    assert dyads["perceived_value"].between(-1.0, 1.0).all()


def outcome(data: dict, source: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Run a config; check it; return its final trust, model records and dyad records."""
    model = run(scenario_from_dict(data, source))
    check_bounded_and_finite(model)
    records = model.datacollector.get_model_vars_dataframe().to_numpy(float)
    return model.trust, records, model.dyad_log.frame(model)


def check_reproducible(data: dict, source: str) -> None:
    trust, records, dyads = outcome(data, source)
    again = outcome(data, source)
    assert np.array_equal(trust, again[0])
    assert np.array_equal(records, again[1], equal_nan=True)
    pd.testing.assert_frame_equal(dyads, again[2])

    other = outcome({**data, "seed": data["seed"] + 1}, source)
    same = np.array_equal(trust, other[0]) and np.array_equal(records, other[1], equal_nan=True)
    assert not same, "a different seed gave the very same run"


@settings(max_examples=25, deadline=None)
@given(network_scenarios())
def test_generated_networks_keep_trust_bounded_finite_and_reproducible(data):
    check_reproducible(data, "property")


@cache
def europe() -> dict:
    return load_scenario("europe", ["steps=15"]).model_dump(by_alias=True)


@settings(max_examples=25, deadline=None)
@given(trust_sections(), st.integers(0, 2**31 - 1))
def test_europe_keeps_trust_bounded_finite_and_reproducible(sections, seed):
    data = {**europe(), "seed": seed}
    for key, value in sections.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    check_reproducible(data, "europe (property)")
