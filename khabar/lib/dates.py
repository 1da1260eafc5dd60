"""Month names and date formatting for the Arabic, Persian and English editions.

Three sets of month names meet in this agency's Arabic copy: the Levantine names
(تشرين الأول), the transliterated Gregorian names (أكتوبر), often both at once, typed with
every spelling variant of hamza, alef maqsura and Persian letters. The Persian edition dates
its pages in the Solar Hijri calendar (۴ آبان ۱۴۰۲) and the English edition follows AP style
(Oct. 26, 2023).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from zoneinfo import ZoneInfo

import jdatetime

from khabar.lib.digits import localize_digits

LANGUAGES = ("ar", "fa", "en")
MONTH_STYLES = ("both", "levantine", "gregorian")

# The digits each edition writes unless told otherwise.
DEFAULT_DIGITS: dict[str, str] = {"ar": "western", "fa": "persian", "en": "western"}

LEVANTINE_MONTHS: tuple[str, ...] = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)

GREGORIAN_AR_MONTHS: tuple[str, ...] = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)

# Solar Hijri months: PERSIAN_MONTHS[0] is month 1 of the Solar Hijri year, not January.
PERSIAN_MONTHS: tuple[str, ...] = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)

ENGLISH_MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# AP style: months of five letters or fewer are spelled out.
ENGLISH_MONTH_ABBR: tuple[str, ...] = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)

# Spellings seen on the wires besides the canonical ones above. Hamza, alef maqsura, ta
# marbuta and Persian ی/ک variants need no entry: the folding below takes care of them.
_GREGORIAN_VARIANTS: dict[int, tuple[str, ...]] = {
    1: ("كانون ثاني", "جانفي", "ژانویه", "Jan"),
    2: ("فيفري", "فوریه", "Feb"),
    3: ("Mar",),
    4: ("أفريل", "آوریل", "Apr"),
    5: ("ماي", "مه"),
    6: ("يونيه", "جوان", "ژوئن", "Jun"),
    7: ("يوليه", "جويلية", "ژوئیه", "Jul"),
    8: ("أوت", "Aug"),
    9: ("سپتامبر", "Sep", "Sept"),
    10: ("تشرين أول", "اکتبر", "Oct"),
    11: ("تشرين ثاني", "نوامبر", "Nov"),
    12: ("كانون أول", "دسامبر", "Dec"),
}

# Harakat, Quranic marks, tatweel, zero-width joiners and bidi controls: invisible in print,
# but they break a plain string comparison.
_IGNORED = re.compile(
    "[\u0610-\u061a\u061c\u0640\u064b-\u065f\u0670\u06d6-\u06ed\u200b-\u200f\u202a-\u202e]"
)
_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ة": "ه",
        "ۀ": "ه",
    }
)


def _fold(name: str) -> str:
    """Return ``name`` reduced to a key that all its spelling variants share."""
    text = _IGNORED.sub("", unicodedata.normalize("NFC", name)).translate(_LETTERS)
    return " ".join(text.split()).casefold().rstrip(".")


def _index(names: dict[int, tuple[str, ...]]) -> dict[str, int]:
    return {_fold(name): month for month, spellings in names.items() for name in spellings}


_GREGORIAN_BY_KEY = _index(
    {
        month: (
            LEVANTINE_MONTHS[month - 1],
            GREGORIAN_AR_MONTHS[month - 1],
            ENGLISH_MONTHS[month - 1],
            ENGLISH_MONTH_ABBR[month - 1],
            *_GREGORIAN_VARIANTS[month],
        )
        for month in range(1, 13)
    }
)
_SOLAR_HIJRI_BY_KEY = _index({month: (name,) for month, name in enumerate(PERSIAN_MONTHS, 1)})


def month_from_name(name: str) -> int | None:
    """Return the Gregorian month number (1-12) named by ``name``, or None if unknown.

    Levantine (تشرين الأول), transliterated Gregorian (أكتوبر, اكتوبر, اکتوبر) and English
    names ("October", "Oct.", "Sept") are recognised, whatever their hamza, alef maqsura,
    ta marbuta, Persian letters, tatweel, diacritics, case or spacing. Solar Hijri names are
    not: see ``solar_hijri_month_from_name``.
    """
    return _GREGORIAN_BY_KEY.get(_fold(name))


def solar_hijri_month_from_name(name: str) -> int | None:
    """Return the Solar Hijri month number (1 = فروردین) named by ``name``, or None."""
    return _SOLAR_HIJRI_BY_KEY.get(_fold(name))


def max_day(month: int, year: int | None = None) -> int:
    """Return the number of days in ``month`` of ``year``; February has 29 when no year."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is out of range 1-12")
    if month == 2:
        leap = year is None or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def resolve_year(day: int, month: int, *, today: datetime.date) -> int:
    """Return the year of the most recent ``day``/``month`` that is not after ``today``.

    29 February resolves to the latest leap year that allows it. A day that no year has
    (31 April, 30 February) raises ``ValueError``.
    """
    if not 1 <= day <= max_day(month):
        raise ValueError(f"{day} {ENGLISH_MONTHS[month - 1]} is not a date in any year")
    # Leap years are never more than eight years apart, so this always returns.
    for year in range(today.year, max(today.year - 9, 0), -1):
        if day <= max_day(month, year) and datetime.date(year, month, day) <= today:
            return year
    raise ValueError(f"no year before {today.isoformat()} has {day} {ENGLISH_MONTHS[month - 1]}")


def _check_options(lang: str, month_style: str, digits: str | None) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    if month_style not in MONTH_STYLES:
        raise ValueError(
            f"unknown month style {month_style!r}; expected one of {', '.join(MONTH_STYLES)}"
        )
    return DEFAULT_DIGITS[lang] if digits is None else digits


def _arabic_month(month: int, month_style: str) -> str:
    levantine, gregorian = LEVANTINE_MONTHS[month - 1], GREGORIAN_AR_MONTHS[month - 1]
    if month_style == "levantine":
        return levantine
    if month_style == "gregorian":
        return gregorian
    return f"{levantine} /{gregorian}"


def _day_month(d: datetime.date, lang: str, month_style: str) -> tuple[str, int]:
    """Return the day and month written for ``lang``, and the year in its calendar."""
    if lang == "ar":
        return f"{d.day} {_arabic_month(d.month, month_style)}", d.year
    if lang == "fa":
        solar = jdatetime.date.fromgregorian(date=d)
        year: int = solar.year
        return f"{solar.day} {PERSIAN_MONTHS[solar.month - 1]}", year
    return f"{ENGLISH_MONTH_ABBR[d.month - 1]} {d.day}", d.year


def format_dateline_date(
    d: datetime.date, *, lang: str, month_style: str = "both", digits: str | None = None
) -> str:
    """Return the date as a dateline writes it, without the year.

    ``ar``: "26 تشرين الأول /أكتوبر" (``month_style`` "both"), "26 تشرين الأول"
    ("levantine") or "26 أكتوبر" ("gregorian"). ``fa``: the Solar Hijri date "۴ آبان".
    ``en``: AP style "Oct. 26". ``digits`` ("western", "arabic" or "persian") defaults to the
    edition's own: Persian digits for ``fa``, Western digits otherwise. ``month_style`` only
    matters for ``ar``.
    """
    digits = _check_options(lang, month_style, digits)
    text, _year = _day_month(d, lang, month_style)
    return localize_digits(text, digits)


def format_date(
    d: datetime.date | datetime.datetime,
    *,
    lang: str,
    month_style: str = "both",
    digits: str | None = None,
    with_year: bool = True,
    tz: ZoneInfo | None = None,
    with_time: bool = False,
) -> str:
    """Return ``d`` formatted for a reader page of the ``lang`` edition.

    ``ar``: "26 تشرين الأول /أكتوبر 2023", ``fa``: "۴ آبان ۱۴۰۲" (Solar Hijri), ``en``:
    "Oct. 26, 2023"; ``with_time`` appends the 24-hour time (" 14:05"). An aware datetime is
    first converted to ``tz`` when one is given; ``tz`` with a naive datetime, or
    ``with_time`` with a plain date, raises ``ValueError``. ``digits`` defaults as in
    ``format_dateline_date``.
    """
    digits = _check_options(lang, month_style, digits)
    if isinstance(d, datetime.datetime):
        if tz is not None:
            if d.tzinfo is None or d.utcoffset() is None:
                raise ValueError("cannot convert a naive datetime to a time zone")
            d = d.astimezone(tz)
        day, time = d.date(), f"{d.hour:02d}:{d.minute:02d}"
    elif with_time:
        raise ValueError("with_time needs a datetime, not a date")
    else:
        day, time = d, ""
    text, year = _day_month(day, lang, month_style)
    if with_year:
        text += f", {year}" if lang == "en" else f" {year}"
    if with_time:
        text += f" {time}"
    return localize_digits(text, digits)
