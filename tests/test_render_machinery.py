"""What khabar changes in Django's machinery to render a page for less (issue 19), held to
Django's own behaviour: ``{% extends %}`` keeps its root template's blocks, the messages
storage is made only when used, and the reader's pages come first in the URLconf."""

from __future__ import annotations

import pytest
from django.template import Context, Engine
from django.urls import resolve
from django.utils import translation
from reversion.models import Version

from khabar.articles import actions
from khabar.test import make_article

TEMPLATES = {
    "root.html": "<{% block a %}root-a{% endblock %}|{% block b %}root-b{% endblock %}"
    "{% if flag %}|{% block c %}root-c{% endblock %}{% endif %}>",
    "middle.html": "{% extends 'root.html' %}{% block a %}middle-a+{{ block.super }}{% endblock %}",
    "leaf.html": "{% extends 'middle.html' %}{% block b %}leaf-b {{ name }}{% endblock %}"
    "{% block c %}leaf-c+{{ block.super }}{% endblock %}",
    "other.html": "{% extends 'root.html' %}{% block a %}other-a{% endblock %}",
    "by-variable.html": "{% extends parent %}{% block b %}chosen-b{% endblock %}",
}


def engine(*, kept: bool) -> Engine:
    return Engine(
        loaders=[
            (
                "django.template.loaders.cached.Loader",
                [("django.template.loaders.locmem.Loader", TEMPLATES)],
            )
        ],
        builtins=["khabar.site.templatetags.khabar_extends"] if kept else [],
    )


def test_extends_renders_every_chain_as_djangos_own_does_render_after_render():
    ours, djangos = engine(kept=True), engine(kept=False)
    cases = [
        ("leaf.html", {"name": "أ", "flag": True}),
        ("leaf.html", {"name": "ب", "flag": False}),
        ("middle.html", {"flag": True}),
        ("other.html", {"flag": True}),
        ("root.html", {"flag": True}),
        ("by-variable.html", {"parent": "other.html"}),
        ("by-variable.html", {"parent": "middle.html", "flag": True}),
    ]
    seen = []
    for _ in range(3):  # the second and third renders read the kept blocks
        for name, values in cases:
            expected = djangos.get_template(name).render(Context(values))
            assert ours.get_template(name).render(Context(values)) == expected
            seen.append(expected)
    assert "<middle-a+root-a|leaf-b أ|leaf-c+root-c>" in seen
    assert "<other-a|chosen-b>" in seen
    assert "<middle-a+root-a|chosen-b|root-c>" in seen


def test_the_site_uses_the_extends_that_keeps_blocks():
    from django.template import engines

    from khabar.site.templatetags.khabar_extends import KeptBlocksExtendsNode

    compiled = engines["django"].from_string("{% extends 'base.html' %}").template
    assert isinstance(compiled.nodelist[0], KeptBlocksExtendsNode)


def _restored(client, editor):
    """An editor restores a story's first copy: the desk says so on the next desk page."""
    story = make_article(publish=False, headline="العنوان الأول")
    first = Version.objects.get_for_object(story).order_by("pk").first()
    story = actions.update_article(
        story, actor=editor, base_revision=story.revision, headline="العنوان الثاني"
    )
    client.force_login(editor)
    url = f"/desk/articles/article/{story.pk}/history/{first.pk}/"
    assert client.post(url, {"base_revision": story.revision}).status_code == 302
    return story


@pytest.mark.django_db
def test_a_desk_message_waits_through_reader_pages_and_is_shown_once(client, people):
    story = _restored(client, people["editor"])
    with translation.override("ar"):
        said = translation.gettext("The copy of that revision was restored.")
    assert said != "The copy of that revision was restored."  # the desk speaks Arabic
    reader = make_article(headline="خبر للقراء")
    # A reader's page in between neither shows nor uses up the editor's message.
    page = client.get(reader.get_absolute_url())
    assert page.status_code == 200 and said not in page.content.decode()
    change = f"/desk/articles/article/{story.pk}/change/"
    assert said in client.get(change).content.decode()
    assert said not in client.get(change).content.decode()


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/ar/", "home"),
        ("/ar/news/5/", "article"),
        ("/fa/news/5/slug/", "article-slug"),
        ("/en/section/politics/", "section"),
        ("/ar/tag/x/", "tag"),
        ("/ar/search/", "search"),
        ("/ar/feed/rss.xml", None),
        ("/ar/feeds/section/x/rss.xml", None),
        ("/api/v1/comments", None),
        ("/sitemap-ar-x.xml", None),
        ("/desk/", None),
        ("/healthz", None),
        ("/live/ticker/ar.json", None),
    ],
)
def test_the_reader_pages_first_take_no_other_address(path, view):
    """The edition's pages come first in the URLconf: each address still reaches its own
    view (a feed or the API is not taken for an edition's page)."""
    match = resolve(path)
    if view is None:
        assert match.url_name not in {"home", "article", "article-slug", "section", "tag", "search"}
    else:
        assert match.url_name == view
