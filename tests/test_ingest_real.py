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


# Real documents (tests/data/agencies/real: superdesk-core's fixtures, see the README) -----

REAL = CORPUS / "real"


def _real(name: str) -> bytes:
    return (REAL / name).read_bytes()


REAL_STORIES = {
    "superdesk-reuters-g2-L4N1FL0N0.xml": {
        "format": ("newsml", "NewsML-G2 2.10"),
        "source": ("tag:reuters.com,0000:newsml_L4N1FL0N0", 1132689232),
        "headline": "PRECIOUS-Gold rises as Trump policy fuels safe haven demand",
        "summary": "",
        # <creator literal="Reuters"/> names only the agency: the writer is in the copy.
        "byline": "Arpan Varghese",
        # "Jan 30 (Reuters) -" names no city; "—" is the stored stand-in for none.
        "dateline": ("—", "Reuters", datetime.date(2017, 1, 30)),
        "urgency": 3,
        "priority": 3,
        "section": "business",
        "tags": set(),
        "genre": "Market Reports",
        "schema_valid": True,
        "paragraphs": 16,
        "first": "• Spot gold may edge up to $1,205 per ounce- technicals",
        "lead": "Gold rose on Tuesday on increased safe haven demand as U.S. President Donald "
        "Trump's tough stance on immigration rattled global markets, with prices finding "
        "further support from a weaker dollar.",
        "last": "(Reporting by Arpan Varghese in Bengaluru; Editing by Joseph Radford and "
        "Richard Pullin)",
        "desk_note": "(Adds comments, detail)",
    },
    "superdesk-ap-nitf.xml": {
        "format": ("nitf", "NITF 3.4"),
        # <doc-id regsrc="AP"/> has no id-string: the id is derived, the same every time.
        "source": ("nitf:AP:786042ce9596a58c1644", 1),
        "headline": "Can trading pollution like stocks help fight climate change?",
        "summary": "",
        "byline": "BERNARD CONDON, AP Business Writer",
        "dateline": ("NEW YORK", "AP", datetime.date(2015, 12, 10)),
        "urgency": 5,
        "priority": None,
        "section": "world",
        "tags": set(),
        "genre": "",
        "schema_valid": None,
        "paragraphs": 28,
        "first": "The gas produced by hog manure at farms across the U.S. punches holes in the "
        "ozone layer, overheats the planet, and angers neighbors with its peculiar odor, a mix "
        "of rotten egg and ammonia.",
        "last": "Bernard Condon can be reached at http://twitter.com/BernardFCondon . His work "
        "can be found at http://www.bigstory.ap.org/content/bernard-condon .",
        "desk_note": "For global distribution",
    },
    "superdesk-efe-nitf.xml": {
        "format": ("nitf", "NITF 3.2"),
        "source": ("22751909", 1),
        "headline": "Honduran president announces Cabinet changes",
        "summary": "Test Abstract",
        "subheadline": "HONDURAS GOVERNMENT",
        "byline": "gr/bp",
        "dateline": ("Tegucigalpa", "EFE", datetime.date(2017, 1, 2)),
        "urgency": 5,
        "priority": 5,
        "section": "world",
        "tags": {"Government", "HONDURAS GOVERNMENT"},
        "genre": "News",
        "schema_valid": None,
        "paragraphs": 1,
        "first": "Test body.",
        "last": "Test body.",
        "desk_note": "",
    },
    "superdesk-ap-anpa-1.tst": {
        "format": ("anpa", "ANPA-1312"),
        # The slug without its version; "1stLd-Writethru" is the second version.
        "source": ("anpa:BC-BKN--Heat-Hawks", 2),
        "headline": "Deng has 30 points, short-handed Heat beat Hawks 115-111",
        "summary": "Luol Deng scored 30 points and Josh McRoberts had 19 — season highs for "
        "each player — and the Miami Heat, playing without All-Stars Dwyane Wade and Chris "
        "Bosh, beat the Atlanta Hawks 115-111 on Friday night. Wade was ruled out about an hour "
        "before the game due to soreness in the back of his left knee.",
        "byline": "CHARLES ODUM, AP Sports Writer",
        # The date of the end stamp "AP-WF-02-20-16 0337GMT".
        "dateline": ("ATLANTA", "AP", datetime.date(2016, 2, 20)),
        "urgency": 5,
        "priority": 5,
        "section": "world",
        "tags": set(),
        "genre": "",
        "schema_valid": None,
        "paragraphs": 19,
        "first": "Luol Deng scored 30 points and Josh McRoberts had 19 — season highs for each "
        "player — and the Miami Heat, playing without All-Stars Dwyane Wade and Chris Bosh, beat "
        "the Atlanta Hawks 115-111 on Friday night.",
        "contains": [
            "“I gave it a couple days to see if it would go away,” Wade said. “It didn't, so I "
            "just want to go back and get another, second opinion. But it's nothing I'm overly "
            "concerned about. It's just some soreness I haven't felt in a while so I just want "
            "to make sure everything's good.”",
            "TIP-INS",
        ],
        "last": "Hawks: Host Milwaukee on Saturday night.",
        "desk_note": "AP Photo GATK105, GATK106, GATK103, GATK107, GATK104, GATK102\n\n"
        "Eds: Heat 115, Hawks 111. Updates. With AP Photos.",
    },
    "superdesk-pa-nitf.xml": {
        "format": ("nitf", "NITF 3.1"),
        "source": ("af1f7ad5-5619-49de-84cc-2e608538c77fSSS-3-1", 1),
        "headline": "PA SPORT TRIVIA (OCTOBER 14)",
        "summary": "ON THIS DAY IN SPORT",
        "byline": "",
        # No dateline in the document: no city ("—" stands for none), the issue date.
        "dateline": ("—", "PA Sport", datetime.date(2015, 10, 14)),
        "urgency": 3,
        "priority": 4,
        # One economy code, then lifestyle and two sport codes: the topic named most wins.
        "section": "sport",
        "tags": {"Trivia (Oct 14)"},
        "genre": "",
        "schema_valid": None,
        "paragraphs": 42,
        "first": "ON THIS DAY IN SPORT",
        # <person>, <org> and <location> inside the copy leave their text, nothing else.
        "lead": "2000: Jim McLean resigned as chairman and managing director of Dundee United "
        "following the fall-out from a violent altercation with a television reporter during a "
        "live interview.",
        "contains": ["BIRTHDAYS", "PA SPORT QUIZ"],
        # PA's end mark "ends" is taken off.
        "last": "Answers: 1. Al-Saadi Gaddafi; 2. 2003; 3. South Africa 96 Wales 13; 4. Oslo; "
        "5. Barry Manilow.",
        "desk_note": "",
    },
}


@pytest.mark.parametrize("name", sorted(REAL_STORIES))
def test_it_ingests_every_real_text_item_in_an_editions_language_field_by_field(name):
    _sections()
    want = REAL_STORIES[name]
    data = _real(name)
    assert detect_format(data) == want["format"][0]
    [result] = ingest_bytes(data, actor=COMMAND_LINE, publish=True)
    assert result.outcome == "created"
    story = Article.objects.get(pk=result.article.pk)
    assert (story.lang, story.status) == ("en", Status.PUBLISHED)
    assert (story.source_id, story.source_version) == want["source"]
    assert story.headline == want["headline"]
    assert story.summary == want["summary"]
    assert story.byline == want["byline"]
    city, agency, date = want["dateline"]
    assert (story.dateline_city, story.dateline_agency, story.dateline_date) == (
        city,
        agency,
        date,
    )
    assert story.urgency == want["urgency"]
    assert story.section.slug == want["section"]
    assert {t.name for t in story.tags.all()} == want["tags"]
    paragraphs = story.paragraphs
    assert len(paragraphs) == want["paragraphs"], paragraphs
    assert paragraphs[0] == want["first"]
    assert paragraphs[-1] == want["last"]
    if "lead" in want:
        assert paragraphs[3] == want["lead"]
    for text in want.get("contains", []):
        assert text in paragraphs
    for paragraph in paragraphs:
        # No markup, no <br> soup, no dateline or byline left in the copy, no end stamp.
        assert "<" not in paragraph and "&lt;" not in paragraph and "\n" not in paragraph
        assert not paragraph.startswith(("By ", f"{city} (", f"{city},", "Jan 30 (Reuters)"))
        assert f"({agency}) " not in paragraph[:60]
        assert " _ " not in paragraph and "``" not in paragraph and "AP-WF-" not in paragraph
    record = IngestRecord.objects.get(article=story)
    assert (record.source_id, record.source_version) == want["source"]
    assert record.format == want["format"][1]
    assert record.schema_valid is want["schema_valid"]
    assert record.subheadline == want.get("subheadline", "")
    assert record.genre == want["genre"]
    assert record.priority == want["priority"]
    assert record.pub_status == "usable"
    assert record.desk_note == want["desk_note"]
    assert not story.corrections.exists()
    # Sent again: the same story, nothing changes.
    [again] = ingest_bytes(data, actor=COMMAND_LINE, publish=True)
    assert (again.outcome, again.article.pk) == ("unchanged", story.pk)


REAL_FOREIGN = {
    "superdesk-ansa-g2-text.xml": {
        "lang": "it",
        "headline": "Catalan independence declaration unacceptable - Alfano",
        "summary": "Foreign minister expresses faith in Spanish government",
        "byline": "VRG",
        "city": "Rome",
        "date": datetime.date(2017, 10, 11),
        "paragraphs": 4,
        # "(ANSA) - Rome, October 11 - " is taken off; the wrapped lines are joined.
        "first": "Italian Foreign Minister Angelino Alfano has said that the Catalan "
        "independence declaration is unacceptable.",
        "desk_note": "",
        "format": "NewsML-G2 2.4",
    },
    "superdesk-stt-g2-note.xml": {
        "lang": "fi",
        "headline": "Jussi Niinistö: Ylen tiedoissa voi olla kyse informaatio-operaatiosta",
        "summary": "",
        "byline": "ANTTI AUTIO, HETA HASSINEN",
        "city": "",
        "date": datetime.date(2017, 1, 31),
        "paragraphs": 20,
        "first": "Ministerin mukaan Puolustusvoimat ei rajoita kaksoiskansalaisten ottamista "
        "töihin",
        "desk_note": "2. väliotsikon jälkeen 2. kpl. puolustusministeriössä po. "
        "Puolustusvoimissa\n\nKorjattu aiempaa uutista: Ylen juttu perustuu Puolustusvoimissa "
        "merkittävässä asemassa olevaan lähteeseen, ei puolustusministeriössä kuten aiemmin "
        "kerroimme.",
        "format": "NewsML-G2 2.12",
        "tags": [
            "Politiikka",
            "Työelämä",
            "Työntekijät",
            "Puolustus",
            "Puolustusvoimat",
            "Julkinen hallinto",
            "Kansalaisten turvallisuus",
        ],
    },
    "superdesk-afp-newsml12.xml": {
        "lang": "fr",
        # Declared iso-8859-1, sent as UTF-8: read as what it is, not as "DÃ©cÃ¨s".
        "headline": "Décès de Naomi Musenga: l'opératrice du Samu définitivement condamnée",
        "summary": "",
        "byline": "",
        "city": "Strasbourg",
        "date": datetime.date(2024, 7, 10),
        "paragraphs": 11,
        "first": "L'opératrice du Samu condamnée pour non-assistance à personne en danger "
        "après avoir raillé au téléphone Naomi Musenga, jeune femme de 22 ans décédée peu après "
        "à l'hôpital, a décidé de ne pas faire appel, s'est félicité mercredi l'avocat de la "
        "famille Musenga.",
        "desk_note": "",
        "format": "NewsML 1.2",
    },
}


@pytest.mark.parametrize("name", sorted(REAL_FOREIGN))
def test_it_sends_a_real_item_in_a_language_with_no_edition_to_the_desk_field_by_field(name):
    _sections()
    want = REAL_FOREIGN[name]
    [result] = ingest_bytes(_real(name), actor=COMMAND_LINE, publish=True)
    assert result.outcome == "incoming"
    assert not Article.objects.exists()
    item = ForeignItem.objects.get()
    assert (item.lang, item.direction, item.format) == (want["lang"], "ltr", want["format"])
    assert item.headline == want["headline"]
    assert item.summary == want["summary"]
    assert item.byline == want["byline"]
    assert (item.dateline_city, item.dateline_date) == (want["city"], want["date"])
    assert item.desk_note == want["desk_note"]
    assert item.tag_names[: len(want.get("tags", []))] == want.get("tags", [])
    assert len(item.paragraphs) == want["paragraphs"], item.paragraphs
    assert item.paragraphs[0] == want["first"]
    for paragraph in item.paragraphs:
        assert "<" not in paragraph and "Ã" not in paragraph and "\n" not in paragraph
    ingest_bytes(_real(name), actor=COMMAND_LINE)
    assert ForeignItem.objects.count() == 1


REAL_NOTES = {
    "superdesk-reuters-g2-L4N1FL0N0.xml": "(Adds comments, detail)",
    "superdesk-ap-nitf.xml": "For global distribution",
    "superdesk-ap-anpa-1.tst": "Eds: Heat 115, Hawks 111",
}


def _outputs(client, story: Article) -> list:
    from khabar.site.actors import system
    from khabar.syndication.actions import create_partner_token

    reader = Partner.objects.create(name=f"reader partner {story.pk}")
    _token, raw = create_partner_token(reader, actor=system("test"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    prefix = f"/{story.lang}"
    return [
        client.get(story.get_absolute_url()),
        client.get(f"{prefix}/feed/rss.xml"),
        client.get(f"{prefix}/feed/atom.xml"),
        client.get(f"/api/v1/ninjs/{story.pk}", **auth),
        client.get(f"/api/v1/ninjs/{story.pk}?ninjs=1.6", **auth),
        client.get(f"/api/v1/newsml/{story.pk}", **auth),
    ]


@pytest.mark.parametrize("name", sorted(REAL_NOTES))
def test_it_never_lets_a_real_note_to_editors_reach_readers_feeds_or_partners(client, name):
    _sections()
    [result] = ingest_bytes(_real(name), actor=COMMAND_LINE, publish=True)
    story = result.article
    secret = REAL_NOTES[name]
    assert secret in IngestRecord.objects.get(article=story).desk_note
    pages = _outputs(client, story)
    for page in pages:
        assert page.status_code == 200, page
        assert secret not in page.content.decode()
    assert story.headline in pages[0].content.decode()
    assert story.headline in pages[3].content.decode()


FOREIGN_NOTES = {
    "superdesk-stt-g2-note.xml": ["2. väliotsikon jälkeen", "Korjattu aiempaa uutista"],
    "superdesk-ritzau-ednote.xml": ["Corendon-Circus", "udland@ritzau.dk"],
}


@pytest.mark.parametrize("name", sorted(FOREIGN_NOTES))
def test_it_keeps_a_foreign_items_notes_off_a_published_translation(client, people, name):
    from khabar.articles.actions import publish_article
    from khabar.syndication.actions import start_foreign_translation

    _sections()
    ingest_bytes(_real(name), actor=COMMAND_LINE)
    item = ForeignItem.objects.get()
    assert FOREIGN_NOTES[name][0] in item.desk_note
    draft = start_foreign_translation(item, lang="ar", actor=people["editor"])
    story = publish_article(draft, actor=people["editor"])
    story = Article.objects.get(pk=draft.pk)
    assert story.status == Status.PUBLISHED
    assert not story.corrections.exists()
    for page in _outputs(client, story):
        assert page.status_code == 200, page
        body = page.content.decode()
        # Neither STT's private note nor its "public" one (a correction note readers see
        # is written by an editor here); neither Ritzau's note nor its writer's e-mail.
        for secret in FOREIGN_NOTES[name]:
            assert secret not in body


def test_it_refuses_a_bbc_advisory_saying_it_is_not_a_story():
    # The envelope ({total, limit, offset, item: [...]}) is taken off; what is inside is an
    # advisory to editors, not a story for readers.
    _sections()
    with pytest.raises(IngestError, match="an item of type advisory is not a story"):
        ingest_bytes(_real("superdesk-bbc-ninjs-text.json"), actor=COMMAND_LINE)
    assert not Article.objects.exists() and not ForeignItem.objects.exists()


def test_it_reads_ritzaus_own_xml_into_the_desk_queue_with_its_note_kept_private():
    _sections()
    data = _real("superdesk-ritzau-ednote.xml")
    assert detect_format(data) == "ritzau"
    [result] = ingest_bytes(data, actor=COMMAND_LINE, publish=True)
    assert result.outcome == "incoming"
    assert not Article.objects.exists()
    item = ForeignItem.objects.get()
    assert (item.lang, item.direction, item.format) == ("da", "ltr", "Ritzau RBNews")
    assert item.source_id == "ritzau:9a6955fc-11da-46b6-9903-439ebb288f2d"
    # A flash with no headline (<headline i:nil="true"/>): its first sentence, cut short.
    assert item.headline == (
        'Hollandske forskere har "i årevis" lavet forsøg på både mennesker og dyr, hvor de har '
        "testet effekten af at indånde…"
    )
    assert item.byline == "Peder Top Poulsen"
    assert (item.dateline_city, item.dateline_date) == ("Haag", datetime.date(2018, 1, 30))
    assert item.provider == "Ritzau"
    assert item.tag_names == ["Udland"]
    assert item.paragraphs == [
        'Hollandske forskere har "i årevis" lavet forsøg på både mennesker og dyr, hvor de har '
        "testet effekten af at indånde udstødningsgas fra dieselbiler.",
        "Det fortæller forskerne selv til nyhedsbureauet AFP.",
        "Historien kommer frem på et tidspunkt, hvor tyske bilfabrikanter er udsat for massiv "
        "kritik, fordi de har finansieret lignende forsøg.",
    ]
    # TilRedaktionen is the desk's; the writer's e-mail and phone are kept nowhere.
    assert "Lasse Norman Hansen skifter til Corendon-Circus." in item.desk_note
    assert "Corendon" not in item.body
    stored = " ".join(str(v) for v in ForeignItem.objects.values().get().values())
    assert "udland@ritzau.dk" not in stored and "33300412" not in stored


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [("latin-1", "iso-8859-1"), ("utf-8", "iso-8859-1"), ("cp1252", "windows-1252")],
)
def test_it_reads_a_document_in_the_encoding_its_bytes_are_in(encoding, declared):
    # AFP's afp20.xml declares iso-8859-1 and is UTF-8; a document really in Latin-1 must
    # still be read as Latin-1.
    text = (
        f'<?xml version="1.0" encoding="{declared}"?>'
        '<nitf><head><docdata><doc-id id-string="x1"/></docdata></head><body><body.head>'
        "<hedline><hl1>Décès à Strasbourg</hl1></hedline></body.head><body.content>"
        "<p>L'opératrice a été condamnée.</p></body.content></body></nitf>"
    )
    [story] = read_stories(text.encode(encoding))
    assert story.headline == "Décès à Strasbourg"
    assert story.body == ["L'opératrice a été condamnée."]


def test_it_opens_a_story_whose_source_named_no_place_with_the_date_alone(client):
    """Reuters' "Jan 30 (Reuters) -" names no city: the reader sees the date and the agency,
    never a dash standing in for the city."""
    _sections()
    [result] = ingest_bytes(
        _real("superdesk-reuters-g2-L4N1FL0N0.xml"), actor=COMMAND_LINE, publish=True
    )
    page = client.get(result.article.get_absolute_url()).content.decode()
    assert "Jan. 30 (Reuters) -" in page
    assert "—, Jan. 30" not in page
