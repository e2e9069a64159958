"""The package's import graph has no cycle: each stage only looks down.

Every module of ``src/outreach_rules`` is parsed with :mod:`ast`; each import of the
package itself, at module level or inside a function, is an edge (imports under
``if TYPE_CHECKING:`` are not: they never run). ``from outreach_rules.x import y``
points at ``x``, or at ``x.y`` when ``y`` is a submodule; relative imports resolve the
same way. A second test counts the ``TYPE_CHECKING`` imports too: two modules that name
each other's types are still two modules that know each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import outreach_rules

PACKAGE = "outreach_rules"
ROOT = Path(outreach_rules.__file__).parent


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted([*ROOT.rglob("*.py"), *ROOT.rglob("*.so"), *ROOT.rglob("*.pyd")]):
        # An extension module (``_core.cpython-311-x86_64-linux-gnu.so``) is ``_core``.
        parts = [*path.relative_to(ROOT).parent.parts, path.name.partition(".")[0]]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([PACKAGE, *parts])] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, typing: bool) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``; those under ``if TYPE_CHECKING:`` only if
    ``typing``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if not typing and isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` is, or the nearest package module that holds it."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(*, typing: bool = False) -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        if path.suffix not in {".py"}:
            continue
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), typing=typing):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                owner = _owner(target, modules)
                if owner is not None and owner != name:
                    graph[name].add(owner)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(components)


def _describe(component: list[str], graph: dict[str, set[str]]) -> str:
    members = set(component)
    edges = [f"  {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return "\n".join([" <-> ".join(component), *edges])


def _check(graph: dict[str, set[str]]) -> None:
    cycles = find_cycles(graph)
    report = "\n\n".join(_describe(component, graph) for component in cycles)
    print(report)
    assert not cycles, f"import cycles in {PACKAGE}:\n{report}"


def test_the_graph_sees_imports_at_every_level() -> None:
    graph = import_graph()
    # A module-level import, and one that resolves a submodule.
    assert "outreach_rules.model" in graph["outreach_rules.planner"]
    assert "outreach_rules.timeline.zone" in graph["outreach_rules.rules.guards"]
    # An import inside a function (the Rust core, imported where it is asked for).
    assert "outreach_rules._core" in graph["outreach_rules._cores"]
    # Type-only imports count only when asked for.
    assert "outreach_rules.policy" not in graph["outreach_rules.engines.durable"]
    assert "outreach_rules.policy" in import_graph(typing=True)["outreach_rules.engines.durable"]


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d", "a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    _check(import_graph())


def test_no_import_cycles_even_in_types() -> None:
    _check(import_graph(typing=True))
