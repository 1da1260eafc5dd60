"""``khabar export_comments --email reader@example.com``: a reader's comments as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from khabar.comments.privacy import export_comments


class Command(BaseCommand):
    help = "Print (or write to a file) every comment written with an email address, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The reader's email address.")
        parser.add_argument("--output", default="", help="Write to this file instead of stdout.")

    def handle(self, *args, **options):
        if "@" not in options["email"]:
            raise CommandError("--email must be an email address")
        data = json.dumps(export_comments(options["email"]), ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(data + "\n")
        else:
            self.stdout.write(data)
