"""``khabar backup DIR``: a consistent copy of the live SQLite database and the media."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from khabar.security.backup import BackupError, backup


class Command(BaseCommand):
    help = "Copy the SQLite database (online, while the site runs) and uploaded media into DIR."

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            help="Where to write the backup: a new or empty folder, or an earlier backup,"
            " outside the live data.",
        )

    def handle(self, *args, **options):
        try:
            manifest = backup(Path(options["directory"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"backup failed: {error}") from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"backed up {len(manifest['tables'])} tables ({rows} rows) and"
            f" {len(manifest['media'])} media file(s) to {options['directory']}"
        )
