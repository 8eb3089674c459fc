"""What every chart shares: the theme, saving, legends of at most MAX_LEGEND entries (conditions
grouped by the parameter that matters most, or faceted), intervention windows, and seeded 95% bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import Results, format_value, short

PALETTE = "colorblind"
sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")


def save(figure: Figure, folder: Path, name: str) -> list[Path]:
    """Write ``name``.png and .svg into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    figure.savefig(paths[0], dpi=120, bbox_inches="tight")
    figure.savefig(paths[1], bbox_inches="tight")
    plt.close(figure)
    return paths


MAX_LEGEND = 8  # entries a legend may hold; beyond, charts colour by one parameter or facet


def value_labels(column: pd.Series, parameter: str) -> pd.Series:
    """``parameter=value`` per row; a numeric parameter with more than MAX_LEGEND values is cut into
    five quantile bins (a sampled design rarely repeats a value)."""
    name = short(parameter)
    if column.nunique() > MAX_LEGEND and pd.api.types.is_numeric_dtype(column) and column.dtype != bool:
        bins = pd.qcut(column.astype(float), 5, duplicates="drop")
        return bins.map(lambda b: f"{name} {b.left:.3g}-{b.right:.3g}").astype(str)
    return column.map(lambda v: f"{name}={format_value(v)}")


def _spread(results: Results, parameter: str) -> float:
    """How far the mean final trust moves across the parameter's values (to pick the one to colour by)."""
    runs = results.ok
    if "final_mean_trust" not in runs:
        return 0.0
    column = runs[parameter]
    if column.nunique() > MAX_LEGEND and pd.api.types.is_numeric_dtype(column):
        column = pd.qcut(column.astype(float), 5, duplicates="drop")
    means = runs.groupby(column, observed=True)["final_mean_trust"].mean()
    return float(means.max() - means.min()) if len(means) else 0.0


def grouping(results: Results, data: pd.DataFrame, by: str | None = None) -> tuple[pd.DataFrame, str]:
    """Add ``group`` (the colour) and ``facet`` (the panel) columns, keeping every legend to at most
    MAX_LEGEND entries: all conditions when they are few; otherwise the parameter that moves final
    trust most, averaged over the others (said in the returned note). ``by`` facets by a parameter."""
    varied = [p for p in results.varied() if p != by]
    data = data.copy()
    data["facet"] = value_labels(data[by], by) if by else ""
    note = ""
    if not varied:
        data["group"] = ""
    elif data[varied].drop_duplicates().shape[0] <= MAX_LEGEND:
        data["group"] = data[varied].apply(
            lambda row: ", ".join(f"{short(p)}={format_value(row[p])}" for p in varied), axis=1
        )
    else:
        top = max(varied, key=lambda p: _spread(results, p))
        data["group"] = value_labels(data[top], top)
        others = [short(p) for p in varied if p != top]
        note = f" (averaged over {', '.join(others)})" if others else ""
    return data, note


def ordered(data: pd.DataFrame, results: Results, column: str) -> list[str]:
    """Group or facet labels in the order of the parameter values: by the parameters that vary least
    within a label first (the one a label is made of, e.g. its bins, before those averaged over),
    each label placed by its smallest value."""
    varied = [p for p in results.varied() if p in data]
    if not varied:
        return [""]
    labels = data.groupby(column, observed=True, sort=False)
    keys = sorted(varied, key=lambda p: labels[p].nunique().max())  # stable: ties keep the design's order
    return list(labels[keys].min().sort_values(keys, kind="stable").index)


def hue_of(data: pd.DataFrame) -> str | None:
    return "group" if data["group"].nunique() > 1 else None


def facets(data: pd.DataFrame, results: Results, width: float = 6.5, height: float = 4.4):
    """One panel per facet value (one row of panels), with their labels in order."""
    labels = ordered(data, results, "facet")
    figure, axes = plt.subplots(1, len(labels), figsize=(width * len(labels), height), squeeze=False)
    return figure, list(zip(labels, axes[0], strict=True))


def intervention_windows(results: Results) -> list[tuple[int, int, str]]:
    """(first step, last step, label) of each scheduled, enabled intervention."""
    config = stats.config_of(results)
    windows = []
    for item in config.get("interventions", []) or []:
        if item.get("enabled", True) and item.get("step") is not None:
            first = int(item["step"])
            last = first + int(item.get("duration") or 1) - 1
            what = item.get("action") or f"policy {item.get('policy')}"
            windows.append((first, last, f"{item.get('actor', '')} {what}".strip()))
    return windows


def mark_windows(ax, results: Results) -> None:
    for first, last, label in intervention_windows(results):
        ax.axvspan(first - 0.5, last + 0.5, color="#de8f05", alpha=0.15, linewidth=0, label=f"step: {label}")


def per_step(results: Results) -> pd.DataFrame:
    if results.steps.empty:
        raise NotApplicable("no per-step measures were kept (measures: none)")
    return results.tidy_steps()


def line(ax, data: pd.DataFrame, y: str, x: str = "step", bands: bool = True, **options) -> None:
    """A seaborn line per hue with its 95% bootstrap band across runs (200 resamples, seeded: the
    same data draws the same figure); ``bands=False`` for a single run, which has no spread."""
    sns.lineplot(
        data=data, x=x, y=y, errorbar=("ci", 95) if bands else None, n_boot=200, seed=0, ax=ax, **options
    )


def group_lines(ax, data: pd.DataFrame, results: Results, y: str, bands: bool = True) -> None:
    """``y`` over the steps, one line per condition group (in parameter order) when there are several."""
    hue = hue_of(data)
    line(ax, data, y, hue=hue, hue_order=ordered(data, results, "group") if hue else None, bands=bands)
