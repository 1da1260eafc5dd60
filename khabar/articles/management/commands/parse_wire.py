"""``khabar parse_wire FILE [--year Y]``: print the parsed story as JSON; writes nothing."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from khabar.articles.wire_import import WireImportError, parse_file


class Command(BaseCommand):
    help = "Parse a wire text file and print it as JSON (writes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--lang", choices=["ar", "fa", "en"], default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            story = parse_file(options["file"], year=options["year"], lang=options["lang"])
        except WireImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(story.to_dict(), ensure_ascii=False, indent=2))
