"""The transactional outbox: a story's change writes its deliveries in its own transaction.

``queue_story_change`` is registered as a story hook (``khabar.site.hooks``), which
``khabar.articles.actions`` calls inside the transaction of the change: the deliveries
commit with the change or not at all. It renders each format once per change (``Copy``) and
writes one ``Delivery`` per destination, in one insert.
"""

from __future__ import annotations

from django.utils import timezone

from khabar.articles.models import Article, Status
from khabar.distribution.formats import render
from khabar.distribution.models import Copy, Delivery, Destination, Event


def delivery_key(
    article_id: int, version: int, event: str, destination_id: int, *, update: str = ""
) -> str:
    """A delivery's stable id: the webhook-id, the file's name and the mail's Message-ID.
    A live update's names the update and the change it took (``u<update>.<seq>``): a story
    version carries many updates, and a correction of one is a change of its own."""
    part = f"-u{update}" if update else ""
    return f"khabar-{article_id}-v{version}-{event}{part}-d{destination_id}"


def _live_change(article: Article) -> tuple[int, str]:
    """The live story's latest change number and the update that took it (read through the
    reverse accessor: distribution does not import the live app)."""
    live = article.live  # type: ignore[attr-defined]
    update = live.updates.filter(seq=live.seq).values_list("pk", flat=True).first()
    return live.seq, f"{update}.{live.seq}" if update else str(live.seq)


def queue_story_change(article: Article, event: str) -> list[Delivery]:
    """Queue the deliveries of ``article``'s change ``event`` (in the caller's transaction).

    A new story goes to every active destination whose filter takes it; a correction, a
    kill or a restoration goes to every destination that was sent the story before, whatever
    its filter says now (and a correction or restoration also to those it now matches). A
    story under embargo is held until the embargo lifts ("embargo_lifted" sends it then).
    Calling it again for the same version queues nothing new. A live update ("live_updated",
    new or corrected) is routed like a correction, once per change of the live story.
    """
    article = Article.objects.select_related("section").get(pk=article.pk)
    if article.status == Status.SCHEDULED or article.published_at is None:
        return []
    now = timezone.now()
    if article.embargo_until and article.embargo_until > now and event != Event.WITHDRAWN:
        return []
    sent_before = set(
        Delivery.objects.filter(article=article).values_list("destination_id", flat=True)
    )
    live_seq, update = _live_change(article) if event == Event.LIVE_UPDATED else (0, "")
    same = Delivery.objects.filter(article=article, version=article.version)
    if event == Event.LIVE_UPDATED:
        same = same.filter(event=event, live_seq=live_seq)
    else:
        same = same.exclude(event=Event.LIVE_UPDATED)
    already = set(same.values_list("destination_id", flat=True))
    tag_slugs = {t.slug for t in article.tags.all()}
    targets = []
    for destination in Destination.objects.filter(active=True, subscriber__active=True):
        if destination.pk in already:
            continue
        if event == Event.WITHDRAWN:
            take = destination.pk in sent_before
        else:
            take = destination.pk in sent_before or destination.wants(article, tag_slugs)
        if take:
            targets.append(destination)
    if not targets:
        return []
    if event == Event.EMBARGO_LIFTED:
        event = Event.PUBLISHED if not sent_before else Event.EMBARGO_LIFTED
    copies: dict[tuple[str, bool], Copy] = {}
    deliveries = []
    for destination in targets:
        variant = (destination.format, destination.with_photos)
        if variant not in copies:
            rendered = render(
                article, destination.format, event=event, with_photos=destination.with_photos
            )
            copies[variant], _ = Copy.objects.get_or_create(
                article=article,
                version=article.version,
                event=event,
                live_seq=live_seq,
                format=destination.format,
                with_photos=destination.with_photos,
                defaults={"body": rendered.body, "content_type": rendered.content_type},
            )
        deliveries.append(
            Delivery(
                key=delivery_key(article.pk, article.version, event, destination.pk, update=update),
                destination=destination,
                article=article,
                version=article.version,
                event=event,
                live_seq=live_seq,
                copy=copies[variant],
                created_at=now,
                next_attempt_at=now,
            )
        )
    return Delivery.objects.bulk_create(deliveries)
