"""The desk's story list writes its rows in one pass (khabar/articles/story_list.py, issue 19:
Django's cell-by-cell rendering was 70 of the 80 ms of a page at a million stories). What a
desk user sees must stay Django's table, byte for byte: every column, the change links with
the list's filters kept, the selection boxes, the labels in the desk's language and the
publishing times in the edition's zone."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_list
from django.template.loader import render_to_string
from django.utils import translation

from khabar.articles.models import Article, Status, Urgency
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db

LIST = "/desk/articles/article/"
PUBLISHED_IN_TEHRAN = '<td class="field-published">21 آذار /مارس 2024 00:15</td>'


@pytest.fixture
def stories(django_capture_on_commit_callbacks):
    """Stories of every edition and state, with names that need escaping, in the search
    index."""
    ar = make_section("ar", name='سياسة <b>"دولية"</b> & أخرى')
    with django_capture_on_commit_callbacks(execute=True):
        made = _stories(ar)
    # A headline of blanks shows the admin's empty mark; a story of a later version.
    Article.objects.filter(pk=made[2].pk).update(headline="   ")
    Article.objects.filter(pk=made[3].pk).update(version=12345)
    return made


def _stories(ar):
    return [
        make_article(section=ar, headline="قال \"المتحدث\" & <b>الوزير</b> 'اليوم'"),
        make_article(
            section=ar,
            urgency=Urgency.FLASH,
            published_at=datetime.datetime(2024, 3, 20, 20, 45, tzinfo=datetime.UTC),
        ),
        make_article(section=ar, publish=False, headline="مسودة لم تنشر"),
        make_article(section=make_section("fa"), lang="fa", urgency=Urgency.URGENT),
        make_article(section=make_section("en"), lang="en", headline="Talks & <i>talks</i>"),
    ]


def _table(html: str) -> str:
    found = re.search(r'<table id="result_list">.*?</table>', html, re.S)
    assert found, "no story table on the page"
    return re.sub(r">\s+<", "><", found.group(0)).strip()


def djangos_table(response) -> str:
    """The same list's table as Django's admin renders it, cell by cell."""
    cl = response.context["cl"]
    with translation.override(response.headers["Content-Language"]):
        return _table(render_to_string("admin/change_list_results.html", result_list(cl)))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?o=7",  # by publishing time, oldest first
        "?o=-3.2",  # by section, then by headline
        "?lang__exact=ar",
        "?status__exact=draft",
        "?q=المتحدث",
        "?p=0&lang__exact=fa&o=-6",
    ],
)
def test_it_renders_the_story_table_as_django_does(client, people, stories, query):
    client.force_login(people["editor"])
    response = client.get(LIST + query)
    assert response.status_code == 200
    assert response.context["desk_results"] is not None  # the rows were written here
    assert _table(response.content.decode()) == djangos_table(response)


def test_it_keeps_the_lists_filters_in_each_change_link(client, people, stories):
    client.force_login(people["editor"])
    page = client.get(LIST + "?lang__exact=ar&o=-6").content.decode()
    story = stories[0]
    link = (
        f"/desk/articles/article/{story.pk}/change/?_changelist_filters=lang__exact%3Dar%26o%3D-6"
    )
    assert f'href="{link}"' in page


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_it_shows_labels_in_the_desks_language_and_times_in_the_editions_zone(
    client, people, stories, settings, lang
):
    client.force_login(people["editor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(LIST)
    page = response.content.decode()
    assert _table(page) == djangos_table(response)
    with translation.override(lang):
        assert f'<td class="field-urgency">{Urgency.FLASH.label}</td>' in page
        assert f'<td class="field-status">{Status.DRAFT.label}</td>' in page
    # 20:45 UTC is a quarter past midnight the next day in Tehran (+03:30), in the Arabic
    # edition's calendar, whatever the desk's language.
    assert PUBLISHED_IN_TEHRAN in page


def test_it_falls_back_to_djangos_rows_for_other_columns(client, people, stories, monkeypatch):
    desk = admin.site._registry[Article]
    monkeypatch.setattr(desk, "list_display", ["headline", "lang", "status"])
    client.force_login(people["editor"])
    response = client.get(LIST)
    assert response.context["desk_results"] is None
    assert _table(response.content.decode()) == djangos_table(response)
    assert "field-version" not in response.content.decode()
