"""Reply and moderator emails: queued after commit, sent by the worker, never in a request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khabar.comments import actions, conf, notify
from khabar.comments.models import Comment
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_article(section=make_section())  # pre-moderation


def post(story, text, parent=None, **fields):
    return actions.post_comment(
        story.thread_key,
        actor=AnonymousUser(),
        author=fields.pop("author", "قارئ"),
        text=text,
        parent_id=parent.pk if parent else None,
        **fields,
    ).comment


def test_it_emails_the_author_only_when_the_reply_is_approved(
    story, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        parent = post(story, "الأصل", email="sara@example.org", notify_replies=True)
        actions.approve_comment(parent, actor=people["moderator"])
        reply = post(story, "رد", parent, author="أحمد", email="ahmad@example.org")
    call_command("run_worker", "--once")
    assert mail.outbox == []  # the reply is still pending
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_comment(reply, actor=people["moderator"])
    assert len(mail.outbox) == 0  # queued, not sent inside the request
    call_command("run_worker", "--once")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sara@example.org"]
    assert "ahmad@example.org" not in message.body and "ahmad@example.org" not in str(
        message.message()
    )
    assert "أحمد" in message.subject
    assert "/comments/unsubscribe/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_it_does_not_email_readers_who_did_not_ask(
    story, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        parent = post(story, "الأصل", email="sara@example.org")
        actions.approve_comment(parent, actor=people["moderator"])
        reply = post(story, "رد", parent)
        actions.approve_comment(reply, actor=people["moderator"])
    call_command("run_worker", "--once")
    assert mail.outbox == []


def test_it_unsubscribes_in_one_click(client, story):
    comment = post(story, "الأصل", email="Sara@example.org", notify_replies=True)
    token = notify.unsubscribe_token(comment.email)
    assert client.get(f"/comments/unsubscribe/{token}/").status_code == 200
    assert Comment.objects.get().notify_replies is True  # a GET (a link preview) changes nothing
    assert client.post(f"/comments/unsubscribe/{token}/").status_code == 200
    assert Comment.objects.get().notify_replies is False
    assert client.post("/comments/unsubscribe/forged/").status_code == 404


def test_it_alerts_moderators_when_the_queue_grows(
    story, people, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(conf, "MODERATOR_ALERT_EVERY", 2)
    with django_capture_on_commit_callbacks(execute=True):
        post(story, "واحد")
        post(story, "اثنان")
        post(story, "ثلاثة")
    queued = DBTaskResult.objects.filter(task_path="khabar.comments.notify.send_email")
    assert [task.args_kwargs["args"][0] for task in queued] == ["moderators"]
    call_command("run_worker", "--once")
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == ["chief@example.org", "moderator@example.org"]
    assert all(len(m.to) == 1 for m in mail.outbox)


def test_it_retries_a_failing_task_later(story):
    notify.send_email.enqueue("reply", {"reply": 999999})
    call_command("run_worker", "--once")
    failed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == TaskResultStatus.FAILED
    assert "DoesNotExist" in failed.exception_class_path
    assert retry.status == TaskResultStatus.READY and retry.args_kwargs["args"][2] == 2
    call_command("run_worker", "--once")
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.READY  # backed off
