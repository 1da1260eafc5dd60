"""``khabar deliveries [--story ID] [--subscriber NAME] [--failed]``: what went where, when."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from khabar.distribution.models import Delivery


class Command(BaseCommand):
    help = "List deliveries to subscribers: story, version, event, status, when, the answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--story", type=int)
        parser.add_argument("--subscriber")
        parser.add_argument("--failed", action="store_true", help="given up or being retried")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Delivery.objects.select_related("destination__subscriber").order_by("-pk")
        if options["story"]:
            rows = rows.filter(article_id=options["story"])
        if options["subscriber"]:
            rows = rows.filter(destination__subscriber__name=options["subscriber"])
        if options["failed"]:
            rows = rows.failed()
        for d in rows[: options["limit"]]:
            when = d.delivered_at or d.next_attempt_at
            answer = d.error or (str(d.response_code) if d.response_code else "")
            self.stdout.write(
                "\t".join(
                    [
                        d.key,
                        str(d.article_id),
                        f"v{d.version}",
                        d.event,
                        d.destination.subscriber.name,
                        d.status,
                        f"attempts={d.attempts}",
                        when.isoformat(timespec="seconds"),
                        answer[:120],
                    ]
                )
            )
