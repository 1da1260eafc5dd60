"""The comment tree: materialised-path order, sorting, pagination and reply caps."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from khabar.comments import actions, tree
from khabar.comments.models import Comment, Status, Thread
from khabar.comments.tree import Viewer

pytestmark = pytest.mark.django_db


def post(article, text, parent=None, *, author="قارئ", status=Status.APPROVED):
    posted = actions.post_comment(
        article.thread_key,
        actor=AnonymousUser(),
        author=author,
        text=text,
        parent_id=parent.pk if parent else None,
    )
    if status == Status.APPROVED and posted.comment.status != Status.APPROVED:
        Comment.objects.filter(pk=posted.comment.pk).update(status=status)
        posted.comment.status = status
    return posted.comment


def texts(page):
    return [node.comment.text for node in page]


def test_it_lists_replies_straight_after_their_parent(story):
    a = post(story, "أول")
    b = post(story, "ثان")
    a1 = post(story, "رد على الأول", a)
    post(story, "رد على الثاني", b)
    post(story, "رد على الرد", a1)
    post(story, "رد آخر على الأول", a)
    thread = Thread.objects.get(key=story.thread_key)
    page = tree.read_page(thread, viewer=Viewer())
    assert texts(page) == [
        "أول",
        "رد على الأول",
        "رد على الرد",
        "رد آخر على الأول",
        "ثان",
        "رد على الثاني",
    ]
    assert [node.comment.depth for node in page] == [0, 1, 2, 1, 0, 1]
    assert page.count == 6


def test_it_keeps_paths_fixed_width_and_unique(story):
    a = post(story, "أول")
    b = post(story, "رد", a)
    assert len(a.path) == 6 and b.path.startswith(a.path) and len(b.path) == 12
    assert b.root_id == a.pk and a.root_id == a.pk


def test_it_sorts_top_level_comments_and_keeps_replies_under_them(story):
    a = post(story, "قديم")
    b = post(story, "جديد")
    post(story, "رد على القديم", a)
    Comment.objects.filter(pk=b.pk).update(likes=5)
    thread = Thread.objects.get(key=story.thread_key)
    assert texts(tree.read_page(thread, viewer=Viewer(), sort="newest")) == [
        "جديد",
        "قديم",
        "رد على القديم",
    ]
    Comment.objects.filter(pk=a.pk).update(likes=9)
    assert texts(tree.read_page(thread, viewer=Viewer(), sort="liked"))[0] == "قديم"
    Comment.objects.filter(pk=a.pk).update(likes=1)
    assert texts(tree.read_page(thread, viewer=Viewer(), sort="liked"))[0] == "جديد"


def test_it_pages_top_level_comments(settings, story):
    settings.KHABAR_COMMENT_PAGE_SIZE = 2
    for n in range(5):
        post(story, f"تعليق {n}")
    thread = Thread.objects.get(key=story.thread_key)
    first = tree.read_page(thread, viewer=Viewer())
    assert texts(first) == ["تعليق 0", "تعليق 1"] and first.next_offset == 2
    last = tree.read_page(thread, viewer=Viewer(), offset=4)
    assert texts(last) == ["تعليق 4"] and last.next_offset is None


def test_it_caps_replies_per_page_and_continues_after_the_last_shown(settings, story):
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 3
    root = post(story, "أصل")
    for n in range(7):
        post(story, f"رد {n}", root)
    thread = Thread.objects.get(key=story.thread_key)
    page = tree.read_page(thread, viewer=Viewer())
    assert texts(page) == ["أصل", "رد 0", "رد 1", "رد 2"]
    assert page.roots[0].more_after
    rest = tree.read_replies(root, viewer=Viewer(), after=page.roots[0].more_after)
    assert [n.comment.text for n in rest.walk()][1:] == ["رد 3", "رد 4", "رد 5"]


def test_it_reads_a_page_in_one_query_plus_the_count(story, django_assert_num_queries):
    root = post(story, "أصل")
    for n in range(5):
        post(story, f"رد {n}", root)
    thread = Thread.objects.get(key=story.thread_key)
    with django_assert_num_queries(2):
        page = tree.read_page(thread, viewer=Viewer())
        assert len(list(page)) == 6


def test_it_shows_pending_comments_only_to_their_author(story):
    posted = actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="سارة", text="انتظر [هنا](https://x.org)"
    )
    assert posted.comment.status == Status.PENDING
    thread = Thread.objects.get(key=story.thread_key)
    assert texts(tree.read_page(thread, viewer=Viewer())) == []
    own = Viewer(tokens={posted.comment.pk: posted.token})
    assert len(texts(tree.read_page(thread, viewer=own))) == 1
    forged = Viewer(tokens={posted.comment.pk: "not-the-token-at-all"})
    assert texts(tree.read_page(thread, viewer=forged)) == []


def test_it_leaves_a_tombstone_for_a_deleted_comment_with_replies(story):
    a = post(story, "سيحذف")
    post(story, "رد باق", a)
    lonely = post(story, "وحيد")
    actions.delete_comment(a, actor=AnonymousUser())
    actions.delete_comment(lonely, actor=AnonymousUser())
    thread = Thread.objects.get(key=story.thread_key)
    nodes = list(tree.read_page(thread, viewer=Viewer()))
    assert [(n.comment.text, n.tombstone) for n in nodes] == [("سيحذف", True), ("رد باق", False)]


def test_it_flattens_replies_deeper_than_the_indent_depth(settings, story):
    settings.KHABAR_COMMENT_INDENT_DEPTH = 2
    parent = post(story, "صفر", author="أحمد")
    for n in range(1, 5):
        parent = post(story, f"رد {n}", parent, author=f"كاتب {n}")
    thread = Thread.objects.get(key=story.thread_key)
    nodes = list(tree.read_page(thread, viewer=Viewer()))
    assert [n.indent for n in nodes] == [0, 1, 2, 2, 2]
    assert [n.flat for n in nodes] == [False, False, False, True, True]
    assert nodes[3].parent_name == "كاتب 2"


def test_it_allocates_from_the_database_counter_not_a_stale_copy(story):
    # Two requests that loaded the thread at the same moment hold the same stale ``seq``;
    # the counter is incremented in SQL, so each still gets its own segment.
    root = post(story, "أصل")
    first_copy = Thread.objects.get(key=story.thread_key)
    second_copy = Thread.objects.get(key=story.thread_key)
    assert first_copy.seq == second_copy.seq
    path_a, _ = tree.allocate_path(first_copy, root)
    path_b, _ = tree.allocate_path(second_copy, root)
    assert path_a != path_b and path_a < path_b


def test_it_refuses_two_comments_at_one_path(story):
    root = post(story, "أصل")
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            thread=root.thread, path=root.path, author_name="x", text="x", html="x"
        )
