"""The package's import graph, read from the source: no circle, and no layer imports a higher one.

Every import counts, also those inside functions (a lazy import is still a dependency); only
imports under `if TYPE_CHECKING:` are left out (they never run). The layers, lowest first, are
the ones docs/architecture.md lists.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "src"
# lowest first; a module may import its own layer's modules and any lower layer's
LAYERS = [
    "cleantrace.stages",
    "cleantrace.errors",
    "cleantrace.seeds",
    "cleantrace.appearance",
    "cleantrace.spec",
    "cleantrace.trace",
    "cleantrace.world",
    "cleantrace.tasks",
    "cleantrace.sandbox",
    "cleantrace.record",
    "cleantrace.perform",
    "cleantrace.privacy",
    "cleantrace.episode",
    "cleantrace.view",
    "cleantrace.export",
    "cleantrace.fleet",
    "cleantrace.station",
    "cleantrace.cli",
    "cleantrace",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's modules that `path` (module `name`) imports, at any depth but TYPE_CHECKING blocks.

    `from package import module` is an edge to the module only; `from package import name` to the package.
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: the package uses absolute imports only"
            base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m.startswith("cleantrace")}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # the root package is imported by every submodule anyway (its __init__ only imports lazily)
        imported = imports_of(path, name, set(modules))
        graph[name] = {m for m in imported if m in modules and m != name and m != "cleantrace"}
    return graph


def layer_of(module: str) -> int:
    for rank in range(len(LAYERS) - 1, -1, -1):
        layer = LAYERS[rank]
        if module == layer or module.startswith(layer + "."):
            if layer == "cleantrace" and module != "cleantrace":
                continue
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_sees_circles_and_upward_edges():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("cleantrace.spec") < layer_of("cleantrace.fleet.runner") < layer_of("cleantrace.cli")
    with pytest.raises(AssertionError):
        layer_of("cleantrace.nowhere")


def test_every_module_is_in_a_layer_and_imports_only_its_own_or_lower_layers():
    graph = import_graph()
    assert "cleantrace.spec" in graph and "cleantrace.fleet.runner" in graph
    upward = sorted(
        f"{a} (layer {LAYERS[layer_of(a)]}) imports {b} (layer {LAYERS[layer_of(b)]})"
        for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a)
    )
    assert upward == []


def test_the_contract_imports_nothing_of_the_package_but_the_layers_below_it():
    graph = import_graph()
    assert graph["cleantrace.seeds"] <= {"cleantrace.errors"}
    assert graph["cleantrace.spec"] <= {"cleantrace.errors", "cleantrace.seeds", "cleantrace.appearance"}


def test_no_module_imports_itself_back_through_a_circle():
    graph = import_graph()
    assert find_cycle(graph) is None
    packages: dict[str, set[str]] = {}
    for a, targets in graph.items():
        pa = ".".join(a.split(".")[:2])
        packages.setdefault(pa, set()).update(".".join(b.split(".")[:2]) for b in targets)
    for name, targets in packages.items():
        targets.discard(name)
    assert find_cycle(packages) is None
