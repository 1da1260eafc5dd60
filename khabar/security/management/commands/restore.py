"""``khabar restore DIR``: bring back a backup made by ``khabar backup DIR``.

After the data is back, every cache is emptied (the page store, the proxy's copies, the
fragments and Django's caches) and the search index is rebuilt from the restored stories,
so nothing from before the restore is served or found.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from khabar.articles.models import Article, Section, Tag
from khabar.search.indexing import rebuild_index
from khabar.security.backup import BackupError, restore
from khabar.site import pagecache
from khabar.site.editions import edition_codes

PURGE_BATCH = 500


def page_tags() -> set[str]:
    """Every tag a cached page of the current data may carry (see ``pagecache``)."""
    try:
        langs = set(edition_codes()) | set(
            Article.objects.values_list("lang", flat=True).distinct()
        )
        tags = {f"{kind}:{lang}" for lang in langs for kind in ("h", "f")}
        tags |= {f"a:{pk}" for pk in Article.objects.values_list("pk", flat=True)}
        tags |= {f"s:{pk}" for pk in Section.objects.values_list("pk", flat=True)}
        tags |= {f"t:{pk}" for pk in Tag.objects.values_list("pk", flat=True)}
    except DatabaseError:
        # A live database too broken to read: nothing of it can be purged by tag, and the
        # whole store is cleared below anyway.
        return set()
    return tags


def empty_caches(tags: Iterable[str]) -> None:
    """Purge every page showing these tags (app store and proxy, bumping the fragments'
    generations), then clear the page store and every Django cache outright."""
    tags = sorted(tags)
    for start in range(0, len(tags), PURGE_BATCH):
        pagecache.purge_keys(tags[start : start + PURGE_BATCH])
    if settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE:
        pagecache.store().clear()
    for alias in settings.CACHES:
        caches[alias].clear()


class Command(BaseCommand):
    help = "Replace the SQLite database and the media with the backup in DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A folder written by `khabar backup`.")
        parser.add_argument(
            "--noinput", action="store_true", help="Do not ask before replacing the data."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even though app processes have the database open (they keep"
            " stale caches until restarted).",
        )

    def handle(self, *args, **options):
        if not options["noinput"]:
            answer = input("This replaces the database and the media. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        before = page_tags()
        try:
            manifest = restore(
                Path(options["directory"]), force=options["force"], after=rebuild_index
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        except (OSError, DatabaseError) as error:
            raise CommandError(f"restore failed, the live data is as it was: {error}") from None
        empty_caches(before | page_tags())
        self.stdout.write(
            f"restored the backup of {manifest['created_at']}"
            f" ({len(manifest['media'])} media file(s)); caches emptied, search index rebuilt"
        )
