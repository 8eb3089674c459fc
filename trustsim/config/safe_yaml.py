"""YAML read safely: plain values, lists and mappings only, YAML 1.1's surprises off, duplicate keys
refused, and bounded in size (a file, and its values once aliases are expanded) before anything is
built from it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from trustsim.config.errors import ConfigError, dotted, short_repr

# Size limits, checked before anything is built from a config (docs/sweeps.md, "Limits").
MAX_FILE_BYTES = 16 * 2**20  # a config file
MAX_YAML_VALUES = 1_000_000  # values in a YAML document, aliases expanded (a "billion laughs" bomb)


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
            f"{source}: line {exc.again.line + 1}: key {short_repr(exc.key)} is given twice in the same "
            f"mapping (first on line {exc.first.line + 1}); keep one"
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
        return dotted(path), node.tag
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
