"""Layers point down (STYLE.md, habit 14), checked on the source with ``ast``.

    lib < wire                 pure: no Django models, no khabar app
    site                       the core: editions, client IP and trusted proxies, caches and
                               their tags, the shared template tags (``{% load khabar %}``),
                               the request guard's plumbing, story hooks
    feature apps               each imports only the apps named in ``FEATURES`` below
    project wiring             settings, urls, api, wsgi/asgi, health, test helpers: anything

What a page shows from a higher app (comment counts on a story list, a story's search
index entry) comes through a template tag or a hook (``khabar.site.hooks``) that the higher
app registers, never through an import from below. Every import counts: at module level,
inside a function and under ``TYPE_CHECKING``, since each one is a dependency a reader has
to know about.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "khabar"

PURE = {"lib": set(), "wire": {"lib"}}
CORE = {"site": {"lib", "wire"}}
#: Each feature app and the feature apps it may import (besides site, lib and wire). The
#: stories app is the bottom one: it knows nothing of comments, search or syndication.
FEATURES: dict[str, set[str]] = {
    "articles": set(),
    "search": {"articles"},
    "comments": {"articles", "search"},
    # Backup and restore see everything they save and rebuild; purge_ips reaches comments.
    "security": {"articles", "comments", "search"},
    # Photos register their check with the backup.
    "photos": {"articles", "security"},
    "analytics": {"articles"},
    "live": {"articles", "photos"},
    "syndication": {"articles", "photos"},
    "distribution": {"articles", "syndication"},
    "desk": {"analytics", "articles", "comments"},
    "worker": {"analytics", "articles", "distribution", "photos", "syndication"},
    # Imports WordPress archives: stories, their comments and photos; bodies are cleaned by
    # syndication's shared HTML-to-paragraphs clean-up (nothing imports wordpress).
    "wordpress": {"articles", "comments", "photos", "syndication"},
}
#: Top-level modules and folders that wire the project together; they may import anything.
PROJECT = "project"

#: Edges that break the rules and are being removed, each with the reason it is still here.
#: ``test_it_keeps_no_stale_exception`` fails once one is gone, so the list only shrinks.
KNOWN: set[tuple[str, str]] = set()


def allowed() -> dict[str, set[str]]:
    rules = {**PURE, **CORE}
    for app, deps in FEATURES.items():
        rules[app] = deps | {"site", "wire", "lib"}
    return rules


def unit_of(module: str) -> str:
    """The layer unit of a dotted module name under ``khabar``."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in allowed():
        return parts[1]
    return PROJECT


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, tree: ast.AST | None = None) -> list[tuple[int, str]]:
    """(line, imported module) for every khabar import in the file, relative ones resolved."""
    tree = tree or ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from khabar.x import y``: y may be a module of its own.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.startswith("khabar.")]
    return found


def python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def unit_edges() -> dict[tuple[str, str], list[str]]:
    """(importer unit, imported unit) → the places it happens."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in python_files():
        source = unit_of(module_name(path))
        for line, target in imports_of(path):
            dest = unit_of(target)
            if dest != source:
                edges[source, dest].append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each reported once per entry point)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def violations(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    rules = allowed()
    bad = []
    for (source, dest), places in sorted(edges.items()):
        if source == PROJECT or (source, dest) in KNOWN:
            continue
        if dest == PROJECT or dest not in rules[source]:
            bad += places
    return bad


def test_it_declares_an_acyclic_map_of_the_layers():
    assert cycles(allowed()) == []


def test_it_imports_only_downwards_between_apps():
    assert violations(unit_edges()) == []


def test_it_has_no_cycle_between_apps():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, dest in unit_edges():
        if (source, dest) not in KNOWN:
            graph[source].add(dest)
    assert cycles(graph) == []


def test_it_has_no_import_cycle_inside_lib():
    graph: dict[str, set[str]] = defaultdict(set)
    modules = {module_name(p) for p in (PACKAGE / "lib").rglob("*.py")}
    for path in (PACKAGE / "lib").rglob("*.py"):
        for _, target in imports_of(path):
            if target in modules and target != module_name(path):
                graph[module_name(path)].add(target)
    assert cycles(graph) == []


def test_it_keeps_operations_tools_out_of_the_package():
    # ops/ starts processes, installs nothing and reads deploy/: it is no part of khabar.
    assert not (PACKAGE / "ops").exists()
    found = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "ops"
            ]
    assert found == []


def test_it_keeps_no_stale_exception():
    assert KNOWN <= set(unit_edges()), "an edge in KNOWN is gone: take it off the list"


def test_it_names_every_app_folder():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders - set(allowed()) <= {"data"}, "a new app needs its place in FEATURES"


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("khabar/articles/views.py", "from khabar.syndication.feeds import x\n", True),
        ("khabar/articles/views.py", "def f():\n    from khabar.search import indexing\n", True),
        ("khabar/articles/views.py", "from ..search import indexing\n", True),
        ("khabar/site/editions.py", "from khabar.articles.models import Section\n", True),
        ("khabar/lib/arabic.py", "import khabar.site.editions\n", True),
        ("khabar/comments/views.py", "from khabar.articles.models import Article\n", False),
        ("khabar/comments/views.py", "from .models import Comment\n", False),
        ("khabar/urls.py", "from khabar.comments import urls\n", False),
    ],
)
def test_it_sees_an_upward_import_where_there_is_one(path, source, expected):
    file = ROOT / path
    source_unit = unit_of(module_name(file))
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for line, target in imports_of(file, ast.parse(source)):
        if unit_of(target) != source_unit:
            edges[source_unit, unit_of(target)].append(f"{path}:{line}")
    assert bool(violations(edges)) is expected


def test_it_finds_a_cycle_where_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
