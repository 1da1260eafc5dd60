"""Wire text → stories: the Django side of ``khabar/wire`` (which knows nothing of models)."""

from __future__ import annotations

import datetime
import enum
import hashlib
import itertools
import json
import operator
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone
from django.utils.encoding import is_protected_type
from django.utils.text import slugify

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Section, Status, Tag
from khabar.lib.arabic import fingerprint, forms_text
from khabar.lib.forked import helper_process
from khabar.lib.tsvector import literal_vectors
from khabar.site import actors, hooks, pagecache
from khabar.wire.parse import WireError, WireStory, parse_wire


class WireImportError(Exception):
    """A file that cannot be imported, with the line where it went wrong."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def parse_file(
    path: Path,
    *,
    year: int | None = None,
    now: datetime.datetime | None = None,
    lang: str | None = None,
) -> WireStory:
    """Parse one wire file; any problem becomes an WireImportError naming the file and line."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WireImportError(str(path), None, f"cannot read the file: {error.strerror}") from error
    try:
        return parse_wire(data, year=year, now=now, lang=lang)
    except WireError as error:
        raise WireImportError(str(path), error.line, error.message) from error


def source_id_for(story: WireStory) -> str:
    """A stable id for a wire story, so that importing it again updates instead of duplicating.

    Built from the analysed text, so the same story re-typed with other hamza or diacritics
    forms is still recognised.
    """
    d = story.dateline
    codes = " ".join(story.signoff)
    key = f"{story.lang}|{d.year}-{d.month:02d}-{d.day:02d}|{story.headline}|{codes}"
    return f"wire:{fingerprint(key)}"


def story_fields(story: WireStory) -> dict[str, object]:
    d = story.dateline
    return {
        "lang": story.lang,
        "headline": story.headline,
        "dateline_city": d.city,
        "dateline_date": story.date,
        "dateline_agency": d.agency,
        "body": "\n\n".join(story.body),
        "signoff": " ".join(story.signoff),
    }


def import_stories(
    stories: Sequence[tuple[str, WireStory]],
    *,
    section: Section | None,
    publish: bool,
    actor: Any,
) -> list[tuple[Article, str]]:
    """Store parsed stories in one transaction, as ``actor``: all are written, or none."""
    results = []
    with transaction.atomic():
        for _path, story in stories:
            target = section or _default_section(story.lang)
            results.append(
                actions.ingest_article(
                    source_id=source_id_for(story),
                    source_version=1,
                    section=target,
                    fields=story_fields(story),
                    publish=publish,
                    actor=actor,
                )
            )
    return results


def _default_section(lang: str) -> Section:
    section = Section.objects.filter(lang=lang).order_by("position", "pk").first()
    if section is None:
        raise WireImportError(
            "", None, f"no section exists in the {lang} edition; create one first"
        )
    return section


# --- archives ---------------------------------------------------------------------------------
#
# A whole archive (hundreds of thousands of files) goes in through ``import_archive``: files
# are read a batch at a time (memory stays flat whatever the archive's size), each batch is
# stored in one transaction that commits before the next is stored, and a story whose source
# id is already stored is skipped, so a rerun after an interruption resumes where it stopped
# without duplicates. While a batch is stored, a second process reads, parses and analyses
# the next one.
#
# A batch is written in bulk rather than through ``actions.ingest_article`` one story at a
# time, and writes the rows that path writes (tests/test_archive_import_speed.py compares
# them): each story as ``create_article`` validates it (``full_clean``; the section, the same
# for the whole batch, is checked once) and as ``publish_article`` (or ``submit_article``)
# leaves it, with its origin and source id, dateline, sign-off codes, fingerprint and the
# publishing editor's code; its two django-reversion revisions (the draft as created, then
# the story as published or submitted) and its two audit entries; and its search index
# entry, in the batch's transaction (``hooks.stories_stored``), so a batch is stored with its
# index entries or not at all. What differs, on purpose: a published story's time is its
# dateline's day at noon UTC, so an archive takes its place in the past instead of leading
# the home page; the pages are purged once per batch instead of once per story; and the
# story hooks (distribution to subscribers, the live ticker) are not told, since an archive
# is not news. A story already stored is left as it is (run without --archive to update a
# few). A file that cannot be parsed or whose story does not validate is reported with its
# path (and line, where one applies) and left out; the rest of its batch is stored.

ARCHIVE_BATCH = 1000
#: The reader processes of an import (``import_archive``'s ``reader``): with one, it and
#: this process wait for each other in turn (the reader is the slower for most formats).
READERS = 2

#: The fields a story's first revision (django-reversion's "created" copy) holds as
#: ``create_article`` left them, before ``ingest_article`` set its source and the workflow
#: moved it on.
_AS_CREATED = {
    "status": Status.DRAFT,
    "revision": 1,
    "source_id": "",
    "source_version": 0,
    "published_at": None,
    "first_published_at": None,
    "published_by": None,
    "publisher_signoff": "",
}

#: The forms of a story's headline and body (``forms_text``: exact forms, stems).
Forms = dict[str, tuple[str, str]]


@dataclass
class ArchiveResult:
    created: int = 0
    skipped: int = 0  # already stored (a resumed run) or twice in the archive
    failed: list[str] = field(default_factory=list)  # files that could not be stored, and why


@dataclass
class ReadFile:
    """A story as the reader gives it: the file it came from, its fields, its source id,
    its headline's and body's forms and the story built from them, or why it could not be
    read or does not validate (``problem``, naming the file and line). A wire file holds
    one story; a document of another format (``khabar ingest --archive``) may hold several,
    each a ``ReadFile`` of the same path."""

    path: Path
    story: WireStory | None = None
    key: str = ""
    forms: Forms = field(default_factory=dict)
    problem: str = ""
    #: The story built and validated in the reader (``_build``), for the writer to finish.
    article: Article | None = None
    #: ``story_fields``: what ``actions.ingest_article`` takes as its ``fields``.
    fields: dict[str, Any] = field(default_factory=dict)
    source_version: int = 1
    tag_names: list[str] = field(default_factory=list)
    #: What the format's reader keeps for itself (the ingest's record of the item).
    incoming: Any = None
    #: A wire file: its lines name the field at fault (``_invalid``), even once ``story``
    #: is dropped (``analyse_files``: the writer needs the built story, not the parsed one).
    numbered: bool = False

    @property
    def day(self) -> datetime.date:
        """The dateline's day: an archived story's publishing day."""
        value = self.fields["dateline_date"]
        assert isinstance(value, datetime.date)
        return value


def archive_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the files under the folders named, in name order."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


#: A format's reader for ``import_archive``: a batch of paths (and the reader's own
#: arguments) to their stories, in the reader process (no database there).
Parse = Callable[..., list[ReadFile]]


def import_archive(
    files: Iterable[Path],
    *,
    section: Section | None,
    publish: bool,
    actor: Any,
    year: int | None = None,
    lang: str | None = None,
    batch_size: int = ARCHIVE_BATCH,
    progress: Callable[[int], object] | None = None,
    reader: bool | None = None,
    parse: tuple[Parse, tuple[Any, ...]] | None = None,
    section_of: Callable[[ReadFile, Section | None], Section] | None = None,
    after_insert: Callable[[Sequence[Article], Sequence[ReadFile]], None] | None = None,
) -> ArchiveResult:
    """Store an archive of wire files, a batch per transaction; see the notes above.

    ``progress`` is called with the number of files done after each batch. With ``reader``
    (by default when the machine has more than one CPU) the files of the next batches are
    read, parsed and analysed in other processes (``READERS``) while this one stores the
    current batch.

    Another format's archive (``khabar ingest --archive``) gives its reader (``parse``: a
    function of the reader process and its arguments after the paths), how a story's
    section is chosen (``section_of(item, section)``, in this process) and what is written
    beside each batch's stories in its transaction (``after_insert``).
    """
    actors.require(actor, "articles.add_article")
    actors.require(actor, "articles.publish_article" if publish else "articles.submit_article")
    result = ArchiveResult()
    writer = _BatchWriter(section=section, publish=publish, actor=actor, section_of=section_of)
    if reader is None:
        reader = (os.cpu_count() or 1) > 1
    parser, parser_args = parse or (parse_files, (year, lang))

    def store(read: list[ReadFile], files_done: int) -> None:
        result.failed.extend(item.problem for item in read if item.problem)
        touched = _store_batch(
            [item for item in read if not item.problem], writer, result, after_insert
        )
        if touched:
            pagecache.purge_keys(sorted(touched))
        if progress:
            progress(files_done)

    # A reader parses a batch, this process leaves out the stories already stored (a
    # resumed run then costs little more than the parsing), the same reader analyses,
    # builds and validates the rest; the readers parse and analyse the next batches while
    # this one is stored. Each reader takes every other batch (it keeps a batch between
    # parsing and analysing it) and one batch at a time in hand: a few batches in memory
    # (one in each reader, one analysed, one being stored), whatever the archive's size.
    chunks = _chunks(files, batch_size)
    numbers: list[int] = []
    with bulk_writes(), ExitStack() as helpers, _letting_go(numbers):
        readers = [
            helpers.enter_context(helper_process(reader)) for _ in range(READERS if reader else 1)
        ]

        def submit(number: int, fn: Callable[..., Any], *args: Any) -> Future[Any]:
            return readers[number % len(readers)](fn, number, *args)

        def parse_next() -> tuple[int, int, Future[list[ReadFile]]] | None:
            paths = next(chunks, None)
            if paths is None:
                return None
            numbers.append(next(_BATCH_NUMBERS))
            future = submit(numbers[-1], read_batch, parser, paths, *parser_args)
            return numbers[-1], len(paths), future

        # As many batches parsing as there are readers, one in each.
        parsing: deque[tuple[int, int, Future[list[ReadFile]]]] = deque()

        def fill() -> None:
            while len(parsing) < len(readers) and (batch := parse_next()) is not None:
                parsing.append(batch)

        fill()
        pending: tuple[int, list[ReadFile], Future[list[ReadFile]]] | None = None
        while parsing or pending is not None:
            analysing = None
            if parsing:
                number, files_done, future = parsing.popleft()
                read = future.result()
                stored = _stored_versions(writer.origin, {i.key for i in read if not i.problem})
                for item in read:
                    if not item.problem and stored.get(item.key, item.source_version) < (
                        item.source_version
                    ):
                        # An update is not an archive's: it goes through the desk's rules.
                        item.problem = (
                            f"{item.path}: story {item.key}: version {item.source_version} "
                            f"of a stored story (version {stored[item.key]}); "
                            "import this file without --archive to update it"
                        )
                fresh = [
                    n for n, item in enumerate(read) if not item.problem and item.key not in stored
                ]
                rest = [item for item in read if item.problem or item.key in stored]
                analysing = (
                    files_done,
                    rest,
                    submit(number, analyse_batch, fresh, writer.template),
                )
                fill()
            if pending is not None:
                store(pending[1] + pending[2].result(), pending[0])
            pending = analysing
    return result


def run_archive(
    run: Callable[[Callable[[int], object]], ArchiveResult],
    *,
    files: Callable[[], Iterable[Path]],
    options: dict[str, Any],
    desc: str,
    unit: str,
    problem: Callable[[str], object],
) -> ArchiveResult:
    """An archive command's run: a progress bar (count, rate, time left) on a terminal and
    nothing in scripts and logs, an import error as the command's error, and each file
    that failed told to ``problem``. ``run(progress)`` imports; ``files()`` counts for the
    bar (only on a terminal: an archive's files are walked once more)."""
    from django.core.management import CommandError
    from tqdm import tqdm

    quiet = options["no_progress"] or options["verbosity"] == 0 or not sys.stderr.isatty()
    total = None if quiet else sum(1 for _ in files())
    with tqdm(total=total, unit=unit, desc=desc, disable=quiet, file=sys.stderr) as bar:
        try:
            result = run(bar.update)
        except WireImportError as error:
            raise CommandError(error.message) from error
    for failure in result.failed:
        problem(failure)
    return result


def parse_files(paths: list[Path], year: int | None, lang: str | None) -> list[ReadFile]:
    """Read and parse a batch of files, each story with its source id (in the reader
    process: nothing here touches the database)."""
    read = []
    for path in paths:
        try:
            story = parse_file(path, year=year, lang=lang)
        except WireImportError as error:
            read.append(ReadFile(path, problem=str(error)))
            continue
        read.append(
            ReadFile(path, story, source_id_for(story), fields=story_fields(story), numbered=True)
        )
    return read


# The reader keeps the batches it parsed (``_PARSED``, by number, in its own process) and
# gives this process only what deciding which stories to store takes (``_heads``); this
# process then names the stories to analyse by their place in the batch. Each story's
# text crosses between the processes once, built, instead of three times.
_PARSED: dict[int, list[ReadFile]] = {}
_BATCH_NUMBERS = itertools.count()


@contextmanager
def _letting_go(numbers: list[int]) -> Iterator[None]:
    """Let go of the batches kept here that an import left (without a reader process, an
    import that failed between parsing a batch and analysing it)."""
    try:
        yield
    finally:
        for number in numbers:
            _PARSED.pop(number, None)


def read_batch(number: int, parse: Parse, paths: list[Path], *args: Any) -> list[ReadFile]:
    """Parse a batch (``parse(paths, *args)``) and keep it in this process for
    ``analyse_batch``; returns each story's file, source id, version and problem."""
    read = parse(paths, *args)
    _PARSED[number] = read
    return [_head(item) for item in read]


def _head(item: ReadFile) -> ReadFile:
    return ReadFile(
        item.path,
        key=item.key,
        problem=item.problem,
        source_version=item.source_version,
        numbered=item.numbered,
    )


def analyse_batch(
    number: int, wanted: list[int], template: _Template | None = None
) -> list[ReadFile]:
    """The stories at the places ``wanted`` of the batch ``read_batch`` kept, analysed
    (``analyse_files``); the batch is let go."""
    read = _PARSED.pop(number)
    return analyse_files([read[n] for n in wanted], template)


def analyse_files(read: list[ReadFile], template: _Template | None = None) -> list[ReadFile]:
    """Give each parsed story the forms of its headline and body and, with ``template``,
    the story built and validated from them, or the reason it does not validate (in the
    reader process: no database)."""
    now = timezone.now()
    for item in read:
        body = str(item.fields["body"]).replace("\r\n", "\n")
        item.forms = {
            "headline": forms_text(str(item.fields["headline"])),
            "body": forms_text(body),
        }
        # An empty summary's forms too, so the search document takes them from here
        # instead of analysing it again in the writer.
        item.forms["summary"] = forms_text(str(item.fields.get("summary") or ""))
        if template is not None:
            try:
                item.article = _build(item, template, now)
            except ValidationError as error:
                item.problem = str(_invalid(item, error))
            else:
                # What the writer no longer reads: not sent back to it.
                item.story, item.fields = None, {}
    return read


def _chunks(files: Iterable[Path], size: int) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    for path in files:
        chunk.append(path)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def bulk_writes(using: str = "default") -> Iterator[None]:
    """Tune the connection for a long run of large write transactions (an archive import,
    a search index rebuild), and put it back.

    Commits do not wait for the disk: SQLite does not sync at checkpoints, PostgreSQL does
    not wait for the WAL to be flushed. A crash loses at most the last batches, never the
    database (WAL on both), and a rerun stores them again. PostgreSQL compresses long
    values (bodies, revisions, index vectors) with lz4 where the server has it, several
    times faster than its default and read back the same. Nothing changes inside an outer
    transaction (a test's), where the settings cannot be changed.
    """
    connection = connections[using]
    if connection.in_atomic_block or connection.vendor not in ("sqlite", "postgresql"):
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            synchronous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA synchronous = OFF")
        else:
            cursor.execute("SET synchronous_commit TO off")
            # The search index's GIN indexes move their pending entries into the index in
            # this session when the list is full (gin_pending_list_limit, left as it is so
            # that searches meanwhile read a short list): with room to sort them in one go.
            cursor.execute("SET work_mem TO '64MB'")
            try:
                cursor.execute("SET default_toast_compression TO lz4")
            except DatabaseError:
                pass  # a server built without lz4 keeps its default
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA synchronous = {synchronous}")
            else:
                cursor.execute("RESET synchronous_commit")
                cursor.execute("RESET work_mem")
                cursor.execute("RESET default_toast_compression")


@dataclass(frozen=True)
class _Template:
    """What building a story takes from the import (the reader gets it with each batch)."""

    origin: str
    user_id: int | None
    publish: bool
    status: Status
    signoff: str
    #: Whether the search index is PostgreSQL's, whose vectors the reader makes too.
    vectors: bool = False


def _build(item: ReadFile, template: _Template, now: datetime.datetime) -> Article:
    """The story as ``ingest_article`` leaves it, validated as ``create_article`` does,
    without what needs the database (``_BatchWriter.finish``); raises ValidationError."""
    fields = dict(item.fields)
    lang = str(fields.pop("lang"))
    headline, body = str(fields["headline"]), str(fields.pop("body")).replace("\r\n", "\n")
    article = Article(
        lang=lang,
        body=body,
        created_by_id=template.user_id,
        origin=template.origin,
        slug=actions.make_slug(headline),
        created_at=now,
        updated_at=now,
        **fields,
    )
    # The fingerprint is the hash of the headline's and body's index terms (``fingerprint``
    # of the two): the reader analysed them, and they stay on the story (``text_forms``)
    # so that the search index does not analyse the text again (khabar.search.documents).
    terms = " ".join(filter(None, (item.forms["headline"][1], item.forms["body"][1])))
    article.fingerprint = hashlib.sha1(terms.encode(), usedforsecurity=False).hexdigest()
    article.text_forms = ("ar", item.forms)  # type: ignore[attr-defined]
    if template.vectors:
        # And PostgreSQL's vectors of them (the headline, no summary, the body), made
        # here rather than by the writer (khabar.search.documents).
        (
            (headline_exact, headline_stems),
            (summary_exact, summary_stems),
            (
                body_exact,
                body_stems,
            ),
        ) = (item.forms["headline"], item.forms.get("summary", ("", "")), item.forms["body"])
        article.text_vectors = literal_vectors(  # type: ignore[attr-defined]
            (headline_stems, summary_stems, body_stems), (headline_exact, summary_exact, body_exact)
        )
    # The section and the editor are rows of the database the import writes to, set by
    # ``finish``; their foreign keys check them there (the editor is the import's actor).
    article.full_clean(exclude=["tags", "section", "created_by"])
    article.source_id, article.source_version = item.key, item.source_version
    article.status, article.revision = template.status, 2
    if template.publish:
        at = datetime.datetime.combine(item.day, datetime.time(12), datetime.UTC)
        article.published_at = article.first_published_at = at
        article.published_by_id = template.user_id
        article.publisher_signoff = template.signoff
    return article


class _BatchWriter:
    """What every batch of one import shares: the actor and its names, the sections, the
    options django-reversion keeps stories' versions with."""

    def __init__(
        self,
        *,
        section: Section | None,
        publish: bool,
        actor: Any,
        section_of: Callable[[ReadFile, Section | None], Section] | None = None,
    ) -> None:
        from reversion.revisions import _get_options

        self.section = section
        self.section_of = section_of
        self.sections: dict[str, Section] = {}
        self.publish = publish
        self.origin = getattr(actor, "origin", "")
        self.user = actors.user_or_none(actor)
        self.name = actors.audit_name(actor)
        self.action = "publish" if publish else "submit"
        self.status = Status.PUBLISHED if publish else Status.SUBMITTED
        self.signoff = actions._signoff_of(actor) if publish else ""
        self.content_type = ContentType.objects.get_for_model(Article)
        self.db = router.db_for_write(Article)
        self.version_options = _get_options(Article)
        # The fields the serializer writes (base.Serializer.serialize): a foreign key by
        # its name without "_id"; natural keys, which stories do not use, are not written.
        if self.version_options.use_natural_foreign_keys:
            raise NotImplementedError("stories' versions with natural keys")
        kept = self.version_options.fields
        meta = Article._meta  # a concrete model: its own fields are all its fields
        self.dumped_fields = [
            f
            for f in meta.local_fields
            if getattr(f, "serialize", False)
            and (kept is None or (f.attname if f.remote_field is None else f.attname[:-3]) in kept)
        ]
        self.dumped_many = [
            f
            for f in meta.local_many_to_many
            if getattr(f, "serialize", False) and (kept is None or f.attname in kept)
        ]

    def section_for(self, lang: str) -> Section:
        if self.section is not None:
            return self.section
        if lang not in self.sections:
            self.sections[lang] = _default_section(lang)
        return self.sections[lang]

    @property
    def template(self) -> _Template:
        return _Template(
            origin=self.origin,
            user_id=self.user.pk if self.user is not None else None,
            publish=self.publish,
            status=self.status,
            signoff=self.signoff,
            vectors=connections[self.db].vendor == "postgresql",
        )

    def build(self, item: ReadFile, now: datetime.datetime) -> Article:
        """The story as ``ingest_article`` leaves it, validated as ``create_article`` does;
        raises ValidationError (``_build``, then ``finish``)."""
        built = item.article if item.article is not None else _build(item, self.template, now)
        return self.finish(built, now, item)

    def finish(
        self, article: Article, now: datetime.datetime, item: ReadFile | None = None
    ) -> Article:
        """A story ``_build`` made, with what it needs this process's database for: its
        section (checked once a batch, not for each story: the same for the whole batch,
        and the database's foreign key still checks it), its editor, and the batch's
        time."""
        if self.section_of is not None and item is not None:
            article.section = self.section_of(item, self.section)
        else:
            article.section = self.section_for(article.lang)
        article.created_by = self.user
        if self.publish:
            article.published_by = self.user
        article.created_at = article.updated_at = now
        return article

    def dump(self, article: Article) -> dict[str, Any]:
        """What Django's python serializer gives for a new story with django-reversion's
        options for stories (the fields it keeps; its tags' ids in the tags' order, which
        ``store_tags`` left on the story)."""
        fields: dict[str, Any] = {}
        for model_field in self.dumped_fields:
            value = getattr(article, model_field.attname)
            fields[model_field.name] = (
                value if is_protected_type(value) else model_field.value_to_string(article)
            )
        for model_field in self.dumped_many:
            assert model_field.name == "tags", model_field.name
            fields[model_field.name] = [t.pk for t in getattr(article, "new_tags", ())]
        return {"model": str(Article._meta), "pk": article.pk, "fields": fields}

    def revisions(
        self, articles: Sequence[Article], stamp: Any
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Each story's two revisions (as created, as published or submitted), as
        ``create_article`` and the workflow step record them one at a time, as rows
        (``REVISION_COLUMNS``, ``stamp`` their time ready for the database) with their
        ids, and their versions' rows (``VERSION_COLUMNS``)."""
        from reversion.models import Revision

        options = self.version_options
        connection = connections[router.db_for_write(Revision)]
        ids = iter(_next_ids(connection, Revision._meta.db_table, 2 * len(articles)))
        user = self.user.pk if self.user is not None else None
        revisions, versions = [], []
        encode = DjangoJSONEncoder().default
        times: dict[tuple[Any, ...], str] = {}

        def time_text(value: Any) -> str:
            # Equal times of other offsets are written otherwise: the offset is in the key.
            offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
            key = (type(value), value, offset)
            if key not in times:
                times[key] = encode(value)
            return times[key]

        for article in articles:
            # What django-reversion stores is the JSON serializer's text of a one-story
            # list: the python serializer's data, here read field by field as it reads them.
            data = self.dump(article)
            # The encoder's text of each date and time, made once a batch for the many
            # stories that share them (the batch's time, a day's noon): the same text.
            for name, value in data["fields"].items():
                if isinstance(value, datetime.date | datetime.time):
                    data["fields"][name] = time_text(value)
            for comment, fields in (
                (
                    "created",
                    {**data["fields"], **_AS_CREATED, "updated_at": time_text(article.created_at)},
                ),
                (self.action, data["fields"]),
            ):
                revision = next(ids)
                revisions.append((revision, stamp, user, comment))
                text = json.dumps(
                    {**data, "fields": fields}, cls=DjangoJSONEncoder, ensure_ascii=False
                )
                versions.append(
                    (
                        revision,
                        self.content_type.pk,
                        str(article.pk),
                        self.db,
                        options.format,
                        f"[{text}]",
                        str(article),
                    )
                )
        return revisions, versions

    def audit_rows(self, articles: Sequence[Article], now: Any) -> list[tuple[Any, ...]]:
        """Each story's two audit entries, as ``create_article`` and the workflow step
        write them (``AUDIT_COLUMNS``)."""
        rows = []
        user = self.user.pk if self.user is not None else None
        for article in articles:
            rows.append((article.pk, "create", "", Status.DRAFT.value, user, self.name, "", now))
            rows.append(
                (
                    article.pk,
                    self.action,
                    Status.DRAFT.value,
                    self.status.value,
                    user,
                    self.name,
                    "",
                    now,
                )
            )
        return rows


#: The columns of the rows ``_insert`` writes, by model field name.
AUDIT_COLUMNS = (
    "article",
    "action",
    "from_status",
    "to_status",
    "user",
    "actor",
    "note",
    "created_at",
)
REVISION_COLUMNS = ("id", "date_created", "user", "comment")
VERSION_COLUMNS = (
    "revision",
    "content_type",
    "object_id",
    "db",
    "format",
    "serialized_data",
    "object_repr",
)


def _insert(model: Any, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows (values ready for the database): for the log tables, whose rows
    need no model instance (their ids are not read back)."""
    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name).column for name in names]
    insert_rows(connection, model._meta.db_table, columns, rows)


def insert_rows(connection: Any, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert rows of values ready for the database: by COPY on PostgreSQL (the server
    reads each value as an INSERT's parameter but plans and runs one statement, not one a
    row), else with one prepared statement."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)


#: Fields whose values the database driver takes as they are (no conversion to do).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def insert_objects(model: Any, objects: Sequence[Any]) -> None:
    """Insert new model instances as ``bulk_create`` does, in one statement (``insert_rows``)
    with ids taken beforehand (``bulk_create`` compiles every value of every row through the
    query compiler, a third of a batch's time here). The instances get their ids."""
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    ids = _next_ids(connection, table, len(objects))
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    values = operator.attrgetter(*(field.attname for field in fields))
    converted = [(n, f) for n, f in enumerate(fields) if f.get_internal_type() not in _AS_IS]
    # A batch's dates and times are few (its time, its stories' days): each converted once.
    known: dict[tuple[int, Any], Any] = {}
    rows = []
    for obj in objects:
        row = [_plain(value) for value in values(obj)]
        for n, model_field in converted:
            value = row[n]
            if isinstance(value, datetime.date):
                key = (n, value)
                if key not in known:
                    known[key] = model_field.get_db_prep_save(value, connection)
                row[n] = known[key]
            else:
                row[n] = model_field.get_db_prep_save(value, connection)
        rows.append(tuple(row))
    insert_rows(connection, table, [field.column for field in fields], rows)


def _plain(value: Any) -> Any:
    # A choice (Status.PUBLISHED) is stored as its value, whatever the driver makes of enums.
    return value.value if isinstance(value, enum.Enum) else value


def _next_ids(connection: Any, table: str, count: int) -> list[int]:
    """``count`` new ids of ``table``'s automatic primary key, never given before (in the
    batch's transaction: on SQLite it holds the write lock)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite's AUTOINCREMENT: after the highest id ever given (sqlite_sequence), which
        # inserting these raises in its turn.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        first = int(cursor.fetchone()[0]) + 1
    return list(range(first, first + count))


def _stored_versions(origin: str, keys: Iterable[str]) -> dict[str, int]:
    return dict(
        Article.objects.filter(origin=origin, source_id__in=list(keys)).values_list(
            "source_id", "source_version"
        )
    )


def _stored_keys(origin: str, keys: Iterable[str]) -> set[str]:
    return set(
        Article.objects.filter(origin=origin, source_id__in=list(keys)).values_list(
            "source_id", flat=True
        )
    )


def _store_batch(
    read: Sequence[ReadFile],
    writer: _BatchWriter,
    result: ArchiveResult,
    after_insert: Callable[[Sequence[Article], Sequence[ReadFile]], None] | None = None,
) -> set[str]:
    """Store one batch of parsed files in one transaction; returns the cache keys of the
    pages to purge."""
    from reversion.models import Revision, Version

    keyed: dict[str, ReadFile] = {}
    for item in read:
        # The same story twice in a batch: its latest version is the one stored.
        if item.key not in keyed or item.source_version > keyed[item.key].source_version:
            keyed[item.key] = item
    # Stories already stored are left out before any work is spent on them (a rerun), and
    # again in the transaction, in case another import stored them meanwhile.
    stored = _stored_keys(writer.origin, keyed)
    now = timezone.now()
    articles, items, invalid = [], [], 0
    for key, item in keyed.items():
        if key in stored:
            continue
        try:
            articles.append(writer.build(item, now))
            items.append(item)
        except ValidationError as error:
            result.failed.append(str(_invalid(item, error)))
            invalid += 1
    with transaction.atomic():
        stored = _stored_keys(writer.origin, [a.source_id for a in articles])
        kept = [(a, i) for a, i in zip(articles, items, strict=True) if a.source_id not in stored]
        articles, items = [a for a, _ in kept], [i for _, i in kept]
        result.skipped += len(read) - invalid - len(articles)
        if articles:
            insert_objects(Article, articles)
            _store_tags(articles, items)
            if after_insert is not None:
                after_insert(articles, items)
            connection = connections[router.db_for_write(AuditEntry)]
            stamp = AuditEntry._meta.get_field("created_at").get_db_prep_save(now, connection)
            revisions, versions = writer.revisions(articles, stamp)
            _insert(Revision, REVISION_COLUMNS, revisions)
            _insert(Version, VERSION_COLUMNS, versions)
            _insert(AuditEntry, AUDIT_COLUMNS, writer.audit_rows(articles, stamp))
            if writer.publish:
                hooks.stories_stored(articles)
    result.created += len(articles)
    touched = set()
    for article in articles:
        touched |= {f"h:{article.lang}", f"f:{article.lang}", f"s:{article.section_id}"}
        touched |= {f"t:{tag.pk}" for tag in getattr(article, "new_tags", ())}
    return touched


def _store_tags(articles: Sequence[Article], items: Sequence[ReadFile]) -> None:
    """Give the batch's stories their tags (``tag_for``'s, each edition's tag of that
    slug, made when missing: one query for those that exist, one insert for the rest),
    and leave them on each story as ``new_tags`` in the tags' order, for its versions."""
    wanted: dict[Article, list[tuple[str, str]]] = {}
    for article, item in zip(articles, items, strict=True):
        names: dict[str, str] = {}
        for name in item.tag_names:
            name = name.strip()
            if name:
                names.setdefault(slugify(name, allow_unicode=True)[:100] or "tag", name)
        wanted[article] = [(slug, name) for slug, name in names.items()]
    keys = {(a.lang, slug): name for a, pairs in wanted.items() for slug, name in pairs}
    if not keys:
        return
    found: dict[tuple[str, str], Tag] = {}
    for lang in {lang for lang, _ in keys}:
        slugs = [slug for key_lang, slug in keys if key_lang == lang]
        for tag in Tag.objects.filter(lang=lang, slug__in=slugs):
            found[(tag.lang, tag.slug)] = tag
    missing = [
        Tag(lang=lang, slug=slug, name=keys[lang, slug])
        for lang, slug in keys
        if (lang, slug) not in found
    ]
    if missing:
        insert_objects(Tag, missing)
        found.update({(tag.lang, tag.slug): tag for tag in missing})
    through = Article.tags.through
    # The order the serializer reads a story's tags in: the tags' own (the database's
    # collation of their names).
    order = {
        pk: n
        for n, pk in enumerate(
            Tag.objects.filter(pk__in={t.pk for t in found.values()}).values_list("pk", flat=True)
        )
    }
    rows = []
    for article, pairs in wanted.items():
        tags = sorted({found[article.lang, slug] for slug, _ in pairs}, key=lambda t: order[t.pk])
        article.new_tags = tags  # type: ignore[attr-defined]
        rows += [(article.pk, tag.pk) for tag in tags]
    _insert(through, ("article", "tag"), rows)


def _invalid(item: ReadFile, error: ValidationError) -> WireImportError:
    """A story that does not validate, named by its file and the line of the first field
    at fault (found in a wire file's text), or by its file and source id (a document of
    another format, which may hold several stories)."""
    problems = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    name, messages = next(iter(problems.items()))
    message = f"{name}: {' '.join(messages)}" if name else " ".join(messages)
    if not item.numbered:
        return WireImportError(str(item.path), None, f"story {item.key}: {message}")
    return WireImportError(str(item.path), _line_of(item.path, name), message)


def _line_of(path: Path, field_name: str) -> int | None:
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    filled = [n for n, line in enumerate(lines, 1) if line.strip()]
    if field_name == "headline" and filled:
        return filled[0]
    if field_name.startswith("dateline") and len(filled) > 1:
        return filled[1]  # the dateline opens the first paragraph after the headline
    return None
