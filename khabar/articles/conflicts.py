"""Two editors in one story: a three-way merge of the desk form, field by field.

When an editor saves a story that someone else saved since they opened it, nothing is
written (``actions.EditConflict``). This module compares three versions of every field of the
form: the **original** both started from (the stored revision the editor's form carried),
**theirs** (the story as stored now) and **yours** (what the editor just sent). A field only
one side changed takes that side's value; a field both changed the same way is no conflict;
a field both changed differently is a conflict the editor settles on the conflict page
(take theirs, keep yours, or merge the text by hand). Nothing typed is lost: the page
carries every value the editor sent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from reversion.models import Version

from khabar.articles.models import Article
from khabar.lib.textdiff import Segment, word_diff

#: The form fields the merge covers, in the form's order.
FIELDS = (
    "lang",
    "section",
    "headline",
    "slug",
    "summary",
    "dateline_city",
    "dateline_date",
    "dateline_agency",
    "body",
    "signoff",
    "urgency",
    "tags",
    "byline",
    "published_at",
    "embargo_until",
    "comment_policy",
)
#: Fields merged by hand in a text box when both sides changed them.
TEXT_FIELDS = (
    "headline",
    "slug",
    "summary",
    "dateline_city",
    "dateline_agency",
    "body",
    "signoff",
    "byline",
)


def _norm(name: str, value: Any) -> str:
    """One comparable string per field value, as the form posts it."""
    if value is None:
        return ""
    if name == "tags":
        ids = [getattr(v, "pk", v) for v in value]
        return ",".join(str(i) for i in sorted(int(i) for i in ids if str(i).strip()))
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, datetime.datetime):
        # As the desk's date and time boxes show it: in the active time zone.
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def stored_values(article: Article) -> dict[str, str]:
    """The story as stored now, field by field."""
    values = {name: _norm(name, getattr(article, name)) for name in FIELDS if name != "tags"}
    values["section"] = str(article.section_id)
    values["tags"] = _norm("tags", list(article.tags.values_list("pk", flat=True)))
    return values


def _parse_stamp(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def revision_values(article: Article, revision: int) -> dict[str, str] | None:
    """The story as it was at edit revision ``revision`` (from its stored versions), or None
    when no stored version is that old."""
    best = None
    for version in Version.objects.get_for_object(article).order_by("-pk")[:200]:
        stored = version.field_dict
        at = int(stored.get("revision") or 0)
        if at <= revision:
            best = stored
            break
    if best is None:
        return None
    values = {}
    for name in FIELDS:
        if name == "section":
            values[name] = str(best.get("section_id", best.get("section", "")))
        elif name in ("published_at", "embargo_until"):
            values[name] = _norm(name, _parse_stamp(best.get(name)))
        else:
            values[name] = _norm(name, best.get(name))
    return values


def posted_values(data: QueryDict, cleaned: dict[str, Any] | None) -> dict[str, str]:
    """What the editor sent, field by field (cleaned where the form validated)."""
    values = {}
    for name in FIELDS:
        if cleaned is not None and name in cleaned:
            values[name] = _norm(name, cleaned[name])
        elif name == "tags":
            values[name] = _norm(name, data.getlist(name))
        else:
            values[name] = _norm(name, data.get(name, ""))
    return values


@dataclass
class FieldMerge:
    name: str
    label: str
    original: str
    theirs: str
    yours: str
    #: "same" (nobody changed it), "theirs", "yours", "both-same" or "conflict"
    outcome: str
    their_diff: list[Segment] = field(default_factory=list)
    your_diff: list[Segment] = field(default_factory=list)

    @property
    def merged(self) -> str:
        return self.theirs if self.outcome == "theirs" else self.yours

    @property
    def is_text(self) -> bool:
        return self.name in TEXT_FIELDS

    @property
    def is_long(self) -> bool:
        return self.name in ("body", "summary")

    def posted(self, value: str) -> list[tuple[str, str]]:
        """The form inputs (name, value) that send ``value`` for this field."""
        if self.name == "tags":
            return [("tags", v) for v in value.split(",") if v]
        if self.name in ("published_at", "embargo_until"):
            date, _sep, time = value.partition(" ")
            return [(f"{self.name}_0", date), (f"{self.name}_1", time)]
        return [(self.name, value)]

    @property
    def merged_inputs(self) -> list[tuple[str, str]]:
        return self.posted(self.merged)


def merge(
    original: dict[str, str] | None,
    theirs: dict[str, str],
    yours: dict[str, str],
    labels: dict[str, str],
) -> list[FieldMerge]:
    """Field by field: who changed what since the original, and what merges by itself.

    Without the original (no stored version that old), every field that differs between
    theirs and yours is a conflict.
    """
    rows = []
    for name in FIELDS:
        base = original[name] if original is not None else None
        t, y = theirs.get(name, ""), yours.get(name, "")
        if t == y:
            outcome = "same" if base in (None, t) else "both-same"
        elif base is not None and y == base:
            outcome = "theirs"
        elif base is not None and t == base:
            outcome = "yours"
        else:
            outcome = "conflict"
        row = FieldMerge(name, labels.get(name, name), base or "", t, y, outcome)
        if outcome != "same" and name in TEXT_FIELDS:
            row.their_diff = word_diff(row.original, t)
            row.your_diff = word_diff(row.original, y)
        rows.append(row)
    return rows
