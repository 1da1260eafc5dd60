"""Every write to a story goes through these functions.

Each one does the whole change: the transaction, the compare-and-set of ``status``, the
revision, the audit entry, and (after commit) re-indexing and cache purging.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import reversion
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

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
from khabar.search import indexing
from khabar.site import pagecache
from khabar.site.editions import edition_codes, get_edition

User = AbstractBaseUser | AnonymousUser | None

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


def _require(user: User, perm: str) -> None:
    if user is not None and not user.has_perm(f"articles.{perm}"):
        raise PermissionDenied(perm)


def _after_commit(article_id: int, purge: list[str]) -> None:
    def run() -> None:
        indexing.index_article(article_id)
        pagecache.purge_keys(purge)

    transaction.on_commit(run)


def _audit(article: Article, action: str, before: str, user: User, note: str = "") -> None:
    AuditEntry.objects.create(
        article=article,
        action=action,
        from_status=before,
        to_status=article.status,
        user=user if user is not None and user.is_authenticated else None,
        note=note,
    )


def _transition(
    article: Article,
    *,
    allowed_from: Iterable[str],
    to: str,
    actor: User,
    action: str,
    note: str = "",
    **fields: Any,
) -> Article:
    """Compare-and-set the status; the row count tells whether someone got there first."""
    before = article.status
    if before not in allowed_from:
        raise WorkflowError(
            _("A story that is “%(status)s” cannot be %(action)s.")
            % {"status": Status(before).label, "action": action}
        )
    now = timezone.now()
    updated = Article.objects.filter(pk=article.pk, status=before).update(
        status=to, updated_at=now, **fields
    )
    if updated != 1:
        raise WorkflowError(_("The story was changed by someone else; reload and try again."))
    article.refresh_from_db()
    with reversion.create_revision(manage_manually=True):
        reversion.add_to_revision(article)
        reversion.set_comment(f"{action}: {note}".strip(": "))
        if actor is not None and actor.is_authenticated:
            reversion.set_user(actor)
    _audit(article, action, before, actor, note)
    _after_commit(article.pk, pagecache.article_keys(article) + _translation_keys(article))
    return article


def _translation_keys(article: Article) -> list[str]:
    # The other editions' versions list this one under "Read in:" once it is live.
    siblings = Article.objects.filter(translation_group=article.translation_group)
    return [f"a:{pk}" for pk in siblings.exclude(pk=article.pk).values_list("pk", flat=True)]


def _signoff_of(user: User) -> str:
    if user is None or not user.is_authenticated:
        return ""
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.signoff_code if profile else ""


def make_slug(headline: str) -> str:
    return slugify(headline, allow_unicode=True)[:100].strip("-")


@transaction.atomic
def create_article(
    *,
    actor: User,
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
        body=body,
        created_by=actor
        if actor is not None and actor.is_authenticated
        else None,
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
        if actor is not None and actor.is_authenticated:
            reversion.set_user(actor)
    _audit(article, "create", "", actor)
    return article


@transaction.atomic
def update_article(
    article: Article,
    *,
    actor: User,
    tags: Iterable[Tag] | None = None,
    **fields: Any,
) -> Article:
    """Edit a story's copy. Reporters may edit their own drafts; editors any story.

    A live story's copy changes only through ``correct_article``, which records a note.
    """
    _require(actor, "change_article")
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status in LIVE_STATUSES and not fields.pop("_correction", False):
        raise WorkflowError(_("A published story is changed only through a correction."))
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable")
        setattr(locked, name, value)
    locked.updated_at = timezone.now()
    locked.fingerprint = text_fingerprint(f"{locked.headline}\n{locked.body}")
    locked.full_clean(exclude=["tags"])
    with reversion.create_revision(manage_manually=True):
        locked.save()
        if tags is not None:
            locked.tags.set(tags)
        reversion.add_to_revision(locked)
        reversion.set_comment("edited")
        if actor is not None and actor.is_authenticated:
            reversion.set_user(actor)
    _after_commit(locked.pk, pagecache.article_keys(locked))
    return locked


@transaction.atomic
def submit_article(article: Article, *, actor: User) -> Article:
    """A reporter hands a draft to the editors."""
    _require(actor, "submit_article")
    return _transition(
        article,
        allowed_from=[Status.DRAFT],
        to=Status.SUBMITTED,
        actor=actor,
        action="submit",
    )


@transaction.atomic
def return_article(article: Article, *, actor: User, note: str = "") -> Article:
    """An editor sends a submitted story back to draft."""
    _require(actor, "publish_article")
    return _transition(
        article,
        allowed_from=[Status.SUBMITTED, Status.SCHEDULED],
        to=Status.DRAFT,
        actor=actor,
        action="return",
        note=note,
    )


@transaction.atomic
def publish_article(
    article: Article,
    *,
    actor: User,
    at: datetime.datetime | None = None,
    embargo_until: datetime.datetime | None = None,
) -> Article:
    """Publish now, or schedule for ``at`` when it lies in the future."""
    _require(actor, "publish_article")
    now = timezone.now()
    extra: dict[str, Any] = {}
    if embargo_until is not None:
        extra["embargo_until"] = embargo_until
    signoff = _signoff_of(actor)
    who = actor if actor is not None and actor.is_authenticated else None
    if at is not None and at > now:
        return _transition(
            article,
            allowed_from=[Status.DRAFT, Status.SUBMITTED, Status.SCHEDULED],
            to=Status.SCHEDULED,
            actor=actor,
            action="schedule",
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
        published_at=published_at,
        first_published_at=article.first_published_at or published_at,
        published_by=who,
        publisher_signoff=signoff,
        **extra,
    )


def publish_due_articles(*, now: datetime.datetime | None = None) -> list[Article]:
    """Publish every scheduled story whose time has come (run by cron or the worker)."""
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
                        actor=None,
                        action="publish",
                        first_published_at=article.first_published_at or article.published_at,
                    )
                )
        except WorkflowError:
            continue  # someone else published or unscheduled it meanwhile
    # Stories whose embargo lifted since the last run: their pages and lists change now.
    for article in Article.objects.filter(
        status__in=LIVE_STATUSES,
        embargo_until__lte=now,
        embargo_until__gt=now - datetime.timedelta(hours=1),
    ):
        _after_commit(article.pk, pagecache.article_keys(article))
    return done


@transaction.atomic
def correct_article(article: Article, *, actor: User, note: str, **fields: Any) -> Article:
    """Change a live story's copy, with a correction note shown to readers and a new version."""
    _require(actor, "correct_article")
    if not note.strip():
        raise WorkflowError(_("A correction needs a note for readers."))
    if fields:
        article = update_article(article, actor=None, _correction=True, **fields)
    version = article.version + 1
    article = _transition(
        article,
        allowed_from=LIVE_STATUSES,
        to=Status.CORRECTED,
        actor=actor,
        action="correct",
        note=note,
        version=version,
    )
    Correction.objects.create(
        article=article,
        note=note,
        version=version,
        created_by=actor
        if actor is not None and actor.is_authenticated
        else None,
    )
    return article


@transaction.atomic
def withdraw_article(article: Article, *, actor: User, note: str = "") -> Article:
    """Take a story down: readers get 404 and it leaves lists, feeds and the index."""
    _require(actor, "withdraw_article")
    return _transition(
        article,
        allowed_from=[*LIVE_STATUSES, Status.SCHEDULED],
        to=Status.WITHDRAWN,
        actor=actor,
        action="withdraw",
        note=note,
    )


def link_translation(article: Article, *, original: Article, actor: User) -> Article:
    """Put a story in the same translation group as another edition's story."""
    _require(actor, "change_article")
    if article.lang == original.lang:
        raise WorkflowError(_("A translation must be in another edition."))
    Article.objects.filter(pk=article.pk).update(translation_group=original.translation_group)
    article.refresh_from_db()
    _after_commit(article.pk, pagecache.article_keys(article))
    _after_commit(original.pk, pagecache.article_keys(original))
    return article


@transaction.atomic
def start_translation(article: Article, *, lang: str, actor: User) -> Article:
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
    tag_names: Iterable[str] = (),
    publish: bool = False,
    actor: User = None,
) -> tuple[Article, str]:
    """Store a story that came from outside (wire text, ninjs, NewsML-G2, a feed).

    Idempotent by ``source_id`` and ``source_version``: the same version again changes
    nothing, a newer one updates the story (kept as a revision, or a correction when it is
    live), an older one is ignored. Returns the story and one of "created", "updated",
    "unchanged" or "ignored".
    """
    existing = (
        Article.objects.select_for_update().filter(source_id=source_id).first()
        if source_id
        else None
    )
    tags = [_tag_for(section.lang, name) for name in tag_names if name.strip()]
    if existing is not None:
        if source_version < existing.source_version:
            return existing, "ignored"
        if source_version == existing.source_version:
            return existing, "unchanged"
        if existing.status in LIVE_STATUSES:
            article = correct_article(
                existing,
                actor=actor,
                note=fields.pop("correction_note", "") or _("Updated by the source."),
                section=section,
                **fields,
            )
        else:
            fields.pop("correction_note", None)
            article = update_article(existing, actor=actor, section=section, **fields)
        Article.objects.filter(pk=article.pk).update(source_version=source_version)
        article.tags.set(tags)
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


def _tag_for(lang: str, name: str) -> Tag:
    name = name.strip()
    slug = slugify(name, allow_unicode=True)[:100] or "tag"
    tag, _created = Tag.objects.get_or_create(lang=lang, slug=slug, defaults={"name": name})
    return tag
