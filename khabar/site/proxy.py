"""Purging pages from a caching proxy in front of the app (nginx with ngx_cache_purge).

nginx answers ``GET /_purge<path>`` by dropping ``<path>`` from its cache (see
deploy/nginx.conf.template).
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

    A proxy that cannot be reached is logged, not raised: its copies expire on their own
    within the short max-age the app sets.
    """
    paths = list(paths)
    for base in settings.KHABAR_PROXY_PURGE_URLS:
        parts = urlsplit(base)
        for path in paths:
            try:
                conn = http.client.HTTPConnection(
                    parts.hostname or "127.0.0.1", parts.port or 80, timeout=2
                )
                conn.request("GET", "/_purge" + path, headers={"Host": parts.netloc})
                conn.getresponse().read()
                conn.close()
            except OSError as error:
                log.warning("proxy purge of %s at %s failed: %s", path, base, error)
