"""Every write to a story goes through these functions.

Each one does the whole change: the transaction, the compare-and-set of ``status``, the
revision, the audit entry, and (after commit) re-indexing and cache purging.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import reversion
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from khabar.articles.models import (
    LIVE_STATUSES,
    Article,
    AuditEntry,
    Correction,
    Section,
    StaffProfile,
    Status,
    Tag,
)
from khabar.lib.arabic import fingerprint as text_fingerprint
from khabar.site import actors, hooks, pagecache, purge_soon
from khabar.site.actors import PartnerActor
from khabar.site.editions import edition_codes, get_edition

#: A user, a ``PartnerActor`` or a ``SystemActor`` (see ``khabar.site.actors``); never None.
Actor = Any

EDITABLE_FIELDS = (
    "lang",
    "section",
    "headline",
    "summary",
    "dateline_city",
    "dateline_date",
    "dateline_agency",
    "body",
    "signoff",
    "urgency",
    "byline",
    "embargo_until",
    "comment_policy",
    "slug",
)


class WorkflowError(Exception):
    """A transition that the story's current state does not allow."""


class EditConflict(WorkflowError):
    """A save that started from an older revision than the stored one: nothing was written.

    ``current`` is the story as stored now, so the desk can show both sides.
    """

    def __init__(self, current: Article, base_revision: int) -> None:
        super().__init__(
            _("Someone else saved this story since you opened it; nothing was overwritten.")
        )
        self.current = current
        self.base_revision = base_revision


def _require(actor: Actor, perm: str) -> None:
    actors.require(actor, f"articles.{perm}")


def check_can_change(actor: Actor, article: Article) -> None:
    """PermissionDenied unless ``actor`` may change this story's copy or what it shows.

    Editors change any story; a reporter only their own draft; a partner only a story it
    sent itself (its origin); a system actor by its permissions.
    """
    from khabar.articles.access import can_edit

    _require(actor, "change_article")
    if isinstance(actor, PartnerActor):
        if article.origin != actor.origin:
            raise PermissionDenied("not this partner's story")
    elif not actors.is_system(actor) and not can_edit(actor, article):
        raise PermissionDenied("change_article")


def _check_base(locked: Article, base_revision: int | None) -> None:
    if base_revision is not None and base_revision != locked.revision:
        raise EditConflict(locked, base_revision)


def _after_commit(article_id: int, purge: list[str], *, new_story: bool = False) -> None:
    """After commit: re-index the story and purge the pages that show it. A story newly
    live changes no box already shown, only which stories it lists: other stories' related
    boxes get it within seconds (``purge_soon``), not by purging them on every publish."""

    def run() -> None:
        hooks.story_saved(article_id)  # search re-indexes it
        if new_story:
            purge_soon.purge_new_story(purge)
        else:
            pagecache.purge_keys(purge)

    transaction.on_commit(run)


def _audit(article: Article, action: str, before: str, actor: Actor, note: str = "") -> None:
    AuditEntry.objects.create(
        article=article,
        action=action,
        from_status=before,
        to_status=article.status,
        user=actors.user_or_none(actor),
        actor=actors.audit_name(actor),
        note=note,
    )


def _revision(article: Article, comment: str, actor: Actor) -> None:
    with reversion.create_revision(manage_manually=True):
        reversion.add_to_revision(article)
        reversion.set_comment(comment)
        user = actors.user_or_none(actor)
        if user is not None:
            reversion.set_user(user)


def _transition(
    article: Article,
    *,
    allowed_from: Iterable[str],
    to: str,
    actor: Actor,
    action: str,
    note: str = "",
    base_revision: int | None = None,
    **fields: Any,
) -> Article:
    """Compare-and-set the status (and the edit revision, when the caller started from one);
    the row count tells whether someone got there first."""
    before = article.status
    if before not in allowed_from:
        raise WorkflowError(
            _("A story that is “%(status)s” cannot be %(action)s.")
            % {"status": Status(before).label, "action": ACTION_LABELS.get(action, action)}
        )
    now = timezone.now()
    match = Article.objects.filter(pk=article.pk, status=before)
    if base_revision is not None:
        match = match.filter(revision=base_revision)
    updated = match.update(status=to, updated_at=now, revision=F("revision") + 1, **fields)
    if updated != 1:
        current = Article.objects.get(pk=article.pk)
        if base_revision is not None and current.revision != base_revision:
            raise EditConflict(current, base_revision)
        raise WorkflowError(_("The story was changed by someone else; reload and try again."))
    article.refresh_from_db()
    _revision(article, f"{action}: {note}".strip(": "), actor)
    _audit(article, action, before, actor, note)
    if action in STORY_EVENTS:
        # In this transaction: what the apps write (distribution's outbox) commits with it.
        hooks.story_changed(article, STORY_EVENTS[action])
    _after_commit(
        article.pk,
        pagecache.article_keys(article) + _translation_keys(article),
        new_story=action == "publish",
    )
    return article


def _translation_keys(article: Article) -> list[str]:
    # The other editions' versions list this one under "Read in:" once it is live.
    siblings = Article.objects.filter(translation_group=article.translation_group)
    return [f"a:{pk}" for pk in siblings.exclude(pk=article.pk).values_list("pk", flat=True)]


#: The workflow steps other apps hear of (``khabar.site.hooks``); scheduling is not news yet.
STORY_EVENTS = {
    "publish": "published",
    "correct": "corrected",
    "withdraw": "withdrawn",
    "restore": "restored",
}

ACTION_LABELS = {
    "submit": pgettext_lazy("workflow step", "submitted"),
    "return": pgettext_lazy("workflow step", "returned"),
    "schedule": pgettext_lazy("workflow step", "scheduled"),
    "publish": pgettext_lazy("workflow step", "published"),
    "correct": pgettext_lazy("workflow step", "corrected"),
    "withdraw": pgettext_lazy("workflow step", "withdrawn"),
    "restore": pgettext_lazy("workflow step", "restored"),
}


def _signoff_of(actor: Actor) -> str:
    user = actors.user_or_none(actor)
    if user is None:
        return ""
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.signoff_code if profile else ""


def _newlines(value: Any) -> Any:
    # Browsers post a text box's line breaks as CRLF; the copy keeps plain newlines.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def make_slug(headline: str) -> str:
    return slugify(headline, allow_unicode=True)[:100].strip("-")


@transaction.atomic
def create_article(
    *,
    actor: Actor,
    section: Section,
    headline: str,
    dateline_city: str,
    dateline_date: datetime.date,
    body: str,
    tags: Iterable[Tag] = (),
    **fields: Any,
) -> Article:
    """File a new story as a draft."""
    _require(actor, "add_article")
    article = Article(
        section=section,
        lang=fields.pop("lang", section.lang),
        headline=headline,
        dateline_city=dateline_city,
        dateline_date=dateline_date,
        body=_newlines(body),
        created_by=actors.user_or_none(actor),
        origin=getattr(actor, "origin", ""),
        **fields,
    )
    if not article.slug:
        article.slug = make_slug(headline)
    article.fingerprint = text_fingerprint(f"{headline}\n{body}")
    article.full_clean(exclude=["tags"])
    with reversion.create_revision(manage_manually=True):
        article.save()
        article.tags.set(tags)
        reversion.add_to_revision(article)
        reversion.set_comment("created")
        user = actors.user_or_none(actor)
        if user is not None:
            reversion.set_user(user)
    _audit(article, "create", "", actor)
    return article


def _apply_edit(
    locked: Article,
    *,
    actor: Actor,
    tags: Iterable[Tag] | None,
    comment: str,
    fields: dict[str, Any],
) -> Article:
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable")
        setattr(locked, name, _newlines(value))
    locked.updated_at = timezone.now()
    locked.revision += 1
    locked.fingerprint = text_fingerprint(f"{locked.headline}\n{locked.body}")
    locked.full_clean(exclude=["tags"])
    locked.save()
    if tags is not None:
        locked.tags.set(tags)
    _revision(locked, comment, actor)
    _after_commit(locked.pk, pagecache.article_keys(locked))
    return locked


@transaction.atomic
def update_article(
    article: Article,
    *,
    actor: Actor,
    base_revision: int | None,
    tags: Iterable[Tag] | None = None,
    **fields: Any,
) -> Article:
    """Edit a story's copy. Reporters may edit their own drafts; editors any story.

    ``base_revision`` is the revision the editor started from: when the story has moved on
    since, nothing is written and ``EditConflict`` says so (``None`` only for a caller that
    read the story in this same transaction). A live story's copy changes only through
    ``correct_article``, which records a note.
    """
    locked = Article.objects.select_for_update().get(pk=article.pk)
    check_can_change(actor, locked)
    _check_base(locked, base_revision)
    if locked.status in LIVE_STATUSES:
        raise WorkflowError(_("A published story is changed only through a correction."))
    return _apply_edit(locked, actor=actor, tags=tags, comment="edited", fields=fields)


def touch_article(article: Article, *, actor: Actor, base_revision: int | None = None) -> Article:
    """Record that something a story shows changed outside its own row (its photos):
    the edit revision moves on, so an editor who opened it earlier is told, and its pages
    are purged."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        check_can_change(actor, locked)
        _check_base(locked, base_revision)
        Article.objects.filter(pk=locked.pk).update(
            revision=F("revision") + 1, updated_at=timezone.now()
        )
        locked.refresh_from_db()
        _after_commit(locked.pk, pagecache.article_keys(locked))
    return locked


@transaction.atomic
def submit_article(article: Article, *, actor: Actor, base_revision: int | None = None) -> Article:
    """A reporter hands a draft to the editors."""
    _require(actor, "submit_article")
    if isinstance(actor, PartnerActor) and article.origin != actor.origin:
        raise PermissionDenied("not this partner's story")
    if (
        getattr(actor, "is_authenticated", False)
        and not actor.has_perm("articles.publish_article")
        and article.created_by_id != actor.pk
    ):
        raise PermissionDenied("submit_article")  # a reporter submits only their own story
    return _transition(
        article,
        allowed_from=[Status.DRAFT],
        to=Status.SUBMITTED,
        actor=actor,
        action="submit",
        base_revision=base_revision,
    )


@transaction.atomic
def return_article(
    article: Article, *, actor: Actor, note: str = "", base_revision: int | None = None
) -> Article:
    """An editor sends a submitted story back to draft."""
    _require(actor, "publish_article")
    return _transition(
        article,
        allowed_from=[Status.SUBMITTED, Status.SCHEDULED],
        to=Status.DRAFT,
        actor=actor,
        action="return",
        note=note,
        base_revision=base_revision,
    )


@transaction.atomic
def publish_article(
    article: Article,
    *,
    actor: Actor,
    at: datetime.datetime | None = None,
    embargo_until: datetime.datetime | None = None,
    base_revision: int | None = None,
) -> Article:
    """Publish now, or schedule for ``at`` when it lies in the future."""
    _require(actor, "publish_article")
    if isinstance(actor, PartnerActor):
        check_can_change(actor, article)
    now = timezone.now()
    extra: dict[str, Any] = {}
    if embargo_until is not None:
        extra["embargo_until"] = embargo_until
    signoff = _signoff_of(actor)
    who = actors.user_or_none(actor)
    if at is not None and at > now:
        return _transition(
            article,
            allowed_from=[Status.DRAFT, Status.SUBMITTED, Status.SCHEDULED],
            to=Status.SCHEDULED,
            actor=actor,
            action="schedule",
            base_revision=base_revision,
            published_at=at,
            published_by=who,
            publisher_signoff=signoff,
            **extra,
        )
    published_at = at or now
    return _transition(
        article,
        allowed_from=[Status.DRAFT, Status.SUBMITTED, Status.SCHEDULED],
        to=Status.PUBLISHED,
        actor=actor,
        action="publish",
        base_revision=base_revision,
        published_at=published_at,
        first_published_at=article.first_published_at or published_at,
        published_by=who,
        publisher_signoff=signoff,
        **extra,
    )


def publish_due_articles(
    *,
    actor: Actor = actors.SCHEDULER,
    now: datetime.datetime | None = None,
    lifted_since: datetime.datetime | None = None,
) -> list[Article]:
    """Publish every scheduled story whose time has come (run by the worker, as the
    scheduler), and purge the pages of stories whose embargo lifted after ``lifted_since``
    (the worker's last run; an hour back when not known)."""
    _require(actor, "publish_article")
    now = now or timezone.now()
    done = []
    for article in Article.objects.filter(status=Status.SCHEDULED, published_at__lte=now):
        try:
            with transaction.atomic():
                done.append(
                    _transition(
                        article,
                        allowed_from=[Status.SCHEDULED],
                        to=Status.PUBLISHED,
                        actor=actor,
                        action="publish",
                        first_published_at=article.first_published_at or article.published_at,
                    )
                )
        except WorkflowError:
            continue  # someone else published or unscheduled it meanwhile
    # Stories whose embargo lifted since the last run: their pages and lists change now
    # (once: the worker's sweeps each minute used to purge them again for an hour).
    since = lifted_since if lifted_since is not None else now - datetime.timedelta(hours=1)
    for article in Article.objects.filter(
        status__in=LIVE_STATUSES,
        embargo_until__lte=now,
        embargo_until__gt=since,
    ):
        hooks.story_changed(article, "embargo_lifted")  # repeats within the hour are ignored
        _after_commit(article.pk, pagecache.article_keys(article), new_story=True)
    return done


@transaction.atomic
def correct_article(
    article: Article,
    *,
    actor: Actor,
    note: str,
    base_revision: int | None,
    tags: Iterable[Tag] | None = None,
    **fields: Any,
) -> Article:
    """Change a live story's copy, with a correction note shown to readers and a new version
    that partners see. ``base_revision`` as in ``update_article``."""
    _require(actor, "correct_article")
    if not note.strip():
        raise WorkflowError(_("A correction needs a note for readers."))
    locked = Article.objects.select_for_update().get(pk=article.pk)
    check_can_change(actor, locked)
    _check_base(locked, base_revision)
    if locked.status not in LIVE_STATUSES:
        raise WorkflowError(
            _("A story that is “%(status)s” cannot be %(action)s.")
            % {"status": Status(locked.status).label, "action": ACTION_LABELS["correct"]}
        )
    if fields or tags is not None:
        locked = _apply_edit(locked, actor=actor, tags=tags, comment="edited", fields=fields)
    version = locked.version + 1
    article = _transition(
        locked,
        allowed_from=LIVE_STATUSES,
        to=Status.CORRECTED,
        actor=actor,
        action="correct",
        note=note,
        version=version,
    )
    Correction.objects.create(
        article=article, note=note, version=version, created_by=actors.user_or_none(actor)
    )
    return article


@transaction.atomic
def withdraw_article(
    article: Article,
    *,
    actor: Actor,
    reason: str,
    reason_public: bool = False,
    base_revision: int | None = None,
) -> Article:
    """Kill a story: readers get 410 with a notice, it leaves every list, feed, sitemap and
    the index, and partners get it again with a new version marked withdrawn. A reason is
    required; it is shown to readers and partners only when ``reason_public``."""
    _require(actor, "withdraw_article")
    if isinstance(actor, PartnerActor) and article.origin != actor.origin:
        raise PermissionDenied("not this partner's story")
    if not reason.strip():
        raise WorkflowError(_("A withdrawal needs a reason."))
    now = timezone.now()
    return _transition(
        article,
        allowed_from=[*LIVE_STATUSES, Status.SCHEDULED],
        to=Status.WITHDRAWN,
        actor=actor,
        action="withdraw",
        note=reason.strip(),
        base_revision=base_revision,
        withdrawn_at=now,
        withdrawal_reason=reason.strip(),
        withdrawal_reason_public=reason_public,
        version=F("version") + 1,
    )


@transaction.atomic
def restore_article(
    article: Article, *, actor: Actor, reason: str, base_revision: int | None = None
) -> Article:
    """Bring a withdrawn story back (the chief's decision, with a reason): live again, as a
    new version that partners see, corrected if it ever was."""
    _require(actor, "restore_article")
    if not reason.strip():
        raise WorkflowError(_("Restoring a withdrawn story needs a reason."))
    to = Status.CORRECTED if article.corrections.exists() else Status.PUBLISHED
    return _transition(
        article,
        allowed_from=[Status.WITHDRAWN],
        to=to,
        actor=actor,
        action="restore",
        note=reason.strip(),
        base_revision=base_revision,
        withdrawn_at=None,
        withdrawal_reason="",
        withdrawal_reason_public=False,
        version=F("version") + 1,
    )


#: What reverting to an earlier revision brings back: the copy and what goes with it,
#: never the status or publishing times (those move only through the workflow).
REVERTIBLE_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in ("lang", "embargo_until"))


def revision_fields(version: Any) -> dict[str, Any]:
    """The revertible fields stored in a django-reversion ``Version`` of a story."""
    stored = version.field_dict
    fields: dict[str, Any] = {}
    for name in REVERTIBLE_FIELDS:
        if name == "section":
            if "section_id" in stored or "section" in stored:
                fields["section"] = Section.objects.get(
                    pk=stored.get("section_id", stored.get("section"))
                )
        elif name in stored:
            fields[name] = stored[name]
    return fields


@transaction.atomic
def revert_article(
    article: Article,
    *,
    actor: Actor,
    version: Any,
    base_revision: int | None,
    note: str = "",
) -> Article:
    """Restore the copy of an earlier revision (a django-reversion ``Version`` of this
    story) as an ordinary edit: the same permission check, a new revision, the audit entry,
    re-indexing and purging; a live story takes it as a correction (``note`` required).
    The status never changes by a revert."""
    if int(version.object_id) != article.pk:
        raise WorkflowError(_("That revision belongs to another story."))
    fields = revision_fields(version)
    tag_ids = version.field_dict.get("tags")
    tags = list(Tag.objects.filter(pk__in=tag_ids)) if tag_ids is not None else None
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status in LIVE_STATUSES:
        result = correct_article(
            locked, actor=actor, note=note, base_revision=base_revision, tags=tags, **fields
        )
    else:
        result = update_article(
            locked, actor=actor, base_revision=base_revision, tags=tags, **fields
        )
    _audit(result, "revert", result.status, actor, note or str(version.revision_id))
    return result


def link_translation(article: Article, *, original: Article, actor: Actor) -> Article:
    """Put a story in the same translation group as another edition's story."""
    check_can_change(actor, article)
    if article.lang == original.lang:
        raise WorkflowError(_("A translation must be in another edition."))
    Article.objects.filter(pk=article.pk).update(
        translation_group=original.translation_group, revision=F("revision") + 1
    )
    article.refresh_from_db()
    _after_commit(article.pk, pagecache.article_keys(article))
    _after_commit(original.pk, pagecache.article_keys(original))
    return article


@transaction.atomic
def start_translation(article: Article, *, lang: str, actor: Actor) -> Article:
    """Open a draft of ``article`` in the edition ``lang``, in the same translation group.

    The draft starts from the original's copy, dateline city and date, urgency and byline,
    with the target edition's agency name, its section of the same slug (else its first
    section) and its tags of the same slug or name. Raises WorkflowError when ``lang`` is
    no other edition, already has a version of the story, or has no sections.
    """
    _require(actor, "add_article")
    if lang not in edition_codes() or lang == article.lang:
        raise WorkflowError(_("A translation must be in another edition."))
    edition = get_edition(lang)
    group = Article.objects.select_for_update().filter(translation_group=article.translation_group)
    if group.filter(lang=lang).exists():
        raise WorkflowError(_("This story already has a version in that edition."))
    section = (
        Section.objects.filter(lang=lang, slug=article.section.slug).first()
        or Section.objects.filter(lang=lang).order_by("position", "name").first()
    )
    if section is None:
        raise WorkflowError(_("That edition has no sections yet."))
    originals = list(article.tags.all())
    tags = Tag.objects.filter(lang=lang).filter(
        Q(slug__in=[t.slug for t in originals]) | Q(name__in=[t.name for t in originals])
    )
    draft = create_article(
        actor=actor,
        section=section,
        lang=lang,
        headline=article.headline,
        summary=article.summary,
        dateline_city=article.dateline_city,
        dateline_date=article.dateline_date,
        dateline_agency=edition.agency,
        body=article.body,
        urgency=article.urgency,
        byline=article.byline,
        tags=list(tags),
        translation_group=article.translation_group,
    )
    _audit(draft, "translate", "", actor, note=f"{article.lang}:{article.pk}")
    return draft


@transaction.atomic
def ingest_article(
    *,
    source_id: str,
    source_version: int,
    section: Section,
    fields: dict[str, Any],
    actor: Actor,
    tag_names: Iterable[str] = (),
    publish: bool = False,
) -> tuple[Article, str]:
    """Store a story that came from outside (wire text, ninjs, NewsML-G2, a feed).

    The story is looked up by the actor's origin and ``source_id``: a partner reaches only
    the stories it sent itself, and the desk's own imports never reach a partner's. The same
    version again changes nothing, an older one is ignored, a newer one updates the story
    (kept as a revision, or a correction when it is live). An actor that may not correct
    (an untrusted partner) never changes a live story: its update comes back "held", for
    the caller to keep for an editor. Returns the story and one of "created", "updated",
    "unchanged", "ignored" or "held".
    """
    _require(actor, "add_article")
    origin = getattr(actor, "origin", "")
    existing = (
        Article.objects.select_for_update().filter(origin=origin, source_id=source_id).first()
        if source_id
        else None
    )
    tags = [tag_for(section.lang, name) for name in tag_names if name.strip()]
    if existing is not None:
        if source_version < existing.source_version:
            return existing, "ignored"
        if source_version == existing.source_version:
            if publish and existing.status in (Status.DRAFT, Status.SUBMITTED):
                return publish_article(existing, actor=actor), "published"
            return existing, "unchanged"
        check_can_change(actor, existing)
        if existing.status in LIVE_STATUSES:
            if not actor.has_perm("articles.correct_article"):
                return existing, "held"
            article = correct_article(
                existing,
                actor=actor,
                note=fields.pop("correction_note", "") or _("Updated by the source."),
                base_revision=existing.revision,
                section=section,
                tags=tags,
                **fields,
            )
        elif existing.status == Status.WITHDRAWN:
            return existing, "ignored"
        else:
            fields.pop("correction_note", None)
            article = update_article(
                existing,
                actor=actor,
                base_revision=existing.revision,
                section=section,
                tags=tags,
                **fields,
            )
        Article.objects.filter(pk=article.pk).update(source_version=source_version)
        article.source_version = source_version
        return article, "updated"
    fields.pop("correction_note", None)
    article = create_article(actor=actor, section=section, tags=tags, **fields)
    Article.objects.filter(pk=article.pk).update(source_id=source_id, source_version=source_version)
    article.source_id, article.source_version = source_id, source_version
    if publish:
        article = publish_article(article, actor=actor)
    else:
        article = submit_article(article, actor=actor)
    return article, "created"


def tag_for(lang: str, name: str) -> Tag:
    """The edition's tag of that name, created when it does not exist yet."""
    name = name.strip()
    slug = slugify(name, allow_unicode=True)[:100] or "tag"
    tag, _created = Tag.objects.get_or_create(lang=lang, slug=slug, defaults={"name": name})
    return tag


# --- Revision retention -------------------------------------------------------------------

#: How many stories' histories one transaction of ``prune_revisions`` looks at.
PRUNE_BATCH = 2000


@dataclass
class Pruned:
    """What ``prune_revisions`` did: versions deleted (or that would be), stories whose
    history shrank, the last story id walked, and whether the walk reached the end."""

    deleted: int = 0
    stories: int = 0
    last: int = 0
    done: bool = False


def prune_revisions(
    *,
    actor: Actor,
    keep_days: int,
    keep_last: int,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    after: int = 0,
    batches: int | None = None,
) -> Pruned:
    """Apply the retention policy to stories' revision history (django-reversion's copies):
    every revision younger than ``keep_days`` stays, and so does each story's first revision
    (the copy as filed) and its ``keep_last`` newest whatever their age; the rest go, with
    the revisions left holding nothing. Corrections, the audit log and the story itself are
    never touched: what readers were told stays on the record.

    Walks the archive by story id, ``PRUNE_BATCH`` stories to a transaction, reading only
    each version's id and date, so its memory and each transaction stay the same size
    whatever the archive's. ``after`` and ``batches`` let the worker walk it a batch at a
    time between its other jobs (from the story after ``after``, at most ``batches``
    transactions); with ``dry_run`` it only counts."""
    from reversion.models import Revision, Version

    actors.require(actor, "reversion.delete_revision")
    if keep_days < 0 or keep_last < 1:
        raise ValueError("keep_days must be >= 0 and keep_last >= 1")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days)
    versions = Version.objects.get_for_model(Article)
    result = Pruned(last=after)
    walked = 0
    while batches is None or walked < batches:
        walked += 1
        ids = list(
            Article.objects.filter(pk__gt=result.last)
            .order_by("pk")
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            result.done = True
            return result
        result.last = ids[-1]
        with transaction.atomic():
            rows = versions.filter(
                object_id__in=[str(pk) for pk in ids], revision__date_created__lt=cutoff
            ).values_list("object_id", "pk", "revision_id")
            old: dict[str, list[tuple[int, int]]] = {}
            for object_id, pk, revision_id in rows:
                old.setdefault(object_id, []).append((pk, revision_id))
            if not old:
                continue
            # The newest ``keep_last`` and the first of each story, young ones included.
            counted = dict(
                versions.filter(object_id__in=list(old))
                .order_by()
                .values("object_id")
                .annotate(n=models.Count("pk"))
                .values_list("object_id", "n")
            )
            firsts = set(
                versions.filter(object_id__in=list(old))
                .order_by()
                .values("object_id")
                .annotate(first=models.Min("pk"))
                .values_list("first", flat=True)
            )
            drop: list[int] = []
            revisions: set[int] = set()
            for object_id, held in old.items():
                held.sort()  # oldest first, by version id (the order they were written)
                young = counted[object_id] - len(held)
                removable = max(len(held) - max(keep_last - young, 0), 0)
                chosen = [(pk, rev) for pk, rev in held[:removable] if pk not in firsts]
                if chosen:
                    result.stories += 1
                    drop.extend(pk for pk, _rev in chosen)
                    revisions.update(rev for _pk, rev in chosen)
            result.deleted += len(drop)
            if dry_run or not drop:
                continue
            Version.objects.filter(pk__in=drop).delete()
            Revision.objects.filter(pk__in=revisions, version__isnull=True).delete()
    return result
