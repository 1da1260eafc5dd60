"""From what a parser found to an ``IncomingStory``: the steps every format shares.

Each reader (ninjs, NewsML-G2, NITF, NewsML 1.2, ANPA) collects the raw fields of an item
into a ``Raw`` and calls ``build``, which decides the language (an edition's, or foreign
for the desk's queue), takes the genre label, byline and dateline off the top of the copy
and the end marks off its end, and says plainly what is missing when the item cannot be
used. A kill (pubStatus canceled or withheld) needs neither a headline nor a body.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from khabar.syndication.formats.body import _BYLINE, tidy_lead
from khabar.syndication.story import IncomingStory, item_lang, split_dateline
from khabar.wire.render import NO_CITY

STATUS_WORDS = {
    "usable": "usable",
    "canceled": "canceled",
    "cancelled": "canceled",
    "withheld": "withheld",
    "withdrawn": "canceled",
    "kill": "canceled",
    "killed": "canceled",
    "embargoed": "usable",
}


class ItemError(ValueError):
    """An item that cannot be used; the message says what is missing."""


def pub_status(value: object) -> str:
    """'usable', 'canceled' or 'withheld' from any spelling (``stat:canceled``, "Canceled")."""
    word = str(value or "usable").strip().lower().rpartition(":")[2]
    return STATUS_WORDS.get(word, "usable")


@dataclass
class Raw:
    source_id: str
    format: str
    headline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    version: int = 1
    lang_tag: str = ""
    when: datetime.datetime | None = None
    dateline: str = ""
    city: str = ""
    agency: str = ""
    provider: str = ""
    byline: str = ""
    summary: str = ""
    subheadline: str = ""
    genre: str = ""
    urgency: int = 5
    priority: int | None = None
    categories: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    desk_notes: list[str] = field(default_factory=list)
    pub_status: str = "usable"
    embargo_until: datetime.datetime | None = None
    correction_note: str = ""
    section_slug: str = ""
    signoff: list[str] = field(default_factory=list)
    photos: list[Any] = field(default_factory=list)
    schema_errors: list[str] = field(default_factory=list)
    schema_checked: bool = False


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _byline(text: str) -> str:
    """A byline without its "By" (or "Von", "Par"...)."""
    text = _one_line(text)
    found = _BYLINE.match(text)
    return found.group("name").strip(" ,") if found else text


def _dateline_parts(dateline: str) -> tuple[str, str]:
    """The city and the agency of a dateline no edition's grammar reads, in any language:
    "Strasbourg, 10 juil 2024 (AFP)" is Strasbourg and AFP; "KANSAS CITY, Mo." stays whole
    (what follows the comma has no digit, so it is not a date)."""
    place, _paren, agency = dateline.partition("(")
    place = place.strip(" ,-–—")
    head, comma, tail = place.rpartition(",")
    if comma and any(ch.isdigit() for ch in tail):
        place = head.strip(" ,")
    agency = agency.partition(")")[0].strip()
    return place, agency if 1 < len(agency) <= 12 else ""


def _best_byline(raw: Raw, in_copy: str, agency: str) -> str:
    """The byline the metadata gives, unless it only names the agency and the copy names
    the writer (Reuters: ``<creator literal="Reuters"/>`` and "By Arpan Varghese")."""
    given = _byline(raw.byline)
    names = {n.casefold() for n in (agency, raw.agency, raw.provider) if n}
    if in_copy and (not given or given.casefold() in names):
        return in_copy
    return given or in_copy


def build(raw: Raw) -> IncomingStory:
    """The ``IncomingStory`` of one item, or ``ItemError`` naming what is missing."""
    if not raw.source_id.strip():
        raise ItemError(f"missing required field: the {raw.format} item has no identifier")
    kill = raw.pub_status in ("canceled", "withheld")
    headline = _one_line(raw.headline)
    paragraphs = [p for p in raw.paragraphs if p.strip()]
    if not kill and not headline:
        raise ItemError(f"missing required field: the {raw.format} item has no headline")
    if not kill and not paragraphs:
        raise ItemError(
            f"missing required field: no body text in the {raw.format} item {headline!r}"
        )
    lang, foreign = item_lang(raw.lang_tag, " ".join([headline, *paragraphs, *raw.desk_notes]))
    when = raw.when
    city, agency = _one_line(raw.city), _one_line(raw.agency)
    date = (when or datetime.datetime.now(datetime.UTC)).date()
    dateline = _one_line(raw.dateline)
    if dateline:
        found = None if foreign else split_dateline(lang, f"{dateline} .", now=when)
        if found is not None:
            city, agency = found[0].city, found[0].agency or agency
            date = datetime.date(found[0].year, found[0].month, found[0].day)
        elif len(dateline) <= 80:
            city, named = _dateline_parts(dateline)
            city, agency = city or _one_line(raw.city), agency or named
    lead = tidy_lead(
        paragraphs, genre=raw.genre, city=city, headline=headline, agency=agency or raw.provider
    )
    paragraphs = lead.paragraphs
    if paragraphs and not foreign:
        found = split_dateline(lang, paragraphs[0], now=when)
        if found is not None:
            line, rest = found
            city, agency = line.city, line.agency or agency
            date = datetime.date(line.year, line.month, line.day)
            paragraphs = [rest, *paragraphs[1:]] if rest else paragraphs[1:]
    if lead.city or lead.agency:
        city = city or lead.city
        agency = lead.agency or agency
        if lead.month_day is not None:
            try:
                date = date.replace(month=lead.month_day[0], day=lead.month_day[1])
            except ValueError:
                pass
    if not kill and not paragraphs:
        raise ItemError(f"missing required field: no body text after the dateline in {headline!r}")
    genre = _one_line(raw.genre) or lead.genre
    return IncomingStory(
        source_id=raw.source_id.strip(),
        source_version=max(raw.version, 1),
        lang=lang,
        headline=headline or raw.source_id,
        body=paragraphs,
        dateline_city=(city or NO_CITY)[:80],
        dateline_date=date,
        dateline_agency=(agency or raw.provider)[:40],
        signoff=raw.signoff,
        urgency=raw.urgency,
        byline=_best_byline(raw, lead.byline, agency)[:200],
        summary=raw.summary.strip(),
        section_slug=raw.section_slug,
        tag_names=raw.tag_names,
        embargo_until=raw.embargo_until,
        correction_note=raw.correction_note.strip(),
        photos=raw.photos,
        pub_status=raw.pub_status,
        desk_notes=[*raw.desk_notes, *lead.notes],
        subheadline=_one_line(raw.subheadline),
        genre=genre[:60],
        priority=raw.priority,
        categories=[c for c in raw.categories if c],
        format=raw.format,
        schema_errors=raw.schema_errors,
        schema_checked=raw.schema_checked,
        foreign=foreign,
        provider=_one_line(raw.provider)[:100],
    )
