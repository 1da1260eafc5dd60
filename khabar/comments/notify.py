"""Email notifications, queued as tasks (django-tasks) and sent by ``khabar run_worker``,
never in a request.

- A reader who asked for it gets an email when a reply to their comment is approved (never
  before, and never with anyone else's address), with a one-click unsubscribe link.
- Moderators get an email when the pending queue grows past each multiple of a setting.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from khabar.comments import conf
from khabar.comments.models import Comment, Status

log = logging.getLogger(__name__)
_UNSUBSCRIBE_SALT = "khabar.comments.unsubscribe"
MAX_ATTEMPTS = 5


def enqueue(kind: str, **payload: object) -> None:
    """Queue an email for the worker once the current transaction commits."""
    transaction.on_commit(lambda: send_email.enqueue(kind, payload))


@task()
def send_email(kind: str, payload: dict[str, object], attempt: int = 1) -> None:
    """Send one queued email; a failure is tried again later, MAX_ATTEMPTS times in all."""
    try:
        HANDLERS[kind](payload)
    except Exception:
        # A bad address or a mail server away: back off (2, 4, 8… minutes), then give up.
        if attempt < MAX_ATTEMPTS:
            later = timezone.now() + datetime.timedelta(minutes=2**attempt)
            send_email.using(run_after=later).enqueue(kind, payload, attempt + 1)
            log.warning("%s email failed (attempt %d), trying again at %s", kind, attempt, later)
        raise


def unsubscribe_token(email: str) -> str:
    return signing.dumps(email.lower(), salt=_UNSUBSCRIBE_SALT)


def email_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=_UNSUBSCRIBE_SALT))
    except signing.BadSignature:
        return None


def reply_approved(reply: Comment) -> None:
    """Queue the email to the parent's author, if they asked for one (call on approval)."""
    parent = reply.parent
    if (
        parent is None
        or not parent.notify_replies
        or not parent.email
        or parent.status != Status.APPROVED
        or parent.email.lower() == (reply.email or "").lower()
    ):
        return
    enqueue("reply", reply=reply.pk)


def pending_grew(pending: int) -> None:
    """Queue an alert to moderators when the queue reaches a multiple of the setting."""
    every = conf.MODERATOR_ALERT_EVERY
    if every and pending and pending % every == 0:
        enqueue("moderators", pending=pending)


def _send_reply(payload: dict[str, object]) -> None:
    reply = Comment.objects.select_related("parent", "thread", "thread__article").get(
        pk=payload["reply"]
    )
    parent = reply.parent
    if reply.status != Status.APPROVED or parent is None or not parent.notify_replies:
        return
    article = reply.thread.article
    lang = article.lang if article else settings.LANGUAGE_CODE
    link = reply.thread.url or (
        settings.SITE_URL + article.get_absolute_url() if article else settings.SITE_URL
    )
    unsubscribe = settings.SITE_URL + reverse(
        "comments-unsubscribe", kwargs={"token": unsubscribe_token(parent.email)}
    )
    with translation.override(lang):
        context = {
            "reply": reply,
            "parent": parent,
            "link": f"{link}#comment-{reply.pk}",
            "unsubscribe": unsubscribe,
            "title": reply.thread.title or (article.headline if article else ""),
        }
        subject = render_to_string("comments/email/reply_subject.txt", context).strip()
        body = render_to_string("comments/email/reply.txt", context)
    message = EmailMessage(
        subject,
        body,
        to=[parent.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()


def _send_moderators(payload: dict[str, object]) -> None:
    users = get_user_model().objects.filter(
        Q(groups__name__in=["moderator", "chief"]), is_active=True
    )
    to = sorted({user.email for user in users if user.email})
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "pending": payload["pending"],
            "queue": settings.SITE_URL + reverse("admin:comments_comment_changelist"),
        }
        subject = render_to_string("comments/email/queue_subject.txt", context).strip()
        body = render_to_string("comments/email/queue.txt", context)
    # One message per moderator: no one sees the others' addresses.
    for address in to:
        EmailMessage(subject, body, to=[address]).send()


HANDLERS = {"reply": _send_reply, "moderators": _send_moderators}
