"""Load clearly labelled sample stories in every edition. Running it again adds nothing."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from khabar.articles.demo import load_demo
from khabar.site import hooks


class Command(BaseCommand):
    help = "Load demo sections, stories (ar, fa, en) and desk users; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run with KHABAR_ENV=production anyway: only for the production profile on "
            "one machine (make run-prod, the benchmarks), never for a site anyone can reach.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo logins have passwords anyone can read in the README.
        if settings.KHABAR_ENV == "production" and not options["allow_production"]:
            raise CommandError(
                "load_demo creates desk logins with known passwords; refused with "
                "KHABAR_ENV=production"
            )
        created = load_demo()
        self.stdout.write(f"demo content: {created} new stories")
        # Apps above the stories (photos) add theirs through a hook.
        for name, load in hooks.demo_loaders().items():
            self.stdout.write(f"{name}: {load()}")
