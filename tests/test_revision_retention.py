"""The revision retention policy (``khabar prune_revisions``, run daily by the worker): old
revisions go, each story's first and newest stay, and the record readers saw is untouched."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from reversion.models import Revision, Version

from khabar.articles import actions
from khabar.articles.models import AuditEntry, Correction
from khabar.site import actors
from khabar.test import make_article

PRUNER = actors.REVISION_PRUNER


def edited(times: int, *, aged: int, days: int = 200):
    """A published story with ``times`` corrections: 2 + 2 × ``times`` revisions (created and
    published, then the copy and the correction each); the oldest ``aged`` revisions are
    dated ``days`` ago."""
    story = make_article()
    for n in range(times):
        story = actions.correct_article(
            story,
            actor=actors.COMMAND_LINE,
            base_revision=story.revision,
            note=f"تصحيح {n}",
            headline=f"عنوان {n}",
        )
    versions = Version.objects.get_for_object(story).order_by("pk")
    old = timezone.now() - datetime.timedelta(days=days)
    Revision.objects.filter(pk__in=[v.revision_id for v in versions[:aged]]).update(
        date_created=old
    )
    return story


def headlines(story) -> list[str]:
    versions = Version.objects.get_for_object(story).order_by("pk")
    return [v.field_dict["headline"] for v in versions]


def test_it_keeps_the_young_the_first_and_the_newest_and_drops_the_rest(db):
    story = edited(4, aged=8)  # 10 revisions: 8 old, 2 young
    before = headlines(story)
    assert len(before) == 10
    audit = AuditEntry.objects.filter(article=story).count()

    pruned = actions.prune_revisions(actor=PRUNER, keep_days=90, keep_last=5)

    # Kept: the first (as filed) and the five newest (2 young, 3 old); 4 old ones went.
    assert (pruned.deleted, pruned.stories, pruned.done) == (4, 1, True)
    assert headlines(story) == [before[0], *before[-5:]]
    # The public record and the story itself are untouched.
    assert AuditEntry.objects.filter(article=story).count() == audit
    assert Correction.objects.filter(article=story).count() == 4
    story.refresh_from_db()
    assert story.headline == "عنوان 3"
    # No revision is left holding nothing.
    assert not Revision.objects.filter(version__isnull=True).exists()


def test_a_kept_old_revision_can_still_be_restored(db):
    story = edited(14, aged=13)
    actions.prune_revisions(actor=PRUNER, keep_days=90, keep_last=10)
    first = Version.objects.get_for_object(story).order_by("pk").first()
    story = actions.revert_article(
        story,
        actor=actors.COMMAND_LINE,
        version=first,
        base_revision=story.revision,
        note="عودة إلى النص الأول",
    )
    assert story.headline == first.field_dict["headline"]


def test_it_leaves_young_histories_alone_and_counts_without_deleting_on_a_dry_run(db):
    young = edited(5, aged=0)  # 12 revisions, all young
    old = edited(5, aged=12)  # 12 revisions, all old
    count = Version.objects.count()

    pruned = actions.prune_revisions(actor=PRUNER, keep_days=90, keep_last=3, dry_run=True)
    assert (pruned.deleted, pruned.stories) == (8, 1)
    assert Version.objects.count() == count

    actions.prune_revisions(actor=PRUNER, keep_days=90, keep_last=3)
    assert len(headlines(young)) == 12
    assert len(headlines(old)) == 4  # the first and the three newest


def test_it_walks_the_archive_in_batches(db, monkeypatch):
    monkeypatch.setattr(actions, "PRUNE_BATCH", 2)
    stories = [edited(2, aged=6) for _ in range(5)]
    pruned = actions.prune_revisions(actor=PRUNER, keep_days=90, keep_last=2)
    assert (pruned.deleted, pruned.stories) == (15, 5)
    for story in stories:
        assert len(headlines(story)) == 3


def test_the_worker_prunes_a_batch_a_tick_and_then_rests(db, settings, monkeypatch):
    from khabar.worker.jobs import RevisionPruner

    settings.KHABAR_REVISION_KEEP_DAYS = 90
    settings.KHABAR_REVISION_KEEP_LAST = 2
    monkeypatch.setattr(actions, "PRUNE_BATCH", 2)
    stories = [edited(2, aged=6) for _ in range(5)]
    job = RevisionPruner()
    # Five stories in batches of two: three ticks that found work, then the end of the walk.
    assert [job() for _ in range(4)] == [1, 1, 1, 0]
    assert [len(headlines(story)) for story in stories] == [3] * 5
    # The next day's run starts again from the first story.
    assert job.after == 0


def test_only_an_actor_allowed_to_delete_revisions_may_prune(db, people):
    story = edited(2, aged=6)
    for actor in (people["editor"], people["reporter"], actors.SCHEDULER):
        with pytest.raises(PermissionDenied):
            actions.prune_revisions(actor=actor, keep_days=0, keep_last=1)
    with pytest.raises(PermissionDenied):
        actions.prune_revisions(actor=None, keep_days=0, keep_last=1)
    assert len(headlines(story)) == 6


def test_the_command_applies_the_configured_policy(db, settings, capsys):
    settings.KHABAR_REVISION_KEEP_DAYS = 30
    settings.KHABAR_REVISION_KEEP_LAST = 2
    story = edited(2, aged=6, days=40)
    call_command("prune_revisions")
    assert "deleted 3 revisions of 1 stories" in capsys.readouterr().out
    assert len(headlines(story)) == 3
