"""`khabar reindex`: rebuild the search index from the stories readers may see."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from khabar.articles.models import Article
from khabar.search.backends import get_backend
from khabar.search.indexing import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the search index from every published story."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Article.objects.published().count()
        with tqdm(
            total=total,
            unit="story",
            desc="reindex",
            disable=options["no_progress"] or options["verbosity"] == 0,
            file=sys.stderr,
        ) as bar:
            done = rebuild_index(progress=bar.update)
        backend = get_backend()
        self.stdout.write(f"Indexed {done} stories with the {backend.vendor} backend.")
