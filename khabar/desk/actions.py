"""The desk's own writes: spiking incoming copy and publishing a flash.

Built on ``khabar.articles.actions`` (the one place a story's status changes); spiking does
not touch the status, only ``spiked_at``, compare-and-set, with an audit entry.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Section, Urgency
from khabar.site import actors
from khabar.site.editions import get_edition

Actor = Any


def _audit(article: Article, action: str, actor: Actor, note: str = "") -> None:
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
def spike_article(article: Article, *, actor: Actor, note: str = "") -> Article:
    """Set incoming copy aside: it leaves the queue, keeps its status and can be restored."""
    actors.require(actor, "articles.publish_article")
    now = timezone.now()
    if Article.objects.filter(pk=article.pk, spiked_at__isnull=True).update(spiked_at=now) != 1:
        raise actions.WorkflowError(_("This story is already spiked."))
    article.refresh_from_db()
    _audit(article, "spike", actor, note)
    return article


@transaction.atomic
def unspike_article(article: Article, *, actor: Actor) -> Article:
    """Bring spiked copy back into the queue."""
    actors.require(actor, "articles.publish_article")
    if Article.objects.filter(pk=article.pk, spiked_at__isnull=False).update(spiked_at=None) != 1:
        raise actions.WorkflowError(_("This story is not spiked."))
    article.refresh_from_db()
    _audit(article, "unspike", actor)
    return article


@transaction.atomic
def publish_flash(*, actor: Actor, section: Section, headline: str, dateline_city: str) -> Article:
    """File and publish a one-line flash at once: it leads the edition's home and ticker."""
    actors.require(actor, "articles.publish_article")
    edition = get_edition(section.lang)
    article = actions.create_article(
        actor=actor,
        section=section,
        lang=section.lang,
        headline=headline.strip(),
        dateline_city=dateline_city.strip(),
        dateline_date=timezone.localtime(timezone.now(), edition.time_zone).date(),
        dateline_agency=edition.agency,
        body=headline.strip(),
        urgency=Urgency.FLASH,
    )
    return actions.publish_article(article, actor=actor)
