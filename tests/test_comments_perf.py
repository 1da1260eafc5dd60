"""Issue 6: bounded thread pages, one ordered query, cached API pages, few queries per post."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from khabar.comments import actions, counts, spam, tree
from khabar.comments.models import AuditEntry, Comment, ModeratedWord, Status, Thread
from khabar.comments.tree import Viewer
from khabar.test import SYSTEM, make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]
URL = "/api/v1/comments"


@pytest.fixture
def section():
    return make_section(comment_policy="post")


@pytest.fixture
def small_pages(settings):
    settings.KHABAR_COMMENT_PAGE_SIZE = 3
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 4
    settings.KHABAR_COMMENT_MAX_PER_PAGE = 10


def post(article, text, parent=None):
    return actions.post_comment(
        article.thread_key,
        actor=AnonymousUser(),
        author="قارئ",
        text=text,
        parent_id=parent.pk if parent else None,
    ).comment


def grow(article, roots, replies):
    """``roots`` top-level comments, each with ``replies`` replies (some nested)."""
    for r in range(roots):
        root = post(article, f"أصل {r}")
        parent = root
        for n in range(replies):
            parent = post(article, f"رد {r}-{n}", parent if n % 3 == 2 else root)


def read(article, **kwargs):
    return tree.read_page(Thread.objects.get(key=article.thread_key), viewer=Viewer(), **kwargs)


def texts(nodes):
    return [node.comment.text for node in nodes]


def test_it_bounds_a_page_by_comments_in_all_and_continues_on_the_next(settings, section):
    settings.KHABAR_COMMENT_PAGE_SIZE = 3
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 10
    settings.KHABAR_COMMENT_MAX_PER_PAGE = 5
    story = make_article(section=section)
    a = post(story, "أأ")
    for n in range(6):
        post(story, f"أ{n}", a)
    b = post(story, "بب")
    post(story, "ب0", b)
    first = read(story)
    assert texts(first) == ["أأ", "أ0", "أ1", "أ2", "أ3"]
    assert first.roots[0].more_after and first.next_offset == 1
    rest = tree.read_replies(a, viewer=Viewer(), after=first.roots[0].more_after)
    assert texts(rest.walk())[1:] == ["أ4", "أ5"]
    second = read(story, offset=first.next_offset)
    assert texts(second) == ["بب", "ب0"] and second.next_offset is None


def test_it_gives_a_top_level_comment_that_does_not_fit_a_more_link(settings, section):
    settings.KHABAR_COMMENT_PAGE_SIZE = 3
    settings.KHABAR_COMMENT_MAX_PER_PAGE = 3
    story = make_article(section=section)
    a = post(story, "أأ")
    post(story, "أ0", a)
    b = post(story, "بب")
    post(story, "ب0", b)
    post(story, "ب1", b)
    page = read(story)
    assert texts(page) == ["أأ", "أ0", "بب"]
    assert page.roots[1].more_after == b.path and page.next_offset is None
    assert texts(tree.read_replies(b, viewer=Viewer(), after=b.path).walk())[1:] == ["ب0", "ب1"]


def test_it_reads_the_same_rows_for_the_first_page_of_a_thread_25_times_bigger(
    section, small_pages
):
    small = make_article(section=section)
    big = make_article(section=section)
    grow(small, 4, 3)
    grow(big, 25, 12)
    assert Comment.objects.filter(thread__key=big.thread_key).count() == 325
    pages = {}
    for story in (small, big):
        thread = Thread.objects.get(key=story.thread_key)
        with CaptureQueriesContext(connection) as queries:
            pages[story.pk] = tree.read_page(thread, viewer=Viewer())
        pages[story.pk].queries = len(queries)
    one, other = pages[small.pk], pages[big.pk]
    assert one.queries == other.queries == 2
    # The page holds at most MAX_PER_PAGE comments; the query returns one more, at most.
    assert len(list(one)) == len(list(other)) == 10
    assert one.rows_read == other.rows_read == 11


def test_it_renders_the_story_page_of_a_big_thread_with_the_same_queries_and_rows(
    client, section, small_pages
):
    small = make_article(section=section)
    big = make_article(section=section)
    grow(small, 4, 3)
    grow(big, 25, 12)
    # What every page shares and keeps for a minute (the urgent ticker, the masthead) is
    # read by the first page of the run: warm it, so the two pages differ only by thread.
    client.get(make_article(section=section).get_absolute_url())
    seen = {}
    for story in (small, big):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(story.get_absolute_url()).content.decode()
        seen[story.pk] = (len(queries), page.count('class="comment comment--d'))
    assert seen[small.pk] == seen[big.pk]
    assert seen[big.pk][1] == 10


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_it_finds_a_page_through_the_top_level_and_root_indexes(section):
    story = make_article(section=section)
    grow(story, 3, 2)
    thread = Thread.objects.get(key=story.thread_key)
    for viewer in (Viewer(), Viewer(tokens={1: "x" * 20})):
        with CaptureQueriesContext(connection) as queries:
            tree.read_page(thread, viewer=viewer)
        plans = []
        for query in queries.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
        roots, rows = plans
        assert "SEARCH c USING INDEX comment_top_level_idx (thread_id=? AND depth=?)" in roots
        # Under each top-level comment, its replies in the index's order: the LIMIT stops
        # the read (no sort of all of them first).
        assert "SEARCH c USING INDEX comment_root_path_idx (root_id=?)" in rows, rows
        assert "TEMP B-TREE" not in rows, rows
        for plan in plans:
            # Not every approved comment of the site, nor the whole thread.
            assert "comment_queue_idx" not in plan and "SCAN comments_comment" not in plan, plan
            assert "SCAN c" not in plan and "SCAN u" not in plan, plan
            assert "sqlite_autoindex_comments_comment_1" not in plan, plan


# --- The API's cached thread pages --------------------------------------------------------


@pytest.fixture
def shared_cache(settings):
    settings.KHABAR_FRAGMENT_CACHE = True


def send(client, body, **headers):
    """POST a comment as the widget does: with the stamp of a form shown a minute ago."""
    body = {**body, "stamp": spam.make_stamp(body["thread"], now=time.time() - 60)}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def listed(client, story, **headers):
    response = client.get(URL, {"thread": story.thread_key}, **headers)
    assert response.status_code == 200
    return response.json()


def without_stamp(body):
    return {k: v for k, v in body.items() if k != "stamp"}


def test_it_answers_a_thread_page_from_the_cache_until_a_comment_shows(
    client, section, shared_cache, django_assert_num_queries, django_capture_on_commit_callbacks
):
    story = make_article(section=section)
    post(story, "الأول")
    first = listed(client, story)
    with django_assert_num_queries(0):
        again = listed(client, story)
    assert without_stamp(again) == without_stamp(first) and again["stamp"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(client, {"thread": story.thread_key, "author": "سارة", "text": "الثاني"})
    assert sent.status_code == 201
    assert [c["html"] for c in listed(client, story)["comments"]] == [
        "<p>الأول</p>",
        "<p>الثاني</p>",
    ]


def test_it_purges_the_cached_page_on_likes_and_moderation(
    client, section, shared_cache, django_capture_on_commit_callbacks
):
    story = make_article(section=section)
    comment = post(story, "الأول")
    assert listed(client, story)["comments"][0]["likes"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}/{comment.pk}/like", HTTP_X_KHABAR_READER="reader-one-1234")
    assert listed(client, story)["comments"][0]["likes"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.reject_comment(comment, actor=SYSTEM)
    assert listed(client, story)["comments"] == []


def test_it_gives_callers_with_edit_tokens_a_fresh_page_with_their_pending_comment(
    client, shared_cache
):
    story = make_article(section=make_section(slug="politics", name="سياسة"))
    assert listed(client, story)["comments"] == []
    body = send(client, {"thread": story.thread_key, "author": "سارة", "text": "انتظر"}).json()
    assert body["status"] == Status.PENDING
    assert listed(client, story)["comments"] == []
    mine = listed(client, story, HTTP_X_KHABAR_TOKENS=f"{body['id']}.{body['token']}")
    assert [(c["id"], c["own"], c["editable"]) for c in mine["comments"]] == [
        (body["id"], True, True)
    ]


def test_it_caches_site_threads_under_their_own_tag(
    settings, client, shared_cache, django_capture_on_commit_callbacks
):
    settings.KHABAR_COMMENT_SITES = {"blog": "http://blog.example"}
    key = "site:blog:post-1"
    assert client.get(URL, {"thread": key}).json()["comments"] == []
    posted = actions.post_comment(key, actor=AnonymousUser(), author="سارة", text="من المدونة")
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_comment(posted.comment, actor=SYSTEM)
    assert [c["id"] for c in client.get(URL, {"thread": key}).json()["comments"]] == [
        posted.comment.pk
    ]


# --- Posting ------------------------------------------------------------------------------


def statements(queries):
    """The SQL a post runs, without the transaction's own BEGIN/SAVEPOINT/COMMIT."""
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]


@pytest.mark.parametrize("reply, expected", [(False, 5), (True, 4)])
def test_it_posts_a_visible_comment_in_four_or_five_statements(
    client, section, shared_cache, reply, expected
):
    ModeratedWord.objects.create(word="كلب", kind="banned")
    story = make_article(section=section)
    parent = post(story, "تعليق سابق")  # warms the word lists and the story's purge keys
    body = {"thread": story.thread_key, "author": "سارة", "text": "تعليق جديد"}
    if reply:
        body["parent"] = parent.pk
    with CaptureQueriesContext(connection) as queries:
        assert send(client, body).status_code == 201
    # One read: the thread with its story, section, word-list generation, duplicate check
    # and parent. Then the path counter, the row, the root (a top-level comment is its own,
    # known once inserted) and the audit entry.
    assert len(statements(queries)) == expected, statements(queries)


def test_it_returns_the_comment_as_the_database_stored_it(section):
    # The posting path writes and reads with hand-built SQL (khabar.comments.sql): what it
    # hands back is field for field what the ORM reads, with the thread's story attached.
    story = make_article(section=section)
    parent = post(story, "تعليق سابق")
    reply = actions.post_comment(
        story.thread_key,
        actor=AnonymousUser(),
        author="سارة",
        email="sara@example.com",
        text="ردّ على التعليق",
        parent_id=parent.pk,
        notify_replies=True,
        ip_hash="abc",
    ).comment
    stored = Comment.objects.get(pk=reply.pk)
    for field in Comment._meta.concrete_fields:
        assert getattr(reply, field.attname) == getattr(stored, field.attname), field.name
    assert reply.created_at.tzinfo is not None and reply.notify_replies is True
    assert (reply.root_id, reply.parent_id, reply.depth) == (parent.pk, parent.pk, 1)
    assert parent.root_id == parent.pk == Comment.objects.get(pk=parent.pk).root_id
    assert reply.thread.article.pk == story.pk
    assert [e.action for e in reply.audit.all()] == ["post"]


def test_the_thread_keeps_its_count_through_every_change(people, section):
    story = make_article(section=section)
    key = story.thread_key

    def shown():
        thread = Thread.objects.get(key=key)
        actual = Comment.objects.filter(thread=thread, status=Status.APPROVED).count()
        assert thread.approved_count == actual
        assert counts.counts_for_keys([key]) == {key: actual}
        return actual

    ModeratedWord.objects.create(word="كلب", kind="suspect")
    first = actions.post_comment(
        key, actor=AnonymousUser(), author="سارة", email="sara@example.com", text="تعليق أول"
    ).comment
    second = post(story, "تعليق ثان", parent=first)
    assert shown() == 2
    # The edit waits beside the approved text, which stays shown and counted.
    actions.edit_comment(second, actor=AnonymousUser(), text="فيه كلب")
    assert shown() == 2
    actions.approve_comment(Comment.objects.get(pk=second.pk), actor=people["moderator"])
    assert shown() == 2
    actions.reject_comment(Comment.objects.get(pk=second.pk), actor=people["moderator"])
    assert shown() == 1
    actions.approve_comment(Comment.objects.get(pk=second.pk), actor=people["moderator"])
    assert shown() == 2
    actions.reject_comment(Comment.objects.get(pk=first.pk), actor=people["moderator"])
    assert shown() == 1
    actions.approve_comment(Comment.objects.get(pk=first.pk), actor=people["moderator"])
    assert shown() == 2
    actions.erase_comments("sara@example.com", actor=people["moderator"])
    assert shown() == 1
    actions.delete_comment(Comment.objects.get(pk=second.pk), actor=AnonymousUser())
    assert shown() == 0


def test_nothing_listens_for_the_saves_the_posting_path_skips():
    # khabar.comments.sql inserts without Model.save(): no receiver may expect one.
    for model in (Comment, AuditEntry):
        for signal in (pre_save, post_save):
            assert not signal.has_listeners(model), (signal, model)


def test_it_still_sees_a_banned_word_added_after_the_lists_were_cached(section):
    story = make_article(section=section)
    assert post(story, "قطة لطيفة").status == Status.APPROVED
    ModeratedWord.objects.create(word="قطة", kind="banned")
    assert post(story, "قطة أخرى").status == Status.REJECTED


def test_it_still_refuses_a_duplicate_from_the_same_address(client, section):
    story = make_article(section=section)
    body = {"thread": story.thread_key, "author": "سارة", "text": "نفس النص"}
    assert send(client, body).status_code == 201
    again = send(client, body)
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
