"""Rendered parts of reader pages are reused until a purge, and never shown stale after it."""

import pytest
from django.core.cache import caches

from khabar.articles import actions
from khabar.site import pagecache
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fragments(settings, tmp_path):
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()
    pagecache.reset_store()


def test_it_reuses_the_rendered_story_until_it_changes(
    client, people, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    story = make_article(headline="العنوان الأول")
    assert "العنوان الأول" in client.get(story.get_absolute_url()).content.decode()
    # The second read needs no query for the story, its tags, related stories or comments.
    with django_assert_max_num_queries(1):
        assert client.get(story.get_absolute_url()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        actions.correct_article(
            story,
            base_revision=story.revision,
            actor=people["editor"],
            note="تصحيح",
            headline="عنوان مصحح",
        )
    page = client.get(story.get_absolute_url()).content.decode()
    assert '<h1 class="headline">عنوان مصحح</h1>' in page
    assert "<title>عنوان مصحح" in page


def test_it_never_serves_a_withdrawn_story_from_the_fragments(
    client, people, django_capture_on_commit_callbacks
):
    story = make_article()
    client.get(story.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw_article(story, actor=people["editor"], reason="خطأ")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 410
    assert story.headline not in response.content.decode()


def test_it_refreshes_the_home_page_when_a_story_is_published(
    client, people, django_capture_on_commit_callbacks
):
    section = make_section()
    make_article(section=section, headline="خبر قديم")
    client.get("/ar/")
    draft = make_article(section=section, headline="خبر جديد الآن", publish=False)
    assert "خبر جديد الآن" not in client.get("/ar/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_article(draft, actor=people["editor"])
    assert "خبر جديد الآن" in client.get("/ar/").content.decode()
    assert "خبر جديد الآن" in client.get(section.get_absolute_url()).content.decode()


def test_it_renders_fresh_pages_for_staff(client, people):
    story = make_article(headline="خبر للجميع")
    client.get(story.get_absolute_url())
    client.force_login(people["editor"])
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert response.context["fragment_stamp"] == ""
