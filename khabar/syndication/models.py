"""Partner outlets, their API tokens (stored only as a SHA-256 digest), and the updates of
live stories that an untrusted partner sent, held for an editor."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Article, Section

TOKEN_PREFIX = "khb_"


def token_digest(raw: str) -> str:
    """The stored form of a token: tokens are 256-bit random, so a plain SHA-256 suffices."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Partner(models.Model):
    """An outlet that reads our stories through the API and may push its own to us."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    can_ingest = models.BooleanField(
        _("may send stories"),
        default=False,
        help_text=_("Allow this partner to push stories to POST /api/v1/ingest."),
    )
    trusted = models.BooleanField(
        _("trusted source"),
        default=False,
        help_text=_("Stories from a trusted source are published at once."),
    )
    default_section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("section for incoming stories"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class PartnerToken(models.Model):
    """One API token of a partner; the token itself is shown once, only its digest is kept."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("partner")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    # The first characters, so the desk can tell tokens apart without storing them.
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or self.partner})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class HeldUpdate(models.Model):
    """A newer version of a live story, sent by a partner that may not correct it: kept
    here until an editor applies it (as a correction with the editor's note) or discards it.
    """

    class Resolution(models.TextChoices):
        PENDING = "", _("Waiting for an editor")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")
        SUPERSEDED = "superseded", _("Replaced by a newer version")

    class Kind(models.TextChoices):
        UPDATE = "update", _("Update")
        KILL = "kill", _("Kill")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="held_updates", verbose_name=_("story")
    )
    # A kill (the source withdrew its story) is held like an update: an editor applies it
    # (the story is withdrawn) or discards it.
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.UPDATE)
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="held_updates", verbose_name=_("partner")
    )
    source_version = models.PositiveIntegerField(_("source version"))
    # What ingest_article would have written: the story's fields, its section and tags.
    fields = models.JSONField(_("incoming fields"), encoder=DjangoJSONEncoder)
    section = models.ForeignKey(
        Section, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("section")
    )
    tag_names = models.JSONField(_("tags"), default=list, blank=True)
    # Pictures sent with the update: stored in the photo library, shown only once applied.
    photos = models.JSONField(_("pictures"), default=list, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    resolution = models.CharField(
        _("outcome"), max_length=12, choices=Resolution.choices, blank=True, default=""
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    note = models.TextField(_("correction note"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["article", "resolution"], name="held_article_idx")]
        verbose_name = _("held update")
        verbose_name_plural = _("held updates")

    def __str__(self) -> str:
        return f"{self.article} v{self.source_version} ({self.partner})"

    @property
    def is_pending(self) -> bool:
        return self.resolution == self.Resolution.PENDING


class IngestRecord(models.Model):
    """What khabar made of one version of an item from outside: its format and the result of
    checking it against the official schema, the notes to editors it carried (desk-only:
    never shown to readers, feeds or partners) and the metadata a story has no field for."""

    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ingest_records",
        verbose_name=_("story"),
    )
    origin = models.CharField(_("origin"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=300)
    source_version = models.PositiveIntegerField(_("source version"), default=1)
    format = models.CharField(_("format"), max_length=40)
    schema_valid = models.BooleanField(_("valid against its schema"), null=True)
    schema_errors = models.TextField(_("schema deviations"), blank=True)
    desk_note = models.TextField(_("note to editors"), blank=True)
    pub_status = models.CharField(_("status sent"), max_length=12, default="usable")
    subheadline = models.CharField(_("subheadline"), max_length=300, blank=True)
    genre = models.CharField(_("genre"), max_length=60, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["origin", "source_id"], name="ingest_record_source_idx")]
        verbose_name = _("ingested item")
        verbose_name_plural = _("ingested items")

    def __str__(self) -> str:
        return f"{self.source_id} v{self.source_version} ({self.format})"


class ForeignItem(models.Model):
    """An item in a language no edition publishes in: kept for the desk, in its own
    direction, until an editor starts a translation of it into an edition."""

    origin = models.CharField(_("origin"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=300)
    source_version = models.PositiveIntegerField(_("source version"), default=1)
    lang = models.CharField(_("language"), max_length=16)
    direction = models.CharField(_("direction"), max_length=3, default="ltr")
    headline = models.CharField(_("headline"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True)
    byline = models.CharField(_("byline"), max_length=200, blank=True)
    dateline_city = models.CharField(_("dateline city"), max_length=80, blank=True)
    dateline_date = models.DateField(_("dateline date"), null=True, blank=True)
    provider = models.CharField(_("agency"), max_length=100, blank=True)
    tag_names = models.JSONField(_("subjects and keywords"), default=list, blank=True)
    desk_note = models.TextField(_("note to editors"), blank=True)
    format = models.CharField(_("format"), max_length=40, blank=True)
    pub_status = models.CharField(_("status sent"), max_length=12, default="usable")
    received_at = models.DateTimeField(_("received"), auto_now=True)
    translations = models.ManyToManyField(
        Article, blank=True, related_name="translated_from_items", verbose_name=_("translations")
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "source_id"], name="foreign_item_source")
        ]
        verbose_name = _("incoming item in another language")
        verbose_name_plural = _("incoming items in other languages")

    def __str__(self) -> str:
        return f"[{self.lang}] {self.headline}"

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


class Provider(models.Model):
    """A feed the desk configured: an HTTP(S) address of a feed or an API, or a folder to
    watch (on this server or on an SFTP server), polled by the worker every ``interval``
    seconds. Its items come in as its partner (a ``PartnerActor``): a provider updates only
    the stories it sent, and an untrusted partner's updates of live stories are held for an
    editor. A folder's files are taken once each (``TakenFile``)."""

    class Kind(models.TextChoices):
        URL = "url", _("Address (HTTP/HTTPS)")
        FOLDER = "folder", _("Local folder")
        SFTP = "sftp", _("Folder on an SFTP server")

    class AfterTaking(models.TextChoices):
        MOVE = "move", _("Move it to the done folder beside it")
        KEEP = "keep", _("Leave it where it is (it is remembered as taken)")

    class Health(models.TextChoices):
        NEW = "", _("Not polled yet")
        OK = "ok", _("Working")
        FAILING = "error", _("Failing")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.URL)
    address = models.CharField(
        _("address"),
        max_length=500,
        help_text=_(
            "An https:// address, the path of a folder on this server, or "
            "sftp://user@host:22/folder."
        ),
    )
    # Like an SFTP destination of distribution: the key that logs in, kept in the database.
    ssh_key = models.TextField(
        _("SSH private key"),
        blank=True,
        help_text=_("For an SFTP folder: the private key (Ed25519, ECDSA or RSA) that logs in."),
    )
    host_key = models.TextField(
        _("server's host key"),
        blank=True,
        help_text=_(
            "For an SFTP folder: the server's line from known_hosts (ssh-keyscan shows it; "
            "check it with the server's owner). A server showing another key is refused."
        ),
    )
    after_taking = models.CharField(
        _("a file taken from a folder"),
        max_length=8,
        choices=AfterTaking.choices,
        default=AfterTaking.MOVE,
    )
    interval = models.PositiveIntegerField(
        _("poll every (seconds)"), default=300, validators=[MinValueValidator(10)]
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("partner"),
        help_text=_("Its items come in as this partner, with its trust."),
    )
    lang = models.CharField(
        _("edition"),
        max_length=8,
        blank=True,
        help_text=_("For items that do not say their language."),
    )
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("section for incoming stories"),
    )
    picture_hosts = models.TextField(
        _("hosts pictures may be fetched from"),
        blank=True,
        help_text=_("One host a line; pictures from other hosts are not fetched."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Written only by syndication.actions.poll_provider.
    status = models.CharField(
        _("status"), max_length=8, choices=Health.choices, blank=True, default="", editable=False
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    next_poll_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    last_digest = models.CharField(max_length=64, blank=True, editable=False)
    documents_count = models.PositiveIntegerField(_("documents"), default=0, editable=False)
    stories_count = models.PositiveIntegerField(_("stories"), default=0, editable=False)
    errors_count = models.PositiveIntegerField(_("errors"), default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ingest provider")
        verbose_name_plural = _("ingest providers")

    def __str__(self) -> str:
        return self.name

    @property
    def allowed_hosts(self) -> list[str]:
        return [h.strip().lower() for h in self.picture_hosts.split() if h.strip()]

    def clean(self) -> None:
        from khabar.syndication.sources import (
            parse_host_keys,
            parse_private_key,
            parse_sftp_address,
        )

        address = self.address.strip()
        errors: dict[str, Any] = {}
        if self.kind == self.Kind.URL and not address.startswith(("https://", "http://")):
            errors["address"] = _("Give an https:// address.")
        elif self.kind == self.Kind.FOLDER and not address.startswith("/"):
            errors["address"] = _("Give the full path of a folder on the server.")
        elif self.kind == self.Kind.SFTP:
            for name, check in (
                ("address", parse_sftp_address),
                ("ssh_key", parse_private_key),
                ("host_key", parse_host_keys),
            ):
                value = getattr(self, name)
                if not value.strip():
                    errors[name] = _("An SFTP folder needs this.")
                    continue
                try:
                    check(value)
                except ValueError as error:
                    errors[name] = str(error)
        if errors:
            raise ValidationError(errors)


class TakenFile(models.Model):
    """A file a provider took from its folder: a file of the same name, size and time is not
    taken again (a changed or replaced file is)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="taken_files")
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    mtime = models.BigIntegerField()
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "name", "size", "mtime"], name="taken_file_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PictureFetch(models.Model):
    """A picture an ingested story named by address, without its file: the worker fetches it
    from an allowed host and stores it through the photo pipeline as the provider's partner."""

    class State(models.TextChoices):
        WAITING = "", _("Waiting")
        FETCHING = "fetching", _("Being fetched")
        STORED = "stored", _("Stored")
        REFUSED = "refused", _("Refused")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("story")
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="picture_fetches")
    url = models.URLField(_("address"), max_length=1000)
    source_id = models.CharField(max_length=300)
    role = models.CharField(max_length=8, default="lead")
    position = models.PositiveSmallIntegerField(default=0)
    texts = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, blank=True, default="", editable=False
    )
    error = models.TextField(_("error"), blank=True, editable=False)
    photo_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The lease of the worker fetching it: one that died leaves it "fetching", and another
    # takes it again once the lease is over (``actions.PICTURE_LEASE``).
    claimed_at = models.DateTimeField(
        _("being fetched since"), null=True, blank=True, editable=False
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "source_id"], name="picture_fetch_once")
        ]
        verbose_name = _("picture to fetch")
        verbose_name_plural = _("pictures to fetch")

    def __str__(self) -> str:
        return self.url
