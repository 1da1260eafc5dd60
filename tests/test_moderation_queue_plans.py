"""The moderation queues cost what the queues hold, never what the archive holds.

Before: every pending comment posted counted the queue with a filter that read every approved
comment (``status = approved AND pending_text <> ''`` through the status index), inside the
write; the desk home's "waiting" queue (``pending OR pending_text <> ''``) and "reported"
queue (``reports > 0``) read the whole comments table for each moderator's visit. Now all
three come from partial indexes on exactly those conditions. Plan tests (SQLite's query
planner, with statistics, on thousands of approved comments), not timings.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khabar.comments import actions
from khabar.comments.models import REPORTED, WAITING, Comment, Status
from khabar.comments.sql import waiting_count
from khabar.desk.queue import queues_for
from khabar.test import make_article, make_section, personas

pytestmark = pytest.mark.django_db

ARCHIVE = 3000


@pytest.fixture
def archive():
    """Thousands of approved comments on a story, and a handful that wait or are reported."""
    story = make_article(section=make_section())
    thread = actions.resolve_thread(story.thread_key, create=True)
    rows = [
        Comment(
            thread=thread,
            path=f"{n:06d}",
            status=Status.APPROVED,
            author_name="قارئ",
            text=f"تعليق {n}",
            html=f"<p>تعليق {n}</p>",
        )
        for n in range(ARCHIVE)
    ]
    rows[7].status = Status.PENDING
    rows[8].pending_text = "تعديل ينتظر"
    rows[9].reports = 2
    Comment.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return thread


def plans(queries):
    """SQLite's plan of each captured query that reads the comments table."""
    out = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if "comments_comment" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            out.append((sql, "\n".join(row[-1] for row in cursor.fetchall())))
    return out


def reads_whole_table(plan):
    """A full scan of the comments table (or of an index over all of it)."""
    full_indexes = ("comment_queue_idx", "comment_thread_status_idx", "created_at")
    for line in plan.splitlines():
        match = re.search(r"(SCAN|SEARCH) (comments_comment)\b(.*)", line)
        if not match:
            continue
        rest = match.group(3)
        if match.group(1) == "SCAN" and "USING" not in rest:
            return True
        if match.group(1) == "SCAN" and any(name in rest for name in full_indexes):
            return True
    return False


def test_the_queues_are_what_they_say(archive):
    assert sorted(Comment.objects.filter(WAITING).values_list("path", flat=True)) == [
        "000007",
        "000008",
    ]
    assert list(Comment.objects.filter(REPORTED).values_list("path", flat=True)) == ["000009"]


def test_counting_the_queue_after_a_post_reads_the_queue_only(archive):
    with CaptureQueriesContext(connection) as captured:
        assert waiting_count(up_to=500) == 2
        assert waiting_count(up_to=1) == 1  # the read stops at its bound
    (_sql, plan), *_ = plans(captured.captured_queries)
    assert "comment_waiting_idx" in plan, plan
    assert not reads_whole_table(plan), plan


def test_the_desk_home_reads_the_moderation_queues_from_their_indexes(archive):
    moderator = personas()["moderator"]
    with CaptureQueriesContext(connection) as captured:
        queues = {q.key: q for q in queues_for(moderator)}
    assert queues["comments-pending"].count == 2
    assert queues["comments-reported"].count == 1
    read = plans(captured.captured_queries)
    assert read, "the desk home read no comments"
    for sql, plan in read:
        assert not reads_whole_table(plan), f"{sql}\n{plan}"
    used = "\n".join(plan for _sql, plan in read)
    assert "comment_waiting_idx" in used and "comment_reported_idx" in used, used
