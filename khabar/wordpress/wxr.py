"""WordPress eXtended RSS (WXR 1.0–1.2) read as a stream: authors, then one item at a time.

``read_wxr`` walks the file with lxml's ``iterparse`` and frees each item once read, so a
file of any size is read in flat memory. Entities are not resolved (a file declaring any is
refused) and nothing is fetched (no DTD, no network): an export is data, never instructions
to the parser. Every value keeps the line it came from (``sourceline``), so a problem
found later can name it.

This module knows nothing of khabar's models; ``khabar.wordpress.checks`` decides what an
item becomes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
#: WXR's own namespaces, whatever the version (1.0, 1.1, 1.2) and scheme (WordPress.com
#: writes https): ``http(s)://wordpress.org/export/1.2/`` and ``…/1.2/excerpt/``.
_WP_ROOTS = ("http://wordpress.org/export/", "https://wordpress.org/export/")


class WxrError(Exception):
    """A file that cannot be read as a WordPress export, with the line where it went wrong."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Author:
    login: str
    display_name: str
    line: int


@dataclass(slots=True)
class Term:
    """A ``<category domain="category|post_tag" nicename="…">Name</category>`` of an item."""

    domain: str
    slug: str
    name: str
    line: int


@dataclass(slots=True)
class Comment:
    wp_id: int
    parent_id: int
    author: str
    email: str
    ip: str
    date_gmt: datetime.datetime | None  # naive, UTC; None when WordPress wrote zeros
    date_local: datetime.datetime | None  # naive, the blog's own clock
    content: str
    approved: str  # "1", "0", "spam", "trash", "post-trashed"
    kind: str  # "", "comment", "pingback", "trackback"
    line: int
    approved_line: int  # where its state is written, for a problem with it


@dataclass(slots=True)
class Item:
    line: int
    post_id: int
    post_type: str
    status: str
    title: str
    guid: str
    link: str
    creator: str
    content: str
    excerpt: str
    post_name: str
    date_gmt: datetime.datetime | None
    date_local: datetime.datetime | None
    comment_status: str
    attachment_url: str
    password: str
    terms: list[Term] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    #: (line, message) of each value that could not be read; the item is still returned.
    problems: list[tuple[int, str]] = field(default_factory=list)


def _kind(namespace: str) -> str:
    if namespace.startswith(_WP_ROOTS):
        return "excerpt" if namespace.rstrip("/").endswith("/excerpt") else "wp"
    if namespace == CONTENT_NS:
        return "content"
    if namespace == DC_NS:
        return "dc"
    return "" if not namespace else "other"


_names: dict[str, str] = {}


def _name(tag: object) -> str:
    """``wp:post_id``, ``content:encoded``, ``title``…: the tag with WXR's prefix, whatever
    namespace URI the file used for it (cached: a file repeats a few dozen tags)."""
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    found = _names.get(tag)
    if found is None:
        namespace, _brace, local = tag[1:].rpartition("}") if tag[0] == "{" else ("", "", tag)
        kind = _kind(namespace)
        found = f"{kind}:{local}" if kind else local
        _names[tag] = found
    return found


def _text(element: etree._Element) -> str:
    return element.text or ""


def parse_date(value: str) -> datetime.datetime | None:
    """WordPress's ``2012-01-03 17:11:37``; None for its "no date" (zeros) or nothing.

    Raises ValueError for anything else.
    """
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    return datetime.datetime.fromisoformat(value).replace(tzinfo=None)


def _int(value: str, line: int, what: str, problems: list[tuple[int, str]]) -> int:
    value = value.strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        problems.append(
            (line, _("%(field)s is not a number: %(value)r") % {"field": what, "value": value})
        )
        return 0


def _date(
    element: etree._Element | None, problems: list[tuple[int, str]]
) -> datetime.datetime | None:
    if element is None:
        return None
    try:
        return parse_date(_text(element))
    except ValueError:
        problems.append(
            (
                element.sourceline or 0,
                _("%(field)s is not a date: %(value)r")
                % {"field": _name(element.tag), "value": _text(element)},
            )
        )
        return None


def _comment(node: etree._Element, problems: list[tuple[int, str]]) -> Comment:
    found: dict[str, etree._Element] = {}
    for child in node:
        found[_name(child.tag)] = child
    line = node.sourceline or 0

    def text(name: str) -> str:
        element = found.get(name)
        return _text(element) if element is not None else ""

    wp_id_element = found.get("wp:comment_id")
    if wp_id_element is None or not text("wp:comment_id").strip():
        problems.append((line, _("a comment without wp:comment_id")))
    return Comment(
        wp_id=_int(text("wp:comment_id"), line, "wp:comment_id", problems),
        parent_id=_int(text("wp:comment_parent"), line, "wp:comment_parent", problems),
        author=text("wp:comment_author"),
        email=text("wp:comment_author_email").strip(),
        ip=text("wp:comment_author_IP").strip(),
        date_gmt=_date(found.get("wp:comment_date_gmt"), problems),
        date_local=_date(found.get("wp:comment_date"), problems),
        content=text("wp:comment_content"),
        approved=text("wp:comment_approved").strip(),
        kind=text("wp:comment_type").strip(),
        line=line,
        approved_line=getattr(found.get("wp:comment_approved"), "sourceline", None) or line,
    )


def _item(node: etree._Element) -> Item:
    problems: list[tuple[int, str]] = []
    line = node.sourceline or 0
    single: dict[str, etree._Element] = {}
    terms: list[Term] = []
    meta: dict[str, str] = {}
    comments: list[Comment] = []
    for child in node:
        name = _name(child.tag)
        if name == "category":
            terms.append(
                Term(
                    domain=child.get("domain", ""),
                    slug=child.get("nicename", ""),
                    name=" ".join(_text(child).split()),
                    line=child.sourceline or line,
                )
            )
        elif name == "wp:postmeta":
            key = value = ""
            for part in child:
                part_name = _name(part.tag)
                if part_name == "wp:meta_key":
                    key = _text(part).strip()
                elif part_name == "wp:meta_value":
                    value = _text(part)
            if key:
                meta[key] = value
        elif name == "wp:comment":
            comments.append(_comment(child, problems))
        elif name:
            single[name] = child

    def text(name: str) -> str:
        element = single.get(name)
        return _text(element) if element is not None else ""

    if "wp:post_id" not in single:
        problems.append((line, _("an item without wp:post_id")))
    return Item(
        line=line,
        post_id=_int(text("wp:post_id"), line, "wp:post_id", problems),
        post_type=text("wp:post_type").strip(),
        status=text("wp:status").strip(),
        title=" ".join(text("title").split()),
        guid=text("guid").strip(),
        link=text("link").strip(),
        creator=text("dc:creator").strip(),
        content=text("content:encoded"),
        excerpt=text("excerpt:encoded"),
        post_name=text("wp:post_name").strip(),
        date_gmt=_date(single.get("wp:post_date_gmt"), problems),
        date_local=_date(single.get("wp:post_date"), problems),
        comment_status=text("wp:comment_status").strip(),
        attachment_url=text("wp:attachment_url").strip(),
        password=text("wp:post_password"),
        terms=terms,
        meta=meta,
        comments=comments,
        problems=problems,
    )


def _author(node: etree._Element) -> Author:
    found = {_name(child.tag): _text(child) for child in node}
    login = found.get("wp:author_login", "").strip()
    return Author(
        login=login,
        display_name=" ".join(found.get("wp:author_display_name", "").split()) or login,
        line=node.sourceline or 0,
    )


def read_wxr(path: Path) -> Iterator[Author | Item]:
    """The authors (from the channel) and items of a WXR file, in file order.

    Raises WxrError naming the file and line for XML that does not parse and for a file
    that is not a WordPress export.
    """
    name = str(path)
    if not path.is_file():
        raise WxrError(name, None, _("no such file"))
    parser = etree.iterparse(
        str(path),
        events=("start-ns", "end"),
        tag=("item", "{*}author"),
        no_network=True,
        resolve_entities=False,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    wxr = False
    declared: bool | None = None
    try:
        for event, value in parser:
            if event == "start-ns":
                wxr = wxr or str(value[1]).startswith(_WP_ROOTS)
                continue
            node = value
            if declared is None:
                # Entities are never expanded: a reference to a declared one would end the
                # text it stands in, the rest lost without a word. WordPress declares none.
                dtd = node.getroottree().docinfo.internalDTD
                declared = dtd is not None and any(True for _entity in dtd.iterentities())
                if declared:
                    raise WxrError(
                        name,
                        None,
                        _("the file declares entities (<!ENTITY …>); a WordPress export has none"),
                    )
            parent = node.getparent()
            if parent is None or parent.tag != "channel":
                continue  # an <author> inside an item, or an item outside the channel
            if not wxr:
                raise WxrError(
                    name, node.sourceline, _("not a WordPress export: no WXR (wp:) namespace")
                )
            if node.tag == "item":
                yield _item(node)
            elif _name(node.tag) == "wp:author":
                yield _author(node)
            else:
                continue
            # Items are read once: free this one and what came before it.
            node.clear(keep_tail=True)
            while node.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        raise WxrError(
            name, error.lineno or None, _("not well-formed XML: %(error)s") % {"error": error.msg}
        ) from None
    except OSError as error:
        raise WxrError(
            name, None, _("cannot read the file: %(error)s") % {"error": error}
        ) from None
    if not wxr:
        raise WxrError(name, None, _("not a WordPress export: no WXR (wp:) namespace"))
