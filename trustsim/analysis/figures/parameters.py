"""Charts over the swept parameters: sensitivity indices, tipping points and maps, and scenario
discovery."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures.layout import PALETTE, line
from trustsim.analysis.load import Results, format_value, short


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
        line(ax, runs, "recovered", x=point["parameter"], marker="o")
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
