"""The index follows the workflow, after the transaction commits; `khabar reindex` rebuilds it."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Article
from khabar.search.backends import get_backend
from khabar.test import make_article

pytestmark = pytest.mark.django_db


def found(query: str) -> list[int]:
    return get_backend().search(query, lang="ar").ids


def test_it_indexes_a_story_when_it_is_published(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="زيارة إلى الموصل", publish=False)
    assert found("الموصل") == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.publish_article(story, actor=people["editor"])
        assert found("الموصل") == []  # not before the commit
    assert callbacks
    assert found("الموصل") == [story.pk]


def test_it_reindexes_a_corrected_story(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="حريق في سوق البصرة")
    with django_capture_on_commit_callbacks(execute=True):
        actions.correct_article(
            story,
            base_revision=story.revision,
            actor=people["chief"],
            note="المدينة",
            headline="حريق في سوق الكوفة",
        )
    assert found("البصرة") == []
    assert found("الكوفة") == [story.pk]


def test_it_drops_a_withdrawn_story(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="خبر عن تبريز")
    assert found("تبريز") == [story.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw_article(story, actor=people["chief"], reason="خطأ")
    assert found("تبريز") == []


def test_it_indexes_a_scheduled_story_only_when_it_goes_live(
    people, django_capture_on_commit_callbacks
):
    later = timezone.now() + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="افتتاح معرض الكتاب", publish=False)
        actions.publish_article(story, actor=people["editor"], at=later)
    assert found("معرض") == []
    # Two hours pass: the scheduled time is now in the past and the scheduler runs.
    Article.objects.filter(pk=story.pk).update(
        published_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        published = actions.publish_due_articles()
    assert [a.pk for a in published] == [story.pk]
    assert found("معرض") == [story.pk]


def test_it_keeps_an_embargoed_story_out_until_the_embargo_lifts(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="تقرير البنك الدولي", publish=False)
        actions.publish_article(
            story,
            actor=people["editor"],
            embargo_until=timezone.now() + datetime.timedelta(hours=1),
        )
    assert found("البنك") == []


def test_it_rebuilds_the_index_with_reindex(django_capture_on_commit_callbacks):
    first = make_article(headline="خبر أول عن القدس")
    second = make_article(headline="خبر ثان عن القدس")
    draft = make_article(headline="مسودة عن القدس", publish=False)
    backend = get_backend()
    backend.reset()
    assert found("القدس") == []
    out = io.StringIO()
    call_command("reindex", "--no-progress", stdout=out)
    assert sorted(found("القدس")) == sorted([first.pk, second.pk])
    assert draft.pk not in found("القدس")
    assert "Indexed 2 stories" in out.getvalue()
