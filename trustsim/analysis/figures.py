"""The charts a modeler wants from a run or a sweep. Each function takes loaded ``Results`` and
returns a matplotlib Figure, or raises ``NotApplicable`` saying why this run has nothing to show."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import HOP_MEASURES, Results, format_value, short

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


def _value_labels(column: pd.Series, parameter: str) -> pd.Series:
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
    data["facet"] = _value_labels(data[by], by) if by else ""
    note = ""
    if not varied:
        data["group"] = ""
    elif data[varied].drop_duplicates().shape[0] <= MAX_LEGEND:
        data["group"] = data[varied].apply(
            lambda row: ", ".join(f"{short(p)}={format_value(row[p])}" for p in varied), axis=1
        )
    else:
        top = max(varied, key=lambda p: _spread(results, p))
        data["group"] = _value_labels(data[top], top)
        others = [short(p) for p in varied if p != top]
        note = f" (averaged over {', '.join(others)})" if others else ""
    return data, note


def _order(data: pd.DataFrame, results: Results, column: str) -> list[str]:
    """Group or facet labels in the order of the parameter values."""
    varied = [p for p in results.varied() if p in data]
    return list(dict.fromkeys(data.sort_values(varied, kind="stable")[column])) if varied else [""]


def _hue(data: pd.DataFrame) -> str | None:
    return "group" if data["group"].nunique() > 1 else None


def _facets(data: pd.DataFrame, results: Results, width: float = 6.5, height: float = 4.4):
    """One panel per facet value (one row of panels), with their labels in order."""
    labels = _order(data, results, "facet")
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


def _mark_windows(ax, results: Results) -> None:
    for first, last, label in intervention_windows(results):
        ax.axvspan(first - 0.5, last + 0.5, color="#de8f05", alpha=0.15, linewidth=0, label=f"step: {label}")


def _steps(results: Results) -> pd.DataFrame:
    if results.steps.empty:
        raise NotApplicable("no per-step measures were kept (measures: none)")
    return results.tidy_steps()


def trust_trajectories(results: Results, by: str | None = None) -> Figure:
    """Mean trust over time per condition (95% CI across replications), and within vs across blocs;
    with ``by``, one panel per value of that parameter."""
    data = _steps(results)
    if "mean_trust" not in data:
        raise NotApplicable("mean_trust was not kept per step")
    data, note = grouping(results, data, by)
    if by:
        figure, panels = _facets(data, results)
        for label, ax in panels:
            _trajectory_panel(ax, data[data["facet"] == label], results, f"{label}{note}")
        figure.suptitle("Does trust recover or collapse under each condition?")
        figure.tight_layout()
        return figure
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    question = "Does trust recover or collapse" + (" under each condition?" if _hue(data) else "?")
    _trajectory_panel(left, data, results, question + note)
    kept = [c for c in ("trust_within_blocs", "trust_across_blocs") if c in data]
    blocs = data.melt(
        id_vars=["run_id", "step"], value_vars=kept, var_name="relation", value_name="trust"
    ).dropna()
    if blocs.empty:
        right.set_visible(False)
    else:
        blocs["relation"] = blocs["relation"].map(
            {"trust_within_blocs": "within blocs", "trust_across_blocs": "across blocs"}
        )
        single = results.kind == "run"
        sns.lineplot(
            data=blocs,
            x="step",
            y="trust",
            hue="relation",
            errorbar=None if single else ("ci", 95),
            n_boot=200,
            seed=0,
            ax=right,
        )
        right.set(
            xlabel="step", ylabel="mean trust (0-1)", title="Is the gap between and within blocs closing?"
        )
        right.legend(title=None)
    figure.tight_layout()
    return figure


def _trajectory_panel(ax, data: pd.DataFrame, results: Results, title: str) -> None:
    hue = _hue(data)
    single = results.kind == "run"
    sns.lineplot(
        data=data,
        x="step",
        y="mean_trust",
        hue=hue,
        hue_order=_order(data, results, "group") if hue else None,
        errorbar=None if single else ("ci", 95),
        n_boot=200,
        seed=0,
        ax=ax,
    )
    if single:
        _mark_windows(ax, results)
    ax.axhline(stats.recovery_threshold(results), color="grey", linewidth=0.8, linestyle="--")
    ax.set(xlabel="step", ylabel="mean trust (0-1)", ylim=(0, 1), title=title)
    if hue or (single and intervention_windows(results)):
        ax.legend(title=None, fontsize=8)


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


def propagation(results: Results) -> Figure:
    """Trust change in the initiator of a small step, one, two and three hops away, over time."""
    if results.kind == "sweep":
        paired = stats.paired_hop_effects(results)
        if paired is None:
            raise NotApplicable("needs a sweep with an `interventions.N.enabled` parameter (paired runs)")
        panels = list(paired.groupby("condition"))
        figure, axes = plt.subplots(
            1, len(panels), figsize=(6.5 * len(panels), 4.6), sharey=True, squeeze=False
        )
        for ax, (condition, frame) in zip(axes[0], panels, strict=True):
            sns.lineplot(
                data=frame,
                x="step",
                y="effect",
                hue="distance",
                errorbar=("ci", 95),
                n_boot=200,
                seed=0,
                ax=ax,
            )
            ax.axhline(0, color="grey", linewidth=0.8)
            ax.set(
                xlabel="step",
                ylabel="trust in the initiator: with step - without",
                title=condition or "all runs",
            )
            ax.legend(title="distance from initiator")
        figure.suptitle("How far does one state's small step carry? (paired runs, common random numbers)")
        figure.tight_layout()
        return figure
    network = results.manifest.get("network", {})
    initiator = network.get("initiator")
    if initiator is None:
        raise NotApplicable("the scenario schedules no step (no initiator)")
    if results.attribution is not None and not results.attribution.empty:
        frame = stats.attributed_hop_changes(results)
        figure, ax = plt.subplots(figsize=(8, 4.6))
        sns.lineplot(data=frame, x="step", y="change", hue="distance", ax=ax)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set(
            xlabel="step",
            ylabel=f"change in trust in {initiator} since the start\n(mean per state at that distance)",
            title=f"How far does {initiator}'s step carry? (attributed trust changes)",
        )
        ax.legend(title="distance from initiator")
        figure.tight_layout()
        return figure
    data = results.steps.melt(
        id_vars="step", value_vars=HOP_MEASURES, var_name="distance", value_name="trust"
    ).dropna()
    if data.empty:
        raise NotApplicable("no states one to three hops from the initiator")
    data["distance"] = data["distance"].map(stats.HOP_LABELS)
    figure, ax = plt.subplots(figsize=(8, 4.6))
    sns.lineplot(data=data, x="step", y="trust", hue="distance", ax=ax)
    ax.set(
        xlabel="step",
        ylabel=f"mean trust in {initiator} (0-1)",
        ylim=(0, 1),
        title=f"Does trust in {initiator} differ one, two and three hops away?",
    )
    figure.tight_layout()
    return figure


def hysteresis(results: Results) -> Figure:
    """Trust against a shared threat raised then lowered: the way back up is not the way down."""
    data = _steps(results)
    if "shared_threat" not in data:
        raise NotApplicable("shared_threat was not kept per step")
    threat = data.groupby("step")["shared_threat"].mean()
    change = np.sign(np.diff(threat.to_numpy()))
    if not ((change > 0).any() and (change < 0).any()):
        raise NotApplicable("needs a shared threat that rises and then falls (see configs/hysteresis.yaml)")
    trust = data.groupby("step")["mean_trust"].mean()
    peak = int(threat.to_numpy().argmax())
    figure, ax = plt.subplots(figsize=(7, 5))
    ax.plot(threat.iloc[: peak + 1], trust.iloc[: peak + 1], "-o", markersize=2, label="threat rising")
    ax.plot(threat.iloc[peak:], trust.iloc[peak:], "-o", markersize=2, label="threat falling")
    ax.set(
        xlabel="shared threat level",
        ylabel="mean trust (0-1)",
        ylim=(0, 1),
        title="Is the way back the way up? (hysteresis of congealed mistrust)",
    )
    ax.legend()
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
    figure, panels = _facets(data, results, width=8, height=4.6)
    colours = sns.color_palette(PALETTE, MAX_LEGEND)
    for label, ax in panels:
        frame = data[data["facet"] == label]
        groups = [g for g in _order(data, results, "group") if g in set(frame["group"])]
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


def action_mix(results: Results, by: str | None = None) -> Figure:
    """Shares of constructive, neutral and escalatory steps over time (per condition when the sweep
    varies something), and the self/other-view gap."""
    data = _steps(results)
    needed = ["share_constructive", "share_neutral", "share_escalatory"]
    if not set(needed) <= set(data):
        raise NotApplicable("action shares were not kept per step")
    data, note = grouping(results, data, by)
    hue = _hue(data)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6))
    colors = sns.color_palette(PALETTE)
    single = results.kind == "run"
    if hue:
        sns.lineplot(
            data=data,
            x="step",
            y="share_constructive",
            hue=hue,
            hue_order=_order(data, results, "group"),
            errorbar=("ci", 95),
            n_boot=200,
            seed=0,
            ax=left,
        )
        left.set(
            xlabel="step",
            ylabel="share of steps that are constructive",
            ylim=(0, 1),
            title=f"How often do states take constructive steps under each condition?{note}",
        )
        left.legend(title=None, fontsize=8)
    else:
        mean = data.groupby("step")[needed].mean()
        left.stackplot(
            mean.index,
            mean.T.to_numpy(),
            labels=["constructive", "neutral", "escalatory"],
            colors=[colors[2], colors[7], colors[3]],
            alpha=0.85,
        )
        left.set(
            xlabel="step",
            ylabel="share of steps",
            ylim=(0, 1),
            xlim=(mean.index.min(), mean.index.max()),
            title="What do states do?" + ("" if single else " (all runs)"),
        )
        left.legend(loc="upper right", fontsize=8)
    if "self_other_gap" in data:
        sns.lineplot(
            data=data,
            x="step",
            y="self_other_gap",
            hue=hue,
            hue_order=_order(data, results, "group") if hue else None,
            errorbar=None if single else ("ci", 95),
            n_boot=200,
            seed=0,
            ax=right,
        )
        right.set(
            xlabel="step",
            ylabel="self-view - other-view of steps taken",
            title="Countervailing rights: how much worse is a step read than meant?",
        )
        if hue:
            right.legend(title=None, fontsize=8)
    else:
        right.set_visible(False)
    figure.tight_layout()
    return figure


def dyad_trust(results: Results) -> Figure:
    """A single run's trust per directed dyad over time, with the intervention windows marked
    (up to MAX_LEGEND dyads by name; more are drawn faintly, with their mean and range)."""
    if results.kind != "run" or results.dyads is None or results.dyads.empty:
        raise NotApplicable("needs a single run that recorded its dyads (record.dyads: true)")
    dyads = results.dyads.assign(
        dyad=results.dyads["source"].astype(str) + " -> " + results.dyads["target"].astype(str)
    )
    figure, ax = plt.subplots(figsize=(9, 4.8))
    names = list(dict.fromkeys(dyads["dyad"]))
    if len(names) <= MAX_LEGEND:
        sns.lineplot(data=dyads, x="step", y="trust", hue="dyad", hue_order=names, errorbar=None, ax=ax)
    else:
        wide = dyads.pivot_table(index="step", columns="dyad", values="trust")
        ax.plot(wide.index, wide.to_numpy(), color="grey", alpha=0.1, linewidth=0.6)
        ax.plot(wide.index, wide.mean(axis=1), color="black", label=f"mean of {len(names)} dyads")
        ax.fill_between(
            wide.index, wide.min(axis=1), wide.max(axis=1), color="grey", alpha=0.15, label="range"
        )
    _mark_windows(ax, results)
    ax.axhline(stats.recovery_threshold(results), color="grey", linewidth=0.8, linestyle="--")
    ax.set(
        xlabel="step",
        ylabel="trust of source in target (0-1)",
        ylim=(0, 1),
        title="How does each side's trust in the other move? (one run; steps shaded)",
    )
    ax.legend(title=None, fontsize=8)
    figure.tight_layout()
    return figure


def sensitivity(results: Results) -> Figure:
    """Sobol' (first and total order) or Morris (mu*) indices with 95% intervals, one panel per
    outcome (final trust, P(recovery), time to recovery, peak crises: those that vary)."""
    table = stats.sensitivity_by_outcome(results)
    outcomes = list(dict.fromkeys(table["outcome"]))
    parameters = table["parameter"].nunique()
    figure, axes = plt.subplots(
        1,
        len(outcomes),
        figsize=(5.2 * len(outcomes) + 1, 0.45 * parameters + 2.5),
        squeeze=False,
        sharey=True,
    )
    measures = [c for c in ("S1", "ST", "mu_star") if c in table]
    kind = "Sobol'" if "S1" in table else "Morris"
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        indices = table[table["outcome"] == outcome]
        long = indices.melt(id_vars=["parameter"], value_vars=measures, var_name="index", value_name="value")
        conf = indices.melt(
            id_vars=["parameter"],
            value_vars=[f"{m}_conf" for m in measures],
            var_name="index",
            value_name="conf",
        )
        long["conf"] = conf["conf"].to_numpy()
        long["parameter"] = long["parameter"].map(short)
        sns.barplot(data=long, y="parameter", x="value", hue="index", ax=ax, errorbar=None)
        for bar, (_, row) in zip(ax.patches, long.iterrows(), strict=False):
            ax.errorbar(
                bar.get_x() + bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                xerr=row["conf"],
                fmt="none",
                color="black",
                capsize=2,
            )
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set(xlabel=f"{kind} index (95% CI)", ylabel="parameter", title=outcome)
    figure.suptitle("Which parameter moves each outcome most? (negative indices within their interval: 0)")
    figure.tight_layout()
    return figure


def tipping_points(results: Results) -> Figure:
    """Where along each swept parameter the probability of recovery crosses one half (bootstrap CI)."""
    points = stats.tipping_points(results)
    if points.empty:
        raise NotApplicable("needs a grid or list sweep over a numeric parameter with at least three values")
    runs = stats.outcomes(results)
    figure, axes = plt.subplots(1, len(points), figsize=(6 * len(points), 4.4), squeeze=False)
    for ax, (_, point) in zip(axes[0], points.iterrows(), strict=True):
        sns.lineplot(
            data=runs,
            x=point["parameter"],
            y="recovered",
            errorbar=("ci", 95),
            n_boot=200,
            seed=0,
            marker="o",
            ax=ax,
        )
        ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
        if np.isfinite(point["crossing"]):
            ax.axvline(point["crossing"], color="black")
            ax.axvspan(point["low"], point["high"], color="grey", alpha=0.2)
        ax.set(
            xlabel=short(point["parameter"]),
            ylabel="probability of recovery",
            ylim=(-0.02, 1.02),
            title=f"Where does recovery tip along {short(point['parameter'])}?\n{point['label']}",
        )
    figure.tight_layout()
    return figure


def _cell_grid(table: pd.DataFrame, column: str) -> tuple[np.ndarray, list, list]:
    wide = table.pivot(index="y", columns="x", values=column).sort_index().sort_index(axis=1)
    return wide.to_numpy(float), list(wide.columns), list(wide.index)


def _boundary(ax, table: pd.DataFrame, column: str, level: float) -> bool:
    """Draw where ``column`` crosses ``level`` (solid), and where its 95% bounds do (dashed): the
    tipping boundary and its uncertainty. Interpolated between cell centres; True if drawn."""
    drawn = False
    for name, style in ((column, "-"), (f"{column}_low", "--"), (f"{column}_high", "--")):
        grid, _, _ = _cell_grid(table, name)
        if np.nanmin(grid) < level < np.nanmax(grid):
            ax.contour(
                np.arange(grid.shape[1]) + 0.5,
                np.arange(grid.shape[0]) + 0.5,
                grid,
                levels=[level],
                colors="white" if style == "-" else "lightgrey",
                linewidths=2.5 if style == "-" else 1.2,
                linestyles=style,
            )
            drawn = drawn or style == "-"
    return drawn


def tipping_maps(results: Results) -> Figure:
    """P(recovery) over two swept parameters with 95% bootstrap intervals per cell and the tipping
    boundary (P = 1/2) drawn; with an on/off step, the step's paired effect over the same cells."""
    table = stats.tipping_map(results)
    x, y, switch = table.attrs["x"], table.attrs["y"], table.attrs["switch"]
    panels = [("p_recovery", "P(recovery)" + (" with the step" if switch else ""), "viridis", (0, 1))]
    if switch:
        bound = float(np.nanmax(np.abs(table[["effect_low", "effect_high"]].to_numpy()))) or 0.01
        panels.append(("effect", "paired effect of the step on final trust", "RdBu", (-bound, bound)))
    figure, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 5.6), squeeze=False)
    for ax, (column, label, cmap, (vmin, vmax)) in zip(axes[0], panels, strict=True):
        grid, xs, ys = _cell_grid(table, column)
        low, _, _ = _cell_grid(table, f"{column}_low")
        high, _, _ = _cell_grid(table, f"{column}_high")
        mesh = ax.pcolormesh(grid, cmap=cmap, vmin=vmin, vmax=vmax)
        figure.colorbar(mesh, ax=ax, label=label)
        if grid.size <= 64:
            spec = "+.2f" if column == "effect" else ".2f"
            for (i, j), value in np.ndenumerate(grid):
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    f"{value:{spec}}\n[{low[i, j]:{spec}}, {high[i, j]:{spec}}]",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if column == "effect" or value > 0.5 else "white",
                )
        _boundary(ax, table, "p_recovery", 0.5)
        ax.set_xticks(np.arange(len(xs)) + 0.5, [format_value(v) for v in xs])
        ax.set_yticks(np.arange(len(ys)) + 0.5, [format_value(v) for v in ys])
        ax.set(xlabel=short(x), ylabel=short(y), title=label)
    others = [short(p) for p in results.varied() if p not in (x, y, switch)]
    note = f" (pooled over {', '.join(others)})" if others else ""
    figure.suptitle(
        f"Where does recovery tip over ({short(x)}, {short(y)})? White: P(recovery) = 1/2, dashed: its "
        f"95% bounds{note}"
    )
    figure.tight_layout()
    return figure


def scenario_discovery(results: Results) -> Figure:
    """PRIM's peeling trajectory (coverage against density, by restricted dimensions), the box chosen
    marked, beside the extra-trees feature scores."""
    from trustsim.analysis.discovery import discover

    found = discover(results)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [3, 2]})
    trajectory = found.trajectory
    points = left.scatter(
        trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=30
    )
    figure.colorbar(points, ax=left, label="restricted parameters")
    chosen = trajectory.loc[found.chosen]
    left.scatter(
        [chosen["coverage"]], [chosen["density"]], marker="*", s=300, color="#d55e00", label="box chosen"
    )
    left.axvline(0.5, color="grey", linewidth=0.8, linestyle="--")
    left.set(
        xlabel="coverage (share of restored cases inside the box)",
        ylabel="density (share of the box's cases restored)",
        xlim=(0, 1.02),
        ylim=(0, 1.02),
        title="How sharply can PRIM bound where the step restored trust?",
    )
    left.legend(fontsize=8, loc="lower left")
    scores = found.scores.sort_values()
    right.barh(scores.index, scores.to_numpy(), color=sns.color_palette(PALETTE)[0])
    right.set(xlabel="extra-trees feature score", ylabel="parameter", title="Which parameters decide it?")
    figure.tight_layout()
    return figure


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
