"""Settings of "most read", read from the environment (see .env.example).

Code reads them as ``conf.NAME`` at call time, so a test can monkeypatch one value.
"""

from __future__ import annotations

from khabar.lib.env import env_int, env_str

#: Stories in a "most read" list.
SIZE = env_int("KHABAR_MOST_READ_SIZE", 5)
#: Hours a list looks back over (whole hours: the current one and the ones before it).
HOURS = env_int("KHABAR_MOST_READ_HOURS", 24)
#: One read per reader (address + browser) per story in this many hours.
REPEAT_HOURS = env_int("KHABAR_MOST_READ_REPEAT_HOURS", 6)
#: Without Redis: counts wait in each process and are written at most this often…
FLUSH_SECONDS = env_int("KHABAR_MOST_READ_FLUSH_SECONDS", 30)
#: …or as soon as this many reads are waiting.
FLUSH_HITS = env_int("KHABAR_MOST_READ_FLUSH_HITS", 500)
#: Hourly counters older than this many days are deleted by ``khabar flush_hits``.
KEEP_DAYS = env_int("KHABAR_MOST_READ_KEEP_DAYS", 7)
#: More user-agent words that mark a robot, a regular expression added to the built-in list.
EXTRA_BOTS = env_str("KHABAR_MOST_READ_EXTRA_BOTS", "")
