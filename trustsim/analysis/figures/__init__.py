"""The charts a modeler wants from a run or a sweep. Each function takes loaded ``Results`` and
returns a matplotlib Figure, or raises ``NotApplicable`` saying why this run has nothing to show:
charts over the steps (``over_time``), of how runs ended (``outcomes``) and over the swept parameters
(``parameters``), on what they share (``layout``: theme, legends, bands, saving)."""

from __future__ import annotations

from trustsim.analysis.figures.layout import MAX_LEGEND, grouping, intervention_windows, plt, save
from trustsim.analysis.figures.outcomes import OUTCOMES, outcome_heatmaps, survival
from trustsim.analysis.figures.over_time import (
    action_mix,
    dyad_trust,
    hysteresis,
    propagation,
    trust_trajectories,
)
from trustsim.analysis.figures.parameters import scenario_discovery, sensitivity, tipping_maps, tipping_points

FIGURES = {
    "trajectories": trust_trajectories,
    "heatmaps": outcome_heatmaps,
    "propagation": propagation,
    "hysteresis": hysteresis,
    "survival": survival,
    "dyads": dyad_trust,
    "action_mix": action_mix,
    "sensitivity": sensitivity,
    "tipping_points": tipping_points,
    "tipping_maps": tipping_maps,
    "discovery": scenario_discovery,
}

__all__ = [
    "FIGURES",
    "MAX_LEGEND",
    "OUTCOMES",
    "grouping",
    "intervention_windows",
    "plt",
    "save",
    *(draw.__name__ for draw in FIGURES.values()),
]
