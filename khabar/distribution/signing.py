"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is ``whsec_`` and the base64 of 24 to 64 random bytes. A message is signed as
``v1,`` and the base64 of HMAC-SHA256(secret bytes, ``{id}.{timestamp}.{body}``); while a
rotated-out secret overlaps, the ``webhook-signature`` header carries both signatures,
separated by a space, and a receiver accepts the message when any one of them matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key of a ``whsec_`` secret; ValueError when it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except ValueError as error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from error
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret holds 24 to 64 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_ if s),
    }


def verify(
    secrets_: list[str], headers_: dict[str, str], body: bytes, *, now: int, tolerance: int = 300
) -> bool:
    """Whether the headers carry a valid signature of ``body`` by one of ``secrets_``, sent
    within ``tolerance`` seconds of ``now`` (the receiving side: the demo endpoint)."""
    msg_id = headers_.get("webhook-id", "")
    try:
        timestamp = int(headers_.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if not msg_id or abs(now - timestamp) > tolerance:
        return False
    offered = {
        part.strip()
        for part in headers_.get("webhook-signature", "").split(" ")
        if part.startswith("v1,")
    }
    for secret in secrets_:
        if not secret:
            continue
        expected = sign(secret, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return True
    return False
