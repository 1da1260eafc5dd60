"""A fresh app process does its one-time work before its first reader, not during it."""

from pathlib import Path

import pytest
from django.template import base

from khabar.site import warmup
from khabar.test import make_article, make_section


@pytest.fixture
def fresh_templates():
    """Templates as a new process has them: none parsed yet."""
    from django.template import engines

    for loader in engines["django"].engine.template_loaders:
        loader.reset()
    yield


def count_parses(monkeypatch):
    parsed = []
    real = base.Template.compile_nodelist

    def compile_nodelist(self):
        parsed.append(self.origin.template_name)
        return real(self)

    monkeypatch.setattr(base.Template, "compile_nodelist", compile_nodelist)
    return parsed


@pytest.mark.django_db
def test_the_first_reader_of_a_story_waits_for_no_template_to_be_parsed(
    client, monkeypatch, fresh_templates
):
    story = make_article(section=make_section(comment_policy="post"))
    parsed = count_parses(monkeypatch)
    done = warmup.warm()
    assert done["templates"] >= 20
    assert "articles/article.html" in parsed
    parsed.clear()
    for path in (story.get_absolute_url(), "/ar/", "/en/", "/fa/"):
        assert client.get(path).status_code == 200
    assert parsed == []


@pytest.mark.django_db
def test_without_the_warm_up_the_first_reader_parses_them(client, monkeypatch, fresh_templates):
    """The measure above can fail: a fresh process does parse on its first request."""
    story = make_article(section=make_section(comment_policy="post"))
    parsed = count_parses(monkeypatch)
    assert client.get(story.get_absolute_url()).status_code == 200
    assert len(parsed) >= 5


def test_it_leaves_other_libraries_templates_alone():
    from django.template.loader import get_template

    names = warmup.template_names()
    assert "articles/article.html" in names
    for name in names:
        origin = Path(get_template(name).origin.name)
        assert origin.is_relative_to(warmup.PACKAGE), name
    assert "admin/base.html" not in names  # Django's own, loaded when the desk needs it
