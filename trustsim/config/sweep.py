"""The sweep schema: a base scenario, the parameters to vary, a design and replications.

A design is data (SALib's "problem" and scipy.stats.qmc's samples are the models): the sweep config
names the parameters by dotted path into the scenario; ``trustsim.execution.designs`` turns it into
a table of points; the runner consumes that table and never calls back into the design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationError, model_validator

from trustsim.config.errors import short_repr
from trustsim.config.loading import (
    ConfigError,
    apply_override,
    format_validation_error,
    read_yaml,
    resolve_config_path,
    scenario_from_dict,
)
from trustsim.config.schema import Scenario, Section
from trustsim.config.vocabulary import MEASURE_NAMES

MAX_RANGE_VALUES = 100_000  # values of one range
MAX_RUNS = 1_000_000  # runs of a sweep (design points x replications)


class Range(Section):
    """Evenly spaced values: ``{start, stop, step}`` (stop included when hit) or ``{start, stop, num}``."""

    start: float
    stop: float
    step: float | None = None
    num: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _step_or_num(self) -> Range:
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of `step` or `num`")
        if self.step is not None:
            if self.step == 0:
                raise ValueError("step must not be 0")
            if (self.stop - self.start) * self.step < 0:
                raise ValueError(f"step {self.step} never reaches stop {self.stop} from start {self.start}")
        if self.count() > MAX_RANGE_VALUES:
            raise ValueError(
                f"a range may give at most {MAX_RANGE_VALUES:,} values (this gives {self.count():,})"
            )
        return self

    def count(self) -> int:
        """How many values the range gives (without making them)."""
        if self.num is not None:
            return self.num
        return int((self.stop - self.start) / self.step + 1e-9) + 1


# a mapping is a range, anything else a list: errors then speak of the one the user meant
Values = Annotated[
    Annotated[list[Any], Tag("list")] | Annotated[Range, Tag("range")],
    Discriminator(lambda value: "range" if isinstance(value, dict | Range) else "list"),
]


class Design(Section):
    """How the points are chosen.

    - ``grid``: full factorial over ``parameters`` (each a list or a range);
    - ``list``: the explicit ``points``;
    - ``lhs``: ``n`` Latin hypercube samples within ``bounds`` (scipy.stats.qmc);
    - ``sobol``: Saltelli/Sobol' samples for Sobol' indices, ``n`` a power of two (SALib);
    - ``morris``: ``n`` Morris trajectories over ``levels`` levels (SALib).
    Bounds whose ends are both integers sample integers.
    """

    kind: Literal["grid", "list", "lhs", "sobol", "morris"]
    parameters: dict[str, Values] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)
    bounds: dict[str, tuple[int | float, int | float]] = Field(default_factory=dict)
    n: Annotated[int, Field(ge=1)] | None = None
    levels: Annotated[int, Field(ge=2)] = 4
    second_order: bool = False

    @model_validator(mode="after")
    def _fits_kind(self) -> Design:
        if self.kind == "grid":
            if not self.parameters:
                raise ValueError("a grid design needs `parameters`")
            for path, values in self.parameters.items():
                if isinstance(values, list) and not values:
                    raise ValueError(f"parameters.{path}: the list of values is empty")
        elif self.kind == "list":
            if not self.points:
                raise ValueError("a list design needs `points`")
            names = set(self.points[0])
            for i, point in enumerate(self.points):
                if set(point) != names:
                    raise ValueError(
                        f"points.{i}: every point must set the same parameters as point 0 "
                        f"({', '.join(sorted(names))})"
                    )
        else:
            if not self.bounds:
                raise ValueError(f"a {self.kind} design needs `bounds`")
            if self.n is None:
                raise ValueError(f"a {self.kind} design needs `n`")
            for path, (low, high) in self.bounds.items():
                if not low < high:
                    raise ValueError(
                        f"bounds.{path}: lower bound must be < upper bound (got [{low}, {high}])"
                    )
            if self.kind == "sobol" and self.n & (self.n - 1):
                raise ValueError(f"n must be a power of two for a sobol design (got {self.n})")
        if "seed" in self.paths():
            raise ValueError("`seed` cannot be a design parameter: each run's seed derives from master_seed")
        return self

    def count(self) -> int:
        """How many design points the design gives (without making them)."""
        if self.kind == "grid":
            count = 1
            for values in self.parameters.values():
                count *= len(values) if isinstance(values, list) else values.count()
            return count
        if self.kind == "list":
            return len(self.points)
        assert self.n is not None
        d = len(self.bounds)
        if self.kind == "sobol":
            return self.n * (2 * d + 2 if self.second_order else d + 2)
        if self.kind == "morris":
            return self.n * (d + 1)
        return self.n

    def paths(self) -> list[str]:
        if self.kind == "grid":
            return list(self.parameters)
        if self.kind == "list":
            return sorted({path for point in self.points for path in point})
        return list(self.bounds)


class StopCondition(Section):
    """Stop a run early when a model-level measure crosses a value."""

    measure: str
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> StopCondition:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of `below` or `above`")
        if self.measure not in MEASURE_NAMES:
            raise ValueError(f"unknown measure {self.measure!r}; allowed: {', '.join(MEASURE_NAMES)}")
        return self


class Sweep(Section):
    """A sweep: ``base`` scenario, ``set`` fixed overrides, a ``design``, replications and seeds."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = Field(description="Scenario file (relative to the sweep file) or shipped name.")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides applied to every run.")
    design: Design
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    master_seed: Annotated[int, Field(ge=0)] = 0
    common_random_numbers: bool = Field(
        False, description="Replication r of every point shares one seed (paired comparisons)."
    )
    steps: Annotated[int, Field(ge=1)] | None = None
    measures: list[str] | Literal["all", "none"] = Field(
        "all", description="Model-level measures kept per step (`none`: per run only)."
    )
    stop: StopCondition | None = None
    dyads: bool = Field(
        False,
        description="Keep every run's per-dyad records in dyads.parquet, with its run_id (a base "
        "scenario's record.dyads is for single runs); within the dyad-row limit of one dyads.parquet.",
    )
    batch_size: int = Field(
        128,
        ge=1,
        le=10_000,
        description="Most runs of one design point a worker steps together in one batched model "
        "(1: one by one). Only the speed depends on it, never a result; a resume may change it.",
    )

    @model_validator(mode="after")
    def _not_too_many_runs(self) -> Sweep:
        runs = self.design.count() * self.replications
        if runs > MAX_RUNS:
            raise ValueError(
                f"{self.design.count():,} design points x {self.replications:,} replications = "
                f"{runs:,} runs; a sweep may have at most {MAX_RUNS:,}"
            )
        return self

    @model_validator(mode="after")
    def _known_measures(self) -> Sweep:
        if isinstance(self.measures, list):
            unknown = [m for m in self.measures if m not in MEASURE_NAMES]
            if unknown:
                raise ValueError(
                    f"unknown measure {unknown[0]!r}; allowed: {', '.join(MEASURE_NAMES)}, all, none"
                )
        return self

    def kept_measures(self) -> list[str]:
        if self.measures == "all":
            return list(MEASURE_NAMES)
        if self.measures == "none":
            return []
        return list(self.measures)


def scenario_with(
    base: dict[str, Any], values: dict[str, Any], source: str, flag: str = "parameter"
) -> Scenario:
    """The base scenario (raw data) with dotted-path ``values`` applied, validated; a path that
    does not fit the scenario is an error naming ``source`` and the ``flag`` it came from."""
    data = _deep_copy(base)
    for path, value in values.items():
        try:
            apply_override(data, path.split("."), _plain(value), f"{path}={short_repr(value)}", flag)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return scenario_from_dict(data, source)


def _plain(value: Any) -> Any:
    """NumPy scalars from samplers become plain Python values (for YAML/JSON and pydantic)."""
    return value.item() if hasattr(value, "item") else value


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _deep_copy(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_deep_copy(value) for value in data]
    return data


def load_sweep(path: str | Path) -> tuple[Sweep, dict[str, Any]]:
    """Read and check a sweep file; return it and the raw base scenario with ``set`` applied."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        sweep = Sweep.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(str(path), exc, Sweep)) from None
    base_path = path.parent / sweep.base  # relative to the sweep file (an absolute path stays as is)
    if base_path.is_dir():
        raise ConfigError(f"{path}: base: {sweep.base!r} is a directory; expected a scenario YAML file")
    if not base_path.is_file():
        base_path = resolve_config_path(sweep.base)  # or the name of a shipped scenario
    if not base_path.exists():
        raise ConfigError(f"{path}: base: no scenario {sweep.base!r} (a file, or a name in configs/)")
    try:
        base = read_yaml(base_path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: base: {exc}") from None
    fixed = dict(sweep.set)
    if sweep.steps is not None:
        fixed["steps"] = sweep.steps
    try:
        base_scenario = scenario_with(base, fixed, f"{path}: set", "set:")
    except ConfigError as exc:
        raise ConfigError(f"{exc} (in the base scenario {base_path} with the sweep's `set`)") from None
    base = base_scenario.model_dump(mode="json", by_alias=True)
    return sweep, base
