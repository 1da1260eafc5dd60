"""The first pass over a WXR file: everything checked, nothing written.

``check_file`` reads the whole export once (streamed) and returns a ``Plan``: who the
authors are, which section each category goes to (and which sections are to be created),
the attachments that are featured images, and the counts of what will be imported and what
left out. Every problem it finds is listed as ``FILE:LINE: message``; with one or more, the
import stops before its first write.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.articles.models import Section
from khabar.photos.conf import max_bytes
from khabar.photos.validation import inspect_upload
from khabar.site.editions import edition_codes, get_edition
from khabar.wordpress import convert
from khabar.wordpress.wxr import Author, Item, WxrError, read_wxr

#: Problems listed before the rest are only counted.
MAX_LISTED = 100


class WxrImportError(Exception):
    """The file cannot be imported; ``errors`` are the ``FILE:LINE: message`` lines."""

    def __init__(self, errors: list[str], more: int = 0):
        super().__init__("\n".join(errors))
        self.errors, self.more = errors, more


@dataclass
class Options:
    lang: str
    #: category slug → section slug (``--section-map``)
    section_map: dict[str, str] = field(default_factory=dict)
    #: create a section for a post whose categories have none (else that is an error)
    create_sections: bool = False
    #: the site's ``wp-content/uploads`` folder, where featured images are read from
    uploads: Path | None = None
    #: a featured image missing from ``uploads`` is left out instead of stopping the import
    allow_missing_images: bool = False


@dataclass(frozen=True)
class Attachment:
    post_id: int
    relative_path: str  # under the uploads folder (``_wp_attached_file``)
    source_id: str
    caption: str
    alt_text: str
    line: int


@dataclass
class Plan:
    path: Path
    options: Options
    zone: ZoneInfo
    now: datetime.datetime
    authors: dict[str, str] = field(default_factory=dict)
    #: section slug → section, for the edition (created ones added when written)
    sections: dict[str, Section] = field(default_factory=dict)
    #: category slug → name of the section to create under that slug
    new_sections: dict[str, str] = field(default_factory=dict)
    #: featured images found: attachment post id → where its file is
    images: dict[int, Attachment] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    #: ``options.section_map`` with its categories written as the posts' slugs are read
    section_map: dict[str, str] = field(default_factory=dict)

    def section_for(self, categories: list[tuple[str, str]]) -> Section | str | None:
        """The section of a post: its first category mapped (``--section-map``) or named
        like a section; else the slug of a section to create (``--create-sections``);
        else, for a post with no category at all, the edition's first section."""
        for slug, _name in categories:
            target = self.section_map.get(slug, slug)
            if target in self.sections:
                return self.sections[target]
        if categories and self.options.create_sections:
            return categories[0][0]
        if not categories and self.sections:
            return next(iter(self.sections.values()))
        return None


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _attachment(item: Item) -> Attachment:
    relative = item.meta.get("_wp_attached_file", "").strip().lstrip("/")
    if not relative and "/uploads/" in item.attachment_url:
        relative = item.attachment_url.split("/uploads/", 1)[1]
    return Attachment(
        post_id=item.post_id,
        relative_path=relative,
        source_id=convert.source_id(item),
        caption=convert.plain_text(item.excerpt),
        alt_text=item.meta.get("_wp_attachment_image_alt", "").strip()[:500],
        line=item.line,
    )


def check_file(path: Path, options: Options) -> Plan:
    """Read the export once and plan the import; WxrImportError lists every problem."""
    errors: list[str] = []

    def problem(line: int | None, message: str) -> None:
        errors.append(f"{_where(path, line)}: {message}")

    if options.lang not in edition_codes():
        raise WxrImportError([f"{path}: " + _("no edition %(lang)r") % {"lang": options.lang}])
    plan = Plan(path, options, get_edition(options.lang).time_zone, timezone.now())
    plan.sections = {
        s.slug: s for s in Section.objects.filter(lang=options.lang).order_by("position", "pk")
    }
    plan.section_map = {convert.slug_of(k): v for k, v in options.section_map.items()}
    for category, section in options.section_map.items():
        if section not in plan.sections:
            problem(
                None,
                _("--section-map %(category)s=%(section)s: no section %(section)r in %(lang)s")
                % {"category": category, "section": section, "lang": options.lang},
            )
    attachments: dict[int, Attachment] = {}
    wanted: list[tuple[int, int]] = []  # (line of the post, attachment id)
    seen: set[str] = set()
    try:
        for entry in read_wxr(path):
            if isinstance(entry, Author):
                plan.authors[entry.login] = entry.display_name
                continue
            _check_item(entry, plan, problem, attachments, wanted, seen)
    except WxrError as error:
        problem(error.line, error.message)
    for line, attachment_id in wanted:
        _check_image(plan, attachments.get(attachment_id), attachment_id, line, problem)
    if errors:
        raise WxrImportError(errors[:MAX_LISTED], max(0, len(errors) - MAX_LISTED))
    return plan


def _check_item(
    item: Item,
    plan: Plan,
    problem: convert.Problem,
    attachments: dict[int, Attachment],
    wanted: list[tuple[int, int]],
    seen: set[str],
) -> None:
    for line, message in item.problems:
        problem(line, message)
    if item.post_type == "attachment":
        attachments[item.post_id] = _attachment(item)
        return
    state = convert.outcome(item)
    if state is None:
        problem(item.line, _("unknown post status wp:status=%(value)r") % {"value": item.status})
        return
    if state.startswith("skip:"):
        plan.counts[f"posts skipped: {state[5:]}"] += 1
        return
    story = convert.story_of(
        item, state=state, zone=plan.zone, authors=plan.authors, now=plan.now, full=False
    )
    if story.source_id in seen:
        plan.counts["posts skipped: twice in the file"] += 1
        return
    seen.add(story.source_id)
    if not story.headline:
        plan.counts["posts skipped: empty"] += 1
        return
    if state == "published" and story.published_at is None:
        problem(item.line, _("a published post without a date (wp:post_date_gmt)"))
    section = plan.section_for(story.categories)
    if section is None:
        names = ", ".join(slug for slug, _name in story.categories) or _("none")
        problem(
            item.line,
            _(
                "post %(id)s: no section for its categories (%(names)s); map one with "
                "--section-map CATEGORY=SECTION or pass --create-sections"
            )
            % {"id": item.post_id, "names": names},
        )
    elif isinstance(section, str):
        plan.new_sections.setdefault(section, dict(story.categories)[section])
    if story.thumbnail_id:
        wanted.append((item.line, story.thumbnail_id))
    problems: list[tuple[int, str]] = []
    convert.plan_thread(
        item,
        lang=plan.options.lang,
        zone=plan.zone,
        post_date=story.published_at or plan.now,
        now=plan.now,
        counts=plan.counts,
        problems=problems,
        full=False,
    )
    for line, message in problems:
        problem(line, message)
    plan.counts[f"stories {state}"] += 1


def in_uploads(uploads: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``uploads``; None when there is no name or it leads
    out of the folder (``..``, a link): an export is data, and its paths must not make the
    import read pictures elsewhere on the server."""
    if not relative:
        return None
    root = uploads.resolve()
    file = (root / relative).resolve()
    return file if file.is_relative_to(root) else None


def _check_image(
    plan: Plan,
    attachment: Attachment | None,
    attachment_id: int,
    line: int,
    problem: convert.Problem,
) -> None:
    uploads = plan.options.uploads
    if attachment is None:
        # An export of posts only (WordPress's "Posts" choice) names featured images it does
        # not hold. Without --uploads no picture is read anyway.
        if uploads is None or plan.options.allow_missing_images:
            plan.counts["featured images left out (not in the export)"] += 1
            return
        problem(
            line,
            _(
                "the featured image (attachment %(id)s) is not in the file; export "
                "everything, or pass --allow-missing-images to leave it out"
            )
            % {"id": attachment_id},
        )
        return
    if uploads is None:
        plan.counts["featured images left out (no --uploads folder)"] += 1
        return
    if attachment_id in plan.images:
        return
    file = in_uploads(uploads, attachment.relative_path)
    if file is None or not file.is_file():
        if plan.options.allow_missing_images:
            plan.counts["featured images missing from the uploads folder"] += 1
            return
        problem(
            attachment.line,
            _("featured image %(file)s is not in the uploads folder %(folder)s")
            % {"file": attachment.relative_path or "?", "folder": uploads},
        )
        return
    try:
        with file.open("rb") as handle:
            inspected = inspect_upload(handle.read(max_bytes() + 1), lang=plan.options.lang)
        inspected.image.close()
    except ValidationError as error:
        problem(attachment.line, f"{attachment.relative_path}: {' '.join(error.messages)}")
        return
    plan.images[attachment_id] = attachment
