"""``khabar restore DIR``: bring back a backup made by ``khabar backup DIR``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from khabar.security.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the SQLite database and the media with the backup in DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A folder written by `khabar backup`.")
        parser.add_argument(
            "--noinput", action="store_true", help="Do not ask before replacing the data."
        )

    def handle(self, *args, **options):
        if not options["noinput"]:
            answer = input("This replaces the database and the media. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        try:
            manifest = restore(Path(options["directory"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"restored the backup of {manifest['created_at']}"
            f" ({len(manifest['media'])} media file(s))"
        )
