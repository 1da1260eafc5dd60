"""Template helpers that show dates, datelines and numbers in the edition's style."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django import template
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils import translation

from khabar.lib.dates import format_date
from khabar.lib.digits import localize_digits
from khabar.site.editions import Edition, default_edition, formats_of
from khabar.site.splice import Kept, place, unplaced
from khabar.wire.parse import Dateline
from khabar.wire.render import render_dateline

register = template.Library()


def _edition(context: template.Context) -> Edition:
    edition = context.get("edition")
    return edition if isinstance(edition, Edition) else default_edition()


def _month_style(edition: Edition) -> str:
    return (
        edition.month_style if edition.month_style in {"both", "levantine", "gregorian"} else "both"
    )


@register.simple_tag(takes_context=True)
def edate(context: template.Context, value: Any, with_time: bool = False) -> str:
    """A date or time in the edition's calendar, month names, digits and time zone."""
    if not value:
        return ""
    edition = _edition(context)
    tz = edition.time_zone if isinstance(value, datetime.datetime) else None
    return format_date(
        value,
        lang=edition.formats,
        month_style=_month_style(edition),
        digits=edition.digits,
        tz=tz,
        with_time=with_time,
    )


@register.simple_tag(takes_context=True)
def dateline(context: template.Context, article: Any) -> str:
    """The story's dateline in the agency's style: ``موسكو / 26 تشرين الأول /أكتوبر/ارنا-``."""
    edition = _edition(context)
    d = article.dateline_date
    line = Dateline(
        city=article.dateline_city,
        day=d.day,
        month=d.month,
        year=d.year,
        agency=article.dateline_agency,
        text="",
    )
    return render_dateline(
        line,
        lang=formats_of(article.lang),
        month_style=_month_style(edition),
        digits=edition.digits,
    )


@register.simple_tag(takes_context=True)
def digits(context: template.Context, value: Any) -> str:
    """A number written in the edition's digits."""
    return localize_digits(str(value), _edition(context).digits)


#: ``{% static %}``'s answers, per path: the manifest of hashed names is read once per process
#: anyway, and asking the storage (and the app registry) cost more than the rest of a warm
#: story page's head.
_STATIC_URLS: dict[str, str] = {}
_STATIC_SETTINGS = {"DEBUG", "STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_DIRS"}


@register.simple_tag
def static_url(path: str) -> str:
    """``{% static path %}``, remembered for the life of the process."""
    url = _STATIC_URLS.get(path)
    if url is None:
        url = _STATIC_URLS[path] = static(path)
    return url


@receiver(setting_changed)
def _forget_static_urls(*, setting: str, **kwargs: Any) -> None:
    if setting in _STATIC_SETTINGS:
        _STATIC_URLS.clear()


END_MARKERS = {"ar": "انتهى", "fa": "پایان", "en": "END"}


@register.simple_tag(takes_context=True)
def end_marker(context: template.Context, article: Any) -> str:
    """The wire end marker with the sign-off codes: ``انتهى ** 2342``."""
    marker = END_MARKERS.get(article.lang, "END")
    codes = " ".join(f"** {code}" for code in article.signoff_codes)
    return f"{marker} {codes}".strip()


class FragmentNode(template.Node):
    def __init__(
        self, nodelist: template.NodeList, vary: list[Any], stamp: template.base.FilterExpression
    ):
        self.nodelist = nodelist
        self.vary = vary
        self.stamp = stamp

    def render(self, context: template.Context) -> str:
        stamp = self.stamp.resolve(context)
        if not stamp:
            return self.nodelist.render(context)
        parts = (
            stamp,
            translation.get_language() or "",
            *(str(v.resolve(context)) for v in self.vary),
        )
        # repr: no two lists of values read the same (a "|" in a name cannot shift them).
        key = "frag:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
        store = caches["fragments"]
        kept = store.get(key)
        if type(kept) is not Kept:
            with unplaced():  # what is kept holds no marker of a fragment inside it
                kept = Kept(str(self.nodelist.render(context)))
            store.set(key, kept)
        return place(kept)


@register.tag("fragment")
def fragment(parser: template.base.Parser, token: template.base.Token) -> FragmentNode:
    """``{% fragment "name" key… [stamp=value] %}…{% endfragment %}``: rendered once per stamp.

    The view puts ``fragment_stamp`` (or what ``stamp=`` names: a variable, ``item.key``…)
    in the context: a value that changes whenever a page showing this content is purged, or
    that is made of everything the block shows. Without it the block renders every time.
    """
    bits = token.split_contents()[1:]
    stamp = "fragment_stamp"
    if bits and bits[-1].startswith("stamp="):
        stamp = bits.pop()[len("stamp=") :]
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist, [parser.compile_filter(bit) for bit in bits], parser.compile_filter(stamp)
    )
