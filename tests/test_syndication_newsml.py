"""NewsML-G2 2.35 newsItem out, valid against IPTC's schema, at /api/v1/newsml/<id>."""

from __future__ import annotations

import pytest
from lxml import etree

from khabar.articles import actions
from khabar.syndication.newsml import NAR, XHTML, schema_errors, to_newsml
from khabar.test import SYSTEM, make_article, make_section, make_tag

pytestmark = pytest.mark.django_db
N = {"n": NAR, "h": XHTML}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _item(people):
    story = make_article(
        tags=[make_tag("إيران")],
        byline="علي & حسن",
        summary="ملخص",
        signoff="2342 1483",
        body="فقرة أولى < فيها رمز\n\nفقرة ثانية\nبسطرين",
    )
    story = actions.correct_article(
        story, base_revision=story.revision, actor=people["editor"], note="تصحيح الاسم"
    )
    return story, etree.fromstring(to_newsml(story))


def test_it_emits_a_valid_news_item(people):
    _story, root = _item(people)
    assert schema_errors(root) == []


def test_it_fills_item_and_content_meta(people):
    story, root = _item(people)
    assert root.get("standardversion") == "2.35"
    assert root.get("version") == "2"
    assert root.find("n:itemMeta/n:pubStatus", N).get("qcode") == "stat:usable"
    assert root.find("n:itemMeta/n:itemClass", N).get("qcode") == "ninat:text"
    assert root.findtext("n:itemMeta/n:edNote", namespaces=N) == "2: تصحيح الاسم"
    assert root.find("n:itemMeta/n:signal", N).get("qcode") == "sig:correction"
    meta = root.find("n:contentMeta", N)
    assert meta.findtext("n:urgency", namespaces=N) == "5"
    assert meta.findtext("n:located/n:name", namespaces=N) == "موسكو"
    dateline = meta.find("n:dateline", N)
    assert dateline.get(XML_LANG) == "ar" and dateline.get("dir") == "rtl"
    assert dateline.text.startswith("موسكو / 26 ")
    headline = meta.find("n:headline", N)
    assert headline.text == story.headline and headline.get("dir") == "rtl"
    assert meta.findtext("n:creator/n:name", namespaces=N) == "علي & حسن"
    assert meta.findtext("n:infoSource/n:name", namespaces=N) == "ارنا"
    assert meta.find("n:language", N).get("tag") == "ar"
    assert [s.findtext("n:name", namespaces=N) for s in meta.findall("n:subject", N)] == [
        "دولي",
        "إيران",
    ]
    assert meta.findtext("n:altId", namespaces=N) == "2342 1483"
    paragraphs = root.findall("n:contentSet/n:inlineXML/h:html/h:body/h:p", N)
    assert paragraphs[0].text == "فقرة أولى < فيها رمز"
    assert paragraphs[1].text == "فقرة ثانية" and paragraphs[1][0].tail == "بسطرين"


def test_it_names_the_publishing_editor_as_contributor(people):
    story = make_article(publish=False)
    actions.publish_article(story, actor=people["editor"])
    root = etree.fromstring(to_newsml(story.__class__.objects.get(pk=story.pk)))
    assert root.findtext("n:contentMeta/n:contributor/n:name", namespaces=N) == "2342"
    assert schema_errors(root) == []


def test_it_carries_an_embargo(people):
    import datetime

    from django.utils import timezone

    story = make_article(publish=False)
    until = timezone.now() + datetime.timedelta(hours=1)
    story = actions.publish_article(story, actor=SYSTEM, embargo_until=until)
    root = etree.fromstring(to_newsml(story))
    assert root.findtext("n:itemMeta/n:embargoed", namespaces=N).endswith("Z")
    assert schema_errors(root) == []


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_it_emits_other_editions_valid(lang):
    section = make_section(lang, "world", "World")
    story = make_article(section=section, lang=lang, dateline_city="TEHRAN", dateline_agency="IRNA")
    root = etree.fromstring(to_newsml(story))
    assert schema_errors(root) == []
    direction = "rtl" if lang == "fa" else "ltr"
    assert root.find("n:contentMeta/n:headline", N).get("dir") == direction


def test_it_serves_xml_over_http(client, people):
    story, _root = _item(people)
    response = client.get(f"/api/v1/newsml/{story.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.iptc.g2.newsitem+xml")
    assert schema_errors(etree.fromstring(response.content)) == []
