"""IPTC NewsML-G2 2.35: a story out as a ``newsItem`` valid against the official schema, and
a ``newsItem`` in as an ``IncomingStory``.

Every XML document from outside is read by ``safe_parser()``: no DTD loading, no entity
expansion, no network, no huge trees.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from lxml import etree

from khabar.articles.models import Article, Status
from khabar.site.editions import get_edition
from khabar.syndication import conf
from khabar.syndication.formats.body import element_blocks
from khabar.syndication.formats.item import ItemError, Raw, build, pub_status
from khabar.syndication.ninjs import live_updates, update_changed, withdrawal_note
from khabar.syndication.photos import (
    IncomingPhoto,
    largest_rendition,
    names_of,
    photo_uri,
    story_pictures,
)
from khabar.syndication.story import (
    IncomingStory,
    dateline_text,
    iso,
    own_concept,
    page_url,
    parse_time,
    section_uri,
    site_host,
    tag_uri,
    text_paragraphs,
    translation_source,
    urgency_level,
    xml_safe,
)

NAR = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = Path(__file__).resolve().parent / "data" / "iptc" / "newsml-g2"
CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
SIGNOFF_TYPE = "khabar:signoff"
MEDIA_TYPE = "application/vnd.iptc.g2.newsitem+xml"


class NewsMLError(ValueError):
    """A document that is not a NewsML-G2 newsItem we can read; the message says why."""


def safe_parser() -> etree.XMLParser:
    """An XML parser that never loads a DTD, expands an entity or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


@cache
def schema() -> etree.XMLSchema:
    """The NewsML-G2 2.35 All-Power schema, read from the local copy only."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA / "NewsML-G2_2.35-spec-All-Power.xsd"), parser))


def schema_errors(root: etree._Element) -> list[str]:
    """Every way ``root`` fails the 2.35 schema (empty when valid)."""
    validator = schema()
    if validator.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in validator.error_log]


# Out --------------------------------------------------------------------------------------


def _e(
    parent: etree._Element, tag: str, text: str | None = None, /, **attrs: str
) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NAR}}}{tag}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        node.text = text
    return node


def _named(parent: etree._Element, tag: str, name: str, lang: str, /, **attrs: str) -> None:
    node = _e(parent, tag, **attrs)
    _e(node, "name", name).set(XML_LANG, lang)


def authority() -> str:
    return conf.NEWSML_AUTHORITY or site_host()


def guid(article: Article) -> str:
    return f"urn:newsml:{authority()}:{article.pk}"


def to_newsml(article: Article) -> bytes:
    """The story as a NewsML-G2 2.35 ``newsItem`` (UTF-8 XML bytes)."""
    if article.status == Status.WITHDRAWN:
        return _withdrawn(article)
    edition = get_edition(article.lang)
    lang, direction = article.lang, edition.direction
    agency = article.dateline_agency or edition.agency or settings.KHABAR_AGENCY_NAME
    root = etree.Element(
        f"{{{NAR}}}newsItem",
        {
            "guid": guid(article),
            "version": str(article.version),
            "standard": "NewsML-G2",
            "standardversion": "2.35",
            "conformance": "power",
            XML_LANG: lang,
        },
        nsmap={None: NAR},
    )
    _e(root, "catalogRef", href=CATALOG)
    rights = _e(root, "rightsInfo")
    _named(rights, "copyrightHolder", settings.KHABAR_AGENCY_NAME, lang, uri=settings.SITE_URL)

    meta = _e(root, "itemMeta")
    _e(meta, "itemClass", qcode="ninat:text")
    _named(meta, "provider", settings.KHABAR_AGENCY_NAME, lang, uri=settings.SITE_URL)
    updates = live_updates(article)
    # A live story's version is as new as its latest update.
    modified = max(
        [article.updated_at, article.published_at or article.updated_at]
        + [update_changed(u) for u in updates]
    )
    _e(meta, "versionCreated", iso(modified))
    _e(meta, "firstCreated", iso(article.first_published_at or article.created_at))
    if article.embargo_until:
        _e(meta, "embargoed", iso(article.embargo_until))
    _e(meta, "pubStatus", qcode="stat:usable")
    corrections = list(article.corrections.all())
    for correction in corrections:
        _e(meta, "edNote", f"{correction.version}: {correction.note}").set(XML_LANG, lang)
    if corrections:
        _e(meta, "signal", qcode="sig:correction")
    _e(meta, "link", rel="irel:seeAlso", href=page_url(article), contenttype="text/html")
    for rank, picture in enumerate(story_pictures(article), start=1):
        # The picture item (guid = residref) and its largest JPEG; rank 1 is the lead.
        largest = largest_rendition(picture)
        _e(
            meta,
            "link",
            rel="irel:associatedWith",
            rank=str(rank),
            residref=photo_uri(picture["photo_id"]),
            href=largest["href"],
            contenttype=largest["mime_type"],
            size=str(largest["size"]),
            title=picture["caption"],
        )
    source = translation_source(article)
    if source is not None:
        _e(
            meta,
            "link",
            rel="irel:translatedFrom",
            residref=guid(source),
            version=str(source.version),
            href=page_url(source),
            contenttype="text/html",
        )

    content = _e(root, "contentMeta")
    _e(content, "urgency", str(article.urgency))
    # The dateline's day, as a date: the content was created where and when it says.
    _e(content, "contentCreated", article.dateline_date.isoformat())
    _e(content, "contentModified", iso(max([article.updated_at, *map(update_changed, updates)])))
    _named(content, "located", article.dateline_city, lang, type="cptype:city")
    _named(content, "infoSource", agency, lang, role="infosrc:originator")
    codes = article.signoff_codes
    creator = article.byline or (codes[0] if codes else agency)
    _named(content, "creator", creator, lang, role="crol:author")
    editor = article.publisher_signoff or (
        article.published_by.get_username() if article.published_by else ""
    )
    if editor:
        _named(content, "contributor", editor, lang, role="crol:editor")
    if article.signoff:
        _e(content, "altId", article.signoff, type=SIGNOFF_TYPE)
    _e(content, "language", tag=lang)
    _named(content, "subject", article.section.name, lang, uri=section_uri(article.section))
    for tag in article.tags.all():
        _named(content, "subject", tag.name, lang, uri=tag_uri(tag))
    if article.slug:
        _e(content, "slugline", article.slug)
    for name, text in (("headline", article.headline), ("dateline", dateline_text(article))):
        node = _e(content, name, text)
        node.set(XML_LANG, lang)
        node.set("dir", direction)
    if article.byline:
        _e(content, "by", article.byline).set(XML_LANG, lang)
    if article.summary:
        _e(content, "description", article.summary, role="drol:summary").set(XML_LANG, lang)

    content_set = _e(root, "contentSet")
    inline = _e(content_set, "inlineXML", contenttype="application/xhtml+xml")
    inline.append(_xhtml(article, direction))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _withdrawn(article: Article) -> bytes:
    """A withdrawn story: a new version with ``pubStatus`` stat:canceled and the withdrawal
    note as ``edNote``, and no copy (no headline, no body): only what names the item."""
    lang = article.lang
    root = etree.Element(
        f"{{{NAR}}}newsItem",
        {
            "guid": guid(article),
            "version": str(article.version),
            "standard": "NewsML-G2",
            "standardversion": "2.35",
            "conformance": "power",
            XML_LANG: lang,
        },
        nsmap={None: NAR},
    )
    _e(root, "catalogRef", href=CATALOG)
    rights = _e(root, "rightsInfo")
    _named(rights, "copyrightHolder", settings.KHABAR_AGENCY_NAME, lang, uri=settings.SITE_URL)
    meta = _e(root, "itemMeta")
    _e(meta, "itemClass", qcode="ninat:text")
    _named(meta, "provider", settings.KHABAR_AGENCY_NAME, lang, uri=settings.SITE_URL)
    changed = max(article.updated_at, article.withdrawn_at or article.updated_at)
    _e(meta, "versionCreated", iso(changed))
    _e(meta, "firstCreated", iso(article.first_published_at or article.created_at))
    _e(meta, "pubStatus", qcode="stat:canceled")
    _e(meta, "edNote", xml_safe(withdrawal_note(article))).set(XML_LANG, lang)
    content = _e(root, "contentMeta")
    _e(content, "contentModified", iso(changed))
    _e(content, "language", tag=lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xhtml(article: Article, direction: str) -> etree._Element:
    html = etree.Element(
        f"{{{XHTML}}}html", {"lang": article.lang, "dir": direction}, nsmap={None: XHTML}
    )
    head = etree.SubElement(html, f"{{{XHTML}}}head")
    etree.SubElement(head, f"{{{XHTML}}}title").text = article.headline
    body = etree.SubElement(html, f"{{{XHTML}}}body")
    for paragraph in article.paragraphs:
        _paragraph(body, paragraph)
    # A live story's updates, newest first as on its page, in the item's own content (one
    # item to fetch, valid as it was; a package of one item per update would make partners
    # assemble the story): each a <div> named by its id, its time first.
    for update in sorted(live_updates(article), key=lambda u: (u.created_at, u.pk), reverse=True):
        div = etree.SubElement(
            body, f"{{{XHTML}}}div", {"class": "live-update", "id": f"update-{update.pk}"}
        )
        etree.SubElement(div, f"{{{XHTML}}}p", {"class": "live-update-time"}).text = iso(
            update.created_at
        )
        for paragraph in update.paragraphs:
            _paragraph(div, paragraph)
        if update.corrected_at and update.correction_note:
            etree.SubElement(
                div, f"{{{XHTML}}}p", {"class": "live-update-correction"}
            ).text = update.correction_note
        if update.signoff:
            etree.SubElement(div, f"{{{XHTML}}}p", {"class": "signoff"}).text = update.signoff
    return html


def _paragraph(parent: etree._Element, paragraph: str) -> None:
    p = etree.SubElement(parent, f"{{{XHTML}}}p")
    lines = paragraph.split("\n")
    p.text = lines[0]
    for line in lines[1:]:
        etree.SubElement(p, f"{{{XHTML}}}br").tail = line


# In ---------------------------------------------------------------------------------------


def _find(node: etree._Element, path: str) -> etree._Element | None:
    return node.find(path.replace("n:", f"{{{NAR}}}"))


def _all(node: etree._Element, path: str) -> list[etree._Element]:
    return node.findall(path.replace("n:", f"{{{NAR}}}"))


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _name(node: etree._Element | None) -> str:
    if node is None:
        return ""
    return _text(_find(node, "n:name")) or node.get("literal", "")


def _body(content_set: etree._Element | None) -> list[str]:
    """Paragraphs of the first inline content: XHTML or NITF blocks, else plain text."""
    if content_set is None:
        return []
    for inline in content_set:
        if not isinstance(inline.tag, str):
            continue
        local = etree.QName(inline).localname
        if local == "inlineXML":
            found = element_blocks(inline)
            if found:
                return found
        if local == "inlineData":
            return text_paragraphs(inline.text or "")
    return []


#: Item classes that carry a story: NewsML-G2's and the older "icls" code Reuters and
#: ANSA still send for a text item.
TEXT_CLASSES = ("ninat:text", "ninat:composite", "icls:text", "icls:composite", "")


def _role(node: etree._Element) -> str:
    return node.get("role", "").rpartition(":")[2].lower()


def _concepts(content: etree._Element) -> tuple[str, list[str], list[str]]:
    """(our section's slug, tag names, category names and codes) from subjects and keywords."""
    section, tags, categories = "", [], []
    for subject in _all(content, "n:subject"):
        own = own_concept(subject.get("uri", ""))
        name = _name(subject)
        code = subject.get("qcode", "")
        if own and own[0] == "section":
            section = section or own[2]
        elif own and own[0] == "tag":
            tags.append(name or own[2])
        else:
            if name:
                tags.append(name)
            categories += [name, code]
    for keyword in _all(content, "n:keyword"):
        if _text(keyword):
            tags.append(_text(keyword))
    return section, tags, [c for c in categories if c]


def parse_newsml(
    root: etree._Element, pictures: dict[str, etree._Element] | None = None
) -> IncomingStory:
    """Read a NewsML-G2 ``newsItem`` element (any 2.x version) as an ``IncomingStory``.

    The item is checked against the 2.35 schema and the result kept with it; a deviation
    that does not stop us reading it (an older version, an offset without a colon, a
    vendor extension) does not refuse it. ``pictures`` are the picture items sent with it
    (in the same ``newsMessage``), by guid; the story's ``link``s name them by ``residref``.
    A ``stat:canceled`` or ``stat:withheld`` item is a kill, with or without a body.
    """
    if root.tag != f"{{{NAR}}}newsItem":
        raise NewsMLError("expected a NewsML-G2 newsItem")
    errors = schema_errors(root) if conf.INGEST_VALIDATE_NEWSML else []
    guid_ = root.get("guid", "").strip()
    if not guid_:
        raise NewsMLError("missing required field 'guid'")
    meta = _find(root, "n:itemMeta")
    content = _find(root, "n:contentMeta")
    if meta is None:
        raise NewsMLError("missing required field: itemMeta (the item's class and status)")
    if content is None:
        content = etree.Element(f"{{{NAR}}}contentMeta")
    item_class_node = _find(meta, "n:itemClass")
    item_class = item_class_node.get("qcode", "") if item_class_node is not None else ""
    if item_class not in TEXT_CLASSES:
        raise NewsMLError(
            f"an item of type {item_class} is not a story: only text items are accepted"
        )
    status_node = _find(meta, "n:pubStatus")
    status = pub_status(status_node.get("qcode", "") if status_node is not None else "")
    headlines = _all(content, "n:headline")
    main = [h for h in headlines if _role(h) in ("", "main", "headline")] or headlines
    sub = [h for h in headlines if "sub" in _role(h)]
    language = _find(content, "n:language")
    tag = language.get("tag", "") if language is not None else root.get(XML_LANG, "")
    created = parse_time(_text(_find(content, "n:contentCreated")))
    when = (
        created
        or parse_time(_text(_find(meta, "n:firstCreated")))
        or parse_time(_text(_find(meta, "n:versionCreated")))
    )
    signoff = next(
        (_text(a) for a in _all(content, "n:altId") if a.get("type") == SIGNOFF_TYPE), ""
    )
    section, tags, categories = _concepts(content)
    descriptions = _all(content, "n:description")
    summary = next(
        (_text(d) for d in descriptions if _role(d) in ("summary", "abstract", "lead")), ""
    )
    genre = _find(content, "n:genre")
    provider = _find(meta, "n:provider")
    creators = [_name(c) for c in _all(content, "n:creator") if _name(c)]
    try:
        version = int(root.get("version", "1"))
    except ValueError:
        version = 1
    raw = Raw(
        source_id=guid_,
        format=f"NewsML-G2 {root.get('standardversion', '') or '2.x'}".strip(),
        headline=_text(main[0]) if main else "",
        paragraphs=_body(_find(root, "n:contentSet")),
        version=version,
        lang_tag=tag,
        when=when,
        dateline=_text(_find(content, "n:dateline")),
        city=_name(_find(content, "n:located")),
        agency=_name(_find(content, "n:infoSource")),
        provider=_code_name(provider),
        byline=_text(_find(content, "n:by")) or ", ".join(creators),
        summary=summary,
        subheadline=_text(sub[0]) if sub else "",
        genre=_code_name(genre),
        urgency=urgency_level(_text(_find(content, "n:urgency")) or 5),
        priority=_int(_text(_find(content, "n:urgency"))),
        categories=categories,
        tag_names=tags,
        desk_notes=[_text(n) for n in _all(meta, "n:edNote")],
        pub_status=status,
        embargo_until=parse_time(_text(_find(meta, "n:embargoed"))),
        section_slug=section,
        signoff=signoff.split(),
        photos=_linked_pictures(meta, pictures or {}),
        schema_errors=errors,
        schema_checked=conf.INGEST_VALIDATE_NEWSML,
    )
    try:
        return build(raw)
    except ItemError as error:
        raise NewsMLError(str(error)) from None


def _code_name(node: etree._Element | None) -> str:
    """A concept's name, else the code of its qcode (``providercode:AP`` → ``AP``)."""
    if node is None:
        return ""
    return _name(node) or node.get("qcode", "").rpartition(":")[2]


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


PICTURE_CLASSES = ("ninat:picture", "ninat:graphic")
PICTURE_RELATIONS = ("irel:associatedWith", "irel:seeAlso", "irel:depicts")


def item_class(item: etree._Element) -> str:
    node = _find(item, "n:itemMeta/n:itemClass")
    return node.get("qcode", "") if node is not None else ""


def _linked_pictures(
    meta: etree._Element, pictures: dict[str, etree._Element]
) -> list[IncomingPhoto]:
    """The pictures a story links to from its ``itemMeta``, in ``rank`` order, lead first."""
    found = []
    for position, link in enumerate(_all(meta, "n:link")):
        residref, href = link.get("residref", ""), link.get("href", "")
        item = pictures.get(residref)
        is_image = link.get("contenttype", "").startswith("image/")
        if item is None and not (is_image and link.get("rel") in PICTURE_RELATIONS):
            continue
        try:
            rank = int(link.get("rank", ""))
        except ValueError:
            rank = 1_000_000 + position
        photo = _picture_item(item) if item is not None else IncomingPhoto("", [])
        photo.source_id = residref or href or photo.source_id
        photo.names = names_of([*photo.names, href] if href else photo.names)
        photo.caption = photo.caption or link.get("title", "")
        if href.startswith(("https://", "http://")):
            photo.urls = [href, *photo.urls]
        found.append((rank, photo))
    ordered = [photo for _rank, photo in sorted(found, key=lambda f: f[0])]
    for index, photo in enumerate(ordered):
        photo.role = "lead" if index == 0 else "gallery"
    return ordered


def _picture_item(item: etree._Element) -> IncomingPhoto:
    """A picture ``newsItem``: its renditions (largest first), caption, credit and rights."""
    content = _find(item, "n:contentMeta")
    remote = _all(item, "n:contentSet/n:remoteContent")

    def width(node: etree._Element) -> int:
        try:
            return int(node.get("width", "0"))
        except ValueError:
            return 0

    remote.sort(key=lambda node: -width(node))
    caption = ""
    credit = ""
    if content is not None:
        described = _all(content, "n:description")
        caption = next(
            (_text(d) for d in described if d.get("role") == "drol:caption"), ""
        ) or _text(_find(content, "n:headline"))
        credit = _text(_find(content, "n:creditline")) or _name(_find(content, "n:creator"))
    return IncomingPhoto(
        source_id=item.get("guid", ""),
        names=names_of(node.get("href", "") for node in remote),
        urls=[
            h for h in (n.get("href", "") for n in remote) if h.startswith(("https://", "http://"))
        ],
        caption=caption,
        credit=credit,
        copyright_holder=_name(_find(item, "n:rightsInfo/n:copyrightHolder")),
    )


def media_type() -> str:
    return f"{MEDIA_TYPE}; charset=utf-8"
