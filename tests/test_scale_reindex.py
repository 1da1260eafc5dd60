"""`khabar reindex` never empties the index: searches during a rebuild find every story, and
stories no longer live leave it at the end (issue 19)."""

import pytest
from django.core.management import call_command

from khabar.articles.models import Article
from khabar.search import indexing
from khabar.search.backends import get_backend
from khabar.test import make_article

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
