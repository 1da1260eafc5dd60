"""``khabar prune_revisions``: apply the revision retention policy (deploy/README.md).

The worker runs it once a day; an operator can run it by hand, or see what it would do with
``--dry-run``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from khabar.articles.actions import prune_revisions
from khabar.site import actors


class Command(BaseCommand):
    help = (
        "Delete stories' old revisions: keep every revision younger than "
        "KHABAR_REVISION_KEEP_DAYS, each story's first and its KHABAR_REVISION_KEEP_LAST newest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="keep revisions this young")
        parser.add_argument("--keep", type=int, default=None, help="and each story's N newest")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.KHABAR_REVISION_KEEP_DAYS if options["days"] is None else options["days"]
        keep = settings.KHABAR_REVISION_KEEP_LAST if options["keep"] is None else options["keep"]
        actor = actors.REVISION_PRUNER
        pruned = prune_revisions(
            actor=actor, keep_days=days, keep_last=keep, dry_run=options["dry_run"]
        )
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(
            f"{verb} {pruned.deleted} revisions of {pruned.stories} stories "
            f"(kept: younger than {days} days, each story's first and {keep} newest)"
        )
