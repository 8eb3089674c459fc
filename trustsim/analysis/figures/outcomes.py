"""Charts of how runs ended: outcomes over two swept parameters, and the time to recovery."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures.layout import MAX_LEGEND, PALETTE, facets, grouping, ordered
from trustsim.analysis.load import Results, short

OUTCOMES = {
    "final_mean_trust": "final mean trust",
    "recovered": "probability of recovery",
    "congealed": "probability of congealing",
}


def outcome_heatmaps(results: Results, x: str | None = None, y: str | None = None) -> Figure:
    """Outcomes over two swept parameters (others marginalised): final trust, P(recovery), P(congealing)."""
    varied = results.varied()
    if results.kind != "sweep" or len(varied) < 2:
        raise NotApplicable("needs a sweep that varies at least two parameters")
    if results.design not in ("grid", "list"):
        # a sampled design rarely repeats a value: one cell per run, unreadable
        raise NotApplicable(f"needs a grid or list design (a {results.design} design samples its values)")
    x = x or varied[0]
    y = y or varied[1]
    runs = stats.outcomes(results)
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for ax, (column, label) in zip(axes, OUTCOMES.items(), strict=True):
        table = runs.pivot_table(index=y, columns=x, values=column, aggfunc="mean")
        sns.heatmap(
            table, annot=True, fmt=".2f", cmap="viridis", vmin=0, vmax=1, ax=ax, cbar_kws={"label": label}
        )
        ax.set(xlabel=short(x), ylabel=short(y), title=label)
        ax.invert_yaxis()
    others = [p for p in varied if p not in (x, y)]
    note = f" (averaged over {', '.join(short(p) for p in others)})" if others else ""
    figure.suptitle(f"Where in ({short(x)}, {short(y)}) does trust recover, and where does it congeal?{note}")
    figure.tight_layout()
    return figure


MIN_SURVIVAL_RUNS = 3  # a Kaplan-Meier curve of fewer runs is a list of times, drawn as such


def survival(results: Results, by: str | None = None) -> Figure:
    """Kaplan-Meier curves of the time to recovery, per condition, for runs that start in mistrust;
    where a condition has fewer than MIN_SURVIVAL_RUNS such runs, each run's time is drawn as a point
    instead of a curve (n = 1 is a time, not a distribution)."""
    runs = results.ok.assign(condition=results.condition())
    if "initial_mean_trust" not in runs or "time_to_recovery" not in runs:
        raise NotApplicable("no outcome summary")
    starting_low = runs[runs["initial_mean_trust"] < stats.recovery_threshold(results)]
    if starting_low.empty:
        raise NotApplicable("no run starts below the recovery threshold")
    steps = int(stats.config_of(results).get("steps", 100))
    horizon = int(results.steps["step"].max()) if not results.steps.empty else steps
    data, note = grouping(results, starting_low, by)
    if data.groupby(["facet", "group"]).size().max() < MIN_SURVIVAL_RUNS:
        return _recovery_times(data, results, horizon)
    figure, panels = facets(data, results, width=8, height=4.6)
    colours = sns.color_palette(PALETTE, MAX_LEGEND)
    for label, ax in panels:
        frame = data[data["facet"] == label]
        groups = [g for g in ordered(data, results, "group") if g in set(frame["group"])]
        for colour, group in zip(colours, groups, strict=False):
            times = frame.loc[frame["group"] == group, "time_to_recovery"]
            curve = stats.kaplan_meier(times, horizon)
            name = f"{group or 'all runs'} (n={len(times)})"
            ax.step(curve.index, curve.to_numpy(), where="post", label=name, color=colour)
        title = "How long until trust recovers? (Kaplan-Meier; censored at the last step)"
        ax.set(
            xlabel="step",
            ylabel="share of runs not yet recovered",
            ylim=(0, 1.02),
            title=f"{label}{note}\n{title}" if label or note else title,
        )
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _recovery_times(data: pd.DataFrame, results: Results, horizon: int) -> Figure:
    """Each run's time to recovery as a point (never: a hollow point at the last step)."""
    figure, ax = plt.subplots(figsize=(8, 0.5 * min(len(data), 30) + 2))
    labels = [
        f"{g or 'the run'}{f' ({f})' if f else ''}" for g, f in zip(data["group"], data["facet"], strict=True)
    ]
    data = data.assign(label=labels, replication=data.get("replication", 0))
    data["label"] = data["label"] + data["replication"].map(
        lambda r: f" #{r}" if data["replication"].nunique() > 1 else ""
    )
    got = data[data["time_to_recovery"].notna()]
    never = data[data["time_to_recovery"].isna()]
    ax.scatter(got["time_to_recovery"], got["label"], color="#029e73", label="reached the threshold")
    ax.scatter(
        [horizon] * len(never), never["label"], facecolors="none", edgecolors="grey", label="not by the end"
    )
    ax.set(
        xlabel="step at which mean trust first reached the recovery threshold",
        ylabel="run",
        xlim=(0, horizon + 1),
        title="When did trust first recover? (one point per run: too few runs for a survival curve)",
    )
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure
