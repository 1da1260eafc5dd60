"""Subscribers, their destinations, and the outbox of deliveries to them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Article, Urgency


class Format(models.TextChoices):
    NINJS = "ninjs", "ninjs 3.1"
    NEWSML = "newsml", "NewsML-G2 2.35"
    WIRE = "wire", _("Wire text")
    RSS = "rss", _("RSS item")


class Transport(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (HTTP POST)")
    SFTP = "sftp", "SFTP"
    EMAIL = "email", _("Email")


class Subscriber(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.name


class Destination(models.Model):
    """Where one subscriber gets what: a filter, a format and a transport."""

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="destinations",
        verbose_name=_("subscriber"),
    )
    transport = models.CharField(
        _("transport"), max_length=12, choices=Transport.choices, default=Transport.WEBHOOK
    )
    format = models.CharField(
        _("format"), max_length=12, choices=Format.choices, default=Format.NINJS
    )
    # A webhook's https:// (or http://) URL, an sftp://user@host:port/folder, or an address.
    url = models.CharField(_("address"), max_length=500)
    # Standard Webhooks: "whsec_" and base64. The previous one signs too until it expires.
    secret = models.CharField(_("signing secret"), max_length=120, blank=True)
    previous_secret = models.CharField(
        _("previous signing secret"), max_length=120, blank=True, editable=False
    )
    previous_secret_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    # The private key (OpenSSH or PEM) that logs in to an SFTP destination.
    ssh_key = models.TextField(_("SSH private key"), blank=True)
    editions = models.JSONField(
        _("editions"), default=list, blank=True, help_text=_("Empty: every edition.")
    )
    sections = models.JSONField(
        _("sections"), default=list, blank=True, help_text=_("Section slugs; empty: all.")
    )
    tags = models.JSONField(
        _("tags"), default=list, blank=True, help_text=_("Tag slugs; empty: any.")
    )
    min_urgency = models.PositiveSmallIntegerField(
        _("urgency at or above"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    with_photos = models.BooleanField(_("with photos"), default=True)
    active = models.BooleanField(_("active"), default=True)
    # The circuit: consecutive failures, and the time the destination is paused until.
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["subscriber__name", "pk"]
        verbose_name = _("destination")
        verbose_name_plural = _("destinations")

    def __str__(self) -> str:
        return f"{self.subscriber.name}: {self.get_format_display()} → {self.url}"

    def wants(self, article: Article, tag_slugs: set[str]) -> bool:
        """Whether the destination's filter takes this story (as it is now; ``tag_slugs``
        are the story's tags)."""
        if self.editions and article.lang not in self.editions:
            return False
        if self.sections and article.section.slug not in self.sections:
            return False
        # IPTC urgency: 1 is the most urgent, so "at or above" is a smaller number.
        if article.urgency > self.min_urgency:
            return False
        if self.tags and not set(self.tags) & tag_slugs:
            return False
        return True


class Copy(models.Model):
    """One version of a story rendered in one format, shared by every delivery of it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    event = models.CharField(max_length=20)
    format = models.CharField(max_length=12, choices=Format.choices)
    with_photos = models.BooleanField(default=True)
    #: A live story's change number (``LiveStory.seq``) for a "live_updated" copy, else 0.
    live_seq = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "version", "event", "live_seq", "format", "with_photos"],
                name="distribution_copy_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version} {self.event} {self.format}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Given up")


class Event(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CORRECTED = "corrected", _("Corrected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    RESTORED = "restored", _("Restored")
    EMBARGO_LIFTED = "embargo_lifted", _("Embargo lifted")
    LIVE_UPDATED = "live_updated", _("Live update")


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def unfinished(self) -> DeliveryQuerySet:
        return self.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])

    def failed(self) -> DeliveryQuerySet:
        return self.filter(
            models.Q(status=DeliveryStatus.DEAD)
            | models.Q(status=DeliveryStatus.PENDING, attempts__gt=0)
        )


class Delivery(models.Model):
    """One version of one story for one destination: a row of the outbox.

    ``key`` is its stable id (the webhook-id, the file name, the Message-ID): every attempt
    and every resend carries the same, so a subscriber can drop what it already has. The
    primary key orders a destination's deliveries: a story's later versions never go before
    its earlier ones.
    """

    key = models.CharField(_("delivery id"), max_length=80, unique=True)
    destination = models.ForeignKey(
        Destination,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("destination"),
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("story")
    )
    version = models.PositiveIntegerField(_("version"))
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    #: For "live_updated": the live story's change number that the update (new or
    #: corrected) took; a story version has many of them. 0 for the other events.
    live_seq = models.PositiveIntegerField(_("live change number"), default=0, editable=False)
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        editable=False,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    created_at = models.DateTimeField(_("queued"), default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    response_code = models.PositiveIntegerField(_("answer code"), null=True, blank=True)
    response = models.TextField(_("receiver's answer"), blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["destination", "article"], name="delivery_story_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "article", "version", "event", "live_seq"],
                name="delivery_once_per_change",
            )
        ]
        permissions = [
            ("send_delivery", _("Can send deliveries (the worker)")),
            ("resend_delivery", _("Can resend and replay deliveries")),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.key


class Attempt(models.Model):
    """One try at sending a delivery, with the receiver's answer: the desk's proof."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("at"), default=timezone.now)
    ok = models.BooleanField(_("accepted"))
    response_code = models.PositiveIntegerField(_("answer code"), null=True, blank=True)
    response = models.TextField(_("receiver's answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    took_ms = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S}"


class Receipt(models.Model):
    """What the demo receiving endpoint got: the site as its own subscriber."""

    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="receipts", null=True
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    webhook_id = models.CharField(_("webhook id"), max_length=120)
    duplicate = models.BooleanField(_("duplicate"), default=False)
    verified = models.BooleanField(_("signature verified"), default=False)
    event = models.CharField(_("event"), max_length=20, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("demo receipt")
        verbose_name_plural = _("demo receipts")

    def __str__(self) -> str:
        return self.webhook_id
