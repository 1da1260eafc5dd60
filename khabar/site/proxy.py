"""Purging pages from a caching proxy in front of the app (nginx with ngx_cache_purge).

nginx answers ``GET /_purge<path>`` by dropping ``<path>`` from its cache (see
deploy/nginx.conf.template). Its cache key leaves out the host and decodes the path, so one
purge drops the page whatever ``Host`` readers used and however they spelt the address.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

log = logging.getLogger(__name__)


def purge_paths(paths: Iterable[str]) -> None:
    """Ask each configured proxy to drop its copy of these paths.

    One kept-alive connection per proxy carries all the paths. A proxy that cannot be
    reached is logged, not raised: its copies expire on their own (the app's TTL).
    """
    paths = list(paths)
    if not paths:
        return
    for base in settings.KHABAR_PROXY_PURGE_URLS:
        parts = urlsplit(base)
        conn: http.client.HTTPConnection | None = None
        for path in paths:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        parts.hostname or "127.0.0.1", parts.port or 80, timeout=2
                    )
                conn.request("GET", "/_purge" + path, headers={"Host": parts.netloc})
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as error:
                log.warning("proxy purge of %s at %s failed: %s", path, base, error)
                if conn is not None:
                    conn.close()
                    conn = None
        if conn is not None:
            conn.close()
