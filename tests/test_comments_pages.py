"""The story page's comments without JavaScript: post, reply, edit, like, feed, counts."""

from __future__ import annotations

import html
import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser

from khabar.comments import actions, spam
from khabar.comments.models import Comment, Status
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]


def form(story, **fields):
    return {
        "thread": story.thread_key,
        "stamp": spam.make_stamp(story.thread_key, now=time.time() - 30),
        "author": "سارة",
        "text": "تعليق من الصفحة",
        **fields,
    }


def test_it_shows_the_form_under_every_story(client, story):
    response = client.get(story.get_absolute_url())
    page = response.content.decode()
    assert "تعليقك" in page
    assert 'name="website"' in page and 'name="stamp"' in page
    assert "khabar/comments-page.js" in page and "<script>" not in page
    # No CSRF cookie for anonymous readers, so the page stays cacheable.
    assert "csrfmiddlewaretoken" not in page and "csrftoken" not in response.cookies


def test_it_checks_csrf_for_logged_in_readers(people, story):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people["reader"])
    page = client.get(story.get_absolute_url()).content.decode()
    assert "csrfmiddlewaretoken" in page
    assert client.post("/comments/post/", form(story)).status_code == 403
    token = client.cookies["csrftoken"].value
    sent = client.post("/comments/post/", {**form(story), "csrfmiddlewaretoken": token})
    assert sent.status_code == 302
    assert Comment.objects.get().user == people["reader"]


def test_it_posts_from_the_page_and_shows_the_comment(client, story):
    response = client.post("/comments/post/", form(story))
    assert response.status_code == 302
    assert response["Location"].startswith(story.get_absolute_url())
    assert "commented=approved" in response["Location"]
    page = client.get(story.get_absolute_url()).content.decode()
    assert "تعليق من الصفحة" in page
    assert '<bdi class="comment__author" dir="auto">سارة</bdi>' in page
    assert "شكرًا" not in page  # the notice shows only after the redirect


def test_it_answers_a_reply_link_with_the_form_under_the_comment(client, story):
    parent = actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="أحمد", text="أول"
    )
    page = client.get(f"{story.get_absolute_url()}?reply={parent.comment.pk}").content.decode()
    assert "أنت ترد على:" in page
    comment_at = page.index(f'id="comment-{parent.comment.pk}"')
    form_at = page.index('id="comment-form"')
    assert form_at > comment_at
    assert page.count('id="comment-form"') == 1
    response = client.post("/comments/post/", form(story, parent=parent.comment.pk, text="رد"))
    assert response.status_code == 302
    reply = Comment.objects.get(text="رد")
    assert reply.parent_id == parent.comment.pk and reply.depth == 1


def test_it_keeps_the_text_and_says_what_is_wrong(client, story):
    response = client.post("/comments/post/", form(story, author="", text="نص طويل كتبته"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "اكتب اسمك." in page and "نص طويل كتبته" in page
    assert Comment.objects.count() == 0


def test_it_refuses_a_form_sent_too_fast_or_by_a_bot(client, story):
    fast = form(story, stamp=spam.make_stamp(story.thread_key))
    assert client.post("/comments/post/", fast).status_code == 400
    bot = form(story, website="http://spam.example")
    assert client.post("/comments/post/", bot).status_code == 400
    assert Comment.objects.count() == 0


def test_it_shows_a_pending_comment_to_its_author_only(client, story):
    story.section.comment_policy = "pre"
    story.section.save()
    response = client.post("/comments/post/", form(story))
    assert "commented=pending" in response["Location"]
    mine = client.get(response["Location"]).content.decode()
    assert "بانتظار موافقة المشرف" in mine and "تعليق من الصفحة" in mine
    client.cookies.clear()
    assert "تعليق من الصفحة" not in client.get(story.get_absolute_url()).content.decode()


def test_it_lets_the_author_edit_and_delete_through_the_cookie(client, story):
    client.post("/comments/post/", form(story))
    comment = Comment.objects.get()
    page = client.get(story.get_absolute_url()).content.decode()
    assert f"/comments/{comment.pk}/edit/" in page
    edited = client.post(f"/comments/{comment.pk}/edit/", {"text": "نص معدل"})
    assert edited.status_code == 302
    comment.refresh_from_db()
    assert comment.text == "نص معدل" and comment.edited_at is not None
    assert "عُدّل" in client.get(story.get_absolute_url()).content.decode()
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302
    comment.refresh_from_db()
    assert comment.status == Status.DELETED


def test_it_refuses_edits_from_another_reader(client, story):
    client.post("/comments/post/", form(story))
    comment = Comment.objects.get()
    client.cookies.clear()
    assert client.post(f"/comments/{comment.pk}/edit/", {"text": "اختراق"}).status_code == 404
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 404


def test_it_counts_a_like_once_per_reader(client, story):
    posted = actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="أحمد", text="أول"
    )
    url = f"/comments/{posted.comment.pk}/like/"
    client.post(url)
    client.post(url)
    assert Comment.objects.get().likes == 1


def test_it_paginates_top_level_comments_on_the_page(settings, client, story):
    settings.KHABAR_COMMENT_PAGE_SIZE = 2
    # Words no story headline contains (the factory numbers its headlines).
    texts = ["التعليق الأول", "التعليق الثاني", "التعليق الثالث"]
    for text in texts:
        actions.post_comment(story.thread_key, actor=AnonymousUser(), author="أحمد", text=text)
    page = client.get(story.get_absolute_url()).content.decode()
    assert texts[0] in page and texts[2] not in page and "cpage=2" in page
    second = client.get(f"{story.get_absolute_url()}?cpage=2").content.decode()
    assert texts[2] in second and texts[0] not in second


def test_it_shows_comment_counts_in_story_lists_in_one_query(story, django_assert_num_queries):
    from khabar.comments.counts import attach_comment_counts

    other = make_article(section=story.section)
    actions.post_comment(story.thread_key, actor=AnonymousUser(), author="أحمد", text="أول")
    actions.post_comment(story.thread_key, actor=AnonymousUser(), author="أحمد", text="ثان")
    with django_assert_num_queries(1):
        attach_comment_counts([story, other])
    assert (story.comment_count, other.comment_count) == (2, 0)


def test_it_offers_an_atom_feed_of_approved_comments(client, story):
    actions.post_comment(story.thread_key, actor=AnonymousUser(), author="أحمد", text="في الخلاصة")
    response = client.get(f"/comments/feed/{story.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "في الخلاصة" in response.content.decode()


def test_it_marks_closed_stories(client):
    closed = make_article(section=make_section(comment_policy="closed"))
    page = client.get(closed.get_absolute_url()).content.decode()
    assert "التعليقات على هذا الخبر مغلقة." in page and 'id="comment-form"' not in page


def test_it_shows_comment_counts_on_section_pages(client, story):
    actions.post_comment(story.thread_key, actor=AnonymousUser(), author="أحمد", text="أول")
    page = client.get(story.section.get_absolute_url()).content.decode()
    assert f'href="{story.get_absolute_url()}#comments">التعليقات: 1</a>' in page


def test_it_writes_the_comment_count_in_the_editions_digits(client):
    persian = make_article(
        section=make_section(lang="fa", slug="jahan", name="جهان", comment_policy="post"),
        lang="fa",
    )
    for n in range(12):
        actions.post_comment(
            persian.thread_key, actor=AnonymousUser(), author="مریم", text=f"نظر {n}"
        )
    page = client.get(persian.get_absolute_url()).content.decode()
    assert '<span class="comments__count">(۱۲)</span>' in page


def test_it_leads_the_reply_links_of_the_replies_page_to_the_story_form(settings, client, story):
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 1
    root = actions.post_comment(story.thread_key, actor=AnonymousUser(), author="سارة", text="أول")
    for n in range(3):
        actions.post_comment(
            story.thread_key,
            actor=AnonymousUser(),
            author="أحمد",
            text=f"رد {n}",
            parent_id=root.comment.pk,
        )
    page = client.get(story.get_absolute_url()).content.decode()
    more = re.search(r'href="(/comments/\d+/replies/\?after=[^"]+)" data-more=', page)
    assert more, "no More replies link"
    replies_page = client.get(html.unescape(more[1])).content.decode()
    shown = re.findall(r'class="comment__reply" href="([^"]+)"', replies_page)
    assert shown and all(h.startswith(story.get_absolute_url() + "?reply=") for h in shown)
    target = html.unescape(shown[0]).split("#")[0]
    assert 'id="comment-form"' in client.get(target).content.decode()
