"""The relations network as SVG, written straight from the model's arrays.

Kept as SVG rather than Matplotlib for two measured reasons (docs/app.md, "Responsiveness"): a
step of a 200-state network is drawn in 0.04-0.08 s where Matplotlib took about 0.3 s, and every
edge half, arrow and node carries a hover tooltip (an SVG ``<title>``) that a raster image cannot.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from html import escape

import numpy as np

from trustsim.app.viz_model import VizModel
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL

KIND_NAMES = {CONSTRUCTIVE: "constructive", NEUTRAL: "neutral", ESCALATORY: "escalatory"}
COLOUR_MODES = ("bloc", "trust received", "trust in initiator")

TRUST_STOPS = ((0.0, (192, 57, 43)), (0.5, (160, 160, 160)), (1.0, (31, 95, 168)))  # red, grey, blue
CONSTRUCTIVE_COLOUR, ESCALATORY_COLOUR, NEUTRAL_COLOUR = "#16a34a", "#dc2626", "#c8c8c8"
INITIATOR_COLOUR = "#f5c518"
BLOC_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f")
FONT = "font-family='Roboto, Helvetica, Arial, sans-serif'"


def _scale_colours(t: np.ndarray) -> list[str]:
    low = t < 0.5
    share = np.where(low, t / 0.5, (t - 0.5) / 0.5)[:, None]
    a = np.where(low[:, None], TRUST_STOPS[0][1], TRUST_STOPS[1][1])
    b = np.where(low[:, None], TRUST_STOPS[1][1], TRUST_STOPS[2][1])
    rgb = np.rint(a + share * (b - a)).astype(int)
    return [f"#{r:02x}{g:02x}{b_:02x}" for r, g, b_ in rgb]


LEVELS = 1024  # trust is coloured to the nearest 1/1024: within one unit of each channel
_COLOURS = np.array(_scale_colours(np.linspace(0.0, 1.0, LEVELS + 1)))


def trust_colours(values: np.ndarray) -> list[str]:
    """Hex colours of trust values on the red (0) - grey (0.5) - blue (1) scale."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.5), 0.0, 1.0)
    return _COLOURS[np.rint(t * LEVELS).astype(np.int64)].tolist()


def _gradient(ident: str) -> str:
    stops = "".join(
        f"<stop offset='{at:g}' stop-color='#{r:02x}{g:02x}{b:02x}'/>" for at, (r, g, b) in TRUST_STOPS
    )
    return f"<linearGradient id='{ident}'>{stops}</linearGradient>"


WIDTH, HEIGHT = 560, 470  # the drawing's own units (the page scales it)


@dataclass(frozen=True)
class Geometry:
    """Where a model's network is drawn, the same on every step (the layout is fixed): worked out
    and written once per model, so that a step writes only what it changes (colours, widths,
    arrows, tooltips). The markup is most of what a step costs the page at 200 states."""

    scale: float  # of strokes and nodes, smaller for more states
    pos: np.ndarray  # node centres, n x 2
    start: np.ndarray  # each directed edge's end at its actor
    mid: np.ndarray  # and the middle of its relation
    halves: list[str]  # each edge's half as path data, in whole units
    arrows: list[str]  # each edge's arrowhead as polygon points
    pairs: np.ndarray  # one edge of each relation (src < dst)


_GEOMETRIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def geometry(model: VizModel) -> Geometry:
    """The model's ``Geometry``, computed on its first drawing."""
    if model not in _GEOMETRIES:
        n = model.n
        scale = max(0.35, min(1.0, math.sqrt(16 / n)))
        pad_x, pad_top, pad_bottom = 50, 44, 16
        pos = np.empty((n, 2))
        pos[:, 0] = pad_x + (model.layout[:, 0] + 1) / 2 * (WIDTH - 2 * pad_x)
        pos[:, 1] = pad_top + (1 - (model.layout[:, 1] + 1) / 2) * (HEIGHT - pad_top - pad_bottom)
        src, dst = model.src, model.dst
        start, mid = pos[src], (pos[src] + pos[dst]) / 2
        direction = pos[dst] - pos[src]
        direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
        normal = direction[:, ::-1] * np.array([-1.0, 1.0])
        size = 4.0 + 6.0 * scale
        centre = start + 0.55 * (mid - start)
        corners = (
            centre + direction * size,
            centre - direction * size * 0.35 + normal * size * 0.6,
            centre - direction * size * 0.35 - normal * size * 0.6,
        )
        _GEOMETRIES[model] = Geometry(
            scale,
            pos,
            start,
            mid,
            [f"M{x1:.0f} {y1:.0f}L{x2:.0f} {y2:.0f}" for (x1, y1), (x2, y2) in zip(start, mid, strict=True)],
            [" ".join(f"{c[i, 0]:.1f},{c[i, 1]:.1f}" for c in corners) for i in range(len(src))],
            np.flatnonzero(src < dst),
        )
    return _GEOMETRIES[model]


def network_svg(model: VizModel, colour_by: str = "bloc") -> str:
    """The relations network: each relation drawn as two halves, the half at a state's end coloured
    and weighted by that state's trust in the other; the last step's constructive and escalatory
    steps as arrowheads from actor to target; congealed dyads (hardness at or above
    ``trust.congealed_level``) dotted black; nodes sized by posture and coloured by bloc, by the
    trust they receive or by their trust in the initiator (ringed in gold)."""
    n = model.n
    width, height = WIDTH, HEIGHT
    shape = geometry(model)
    scale, pos, start, mid = shape.scale, shape.pos, shape.start, shape.mid
    src, dst = model.src, model.dst
    trust = model.trust_at(model.flat_src_dst)
    hardness = np.take(model.hardness.ravel(), model.flat_src_dst)
    congealed = hardness >= model.config.trust.congealed_level
    codes = [escape(code) for code in model.codes]
    kinds = model.catalog.kind[model.last.actions] if model.last is not None else np.zeros(len(src), int)
    escaped = [escape(name) for name in model.catalog.names]
    names = [escaped[a] for a in model.last.actions] if model.last is not None else None

    if colour_by == "trust in initiator" and model.initiator is not None:
        fill = trust_colours(model.trust_of(np.arange(n), model.initiator))
        fill[model.initiator] = INITIATOR_COLOUR
    elif colour_by == "trust received":
        fill = trust_colours(model.trust_received())
    else:
        colour_by = "bloc"
        palette = {b: BLOC_COLOURS[i % len(BLOC_COLOURS)] for i, b in enumerate(model.bloc_names)}
        fill = [palette[state.bloc] for state in model.states]
    legend, legend_height = _network_legend(model, colour_by, height, width)
    total = height + legend_height
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {total}' "
        f"preserveAspectRatio='xMidYMin meet' {FONT}>",
        f"<defs>{_gradient('trust-scale')}</defs>",
        f"<rect width='{width}' height='{total}' fill='white'/>",
    ]
    edge_width = (0.8 + 5.0 * trust) * scale
    colours = trust_colours(trust)

    def tip(i: int) -> str:
        text = f"{codes[src[i]]} → {codes[dst[i]]}: trust {trust[i]:.2f}"
        if congealed[i]:
            text += f"; congealed (hardness {hardness[i]:.2f})"
        if names is not None:
            text += f"; last step: {names[i]} ({KIND_NAMES[int(kinds[i])]})"
        return text

    def half(i: int) -> str:
        return f"<path d='{shape.halves[i]}' stroke='{colours[i]}' stroke-width='{edge_width[i]:.1f}'/>"

    # A relation's two halves share one tooltip with both directions: half the elements of one each.
    out.append("<g class='relations' stroke-linecap='round'>")
    for i in shape.pairs:
        j = model.rev[i]
        out.append(f"<g><title>{tip(i)}\n{tip(j)}</title>{half(i)}{half(j)}</g>")
    out.append("</g>")
    for i in np.flatnonzero(congealed):
        (x1, y1), (x2, y2) = start[i], mid[i]
        out.append(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='black' "
            "stroke-width='1.4' stroke-dasharray='3 3' pointer-events='none'/>"
        )
    if names is not None:
        # The arrows let the pointer through to their relation, whose tooltip names the step.
        out.append("<g class='steps' stroke='white' stroke-width='0.6' pointer-events='none'>")
        for code, colour in ((CONSTRUCTIVE, CONSTRUCTIVE_COLOUR), (ESCALATORY, ESCALATORY_COLOUR)):
            out.append(f"<g fill='{colour}'>")
            out.extend(f"<polygon points='{shape.arrows[i]}'/>" for i in np.flatnonzero(kinds == code))
            out.append("</g>")
        out.append("</g>")

    received = model.trust_received()
    if model.initiator is not None:
        in_initiator = model.trust_of(np.arange(n), model.initiator)
    radius = np.maximum(2.5, (4.0 + 7.0 * np.sqrt(np.clip(model.posture, 0.0, 9.0))) * scale)
    for i, state in enumerate(model.states):
        initiator = i == model.initiator
        ring = (
            f"stroke='{INITIATOR_COLOUR}' stroke-width='3.5'"
            if initiator
            else "stroke='white' stroke-width='1'"
        )
        tip = (
            f"{escape(state.name)} ({codes[i]}), bloc {escape(state.bloc)}, policy {escape(state.policy)}; "
            f"posture {model.posture[i]:.2f}; trust received {received[i]:.2f}"
        )
        if model.initiator is not None and not initiator:
            tip += f"; trust in {codes[model.initiator]} {in_initiator[i]:.2f}"
        out.append(
            f"<circle cx='{pos[i, 0]:.1f}' cy='{pos[i, 1]:.1f}' r='{radius[i]:.1f}' fill='{fill[i]}' {ring}>"
            f"<title>{tip}</title></circle>"
        )
    labelled = n <= 80
    if labelled:
        size = 13 if n <= 30 else 9
        texts = [escape(state.name) if n <= 30 else codes[i] for i, state in enumerate(model.states)]
        for (x, y, anchor), text in zip(
            place_labels(pos, radius, texts, size, (width, height)), texts, strict=True
        ):
            out.append(
                f"<text class='label' x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
                "stroke='white' stroke-width='3' paint-order='stroke' "
                f"pointer-events='none'>{text}</text>"
            )
    hidden = "" if labelled else f" ({n} states: hover for names)"
    out.append(
        f"<text x='10' y='22' font-size='16' font-weight='500'>{escape(model.config.name)}: "
        f"step {model.steps} of {model.config.steps}{hidden}</text>"
    )
    out.append(legend)
    out.append("</svg>")
    return "".join(out)


def _text_width(text: str, size: float) -> float:
    return 0.56 * size * len(text)  # a fair estimate for Roboto/Helvetica


LabelBox = tuple[float, float, float, float]  # left, top, right, bottom


def label_box(x: float, y: float, anchor: str, text: str, size: float) -> LabelBox:
    """The box a label drawn at baseline ``(x, y)`` with ``text-anchor`` ``anchor`` covers."""
    width = _text_width(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, y - 0.8 * size, left + width, y + 0.25 * size


def _overlap(a: LabelBox, b: LabelBox) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_labels(
    pos: np.ndarray, radius: np.ndarray, texts: list[str], size: float, canvas: tuple[float, float]
) -> list[tuple[float, float, str]]:
    """Where each node's label goes: above its node if that is free, else below, right or left (in
    that order), free meaning clear of the labels placed so far, of every node and of the canvas
    edge; the largest nodes are placed first. Where no place is free, the least covered one."""
    nodes = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(pos, radius, strict=True)]
    placed: list[LabelBox] = []
    where: list[tuple[float, float, str]] = [(0.0, 0.0, "middle")] * len(texts)
    width, height = canvas
    for i in sorted(range(len(texts)), key=lambda k: -radius[k]):
        (x, y), r = pos[i], radius[i]
        candidates = [
            (x, y - r - 3, "middle"),
            (x, y + r + 0.85 * size, "middle"),
            (x + r + 3, y + 0.3 * size, "start"),
            (x - r - 3, y + 0.3 * size, "end"),
            (x, y - r - 3 - size, "middle"),
            (x, y + r + 1.85 * size, "middle"),
        ]

        def covered(candidate: tuple[float, float, str], i: int = i) -> float:
            box = label_box(*candidate, texts[i], size)
            outside = max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1])
            outside += max(0.0, box[3] - height)
            clash = sum(_overlap(box, other) for other in placed)
            clash += sum(_overlap(box, node) for k, node in enumerate(nodes) if k != i)
            return clash + outside * size

        best = next((c for c in candidates if covered(c) == 0.0), None) or min(candidates, key=covered)
        where[i] = best
        placed.append(label_box(*best, texts[i], size))
    return where


def _network_legend(model: VizModel, colour_by: str, top: float, width: float) -> tuple[str, int]:
    """The legend under the network, in rows of keys that wrap at the width; and its height."""
    font = 12
    rows: list[list[tuple[str, str]]] = [
        [
            (
                "<rect x='{x}' y='{y0}' width='120' height='10' fill='url(#trust-scale)'/>"
                "<text x='{x}' y='{y1}' font-size='9'>0</text>"
                "<text x='{xm}' y='{y1}' font-size='9' text-anchor='middle'>0.5</text>"
                "<text x='{xe}' y='{y1}' font-size='9' text-anchor='end'>1</text>",
                "trust of the state at an edge half's end in the other",
            )
        ],
        [
            (f"<polygon points='{{x12}},{{yc}} {{x2}},{{yt}} {{x2}},{{yb}}' fill='{CONSTRUCTIVE_COLOUR}'/>",
             "constructive step"),
            (f"<polygon points='{{x12}},{{yc}} {{x2}},{{yt}} {{x2}},{{yb}}' fill='{ESCALATORY_COLOUR}'/>",
             "escalatory step"),
            ("<line x1='{x}' y1='{yc}' x2='{x14}' y2='{yc}' stroke='black' stroke-width='1.4' "
             "stroke-dasharray='3 3'/>", "congealed mistrust"),
            (f"<circle cx='{{x7}}' cy='{{yc}}' r='5' fill='none' stroke='{INITIATOR_COLOUR}' "
             "stroke-width='3'/>",
             "initiator"),
        ],
        [("", f"node size: posture; colour: {colour_by}{'' if colour_by == 'bloc' else ' (trust scale)'}")],
    ]  # fmt: skip
    if colour_by == "bloc":
        rows[-1] += [
            (f"<circle cx='{{x7}}' cy='{{yc}}' r='5' fill='{BLOC_COLOURS[i % len(BLOC_COLOURS)]}'/>", bloc)
            for i, bloc in enumerate(model.bloc_names)
        ]
    parts, y = ["<g>"], top + 4
    for row in rows:
        x = 10.0
        for icon, label in row:
            key = 0 if not icon else (128 if "url(#trust-scale)" in icon else 20)
            needed = key + _text_width(label, font) + 16
            if x > 10 and x + needed > width:
                x, y = 10.0, y + 20
            yc = y + 6
            parts.append(
                icon.format(x=x, x2=x + 2, x7=x + 7, x12=x + 12, x14=x + 14, xm=x + 60, xe=x + 120,
                            y0=y - 4, y1=y + 16, yc=yc, yt=yc - 5, yb=yc + 5)
                + f"<text x='{x + key:.0f}' y='{yc + 4}' font-size='{font}'>{escape(label)}</text>"
            )  # fmt: skip
            x += needed
        y += 26 if row is rows[0] else 20
    parts.append("</g>")
    return "".join(parts), int(y - top + 4)
