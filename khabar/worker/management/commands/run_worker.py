"""``khabar run_worker``: the one background worker (see ``khabar.worker``).

It publishes scheduled stories, lifts embargoes, renders large photos, runs queued tasks
(comment emails) and the daily and hourly clean-ups, and logs what it did. SIGTERM or
SIGINT stops it cleanly. ``--once`` runs every job until none finds work, then exits.
"""

import logging

from django.core.management.base import BaseCommand

from khabar.worker.loop import TICK_SECONDS, Worker

LEVELS = {0: logging.WARNING, 1: logging.INFO}


class Command(BaseCommand):
    help = "Run every background job: scheduled stories, embargoes, photos, emails, clean-ups."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run every job until none finds work, then exit."
        )
        parser.add_argument(
            "--tick", type=float, default=TICK_SECONDS, help="Seconds between looks for work."
        )

    def handle(self, *args, **options):
        level = LEVELS.get(options["verbosity"], logging.DEBUG)
        for name in ("khabar.worker", "django_tasks", "django_tasks_db"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.handlers:
                handler = logging.StreamHandler(self.stdout)
                handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
                logger.addHandler(handler)
                logger.propagate = False
        worker = Worker(tick=options["tick"])
        if not options["once"]:
            worker.handle_signals()
        worker.run(once=options["once"])
