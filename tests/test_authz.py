"""The authorisation matrix: every desk, moderation and API action by each role and by an
anonymous reader; partner tokens within their scope; unpublished stories never leak."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from khabar.articles import actions as article_actions
from khabar.articles.models import Article, Status
from khabar.comments import actions as comment_actions
from khabar.comments.models import Comment
from khabar.comments.models import Status as CommentStatus
from khabar.comments.spam import make_stamp
from khabar.syndication.actions import create_partner_token, revoke_partner_token
from khabar.syndication.models import Partner, PartnerToken
from khabar.test import SYSTEM, make_article, make_section, make_tag

ROLES = ("anonymous", "reader", "reporter", "editor", "moderator", "chief")
STAFF = {"reporter", "editor", "moderator", "chief"}
WRITERS = {"reporter", "editor", "chief"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # comment rate limits count per address across tests otherwise


def client_for(role: str, people) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


DESK_PAGES = {
    "/desk/": STAFF,
    "/desk/two-factor/": STAFF,
    admin_url("articles_article_changelist"): STAFF,
    admin_url("articles_article_add"): WRITERS,
    admin_url("articles_section_add"): {"chief"},
    admin_url("articles_tag_add"): WRITERS,
    admin_url("comments_comment_changelist"): {"moderator", "chief"},
    admin_url("comments_moderatedword_add"): {"moderator", "chief"},
    admin_url("syndication_partner_changelist"): {"chief"},
    admin_url("syndication_partnertoken_changelist"): {"chief"},
    admin_url("syndication_heldupdate_changelist"): {"editor", "chief"},
    admin_url("auth_user_changelist"): {"chief"},
    admin_url("photos_photo_add"): WRITERS,
    admin_url("axes_accessattempt_changelist"): set(),  # superusers only
    admin_url("otp_totp_totpdevice_changelist"): set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_opens_each_desk_page_to_the_roles_that_may_see_it(role, people):
    client = client_for(role, people)
    for url, allowed in DESK_PAGES.items():
        response = client.get(url)
        if role in allowed:
            assert response.status_code == 200, (role, url)
        elif role in STAFF:
            assert response.status_code == 403, (role, url, response.status_code)
        else:
            assert response.status_code == 302, (role, url)
            assert response["Location"].startswith("/desk/login/"), (role, url)


def workflow(client: Client, article: Article, step: str) -> int:
    if step == "withdraw":
        # A kill has its own page, asking for the reason and a confirmation.
        url = admin_url("articles_article_withdraw", article.pk)
        return client.post(url, {"reason": "ملاحظة", "confirm": "yes"}).status_code
    url = admin_url("articles_article_workflow", article.pk)
    return client.post(url, {"step": step, "note": "ملاحظة"}).status_code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("step", "start", "end", "allowed"),
    [
        ("submit", "draft", Status.SUBMITTED, WRITERS),
        ("publish", "submitted", Status.PUBLISHED, {"editor", "chief"}),
        ("withdraw", "published", Status.WITHDRAWN, {"editor", "chief"}),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_right_roles_move_a_story(role, people, step, start, end, allowed):
    client = client_for(role, people)
    article = make_article(publish=start == "published")
    # The reporter's own draft: a reporter may submit only that.
    Article.objects.filter(pk=article.pk).update(created_by=people["reporter"])
    if start == "submitted":
        article = article_actions.submit_article(article, actor=SYSTEM)
    status = workflow(client, article, step)
    article.refresh_from_db()
    if role in allowed:
        assert article.status == end, (role, step, status)
    else:
        assert article.status != end, (role, step)
        # 404 where the story is not theirs to see in the desk ("missing" = "not yours").
        assert status in (302, 403, 404), (role, step, status)
        if role not in STAFF:
            assert status == 302


@pytest.mark.django_db
def test_it_keeps_a_reporter_off_another_reporters_draft(people):
    article = make_article(publish=False)
    Article.objects.filter(pk=article.pk).update(created_by=people["editor"])
    client = client_for("reporter", people)
    assert workflow(client, article, "submit") == 404
    # The desk may show it read-only (view permission), but a save changes nothing.
    client.post(admin_url("articles_article_change", article.pk), {"headline": "عنوان مزور"})
    article.refresh_from_db()
    assert article.status == Status.DRAFT and article.headline != "عنوان مزور"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_moderators_moderate_comments(role, people):
    story = make_article(section=make_section(comment_policy="pre"))
    posted = comment_actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="قارئ", text="تعليق ينتظر"
    )
    client = client_for(role, people)
    response = client.post(
        admin_url("comments_comment_changelist"),
        {"action": "approve", "_selected_action": [posted.comment.pk]},
    )
    comment = Comment.objects.get(pk=posted.comment.pk)
    if role in {"moderator", "chief"}:
        assert comment.status == CommentStatus.APPROVED
    else:
        assert comment.status == CommentStatus.PENDING
        assert response.status_code in (302, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_chief_issue_partner_tokens(role, people):
    partner = Partner.objects.create(name="شريك")
    client = client_for(role, people)
    client.post(
        admin_url("syndication_partner_changelist"),
        {"action": "issue_token", "_selected_action": [partner.pk]},
    )
    assert PartnerToken.objects.exists() == (role == "chief")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_author_edit_or_delete_a_comment(role, people):
    story = make_article(section=make_section(comment_policy="post"))
    author = Client()
    answer = author.post(
        "/api/v1/comments",
        json.dumps(
            {
                "thread": story.thread_key,
                "author": "سارة",
                "text": "تعليقي",
                "stamp": make_stamp(story.thread_key, now=time.time() - 60),
            }
        ),
        content_type="application/json",
    ).json()
    other = client_for(role, people)
    url = f"/api/v1/comments/{answer['id']}"
    edit = other.patch(url, json.dumps({"text": "تعديل"}), content_type="application/json")
    assert edit.status_code == 404
    assert other.delete(url).status_code == 404
    # A guessed token is no token.
    guessed = other.delete(url, HTTP_X_KHABAR_TOKENS=f"{answer['id']}.{'A' * 32}")
    assert guessed.status_code == 404
    assert Comment.objects.get(pk=answer["id"]).text == "تعليقي"
    mine = {"HTTP_X_KHABAR_TOKENS": f"{answer['id']}.{answer['token']}"}
    assert (
        author.patch(
            url, json.dumps({"text": "تعديل المؤلف"}), content_type="application/json", **mine
        ).status_code
        == 200
    )


# --- partner tokens ---------------------------------------------------------------------


@pytest.fixture
def partners(db):
    section = make_section()
    reader = Partner.objects.create(name="قارئ")
    sender = Partner.objects.create(name="مرسل", can_ingest=True, default_section=section)
    gone = Partner.objects.create(name="منتهٍ", can_ingest=True, is_active=False)
    revoked_token, revoked = create_partner_token(sender, actor=SYSTEM)
    revoke_partner_token(revoked_token, actor=SYSTEM)
    return {
        "reader": create_partner_token(reader, actor=SYSTEM)[1],
        "sender": create_partner_token(sender, actor=SYSTEM)[1],
        "inactive": create_partner_token(gone, actor=SYSTEM)[1],
        "revoked": revoked,
        "forged": "khb_" + "x" * 43,
    }


WIRE = ("خبر من شريك\n\nموسكو / 26 تشرين الاول /اكتوبر/ارنا- نص الخبر.\n\nانتهى ** 2342\n").encode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("none", 401),
        ("reader", 403),
        ("sender", 200),
        ("inactive", 401),
        ("revoked", 401),
        ("forged", 401),
    ],
)
def test_it_takes_stories_only_from_partners_allowed_to_send(client, partners, who, expected):
    headers = {} if who == "none" else {"HTTP_AUTHORIZATION": f"Bearer {partners[who]}"}
    response = client.post(
        "/api/v1/ingest", data=WIRE, content_type="text/plain; charset=utf-8", **headers
    )
    assert response.status_code == expected, response.content
    assert Article.objects.filter(headline="خبر من شريك").exists() == (expected == 200)


def test_it_does_not_let_a_partner_token_into_the_desk_or_as_a_user(client, partners):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {partners['sender']}"}
    assert client.get("/desk/", **auth).status_code == 302
    story = make_article(section=make_section(comment_policy="pre"))
    response = client.post(
        "/api/v1/comments",
        json.dumps(
            {
                "thread": story.thread_key,
                "author": "شريك",
                "text": "تعليق",
                "stamp": make_stamp(story.thread_key, now=time.time() - 60),
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 202  # an anonymous reader's comment, waiting


# --- nothing unpublished leaks --------------------------------------------------------------

SECRET = "سرّي-لم-يُنشر"


def unpublished_stories() -> dict[str, Article]:
    section = make_section()
    tag = make_tag()
    later = timezone.now() + datetime.timedelta(hours=6)
    draft = make_article(section=section, tags=[tag], publish=False, headline=f"{SECRET} مسودة")
    submitted = article_actions.submit_article(
        make_article(section=section, tags=[tag], publish=False, headline=f"{SECRET} مقدم"),
        actor=SYSTEM,
    )
    scheduled = article_actions.publish_article(
        article_actions.submit_article(
            make_article(section=section, tags=[tag], publish=False, headline=f"{SECRET} مجدول"),
            actor=SYSTEM,
        ),
        actor=SYSTEM,
        at=later,
    )
    embargoed = article_actions.publish_article(
        article_actions.submit_article(
            make_article(section=section, tags=[tag], publish=False, headline=f"{SECRET} محظور"),
            actor=SYSTEM,
        ),
        actor=SYSTEM,
        embargo_until=later,
    )
    return {
        "draft": draft,
        "submitted": submitted,
        "scheduled": scheduled,
        "embargoed": embargoed,
    }


def reader_urls(stories: dict[str, Article]) -> list[str]:
    urls = [
        "/ar/",
        "/ar/section/world/",
        f"/ar/tag/{make_tag().slug}/",
        "/ar/feed/rss.xml",
        "/ar/feed/atom.xml",
        "/ar/feeds/section/world/rss.xml",
        f"/ar/feeds/tag/{make_tag().slug}/atom.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/sitemap-ar-world.xml",
        "/ar/search/?q=%D8%B3%D8%B1%D9%91%D9%8A",
        "/api/v1/ninjs",
        "/api/v1/ninjs?edition=ar&limit=50",
    ]
    for story in stories.values():
        urls += [
            f"/ar/news/{story.pk}/",
            f"/ar/news/{story.pk}/{story.slug}/",
            f"/api/v1/ninjs/{story.pk}",
            f"/api/v1/newsml/{story.pk}",
            f"/api/v1/comments?thread=article:{story.pk}",
            f"/comments/feed/{story.pk}/",
        ]
    return urls


@pytest.mark.django_db(transaction=True)
def test_it_never_shows_an_unpublished_story_to_readers_or_the_cache(settings, people, tmp_path):
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_FRAGMENT_CACHE = True
    from khabar.site import pagecache

    pagecache.reset_store()
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pagecache.db")
    # A story is seen (and cached) while it is live, then withdrawn.
    live = make_article(section=make_section(), tags=[make_tag()], headline=f"{SECRET} مسحوب")
    anonymous = Client()
    for url in ("/ar/", "/ar/section/world/", "/ar/feed/rss.xml", live.get_absolute_url()):
        anonymous.get(url)
        assert SECRET in anonymous.get(url).content.decode(), url
    stories = unpublished_stories()
    stories["withdrawn"] = article_actions.withdraw_article(live, actor=SYSTEM, reason="خطأ")
    urls = reader_urls(stories)
    for who in ("anonymous", "reader", "partner"):
        client = client_for("reader" if who == "reader" else "anonymous", people)
        headers = {}
        if who == "partner":
            partner = Partner.objects.create(name="شريك")
            headers["HTTP_AUTHORIZATION"] = (
                f"Bearer {create_partner_token(partner, actor=SYSTEM)[1]}"
            )
        for url in urls:
            for _ in range(2):  # the second answer may come from the page cache
                response = client.get(url, **headers)
                body = response.content.decode(errors="replace")
                if who == "partner" and url.startswith("/api/v1/") and "محظور" in body:
                    # Partners see embargoed stories, with the embargo time, by design.
                    body = body.replace(f"{SECRET} محظور", "")
                assert SECRET not in body, (who, url)
                assert response.status_code != 500, url
        # The API says "no such story", not "forbidden": nothing confirms it exists.
        assert client.get(f"/api/v1/ninjs/{stories['draft'].pk}", **headers).status_code == 404
