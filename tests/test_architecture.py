"""The rules that keep the write path and the reader path honest, checked on the source.

- A story's or a comment's ``status`` is set only in an ``actions.py`` module (where the
  permission check, the audit entry, re-indexing and purging happen together).
- Every write names its actor: no ``actor=None`` is passed, and no ``actor`` parameter
  defaults to None.
- A single story or comment is fetched for a reader only through an ``access.py`` module
  (reader pages, the API, feeds and template tags list through QuerySet methods).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "khabar"

#: Models whose ``status`` is workflow state (photos have a ``render_status``, not this).
READER_MODELS = {"Article", "Comment"}
#: Modules a reader's request reaches directly.
READER_MODULES = ("views.py", "api.py", "feeds.py", "sitemaps.py", "widget.py")


def modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def status_writes(tree: ast.AST) -> list[int]:
    """Lines that assign a ``status`` attribute or pass ``status=`` to a write."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            writes = ("update", "create", "bulk_create", "update_or_create", "get_or_create")
            if node.func.attr in writes and any(kw.arg == "status" for kw in node.keywords):
                lines.append(node.lineno)
    return lines


#: Write paths outside ``actions.py`` that set a status, each with why, and where it is proven
#: to write what the actions would.
STATUS_WRITERS = {
    # The archive import's bulk writer (issue 19: 1,000 stories/s): a batch gets the rows
    # create_article and publish_article (or submit) write one story at a time, revisions
    # and audit entries included, and tests/test_archive_import_speed.py compares them row
    # by row with the one-by-one path's.
    "khabar/articles/wire_import.py",
}


def test_it_sets_status_only_in_actions():
    found = []
    for path in modules():
        if path.name == "actions.py" or rel(path) in STATUS_WRITERS:
            continue
        found += [f"{rel(path)}:{n}" for n in status_writes(ast.parse(path.read_text()))]
    assert found == []


def test_it_finds_a_status_write_where_there_is_one():
    # The checker itself: a status write outside actions is seen.
    tree = ast.parse(
        "story.status = 'published'\nArticle.objects.filter(pk=1).update(status='x')\n"
    )
    assert status_writes(tree) == [1, 2]


def _attack_lines(tree: ast.AST) -> set[int]:
    """Lines inside ``with pytest.raises(…)``: a test passing no actor to see it refused."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, ast.Attribute)
            and item.context_expr.func.attr == "raises"
            for item in node.items
        ):
            lines |= set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def none_actors(tree: ast.AST) -> list[int]:
    lines = []
    attacks = _attack_lines(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno not in attacks:
            for kw in node.keywords:
                if kw.arg == "actor" and isinstance(kw.value, ast.Constant):
                    if kw.value.value is None:
                        lines.append(node.lineno)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            named = positional[len(positional) - len(args.defaults) :]
            pairs = list(zip(named, args.defaults, strict=True)) + [
                (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
            ]
            for arg, default in pairs:
                if arg.arg == "actor" and isinstance(default, ast.Constant):
                    if default.value is None:
                        lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("folder", ["khabar", "tests", "bench"])
def test_it_never_lets_a_write_go_without_an_actor(folder):
    found = []
    for path in modules(ROOT / folder):
        if path.name == "test_architecture.py":
            continue
        found += [f"{rel(path)}:{n}" for n in none_actors(ast.parse(path.read_text()))]
    assert found == []


def test_it_finds_a_missing_actor_where_there_is_one():
    tree = ast.parse(
        "def f(*, actor=None): ...\n"
        "publish(story, actor=None)\n"
        "with pytest.raises(PermissionDenied):\n"
        "    publish(story, actor=None)\n"
    )
    assert sorted(none_actors(tree)) == [1, 2]


def single_fetches(tree: ast.AST) -> list[int]:
    """Lines that fetch one story or comment by its id outside ``access.py``: ``.get(`` or
    ``get_object_or_404(`` on the model, or a ``filter(pk=…)`` on it."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("get_object_or_404", "get_list_or_404"):
            first = node.args[0] if node.args else None
            if _mentions_model(first):
                lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and _mentions_model(func.value):
            keys = {kw.arg for kw in node.keywords}
            if func.attr == "get" or (func.attr == "filter" and keys & {"pk", "id"}):
                lines.append(node.lineno)
    return sorted(lines)


def _mentions_model(node: ast.AST | None) -> bool:
    """Whether an expression starts from ``Article``/``Comment`` (``Article.objects…``)."""
    while node is not None:
        if isinstance(node, ast.Name):
            return node.id in READER_MODELS
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False
    return False


def test_it_fetches_a_story_or_comment_for_a_reader_only_through_access():
    found = []
    for path in modules():
        if path.name in READER_MODULES or "templatetags" in path.parts:
            found += [f"{rel(path)}:{n}" for n in single_fetches(ast.parse(path.read_text()))]
    assert found == []


def test_it_finds_a_reader_fetch_where_there_is_one():
    tree = ast.parse(
        "get_object_or_404(Comment, pk=1)\n"
        "Article.objects.published().filter(pk=pk).first()\n"
        "Article.objects.select_related('section').get(pk=pk)\n"
        "Article.objects.published().filter(tags=t)\n"
    )
    assert single_fetches(tree) == [1, 2, 3]
