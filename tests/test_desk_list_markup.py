"""The desk's story list writes its rows' selection boxes itself (issue 19: Django renders
each through the form widget templates, a quarter of the list's time at 100 stories a page):
the markup must stay exactly Django's."""

import pytest
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.utils import translation

from khabar.articles.models import Article
from khabar.test import make_article

pytestmark = pytest.mark.django_db

HEADLINE = "قال \"المتحدث\" & <b>الوزير</b> 'اليوم'"


@pytest.mark.parametrize("lang", ["ar", "en", "fa"])
def test_it_writes_the_selection_box_as_django_renders_it(lang):
    story = Article(pk=1234, headline=HEADLINE)
    desk = admin.site._registry[Article]
    with translation.override(lang):
        ours = desk.action_checkbox(story)
        djangos = ModelAdmin.action_checkbox(desk, story)
    assert ours == djangos
    assert "&lt;b&gt;" in ours and 'value="1234"' in ours


def test_it_lists_stories_with_their_selection_boxes(client, people):
    story = make_article(headline=HEADLINE)
    client.force_login(people["editor"])
    page = client.get("/desk/articles/article/").content.decode()
    desk = admin.site._registry[Article]
    with translation.override("ar"):
        expected = ModelAdmin.action_checkbox(desk, story)
    assert expected in page
