"""SolaraViz for a picker entry, with the app's grid cells, settings panel and styles.

``Page`` itself is in ``trustsim/app/__init__.py``: Solara serves a package as one page per
submodule that defines ``Page``, ``page`` or ``app``, so no submodule defines them."""

# Solara components are named like classes (TrustViz):
# ruff: noqa: N802
from __future__ import annotations

import mesa.visualization.solara_viz as mesa_solara_viz
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from trustsim.app.components import (
    ChartsView,
    CounterfactualView,
    InterventionPanel,
    NetworkView,
    ScenarioPicker,
    SettingsPanel,
    StatusView,
    settings,
)
from trustsim.app.controls import model_params
from trustsim.app.scenarios import initial_choice
from trustsim.app.viz_model import VizModel

COMPONENTS = [
    (NetworkView, 0),
    (ChartsView, 0),
    (StatusView, 0),
    (InterventionPanel, 0),
    (CounterfactualView, 0),
]
OURS = [component for component, _ in COMPONENTS]  # drawn with ``tick`` (GridView)

# The grid cells of the five components (Mesa's would make them all half-width and 390 px high).
# Users can still drag and resize them.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 6, "h": 17, "moved": False},  # network
    {"i": 1, "x": 6, "y": 0, "w": 6, "h": 15, "moved": False},  # charts
    {"i": 2, "x": 0, "y": 17, "w": 6, "h": 5, "moved": False},  # step counter and figures
    {"i": 3, "x": 6, "y": 15, "w": 6, "h": 10, "moved": False},  # intervention
    {"i": 4, "x": 0, "y": 22, "w": 6, "h": 10, "moved": False},  # with and without
]

# Mesa 3.5's SolaraViz takes no argument to change two of its parts, so for a page on a VizModel
# they are replaced where SolaraViz looks them up (any other SolaraViz page keeps Mesa's; a test
# checks that both took effect, so a Mesa that renames them fails loudly):
# - ``ComponentsView`` puts the components under a tab bar, "Page 0" when there is one page, and in
#   cells of one size: ours has no tab bar and the cells above;
# - ``ModelCreator`` keeps the values for Reset in a state it fills once, on its first mount: after
#   the picker remounts the page, Reset got none and rebuilt the default scenario. Ours is
#   ``SettingsPanel``, which hands Reset every value each time one changes, and shows them.
_mesa_components_view = mesa_solara_viz.ComponentsView
_mesa_model_creator = mesa_solara_viz.ModelCreator


@solara.component
def GridView(components, model: VizModel):
    """The components in draggable, resizable cells (``GRID_LAYOUT``), with no tab bar.

    The one subscriber to Mesa's ``update_counter`` among them: it hands the count to each of
    our components as ``tick``, so that a step redraws them all in one render of the page. Each
    subscriber renders the page once more (Solara renders per listener), and a render of the page
    walks all of it, sidebar included (docs/app.md, "Responsiveness")."""
    tick = update_counter.get()
    layout, set_layout = solara.use_state([dict(cell) for cell in GRID_LAYOUT])
    items = [
        component(model, tick) if component in OURS else mesa_solara_viz._wrap_component(component)(model)
        for component, _ in components
    ]
    solara.GridDraggable(
        items=items, grid_layout=layout, resizable=True, draggable=True, on_grid_layout=set_layout
    )


@solara.component
def _components_view(components, model):
    if isinstance(model, VizModel):
        return GridView(components, model)
    return _mesa_components_view(components, model)


@solara.component
def _model_creator(model, user_params, *, model_parameters=None):
    if isinstance(model.value, VizModel):
        return SettingsPanel(model, user_params, model_parameters)
    return _mesa_model_creator(model, user_params, model_parameters=model_parameters)


mesa_solara_viz.ComponentsView = _components_view
mesa_solara_viz.ModelCreator = _model_creator

# The grid cells have a fixed height: let a component fill its cell and a drawing fit what is left.
CSS = """
.vue-grid-item { overflow: hidden auto; }
.vue-grid-item > div, .vue-grid-item > div > .trustsim-fill { height: 100%; }
.trustsim-fill { display: flex; flex-direction: column; }
.trustsim-fill > .trustsim-svg { flex: 1 1 0; min-height: 0; }
.trustsim-svg > svg { display: block; width: 100%; height: 100%; }
.trustsim-charts img, .trustsim-counterfactual img { display: block; max-width: 100%; max-height: 100%;
  margin: 0 auto; }
"""

current_choice = solara.reactive(initial_choice())


def pick(choice: str) -> None:
    """Open another picker entry, with its own values (not the sidebar's for the last one)."""
    settings.set(None)
    current_choice.set(choice)


@solara.component
def TrustViz(choice: str):
    """SolaraViz for one picker entry; remounted (fresh model and sliders) when the entry changes."""
    first = solara.use_memo(lambda: VizModel(choice), [choice])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(first.config, choice), [choice])
    solara.Style(CSS)
    with solara.Sidebar():
        ScenarioPicker(choice, pick)
    SolaraViz(model, components=list(COMPONENTS), model_params=params, name=f"trustsim: {first.config.name}")
