"""The widget as another site's web developer embeds it, in real Chromium: a static Arabic
page and an English one served from another loopback port under a strict CSP, with the
live server as the comment server. Every action of the story page, no console error; a site
that is not allowed is refused at load. Screenshots go to var/test-output/<test>/."""

from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from khabar.comments import actions
from khabar.comments.models import Comment, Status
from khabar.site import actors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
MODERATOR = actors.COMMAND_LINE


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.KHABAR_COMMENT_MIN_SUBMIT_SECONDS = 0
    settings.KHABAR_RATELIMIT = False


class _StrictHandler(http.server.SimpleHTTPRequestHandler):
    """A static site whose pages allow scripts, styles and requests from the news site only."""

    news = ""

    def end_headers(self):
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src {self.news}; style-src 'self' {self.news}; "
            f"connect-src {self.news}; img-src data:",
        )
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path, live_server):
    """``serve(pages)``: a site on another 127.0.0.1 port; returns its origin."""
    servers = []

    def start(pages: dict[str, str]) -> str:
        folder = tmp_path / f"site{len(servers)}"
        folder.mkdir()
        for name, html in pages.items():
            (folder / name).write_text(html, encoding="utf-8")
        handler = type("Handler", (_StrictHandler,), {"news": live_server.url})
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def host_page(live_server, lang, direction, title, thread):
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{title}.</p>"
        f'<script src="{live_server.url}/static/khabar/comments.js" '
        f'data-khabar-thread="{thread}" defer></script></body></html>'
    )


@pytest.fixture
def blog(settings, serve, live_server):
    origin = serve(
        {
            "ar.html": host_page(live_server, "ar", "rtl", "تدوينة عن الأخبار", "site:blog:ar-1"),
            "en.html": host_page(live_server, "en", "ltr", "A post about news", "site:blog:en-1"),
        }
    )
    assert not origin.startswith(live_server.url)
    settings.KHABAR_COMMENT_SITES = {"blog": origin}
    return origin


@pytest.fixture
def browse(chromium):
    """``browse()``: a phone-sized tab of a new reader that records console errors."""
    contexts, errors = [], []

    def open_tab(locale="ar"):
        context = chromium.new_context(locale=locale, viewport=PHONE)
        contexts.append(context)
        tab = context.new_page()
        tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
        tab.on("pageerror", lambda e: errors.append(str(e)))
        return tab

    yield open_tab
    for context in contexts:
        context.close()
    assert errors == [], errors


def widget(page):
    return page.locator(".khabar-comments")


def write(page, name, text):
    page.fill(".khabar-comments input[name=author]", name)
    page.fill(".khabar-comments textarea[name=text]", text)


def approve(comment_or_text):
    comment = (
        Comment.objects.get(text=comment_or_text)
        if isinstance(comment_or_text, str)
        else comment_or_text
    )
    return actions.approve_comment(comment, actor=MODERATOR)


def others_reply(key, parent, count):
    replies = []
    for n in range(count):
        reply = actions.post_comment(
            key,
            actor=AnonymousUser(),
            author=f"قارئ {n + 1}",
            text=f"رد رقم {n + 1}",
            parent_id=parent.pk,
        ).comment
        replies.append(approve(reply))
    return replies


def test_it_runs_every_action_on_an_arabic_page_of_another_site(
    live_server, blog, browse, output_dir
):
    page = browse("ar")
    page.goto(f"{blog}/ar.html")
    expect(widget(page).locator(".comment-list__empty")).to_have_text("لا تعليقات بعد.")
    expect(widget(page)).to_have_attribute("dir", "rtl")

    # Post (a double click sends one comment and no "already posted").
    write(page, "هدى", "**عريض** أولًا\n\nفقرة ثانية")
    page.locator(".khabar-comments .comment-form__submit").dblclick()
    expect(widget(page).locator(".comment--pending")).to_have_count(1)
    expect(widget(page).locator(".khabar-comments__status")).to_contain_text("المشرف")
    expect(widget(page).locator(".comment-form__error")).to_be_hidden()
    assert Comment.objects.count() == 1
    root = approve(Comment.objects.get())
    replies = others_reply("site:blog:ar-1", root, 11)

    # Reply.
    page.reload()
    page.locator(f"#khabar-comment-{root.pk} .comment__reply").click()
    banner = widget(page).locator(f"#khabar-comment-{root.pk} .comment-form__replying")
    expect(banner).to_contain_text("أنت ترد على:")
    expect(banner).to_contain_text("هدى")
    write(page, "هدى", "ردي على الجميع")
    page.locator(".khabar-comments .comment-form__submit").click()
    # The twelfth reply: it waits behind "more replies", and the notice says so.
    expect(widget(page).locator(".khabar-comments__status")).to_contain_text("المشرف")
    mine = approve("ردي على الجميع")

    # More replies, past the tenth.
    page.reload()
    expect(widget(page).locator("h2")).to_have_text("التعليقات (13)")
    more = widget(page).locator(".comment-more button")
    expect(more).to_have_text("مزيد من الردود")
    expect(page.locator(f"#khabar-comment-{replies[10].pk}")).to_have_count(0)
    more.click()
    expect(page.locator(f"#khabar-comment-{replies[10].pk}")).to_be_visible()
    expect(page.locator(f"#khabar-comment-{mine.pk}")).to_be_visible()
    expect(more).to_have_count(0)

    # Like, with its state (and none on one's own comment).
    like = page.locator(f"#khabar-comment-{replies[0].pk} .comment__like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_text("♥ أعجبني 1")
    expect(like).to_have_accessible_name("أعجبني 1")
    expect(page.locator(f"#khabar-comment-{root.pk} .comment__like")).to_have_count(0)

    # Report.
    page.locator(f"#khabar-comment-{replies[1].pk} .comment__report").click()
    expect(widget(page).locator(".khabar-comments__status")).to_contain_text("شكرًا لك")
    page.reload()
    expect(page.locator(f"#khabar-comment-{replies[0].pk} .comment__like")).to_have_attribute(
        "aria-pressed", "true"
    )

    # Edit the approved comment that has replies: the box holds what was typed.
    page.locator(f"#khabar-comment-{root.pk} .comment__edit").click()
    box = page.locator(f"#khabar-comment-{root.pk} .comment__edit-text")
    expect(box).to_have_value("**عريض** أولًا\n\nفقرة ثانية")
    box.fill("**عريض** بعد التعديل\n\nفقرة ثانية")
    page.locator(f"#khabar-comment-{root.pk} .comment__save").click()
    # The server's notice ("your edit will show once a moderator approves it") is Arabic
    # once the catalogues carry it (/tmp/i18n-widget.json); English until then.
    expect(widget(page).locator(".khabar-comments__status")).to_contain_text(
        re.compile("المشرف|moderator")
    )
    own = page.locator(f"#khabar-comment-{root.pk}")
    expect(own.locator(".comment__pending")).to_contain_text("تعديلك")
    expect(own.locator(".comment__body strong")).to_have_text("عريض")
    expect(own.locator(".comment__body p")).to_have_count(2)
    page.screenshot(path=output_dir / "1-ar-author-edit-pending.png", full_page=True)

    # Everyone else still sees the approved comment and its replies.
    other = browse("ar")
    other.goto(f"{blog}/ar.html")
    expect(widget(other).locator("h2")).to_have_text("التعليقات (13)")
    theirs = other.locator(f"#khabar-comment-{root.pk}")
    expect(theirs.locator(".comment__body")).to_contain_text("أولًا")
    expect(theirs.locator(".comment__pending")).to_have_count(0)
    expect(other.locator(f"#khabar-comment-{replies[0].pk}")).to_be_visible()
    other.screenshot(path=output_dir / "2-ar-reader-phone.png", full_page=True)

    approve(Comment.objects.get(pk=root.pk))
    other.reload()
    expect(theirs.locator(".comment__body")).to_contain_text("بعد التعديل")

    # Delete: the author's reply goes.
    page.reload()
    page.locator(".comment-more button").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#khabar-comment-{mine.pk} .comment__delete").click()
    expect(page.locator(f"#khabar-comment-{mine.pk}")).to_have_count(0)
    assert Comment.objects.get(pk=mine.pk).status == Status.DELETED
    page.screenshot(path=output_dir / "3-ar-after-delete.png", full_page=True)


def test_it_speaks_english_on_an_english_page(live_server, blog, browse, output_dir):
    page = browse("ar")  # an Arabic browser: the page's language decides
    page.goto(f"{blog}/en.html")
    expect(widget(page).locator(".comment-list__empty")).to_have_text("No comments yet.")
    expect(widget(page)).to_have_attribute("dir", "ltr")
    write(page, "Sara", "A *first* comment")
    page.locator(".khabar-comments .comment-form__submit").click()
    status = widget(page).locator(".khabar-comments__status")
    expect(status).to_contain_text("Thank you")
    expect(status).to_contain_text("moderator")
    first = approve(Comment.objects.get())
    actions.post_comment(
        "site:blog:en-1", actor=AnonymousUser(), author="هدى", text="تعليق بالعربية هنا"
    )
    approve("تعليق بالعربية هنا")
    page.reload()
    page.locator(f"#khabar-comment-{first.pk} .comment__reply").click()
    expect(widget(page).locator(".comment-form__replying")).to_contain_text("You are replying to:")
    write(page, "Sara", "A reply")
    page.locator(".khabar-comments .comment-form__submit").click()
    expect(status).to_contain_text("Thank you")
    arabic = Comment.objects.get(text="تعليق بالعربية هنا")
    like = page.locator(f"#khabar-comment-{arabic.pk} .comment__like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_accessible_name("Like 1")
    expect(like).to_have_attribute("title", "You like this comment")
    page.screenshot(path=output_dir / "1-en-phone.png", full_page=True)


@pytest.mark.parametrize(
    ("lang", "direction", "message"),
    [
        ("en", "ltr", "This site may not embed the comments."),
        ("ar", "rtl", None),
    ],
)
def test_it_refuses_a_site_that_is_not_allowed_at_load(
    live_server, blog, serve, browse, output_dir, lang, direction, message
):
    stranger = serve(
        {"p.html": host_page(live_server, lang, direction, "Elsewhere", "site:blog:ar-1")}
    )
    page = browse("ar")
    page.goto(f"{stranger}/p.html")
    status = widget(page).locator(".khabar-comments__status")
    expect(status).to_be_visible()
    if message:
        expect(status).to_have_text(message)
    else:
        expect(status).to_have_text(re.compile("[\u0600-\u06ff]"))
    expect(widget(page).locator("form")).to_have_count(0)
    page.screenshot(path=output_dir / f"refused-{lang}.png", full_page=True)
