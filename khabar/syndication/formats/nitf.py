"""NITF 3.x (News Industry Text Format), as AP, EFE and many others send it: a whole
``<nitf>`` document in as an ``IncomingStory``, and the body of one inside ninjs or
NewsML-G2.

Where NITF keeps what: ``head/docdata`` has the id (``doc-id``), the urgency (``urgency
ed-urg``), the status (``@management-status``: usable, embargoed, withheld, canceled),
notes to editors (``ed-msg``, desk-only here), keywords (``key-list``) and dates;
``head/tobject`` the subjects; ``body.head`` the headline (``hl1``), subheadline (``hl2``),
byline, dateline (with its ``location/city``) and abstract; ``body.content`` the copy,
with its own ``hl2`` subheads, lists, tables and blocks.
"""

from __future__ import annotations

import hashlib

from lxml import etree

from khabar.syndication.formats.body import element_blocks
from khabar.syndication.formats.item import Raw, build, pub_status
from khabar.syndication.story import IncomingStory, parse_time

NS_3X = "http://iptc.org/std/NITF/2006-10-18/"


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _strip_ns(root: etree._Element) -> etree._Element:
    """NITF arrives with and without its namespace: read both the same way."""
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = etree.QName(node).localname
    return root


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def nitf_body(markup: str) -> list[str]:
    """The paragraphs of an NITF document given as text (a ninjs body, say)."""
    from khabar.syndication.ingest import parse_xml

    root = _strip_ns(parse_xml(markup.encode("utf-8")))
    content = root.find(".//body.content")
    return element_blocks(content if content is not None else root)


def _nitf_time(value: str) -> object:
    """NITF's ISO 8601 basic dates (``20240130T101500+0100``) and ordinary ones."""
    value = (value or "").strip()
    if len(value) >= 8 and value[:8].isdigit() and "-" not in value[:8]:
        value = f"{value[:4]}-{value[4:6]}-{value[6:8]}{value[8:]}"
        if "T" in value and value[11:17].isdigit():
            value = f"{value[:11]}{value[11:13]}:{value[13:15]}:{value[15:17]}{value[17:]}"
    return parse_time(value)


def _dateline_text(dateline: etree._Element | None) -> str:
    """A dateline's words without its <story.date> (EFE's efe_nitf.xml has nothing else in
    it, and the date was read as the city)."""
    if dateline is None:
        return ""
    words = [dateline.text or ""]
    for child in dateline:
        if _local(child) != "story.date":
            words.append("".join(child.itertext()))
        words.append(child.tail or "")
    return " ".join(" ".join(words).split())


def _subheadline(hl1: etree._Element | None, hl2: etree._Element | None) -> str:
    """The <hl2>, unless it only repeats the headline (AP's "originalHeadline")."""
    sub = _text(hl2)
    return "" if sub.casefold() == _text(hl1).casefold() else sub


def _derived_id(root: etree._Element, regsrc: str, docdata: etree._Element | None) -> str:
    """An id for a document whose <doc-id> names only its source (AP's ap-nitf.xml:
    ``<doc-id regsrc="AP"/>``): the source, the issue date and the headline, hashed, so
    the same document sent again is the same story."""
    issued = docdata.find("date.issue") if docdata is not None else None
    headline = (
        " ".join("".join(root.find(".//hl1").itertext()).split())
        if root.find(".//hl1") is not None
        else ""
    )
    if not headline:
        return ""
    norm = issued.get("norm", "") if issued is not None else ""
    digest = hashlib.sha256(f"{regsrc}\n{norm}\n{headline}".encode()).hexdigest()[:20]
    return f"nitf:{regsrc or 'unknown'}:{digest}"


def parse_nitf(root: etree._Element) -> IncomingStory:
    """Read an ``<nitf>`` document as an ``IncomingStory`` (``ItemError`` if unusable)."""
    root = _strip_ns(root)
    head = root.find("head")
    docdata = head.find("docdata") if head is not None else None
    body = root.find("body")
    body_head = body.find("body.head") if body is not None else None
    content = body.find("body.content") if body is not None else None
    find = (lambda path: body_head.find(path)) if body_head is not None else (lambda path: None)
    doc_id = docdata.find("doc-id") if docdata is not None else None
    source_id = doc_id.get("id-string", "") if doc_id is not None else ""
    source_id = (
        source_id or root.get("uno", "") or (docdata.get("uno", "") if docdata is not None else "")
    )
    if not source_id and doc_id is not None:
        source_id = _derived_id(root, doc_id.get("regsrc", ""), docdata)
    urgency = docdata.find("urgency") if docdata is not None else None
    try:
        ed_urg = int(urgency.get("ed-urg", "")) if urgency is not None else None
    except ValueError:
        ed_urg = None
    status = docdata.get("management-status", "") if docdata is not None else ""
    notes = (
        [_text(m) or m.get("info", "") for m in docdata.iter("ed-msg")]
        if docdata is not None
        else []
    )
    keywords = [k.get("key", "") for k in docdata.iter("keyword")] if docdata is not None else []
    subjects = []
    if head is not None:
        for subject in head.iter("tobject.subject"):
            name = subject.get("tobject.subject.matter") or subject.get("tobject.subject.type", "")
            subjects.append((name, subject.get("tobject.subject.refnum", "")))
    genre = head.find("tobject") if head is not None else None
    issued = docdata.find("date.issue") if docdata is not None else None
    dateline = find("dateline")
    city = dateline.find(".//city") if dateline is not None else None
    if city is None and dateline is not None:
        # AP names the place in <location> with no <city> inside.
        city = dateline.find("location")
    evloc = docdata.find("evloc") if docdata is not None else None
    byline = find("byline")
    if byline is not None:
        # <byttl> is the writer's title ("AP Science Writer"): kept after a comma.
        person = byline.find("person")
        title = byline.find("byttl")
        if person is not None:
            by = _text(person)
        else:
            # AP's ap-nitf.xml: "By BERNARD CONDON<byttl>AP Business Writer</byttl>" read
            # as one string gave "BERNARD CONDONAP Business Writer".
            words = [byline.text or ""]
            for child in byline:
                if child is not title:
                    words.append("".join(child.itertext()))
                words.append(child.tail or "")
            by = " ".join(" ".join(words).split())
        if title is not None and _text(title):
            by = f"{by}, {_text(title)}"
        by = by.removeprefix("By ").removeprefix("BY ")
    else:
        by = ""
    version = 1
    if doc_id is not None and doc_id.get("regsrc"):
        pass
    try:
        version = (
            int(docdata.find("du-key").get("version", "1"))
            if docdata is not None and docdata.find("du-key") is not None
            else 1
        )
    except ValueError:
        version = 1
    lang = root.get("{http://www.w3.org/XML/1998/namespace}lang") or (
        head.find("meta[@name='language']").get("content", "")
        if head is not None and head.find("meta[@name='language']") is not None
        else ""
    )
    copyright = docdata.find("doc.copyright") if docdata is not None else None
    raw = Raw(
        source_id=source_id,
        format=f"NITF {root.get('version', '').rpartition('NITF ')[2].split('/')[0] or '3.x'}",
        headline=_text(find("hedline/hl1"))
        or _text(head.find("title") if head is not None else None),
        paragraphs=element_blocks(content) if content is not None else [],
        version=version,
        lang_tag=lang,
        when=_nitf_time(issued.get("norm", "")) if issued is not None else None,
        dateline=_dateline_text(dateline) if city is None else "",
        city=_text(city) or (evloc.get("city", "") if evloc is not None else ""),
        provider=(copyright.get("holder", "") if copyright is not None else "")
        or _text(find("distributor")),
        byline=by,
        summary=_text(find("abstract")),
        subheadline=_subheadline(find("hedline/hl1"), find("hedline/hl2")),
        genre=genre.get("tobject.type", "")
        if genre is not None and genre.get("tobject.type") != "news"
        else "",
        priority=ed_urg,
        urgency=5 if ed_urg is None else (1 if ed_urg <= 2 else 3 if ed_urg <= 4 else 5),
        categories=[c for pair in subjects for c in pair],
        tag_names=[n for n, _code in subjects if n] + [k for k in keywords if k],
        desk_notes=notes,
        pub_status=pub_status(status),
    )
    return build(raw)
