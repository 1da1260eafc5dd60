"""Issue 13 (trust): what a photo says on a live story changes only with the story's rights."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from khabar.articles import actions as article_actions
from khabar.articles.models import Article, Status
from khabar.photos import actions
from khabar.photos.models import Photo, StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.site import actors
from khabar.test import make_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

TESTS = actors.system("tests")
CAPTION = "وزير الخارجية يصل إلى موسكو"


@pytest.fixture
def published_photo(people):
    story = make_article(headline="خبر منشور")
    photo = actions.upload_photo(sample_jpeg(640, 480, seed=11), actor=TESTS, caption=CAPTION)
    actions.attach_photo(story, photo, actor=people["editor"])
    return story, photo


def change_form(photo: Photo, caption: str) -> dict[str, str]:
    return {
        "caption": caption,
        "credit": photo.credit,
        "copyright_holder": photo.copyright_holder,
        "alt_text": photo.alt_text,
        "keywords": photo.keywords,
        "lang": photo.lang,
        "_save": "1",
    }


def test_it_refuses_a_reporter_recaptioning_a_published_storys_photo(
    client, people, published_photo
):
    story, photo = published_photo
    revision = Article.objects.get(pk=story.pk).revision
    client.force_login(people["reporter"])
    url = f"/desk/photos/photo/{photo.pk}/change/"
    response = client.post(url, change_form(photo, "تعليق مزيف"))
    assert response.status_code == 403
    photo.refresh_from_db()
    assert photo.caption == CAPTION
    assert Article.objects.get(pk=story.pk).revision == revision
    # The page itself is shown read-only: no form to post.
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="caption"' not in page.content.decode()


def test_it_lets_an_editor_recaption_it_and_moves_the_storys_revision_on(
    client, people, published_photo, django_capture_on_commit_callbacks
):
    story, photo = published_photo
    revision = Article.objects.get(pk=story.pk).revision
    client.force_login(people["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/desk/photos/photo/{photo.pk}/change/", change_form(photo, "تعليق مصحح")
        )
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "تعليق مصحح"
    assert Article.objects.get(pk=story.pk).revision == revision + 1


def test_it_refuses_the_action_itself_for_a_reporter(people, published_photo):
    story, photo = published_photo
    with pytest.raises(PermissionDenied):
        actions.update_photo(photo, actor=people["reporter"], caption="x")
    with pytest.raises(PermissionDenied):
        actions.detach_photo(story, photo, actor=people["reporter"])
    other = actions.upload_photo(sample_jpeg(500, 400, seed=12), actor=people["reporter"])
    with pytest.raises(PermissionDenied):
        actions.attach_photo(story, other, actor=people["reporter"])
    assert list(StoryPhoto.objects.filter(article=story).values_list("photo", flat=True)) == [
        photo.pk
    ]
    photo.refresh_from_db()
    assert photo.caption == CAPTION


def test_it_lets_a_reporter_caption_the_photo_of_their_own_draft(people):
    draft = article_actions.create_article(
        actor=people["reporter"],
        section=make_article().section,
        headline="مسودة المراسل",
        dateline_city="بيروت",
        dateline_date=datetime.date(2024, 5, 1),
        body="نص",
    )
    assert draft.status == Status.DRAFT
    photo = actions.upload_photo(sample_jpeg(500, 400, seed=13), actor=people["reporter"])
    actions.attach_photo(draft, photo, actor=people["reporter"])
    actions.update_photo(photo, actor=people["reporter"], caption="تعليقي")
    photo.refresh_from_db()
    assert photo.caption == "تعليقي"


def test_it_refuses_a_write_without_an_actor(published_photo):
    story, photo = published_photo
    with pytest.raises(PermissionDenied):
        actions.upload_photo(sample_jpeg(300, 200, seed=14), actor=None)
    with pytest.raises(PermissionDenied):
        actions.update_photo(photo, actor=None, caption="x")
    with pytest.raises(PermissionDenied):
        actions.attach_photo(story, photo, actor=None)
    with pytest.raises(PermissionDenied):
        actions.detach_photo(story, photo, actor=None)
    with pytest.raises(PermissionDenied):
        actions.delete_photo(photo, actor=None)


def test_it_tells_an_editor_who_started_earlier_that_the_photos_changed(people, published_photo):
    story, photo = published_photo
    opened_at = Article.objects.get(pk=story.pk).revision
    actions.detach_photo(story, photo, actor=people["editor"])
    with pytest.raises(article_actions.EditConflict):
        actions.attach_photo(story, photo, actor=people["editor"], base_revision=opened_at)
