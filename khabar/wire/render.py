"""Write a ``WireStory`` back out as wire text, in the layout that ``parse_wire`` reads."""

from __future__ import annotations

import datetime

from khabar.lib import dates
from khabar.lib.digits import localize_digits
from khabar.wire.parse import END_MARKERS, LANGUAGES, Dateline, WireStory

#: The city of a story whose source named none (a stored dateline needs one).
NO_CITY = "—"


def render_dateline(
    dateline: Dateline,
    *,
    lang: str = "ar",
    month_style: str = "both",
    digits: str | None = None,
) -> str:
    """Return the dateline prefix in the canonical form of the ``lang`` edition.

    ``ar``: "موسكو / 26 تشرين الأول /أكتوبر/ارنا-" (``month_style`` "both"), "موسكو / 26
    تشرين الأول/ارنا-" ("levantine") or "موسكو / 26 أكتوبر/ارنا-" ("gregorian"); ``fa``:
    "تهران- ایرنا-" (no date); ``en``: "MOSCOW, Oct. 26 (IRNA) -". ``digits`` defaults to the
    edition's own (Persian for ``fa``, Western otherwise).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    # A story whose source named no place (ingest stores NO_CITY) opens with the date alone.
    city = "" if dateline.city.strip() in ("", NO_CITY) else dateline.city
    if lang == "fa":
        return f"{city}- {dateline.agency}-" if city else f"{dateline.agency}-"
    when = dates.format_dateline_date(
        datetime.date(dateline.year, dateline.month, dateline.day),
        lang=lang,
        month_style=month_style,
        digits=digits,
    )
    if lang == "en":
        return f"{city}, {when} ({dateline.agency}) -" if city else f"{when} ({dateline.agency}) -"
    return f"{city} / {when}/{dateline.agency}-" if city else f"{when}/{dateline.agency}-"


def render_wire(story: WireStory, *, month_style: str = "both", digits: str | None = None) -> str:
    """Return ``story`` as wire text in its own language (``story.lang``).

    The headline, a blank line, the dateline opening the first paragraph, the paragraphs
    separated by blank lines, a blank line, the end marker with its codes
    ("انتهى ** 2342 ** 1483") and a final newline. ``digits`` applies to the dateline's day
    and the codes; it defaults to the edition's own.
    """
    if not story.body:
        raise ValueError("a wire story needs at least one body paragraph")
    if not story.signoff:
        raise ValueError("a wire story needs at least one sign-off code")
    style = dates.DEFAULT_DIGITS[story.lang] if digits is None else digits
    opening = render_dateline(
        story.dateline, lang=story.lang, month_style=month_style, digits=style
    )
    codes = "".join(f" ** {localize_digits(code, style)}" for code in story.signoff)
    paragraphs = [f"{opening} {story.body[0]}", *story.body[1:]]
    return "\n\n".join([story.headline, *paragraphs, END_MARKERS[story.lang] + codes]) + "\n"
