"""IPTC ninjs: stories out as 3.1, 2.2 or 1.6 (valid against the official schemas), and any
1.x-3.x document in as an ``IncomingStory``.

The schemas are closed, so nothing outside them is emitted. Where ninjs has no field for a
part of a wire story, the nearest standard one carries it: the dateline opens the HTML body
(as agencies write it) and its city is ``located``, its day is ``contentCreated``, its agency
is the originating ``infoSources`` entry; the sign-off codes are an ``altIds`` entry.
"""

from __future__ import annotations

import datetime
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import jsonschema_rs
from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from referencing import Registry, Resource

from khabar.articles.models import Article, Status
from khabar.site.editions import get_edition
from khabar.syndication.formats.item import ItemError, Raw, build, pub_status
from khabar.syndication.photos import (
    IncomingPhoto,
    names_of,
    photo_uri,
    story_pictures,
)
from khabar.syndication.story import (
    IncomingStory,
    body_html,
    dateline_created,
    html_paragraphs,
    iso,
    own_concept,
    parse_time,
    section_uri,
    story_uri,
    tag_uri,
    text_paragraphs,
    translation_source,
    urgency_level,
)

# IPTC item relation of a translation to the story it was translated from.
TRANSLATED_FROM = "irel:translatedFrom"
#: An update of a live story, associated with the story it belongs to (khabar's own name:
#: IPTC has no item relation for it).
LIVE_UPDATE = "khabar:liveUpdate"

SCHEMAS = Path(__file__).resolve().parent / "data" / "iptc" / "ninjs"
VERSIONS = ("3.1", "2.2", "1.6")
KNOWN = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.0", "2.1", "2.2", "3.0", "3.1")
SIGNOFF_ROLE = "signoff"
ID_ROLE = "khabar"


class NinjsError(ValueError):
    """A document that is not ninjs we can read; the message says why."""


# Schemas ----------------------------------------------------------------------------------


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() and parsed.tzinfo is not None


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and " " not in value


def format_checker() -> jsonschema.FormatChecker:
    """``date-time`` (RFC 3339: a time and an offset) and ``uri`` (absolute) enforced offline."""
    checker = jsonschema.FormatChecker([])
    checker.checks("date-time")(_date_time)
    checker.checks("uri")(_uri)
    return checker


def _schemas(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The official ninjs ``version`` schema and the GeoJSON schema it refers to."""
    if version not in KNOWN:
        raise ValueError(f"unknown ninjs version {version!r}")
    schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text("utf-8"))
    geo = json.loads((SCHEMAS / "GeoJSON-schema.json").read_text("utf-8"))
    return schema, geo


@cache
def validator(version: str) -> Any:
    """A validator for one official ninjs schema, with GeoJSON resolved from disk."""
    schema, geo = _schemas(version)
    registry: Registry = Registry().with_resource(geo["$id"], Resource.from_contents(geo))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=format_checker())


@cache
def fast_validator(version: str) -> Any:
    """The same schema and formats in jsonschema-rs, thirty times faster: whether a document
    is valid. It may find more wrong than ``validator`` (it checks every format it knows,
    ``validator`` only the two above), never less (tests/test_ninjs_validation.py runs
    both over IPTC's own test suite), so a document it passes needs no second look."""
    schema, geo = _schemas(version)
    if schema.get("$schema", "").startswith("http://json-schema.org/draft-03/"):
        return None  # ninjs 1.0: a draft jsonschema-rs does not read
    return jsonschema_rs.validator_for(
        schema,
        registry=jsonschema_rs.Registry([(geo["$id"], geo)]),
        retriever=_offline,
        validate_formats=True,
        formats={"date-time": _date_time, "uri": _uri},
    )


def _offline(uri: str) -> Any:
    raise ValueError(f"{uri}: not fetched (ninjs schemas are read from disk only)")


def schema_errors(document: dict[str, Any], version: str) -> list[str]:
    """Every way ``document`` fails the ninjs ``version`` schema (empty when valid)."""
    fast = fast_validator(version)
    if fast is not None and fast.is_valid(document):
        return []
    errors = sorted(validator(version).iter_errors(document), key=lambda e: list(e.path))
    return [f"{'/'.join(str(p) for p in e.path) or '(top)'}: {e.message}" for e in errors]


# Out --------------------------------------------------------------------------------------


def _agency(article: Article) -> str:
    return (
        article.dateline_agency or get_edition(article.lang).agency or settings.KHABAR_AGENCY_NAME
    )


def _parts(article: Article) -> dict[str, Any]:
    """Everything a ninjs document says, in neutral names, for every version to pick from."""
    tags = list(article.tags.all())
    corrections = list(article.corrections.all())
    return {
        "uri": story_uri(article),
        "version": str(article.version),
        "first": iso(article.first_published_at or article.created_at),
        "modified": iso(max(article.updated_at, article.published_at or article.updated_at)),
        "content_created": dateline_created(article),
        "embargo": iso(article.embargo_until) if article.embargo_until else None,
        "ednote": "\n".join(f"{c.version}: {c.note}" for c in corrections),
        "subjects": [
            (article.section.name, section_uri(article.section), f"section:{article.section.slug}")
        ]
        + [(t.name, tag_uri(t), f"tag:{t.slug}") for t in tags],
        "agency": _agency(article),
        "html": body_html(article),
        "pictures": story_pictures(article),
    }


def to_ninjs(article: Article, version: str = "3.1") -> dict[str, Any]:
    """The story as a ninjs document of ``version`` (3.1, 2.2 or 1.6)."""
    if version not in VERSIONS:
        raise ValueError(f"ninjs {version} is not offered; choose one of {', '.join(VERSIONS)}")
    if article.status == Status.WITHDRAWN:
        return _withdrawn(article, version)
    p = _parts(article)
    if version == "1.6":
        return _ninjs_1(article, p)
    camel = version.startswith("3")

    def k(name: str) -> str:
        return name if camel else name.lower()

    doc: dict[str, Any] = {
        "uri": p["uri"],
        "standard": {
            "name": "ninjs",
            "version": version,
            "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#",
        },
        "type": "text",
        "version": p["version"],
        k("firstCreated"): p["first"],
        k("versionCreated"): p["modified"],
        k("contentCreated"): p["content_created"],
        k("pubStatus"): "usable",
        "urgency": article.urgency,
        "language": article.lang,
        "headlines": [{"role": "main", "value": article.headline}],
        "bodies": [{"role": "main", k("contentType"): "text/html", "value": p["html"]}],
        "located": article.dateline_city,
        "subjects": [
            {"name": name, "uri": uri, "literal": literal} for name, uri, literal in p["subjects"]
        ],
        k("infoSources"): [{"name": p["agency"], "role": "originator"}],
        k("altIds"): [{"role": ID_ROLE, "value": str(article.pk)}],
    }
    if article.slug:
        doc["slugline"] = article.slug
    if article.summary:
        doc["descriptions"] = [{"role": "summary", "value": article.summary}]
    if article.byline:
        doc["by"] = article.byline
    if article.signoff:
        doc[k("altIds")].append({"role": SIGNOFF_ROLE, "value": article.signoff})
    if p["embargo"]:
        doc["embargoedUntil" if camel else "embargoed"] = p["embargo"]
    if p["ednote"]:
        doc[k("edNote")] = p["ednote"]
    source = translation_source(article)
    if source is not None:
        association = {
            "name": "translatedFrom",
            "uri": story_uri(source),
            "type": "text",
            "language": source.lang,
            "headlines": [{"role": "main", "value": source.headline}],
        }
        if camel:
            association["rel"] = TRANSLATED_FROM  # 2.x has no "rel"; the name says it
        doc["associations"] = [association]
    pictures = [_picture(picture, index, camel) for index, picture in enumerate(p["pictures"])]
    if pictures:
        doc["associations"] = doc.get("associations", []) + pictures
    updates = [_live_update(article, update, camel) for update in live_updates(article)]
    if updates:
        # The story's version is the latest of its own and its updates'.
        doc["associations"] = doc.get("associations", []) + updates
        latest = max(update_changed(u) for u in live_updates(article))
        doc[k("versionCreated")] = max(doc[k("versionCreated")], iso(latest))
    return doc


def live_updates(article: Article) -> list[Any]:
    """A live story's updates, oldest first ([] for a story that never went live). Read
    through the reverse accessor, so syndication does not import the live app."""
    cached = getattr(article, "_live_updates", None)
    if cached is None:
        live = getattr(article, "live", None)
        # .all(), sorted here: a feed prefetches "live__updates" for all its items at once.
        found = live.updates.all() if live is not None else []
        cached = sorted(found, key=lambda u: (u.created_at, u.pk))
        article._live_updates = cached  # type: ignore[attr-defined]
    return cached


def update_changed(update: Any) -> datetime.datetime:
    """When a live update was last written: its correction's time, else its own."""
    return update.corrected_at or update.created_at


def update_html(update: Any) -> str:
    """An update's text as HTML paragraphs (its lines kept), escaped."""
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in update.paragraphs
    )


def _live_update(article: Article, update: Any, camel: bool) -> dict[str, Any]:
    """A live update as an associated ninjs item: each association may carry every ninjs
    property (3.1: ``associations.items`` is a ``ninjsType`` with ``name`` and ``uri``
    required), so an update has its own uri, times, body and, when corrected, the note."""

    def k(name: str) -> str:
        return name if camel else name.lower()

    item: dict[str, Any] = {"name": f"update-{update.pk}"}
    if camel:
        item["rel"] = LIVE_UPDATE
    item |= {
        "uri": f"{story_uri(article)}#update-{update.pk}",
        "type": "text",
        "language": article.lang,
        k("firstCreated"): iso(update.created_at),
        k("versionCreated"): iso(update_changed(update)),
        k("pubStatus"): "usable",
        "bodies": [{"role": "main", k("contentType"): "text/html", "value": update_html(update)}],
    }
    if update.signoff:
        item[k("altIds")] = [{"role": SIGNOFF_ROLE, "value": update.signoff}]
    if update.corrected_at and update.correction_note:
        item["descriptions"] = [{"role": "correction", "value": update.correction_note}]
    return item


def withdrawal_note(article: Article) -> str:
    """What partners are told of a withdrawn story, in its language: not to use it, and why
    when the desk made the reason public."""
    with translation.override(article.lang):
        note = _(
            "This story was withdrawn by %(agency)s. Do not use it, and remove it wherever it "
            "was published."
        ) % {"agency": _agency(article)}
        if article.withdrawal_reason_public and article.withdrawal_reason.strip():
            note += " " + _("Reason: %(reason)s") % {"reason": article.withdrawal_reason.strip()}
    return note


def _withdrawn(article: Article, version: str) -> dict[str, Any]:
    """A withdrawn story as a new version with ``pubStatus`` "canceled" (ninjs has no other
    word for a kill) and the withdrawal note as ``edNote``. It carries no copy: only what
    names the item, so a partner can find and remove it."""
    changed = max(article.updated_at, article.withdrawn_at or article.updated_at)
    if version == "1.6":
        return {
            "uri": story_uri(article),
            "$standard": {
                "name": "ninjs",
                "version": "1.6",
                "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.6.json#",
            },
            "type": "text",
            "version": str(article.version),
            "firstcreated": iso(article.first_published_at or article.created_at),
            "versioncreated": iso(changed),
            "pubstatus": "canceled",
            "language": article.lang,
            "ednote": withdrawal_note(article),
            "altids": {ID_ROLE: str(article.pk)},
        }
    camel = version.startswith("3")

    def k(name: str) -> str:
        return name if camel else name.lower()

    return {
        "uri": story_uri(article),
        "standard": {
            "name": "ninjs",
            "version": version,
            "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#",
        },
        "type": "text",
        "version": str(article.version),
        k("firstCreated"): iso(article.first_published_at or article.created_at),
        k("versionCreated"): iso(changed),
        k("pubStatus"): "canceled",
        "language": article.lang,
        k("edNote"): withdrawal_note(article),
        k("altIds"): [{"role": ID_ROLE, "value": str(article.pk)}],
    }


def _ninjs_1(article: Article, p: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uri": p["uri"],
        "$standard": {
            "name": "ninjs",
            "version": "1.6",
            "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.6.json#",
        },
        "type": "text",
        "version": p["version"],
        "firstcreated": p["first"],
        "versioncreated": p["modified"],
        "contentcreated": p["content_created"],
        "pubstatus": "usable",
        "urgency": article.urgency,
        "language": article.lang,
        "headline": article.headline,
        "body_html": p["html"],
        "located": article.dateline_city,
        "subject": [
            {"name": name, "scheme": uri.rsplit("/", 2)[0] + "/", "code": literal}
            for name, uri, literal in p["subjects"]
        ],
        "infosource": [{"name": p["agency"], "rel": "originator"}],
        "altids": {ID_ROLE: str(article.pk)},
    }
    if article.slug:
        doc["slugline"] = article.slug
    if article.summary:
        doc["description_summary"] = article.summary
    if article.byline:
        doc["byline"] = article.byline
    if article.signoff:
        doc["altids"][SIGNOFF_ROLE] = article.signoff
    if p["embargo"]:
        doc["embargoed"] = p["embargo"]
    if p["ednote"]:
        doc["ednote"] = p["ednote"]
    source = translation_source(article)
    if source is not None:
        doc["associations"] = {
            "translatedfrom": {
                "uri": story_uri(source),
                "type": "text",
                "language": source.lang,
                "headline": source.headline,
            }
        }
    if p["pictures"]:
        doc.setdefault("associations", {}).update(
            (_association_name(index), _picture_1(picture))
            for index, picture in enumerate(p["pictures"])
        )
    return doc


# Pictures ---------------------------------------------------------------------------------


def _association_name(index: int) -> str:
    return "lead" if index == 0 else f"gallery_{index}"


def _copyright(picture: dict[str, Any]) -> dict[str, str]:
    holder = picture["copyright_holder"]
    return {"holder": holder, "notice": f"© {holder}" if holder else ""}


def _picture(picture: dict[str, Any], index: int, camel: bool) -> dict[str, Any]:
    """A photo as a ninjs 3.x/2.x picture item inside ``associations``."""

    def k(name: str) -> str:
        return name if camel else name.lower()

    item: dict[str, Any] = {"name": _association_name(index)}
    if camel:
        # 3.x names the relationship; 2.x has no field for it.
        item["rel"] = "lead" if index == 0 else "gallery"
    item |= {"uri": photo_uri(picture["photo_id"]), "type": "picture"}
    descriptions = []
    if picture["caption"]:
        descriptions.append({"role": "caption", "value": picture["caption"]})
    if picture["alt_text"] and picture["alt_text"] != picture["caption"]:
        descriptions.append({"role": "alt", "value": picture["alt_text"]})
    if descriptions:
        item["descriptions"] = descriptions
    if picture["credit"]:
        item["by"] = picture["credit"]
    rights = _copyright(picture)
    if rights["holder"]:
        item[k("copyrightHolder")] = rights["holder"]
        item[k("copyrightNotice")] = rights["notice"]
    item["renditions"] = [
        {
            "name": r["name"],
            "href": r["href"],
            k("contentType"): r["mime_type"],
            "width": r["width"],
            "height": r["height"],
            k("sizeInBytes"): r["size"],
        }
        for r in picture["renditions"]
    ]
    return item


def _picture_1(picture: dict[str, Any]) -> dict[str, Any]:
    """A photo as a ninjs 1.6 picture object (renditions keyed by name)."""
    item: dict[str, Any] = {"uri": photo_uri(picture["photo_id"]), "type": "picture"}
    if picture["caption"]:
        item["description_caption"] = picture["caption"]
    if picture["alt_text"] and picture["alt_text"] != picture["caption"]:
        item["description_alt"] = picture["alt_text"]
    if picture["credit"]:
        item["byline"] = picture["credit"]
    rights = _copyright(picture)
    if rights["holder"]:
        item["copyrightholder"] = rights["holder"]
        item["copyrightnotice"] = rights["notice"]
    item["renditions"] = {
        r["name"].replace("-", "_"): {
            "href": r["href"],
            "mimetype": r["mime_type"],
            "width": r["width"],
            "height": r["height"],
            "sizeinbytes": r["size"],
        }
        for r in picture["renditions"]
    }
    return item


# In ---------------------------------------------------------------------------------------


def detect_version(doc: dict[str, Any]) -> str:
    """The ninjs version a document declares, else the major version its shape tells."""
    for key in ("standard", "$standard"):
        standard = doc.get(key)
        if isinstance(standard, dict) and str(standard.get("version", "")) in KNOWN:
            return str(standard["version"])
    camel = {"versionCreated", "firstCreated", "pubStatus", "altIds", "infoSources", "edNote"}
    if camel & set(doc) or "embargoedUntil" in doc or "contentCreated" in doc:
        return "3.1"
    if {"headlines", "bodies", "subjects", "infosources"} & set(doc):
        return "2.2"
    return "1.6"


def check(doc: dict[str, Any]) -> str:
    """The version ``doc`` is valid ninjs of (trying that major's schemas newest first)."""
    version, errors = validate(doc)
    if errors:
        raise NinjsError(f"not valid ninjs {version}: " + "; ".join(errors[:3]))
    return version


def validate(doc: dict[str, Any]) -> tuple[str, list[str]]:
    """(version, errors): the version ``doc`` is valid ninjs of, trying the declared one and
    then that major's schemas newest first; with the declared version's errors when none."""
    declared = detect_version(doc)
    major = declared.split(".")[0]
    candidates = [declared] + [v for v in reversed(KNOWN) if v.startswith(major + ".")]
    first_errors: list[str] = []
    for version in dict.fromkeys(candidates):
        errors = schema_errors(doc, version)
        if not errors:
            return version, []
        first_errors = first_errors or errors
    return declared, first_errors


def _get(doc: dict[str, Any], name: str) -> Any:
    """A property by its 3.x name, falling back to the 1.x/2.x lower-case spelling."""
    return doc[name] if name in doc else doc.get(name.lower())


def _headlines(doc: dict[str, Any]) -> tuple[str, str]:
    """(headline, subheadline) in any ninjs generation (and AP's ``headline_extended``)."""
    headlines = doc.get("headlines")
    if isinstance(headlines, list) and headlines:
        found = [h for h in headlines if isinstance(h, dict)]
        main = [h for h in found if h.get("role") in (None, "", "main")] or found
        sub = [h for h in found if "sub" in str(h.get("role", "")).lower()]
        return (
            str(main[0].get("value", "")).strip() if main else "",
            str(sub[0].get("value", "")).strip() if sub else "",
        )
    sub = str(doc.get("headline_extended") or doc.get("headline_sub") or "").strip()
    if isinstance(doc.get("headline"), str):
        return doc["headline"].strip(), sub
    for key in sorted(doc):
        if key.startswith("headline_") and key != "headline_extended":
            if isinstance(doc[key], str):
                return doc[key].strip(), sub
    return str(doc.get("title", "")).strip(), sub


def _headline(doc: dict[str, Any]) -> str:
    return _headlines(doc)[0]


def _body(doc: dict[str, Any]) -> list[str]:
    bodies = doc.get("bodies")
    candidates: list[tuple[str, str]] = []  # (content type, value)
    if isinstance(bodies, list):
        for body in bodies:
            if isinstance(body, dict):
                kind = str(_get(body, "contentType") or body.get("role") or "")
                candidates.append((kind, str(body.get("value", ""))))
    else:
        for key in sorted(doc):
            if key.startswith("body_") and isinstance(doc[key], str):
                kind = "text/plain" if key in {"body_text", "body_main"} else "text/html"
                candidates.append((kind, doc[key]))
    # Markup first: it keeps the paragraphs that plain text often runs together.
    candidates.sort(
        key=lambda c: 0 if ("html" in c[0] or "xml" in c[0] or "nitf" in c[0].lower()) else 1
    )
    for kind, value in candidates:
        if "nitf" in kind.lower() or value.lstrip().startswith(("<?xml", "<nitf")):
            from khabar.syndication.formats.nitf import nitf_body

            paragraphs = nitf_body(value)
        else:
            looks_html = "html" in kind or "xml" in kind or value.lstrip().startswith("<")
            paragraphs = html_paragraphs(value) if looks_html else text_paragraphs(value)
        if paragraphs:
            return paragraphs
    return []


def _alt_ids(doc: dict[str, Any]) -> dict[str, str]:
    alt = _get(doc, "altIds")
    if isinstance(alt, dict):
        return {str(k): str(v) for k, v in alt.items()}
    if isinstance(alt, list):
        return {str(a.get("role", "")): str(a.get("value", "")) for a in alt if isinstance(a, dict)}
    return {}


def _subjects(doc: dict[str, Any], lang: str) -> tuple[str, list[str], list[str]]:
    """Our section's slug, the tags (our own and the provider's subjects and keywords by
    name) and the provider's category names and codes, for choosing a section."""
    section, tags, categories = "", [], []
    subjects = doc.get("subjects") or doc.get("subject") or []
    for subject in subjects if isinstance(subjects, list) else []:
        if not isinstance(subject, dict):
            continue
        literal = str(subject.get("literal") or subject.get("code") or "")
        found = own_concept(str(subject.get("uri", "")))
        kind, slug = (found[0], found[2]) if found else literal.partition(":")[::2]
        name = str(subject.get("name", "")).strip()
        if kind == "section" and slug and not section:
            section = slug
        elif kind == "tag" and (name or slug):
            tags.append(name or slug)
        else:
            if name:
                tags.append(name)
            categories += [name, literal, str(subject.get("uri", ""))]
    keywords = doc.get("keywords") or []
    for keyword in keywords if isinstance(keywords, list) else []:
        if isinstance(keyword, str) and keyword.strip():
            tags.append(keyword.strip())
    return section, tags, [c for c in categories if c]


def _summary(doc: dict[str, Any]) -> tuple[str, str]:
    """(summary, lead text): a description meant as a summary, and one that is the text."""
    descriptions = [d for d in doc.get("descriptions") or [] if isinstance(d, dict)]
    summary = next(
        (
            str(d.get("value", ""))
            for d in descriptions
            if str(d.get("role", "summary")) in ("summary", "abstract", "lead", "")
        ),
        str(doc.get("description_summary") or doc.get("summary") or ""),
    )
    text = next(
        (str(d.get("value", "")) for d in descriptions if d.get("role") == "text"),
        str(doc.get("description_text") or ""),
    )
    return summary.strip(), text.strip()


def _bylines(doc: dict[str, Any]) -> str:
    by = doc.get("by") or doc.get("byline")
    if isinstance(by, str) and by.strip():
        return by.strip()
    people = doc.get("bylines") or doc.get("people") or []
    names = [
        str(p.get("by") or p.get("name") or "")
        for p in people
        if isinstance(p, dict)
        and str(p.get("rel", p.get("role", "author"))).lower() in ("author", "creator", "")
    ]
    return ", ".join(n for n in names if n)


def _located(doc: dict[str, Any]) -> str:
    located = doc.get("located")
    if isinstance(located, str):
        return located.strip()
    place = doc.get("datelinelocation")
    if isinstance(place, dict):
        return str(place.get("city") or place.get("name") or "").strip()
    return ""


def parse_ninjs(doc: Any) -> IncomingStory:
    """Read a ninjs 1.x-3.x document (already decoded JSON) as an ``IncomingStory``.

    The document is checked against the official schema and the result kept with the
    story; it is refused only when it cannot be used (no identifier, headline or body, not
    a text item), with a message saying which. ``guid`` stands in for a missing ``uri``.
    A ``canceled`` or ``withheld`` pubStatus is a kill, with or without a body.
    """
    if not isinstance(doc, dict):
        raise NinjsError("a ninjs document is a JSON object")
    from khabar.syndication import conf

    version_name, errors = validate(doc) if conf.INGEST_VALIDATE_NINJS else ("", [])
    uri = str(doc.get("uri") or doc.get("guid") or "").strip()
    if not uri:
        raise NinjsError("missing required field 'uri' (or 'guid'): the item has no identifier")
    kind = doc.get("type", "text")
    if kind not in ("text", "composite", "article"):
        raise NinjsError(f"an item of type {kind} is not a story: only text items are accepted")
    headline, subheadline = _headlines(doc)
    summary, lead_text = _summary(doc)
    paragraphs = _body(doc) or text_paragraphs(lead_text)
    status = pub_status(_get(doc, "pubStatus"))
    section, tags, categories = _subjects(doc, "")
    alt = _alt_ids(doc)
    sources = _get(doc, "infoSources") or _get(doc, "infosource") or []
    agency = next((str(s.get("name", "")) for s in sources if isinstance(s, dict)), "")
    # An edNote is a note to editors: it is kept for the desk and never shown to readers,
    # whoever sent it (khabar's own ninjs included: a partner could copy its profile). The
    # note readers see on a correction is written by an editor, or the neutral default.
    note = str(_get(doc, "edNote") or "").strip()
    genres = doc.get("genres") or doc.get("genre") or []
    genre = next(
        (
            str(g.get("name") or g.get("uri", "").rpartition("/")[2] or g.get("code", ""))
            for g in (genres if isinstance(genres, list) else [])
            if isinstance(g, dict)
        ),
        "",
    )
    try:
        version = int(str(doc.get("version", "1")).split(".")[0])
    except ValueError:
        version = 1
    when_created = parse_time(_get(doc, "contentCreated"))
    raw = Raw(
        source_id=uri,
        format=f"ninjs {version_name or detect_version(doc)}",
        headline=headline,
        paragraphs=paragraphs,
        version=version,
        lang_tag=str(doc.get("language") or ""),
        when=when_created
        or parse_time(_get(doc, "firstCreated"))
        or parse_time(_get(doc, "versionCreated")),
        city=_located(doc),
        agency=agency,
        provider=str(_get(doc, "copyrightHolder") or "").strip(),
        byline=_bylines(doc),
        summary=summary,
        subheadline=subheadline,
        genre=genre,
        urgency=urgency_level(doc.get("urgency")),
        priority=doc.get("priority") if isinstance(doc.get("priority"), int) else None,
        categories=categories,
        tag_names=tags,
        desk_notes=[note] if note else [],
        pub_status=status,
        embargo_until=parse_time(doc.get("embargoedUntil") or doc.get("embargoed")),
        correction_note="",
        section_slug=section,
        signoff=alt.get(SIGNOFF_ROLE, "").split(),
        photos=_incoming_pictures(doc),
        schema_errors=errors,
        schema_checked=conf.INGEST_VALIDATE_NINJS,
    )
    try:
        return build(raw)
    except ItemError as error:
        raise NinjsError(str(error)) from None


#: Association names and relationships that mark a story's main picture.
LEAD_NAMES = {"lead", "featuremedia", "featureimage", "main", "mainpicture"}


def _incoming_pictures(doc: dict[str, Any]) -> list[IncomingPhoto]:
    """The pictures among a document's associations (1.x object or 2.x/3.x array)."""
    found = doc.get("associations")
    if isinstance(found, dict):
        items = [(str(name), item) for name, item in found.items()]
    elif isinstance(found, list):
        items = [(str(item.get("name", "")), item) for item in found if isinstance(item, dict)]
    else:
        items = []
    pictures = []
    lead_index = None
    for name, item in items:
        if not isinstance(item, dict) or item.get("type") not in ("picture", "graphic"):
            continue
        renditions = item.get("renditions") or []
        if isinstance(renditions, dict):
            renditions = list(renditions.values())
        usable = [r for r in renditions if isinstance(r, dict) and r.get("href")]
        # The largest first: the file most worth keeping when several are supplied.
        usable.sort(key=lambda r: -_number(r.get("width")))
        uri = str(item.get("uri", "")).strip()
        descriptions = [d for d in item.get("descriptions") or [] if isinstance(d, dict)]
        by_role = {str(d.get("role", "")): str(d.get("value", "")) for d in descriptions}
        caption = (
            by_role.get("caption")
            or str(item.get("description_caption") or item.get("description_text") or "")
            or next((v for r, v in by_role.items() if r not in ("alt", "alttext")), "")
            or _headline(item)
        )
        if lead_index is None and (
            name.lower() in LEAD_NAMES or str(item.get("rel", "")).lower() in LEAD_NAMES
        ):
            lead_index = len(pictures)
        pictures.append(
            IncomingPhoto(
                source_id=uri or (str(usable[0]["href"]) if usable else name),
                names=names_of([str(r["href"]) for r in usable] + [uri]),
                urls=[
                    h
                    for h in (str(r["href"]) for r in usable)
                    if h.startswith(("https://", "http://"))
                ],
                caption=caption.strip(),
                credit=str(item.get("by") or item.get("byline") or "").strip(),
                copyright_holder=str(_get(item, "copyrightHolder") or "").strip(),
                alt_text=(
                    by_role.get("alt") or by_role.get("alttext") or item.get("description_alt", "")
                ).strip(),
                role="gallery",
            )
        )
    if pictures:
        lead = pictures.pop(lead_index or 0)
        lead.role = "lead"
        pictures.insert(0, lead)
    return pictures


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
