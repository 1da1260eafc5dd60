"""Every environment variable khabar reads is listed in .env.example, and nothing else is.

Variables are read in ``settings.py`` only (through the typed helpers of ``lib/env.py``; the
media storage helpers of ``lib/storage.py`` are called from it); apps read
``django.conf.settings`` at call time, so ``override_settings`` reaches them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "khabar"
EXAMPLE = ROOT / ".env.example"

#: Modules that may read the environment, and why.
READERS = {
    "khabar/settings.py": "the settings",
    "khabar/lib/env.py": "the typed helpers settings.py reads through",
    "khabar/lib/storage.py": "the media storage, built by settings.py",
    "khabar/test_settings.py": "sets KHABAR_ENV=test before the settings read it",
    # prometheus_client reads this variable itself; health.py only asks whether it is set.
    "khabar/health.py": "PROMETHEUS_MULTIPROC_DIR, prometheus_client's own",
    "ops/postgres.py": "the tools that start processes (make run, the tests' servers)",
    "ops/supervise.py": "the tools that start processes",
    "ops/topology.py": "the tools that start processes",
    "ops/multinode.py": "the tools that start processes (python -m ops.multinode)",
}
#: Variables that a process, not an operator, sets.
PROCESS = {"DJANGO_SETTINGS_MODULE"}
HELPERS = re.compile(r"^(env_\w+|_first)$")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


def reads(tree: ast.AST) -> set[str]:
    """Names of the environment variables read in ``tree`` (constant names only)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name.endswith("_first"):  # the first of several names that is set
                args = node.args
            elif HELPERS.match(name.rpartition(".")[2]) or name in {"os.environ.get", "os.getenv"}:
                args = node.args[:1]  # the rest is a default
            else:
                continue
            found |= {
                arg.value
                for arg in args
                if isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and re.fullmatch(r"[A-Z][A-Z0-9_]+", arg.value)
            }
        elif isinstance(node, ast.Subscript) and _name(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant) and isinstance(node.ctx, ast.Load):
                found.add(node.slice.value)
    return found


def package_files() -> list[Path]:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "ops").rglob("*.py")]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def read_by_code() -> dict[str, set[str]]:
    return {
        str(p.relative_to(ROOT)): names
        for p in package_files()
        if (names := reads(ast.parse(p.read_text(encoding="utf-8"))))
    }


def listed() -> set[str]:
    """Variables in .env.example, set (``NAME=``) or shown commented out (``# NAME=``)."""
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(pattern.findall(EXAMPLE.read_text(encoding="utf-8")))


def mentioned() -> set[str]:
    """Every name .env.example mentions, in an entry or in a comment (the AWS_* fallbacks)."""
    return set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", EXAMPLE.read_text(encoding="utf-8")))


def test_it_lists_every_variable_the_code_reads():
    read = set().union(*read_by_code().values()) - PROCESS
    assert sorted(read - listed() - {n for n in mentioned() if n.startswith("AWS_")}) == []


def test_it_lists_no_variable_that_nothing_reads():
    read = set().union(*read_by_code().values())
    assert sorted(listed() - read) == []


def test_it_reads_the_environment_only_in_settings():
    assert sorted(set(read_by_code()) - set(READERS)) == []


def test_it_sees_each_way_of_reading_a_variable():
    source = """
import os
a = env_int("A_ONE", 1)
b = os.environ.get("B_TWO")
c = os.environ["C_THREE"]
d = os.getenv("D_FOUR", "")
e = _first("E_FIVE", "E_SIX")
os.environ["NOT_READ"] = "1"
"""
    assert reads(ast.parse(source)) == {"A_ONE", "B_TWO", "C_THREE", "D_FOUR", "E_FIVE", "E_SIX"}


def test_it_declares_every_setting_an_apps_conf_reads():
    from django.conf import settings

    from khabar.analytics import conf as analytics
    from khabar.comments import conf as comments
    from khabar.security import conf as security
    from khabar.syndication import conf as syndication

    names = {
        name
        for conf in (analytics, comments, security, syndication)
        for name in conf.SETTINGS.values()
    }
    assert sorted(name for name in names if not hasattr(settings, name)) == []


def test_it_reads_a_postgres_url_with_a_socket_folder_and_options():
    from khabar.lib.env import database_from_url

    config = database_from_url(
        "postgres://ed:p%40ss@localhost:5439/khabar?host=/run/pg&sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("khabar", "ed", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("/run/pg", "5439")
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] == 60 and config["CONN_HEALTH_CHECKS"] is True


def test_it_refuses_a_database_url_it_cannot_serve():
    from khabar.lib.env import ConfigError, database_from_url

    for url in ("mysql://u@h/db", "postgres://u@h/"):
        with pytest.raises(ConfigError):
            database_from_url(url)


def test_it_sets_settings_in_tests_instead_of_patching_a_conf_module():
    # conf.NAME reads settings.KHABAR_… at call time; a monkeypatched module attribute is left
    # behind as a real one when undone, and hides every later override_settings.
    from khabar.analytics import conf as analytics
    from khabar.comments import conf as comments
    from khabar.security import conf as security
    from khabar.syndication import conf as syndication

    names = {n for c in (analytics, comments, security, syndication) for n in c.SETTINGS}
    patch = re.compile(r"monkeypatch\.setattr\(\s*\w*conf\w*,\s*\"([A-Z_]+)\"")
    found = [
        f"{path.name}: {name}"
        for path in sorted((ROOT / "tests").glob("test_*.py"))
        for name in patch.findall(path.read_text(encoding="utf-8"))
        if name in names
    ]
    assert found == []
