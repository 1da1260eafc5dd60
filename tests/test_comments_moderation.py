"""Moderation: word lists through the Arabic normaliser, policies, queues, bulk, the log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from khabar.comments import actions, moderation
from khabar.comments.models import AuditEntry, Comment, ModeratedWord, Status
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def story():
    return make_article(section=make_section())  # pre-moderation, the agency default


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


def test_it_remoderates_an_edited_comment(story, people):
    comment = post(story)
    actions.approve_comment(comment, actor=people["moderator"])
    edited = actions.edit_comment(comment, actor=AnonymousUser(), text="نص جديد")
    assert edited.status == Status.PENDING and edited.edited_at is not None


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
