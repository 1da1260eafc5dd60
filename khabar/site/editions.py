"""Editions: one per language, configured in settings.KHABAR_EDITIONS."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.lib.dates import LANGUAGES as FORMAT_LANGUAGES


@dataclass(frozen=True)
class Edition:
    code: str
    name: str
    site_name: str
    direction: str
    time_zone: ZoneInfo
    digits: str
    month_style: str
    agency: str
    #: The agency's name in this edition's language (the footer's copyright line).
    agency_name: str = ""
    # Whose conventions its dates and datelines follow ("ar", "fa" or "en"): "formats" in
    # its settings, by default its own code when khabar knows it, else English.
    formats: str = "en"

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"


@cache
def _editions() -> dict[str, Edition]:
    editions = {}
    for code, conf in settings.KHABAR_EDITIONS.items():
        editions[code] = Edition(
            code=code,
            name=conf["name"],
            site_name=conf.get("site_name", conf["name"]),
            direction=conf.get("direction", "ltr"),
            time_zone=ZoneInfo(conf.get("time_zone", "UTC")),
            digits=conf.get("digits", "western"),
            month_style=conf.get("month_style", "both"),
            agency=conf.get("agency", ""),
            agency_name=conf.get("agency_name") or conf.get("site_name", conf["name"]),
            formats=conf.get("formats", code if code in FORMAT_LANGUAGES else "en"),
        )
    return editions


def all_editions() -> list[Edition]:
    """Every configured edition, the default first."""
    editions = _editions()
    default = settings.KHABAR_DEFAULT_EDITION
    return [editions[default]] + [e for code, e in editions.items() if code != default]


def get_edition(code: str) -> Edition:
    """The edition for a language code; Http404 when none is configured."""
    try:
        return _editions()[code]
    except KeyError:
        raise Http404("no such edition") from None


def default_edition() -> Edition:
    return _editions()[settings.KHABAR_DEFAULT_EDITION]


def formats_of(code: str) -> str:
    """The date and dateline conventions ("ar", "fa" or "en") of the edition ``code``."""
    edition = _editions().get(code)
    return edition.formats if edition is not None else "en"


def edition_codes() -> list[str]:
    return list(_editions())


def edition_choices() -> list[tuple[str, str]]:
    return [(e.code, e.name) for e in all_editions()]


#: Zone names the desk can say in its languages; others are shown as their IANA name.
ZONE_CITIES = {
    "Asia/Tehran": gettext_lazy("Tehran"),
    "Asia/Baghdad": gettext_lazy("Baghdad"),
    "Asia/Beirut": gettext_lazy("Beirut"),
    "Asia/Damascus": gettext_lazy("Damascus"),
    "Asia/Riyadh": gettext_lazy("Riyadh"),
    "Asia/Dubai": gettext_lazy("Dubai"),
    "Asia/Kabul": gettext_lazy("Kabul"),
    "Africa/Cairo": gettext_lazy("Cairo"),
    "Europe/London": gettext_lazy("London"),
    "Europe/Moscow": gettext_lazy("Moscow"),
    "UTC": gettext_lazy("UTC"),
}


def zone_label(code: str) -> str:
    """The clock an edition's times are in, as the desk says it: "Tehran time" (بتوقيت
    طهران); the default edition's for an unknown code."""
    edition = _editions().get(code) or default_edition()
    zone = str(edition.time_zone)
    return _("%(city)s time") % {"city": ZONE_CITIES.get(zone, zone)}
