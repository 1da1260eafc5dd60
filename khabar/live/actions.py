"""Every write to live stories: start, end, post an update, correct it, pin it.

Each function takes its actor (keyword-only, never ``None``) and checks it first: running a
live story is an editor's right, the same as publishing (``articles.publish_article``). Each
change takes the story's next change number (``LiveStory.seq``) under a row lock and stamps it
on what changed; after commit it purges the story's page (``a:<pk>``) and its polling answer
(``live:<pk>``) and wakes this process's streams; other processes' streams see the new
number within their poll interval (``khabar.live.hub``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.articles.models import LIVE_STATUSES, Article, AuditEntry
from khabar.live.models import LiveState, LiveStory, LiveUpdate
from khabar.site import actors, hooks, pagecache

PERM = "articles.publish_article"


def start_live(article: Article, *, actor: Any) -> LiveStory:
    """Turn a published story into a live story (or reopen one that ended)."""
    actors.require(actor, PERM)
    if article.status not in LIVE_STATUSES:
        raise ValidationError(_("Only a published story can go live."))
    with transaction.atomic():
        live, created = LiveStory.objects.select_for_update().get_or_create(
            article=article, defaults={"started_by": actors.user_or_none(actor)}
        )
        if not created and live.state == LiveState.OPEN:
            return live
        if not created:
            LiveStory.objects.filter(pk=live.pk, state=LiveState.ENDED).update(
                state=LiveState.OPEN, ended_at=None
            )
        _next_seq(live)
        _audit(article, "live_started", actor)
        _after_commit(live)
    live.refresh_from_db()
    return live


def end_live(live: LiveStory, *, actor: Any) -> LiveStory:
    """End a live story: its updates stay on the page, no new ones are taken."""
    actors.require(actor, PERM)
    with transaction.atomic():
        changed = LiveStory.objects.filter(pk=live.pk, state=LiveState.OPEN).update(
            state=LiveState.ENDED, ended_at=timezone.now()
        )
        if changed:
            _next_seq(live)
            _audit(live.article, "live_ended", actor)
            _after_commit(live)
    live.refresh_from_db()
    return live


def post_update(
    live: LiveStory,
    *,
    actor: Any,
    text: str,
    signoff: str = "",
    photo: Any = None,
    pinned: bool = False,
) -> LiveUpdate:
    """Add an update to an open live story; it shows at the top of the page at once."""
    actors.require(actor, PERM)
    text = text.strip()
    if not text:
        raise ValidationError(_("An update needs its text."))
    with transaction.atomic():
        seq = _next_seq(live, must_be_open=True)
        update = LiveUpdate.objects.create(
            live=live,
            text=text,
            signoff=signoff.strip(),
            photo=photo,
            pinned=pinned,
            seq=seq,
            created_by=actors.user_or_none(actor),
            actor=actors.audit_name(actor),
        )
        _tell_partners(live)
        _after_commit(live)
    return update


def correct_update(update: LiveUpdate, *, actor: Any, text: str, note: str = "") -> LiveUpdate:
    """Replace an update's text; readers see it marked corrected, in place."""
    actors.require(actor, PERM)
    text = text.strip()
    if not text:
        raise ValidationError(_("An update needs its text."))
    with transaction.atomic():
        seq = _next_seq(update.live)
        LiveUpdate.objects.filter(pk=update.pk).update(
            text=text, correction_note=note.strip(), corrected_at=timezone.now(), seq=seq
        )
        _tell_partners(update.live)
        _after_commit(update.live)
    update.refresh_from_db()
    return update


def pin_update(update: LiveUpdate, *, actor: Any, pinned: bool) -> LiveUpdate:
    """Pin an update above the others, or unpin it."""
    actors.require(actor, PERM)
    with transaction.atomic():
        if LiveUpdate.objects.filter(pk=update.pk, pinned=pinned).exists():
            return update
        seq = _next_seq(update.live)
        LiveUpdate.objects.filter(pk=update.pk).update(pinned=pinned, seq=seq)
        _after_commit(update.live)
    update.refresh_from_db()
    return update


def _next_seq(live: LiveStory, *, must_be_open: bool = False) -> int:
    """The story's next change number, taken under its row lock (so two desks posting at
    once get two numbers, in commit order)."""
    locked = LiveStory.objects.select_for_update().get(pk=live.pk)
    if must_be_open and locked.state != LiveState.OPEN:
        raise PermissionDenied(_("This live story has ended."))
    seq = locked.seq + 1
    LiveStory.objects.filter(pk=live.pk).update(seq=seq)
    live.seq = seq
    return seq


def _tell_partners(live: LiveStory) -> None:
    """In the update's transaction: distribution queues it for every destination that has
    the story (its outbox commits with the update or not at all)."""
    hooks.story_changed(live.article, "live_updated")


def _audit(article: Article, action: str, actor: Any) -> None:
    AuditEntry.objects.create(
        article=article,
        action=action,
        from_status=article.status,
        to_status=article.status,
        user=actors.user_or_none(actor),
        actor=actors.audit_name(actor),
    )


def _after_commit(live: LiveStory) -> None:
    article_id = live.article_id
    lang = live.article.lang

    def purge_and_wake() -> None:
        from khabar.live import hub

        # The feeds carry the updates too ("f:<edition>").
        pagecache.purge_keys([f"a:{article_id}", f"live:{article_id}", f"f:{lang}"])
        hub.nudge()

    transaction.on_commit(purge_and_wake)
