"""ANPA-1312 (and its IPTC 7901 cousin): the plain-text wire of the teleprinter age that
AP, AAP, STT and many others still send.

A message is ``SYN SYN SOH`` (optional), a header line (service and sequence, then after a
unit separator the priority letter, the category letter, the slug and the word count),
``STX``, the text, ``ETX`` (and ``EOT``). In the text a line opening with ``^`` and ending
with ``<`` is a head line (the headline, then "By ..." and the writer's title); a line
indented by a tab or spaces starts a paragraph, any other line break only wraps. A "_"
after the dateline's agency is the dash. A slug or first line saying KILL (or
ELIMINATION, or WITHDRAWAL) kills the story. End lines (``(END)``, ``MORE``, ``nnnn``,
the agency's time stamp ``AP-WS-01-30-24 1045GMT``) are dropped.
"""

from __future__ import annotations

import datetime
import re

from khabar.syndication.formats.body import reflow
from khabar.syndication.formats.item import Raw, build
from khabar.syndication.story import IncomingStory

SOH, STX, ETX, EOT, SYN, US, RS = "\x01", "\x02", "\x03", "\x04", "\x16", "\x1f", "\x1e"
#: Priority letters, as IPTC urgency 1-9.
PRIORITY = {"f": 1, "b": 2, "u": 3, "r": 5, "d": 6, "a": 7, "s": 5, "w": 8}
#: Category letters (ANPA-1312, AP's use), as category names for choosing a section.
CATEGORY = {
    "a": "domestic",
    "i": "international",
    "f": "financial",
    "s": "sports",
    "e": "entertainment",
    "p": "politics",
    "l": "lifestyle",
    "w": "washington",
    "k": "commentary",
    "v": "advisory",
}
_KILL = re.compile(r"\b(kill|elimination|withdrawal|withdrawn)\b", re.I)
_VERSION = re.compile(r"-?(\d+)(?:st|nd|rd|th)\s*Ld|-?Writethru|-?Kill\b|-?Advisory\b", re.I)
_END_LINE = re.compile(
    r"^\s*(?:\(?end\)?|endit|more|nnnn|xxx|\(MORE\)|[A-Z]{2,4}-[A-Z]{2,4}-\d\d-\d\d-\d\d\s+\d{4}\s*[A-Z]{0,4}"
    r"|\d\d-\d\d-\d\d\s+\d{4}\s*[A-Z]{0,4})\s*$",
    re.I,
)


def looks_like_anpa(text: str) -> bool:
    """True for a message framed as ANPA-1312: SOH before the header and STX before the text."""
    head = text.lstrip(SYN)[:400]
    return head.startswith(SOH) and STX in text


def parse_anpa(data: bytes) -> IncomingStory:
    """Read one ANPA-1312 message as an ``IncomingStory`` (``ItemError`` if unusable)."""
    text = data.decode("utf-8", errors="replace") if _utf8(data) else data.decode("latin-1")
    text = text.lstrip(SYN).lstrip(SOH)
    header, _stx, rest = text.partition(STX)
    body = rest.split(ETX)[0].split(EOT)[0]
    service, _us, fields = header.replace(RS, " ").partition(US)
    parts = fields.split() if fields else header.split()[1:]
    sequence = service.strip()
    priority = PRIORITY.get(parts[0].lower()[:1]) if parts else None
    category = CATEGORY.get(parts[1].lower()[:1], "") if len(parts) > 1 else ""
    slug = parts[2] if len(parts) > 2 else ""
    month_day = parts[3] if len(parts) > 3 and re.fullmatch(r"\d\d-\d\d", parts[3]) else ""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    heads: list[str] = []
    copy: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("^") and (stripped.endswith("<") or not copy):
            heads.append(stripped.strip("^<").strip())
        elif _END_LINE.match(line):
            continue
        else:
            copy.append(line.rstrip("<"))
    if heads and heads[0].upper().startswith(("BC-", "AM-", "PM-")):
        slug = slug or heads[0]
        heads.pop(0)
    headline = heads[0] if heads else ""
    byline = next((h[3:].strip() for h in heads[1:] if h.lower().startswith("by ")), "")
    paragraphs = [p.replace(" _ ", " — ") for p in reflow("\n".join(copy))]
    killed = bool(_KILL.search(slug)) or bool(paragraphs and _KILL.match(paragraphs[0]))
    version = 1
    found = _VERSION.search(slug)
    if found and found.group(1):
        version = int(found.group(1)) + 1
    elif found:
        version = 2
    base_slug = _VERSION.sub("", slug).strip("-")
    now = datetime.datetime.now(datetime.UTC)
    when = None
    if month_day:
        try:
            when = now.replace(month=int(month_day[:2]), day=int(month_day[3:]))
        except ValueError:
            when = None
    raw = Raw(
        source_id=f"anpa:{base_slug or sequence}",
        format="ANPA-1312",
        headline=headline,
        paragraphs=[] if killed else paragraphs,
        version=version,
        when=when,
        byline=byline,
        priority=priority,
        urgency=5 if priority is None else (1 if priority <= 2 else 3 if priority <= 4 else 5),
        categories=[category, base_slug],
        desk_notes=[" ".join(paragraphs[:2])] if killed else [],
        pub_status="canceled" if killed else "usable",
    )
    return build(raw)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
