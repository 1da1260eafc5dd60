"""Wire text → stories: the Django side of ``khabar/wire`` (which knows nothing of models)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Section, Status
from khabar.lib.arabic import fingerprint
from khabar.site import actors, hooks
from khabar.wire.parse import WireError, WireStory, parse_wire


class WireImportError(Exception):
    """A file that cannot be imported, with the line where it went wrong."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def parse_file(
    path: Path,
    *,
    year: int | None = None,
    now: datetime.datetime | None = None,
    lang: str | None = None,
) -> WireStory:
    """Parse one wire file; any problem becomes an WireImportError naming the file and line."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WireImportError(str(path), None, f"cannot read the file: {error.strerror}") from error
    try:
        return parse_wire(data, year=year, now=now, lang=lang)
    except WireError as error:
        raise WireImportError(str(path), error.line, error.message) from error


def source_id_for(story: WireStory) -> str:
    """A stable id for a wire story, so that importing it again updates instead of duplicating.

    Built from the analysed text, so the same story re-typed with other hamza or diacritics
    forms is still recognised.
    """
    d = story.dateline
    codes = " ".join(story.signoff)
    key = f"{story.lang}|{d.year}-{d.month:02d}-{d.day:02d}|{story.headline}|{codes}"
    return f"wire:{fingerprint(key)}"


def story_fields(story: WireStory) -> dict[str, object]:
    d = story.dateline
    return {
        "lang": story.lang,
        "headline": story.headline,
        "dateline_city": d.city,
        "dateline_date": story.date,
        "dateline_agency": d.agency,
        "body": "\n\n".join(story.body),
        "signoff": " ".join(story.signoff),
    }


def import_stories(
    stories: Sequence[tuple[str, WireStory]],
    *,
    section: Section | None,
    publish: bool,
    actor: Any,
) -> list[tuple[Article, str]]:
    """Store parsed stories in one transaction, as ``actor``: all are written, or none."""
    results = []
    with transaction.atomic():
        for _path, story in stories:
            target = section or _default_section(story.lang)
            results.append(
                actions.ingest_article(
                    source_id=source_id_for(story),
                    source_version=1,
                    section=target,
                    fields=story_fields(story),
                    publish=publish,
                    actor=actor,
                )
            )
    return results


def _default_section(lang: str) -> Section:
    section = Section.objects.filter(lang=lang).order_by("position", "pk").first()
    if section is None:
        raise WireImportError(
            "", None, f"no section exists in the {lang} edition; create one first"
        )
    return section


# --- archives ---------------------------------------------------------------------------------
#
# A whole archive (hundreds of thousands of files) goes in through ``import_archive``: files
# are read one at a time (memory stays flat), stories are written in batches that commit as
# they go, and a story whose source id is already stored is skipped, so a rerun after an
# interruption resumes where it stopped without duplicates.
#
# It writes through bulk inserts rather than ``actions.ingest_article`` one story at a time,
# and keeps what makes a story a story: its origin and source id, the audit entries
# ("create", then "publish" or "submit", with the actor's name), the search index (in the
# batch's transaction) and one purge of the pages the new stories show on, at the end. It
# skips, on purpose: the revision history (django-reversion) of each new story, since the
# wire file is the original and the first edit records a revision; full_clean (the wire
# parser has checked the structure and bulk inserts keep the database's own constraints);
# the distribution hook, since an archive is not news to send to subscribers; and updates of
# stories already stored (rerun without --archive to update a few).

ARCHIVE_BATCH = 1000


@dataclass
class ArchiveResult:
    created: int = 0
    skipped: int = 0  # already stored (a resumed run) or twice in the archive
    failed: list[str] = field(default_factory=list)  # files that could not be read or parsed


def archive_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the files under the folders named, in name order."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def import_archive(
    files: Iterable[Path],
    *,
    section: Section | None,
    publish: bool,
    actor: Any,
    year: int | None = None,
    lang: str | None = None,
    batch_size: int = ARCHIVE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> ArchiveResult:
    """Store an archive of wire files, a batch per transaction; see the notes above.

    Published stories carry their dateline's date (at noon UTC) as their publishing time,
    so an archive takes its place in the past instead of leading the home page.
    """
    actors.require(actor, "articles.add_article")
    if publish:
        actors.require(actor, "articles.publish_article")
    result = ArchiveResult()
    touched: set[str] = set()
    batch: list[WireStory] = []
    for path in files:
        try:
            batch.append(parse_file(path, year=year, lang=lang))
        except WireImportError as error:
            result.failed.append(str(error))
            if progress:
                progress(1)
        if len(batch) >= batch_size:
            _store_batch(batch, section=section, publish=publish, actor=actor, result=result)
            touched.update(_keys_of(batch, section))
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _store_batch(batch, section=section, publish=publish, actor=actor, result=result)
        touched.update(_keys_of(batch, section))
        if progress:
            progress(len(batch))
    if touched and result.created:
        from khabar.site.pagecache import purge_keys

        purge_keys(sorted(touched))
    return result


def _keys_of(batch: list[WireStory], section: Section | None) -> set[str]:
    keys = set()
    for story in batch:
        keys |= {f"h:{story.lang}", f"f:{story.lang}"}
        target = section or _sections.get(story.lang)
        if target is not None:
            keys.add(f"s:{target.pk}")
    return keys


_sections: dict[str, Section] = {}


def _section_for(lang: str) -> Section:
    if lang not in _sections:
        _sections[lang] = _default_section(lang)
    return _sections[lang]


def _store_batch(
    batch: list[WireStory],
    *,
    section: Section | None,
    publish: bool,
    actor: Any,
    result: ArchiveResult,
) -> None:
    origin = getattr(actor, "origin", "")
    keyed = {}
    for story in batch:
        keyed.setdefault(source_id_for(story), story)
    with transaction.atomic():
        stored = set(
            Article.objects.filter(origin=origin, source_id__in=list(keyed)).values_list(
                "source_id", flat=True
            )
        )
        new = [(key, story) for key, story in keyed.items() if key not in stored]
        result.skipped += len(batch) - len(new)
        if not new:
            return
        now = timezone.now()
        status = Status.PUBLISHED if publish else Status.SUBMITTED
        articles = []
        for key, story in new:
            fields = story_fields(story)
            published = (
                datetime.datetime.combine(story.date, datetime.time(12), datetime.UTC)
                if publish
                else None
            )
            articles.append(
                Article(
                    section=section or _section_for(story.lang),
                    slug=actions.make_slug(story.headline),
                    fingerprint=fingerprint(f"{story.headline}\n{fields['body']}"),
                    origin=origin,
                    source_id=key,
                    source_version=1,
                    status=status,
                    published_at=published,
                    first_published_at=published,
                    created_at=now,
                    updated_at=now,
                    created_by=actors.user_or_none(actor),
                    published_by=actors.user_or_none(actor) if publish else None,
                    **fields,
                )
            )
        Article.objects.bulk_create(articles)
        name, user = actors.audit_name(actor), actors.user_or_none(actor)
        audit = [
            AuditEntry(article=a, action="create", to_status=Status.DRAFT, actor=name, user=user)
            for a in articles
        ] + [
            AuditEntry(
                article=a,
                action="publish" if publish else "submit",
                from_status=Status.DRAFT,
                to_status=status,
                actor=name,
                user=user,
                note="archive import",
            )
            for a in articles
        ]
        AuditEntry.objects.bulk_create(audit)
        if publish:
            # In the batch's transaction: a batch is stored with its index entries or not at
            # all, so a resumed run never leaves a stored story out of search.
            hooks.stories_stored(articles)
        result.created += len(articles)
