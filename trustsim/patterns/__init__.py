"""The model against what happened: ``trustsim patterns`` writes ``docs/patterns.md``.

Two kinds of pattern (pattern-oriented modelling, Grimm et al. 2005), both measured on real runs
with the model's default parameters:

- *Historical episodes* (``configs/history/``, one step a month): each episode's header states the
  documented course of its measured dyad as windows (``# course: 17 -> 23 up: ...``); the model's
  trust trajectory over replications is checked against each window's direction.
- *Event-data patterns* (Ward 1982; Goldstein & Freeman 1990): every directed dyad's actions are
  scored on the catalog's Goldstein scale (an action's ``other_view``, the Goldstein weight / 10) and
  a VAR(1) is fitted per dyad with statsmodels: inertia (own lag), reciprocity (the partner's lag),
  and the asymmetry of responses to the partner's conflict and cooperation.

Every figure of docs/patterns.md comes from these runs; nothing is typed in.
"""

from trustsim.patterns.episodes import (
    DIRECTIONS,
    FLAT_TOLERANCE,
    HISTORY_DIR,
    MONTHS,
    PATTERN_SCENARIOS,
    TOLERANCE,
    Episode,
    Window,
    WindowResult,
    check_course,
    dyad_trust,
    episodes,
    interval,
    load_episode,
    trajectories,
)
from trustsim.patterns.events import DyadFit, PatternResult, fit_dyad, patterns, run_fits, scored_actions
from trustsim.patterns.report import LOGIT, EpisodeResult, draw_episode, evaluate, render_markdown, write_docs

__all__ = [
    "DIRECTIONS",
    "FLAT_TOLERANCE",
    "HISTORY_DIR",
    "LOGIT",
    "MONTHS",
    "PATTERN_SCENARIOS",
    "TOLERANCE",
    "DyadFit",
    "Episode",
    "EpisodeResult",
    "PatternResult",
    "Window",
    "WindowResult",
    "check_course",
    "draw_episode",
    "dyad_trust",
    "episodes",
    "evaluate",
    "fit_dyad",
    "interval",
    "load_episode",
    "patterns",
    "render_markdown",
    "run_fits",
    "scored_actions",
    "trajectories",
    "write_docs",
]
