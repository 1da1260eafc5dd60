"""Ritzau's own XML (``<RBNews>``), as the Danish agency's feed sends it.

One story a document: ``NewsID`` (the id), ``version``, ``PublishDate`` (Copenhagen time, no
offset written), ``headline``, ``subtitle``, ``strapline`` (the slug), ``town`` (the
dateline city), ``section`` (Udland, Indland, Sport...), ``format`` (Flash, Nyhed...),
``Priority``, ``byLine``, ``content`` (escaped HTML), ``Annuleret`` (true: the story is
killed) and ``TilRedaktionen`` ("to the editors": a note for the desk, never for readers).
``byLineEmail`` and ``byLinePhone`` are the writer's contacts for the desk and are not read.

The feed is in Danish and says so nowhere: items are read as ``da``. A flash may come
without a headline; its first sentence stands in.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo

from lxml import etree

from khabar.syndication.formats.body import html_blocks
from khabar.syndication.formats.item import Raw, build
from khabar.syndication.story import IncomingStory, parse_time

COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")
NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _field(root: etree._Element, name: str) -> str:
    node = root.find(name)
    if node is None or node.get(NIL) == "true" or any(k.endswith("}nil") for k in node.keys()):
        return ""
    return (node.text or "").strip()


def _when(value: str) -> datetime.datetime | None:
    found = parse_time(value)
    if found is None or re.search(r"(?:[+-]\d\d:?\d\d|[Zz])$", value.strip()):
        return found
    return found.replace(tzinfo=COPENHAGEN)


def _first_sentence(paragraphs: list[str]) -> str:
    if not paragraphs:
        return ""
    sentence = re.split(r"(?<=[.!?])\s", paragraphs[0], maxsplit=1)[0]
    if len(sentence) > 120:
        sentence = sentence[:120].rsplit(" ", 1)[0] + "…"
    return sentence


def parse_ritzau(root: etree._Element) -> IncomingStory:
    """Read a ``<RBNews>`` document as an ``IncomingStory`` (``ItemError`` if unusable)."""
    paragraphs = html_blocks(_field(root, "content"))
    killed = _field(root, "Annuleret").lower() == "true"
    note = " ".join(html_blocks(_field(root, "TilRedaktionen")))
    try:
        version = int(_field(root, "version") or "1")
    except ValueError:
        version = 1
    try:
        priority = int(_field(root, "Priority"))
    except ValueError:
        priority = None
    section = _field(root, "section")
    genre = _field(root, "format")
    raw = Raw(
        source_id=f"ritzau:{_field(root, 'NewsID')}" if _field(root, "NewsID") else "",
        format="Ritzau RBNews",
        headline=_field(root, "headline") or _first_sentence(paragraphs),
        paragraphs=[] if killed else paragraphs,
        version=version,
        lang_tag="da",
        when=_when(_field(root, "PublishDate")),
        city=_field(root, "town"),
        agency="Ritzau",
        provider="Ritzau",
        byline=_field(root, "byLine"),
        subheadline=_field(root, "subtitle"),
        genre=genre,
        priority=priority,
        urgency=5 if priority is None else (1 if priority <= 2 else 3 if priority <= 4 else 5),
        categories=[section, _field(root, "strapline")],
        tag_names=[section] if section else [],
        desk_notes=[note] if note else [],
        pub_status="canceled" if killed else "usable",
    )
    return build(raw)
