"""ninjs out (3.1, 2.2, 1.6, each valid against IPTC's schema) and the /api/v1/ninjs endpoints."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from khabar.articles import actions
from khabar.syndication.actions import create_partner_token
from khabar.syndication.models import Partner
from khabar.syndication.ninjs import schema_errors, to_ninjs
from khabar.test import SYSTEM, make_article, make_section, make_tag

pytestmark = pytest.mark.django_db


def _corrected_story(people):
    story = make_article(
        headline="مباحثات ايرانية روسية </script><!-- & ما بعدها",
        tags=[make_tag("إيران"), make_tag("روسيا")],
        summary="ملخص الخبر",
        byline="مراسل & محرر",
        signoff="2342 1483",
    )
    return actions.correct_article(
        story,
        base_revision=story.revision,
        actor=people["editor"],
        note="صُحّح اسم المسؤول",
        body=story.body + "\n\nفقرة.",
    )


@pytest.mark.parametrize("version", ["3.1", "2.2", "1.6"])
def test_it_emits_documents_valid_against_the_official_schema(people, version):
    doc = to_ninjs(_corrected_story(people), version)
    assert schema_errors(doc, version) == []


def test_it_fills_the_3_1_fields(people):
    story = _corrected_story(people)
    doc = to_ninjs(story)
    assert doc["uri"] == f"http://127.0.0.1:8000/ar/news/{story.pk}/"
    assert doc["standard"]["version"] == "3.1"
    assert doc["type"] == "text"
    assert doc["version"] == "2"
    assert doc["pubStatus"] == "usable"
    assert doc["language"] == "ar"
    assert doc["urgency"] == 5
    assert doc["headlines"] == [{"role": "main", "value": story.headline}]
    assert doc["bodies"][0]["contentType"] == "text/html"
    assert doc["bodies"][0]["value"].startswith('<p><span class="dateline">موسكو / 26 ')
    assert "&lt;/script&gt;" not in doc["bodies"][0]["value"]  # the headline is not in the body
    assert doc["located"] == "موسكو"
    assert doc["edNote"] == "2: صُحّح اسم المسؤول"
    assert {"role": "signoff", "value": "2342 1483"} in doc["altIds"]
    assert {"role": "khabar", "value": str(story.pk)} in doc["altIds"]
    assert doc["infoSources"] == [{"name": "ارنا", "role": "originator"}]
    literals = [s["literal"] for s in doc["subjects"]]
    assert literals == ["section:world", "tag:إيران", "tag:روسيا"]
    assert doc["firstCreated"].endswith("Z")
    assert "embargoedUntil" not in doc


def test_it_escapes_markup_in_the_body(people):
    story = make_article(body="أ < ب & ج\n\nسطر\nثان")
    value = to_ninjs(story)["bodies"][0]["value"]
    assert "أ &lt; ب &amp; ج" in value
    assert "سطر<br>ثان" in value


def test_it_serves_a_story_over_http(client, people):
    story = _corrected_story(people)
    for version in ["3.1", "2.2", "1.6"]:
        response = client.get(f"/api/v1/ninjs/{story.pk}?ninjs={version}")
        assert response.status_code == 200
        assert schema_errors(response.json(), version) == []


def test_it_refuses_an_unknown_version(client):
    story = make_article()
    assert client.get(f"/api/v1/ninjs/{story.pk}?ninjs=9.9").status_code == 400


def test_it_hides_drafts_from_everyone(client):
    draft = make_article(publish=False)
    assert client.get(f"/api/v1/ninjs/{draft.pk}").status_code == 404
    assert client.get(f"/api/v1/newsml/{draft.pk}").status_code == 404


def _embargoed():
    story = make_article(publish=False)
    until = timezone.now() + datetime.timedelta(hours=3)
    return actions.publish_article(story, actor=SYSTEM, embargo_until=until), until


def test_it_shows_an_embargoed_story_to_partners_only(client):
    story, until = _embargoed()
    partner = Partner.objects.create(name="وكالة شريكة & أخبار")
    _token, raw = create_partner_token(partner, actor=SYSTEM)
    assert client.get(f"/api/v1/ninjs/{story.pk}").status_code == 404
    assert client.get("/api/v1/ninjs").json()["items"] == []
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.get(f"/api/v1/ninjs/{story.pk}", **auth)
    assert response.status_code == 200
    doc = response.json()
    assert doc["embargoedUntil"] == until.astimezone(datetime.UTC).replace(
        microsecond=0
    ).isoformat().replace("+00:00", "Z")
    assert schema_errors(doc, "3.1") == []
    assert [d["uri"] for d in client.get("/api/v1/ninjs", **auth).json()["items"]] == [doc["uri"]]
    assert client.get(f"/api/v1/newsml/{story.pk}", **auth).status_code == 200
    assert client.get(f"/api/v1/newsml/{story.pk}").status_code == 404


def test_it_refuses_a_revoked_token(client):
    from khabar.syndication.actions import revoke_partner_token

    story, _until = _embargoed()
    token, raw = create_partner_token(Partner.objects.create(name="p"), actor=SYSTEM)
    revoke_partner_token(token, actor=SYSTEM)
    response = client.get(f"/api/v1/ninjs/{story.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_it_lists_with_filters_and_a_cursor(client):
    world = make_section("ar", "world", "دولي")
    economy = make_section("ar", "economy", "اقتصاد")
    now = timezone.now()
    stories = [
        make_article(section=world, published_at=now - datetime.timedelta(minutes=i))
        for i in range(1, 6)
    ]
    make_article(section=economy)
    make_article(section=make_section("en", "world", "World"), lang="en")
    seen = []
    url = "/api/v1/ninjs?edition=ar&section=world&limit=2"
    while url:
        page = client.get(url.replace("http://127.0.0.1:8000", "")).json()
        for doc in page["items"]:
            assert schema_errors(doc, "3.1") == []
        seen += [int(d["uri"].rstrip("/").rsplit("/", 1)[1]) for d in page["items"]]
        url = page["next"]
    assert seen == [s.pk for s in stories]
    assert len(client.get("/api/v1/ninjs?edition=ar").json()["items"]) == 6
    assert len(client.get("/api/v1/ninjs?ninjs=1.6").json()["items"]) == 7


def test_it_filters_by_change_time(client):
    old = make_article()
    from khabar.articles.models import Article

    Article.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    fresh = make_article()
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    items = client.get("/api/v1/ninjs", {"since": since}).json()["items"]
    assert [d["uri"] for d in items] == [f"http://127.0.0.1:8000/ar/news/{fresh.pk}/"]
    assert client.get("/api/v1/ninjs?since=yesterday").status_code == 400
    assert client.get("/api/v1/ninjs?cursor=!!!").status_code == 400
