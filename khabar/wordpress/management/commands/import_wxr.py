"""``khabar import_wxr FILE [--edition ar] [--section-map CAT=SECTION …] [--dry-run]``.

A WordPress export (WXR) as stories with their comments and featured images; see
``khabar.wordpress.actions``. The whole file is checked first: any problem is reported as
``FILE:LINE: message`` and nothing is written.
"""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from tqdm import tqdm

from khabar.site import actors
from khabar.site.editions import default_edition
from khabar.wordpress.actions import BATCH, Options, WxrImportError, import_wxr

#: The lines of the summary (``khabar.wordpress`` counts under these keys), for translators.
SUMMARY = (
    gettext_noop("stories published"),
    gettext_noop("stories draft"),
    gettext_noop("stories already there"),
    gettext_noop("comments approved"),
    gettext_noop("comments pending"),
    gettext_noop("comments skipped: spam"),
    gettext_noop("comments skipped: trash"),
    gettext_noop("comments skipped: pingback"),
    gettext_noop("comments skipped: empty"),
    gettext_noop("replies whose parent is not in the file"),
    gettext_noop("posts skipped: private"),
    gettext_noop("posts skipped: trash"),
    gettext_noop("posts skipped: page"),
    gettext_noop("posts skipped: other"),
    gettext_noop("posts skipped: auto-draft"),
    gettext_noop("posts skipped: revision"),
    gettext_noop("posts skipped: empty"),
    gettext_noop("posts skipped: twice in the file"),
    gettext_noop("featured images"),
    gettext_noop("featured images left out (no --uploads folder)"),
    gettext_noop("featured images missing from the uploads folder"),
)


def _pair(value: str) -> tuple[str, str]:
    category, sep, section = value.partition("=")
    if not sep or not category.strip() or not section.strip():
        raise ValueError(value)
    return category.strip(), section.strip()


class Command(BaseCommand):
    help = "Import a WordPress export (WXR): posts, comments and featured images."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--edition", default=None, help="edition code (default: the first)")
        parser.add_argument(
            "--section-map",
            nargs="+",
            action="extend",
            default=[],
            type=_pair,
            metavar="CATEGORY=SECTION",
            help="the section (slug) a category (slug) goes to; by default the section of "
            "the same slug",
        )
        parser.add_argument(
            "--create-sections",
            action="store_true",
            help="create a section for a post whose categories have none",
        )
        parser.add_argument(
            "--uploads", type=Path, default=None, help="the site's wp-content/uploads folder"
        )
        parser.add_argument(
            "--allow-missing-images",
            action="store_true",
            help=(
                "leave out featured images missing from --uploads or from the export "
                "instead of stopping"
            ),
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--batch", type=int, default=BATCH, help="posts a transaction")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        uploads = options["uploads"]
        if uploads is not None and not uploads.is_dir():
            raise CommandError(_("--uploads %(folder)s is not a folder") % {"folder": uploads})
        wanted = Options(
            lang=options["edition"] or default_edition().code,
            section_map=dict(options["section_map"]),
            create_sections=options["create_sections"],
            uploads=uploads,
            allow_missing_images=options["allow_missing_images"],
        )
        quiet = options["no_progress"] or options["verbosity"] == 0 or not sys.stderr.isatty()
        with tqdm(unit="post", desc="import", disable=quiet, file=sys.stderr) as bar:
            try:
                result = import_wxr(
                    options["file"],
                    actor=actors.WORDPRESS_IMPORT,
                    options=wanted,
                    dry_run=options["dry_run"],
                    batch_size=options["batch"],
                    progress=bar.update,
                )
            except WxrImportError as error:
                lines = [_("nothing imported:"), *error.errors]
                if error.more:
                    lines.append(_("… and %(count)d more problems") % {"count": error.more})
                raise CommandError("\n".join(lines)) from error
        if options["verbosity"] == 0:
            return
        counts = result.summary()
        if result.dry_run:
            self.stdout.write(_("Checked: nothing written (--dry-run)."))
        for key in sorted(counts):
            self.stdout.write(f"{_(key)}: {counts[key]}")
