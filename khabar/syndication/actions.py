"""Writes to partners, their tokens and the updates held for an editor.

Token creation shows the token once, revocation is final. An untrusted partner's newer
version of a live story is held (``hold_update``) until an editor applies it as a
correction with their own note (``apply_held_update``) or discards it.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.articles import actions as article_actions
from khabar.articles.models import LIVE_STATUSES, Article, AuditEntry, Section, Status
from khabar.site import actors
from khabar.site.actors import PartnerActor
from khabar.syndication.models import (
    TOKEN_PREFIX,
    ForeignItem,
    HeldUpdate,
    Partner,
    PartnerToken,
    PictureFetch,
    Provider,
    TakenFile,
    token_digest,
)
from khabar.wire.render import NO_CITY

#: A user, a ``PartnerActor`` or a ``SystemActor`` (see ``khabar.site.actors``); never None.
Actor = Any

Resolution = HeldUpdate.Resolution


def partner_actor(partner: Partner) -> PartnerActor:
    """The actor a partner's requests write as: its id scopes it to the stories it sent."""
    return PartnerActor(partner_id=partner.pk, name=partner.name, trusted=partner.trusted)


@transaction.atomic
def create_partner_token(
    partner: Partner, *, actor: Actor, label: str = ""
) -> tuple[PartnerToken, str]:
    """Make a new token for ``partner``; returns it and the raw token, which is never stored."""
    actors.require(actor, "syndication.add_partnertoken")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken.objects.create(
        partner=partner,
        label=label,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        created_by=actors.user_or_none(actor),
    )
    return token, raw


def revoke_partner_token(token: PartnerToken, *, actor: Actor) -> bool:
    """Revoke a token at once; returns False when it was already revoked."""
    actors.require(actor, "syndication.change_partnertoken")
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


# Held updates -----------------------------------------------------------------------------


def _audit(article: Article, action: str, actor: Actor, note: str) -> None:
    AuditEntry.objects.create(
        article=article,
        action=action,
        from_status=article.status,
        to_status=article.status,
        user=actors.user_or_none(actor),
        actor=actors.audit_name(actor),
        note=note,
    )


@transaction.atomic
def hold_update(
    article: Article,
    *,
    actor: PartnerActor,
    source_version: int,
    fields: Mapping[str, Any],
    section: Section,
    tag_names: Iterable[str] = (),
    photos: Iterable[Mapping[str, Any]] = (),
) -> tuple[HeldUpdate, bool]:
    """Keep a partner's newer version of its own live story for an editor.

    Only the partner that sent the story may do this (its origin). The same version again
    returns the update already held; a newer one replaces the older ones still waiting.
    Returns the held update and whether it is new. Nothing the readers see changes.
    """
    if not isinstance(actor, PartnerActor):
        raise TypeError("only a partner's update is held; the desk corrects directly")
    article_actions.check_can_change(actor, article)
    pending = HeldUpdate.objects.select_for_update().filter(
        article=article, partner_id=actor.partner_id, resolution=Resolution.PENDING
    )
    same = pending.filter(source_version__gte=source_version).order_by("-source_version").first()
    if same is not None:
        return same, False
    pending.update(resolution=Resolution.SUPERSEDED, resolved_at=timezone.now())
    held = HeldUpdate.objects.create(
        article=article,
        partner_id=actor.partner_id,
        source_version=source_version,
        fields=dict(fields),
        section=section,
        tag_names=[n for n in tag_names if n.strip()],
        photos=[dict(p) for p in photos],
    )
    _audit(article, "hold_update", actor, f"v{source_version}: {held.pk}")
    return held, True


def _incoming_fields(held: HeldUpdate) -> dict[str, Any]:
    """The held fields as ``correct_article`` takes them (dates come back from JSON)."""
    fields = {k: v for k, v in held.fields.items() if k in article_actions.EDITABLE_FIELDS}
    if fields.get("dateline_date"):
        fields["dateline_date"] = datetime.date.fromisoformat(fields["dateline_date"])
    if fields.get("embargo_until"):
        fields["embargo_until"] = datetime.datetime.fromisoformat(fields["embargo_until"])
    if held.section is not None:
        fields["section"] = held.section
    return fields


def _resolve(held: HeldUpdate, resolution: str, actor: Actor, note: str) -> None:
    """Compare-and-set from pending: the row count tells whether another editor was first."""
    done = HeldUpdate.objects.filter(pk=held.pk, resolution=Resolution.PENDING).update(
        resolution=resolution,
        resolved_at=timezone.now(),
        resolved_by=actors.user_or_none(actor),
        note=note,
    )
    if done != 1:
        raise article_actions.WorkflowError(
            _("This update was already applied or discarded by someone else.")
        )
    held.refresh_from_db()


@transaction.atomic
def apply_held_update(
    held: HeldUpdate, *, actor: Actor, note: str, base_revision: int | None
) -> Article:
    """Put a held update live: a correction of the story by ``actor`` with their ``note``
    (an edit, when the story is scheduled and not yet live).

    ``base_revision`` is the story's revision the editor saw next to the update; when the
    story changed since, ``EditConflict`` is raised and nothing is written. The pictures
    sent with the update are shown with the story from now on.
    """
    actors.require(actor, "syndication.change_heldupdate")
    if held.kind == HeldUpdate.Kind.KILL:
        _resolve(held, Resolution.APPLIED, actor, note)
        reason = note.strip() or _("Withdrawn by the source.")
        return article_actions.withdraw_article(
            held.article, actor=actor, reason=reason, base_revision=base_revision
        )
    _resolve(held, Resolution.APPLIED, actor, note)
    tags = [article_actions.tag_for(held.article.lang, name) for name in held.tag_names]
    if held.article.status in LIVE_STATUSES:
        article = article_actions.correct_article(
            held.article,
            actor=actor,
            note=note,
            base_revision=base_revision,
            tags=tags or None,
            **_incoming_fields(held),
        )
    else:
        # Held while scheduled: not yet seen by readers, so an edit rather than a correction.
        article = article_actions.update_article(
            held.article,
            actor=actor,
            base_revision=base_revision,
            tags=tags or None,
            **_incoming_fields(held),
        )
    Article.objects.filter(pk=article.pk, source_version__lt=held.source_version).update(
        source_version=held.source_version
    )
    if held.photos:
        from khabar.photos.actions import attach_photo
        from khabar.photos.models import Photo

        found = Photo.objects.in_bulk([p["photo"] for p in held.photos])
        for picture in held.photos:
            photo = found.get(picture["photo"])
            if photo is not None:
                attach_photo(
                    article,
                    photo,
                    actor=actor,
                    role=picture.get("role", "lead"),
                    position=picture.get("position", 0),
                )
    article.refresh_from_db()
    return article


@transaction.atomic
def discard_held_update(held: HeldUpdate, *, actor: Actor, note: str = "") -> HeldUpdate:
    """Drop a held update; the story stays as it is."""
    actors.require(actor, "syndication.change_heldupdate")
    _resolve(held, Resolution.DISCARDED, actor, note)
    _audit(held.article, "discard_update", actor, f"v{held.source_version}: {held.pk}")
    return held


def pending_updates() -> Any:
    """Held updates waiting for an editor, oldest first, with their story and partner."""
    return (
        HeldUpdate.objects.filter(resolution=Resolution.PENDING)
        .select_related("article", "partner")
        .order_by("received_at", "pk")
    )


# Kills from the source ------------------------------------------------------------------------


@transaction.atomic
def kill_from_source(
    article: Article, *, actor: Actor, source_version: int, reason: str
) -> tuple[Article, str]:
    """Withdraw a story because its source killed it (pubStatus canceled or withheld).

    Whoever holds ``articles.withdraw_article`` (the command line, an editor) withdraws it
    at once. A partner may kill only a story it sent itself: a trusted one's kill is
    applied, an untrusted one's is held for an editor (``HeldUpdate`` of kind kill). A story
    not yet live is withdrawn from nothing: its kill is kept as a held kill too, so an
    editor sees it before publishing. Returns the story and "killed" or "held".
    """
    if actor is None:
        raise PermissionDenied("no actor: every write names who does it")
    reason = reason.strip() or _("Withdrawn by the source.")
    live = article.status in (*LIVE_STATUSES, Status.SCHEDULED)
    if isinstance(actor, PartnerActor):
        if article.origin != actor.origin:
            raise PermissionDenied("not this partner's story")
        if actor.trusted and live:
            # A trusted partner holds the right to kill its own stories (actors.PartnerActor).
            return article_actions.withdraw_article(article, actor=actor, reason=reason), "killed"
        return _hold_kill(article, actor, source_version, reason), "held"
    actors.require(actor, "articles.withdraw_article")
    if not live:
        return article, "held" if _note_kill(article, actor, reason) else "unchanged"
    return article_actions.withdraw_article(article, actor=actor, reason=reason), "killed"


def _hold_kill(article: Article, actor: PartnerActor, source_version: int, reason: str) -> Article:
    pending = HeldUpdate.objects.select_for_update().filter(
        article=article, partner_id=actor.partner_id, resolution=Resolution.PENDING
    )
    if not pending.filter(kind=HeldUpdate.Kind.KILL).exists():
        pending.update(resolution=Resolution.SUPERSEDED, resolved_at=timezone.now())
        HeldUpdate.objects.create(
            article=article,
            partner_id=actor.partner_id,
            source_version=source_version,
            kind=HeldUpdate.Kind.KILL,
            fields={"reason": reason},
            section=article.section,
        )
        _audit(article, "hold_kill", actor, reason)
    return article


def _note_kill(article: Article, actor: Actor, reason: str) -> bool:
    """A kill of a story not live yet: noted in its log for the editor who would publish it."""
    if article.status == Status.WITHDRAWN:
        return False
    _audit(article, "source_kill", actor, reason)
    return True


# Items in languages with no edition -----------------------------------------------------------


@transaction.atomic
def start_foreign_translation(item: ForeignItem, *, lang: str, actor: Actor) -> Article:
    """Open a draft in the edition ``lang`` from an incoming item in another language: its
    copy, dateline and byline, for the translator to replace; the item keeps the link."""
    from django.conf import settings

    actors.require(actor, "articles.add_article")
    if lang not in settings.KHABAR_EDITIONS:
        raise article_actions.WorkflowError(_("A translation must be in another edition."))
    section = Section.objects.filter(lang=lang).order_by("position", "pk").first()
    if section is None:
        raise article_actions.WorkflowError(_("This edition has no sections yet."))
    draft = article_actions.create_article(
        actor=actor,
        section=section,
        lang=lang,
        headline=item.headline,
        dateline_city=item.dateline_city or NO_CITY,
        dateline_date=item.dateline_date or timezone.localdate(),
        body=item.body or item.summary or item.headline,
        summary=item.summary,
        byline=item.byline,
    )
    item.translations.add(draft)
    return draft


# Ingest providers -------------------------------------------------------------------------

#: Polls the providers that are due and fetches the pictures their items named; the items
#: themselves are written as each provider's partner.
POLLER = actors.system("ingest-poller", {"syndication.change_provider"})


def poll_provider(provider: Provider, *, actor: Actor) -> Provider:
    """Fetch what waits at ``provider``'s address and ingest each document as its partner.

    A URL is fetched (https, or http from this machine; timeout and size limit) and skipped
    when its bytes are those of the last poll. A folder, on this server or over SFTP, is
    listed and each file not taken before (by name, size and time) is ingested on its own,
    with the pictures beside it that it names, then remembered and, per the provider's
    option, moved to the ``done/`` folder beside it; one refused stays, untaken, and its
    error is recorded. Pictures a story names by address without a file are queued for the
    worker (``PictureFetch``). Records the provider's status, last error, counts and next
    poll time; returns the provider.
    """
    from khabar.syndication.fetch import FetchError
    from khabar.syndication.ingest import IngestError
    from khabar.syndication.sources import SourceError

    actors.require(actor, "syndication.change_provider")
    partner = provider.partner
    tally = _Tally(digest=provider.last_digest)
    if not (partner.is_active and partner.can_ingest):
        tally.errors.append(
            _("The partner %(name)s may not send stories.") % {"name": partner.name}
        )
    else:
        try:
            if provider.kind == Provider.Kind.URL:
                _poll_address(provider, tally)
            else:
                _poll_folder(provider, tally)
        except (FetchError, IngestError, SourceError, OSError) as error:
            tally.errors.append(str(error))
    now = timezone.now()
    Provider.objects.filter(pk=provider.pk).update(
        status=Provider.Health.FAILING if tally.errors else Provider.Health.OK,
        last_error="\n".join(tally.errors)[:5000],
        last_polled_at=now,
        next_poll_at=now + datetime.timedelta(seconds=provider.interval),
        last_digest=tally.digest,
        documents_count=F("documents_count") + tally.documents,
        stories_count=F("stories_count") + tally.stories,
        errors_count=F("errors_count") + len(tally.errors),
    )
    provider.refresh_from_db()
    return provider


@dataclass
class _Tally:
    digest: str
    documents: int = 0
    stories: int = 0
    errors: list[str] = field(default_factory=list)


def _ingest(provider: Provider, data: bytes, files: Any, tally: _Tally) -> None:
    """One document, as the provider's partner; IngestError when refused (nothing stored)."""
    from khabar.syndication.ingest import read_stories, store

    read = read_stories(data, lang=provider.lang or None)
    results = store(
        read, actor=partner_actor(provider.partner), section=provider.section, files=files
    )
    tally.documents += 1
    tally.stories += sum(1 for r in results if r.outcome != "ignored")
    queue_picture_fetches(provider, read, results)


def _poll_address(provider: Provider, tally: _Tally) -> None:
    import hashlib

    from khabar.syndication import conf, fetch

    got = fetch.fetch(
        provider.address,
        max_bytes=int(conf.INGEST_MAX_BYTES),
        timeout=float(conf.INGEST_FETCH_TIMEOUT),
    )
    digest = hashlib.sha256(got.data).hexdigest()
    if digest != provider.last_digest:
        _ingest(provider, got.data, None, tally)
        tally.digest = digest


def _poll_folder(provider: Provider, tally: _Tally) -> None:
    from khabar.syndication import conf
    from khabar.syndication.ingest import IngestError, check_size
    from khabar.syndication.sources import SourceError, open_folder, waiting

    limit = int(conf.INGEST_MAX_BYTES)
    with open_folder(provider, timeout=float(conf.INGEST_FETCH_TIMEOUT)) as folder:
        listing = folder.files()
        names = {e.name for e in listing}
        # What left the folder cannot come back as the same file: forgotten. Compared here,
        # not in SQL: a kept folder grows past the parameters one statement may carry.
        done: set[tuple[str, int, int]] = set()
        gone: list[int] = []
        for pk, name, size, mtime in provider.taken_files.values_list(
            "pk", "name", "size", "mtime"
        ):
            if name in names:
                done.add((name, size, mtime))
            else:
                gone.append(pk)
        for start in range(0, len(gone), 500):
            TakenFile.objects.filter(pk__in=gone[start : start + 500]).delete()
        moved: set[str] = set()
        for entry in waiting(listing):
            if entry.key in done:
                continue
            files = folder.pictures(e for e in listing if e.name not in moved)
            try:
                check_size(entry.size)
                data = folder.read(entry.name, limit)
                check_size(len(data))
                with transaction.atomic():
                    _ingest(provider, data, files, tally)
                    TakenFile.objects.get_or_create(
                        provider=provider, name=entry.name, size=entry.size, mtime=entry.mtime
                    )
            except (IngestError, SourceError) as error:
                tally.errors.append(f"{entry.name}: {error}")
                continue
            if provider.after_taking == Provider.AfterTaking.MOVE:
                for name in [entry.name, *files.used_names]:
                    try:
                        folder.move_done(name)
                        moved.add(name)
                    except (SourceError, OSError) as error:
                        tally.errors.append(
                            _("%(name)s was taken but not moved: %(error)s")
                            % {"name": name, "error": error}
                        )


def poll_due_providers(*, actor: Actor, limit: int = 5) -> int:
    """Poll the active providers whose time has come; returns how many were polled."""
    actors.require(actor, "syndication.change_provider")
    now = timezone.now()
    due = (
        Provider.objects.select_related("partner", "section")
        .filter(is_active=True)
        .filter(models.Q(next_poll_at__isnull=True) | models.Q(next_poll_at__lte=now))
        .order_by(models.F("next_poll_at").asc(nulls_first=True), "pk")[:limit]
    )
    polled = 0
    for provider in due:
        # Claimed first: a second worker finds it no longer due and leaves it.
        claimed = Provider.objects.filter(
            pk=provider.pk, next_poll_at=provider.next_poll_at
        ).update(next_poll_at=now + datetime.timedelta(seconds=provider.interval))
        if claimed:
            poll_provider(provider, actor=actor)
            polled += 1
    return polled


def queue_picture_fetches(
    provider: Provider, stories: Iterable[Any], results: Iterable[Any]
) -> int:
    """Queue the pictures a provider's stories named by address but came without."""
    queued = 0
    for story, result in zip(stories, results, strict=False):
        if result.outcome in ("held", "ignored", "incoming", "killed", "unchanged"):
            continue
        missing = {r.source_id for r in result.photos if r.outcome == "missing"}
        gallery = 0
        for picture in story.photos:
            if picture.role == "gallery":
                gallery += 1
            candidates = [*picture.urls]
            if picture.source_id.startswith(("https://", "http://")):
                candidates.append(picture.source_id)
            if picture.source_id not in missing or not candidates:
                continue
            _fetch, created = PictureFetch.objects.get_or_create(
                article=result.article,
                source_id=picture.source_id[:300],
                defaults={
                    "provider": provider,
                    "url": candidates[0][:1000],
                    "role": picture.role,
                    "position": gallery if picture.role == "gallery" else 0,
                    "texts": {**picture.texts(), "lang": story.lang},
                },
            )
            queued += created
    return queued


def fetch_picture(job: PictureFetch, *, actor: Actor) -> PictureFetch:
    """Fetch one queued picture (an allowed host, https, public addresses, the photo size
    and pixel limits, a timeout) and show it with its story, as the provider's partner.
    A refusal is recorded on the job, with its reason; the story stands without it."""
    from django.core.exceptions import ValidationError

    from khabar.photos import conf as photo_conf
    from khabar.photos.actions import ingest_photo
    from khabar.photos.validation import inspect_upload
    from khabar.syndication import conf
    from khabar.syndication.fetch import FetchError, fetch

    actors.require(actor, "syndication.change_provider")
    # Claimed by moving it to "fetching" with a lease: never fetched by two workers at once,
    # and taken again when the worker that claimed it died before it finished.
    claim = timezone.now()
    if (
        not _claimable()
        .filter(pk=job.pk)
        .update(state=PictureFetch.State.FETCHING, claimed_at=claim, attempts=F("attempts") + 1)
    ):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    if job.attempts > PICTURE_ATTEMPTS:
        return _finish_fetch(
            job,
            claim,
            state=PictureFetch.State.REFUSED,
            error=_("The worker stopped %(n)s times while fetching this picture; given up.")
            % {"n": PICTURE_ATTEMPTS},
        )
    provider = job.provider
    state, error, photo_id = PictureFetch.State.REFUSED, "", None
    texts = dict(job.texts)
    lang = texts.pop("lang", "")
    try:
        got = fetch(
            job.url,
            max_bytes=photo_conf.max_bytes(),
            timeout=float(conf.INGEST_FETCH_TIMEOUT),
            picture=True,
            allowed_hosts=provider.allowed_hosts,
        )
        inspect_upload(got.data, lang=lang or job.article.lang).image.close()
        photo = ingest_photo(
            job.article,
            got.data,
            source_id=job.source_id,
            role=job.role,
            position=job.position,
            actor=partner_actor(provider.partner),
            **texts,
        )
        state, photo_id = PictureFetch.State.STORED, photo.pk
    except FetchError as problem:
        error = str(problem)
    except ValidationError as problem:
        error = " ".join(problem.messages)
    except PermissionDenied as problem:
        error = f"not allowed: {problem}"
    return _finish_fetch(job, claim, state=state, error=error, photo_id=photo_id)


#: How long a worker's claim on a picture lasts at least: longer than a fetch (bounded by
#: ``fetch.TOTAL_TIMEOUTS`` timeouts, see ``picture_lease``) and its storing take, so only a
#: dead worker's claim runs out.
PICTURE_LEASE = datetime.timedelta(minutes=15)
#: A picture whose worker died this many times (one that kills the worker?) is given up.
PICTURE_ATTEMPTS = 3


def picture_lease() -> datetime.timedelta:
    """``PICTURE_LEASE``, or twice the longest a fetch may take with a longer timeout."""
    from khabar.syndication import conf
    from khabar.syndication.fetch import TOTAL_TIMEOUTS

    longest = datetime.timedelta(seconds=2 * TOTAL_TIMEOUTS * float(conf.INGEST_FETCH_TIMEOUT))
    return max(PICTURE_LEASE, longest)


def _claimable() -> Any:
    """Pictures waiting, or left "fetching" by a worker whose lease ran out."""
    expired = timezone.now() - picture_lease()
    return PictureFetch.objects.filter(
        models.Q(state=PictureFetch.State.WAITING)
        | models.Q(state=PictureFetch.State.FETCHING, claimed_at__lt=expired)
        | models.Q(state=PictureFetch.State.FETCHING, claimed_at__isnull=True)
    )


def _finish_fetch(
    job: PictureFetch, claim: datetime.datetime, *, state: str, error: str, photo_id: Any = None
) -> PictureFetch:
    # Only under the claim it holds: a worker that outlived its lease changes nothing.
    PictureFetch.objects.filter(
        pk=job.pk, state=PictureFetch.State.FETCHING, claimed_at=claim
    ).update(state=state, error=error[:2000], photo_id=photo_id, done_at=timezone.now())
    job.refresh_from_db()
    return job


def fetch_pending_pictures(*, actor: Actor, limit: int = 3) -> int:
    """Fetch up to ``limit`` waiting pictures (or ones a dead worker left); returns how
    many were tried."""
    actors.require(actor, "syndication.change_provider")
    waiting = (
        _claimable().select_related("provider__partner", "article").order_by("created_at", "pk")
    )[:limit]
    tried = 0
    for job in list(waiting):
        fetch_picture(job, actor=actor)
        tried += 1
    return tried


def poll_providers_job() -> int:
    """The worker's job: poll due providers, then fetch waiting pictures."""
    return poll_due_providers(actor=POLLER) + fetch_pending_pictures(actor=POLLER)
