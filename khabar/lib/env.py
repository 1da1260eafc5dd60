"""Typed settings helpers that read the environment and fail loudly on bad values."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url


class ConfigError(RuntimeError):
    """A setting in the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable as a string; raise ConfigError when unset and no default."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a bool (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    """Return the variable as an int."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of stripped, non-empty items."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Return a rate written ``count/seconds`` (``5/60``: five per minute)."""
    value = env_str(name, default)
    try:
        count, seconds = (int(part) for part in value.split("/", 1))
    except ValueError:
        raise ConfigError(f"{name} must look like count/seconds, got {value!r}") from None
    if count < 1 or seconds < 1:
        raise ConfigError(f"{name} must be positive, got {value!r}")
    return count, seconds


def env_origins(name: str) -> dict[str, str]:
    """Return ``name=https://origin,…`` as {name: origin} (no trailing slash)."""
    sites: dict[str, str] = {}
    for item in env_list(name, []):
        site, sep, origin = item.partition("=")
        if not sep or not site.strip() or not origin.strip().startswith(("http://", "https://")):
            raise ConfigError(f"{name} items must look like name=https://origin, got {item!r}")
        sites[site.strip()] = origin.strip().rstrip("/")
    return sites


def database_from_url(url: str) -> dict[str, Any]:
    """Turn ``postgres://user:pass@host:port/name?sslmode=…`` into a Django DATABASES entry.

    dj-database-url reads the URL; a socket folder given as ``?host=/path`` (as libpq takes
    it) becomes the HOST, and connections are kept a minute with health checks.
    """
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except ValueError as error:
        raise ConfigError(f"DATABASE_URL: {error}") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        scheme = url.partition(":")[0]
        raise ConfigError(f"DATABASE_URL scheme {scheme!r} is not supported (use postgres://)")
    if not config.get("NAME"):
        raise ConfigError("DATABASE_URL must name a database")
    options = config.setdefault("OPTIONS", {})
    if "host" in options:
        config["HOST"] = options.pop("host")
    config["PORT"] = str(config.get("PORT") or "")
    return config
