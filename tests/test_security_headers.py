"""Headers on every kind of page, CSRF on every form, and a CSP that allows no inline script."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from htmlcheck import post_forms_without_csrf, problems

from khabar.comments import spam
from khabar.comments.models import Comment
from khabar.test import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def story():
    tag = make_tag()
    return make_article(section=make_section(comment_policy="post"), tags=[tag])


def reader_pages(story) -> list[str]:
    return [
        "/ar/",
        "/fa/",
        "/en/",
        "/ar/section/world/",
        f"/ar/tag/{story.tags.first().slug}/",
        story.get_absolute_url(),
        "/ar/search/?q=%D8%A5%D9%8A%D8%B1%D8%A7%D9%86",
        "/ar/no-such-page/",
        f"/comments/{0}/replies/",
    ]


def csp_directives(header: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_it_sends_the_security_headers_on_reader_pages(client, story):
    for url in reader_pages(story):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        csp = csp_directives(response["Content-Security-Policy"])
        assert csp["script-src"] == "'self'", url
        assert csp["style-src"] == "'self'", url
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", url
        assert "unsafe" not in response["Content-Security-Policy"], url


def test_it_renders_reader_pages_with_no_inline_script_or_style(client, story, people):
    for who in (None, people["reader"]):
        if who is not None:
            client.force_login(who)
        for url in reader_pages(story):
            response = client.get(url)
            if response.status_code == 200 or response.status_code == 404:
                assert problems(response.content) == [], url


def test_it_applies_a_script_strict_csp_to_the_desk(client, people):
    client.force_login(people["chief"])
    for url in ("/desk/", "/desk/login/", "/desk/two-factor/"):
        response = client.get(url)
        csp = csp_directives(response["Content-Security-Policy"])
        assert csp["script-src"] == "'self'", url
        assert csp["frame-ancestors"] == "'none'", url
        assert response["X-Frame-Options"] == "DENY"


def desk_urls(story) -> list[str]:
    urls = ["/desk/", "/desk/password_change/", "/desk/two-factor/"]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    urls.append(reverse("admin:articles_article_change", args=[story.pk]))
    comment = Comment.objects.first()
    if comment is not None:
        urls.append(reverse("admin:comments_comment_change", args=[comment.pk]))
    return urls


def test_it_puts_a_csrf_token_in_every_desk_form_and_runs_no_inline_script(client, people, story):
    from khabar.comments import actions

    actions.post_comment(story.thread_key, actor=AnonymousUser(), author="سارة", text="تعليق")
    superuser = people["chief"]
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    checked = 0
    for url in desk_urls(story):
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        assert post_forms_without_csrf(html) == [], url
        assert problems(html, style_attributes=True, allowed_tags=frozenset({"svg"})) == [], url
        checked += 1
    assert checked >= 20


def test_it_puts_a_csrf_token_in_the_comment_form_of_a_logged_in_reader(client, people, story):
    client.force_login(people["reader"])
    html = client.get(story.get_absolute_url()).content.decode()
    assert 'id="comment-form"' in html
    assert post_forms_without_csrf(html) == []


def test_it_refuses_a_forged_desk_login_and_desk_change():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/desk/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_it_refuses_a_forged_post_from_a_logged_in_user(people, story):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["chief"])
    for url, data in [
        ("/desk/password_change/", {"old_password": "x"}),
        (reverse("admin:articles_section_add"), {"name": "x", "slug": "x", "lang": "ar"}),
        ("/desk/two-factor/", {"step": "start"}),
        ("/desk/logout/", {}),
        (
            "/comments/post/",
            {"thread": story.thread_key, "author": "x", "text": "نص مزور"},
        ),
    ]:
        assert strict.post(url, data).status_code == 403, url


def test_it_treats_a_session_without_csrf_token_as_anonymous_in_the_api(people, story):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["moderator"])
    response = strict.post(
        "/api/v1/comments",
        json.dumps(
            {
                "thread": story.thread_key,
                "author": "مشرف؟",
                "text": "تعليق مزور",
                "stamp": spam.make_stamp(story.thread_key, now=time.time() - 60),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code in (201, 202)
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.user is None  # the moderator's rights did not ride along


def test_it_answers_api_and_feeds_with_their_own_content_types(client, story):
    assert client.get("/api/v1/openapi.json")["Content-Type"].startswith("application/json")
    assert "xml" in client.get("/ar/feed/rss.xml")["Content-Type"]
    assert client.get("/api/v1/ninjs")["X-Content-Type-Options"] == "nosniff"
