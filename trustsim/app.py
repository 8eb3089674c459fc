"""The browser app: trustsim on Mesa's SolaraViz (``trustsim viz``; see docs/app.md).

What it shows: the relations network (nodes coloured by bloc, by the trust they receive or by their
trust in an intervention's initiator, sized by posture, labelled with names; each edge drawn as two
halves, the half at a state's end coloured and weighted by that state's trust in the other; the
last step's constructive and escalatory steps as arrows; congealed dyads dotted), live charts of
the model-level measures, sliders for the main parameters, a scenario picker and a panel to
schedule an intervention in the running model.

The sliders are derived from the config schema (``trustsim/config/schema.py``): ``SLIDER_FIELDS``
only names which fields get one; label, type, bounds and the starting value (the scenario's own)
come from the schema and the scenario. Reset rebuilds the model from the scenario file with the
slider values applied as ``--set`` overrides would be, through the same loader and validation.
"""

# Solara components are named like classes (Page, NetworkView, ...):
# ruff: noqa: N802
from __future__ import annotations

import json
import math
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, cast

import mesa.visualization.solara_viz as mesa_solara_viz
import networkx as nx
import numpy as np
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import force_update, update_counter
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from trustsim.config.loading import (
    CONFIG_DIR,
    ConfigError,
    apply_override,
    parse_override,
    read_yaml,
    resolve_config_path,
    scenario_from_dict,
    shipped_scenarios,
)
from trustsim.config.schema import Intervention, Scenario
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL
from trustsim.model.model import TrustModel
from trustsim.model.records import congealed_dyads, mean_trust

# The main trust and policy parameters that get a slider (or a checkbox): dotted paths into the
# schema. Everything else about a control is read from the schema field at that path.
SLIDER_FIELDS: tuple[str, ...] = (
    "trust.negativity_bias",
    "trust.congeal_threshold",
    "trust.congeal_rate",
    "trust.learning_rate",
    "perception.noise",
    "propagation.observation_weight",
    "propagation.alliance_weight",
    "altered_agenda.enabled",
    "altered_agenda.gain",
    "policy_params.grit.step_size",
    "policy_params.grit.persistence",
)

SCENARIO_ENV = "TRUSTSIM_VIZ_SCENARIO"  # set by `trustsim viz`: the scenario to open with
OVERRIDES_ENV = "TRUSTSIM_VIZ_SET"  # ... and its --set overrides, as a JSON list
DEFAULT_SCENARIO = "europe"

COLOUR_MODES = ("bloc", "trust received", "trust in initiator")
KIND_NAMES = {CONSTRUCTIVE: "constructive", NEUTRAL: "neutral", ESCALATORY: "escalatory"}


# -- scenarios -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """An entry of the scenario picker: a scenario file and the ``--set`` overrides it opens with."""

    label: str
    path: Path
    overrides: tuple[str, ...] = ()


def scenario_choices() -> dict[str, Choice]:
    """The picker's entries: the scenario ``trustsim viz`` was started with (if it is not one of
    them, or comes with overrides), then every scenario in configs/."""
    choices: dict[str, Choice] = {}
    start = os.environ.get(SCENARIO_ENV)
    if start:
        overrides = tuple(json.loads(os.environ.get(OVERRIDES_ENV) or "[]"))
        path = resolve_config_path(start)
        name = path.stem if path.resolve().parent == CONFIG_DIR.resolve() else str(path)
        label = name + (f" ({' '.join(overrides)})" if overrides else "")
        choices[label] = Choice(label, path, overrides)
    for path in shipped_scenarios():
        choices.setdefault(path.stem, Choice(path.stem, path))
    return choices


def initial_choice() -> str:
    choices = scenario_choices()
    return next(iter(choices)) if os.environ.get(SCENARIO_ENV) else DEFAULT_SCENARIO


def build_scenario(
    choice: str, seed: int | str | None = None, params: Mapping[str, Any] | None = None
) -> Scenario:
    """The scenario of a picker entry (or a scenario name or path) with the seed and the slider
    values applied as overrides and validated by the loader. The app records only what it shows
    (model-level measures), not the per-dyad rows."""
    entry = scenario_choices().get(choice) or Choice(choice, resolve_config_path(choice))
    data = read_yaml(entry.path)
    for text in entry.overrides:
        keys, value = parse_override(text)
        apply_override(data, keys, value, text)
    for key, value in (params or {}).items():
        apply_override(data, key.split("."), value, f"{key}={value}")
    if seed is not None and str(seed).strip() != "":
        text = str(seed).strip()
        if not text.isdigit():
            raise ConfigError(f"{entry.path}: seed: must be a whole number >= 0 (got {text!r})")
        data["seed"] = int(text)
    data["record"] = {**(data.get("record") or {}), "model": True, "dyads": False, "attribution": False}
    return scenario_from_dict(data, f"{entry.path} (in the app)")


# -- parameters from the schema --------------------------------------------------------------------


def _section_class(annotation: Any) -> type[BaseModel]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    raise TypeError(f"{annotation!r} is not a config section")


def schema_field(path: str) -> FieldInfo:
    """The schema's field at a dotted path, e.g. ``trust.negativity_bias``."""
    section: type[BaseModel] = Scenario
    *sections, name = path.split(".")
    for part in sections:
        section = _section_class(section.model_fields[part].annotation)
    return section.model_fields[name]


def scenario_value(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in field.metadata:
        low = getattr(item, "ge", getattr(item, "gt", low))
        high = getattr(item, "le", getattr(item, "lt", high))
    return low, high


def control_label(path: str) -> str:
    """``policy_params.grit.step_size`` -> ``grit: step size``."""
    *sections, name = path.split(".")
    section = sections[-1].replace("_", " ") if sections else ""
    return f"{section}: {name.replace('_', ' ')}" if section else name.replace("_", " ")


def control_for(path: str, value: Any) -> Slider | dict[str, Any]:
    """A Mesa user input for the schema field at ``path``, starting at ``value``.

    Bounds are the schema's; a field unbounded above gets max(1, 4 x its default, 2 x value), and an
    integer field whose bound is far above its default is shown up to max(20, 10 x default) (the
    schema's bound still validates what is set). Floats move in round steps of at most a hundredth
    of the range (``slider_step``)."""
    field = schema_field(path)
    label = control_label(path)
    kind = field.annotation
    if kind is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if kind not in (int, float):
        raise TypeError(f"{path}: no slider for a field of type {kind!r}")
    low, high = _bounds(field)
    default = field.default if isinstance(field.default, int | float) else value
    low = 0 if low is None else low
    if high is None:
        high = max(1.0, 4 * default, 2 * value)
    if kind is int:
        shown = max(20, 10 * int(default), int(value))
        return Slider(label, int(value), int(low), int(min(high, shown)), 1, dtype=int)
    return Slider(label, float(value), float(low), float(high), slider_step(high - low), dtype=float)


def slider_step(span: float) -> float:
    """The round step (1, 2 or 5 times a power of ten) that cuts ``span`` into about 100 or fewer."""
    magnitude = 10 ** math.floor(math.log10(span / 100))
    return float(next(round(m * magnitude, 12) for m in (1, 2, 5, 10) if m * magnitude >= span / 100 - 1e-12))


def model_params(scenario: Scenario, choice: str) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the picker entry (fixed), the seed, and one control per
    ``SLIDER_FIELDS`` entry, each starting at the scenario's value."""
    params: dict[str, Any] = {
        "scenario_name": choice,
        "seed": {"type": "InputText", "value": str(scenario.seed), "label": "seed"},
    }
    for path in SLIDER_FIELDS:
        params[path] = control_for(path, scenario_value(scenario, path))
    return params


def parameter_help() -> list[tuple[str, str]]:
    """(label, description) of every control, from the schema."""
    return [(control_label(path), schema_field(path).description or "") for path in SLIDER_FIELDS]


# -- the model as the app runs it ------------------------------------------------------------------

_LAYOUTS: dict[tuple, np.ndarray] = {}


def network_layout(graph: nx.Graph) -> np.ndarray:
    """Node positions (n x 2), computed once per graph and cached: a force-directed layout costs
    seconds at a few hundred states, so it is never recomputed on a step or a Reset."""
    key = (graph.number_of_nodes(), tuple(sorted(tuple(sorted(e)) for e in graph.edges)))
    if key not in _LAYOUTS:
        n = graph.number_of_nodes()
        if n <= 40:
            pos = nx.kamada_kawai_layout(graph) if nx.is_connected(graph) else nx.spring_layout(graph, seed=1)
        else:
            pos = nx.spring_layout(graph, seed=1, iterations=60)
        xy = np.array([pos[i] for i in range(n)], dtype=float)
        xy -= xy.mean(axis=0)
        xy /= max(np.abs(xy).max(), 1e-9)
        if len(_LAYOUTS) >= 64:  # a new seed can draw a new network: keep the latest 64
            del _LAYOUTS[next(iter(_LAYOUTS))]
        _LAYOUTS[key] = xy
    return _LAYOUTS[key]


class VizModel(TrustModel):
    """``TrustModel`` built the way SolaraViz builds models: from keyword arguments.

    ``scenario_name`` is a picker entry (or a scenario name or path), ``seed`` the seed, and every
    other keyword a dotted config path with its value (the sliders). Mesa's Reset also passes its
    own ``scenario`` (an empty Mesa experiment scenario); it is not ours and is ignored. A seed that
    is not a whole number keeps the scenario's and says so in ``problem`` (shown on the page) rather
    than failing the Reset. The model stops at the scenario's ``steps``.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: int | str | None = None, **params: Any):
        params.pop("scenario", None)
        self.choice = scenario_name
        self.problem = ""
        if seed is not None and not str(seed).strip().isdigit() and str(seed).strip() != "":
            self.problem = f"seed {str(seed).strip()!r} is not a whole number >= 0: kept the scenario's"
            seed = None
        super().__init__(build_scenario(scenario_name, seed, params))
        self.layout = network_layout(self.grid.G)
        self.bloc_names = list(np.unique([state.bloc for state in self.states]))
        self.initiator_since = 1 if self.initiator is not None else None

    def step(self) -> None:
        super().step()
        if self.steps >= self.config.steps:
            self.running = False

    def trust_received(self) -> np.ndarray:
        """Mean trust each state's partners place in it (``State.trust_received``, for all states)."""
        received = np.bincount(self.dst, weights=self.trust[self.src, self.dst], minlength=self.n)
        count = np.bincount(self.dst, minlength=self.n)
        return np.divide(received, count, out=np.full(self.n, np.nan), where=count > 0)

    def partners(self, code: str) -> list[str]:
        return [self.codes[j] for j in self.neighbours(self.codes.index(code))]

    def schedule(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        step: int | None = None,
        duration: int = 1,
        declared: bool = False,
    ) -> Intervention:
        """Schedule ``actor``'s ``action`` toward ``target`` (None: every partner) from ``step``
        (default: the next one) in the running model, as a scenario's ``interventions`` entry would,
        and follow its spread: the actor becomes the initiator of the ``trust_in_initiator_*``
        measures."""
        step = self.steps + 1 if step is None else int(step)
        item = Intervention(
            step=step, actor=actor, action=action, target=target, duration=duration, declared=declared
        )
        if actor not in self.codes:
            raise ConfigError(f"intervention: no state {actor!r}")
        if target is not None and target not in self.partners(actor):
            raise ConfigError(f"intervention: {target} is not a partner of {actor}")
        if action not in self.catalog.names:
            raise ConfigError(f"intervention: unknown action {action!r}")
        if not self.steps < step <= self.config.steps:
            raise ConfigError(
                f"intervention: step must be between {self.steps + 1} and {self.config.steps} (got {step})"
            )
        self.config.interventions.append(item)
        self._scheduled = self._schedule_interventions()
        self.initiator = self.codes.index(actor)
        self.hops = np.full(self.n, -1)
        for node, distance in nx.single_source_shortest_path_length(self.grid.G, self.initiator).items():
            self.hops[node] = distance
        self.initiator_since = self.steps + 1
        return item


# -- drawing ---------------------------------------------------------------------------------------
#
# Both views are SVG written straight from the model's arrays: a step of a 200-state network is
# drawn in milliseconds (Matplotlib took 0.3-0.8 s per step here), the browser scales it to the
# panel, and every edge half, arrow and node carries a hover tooltip (an SVG <title>).

TRUST_STOPS = ((0.0, (192, 57, 43)), (0.5, (160, 160, 160)), (1.0, (31, 95, 168)))  # red, grey, blue
CONSTRUCTIVE_COLOUR, ESCALATORY_COLOUR, NEUTRAL_COLOUR = "#16a34a", "#dc2626", "#c8c8c8"
INITIATOR_COLOUR = "#f5c518"
BLOC_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f")
FONT = "font-family='Roboto, Helvetica, Arial, sans-serif'"


def trust_colours(values: np.ndarray) -> list[str]:
    """Hex colours of trust values on the red (0) - grey (0.5) - blue (1) scale."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.5), 0.0, 1.0)
    low = t < 0.5
    share = np.where(low, t / 0.5, (t - 0.5) / 0.5)[:, None]
    a = np.where(low[:, None], TRUST_STOPS[0][1], TRUST_STOPS[1][1])
    b = np.where(low[:, None], TRUST_STOPS[1][1], TRUST_STOPS[2][1])
    rgb = np.rint(a + share * (b - a)).astype(int)
    return [f"#{r:02x}{g:02x}{b_:02x}" for r, g, b_ in rgb]


def _gradient(ident: str) -> str:
    stops = "".join(
        f"<stop offset='{at:g}' stop-color='#{r:02x}{g:02x}{b:02x}'/>" for at, (r, g, b) in TRUST_STOPS
    )
    return f"<linearGradient id='{ident}'>{stops}</linearGradient>"


def network_svg(model: VizModel, colour_by: str = "bloc") -> str:
    """The relations network: each relation drawn as two halves, the half at a state's end coloured
    and weighted by that state's trust in the other; the last step's constructive and escalatory
    steps as arrowheads from actor to target; congealed dyads (hardness at or above
    ``trust.congealed_level``) dotted black; nodes sized by posture and coloured by bloc, by the
    trust they receive or by their trust in the initiator (ringed in gold)."""
    n = model.n
    width, height = 560, 470
    scale = max(0.35, min(1.0, math.sqrt(16 / n)))
    pad_x, pad_top, pad_bottom = 50, 44, 16
    pos = np.empty((n, 2))
    pos[:, 0] = pad_x + (model.layout[:, 0] + 1) / 2 * (width - 2 * pad_x)
    pos[:, 1] = pad_top + (1 - (model.layout[:, 1] + 1) / 2) * (height - pad_top - pad_bottom)
    src, dst = model.src, model.dst
    start, mid = pos[src], (pos[src] + pos[dst]) / 2
    trust = model.trust[src, dst]
    hardness = model.hardness[src, dst]
    congealed = hardness >= model.config.trust.congealed_level
    codes = [escape(code) for code in model.codes]
    kinds = model.catalog.kind[model.last.actions] if model.last is not None else np.zeros(len(src), int)
    names = [escape(model.catalog.names[a]) for a in model.last.actions] if model.last is not None else None

    if colour_by == "trust in initiator" and model.initiator is not None:
        fill = trust_colours(model.trust[:, model.initiator])
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
    for i in range(len(src)):
        tip = f"{codes[src[i]]} → {codes[dst[i]]}: trust {trust[i]:.2f}"
        if congealed[i]:
            tip += f"; congealed (hardness {hardness[i]:.2f})"
        if names is not None:
            tip += f"; last step: {names[i]} ({KIND_NAMES[int(kinds[i])]})"
        (x1, y1), (x2, y2) = start[i], mid[i]
        out.append(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{colours[i]}' "
            f"stroke-width='{edge_width[i]:.2f}' stroke-linecap='round'><title>{tip}</title></line>"
        )
    for i in np.flatnonzero(congealed):
        (x1, y1), (x2, y2) = start[i], mid[i]
        out.append(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='black' "
            "stroke-width='1.4' stroke-dasharray='3 3' pointer-events='none'/>"
        )
    if names is not None:
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
        for code, colour in ((CONSTRUCTIVE, CONSTRUCTIVE_COLOUR), (ESCALATORY, ESCALATORY_COLOUR)):
            for i in np.flatnonzero(kinds == code):
                points = " ".join(f"{c[i, 0]:.1f},{c[i, 1]:.1f}" for c in corners)
                out.append(
                    f"<polygon points='{points}' fill='{colour}' stroke='white' stroke-width='0.6'>"
                    f"<title>{codes[src[i]]} → {codes[dst[i]]}: {names[i]} ({KIND_NAMES[code]})</title>"
                    "</polygon>"
                )

    received = model.trust_received()
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
            tip += f"; trust in {codes[model.initiator]} {model.trust[i, model.initiator]:.2f}"
        out.append(
            f"<circle cx='{pos[i, 0]:.1f}' cy='{pos[i, 1]:.1f}' r='{radius[i]:.1f}' fill='{fill[i]}' {ring}>"
            f"<title>{tip}</title></circle>"
        )
    labelled = n <= 80
    if labelled:
        size = 13 if n <= 30 else 9
        for i, state in enumerate(model.states):
            text = escape(state.name) if n <= 30 else codes[i]
            out.append(
                f"<text x='{pos[i, 0]:.1f}' y='{pos[i, 1] - radius[i] - 3:.1f}' font-size='{size}' "
                "text-anchor='middle' stroke='white' stroke-width='3' paint-order='stroke' "
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


def nice_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    """About ``count`` round tick values covering [low, high] (whole numbers if ``integer``)."""
    span = max(high - low, 1e-9)
    raw = max(span / count, 1.0) if integer else span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in factors if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step + 1e-9) + 1)]


CHART_FONT = {"title": 13, "tick": 10, "key": 10}


@dataclass
class _Panel:
    """One chart: data coordinates (steps, values) mapped to its box in the SVG."""

    x: float
    y: float
    w: float
    h: float
    x_max: float
    y_min: float = 0.0
    y_max: float = 1.0

    def px(self, xs: Any) -> np.ndarray:
        return self.x + np.asarray(xs, dtype=float) / self.x_max * self.w

    def py(self, ys: Any) -> np.ndarray:
        span = max(self.y_max - self.y_min, 1e-9)
        return self.y + self.h - (np.asarray(ys, dtype=float) - self.y_min) / span * self.h

    def frame(self, title: str, keys: list[tuple[str, str, str]]) -> list[str]:
        """Title, keys (wrapped to the panel's width) above the box, grid, ticks and the box."""
        font = CHART_FONT["key"]
        rows: list[list[tuple[float, tuple[str, str, str]]]] = [[]]
        x = 0.0
        for key in keys:
            needed = 20 + _text_width(key[0], font) + 10
            if x > 0 and x + needed > self.w:
                rows.append([])
                x = 0.0
            rows[-1].append((x, key))
            x += needed
        parts = []
        for r, row in enumerate(rows):
            y = self.y - 8 - 14 * (len(rows) - 1 - r)
            for x, (label, colour, dash) in row:
                style = f" stroke-dasharray='{dash}'" if dash else ""
                parts.append(
                    f"<line x1='{self.x + x:.0f}' x2='{self.x + x + 15:.0f}' y1='{y - 4}' y2='{y - 4}' "
                    f"stroke='{colour}' stroke-width='3'{style}/><text x='{self.x + x + 19:.0f}' y='{y}' "
                    f"font-size='{font}'>{escape(label)}</text>"
                )
        title_y = self.y - 12 - 14 * len(rows)
        parts.append(
            f"<text x='{self.x}' y='{title_y}' font-size='{CHART_FONT['title']}' font-weight='500'>"
            f"{escape(title)}</text>"
        )
        tick = CHART_FONT["tick"]
        for value in nice_ticks(self.y_min, self.y_max, 4):
            y = float(self.py(value))
            parts.append(
                f"<line x1='{self.x}' x2='{self.x + self.w}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e5e5e5'/>"
                f"<text x='{self.x - 4}' y='{y + 3:.1f}' font-size='{tick}' "
                f"text-anchor='end'>{value:g}</text>"
            )
        for value in nice_ticks(0, self.x_max, 4, integer=True):
            x = float(self.px(value))
            parts.append(
                f"<text x='{x:.1f}' y='{self.y + self.h + 13}' font-size='{tick}' "
                f"text-anchor='middle'>{value:g}</text>"
            )
        parts.append(
            f"<rect x='{self.x}' y='{self.y}' width='{self.w}' height='{self.h}' fill='none' stroke='#999'/>"
        )
        return parts

    def line(
        self, steps: np.ndarray, values: np.ndarray, colour: str, label: str, dash: str = ""
    ) -> list[str]:
        """A polyline broken at NaN, with the latest value in its tooltip."""
        values = np.asarray(values, dtype=float)
        xs, ys = self.px(steps), self.py(np.clip(values, self.y_min, self.y_max))
        finite = np.isfinite(values)
        last = f"{values[finite][-1]:.3f}" if finite.any() else "n/a"
        style = f" stroke-dasharray='{dash}'" if dash else ""
        parts = []
        for run in np.split(np.arange(len(values)), np.flatnonzero(~finite)):
            run = run[finite[run]]
            if len(run) == 1:
                parts.append(f"<circle cx='{xs[run[0]]:.1f}' cy='{ys[run[0]]:.1f}' r='2' fill='{colour}'/>")
            elif len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[run], ys[run], strict=True))
                parts.append(
                    f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='2'{style}>"
                    f"<title>{escape(label)}: {last}</title></polyline>"
                )
        return parts


def charts_svg(model: VizModel) -> str:
    """Live charts: trust (mean, within and across blocs, share of dyads congealed), the action mix,
    mean posture, and trust in the initiator one, two and three relations away."""
    data = model.datacollector.model_vars
    count = len(data.get("mean_trust", ()))
    steps = np.arange(1, count + 1)

    def series(name: str) -> np.ndarray:
        return np.asarray(data.get(name, ())[:count], dtype=float)

    width, height = 520, 540
    x_max = max(10, model.steps + 1)
    left, right, top, gap_x, gap_y, bottom = 34, 8, 62, 40, 92, 34
    w = (width - left - right - gap_x) / 2
    h = (height - top - gap_y - bottom) / 2
    trust_panel = _Panel(left, top, w, h, x_max)
    mix_panel = _Panel(left + w + gap_x, top, w, h, x_max)
    posture = series("mean_posture")
    low, high = (float(np.nanmin(posture)), float(np.nanmax(posture))) if count else (0.0, 2.0)
    pad = max(0.05, 0.15 * (high - low))
    posture_panel = _Panel(left, top + h + gap_y, w, h, x_max, max(0.0, low - pad), high + pad)
    spread_panel = _Panel(left + w + gap_x, top + h + gap_y, w, h, x_max)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"preserveAspectRatio='xMidYMin meet' {FONT}>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
    ]
    trust_lines = (
        ("mean", "#1f5fa8", series("mean_trust"), ""),
        ("within blocs", "#59a14f", series("trust_within_blocs"), "5 3"),
        ("across blocs", "#f28e2b", series("trust_across_blocs"), ""),
        ("congealed", "black", series("congealed_dyads") / max(model.n_edges, 1), "2 2"),
    )
    out += trust_panel.frame("trust (congealed: share of dyads)", [(k, c, d) for k, c, _, d in trust_lines])
    for label, colour, values, dash in trust_lines:
        out += trust_panel.line(steps, values, colour, label, dash)

    mix = (
        ("constructive", CONSTRUCTIVE_COLOUR, "share_constructive"),
        ("neutral", NEUTRAL_COLOUR, "share_neutral"),
        ("escalatory", ESCALATORY_COLOUR, "share_escalatory"),
    )
    out += mix_panel.frame("action mix (share of steps)", [(k, c, "") for k, c, _ in mix])
    if count:
        bottom_line = np.zeros(count)
        for label, colour, name in mix:
            share = np.nan_to_num(series(name))
            upper = bottom_line + share
            xs = mix_panel.px(np.concatenate([steps, steps[::-1]]))
            ys = mix_panel.py(np.concatenate([upper, bottom_line[::-1]]))
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
            out.append(
                f"<polygon points='{points}' fill='{colour}' stroke='none'>"
                f"<title>{label}: {share[-1]:.1%} of steps at step {count}</title></polygon>"
            )
            bottom_line = upper

    out += posture_panel.frame("posture", [("mean over states", "#6b4c9a", "")])
    out += posture_panel.line(steps, posture, "#6b4c9a", "mean posture")

    spread = ((1, "#1f5fa8"), (2, "#5b8fd1"), (3, "#a3c0e8"))
    keys = [(f"{hops} away", colour, "") for hops, colour in spread]
    if model.initiator is not None and model.initiator_since is not None:
        code = model.codes[model.initiator]
        for item in model.config.interventions:
            if item.action is not None and item.enabled and item.actor == code:
                x0 = float(spread_panel.px(item.step - 0.5))
                x1 = float(spread_panel.px(min(item.step + item.duration - 0.5, x_max)))
                out.append(
                    f"<rect x='{x0:.1f}' y='{spread_panel.y}' width='{max(x1 - x0, 1):.1f}' "
                    f"height='{spread_panel.h}' fill='{INITIATOR_COLOUR}' opacity='0.35'>"
                    f"<title>{escape(code)}: {escape(item.action)} from step {item.step}</title></rect>"
                )
        out += spread_panel.frame(f"trust in {code}, the initiator", keys)
        keep = steps >= model.initiator_since
        for (hops, colour), (label, _, _) in zip(spread, keys, strict=True):
            name = f"trust_in_initiator_{hops}hop" + ("s" if hops > 1 else "")
            out += spread_panel.line(steps[keep], series(name)[keep], colour, label)
    else:
        out += spread_panel.frame("trust in the initiator", keys)
        cx, cy = spread_panel.x + spread_panel.w / 2, spread_panel.y + spread_panel.h / 2
        out.append(
            f"<text x='{cx:.0f}' y='{cy - 7:.0f}' font-size='11' fill='#666' text-anchor='middle'>"
            f"schedule an intervention</text><text x='{cx:.0f}' y='{cy + 9:.0f}' font-size='11' "
            "fill='#666' text-anchor='middle'>to follow its spread</text>"
        )
    for panel in (posture_panel, spread_panel):
        out.append(
            f"<text x='{panel.x + panel.w / 2:.0f}' y='{height - 6}' font-size='{CHART_FONT['tick']}' "
            "text-anchor='middle'>step</text>"
        )
    out.append("</svg>")
    return "".join(out)


# -- components ------------------------------------------------------------------------------------

# Mesa 3.5's SolaraViz puts each component in a draggable, resizable grid cell, all half-width and
# 390 px high (``make_initial_grid_layout``; rows of 30 px plus 10 px margins). The network and the
# charts need more room, so for this app's four components the first layout is this one (users can
# still drag and resize the cells); any other SolaraViz keeps Mesa's.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 6, "h": 17, "moved": False},  # network
    {"i": 1, "x": 6, "y": 0, "w": 6, "h": 12, "moved": False},  # charts
    {"i": 2, "x": 0, "y": 17, "w": 6, "h": 5, "moved": False},  # step counter and figures
    {"i": 3, "x": 6, "y": 12, "w": 6, "h": 10, "moved": False},  # intervention
]
_mesa_initial_layout = mesa_solara_viz.make_initial_grid_layout


def _initial_layout(num_components: int) -> list[dict]:
    if num_components == len(GRID_LAYOUT):
        return [dict(cell) for cell in GRID_LAYOUT]
    return _mesa_initial_layout(num_components)


mesa_solara_viz.make_initial_grid_layout = _initial_layout

# The grid cells have a fixed height: let a component fill its cell and an SVG fit in what is left.
CSS = """
.vue-grid-item { overflow: hidden auto; }
.vue-grid-item > div, .vue-grid-item > div > .trustsim-fill { height: 100%; }
.trustsim-fill { display: flex; flex-direction: column; }
.trustsim-fill > .trustsim-svg { flex: 1 1 0; min-height: 0; }
.trustsim-svg > svg { display: block; width: 100%; height: 100%; }
"""


@solara.component
def NetworkView(model: VizModel):
    """The relations network, redrawn after every step, with the node-colour toggle."""
    update_counter.get()
    colour_by, set_colour_by = solara.use_state("bloc")
    modes = list(COLOUR_MODES if model.initiator is not None else COLOUR_MODES[:2])
    mode = colour_by if colour_by in modes else "bloc"
    svg = solara.use_memo(lambda: network_svg(model, mode), [model, update_counter.value, mode])
    with solara.Column(gap="4px", classes=["trustsim-fill", "trustsim-network"]):
        solara.ToggleButtonsSingle(value=mode, values=modes, on_value=set_colour_by, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["trustsim-svg", "trustsim-network-svg"])


@solara.component
def ChartsView(model: VizModel):
    """The live charts."""
    update_counter.get()
    svg = solara.use_memo(lambda: charts_svg(model), [model, update_counter.value])
    with solara.Column(classes=["trustsim-fill", "trustsim-charts"]):
        solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["trustsim-svg", "trustsim-charts-svg"])


@solara.component
def StatusView(model: VizModel):
    """Where the run is: the step counter and the last step in numbers."""
    update_counter.get()
    with solara.Column(gap="0px", classes=["trustsim-status"]):
        solara.Text(f"Step {model.steps} of {model.config.steps}", classes=["trustsim-step"],
                    style={"font-size": "1.2em", "font-weight": "500"})  # fmt: skip
        if model.problem:
            solara.Warning(model.problem, dense=True)
        if model.last is None:
            _html("Press <b>Step</b> or <b>▶</b> to run the model.")
        else:
            kind = model.catalog.kind[model.last.actions]
            constructive, escalatory = (kind == CONSTRUCTIVE).sum(), (kind == ESCALATORY).sum()
            _html(
                f"mean trust <b>{mean_trust(model):.3f}</b> · constructive <b>{constructive}</b>, "
                f"escalatory <b>{escalatory}</b> of {model.n_edges} directed steps · congealed dyads "
                f"<b>{congealed_dyads(model)}</b> · shared threat <b>{model.last.threat:.2f}</b>"
            )
        values = [f"seed {model.config.seed}"]
        values += [
            f"{control_label(path)} {_shown_value(scenario_value(model.config, path))}"
            for path in SLIDER_FIELDS
        ]
        solara.Text("This run: " + " · ".join(values), classes=["trustsim-values"],
                    style={"font-size": "0.8em", "color": "#555"})  # fmt: skip


def _html(markup: str, size: str = "0.95em") -> None:
    """A paragraph of our own markup (solara.Markdown would load KaTeX from the CDN: not offline)."""
    solara.HTML(tag="div", unsafe_innerHTML=markup, style=f"font-size: {size}; margin: 4px 0")


def _shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _action_label(model: VizModel, name: str) -> str:
    """``open_dialogue (constructive)``: what the action picker shows; the name is the first word."""
    return f"{name} ({KIND_NAMES[int(model.catalog.kind[model.catalog.index(name)])]})"


def _action_labels(model: VizModel) -> list[str]:
    names = list(model.catalog.names)
    order = {CONSTRUCTIVE: 0, NEUTRAL: 1, ESCALATORY: 2}
    names.sort(key=lambda name: (order[int(model.catalog.kind[model.catalog.index(name)])], name))
    return [_action_label(model, name) for name in names]


ALL_PARTNERS = "all partners"


@solara.component
def InterventionPanel(model: VizModel):
    """Schedule a step (state, action, target) in the running model and follow it."""
    update_counter.get()
    defaults = Intervention.model_fields
    actor, set_actor = solara.use_state(model.codes[0])
    action, set_action = solara.use_state(_action_label(model, model.config.repertoire.constructive))
    target, set_target = solara.use_state(ALL_PARTNERS)
    duration, set_duration = solara.use_state(int(defaults["duration"].default))
    declared, set_declared = solara.use_state(bool(defaults["declared"].default))
    at_step, set_at_step = solara.use_state(cast(int | None, None))
    message, set_message = solara.use_state(("", ""))
    if actor not in model.codes:  # a Reset with another seed can draw another network
        actor = model.codes[0]
    targets = [ALL_PARTNERS, *model.partners(actor)]
    if target not in targets:
        target = ALL_PARTNERS
    if action not in _action_labels(model):
        action = _action_label(model, model.config.repertoire.constructive)
    step = model.steps + 1 if at_step is None or at_step <= model.steps else at_step

    def schedule():
        try:
            item = model.schedule(
                actor,
                action.split(" ")[0],
                None if target == ALL_PARTNERS else target,
                step=step,
                duration=duration,
                declared=declared,
            )
        except (ConfigError, ValueError) as exc:
            set_message(("error", str(exc).splitlines()[0]))
            return
        repeat = f" for {item.duration} steps" if item.duration > 1 else ""
        set_message(
            ("ok", f"{item.actor} → {item.target or ALL_PARTNERS}: {item.action} at step {item.step}{repeat}")
        )
        set_at_step(None)
        force_update()

    with solara.Column(gap="0px", classes=["trustsim-intervention"]):
        solara.Text("Schedule an intervention", style={"font-size": "1.1em", "font-weight": "500"})
        with solara.Row(gap="12px"):
            solara.Select("state", value=actor, values=list(model.codes), on_value=set_actor)
            solara.Select("toward", value=target, values=targets, on_value=set_target)
        solara.Select("action", value=action, values=_action_labels(model), on_value=set_action)
        with solara.Row(gap="12px"):
            solara.InputInt("at step", value=step, on_value=set_at_step)
            solara.InputInt("for steps", value=duration, on_value=set_duration)
        solara.Checkbox(label="declared (announced as meant to restore trust)", value=declared,
                        on_value=set_declared)  # fmt: skip
        solara.Button("Schedule", color="primary", on_click=schedule, disabled=not model.running)
        kind, text = message
        if kind == "error":
            solara.Error(text)
        elif kind == "ok":
            solara.Success(f"Scheduled: {text}")
        planned = [i for i in model.config.interventions if i.action is not None and i.enabled]
        if planned:
            _html(
                "In this run: "
                + "; ".join(
                    escape(f"{i.actor} → {i.target or 'all'}: {i.action} at step {i.step}")
                    + (f" for {i.duration} steps" if i.duration > 1 else "")
                    for i in planned
                ),
                size="0.85em",
            )


@solara.component
def ScenarioPicker(choice: str, on_choice):
    """The scenario picker (every scenario in configs/), its description and the sliders' meaning."""
    choices = scenario_choices()
    description = ""
    if choice in choices:
        try:
            description = str(read_yaml(choices[choice].path).get("description", ""))
        except ConfigError:
            description = ""
    with solara.Card("Scenario"):
        solara.Select("scenario", value=choice, values=list(choices), on_value=on_choice)
        if description:
            solara.Text(description, style={"font-size": "0.85em"})
        with solara.Details("What the sliders set"):
            items = "".join(f"<li><b>{escape(k)}</b>: {escape(t)}</li>" for k, t in parameter_help())
            _html(f"<ul style='padding-left: 1.2em'>{items}</ul>", size="0.85em")


COMPONENTS = [(NetworkView, 0), (ChartsView, 0), (StatusView, 0), (InterventionPanel, 0)]

current_choice = solara.reactive(initial_choice())


@solara.component
def TrustViz(choice: str):
    """SolaraViz for one picker entry; remounted (fresh model and sliders) when the entry changes."""
    first = solara.use_memo(lambda: VizModel(choice), [choice])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(first.config, choice), [choice])
    solara.Style(CSS)
    with solara.Sidebar():
        ScenarioPicker(choice, current_choice.set)
    SolaraViz(model, components=list(COMPONENTS), model_params=params, name=f"trustsim: {first.config.name}")


@solara.component
def Page():
    """The app: SolaraViz for the scenario chosen in the picker."""
    choice = current_choice.value
    TrustViz(choice).key(f"trustviz-{choice}")


def make_page(choice: str | None = None):
    """The app's page, opening on a picker entry or scenario name (default: ``trustsim viz``'s)."""
    if choice is not None:
        current_choice.set(choice)
    return Page()


page = Page()

__all__ = [
    "COMPONENTS",
    "SLIDER_FIELDS",
    "Page",
    "VizModel",
    "build_scenario",
    "charts_svg",
    "control_for",
    "make_page",
    "model_params",
    "network_svg",
    "page",
    "scenario_choices",
]
