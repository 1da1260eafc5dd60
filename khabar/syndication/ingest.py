"""Stories in from outside: detect the format (ninjs, NewsML-G2, RSS/Atom, wire text), read
it into ``IncomingStory`` objects and store them through ``actions.ingest_article``.

A document is all or nothing: every story in it is stored in one transaction, and any problem
(too big, not well formed, a DTD of its own, failing its schema, a missing field) raises
``IngestError`` with a reason a person can act on, before or instead of writing anything.

Pictures: a ninjs association or a NewsML-G2 picture link names its files; when one of them
is supplied alongside the document (``files``: a drop folder, the files named with it, an
upload), it becomes the story's lead (or gallery) photo through ``photos.actions.ingest_photo``.
A picture whose file was not supplied is skipped and logged: the story stands without it.
A supplied file that is not a usable image refuses the whole document, with the reason, and
nothing is written (every picture is checked before the first story is stored): an agency
that sent a photo with a story meant it to be shown with it.

Every write names its actor (``khabar.site.actors``): a partner finds and updates only the
stories it sent itself. A newer version of a live story from an actor that may not correct
it (an untrusted partner) comes back "held": it is kept, with its pictures, as a
``HeldUpdate`` for an editor to apply or discard, and nothing readers see changes.
"""

from __future__ import annotations

import calendar
import codecs
import datetime
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import feedparser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from lxml import etree

from khabar.articles import actions
from khabar.articles.models import LIVE_STATUSES, Article, Section, Status
from khabar.articles.wire_import import source_id_for
from khabar.site.actors import PartnerActor
from khabar.syndication import conf
from khabar.syndication.formats.anpa import looks_like_anpa, parse_anpa
from khabar.syndication.formats.envelopes import unwrap
from khabar.syndication.formats.item import ItemError
from khabar.syndication.formats.newsml1 import parse_newsml1
from khabar.syndication.formats.nitf import parse_nitf
from khabar.syndication.formats.ritzau import parse_ritzau
from khabar.syndication.newsml import (
    NAR,
    PICTURE_CLASSES,
    NewsMLError,
    item_class,
    parse_newsml,
    safe_parser,
)
from khabar.syndication.ninjs import NinjsError, parse_ninjs
from khabar.syndication.photos import Attachments, IncomingPhoto, PhotoReport
from khabar.syndication.story import (
    IncomingStory,
    direction,
    html_paragraphs,
    split_dateline,
    story_lang,
    text_paragraphs,
)
from khabar.wire import WireError, parse_wire
from khabar.wire.render import NO_CITY

FORMATS = ("ninjs", "newsml", "nitf", "newsml1", "anpa", "ritzau", "feed", "wire")
_HTML = re.compile(r"\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html)", re.I | re.S)
#: Byte order marks, the longer first (a UTF-32-LE mark starts like a UTF-16-LE one).
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
#: How "<" starts a document in the encodings XML allows without a mark (XML 1.0, F.1).
_UNMARKED = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


log = logging.getLogger(__name__)

#: A user, a ``PartnerActor`` or a ``SystemActor``; never None.
Actor = Any


class IngestError(ValueError):
    """A document that cannot be ingested; ``str()`` is the reason."""


@dataclass(frozen=True)
class NotStored:
    """What a result names when nothing was stored: a kill of a story we never had."""

    pk: None = None
    status: str = "none"


@dataclass(frozen=True)
class Result:
    #: The story; an ``IncomingItem`` for an item in a language with no edition (the desk's
    #: queue); ``NotStored`` for a kill of a story never received.
    article: Any
    #: created | updated | published | unchanged | ignored | held (kept for an editor) |
    #: killed | incoming (in the desk's queue of items in other languages)
    outcome: str
    #: What became of each picture the story referenced.
    photos: list[PhotoReport] = field(default_factory=list)


def check_size(size: int) -> None:
    if size > conf.INGEST_MAX_BYTES:
        raise IngestError(
            f"too large: {size:,} bytes; the limit is {conf.INGEST_MAX_BYTES:,} bytes"
        )


def sniff_encoding(data: bytes) -> tuple[str, int]:
    """The encoding a document's first bytes show (a byte order mark, or the zero bytes
    around a leading "<"), and the length of its mark; UTF-8 when they show none."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name, len(mark)
    for start, name in _UNMARKED:
        if data.startswith(start):
            return name, 0
    return "utf-8", 0


def text_start(data: bytes, chars: int = 2048) -> str:
    """The first characters of a document, decoded in the encoding it shows."""
    encoding, skip = sniff_encoding(data)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[skip : skip + 4 * chars])[:chars]


def detect_format(data: bytes) -> str:
    """'ninjs', 'newsml', 'feed' or 'wire', from the document's first characters and root."""
    start = text_start(data)
    head = start.lstrip("\ufeff \t\r\n")[:1]
    if head in ("{", "["):
        return "ninjs"
    if looks_like_anpa(start):
        return "anpa"
    if head != "<":
        return "wire"
    if _HTML.match(start.lstrip("\ufeff")):
        raise IngestError("an HTML page, not a feed or a news item")
    root = parse_xml(data)
    local = etree.QName(root).localname.lower()
    if root.tag in (f"{{{NAR}}}newsItem", f"{{{NAR}}}newsMessage"):
        return "newsml"
    if root.tag == f"{{{NAR}}}packageItem":
        raise IngestError(
            "a NewsML-G2 packageItem only lists other items: send the newsItems it names "
            "(alone or in a newsMessage with the package)"
        )
    if local == "nitf":
        return "nitf"
    if local == "newsml" and not etree.QName(root).namespace:
        return "newsml1"
    if local == "rbnews" and not etree.QName(root).namespace:
        return "ritzau"
    if local in ("rss", "feed", "rdf"):
        return "feed"
    if local == "html":
        raise IngestError("an HTML page, not a feed or a news item")
    raise IngestError(f"unknown XML document <{etree.QName(root).localname}>")


_NO_DTD = "XML with a DTD or entity declarations is not accepted"
_INTERNAL_SUBSET = (
    "XML with a DTD of its own is not accepted: a DOCTYPE may only name its DTD (SYSTEM or "
    "PUBLIC), with nothing declared in [ ] (an internal subset)"
)
_QUOTED = r"""(?:"[^"]*"|'[^']*')"""
#: A DOCTYPE that only names its DTD, as real NITF and NewsML 1.2 documents start:
#: ``<!DOCTYPE nitf SYSTEM "nitf-3-3.dtd">``; the DTD itself is never read.
_EXTERNAL_DOCTYPE = re.compile(
    rf"<!DOCTYPE\s+[^\s\[\]<>\"']+\s+(?:SYSTEM\s+{_QUOTED}|PUBLIC\s+{_QUOTED}\s+{_QUOTED})\s*>"
)
#: Entity references XML itself defines.
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def parse_xml(data: bytes) -> etree._Element:
    """Parse XML from outside safely: no DTD is ever read, no entity declared, nothing fetched.

    The document is looked at in its own encoding (UTF-16 and UTF-32 hide "<!DOCTYPE"
    from a search of the bytes). A DOCTYPE that only names its DTD by an external id (as
    NITF and NewsML 1.2 documents begin) is accepted and the DTD left unread; one with
    declarations of its own (the door to entity bombs and XXE), or any ENTITY declaration,
    is refused. The parser loads no DTD, expands no entity and never reaches the network;
    the references a DTD would have defined are read as the HTML character entities they
    name (``&eacute;``), and any other is refused.
    """
    encoding, skip = sniff_encoding(data)
    text = data[skip:].decode(encoding, errors="replace")
    upper = text.upper()
    if "<!ENTITY" in upper:
        raise IngestError(_NO_DTD)
    declared = upper.count("<!DOCTYPE")
    if declared > 1:
        raise IngestError(_NO_DTD)
    if declared == 1:
        at = upper.index("<!DOCTYPE")
        if not _EXTERNAL_DOCTYPE.match(text, at):
            raise IngestError(_INTERNAL_SUBSET)
    try:
        root = etree.fromstring(relabel_utf8(data) if not skip else data, safe_parser())
    except etree.XMLSyntaxError as error:
        raise IngestError(f"not well-formed XML: {error}") from None
    if root is None:
        raise IngestError("not well-formed XML: empty document")
    info = root.getroottree().docinfo
    if info.externalDTD is not None:
        raise IngestError(_NO_DTD)
    subset = info.internalDTD
    if subset is not None and (any(subset.iterentities()) or any(subset.iterelements())):
        raise IngestError(_INTERNAL_SUBSET)
    if declared:
        _character_entities(root, text)
    return root


#: An XML declaration naming a one-byte Latin encoding.
_SINGLE_BYTE_DECLARATION = re.compile(
    rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])"""
    rb"""((?:iso[-_]?8859[-_]?\d{1,2}|latin[-_]?1|l1|(?:windows|cp)[-_]?125\d|us-ascii|ascii))"""
    rb"""(["'])""",
    re.I,
)


def relabel_utf8(data: bytes) -> bytes:
    """``data`` with its XML declaration saying UTF-8 when it names a one-byte encoding
    but the bytes are UTF-8 (AFP's afp20.xml says iso-8859-1 and is UTF-8: read as
    declared, "Décès" becomes "DÃ©cÃ¨s"). Text really in Latin-1 with any letter beyond
    ASCII is almost never valid UTF-8 (an "é" is one byte there, a lone lead byte here),
    so a document that decodes as UTF-8 and has bytes beyond ASCII is UTF-8; one with
    ASCII only reads the same either way and is left alone."""
    found = _SINGLE_BYTE_DECLARATION.match(data)
    if found is None or data.isascii():
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return data[: found.start(2)] + b"utf-8" + data[found.end(2) :]


def _character_entities(root: etree._Element, text: str) -> None:
    """Read the references an unread DTD would define as the characters HTML gives them;
    refuse one HTML does not name (its meaning is in the DTD, which is never read)."""
    from html.entities import name2codepoint

    for name in set(re.findall(r"&([A-Za-z_][\w.-]*);", text)) - _XML_ENTITIES:
        if name not in name2codepoint:
            raise IngestError(
                f"the document uses the entity &{name}; which only its DTD defines; "
                "khabar never reads a DTD: send the character itself"
            )
    for entity in list(root.iter(etree.Entity)):
        char = chr(name2codepoint[entity.name]) + (entity.tail or "")
        parent, before = entity.getparent(), entity.getprevious()
        if parent is None:
            continue
        if before is not None:
            before.tail = (before.tail or "") + char
        else:
            parent.text = (parent.text or "") + char
        parent.remove(entity)


def read_stories(data: bytes, *, lang: str | None = None) -> list[IncomingStory]:
    """Every story in one document, or IngestError; nothing is written."""
    check_size(len(data))
    kind = detect_format(data)
    try:
        if kind == "ninjs":
            return _ninjs(data)
        if kind == "newsml":
            return _newsml(parse_xml(data))
        if kind == "nitf":
            return [parse_nitf(parse_xml(data))]
        if kind == "newsml1":
            return parse_newsml1(parse_xml(data))
        if kind == "anpa":
            return [parse_anpa(data)]
        if kind == "ritzau":
            return [parse_ritzau(parse_xml(data))]
        if kind == "feed":
            return _feed(data)
        return [_wire(data, lang)]
    except (NinjsError, NewsMLError, WireError, ItemError) as error:
        raise IngestError(str(error)) from None


def _ninjs(data: bytes) -> list[IncomingStory]:
    encoding, skip = sniff_encoding(data)
    try:
        doc = json.loads(data[skip:].decode(encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IngestError(f"invalid JSON: {error}") from None
    except RecursionError:
        raise IngestError(NESTED_TOO_DEEPLY) from None
    docs = unwrap(doc)
    if not docs:
        raise IngestError("an empty list of ninjs documents")
    try:
        return [parse_ninjs(d) for d in docs]
    except RecursionError:  # python-jsonschema descends a level a few calls at a time
        raise IngestError(NESTED_TOO_DEEPLY) from None


#: A document whose arrays or objects nest deeper than Python's reader goes (about a
#: thousand levels; no news document comes near): refused, not a server error.
NESTED_TOO_DEEPLY = "invalid JSON: nested too deeply"


def _newsml(root: etree._Element) -> list[IncomingStory]:
    if root.tag == f"{{{NAR}}}newsMessage":
        # A packageItem travels with the items it lists; the items are what is read.
        items = list(root.iter(f"{{{NAR}}}newsItem"))
        if not items:
            raise IngestError("a newsMessage without any newsItem")
        # Picture items travel with the stories that link to them; they are not stories.
        pictures = {i.get("guid", ""): i for i in items if item_class(i) in PICTURE_CLASSES}
        texts = [i for i in items if item_class(i) not in PICTURE_CLASSES]
        if not texts:
            raise IngestError("a newsMessage without any text newsItem: pictures need a story")
        return [parse_newsml(item, pictures) for item in texts]
    return [parse_newsml(root)]


def _wire(data: bytes, lang: str | None) -> IncomingStory:
    story = parse_wire(data, lang=lang)
    d = story.dateline
    return IncomingStory(
        source_id=source_id_for(story),
        source_version=1,
        lang=story.lang,
        headline=story.headline,
        body=list(story.body),
        dateline_city=d.city,
        dateline_date=story.date,
        dateline_agency=d.agency,
        signoff=list(story.signoff),
    )


def _feed(data: bytes) -> list[IncomingStory]:
    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=True)
    if not parsed.version:
        raise IngestError("not an RSS or Atom feed")
    feed_lang = str(parsed.feed.get("language", ""))
    stories = []
    for entry in parsed.entries:
        stories.append(_entry(entry, feed_lang))
    if not stories:
        raise IngestError("the feed has no entries")
    return stories


def _entry(entry: feedparser.FeedParserDict, feed_lang: str) -> IncomingStory:
    source_id = entry.get("id") or entry.get("link") or ""
    headline = " ".join(str(entry.get("title", "")).split())
    if not source_id or not headline:
        raise IngestError("missing required field: a feed entry without an id or a title")
    contents = entry.get("content") or []
    markup = contents[0].get("value", "") if contents else entry.get("summary", "")
    paragraphs = html_paragraphs(markup) if "<" in markup else text_paragraphs(markup)
    if not paragraphs:
        raise IngestError(f"missing required field: the entry {headline!r} has no text")
    tag = (contents[0].get("language") or "") if contents else ""
    try:
        lang = story_lang(tag or feed_lang, headline + " ".join(paragraphs))
    except ValueError as error:
        raise IngestError(str(error)) from None
    # Asked for directly, feedparser warns and falls back from "updated" to "published".
    stamp = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
    when = (
        datetime.datetime.fromtimestamp(calendar.timegm(stamp), tz=datetime.UTC) if stamp else None
    )
    city, agency, date = NO_CITY, "", (when or datetime.datetime.now(datetime.UTC)).date()
    found = split_dateline(lang, paragraphs[0], now=when)
    if found is not None:
        dateline, rest = found
        city, agency = dateline.city, dateline.agency
        date = datetime.date(dateline.year, dateline.month, dateline.day)
        paragraphs = [rest, *paragraphs[1:]] if rest else paragraphs[1:]
    return IncomingStory(
        source_id=source_id,
        # A feed has no version numbers; the update time orders versions just as well.
        source_version=calendar.timegm(stamp) if stamp else 1,
        lang=lang,
        headline=headline,
        body=paragraphs,
        dateline_city=city,
        dateline_date=date,
        dateline_agency=agency[:40],
        byline=str(entry.get("author", "")),
        tag_names=[t.get("term", "") for t in entry.get("tags", []) if t.get("term")],
    )


def store(
    stories: Iterable[IncomingStory],
    *,
    actor: Actor,
    publish: bool = False,
    section: Section | None = None,
    files: Attachments | Mapping[str, bytes] | None = None,
) -> list[Result]:
    """Store the stories of one document in one transaction, as ``actor``: all, or none.

    Pictures whose files are in ``files`` are checked first, then stored with their story
    (see the module docstring); a picture refused refuses the document. A "held" update
    of a live story is kept for an editor, with its pictures, and changes nothing live.
    """
    if actor is None:
        raise PermissionDenied("no actor: every write names who does it")
    stories = list(stories)
    attachments = files if isinstance(files, Attachments) else Attachments(files)
    supplied = _check_pictures(stories, attachments)
    results = []
    written: list[str] = []
    try:
        with transaction.atomic():
            for story in stories:
                if story.foreign:
                    results.append(Result(_keep_foreign(story, actor), "incoming"))
                    continue
                if story.is_kill:
                    results.append(_kill(story, actor))
                    continue
                target = section_for(story, section)
                scheduled = _scheduled_story(story, actor)
                if scheduled is not None:
                    article, outcome = scheduled, "held"
                else:
                    article, outcome = actions.ingest_article(
                        source_id=story.source_id[:300],
                        source_version=story.source_version,
                        section=target,
                        fields=story.fields(),
                        tag_names=story.tag_names,
                        publish=publish,
                        actor=actor,
                    )
                reports: list[PhotoReport] = []
                if outcome == "held":
                    outcome, reports = _hold(article, story, target, attachments, supplied, actor)
                elif _may_show_pictures(actor, article, outcome):
                    reports = _store_pictures(article, story, attachments, supplied, actor, written)
                _record(story, actor, article, outcome)
                results.append(Result(article, outcome, reports))
    except BaseException as error:
        # The rows went with the transaction; files written for new photos go too.
        from khabar.photos.renditions import delete_files

        delete_files(written)
        if isinstance(error, ValidationError):
            raise IngestError(f"invalid story: {_messages(error)}") from None
        if isinstance(error, actions.WorkflowError):
            raise IngestError(str(error)) from None
        raise
    return results


def _record(story: IncomingStory, actor: Actor, article: Article | None, outcome: str) -> None:
    record_for(story, getattr(actor, "origin", ""), article, outcome).save()


def record_for(story: IncomingStory, origin: str, article: Article | None, outcome: str) -> Any:
    """The record of what the story's source said that readers never see: the schema
    check, the notes to editors (desk-only), the subheadline, genre and priority (an
    ``IngestRecord``, not saved yet)."""
    from khabar.syndication.models import IngestRecord

    return IngestRecord(
        article=article,
        origin=origin,
        source_id=story.source_id[:300],
        source_version=story.source_version,
        format=(story.format or "wire")[:40],
        schema_valid=(not story.schema_errors) if story.schema_checked else None,
        schema_errors="\n".join(story.schema_errors[:50]),
        desk_note="\n\n".join(story.desk_notes),
        pub_status=story.pub_status,
        subheadline=story.subheadline[:300],
        genre=story.genre[:60],
        priority=story.priority if story.priority and 0 < story.priority < 100 else None,
        outcome=outcome,
    )


def _kill(story: IncomingStory, actor: Actor) -> Result:
    """A kill from the source: the story it names is withdrawn (or held for an editor)."""
    from khabar.syndication.actions import kill_from_source

    origin = getattr(actor, "origin", "")
    article = (
        Article.objects.select_for_update()
        .filter(origin=origin, source_id=story.source_id[:300])
        .first()
    )
    if article is None:
        log.info("kill of %s from %s: no such story here; nothing to do", story.source_id, actor)
        _record(story, actor, None, "ignored")
        return Result(NotStored(), "ignored")
    if article.status == Status.WITHDRAWN:
        _record(story, actor, article, "unchanged")
        return Result(article, "unchanged")
    reason = "; ".join(story.desk_notes) or f"{story.provider or actor}: {story.pub_status}"
    try:
        article, outcome = kill_from_source(
            article, actor=actor, source_version=story.source_version, reason=reason
        )
    except PermissionDenied as error:
        raise IngestError(f"story {article.pk} may not be killed by {actor}: {error}") from None
    _record(story, actor, article, outcome)
    return Result(article, outcome)


def _keep_foreign(story: IncomingStory, actor: Actor) -> Any:
    """An item in a language with no edition, kept in the desk's queue (a newer version
    replaces an older one; an older one changes nothing)."""
    from khabar.syndication.models import ForeignItem

    origin = getattr(actor, "origin", "")
    values = {
        "source_version": story.source_version,
        "lang": story.lang,
        "direction": direction(story.lang),
        "headline": story.headline[:300],
        "summary": story.summary or story.subheadline,
        "body": "\n\n".join(story.body),
        "byline": story.byline[:200],
        "dateline_city": "" if story.dateline_city == NO_CITY else story.dateline_city,
        "dateline_date": story.dateline_date,
        "provider": (story.provider or story.dateline_agency)[:100],
        "tag_names": story.tag_names,
        "desk_note": "\n\n".join(story.desk_notes),
        "format": story.format[:40],
        "pub_status": story.pub_status,
        "received_at": timezone.now(),
    }
    item = ForeignItem.objects.filter(origin=origin, source_id=story.source_id[:300]).first()
    if item is None and story.is_kill:
        return NotStored()
    if story.is_kill:
        ForeignItem.objects.filter(pk=item.pk).update(pub_status=story.pub_status)
        item.refresh_from_db()
        return item
    if item is None:
        return ForeignItem.objects.create(origin=origin, source_id=story.source_id[:300], **values)
    if story.source_version >= item.source_version:
        ForeignItem.objects.filter(pk=item.pk).update(**values)
        item.refresh_from_db()
    return item


def _scheduled_story(story: IncomingStory, actor: Actor) -> Article | None:
    """The actor's own story that an editor scheduled, when this is a newer version of it
    and the actor may not put updates live: a scheduled story goes live by itself, so its
    update is held just as one of a live story is."""
    if actor.has_perm("articles.correct_article") or not story.source_id:
        return None
    return (
        Article.objects.select_for_update()
        .filter(
            origin=getattr(actor, "origin", ""),
            source_id=story.source_id[:300],
            status=Status.SCHEDULED,
            source_version__lt=story.source_version,
        )
        .first()
    )


def _may_show_pictures(actor: Actor, article: Article, outcome: str) -> bool:
    """Pictures change what a story shows: on a live (or scheduled) story, only with the
    right to correct it and only with a new version of it (the same version again changes
    nothing live)."""
    if outcome == "ignored":
        return False
    if article.status not in (*LIVE_STATUSES, Status.SCHEDULED) or outcome in (
        "created",
        "published",
    ):
        return True
    return outcome == "updated" and actor.has_perm("articles.correct_article")


def _hold(
    article: Article,
    story: IncomingStory,
    section: Section,
    attachments: Attachments,
    supplied: dict[int, str],
    actor: Actor,
) -> tuple[str, list[PhotoReport]]:
    """Keep an update the actor may not put live for an editor (``HeldUpdate``)."""
    from khabar.syndication.actions import hold_update

    if not isinstance(actor, PartnerActor):
        raise IngestError(
            f"story {article.pk} is live and {actor} may not correct it; nothing was changed"
        )
    pictures, reports = _library_pictures(story, attachments, supplied, actor)
    held, _new = hold_update(
        article,
        actor=actor,
        source_version=story.source_version,
        fields=story.fields(),
        section=section,
        tag_names=story.tag_names,
        photos=pictures,
    )
    log.info(
        "story %s: update v%s from %s held (%s)", article.pk, held.source_version, actor, held.pk
    )
    return "held", reports


def _library_pictures(
    story: IncomingStory, attachments: Attachments, supplied: dict[int, str], actor: Actor
) -> tuple[list[dict[str, Any]], list[PhotoReport]]:
    """The pictures of a held update, stored in the photo library but shown nowhere yet."""
    from khabar.photos.actions import upload_photo

    pictures: list[dict[str, Any]] = []
    reports = []
    gallery = 0
    for picture in story.photos:
        data = _picture_bytes(picture, attachments, supplied)
        if data is None:
            reports.append(PhotoReport(picture.source_id, "missing", "file not supplied"))
            continue
        name, content = data
        if picture.role == "gallery":
            gallery += 1
        texts = picture.texts()
        photo = upload_photo(
            content, actor=actor, source_id=picture.source_id[:300], lang=story.lang, **texts
        )
        pictures.append(
            {
                "photo": photo.pk,
                "role": picture.role,
                "position": gallery if picture.role == "gallery" else 0,
                "source_id": picture.source_id[:300],
            }
        )
        reports.append(PhotoReport(picture.source_id, "held", name, photo.pk))
    return pictures, reports


def _picture_bytes(
    picture: IncomingPhoto, attachments: Attachments, supplied: dict[int, str]
) -> tuple[str, bytes] | None:
    # Read again when needed rather than kept from the check: one picture in memory at a time.
    name = supplied.get(id(picture))
    return None if name is None else attachments.find([name])


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in error.message_dict.items())
    return "; ".join(error.messages)


def _check_pictures(stories: list[IncomingStory], attachments: Attachments) -> dict[int, str]:
    """The name of each supplied picture file (by ``id()`` of its picture), checked; else
    IngestError."""
    from khabar.photos.validation import inspect_upload

    supplied: dict[int, str] = {}
    if not attachments:
        return supplied
    for story in stories:
        for picture in story.photos:
            found = attachments.find(picture.names)
            if found is None:
                continue
            name, data = found
            try:
                inspect_upload(data, lang=story.lang).image.close()
            except ValidationError as error:
                raise IngestError(
                    f"the picture {name} of {story.headline!r} is refused: "
                    + " ".join(error.messages)
                ) from None
            supplied[id(picture)] = name
    return supplied


def _store_pictures(
    article: Article,
    story: IncomingStory,
    attachments: Attachments,
    supplied: dict[int, str],
    actor: Actor,
    written: list[str],
) -> list[PhotoReport]:
    from khabar.photos.actions import ingest_photo

    reports = []
    gallery = 0
    for picture in story.photos:
        found = _picture_bytes(picture, attachments, supplied)
        if found is None:
            log.info(
                "story %s (%s): picture %s not supplied (looked for %s); stored without it",
                article.pk,
                story.source_id,
                picture.source_id,
                ", ".join(picture.names) or "no file name",
            )
            reports.append(PhotoReport(picture.source_id, "missing", "file not supplied"))
            continue
        if picture.role == "gallery":
            gallery += 1
        photo = ingest_photo(
            article,
            found[1],
            source_id=picture.source_id[:300],
            role=picture.role,
            position=gallery if picture.role == "gallery" else 0,
            actor=actor,
            **picture.texts(),
        )
        if not getattr(photo, "reused", True):
            written += [photo.original.name, *photo.renditions.values_list("file", flat=True)]
        reports.append(PhotoReport(picture.source_id, "stored", found[0], photo.pk))
    return reports


def ingest_bytes(
    data: bytes,
    *,
    actor: Actor,
    publish: bool = False,
    section: Section | None = None,
    lang: str | None = None,
    files: Attachments | Mapping[str, bytes] | None = None,
) -> list[Result]:
    """Read and store one document as ``actor``, with the picture files supplied with it.

    See ``read_stories`` and ``store``; ``files`` maps file names to bytes, or is an
    ``Attachments`` reading them from disk when a document names them.
    """
    return store(
        read_stories(data, lang=lang),
        publish=publish,
        section=section,
        actor=actor,
        files=files,
    )


#: IPTC subject codes and media topics (their first digits) to the section slugs a site
#: commonly has for them: the first that exists in the story's edition is used.
TOPIC_SECTIONS = {
    "01": ("culture", "arts"),
    "02": ("crime", "justice"),
    "03": ("disaster", "world"),
    "04": ("economy", "business"),
    "05": ("education",),
    "06": ("environment",),
    "07": ("health",),
    "08": ("people",),
    "10": ("lifestyle",),
    "11": ("politics",),
    "12": ("religion",),
    "13": ("science", "technology"),
    "14": ("society",),
    "15": ("sport", "sports"),
    "16": ("conflict", "world"),
    "17": ("weather",),
}
#: Words agencies use for categories, to the same section slugs.
WORD_SECTIONS = {
    "sport": ("sport", "sports"),
    "sports": ("sport", "sports"),
    "business": ("business", "economy"),
    "financial": ("business", "economy"),
    "economy": ("economy", "business"),
    "politics": ("politics",),
    "international": ("world",),
    "domestic": ("national", "local"),
    "entertainment": ("culture", "entertainment"),
    "technology": ("technology", "science"),
    "science": ("science", "technology"),
    "health": ("health",),
}


def _category_slugs(categories: Iterable[str]) -> list[str]:
    """Section slugs to try, in order. IPTC subject codes count by their top-level topic,
    and the topic the item names most often comes first: PA's sport trivia (pa1.xml) has
    one economy code before three sport ones and went to Business. Ties, and the words,
    keep the order the item gives them."""
    from django.utils.text import slugify

    groups: dict[str, list[str]] = {}
    votes: dict[str, int] = {}
    for category in categories:
        code = category.rpartition("/")[2].rpartition(":")[2]
        if code.isdigit() and len(code) == 8:
            key = f"topic:{code[:2]}"
            groups.setdefault(key, list(TOPIC_SECTIONS.get(code[:2], ())))
        else:
            slug = slugify(category, allow_unicode=True)
            key = f"word:{slug}"
            groups.setdefault(key, [slug, *WORD_SECTIONS.get(slug, ())])
        votes[key] = votes.get(key, 0) + 1
    ranked = sorted(groups, key=lambda key: -votes[key])
    return [s for key in ranked for s in groups[key] if s]


def section_for(story: IncomingStory, fallback: Section | None) -> Section:
    """The story's section: the one it names, else a section matching its categories
    (by slug or name, through the IPTC topic codes), else ``fallback``, else the first."""
    if story.section_slug:
        own = Section.objects.filter(lang=story.lang, slug=story.section_slug).first()
        if own is not None:
            return own
    if fallback is not None and fallback.lang == story.lang:
        return fallback
    wanted = _category_slugs(story.categories)
    if wanted:
        sections = {s.slug: s for s in Section.objects.filter(lang=story.lang)}
        names = {s.name.casefold(): s for s in sections.values()}
        for slug in wanted:
            found = sections.get(slug) or names.get(slug.casefold())
            if found is not None:
                return found
    first = Section.objects.filter(lang=story.lang).order_by("position", "pk").first()
    if first is None:
        raise IngestError(f"no section exists in the {story.lang} edition; create one first")
    return first
