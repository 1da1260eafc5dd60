"""Email notifications, queued as tasks (django-tasks) and sent by ``khabar run_worker``,
never in a request.

- A reader who asked for it gets an email when a reply to their comment is approved (never
  before, and never with anyone else's address), with a one-click unsubscribe link.
- Moderators get an email when the pending queue grows past each multiple of a setting.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from khabar.comments import conf, permalink
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


def unsubscribe_token(comment: Comment) -> str:
    """An opaque link token for the comment's author: signed, with no address inside (it
    names the comment; its address is looked up when the link is used)."""
    return signing.Signer(salt=_UNSUBSCRIBE_SALT, algorithm="sha256").sign(
        signing.b62_encode(comment.pk)
    )


def comment_from_token(token: str) -> Comment | None:
    """The comment an unsubscribe token was made for, or None for a forged or stale one."""
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT, algorithm="sha256").unsign(token)
        pk = signing.b62_decode(value)
    except (signing.BadSignature, ValueError):
        return None
    return Comment.objects.select_related("thread__article").filter(pk=pk).first()


def email_from_legacy_token(token: str) -> str | None:
    """The address in a link mailed before tokens became opaque (they carried it, signed)."""
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and "@" in value else None


def mail_language(comment: Comment) -> str:
    """The edition a comment's mail is written in: its story's, else the default one."""
    article = comment.thread.article
    return article.lang if article else settings.LANGUAGE_CODE


def message_id() -> str:
    """A Message-ID under the site's own domain (Django would use the machine's name)."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")


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


#: The alerts a growing queue sends at most: the queue's length past which no more go out
#: (``alert_bound``). A flood of pending posts neither mails the moderators a thousand times
#: nor makes each post count a queue that keeps growing: the count stops there.
ALERTS_AT_MOST = 50


def alert_bound() -> int:
    """The queue's length past which it is not counted (0: no alerts, nothing counted)."""
    return conf.MODERATOR_ALERT_EVERY * ALERTS_AT_MOST


def pending_grew(count: Callable[[int], int]) -> None:
    """Queue an alert to moderators when the queue reaches a multiple of the setting, up to
    ``alert_bound``. ``count(up_to)`` gives the queue's length, or ``up_to`` when it is
    longer: counted only when alerts are on, and never past the bound."""
    bound = alert_bound()
    if not bound:
        return
    pending = count(bound + 1)
    if pending and pending <= bound and pending % conf.MODERATOR_ALERT_EVERY == 0:
        enqueue("moderators", pending=pending)


def _send_reply(payload: dict[str, object]) -> None:
    reply = Comment.objects.select_related("parent", "thread", "thread__article").get(
        pk=payload["reply"]
    )
    parent = reply.parent
    if reply.status != Status.APPROVED or parent is None or not parent.notify_replies:
        return
    article = reply.thread.article
    lang = mail_language(reply)
    if article is not None:
        link = settings.SITE_URL + permalink.comment_url(reply)
    else:
        link = f"{reply.thread.url or settings.SITE_URL}#comment-{reply.pk}"
    unsubscribe = settings.SITE_URL + reverse(
        "comments-unsubscribe", kwargs={"token": unsubscribe_token(parent)}
    )
    with translation.override(lang):
        context = {
            "reply": reply,
            "parent": parent,
            "link": link,
            "unsubscribe": unsubscribe,
            "title": reply.thread.title or (article.headline if article else ""),
            "lang": lang,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
        }
        subject = render_to_string("comments/email/reply_subject.txt", context).strip()
        body = render_to_string("comments/email/reply.txt", context)
        html = render_to_string("comments/email/reply.html", context)
    message = EmailMultiAlternatives(
        subject,
        body,
        to=[parent.email],
        headers={
            "Message-ID": message_id(),
            "Content-Language": lang,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
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
    headers = {"Content-Language": settings.LANGUAGE_CODE}
    # One message per moderator: no one sees the others' addresses.
    for address in to:
        EmailMessage(
            subject, body, to=[address], headers={**headers, "Message-ID": message_id()}
        ).send()


HANDLERS = {"reply": _send_reply, "moderators": _send_moderators}
