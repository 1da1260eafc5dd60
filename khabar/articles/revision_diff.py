"""What changed between two revisions of a story, for the desk's compare and history pages.

Every form field and the status, as editors read them (section and tag names, the labels of
urgency, status and comment policy, times in the edition's zone), compared word by word
(``khabar.lib.textdiff``: whole words, never cut), and the revision comments in the desk's
language.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.articles import conflicts
from khabar.articles.actions import ACTION_LABELS
from khabar.articles.models import Article, CommentPolicy, Section, Status, Tag, Urgency
from khabar.lib.textdiff import Segment, word_diff
from khabar.site.editions import all_editions

#: Compared fields: the form's, in its order, then the status.
FIELDS = (*conflicts.FIELDS, "status")

#: Revision comments written as codes by the actions ("created", "edited", "publish: note").
COMMENTS = {"created": gettext_lazy("Created"), "edited": gettext_lazy("Edited")}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    segments: list[Segment]


def comment_label(comment: str) -> str:
    """A version's comment in the desk's language: "publish: note" → "published: note"."""
    if comment in COMMENTS:
        return str(COMMENTS[comment])
    action, sep, note = comment.partition(": ")
    if action in ACTION_LABELS:
        label = str(ACTION_LABELS[action])
        return f"{label}: {note}" if sep and note else label
    return comment


def display_value(name: str, value: Any, zone: Any) -> str:
    """One stored field value as an editor reads it."""
    if value is None or value == "":
        return ""
    if name == "lang":
        return {e.code: e.name for e in all_editions()}.get(value, str(value))
    if name == "section":
        section = Section.objects.filter(pk=value).only("name").first()
        return section.name if section is not None else str(value)
    if name == "tags":
        return "، ".join(Tag.objects.filter(pk__in=value).values_list("name", flat=True))
    if name == "status":
        return str(Status(value).label) if value in Status.values else str(value)
    if name == "urgency":
        return str(Urgency(int(value)).label) if int(value) in Urgency.values else str(value)
    if name == "comment_policy":
        return str(CommentPolicy(value).label) if value in CommentPolicy.values else str(value)
    if name in ("published_at", "embargo_until"):
        stamp = value
        if isinstance(value, str):
            stamp = datetime.datetime.fromisoformat(value)
        if isinstance(stamp, datetime.datetime):
            return timezone.localtime(stamp, zone).strftime("%Y-%m-%d %H:%M")
    return str(value).replace("\r\n", "\n")


def _stored(version: Any, name: str) -> Any:
    data = version.field_dict
    if name == "section":
        return data.get("section_id", data.get("section"))
    return data.get(name)


def changes(old: Any, new: Any, zone: Any) -> list[FieldChange]:
    """The fields that differ from the ``old`` version to the ``new`` one, word by word."""
    out = []
    for name in FIELDS:
        before = display_value(name, _stored(old, name), zone)
        after = display_value(name, _stored(new, name), zone)
        if before != after:
            label = str(Article._meta.get_field(name).verbose_name)
            out.append(
                FieldChange(
                    name, label[:1].upper() + label[1:], before, after, word_diff(before, after)
                )
            )
    return out


def version_label(version: Any, zone: Any) -> str:
    """ "2023-10-26 14:05 · editor · published" for a version menu."""
    revision = version.revision
    who = revision.user.get_username() if revision.user else _("the system")
    when = timezone.localtime(revision.date_created, zone).strftime("%Y-%m-%d %H:%M")
    return f"{when} · {who} · {comment_label(revision.comment)}"
