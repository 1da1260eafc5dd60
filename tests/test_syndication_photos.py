"""Photos travel with the story: ninjs associations, NewsML-G2 links, Open Graph, JSON-LD, RSS
and Atom enclosures out; pictures supplied alongside ninjs and NewsML-G2 in."""

from __future__ import annotations

import json
import logging
from io import StringIO
from pathlib import Path

import feedparser
import pytest
from django.core.management import call_command
from lxml import etree, html

from khabar.articles.models import Article
from khabar.photos import actions as photo_actions
from khabar.photos.models import Photo, Role, StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.site import actors
from khabar.syndication.ingest import IngestError, ingest_bytes
from khabar.syndication.newsml import NAR, to_newsml
from khabar.syndication.newsml import schema_errors as newsml_errors
from khabar.syndication.ninjs import schema_errors as ninjs_errors
from khabar.syndication.ninjs import to_ninjs
from khabar.syndication.photos import basename
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
N = {"n": NAR}
DATA = Path(__file__).resolve().parent / "data" / "photos"
TESTS = actors.system("tests")
CAPTION = "متظاهرون يرفعون الأعلام في ساحة آزادي بطهران"
CREDIT = "أحمد الحسيني"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def illustrated(gallery: int = 0, **fields) -> Article:
    """A published story with the Arabic IPTC photo as its lead and ``gallery`` more."""
    story = make_article(**fields)
    lead = photo_actions.upload_photo((DATA / "arabic-iptc.jpg").read_bytes(), actor=TESTS)
    photo_actions.attach_photo(story, lead, actor=TESTS)
    for seed in range(gallery):
        extra = photo_actions.upload_photo(sample_jpeg(900, 600, seed=40 + seed), actor=TESTS)
        photo_actions.attach_photo(story, extra, actor=TESTS, role=Role.GALLERY, position=seed + 1)
    return Article.objects.get(pk=story.pk)


# Out: ninjs --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.1", "2.2", "1.6"])
def test_it_associates_the_photos_valid_against_the_official_schema(version):
    doc = to_ninjs(illustrated(gallery=1), version)
    assert ninjs_errors(doc, version) == []
    assert "associations" in doc


def test_it_describes_the_lead_picture_in_ninjs_3_1():
    story = illustrated(gallery=1)
    lead_photo = story.story_photos.get(role=Role.LEAD).photo
    [lead, gallery] = to_ninjs(story)["associations"]
    assert (lead["name"], lead["rel"], lead["type"]) == ("lead", "lead", "picture")
    assert lead["uri"] == f"urn:newsml:127.0.0.1:photo:{lead_photo.pk}"
    assert lead["descriptions"] == [{"role": "caption", "value": CAPTION}]
    assert lead["by"] == CREDIT
    assert lead["copyrightHolder"] == "وكالة خبر"
    assert lead["copyrightNotice"] == "© وكالة خبر"
    largest = max(
        (r for r in lead["renditions"] if r["contentType"] == "image/jpeg"),
        key=lambda r: r["width"],
    )
    assert (largest["width"], largest["height"]) == (1280, 720)
    assert largest["href"].startswith("http://127.0.0.1:8000/media/photos/r/")
    assert largest["sizeInBytes"] > 0
    assert {r["contentType"] for r in lead["renditions"]} == {"image/jpeg", "image/webp"}
    assert (gallery["name"], gallery["rel"]) == ("gallery_1", "gallery")


def test_it_uses_the_older_spellings_in_ninjs_2_2_and_1_6():
    story = illustrated()
    [lead] = to_ninjs(story, "2.2")["associations"]
    assert lead["copyrightholder"] == "وكالة خبر" and "rel" not in lead
    assert {"contenttype", "sizeinbytes"} <= set(lead["renditions"][0])
    old = to_ninjs(story, "1.6")["associations"]["lead"]
    assert old["description_caption"] == CAPTION and old["byline"] == CREDIT
    assert old["renditions"]["jpeg_1280"]["mimetype"] == "image/jpeg"


def test_it_leaves_associations_out_without_photos():
    story = make_article()
    for version in ["3.1", "2.2", "1.6"]:
        assert "associations" not in to_ninjs(story, version)


def test_it_lists_illustrated_stories_over_http_in_a_fixed_number_of_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        illustrated(gallery=1)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/ninjs")
        counts.append(len(queries))
        for doc in response.json()["items"]:
            assert ninjs_errors(doc, "3.1") == []
            assert doc["associations"][0]["rel"] == "lead"
    assert counts[0] == counts[1]


# Out: NewsML-G2 ----------------------------------------------------------------------------


def test_it_links_the_pictures_from_the_news_item():
    story = illustrated(gallery=1)
    root = etree.fromstring(to_newsml(story))
    assert newsml_errors(root) == []
    links = root.findall("n:itemMeta/n:link[@rel='irel:associatedWith']", N)
    assert [link.get("rank") for link in links] == ["1", "2"]
    lead = links[0]
    photo = story.story_photos.get(role=Role.LEAD).photo
    assert lead.get("residref") == f"urn:newsml:127.0.0.1:photo:{photo.pk}"
    assert lead.get("contenttype") == "image/jpeg"
    assert lead.get("href").endswith(".jpg")
    assert int(lead.get("size")) > 0
    assert lead.get("title") == CAPTION


# Out: the story page -----------------------------------------------------------------------


def _head(client, story):
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    page = html.fromstring(response.content)

    def meta(attr, name):
        return [m.get("content") for m in page.xpath(f'//head/meta[@{attr}="{name}"]')]

    [jsonld] = page.xpath('//script[@type="application/ld+json"]/text()')
    return meta, json.loads(jsonld)


def test_it_shows_the_lead_photo_to_social_sites_and_search_engines(client):
    story = illustrated(gallery=1)
    meta, jsonld = _head(client, story)
    [url] = meta("property", "og:image")
    assert url.startswith("http://127.0.0.1:8000/media/photos/r/") and url.endswith(".jpg")
    assert meta("property", "og:image:width") == ["1280"]
    assert meta("property", "og:image:height") == ["720"]
    assert meta("property", "og:image:type") == ["image/jpeg"]
    assert meta("property", "og:image:alt") == [CAPTION]
    assert meta("name", "twitter:card") == ["summary_large_image"]
    assert meta("name", "twitter:image") == [url]
    image = jsonld["image"]
    assert image["@type"] == "ImageObject"
    assert (image["url"], image["width"], image["height"]) == (url, 1280, 720)
    assert image["caption"] == CAPTION
    assert image["creditText"] == CREDIT
    assert image["copyrightHolder"]["name"] == "وكالة خبر"


def test_it_keeps_the_small_card_without_a_photo(client):
    meta, jsonld = _head(client, make_article())
    assert meta("property", "og:image") == []
    assert meta("name", "twitter:card") == ["summary"]
    assert "image" not in jsonld


# Out: feeds --------------------------------------------------------------------------------


def test_it_encloses_the_lead_photo_in_rss_and_atom(client):
    story = illustrated(gallery=1)
    bare = make_article(section=story.section)
    lead = story.story_photos.get(role=Role.LEAD).photo
    largest = lead.renditions.get(format="jpeg", width=1280)
    for url in ["/ar/feed/rss.xml", "/ar/feed/atom.xml"]:
        response = client.get(url)
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        entries = {e.id: e for e in feed.entries}
        [enclosure] = entries[f"http://127.0.0.1:8000/ar/news/{story.pk}/"].enclosures
        assert enclosure.href == "http://127.0.0.1:8000" + largest.url
        assert enclosure.type == "image/jpeg"
        assert int(enclosure.length) == largest.file_size
        assert entries[f"http://127.0.0.1:8000/ar/news/{bare.pk}/"].enclosures == []
    atom = etree.fromstring(client.get("/ar/feed/atom.xml").content)
    links = atom.findall(".//{http://www.w3.org/2005/Atom}link[@rel='enclosure']")
    assert [link.get("length") for link in links] == [str(largest.file_size)]


def test_it_lists_illustrated_feeds_in_a_fixed_number_of_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        illustrated(gallery=1)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/ar/feed/rss.xml").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# In ----------------------------------------------------------------------------------------


def _as_partner_document(story: Article, version: str = "3.1") -> tuple[bytes, dict[str, bytes]]:
    """The story as another agency would send it, with the files its pictures name."""
    doc = to_ninjs(story, version)
    doc["uri"] = f"urn:partner:{version}:{story.pk}"
    files = {}
    for photo_link in story.story_photos.all():
        for rendition in photo_link.photo.renditions.all():
            files[basename(rendition.file.name)] = rendition.file.read()
    return json.dumps(doc).encode(), files


@pytest.mark.parametrize("version", ["3.1", "2.2", "1.6"])
def test_it_ingests_the_pictures_supplied_with_ninjs(version):
    story = illustrated(gallery=1)
    data, files = _as_partner_document(story, version)
    [result] = ingest_bytes(data, files=files, actor=TESTS)
    assert result.outcome == "created"
    links = list(StoryPhoto.objects.filter(article=result.article).order_by("role"))
    assert [link.role for link in links] == ["gallery", "lead"]
    lead = links[1].photo
    assert lead.caption == CAPTION
    assert lead.credit == CREDIT
    assert lead.copyright_holder == "وكالة خبر"
    assert lead.width == 1280  # the largest rendition sent was kept
    assert [p.outcome for p in result.photos] == ["stored", "stored"]
    # The same document again changes nothing.
    [again] = ingest_bytes(data, files=files, actor=TESTS)
    assert again.outcome == "unchanged"
    assert StoryPhoto.objects.filter(article=result.article).count() == 2


def test_it_ingests_a_story_whose_picture_was_not_supplied(caplog):
    data, _files = _as_partner_document(illustrated())
    with caplog.at_level(logging.INFO, logger="khabar.syndication.ingest"):
        [result] = ingest_bytes(data, files={}, actor=TESTS)
    assert result.outcome == "created"
    assert not StoryPhoto.objects.filter(article=result.article).exists()
    assert [p.outcome for p in result.photos] == ["missing"]
    assert "not supplied" in caplog.text


def test_it_refuses_a_bad_picture_and_writes_nothing(media):
    story = illustrated()
    data, files = _as_partner_document(story)
    before = (Article.objects.count(), Photo.objects.count(), len(stored_files(media)))
    bad = {name: (DATA / "truncated.jpg").read_bytes() for name in files}
    with pytest.raises(IngestError, match=r"picture .* is refused: "):
        ingest_bytes(data, files=bad, actor=TESTS)
    after = (Article.objects.count(), Photo.objects.count(), len(stored_files(media)))
    assert after == before


def _newsml_message(story: Article) -> tuple[bytes, dict[str, bytes]]:
    """A newsMessage with the story and its lead as a picture item with remote content."""
    item = etree.fromstring(to_newsml(story))
    item.set("guid", f"urn:partner:g2:{story.pk}")
    link = item.find("n:itemMeta/n:link[@rel='irel:associatedWith']", N)
    photo = story.story_photos.get(role=Role.LEAD).photo
    picture_guid = link.get("residref")
    link.attrib.pop("href")
    link.attrib.pop("title")
    renditions = list(photo.renditions.filter(format="jpeg").order_by("width"))
    remote = "".join(
        f'<remoteContent href="https://partner.example/p/{basename(r.file.name)}" '
        f'contenttype="image/jpeg" width="{r.width}" height="{r.height}"/>'
        for r in renditions
    )
    picture = f"""<newsItem xmlns="{NAR}" guid="{picture_guid}" version="1" standard="NewsML-G2"
      standardversion="2.35" conformance="power">
      <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"/>
      <rightsInfo><copyrightHolder><name>وكالة شريكة</name></copyrightHolder></rightsInfo>
      <itemMeta><itemClass qcode="ninat:picture"/><provider literal="partner"/>
        <versionCreated>2023-10-26T09:00:00Z</versionCreated><pubStatus qcode="stat:usable"/>
      </itemMeta>
      <contentMeta><creditline>مصور الشريك</creditline>
        <description role="drol:caption">تعليق الشريك</description></contentMeta>
      <contentSet>{remote}</contentSet></newsItem>"""
    message = etree.fromstring(
        f'<newsMessage xmlns="{NAR}"><header><sent>2023-10-26T09:00:00Z</sent></header>'
        "<itemSet/></newsMessage>"
    )
    item_set = message.find("n:itemSet", N)
    item_set.append(item)
    item_set.append(etree.fromstring(picture))
    largest = renditions[-1]
    return etree.tostring(message), {basename(largest.file.name): largest.file.read()}


def test_it_ingests_a_picture_item_sent_in_a_newsml_message():
    data, files = _newsml_message(illustrated())
    [result] = ingest_bytes(data, files=files, actor=TESTS)
    assert result.outcome == "created"
    link = StoryPhoto.objects.get(article=result.article)
    assert link.role == Role.LEAD
    assert (link.photo.caption, link.photo.credit) == ("تعليق الشريك", "مصور الشريك")
    assert link.photo.copyright_holder == "وكالة شريكة"
    assert link.photo.width == 1280


def test_it_ingests_a_news_item_linking_its_picture_file():
    story = illustrated()
    item = etree.fromstring(to_newsml(story))
    item.set("guid", "urn:partner:g2:linked")
    href = item.find("n:itemMeta/n:link[@rel='irel:associatedWith']", N).get("href")
    rendition = story.story_photos.get().photo.renditions.get(file__endswith=basename(href))
    [result] = ingest_bytes(
        etree.tostring(item), files={basename(href): rendition.file.read()}, actor=TESTS
    )
    photo = StoryPhoto.objects.get(article=result.article, role=Role.LEAD).photo
    assert photo.caption == CAPTION


def test_it_ingests_a_drop_folder_with_pictures(tmp_path):
    data, files = _as_partner_document(illustrated(gallery=1))
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "story.json").write_bytes(data)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "unrelated.jpg").write_bytes(sample_jpeg(400, 300, seed=99))
    out = StringIO()
    call_command("ingest", str(folder), "--no-progress", stdout=out, stderr=StringIO())
    article = Article.objects.get(source_id=json.loads(data)["uri"])
    assert article.story_photos.count() == 2
    assert "stored" in out.getvalue()
    done = {p.name for p in (folder / "done").iterdir()}
    assert "story.json" in done and len(done) == 3  # the document and the two files it used
    assert (folder / "unrelated.jpg").exists()


def test_it_finds_pictures_next_to_a_file_named_on_the_command_line(tmp_path):
    make_section("ar", "world", "دولي")
    data, files = _as_partner_document(illustrated())
    (tmp_path / "story.json").write_bytes(data)
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    call_command("ingest", str(tmp_path / "story.json"), stdout=StringIO())
    article = Article.objects.get(source_id=json.loads(data)["uri"])
    assert article.story_photos.get().role == Role.LEAD


def _ingesting_partner() -> dict[str, str]:
    from khabar.syndication.actions import create_partner_token
    from khabar.syndication.models import Partner

    partner = Partner.objects.create(name="شريك", can_ingest=True)
    _token, raw = create_partner_token(partner, actor=TESTS)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_it_takes_a_story_and_its_pictures_pushed_as_multipart(client, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    story = illustrated(gallery=1)
    data, files = _as_partner_document(story)
    auth = _ingesting_partner()
    body = {
        "document": SimpleUploadedFile("story.json", data, "application/json"),
        "picture": [SimpleUploadedFile(name, raw, "image/jpeg") for name, raw in files.items()],
    }
    response = client.post("/api/v1/ingest", body, **auth)
    assert response.status_code == 200, response.content
    [sent] = response.json()["stories"]
    assert sent["outcome"] == "created"
    assert [p["outcome"] for p in sent["photos"]] == ["stored", "stored"]
    links = StoryPhoto.objects.filter(article_id=sent["id"]).order_by("role")
    assert [link.role for link in links] == ["gallery", "lead"]
    assert links[1].photo.caption == CAPTION

    # A bad picture: a clear 422, and nothing of the story is written.
    before = (Article.objects.count(), Photo.objects.count(), len(stored_files(media)))
    data, files = _as_partner_document(story)
    data = data.replace(b"urn:partner:3.1", b"urn:partner:bad")
    bad = {
        "document": SimpleUploadedFile("story.json", data, "application/json"),
        "picture": [
            SimpleUploadedFile(name, (DATA / "truncated.jpg").read_bytes()) for name in files
        ],
    }
    refused = client.post("/api/v1/ingest", bad, **auth)
    assert refused.status_code == 422 and "is refused" in refused.json()["detail"]
    assert (Article.objects.count(), Photo.objects.count(), len(stored_files(media))) == before
    missing = client.post("/api/v1/ingest", {"picture": bad["picture"]}, **auth)
    assert missing.status_code == 422 and "'document'" in missing.json()["detail"]
