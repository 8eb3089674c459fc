"""The architecture, as the import graph of the trustsim package shows it.

Data flows one way (docs: STYLE.md): config -> model -> execution -> analysis / app / validation ->
cli. A module may import its own layer's package and any lower layer, never a higher one nor a
sibling of its layer (analysis, app and validation do not import each other), and no chain of
imports may lead back to where it started. The graph is read from the source with ``ast``: every
``import`` anywhere in a module counts, including those inside functions and under
``TYPE_CHECKING``, because a reader meets them all.

Names a config may use that the model implements (policies, measures) live in
``trustsim.config.vocabulary``, so that loading need not import the model; a test checks that the
model's registries implement exactly them.

The same file runs the style checks CI runs: ``ruff check`` and ``ruff format --check`` over the
repository (pyproject.toml's ``[tool.ruff]``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trustsim"

# Lowest first. A module's layer is that of its first dotted part below ``trustsim``.
LAYERS: dict[str, int] = {
    "progress": 0,  # progress bars on stderr (Rich) for every layer's long commands; imports no trustsim
    "config": 0,
    "model": 1,
    "execution": 2,
    "analysis": 3,
    "app": 3,
    "validation": 3,
    "claims": 3,  # the essay's claims as experiments: runs models, writes docs/claims.md
    "patterns": 3,  # the model against history and event data: runs models, writes docs/patterns.md
    "viz_server": 3,  # the app's server
    "cli": 4,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path, name: str) -> set[str]:
    """Every ``trustsim`` module or package the file at ``path`` imports, resolved to what exists."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from trustsim.analysis import stats`` imports the module trustsim.analysis.stats
            candidates = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:  # ``import a.b.c`` of a name inside a module
                candidate = candidate.rpartition(".")[0]
            if candidate.startswith("trustsim.") and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in modules().items():
        graph.add_node(name)
        graph.add_edges_from((name, imported) for imported in imported_names(path, name))
    return graph


def layer(name: str) -> tuple[str, int | None]:
    top = name.split(".")[1] if name.count(".") else ""
    return top, LAYERS.get(top)


def upward(importer: str, imported: str) -> bool:
    """Whether the arrow runs back up the chain, or across to a sibling of the importer's layer."""
    (top_a, a), (top_b, b) = layer(importer), layer(imported)
    if a is None or b is None:  # trustsim/__init__.py: the package itself
        return False
    return b > a or (b == a and top_a != top_b)


GRAPH = import_graph()


def test_the_graph_is_read_from_every_module():
    assert {"trustsim.config.schema", "trustsim.model.model", "trustsim.app", "trustsim.cli"} <= set(GRAPH)
    assert ("trustsim.cli.common", "trustsim.config.loading") in GRAPH.edges
    assert ("trustsim.app.layout", "trustsim.app.components") in GRAPH.edges


def test_every_module_belongs_to_a_layer():
    unplaced = [name for name in GRAPH if name != "trustsim" and layer(name)[1] is None]
    assert unplaced == [], f"add these to LAYERS: {unplaced}"


def test_imports_only_run_down_the_chain():
    wrong = sorted(edge for edge in GRAPH.edges if upward(*edge))
    assert wrong == [], (
        "imports back up config -> model -> execution -> analysis/app/validation -> cli:\n"
        + ("\n".join(f"  {a} imports {b}" for a, b in wrong))
    )


def test_there_is_no_import_cycle():
    cycles = [sorted(group) for group in nx.strongly_connected_components(GRAPH) if len(group) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_models_registries_implement_exactly_the_configs_vocabulary():
    """Config loading checks names against trustsim.config.vocabulary (it may not import the model);
    the model's registries must implement exactly those names."""
    from trustsim.config.vocabulary import MEASURE_NAMES, POLICY_NAMES
    from trustsim.model.policies import POLICIES
    from trustsim.model.records import MODEL_REPORTERS

    assert tuple(POLICIES) == POLICY_NAMES
    assert tuple(MODEL_REPORTERS) == MEASURE_NAMES


# -- style -----------------------------------------------------------------------------------------


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ruff_check_is_clean():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


# -- generated docs -------------------------------------------------------------------------------


def test_odd_parameter_table_is_generated_from_the_schema_and_current():
    """docs/ODD.md's appendix is ``python -m trustsim.config.reference``'s output, every key of the
    schema with its default, allowed values and meaning; regenerate it when the schema changes."""
    from trustsim.config.reference import markdown_table, parameters, rewrite

    document = (ROOT / "docs" / "ODD.md").read_text()
    assert rewrite(document) == document, "stale: run python -m trustsim.config.reference"
    table = markdown_table()
    for path in ("trust.negativity_bias", "states[].motive", "interventions[].step", "payoffs.fear"):
        assert f"| `{path}` |" in table
    undocumented = [p.path for p in parameters() if not p.field.description]
    assert undocumented == [], f"schema fields without a description: {undocumented}"
