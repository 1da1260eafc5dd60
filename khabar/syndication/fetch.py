"""Fetching from outside for ingest: a provider's feed and the pictures its items name.

One GET, with a timeout and a size limit, following at most a few redirects by hand: every
hop's host is resolved and each of its addresses checked before connecting, and the
connection goes to the address checked (a name that resolves differently the second time
cannot lead it elsewhere). A picture comes only over https from a public address; a feed
comes over https, or over plain http from this machine (``127.0.0.1``, ``::1``).

``KHABAR_INGEST_FETCH_LOOPBACK`` (``conf.INGEST_FETCH_LOOPBACK``; off unless a test turns it
on, refused in production) lets pictures come from this machine too, over http or https, so
tests can serve them locally.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 3
#: Every step waits at most the timeout; the whole fetch, redirects and a slow trickle of
#: bytes included, at most this many timeouts (so a worker's claim on a picture can end).
TOTAL_TIMEOUTS = MAX_REDIRECTS + 2
CHUNK = 64 * 1024
USER_AGENT = "khabar-ingest/1"


class FetchError(ValueError):
    """Nothing fetched; ``str()`` says why."""


@dataclass(frozen=True)
class Fetched:
    url: str
    data: bytes
    content_type: str


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def loopback_pictures_allowed() -> bool:
    from khabar.syndication import conf

    return bool(conf.INGEST_FETCH_LOOPBACK)


def is_public(address: Address) -> bool:
    """A global unicast address: not private, loopback, link-local, reserved or multicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchError(f"cannot resolve {host}: {error}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _check_hop(url: str, *, picture: bool) -> tuple[str, str, int, Address]:
    """The scheme, host, port and the checked address to connect to; else FetchError."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise FetchError(f"not an http(s) address: {url}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"bad port in {url}") from None
    addresses = resolve(host, port)
    if not addresses:
        raise FetchError(f"{host} has no address")
    loopback_ok = not picture or loopback_pictures_allowed()
    for address in addresses:
        if is_public(address):
            if scheme != "https":
                raise FetchError(f"only https is fetched from other machines: {url}")
            continue
        if address.is_loopback and loopback_ok:
            continue
        raise FetchError(f"{host} resolves to a private or local address ({address}); refused")
    return scheme, host, port, addresses[0]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An https connection to an address already checked, verifying the certificate of
    the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    picture: bool = False,
    allowed_hosts: list[str] | None = None,
) -> Fetched:
    """GET ``url``: at most ``max_bytes``, ``timeout`` seconds per step, each redirect
    checked as the first address was (and, with ``allowed_hosts``, its host allowed); the
    whole of it within ``TOTAL_TIMEOUTS`` timeouts."""
    deadline = time.monotonic() + TOTAL_TIMEOUTS * timeout
    for _hop in range(MAX_REDIRECTS + 1):
        host = (urlsplit(url).hostname or "").lower()
        if allowed_hosts is not None and host not in allowed_hosts:
            raise FetchError(f"{host or url} is not among the provider's picture hosts")
        scheme, host, port, address = _check_hop(url, picture=picture)
        if picture and scheme != "https" and not loopback_pictures_allowed():
            raise FetchError(f"pictures are fetched over https only: {url}")
        kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = kind(host, str(address), port, timeout)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers={"User-Agent": USER_AGENT})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                if not location:
                    raise FetchError(f"redirect without a Location from {url}")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"{url} answered {response.status}")
            length = int(response.getheader("Content-Length") or 0)
            if length > max_bytes:
                raise FetchError(f"{url} is larger than {max_bytes} bytes")
            data = _read(response, url, max_bytes, deadline)
            return Fetched(url, data, response.getheader("Content-Type") or "")
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"cannot fetch {url}: {error}") from None
        finally:
            connection.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _read(response: http.client.HTTPResponse, url: str, max_bytes: int, deadline: float) -> bytes:
    """The body, at most ``max_bytes``, read before ``deadline`` (each read has the timeout)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took too long to send")
        chunk = response.read1(min(CHUNK, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url} is larger than {max_bytes} bytes")
