"""Run background tasks (comment emails): ``khabar run_worker`` loops, ``--once`` drains."""

import time

from django.core.management.base import BaseCommand

from khabar.comments.notify import run_due_tasks


class Command(BaseCommand):
    help = "Send queued comment notifications."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run due tasks once and exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls.")

    def handle(self, *args, **options):
        while True:
            ran = run_due_tasks()
            if options["verbosity"] > 1 and ran:
                self.stdout.write(f"ran {ran} task(s)")
            if options["once"]:
                self.stdout.write(f"ran {ran} task(s)")
                return
            if not ran:
                time.sleep(options["interval"])
