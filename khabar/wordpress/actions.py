"""Importing a WordPress export: the one write of this app.

``import_wxr`` reads the file twice, streaming both times. The first pass
(``checks.check_file``) checks everything and writes nothing: any problem stops the import
with every ``FILE:LINE: message`` listed. The second pass writes the posts in batches, a
transaction each, as the wire archive import does (``khabar.articles.wire_import``): rows
inserted many at a time (``_insert_rows``: one statement a table and batch) that keep what
makes a story a story and a comment a comment —

- stories: origin and source id (``wxr:<GUID>``, so a rerun skips what is stored and
  resumes after an interruption without duplicates), the audit entries ("create", then
  "publish"; the actor's name), tags, and the search index in the batch's transaction
  (``hooks.stories_stored``); one purge of the pages they show on, at the end;
- comments: a thread per story with its path counter (``seq``) and ``approved_count`` set
  to what was stored, each comment's materialised path, depth and root, its rendered HTML,
  its text hash, and an "import" entry in the moderation log naming the actor (a pending
  one waits in the moderators' queue like any other);
- featured images: through ``photos.actions.upload_photo`` (the same file twice is one
  photo), renditions left to the worker (``khabar render_photos``), shown as the lead.

Left out on purpose, as in the archive import: the revision history of each new story and
the distribution hook (an archive is not news to send); and updates of stories already
stored (a post already imported is skipped with its comments).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from khabar.articles.models import Article, AuditEntry, Section, Status, Tag
from khabar.comments.models import SEGMENT_WIDTH, Comment, Thread
from khabar.comments.models import AuditEntry as CommentAuditEntry
from khabar.lib.arabic import fingerprint
from khabar.photos.actions import upload_photo
from khabar.photos.models import Role, StoryPhoto
from khabar.site import actors, hooks
from khabar.wordpress import convert
from khabar.wordpress.checks import Options, Plan, WxrImportError, check_file, in_uploads
from khabar.wordpress.content import comment_html
from khabar.wordpress.wxr import Author, Item, WxrError, read_wxr

#: A user or a system actor (``actors.WORDPRESS_IMPORT``); never None.
Actor = Any

BATCH = 500
NOTE = "wordpress import"
PERMS = (
    "articles.add_article",
    "articles.publish_article",
    "comments.moderate_comment",
    "photos.add_photo",
)

__all__ = ["BATCH", "Options", "WxrImportError", "WxrResult", "import_wxr"]


@dataclass
class WxrResult:
    plan: Plan
    counts: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def summary(self) -> Counter[str]:
        """What was written (or, for a dry run, would be), and what the file had that was
        left out."""
        if self.dry_run:
            return Counter(self.plan.counts)
        left_out = ("posts skipped", "comments skipped", "featured images ", "replies ")
        kept = {k: v for k, v in self.plan.counts.items() if k.startswith(left_out)}
        return self.counts + Counter(kept)


@dataclass
class _Post:
    story: convert.StoryDraft
    section: Section | str  # a section, or the slug of one to create
    comments: list[convert.PlannedComment]


def import_wxr(
    path: Path,
    *,
    actor: Actor,
    options: Options,
    dry_run: bool = False,
    batch_size: int = BATCH,
    progress: Callable[[int], object] | None = None,
) -> WxrResult:
    """Import a WordPress export as ``actor``: checked whole first, then written in batches.

    Raises WxrImportError (every problem, as ``FILE:LINE: message``) before writing
    anything. With ``dry_run`` it stops after the checks: ``result.plan.counts`` says what
    would be imported. Importing the same file again adds nothing.
    """
    for perm in PERMS:
        actors.require(actor, perm)
    plan = check_file(path, options)
    result = WxrResult(plan, dry_run=dry_run)
    if dry_run:
        return result
    touched: set[str] = set()
    batch: list[_Post] = []
    try:
        for entry in read_wxr(path):
            if isinstance(entry, Author):
                continue
            post = _post(entry, plan)
            if post is None:
                continue
            batch.append(post)
            if len(batch) >= batch_size:
                touched |= _store_batch(batch, plan=plan, actor=actor, counts=result.counts)
                if progress:
                    progress(len(batch))
                batch = []
    except WxrError as error:
        # The file changed under the import: the batches stored stay (a rerun resumes).
        raise WxrImportError([str(error)]) from error
    if batch:
        touched |= _store_batch(batch, plan=plan, actor=actor, counts=result.counts)
        if progress:
            progress(len(batch))
    if touched:
        from khabar.site.pagecache import purge_keys

        purge_keys(sorted(touched))
    return result


def _post(item: Item, plan: Plan) -> _Post | None:
    """What the second pass stores of an item (the first one checked it), or None."""
    state = convert.outcome(item)
    if item.post_type != "post" or state is None or state.startswith("skip:"):
        return None
    story = convert.story_of(item, state=state, zone=plan.zone, authors=plan.authors, now=plan.now)
    if not story.headline:
        return None
    section = plan.section_for(story.categories)
    assert section is not None, "checked in the first pass"
    comments = convert.plan_thread(
        item,
        lang=plan.options.lang,
        zone=plan.zone,
        post_date=story.published_at or plan.now,
        now=plan.now,
        counts=Counter(),
        problems=[],
    )
    return _Post(story, section, comments)


def _section(plan: Plan, wanted: Section | str) -> Section:
    """The post's section; one named by a category is created on first use."""
    if isinstance(wanted, Section):
        return wanted
    if wanted not in plan.sections:
        lang = plan.options.lang
        last = Section.objects.filter(lang=lang).aggregate(Max("position"))["position__max"]
        plan.sections[wanted] = Section.objects.create(
            lang=lang,
            slug=wanted[:80],
            name=plan.new_sections.get(wanted, wanted)[:120],
            position=(last or 0) + 1,
        )
    return plan.sections[wanted]


def _tags(lang: str, wanted: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Tag ids by slug, creating the tags not there yet."""
    names = dict(wanted)
    found = dict(Tag.objects.filter(lang=lang, slug__in=list(names)).values_list("slug", "pk"))
    missing = [Tag(lang=lang, slug=slug, name=names[slug]) for slug in names if slug not in found]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        found = dict(Tag.objects.filter(lang=lang, slug__in=list(names)).values_list("slug", "pk"))
    return found


def _store_batch(batch: list[_Post], *, plan: Plan, actor: Actor, counts: Counter[str]) -> set[str]:
    """Store a batch of posts (those not stored yet) in one transaction; returns the page
    tags to purge."""
    lang = plan.options.lang
    keyed: dict[str, _Post] = {}
    for post in batch:
        keyed.setdefault(post.story.source_id, post)
    name, user = actors.audit_name(actor), actors.user_or_none(actor)
    with transaction.atomic():
        stored = set(
            Article.objects.filter(origin="", source_id__in=list(keyed)).values_list(
                "source_id", flat=True
            )
        )
        new = [post for key, post in keyed.items() if key not in stored]
        counts["stories already there"] += len(keyed) - len(new)
        if not new:
            return set()
        articles = []
        for post in new:
            story = post.story
            published = story.state == "published"
            articles.append(
                Article(
                    lang=lang,
                    section=_section(plan, post.section),
                    headline=story.headline,
                    slug=story.slug,
                    summary=story.summary,
                    dateline_city="",
                    dateline_date=story.dateline_date,
                    body=story.body,
                    byline=story.byline,
                    status=Status.PUBLISHED if published else Status.DRAFT,
                    published_at=story.published_at,
                    first_published_at=story.published_at,
                    created_at=story.published_at or plan.now,
                    updated_at=plan.now,
                    created_by=user,
                    published_by=user if published else None,
                    comment_policy="closed" if story.comments_closed else "",
                    fingerprint=fingerprint(f"{story.headline}\n{story.body}"),
                    origin="",
                    source_id=story.source_id,
                    source_version=1,
                )
            )
        _insert_articles(articles)
        live = [a for a in articles if a.status == Status.PUBLISHED]
        user_id = user.pk if user is not None else None
        now = timezone.now()
        log: tuple[str, ...] = ("article", "action", "from_status", "to_status", "actor")
        log += ("note", "user", "created_at")
        _insert_rows(
            AuditEntry,
            log,
            [(a.pk, "create", "", Status.DRAFT, name, NOTE, user_id, now) for a in articles]
            + [(a.pk, "publish", Status.DRAFT, a.status, name, NOTE, user_id, now) for a in live],
        )
        tag_ids = _tags(lang, (t for post in new for t in post.story.tags))
        _insert_rows(
            Article.tags.through,
            ("article", "tag"),
            [
                (a.pk, tag_ids[slug])
                for a, post in zip(articles, new, strict=True)
                for slug in dict(post.story.tags)
            ],
        )
        _store_comments(
            [(a, post.comments) for a, post in zip(articles, new, strict=True)],
            actor=actor,
            counts=counts,
        )
        _store_images(articles, new, plan=plan, actor=actor, counts=counts)
        if live:
            # In the batch's transaction: stored with their index entries or not at all.
            hooks.stories_stored(live)
        counts["stories published"] += len(live)
        counts["stories draft"] += len(articles) - len(live)
    keys = {f"h:{lang}", f"f:{lang}"}
    keys |= {f"s:{a.section_id}" for a in live}
    keys |= {f"t:{pk}" for pk in tag_ids.values()}
    return keys


def _insert_rows(model: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows (comments, log entries, tag links) in one ``executemany``.

    ``bulk_create`` builds a model instance and compiles SQL for every field of every row,
    which was most of the import's time; here the values go as they are (strings, numbers,
    ids of foreign keys), the rest (times, dates, UUIDs) prepared as Django would for the
    backend. Columns
    not named take their field's default, worked out once for all the rows (no model
    written here has a default that must differ from row to row).
    """
    if not rows:
        return
    meta = model._meta
    named = [meta.get_field(name) for name in names]
    rest = [f for f in meta.concrete_fields if not f.primary_key and f not in named]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*named, *rest])
    marks = ", ".join(["%s"] * (len(named) + len(rest)))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
    prepared = []
    for row in rows:
        values = list(row)
        for i, value in enumerate(values):
            if value is not None and not isinstance(value, str | int):
                values[i] = named[i].get_db_prep_save(value, connection)
        prepared.append(values + defaults)
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


#: What an imported story sets; the rest of its columns take their defaults.
_ARTICLE_COLUMNS = (
    "lang", "section", "headline", "slug", "summary", "dateline_city", "dateline_date",
    "dateline_agency", "body", "signoff", "byline", "status", "published_at",
    "first_published_at", "created_at", "updated_at", "created_by", "published_by",
    "comment_policy", "fingerprint", "origin", "source_id", "source_version",
    "translation_group",
)  # fmt: skip


def _insert_articles(articles: list[Article]) -> None:
    """Insert the batch's stories and give each its id (found again by its source id)."""
    _insert_rows(
        Article,
        _ARTICLE_COLUMNS,
        [
            tuple(
                getattr(a, f"{name}_id") if name in ("section", "created_by", "published_by")
                else getattr(a, name)
                for name in _ARTICLE_COLUMNS
            )
            for a in articles
        ],
    )  # fmt: skip
    keys = [a.source_id for a in articles]
    ids = dict(Article.objects.filter(origin="", source_id__in=keys).values_list("source_id", "pk"))
    for a in articles:
        a.pk = ids[a.source_id]
        a._state.adding = False


def _store_comments(
    stories: list[tuple[Article, list[convert.PlannedComment]]],
    *,
    actor: Actor,
    counts: Counter[str],
) -> None:
    """The batch's threads, then all their comments in one statement, then their parents
    and roots from their paths (a parent's path is a reply's without its last segment, the
    root's its first segment), then their log entries."""
    stories = [(a, planned) for a, planned in stories if planned]
    if not stories:
        return
    threads = [
        Thread(
            key=a.thread_key,
            article=a,
            title=a.headline[:300],
            # The path counter goes on from the last number used, as for a posted comment.
            seq=len(planned),
            approved_count=sum(c.status == "approved" for c in planned),
        )
        for a, planned in stories
    ]
    Thread.objects.bulk_create(threads)
    columns: tuple[str, ...] = ("thread", "path", "depth", "status", "author_name", "email")
    columns += ("text", "html")
    columns += ("created_at", "reason", "ip_hash", "text_hash")
    _insert_rows(
        Comment,
        columns,
        [
            (
                thread.pk,
                c.path,
                c.depth,
                c.status,
                c.author_name,
                c.email,
                c.text,
                comment_html(c.text),
                c.created_at,
                "" if c.status == "approved" else NOTE,
                c.ip_hash,
                fingerprint(c.text),
            )
            for thread, (_a, planned) in zip(threads, stories, strict=True)
            for c in planned
        ],
    )
    ids = [t.pk for t in threads]
    quote = connection.ops.quote_name
    table = quote(Comment._meta.db_table)
    thread, path, width = quote("thread_id"), quote("path"), SEGMENT_WIDTH
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quote('parent_id')} = (SELECT p.{quote('id')} FROM {table} p"
            f" WHERE p.{thread} = {table}.{thread}"
            f" AND p.{path} = SUBSTR({table}.{path}, 1, LENGTH({table}.{path}) - {width})),"
            f" {quote('root_id')} = (SELECT r.{quote('id')} FROM {table} r"
            f" WHERE r.{thread} = {table}.{thread}"
            f" AND r.{path} = SUBSTR({table}.{path}, 1, {width}))"
            f" WHERE {thread} IN ({marks})",
            ids,
        )
    stored = list(Comment.objects.filter(thread_id__in=ids).values_list("pk", "status"))
    note = f"{actors.audit_name(actor)}: {NOTE}"[:300]
    user = actors.user_or_none(actor)
    user_id = user.pk if user is not None else None
    now = timezone.now()
    _insert_rows(
        CommentAuditEntry,
        ("comment", "action", "from_status", "to_status", "note", "user", "created_at"),
        [(pk, "import", "", status, note, user_id, now) for pk, status in stored],
    )
    approved = sum(t.approved_count for t in threads)
    counts["comments approved"] += approved
    counts["comments pending"] += len(stored) - approved


def _store_images(
    articles: list[Article], posts: list[_Post], *, plan: Plan, actor: Actor, counts: Counter[str]
) -> None:
    """Each story's featured image, from the uploads folder, as its lead photo."""
    uploads = plan.options.uploads
    links = []
    for article, post in zip(articles, posts, strict=True):
        attachment = plan.images.get(post.story.thumbnail_id)
        if uploads is None or attachment is None:
            continue
        file = in_uploads(uploads, attachment.relative_path)
        assert file is not None, "checked in the first pass"
        photo = upload_photo(
            file.read_bytes(),
            actor=actor,
            lang=article.lang,
            caption=attachment.caption,
            alt_text=attachment.alt_text,
            source_id=attachment.source_id,
            background=True,
        )
        links.append(StoryPhoto(article=article, photo=photo, role=Role.LEAD))
    StoryPhoto.objects.bulk_create(links)
    counts["featured images"] += len(links)
