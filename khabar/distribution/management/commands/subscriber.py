"""``khabar subscriber add|list|remove``: the subscribers of distribution, from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from khabar.articles.models import Urgency
from khabar.distribution import actions
from khabar.distribution.models import Format, Subscriber, Transport
from khabar.site import actors

URGENCIES = {"flash": Urgency.FLASH, "urgent": Urgency.URGENT, "normal": Urgency.NORMAL}


class Command(BaseCommand):
    help = "Add, list or remove distribution subscribers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="a subscriber with one destination")
        add.add_argument("name")
        where = add.add_mutually_exclusive_group(required=True)
        where.add_argument("--webhook", metavar="URL", help="POST each item to this URL")
        where.add_argument("--sftp", metavar="URL", help="sftp://user@host:22/folder")
        where.add_argument("--email", metavar="ADDRESS", help="mail the wire text here")
        add.add_argument("--format", choices=Format.values, default=Format.NINJS)
        add.add_argument("--secret", help="whsec_… (default: a new one, printed)")
        add.add_argument("--ssh-key", metavar="FILE", help="private key for --sftp")
        add.add_argument("--edition", action="append", default=[], dest="editions")
        add.add_argument("--section", action="append", default=[], dest="sections")
        add.add_argument("--tag", action="append", default=[], dest="tags")
        add.add_argument("--min-urgency", choices=list(URGENCIES), default="normal")
        add.add_argument("--no-photos", action="store_true")
        add.add_argument("--contact", default="")
        sub.add_parser("list", help="every subscriber and its destinations")
        remove = sub.add_parser("remove", help="delete a subscriber and its records")
        remove.add_argument("name")

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        try:
            getattr(self, f"do_{verb}")(**options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def do_add(self, *, name: str, **options: Any) -> None:
        actor = actors.COMMAND_LINE
        if options["webhook"]:
            transport, url = Transport.WEBHOOK, options["webhook"]
        elif options["sftp"]:
            transport, url = Transport.SFTP, options["sftp"]
        else:
            transport, url = Transport.EMAIL, options["email"]
        key = Path(options["ssh_key"]).read_text() if options["ssh_key"] else ""
        from django.db import transaction

        with transaction.atomic():
            subscriber = actions.add_subscriber(name, actor=actor, contact=options["contact"])
            destination = actions.add_destination(
                subscriber,
                actor=actor,
                url=url,
                transport=transport,
                format=options["format"],
                secret=options["secret"],
                editions=options["editions"],
                sections=options["sections"],
                tags=options["tags"],
                min_urgency=URGENCIES[options["min_urgency"]],
                with_photos=not options["no_photos"],
                ssh_key=key,
            )
        self.stdout.write(f"subscriber {subscriber.pk} destination {destination.pk}")
        if destination.secret and not options["secret"]:
            self.stdout.write(f"secret {destination.secret}")

    def do_list(self, **options: Any) -> None:
        for subscriber in Subscriber.objects.prefetch_related("destinations"):
            state = "active" if subscriber.active else "inactive"
            self.stdout.write(f"{subscriber.pk}\t{subscriber.name}\t{state}\t{subscriber.contact}")
            for d in subscriber.destinations.all():
                filters = " ".join(
                    [f"edition={e}" for e in d.editions]
                    + [f"section={s}" for s in d.sections]
                    + [f"tag={t}" for t in d.tags]
                    + [f"urgency<={d.min_urgency}"]
                    + ([] if d.with_photos else ["no-photos"])
                )
                paused = (
                    f"\tpaused until {d.paused_until:%Y-%m-%d %H:%M:%S}" if d.paused_until else ""
                )
                self.stdout.write(
                    f"\t{d.pk}\t{d.transport}\t{d.format}\t{d.url}\t{filters}{paused}"
                )

    def do_remove(self, *, name: str, **options: Any) -> None:
        subscriber = Subscriber.objects.filter(name=name).first()
        if subscriber is None:
            raise CommandError(f"no subscriber named {name!r}")
        actions.remove_subscriber(subscriber, actor=actors.COMMAND_LINE)
        self.stdout.write(f"removed {name}")
