"""``khabar import-wire FILE... [--year Y] [--section S] [--publish]``: store wire stories."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from khabar.articles.models import Section
from khabar.articles.wire_import import WireImportError, import_stories, parse_file
from khabar.site import actors


class Command(BaseCommand):
    help = "Import wire text files as stories; all files are stored, or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--lang", choices=["ar", "fa", "en"], default=None)
        parser.add_argument("--section", default=None, help="section slug")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
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
