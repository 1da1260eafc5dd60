"""NewsML 1.2 (AFP, Business Wire and others): every text ``NewsItem`` of a ``NewsML``
document in as an ``IncomingStory``.

An item is ``Identification`` (provider, date and item ids, revision), ``NewsManagement``
(status ``Usable`` / ``Canceled`` / ``Withheld``, urgency, ``Instruction`` notes) and one
``NewsComponent`` tree: ``NewsLines`` (headline, subheadline, byline, dateline, keywords),
``DescriptiveMetadata`` (language, genre, subjects, location) and ``ContentItem``s whose
``DataContent`` holds the copy (XHTML, NITF or plain text). Business Wire puts each part
in its own component named by ``Role`` (Body, SubHeadLine, Contact, Logo...).
"""

from __future__ import annotations

from lxml import etree

from khabar.syndication.formats.body import element_blocks, reflow
from khabar.syndication.formats.item import Raw, build, pub_status
from khabar.syndication.formats.nitf import _nitf_time
from khabar.syndication.story import IncomingStory, urgency_level

#: Components whose copy is not the story's text.
NOT_TEXT_ROLES = frozenset({"stylesheet", "logo", "photo", "video", "audio", "graphic", "contact"})
TEXT_FORMATS = ("xhtml", "html", "nitf", "text", "plain", "txt")


def _strip_ns(root: etree._Element) -> etree._Element:
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = etree.QName(node).localname
    return root


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _formal(node: etree._Element | None) -> str:
    return node.get("FormalName", "") if node is not None else ""


def parse_newsml1(root: etree._Element) -> list[IncomingStory]:
    """The stories of a NewsML 1.2 document: its text items (pictures travel with them)."""
    root = _strip_ns(root)
    items = list(root.iter("NewsItem"))
    if not items:
        raise ValueError("a NewsML 1.2 document without any NewsItem")
    return [_item(item) for item in items]


def _role(component: etree._Element) -> str:
    return _formal(component.find("Role")).lower()


def _copy(component: etree._Element) -> list[str]:
    """The text of a component's content items, skipping style sheets, logos and contacts."""
    found: list[str] = []
    if _role(component) in NOT_TEXT_ROLES:
        return found
    for content in component.findall("ContentItem"):
        kind = (_formal(content.find("Format")) + " " + _formal(content.find("MimeType"))).lower()
        media = _formal(content.find("MediaType")).lower()
        data = content.find("DataContent")
        if data is None or (media and media != "text"):
            continue
        if kind.strip() and not any(word in kind for word in TEXT_FORMATS):
            continue
        body = data.find(".//body.content")
        if len(data):
            found += element_blocks(body if body is not None else data)
        else:
            found += reflow(data.text or "")
    for child in component.findall("NewsComponent"):
        found += _copy(child)
    return found


def _item(item: etree._Element) -> IncomingStory:
    ident = item.find("Identification/NewsIdentifier")
    public = _text(ident.find("PublicIdentifier")) if ident is not None else ""
    revision = ident.find("RevisionId") if ident is not None else None
    provider = _text(ident.find("ProviderId")) if ident is not None else ""
    item_id = _text(ident.find("NewsItemId")) if ident is not None else ""
    date_id = _text(ident.find("DateId")) if ident is not None else ""
    # The public identifier ends with the revision: the story's id is what comes before.
    source_id = public.rsplit(":", 1)[0] if public.count(":") >= 4 else public
    source_id = source_id or (f"urn:newsml:{provider}:{date_id}:{item_id}" if item_id else "")
    management = item.find("NewsManagement")
    status = _formal(management.find("Status")) if management is not None else ""
    notes = []
    if management is not None:
        for node in management.findall("Instruction"):
            notes.append(f"{_formal(node)} {_text(node)}".strip())
            if _formal(node).lower() in ("kill", "withdraw", "cancel"):
                status = "canceled"
    urgency = _formal(management.find("Urgency")) if management is not None else ""
    created = _text(management.find("FirstCreated")) if management is not None else ""
    component = item.find("NewsComponent")
    if component is None:
        component = etree.Element("NewsComponent")
    lines = list(component.iter("NewsLines"))
    headline = next(
        (_text(n.find("HeadLine")) for n in lines if n.find("HeadLine") is not None), ""
    )
    sub = next(
        (_text(n.find("SubHeadLine")) for n in lines if n.find("SubHeadLine") is not None), ""
    )
    byline = next((_text(n.find("ByLine")) for n in lines if n.find("ByLine") is not None), "")
    dateline = next(
        (_text(n.find("DateLine")) for n in lines if n.find("DateLine") is not None), ""
    )
    keywords = [_text(k) for n in lines for k in n.findall("KeywordLine") if _text(k)]
    language = next((_formal(n) for n in component.iter("Language") if _formal(n)), "")
    genre = next((_formal(n) for n in component.iter("Genre") if _formal(n)), "")
    subjects = []
    for subject in component.iter("Subject", "SubjectMatter", "SubjectDetail"):
        subjects.append(_formal(subject))
    city = ""
    for location in component.iter("Location"):
        for prop in location.findall("Property"):
            if prop.get("FormalName", "").lower() == "city":
                city = city or prop.get("Value", "")
    sources = [_formal(p) for p in component.iter("Party") if p.getparent().tag == "Provider"]
    sub_component = next(
        (c for c in component.iter("NewsComponent") if _role(c) == "subheadline"), None
    )
    if sub_component is not None and not sub:
        sub = " ".join(_copy_any(sub_component))
    summary_component = next(
        (c for c in component.iter("NewsComponent") if _role(c) in ("abstract", "summary")), None
    )
    paragraphs = [
        p
        for c in ([component] if _role(component) not in ("subheadline",) else [])
        for p in _copy_except(c, ("subheadline", "headline", "abstract", "summary"))
    ]
    try:
        version = int(_text(revision)) if revision is not None else 1
    except ValueError:
        version = 1
    raw = Raw(
        source_id=source_id,
        format="NewsML 1.2",
        headline=headline,
        paragraphs=paragraphs,
        version=version,
        lang_tag=language,
        when=_nitf_time(created),
        dateline=dateline,
        city=city,
        provider=next((s for s in sources if s), provider),
        byline=byline.removeprefix("By ").removeprefix("BY "),
        summary=" ".join(_copy_any(summary_component)) if summary_component is not None else "",
        subheadline=sub,
        genre=genre,
        urgency=urgency_level(urgency or 5),
        priority=int(urgency) if urgency.isdigit() else None,
        categories=subjects,
        tag_names=keywords,
        desk_notes=notes,
        pub_status=pub_status(status),
    )
    return build(raw)


def _copy_any(component: etree._Element) -> list[str]:
    found = []
    for data in component.iter("DataContent"):
        found += element_blocks(data) if len(data) else reflow(data.text or "")
    return found


def _copy_except(component: etree._Element, roles: tuple[str, ...]) -> list[str]:
    """The copy of a component tree without the parts named by ``roles``."""
    if _role(component) in roles:
        return []
    if _role(component) in NOT_TEXT_ROLES:
        return []
    found: list[str] = []
    for content in component.findall("ContentItem"):
        holder = etree.Element("NewsComponent")
        holder.append(_clone(content))
        found += _copy(holder)
    for child in component.findall("NewsComponent"):
        found += _copy_except(child, roles)
    return found


def _clone(node: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(node)
