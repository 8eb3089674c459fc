"""Historical episodes (configs/history/, one step a month) and the check of the model's trust
trajectory against each documented window."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from trustsim.config.loading import CONFIG_DIR, load_scenario
from trustsim.config.schema import Scenario
from trustsim.model.model import TrustModel

HISTORY_DIR = CONFIG_DIR / "history"
DIRECTIONS = ("up", "down", "flat")
TOLERANCE = 0.05  # an "up" or "down" window needs a mean change at least this large
FLAT_TOLERANCE = 0.10  # a "flat" window's interval must lie within +- this
PATTERN_SCENARIOS = ("dyad", "europe", "random_network")  # shipped scenarios with free dyads
_COURSE = re.compile(r"^# course: (\d+) -> (\d+) (up|down|flat): (.+)$")
_DYAD = re.compile(r"^# dyad: (\w+) (\w+)$")
_START = re.compile(r"^# start: (\d{4})-(\d{2})$")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- episodes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A stretch of an episode's documented course: trust from ``start`` to ``end`` goes ``direction``."""

    start: int
    end: int
    direction: str
    what: str


@dataclass(frozen=True)
class Episode:
    """A historical episode: its scenario, the dyad whose trust is measured, its documented course."""

    path: Path
    scenario: Scenario
    dyad: tuple[str, str]
    course: tuple[Window, ...]
    start: tuple[int, int]  # year and month of step 1

    @property
    def name(self) -> str:
        return self.scenario.name

    def month(self, step: int) -> str:
        """The calendar month of ``step`` (one step a month), e.g. "Oct 1962"."""
        index = self.start[1] - 1 + step - 1
        return f"{MONTHS[index % 12]} {self.start[0] + index // 12}"


def load_episode(path: Path, overrides: Sequence[str] = ()) -> Episode:
    """Read an episode and the documented course its header states (``# course:``, ``# dyad:``)."""
    scenario = load_scenario(path, overrides)
    course, dyad, start = [], None, None
    for line in path.read_text().splitlines():
        if match := _COURSE.match(line):
            first, last, direction, what = match.groups()
            course.append(Window(int(first), int(last), direction, what))
        elif match := _DYAD.match(line):
            dyad = match.groups()
        elif match := _START.match(line):
            start = (int(match.group(1)), int(match.group(2)))
    if dyad is None:  # a two-state episode: its one relation
        dyad = (scenario.relations[0].a, scenario.relations[0].b)
    for window in course:
        if not 1 <= window.start < window.end <= scenario.steps:
            raise ValueError(
                f"{path}: course {window.start} -> {window.end}: outside steps 1-{scenario.steps}"
            )
    if not course or start is None:
        raise ValueError(f"{path}: its header needs `# start: YYYY-MM` and `# course: FROM -> TO up: ...`")
    return Episode(path, scenario, (dyad[0], dyad[1]), tuple(course), start)


def episodes(overrides: Sequence[str] = ()) -> list[Episode]:
    """Every episode in configs/history/, in file-name order."""
    return [load_episode(path, overrides) for path in sorted(HISTORY_DIR.glob("*.yaml"))]


def dyad_trust(model: TrustModel, dyad: tuple[str, str]) -> float:
    """Mean trust of the dyad, both directions."""
    i, j = model.codes.index(dyad[0]), model.codes.index(dyad[1])
    return float((model.trust[i, j] + model.trust[j, i]) / 2)


def trajectories(episode: Episode, replications: int) -> np.ndarray:
    """The dyad's trust after each step (columns 1..steps), one row per seed 0 .. replications - 1."""
    rows = []
    for seed in range(replications):
        model = TrustModel(episode.scenario.model_copy(update={"seed": seed}, deep=True))
        series = []
        for _ in range(episode.scenario.steps):
            model.step()
            series.append(dyad_trust(model, episode.dyad))
        rows.append(series)
    return np.array(rows)


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval over replications (a point if they all agree)."""
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(np.mean(values))
    if len(values) < 2 or np.std(values) == 0:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class WindowResult:
    window: Window
    change: tuple[float, float, float]  # mean change of trust over the window, 95% interval
    agreeing: float  # share of replications whose change has the documented direction

    @property
    def holds(self) -> bool:
        """Up (down): the interval is clear of zero and the mean rises (falls) by at least
        TOLERANCE. Flat: the whole interval lies within +- FLAT_TOLERANCE."""
        mean, low, high = self.change
        if self.window.direction == "up":
            return low > 0 and mean >= TOLERANCE
        if self.window.direction == "down":
            return high < 0 and mean <= -TOLERANCE
        return low >= -FLAT_TOLERANCE and high <= FLAT_TOLERANCE


def check_course(episode: Episode, series: np.ndarray) -> list[WindowResult]:
    """Each documented window against the model's trajectories (``series`` from ``trajectories``)."""
    results = []
    for window in episode.course:
        change = series[:, window.end - 1] - series[:, window.start - 1]
        if window.direction == "up":
            agreeing = np.mean(change > 0)
        elif window.direction == "down":
            agreeing = np.mean(change < 0)
        else:
            agreeing = np.mean(np.abs(change) <= FLAT_TOLERANCE)
        results.append(WindowResult(window, interval(change), float(agreeing)))
    return results
