"""Importing a WordPress export: the one write of this app.

``import_wxr`` reads the file twice, streaming both times. The first pass
(``checks.check_file``) checks everything and writes nothing: any problem stops the import
with every ``FILE:LINE: message`` listed. The second pass writes the posts in batches, a
transaction each, as the wire archive import does (``khabar.articles.wire_import``): bulk
inserts that keep what makes a story a story and a comment a comment —

- stories: origin and source id (``wxr:<GUID>``, so a rerun skips what is stored and
  resumes after an interruption without duplicates), the audit entries ("create", then
  "publish"; the actor's name), tags, and the search index in the batch's transaction
  (``hooks.stories_stored``); one purge of the pages they show on, at the end;
- comments: a thread per story with its path counter (``seq``) and ``approved_count`` set
  to what was stored, each comment's materialised path, depth and root, its rendered HTML,
  its text hash, and a "import" entry in the moderation log naming the actor;
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

from django.db import transaction
from django.db.models import F, Max

from khabar.articles.models import Article, AuditEntry, Section, Status, Tag
from khabar.comments.models import AuditEntry as CommentAuditEntry
from khabar.comments.models import Comment, Thread
from khabar.lib.arabic import fingerprint
from khabar.photos.actions import upload_photo
from khabar.photos.models import Role, StoryPhoto
from khabar.site import actors, hooks
from khabar.wordpress import convert
from khabar.wordpress.checks import Options, Plan, WxrImportError, check_file
from khabar.wordpress.content import comment_html
from khabar.wordpress.wxr import Author, Item, WxrError, read_wxr

#: A user or a system actor (``actors.WORDPRESS_IMPORT``); never None.
Actor = Any

BATCH = 500
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
    item_line: int


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
    return _Post(story, section, comments, item.line)


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
        Article.objects.bulk_create(articles)
        live = [a for a in articles if a.status == Status.PUBLISHED]
        audit = [
            AuditEntry(
                article=a,
                action="create",
                to_status=Status.DRAFT,
                actor=name,
                user=user,
                note="wordpress import",
            )
            for a in articles
        ] + [
            AuditEntry(
                article=a,
                action="publish",
                from_status=Status.DRAFT,
                to_status=a.status,
                actor=name,
                user=user,
                note="wordpress import",
            )
            for a in live
        ]
        AuditEntry.objects.bulk_create(audit)
        tag_ids = _tags(lang, (t for post in new for t in post.story.tags))
        Article.tags.through.objects.bulk_create(
            Article.tags.through(article_id=a.pk, tag_id=tag_ids[slug])
            for a, post in zip(articles, new, strict=True)
            for slug in dict(post.story.tags)
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


def _store_comments(
    stories: list[tuple[Article, list[convert.PlannedComment]]],
    *,
    actor: Actor,
    counts: Counter[str],
) -> None:
    """The batch's threads and comments: all threads at once, then the comments level by
    level across the batch (a reply needs its parent's id), then their log entries."""
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
    stored: dict[tuple[int, int], Comment] = {}  # (thread id, WordPress id) → row
    depth = 0
    while True:
        level = [
            (thread, c)
            for thread, (_a, planned) in zip(threads, stories, strict=True)
            for c in planned
            if c.depth == depth
        ]
        if not level:
            break
        rows = []
        for thread, c in level:
            parent = stored[thread.pk, c.parent_wp_id] if c.parent_wp_id else None
            rows.append(
                Comment(
                    thread=thread,
                    parent=parent,
                    root_id=parent.root_id if parent else None,
                    path=c.path,
                    depth=c.depth,
                    status=c.status,
                    author_name=c.author_name,
                    email=c.email,
                    text=c.text,
                    html=comment_html(c.text),
                    created_at=c.created_at,
                    reason="" if c.status == "approved" else "wordpress import",
                    ip_hash=c.ip_hash,
                    text_hash=fingerprint(c.text),
                )
            )
        Comment.objects.bulk_create(rows)
        if depth == 0:
            # A top-level comment is its own root, known once inserted.
            Comment.objects.filter(pk__in=[r.pk for r in rows]).update(root_id=F("pk"))
            for r in rows:
                r.root_id = r.pk
        stored.update({(t.pk, c.wp_id): r for (t, c), r in zip(level, rows, strict=True)})
        depth += 1
    note = f"{actors.audit_name(actor)}: wordpress import"[:300]
    user = actors.user_or_none(actor)
    CommentAuditEntry.objects.bulk_create(
        CommentAuditEntry(
            comment=r, action="import", from_status="", to_status=r.status, user=user, note=note
        )
        for r in stored.values()
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
        photo = upload_photo(
            (uploads / attachment.relative_path).read_bytes(),
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
