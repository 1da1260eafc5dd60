"""Ingest of real agency documents (tests/data/agencies, see its README): every text item
gets in with stock settings, body and metadata checked field by field; kills kill; a note
to editors never reaches a reader page, a feed, ninjs or NewsML-G2."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from khabar.articles.models import Article, Status
from khabar.site.actors import COMMAND_LINE, PartnerActor
from khabar.syndication.actions import apply_held_update
from khabar.syndication.ingest import IngestError, detect_format, ingest_bytes, read_stories
from khabar.syndication.models import ForeignItem, HeldUpdate, IngestRecord, Partner
from khabar.test import make_section

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent / "data" / "agencies"


def _read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def _sections() -> None:
    make_section("en", "world", "World")
    make_section("en", "business", "Business")
    make_section("en", "sport", "Sport")
    make_section("en", "environment", "Environment")
    make_section("ar", "world", "دولي")


# Every text item in an edition's language, field by field ---------------------------------

STORIES = {
    "reuters-style-g2-icls-text.xml": {
        "format": ("newsml", "NewsML-G2 2.12"),
        "headline": "Fog closes two ports on English Channel for second day",
        "summary": "Thick fog closed two Channel ports for a second day on Tuesday.",
        "subheadline": "Ferries held at anchor, freight queues grow",
        "byline": "Jane Doe",
        "city": "London",
        "agency": "Reuters",
        "date": datetime.date(2024, 1, 30),
        "urgency": 3,
        "genre": "Actuality",
        "section": "business",
        "tags": {"Shipping", "fog", "ferries"},
        "first": "Thick fog closed two ports on the English Channel for a second day on "
        "Tuesday, leaving ferries at anchor and lorries queueing on the approach roads.",
        "paragraphs": 6,
        "contains": ["Freight", "(Reporting by Jane Doe; Editing by John Roe)"],
        "schema_valid": False,
    },
    "ap-style-nitf.xml": {
        "format": ("nitf", "NITF 3.3"),
        "headline": "Storm closes schools across three states",
        "summary": "A winter storm closed hundreds of schools on Tuesday.",
        "subheadline": "Governors urge drivers to stay home as snow piles up",
        "byline": "MARY SMITH, Associated Press",
        "city": "ALBANY",
        "agency": "AP",
        "date": datetime.date(2024, 1, 30),
        "urgency": 3,
        "section": "world",
        "tags": {"Weather", "winter storm", "schools"},
        "first": "A winter storm closed hundreds of schools across three states on Tuesday "
        "as snow piled up faster than plows could clear it.",
        "paragraphs": 6,
        "contains": ["Power cuts", "• New York: 22,000 homes", "• Vermont: 18,000 homes"],
        "schema_valid": None,
    },
    "ap-style-media-api-item.json": {
        "format": ("ninjs", "ninjs 1.6"),
        "headline": "City marathon moves start time to beat the heat",
        "summary": "The city marathon will start two hours earlier this year.",
        "subheadline": "Organizers shift Sunday's race to 6 a.m. after forecast",
        "byline": "Tom Example",
        "city": "Phoenix",
        "agency": "AP",
        "date": datetime.date(2024, 1, 30),
        "urgency": 5,
        "section": "sport",
        "tags": {"Sports", "Marathons", "running"},
        "first": "The city marathon will start two hours earlier this year after "
        "forecasters predicted record heat for race day.",
        "paragraphs": 2,
        "contains": [],
        "schema_valid": False,
    },
    "afp-style-newsml12.xml": {
        "format": ("newsml1", "NewsML 1.2"),
        "headline": "Volcano erupts off Iceland coast, flights unaffected",
        "summary": "Lava fountains seen from the capital",
        "subheadline": "Lava fountains seen from the capital",
        "byline": "Anna Example",
        "city": "Reykjavik",
        "agency": "AFP",
        "date": datetime.date(2024, 1, 30),
        "urgency": 1,
        "genre": "Extra",
        "section": "environment",
        "tags": {"volcano", "aviation"},
        "first": "A volcano erupted off the southwest coast of Iceland on Tuesday, sending "
        "lava fountains into the night sky, the meteorological office said.",
        "paragraphs": 2,
        "contains": [],
        "schema_valid": None,
    },
    "aap-style-anpa.txt": {
        "format": ("anpa", "ANPA-1312"),
        "headline": "Australia wins first test by 6 wickets",
        "byline": "Sam Example",
        "city": "ADELAIDE",
        "agency": "AAP",
        "urgency": 3,
        "section": "sport",
        "first": "Australia beat the visitors by six wickets on the fourth day of the first "
        "test on Tuesday, chasing down 210 with an hour to spare.",
        "paragraphs": 3,
        "contains": ["The captain made an unbeaten 88."],
        "schema_valid": None,
    },
    "addb-ninjs30-nitf.json": {
        "format": ("ninjs", "ninjs 3.0"),
        "headline": "Anti-doping measures at the 'Tour Down Under' will be the toughest ever",
        "summary": "The Australian Sports Anti-Doping Authority (ASADA) today announced a range "
        "of anti-doping initiatives to protect the integrity of the 2008 ‘Tour Down Under’ to "
        "be held in South Australia from January 22-27.",
        "byline": "Trond Husø, The Anti-Doping Database",
        "city": "Oslo, Norway",
        "date": datetime.date(2023, 10, 8),
        "genre": "Actuality",
        "section": "sport",
        "tags": {"Sport", "drug abuse in sport", "Cycling"},
        "paragraphs": 18,
        "contains": [],
        "schema_valid": True,
    },
    "businesswire-newsml12-en.xml": {
        "format": ("newsml1", "NewsML 1.2"),
        "headline": "Lunch Taking a Toll? Let Applebee’s® Industrial Strength Lunch Decoy Stand In",
        # No summary: the subheadline stands in for it (and is kept as itself).
        "summary": "With a Year’s Worth of Lunch Combos Starting at $6.99, New 62-Inch, "
        "12-Gauge Vinyl Model Built to Endure Even More Mundane Work Situations",
        "subheadline": "With a Year’s Worth of Lunch Combos Starting at $6.99, New 62-Inch, "
        "12-Gauge Vinyl Model Built to Endure Even More Mundane Work Situations",
        "city": "KANSAS CITY, Mo.",
        "date": datetime.date(2013, 7, 31),
        "genre": "Release",
        "paragraphs": 15,
        "contains": [],
        "schema_valid": None,
    },
}
# The same documents as real NITF and NewsML 1.2 send them, with a DOCTYPE naming the DTD.
STORIES["ap-style-nitf-doctype.xml"] = STORIES["ap-style-nitf.xml"]
STORIES["afp-style-newsml12-doctype.xml"] = STORIES["afp-style-newsml12.xml"]


@pytest.mark.parametrize("name", sorted(STORIES))
def test_it_ingests_every_text_item_of_the_corpus_field_by_field(name):
    _sections()
    want = STORIES[name]
    data = _read(name)
    assert detect_format(data) == want["format"][0]
    [result] = ingest_bytes(data, actor=COMMAND_LINE, publish=True)
    assert result.outcome == "created"
    story = Article.objects.get(pk=result.article.pk)
    assert story.lang == "en"
    assert story.headline == want["headline"]
    assert story.summary == want.get("summary", "")
    assert story.byline == want.get("byline", "")
    assert story.dateline_city == want["city"]
    assert story.dateline_agency == want.get("agency", story.dateline_agency)
    if "date" in want:
        assert story.dateline_date == want["date"]
    assert story.urgency == want.get("urgency", story.urgency)
    if "section" in want:
        assert story.section.slug == want["section"]
    assert want.get("tags", set()) <= {t.name for t in story.tags.all()}
    paragraphs = story.paragraphs
    assert len(paragraphs) == want["paragraphs"], paragraphs
    if "first" in want:
        assert paragraphs[0] == want["first"]
    for text in want["contains"]:
        assert text in paragraphs
    for paragraph in paragraphs:
        # No markup, no doubled dateline, no byline or genre label left in the copy.
        assert "<p" not in paragraph and "</" not in paragraph
        assert not paragraph.startswith(("By ", "Extra", want["city"] + " ("))
        assert "()" not in paragraph
    record = IngestRecord.objects.get(article=story)
    assert record.format == want["format"][1]
    assert record.schema_valid is want["schema_valid"]
    assert record.subheadline == want.get("subheadline", "")
    assert record.genre == want.get("genre", record.genre)
    assert not story.corrections.exists()


FOREIGN = {
    "dpa-ninjs30-text.json": ("de", "ltr", "Faktencheck Derby-Elfmeter", 9),
    "tt-ninjs30-text-image.json": ("sv", "ltr", "Militärövning i jätteformat hålls 2023", 6),
    "ntb-ninjs21-text.json": ("nb", "ltr", "Google har kjøpt giganttomt i Skien", 1),
    "ansa-style-g2-it.xml": ("it", "ltr", "Musei aperti gratis la prima domenica del mese", 2),
    "efe-style-nitf-es.xml": ("es", "ltr", "La lluvia alivia la sequía en el sur de España", 2),
    "businesswire-newsml12-zh.xml": ("zh", "ltr", "APP发布", 22),
}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_it_sends_an_item_in_a_language_with_no_edition_to_the_desk(name):
    _sections()
    lang, direction, headline, paragraphs = FOREIGN[name]
    [result] = ingest_bytes(_read(name), actor=COMMAND_LINE, publish=True)
    assert result.outcome == "incoming"
    assert not Article.objects.exists()
    item = ForeignItem.objects.get()
    assert (item.lang, item.direction) == (lang, direction)
    assert item.headline.startswith(headline)
    assert len(item.paragraphs) == paragraphs
    # Sent again: still one item.
    ingest_bytes(_read(name), actor=COMMAND_LINE)
    assert ForeignItem.objects.count() == 1


def test_it_takes_the_agency_dateline_off_an_italian_and_a_spanish_item():
    [ansa] = read_stories(_read("ansa-style-g2-it.xml"))
    assert (ansa.dateline_city, ansa.dateline_agency) == ("Roma", "ANSA")
    assert ansa.body[0].startswith("I musei statali restano aperti gratis")
    [efe] = read_stories(_read("efe-style-nitf-es.xml"))
    assert (efe.dateline_city, efe.dateline_agency) == ("Sevilla", "EFE")
    assert efe.body[0].startswith("Las lluvias de los últimos días")


def test_it_starts_a_translation_of_a_foreign_item_into_an_edition(people):
    from khabar.syndication.actions import start_foreign_translation

    _sections()
    ingest_bytes(_read("dpa-ninjs30-text.json"), actor=COMMAND_LINE)
    item = ForeignItem.objects.get()
    draft = start_foreign_translation(item, lang="ar", actor=people["editor"])
    assert (draft.lang, draft.status) == ("ar", Status.DRAFT)
    assert draft.headline == item.headline and draft.body == item.body
    assert list(item.translations.all()) == [draft]


# Kills ------------------------------------------------------------------------------------


def test_it_kills_a_story_with_a_cancel_that_has_no_body(client):
    _sections()
    [live] = ingest_bytes(_read("reuters-style-g2-icls-text.xml"), actor=COMMAND_LINE, publish=True)
    assert live.article.status == Status.PUBLISHED
    [killed] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=COMMAND_LINE)
    assert killed.outcome == "killed"
    story = Article.objects.get(pk=live.article.pk)
    assert story.status == Status.WITHDRAWN
    assert not story.corrections.exists()
    assert not story.withdrawal_reason_public
    assert client.get(story.get_absolute_url()).status_code == 410
    # Again: nothing more to do.
    [again] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=COMMAND_LINE)
    assert again.outcome == "unchanged"


def test_it_kills_a_story_with_an_anpa_kill():
    _sections()
    [live] = ingest_bytes(_read("aap-style-anpa.txt"), actor=COMMAND_LINE, publish=True)
    [killed] = ingest_bytes(_read("aap-style-anpa-kill.txt"), actor=COMMAND_LINE)
    assert (killed.outcome, killed.article.pk) == ("killed", live.article.pk)
    assert Article.objects.get(pk=live.article.pk).status == Status.WITHDRAWN


def test_it_ignores_the_kill_of_a_story_it_never_had():
    _sections()
    [result] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=COMMAND_LINE)
    assert (result.outcome, result.article.pk) == ("ignored", None)
    assert not Article.objects.exists()


def _partner(name: str, *, trusted: bool) -> PartnerActor:
    partner = Partner.objects.create(name=name, can_ingest=True, trusted=trusted)
    return PartnerActor(partner_id=partner.pk, name=name, trusted=trusted)


def test_it_applies_a_trusted_partners_kill_of_its_own_story():
    _sections()
    alice = _partner("alice", trusted=True)
    [live] = ingest_bytes(_read("reuters-style-g2-icls-text.xml"), actor=alice, publish=True)
    assert live.article.status == Status.PUBLISHED
    [killed] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=alice)
    assert killed.outcome == "killed"
    story = Article.objects.get(pk=live.article.pk)
    assert story.status == Status.WITHDRAWN
    assert story.audit.filter(action="withdraw", actor__startswith="partner:").exists()


def test_it_holds_an_untrusted_partners_kill_for_an_editor(people):
    _sections()
    bob = _partner("bob", trusted=False)
    [sent] = ingest_bytes(_read("reuters-style-g2-icls-text.xml"), actor=bob)
    from khabar.articles.actions import publish_article

    publish_article(sent.article, actor=people["editor"])
    [held] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=bob)
    assert held.outcome == "held"
    assert Article.objects.get(pk=sent.article.pk).status == Status.PUBLISHED
    kill = HeldUpdate.objects.get(kind=HeldUpdate.Kind.KILL)
    story = apply_held_update(
        kill, actor=people["editor"], note="Source killed it", base_revision=None
    )
    assert story.status == Status.WITHDRAWN


def test_it_never_lets_a_partner_kill_another_partners_story():
    _sections()
    alice = _partner("alice", trusted=True)
    mallory = _partner("mallory", trusted=True)
    [live] = ingest_bytes(_read("reuters-style-g2-icls-text.xml"), actor=alice, publish=True)
    [result] = ingest_bytes(_read("reuters-style-g2-cancel.xml"), actor=mallory)
    assert result.outcome == "ignored"  # mallory has no story of that id
    assert Article.objects.get(pk=live.article.pk).status == Status.PUBLISHED


# Private stays private ------------------------------------------------------------------------

NOTES = {
    "reuters-style-g2-icls-text.xml": "desk contact +44 20 0000 0000",
    "ap-style-nitf.xml": "Updates with governor's statement",
    "ap-style-media-api-item.json": "Moves on general and sports news services",
    "afp-style-newsml12.xml": "embargoed picture follows",
}


@pytest.mark.parametrize("name", sorted(NOTES))
def test_it_never_lets_a_note_to_editors_reach_readers_feeds_or_partners(client, name):
    from khabar.syndication.actions import create_partner_token
    from khabar.syndication.models import PartnerToken  # noqa: F401

    _sections()
    [result] = ingest_bytes(_read(name), actor=COMMAND_LINE, publish=True)
    story = result.article
    secret = NOTES[name]
    assert secret in IngestRecord.objects.get(article=story).desk_note
    reader = Partner.objects.create(name="reader partner")
    from khabar.site.actors import system

    _token, raw = create_partner_token(reader, actor=system("test"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    pages = [
        client.get(story.get_absolute_url()),
        client.get("/en/feed/rss.xml"),
        client.get("/en/feed/atom.xml"),
        client.get(f"/api/v1/ninjs/{story.pk}", **auth),
        client.get(f"/api/v1/ninjs/{story.pk}?ninjs=1.6", **auth),
        client.get(f"/api/v1/newsml/{story.pk}", **auth),
    ]
    for page in pages:
        assert page.status_code == 200, page
        assert secret not in page.content.decode()
    assert story.headline in pages[3].content.decode()


def test_it_refuses_what_cannot_be_used_saying_what_is_missing():
    _sections()
    no_body = b'{"guid": "urn:x:1", "type": "text", "headline": "Only a headline"}'
    with pytest.raises(IngestError, match="no body text"):
        ingest_bytes(no_body, actor=COMMAND_LINE)
    package = (
        b'<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="p" version="1" '
        b'standard="NewsML-G2" standardversion="2.35"/>'
    )
    with pytest.raises(IngestError, match="packageItem only lists other items"):
        ingest_bytes(package, actor=COMMAND_LINE)
