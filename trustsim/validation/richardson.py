"""Richardson's arms race (Richardson 1960; Intriligator 1964): the equilibrium and Euler map of the
posture dynamics, and the checks that the model's postures follow them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.config.schema import Scenario
from trustsim.model.model import TrustModel
from trustsim.validation.records import EXACT, CheckResult, Comparison, result


def richardson_parameters(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-state (reaction, fatigue, grievance), from the states' overrides or the posture section."""
    base = scenario.posture
    reaction, fatigue, grievance = [], [], []
    for state in scenario.states:
        r = state.richardson
        reaction.append(base.reaction if r.reaction is None else r.reaction)
        fatigue.append(base.fatigue if r.fatigue is None else r.fatigue)
        grievance.append(base.grievance if r.grievance is None else r.grievance)
    return np.array(reaction), np.array(fatigue), np.array(grievance)


def richardson_equilibrium(scenario: Scenario) -> np.ndarray:
    """x* = (b g + k h)/(a b - k l), y* = (a h + l g)/(a b - k l)."""
    (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
    det = a * b - k * ell
    return np.array([(b * g + k * h) / det, (a * h + ell * g) / det])


def _euler_map(scenario: Scenario) -> np.ndarray:
    """The linear part of one Euler step, I + dt J with J = [[-a, k], [l, -b]]."""
    (k, ell), (a, b), _ = richardson_parameters(scenario)
    return np.eye(2) + scenario.posture.dt * np.array([[-a, k], [ell, -b]])


def _postures(scenario: Scenario, steps: int) -> np.ndarray:
    """Posture of each state after every step of the model: array (steps + 1, n)."""
    model = TrustModel(scenario)
    path = [model.posture.copy()]
    for _ in range(steps):
        model.step()
        path.append(model.posture.copy())
    return np.array(path)


RICHARDSON_SOURCE = "Richardson (1960), Arms and Insecurity; Intriligator (1964)"


def check_richardson_stable() -> CheckResult:
    """With ab > kl the postures converge to Richardson's equilibrium."""
    scenario = load_scenario("richardson", ["record.model=false", "record.dyads=false"])
    (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
    star = richardson_equilibrium(scenario)
    steps = scenario.steps
    # Distance left after n steps of the linear map: ||V diag(lambda^n) V^-1 e0||_inf <= bound.
    values, vectors = np.linalg.eig(_euler_map(scenario))
    start = np.array([s.posture for s in scenario.states])
    bound = (
        np.linalg.norm(vectors, np.inf)
        * np.linalg.norm(np.linalg.inv(vectors), np.inf)
        * np.max(np.abs(values)) ** steps
        * np.max(np.abs(start - star))
    )
    final = _postures(scenario, steps)[-1]
    comparisons = [
        Comparison(f"x after {steps} steps", star[0], final[0], bound + 1e-12),
        Comparison(f"y after {steps} steps", star[1], final[1], bound + 1e-12),
    ]
    return result(
        "Richardson: convergence to the stable equilibrium",
        RICHARDSON_SOURCE,
        f"configs/richardson.yaml as shipped: k = {k:g}, a = {a:g}, g = {g:g} (X); l = {ell:g}, b = {b:g}, "
        f"h = {h:g} (Y); ab = {a * b:g} > kl = {k * ell:g}; dt = {scenario.posture.dt:g}, {steps} steps "
        f"from ({start[0]:g}, {start[1]:g}).",
        f"x* = (bg + kh)/(ab - kl) = {star[0]:.6g}, y* = (ah + lg)/(ab - kl) = {star[1]:.6g}",
        f"{bound:.2g} + 1e-12: what the Euler map's contraction leaves after {steps} steps",
        comparisons,
        "With trust held at 0, capability 1 and one rival edge the posture update is the Euler "
        "step of dx/dt = k y - a x + g, dy/dt = l x - b y + h, whose fixed point is Richardson's. "
        "The tolerance is the bound cond(V) rho^n max|p0 - p*| on what the linear Euler map "
        "I + dt J (eigenvectors V, spectral radius rho) leaves of the initial distance.",
    )


def _unstable_scenario(start: Sequence[float]) -> Scenario:
    """Reactions 0.6 and 0.5 (ab < kl) and a standing goodwill (g, h < 0), so p* lies in the
    positive quadrant."""
    return load_scenario(
        "richardson",
        [
            "states.0.richardson.reaction=0.6",
            "states.1.richardson.reaction=0.5",
            "states.0.richardson.grievance=-0.2",
            "states.1.richardson.grievance=-0.2",
            f"states.0.posture={start[0]}",
            f"states.1.posture={start[1]}",
            "record.model=false",
            "record.dyads=false",
        ],
    )


def check_richardson_unstable(offset: float = 0.5, window: int = 100) -> CheckResult:
    """With ab < kl postures run away from above the saddle and collapse to the floor from below."""
    probe = _unstable_scenario((1.0, 1.0))
    (k, ell), (a, b), (g, h) = richardson_parameters(probe)
    star = richardson_equilibrium(probe)
    values = np.linalg.eigvals(_euler_map(probe))
    growth = np.max(np.real(values))  # per-step factor of the unstable mode, 1 + dt * lambda_u
    above = _unstable_scenario(star + offset)
    below = _unstable_scenario(star - offset)
    steps = probe.steps
    run_up = _postures(above, steps)
    run_down = _postures(below, steps)
    # Euler iteration computed here, floor included, for the whole path.
    linear = _euler_map(probe)
    grievance = probe.posture.dt * np.array([g, h])
    floor = probe.posture.floor

    def iterate(start: np.ndarray) -> np.ndarray:
        path = [start]
        for _ in range(steps):
            path.append(np.maximum(floor, linear @ path[-1] + grievance))
        return np.array(path)

    expected_up = iterate(star + offset)
    factor = (run_up[-1] - star) / (run_up[-1 - window] - star)
    comparisons = [
        Comparison(
            "above: largest relative gap to the Euler iteration",
            0.0,
            float(np.max(np.abs(run_up - expected_up) / np.maximum(1.0, np.abs(expected_up)))),
            EXACT,
        ),
        Comparison(f"above: x - x* grows by (1 + dt lambda_u)^{window}", growth**window, factor[0], EXACT),
        Comparison(f"above: y - y* grows by (1 + dt lambda_u)^{window}", growth**window, factor[1], EXACT),
        Comparison("above: x after the run exceeds 100 x*", 100 * star[0], run_up[-1, 0], 0.0, ">"),
        Comparison("below: x collapses to the floor", floor, run_down[-1, 0], 1e-12),
        Comparison("below: y collapses to the floor", floor, run_down[-1, 1], 1e-12),
    ]
    return result(
        "Richardson: runaway and collapse when ab < kl",
        RICHARDSON_SOURCE,
        f"configs/richardson.yaml with reactions k = {k:g}, l = {ell:g} (ab = {a * b:g} < kl = "
        f"{k * ell:.2g}) and grievances g = h = {g:g}; {steps} steps from p* +/- {offset:g} per state.",
        f"unstable p* = ({star[0]:.6g}, {star[1]:.6g}); above it growth at rate 1 + dt lambda_u "
        f"= {growth:.6g} per step; below it the floor {floor:g}",
        "1e-9 (deterministic), relative to the size of the posture",
        comparisons,
        "With ab < kl the equilibrium is a saddle. With the shipped positive grievances it lies in "
        "the negative quadrant (x* = -4.3, y* = -3.2 at reactions 0.6/0.5), so every start runs "
        "away and there is no 'below' to collapse from; a standing goodwill g = h = -0.2 puts p* in "
        "the positive quadrant. Both starts lie on the unstable eigenvector's side of the stable "
        "manifold (the unstable eigenvector is positive), so p* + (c, c) runs away and p* - (c, c) "
        "falls to the floor, where the negative grievance holds it.",
    )


def check_richardson_euler_step() -> CheckResult:
    """One posture step equals x + dt (k sum w (1-T) cap y - a x + g) exactly."""
    comparisons = []
    variants = {
        "as shipped": [],
        "trust 0.4, salience 1.5, capabilities 0.7/2": [
            "initial_trust.default=0.4",
            "relations.0.salience=1.5",
            "states.0.capability=0.7",
            "states.1.capability=2.0",
        ],
    }
    for label, overrides in variants.items():
        scenario = load_scenario("richardson", [*overrides, "record.model=false", "record.dyads=false"])
        (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
        dt = scenario.posture.dt
        trust = scenario.initial_trust.default
        w = scenario.relations[0].salience
        cap = [s.capability for s in scenario.states]
        x0, y0 = (s.posture for s in scenario.states)
        x1 = x0 + dt * (k * w * (1 - trust) * cap[1] * y0 - a * x0 + g)
        y1 = y0 + dt * (ell * w * (1 - trust) * cap[0] * x0 - b * y0 + h)
        measured = _postures(scenario, 1)[1]
        comparisons += [
            Comparison(f"{label}: x1", x1, measured[0], EXACT),
            Comparison(f"{label}: y1", y1, measured[1], EXACT),
        ]
    return result(
        "Richardson: one Euler step",
        RICHARDSON_SOURCE,
        "configs/richardson.yaml, one step, as shipped and with trust, salience and capability "
        "changed so that every factor of the reaction term counts.",
        "x1 = x0 + dt (k w (1 - T) cap_Y y0 - a x0 + g), and likewise for y",
        "1e-9 (deterministic)",
        comparisons,
        "The distrust-weighted reaction term is the model's generalisation of Richardson's k y: "
        "salience w, distrust 1 - T and the rival's capability scale the rival's posture.",
    )
