"""`khabar import_wxr` on real WordPress exports that Superdesk keeps as test fixtures
(tests/data/wxr/real, see the README there): what a reader sees of each imported post."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from khabar.articles.models import Article, Status
from khabar.photos.models import StoryPhoto
from khabar.test import make_section

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parent / "data" / "wxr" / "real"
UTC = datetime.UTC


@pytest.fixture
def sections():
    return {
        "world": make_section("en", "world", "World"),
        "business": make_section("en", "business", "Business"),
    }


def run(capsys, name: str, *extra: str) -> dict[str, int]:
    with translation.override("en"):
        call_command(
            "import_wxr",
            str(REAL / name),
            "--edition",
            "en",
            "--section-map",
            "uncategorized=world",
            "--no-progress",
            *extra,
        )
    out = capsys.readouterr().out
    pairs = (line.rsplit(": ", 1) for line in out.splitlines() if ": " in line)
    return {key: int(value) for key, value in pairs if value.isdigit()}


def test_it_imports_the_sdnewtester_post_and_leaves_its_attachments_out(sections, capsys):
    counts = run(capsys, "superdesk-wordpress_wxr.xml", "--section-map", "business=business")
    assert counts == {"stories published": 1}
    [story] = Article.objects.all()
    assert story.headline == "Starafrica to dispose assets for $6 million to clear debt"
    assert (story.lang, story.status) == ("en", Status.PUBLISHED)
    assert story.source_id == "wxr:http://sdnewtester.org/?p=216"
    assert story.section == sections["business"]
    assert story.byline == "admin"
    assert story.published_at == datetime.datetime(2013, 7, 29, 16, 3, 54, tzinfo=UTC)
    # The post tag; the categories Business, Companies and Economy chose the section.
    assert {t.name for t in story.tags.all()} == {"companies"}
    text = " ".join(story.paragraphs)
    assert "Cash-strapped StarAfrica Corporation is set to dispose its transport company" in text
    assert "Bla bla test" in text
    assert "<p" not in text and "</" not in text
    # The two attachments (one dated in the year 3013) are no stories.
    assert not Article.objects.filter(headline__in=["test2", "test3"]).exists()


def test_it_imports_the_thumbnail_post_without_its_picture_when_no_uploads_are_given(
    sections, capsys
):
    counts = run(capsys, "superdesk-wordpress_wxr_thumb.xml")
    assert counts == {
        "stories published": 1,
        "featured images left out (no --uploads folder)": 1,
    }
    [story] = Article.objects.all()
    assert story.headline == "test post"
    assert story.source_id == "wxr:https://main.toto.invalid"
    assert story.section == sections["world"]
    assert story.byline == "toto"
    assert story.published_at == datetime.datetime(2018, 7, 3, 9, 3, 4, tzinfo=UTC)
    # "<strong>toto</toto>": the broken markup leaves its text and nothing else.
    assert story.paragraphs == ["toto"]
    assert not StoryPhoto.objects.exists()


def test_it_imports_a_real_export_twice_without_duplicates(sections, capsys):
    run(capsys, "superdesk-wordpress_wxr.xml", "--section-map", "business=business")
    counts = run(capsys, "superdesk-wordpress_wxr.xml", "--section-map", "business=business")
    assert counts == {"stories already there": 1}
    assert Article.objects.count() == 1


def test_it_imports_a_german_posts_only_export_whose_featured_image_it_does_not_hold(
    sections, capsys, tmp_path
):
    """FunkyGames.de's export holds the post but not its featured image's attachment (an
    export of posts only): without --uploads the picture is simply left out and counted;
    with --uploads the import stops and says how to go on, unless told to leave it out."""
    with pytest.raises(CommandError) as refused:
        run(
            capsys,
            "superdesk-wordpress_wxr_funke.xml",
            "--section-map",
            "spiele-apps=world",
            "--uploads",
            str(tmp_path),
        )
    said = str(refused.value) + capsys.readouterr().err
    assert "attachment 6284" in said and "--allow-missing-images" in said
    assert not Article.objects.exists()

    counts = run(capsys, "superdesk-wordpress_wxr_funke.xml", "--section-map", "spiele-apps=world")
    assert counts["stories published"] == 1
    assert counts["featured images left out (not in the export)"] == 1
    [story] = Article.objects.all()
    assert story.headline == "Löst einen Mord in Mysterium Secrets & Lies"
    assert story.byline == "Marion"
    assert story.section == sections["world"]
    assert story.published_at == datetime.datetime(2017, 12, 2, 15, 43, 50, tzinfo=UTC)
    assert sorted(t.name for t in story.tags.all()) == [
        "Asmodee Digital",
        "Mysterium",
        "Mysterium Secrets & Lies",
        "Spiele Apps",
        "sub_feature",
    ]
