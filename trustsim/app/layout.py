"""SolaraViz for a picker entry, with the app's grid cells and styles.

``Page`` itself is in ``trustsim/app/__init__.py``: Solara serves a package as one page per
submodule that defines ``Page``, ``page`` or ``app``, so no submodule defines them."""

# Solara components are named like classes (TrustViz):
# ruff: noqa: N802
from __future__ import annotations

import mesa.visualization.solara_viz as mesa_solara_viz
import solara
from mesa.visualization import SolaraViz

from trustsim.app.components import ChartsView, InterventionPanel, NetworkView, ScenarioPicker, StatusView
from trustsim.app.controls import model_params
from trustsim.app.scenarios import initial_choice
from trustsim.app.viz_model import VizModel

COMPONENTS = [(NetworkView, 0), (ChartsView, 0), (StatusView, 0), (InterventionPanel, 0)]

# Mesa 3.5's SolaraViz puts each component in a draggable, resizable grid cell, all half-width and
# 390 px high, and takes no argument to change that: ``ComponentsView`` calls the module's
# ``make_initial_grid_layout(len(components))``. The network and the charts need more room, so for
# this app's four components that function returns this layout (users can still drag and resize
# the cells); any other count keeps Mesa's. Replacing the module's function is the only way in;
# a test checks that it took effect, so a Mesa that renames it fails loudly.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 6, "h": 17, "moved": False},  # network
    {"i": 1, "x": 6, "y": 0, "w": 6, "h": 15, "moved": False},  # charts
    {"i": 2, "x": 0, "y": 17, "w": 6, "h": 5, "moved": False},  # step counter and figures
    {"i": 3, "x": 6, "y": 15, "w": 6, "h": 10, "moved": False},  # intervention
]
_mesa_initial_layout = mesa_solara_viz.make_initial_grid_layout


def _initial_layout(num_components: int) -> list[dict]:
    if num_components == len(GRID_LAYOUT):
        return [dict(cell) for cell in GRID_LAYOUT]
    return _mesa_initial_layout(num_components)


mesa_solara_viz.make_initial_grid_layout = _initial_layout

# The grid cells have a fixed height: let a component fill its cell and a drawing fit what is left.
CSS = """
.vue-grid-item { overflow: hidden auto; }
.vue-grid-item > div, .vue-grid-item > div > .trustsim-fill { height: 100%; }
.trustsim-fill { display: flex; flex-direction: column; }
.trustsim-fill > .trustsim-svg { flex: 1 1 0; min-height: 0; }
.trustsim-svg > svg { display: block; width: 100%; height: 100%; }
.trustsim-charts img { display: block; max-width: 100%; max-height: 100%; margin: 0 auto; }
"""

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
