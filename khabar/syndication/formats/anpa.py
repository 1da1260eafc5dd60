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


#: A head line: "^Deng has 30 points, short-handed Heat beat Hawks 115-111<", a byline
#: line ends with "=" instead.
_HEAD_LINE = re.compile(r"^\^[^\n]*[<=][ \t]*\r?$", re.M)


def looks_like_anpa(text: str) -> bool:
    """True for a message framed as ANPA-1312 (SOH before the header and STX before the
    text), or one whose framing was taken off on the way (as a file on disk or the text of
    a mail often has it): short header lines, then a ``^...<`` head line."""
    head = text.lstrip(SYN)[:400]
    if head.startswith(SOH) and STX in text:
        return True
    lines = text.lstrip("\ufeff \r\n")[:2000].splitlines()[:8]
    first_head = next((i for i, line in enumerate(lines) if _HEAD_LINE.match(line)), None)
    return (
        first_head is not None
        and 1 <= first_head <= 4
        and not lines[0].lstrip().startswith(("<", "{", "["))
        and all(len(line) <= 80 for line in lines[:first_head])
    )


def parse_anpa(data: bytes) -> IncomingStory:
    """Read one ANPA-1312 message as an ``IncomingStory`` (``ItemError`` if unusable)."""
    text = data.decode("utf-8", errors="replace") if _utf8(data) else data.decode("latin-1")
    text = text.lstrip("\ufeff").lstrip(SYN).lstrip(SOH)
    if STX in text:
        header, _stx, rest = text.partition(STX)
    else:
        # Framing taken off: the header is what stands above the first head line.
        found = _HEAD_LINE.search(text)
        at = found.start() if found else 0
        header, rest = text[:at], text[at:]
    body = rest.split(ETX)[0].split(EOT)[0]
    service, _us, fields = header.replace(RS, " ").partition(US)
    parts = fields.split() if fields else header.split()[1:]
    sequence = service.split()[0] if service.split() else ""
    priority = PRIORITY.get(parts[0].lower()[:1]) if parts else None
    category = CATEGORY.get(parts[1].lower()[:1], "") if len(parts) > 1 else ""
    # The slug runs to the date: "BC-BKN--Heat-Hawks 1stLd-Writethru   02-20 0500" (AP).
    slug_words: list[str] = []
    month_day = ""
    for word in parts[2:]:
        if re.fullmatch(r"\d\d-\d\d", word):
            month_day = word
            break
        slug_words.append(word)
    slug = " ".join(slug_words)
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    heads: list[str] = []
    by_lines: list[str] = []
    stamp: re.Match[str] | None = None
    copy: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("^") and stripped.endswith("=") and not copy:
            # Byline lines end with "=": "^By CHARLES ODUM=", "^AP Sports Writer=".
            by_lines.append(stripped.strip("^=").strip())
        elif stripped.startswith("^") and (stripped.endswith("<") or not copy):
            heads.append(stripped.strip("^<").strip())
        elif _END_LINE.match(line.rstrip().rstrip("<")):
            stamp = _STAMP.search(line) or stamp
            continue
        else:
            copy.append(line.rstrip().rstrip("<"))
    if heads and heads[0].upper().startswith(("BC-", "AM-", "PM-")):
        slug = slug or heads[0]
        heads.pop(0)
    headline = heads[0] if heads else ""
    # Heads below the headline: notes to editors ("Eds: ...", "AP Photo ..."), the summary.
    notes = [h for h in heads[1:] if _NOTE_HEAD.match(h)]
    # The summary is a sentence: a short head is the writer's title ("AAP Sports Writer").
    summary = next(
        (
            h
            for h in heads[1:]
            if h not in notes and not h.lower().startswith("by ") and len(h.split()) >= 8
        ),
        "",
    )
    byline = next((h[3:].strip() for h in heads[1:] if h.lower().startswith("by ")), "")
    if by_lines:
        byline = ", ".join([_strip_by(by_lines[0]), *by_lines[1:]])
    paragraphs = [_typeset(p) for p in reflow("\n".join(copy))]
    killed = bool(_KILL.search(slug)) or bool(paragraphs and _KILL.match(paragraphs[0]))
    version = 1
    found = _VERSION.search(slug)
    if found and found.group(1):
        version = int(found.group(1)) + 1
    elif found:
        version = 2
    base_slug = _VERSION.sub("", slug).strip(" -")
    now = datetime.datetime.now(datetime.UTC)
    when = _stamp_time(stamp)
    if month_day and when is None:
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
        summary=_typeset(summary),
        desk_notes=[" ".join(paragraphs[:2])] if killed else notes,
        pub_status="canceled" if killed else "usable",
    )
    return build(raw)


#: The agency's time stamp at the end: "AP-WF-02-20-16 0337GMT" (month, day, year, time).
_STAMP = re.compile(r"\b[A-Z]{2,4}-[A-Z]{2,4}-(\d\d)-(\d\d)-(\d\d)\s+(\d\d)(\d\d)\s*(GMT|UTC|Z)?\b")


def _stamp_time(stamp: re.Match[str] | None) -> datetime.datetime | None:
    """The moment of the end stamp, when it says GMT (a local time's zone is unknown)."""
    if stamp is None or not stamp.group(6):
        return None
    month, day, year, hour, minute = (int(stamp.group(i)) for i in range(1, 6))
    try:
        return datetime.datetime(2000 + year, month, day, hour, minute, tzinfo=datetime.UTC)
    except ValueError:
        return None


_NOTE_HEAD = re.compile(r"^(?:eds?\b|editors?\b|ap photos?\b|with ap photos?\b)", re.I)


def _typeset(text: str) -> str:
    """The teleprinter's stand-ins as the characters they stand for: " _ " the dash,
    `` and '' the opening and closing quotes."""
    return text.replace(" _ ", " — ").replace("``", "“").replace("''", "”")


def _strip_by(line: str) -> str:
    return re.sub(r"^(?:by|von|par|por)\s+", "", line, flags=re.I)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
