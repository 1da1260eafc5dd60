"""Wire text → stories: the Django side of ``khabar/wire`` (which knows nothing of models)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.db import transaction

from khabar.articles import actions
from khabar.articles.models import Article, Section
from khabar.lib.arabic import fingerprint
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
