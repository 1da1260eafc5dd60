"""Settings of the security app, read from ``django.conf.settings`` at call time.

``conf.REQUIRE_TWO_FACTOR`` is ``settings.KHABAR_REQUIRE_TWO_FACTOR`` whenever it is read, so
``override_settings`` reaches every caller; settings.py reads the environment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: One-time backup codes made when two-factor sign-in is turned on.
BACKUP_CODES = 10

#: ``conf.NAME`` → the setting it reads (documented in settings.py).
SETTINGS = {
    "IP_RETENTION_DAYS": "KHABAR_IP_RETENTION_DAYS",
    "RETRY_AFTER_SECONDS": "KHABAR_RETRY_AFTER_SECONDS",
    "REQUIRE_TWO_FACTOR": "KHABAR_REQUIRE_TWO_FACTOR",
    # Per address across all user names (the per-account limit is KHABAR_LOGIN_FAILURES).
    "ADDRESS_FAILURE_LIMIT": "KHABAR_LOGIN_ADDRESS_FAILURES",
}


# What each name above is (the type of its setting), for the type checker and for
# tests/test_conf_types.py; the values come from __getattr__ below.
IP_RETENTION_DAYS: int
RETRY_AFTER_SECONDS: int
REQUIRE_TWO_FACTOR: bool
ADDRESS_FAILURE_LIMIT: int


def __getattr__(name: str) -> Any:
    if name not in SETTINGS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(settings, SETTINGS[name])
