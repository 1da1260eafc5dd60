"""What is waiting for a person on the desk, per edition, oldest first.

Plain reads for the desk home: each queue is a count per edition and the first few items.
Who sees which queue follows the permissions of the roles (a reporter their own drafts, an
editor the copy, a moderator the comments, the chief everything).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import LIVE_STATUSES, Article, AuditEntry, Status, Urgency
from khabar.comments.models import REPORTED, WAITING, Comment

#: Items listed per queue on the home page; the count says how many there are.
PER_QUEUE = 8
#: "Published in the last hours": how far back the home page looks.
RECENT = datetime.timedelta(hours=6)


@dataclass
class Queue:
    key: str
    title: Any
    empty: Any
    items: list[Any]
    count: int
    by_edition: dict[str, int] = field(default_factory=dict)
    more_url: str = ""
    urgent: int = 0


def _by_edition(queryset: QuerySet[Any], lang_field: str = "lang") -> dict[str, int]:
    rows = queryset.order_by().values(lang_field).annotate(n=Count("pk"))
    return {row[lang_field] or "": row["n"] for row in rows}


def _story_queue(
    key: str, title: Any, empty: Any, queryset: QuerySet[Article], order: list[str], more: str
) -> Queue:
    items = list(
        queryset.select_related("section", "created_by")
        .annotate(corrections_count=Count("corrections"))
        .defer("body")
        .order_by(*order)[:PER_QUEUE]
    )
    by_edition = _by_edition(queryset)
    return Queue(
        key=key,
        title=title,
        empty=empty,
        items=items,
        count=sum(by_edition.values()),
        by_edition=by_edition,
        more_url=more,
        urgent=queryset.filter(urgency__lte=Urgency.URGENT).count(),
    )


def incoming_q() -> Q:
    """Copy that came in from ingest or a wire import and nobody has handled yet."""
    return Q(status=Status.SUBMITTED, spiked_at__isnull=True) & (~Q(origin="") | ~Q(source_id=""))


def queues_for(
    user: Any, *, edition: str = "", now: datetime.datetime | None = None
) -> list[Queue]:
    """The queues ``user`` works from, each limited to ``edition`` when one is given."""
    now = now or timezone.now()
    stories = Article.objects.all()
    comments = Comment.objects.all()
    if edition:
        stories = stories.filter(lang=edition)
        comments = comments.filter(thread__article__lang=edition)
    changelist = reverse("admin:articles_article_changelist")
    out: list[Queue] = []
    if user.has_perm("articles.publish_article"):
        out.append(
            _story_queue(
                "incoming",
                _("Incoming wire"),
                _("No incoming copy."),
                stories.filter(incoming_q()),
                ["urgency", "created_at", "pk"],
                f"{changelist}?status__exact=submitted",
            )
        )
        out.append(
            _story_queue(
                "submitted",
                _("Submitted by reporters"),
                _("Nothing waits for an editor."),
                stories.filter(
                    status=Status.SUBMITTED, origin="", source_id="", spiked_at__isnull=True
                ),
                ["urgency", "updated_at", "pk"],
                f"{changelist}?status__exact=submitted",
            )
        )
        out.append(
            _story_queue(
                "scheduled",
                _("Scheduled and embargoed"),
                _("Nothing is scheduled or under embargo."),
                stories.filter(
                    Q(status=Status.SCHEDULED) | Q(status__in=LIVE_STATUSES, embargo_until__gt=now)
                ),
                ["published_at", "pk"],
                f"{changelist}?status__exact=scheduled",
            )
        )
        out.append(
            _story_queue(
                "published",
                _("Published in the last hours"),
                _("Nothing published in the last six hours."),
                stories.filter(
                    status__in=LIVE_STATUSES,
                    published_at__lte=now,
                    published_at__gte=now - RECENT,
                ),
                ["-published_at", "-pk"],
                f"{changelist}?status__exact=published",
            )
        )
    if user.has_perm("articles.add_article") and not user.has_perm("articles.publish_article"):
        returned = AuditEntry.objects.filter(article=OuterRef("pk"), action="return")
        out.append(
            _story_queue(
                "mine",
                _("Your drafts"),
                _("You have no drafts."),
                stories.filter(created_by=user, status=Status.DRAFT).annotate(
                    returned=Exists(returned)
                ),
                ["-returned", "updated_at", "pk"],
                changelist,
            )
        )
        out.append(
            _story_queue(
                "mine-submitted",
                _("Yours, waiting for an editor"),
                _("Nothing of yours is waiting."),
                stories.filter(created_by=user, status=Status.SUBMITTED),
                ["updated_at", "pk"],
                changelist,
            )
        )
    if user.has_perm("comments.moderate_comment"):
        comment_list = reverse("admin:comments_comment_changelist")
        out.append(
            _comment_queue(
                "comments-pending",
                _("Comments waiting for moderation"),
                _("No comment is waiting."),
                comments.filter(WAITING),
                f"{comment_list}?queue=pending",
            )
        )
        out.append(
            _comment_queue(
                "comments-reported",
                _("Reported comments"),
                _("No comment is reported."),
                comments.filter(REPORTED),
                f"{comment_list}?queue=reported",
            )
        )
    return out


def _comment_queue(
    key: str, title: Any, empty: Any, queryset: QuerySet[Comment], more: str
) -> Queue:
    items = list(
        queryset.select_related("thread", "thread__article").order_by("created_at", "pk")[
            :PER_QUEUE
        ]
    )
    by_edition = _by_edition(queryset, "thread__article__lang")
    return Queue(
        key=key,
        title=title,
        empty=empty,
        items=items,
        count=sum(by_edition.values()),
        by_edition=by_edition,
        more_url=more,
    )


def spiked_for(user: Any, *, edition: str = "") -> list[Article]:
    """The latest spiked copy, for an editor to restore."""
    if not user.has_perm("articles.publish_article"):
        return []
    spiked = Article.objects.filter(spiked_at__isnull=False).select_related("section")
    if edition:
        spiked = spiked.filter(lang=edition)
    return list(spiked.defer("body").order_by("-spiked_at")[:PER_QUEUE])
