"""``khabar distribution_demo``: a demo subscriber whose webhook is the site itself (the
receiving endpoint at /distribution/receiver/<id>/), so ``make run`` shows delivery end to
end; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from khabar.distribution import actions
from khabar.distribution.models import Destination, Format, Subscriber
from khabar.site import actors

NAME = "demo-receiver"


class Command(BaseCommand):
    help = "Create the demo subscriber whose webhook receiver is this site."

    def handle(self, *args: Any, **options: Any) -> None:
        if Subscriber.objects.filter(name=NAME).exists():
            return
        with transaction.atomic():
            subscriber = actions.add_subscriber(
                NAME, actor=actors.DEMO, contact="the site itself (demo)"
            )
            destination = actions.add_destination(
                subscriber, actor=actors.DEMO, url=settings.SITE_URL + "/", format=Format.NINJS
            )
            url = f"/distribution/receiver/{destination.pk}/"  # khabar.distribution.urls
            Destination.objects.filter(pk=destination.pk).update(url=settings.SITE_URL + url)
        self.stdout.write(f"demo subscriber {subscriber.pk}: {settings.SITE_URL}{url}")
