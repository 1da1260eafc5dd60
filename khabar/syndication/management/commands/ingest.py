"""``khabar ingest FILE_OR_URL_OR_DIR... [--publish] [--section SLUG] [--lang ar|fa|en]``

``--archive`` takes another agency's whole archive instead, files and folders left where
they are: streamed in batches that commit as they go, resuming without duplicates when run
again, with a progress bar on a terminal (``khabar.syndication.archive``).

Reads ninjs (1.x-3.x), NewsML-G2, RSS/Atom and wire text, detecting the format. Each document
is stored whole or not at all. A directory is a drop folder: each file in it is ingested and
moved to ``done/`` or to ``failed/`` next to a ``NAME.reason.txt`` saying why.

Pictures (.jpg, .jpeg, .png, .webp) are not documents: they are the files a document's
picture references name. They are looked for among the files given on the command line and
next to the document; in a drop folder, a picture moves to ``done/`` with its story, and one
no story has named yet stays for the document that will.
"""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from khabar.articles.models import Section
from khabar.articles.wire_import import ARCHIVE_BATCH, run_archive
from khabar.site import actors
from khabar.syndication import conf
from khabar.syndication.archive import archive_documents, ingest_archive
from khabar.syndication.ingest import IngestError, Result, check_size, ingest_bytes
from khabar.syndication.photos import Attachments, is_image_name

DONE, FAILED = "done", "failed"


def fetch(url: str) -> bytes:
    """GET an http(s) URL, refusing anything past the size limit."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise IngestError("only http and https URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "khabar-ingest/1"})
    try:
        with urllib.request.urlopen(request, timeout=conf.INGEST_FETCH_TIMEOUT) as response:
            check_size(int(response.headers.get("Content-Length") or 0))
            data = response.read(conf.INGEST_MAX_BYTES + 1)
    except OSError as error:
        raise IngestError(f"cannot fetch {url}: {error}") from None
    check_size(len(data))
    return data


def read_file(path: Path) -> bytes:
    try:
        check_size(path.stat().st_size)
        return path.read_bytes()
    except OSError as error:
        raise IngestError(f"cannot read the file: {error.strerror}") from None


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{timezone.now():%Y%m%d%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    return target


class Command(BaseCommand):
    help = "Ingest stories from files, URLs or drop folders (ninjs, NewsML-G2, RSS/Atom, wire)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("sources", nargs="+", help="files, http(s) URLs or directories")
        parser.add_argument("--publish", action="store_true", help="the source is trusted")
        parser.add_argument("--section", default=None, help="section slug for stories without one")
        parser.add_argument("--lang", choices=["ar", "fa", "en"], default=None)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--archive",
            action="store_true",
            help="a whole archive (files and folders, left where they are): batches that "
            "commit as they go; a rerun resumes without duplicates",
        )
        parser.add_argument("--batch", type=int, default=ARCHIVE_BATCH, help="files a batch")

    def handle(self, *args: Any, **options: Any) -> None:
        self.options = options
        self.failures = 0
        if options["archive"]:
            self.archive(options)
            return
        sources = options["sources"]
        pictures = [Path(s) for s in sources if is_image_name(s) and Path(s).is_file()]
        for source in sources:
            path = Path(source)
            if urlsplit(source).scheme in ("http", "https"):
                self.one(source, lambda s=source: fetch(s), Attachments(paths=pictures))
            elif path.is_dir():
                self.drop_folder(path)
            elif path not in pictures:
                files = Attachments.next_to(path, pictures) if path.is_file() else None
                self.one(source, lambda p=path: read_file(p), files)
        if self.failures:
            raise CommandError(f"{self.failures} document(s) not ingested")

    def archive(self, options: dict[str, Any]) -> None:
        urls = [s for s in options["sources"] if urlsplit(s).scheme in ("http", "https")]
        if urls:
            raise CommandError(f"an archive is files and folders, not URLs: {urls[0]}")
        lang = options["lang"]
        section = None
        if options["section"]:
            section = Section.objects.filter(
                slug=options["section"], **({"lang": lang} if lang else {})
            ).first()
            if section is None:
                raise CommandError(f"nothing ingested: no section {options['section']!r}")
        paths = [Path(s) for s in options["sources"]]
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"nothing ingested: no such file or folder: {missing[0]}")
        result = run_archive(
            lambda progress: ingest_archive(
                paths,
                actor=actors.COMMAND_LINE,
                publish=options["publish"],
                section=section,
                lang=lang,
                batch_size=options["batch"],
                progress=progress,
            ),
            files=lambda: archive_documents(paths),
            options=options,
            desc="ingest",
            unit="file",
            problem=self.stderr.write,
        )
        self.stdout.write(
            f"{result.created} stories ingested, {result.skipped} already there, "
            f"{len(result.failed)} not ingested."
        )
        if result.failed:
            raise CommandError(f"{len(result.failed)} document(s) or stories not ingested")

    def ingest(self, read: Any, files: Attachments | None = None) -> list[Result]:
        data = read()
        lang = self.options["lang"]
        section = None
        if self.options["section"]:
            section = Section.objects.filter(
                slug=self.options["section"], **({"lang": lang} if lang else {})
            ).first()
            if section is None:
                raise IngestError(f"no section {self.options['section']!r}")
        # An operator at the shell: trusted as the chief, named in the audit log.
        return ingest_bytes(
            data,
            actor=actors.COMMAND_LINE,
            publish=self.options["publish"],
            section=section,
            lang=lang,
            files=files,
        )

    def one(self, name: str, read: Any, files: Attachments | None = None) -> str | None:
        """Ingest one document; returns the reason it failed, or None."""
        try:
            results = self.ingest(read, files)
        except IngestError as error:
            self.failures += 1
            self.stderr.write(f"{name}: not ingested: {error}")
            return str(error)
        for result in results:
            self.stdout.write(
                f"{name}: {result.outcome} story {result.article.pk} ({result.article.status})"
            )
            for photo in result.photos:
                detail = f"photo {photo.photo_id} from {photo.reason}" if photo.photo_id else ""
                self.stdout.write(
                    f"{name}: picture {photo.source_id}: {photo.outcome}"
                    + (f" ({detail or photo.reason})" if detail or photo.reason else "")
                )
        return None

    def drop_folder(self, folder: Path) -> None:
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and not p.name.startswith(".")
            and not p.name.endswith(".reason.txt")
            and not is_image_name(p.name)
        )
        pictures = Attachments(paths=[p for p in folder.iterdir() if is_image_name(p.name)])
        bar = tqdm(
            files,
            desc=str(folder),
            unit="file",
            disable=self.options["no_progress"] or not files,
            file=self.stderr._out,
        )
        for path in bar:
            pictures.used.clear()
            reason = self.one(str(path), lambda p=path: read_file(p), pictures)
            if reason is None:
                _move(path, folder / DONE)
                for picture in dict.fromkeys(pictures.used):
                    if picture.exists():
                        _move(picture, folder / DONE)
            else:
                moved = _move(path, folder / FAILED)
                moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", "utf-8")
