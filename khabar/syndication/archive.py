"""``khabar ingest --archive``: another agency's whole archive (ninjs, NewsML-G2, NITF, RSS and
Atom, wire text...) through the wire import's archive path (``khabar.articles.wire_import``).

Streamed a batch of files at a time, read and analysed in a second process, each batch
written in bulk in one transaction that commits before the next; a story whose source id is
already stored is skipped, so a rerun resumes where it stopped without duplicates. What
the bulk path writes for a story is what ``ingest.store`` writes for it one document at a
time (the story, its tags, its two revisions, its audit entries, its search entry and the
record of what its source said: tests/test_ingest_archive.py compares them), except its
time: an archived story takes its dateline's day, not the time of the import.

An archive is old news: nobody is told (no delivery to subscribers, no live ticker), and
the pages a batch changes are purged once for the batch. What an archive cannot take is
named, file by file, for ``khabar ingest`` without ``--archive``, which applies the desk's
rules one document at a time: a kill, a story in a language with no edition, a story with
pictures, one under an embargo that has not lifted, and a newer version of a stored story.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from khabar.articles.models import Article, Section
from khabar.articles.wire_import import (
    ARCHIVE_BATCH,
    ArchiveResult,
    ReadFile,
    import_archive,
    insert_objects,
)
from khabar.lib.arabic import fingerprint
from khabar.syndication.ingest import (
    IngestError,
    check_size,
    read_stories,
    record_for,
    section_for,
)
from khabar.syndication.photos import is_image_name
from khabar.syndication.story import IncomingStory

#: What sends a story to the one-by-one path instead, and why.
ONE_BY_ONE = "ingest this file without --archive"


def archive_documents(paths: Iterable[Path]) -> Iterable[Path]:
    """The documents among the files (pictures are not documents)."""
    from khabar.articles.wire_import import archive_files

    return (p for p in archive_files(paths) if not is_image_name(p.name))


def ingest_archive(
    paths: Iterable[Path],
    *,
    actor: Any,
    publish: bool,
    section: Section | None = None,
    lang: str | None = None,
    batch_size: int = ARCHIVE_BATCH,
    progress: Any = None,
    reader: bool | None = None,
) -> ArchiveResult:
    """Store the documents of any format ``ingest`` reads among the files and folders named
    (``archive_documents``); see the notes above."""
    return import_archive(
        archive_documents(paths),
        section=section,
        publish=publish,
        actor=actor,
        batch_size=batch_size,
        progress=progress,
        reader=reader,
        parse=(read_documents, (lang, timezone.now())),
        section_of=_SectionChooser().section_of,
        after_insert=functools.partial(_record_all, origin=getattr(actor, "origin", "")),
    )


def read_documents(paths: list[Path], lang: str | None, now: Any) -> list[ReadFile]:
    """Read a batch of documents into their stories (in the reader process: no database).
    A document that cannot be read is one problem naming its file; a story the archive
    leaves for the one-by-one path is one naming its file and source id."""
    read = []
    for path in paths:
        try:
            data = path.read_bytes()
            check_size(len(data))
            stories = read_stories(data, lang=lang)
        except OSError as error:
            read.append(ReadFile(path, problem=f"{path}: cannot read the file: {error.strerror}"))
            continue
        except IngestError as error:
            read.append(ReadFile(path, problem=f"{path}: {error}"))
            continue
        if not stories:
            read.append(ReadFile(path, problem=f"{path}: no story in the document"))
        for story in stories:
            read.append(_read_story(path, story, now))
    return read


def _read_story(path: Path, story: IncomingStory, now: Any) -> ReadFile:
    key = story.source_id[:300] or _key_of(story)
    item = ReadFile(
        path,
        key=key,
        source_version=story.source_version,
        tag_names=list(story.tag_names),
        incoming=story,
    )
    reason = _not_for_archive(story, now)
    if reason:
        item.problem = f"{path}: story {key}: {reason}; {ONE_BY_ONE}"
        return item
    fields = story.fields()
    fields.pop("correction_note", None)  # as ingest_article does for a new story
    item.fields = fields
    # The record (``record_for``) and the choice of section read the rest of the story,
    # not its body (in ``fields``): not carried between the processes twice.
    item.incoming = copy.copy(story)
    item.incoming.body = []
    return item


def _not_for_archive(story: IncomingStory, now: Any) -> str:
    if story.is_kill:
        return "a kill"
    if story.foreign:
        return f"in a language with no edition ({story.lang})"
    if story.photos:
        return "a story with pictures"
    if story.embargo_until is not None and story.embargo_until > now:
        return "under an embargo that has not lifted"
    return ""


def _key_of(story: IncomingStory) -> str:
    """A source id for a story its document gave none (an RSS item without a guid, say),
    made from its text so that a rerun recognises it."""
    return f"doc:{fingerprint(f'{story.lang}|{story.dateline_date}|{story.headline}')}"


class _SectionChooser:
    """``ingest``'s choice of section (the one the story names, else the one given, else
    one matching its categories, else the edition's first), asked once per kind of story."""

    def __init__(self) -> None:
        self.chosen: dict[tuple[Any, ...], Section] = {}

    def section_of(self, item: ReadFile, fallback: Section | None) -> Section:
        story = item.incoming
        assert isinstance(story, IncomingStory)
        key = (story.lang, story.section_slug, tuple(story.categories), fallback)
        if key not in self.chosen:
            try:
                self.chosen[key] = section_for(story, fallback)
            except IngestError as error:
                raise ValidationError(str(error)) from None
        return self.chosen[key]


def _record_all(articles: Sequence[Article], items: Sequence[ReadFile], *, origin: str) -> None:
    """The record of what each story's source said (``ingest.record_for``), in one insert
    (``insert_objects``: ``bulk_create`` compiled every value of every row, a tenth of the
    batch's time in this process)."""
    from khabar.syndication.models import IngestRecord

    now = timezone.now()
    records = []
    for article, item in zip(articles, items, strict=True):
        assert isinstance(item.incoming, IncomingStory)
        record = record_for(item.incoming, origin, article, "created")
        record.source_id = item.key
        record.received_at = now  # its auto_now_add, which only save and bulk_create set
        records.append(record)
    insert_objects(IngestRecord, records)


__all__ = ["IngestError", "archive_documents", "ingest_archive", "read_documents"]
