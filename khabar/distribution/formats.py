"""A story in a subscriber's format: ninjs 3.1, NewsML-G2 2.35, the wire text or an RSS item.

Each format says a kill its own way: ninjs ``pubStatus`` "canceled", NewsML-G2
``stat:canceled`` (both from the syndication renderers) and, in wire text, the agency's kill
notice: the headline marked as killed and the withdrawal note as the only paragraph, in the
layout of every other wire story.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator
from lxml import etree

from khabar.articles.models import Article, Status
from khabar.distribution.models import Format
from khabar.site.editions import get_edition
from khabar.syndication.feeds import StoryFeed
from khabar.syndication.newsml import media_type, safe_parser, to_newsml
from khabar.syndication.ninjs import to_ninjs, withdrawal_note
from khabar.syndication.photos import largest_rendition, story_pictures
from khabar.wire import Dateline, WireStory, render_wire
from khabar.wire.parse import LANGUAGES


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    extension: str


def render(article: Article, fmt: str, *, event: str, with_photos: bool = True) -> Rendered:
    """The story as it stands now, in ``fmt``."""
    if fmt == Format.NINJS:
        doc = to_ninjs(article, "3.1")
        if not with_photos and "associations" in doc:
            doc["associations"] = [a for a in doc["associations"] if a.get("type") != "picture"]
            if not doc["associations"]:
                del doc["associations"]
        body = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
        return Rendered(body, "application/json", "json")
    if fmt == Format.NEWSML:
        xml = to_newsml(article)
        if not with_photos:
            root = etree.fromstring(xml, safe_parser())
            for link in root.iter("{*}link"):
                if link.get("residref"):
                    link.getparent().remove(link)
            xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return Rendered(xml, media_type(), "xml")
    if fmt == Format.WIRE:
        return Rendered(
            wire_text(article, event=event).encode(), "text/plain; charset=utf-8", "txt"
        )
    if fmt == Format.RSS:
        return Rendered(rss_item(article, with_photos=with_photos), "application/rss+xml", "xml")
    raise ValueError(f"unknown format {fmt!r}")


def wire_story(article: Article) -> WireStory:
    d = article.dateline_date
    agency = article.dateline_agency or get_edition(article.lang).agency
    return WireStory(
        headline=article.headline,
        dateline=Dateline(article.dateline_city, d.day, d.month, d.year, agency, ""),
        body=article.paragraphs,
        signoff=article.signoff_codes or [settings.KHABAR_AGENCY_NAME],
        lang=get_edition(article.lang).formats if article.lang not in LANGUAGES else article.lang,
    )


def wire_text(article: Article, *, event: str = "published") -> str:
    """The story as wire text, exactly as the agency files it (the sample's layout); a
    withdrawn story as the kill notice, a correction with its headline marked."""
    story = wire_story(article)
    edition = get_edition(article.lang)
    style = edition.month_style if edition.month_style in {"both", "levantine"} else "gregorian"
    with translation.override(article.lang):
        if article.status == Status.WITHDRAWN:
            story = WireStory(
                headline=_("KILL: %(headline)s") % {"headline": article.headline},
                dateline=story.dateline,
                body=[withdrawal_note(article)],
                signoff=story.signoff,
                lang=story.lang,
            )
        elif event == "corrected":
            story = WireStory(
                headline=_("CORRECTED: %(headline)s") % {"headline": article.headline},
                dateline=story.dateline,
                body=story.body,
                signoff=story.signoff,
                lang=story.lang,
            )
    return render_wire(story, month_style=style, digits="western")


class _ItemFeed(StoryFeed):
    """The site's RSS item elements, without a channel around them."""


def rss_item(article: Article, *, with_photos: bool = True) -> bytes:
    """One RSS 2.0 ``<item>`` as the site's feeds write it (guid: the story's stable uri)."""
    feed_view = _ItemFeed()
    enclosures: list[Enclosure] = []
    pictures = story_pictures(article) if with_photos else []
    if pictures and article.status != Status.WITHDRAWN:
        largest = largest_rendition(pictures[0])
        enclosures = [Enclosure(largest["href"], str(largest["size"]), largest["mime_type"])]
    withdrawn = article.status == Status.WITHDRAWN
    item: dict[str, Any] = {
        "title": feed_view.item_title(article),
        "link": feed_view.item_link(article),
        "description": withdrawal_note(article)
        if withdrawn
        else feed_view.item_description(article),
        "unique_id": feed_view.item_guid(article),
        "unique_id_is_permalink": False,
        "pubdate": article.published_at,
        "updateddate": article.updated_at,
        "author_name": feed_view.item_author_name(article),
        "author_email": None,
        "author_link": None,
        "categories": [] if withdrawn else feed_view.item_categories(article),
        "enclosures": enclosures,
        "comments": None,
        "item_copyright": None,
        "ttl": None,
    }
    out = io.StringIO()
    handler = SimplerXMLGenerator(out, "utf-8")
    handler.startElement("item", {})
    Rss201rev2Feed("", "", "").add_item_elements(handler, item)
    handler.endElement("item")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + out.getvalue()).encode()


#: The file name extension of each format (SFTP files, mail attachments).
EXTENSIONS = {Format.NINJS: "json", Format.NEWSML: "xml", Format.WIRE: "txt", Format.RSS: "xml"}
