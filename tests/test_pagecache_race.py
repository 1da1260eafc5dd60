"""A page rendered while a purge runs is not kept: it may show what was just withdrawn or
corrected, and nothing would purge it again (finding 6/8 follow-up of the trust review)."""

import pytest
from test_pagecache import cached, get  # noqa: F401 (a fixture)

from khabar.articles import actions
from khabar.articles import views as article_views
from khabar.site import pagecache
from khabar.test import make_article

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_does_not_keep_a_page_rendered_while_its_story_was_withdrawn(
    cached,  # noqa: F811
    people,
    monkeypatch,
):
    story = make_article(headline="خبر يُسحب أثناء العرض")
    real = article_views._related

    def related_racing_a_kill(shown):
        # The desk withdraws the story while its page is being rendered.
        if shown.pk == story.pk and shown.status != "withdrawn":
            actions.withdraw_article(story, actor=people["editor"], reason="خطأ")
        return real(shown)

    monkeypatch.setattr(article_views, "_related", related_racing_a_kill)
    status, headers, body = get(cached, story.get_absolute_url())
    monkeypatch.setattr(article_views, "_related", real)
    # The racing reader got the page they asked for, but nothing keeps it ...
    assert "X-Accel-Expires" not in headers
    # ... so the next reader gets the withdrawal, not the old page from a cache.
    status, headers, body = get(cached, story.get_absolute_url())
    assert status == 410
    assert "خبر يُسحب أثناء العرض" not in body


def test_it_tells_nginx_not_to_keep_a_page_the_app_could_not_store(cached, monkeypatch):  # noqa: F811
    story = make_article()
    monkeypatch.setattr(pagecache.SqliteStore, "put", lambda *args, **kwargs: False)
    status, headers, _body = get(cached, story.get_absolute_url())
    assert status == 200
    assert "X-Accel-Expires" not in headers
    monkeypatch.undo()
    status, headers, _body = get(cached, story.get_absolute_url())
    assert headers.get("X-Accel-Expires") == str(pagecache.TTL)
