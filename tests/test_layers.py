"""The layers hold (pyproject.toml's import-linter contract, run by make test): every app is
placed in them, and no two apps import each other, lazily inside a function included."""

import ast
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "auroramart"


def apps() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def app_imports() -> dict[str, set[str]]:
    """app -> the other apps its modules import (every import statement, at any depth)."""
    names = set(apps())
    edges: dict[str, set[str]] = defaultdict(set)
    for app in names:
        for path in (PACKAGE / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                else:
                    continue
                for module in modules:
                    parts = module.split(".")
                    if parts[0] == "auroramart" and len(parts) > 1 and parts[1] in names and parts[1] != app:
                        edges[app].add(parts[1])
    return edges


def test_every_app_has_its_place_in_the_layers():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip().removeprefix("auroramart.") for layer in layers for name in layer.split("|")}
    assert placed == set(apps())
    assert layers[-1] == "auroramart.core"  # the ground floor imports no app


def test_no_two_apps_import_each_other():
    edges = app_imports()
    assert edges  # the walk found the imports
    mutual = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, ())})
    assert mutual == []
    assert edges.get("core", set()) == set()


def test_the_apps_import_graph_has_no_cycle():
    edges = app_imports()
    state: dict[str, int] = {}

    def visit(app, path):
        state[app] = 1
        for other in sorted(edges.get(app, ())):
            assert state.get(other) != 1, " -> ".join([*path, app, other])
            if other not in state:
                visit(other, [*path, app])
        state[app] = 2

    for app in apps():
        if app not in state:
            visit(app, [])
