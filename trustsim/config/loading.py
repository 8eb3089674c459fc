"""Reading scenarios: YAML in, a validated ``Scenario`` out, or one clear line saying what is wrong."""

from __future__ import annotations

import copy
import difflib
import re
import reprlib
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from trustsim.config.schema import Scenario
from trustsim.config.vocabulary import POLICY_NAMES as POLICIES


def _config_dir() -> Path:
    """The shipped scenarios: ``trustsim/configs`` in an installed wheel (pyproject.toml maps the
    repository's configs/ there), else configs/ at the top of the source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "configs"
    return installed if installed.is_dir() else package.parent / "configs"


CONFIG_DIR = _config_dir()

# Size limits, checked before anything is built from a config (docs/sweeps.md, "Limits").
MAX_FILE_BYTES = 16 * 2**20  # a config file
MAX_YAML_VALUES = 1_000_000  # values in a YAML document, aliases expanded (a "billion laughs" bomb)
MAX_STATES = 5_000  # explicit states, or network.n
MAX_EDGES = 100_000  # relations, listed or generated
MAX_DYAD_ROWS = 20_000_000  # steps x directed dyads, when record.dyads is on


class ConfigError(Exception):
    """A config problem, phrased for people: ``file: key.path: what is allowed (got X)``."""


def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


_REPR = reprlib.Repr(maxlevel=2, maxdict=4, maxlist=4, maxtuple=4, maxstring=50, maxother=50)


def _short(value: Any) -> str:
    """A short repr, never of the whole value (a huge or deeply nested one would take minutes)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_validation_error(source: str, error: ValidationError, root: type[BaseModel] | None = None) -> str:
    """Render pydantic's first error as one line naming the file, the key path and what is allowed."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if not str(part).startswith("function-after") and part != "[key]"]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = _unknown_key(loc, root or Scenario)
    elif first["type"] == "missing":
        message = "required key is missing"
    got = "" if first["type"] in ("missing",) else f" (got {_short(first.get('input'))})"
    if first["type"] == "extra_forbidden" or first["loc"] == () or isinstance(first.get("input"), dict):
        got = ""
    return f"{source}: {_dotted(loc)}: {message}{got}"


def section_class(annotation: Any) -> type[BaseModel] | None:
    """The config section a field holds, through ``list[...]`` and ``... | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := section_class(arg)) is not None:
            return found
    return None


def _unknown_key(loc: Sequence[Any], root: type[BaseModel]) -> str:
    """Say which keys the section at ``loc`` (from ``root``) allows, and the nearest one to the typo."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = section_class(field.annotation) if field is not None else None
    if model is None:
        return "unknown key (check the spelling; `trustsim validate` shows every key)"
    keys = sorted(field.alias or name for name, field in model.model_fields.items())
    near = difflib.get_close_matches(str(loc[-1]), keys, n=1) if loc else []
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"unknown key{hint}; allowed: {', '.join(keys)}"


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    """PyYAML's SafeLoader without YAML 1.1's surprises, and refusing duplicate keys.

    Only ``true``/``false`` are booleans (``yes``, ``on``, ``n`` stay text); ``12:30`` is text, not
    the sexagesimal 750; ``1e-9`` is a number. A key given twice in one mapping is an error (PyYAML
    keeps the last silently).
    """

    yaml_implicit_resolvers = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:
                continue  # an unhashable key: SafeConstructor says so below
            if first is not key_node.start_mark:
                raise DuplicateKeyError(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


for _tag, _pattern, _firsts in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
):
    StrictLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_firsts))


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark) -> None:
        self.key, self.first, self.again = key, first, again


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded (linear in its nodes)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path: met again, an alias inside its own anchor
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            sizes[id(node)] = 1
            continue
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), 2**62)
            continue
        if id(node) in open_nodes:
            return 2**62  # infinite
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def parse_yaml(text: str, source: str) -> Any:
    """Compose, bound and then build a YAML document with ``StrictLoader``; ConfigError if bad."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_VALUES:
            raise ConfigError(
                f"{source}: the YAML holds more than {MAX_YAML_VALUES:,} values once its aliases (*name) "
                "are expanded; write the values out, or use fewer aliases"
            )
        return loader.construct_document(node) if node is not None else None
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{source}: line {exc.again.line + 1}: key {_short(exc.key)} is given twice in the same mapping "
            f"(first on line {exc.first.line + 1}); keep one"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        found = _node_at(node, mark) if mark else None
        where = f"{found[0]}: " if found else ""
        tag = found[1].replace("tag:yaml.org,2002:", "!!") if found else "this"
        raise ConfigError(
            f"{source}: {where}line {mark.line + 1 if mark else '?'}: YAML tag {tag!r} not allowed; "
            "only plain values, lists and mappings"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: {where}YAML syntax error: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file safely: tags that would build Python objects are refused."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; expected a YAML file")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"{path}: the file is {size:,} bytes; a config may be at most {MAX_FILE_BYTES:,}"
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({getattr(exc, 'strerror', None) or exc})") from None
    data = parse_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys (got {type(data).__name__})")
    return data


def _node_at(node: yaml.Node | None, mark: yaml.Mark, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The dotted key path and tag of the YAML node starting at ``mark`` (composed, never built)."""
    if node is None:
        return None
    if (node.start_mark.line, node.start_mark.column) == (mark.line, mark.column):
        return _dotted(path), node.tag
    if isinstance(node, yaml.MappingNode):
        children = [(str(key.value), child) for key, value in node.value for child in (key, value)]
    elif isinstance(node, yaml.SequenceNode):
        children = [(str(i), value) for i, value in enumerate(node.value)]
    else:
        return None
    for part, child in children:
        if (found := _node_at(child, mark, (*path, part))) is not None:
            return found
    return None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into its path and the value parsed as a YAML scalar."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. trust.negativity_bias=3")
    try:
        value = parse_yaml(raw, f"--set {text!r}") if raw.strip() else ""
    except ConfigError as exc:
        if "given twice" in str(exc) or "aliases" in str(exc):
            raise
        raise ConfigError(f"--set {text!r}: the value is not a valid YAML scalar") from None
    return key.strip().split("."), value


def apply_override(
    data: dict[str, Any], path: Sequence[str], value: Any, label: str, flag: str = "--set"
) -> None:
    """Set ``value`` at a dotted ``path`` inside the raw config (lists indexed by number); errors
    name the override as ``{flag} {label}`` (a sweep file names its own section instead of --set)."""
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"{flag} {label}: {'.'.join(path[: depth + 1])}: no list item {part} "
                    f"(the list has {len(node)} items)"
                )
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif path[depth + 1].isdigit() and not isinstance(node.get(part), list):
                where = ".".join(path[: depth + 1])
                raise ConfigError(
                    f"{flag} {label}: {where}: the config has no list {where}, so no item {path[depth + 1]}; "
                    f"give the whole list, e.g. {flag} '{where}=[{{...}}]'"
                )
            else:
                node = node.setdefault(part, {})
        else:
            raise ConfigError(f"{flag} {label}: {'.'.join(path[:depth])} is a plain value, not a section")


def merge(data: dict, changes: dict) -> dict:
    """A config as a dict, ``data``, with ``changes`` merged in: sections (dicts) recursively,
    everything else (values, lists) replaced; neither argument is changed."""
    out = copy.deepcopy(data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_from_dict(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw data into a ``Scenario`` and check its references between sections."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None
    check_references(scenario, source)
    return scenario


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario file, apply ``--set`` overrides and validate it all as one."""
    path = resolve_config_path(path)
    data = read_yaml(path)
    for text in overrides:
        try:
            keys, value = parse_override(text)
            apply_override(data, keys, value, text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    source = str(path) if not overrides else f"{path} (with --set)"
    return scenario_from_dict(data, source)


def resolve_config_path(path: str | Path) -> Path:
    """Accept a path, or the bare name of a shipped scenario (``europe`` → configs/europe.yaml)."""
    candidate = Path(path)
    if candidate.exists() or candidate.suffix:
        return candidate
    shipped = CONFIG_DIR / f"{candidate}.yaml"
    return shipped if shipped.exists() else candidate


def shipped_scenarios() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.yaml"))


def generated_edges(network: Any) -> int:
    """How many relations a generated network has (expected number for the random generators)."""
    n = network.n
    if network.generator == "complete":
        return n * (n - 1) // 2
    if network.generator == "watts_strogatz":
        return n * max(2, network.degree) // 2
    if network.generator == "barabasi_albert":
        m = max(1, network.degree // 2)
        return (n - m) * m
    return n * network.degree // 2


def check_limits(scenario: Scenario, source: str) -> None:
    """What a run could hold, checked before anything is allocated: states, relations, dyad rows."""
    if scenario.network is not None:
        states, edges, where = scenario.network.n, generated_edges(scenario.network), "network"
    else:
        states, edges, where = len(scenario.states), len(scenario.relations), "relations"
        if states > MAX_STATES:
            raise ConfigError(f"{source}: states: at most {MAX_STATES:,} states (got {states:,})")
        if states < 2:
            raise ConfigError(f"{source}: states: a scenario needs at least 2 states (got {states})")
    if edges > MAX_EDGES:
        raise ConfigError(
            f"{source}: {where}: at most {MAX_EDGES:,} relations (got {edges:,} for {states:,} states); "
            "use a sparser network or fewer states"
        )
    rows = scenario.steps * 2 * edges
    if scenario.record.dyads and rows > MAX_DYAD_ROWS:
        raise ConfigError(
            f"{source}: record.dyads: {scenario.steps:,} steps x {2 * edges:,} directed dyads = "
            f"{rows:,} rows; at most {MAX_DYAD_ROWS:,} (set record.dyads: false, or fewer steps)"
        )


def check_references(scenario: Scenario, source: str) -> None:
    """Names that point elsewhere (policies, actions, states) must exist."""

    def fail(where: str, message: str) -> None:
        raise ConfigError(f"{source}: {where}: {message}")

    def allowed(names: Iterable[str]) -> str:
        return ", ".join(sorted(names))

    check_limits(scenario, source)
    actions = {action.name for action in scenario.actions}
    if len(actions) != len(scenario.actions):
        fail("actions", "action names must be unique")
    kinds = {action.name: action.kind for action in scenario.actions}

    def check_repertoire(where: str, repertoire: Any) -> None:
        for slot in ("constructive", "escalatory", "neutral", "deterrent"):
            name = getattr(repertoire, slot)
            if name is None:
                continue
            if name not in actions:
                fail(f"{where}.{slot}", f"unknown action {name!r}; allowed: {allowed(actions)}")
            wanted = {"deterrent": "escalatory"}.get(slot, slot)
            if kinds[name] != wanted:
                fail(f"{where}.{slot}", f"{name!r} is {kinds[name]}, must be {wanted}")

    check_repertoire("repertoire", scenario.repertoire)
    if scenario.default_policy not in POLICIES:
        fail("default_policy", f"unknown policy {scenario.default_policy!r}; allowed: {allowed(POLICIES)}")

    if scenario.network is not None:
        for name in scenario.network.policy_mix:
            if name not in POLICIES:
                fail(f"network.policy_mix.{name}", f"unknown policy; allowed: {allowed(POLICIES)}")
        if sum(scenario.network.policy_mix.values()) > 1.0 + 1e-9:
            fail("network.policy_mix", "shares must add up to at most 1")
        codes = {f"S{i:03d}" for i in range(scenario.network.n)}
    else:
        codes = [state.code for state in scenario.states]
        if len(set(codes)) != len(codes):
            duplicate = next(code for code in codes if codes.count(code) > 1)
            fail("states", f"duplicate state code {duplicate!r}")
        codes = set(codes)
        for i, state in enumerate(scenario.states):
            if state.policy is not None and state.policy not in POLICIES:
                fail(f"states.{i}.policy", f"unknown policy {state.policy!r}; allowed: {allowed(POLICIES)}")
            check_repertoire(f"states.{i}.repertoire", state.repertoire)
        seen = set()
        for i, relation in enumerate(scenario.relations):
            for end in ("a", "b"):
                if getattr(relation, end) not in codes:
                    fail(
                        f"relations.{i}.{end}",
                        f"no state {getattr(relation, end)!r}; states: {allowed(codes)}",
                    )
            if relation.a == relation.b:
                fail(f"relations.{i}", f"a state cannot relate to itself ({relation.a})")
            pair = frozenset((relation.a, relation.b))
            if pair in seen:
                fail(f"relations.{i}", f"{relation.a}-{relation.b} is listed twice")
            seen.add(pair)
        related = {code for pair in seen for code in pair}
        for i, state in enumerate(scenario.states):
            if state.code not in related:
                fail(
                    f"states.{i}",
                    f"{state.code} has no relations; every state needs at least one in `relations` "
                    "(trust lives on the relations)",
                )

    for i, pair in enumerate(scenario.initial_trust.pairs):
        for end, code in (("from", pair.source), ("to", pair.target)):
            if code not in codes:
                fail(f"initial_trust.pairs.{i}.{end}", f"no state {code!r}; states: {allowed(codes)}")
    for i, step in enumerate(scenario.interventions):
        where = f"interventions.{i}"
        if step.actor not in codes:
            fail(f"{where}.actor", f"no state {step.actor!r}; states: {allowed(codes)}")
        if step.target is not None and step.target not in codes:
            fail(f"{where}.target", f"no state {step.target!r}; states: {allowed(codes)}")
        if step.action is not None and step.action not in actions:
            fail(f"{where}.action", f"unknown action {step.action!r}; allowed: {allowed(actions)}")
        if step.policy is not None and step.policy not in POLICIES:
            fail(f"{where}.policy", f"unknown policy {step.policy!r}; allowed: {allowed(POLICIES)}")
        if step.step > scenario.steps:
            fail(f"{where}.step", f"must be <= steps ({scenario.steps}) (got {step.step})")
    for i, threat in enumerate(scenario.threats):
        profile = threat.profile
        if profile.kind == "series" and not profile.series:
            fail(f"threats.{i}.profile.series", "a series profile needs at least one value")
        if profile.kind in ("linear", "pulse") and profile.end < profile.start:
            fail(f"threats.{i}.profile.end", f"must be >= start ({profile.start}) (got {profile.end})")
