"""Loading scenarios: a YAML file (or a shipped scenario's name) and ``--set`` overrides in, a
validated ``Scenario`` out, or one clear line saying what is wrong. Reading YAML safely is in
``safe_yaml``, the error messages in ``errors`` and the checks across sections in ``checks``."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trustsim.config.checks import check_references
from trustsim.config.errors import ConfigError, format_validation_error, section_class
from trustsim.config.safe_yaml import parse_yaml, read_yaml
from trustsim.config.schema import Scenario

# What callers import from here, wherever it is defined.
__all__ = [
    "CONFIG_DIR",
    "ConfigError",
    "apply_override",
    "format_validation_error",
    "load_scenario",
    "merge",
    "parse_override",
    "read_yaml",
    "resolve_config_path",
    "scenario_from_dict",
    "section_class",
    "shipped_scenarios",
]


def _config_dir() -> Path:
    """The shipped scenarios: ``trustsim/configs`` in an installed wheel (pyproject.toml maps the
    repository's configs/ there), else configs/ at the top of the source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "configs"
    return installed if installed.is_dir() else package.parent / "configs"


CONFIG_DIR = _config_dir()


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into its path and the value parsed as a YAML scalar."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. trust.negativity_bias=3")
    try:
        value = parse_yaml(raw, f"--set {text!r}") if raw.strip() else ""
    except ConfigError as exc:
        if "given twice" in str(exc) or "aliases" in str(exc):
            raise
        raise ConfigError(f"--set {text!r}: the value is not a valid YAML scalar") from None
    return key.strip().split("."), value


def apply_override(
    data: dict[str, Any], path: Sequence[str], value: Any, label: str, flag: str = "--set"
) -> None:
    """Set ``value`` at a dotted ``path`` inside the raw config (lists indexed by number); errors
    name the override as ``{flag} {label}`` (a sweep file names its own section instead of --set)."""
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"{flag} {label}: {'.'.join(path[: depth + 1])}: no list item {part} "
                    f"(the list has {len(node)} items)"
                )
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif path[depth + 1].isdigit() and not isinstance(node.get(part), list):
                where = ".".join(path[: depth + 1])
                raise ConfigError(
                    f"{flag} {label}: {where}: the config has no list {where}, so no item {path[depth + 1]}; "
                    f"give the whole list, e.g. {flag} '{where}=[{{...}}]'"
                )
            else:
                node = node.setdefault(part, {})
        else:
            raise ConfigError(f"{flag} {label}: {'.'.join(path[:depth])} is a plain value, not a section")


def merge(data: dict, changes: dict) -> dict:
    """A config as a dict, ``data``, with ``changes`` merged in: sections (dicts) recursively,
    everything else (values, lists) replaced; neither argument is changed."""
    out = copy.deepcopy(data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_from_dict(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw data into a ``Scenario`` and check its references between sections."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None
    check_references(scenario, source)
    return scenario


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario file, apply ``--set`` overrides and validate it all as one."""
    path = resolve_config_path(path)
    data = read_yaml(path)
    for text in overrides:
        try:
            keys, value = parse_override(text)
            apply_override(data, keys, value, text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    source = str(path) if not overrides else f"{path} (with --set)"
    return scenario_from_dict(data, source)


def resolve_config_path(path: str | Path) -> Path:
    """Accept a path, or the bare name of a shipped scenario (``europe`` → configs/europe.yaml)."""
    candidate = Path(path)
    if candidate.exists() or candidate.suffix:
        return candidate
    shipped = CONFIG_DIR / f"{candidate}.yaml"
    return shipped if shipped.exists() else candidate


def shipped_scenarios() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.yaml"))
