"""Load clearly labelled sample stories in every edition. Running it again adds nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from khabar.articles.demo import load_demo
from khabar.site import hooks


class Command(BaseCommand):
    help = "Load demo sections, stories (ar, fa, en) and desk users; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        self.stdout.write(f"demo content: {created} new stories")
        # Apps above the stories (photos) add theirs through a hook.
        for name, load in hooks.demo_loaders().items():
            self.stdout.write(f"{name}: {load()}")
