"""The editorial desk (Django's admin at /desk/), in Arabic, driven over HTTP per role."""

import pytest

from khabar.articles.models import Article, Status
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


def story_form(section, **fields):
    """What the desk's story form posts, with the fields a test changes."""
    data = {
        "lang": "ar",
        "section": section.pk,
        "headline": "خبر من المكتب",
        "slug": "",
        "summary": "",
        "dateline_city": "طهران",
        "dateline_date": "2023-10-26",
        "dateline_agency": "ارنا",
        "body": "الفقرة الأولى.\n\nالفقرة الثانية.",
        "signoff": "1483",
        "urgency": 5,
        "byline": "",
        "published_at_0": "",
        "published_at_1": "",
        "embargo_until_0": "",
        "embargo_until_1": "",
        "comment_policy": "",
        "correction_note": "",
        "corrections-TOTAL_FORMS": 0,
        "corrections-INITIAL_FORMS": 0,
    }
    return {**data, **fields}


def add_story(client, section, headline="خبر من المكتب"):
    return client.post("/desk/articles/article/add/", story_form(section, headline=headline))


def test_it_serves_the_desk_in_arabic_right_to_left(client, people):
    client.force_login(people["editor"])
    page = client.get("/desk/").content.decode()
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    assert "مكتب التحرير" in page


def test_it_keeps_readers_out_of_the_desk(client, people):
    client.force_login(people["reader"])
    response = client.get("/desk/articles/article/")
    assert response.status_code == 302
    assert "/desk/login/" in response["Location"]


def test_it_lets_a_reporter_file_and_submit_but_shows_no_publish_button(client, people):
    section = make_section()
    client.force_login(people["reporter"])
    assert add_story(client, section).status_code == 302
    story = Article.objects.get()
    assert story.status == Status.DRAFT and story.created_by == people["reporter"]
    page = client.get(f"/desk/articles/article/{story.pk}/change/").content.decode()
    assert 'value="submit"' in page and 'value="publish"' not in page
    client.post(f"/desk/articles/article/{story.pk}/workflow/", {"step": "publish"})
    assert Article.objects.get().status == Status.DRAFT
    client.post(f"/desk/articles/article/{story.pk}/workflow/", {"step": "submit"})
    assert Article.objects.get().status == Status.SUBMITTED


def test_it_lets_an_editor_publish_from_the_desk(client, people):
    story = make_article(publish=False)
    client.force_login(people["editor"])
    client.post(f"/desk/articles/article/{story.pk}/workflow/", {"step": "publish"})
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    assert story.publisher_signoff == "2342"


def test_it_keeps_a_reporter_away_from_other_peoples_stories(client, people):
    story = make_article(publish=False)
    client.force_login(people["reporter"])
    response = client.get(f"/desk/articles/article/{story.pk}/change/")
    # The admin shows a read-only view to a user who may view but not change.
    assert 'name="headline"' not in response.content.decode()
    assert client.get(f"/desk/articles/article/{story.pk}/compare/").status_code == 404


def test_it_needs_a_note_to_change_a_published_story(client, people):
    section = make_section()
    story = make_article(section=section, headline="العنوان الأول")
    client.force_login(people["editor"])
    data = story_form(
        section,
        headline="العنوان المصحح",
        slug=story.slug,
        dateline_city="موسكو",
        body=story.body,
        signoff="2342",
        base_revision=story.revision,
    )
    url = f"/desk/articles/article/{story.pk}/change/"
    response = client.post(url, data)
    assert response.status_code == 200
    assert Article.objects.get().headline == "العنوان الأول"
    response = client.post(url, {**data, "correction_note": "صُحّح العنوان."})
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "العنوان المصحح"
    assert story.status == Status.CORRECTED and story.version == 2


def test_it_compares_two_revisions(client, people):
    section = make_section()
    client.force_login(people["reporter"])
    add_story(client, section, headline="عنوان قديم")
    story = Article.objects.get()
    client.force_login(people["editor"])
    data = story_form(
        section,
        headline="عنوان جديد",
        slug=story.slug,
        body=story.body,
        base_revision=story.revision,
    )
    assert client.post(f"/desk/articles/article/{story.pk}/change/", data).status_code == 302
    page = client.get(f"/desk/articles/article/{story.pk}/compare/").content.decode()
    assert "عنوان قديم" in page and "عنوان جديد" in page
