"""Reply and moderator emails: queued after commit, sent by the worker, never in a request."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khabar.comments import actions, conf, notify, spam
from khabar.comments.models import Comment, Status
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(moderated_story):
    return moderated_story


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
    token = notify.unsubscribe_token(comment)
    assert client.get(f"/comments/unsubscribe/{token}/").status_code == 200
    assert Comment.objects.get().notify_replies is True  # a GET (a link preview) changes nothing
    assert client.post(f"/comments/unsubscribe/{token}/").status_code == 200
    assert Comment.objects.get().notify_replies is False
    assert client.post("/comments/unsubscribe/forged/").status_code == 404


def test_it_alerts_moderators_when_the_queue_grows(
    settings, story, people, django_capture_on_commit_callbacks
):
    settings.KHABAR_COMMENT_MODERATOR_ALERT_EVERY = 2
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


def test_a_flood_of_pending_posts_alerts_the_moderators_a_bounded_number_of_times(
    settings, story, monkeypatch, django_capture_on_commit_callbacks
):
    # An attacker posts pending comments by the hundred: the moderators hear of the queue
    # at every second one up to the bound (2 × 3 = 6), then no more; and past the bound no
    # post counts the queue further than it (the count's read stops at 7).
    settings.KHABAR_COMMENT_MODERATOR_ALERT_EVERY = 2
    monkeypatch.setattr(notify, "ALERTS_AT_MOST", 3)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(9):
            post(story, f"تعليق رقم {n}")
        with CaptureQueriesContext(connection) as captured:
            post(story, "تعليق آخر")
    assert Comment.objects.filter(status=Status.PENDING).count() == 10
    queued = DBTaskResult.objects.filter(task_path="khabar.comments.notify.send_email")
    assert sorted(task.args_kwargs["args"][1]["pending"] for task in queued) == [2, 4, 6]
    (count,) = queue_counts(captured)
    assert count.rstrip().endswith("LIMIT 7) AS w"), count


def test_it_counts_nothing_when_alerts_are_off(settings, story):
    settings.KHABAR_COMMENT_MODERATOR_ALERT_EVERY = 0
    with CaptureQueriesContext(connection) as captured:
        post(story, "تعليق")
    assert Comment.objects.filter(status=Status.PENDING).count() == 1
    assert not queue_counts(captured)


def queue_counts(captured):
    """The statements that counted the moderation queue (``sql.waiting_count``)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT COUNT(*) FROM (SELECT 1 FROM")
    ]


def test_it_retries_a_failing_task_later(story):
    notify.send_email.enqueue("reply", {"reply": 999999})
    call_command("run_worker", "--once")
    failed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == TaskResultStatus.FAILED
    assert "DoesNotExist" in failed.exception_class_path
    assert retry.status == TaskResultStatus.READY and retry.args_kwargs["args"][2] == 2
    call_command("run_worker", "--once")
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.READY  # backed off


def local(link: str) -> str:
    """The path and query of a link in a mail, to fetch with the test client."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def replied(story, people, capture, *, parent_fields=None, earlier=0):
    """Sara's comment (after ``earlier`` others), Ahmad's approved reply, the mail sent."""
    with capture(execute=True):
        for n in range(earlier):
            actions.approve_comment(post(story, f"تعليق رقم {n}"), actor=people["moderator"])
        parent = post(
            story,
            "الأصل",
            email="sara@example.org",
            notify_replies=True,
            **(parent_fields or {}),
        )
        actions.approve_comment(parent, actor=people["moderator"])
        reply = post(story, 'رد: ٣ < ٥ & "نعم"\nوسطر ثان', parent, author="أحمد")
        actions.approve_comment(reply, actor=people["moderator"])
    call_command("run_worker", "--once")
    (message,) = mail.outbox
    return parent, reply, message


def test_it_sends_an_html_part_in_the_editions_language_and_direction(
    story, people, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://news.example.org"
    _parent, reply, message = replied(story, people, django_capture_on_commit_callbacks)
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="ar" dir="rtl">' in html
    assert "<bdi>أحمد</bdi>" in html
    assert "رد: ٣ &lt; ٥ &amp; &quot;نعم&quot;<br>وسطر ثان" in html  # the text, escaped
    raw = message.message()
    assert raw["Content-Language"] == "ar"
    assert raw["Message-ID"].endswith("@news.example.org>")
    assert f"https://news.example.org{story.get_absolute_url()}#comment-{reply.pk}" in html


def test_it_writes_the_english_editions_mail_left_to_right(
    people, django_capture_on_commit_callbacks
):
    story = make_article(section=make_section("en", name="World"), lang="en", headline="Talks")
    _parent, _reply, message = replied(story, people, django_capture_on_commit_callbacks)
    assert message.subject == "أحمد replied to your comment"
    assert '<html lang="en" dir="ltr">' in message.alternatives[0][0]
    assert message.message()["Content-Language"] == "en"


def test_it_links_a_reply_on_a_later_comment_page_to_that_page(
    client, story, people, django_capture_on_commit_callbacks
):
    _parent, reply, message = replied(
        story, people, django_capture_on_commit_callbacks, earlier=conf.PAGE_SIZE + 2
    )
    link = re.search(r"(https?://\S+#comment-\d+)", message.body).group(1)
    assert link.endswith(f"{story.get_absolute_url()}?cpage={conf.PAGE_SIZE}#comment-{reply.pk}")
    page = client.get(local(link)).content.decode()
    assert f'id="comment-{reply.pk}"' in page
    first = client.get(story.get_absolute_url()).content.decode()
    assert f'id="comment-{reply.pk}"' not in first  # where the old link led


def test_it_links_a_reply_behind_more_replies_to_the_replies_page(
    settings, client, story, people, django_capture_on_commit_callbacks
):
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 1
    with django_capture_on_commit_callbacks(execute=True):
        parent = post(story, "الأصل", email="sara@example.org", notify_replies=True)
        actions.approve_comment(parent, actor=people["moderator"])
        for text in ("أول", "ثان", "ثالث"):
            actions.approve_comment(post(story, text, parent), actor=people["moderator"])
    call_command("run_worker", "--once")
    last = Comment.objects.get(text="ثالث")
    link = re.search(rf"(\S+#comment-{last.pk})", mail.outbox[-1].body).group(1)
    assert f"/comments/{parent.pk}/replies/?after=" in link
    assert f'id="comment-{last.pk}"' in client.get(local(link)).content.decode()


def test_it_redirects_a_posted_reply_to_the_page_that_holds_it(client, people):
    story = make_article(section=make_section(comment_policy="post", slug="open"))
    for n in range(conf.PAGE_SIZE + 1):
        post(story, f"تعليق رقم {n}")
    last = Comment.objects.get(text=f"تعليق رقم {conf.PAGE_SIZE}")
    response = client.post(
        "/comments/post/",
        {
            "thread": story.thread_key,
            "stamp": spam.make_stamp(story.thread_key, now=time.time() - 30),
            "author": "سارة",
            "text": "ردّي",
            "parent": last.pk,
        },
    )
    reply = Comment.objects.get(text="ردّي")
    assert response["Location"] == (
        f"{story.get_absolute_url()}?cpage={conf.PAGE_SIZE}&commented=approved#comment-{reply.pk}"
    )
    assert f'id="comment-{reply.pk}"' in client.get(response["Location"]).content.decode()


def test_it_makes_an_opaque_unsubscribe_token(story):
    comment = post(story, "الأصل", email="sara@example.org", notify_replies=True)
    token = notify.unsubscribe_token(comment)
    # The comment's number (base 62) and a signature: nothing of the address.
    number, _signature = token.split(":")
    assert number == signing.b62_encode(comment.pk)
    assert notify.comment_from_token(token) == comment
    assert notify.comment_from_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_it_still_honours_a_link_mailed_with_the_old_token(client, story):
    comment = post(story, "الأصل", email="sara@example.org", notify_replies=True)
    old = signing.dumps("sara@example.org", salt="khabar.comments.unsubscribe")
    assert client.post(f"/comments/unsubscribe/{old}/").status_code == 200
    comment.refresh_from_db()
    assert comment.notify_replies is False


@pytest.mark.parametrize(
    ("lang", "direction", "words"),
    [
        ("en", "ltr", "Stop emails about replies to your comments?"),
        ("fa", "rtl", "ایمیل‌های مربوط به پاسخ‌ها به نظرهایتان متوقف شود؟"),
        ("ar", "rtl", "هل توقف الرسائل عن الردود على تعليقاتك؟"),
    ],
)
def test_it_shows_the_unsubscribe_page_in_the_mails_edition(client, lang, direction, words):
    story = make_article(section=make_section(lang, name="x"), lang=lang)
    comment = post(story, "الأصل", email="sara@example.org", notify_replies=True)
    response = client.get(f"/comments/unsubscribe/{notify.unsubscribe_token(comment)}/")
    page = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert words in page
    assert response["Content-Language"] == lang
    done = client.post(f"/comments/unsubscribe/{notify.unsubscribe_token(comment)}/")
    assert f'<html lang="{lang}" dir="{direction}">' in done.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_english_unsubscribe_page_left_to_right(live_server, page, output_dir):
    story = make_article(section=make_section("en", name="World"), lang="en", headline="Talks")
    comment = post(
        story,
        "What do the experts say?",
        author="Sara",
        email="sara@example.org",
        notify_replies=True,
    )
    page.goto(f"{live_server.url}/comments/unsubscribe/{notify.unsubscribe_token(comment)}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.get_by_text("Stop emails about replies to your comments?").is_visible()
    page.screenshot(path=str(output_dir / "unsubscribe-en.png"), full_page=True)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You will not get emails about replies any more.").wait_for()
    page.screenshot(path=str(output_dir / "unsubscribe-en-done.png"), full_page=True)
