"""The editorial workflow, per role: draft → submitted → published → corrected / withdrawn."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from reversion.models import Version

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Status
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


def draft_by(user):
    return actions.create_article(
        actor=user,
        section=make_section(),
        headline="مباحثات في موسكو",
        dateline_city="موسكو",
        dateline_date=datetime.date(2023, 10, 26),
        body="نص الخبر.",
        signoff="2342",
    )


def test_it_lets_a_reporter_file_and_submit_but_not_publish(people):
    story = draft_by(people["reporter"])
    story = actions.submit_article(story, actor=people["reporter"])
    assert story.status == Status.SUBMITTED
    with pytest.raises(PermissionDenied):
        actions.publish_article(story, actor=people["reporter"])
    assert Article.objects.get(pk=story.pk).status == Status.SUBMITTED


def test_it_records_the_publishing_editors_signoff(people):
    story = actions.submit_article(draft_by(people["reporter"]), actor=people["reporter"])
    story = actions.publish_article(story, actor=people["editor"])
    assert story.status == Status.PUBLISHED
    assert story.publisher_signoff == "2342"
    assert story.published_by == people["editor"]
    assert story.first_published_at == story.published_at
    assert Article.objects.published().filter(pk=story.pk).exists()


def test_it_refuses_roles_without_the_right(people):
    story = make_article()
    for role in ("reporter", "moderator", "reader", "outsider"):
        with pytest.raises(PermissionDenied):
            actions.withdraw_article(story, actor=people[role], reason="x")
        with pytest.raises(PermissionDenied):
            actions.correct_article(
                story, actor=people[role], note="x", base_revision=story.revision
            )
    for role in ("moderator", "reader", "outsider"):
        with pytest.raises(PermissionDenied):
            draft_by(people[role])


def test_it_hides_a_withdrawn_story_from_readers(client, people):
    story = make_article()
    assert client.get(story.get_absolute_url()).status_code == 200
    actions.withdraw_article(story, actor=people["editor"], reason="خطأ")
    gone = client.get(story.get_absolute_url())
    assert gone.status_code == 410  # Gone, with the agency's notice (tests/test_kills.py)
    assert story.body.split("\n")[0] not in gone.content.decode()
    assert not Article.objects.published().filter(pk=story.pk).exists()


def test_it_keeps_a_correction_note_and_bumps_the_version(client, people):
    story = make_article(body="قال الوزير إن العدد 10.")
    story = actions.correct_article(
        story,
        actor=people["editor"],
        note="صُحّح العدد.",
        base_revision=story.revision,
        body="قال الوزير إن العدد 12.",
    )
    assert story.status == Status.CORRECTED
    assert story.version == 2
    assert [c.note for c in story.corrections.all()] == ["صُحّح العدد."]
    page = client.get(story.get_absolute_url()).content.decode()
    assert "صُحّح العدد." in page
    assert "العدد 12" in page


def test_it_refuses_a_correction_without_a_note(people):
    story = make_article()
    with pytest.raises(actions.WorkflowError):
        actions.correct_article(
            story, actor=people["editor"], note="  ", base_revision=story.revision
        )


def test_it_refuses_to_edit_a_live_story_without_a_correction(people):
    story = make_article()
    with pytest.raises(actions.WorkflowError):
        actions.update_article(
            story, actor=people["editor"], base_revision=story.revision, headline="عنوان آخر"
        )


def test_it_refuses_impossible_transitions(people):
    story = draft_by(people["reporter"])
    with pytest.raises(actions.WorkflowError):
        actions.withdraw_article(story, actor=people["editor"], reason="خطأ")
    story = actions.submit_article(story, actor=people["reporter"])
    with pytest.raises(actions.WorkflowError):
        actions.submit_article(story, actor=people["reporter"])


def test_it_loses_the_race_cleanly_when_someone_else_moved_the_story(people):
    story = actions.submit_article(draft_by(people["reporter"]), actor=people["reporter"])
    stale = Article.objects.get(pk=story.pk)
    actions.publish_article(story, actor=people["editor"])
    # The stale copy still says "submitted"; the compare-and-set sees the row changed.
    with pytest.raises(actions.WorkflowError):
        actions.return_article(stale, actor=people["editor"])
    assert Article.objects.get(pk=story.pk).status == Status.PUBLISHED


def test_it_publishes_a_scheduled_story_when_its_time_comes(client, people):
    story = draft_by(people["reporter"])
    later = timezone.now() + datetime.timedelta(hours=2)
    story = actions.publish_article(story, actor=people["editor"], at=later)
    assert story.status == Status.SCHEDULED
    assert client.get(story.get_absolute_url()).status_code == 404
    assert actions.publish_due_articles() == []
    done = actions.publish_due_articles(now=later + datetime.timedelta(seconds=1))
    assert [a.pk for a in done] == [story.pk]
    assert Article.objects.get(pk=story.pk).status == Status.PUBLISHED


def test_it_keeps_an_embargoed_story_from_readers_until_its_time(client, people):
    story = draft_by(people["reporter"])
    until = timezone.now() + datetime.timedelta(hours=1)
    story = actions.publish_article(story, actor=people["editor"], embargo_until=until)
    assert client.get(story.get_absolute_url()).status_code == 404
    assert Article.objects.for_partners().filter(pk=story.pk).exists()
    assert Article.objects.published(until + datetime.timedelta(seconds=1)).filter(pk=story.pk)


def test_it_keeps_every_change_as_a_revision_with_an_audit_entry(people):
    story = draft_by(people["reporter"])
    story = actions.update_article(
        story, actor=people["reporter"], base_revision=story.revision, headline="عنوان جديد"
    )
    story = actions.submit_article(story, actor=people["reporter"])
    story = actions.publish_article(story, actor=people["editor"])
    versions = Version.objects.get_for_object(story)
    assert [v.field_dict["headline"] for v in versions][-1] == "مباحثات في موسكو"
    assert versions.count() == 4
    assert list(AuditEntry.objects.filter(article=story).values_list("action", flat=True)) == [
        "create",
        "submit",
        "publish",
    ]


def test_it_links_translations_across_editions(people):
    original = make_article()
    english = make_article(
        section=make_section("en", "world", "World"),
        lang="en",
        headline="Talks in Moscow",
        dateline_city="MOSCOW",
        dateline_agency="IRNA",
    )
    actions.link_translation(english, original=original, actor=people["editor"])
    english.refresh_from_db()
    assert english.translation_group == original.translation_group
    with pytest.raises(actions.WorkflowError):
        actions.link_translation(make_article(), original=original, actor=people["editor"])
