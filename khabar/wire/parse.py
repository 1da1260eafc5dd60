"""Parse the agency's wire text into a ``WireStory``.

A wire is a headline line, blank lines, body paragraphs separated by blank lines, the first
one opening with a dateline, and an end marker followed by one or more ``** CODE``::

    مباحثات ايرانية روسية ...

    موسكو / 26 تشرين الاول /اكتوبر/ارنا- تباحث نائب وزير الخارجية ...

    انتهى ** 2342

The three editions differ in the dateline and the end marker:

- ``ar``: ``موسكو / 26 تشرين الاول /اكتوبر/ارنا-`` (Levantine and/or Gregorian month), ``انتهى``.
- ``fa``: ``تهران- ایرنا-`` (no date: it is the import date), ``پایان``.
- ``en``: ``MOSCOW, Oct. 26 (IRNA) -``, ``END``.

The year is never in the dateline: it is the ``year`` argument, else the year of the most
recent such day not after ``now``. Text copied from the agency's web page ends with the page's
comment form (``تعليقك``, ``You are replying to: .``), which is dropped.

Paragraphs: in wrapped copy (every body line at most ``WRAP_WIDTH`` characters) a paragraph's
lines are kept together, as typed, until a blank line. Copy whose lines are not wrapped has a
paragraph per line, so each non-empty line is a paragraph even without a blank line between
them (some desks send paragraphs on consecutive lines).
"""

from __future__ import annotations

import codecs
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from khabar.lib import dates
from khabar.lib.digits import to_western

LANGUAGES = ("ar", "fa", "en")

#: Wrapped wire copy breaks its lines at about 64 to 80 characters; a body line (the dateline
#: left out) longer than this means the copy is not wrapped, and each line is a paragraph.
WRAP_WIDTH = 90
END_MARKERS: dict[str, str] = {"ar": "انتهى", "fa": "پایان", "en": "END"}

# The first line of the web page's comment form, which follows the end marker when a story
# is copied from the site; it and everything after it are dropped.
COMMENT_FORM_STARTS: tuple[str, ...] = (
    "تعليقك",
    "تعليقكم",
    "نظر شما",
    "your comment",
    "you are replying to:",
)

# A dateline written east of the importer's zone may already be "tomorrow" there, so an aware
# `now` counts as the date in the easternmost zone (UTC+14).
_EASTERNMOST = datetime.timezone(datetime.timedelta(hours=14))

# The two alternatives must not overlap: tatweel (U+0640) is also a word character, and
# (a|a)+ backtracks exponentially on a long run of it (a line of tatweels hung the parser).
_WORD = r"(?:[^\W\d_\u0640]|[\u0640\u064b-\u065f\u0670\u200c])+"
_LEAD = r"[\s\u061c\u200e\u200f\ufeff]*"
_DASH = r"[-\u2010-\u2015\u2212]"

_AR_DATELINE = re.compile(
    rf"{_LEAD}(?P<city>{_WORD}(?:\s+{_WORD}){{0,3}})\s*/\s*"
    rf"(?P<day>\d+)\s*(?P<month>{_WORD}(?:\s+{_WORD})?)"
    rf"(?:\s*/\s*(?P<month2>{_WORD}(?:\s+{_WORD})?))?"
    rf"\s*/\s*(?P<agency>{_WORD}(?:\s+{_WORD}){{0,2}})\s*{_DASH}"
)
_FA_DATELINE = re.compile(
    rf"{_LEAD}(?P<city>{_WORD}(?:\s+{_WORD}){{0,3}})\s*{_DASH}\s*"
    rf"(?P<agency>{_WORD}(?:\s+{_WORD}){{0,2}})\s*{_DASH}"
)
_EN_DATELINE = re.compile(
    rf"{_LEAD}(?P<city>[^\W\d_][^,()\n]{{0,60}}?)\s*,\s*(?P<month>[^\W\d_]+\.?)\s*(?P<day>\d+)"
    rf"\s*\((?P<agency>[^()\n]{{1,40}}?)\)\s*{_DASH}{{1,2}}"
)
_DATELINES: dict[str, re.Pattern[str]] = {
    "ar": _AR_DATELINE,
    "fa": _FA_DATELINE,
    "en": _EN_DATELINE,
}

_END_LINES: dict[str, re.Pattern[str]] = {
    "ar": re.compile(rf"{_LEAD}انته[ىيی](?P<rest>\s*\*.*)?\s*"),
    "fa": re.compile(rf"{_LEAD}پا[یي]ان(?P<rest>\s*\*.*)?\s*"),
    "en": re.compile(rf"{_LEAD}END\.?(?P<rest>\s*\*.*)?\s*"),
}
_CODES = re.compile(r"\s*(?:\*+\s*[^\s*]+\s*)+")
_CODE = re.compile(r"\*+\s*([^\s*]+)")


@dataclass(frozen=True)
class Dateline:
    """Where and when a story was filed, and by which agency."""

    city: str
    day: int
    month: int
    year: int
    agency: str
    text: str  # the dateline prefix exactly as written, stripped


@dataclass(frozen=True)
class WireStory:
    """One wire story: headline, dateline, body paragraphs and sign-off codes."""

    headline: str
    dateline: Dateline
    body: list[str]
    signoff: list[str]
    lang: str = "ar"

    @property
    def date(self) -> datetime.date:
        """Return the dateline's date."""
        return datetime.date(self.dateline.year, self.dateline.month, self.dateline.day)

    def to_dict(self) -> dict[str, Any]:
        """Return the story as plain JSON-ready data (without ``lang``)."""
        d = self.dateline
        return {
            "headline": self.headline,
            "dateline": {
                "city": d.city,
                "day": d.day,
                "month": d.month,
                "year": d.year,
                "agency": d.agency,
                "text": d.text,
            },
            "body": list(self.body),
            "signoff": list(self.signoff),
        }


class WireError(ValueError):
    """A wire text that cannot be parsed; ``line`` is 1-based, or None for the whole text."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_wire_error, (self.message, self.line))


def _wire_error(message: str, line: int | None) -> WireError:
    return WireError(message, line=line)


@dataclass(frozen=True)
class _Block:
    line: int  # 1-based number of the block's first line
    lines: list[str]


def parse_wire(
    data: str | bytes,
    *,
    year: int | None = None,
    now: datetime.date | datetime.datetime | None = None,
    lang: str | None = None,
) -> WireStory:
    """Parse one wire story written in ``lang`` ("ar", "fa", "en"; None: detect it).

    ``data`` is text or UTF-8 bytes, with or without a BOM, with LF or CRLF line ends. The
    dateline's year is ``year`` when given, else that of the most recent such day not after
    ``now`` (a date or datetime, default: now). An aware ``now`` counts as the date in the
    easternmost time zone, so a dateline already "tomorrow" in the city is not pushed back a
    year. The Persian dateline has no date: the story is dated ``now``'s own date, in
    ``year`` if given. Sign-off codes are returned with Western digits.

    Raises ``WireError`` (a ``ValueError``) with the 1-based line number where it applies.
    """
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    lines = _lines(data)
    if not any(line.strip() for line in lines):
        raise WireError("the wire is empty")
    if lang is None:
        lang = _detect_language(lines)
    start = next(i for i, line in enumerate(lines) if line.strip())
    end, signoff, after = _find_end(lines, lang, start)
    _check_trailer(lines, after)
    headline, body = _split_headline(_blocks(lines, start, end), lang, end)
    if not body:
        raise WireError("no body paragraph before the end marker", line=end + 1)
    first = body[0]
    match = _DATELINES[lang].match(first.lines[0])
    if match is None:
        raise WireError(
            f"no dateline at the start of the first paragraph (expected {_EXAMPLES[lang]})",
            line=first.line,
        )
    dateline = _DATELINE_PARSERS[lang](match, first.line, year, now)
    rest = [first.lines[0][match.end() :].strip(), *first.lines[1:]]
    if _is_wrapped([rest, *(block.lines for block in body[1:])]):
        paragraphs = ["\n".join(line for line in rest if line)] if any(rest) else []
        paragraphs += ["\n".join(block.lines) for block in body[1:]]
    else:
        lines = [*rest, *(line for block in body[1:] for line in block.lines)]
        paragraphs = [line.strip() for line in lines if line.strip()]
    if not paragraphs:
        raise WireError("no body text after the dateline", line=first.line)
    return WireStory(headline, dateline, paragraphs, signoff, lang)


def _is_wrapped(blocks: list[list[str]]) -> bool:
    """Whether the body's lines (the dateline left out) were broken at a fixed width, so that
    a line is not a paragraph."""
    return all(len(line) <= WRAP_WIDTH for lines in blocks for line in lines)


def _lines(data: str | bytes) -> list[str]:
    """Decode ``data`` and split it into lines without their ends or trailing spaces."""
    if isinstance(data, bytes):
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise WireError(
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line=line
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _detect_language(lines: list[str]) -> str:
    """Guess the edition from the end marker or, failing that, from the script."""
    for line in lines:
        for lang, pattern in _END_LINES.items():
            if pattern.fullmatch(line):
                return lang
    text = "".join(lines)
    latin = sum(1 for char in text if char.isascii() and char.isalpha())
    arabic_script = sum(1 for char in text if "\u0600" <= char <= "\u06ff")
    if latin > arabic_script:
        return "en"
    persian = sum(text.count(char) for char in "پچژگ")
    return "fa" if persian else "ar"


def _find_end(lines: list[str], lang: str, start: int) -> tuple[int, list[str], int]:
    """Return the end marker's index, its codes and the index of the first line after them."""
    pattern = _END_LINES[lang]
    marker = END_MARKERS[lang]
    for index in range(start, len(lines)):
        match = pattern.fullmatch(lines[index])
        if match is None:
            continue
        rest = match.group("rest") or ""
        if rest.replace("*", "").strip() and not _CODES.fullmatch(rest):
            raise WireError(f"malformed end marker: expected '{marker} ** CODE'", line=index + 1)
        codes = _CODE.findall(rest)
        after = index + 1
        # Some wires put the codes on lines of their own under the marker.
        for following in range(index + 1, len(lines)):
            if _CODES.fullmatch(lines[following]):
                codes += _CODE.findall(lines[following])
                after = following + 1
            elif lines[following].strip():
                break
        if not codes:
            raise WireError(
                f"end marker without a code: expected '{marker} ** CODE'", line=index + 1
            )
        return index, [to_western(code) for code in codes], after
    raise WireError(f"no end marker: expected a line '{marker} ** CODE'")


def _check_trailer(lines: list[str], after: int) -> None:
    """Accept only blank lines or the web page's comment form after the end marker."""
    for index in range(after, len(lines)):
        text = lines[index].strip()
        if not text:
            continue
        if text.casefold().startswith(COMMENT_FORM_STARTS):
            return
        raise WireError(f"unexpected text after the end marker: {text[:40]!r}", line=index + 1)


def _blocks(lines: list[str], start: int, end: int) -> list[_Block]:
    """Return the runs of non-blank lines in ``lines[start:end]``."""
    blocks: list[_Block] = []
    current: list[str] = []
    for index in range(start, end + 1):
        line = lines[index] if index < end else ""
        if line.strip():
            if not current:
                blocks.append(_Block(index + 1, current))
            current.append(line)
        else:
            current = []
    return blocks


def _split_headline(blocks: list[_Block], lang: str, end: int) -> tuple[str, list[_Block]]:
    """Return the headline and the body blocks."""
    if not blocks:
        raise WireError("no headline: the wire starts with its end marker", line=end + 1)
    first = blocks[0]
    if _DATELINES[lang].match(first.lines[0]):
        raise WireError("no headline: the wire starts with the dateline", line=first.line)
    # A headline followed by the dateline paragraph without a blank line between them.
    for offset in range(1, len(first.lines)):
        if _DATELINES[lang].match(first.lines[offset]):
            head = _Block(first.line, first.lines[:offset])
            body = _Block(first.line + offset, first.lines[offset:])
            return _headline(head), [body, *blocks[1:]]
    return _headline(first), blocks[1:]


def _headline(block: _Block) -> str:
    return " ".join(line.strip() for line in block.lines)


def _reference_date(now: datetime.date | datetime.datetime | None) -> datetime.date:
    """Return the latest date that ``now`` may be anywhere (see ``parse_wire``)."""
    if now is None:
        now = datetime.datetime.now(datetime.UTC)
    if isinstance(now, datetime.datetime):
        if now.tzinfo is not None and now.utcoffset() is not None:
            return now.astimezone(_EASTERNMOST).date()
        return now.date()
    return now


def _own_date(now: datetime.date | datetime.datetime | None) -> datetime.date:
    """Return ``now``'s date as seen in its own time zone (default: today here)."""
    if now is None:
        return datetime.date.today()
    return now.date() if isinstance(now, datetime.datetime) else now


def _month(name: str, line: int) -> int:
    month = dates.month_from_name(name)
    if month is None:
        raise WireError(f"unknown month name {name.strip()!r}", line=line)
    return month


def _date(
    day_text: str,
    month: int,
    line: int,
    year: int | None,
    now: datetime.date | datetime.datetime | None,
) -> datetime.date:
    """Return the dateline's full date, checking that it exists."""
    day = int(to_western(day_text))
    month_name = dates.ENGLISH_MONTHS[month - 1]
    if not 1 <= day <= 31:
        raise WireError(f"day {day} is out of range 1-31", line=line)
    if year is not None:
        if day > dates.max_day(month, year):
            raise WireError(f"impossible date: {day} {month_name} {year}", line=line)
        return datetime.date(year, month, day)
    try:
        found = dates.resolve_year(day, month, today=_reference_date(now))
    except ValueError:
        raise WireError(f"impossible date: {day} {month_name}", line=line) from None
    return datetime.date(found, month, day)


def _dateline(match: re.Match[str], when: datetime.date) -> Dateline:
    return Dateline(
        city=match.group("city").strip(),
        day=when.day,
        month=when.month,
        year=when.year,
        agency=match.group("agency").strip(),
        text=match.string[match.start("city") : match.end()].strip(),
    )


def _parse_ar(
    match: re.Match[str], line: int, year: int | None, now: datetime.date | datetime.datetime | None
) -> Dateline:
    month = _month(match.group("month"), line)
    second = match.group("month2")
    if second is not None and _month(second, line) != month:
        raise WireError(
            f"month names disagree: {match.group('month').strip()!r} is month {month} but "
            f"{second.strip()!r} is month {_month(second, line)}",
            line=line,
        )
    return _dateline(match, _date(match.group("day"), month, line, year, now))


def _parse_fa(
    match: re.Match[str], line: int, year: int | None, now: datetime.date | datetime.datetime | None
) -> Dateline:
    today = _own_date(now)
    if year is not None:
        if today.day > dates.max_day(today.month, year):
            raise WireError(f"impossible date: {today.day} February {year}", line=line)
        today = today.replace(year=year)
    return _dateline(match, today)


def _parse_en(
    match: re.Match[str], line: int, year: int | None, now: datetime.date | datetime.datetime | None
) -> Dateline:
    month = _month(match.group("month"), line)
    return _dateline(match, _date(match.group("day"), month, line, year, now))


_DATELINE_PARSERS: dict[
    str,
    Callable[[re.Match[str], int, int | None, datetime.date | datetime.datetime | None], Dateline],
] = {"ar": _parse_ar, "fa": _parse_fa, "en": _parse_en}

_EXAMPLES: dict[str, str] = {
    "ar": "'CITY / DAY MONTH /MONTH/AGENCY-'",
    "fa": "'CITY- AGENCY-'",
    "en": "'CITY, Mon. DAY (AGENCY) -'",
}
