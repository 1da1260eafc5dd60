"""The client's address behind the proxies we trust, for rate limits, the desk-login
throttle and read counting alike."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the forwarded one when a trusted proxy says so.

    The forwarded header is read from the right, skipping our own proxies, so a client
    cannot choose its address by sending the header itself. The proxies are
    ``KHABAR_TRUSTED_PROXIES``, the header ``KHABAR_CLIENT_IP_HEADER`` (a ``META`` key).
    """
    trusted = frozenset(settings.KHABAR_TRUSTED_PROXIES)
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in trusted:
        return remote
    hops = [
        hop.strip() for hop in request.META.get(settings.KHABAR_CLIENT_IP_HEADER, "").split(",")
    ]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return remote
