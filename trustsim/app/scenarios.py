"""The scenario picker's entries, and a scenario as the app opens it: through the config loader.

Reset rebuilds the model from the scenario file with the seed and the slider values applied as
``--set`` overrides, so ``trustsim.config.loading.load_scenario`` validates them exactly as it
validates ``trustsim run --set``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trustsim.config.loading import CONFIG_DIR, load_scenario, resolve_config_path, shipped_scenarios
from trustsim.config.schema import Record, Scenario

SCENARIO_ENV = "TRUSTSIM_VIZ_SCENARIO"  # set by `trustsim viz`: the scenario to open with
OVERRIDES_ENV = "TRUSTSIM_VIZ_SET"  # ... and its --set overrides, as a JSON list
DEFAULT_SCENARIO = "europe"

# The app records only what it shows (the model-level measures), not the per-dyad rows.
RECORD_WHAT_IS_SHOWN = ("record.model=true", "record.dyads=false", "record.attribution=false")


@dataclass(frozen=True)
class Choice:
    """An entry of the scenario picker: a scenario file and the ``--set`` overrides it opens with."""

    label: str
    path: Path
    overrides: tuple[str, ...] = ()


def scenario_choices() -> dict[str, Choice]:
    """The picker's entries: the scenario ``trustsim viz`` was started with (if it is not one of
    them, or comes with overrides), then every scenario in configs/."""
    choices: dict[str, Choice] = {}
    start = os.environ.get(SCENARIO_ENV)
    if start:
        overrides = tuple(json.loads(os.environ.get(OVERRIDES_ENV) or "[]"))
        path = resolve_config_path(start)
        name = path.stem if path.resolve().parent == CONFIG_DIR.resolve() else str(path)
        label = name + (f" ({' '.join(overrides)})" if overrides else "")
        choices[label] = Choice(label, path, overrides)
    for path in shipped_scenarios():
        choices.setdefault(path.stem, Choice(path.stem, path))
    return choices


def initial_choice() -> str:
    """The entry the page opens on: ``trustsim viz``'s scenario, else the default."""
    choices = scenario_choices()
    return next(iter(choices)) if os.environ.get(SCENARIO_ENV) else DEFAULT_SCENARIO


def override(path: str, value: Any) -> str:
    """The ``--set`` text that sets ``path`` to ``value`` (written as YAML, so ``1e-05`` stays a
    number when the loader parses it back)."""
    text = value.strip() if isinstance(value, str) else yaml.safe_dump(value).split("\n")[0]
    return f"{path}={text}"


def picker_entry(choice: str) -> Choice:
    """The picker's entry of that label, or a scenario name or path opened as one."""
    return scenario_choices().get(choice) or Choice(choice, resolve_config_path(choice))


def file_record(choice: str) -> Record:
    """What the scenario file itself asks to record (the app records only what it shows)."""
    entry = picker_entry(choice)
    return load_scenario(entry.path, entry.overrides).record


def build_scenario(
    choice: str, seed: int | str | None = None, params: Mapping[str, Any] | None = None
) -> Scenario:
    """The scenario of a picker entry (or a scenario name or path) with the seed and the slider
    values applied as ``--set`` overrides and validated by the loader."""
    entry = picker_entry(choice)
    overrides = [*entry.overrides, *(override(path, value) for path, value in (params or {}).items())]
    text = "" if seed is None else str(seed).strip()
    if text:  # the schema refuses what is not a whole number >= 0
        overrides.append(override("seed", int(text) if text.isdigit() else text))
    return load_scenario(entry.path, [*overrides, *RECORD_WHAT_IS_SHOWN])
