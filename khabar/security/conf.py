"""Settings of the security app, read from the environment (see .env.example).

Code reads them as ``conf.NAME`` at call time, so a test can monkeypatch one value.
"""

from __future__ import annotations

from khabar.lib.env import env_int

#: Days a comment keeps its (hashed) client address and a failed login its address.
IP_RETENTION_DAYS = env_int("KHABAR_IP_RETENTION_DAYS", 30)
#: Seconds a client is asked to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_SECONDS = env_int("KHABAR_RETRY_AFTER_SECONDS", 5)
