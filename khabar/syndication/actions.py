"""Writes to partners and their tokens: creation shows the token once, revocation is final."""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from khabar.syndication.models import TOKEN_PREFIX, Partner, PartnerToken, token_digest

User = AbstractBaseUser | AnonymousUser | None


def _require(user: User, perm: str) -> None:
    if user is not None and not user.has_perm(f"syndication.{perm}"):
        raise PermissionDenied(perm)


@transaction.atomic
def create_partner_token(
    partner: Partner, *, actor: User, label: str = ""
) -> tuple[PartnerToken, str]:
    """Make a new token for ``partner``; returns it and the raw token, which is never stored."""
    _require(actor, "add_partnertoken")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken.objects.create(
        partner=partner,
        label=label,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        created_by=actor
        if actor is not None and actor.is_authenticated
        else None,
    )
    return token, raw


def revoke_partner_token(token: PartnerToken, *, actor: User) -> bool:
    """Revoke a token at once; returns False when it was already revoked."""
    _require(actor, "change_partnertoken")
    updated = PartnerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db()
    return updated == 1


def partner_for_token(raw: str) -> Partner | None:
    """The active partner whose unrevoked token this is, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        PartnerToken.objects.select_related("partner")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Recording every use would turn each read into a write; once a minute is enough.
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.partner
