"""What a valid scenario must also satisfy across its sections: names that point elsewhere (policies,
actions, states) exist, and what a run could hold (states, relations, dyad rows) stays within the
size limits, checked before anything is allocated."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trustsim.config.errors import ConfigError
from trustsim.config.schema import Scenario
from trustsim.config.vocabulary import POLICY_NAMES as POLICIES

# Size limits, checked before anything is built from a config (docs/sweeps.md, "Limits").
MAX_STATES = 5_000  # explicit states, or network.n, where every state holds trust in every other
MAX_LOCAL_STATES = 100_000  # the same with propagation.views: local (memory grows with relations)
MAX_EDGES = 100_000  # relations, listed or generated
MAX_DYAD_ROWS = 20_000_000  # steps x directed dyads, when record.dyads is on


def generated_edges(network: Any) -> int:
    """How many relations a generated network has (expected number for the random generators)."""
    n = network.n
    if network.generator == "complete":
        return n * (n - 1) // 2
    if network.generator == "watts_strogatz":
        return n * max(2, network.degree) // 2
    if network.generator == "barabasi_albert":
        m = max(1, network.degree // 2)
        return (n - m) * m
    return n * network.degree // 2


def check_limits(scenario: Scenario, source: str) -> None:
    """What a run could hold, checked before anything is allocated: states, relations, dyad rows."""
    local = scenario.propagation.views == "local"
    limit = MAX_LOCAL_STATES if local else MAX_STATES
    if scenario.network is not None:
        states, edges, where = scenario.network.n, generated_edges(scenario.network), "network"
        field = "network.n"
    else:
        states, edges, where = len(scenario.states), len(scenario.relations), "relations"
        field = "states"
        if states < 2:
            raise ConfigError(f"{source}: states: a scenario needs at least 2 states (got {states})")
    if states > limit:
        hint = (
            "" if local else f"; propagation.views: local holds local views only, up to {MAX_LOCAL_STATES:,}"
        )
        raise ConfigError(
            f"{source}: {field}: at most {limit:,} states (got {states:,}) with propagation.views: "
            f"{scenario.propagation.views}{hint}"
        )
    if edges > MAX_EDGES:
        raise ConfigError(
            f"{source}: {where}: at most {MAX_EDGES:,} relations (got {edges:,} for {states:,} states); "
            "use a sparser network or fewer states"
        )
    rows = scenario.steps * 2 * edges
    if scenario.record.dyads and rows > MAX_DYAD_ROWS:
        raise ConfigError(
            f"{source}: record.dyads: {scenario.steps:,} steps x {2 * edges:,} directed dyads = "
            f"{rows:,} rows; at most {MAX_DYAD_ROWS:,} (set record.dyads: false, or fewer steps)"
        )


def check_references(scenario: Scenario, source: str) -> None:
    """Names that point elsewhere (policies, actions, states) must exist."""

    def fail(where: str, message: str) -> None:
        raise ConfigError(f"{source}: {where}: {message}")

    def allowed(names: Iterable[str]) -> str:
        return ", ".join(sorted(names))

    check_limits(scenario, source)
    actions = {action.name for action in scenario.actions}
    if len(actions) != len(scenario.actions):
        fail("actions", "action names must be unique")
    kinds = {action.name: action.kind for action in scenario.actions}

    def check_repertoire(where: str, repertoire: Any) -> None:
        for slot in ("constructive", "escalatory", "neutral", "deterrent"):
            name = getattr(repertoire, slot)
            if name is None:
                continue
            if name not in actions:
                fail(f"{where}.{slot}", f"unknown action {name!r}; allowed: {allowed(actions)}")
            wanted = {"deterrent": "escalatory"}.get(slot, slot)
            if kinds[name] != wanted:
                fail(f"{where}.{slot}", f"{name!r} is {kinds[name]}, must be {wanted}")

    check_repertoire("repertoire", scenario.repertoire)
    if scenario.default_policy not in POLICIES:
        fail("default_policy", f"unknown policy {scenario.default_policy!r}; allowed: {allowed(POLICIES)}")

    if scenario.network is not None:
        for name in scenario.network.policy_mix:
            if name not in POLICIES:
                fail(f"network.policy_mix.{name}", f"unknown policy; allowed: {allowed(POLICIES)}")
        if sum(scenario.network.policy_mix.values()) > 1.0 + 1e-9:
            fail("network.policy_mix", "shares must add up to at most 1")
        codes = {f"S{i:03d}" for i in range(scenario.network.n)}
    else:
        codes = [state.code for state in scenario.states]
        if len(set(codes)) != len(codes):
            duplicate = next(code for code in codes if codes.count(code) > 1)
            fail("states", f"duplicate state code {duplicate!r}")
        codes = set(codes)
        for i, state in enumerate(scenario.states):
            if state.policy is not None and state.policy not in POLICIES:
                fail(f"states.{i}.policy", f"unknown policy {state.policy!r}; allowed: {allowed(POLICIES)}")
            check_repertoire(f"states.{i}.repertoire", state.repertoire)
        seen = set()
        for i, relation in enumerate(scenario.relations):
            for end in ("a", "b"):
                if getattr(relation, end) not in codes:
                    fail(
                        f"relations.{i}.{end}",
                        f"no state {getattr(relation, end)!r}; states: {allowed(codes)}",
                    )
            if relation.a == relation.b:
                fail(f"relations.{i}", f"a state cannot relate to itself ({relation.a})")
            pair = frozenset((relation.a, relation.b))
            if pair in seen:
                fail(f"relations.{i}", f"{relation.a}-{relation.b} is listed twice")
            seen.add(pair)
        related = {code for pair in seen for code in pair}
        for i, state in enumerate(scenario.states):
            if state.code not in related:
                fail(
                    f"states.{i}",
                    f"{state.code} has no relations; every state needs at least one in `relations` "
                    "(trust lives on the relations)",
                )

    for i, pair in enumerate(scenario.initial_trust.pairs):
        for end, code in (("from", pair.source), ("to", pair.target)):
            if code not in codes:
                fail(f"initial_trust.pairs.{i}.{end}", f"no state {code!r}; states: {allowed(codes)}")
    for i, step in enumerate(scenario.interventions):
        where = f"interventions.{i}"
        if step.actor not in codes:
            fail(f"{where}.actor", f"no state {step.actor!r}; states: {allowed(codes)}")
        if step.target is not None and step.target not in codes:
            fail(f"{where}.target", f"no state {step.target!r}; states: {allowed(codes)}")
        if step.action is not None and step.action not in actions:
            fail(f"{where}.action", f"unknown action {step.action!r}; allowed: {allowed(actions)}")
        if step.policy is not None and step.policy not in POLICIES:
            fail(f"{where}.policy", f"unknown policy {step.policy!r}; allowed: {allowed(POLICIES)}")
        if step.step > scenario.steps:
            fail(f"{where}.step", f"must be <= steps ({scenario.steps}) (got {step.step})")
    for i, threat in enumerate(scenario.threats):
        profile = threat.profile
        if profile.kind == "series" and not profile.series:
            fail(f"threats.{i}.profile.series", "a series profile needs at least one value")
        if profile.kind in ("linear", "pulse") and profile.end < profile.start:
            fail(f"threats.{i}.profile.end", f"must be >= start ({profile.start}) (got {profile.end})")
