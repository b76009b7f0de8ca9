"""The package import graph: domain cores stacked in one order, no cycles, no reaching into another domain's tables.

Every `import app.x` / `from app.x import ...` in app/ counts, including imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Domain cores, lowest first: a core may import cores below it, never above.
LAYERS = ("catalogue", "certificates", "quizzes", "progress", "stats", "learners")
# Shared building blocks: they may not import any domain core.
FOUNDATIONS = ("auth", "localities", "limits")
# Modules that assemble everything (the app, the CLI, the schema for Alembic) may import anything.
ASSEMBLY = {"main", "cli", "models", "asgi", "__main__"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("app."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("app."):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def import_edges(root: Path = APP) -> set[tuple[str, str, str]]:
    """(importing package, imported package, imported module path) for every import between app's packages."""
    edges = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        source = parts[0]
        if source in ASSEMBLY or len(parts) == 1:
            continue
        for module in _imports(path):
            target = module.split(".")[1]
            if (root / target).is_dir() and target != source:
                edges.add((source, target, module))
    return edges


def cycles(edges: set[tuple[str, str, str]]) -> list[list[str]]:
    """Every package cycle (as a path), by depth-first search."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges:
        graph.setdefault(source, set()).add(target)
    found = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # report each cycle once, from its smallest package
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def layer_violations(edges: set[tuple[str, str, str]]) -> list[str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    wrong = []
    for source, target, module in sorted(edges):
        if source in rank and target in rank and rank[target] > rank[source]:
            wrong.append(f"{source} imports {module} (above it)")
        if source in FOUNDATIONS and target in rank:
            wrong.append(f"{source} imports {module} (a domain core)")
    return wrong


def table_reaches(edges: set[tuple[str, str, str]]) -> list[str]:
    """A domain that imports another domain's models could query its tables: it must call its service instead."""
    return sorted(f"{s} imports {m}" for s, t, m in edges if m == f"app.{t}.models")


def test_no_package_cycles():
    assert cycles(import_edges()) == []


def test_domain_cores_are_stacked():
    assert layer_violations(import_edges()) == []


def test_no_domain_reaches_into_another_domains_tables():
    assert table_reaches(import_edges()) == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Each check fails on a small tree built to break it (so the checks above can fail)."""
    for package, source in {
        "catalogue": "from app.quizzes import service\n",
        "quizzes": "import app.catalogue.service\nfrom app.progress.models import Enrolment\n",
        "progress": "def late():\n    from app.quizzes.service import record\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "service.py").write_text(source)
    edges = import_edges(tmp_path)
    assert cycles(edges) == [["catalogue", "quizzes", "catalogue"], ["progress", "quizzes", "progress"]]
    assert "catalogue imports app.quizzes (above it)" in layer_violations(edges)
    assert table_reaches(edges) == ["quizzes imports app.progress.models"]
