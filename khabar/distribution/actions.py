"""Every write of distribution: subscribers and destinations (the desk and ``khabar
subscriber``), resends and replays (the desk), and the sender's claims and results (the
worker, as the ``DISTRIBUTION`` system actor)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.articles.models import Urgency
from khabar.distribution import conf, signing
from khabar.distribution.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Destination,
    Format,
    Subscriber,
    Transport,
)
from khabar.distribution.transports import Outcome
from khabar.site import actors

log = logging.getLogger("khabar.distribution")

#: The worker's sender: claims deliveries and records what the receivers answered; nothing else.
DISTRIBUTION = actors.system("distribution", {"distribution.send_delivery"})

#: A user, a ``PartnerActor`` or a ``SystemActor`` (see ``khabar.site.actors``); never None.
Actor = Any


def _require(actor: Actor, perm: str) -> None:
    actors.require(actor, f"distribution.{perm}")


# -- subscribers -------------------------------------------------------------------------


@transaction.atomic
def add_subscriber(
    name: str, *, actor: Actor, contact: str = "", active: bool = True
) -> Subscriber:
    """A new subscriber (no destination yet)."""
    _require(actor, "add_subscriber")
    name = name.strip()
    if not name:
        raise ValidationError(_("A subscriber needs a name."))
    if Subscriber.objects.filter(name=name).exists():
        raise ValidationError(_("There is already a subscriber named “%(name)s”.") % {"name": name})
    return Subscriber.objects.create(name=name, contact=contact, active=active)


@transaction.atomic
def add_destination(
    subscriber: Subscriber,
    *,
    actor: Actor,
    url: str,
    transport: str = Transport.WEBHOOK,
    format: str = Format.NINJS,
    secret: str | None = None,
    editions: Iterable[str] = (),
    sections: Iterable[str] = (),
    tags: Iterable[str] = (),
    min_urgency: int = Urgency.NORMAL,
    with_photos: bool = True,
    ssh_key: str = "",
) -> Destination:
    """A destination of ``subscriber``; a webhook without a ``secret`` gets a new one."""
    _require(actor, "add_destination")
    if transport not in Transport.values:
        raise ValidationError(_("Unknown transport: %(name)s") % {"name": transport})
    if format not in Format.values:
        raise ValidationError(_("Unknown format: %(name)s") % {"name": format})
    if transport == Transport.WEBHOOK:
        if not url.startswith(("https://", "http://")):
            raise ValidationError(_("A webhook's address starts with https:// or http://."))
        secret = secret or signing.new_secret()
    if transport == Transport.SFTP and not url.startswith("sftp://"):
        raise ValidationError(_("An SFTP address looks like sftp://user@host:22/folder."))
    if transport == Transport.EMAIL and "@" not in url:
        raise ValidationError(_("An email destination needs an address."))
    if secret:
        try:
            signing.secret_bytes(secret)
        except ValueError as error:
            raise ValidationError(str(error)) from error
    return Destination.objects.create(
        subscriber=subscriber,
        transport=transport,
        format=format,
        url=url,
        secret=secret or "",
        editions=list(editions),
        sections=list(sections),
        tags=list(tags),
        min_urgency=min_urgency,
        with_photos=with_photos,
        ssh_key=ssh_key,
    )


@transaction.atomic
def remove_subscriber(subscriber: Subscriber, *, actor: Actor) -> None:
    """Delete a subscriber, its destinations and their delivery records."""
    _require(actor, "delete_subscriber")
    Subscriber.objects.filter(pk=subscriber.pk).delete()


@transaction.atomic
def rotate_secret(destination: Destination, *, actor: Actor, secret: str | None = None) -> str:
    """Give a webhook a new secret; the old one keeps signing beside it for
    KHABAR_DISTRIBUTION_SECRET_OVERLAP seconds, so the subscriber can switch meanwhile."""
    _require(actor, "change_destination")
    secret = secret or signing.new_secret()
    signing.secret_bytes(secret)
    Destination.objects.filter(pk=destination.pk).update(
        secret=secret,
        previous_secret=destination.secret,
        previous_secret_until=timezone.now() + conf.secret_overlap(),
    )
    destination.refresh_from_db()
    return secret


def signing_secrets(destination: Destination, now: datetime.datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while it overlaps."""
    now = now or timezone.now()
    out = [destination.secret]
    until = destination.previous_secret_until
    if destination.previous_secret and until is not None and until > now:
        out.append(destination.previous_secret)
    return [s for s in out if s]


# -- resends -----------------------------------------------------------------------------


def resend_delivery(delivery: Delivery, *, actor: Actor) -> bool:
    """Send a delivery again, with the same id (a subscriber that has it can drop it)."""
    _require(actor, "resend_delivery")
    return bool(
        Delivery.objects.filter(pk=delivery.pk)
        .exclude(status=DeliveryStatus.SENDING)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), error="")
    )


def replay_deliveries(
    *,
    actor: Actor,
    since: datetime.datetime,
    until: datetime.datetime,
    subscriber: Subscriber | None = None,
) -> int:
    """Send again everything queued between ``since`` and ``until`` (to one subscriber, or
    to all), in the original order and with the original ids; returns how many."""
    _require(actor, "resend_delivery")
    chosen = Delivery.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        status=DeliveryStatus.SENDING
    )
    if subscriber is not None:
        chosen = chosen.filter(destination__subscriber=subscriber)
    return chosen.update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), error="")


# -- the sender (the worker) -------------------------------------------------------------


def claim_delivery(
    delivery_id: int, *, actor: Actor, attempts: int, lease_until: datetime.datetime
) -> bool:
    """Take a due delivery for one try (compare-and-set: another worker that got there
    first, or a resend meanwhile, makes this return False)."""
    _require(actor, "send_delivery")
    now = timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    return bool(
        Delivery.objects.filter(due, pk=delivery_id, attempts=attempts).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            lease_until=lease_until,
            last_attempt_at=now,
        )
    )


@transaction.atomic
def record_attempt(
    delivery_id: int,
    *,
    actor: Actor,
    destination_id: int,
    attempts: int,
    outcome: Outcome,
    retry_in: float,
) -> None:
    """Write down one try: delivered, or back in the queue for ``retry_in`` seconds; and
    move the destination's circuit (a success closes it, repeated failures pause it)."""
    _require(actor, "send_delivery")
    now = timezone.now()
    mine = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, attempts=attempts)
    common = {
        "response_code": outcome.code,
        "response": outcome.answer,
        "error": outcome.error,
        "lease_until": None,
    }
    if outcome.ok:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, **common)
        Destination.objects.filter(pk=destination_id).filter(
            Q(failures__gt=0) | Q(paused_until__isnull=False)
        ).update(failures=0, paused_until=None)
    else:
        mine.update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now + datetime.timedelta(seconds=retry_in),
            **common,
        )
        Destination.objects.filter(pk=destination_id).update(failures=F("failures") + 1)
        threshold = conf.circuit_failures()
        Destination.objects.filter(pk=destination_id, failures__gte=threshold).update(
            paused_until=now + conf.circuit_pause()
        )
    Attempt.objects.create(
        delivery_id=delivery_id,
        at=now,
        ok=outcome.ok,
        response_code=outcome.code,
        response=outcome.answer,
        error=outcome.error,
        took_ms=outcome.took_ms,
    )


def give_up_stale_deliveries(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Mark as given up ("dead") every delivery still unsent KHABAR_DISTRIBUTION_DEAD_AFTER
    seconds after it was queued, and alert the desk (the chiefs, by mail); returns how many."""
    _require(actor, "send_delivery")
    now = now or timezone.now()
    stale = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, created_at__lt=now - conf.dead_after()
        ).select_related("destination__subscriber")[:500]
    )
    dead = [
        d
        for d in stale
        if Delivery.objects.filter(pk=d.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.DEAD
        )
    ]
    if dead:
        _alert_desk(dead)
    return len(dead)


def _alert_desk(dead: list[Delivery]) -> None:
    lines = [
        f"{d.key}: {d.destination.subscriber.name} ({d.destination.url}): "
        f"{d.error or d.response_code or ''}"
        for d in dead
    ]
    log.error("distribution gave up %d deliveries:\n%s", len(dead), "\n".join(lines))
    chiefs = (
        get_user_model()
        .objects.filter(groups__name="chief", is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if chiefs:
        send_mail(
            _("Distribution gave up %(count)d deliveries") % {"count": len(dead)},
            "\n".join(lines),
            None,
            list(chiefs),
            fail_silently=True,
        )
