"""``khabar import_wire FILE... [--year Y] [--section S] [--publish]``: store wire stories.

All files, or none, by default. ``--archive FILE_OR_DIR...`` takes a whole archive instead:
streamed, in batches that commit as they go, resuming without duplicates when run again, with
a progress bar on a terminal (``khabar.articles.wire_import.import_archive``).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from khabar.articles.models import Section
from khabar.articles.wire_import import (
    ARCHIVE_BATCH,
    WireImportError,
    archive_files,
    import_archive,
    import_stories,
    parse_file,
    run_archive,
)
from khabar.site import actors


class Command(BaseCommand):
    help = "Import wire text files as stories; all files are stored, or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--lang", choices=["ar", "fa", "en"], default=None)
        parser.add_argument("--section", default=None, help="section slug")
        parser.add_argument("--publish", action="store_true")
        parser.add_argument(
            "--archive",
            action="store_true",
            help="a whole archive (files and folders): batches that commit as they go; "
            "a rerun resumes without duplicates",
        )
        parser.add_argument("--batch", type=int, default=ARCHIVE_BATCH, help="stories a batch")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["archive"]:
            self._archive(options)
            return
        # Parse every file before writing anything, so one bad file stores none.
        parsed = []
        errors = []
        for path in options["files"]:
            try:
                parsed.append(
                    (str(path), parse_file(path, year=options["year"], lang=options["lang"]))
                )
            except WireImportError as error:
                errors.append(str(error))
        if errors:
            raise CommandError("nothing imported:\n" + "\n".join(errors))
        section = None
        if options["section"]:
            lang = parsed[0][1].lang
            section = Section.objects.filter(slug=options["section"], lang=lang).first()
            if section is None:
                raise CommandError(f"nothing imported: no section {options['section']!r} in {lang}")
        try:
            results = import_stories(
                parsed, section=section, publish=options["publish"], actor=actors.COMMAND_LINE
            )
        except WireImportError as error:
            raise CommandError(f"nothing imported: {error.message}") from error
        for (path, _story), (article, outcome) in zip(parsed, results, strict=True):
            self.stdout.write(f"{path}: {outcome} story {article.pk} ({article.status})")

    def _archive(self, options: dict[str, Any]) -> None:
        section = None
        if options["section"]:
            lang = options["lang"] or "ar"
            section = Section.objects.filter(slug=options["section"], lang=lang).first()
            if section is None:
                raise CommandError(f"nothing imported: no section {options['section']!r} in {lang}")
        result = run_archive(
            lambda progress: import_archive(
                archive_files(options["files"]),
                section=section,
                publish=options["publish"],
                actor=actors.COMMAND_LINE,
                year=options["year"],
                lang=options["lang"],
                batch_size=options["batch"],
                progress=progress,
            ),
            files=lambda: archive_files(options["files"]),
            options=options,
            desc="import",
            unit="story",
            problem=self.stderr.write,
        )
        self.stdout.write(
            f"{result.created} stories imported, {result.skipped} already there, "
            f"{len(result.failed)} files failed."
        )
