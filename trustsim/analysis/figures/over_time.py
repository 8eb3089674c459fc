"""Charts over the steps of a run: trust per condition and between blocs, how far a step carries,
the hysteresis loop, the action mix and the trust of each dyad."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures.layout import (
    MAX_LEGEND,
    PALETTE,
    facets,
    group_lines,
    grouping,
    hue_of,
    intervention_windows,
    line,
    mark_windows,
    per_step,
)
from trustsim.analysis.load import HOP_MEASURES, Results


def trust_trajectories(results: Results, by: str | None = None) -> Figure:
    """Mean trust over time per condition (95% CI across replications), and within vs across blocs;
    with ``by``, one panel per value of that parameter."""
    data = per_step(results)
    if "mean_trust" not in data:
        raise NotApplicable("mean_trust was not kept per step")
    data, note = grouping(results, data, by)
    if by:
        figure, panels = facets(data, results)
        for label, ax in panels:
            _trajectory_panel(ax, data[data["facet"] == label], results, f"{label}{note}")
        figure.suptitle("Does trust recover or collapse under each condition?")
        figure.tight_layout()
        return figure
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    question = "Does trust recover or collapse" + (" under each condition?" if hue_of(data) else "?")
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
        line(right, blocs, "trust", hue="relation", bands=not single)
        right.set(
            xlabel="step", ylabel="mean trust (0-1)", title="Is the gap between and within blocs closing?"
        )
        right.legend(title=None)
    figure.tight_layout()
    return figure


def _trajectory_panel(ax, data: pd.DataFrame, results: Results, title: str) -> None:
    hue = hue_of(data)
    single = results.kind == "run"
    group_lines(ax, data, results, "mean_trust", bands=not single)
    if single:
        mark_windows(ax, results)
    ax.axhline(stats.recovery_threshold(results), color="grey", linewidth=0.8, linestyle="--")
    ax.set(xlabel="step", ylabel="mean trust (0-1)", ylim=(0, 1), title=title)
    if hue or (single and intervention_windows(results)):
        ax.legend(title=None, fontsize=8)


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
            line(ax, frame, "effect", hue="distance")
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
    data = per_step(results)
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


def action_mix(results: Results, by: str | None = None) -> Figure:
    """Shares of constructive, neutral and escalatory steps over time (per condition when the sweep
    varies something), and the self/other-view gap."""
    data = per_step(results)
    needed = ["share_constructive", "share_neutral", "share_escalatory"]
    if not set(needed) <= set(data):
        raise NotApplicable("action shares were not kept per step")
    data, note = grouping(results, data, by)
    hue = hue_of(data)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6))
    colors = sns.color_palette(PALETTE)
    single = results.kind == "run"
    if hue:
        group_lines(left, data, results, "share_constructive")
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
        group_lines(right, data, results, "self_other_gap", bands=not single)
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
    mark_windows(ax, results)
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
