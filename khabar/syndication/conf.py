"""Settings of the syndication app, read from the environment (see .env.example)."""

from __future__ import annotations

from khabar.lib.env import env_bool, env_int, env_str

# The largest document `khabar ingest` and POST /api/v1/ingest accept, in bytes.
INGEST_MAX_BYTES = env_int("KHABAR_INGEST_MAX_BYTES", 10 * 1024 * 1024)
# The most pictures one multipart POST /api/v1/ingest may carry (each up to the photo limit).
INGEST_MAX_PICTURES = 20
# Room for the multipart boundaries and part headers around the document and its pictures.
_MULTIPART_OVERHEAD = 64 * 1024


def ingest_request_max_bytes() -> int:
    """The largest multipart ingest request: the document and as many pictures as allowed."""
    from khabar.photos import conf as photo_conf

    return INGEST_MAX_BYTES + INGEST_MAX_PICTURES * photo_conf.max_bytes() + _MULTIPART_OVERHEAD


# Seconds to wait for a URL given to `khabar ingest`.
INGEST_FETCH_TIMEOUT = env_int("KHABAR_INGEST_FETCH_TIMEOUT", 30)
# Whether NewsML-G2 documents must validate against the 2.35 schema to be ingested.
INGEST_VALIDATE_NEWSML = env_bool("KHABAR_INGEST_VALIDATE_NEWSML", True)
# Whether ninjs documents must validate against their official schema to be ingested.
INGEST_VALIDATE_NINJS = env_bool("KHABAR_INGEST_VALIDATE_NINJS", True)
# Items per page of GET /api/v1/ninjs and of the RSS and Atom feeds.
FEED_SIZE = env_int("KHABAR_FEED_SIZE", 50)
# The NewsML-G2 provider and guid authority; defaults to SITE_URL's host name.
NEWSML_AUTHORITY = env_str("KHABAR_NEWSML_AUTHORITY", "")
