"""What the claims' arms are built of: a two-state rival dyad or a small-world network as scenario
dicts, scheduled steps, and the outcomes measured on a finished model (or on a series recorded every
step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trustsim.config.loading import merge
from trustsim.config.schema import essay_catalog
from trustsim.model.model import TrustModel


def catalog(**changes: Any) -> list[dict]:
    """The default action catalog as dicts, with ``changes`` applied to every action."""
    return [{**action.model_dump(), **changes} for action in essay_catalog()]


def dyad(
    trust: float = 0.5,
    policies: tuple[str, str] = ("hold", "hold"),
    motives: tuple[str, str] = ("security", "security"),
    extra_actions: tuple[dict, ...] = (),
    **sections: Any,
) -> dict:
    """A two-state rival dyad A - B, as a scenario dict; ``sections`` are merged in."""
    data: dict[str, Any] = {
        "name": "claim",
        "steps": 100,
        "states": [
            {"code": "A", "bloc": "west", "policy": policies[0], "motive": motives[0]},
            {"code": "B", "bloc": "east", "policy": policies[1], "motive": motives[1]},
        ],
        "relations": [{"a": "A", "b": "B", "kind": "rival"}],
        "initial_trust": {"default": trust},
        "record": {"model": False, "dyads": False, "attribution": False},
    }
    if extra_actions:
        data["actions"] = catalog() + list(extra_actions)
    return merge(data, sections)


def step_at(step: int, action: str, actor: str = "A", target: str = "B", **extra: Any) -> dict:
    return {"step": step, "actor": actor, "target": target, "action": action, **extra}


# -- outcomes -------------------------------------------------------------------------------------


def trust_of(observer: int, subject: int) -> Callable[[TrustModel, list], float]:
    return lambda model, _: float(model.trust[observer, subject])


def dyad_trust(model: TrustModel) -> float:
    """Mean trust of the dyad A - B, both directions."""
    return float((model.trust[0, 1] + model.trust[1, 0]) / 2)


def mean_dyad_logodds(model: TrustModel, _: list) -> float:
    t = np.array([model.trust[0, 1], model.trust[1, 0]])
    return float(np.mean(np.log(t / (1 - t))))


def series_mean(model: TrustModel, series: list) -> float:
    return float(np.mean(series))


def share_of(actor: int, kind: int) -> Callable[[TrustModel], float]:
    """Share of ``actor``'s steps this step that are of ``kind`` (CONSTRUCTIVE, ESCALATORY)."""

    def share(model: TrustModel) -> float:
        kinds = model.catalog.kind[model.last_action[model.src == actor]]
        return float(np.mean(kinds == kind))

    return share


def steps_to_recover(level: float, start: int) -> Callable[[TrustModel, list], float]:
    """Steps from ``start`` until B's trust in A (the measured series) is back at ``level``."""

    def outcome(model: TrustModel, series: list) -> float:
        later = np.asarray(series[start - 1 :])
        above = np.flatnonzero(later >= level)
        return float(above[0] + 1) if len(above) else float(len(later) + 1)

    return outcome


def b_trust_in_a(model: TrustModel) -> float:
    return float(model.trust[1, 0])


def logodds_gain(initial: float) -> Callable[[TrustModel, list], float]:
    """B's trust in A in log-odds, less that of ``initial``."""

    def outcome(model: TrustModel, _: list) -> float:
        t = float(model.trust[1, 0])
        return float(np.log(t / (1 - t)) - np.log(initial / (1 - initial)))

    return outcome


def security_gap(model: TrustModel) -> float:
    security = model.last.security
    national = security[0]  # A's security in its one dyad
    mutual = min(security[0], security[1])
    return float(national - mutual)


def trust_in_initiator(hops: int) -> Callable[[TrustModel, list], float]:
    def outcome(model: TrustModel, _: list) -> float:
        observers = np.flatnonzero(model.hops == hops)
        return float(model.trust[observers, model.initiator].mean())

    return outcome


NETWORK = {
    "name": "claim_network",
    "network": {"generator": "watts_strogatz", "n": 40, "degree": 4, "rewire": 0.1, "blocs": 2},
    "initial_trust": {"within_bloc": 0.7, "across_bloc": 0.4},
    "interventions": [
        {"step": 5, "actor": "S000", "action": "limit_military_exercises", "declared": True, "duration": 10}
    ],
    "record": {"model": False, "dyads": False, "attribution": False},
}
