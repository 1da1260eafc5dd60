"""Publish scheduled stories whose time has come. Run it every minute from cron or the worker."""

from typing import Any

from django.core.management.base import BaseCommand

from khabar.articles.actions import publish_due_articles


class Command(BaseCommand):
    help = "Publish every scheduled story whose publish time has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        for article in publish_due_articles():
            self.stdout.write(f"published {article.pk}: {article.headline}")
