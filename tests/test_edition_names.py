"""Each edition names the agency in its own language (the footer, feeds, schema.org)."""

import pytest

from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "name", "other"),
    [
        ("ar", "© وكالة خبر", "Khabar News Agency"),
        ("fa", "© خبرگزاری خبر", "وكالة خبر"),
        ("en", "© Khabar News Agency", "وكالة خبر"),
    ],
)
def test_it_names_the_agency_in_the_editions_language(client, code, name, other):
    story = make_article(section=make_section(code, slug="world", name="x"), lang=code)
    for url in (f"/{code}/", story.get_absolute_url()):
        page = client.get(url).content.decode()
        assert name in page and f"© {other}" not in page
    feed = client.get(f"/{code}/feed/rss.xml").content.decode()
    assert name.removeprefix("© ") in feed
