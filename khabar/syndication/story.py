"""What every wire format shares: a story's public URIs, its body as HTML, and the
format-neutral ``IncomingStory`` that ninjs, NewsML-G2, feeds and wire text are read into."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks

from khabar.articles.models import Article, ArticleQuerySet, Section, Tag
from khabar.site.editions import get_edition
from khabar.syndication.formats.body import html_blocks, reflow
from khabar.wire import Dateline, WireError, parse_wire, render_dateline
from khabar.wire.parse import END_MARKERS

#: Publishing statuses that kill a story (IPTC pubStatus, NewsML 1.2 Status, NITF).
KILL_STATUSES = ("canceled", "withheld")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


@dataclass
class IncomingStory:
    """A story read from any format, before it is stored (see ``ingest.store``)."""

    source_id: str
    source_version: int
    lang: str
    headline: str
    body: list[str]
    dateline_city: str
    dateline_date: datetime.date
    dateline_agency: str = ""
    signoff: list[str] = field(default_factory=list)
    urgency: int = 5
    byline: str = ""
    summary: str = ""
    section_slug: str = ""
    tag_names: list[str] = field(default_factory=list)
    embargo_until: datetime.datetime | None = None
    correction_note: str = ""
    #: Pictures the document references (``khabar.syndication.photos.IncomingPhoto``).
    photos: list[Any] = field(default_factory=list)
    #: usable, or canceled / withheld: a kill of the story, with or without a body.
    pub_status: str = "usable"
    #: Notes to editors (edNote, ed-msg, Instruction...): desk-only, never shown to readers.
    desk_notes: list[str] = field(default_factory=list)
    subheadline: str = ""
    genre: str = ""
    #: The provider's priority as sent (IPTC 1-9, ANPA letters mapped to 1-9); None: none.
    priority: int | None = None
    #: Category names and codes the provider sent, for choosing a section.
    categories: list[str] = field(default_factory=list)
    #: The document's format and the schema check: "NewsML-G2 2.12", "ninjs 1.4", "NITF".
    format: str = ""
    #: Every way the document failed its official schema (empty: valid or no schema).
    schema_errors: list[str] = field(default_factory=list)
    schema_checked: bool = False
    #: True when the language has no edition: the item goes to the desk's incoming queue.
    foreign: bool = False
    #: The agency that sent it (provider, copyright holder) when known.
    provider: str = ""

    @property
    def is_kill(self) -> bool:
        return self.pub_status in KILL_STATUSES

    def __post_init__(self) -> None:
        # A partner's document may carry characters XML cannot (NUL, other C0 controls, lone
        # surrogates): stored, they would make our feeds and NewsML impossible to write.
        for name in ("headline", "dateline_city", "dateline_agency", "byline", "summary"):
            setattr(self, name, xml_safe(getattr(self, name)))
        self.correction_note = xml_safe(self.correction_note)
        self.body = [xml_safe(paragraph) for paragraph in self.body]
        self.tag_names = list(
            dict.fromkeys(xml_safe(n).strip()[:100] for n in self.tag_names if n.strip())
        )
        self.desk_notes = [xml_safe(n).strip() for n in self.desk_notes if n and n.strip()]
        self.subheadline = xml_safe(self.subheadline)

    def fields(self) -> dict[str, object]:
        """The keyword arguments of ``actions.ingest_article(fields=...)``."""
        return {
            "lang": self.lang,
            "headline": self.headline,
            "dateline_city": self.dateline_city,
            "dateline_date": self.dateline_date,
            "dateline_agency": self.dateline_agency,
            "body": "\n\n".join(self.body),
            "signoff": " ".join(self.signoff),
            "urgency": self.urgency,
            "byline": self.byline,
            "summary": self.summary or self.subheadline,
            "embargo_until": self.embargo_until,
            "correction_note": self.correction_note,
        }


# URIs -----------------------------------------------------------------------------------


def story_uri(article: Article) -> str:
    """The story's stable identifier: its slug-less address, which never changes."""
    return settings.SITE_URL + reverse(
        "article", kwargs={"edition": article.lang, "pk": article.pk}
    )


def page_url(article: Article) -> str:
    """The story's canonical page."""
    return settings.SITE_URL + article.get_absolute_url()


def attach_versions(articles: Iterable[Article], versions: ArticleQuerySet) -> None:
    """Set ``other_versions`` on each story: its translations among ``versions``, oldest first.

    One query for the whole list, so a feed or an API page costs the same at any length.
    """
    articles = list(articles)
    members: dict[object, list[Article]] = defaultdict(list)
    groups = {a.translation_group for a in articles}
    if groups:
        for other in (
            versions.filter(translation_group__in=groups)
            .only("pk", "lang", "slug", "headline", "version", "translation_group")
            .order_by("pk")
        ):
            members[other.translation_group].append(other)
    for article in articles:
        article.other_versions = [  # type: ignore[attr-defined]
            o for o in members[article.translation_group] if o.pk != article.pk
        ]


def other_versions(article: Article) -> list[Article]:
    """The story's live translations in the other editions (partners' view: embargo included)."""
    if not hasattr(article, "other_versions"):
        attach_versions([article], Article.objects.for_partners())
    # attach_versions sets it on the instance; the model does not declare it.
    versions: list[Article] = article.other_versions  # type: ignore[attr-defined]
    return list(versions)


def translation_source(article: Article) -> Article | None:
    """The version this story was translated from: the oldest of its group, if not itself."""
    older = [o for o in other_versions(article) if o.pk < article.pk]
    return older[0] if older else None


def section_uri(section: Section) -> str:
    return settings.SITE_URL + section.get_absolute_url()


def tag_uri(tag: Tag) -> str:
    return settings.SITE_URL + tag.get_absolute_url()


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def own_concept(uri: str) -> tuple[str, str, str] | None:
    """(kind, lang, slug) when ``uri`` is one of our section or tag pages, else None."""
    prefix = settings.SITE_URL + "/"
    if not uri.startswith(prefix):
        return None
    parts = uri[len(prefix) :].strip("/").split("/")
    if len(parts) == 3 and parts[1] in {"section", "tag"}:
        from urllib.parse import unquote

        return parts[1], parts[0], unquote(parts[2])
    return None


# Dates ----------------------------------------------------------------------------------


def iso(value: datetime.datetime) -> str:
    """An aware datetime as RFC 3339 in UTC, to the second: ``2023-10-26T09:15:00Z``."""
    return value.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def dateline_created(article: Article) -> str:
    """The dateline's day as an RFC 3339 time: midnight there, with the edition's offset.

    ninjs has no dateline date; ``contentCreated`` (when the content was created) is the
    closest, and reading back its own-offset date gives the dateline day exactly.
    """
    zone = get_edition(article.lang).time_zone
    midnight = datetime.datetime.combine(article.dateline_date, datetime.time(), tzinfo=zone)
    return midnight.isoformat()


def parse_time(value: object) -> datetime.datetime | None:
    """An RFC 3339 / ISO 8601 string as an aware datetime (UTC when no offset), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    # Agencies send "2024-01-30T10:00:00 +0100" and dates split over lines: both benign.
    text = re.sub(r"\s*([+-]\d\d:?\d\d|[Zz])$", r"\1", value.strip())
    text = re.sub(r"\s+", "" if "T" in text.upper() else "T", text)
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.datetime.combine(
                datetime.date.fromisoformat(text[:10]), datetime.time()
            )
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


# Body -----------------------------------------------------------------------------------


def dateline_text(article: Article) -> str:
    """The dateline prefix as the agency writes it: ``موسكو / 26 تشرين الأول /أكتوبر/ارنا-``."""
    edition = get_edition(article.lang)
    style = (
        edition.month_style if edition.month_style in {"both", "levantine", "gregorian"} else "both"
    )
    d = article.dateline_date
    line = Dateline(article.dateline_city, d.day, d.month, d.year, article.dateline_agency, "")
    text = render_dateline(line, lang=edition.formats, month_style=style, digits="western")
    # A dateline with no agency has nothing to put in brackets: "LONDON, Jan. 30 -".
    return text.replace(" ()", "") if not article.dateline_agency else text


def body_html(article: Article, *, with_dateline: bool = True) -> str:
    """The body as HTML paragraphs, text escaped; the first opens with the dateline."""
    out = []
    for index, paragraph in enumerate(article.paragraphs):
        html = linebreaks(paragraph, autoescape=True)
        if index == 0 and with_dateline:
            html = html.replace(
                "<p>", f'<p><span class="dateline">{escape(dateline_text(article))}</span> ', 1
            )
        out.append(html)
    return "\n".join(out)


def html_paragraphs(markup: str) -> list[str]:
    """The paragraphs of an HTML fragment: each ``<p>``, subhead, list item, quote and table
    row as plain text, ``<br>`` kept as a line break (see ``formats.body``)."""
    return html_blocks(markup)


def text_paragraphs(text: str) -> list[str]:
    """The paragraphs of plain text, wrapped lines re-flowed (see ``formats.body.reflow``)."""
    return reflow(text)


# Dateline ---------------------------------------------------------------------------------


def split_dateline(
    lang: str, first: str, *, now: datetime.datetime | None
) -> tuple[Dateline, str] | None:
    """Read a dateline prefix off a first paragraph: (dateline, the rest), or None.

    The wire parser knows every edition's dateline; it is given the paragraph as a wire.
    """
    if lang not in END_MARKERS:
        return None
    wire = f"-\n\n{first}\n\n{END_MARKERS[lang]} ** 0\n"
    try:
        story = parse_wire(wire, lang=lang, now=now or timezone.now())
    except WireError:
        return None
    return story.dateline, "\n\n".join(story.body)


def edition_lang(tag: str) -> str:
    """The edition for a BCP 47 language tag (``ar-SA`` → ``ar``); '' when none matches."""
    base = (tag or "").split("-")[0].split("_")[0].lower()
    return base if base in settings.KHABAR_EDITIONS else ""


def guess_lang(text: str) -> str:
    """The edition a text without a language tag is written for, from its script."""
    latin = sum(1 for char in text if char.isascii() and char.isalpha())
    arabic_script = sum(1 for char in text if "\u0600" <= char <= "\u06ff")
    if latin > arabic_script:
        return "en"
    return "fa" if any(char in text for char in "پچژگ") else "ar"


def story_lang(tag: str, text: str) -> str:
    """The edition of a story from its language tag, else its script; ValueError if none."""
    if not tag.strip():
        return guess_lang(text)
    lang = edition_lang(tag)
    if not lang:
        raise ValueError(f"no edition publishes in the language {tag!r}")
    return lang


def urgency_level(value: object) -> int:
    """IPTC urgency 1-9 mapped to our three levels: flash (1), urgent (3), normal (5)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 5
    if number <= 2:
        return 1
    if number <= 4:
        return 3
    return 5


#: Languages written right to left, for the desk's view of an item with no edition.
RTL_LANGS = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "sd", "ug", "ckb", "syr"})


def item_lang(tag: str, text: str) -> tuple[str, bool]:
    """(language, foreign): the edition for the item's language tag (else its script),
    or the tag's own language with ``foreign`` True when no edition publishes in it."""
    if not (tag or "").strip():
        return guess_lang(text), False
    lang = edition_lang(tag)
    if lang:
        return lang, False
    return tag.split("-")[0].split("_")[0].lower()[:16], True


def direction(lang: str) -> str:
    """'rtl' or 'ltr' for a language code."""
    return "rtl" if lang.split("-")[0].lower() in RTL_LANGS else "ltr"
