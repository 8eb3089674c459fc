"""The live charts, drawn with Matplotlib (the library of Mesa's ``make_plot_component``) from the
model-level measures the model collects every step (``trustsim.model.records.MODEL_REPORTERS``).

One figure of four panels: trust (mean, within and across blocs, and the share of dyads
congealed), the action mix, mean posture, and trust in the initiator of a scheduled step one, two
and three relations away, its scheduled steps shaded; and ``CounterfactualCharts``, the run beside
the same run without its interventions. Each builds its figure once per model and only moves
its data on a step: building the axes and ticks is most of what a fresh figure costs. The live
charts go further (``LiveCharts.png``): their axes span the whole run from the start, so on a step
only the data are drawn again, over a saved image of the axes, titles and legends (Matplotlib's
blitting), and the image is encoded at once (docs/app.md, "Responsiveness").
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from PIL import Image

from trustsim.app.network import CONSTRUCTIVE_COLOUR, ESCALATORY_COLOUR, INITIATOR_COLOUR, NEUTRAL_COLOUR
from trustsim.app.viz_model import VizModel

SIZE_INCHES = (5.6, 5.6)
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
# Where the live axes that follow the data may end, so that they move (and the still part of the
# figure is drawn again, ``BlittedFigure.png``) only now and then: the difference axis at 0.02,
# 0.05, 0.1, 0.2, ...; the posture axis's top at 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, ... and its
# bottom at a multiple of 0.25.
DIFFERENCE_LIMITS = tuple(m * 10.0**e for e in range(-2, 3) for m in (2, 5, 10))
NICE_LIMITS = tuple(m * 10.0**e for e in range(-1, 3) for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
POSTURE_GRID = 0.25


def measure(model: VizModel, name: str) -> np.ndarray:
    """The collected values of a model-level measure, one per step."""
    return np.asarray(model.datacollector.model_vars.get(name, ()), dtype=float)


class BlittedFigure:
    """A figure drawn step after step as a PNG (``png``): what stays the same (axes, ticks, titles,
    legends: ``shows`` says what they show) is drawn once and kept as pixels; each step draws
    only the ``moving`` artists over them (Matplotlib's blitting), which are set animated so that a
    full draw leaves them out. The same pixels as the figure saved whole at ``PNG["dpi"]`` but for
    the data lying over the axes' frames."""

    def __init__(self, size: tuple[float, float]) -> None:
        self.figure = Figure(figsize=size, dpi=PNG["dpi"])
        self.canvas = FigureCanvasAgg(self.figure)
        self._background: tuple[tuple, object] | None = None  # (what it shows, the saved pixels)

    def update(self, model: VizModel) -> Figure:
        raise NotImplementedError

    def shows(self) -> tuple:
        """What the still part of the figure shows; it is drawn again when this changes."""
        return tuple(
            (axes.get_xlim(), axes.get_ylim(), axes.get_title(loc="left")) for axes in self.figure.axes
        )

    def moving(self) -> list:
        """The artists drawn again on every step."""
        return [
            artist for axes in self.figure.axes for artist in axes.get_children() if artist.get_animated()
        ]

    def png(self, model: VizModel) -> bytes:
        """The figure of the model's steps so far as a PNG image, its data drawn over its saved axes."""
        self.update(model)
        shows = self.shows()
        if self._background is None or self._background[0] != shows:
            self.canvas.draw()  # everything but the animated artists
            self._background = (shows, self.canvas.copy_from_bbox(self.figure.bbox))
        else:
            self.canvas.restore_region(self._background[1])
        for artist in self.moving():
            artist.axes.draw_artist(artist)
        size = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.save(out, format="png", **PNG["pil_kwargs"])
        return out.getvalue()


class LiveCharts(BlittedFigure):
    """The four panels of live charts: built once, then ``update``d with the model's steps.

    ``steps`` is the length of the run the x axes span (None: they grow with the run, as a figure
    for a report would). ``png`` draws a step as the page shows it."""

    def __init__(self, steps: int | None = None) -> None:
        super().__init__(SIZE_INCHES)
        self.steps = steps
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
        # Drawn again on every step; the rest is drawn only when it changes (``png``). Set after the
        # legends were made, so that their keys, copied from these lines, are drawn with the rest.
        for line in (*self.trust_lines.values(), self.posture_line, *self.spread_lines.values()):
            line.set_animated(True)

    def update(self, model: VizModel) -> Figure:
        """The figure showing the model's steps so far."""
        steps = np.arange(1, len(measure(model, "mean_trust")) + 1)
        self.trust.set_xlim(0, max(10, model.steps + 1) if self.steps is None else max(10, self.steps))
        for name, line in self.trust_lines.items():
            values = measure(model, name)
            line.set_data(steps, values / max(model.n_edges, 1) if name == "congealed_dyads" else values)

        for area in self.mix_areas:
            area.remove()
        shares = [np.nan_to_num(measure(model, name)) for name, _, _ in ACTION_MIX]
        colours = [colour for _, _, colour in ACTION_MIX]
        self.mix_areas = self.mix.stackplot(steps, shares, colors=colours) if len(steps) else []
        for area in self.mix_areas:
            area.set_animated(True)

        posture = measure(model, "mean_posture")
        self.posture_line.set_data(steps, posture)
        low, high = (np.nanmin(posture), np.nanmax(posture)) if len(steps) else (0.0, 2.0)
        pad = max(0.05, 0.15 * (high - low))
        low, high = max(0.0, low - pad), high + pad
        if self.steps is not None:  # the axis moves only now and then
            low = POSTURE_GRID * math.floor(low / POSTURE_GRID)
            high = next((top for top in NICE_LIMITS if top >= high * (1 - 1e-9)), high)
        self.posture.set_ylim(low, high)

        self._update_spread(model, steps)
        return self.figure

    def shows(self) -> tuple:
        shaded = tuple(patch.get_extents().bounds for patch in self.shaded)  # the scheduled steps
        return (*super().shows(), self.prompt.get_visible(), shaded)

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


class CounterfactualCharts(BlittedFigure):
    """The run with its interventions beside the same run without them (common random numbers):
    mean trust in both, and the difference with minus without, of mean trust and of trust in the
    initiator one, two and three relations away. Built once, then ``update``d like ``LiveCharts``
    (``steps`` likewise; its difference axis then moves in steps of 2, 5, 10 times a power of ten)."""

    def __init__(self, steps: int | None = None) -> None:
        super().__init__((5.6, 2.9))
        self.steps = steps
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
        for line in (self.with_line, self.without_line, *self.difference_lines.values()):
            line.set_animated(True)  # after the legends, as in LiveCharts

    def update(self, model: VizModel) -> Figure:
        assert model.without is not None
        with_trust, without_trust = measure(model, "mean_trust"), measure(model.without, "mean_trust")
        steps = np.arange(1, len(with_trust) + 1)
        self.both.set_xlim(0, max(10, model.steps + 1) if self.steps is None else max(10, self.steps))
        self.with_line.set_data(steps, with_trust)
        self.without_line.set_data(steps, without_trust)
        spread = []
        for name, line in self.difference_lines.items():
            change = difference(model, name)
            line.set_data(steps, change)
            spread.extend(change[np.isfinite(change)])
        top = max(0.02, float(np.max(np.abs(spread))) * 1.15 if spread else 0.02)
        if self.steps is not None:  # the next of DIFFERENCE_LIMITS: rarely redrawn
            top = next((t for t in DIFFERENCE_LIMITS if t >= top * (1 - 1e-9)), top)
        self.difference.set_ylim(-top, top)
        return self.figure


def difference(model: VizModel, name: str) -> np.ndarray:
    """A measure of the run minus the same measure of its counterfactual, step by step."""
    assert model.without is not None
    return measure(model, name) - measure(model.without, name)
