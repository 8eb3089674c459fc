"""The app's controls, derived from the config schema (``trustsim/config/schema.py``).

``SLIDER_FIELDS`` only names which fields get a control; its kind (slider or checkbox, integer or
float), label, bounds and help text are read from the schema field at that path, and it starts at
the scenario's own value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from mesa.visualization import Slider
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from trustsim.config.reference import bounds
from trustsim.config.schema import Scenario

# The main trust and policy parameters that get a slider (or a checkbox): dotted paths into the
# schema. Everything else about a control is read from the schema field at that path.
SLIDER_FIELDS: tuple[str, ...] = (
    "trust.negativity_bias",
    "trust.congeal_threshold",
    "trust.congeal_rate",
    "trust.learning_rate",
    "perception.noise",
    "propagation.observation_weight",
    "propagation.alliance_weight",
    "altered_agenda.enabled",
    "altered_agenda.gain",
    "policy_params.grit.step_size",
    "policy_params.grit.persistence",
)


def scenario_value(scenario: Scenario, path: str) -> Any:
    """The scenario's value at a dotted path, e.g. ``trust.negativity_bias``."""
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def schema_field(path: str, scenario: Scenario | None = None) -> FieldInfo:
    """The schema's field at a dotted path, e.g. ``trust.negativity_bias``.

    The section holding it is the schema class of the scenario's section at that path (of the
    default scenario if none is given), so no annotation is unpicked here."""
    *sections, name = path.split(".")
    node: BaseModel = scenario if scenario is not None else _default_scenario()
    for part in sections:
        node = getattr(node, part)
    return type(node).model_fields[name]


def _default_scenario() -> Scenario:
    """A scenario of the schema's defaults (required fields left unset: only sections are read)."""
    return Scenario.model_construct()


def control_label(path: str) -> str:
    """``policy_params.grit.step_size`` -> ``grit: step size``."""
    *sections, name = path.split(".")
    section = sections[-1].replace("_", " ") if sections else ""
    return f"{section}: {name.replace('_', ' ')}" if section else name.replace("_", " ")


def control_for(path: str, value: Any, scenario: Scenario | None = None) -> Slider | dict[str, Any]:
    """A Mesa user input for the schema field at ``path``, starting at ``value``.

    Bounds are the schema's; a field unbounded above gets max(1, 4 x its default, 2 x value), and an
    integer field whose bound is far above its default is shown up to max(20, 10 x default) (the
    schema's bound still validates what is set). Floats move in round steps of at most a hundredth
    of the range (``slider_step``)."""
    field = schema_field(path, scenario)
    label = control_label(path)
    kind = field.annotation
    if kind is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if kind not in (int, float):
        raise TypeError(f"{path}: no slider for a field of type {kind!r}")
    low, high = bounds(field)
    default = field.default if isinstance(field.default, int | float) else value
    low = 0 if low is None else low
    if high is None:
        high = max(1.0, 4 * default, 2 * value)
    if kind is int:
        shown = max(20, 10 * int(default), int(value))
        return Slider(label, int(value), int(low), int(min(high, shown)), 1, dtype=int)
    return Slider(label, float(value), float(low), float(high), slider_step(high - low), dtype=float)


def slider_step(span: float) -> float:
    """The round step (1, 2 or 5 times a power of ten) that cuts ``span`` into about 100 or fewer."""
    magnitude = 10 ** math.floor(math.log10(span / 100))
    return float(next(round(m * magnitude, 12) for m in (1, 2, 5, 10) if m * magnitude >= span / 100 - 1e-12))


def model_params(scenario: Scenario, choice: str) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the picker entry (fixed), the seed, and one control per
    ``SLIDER_FIELDS`` entry, each starting at the scenario's value."""
    params: dict[str, Any] = {
        "scenario_name": choice,
        "seed": {"type": "InputText", "value": str(scenario.seed), "label": "seed"},
    }
    for path in SLIDER_FIELDS:
        params[path] = control_for(path, scenario_value(scenario, path), scenario)
    return params


def parameter_help() -> list[tuple[str, str]]:
    """(label, description) of every control, from the schema."""
    return [(control_label(path), schema_field(path).description or "") for path in SLIDER_FIELDS]


def shown_value(value: Any) -> str:
    """A control's value as the status line prints it (``on``/``off`` for a checkbox)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Settings:
    """What the sidebar holds for the next Reset: the picker entry, the seed (as typed) and each
    control's value. The running model keeps the values it was built with (``model.config``); a
    difference between the two is a pending change, shown until Reset applies it."""

    choice: str
    seed: str
    values: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, scenario: Scenario, choice: str) -> Settings:
        """The settings that rebuild ``scenario`` as the picker entry ``choice`` opened it."""
        return cls(choice, str(scenario.seed), tuple((p, scenario_value(scenario, p)) for p in SLIDER_FIELDS))

    def with_value(self, path: str, value: Any) -> Settings:
        return replace(self, values=tuple((p, value if p == path else v) for p, v in self.values))

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``VizModel`` (what Mesa's Reset passes it)."""
        return {"scenario_name": self.choice, "seed": self.seed, **dict(self.values)}

    def pending(self, scenario: Scenario) -> list[tuple[str, str, str]]:
        """(label, running value, value after Reset) of each setting that differs from the run's."""
        changes = []
        if self.seed.strip() != str(scenario.seed):
            changes.append(("seed", str(scenario.seed), self.seed.strip()))
        for path, value in self.values:
            running = scenario_value(scenario, path)
            if not _same(running, value):
                changes.append((control_label(path), shown_value(running), shown_value(value)))
        return changes


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
