"""Ingest: format detection, round trips through ninjs and NewsML-G2, IPTC's own examples,
idempotency by source id and version, and refusal of bad input with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khabar.articles.models import Article, Status
from khabar.articles.wire_import import import_stories, parse_file
from khabar.site.actors import COMMAND_LINE
from khabar.syndication.ingest import IngestError, detect_format, ingest_bytes, read_stories
from khabar.syndication.newsml import to_newsml
from khabar.syndication.ninjs import to_ninjs
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
WIRE = ROOT / "khabar" / "data" / "demo" / "wire-ar-moscow-2342.txt"
IPTC = Path(__file__).resolve().parent / "data" / "iptc"


def _same_story(a: Article, b: Article) -> None:
    assert b.pk != a.pk
    assert b.headline == a.headline
    assert (b.dateline_city, b.dateline_date, b.dateline_agency) == (
        a.dateline_city,
        a.dateline_date,
        a.dateline_agency,
    )
    assert b.paragraphs == a.paragraphs
    assert b.signoff_codes == a.signoff_codes
    assert b.lang == a.lang


def _wire_story() -> Article:
    make_section("ar", "world", "دولي")
    story = parse_file(WIRE, year=2023)
    [(article, outcome)] = import_stories(
        [("wire", story)], section=None, publish=True, actor=COMMAND_LINE
    )
    assert outcome == "created"
    return article


def test_it_round_trips_wire_text_through_ninjs():
    original = _wire_story()
    for version in ["3.1", "2.2", "1.6"]:
        data = json.dumps(to_ninjs(original, version)).encode()
        Article.objects.filter(source_id=f"http://127.0.0.1:8000/ar/news/{original.pk}/").delete()
        [result] = ingest_bytes(data, actor=COMMAND_LINE)
        assert result.outcome == "created"
        assert result.article.status == Status.SUBMITTED
        _same_story(original, result.article)
        assert result.article.section == original.section


def test_it_round_trips_wire_text_through_newsml():
    original = _wire_story()
    [result] = ingest_bytes(to_newsml(original), actor=COMMAND_LINE)
    assert result.outcome == "created"
    _same_story(original, result.article)


@pytest.mark.parametrize("lang,city,agency", [("en", "MOSCOW", "IRNA"), ("fa", "تهران", "ایرنا")])
def test_it_round_trips_other_editions(lang, city, agency):
    section = make_section(lang, "world", "World")
    original = make_article(
        section=section, lang=lang, dateline_city=city, dateline_agency=agency, body="One.\n\nTwo."
    )
    Article.objects.filter(pk=original.pk).update(source_id="x")
    [via_ninjs] = ingest_bytes(json.dumps(to_ninjs(original)).encode(), actor=COMMAND_LINE)
    _same_story(original, via_ninjs.article)
    [via_newsml] = ingest_bytes(to_newsml(original), actor=COMMAND_LINE)
    _same_story(original, via_newsml.article)


def test_it_keeps_sections_and_tags_of_its_own_scheme():
    from khabar.test import make_tag

    economy = make_section("ar", "economy", "اقتصاد")
    make_section("ar", "world", "دولي")
    original = make_article(section=economy, tags=[make_tag("نفط")])
    Article.objects.filter(pk=original.pk).update(source_id="x")
    [result] = ingest_bytes(json.dumps(to_ninjs(original)).encode(), actor=COMMAND_LINE)
    assert result.article.section == economy
    assert [t.name for t in result.article.tags.all()] == ["نفط"]


def test_it_is_idempotent_by_source_id_and_version(people):
    make_section("ar", "world", "دولي")
    original = make_article()
    doc = to_ninjs(original)
    doc["uri"] = "urn:partner:story:1"
    [first] = ingest_bytes(json.dumps(doc).encode(), publish=True, actor=COMMAND_LINE)
    assert (first.outcome, first.article.status) == ("created", Status.PUBLISHED)
    [again] = ingest_bytes(json.dumps(doc).encode(), publish=True, actor=COMMAND_LINE)
    assert (again.outcome, again.article.pk) == ("unchanged", first.article.pk)
    newer = {**doc, "version": "2", "headlines": [{"value": "عنوان مصحح"}], "edNote": "صحح"}
    [updated] = ingest_bytes(json.dumps(newer).encode(), publish=True, actor=COMMAND_LINE)
    assert updated.outcome == "updated"
    article = Article.objects.get(pk=first.article.pk)
    assert article.headline == "عنوان مصحح"
    assert article.status == Status.CORRECTED
    # The edNote is a note to the desk; readers get the neutral note until an editor writes one.
    assert [c.note for c in article.corrections.all()] == ["حدّثه المصدر."]
    [older] = ingest_bytes(json.dumps(doc).encode(), publish=True, actor=COMMAND_LINE)
    assert older.outcome == "ignored"
    assert Article.objects.get(pk=first.article.pk).headline == "عنوان مصحح"
    assert Article.objects.filter(source_id="urn:partner:story:1").count() == 1


def test_it_ingests_plain_wire_text():
    make_section("ar", "world", "دولي")
    [result] = ingest_bytes(WIRE.read_bytes(), actor=COMMAND_LINE)
    assert result.article.dateline_city == "موسكو"
    assert result.article.signoff == "2342"
    assert detect_format(WIRE.read_bytes()) == "wire"


NINJS = IPTC / "ninjs"
TEXT_EXAMPLES = [
    *sorted((NINJS / "doc-examples").glob("*/00[13457]_*.json")),
    NINJS / "examples" / "1.4" / "ninjsExMediumText1.json",
    NINJS / "examples" / "1.4" / "ninjsExComplex1.json",
    NINJS / "examples" / "2.1" / "ninjsExSimpleText_2.json",
    NINJS / "examples" / "3.0" / "ninjsExSimpleText_3.json",
    NINJS / "examples" / "3.0" / "businesswire-newsml-20130731006140.json",
    *(NINJS / "examples" / "3.0").glob("20231008-anti-doping*.json"),
    IPTC / "newsml-g2" / "examples" / "LISTING_2_NewsML-G2_Text_Document.xml",
    IPTC / "newsml-g2" / "examples" / "LISTING_22_Sports_story_in_NewsML-G2NITF.xml",
]


@pytest.mark.parametrize("path", TEXT_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_it_ingests_iptc_examples(path):
    make_section("en", "world", "World")
    make_section("ar", "world", "دولي")
    results = ingest_bytes(path.read_bytes(), actor=COMMAND_LINE)
    assert results and all(r.outcome == "created" for r in results)
    for result in results:
        assert result.article.headline and result.article.paragraphs


@pytest.mark.parametrize(
    "path,reason",
    [
        ("ninjs/doc-examples/3.1/006_photo_only.json", "an item of type picture is not a story"),
        ("ninjs/doc-examples/3.1/008_event.json", "an item of type event is not a story"),
        # Its vendor extension would be accepted; it has no headline, which is not.
        ("ninjs/doc-examples/not-valid/008_extension.json", "no headline"),
        ("newsml-g2/examples/LISTING_1_A_NewsML-G2_News_Item.xml", "no body text"),
        (
            "newsml-g2/examples/LISTING_26_Embedded_photo_metadata_fields_mapped_to_NewsML-G2.xml",
            "an item of type ninat:picture is not a story",
        ),
    ],
)
def test_it_refuses_iptc_examples_that_are_not_stories(path, reason):
    make_section("en", "world", "World")
    with pytest.raises(IngestError, match=reason):
        ingest_bytes((IPTC / path).read_bytes(), actor=COMMAND_LINE)
    assert Article.objects.count() == 0


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/">&x;</newsItem>"""
HTML = b"<!DOCTYPE html><html><head><title>Not a feed</title></head><body>hi</body></html>"


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"{not json", "invalid JSON"),
        (b'{"type": "text", "headlines": [{"value": "x"}]}', "no identifier"),
        (b'{"uri": "urn:x:1", "type": "text", "bodies": [{"value": "x"}]}', "no headline"),
        (b"<rss><channel><title>x</title>", "not well-formed XML"),
        (BOMB, "DTD"),
        (XXE, "DTD"),
        (HTML, "HTML page"),
        (
            b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"/>',
            "missing required field: itemMeta",
        ),
        (b"<svg/>", "unknown XML document"),
        (b"just some words without a dateline", "end marker"),
        (b'<rss version="2.0"><channel><title>t</title></channel></rss>', "no entries"),
    ],
)
def test_it_refuses_bad_input_with_a_reason(data, reason):
    make_section("ar", "world", "دولي")
    with pytest.raises(IngestError, match=reason):
        ingest_bytes(data, actor=COMMAND_LINE)
    assert Article.objects.count() == 0


def test_it_refuses_a_file_over_the_limit():
    with pytest.raises(IngestError, match="too large"):
        read_stories(b" " * (50 * 1024 * 1024))


def test_it_writes_nothing_when_one_story_of_a_document_fails():
    make_section("ar", "world", "دولي")
    good = to_ninjs(make_article())
    good["uri"] = "urn:partner:good"
    bad = {**good, "uri": "urn:partner:bad", "headlines": [{"value": "x" * 400}]}
    with pytest.raises(IngestError, match="headline"):
        ingest_bytes(json.dumps([good, bad]).encode(), actor=COMMAND_LINE)
    assert not Article.objects.filter(source_id__startswith="urn:partner:").exists()


def test_it_reads_an_rss_feed_with_full_text(client):
    make_section("ar", "world", "دولي")
    make_article()
    feed = client.get("/ar/feed/rss.xml").content
    assert detect_format(feed) == "feed"
    Article.objects.update(source_id="original")
    [result] = ingest_bytes(feed, actor=COMMAND_LINE)
    original = Article.objects.get(source_id="original")
    copy = result.article
    assert (copy.headline, copy.paragraphs) == (original.headline, original.paragraphs)
    assert (copy.dateline_city, copy.dateline_agency) == ("موسكو", "ارنا")
    # A feed carries no year for the dateline: its day and month are kept.
    assert copy.dateline_date.timetuple()[1:3] == original.dateline_date.timetuple()[1:3]


# DOCTYPE: named DTDs accepted and never read; declarations of one's own refused -----------

NITF_WITH = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}
<nitf version="-//IPTC//DTD NITF 3.3//EN" xml:lang="en">
  <head><title>Caf&eacute; owners protest new rules</title>
    <docdata><doc-id id-string="doctype-1"/><date.issue norm="20240130T101500Z"/></docdata>
  </head>
  <body><body.head><hedline><hl1>Caf&eacute; owners protest new rules</hl1></hedline>
    <dateline><location><city>PARIS</city></location></dateline></body.head>
    <body.content><p>Caf&eacute; owners marched on Tuesday&nbsp;&mdash; against the rules.</p>
    </body.content></body>
</nitf>"""


@pytest.fixture
def dtd_server():
    from tests.test_ingest_providers import Server

    running = Server()
    running.seen = []
    handler = running.httpd.RequestHandlerClass
    original = handler.do_GET

    def record(self):
        running.seen.append(self.path)
        original(self)

    handler.do_GET = record
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE nitf SYSTEM "nitf-3-3.dtd">',
        '<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.3//EN" "nitf-3-3.dtd">',
        "<!DOCTYPE nitf SYSTEM 'http://www.iptc.org/std/NITF/3.3/nitf-3-3.dtd'>",
    ],
)
def test_it_reads_nitf_that_names_its_dtd_with_html_character_entities(doctype):
    make_section("en", "world", "World")
    [result] = ingest_bytes(NITF_WITH.format(doctype=doctype).encode(), actor=COMMAND_LINE)
    story = Article.objects.get(pk=result.article.pk)
    assert story.headline == "Café owners protest new rules"
    assert story.paragraphs == ["Café owners marched on Tuesday — against the rules."]


def test_it_never_reads_the_dtd_a_document_names_from_disk_or_network(tmp_path, dtd_server):
    # Were either DTD read, "é" would come out as the DTD's text and the server see a GET.
    dtd = tmp_path / "nitf-3-3.dtd"
    dtd.write_text('<!ENTITY eacute "READ-FROM-DISK"><!ENTITY mdash "READ-FROM-DISK">')
    dtd_server.routes["/nitf.dtd"] = (200, {}, b'<!ENTITY eacute "READ-FROM-NETWORK">')
    make_section("en", "world", "World")
    for system_id in (dtd.as_uri(), str(dtd), dtd_server.url("/nitf.dtd")):
        doc = NITF_WITH.format(doctype=f'<!DOCTYPE nitf SYSTEM "{system_id}">')
        [result] = ingest_bytes(doc.encode(), actor=COMMAND_LINE)
        story = Article.objects.get(pk=result.article.pk)
        assert story.headline == "Café owners protest new rules"
        assert "READ-FROM" not in " ".join(story.paragraphs)
    assert dtd_server.seen == []


def test_it_refuses_an_entity_only_a_dtd_could_define():
    doc = NITF_WITH.format(doctype='<!DOCTYPE nitf SYSTEM "nitf-3-3.dtd">')
    with pytest.raises(IngestError, match=r"&agency-name; which only its DTD defines"):
        read_stories(doc.replace("Tuesday", "&agency-name;").encode())


def test_it_refuses_declarations_in_a_doctype_and_reads_nothing(tmp_path, dtd_server):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    dtd_server.routes["/evil.dtd"] = (200, {}, b'<!ENTITY x "READ-FROM-NETWORK">')
    evil = dtd_server.url("/evil.dtd")
    attacks = [
        (BOMB, "entity declarations"),
        (XXE, "entity declarations"),
        (
            f'<!DOCTYPE nitf [<!ENTITY x SYSTEM "{secret.as_uri()}">]><nitf>&x;</nitf>',
            "entity declarations",
        ),
        (  # an out-of-band XXE: a parameter entity fetching a DTD from elsewhere
            f'<!DOCTYPE nitf [<!ENTITY % ext SYSTEM "{evil}"> %ext;]><nitf>&x;</nitf>',
            "entity declarations",
        ),
        ('<!DOCTYPE nitf SYSTEM "nitf.dtd" [<!ELEMENT nitf ANY>]><nitf/>', "internal subset"),
        ('<!DOCTYPE nitf SYSTEM "a.dtd"><!DOCTYPE nitf SYSTEM "b.dtd"><nitf/>', "DTD"),
    ]
    make_section("en", "world", "World")
    for data, reason in attacks:
        data = data.encode() if isinstance(data, str) else data
        with pytest.raises(IngestError, match=reason) as refused:
            ingest_bytes(data, actor=COMMAND_LINE)
        assert "TOP-SECRET" not in str(refused.value)
        # In UTF-16 the same document is refused just the same.
        with pytest.raises(IngestError, match=reason):
            read_stories(data.decode().encode("utf-16"))
    assert dtd_server.seen == []
    assert Article.objects.count() == 0
