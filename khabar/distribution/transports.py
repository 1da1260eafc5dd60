"""The transports: how one delivery reaches a subscriber. No database here: the sender runs
these in threads, with everything they need in a ``Parcel``.

- **webhook**: an HTTP POST with the Standard Webhooks headers; a 2xx answer is the receipt.
- **sftp**: one file per item, written under a hidden name and renamed into place, so the
  subscriber never sees half a file; the same delivery always has the same name.
- **email**: the wire text as a plain-text mail whose Message-ID is the delivery's id.
"""

from __future__ import annotations

import io
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from khabar.distribution import signing

ANSWER_CHARS = 2000


@dataclass(frozen=True)
class Parcel:
    key: str
    transport: str
    url: str
    body: bytes
    content_type: str
    extension: str
    event: str
    article_id: int
    version: int
    subject: str = ""
    secrets: list[str] = field(default_factory=list)
    ssh_key: str = ""
    timeout: float = 10.0

    @property
    def file_name(self) -> str:
        return f"{self.key}.{self.extension}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: int | None = None
    answer: str = ""
    error: str = ""
    took_ms: int = 0


def send(parcel: Parcel) -> Outcome:
    """Try once to deliver ``parcel``; never raises."""
    started = time.monotonic()
    try:
        outcome = SENDERS[parcel.transport](parcel)
    except Exception as error:  # a transport's failure is an outcome, never a crash
        outcome = Outcome(False, error=f"{type(error).__name__}: {error}"[:ANSWER_CHARS])
    took = int((time.monotonic() - started) * 1000)
    return Outcome(outcome.ok, outcome.code, outcome.answer, outcome.error, took)


def send_webhook(parcel: Parcel) -> Outcome:
    headers = signing.headers(parcel.secrets, parcel.key, int(time.time()), parcel.body)
    headers.update(
        {
            "content-type": parcel.content_type,
            "user-agent": "khabar-distribution/1",
            "khabar-event": parcel.event,
            "khabar-story": str(parcel.article_id),
            "khabar-version": str(parcel.version),
        }
    )
    request = urllib.request.Request(parcel.url, data=parcel.body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=parcel.timeout) as response:
            answer = response.read(ANSWER_CHARS).decode("utf-8", "replace")
            return Outcome(200 <= response.status < 300, response.status, answer)
    except urllib.error.HTTPError as error:
        answer = error.read(ANSWER_CHARS).decode("utf-8", "replace")
        return Outcome(False, error.code, answer, f"HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        return Outcome(False, error=f"{type(reason).__name__}: {reason}"[:ANSWER_CHARS])


def send_sftp(parcel: Parcel) -> Outcome:
    """Upload as ``.<name>.part`` then rename over ``<name>`` (POSIX rename: atomic, and a
    second copy of the same delivery just replaces the first)."""
    import paramiko

    url = urlsplit(parcel.url)
    query = parse_qs(url.query)
    key = None
    if parcel.ssh_key:
        key = _private_key(parcel.ssh_key)
    sock = socket.create_connection((url.hostname or "", url.port or 22), timeout=parcel.timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = parcel.timeout
        transport.auth_timeout = parcel.timeout
        transport.start_client(timeout=parcel.timeout)
        expected = query.get("fingerprint", [""])[0]
        if expected:
            got = "SHA256:" + _fingerprint(transport.get_remote_server_key())
            if got.rstrip("=") != expected.rstrip("="):
                return Outcome(False, error=f"host key {got} is not {expected}")
        username = unquote(url.username or "")
        if key is not None:
            transport.auth_publickey(username, key)
        else:
            transport.auth_password(username, unquote(url.password or ""))
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        sftp.get_channel().settimeout(parcel.timeout)
        folder = unquote(url.path) or "."
        partial = f"{folder.rstrip('/')}/.{parcel.file_name}.part"
        final = f"{folder.rstrip('/')}/{parcel.file_name}"
        sftp.putfo(io.BytesIO(parcel.body), partial, confirm=True)
        sftp.posix_rename(partial, final)
        sftp.close()
        return Outcome(True, answer=final)
    finally:
        transport.close()


def _private_key(text: str) -> object:
    import paramiko

    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text))
        except paramiko.SSHException:
            continue
    raise ValueError("the SSH key is not an Ed25519, ECDSA or RSA private key")


def _fingerprint(key: object) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(key.asbytes()).digest()  # type: ignore[attr-defined]
    return base64.b64encode(digest).decode()


def send_email(parcel: Parcel) -> Outcome:
    """The wire text as the mail's body (other formats attached); the Message-ID is the
    delivery's id, so a mail reader shows a second copy as the same message."""
    from django.core.mail import EmailMessage, get_connection

    address = parcel.url.removeprefix("mailto:")

    message = EmailMessage(
        subject=parcel.subject,
        to=[address],
        headers={
            "Message-ID": f"<{parcel.key}@khabar>",
            "Khabar-Event": parcel.event,
            "Khabar-Story": str(parcel.article_id),
            "Khabar-Version": str(parcel.version),
        },
    )
    if parcel.content_type.startswith("text/plain"):
        message.body = parcel.body.decode()
    else:
        message.body = parcel.subject
        message.attach(parcel.file_name, parcel.body, parcel.content_type)

    with get_connection(timeout=parcel.timeout) as connection:
        sent = connection.send_messages([message])
    return Outcome(bool(sent), answer=f"<{parcel.key}@khabar>")


SENDERS = {"webhook": send_webhook, "sftp": send_sftp, "email": send_email}
