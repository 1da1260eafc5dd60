"""`khabar reindex` builds a new index and swaps it in: searches during a rebuild answer
from the whole old index, the stories changed meanwhile are taken in, and stories no longer
live leave it (issue 19). tests/test_search_rebuild.py runs the swap on both backends."""

import pytest
from django.core.management import call_command

from khabar.articles import actions
from khabar.articles.models import Article
from khabar.search import indexing
from khabar.search.backends import get_backend
from khabar.test import SYSTEM, make_article

pytestmark = pytest.mark.django_db


def test_it_keeps_every_story_findable_while_it_rebuilds(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            make_article(headline="مباحثات في موسكو")
    monkeypatch.setattr(indexing, "REINDEX_BATCH", 2)
    seen = []

    def look(_count):
        seen.append(get_backend().search("موسكو", lang="ar", per_page=20).total)

    assert indexing.rebuild_index(progress=look) == 5
    assert seen == [5, 5, 5]


def test_it_drops_the_entries_of_stories_no_longer_live(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        kept = make_article(headline="خبر باق")
        gone = make_article(headline="خبر سحب")
    # A story withdrawn behind the index's back (say, by a restore of the database).
    Article.objects.filter(pk=gone.pk).update(status="withdrawn")
    assert set(get_backend().search("خبر", lang="ar", per_page=20).ids) == {kept.pk, gone.pk}
    call_command("reindex", "--no-progress")
    assert get_backend().search("خبر", lang="ar", per_page=20).ids == [kept.pk]


def test_it_answers_from_the_whole_old_index_until_the_new_one_is_complete(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stories = [make_article(headline="زلزال قوي") for _ in range(5)]
    # The first story's copy changed behind the index's back (a restored database, say):
    # the old index still holds its old headline, the new one will hold the new.
    Article.objects.filter(pk=stories[0].pk).update(headline="فيضان قوي")
    monkeypatch.setattr(indexing, "REINDEX_BATCH", 2)
    during = []

    def look(_count):
        backend = get_backend()
        during.append((backend.search("زلزال", per_page=20).total, backend.search("فيضان").total))

    indexing.rebuild_index(progress=look)
    # After every batch, the first one (with the changed story) included: the old index.
    assert during == [(5, 0), (5, 0), (5, 0)]
    assert get_backend().search("زلزال", per_page=20).total == 4
    assert get_backend().search("فيضان").ids == [stories[0].pk]


def test_it_takes_in_the_stories_changed_while_it_ran(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stories = [make_article(headline="زلزال قوي") for _ in range(4)]
    monkeypatch.setattr(indexing, "REINDEX_BATCH", 2)
    added = []

    def meanwhile(_count):
        if added:
            return
        # After the first batch: the desk publishes a story and withdraws one the new
        # index already holds, and a story is deleted; each reaches the live index only.
        with django_capture_on_commit_callbacks(execute=True):
            added.append(make_article(headline="زلزال قوي جديد"))
            actions.withdraw_article(stories[0], actor=SYSTEM, reason="خطأ")
        Article.objects.filter(pk=stories[3].pk).delete()

    indexing.rebuild_index(progress=meanwhile)
    found = get_backend().search("زلزال", per_page=20).ids
    assert sorted(found) == sorted([stories[1].pk, stories[2].pk, added[0].pk])


def test_a_deleted_story_leaves_the_index_at_once(django_capture_on_commit_callbacks):
    """It stayed there, counted by every search, until the next reindex."""
    with django_capture_on_commit_callbacks(execute=True):
        kept, gone = make_article(headline="زلزال قوي"), make_article(headline="زلزال قوي")
    assert get_backend().search("زلزال", per_page=20).total == 2
    Article.objects.filter(pk=gone.pk).delete()
    found = get_backend().search("زلزال", per_page=20)
    assert (found.total, found.ids) == (1, [kept.pk])


def test_a_story_deleted_as_the_index_is_swapped_in_is_not_in_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The swap's transaction catches up the stories changed, without walking the whole new
    index for deleted ones (that walk, a million lookups at a million stories, ran while
    every index write waited): a story deleted after the walk left the new index as it was
    deleted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from khabar.search.backends import SqliteBackend

    with django_capture_on_commit_callbacks(execute=True):
        stories = [make_article(headline="زلزال قوي") for _ in range(3)]
    swap = SqliteBackend.swap
    inside: list[str] = []

    def deleting_then_swapping(self, catch_up):
        Article.objects.filter(pk=stories[1].pk).delete()
        with CaptureQueriesContext(connection) as queries:
            swap(self, catch_up)
        inside.extend(query["sql"] for query in queries.captured_queries)

    monkeypatch.setattr(SqliteBackend, "swap", deleting_then_swapping)
    indexing.rebuild_index()
    found = get_backend().search("زلزال", per_page=20)
    assert sorted(found.ids) == sorted([stories[0].pk, stories[2].pk]) and found.total == 2
    assert inside and not [sql for sql in inside if "NOT EXISTS" in sql]


def test_a_flush_leaves_no_story_to_find(django_capture_on_commit_callbacks):
    """``flush`` empties Django's tables; the index's own tables went with nothing, and a
    later search counted stories that no longer existed (a clean-clone run found 6 where
    its 5 stories were, the sixth left by an earlier test's flush)."""
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="مباحثات في موسكو")
    assert get_backend().search("موسكو", lang="ar").total == 1
    call_command("flush", interactive=False, verbosity=0)
    assert get_backend().search("موسكو", lang="ar").total == 0


def test_a_migrate_keeps_the_index_of_the_stories_there(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="مباحثات في موسكو")
    call_command("migrate", interactive=False, verbosity=0)
    assert get_backend().search("موسكو", lang="ar").ids == [story.pk]
