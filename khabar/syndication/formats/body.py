"""Agency copy into clean paragraphs, whatever it came as.

Plain text is re-flowed: a blank line or an indented line starts a paragraph, any other
line break only wrapped the text. HTML (or XHTML, or an NITF body) keeps its paragraphs,
subheads, list items, quotes and table rows, each as a paragraph of plain text; a ``<br>``
is the one hard line break kept. Nothing of the markup is stored: the reader pages escape
the text and build their own paragraphs.

``tidy_lead`` then takes off the top of a story what belongs in fields (a genre label, a
byline, the dateline) and off its end the agency's own end marks.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

#: Elements whose text is one paragraph of their own.
BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "hl1", "hl2", "li", "blockquote", "pre", "tr"}
    | {"dt", "dd", "figcaption", "caption", "block", "bq", "note"}
)
#: Elements whose text is never copy (styles, scripts, NITF's metadata inside a body).
SKIP = frozenset({"script", "style", "head", "title", "media", "media-reference", "object"})
_TAG = re.compile(r"</?(?:p|br|div|h[1-6]|ul|ol|li|table|section)\b[^>]*>", re.I)


def _local(tag: object) -> str:
    # Not lxml's QName: the HTML parser keeps tag names XML would refuse ("scr<script").
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def looks_like_html(text: str) -> bool:
    """True when "plain" text actually carries paragraph markup (a literal ``<p>``)."""
    return bool(_TAG.search(text))


def reflow(text: str) -> list[str]:
    """Paragraphs of plain text: blank lines and indentation mark them; wrapped lines join."""
    if looks_like_html(text):
        return html_blocks(text)
    raw = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    # Blank lines above or below the copy mark no paragraph (AP's ANPA ends with some).
    while raw and not raw[-1].strip():
        raw.pop()
    while raw and not raw[0].strip():
        raw.pop(0)
    indents = {len(line) - len(line.lstrip(" ")) for line in raw if line.strip()}
    blank_lines = any(not line.strip() for line in raw[1:-1])
    if len(indents) == 1 and min(indents) > 0 and not blank_lines:
        # Every line indented alike and no blank line: each line opens a paragraph.
        return [" ".join(line.split()) for line in raw if line.strip()]
    lines = textwrap.dedent("\n".join(raw))
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        joined = " ".join(" ".join(current).split())
        if joined:
            paragraphs.append(joined)
        current.clear()

    for line in lines.split("\n"):
        if not line.strip():
            flush()
        elif line[:1] == " " and current:
            flush()
            current.append(line)
        else:
            current.append(line)
    flush()
    return paragraphs


def element_blocks(root: lxml.etree._Element) -> list[str]:
    """The paragraphs of a parsed (X)HTML or NITF body element."""
    out: list[str] = []
    _walk(root, out)
    return [p for p in out if p]


def _walk(node: lxml.etree._Element, out: list[str]) -> None:
    local = _local(node.tag)
    if local in SKIP:
        return
    if local in BLOCKS and not any(_local(c.tag) in BLOCKS for c in node.iter() if c is not node):
        raw = _raw_text(node)
        if local in ("p", "block", "pre") and _preformatted(raw):
            # A whole plain-text story in one block, its paragraphs marked by indented
            # lines and its other line breaks only wrapping (Reuters' <p> in
            # tag:reuters.com,0000:newsml_L4N1FL0N0, ANSA's "<p>" in text/plain).
            out.extend(reflow(raw.replace(_BR, "\n\n")))
            return
        out.append(_inline_text(node, local))
        return
    text = " ".join((node.text or "").split())
    if text:
        out.append(text)
    for child in node:
        _walk(child, out)
        tail = " ".join((child.tail or "").split())
        if tail:
            out.append(tail)


def _preformatted(raw: str) -> bool:
    """True when a block's lines are indented unevenly: some lines (paragraph starts) sit
    deeper than the others (wrapped lines). Lines all indented alike are only the XML's
    pretty-printing, and the block is one paragraph."""
    lines = [line for line in raw.expandtabs(4).split("\n")[1:] if line.strip()]
    indents = [len(line) - len(line.lstrip(" ")) for line in lines]
    if len(set(indents)) < 2:
        return False
    return sum(1 for indent in indents if indent > min(indents)) >= 2


def _raw_text(node: lxml.etree._Element) -> str:
    parts = [node.text or ""]
    for child in node:
        parts += _texts(child)
        parts.append(child.tail or "")
    return "".join(parts)


def _inline_text(node: lxml.etree._Element, local: str) -> str:
    if local == "tr":
        cells = [
            " ".join("".join(c.itertext()).split()) for c in node if _local(c.tag) in ("td", "th")
        ]
        return " | ".join(c for c in cells if c)
    parts = [node.text or ""]
    for child in node:
        parts += _texts(child)
        parts.append(child.tail or "")
    # Source line breaks only wrap; a <br> (the sentinel) is the one kept.
    lines = [" ".join(line.split()) for line in "".join(parts).split(_BR)]
    text = "\n".join(line for line in lines if line)
    return f"• {text}" if local == "li" and text else text


_BR = "\u2028"


def _texts(node: lxml.etree._Element) -> list[str]:
    if _local(node.tag) == "br":
        return [_BR]
    found = [node.text or ""]
    for child in node:
        found += _texts(child)
        found.append(child.tail or "")
    return found


def html_blocks(markup: str) -> list[str]:
    """The paragraphs of an HTML fragment (sanitised to text: no markup survives)."""
    if not markup.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return reflow(re.sub(r"<[^>]+>", " ", markup))
    if not any(_local(e.tag) in BLOCKS for e in root.iter()):
        # Text with <br> only: a blank line (two breaks) separates paragraphs.
        for br in root.iter("br"):
            br.tail = "\n" + (br.tail or "")
        return reflow(root.text_content())
    return element_blocks(root)


# The top and the end of a story --------------------------------------------------------------

#: Labels agencies put above a story's first paragraph: the genre, not the lead.
GENRE_LABELS = frozenset(
    "extra urgent flash bulletin alert advisory analysis feature factbox fact box "
    "interview obituary preview review correction update eilmeldung eil zusammenfassung "
    "urgente avance ultimahora última hora breaking profile q&a explainer".split(" ")
)
_GENRES = {label for label in GENRE_LABELS if label} | {
    "fact box",
    "última hora",
    "breaking news",
    "news analysis",
    "q&a",
}
_BYLINE = re.compile(
    r"^(?:by|von|par|por|di|av|kirjoittanut)\s+(?P<name>[^\n.!?]{2,120}?)\s*$", re.I
)
_AGENCY = r"Reuters|dpa|Ritzau|Kyodo|Xinhua|[A-Z]{2,6}"
_DATELINE = re.compile(
    r"^(?P<city>[A-ZÀ-Ý][\w'’. /-]{1,40}?(?:,\s*[A-Z][\w.]{1,12})?)"
    r"(?:,\s*(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Za-z]{3,10}\.?))?\s*"
    r"\((?P<agency>" + _AGENCY + r")\)\.?\s*[-–—]+\s*"
)
#: The agency first, as ANSA writes it: "(ANSA) - ROMA, 30 GEN - ", in English copy
#: "(ANSA) - Rome, October 11 - ".
_AGENCY_FIRST = re.compile(
    r"^\((?P<agency>[A-Za-z]{2,8})\)\s*[-–—]+\s*(?P<city>[A-ZÀ-Ý][\w'’. -]{1,40}?),"
    r"\s*(?P<date>\d{1,2}\s+[A-Za-z]{3,10}\.?|[A-Z][a-z]{2,8}\.?\s+\d{1,2})\s*[-–—]+\s*"
)
#: A dateline with no city, as Reuters sends a story from everywhere: "Jan 30 (Reuters) - ".
_DATE_ONLY = re.compile(
    r"^(?P<city>)(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2})\s*"
    r"\((?P<agency>" + _AGENCY + r")\)\.?\s*[-–—]+\s*"
)
#: Reuters' note to editors above the copy of an update: "(Adds comments, detail)".
_ADVISORY = re.compile(
    r"^\((?:adds|updates|corrects|recasts|changes|repeats|refiles|fixes|removes|inserts|"
    r"writes through|rewrites|advisory|eds?:)\b[^()]*\)$",
    re.I,
)
#: A bullet above the copy: "* Spot gold may edge up" (kept, as a bullet).
_BULLET = re.compile(r"^[*•]\s+")
#: The agency's own marks at the end of a story ("END", "nnnn", "###", "(ende)", "xxx").
_END_MARK = re.compile(
    r"^[(\[]?\s*(?:end|ends|ende|fin|fine|loppu|slut|nnnn|xxx|###|-+\s*end\s*-+|=+)\s*[)\]]?[.\s]*$"
    # AFP's writers' and editors' initials: "ab/xyz", "dr/ach/jj"
    r"|^[a-z]{1,4}(?:/[a-z]{1,4})+$",
    re.I,
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


@dataclass
class Lead:
    """What ``tidy_lead`` took off the story: each empty when it found none."""

    paragraphs: list[str]
    genre: str = ""
    byline: str = ""
    city: str = ""
    agency: str = ""
    month_day: tuple[int, int] | None = None
    removed: list[str] = field(default_factory=list)
    #: Notes to editors found above the copy: desk-only.
    notes: list[str] = field(default_factory=list)


def _is_genre(paragraph: str, genre: str) -> bool:
    label = paragraph.strip().strip(":").strip().lower()
    return bool(label) and len(label) <= 40 and (label in _GENRES or label == genre.lower())


def tidy_lead(
    paragraphs: list[str],
    *,
    genre: str = "",
    city: str = "",
    headline: str = "",
    agency: str = "",
) -> Lead:
    """Take the genre label, the byline and the dateline off the top of ``paragraphs``
    and the end marks off their end; what was taken is returned in the fields of ``Lead``.

    ``genre`` and ``city`` are what the metadata already says: a first paragraph that only
    repeats them is a label or a doubled dateline, not copy.
    """
    lead = Lead(list(paragraphs))
    ps = lead.paragraphs
    while ps and _END_MARK.match(ps[-1]):
        lead.removed.append(ps.pop())
    took_headline = False
    for _ in range(5):
        if not ps:
            break
        first = ps[0]
        if headline and " ".join(first.split()).casefold() == " ".join(headline.split()).casefold():
            ps.pop(0)
            took_headline = True
            continue
        if agency and first.strip().casefold() == agency.strip().casefold():
            ps.pop(0)
            continue
        if took_headline and not lead.genre and len(first.split()) <= 2 and first.isalpha():
            # A label between the repeated headline and the copy (TT's "vignette").
            lead.genre = ps.pop(0)
            continue
        if _ADVISORY.match(first.strip()):
            lead.notes.append(ps.pop(0).strip())
            continue
        if not lead.genre and _is_genre(first, genre):
            lead.genre = ps.pop(0).strip().strip(":").strip()
            continue
        found = _BYLINE.match(first)
        if not lead.byline and found and len(first.split()) <= 12:
            lead.byline = found.group("name").strip(" ,")
            ps.pop(0)
            continue
        if city and first.strip().rstrip(" -–—,").upper() == city.upper():
            # The dateline alone, above the copy that also opens with it.
            ps.pop(0)
            continue
        break
    # Bullets may stand between the top and the byline and dateline (Reuters): they stay,
    # as bullets, and the byline and dateline are looked for below them.
    at = 0
    while at < len(ps) and at < 6 and _BULLET.match(ps[at]):
        ps[at] = _BULLET.sub("• ", ps[at], count=1)
        at += 1
    if at and at < len(ps) and not lead.byline:
        found = _BYLINE.match(ps[at])
        if found and len(ps[at].split()) <= 12:
            lead.byline = found.group("name").strip(" ,")
            ps.pop(at)
    if at < len(ps):
        found = _date_only(ps[at]) or _DATELINE.match(ps[at]) or _AGENCY_FIRST.match(ps[at])
        if found and len(found.group("city").split()) <= 5:
            lead.city = found.group("city").strip()
            lead.agency = found.group("agency")
            date = found.group("date")
            if date and date[0].isdigit():
                day, _sp, month = date.partition(" ")
                date = f"{month} {day}"
            if date:
                month, _sp, day = date.partition(" ")
                number = _MONTHS.get(month[:3].lower())
                if number:
                    lead.month_day = (number, int(day))
            rest = ps[at][found.end() :].strip()
            if rest:
                ps[at] = rest
            else:
                ps.pop(at)
    return lead


def _date_only(paragraph: str) -> re.Match[str] | None:
    found = _DATE_ONLY.match(paragraph)
    if found and found.group("date")[:3].lower() in _MONTHS:
        return found
    return None
