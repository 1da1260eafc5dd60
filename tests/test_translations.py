"""Translations of a story across editions: the desk's group view and "start a translation"."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from lxml import html

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Status
from khabar.test import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The personas' passwords are hashed once each; a slow hasher proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def original(db):
    make_section("fa", "world", "بین‌الملل")
    make_section("en", "world", "World")
    make_tag("ایران", lang="fa")
    return make_article(
        section=make_section("ar", "world", "دولي"),
        headline="مباحثات ايرانية روسية",
        summary="موجز الخبر",
        byline="مراسل خبر",
        urgency=3,
        tags=[make_tag("ایران", lang="ar"), make_tag("روسيا", lang="ar")],
    )


def _change_page(client, article):
    return client.get(f"/desk/articles/article/{article.pk}/change/")


def test_it_starts_a_persian_draft_prefilled_from_the_original(original, people):
    draft = actions.start_translation(original, lang="fa", actor=people["reporter"])
    assert draft.lang == "fa"
    assert draft.status == Status.DRAFT
    assert draft.translation_group == original.translation_group
    assert (draft.section.lang, draft.section.slug) == ("fa", "world")
    assert (draft.dateline_city, draft.dateline_date) == ("موسكو", original.dateline_date)
    assert draft.dateline_agency == "ایرنا"
    assert [t.slug for t in draft.tags.all()] == ["ایران"]
    assert (draft.headline, draft.body, draft.urgency) == (
        original.headline,
        original.body,
        original.urgency,
    )
    assert draft.created_by == people["reporter"]
    audit = AuditEntry.objects.filter(article=draft).values_list("action", "note")
    assert list(audit) == [("create", ""), ("translate", f"ar:{original.pk}")]


def test_it_uses_the_editions_agency_for_english(original, people):
    draft = actions.start_translation(original, lang="en", actor=people["editor"])
    assert draft.dateline_agency == "IRNA"
    assert draft.section.name == "World"
    assert list(draft.tags.all()) == []


def test_it_falls_back_to_the_editions_first_section(people, db):
    make_section("en", "politics", "Politics", position=2)
    make_section("en", "economy", "Economy", position=1)
    story = make_article(section=make_section("ar", "sport", "رياضة"))
    draft = actions.start_translation(story, lang="en", actor=people["editor"])
    assert draft.section.slug == "economy"


@pytest.mark.parametrize("lang", ["ar", "xx", ""])
def test_it_refuses_the_same_or_an_unknown_edition(original, people, lang):
    with pytest.raises(actions.WorkflowError):
        actions.start_translation(original, lang=lang, actor=people["editor"])
    assert Article.objects.count() == 1


def test_it_refuses_a_second_version_in_one_edition(original, people):
    actions.start_translation(original, lang="fa", actor=people["editor"])
    with pytest.raises(actions.WorkflowError):
        actions.start_translation(original, lang="fa", actor=people["editor"])
    assert Article.objects.filter(lang="fa").count() == 1


def test_it_refuses_an_edition_without_sections(people, db):
    story = make_article(section=make_section("ar", "world", "دولي"))
    with pytest.raises(actions.WorkflowError):
        actions.start_translation(story, lang="fa", actor=people["editor"])


def test_it_needs_the_right_to_file_stories(original, people):
    with pytest.raises(PermissionDenied):
        actions.start_translation(original, lang="fa", actor=people["moderator"])


def test_it_shows_the_group_and_the_missing_editions_on_the_change_page(original, people, client):
    english = actions.start_translation(original, lang="en", actor=people["editor"])
    client.force_login(people["editor"])
    response = _change_page(client, original)
    assert response.status_code == 200
    tree = html.fromstring(response.content.decode())
    rows = {
        row.get("class").split("--")[1]: row
        for row in tree.xpath('//fieldset[contains(@class, "translations")]//tr[@class]')
    }
    assert set(rows) == {"ar", "fa", "en"}
    assert "(هذا الخبر)" in rows["ar"].text_content()
    link = rows["en"].xpath(".//a")[0]
    assert link.get("href") == f"/desk/articles/article/{english.pk}/change/"
    assert "مسودة" in rows["en"].text_content()
    button = rows["fa"].xpath(".//button")[0]
    assert (button.get("name"), button.get("value"), button.get("form")) == (
        "lang",
        "fa",
        "translate-form",
    )
    assert "ابدأ ترجمة إلى فارسی" in button.text_content()
    assert "لا تزال ناقصة في: فارسی" in tree.xpath('//p[@class="help"]')[-1].text_content()
    # The buttons' form is a real form: not nested inside the story's own form.
    form = tree.xpath('//form[@id="translate-form"]')[0]
    assert form.get("action") == f"/desk/articles/article/{original.pk}/translate/"
    assert tree.xpath('//form[@id="workflow-form"]')


def test_it_starts_a_translation_from_the_desk(original, people, client):
    client.force_login(people["editor"])
    response = client.post(f"/desk/articles/article/{original.pk}/translate/", {"lang": "fa"})
    draft = Article.objects.get(lang="fa")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/articles/article/{draft.pk}/change/"
    page = client.get(response["Location"]).content.decode()
    assert "بدأت الترجمة" in page
    assert 'value="ایرنا"' in page
    # The draft's own page shows the group too, the original linked.
    assert f"/desk/articles/article/{original.pk}/change/" in page


def test_it_reports_a_refused_translation_on_the_desk(original, people, client):
    client.force_login(people["editor"])
    response = client.post(
        f"/desk/articles/article/{original.pk}/translate/", {"lang": "ar"}, follow=True
    )
    assert "يجب أن تكون الترجمة في نسخة أخرى." in response.content.decode()
    assert Article.objects.count() == 1


@pytest.mark.parametrize("persona", ["moderator", "reader"])
def test_it_lets_only_desk_staff_who_file_stories_translate(original, people, client, persona):
    client.force_login(people[persona])
    response = client.post(f"/desk/articles/article/{original.pk}/translate/", {"lang": "fa"})
    assert response.status_code in {302, 403}
    assert Article.objects.count() == 1


def test_it_refuses_get_on_the_translate_address(original, people, client):
    client.force_login(people["editor"])
    response = client.get(f"/desk/articles/article/{original.pk}/translate/")
    assert response.status_code == 403


def test_it_links_the_published_translation_for_readers(original, people, client):
    draft = actions.start_translation(original, lang="en", actor=people["editor"])
    actions.update_article(
        draft,
        base_revision=draft.revision,
        actor=people["editor"],
        headline="Iran, Russia hold talks",
        body="Talks.",
    )
    actions.publish_article(draft, actor=people["editor"])
    page = client.get(original.get_absolute_url()).content.decode()
    assert f'hreflang="en" href="http://127.0.0.1:8000{draft.get_absolute_url()}"' in page
    tree = html.fromstring(page)
    links = tree.xpath('//p[@class="translations"]/a')
    assert [(a.get("hreflang"), a.text_content()) for a in links] == [("en", "English")]
    assert "اقرأ بـ:" in tree.xpath('//p[@class="translations"]')[0].text_content()


# Syndication: the source item and the alternates ------------------------------------------


@pytest.fixture
def linked(original, people):
    english = actions.start_translation(original, lang="en", actor=people["editor"])
    actions.update_article(
        english,
        base_revision=english.revision,
        actor=people["editor"],
        headline="Iran, Russia hold talks",
        body="Talks.",
    )
    return original, actions.publish_article(english, actor=people["editor"])


@pytest.mark.parametrize("version", ["3.1", "2.2", "1.6"])
def test_it_names_the_source_item_in_ninjs(linked, client, version):
    from khabar.syndication.ninjs import schema_errors
    from khabar.syndication.story import story_uri

    original, english = linked
    doc = client.get(f"/api/v1/ninjs/{english.pk}?ninjs={version}").json()
    assert schema_errors(doc, version) == []
    if version == "1.6":
        source = doc["associations"]["translatedfrom"]
        assert source["headline"] == original.headline
    else:
        [source] = [a for a in doc["associations"] if a["name"] == "translatedFrom"]
        assert source["headlines"][0]["value"] == original.headline
        assert source.get("rel") == ("irel:translatedFrom" if version == "3.1" else None)
    assert (source["uri"], source["language"]) == (story_uri(original), "ar")
    # The original names no source, and the list says the same as the single item.
    first = client.get(f"/api/v1/ninjs/{original.pk}?ninjs={version}").json()
    assert "translatedfrom" not in str(first.get("associations", "")).lower()
    items = client.get(f"/api/v1/ninjs?ninjs={version}").json()["items"]
    assert [i for i in items if i["uri"] == doc["uri"]] == [doc]


def test_it_names_the_source_item_in_newsml(linked, client):
    from lxml import etree

    from khabar.syndication.newsml import NAR, guid, schema_errors

    original, english = linked
    root = etree.fromstring(client.get(f"/api/v1/newsml/{english.pk}").content)
    assert schema_errors(root) == []
    [link] = root.findall(f"{{{NAR}}}itemMeta/{{{NAR}}}link[@rel='irel:translatedFrom']")
    assert link.get("residref") == guid(original)
    assert link.get("href").endswith(original.get_absolute_url())
    plain = etree.fromstring(client.get(f"/api/v1/newsml/{original.pk}").content)
    assert plain.findall(f".//{{{NAR}}}link[@rel='irel:translatedFrom']") == []


def test_it_lists_the_other_languages_in_feeds(linked, client):
    from lxml import etree

    _original, english = linked
    atom_ns = "http://www.w3.org/2005/Atom"
    rss = etree.fromstring(client.get("/ar/feed/rss.xml").content)
    [item] = rss.findall("channel/item")
    links = item.findall(f"{{{atom_ns}}}link[@rel='alternate']")
    assert [(a.get("hreflang"), a.get("href")) for a in links] == [
        ("en", "http://127.0.0.1:8000" + english.get_absolute_url())
    ]
    atom = etree.fromstring(client.get("/en/feed/atom.xml").content)
    [entry] = atom.findall(f"{{{atom_ns}}}entry")
    alternates = entry.findall(f"{{{atom_ns}}}link[@hreflang]")
    assert [(a.get("hreflang"), a.get("rel")) for a in alternates] == [("ar", "alternate")]


def test_it_lists_the_other_languages_in_sitemaps(linked, client):
    _original, english = linked
    body = client.get("/sitemap-ar-world.xml").content.decode()
    assert 'hreflang="en"' in body and english.get_absolute_url() in body
    assert 'hreflang="ar"' in body
