"""The live charts, drawn with Matplotlib (the library of Mesa's ``make_plot_component``) from the
model-level measures the model collects every step (``trustsim.model.records.MODEL_REPORTERS``).

One figure of four panels: trust (mean, within and across blocs, and the share of dyads
congealed), the action mix, mean posture, and trust in the initiator of a scheduled step one, two
and three relations away, its scheduled steps shaded; and ``CounterfactualCharts``, the run beside
the same run without its interventions. ``LiveCharts`` builds the figure once per
model and only moves its data on a step: building the axes and ticks is most of what a fresh
figure costs (docs/app.md, "Responsiveness").
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from trustsim.app.network import CONSTRUCTIVE_COLOUR, ESCALATORY_COLOUR, INITIATOR_COLOUR, NEUTRAL_COLOUR
from trustsim.app.viz_model import VizModel

SIZE_INCHES, DPI = (5.6, 5.6), 100
TRUST_LINES = (  # (measure, label, colour, line style); congealed dyads are shown as a share
    ("mean_trust", "mean", "#1f5fa8", "-"),
    ("trust_within_blocs", "within blocs", "#59a14f", "--"),
    ("trust_across_blocs", "across blocs", "#f28e2b", "-"),
    ("congealed_dyads", "congealed (share of dyads)", "black", ":"),
)
ACTION_MIX = (
    ("share_constructive", "constructive", CONSTRUCTIVE_COLOUR),
    ("share_neutral", "neutral", NEUTRAL_COLOUR),
    ("share_escalatory", "escalatory", ESCALATORY_COLOUR),
)
SPREAD = (  # trust in the initiator, by network distance from it
    ("trust_in_initiator_1hop", "1 away", "#1f5fa8"),
    ("trust_in_initiator_2hops", "2 away", "#5b8fd1"),
    ("trust_in_initiator_3hops", "3 away", "#a3c0e8"),
)
POSTURE_COLOUR = "#6b4c9a"
LEGEND = {"fontsize": 6.5, "frameon": False, "borderaxespad": 0.1, "handlelength": 1.6, "columnspacing": 0.8}
PNG = {"format": "png", "dpi": 80, "pil_kwargs": {"compress_level": 1}}  # fast to draw and to encode


def measure(model: VizModel, name: str) -> np.ndarray:
    """The collected values of a model-level measure, one per step."""
    return np.asarray(model.datacollector.model_vars.get(name, ()), dtype=float)


class LiveCharts:
    """The four panels of live charts: built once, then ``update``d with the model's steps."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
        self.figure.subplots_adjust(left=0.08, right=0.98, top=0.87, bottom=0.07, hspace=0.62, wspace=0.25)
        (self.trust, self.mix), (self.posture, self.spread) = self.figure.subplots(2, 2, sharex=True)
        self.trust_lines = {
            name: self.trust.plot([], [], style, color=colour, label=label, lw=1.5)[0]
            for name, label, colour, style in TRUST_LINES
        }
        self.posture_line = self.posture.plot([], [], color=POSTURE_COLOUR, label="mean over states", lw=1.5)[
            0
        ]
        self.spread_lines = {
            name: self.spread.plot([], [], color=colour, label=label, lw=1.5)[0]
            for name, label, colour in SPREAD
        }
        self.prompt = self.spread.text(
            0.5, 0.5, "schedule an intervention\nto follow its spread", transform=self.spread.transAxes,
            ha="center", va="center", fontsize=8, color="#666",
        )  # fmt: skip
        self.mix_areas: list = []
        self.shaded: list = []
        mix_keys = [Patch(color=colour, label=label) for _, label, colour in ACTION_MIX]
        for axes, title, handles in (
            (self.trust, "trust", None),
            (self.mix, "action mix (share of steps)", mix_keys),
            (self.posture, "posture", None),
            (self.spread, "trust in the initiator", None),
        ):
            axes.set_title(title, fontsize=9, loc="left", pad=24)
            axes.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            axes.yaxis.set_major_locator(MaxNLocator(4))
            axes.tick_params(labelsize=7, length=2)
            axes.set_ylim(0.0, 1.0)
            axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, **LEGEND)
        for axes in (self.posture, self.spread):
            axes.set_xlabel("step", fontsize=8)

    def update(self, model: VizModel) -> Figure:
        """The figure showing the model's steps so far."""
        steps = np.arange(1, len(measure(model, "mean_trust")) + 1)
        self.trust.set_xlim(0, max(10, model.steps + 1))
        for name, line in self.trust_lines.items():
            values = measure(model, name)
            line.set_data(steps, values / max(model.n_edges, 1) if name == "congealed_dyads" else values)

        for area in self.mix_areas:
            area.remove()
        shares = [np.nan_to_num(measure(model, name)) for name, _, _ in ACTION_MIX]
        colours = [colour for _, _, colour in ACTION_MIX]
        self.mix_areas = self.mix.stackplot(steps, shares, colors=colours) if len(steps) else []

        posture = measure(model, "mean_posture")
        self.posture_line.set_data(steps, posture)
        low, high = (np.nanmin(posture), np.nanmax(posture)) if len(steps) else (0.0, 2.0)
        pad = max(0.05, 0.15 * (high - low))
        self.posture.set_ylim(max(0.0, low - pad), high + pad)

        self._update_spread(model, steps)
        return self.figure

    def _update_spread(self, model: VizModel, steps: np.ndarray) -> None:
        for patch in self.shaded:
            patch.remove()
        self.shaded = []
        following = model.initiator is not None and model.initiator_since is not None
        self.prompt.set_visible(not following)
        if not following:
            self.spread.set_title("trust in the initiator", fontsize=9, loc="left", pad=24)
            for line in self.spread_lines.values():
                line.set_data([], [])
            return
        code = model.codes[model.initiator]
        self.spread.set_title(f"trust in {code}, the initiator", fontsize=9, loc="left", pad=24)
        x_max = max(10, model.steps + 1)
        for item in model.config.interventions:
            if item.action is not None and item.enabled and item.actor == code:
                end = min(item.step + item.duration - 0.5, x_max)
                self.shaded.append(
                    self.spread.axvspan(item.step - 0.5, end, color=INITIATOR_COLOUR, alpha=0.35, lw=0)
                )
        keep = steps >= model.initiator_since
        for name, line in self.spread_lines.items():
            line.set_data(steps[keep], measure(model, name)[keep])


def charts_figure(model: VizModel) -> Figure:
    """The live charts of the model's steps so far, in a new figure."""
    return LiveCharts().update(model)


DIFFERENCES = (("mean_trust", "mean trust", "black"), *SPREAD)


class CounterfactualCharts:
    """The run with its interventions beside the same run without them (common random numbers):
    mean trust in both, and the difference with minus without, of mean trust and of trust in the
    initiator one, two and three relations away. Built once, then ``update``d like ``LiveCharts``."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(5.6, 2.9), dpi=DPI)
        self.figure.subplots_adjust(left=0.09, right=0.98, top=0.75, bottom=0.17, wspace=0.3)
        self.both, self.difference = self.figure.subplots(1, 2, sharex=True)
        self.with_line = self.both.plot([], [], color="#1f5fa8", lw=1.5, label="with")[0]
        self.without_line = self.both.plot([], [], color="#888", lw=1.5, ls="--", label="without")[0]
        self.difference.axhline(0.0, color="#999", lw=0.8)
        self.difference_lines = {
            name: self.difference.plot([], [], color=colour, lw=1.5, label=label)[0]
            for name, label, colour in DIFFERENCES
        }
        for axes, title in ((self.both, "mean trust"), (self.difference, "with minus without")):
            axes.set_title(title, fontsize=9, loc="left", pad=22)
            axes.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            axes.yaxis.set_major_locator(MaxNLocator(4))
            axes.tick_params(labelsize=7, length=2)
            axes.set_xlabel("step", fontsize=8)
            axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, **LEGEND)
        self.both.set_ylim(0.0, 1.0)

    def update(self, model: VizModel) -> Figure:
        assert model.without is not None
        with_trust, without_trust = measure(model, "mean_trust"), measure(model.without, "mean_trust")
        steps = np.arange(1, len(with_trust) + 1)
        self.both.set_xlim(0, max(10, model.steps + 1))
        self.with_line.set_data(steps, with_trust)
        self.without_line.set_data(steps, without_trust)
        spread = []
        for name, line in self.difference_lines.items():
            change = difference(model, name)
            line.set_data(steps, change)
            spread.extend(change[np.isfinite(change)])
        top = max(0.02, float(np.max(np.abs(spread))) * 1.15 if spread else 0.02)
        self.difference.set_ylim(-top, top)
        return self.figure


def difference(model: VizModel, name: str) -> np.ndarray:
    """A measure of the run minus the same measure of its counterfactual, step by step."""
    assert model.without is not None
    return measure(model, name) - measure(model.without, name)
