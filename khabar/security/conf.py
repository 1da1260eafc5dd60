"""Settings of the security app, read from the environment (see .env.example).

Code reads them as ``conf.NAME`` at call time, so a test can monkeypatch one value.
"""

from __future__ import annotations

from khabar.lib.env import env_bool, env_int

#: Days a comment keeps its (hashed) client address and a failed login its address.
IP_RETENTION_DAYS = env_int("KHABAR_IP_RETENTION_DAYS", 30)
#: Seconds a client is asked to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_SECONDS = env_int("KHABAR_RETRY_AFTER_SECONDS", 5)
#: Desk staff must turn two-factor sign-in on before they can use the desk.
REQUIRE_TWO_FACTOR = env_bool("KHABAR_REQUIRE_TWO_FACTOR", False)
#: One-time backup codes made when two-factor sign-in is turned on.
BACKUP_CODES = 10
#: Failed desk sign-ins from one address, across all user names, before that address is
#: paused too (the per-account limit is KHABAR_LOGIN_FAILURES): a password spray that tries
#: a few passwords on each of many accounts.
ADDRESS_FAILURE_LIMIT = env_int("KHABAR_LOGIN_ADDRESS_FAILURES", 20)
