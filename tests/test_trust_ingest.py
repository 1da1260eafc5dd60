"""Issue 13 "Trust", syndication: each attack performed as described, and what the attacker
now gets.

A partner reaches only the stories it sent itself; an untrusted partner's update of a live
story waits for an editor; XML with a DTD is refused whatever its encoding; a new token is
never written into a cookie; a multipart push is measured before it is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from khabar.articles import actions as article_actions
from khabar.articles.models import Article, Status
from khabar.articles.wire_import import import_stories, parse_file, source_id_for
from khabar.photos import actions as photo_actions
from khabar.photos.models import StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.site.actors import COMMAND_LINE
from khabar.syndication import conf
from khabar.syndication.actions import apply_held_update, create_partner_token
from khabar.syndication.ingest import IngestError, read_stories
from khabar.syndication.models import HeldUpdate, Partner, PartnerToken, token_digest
from khabar.syndication.ninjs import to_ninjs
from khabar.syndication.photos import basename
from khabar.test import SYSTEM, make_article, make_section

pytestmark = pytest.mark.django_db
WIRE = Path(__file__).resolve().parent / "data" / "wire" / "wire-ar-moscow-2342.txt"
HELD_LIST = "/desk/syndication/heldupdate/"


@pytest.fixture(autouse=True)
def section(db):
    return make_section("ar", "world", "دولي")


def partner(name: str, *, trusted: bool = False) -> dict[str, str]:
    """A partner that may send stories, and the header carrying its token."""
    sender = Partner.objects.create(name=name, can_ingest=True, trusted=trusted)
    _token, raw = create_partner_token(sender, actor=SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def push(client, auth: dict[str, str], doc: dict) -> dict:
    response = client.post("/api/v1/ingest", json.dumps(doc), "application/json", **auth)
    assert response.status_code == 200, response.content
    [story] = response.json()["stories"]
    return story


def ninjs(uri: str, version: int, headline: str) -> dict:
    doc = to_ninjs(make_article(publish=False, headline=headline))
    return {**doc, "uri": uri, "version": str(version)}


def live_story_of(client, auth: dict[str, str], uri: str, people) -> Article:
    """A story the partner sent, then published by an editor."""
    sent = push(client, auth, ninjs(uri, 1, "خبر الشريك الأول"))
    assert (sent["outcome"], sent["status"]) == ("created", "submitted")
    story = Article.objects.get(pk=sent["id"])
    return article_actions.publish_article(story, actor=people["editor"])


def unchanged(story: Article) -> None:
    before = (story.headline, story.status, story.version, story.body)
    story.refresh_from_db()
    assert (story.headline, story.status, story.version, story.body) == before
    assert not story.corrections.exists()


# Finding 2: a partner can overwrite any story ------------------------------------------------


def test_it_gives_a_partner_replaying_another_partners_story_only_a_new_draft(client, people):
    alice = partner("وكالة أ")
    target = live_story_of(client, alice, "urn:alice:1", people)
    bob = partner("وكالة ب")
    # Bob re-posts the story under Alice's id with a higher version.
    attack = {**to_ninjs(target), "uri": "urn:alice:1", "version": "9"}
    attack["headlines"] = [{"value": "عنوان مزور"}]
    got = push(client, bob, attack)
    assert got["outcome"] == "created" and got["status"] == "submitted"
    assert got["id"] != target.pk
    unchanged(target)
    assert Article.objects.get(pk=got["id"]).origin != target.origin
    assert not Article.objects.published().filter(headline="عنوان مزور").exists()


def test_it_gives_a_partner_replaying_a_desk_story_by_its_public_uri_only_a_new_draft(client):
    target = make_article(headline="خبر المكتب")
    public = client.get(f"/api/v1/ninjs/{target.pk}").json()
    got = push(
        client,
        partner("وكالة ب"),
        {**public, "version": "9", "headlines": [{"value": "عنوان مزور"}]},
    )
    assert got["outcome"] == "created" and got["status"] == "submitted"
    unchanged(target)


def _imported_wire_story() -> Article:
    # No year given, as for a partner's push: the dateline's year is this year.
    story = parse_file(WIRE)
    [(article, _outcome)] = import_stories(
        [("wire", story)], section=None, publish=True, actor=COMMAND_LINE
    )
    return article


def test_it_gives_a_partner_targeting_an_imported_wire_story_only_a_new_draft(client):
    target = _imported_wire_story()
    derived = source_id_for(parse_file(WIRE))
    assert target.source_id == derived  # what an attacker can compute from public copy
    # The wire text itself, sent by a partner: its own separate draft.
    bob = partner("وكالة ب")
    response = client.post("/api/v1/ingest", WIRE.read_bytes(), "text/plain", **bob)
    [copy] = response.json()["stories"]
    assert (copy["outcome"], copy["status"]) == ("created", "submitted")
    assert copy["id"] != target.pk
    # A higher version under the derived id reaches only that draft of Bob's own.
    attack = {**to_ninjs(target), "uri": derived, "version": "5", "headlines": [{"value": "مزور"}]}
    got = push(client, bob, attack)
    assert (got["outcome"], got["id"], got["status"]) == ("updated", copy["id"], "submitted")
    # Another partner trying the same gets a new draft of its own.
    carol = push(client, partner("وكالة ج"), attack)
    assert carol["outcome"] == "created" and carol["id"] not in (target.pk, copy["id"])
    unchanged(target)
    assert Article.objects.filter(source_id=derived).count() == 3
    assert not Article.objects.published().filter(headline="مزور").exists()


def test_it_holds_an_untrusted_partners_update_of_its_own_live_story(client, people):
    alice = partner("وكالة أ")
    story = live_story_of(client, alice, "urn:alice:2", people)
    update = {**to_ninjs(story), "uri": "urn:alice:2", "version": "2", "edNote": "تحديث"}
    update["headlines"] = [{"value": "عنوان محدث من الشريك"}]
    got = push(client, alice, update)
    assert (got["outcome"], got["status"]) == ("held", "published")
    unchanged(story)
    assert push(client, alice, update)["outcome"] == "held"  # the same again: one held update
    [held] = HeldUpdate.objects.all()
    assert held.is_pending and held.source_version == 2

    # Only the desk's editors see it; the editor applies it with their own note.
    desk = client_for(people, "reporter")
    assert desk.get(HELD_LIST).status_code == 403
    desk = client_for(people, "editor")
    listing = desk.get(HELD_LIST)
    assert listing.status_code == 200 and story.headline in listing.content.decode()
    page = desk.get(reverse("admin:syndication_heldupdate_change", args=[held.pk]))
    assert "عنوان محدث من الشريك" in page.content.decode()
    response = desk.post(
        reverse("admin:syndication_heldupdate_change", args=[held.pk]),
        {"note": "صُحّح العنوان بطلب الوكالة", "base_revision": story.revision, "_apply": "1"},
    )
    assert response.status_code == 302, response.content.decode()
    story.refresh_from_db()
    assert story.headline == "عنوان محدث من الشريك"
    assert story.status == Status.CORRECTED
    [correction] = story.corrections.all()
    assert (correction.note, correction.created_by) == (
        "صُحّح العنوان بطلب الوكالة",
        people["editor"],
    )
    held.refresh_from_db()
    assert (held.resolution, held.resolved_by) == ("applied", people["editor"])
    assert push(client, alice, update)["outcome"] == "unchanged"


def test_it_lets_an_editor_discard_a_held_update(client, people):
    alice = partner("وكالة أ")
    story = live_story_of(client, alice, "urn:alice:3", people)
    push(client, alice, {**to_ninjs(story), "uri": "urn:alice:3", "version": "2"})
    held = HeldUpdate.objects.get()
    desk = client_for(people, "editor")
    url = reverse("admin:syndication_heldupdate_change", args=[held.pk])
    desk.post(url, {"note": "", "base_revision": story.revision, "_discard": "1"})
    held.refresh_from_db()
    assert held.resolution == "discarded"
    unchanged(story)
    assert not desk.get(HELD_LIST).context["cl"].result_count


def test_it_refuses_to_apply_a_held_update_over_a_newer_desk_edit(client, people):
    alice = partner("وكالة أ")
    story = live_story_of(client, alice, "urn:alice:4", people)
    push(client, alice, {**to_ninjs(story), "uri": "urn:alice:4", "version": "2"})
    held = HeldUpdate.objects.get()
    seen = story.revision
    article_actions.correct_article(
        story, actor=people["editor"], note="تصحيح من المكتب", base_revision=seen, byline="س"
    )
    desk = client_for(people, "chief")
    url = reverse("admin:syndication_heldupdate_change", args=[held.pk])
    response = desk.post(url, {"note": "تطبيق", "base_revision": seen, "_apply": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors()  # "the story changed since you opened this page"
    story.refresh_from_db()
    assert form["base_revision"].value() == str(story.revision)  # retry from what is shown
    assert story.byline == "س" and story.corrections.count() == 1
    held.refresh_from_db()
    assert held.is_pending


def test_it_holds_an_untrusted_partners_update_of_its_own_scheduled_story(client, people):
    import datetime

    from django.utils import timezone

    alice = partner("وكالة أ")
    sent = push(client, alice, ninjs("urn:alice:6", 1, "خبر مجدول"))
    later = timezone.now() + datetime.timedelta(hours=2)
    story = article_actions.publish_article(
        Article.objects.get(pk=sent["id"]), actor=people["editor"], at=later
    )
    assert story.status == Status.SCHEDULED
    update = {**to_ninjs(story), "uri": "urn:alice:6", "version": "2"}
    update["headlines"] = [{"value": "عنوان يدخل مع الجدولة"}]
    got = push(client, alice, update)
    assert (got["outcome"], got["status"]) == ("held", "scheduled")
    unchanged(story)
    held = HeldUpdate.objects.get()
    apply_held_update(held, actor=people["editor"], note="", base_revision=story.revision)
    story.refresh_from_db()
    assert (story.headline, story.status) == ("عنوان يدخل مع الجدولة", Status.SCHEDULED)


def test_it_puts_a_trusted_partners_update_of_its_own_story_live(client):
    trusted = partner("وكالة موثوقة", trusted=True)
    first = push(client, trusted, ninjs("urn:trusted:1", 1, "خبر موثوق"))
    assert (first["outcome"], first["status"]) == ("created", "published")
    story = Article.objects.get(pk=first["id"])
    private = "للمحررين فقط: اتصلوا بالمكتب"
    update = {**to_ninjs(story), "uri": "urn:trusted:1", "version": "2", "edNote": private}
    update["headlines"] = [{"value": "خبر موثوق مصحح"}]
    got = push(client, trusted, update)
    assert (got["outcome"], got["status"]) == ("updated", "corrected")
    story.refresh_from_db()
    assert story.headline == "خبر موثوق مصحح"
    # The partner's edNote is a note to editors: never the note readers see.
    [correction] = story.corrections.all()
    assert correction.note != private and correction.note.strip()
    assert private not in client.get(story.get_absolute_url()).content.decode()
    assert not HeldUpdate.objects.exists()


def client_for(people, role: str):
    from django.test import Client

    client = Client()
    client.force_login(people[role])
    return client


# Pictures go through the same actor --------------------------------------------------------


def _picture_doc(story: Article, uri: str, version: int) -> tuple[dict, dict[str, bytes]]:
    """The story with a lead picture, as a partner sends it, and the picture's file."""
    photo = photo_actions.upload_photo(sample_jpeg(900, 600, seed=7), actor=SYSTEM)
    illustrated = make_article(publish=False, headline=story.headline)
    photo_actions.attach_photo(illustrated, photo, actor=SYSTEM)
    doc = {**to_ninjs(illustrated), "uri": uri, "version": str(version)}
    largest = photo.renditions.order_by("-width").first()
    return doc, {basename(largest.file.name): largest.file.read()}


def _multipart(doc: dict, files: dict[str, bytes]) -> dict:
    return {
        "document": SimpleUploadedFile("story.json", json.dumps(doc).encode()),
        "picture": [SimpleUploadedFile(name, raw, "image/jpeg") for name, raw in files.items()],
    }


def test_it_holds_an_untrusted_partners_pictures_with_its_update(client, people, media):
    alice = partner("وكالة أ")
    story = live_story_of(client, alice, "urn:alice:5", people)
    # The same version with a picture: the live story does not change what it shows.
    doc, files = _picture_doc(story, "urn:alice:5", 1)
    response = client.post("/api/v1/ingest", _multipart(doc, files), **alice)
    assert response.json()["stories"][0]["outcome"] == "unchanged"
    assert not StoryPhoto.objects.filter(article=story).exists()
    # A newer version with a picture: held, picture and all.
    doc, files = _picture_doc(story, "urn:alice:5", 2)
    response = client.post("/api/v1/ingest", _multipart(doc, files), **alice)
    [sent] = response.json()["stories"]
    assert sent["outcome"] == "held"
    assert [p["outcome"] for p in sent["photos"]] == ["held"]
    assert not StoryPhoto.objects.filter(article=story).exists()
    held = HeldUpdate.objects.get()
    apply_held_update(held, actor=people["editor"], note="صورة جديدة", base_revision=None)
    link = StoryPhoto.objects.get(article=story)
    assert link.photo_id == sent["photos"][0]["id"] and link.role == "lead"


def test_it_shows_a_trusted_partners_pictures_at_once(client, media):
    trusted = partner("وكالة موثوقة", trusted=True)
    story = make_article(publish=False, headline="خبر مصور")
    doc, files = _picture_doc(story, "urn:trusted:pic", 1)
    response = client.post("/api/v1/ingest", _multipart(doc, files), **trusted)
    [sent] = response.json()["stories"]
    assert (sent["status"], [p["outcome"] for p in sent["photos"]]) == ("published", ["stored"])
    assert StoryPhoto.objects.filter(article_id=sent["id"]).count() == 1


# The DTD check in every encoding ------------------------------------------------------------

XXE = (
    '<?xml version="1.0" encoding="{enc}"?>'
    '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<rss version="2.0"><channel><title>&x;</title><item><title>خبر</title>'
    "<guid>urn:xxe:1</guid><description>&x; نص الخبر</description></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("encoding", "declared", "mark"),
    [
        ("utf-16-le", "UTF-16", "\ufeff"),
        ("utf-16-be", "UTF-16", "\ufeff"),
        ("utf-16-le", "UTF-16", ""),
        ("utf-16-be", "UTF-16", ""),
        ("utf-32-le", "UTF-32", "\ufeff"),
        ("utf-32-be", "UTF-32", "\ufeff"),
        ("utf-32-be", "UTF-32", ""),
    ],
)
def test_it_refuses_a_dtd_in_utf16_and_utf32(client, encoding, declared, mark):
    data = (mark + XXE.format(enc=declared)).encode(encoding)
    assert b"<!DOCTYPE" not in data  # what the old byte search looked for
    with pytest.raises(IngestError, match="DTD"):
        read_stories(data)
    response = client.post("/api/v1/ingest", data, "application/xml", **partner("ب"))
    assert response.status_code == 422 and "DTD" in response.json()["detail"]
    assert not Article.objects.filter(source_id="urn:xxe:1").exists()


def test_it_refuses_a_bare_doctype_and_still_reads_clean_utf16():
    bare = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss><rss version="2.0"/>'
    with pytest.raises(IngestError, match="DTD"):
        read_stories(("\ufeff" + bare).encode("utf-16-le"))
    clean = XXE.replace('<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "")
    clean = clean.replace("&x;", "")
    [story] = read_stories(("\ufeff" + clean.format(enc="UTF-16")).encode("utf-16-le"))
    assert story.headline == "خبر"


# A new token never travels in a cookie -----------------------------------------------------


def test_it_shows_a_new_token_once_in_the_page_and_never_in_a_cookie(client, people):
    target = Partner.objects.create(name="وكالة جديدة")
    client.force_login(people["chief"])
    response = client.post(
        "/desk/syndication/partner/",
        {"action": "issue_token", "_selected_action": [target.pk]},
    )
    assert response.status_code == 200
    [raw] = re.findall(r"khb_[A-Za-z0-9_-]{40,}", response.content.decode())
    assert PartnerToken.objects.get(partner=target).digest == token_digest(raw)
    cookies = response.headers.get("Set-Cookie", "") + str(response.cookies)
    assert raw not in cookies and raw[4:20] not in cookies
    assert "no-store" in response.headers["Cache-Control"]
    later = client.get("/desk/syndication/partner/")
    assert raw not in later.content.decode()
    assert raw not in str(later.cookies) + str(client.cookies)


# Multipart pushes are measured before they are read -------------------------------------------


def _pictures(count: int, size: int = 0) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"p{n}.jpg", b"\xff\xd8" + b"x" * size, "image/jpeg")
        for n in range(count)
    ]


def test_it_refuses_too_many_pictures_with_413(client, monkeypatch):
    monkeypatch.setattr(conf, "INGEST_MAX_PICTURES", 2)
    body = {"document": SimpleUploadedFile("s.txt", WIRE.read_bytes()), "p": _pictures(3)}
    response = client.post("/api/v1/ingest", body, **partner("ب"))
    assert response.status_code == 413
    assert "at most 2 pictures" in response.json()["detail"]
    assert not Article.objects.exists()


def test_it_refuses_an_oversized_picture_or_request_with_413(client, settings, monkeypatch):
    settings.KHABAR_PHOTO_MAX_BYTES = 1000
    auth = partner("ب")
    body = {"document": SimpleUploadedFile("s.txt", WIRE.read_bytes()), "p": _pictures(1, 1500)}
    response = client.post("/api/v1/ingest", body, **auth)
    assert response.status_code == 413
    assert "picture p0.jpg is over the limit of 1,000 bytes" in response.json()["detail"]
    # The whole request past document + N pictures: refused on its Content-Length alone.
    monkeypatch.setattr(conf, "INGEST_MAX_PICTURES", 1)
    settings.KHABAR_INGEST_MAX_BYTES = 5000
    body = {"document": SimpleUploadedFile("s.txt", WIRE.read_bytes()), "p": _pictures(1, 80000)}
    response = client.post("/api/v1/ingest", body, **auth)
    assert response.status_code == 413
    limit = 5000 + 1000 + 64 * 1024
    assert f"may take {limit:,} bytes" in response.json()["detail"]
    assert not Article.objects.exists()


def test_it_streams_pictures_to_temporary_files(client, monkeypatch, media):
    from khabar.syndication import api

    seen = {}
    real = api.Attachments

    def spy(*args, **kwargs):
        seen.update({n: (p, p.is_file()) for n, p in kwargs.get("named", {}).items()})
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "Attachments", spy)
    story = make_article(publish=False, headline="خبر بصورة")
    doc, files = _picture_doc(story, "urn:stream:1", 1)
    response = client.post("/api/v1/ingest", _multipart(doc, files), **partner("ب"))
    assert response.status_code == 200, response.content
    [(name, (path, existed))] = seen.items()
    assert name in files and existed and path.name != name  # on disk, not in memory
    assert not path.exists()  # and gone with the request


def test_it_refuses_a_raw_body_over_the_limit_with_413(settings, client):
    settings.KHABAR_INGEST_MAX_BYTES = 100
    response = client.post("/api/v1/ingest", b"x" * 200, "text/plain", **partner("ب"))
    assert response.status_code == 413 and "the limit is 100 bytes" in response.json()["detail"]
