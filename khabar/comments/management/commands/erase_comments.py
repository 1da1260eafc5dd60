"""``khabar erase_comments --email reader@example.com``: blank a reader's comments."""

from django.core.management.base import BaseCommand, CommandError

from khabar.comments.actions import comments_of, erase_comments
from khabar.site import actors


class Command(BaseCommand):
    help = (
        "Erase every comment written with an email address: name, email, text and address "
        "hash are blanked; the comment stays as a tombstone so replies keep their place."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The reader's email address.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many would be erased."
        )

    def handle(self, *args, **options):
        if "@" not in options["email"]:
            raise CommandError("--email must be an email address")
        if options["dry_run"]:
            count = comments_of(options["email"]).count()
            self.stdout.write(f"{count} comment(s) would be erased")
            return
        count = erase_comments(options["email"], actor=actors.COMMAND_LINE)
        self.stdout.write(f"erased {count} comment(s)")
