"""The package follows the data path and imports only downward: a newcomer can read it layer by layer.

Layers, lowest first. A module may import from its own layer or any layer below, never above, and the
import graph (lazy imports inside functions included) has no cycle. Parsed with ast, so nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "triage"
LAYERS = [
    {"triage.errors", "triage.types", "triage.config", "triage.framework", "triage"},
    {"triage.read"},
    {"triage.analyse"},
    {"triage.store"},
    {"triage.review"},
    {"triage.batch"},
    {"triage.service"},
    {"triage.cli", "triage.ui", "triage.__main__"},
]
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """The layer of a module: that of the longest layer prefix naming it."""
    best, found = -1, None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            # "triage" is the package's own __init__ only: a prefix match would put every module in base.
            inside = prefix != "triage" and module.startswith(prefix + ".")
            if (module == prefix or inside) and len(prefix) > best:
                best, found = len(prefix), i
    if found is None:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS in tests/test_layers.py")
    return found


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The triage modules `path` imports, resolved to names in `known`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name.startswith("triage"):
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imports(p, m, known) for m, p in modules.items()}


def _violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target == "triage" or module == "triage":
                continue
            if _layer(target) > _layer(module):
                out.append(f"{module} imports {target}, a layer above it")
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "triage":
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_module_imports_only_its_own_layer_or_below() -> None:
    assert _violations(_graph()) == []


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_checks_catch_an_upward_import_and_a_cycle() -> None:
    graph = {"triage.read.extract": {"triage.review.queue"}, "triage.review.queue": {"triage.read.extract"}}
    assert _violations(graph) == ["triage.read.extract imports triage.review.queue, a layer above it"]
    assert _cycle(graph) == ["triage.read.extract", "triage.review.queue", "triage.read.extract"]
    with pytest.raises(AssertionError, match="in no layer"):
        _layer("triage.nowhere")


@pytest.mark.parametrize("module", sorted(_modules()))
def test_no_module_is_too_long_to_read(module: str) -> None:
    lines = len(_modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} is {lines} lines; split it by concern (limit {MAX_LINES})"
