"""Make waiting renditions: ``khabar render_photos`` loops, ``--once`` drains and exits."""

import time

from django.core.management.base import BaseCommand

from khabar.photos import actions
from khabar.photos.models import Photo
from khabar.site import actors


class Command(BaseCommand):
    help = "Make the renditions of large uploads (and, with --all, of every photo again)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Render what waits, then exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls.")
        parser.add_argument(
            "--retry", action="store_true", help="Queue failed and interrupted photos again."
        )
        parser.add_argument(
            "--all", action="store_true", help="Render every photo again (after a width change)."
        )

    def handle(self, *args, **options):
        actor = actors.COMMAND_LINE
        if options["retry"]:
            actions.requeue_photos(actor=actor)
        if options["all"]:
            done = sum(
                actions.render_photo(pk, actor=actor, force=True)
                for pk in Photo.objects.values_list("pk", flat=True)
            )
            self.stdout.write(f"rendered {done} photo(s)")
            return
        while True:
            done = actions.render_pending_photos(actor=actor)
            if options["once"]:
                self.stdout.write(f"rendered {done} photo(s)")
                return
            if done and options["verbosity"] > 1:
                self.stdout.write(f"rendered {done} photo(s)")
            if not done:
                time.sleep(options["interval"])
