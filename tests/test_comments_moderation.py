"""Moderation: word lists through the Arabic normaliser, policies, queues, bulk, the log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from khabar.comments import actions, moderation
from khabar.comments.models import AuditEntry, Comment, ModeratedWord, Status, Thread
from khabar.test import make_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]


@pytest.fixture
def story(moderated_story):
    return moderated_story


def post(story, text="تعليق عادي", **fields):
    return actions.post_comment(
        story.thread_key,
        actor=AnonymousUser(),
        author=fields.pop("author", "قارئ"),
        text=text,
        **fields,
    ).comment


@pytest.mark.parametrize(
    "text",
    [
        "كلب",
        "والكلب",
        "كَـلـب",
        "بالكلب",
        "فالكلب",
        "الكلب!",
        "يا كلْبُ",
    ],
)
def test_it_matches_banned_words_after_normalising(text):
    ModeratedWord.objects.create(word="كلب", kind="banned")
    verdict = moderation.check_words(f"جملة فيها {text} وغيرها")
    assert verdict.kind == "banned" and verdict.word == "كلب"


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ("أحمق", "يا احمق"),
        ("إهانة", "هذه اهانه واضحة"),
        ("مستشفى", "في المستشفي"),
        ("٣٣٣", "الرقم 333 هنا"),
        ("كلام فارغ", "هذا كلامٌ فارغ تمامًا"),
    ],
)
def test_it_folds_hamza_alef_yeh_teh_marbuta_digits_and_phrases(word, text):
    ModeratedWord.objects.create(word=word, kind="suspect")
    assert moderation.check_words(text).word == word


def test_it_does_not_match_inside_other_words():
    ModeratedWord.objects.create(word="كلب", kind="banned")
    assert not moderation.check_words("كلبشات الشرطة")
    assert not moderation.check_words("قلب سليم")


def test_it_prefers_banned_over_suspect_and_checks_the_name_too():
    ModeratedWord.objects.create(word="مشبوه", kind="suspect")
    ModeratedWord.objects.create(word="محظور", kind="banned")
    assert moderation.check_words("مشبوه و محظور").kind == "banned"
    assert moderation.check_words("نص سليم", "محظور").kind == "banned"


def test_it_sees_list_changes_at_once():
    assert not moderation.check_words("كلمة جديدة")
    word = ModeratedWord.objects.create(word="جديدة", kind="suspect")
    assert moderation.check_words("كلمة جديدة").word == "جديدة"
    word.delete()
    assert not moderation.check_words("كلمة جديدة")


def test_it_matches_among_thousands_of_words():
    ModeratedWord.objects.bulk_create(
        ModeratedWord(word=f"كلمة{n}", kind="banned") for n in range(3000)
    )
    ModeratedWord.objects.create(word="نهاية", kind="banned")
    text = "نص طويل " * 2000 + "نهاية"
    assert moderation.check_words(text).word == "نهاية"


def test_it_sends_banned_to_rejected_and_suspect_to_pending(story):
    story.section.comment_policy = "post"
    story.section.save()
    ModeratedWord.objects.create(word="كلب", kind="banned")
    ModeratedWord.objects.create(word="مشبوه", kind="suspect")
    assert post(story, "والكلب").status == Status.REJECTED
    assert post(story, "أمر مشبوه").status == Status.PENDING
    assert post(story, "رأي عادي").status == Status.APPROVED


def test_it_premoderates_by_default_and_follows_the_story_policy(story):
    assert post(story).status == Status.PENDING
    open_story = make_article(section=story.section, comment_policy="post")
    assert post(open_story).status == Status.APPROVED


def test_it_holds_comments_with_links(story, monkeypatch):
    story.section.comment_policy = "post"
    story.section.save()
    comment = post(story, "اقرأ www.example.com/x")
    assert comment.status == Status.PENDING and comment.reason == "link"


def test_it_lets_only_moderators_moderate(story, people):
    comment = post(story)
    with pytest.raises(PermissionDenied):
        actions.approve_comment(comment, actor=people["reporter"])
    actions.approve_comment(comment, actor=people["moderator"])
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED and comment.moderated_by == people["moderator"]


def test_it_logs_who_did_what(story, people):
    comment = post(story)
    actions.approve_comment(comment, actor=people["moderator"])
    actions.reject_comment(comment, actor=people["chief"], note="إساءة")
    log = list(
        AuditEntry.objects.filter(comment=comment)
        .order_by("pk")
        .values_list("action", "from_status", "to_status", "user__username")
    )
    assert log == [
        ("post", "", "pending", None),
        ("approve", "pending", "approved", "moderator"),
        ("reject", "approved", "rejected", "chief"),
    ]


def test_it_refuses_a_stale_transition(story, people):
    comment = post(story)
    stale = Comment.objects.get(pk=comment.pk)
    actions.reject_comment(comment, actor=people["moderator"])
    with pytest.raises(actions.CommentError):
        actions.approve_comment(stale, actor=people["moderator"])


def test_it_keeps_the_approved_text_while_an_edit_waits(story, people):
    comment = post(story)
    approved_text = comment.text
    actions.approve_comment(comment, actor=people["moderator"])
    edited = actions.edit_comment(comment, actor=AnonymousUser(), text="نص **جديد**")
    assert edited.status == Status.APPROVED and edited.text == approved_text
    assert edited.pending_text == "نص **جديد**" and "<strong>" in edited.pending_html
    assert edited.edited_at is None
    assert Thread.objects.get(pk=comment.thread_id).approved_count == 1

    approved = actions.approve_comment(edited, actor=people["moderator"])
    assert approved.text == "نص **جديد**" and "<strong>" in approved.html
    assert approved.pending_text == "" and approved.edited_at is not None
    assert approved.status == Status.APPROVED


def test_it_drops_a_rejected_edit_and_keeps_the_comment(story, people):
    comment = post(story)
    actions.approve_comment(comment, actor=people["moderator"])
    edited = actions.edit_comment(comment, actor=AnonymousUser(), text="نص جديد")
    kept = actions.reject_comment(edited, actor=people["moderator"])
    assert kept.status == Status.APPROVED and kept.text == comment.text
    assert kept.pending_text == "" and not kept.is_edited
    assert list(kept.audit.values_list("action", flat=True))[:1] == ["reject-edit"]


def test_it_settles_only_the_edit_the_moderator_saw(story, people):
    comment = post(story)
    actions.approve_comment(comment, actor=people["moderator"])
    seen = actions.edit_comment(comment, actor=AnonymousUser(), text="نسخة أولى")
    actions.edit_comment(Comment.objects.get(pk=comment.pk), actor=AnonymousUser(), text="ثانية")
    with pytest.raises(actions.CommentError):
        actions.approve_comment(seen, actor=people["moderator"])
    assert Comment.objects.get(pk=comment.pk).pending_text == "ثانية"


def test_it_approves_waiting_edits_in_bulk_and_spam_drops_them(story, people):
    first, second = post(story, "الأول"), post(story, "الثاني")
    for comment in (first, second):
        actions.approve_comment(comment, actor=people["moderator"])
        actions.edit_comment(comment, actor=AnonymousUser(), text=f"{comment.text} معدل")
    waiting = Comment.objects.filter(pk=first.pk)
    assert actions.moderate_comments(waiting, to=Status.APPROVED, actor=people["moderator"]) == 1
    assert Comment.objects.get(pk=first.pk).text == "الأول معدل"
    spam = actions.mark_spam(Comment.objects.get(pk=second.pk), actor=people["moderator"])
    assert spam.status == Status.SPAM and spam.pending_text == ""


def test_it_rewrites_a_comment_still_waiting(story, people):
    comment = post(story)
    edited = actions.edit_comment(comment, actor=AnonymousUser(), text="نص جديد")
    assert edited.status == Status.PENDING and edited.text == "نص جديد"
    assert edited.pending_text == "" and edited.edited_at is not None


def test_it_moderates_in_bulk_from_the_desk(client, story, people):
    comments = [post(story, f"تعليق {n}") for n in range(3)]
    client.force_login(people["moderator"])
    response = client.post(
        "/desk/comments/comment/",
        {"action": "approve", "_selected_action": [c.pk for c in comments[:2]]},
    )
    assert response.status_code == 302
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in comments] == ["approved", "approved", "pending"]


def test_it_lists_the_queues_in_the_desk(client, story, people):
    pending = post(story, "ينتظر")
    reported = post(story, "مبلغ عنه")
    actions.approve_comment(reported, actor=people["moderator"])
    actions.report_comment(reported, actor=AnonymousUser(), voter="r:someone", reason="إساءة")
    client.force_login(people["moderator"])
    queue = client.get("/desk/comments/comment/?queue=pending").content.decode()
    assert "ينتظر" in queue and "مبلغ عنه" not in queue
    reports = client.get("/desk/comments/comment/?queue=reported").content.decode()
    assert "مبلغ عنه" in reports and "ينتظر" not in reports
    found = client.get("/desk/comments/comment/?q=ينتظر").content.decode()
    assert f"/desk/comments/comment/{pending.pk}/change/" in found
    assert client.get("/desk/comments/moderatedword/").status_code == 200
    assert client.get("/desk/comments/auditentry/").status_code == 200


def test_it_puts_an_edit_awaiting_moderation_in_the_pending_queue(client, story, people):
    comment = post(story, "النص الموافق عليه")
    actions.approve_comment(comment, actor=people["moderator"])
    actions.edit_comment(comment, actor=AnonymousUser(), text="النص بعد التعديل")
    client.force_login(people["moderator"])
    queue = client.get("/desk/comments/comment/?queue=pending").content.decode()
    assert "النص بعد التعديل" in queue
    page = client.get(f"/desk/comments/comment/{comment.pk}/change/").content.decode()
    assert "النص الموافق عليه" in page and "النص بعد التعديل" in page


def test_it_keeps_the_desk_from_readers(client, people):
    client.force_login(people["reporter"])
    assert client.get("/desk/comments/comment/").status_code == 403


def test_it_finds_a_storys_queue_by_searching_the_way_readers_do(client, people):
    from khabar.search.indexing import index_article

    about_america = make_article(headline="العقوبات الأميركية على طهران")
    other = make_article(headline="مباراة كرة القدم", body="فاز الفريق في المباراة النهائية.")
    index_article(about_america.pk)
    index_article(other.pk)
    wanted = post(about_america, "تعليق على العقوبات")
    unwanted = post(other, "تعليق على المباراة")
    client.force_login(people["moderator"])
    # Typed without hamza and with another spelling than the headline's.
    found = client.get("/desk/comments/comment/?q=امريكية").content.decode()
    assert f"/desk/comments/comment/{wanted.pk}/change/" in found
    assert f"/desk/comments/comment/{unwanted.pk}/change/" not in found
