"""Loading a run or a sweep folder into tidy DataFrames: the one entry point of every analysis."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HOP_MEASURES = ["trust_in_initiator_1hop", "trust_in_initiator_2hops", "trust_in_initiator_3hops"]


class AnalysisError(Exception):
    """A folder that cannot be analysed, phrased for people."""


@dataclass
class Results:
    """A run or a sweep, tidy: ``steps`` (one row per run and step), ``runs`` (one row per run)."""

    path: Path
    kind: str  # "run" or "sweep"
    manifest: dict[str, Any]
    steps: pd.DataFrame
    runs: pd.DataFrame
    parameters: list[str] = field(default_factory=list)
    dyads: pd.DataFrame | None = None
    attribution: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.manifest.get("name") or self.manifest.get("scenario", self.path.name)

    @property
    def design(self) -> str | None:
        return self.manifest.get("design", {}).get("kind") if self.kind == "sweep" else None

    @property
    def replications(self) -> int:
        return int(self.manifest.get("replications", 1))

    @property
    def ok(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs["status"] == "ok"]

    def varied(self) -> list[str]:
        """Swept parameters that actually take more than one value."""
        return [p for p in self.parameters if self.runs[p].astype(str).nunique() > 1]

    def condition(self) -> pd.Series:
        """A readable label per run for its design point, e.g. ``congeal_rate=0.1, enabled=True``."""
        varied = self.varied()
        if not varied:
            return pd.Series(self.name, index=self.runs.index)
        return self.runs[varied].apply(
            lambda row: ", ".join(f"{short(p)}={format_value(row[p])}" for p in varied), axis=1
        )

    def condition_order(self) -> list[str]:
        """The condition labels in the order of their parameter values, numbers as numbers
        (2, 5, 10, not "10", "2", "5")."""
        labelled = self.runs.assign(condition=self.condition())
        varied = self.varied()
        if varied:
            labelled = labelled.sort_values(varied, kind="stable")
        return list(dict.fromkeys(labelled["condition"]))

    def tidy_steps(self) -> pd.DataFrame:
        """Per-step measures joined with each run's parameters and condition label."""
        runs = self.runs.assign(condition=self.condition())
        keep = ["run_id", "replication", "condition", *self.parameters]
        return self.steps.merge(runs[keep], on="run_id", how="inner")


# last parts of a path that say nothing without the part before them (``threats.0.level``)
VAGUE = {"level", "enabled", "n", "weight", "value"}


def short(path: str) -> str:
    """A dotted parameter path as labels show it: its last part (``congeal_rate``), with the part
    before when the last is vague (``threats.level``, ``altered_agenda.enabled``); list indices are
    left out. ``interventions.0.enabled`` is ``with step``."""
    parts = path.split(".")
    if parts[0] == "interventions" and parts[-1] == "enabled":
        return "with step" if parts[1] == "0" else f"with step {parts[1]}"
    named = [part for part in parts if not part.isdigit()]
    return ".".join(named[-2:]) if named[-1] in VAGUE and len(named) > 1 else named[-1]


def format_value(value: Any) -> str:
    """A parameter value as labels show it (floats to three significant figures)."""
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def load(path: str | Path) -> Results:
    """Load ``trustsim run`` or ``trustsim sweep`` output from its folder."""
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise AnalysisError(f"{path}: no manifest.json: not a finished trustsim run or sweep folder")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("kind") == "sweep":
        return _load_sweep(path, manifest)
    return _load_run(path, manifest)


def _load_run(path: Path, manifest: dict[str, Any]) -> Results:
    steps = pd.read_parquet(path / "model.parquet")
    if steps.empty:
        raise AnalysisError(f"{path}: no model-level measures were recorded (record.model: false)")
    steps.insert(0, "run_id", 0)
    summary = manifest.get("summary", {})
    runs = pd.DataFrame(
        [{"run_id": 0, "replication": 0, "seed": manifest.get("seed"), "status": "ok", **summary}]
    )
    dyads = pd.read_parquet(path / "dyads.parquet") if (path / "dyads.parquet").exists() else None
    attribution_path = path / "attribution.parquet"
    attribution = pd.read_parquet(attribution_path) if attribution_path.exists() else None
    return Results(path, "run", manifest, steps, runs, [], dyads, attribution)


def _load_sweep(path: Path, manifest: dict[str, Any]) -> Results:
    runs_path = path / "runs.parquet"
    if not runs_path.exists():
        raise AnalysisError(f"{path}: the sweep has not finished (no runs.parquet); rerun it to resume")
    runs = pd.read_parquet(runs_path)
    parts = sorted((path / "steps").glob("part-*.parquet"))
    steps = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if not steps.empty:
        steps = steps.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
    parameters = list(manifest.get("design", {}).get("parameters", []))
    return Results(path, "sweep", manifest, steps, runs, parameters)
