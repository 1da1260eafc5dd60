"""The whole reader flow in real Chromium: on a story page, and through the widget on
another origin. Screenshots go to var/test-output/<test>/."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from django.contrib.auth.models import AnonymousUser

from khabar.comments import actions
from khabar.comments.models import Comment, Status
from khabar.test import make_article, make_section

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.KHABAR_COMMENT_MIN_SUBMIT_SECONDS = 0
    settings.KHABAR_RATELIMIT = False


def make_moderator():
    # Permissions directly, not the migration-made group: a flush between transactional
    # tests removes data that migrations created.
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user(
        "moderator", password="moderator-Pass-1234!", email="m@example.org", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="comments",
            codename__in=["view_comment", "change_comment", "moderate_comment"],
        )
    )
    return user


def approve_in_the_desk(page, live_server, output_dir, name):
    page.goto(f"{live_server.url}/desk/comments/comment/?queue=pending")
    page.locator("input#action-toggle").check()
    page.select_option("select[name=action]", "approve")
    page.screenshot(path=output_dir / f"{name}.png", full_page=True)
    page.locator("button[name=index], button[type=submit].button").first.click()
    page.wait_for_load_state()


def test_it_runs_the_reader_flow_on_a_story_page(live_server, chromium, page, output_dir):
    story = make_article(section=make_section(), headline="مباحثات في موسكو")
    make_moderator()
    url = f"{live_server.url}{story.get_absolute_url()}"

    # A reader posts; pre-moderation holds the comment.
    page.goto(url)
    page.fill("#comment-author", "سارة")
    page.fill("#comment-text", "تعليق أول: *خبر مهم*")
    page.click(".comment-form__submit")
    page.wait_for_selector(".comments__notice--pending")
    assert page.locator(".comment--pending").count() == 1
    page.screenshot(path=output_dir / "1-posted-pending.png", full_page=True)

    # The moderator approves it in the desk.
    desk = chromium.new_context(locale="ar")
    moderator = desk.new_page()
    moderator.goto(f"{live_server.url}/desk/login/")
    moderator.fill("#id_username", "moderator")
    moderator.fill("#id_password", "moderator-Pass-1234!")
    moderator.click("input[type=submit], button[type=submit]")
    approve_in_the_desk(moderator, live_server, output_dir, "2-desk-queue")
    first = Comment.objects.get()
    assert first.status == Status.APPROVED

    # Another reader replies: the form moves under the comment and says whom it answers.
    other = chromium.new_context(locale="ar", viewport={"width": 1200, "height": 900})
    reader = other.new_page()
    reader.goto(url)
    assert reader.locator(".comment__body em").inner_text() == "خبر مهم"
    reader.click(f"#comment-{first.pk} .comment__reply")
    banner = reader.locator(f"#comment-{first.pk} .comment-form__replying")
    banner.wait_for(state="visible")
    assert "أنت ترد على:" in banner.inner_text() and "سارة" in banner.inner_text()
    reader.screenshot(path=output_dir / "3-replying.png", full_page=True)
    reader.fill("#comment-author", "أحمد")
    reader.fill("#comment-text", "رد على سارة")
    reader.click(".comment-form__submit")
    reader.wait_for_selector(".comments__notice--pending")
    reply = Comment.objects.get(text="رد على سارة")
    assert reply.parent_id == first.pk

    approve_in_the_desk(moderator, live_server, output_dir, "4-desk-reply")
    assert Comment.objects.get(pk=reply.pk).status == Status.APPROVED

    # The reply appears nested under its parent (indented at the inline start: the right).
    # (A sort link, not the bare address: the browser may keep that page for 30 seconds.)
    page.goto(f"{url}?csort=oldest#comments")
    parent_box = page.locator(f"#comment-{first.pk}").bounding_box()
    reply_item = page.locator(f"#comment-{reply.pk}")
    assert "comment--d1" in reply_item.get_attribute("class")
    reply_box = reply_item.bounding_box()
    assert reply_box["y"] > parent_box["y"]
    parent_right = parent_box["x"] + parent_box["width"]
    assert reply_box["x"] + reply_box["width"] < parent_right  # RTL indent
    page.screenshot(path=output_dir / "5-nested.png", full_page=True)
    other.close()
    desk.close()


def test_it_shows_the_reply_form_without_javascript(live_server, chromium, output_dir):
    story = make_article(section=make_section(comment_policy="post"))
    first = actions.post_comment(story.thread_key, actor=AnonymousUser(), author="ليلى", text="أول")
    context = chromium.new_context(locale="ar", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}{story.get_absolute_url()}")
    page.click(f"#comment-{first.comment.pk} .comment__reply")
    banner = page.locator(f"#comment-{first.comment.pk} .comment-form__replying")
    assert "أنت ترد على:" in banner.inner_text() and "ليلى" in banner.inner_text()
    page.screenshot(path=output_dir / "no-js-reply.png", full_page=True)
    page.fill("#comment-author", "سامي")
    page.fill("#comment-text", "رد بلا جافاسكربت")
    page.click(".comment-form__submit")
    page.wait_for_selector(".comments__notice--approved")
    assert Comment.objects.get(text="رد بلا جافاسكربت").parent_id == first.comment.pk
    context.close()


@pytest.fixture
def other_origin(tmp_path):
    """A tiny web server on another port: the embedding site."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_it_runs_the_widget_on_another_origin(
    settings, live_server, page, output_dir, other_origin
):
    folder, origin = other_origin
    settings.KHABAR_COMMENT_SITES = {"blog": origin}
    moderator = make_moderator()
    (folder / "post.html").write_text(
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        "<title>مدونة</title></head><body><h1>تدوينة عن الأخبار</h1>"
        f'<script src="{live_server.url}/static/khabar/comments.js" '
        'data-khabar-thread="site:blog:post-1" defer></script></body></html>',
        encoding="utf-8",
    )
    assert not origin.startswith(live_server.url)
    page.goto(f"{origin}/post.html")
    page.wait_for_selector(".khabar-comments .comment-list__empty")
    assert page.locator(".khabar-comments").get_attribute("dir") == "rtl"
    page.fill(".khabar-comments input[name=author]", "هدى")
    page.fill(".khabar-comments textarea[name=text]", "تعليق من موقع آخر")
    page.click(".khabar-comments .comment-form__submit")
    page.wait_for_selector(".khabar-comments .comment--pending")
    assert "المشرف" in page.locator(".khabar-comments__status").inner_text()
    page.screenshot(path=output_dir / "1-widget-pending.png", full_page=True)

    first = Comment.objects.get()
    actions.approve_comment(first, actor=moderator)
    page.reload()
    page.wait_for_selector(f"#khabar-comment-{first.pk}")
    page.click(f"#khabar-comment-{first.pk} .comment__reply")
    banner = page.locator(f"#khabar-comment-{first.pk} .comment-form__replying")
    banner.wait_for(state="visible")
    assert "أنت ترد على:" in banner.inner_text() and "هدى" in banner.inner_text()
    page.screenshot(path=output_dir / "2-widget-replying.png", full_page=True)
    page.fill(".khabar-comments input[name=author]", "مازن")
    page.fill(".khabar-comments textarea[name=text]", "رد عبر الأداة")
    page.click(".khabar-comments .comment-form__submit")
    page.wait_for_selector(".khabar-comments .comment--pending")

    reply = Comment.objects.get(text="رد عبر الأداة")
    assert reply.parent_id == first.pk
    actions.approve_comment(reply, actor=moderator)
    page.reload()
    item = page.locator(f"#khabar-comment-{reply.pk}")
    item.wait_for()
    assert "comment--d1" in item.get_attribute("class")
    parent_box = page.locator(f"#khabar-comment-{first.pk}").bounding_box()
    box = item.bounding_box()
    assert box["x"] + box["width"] < parent_box["x"] + parent_box["width"]
    # Both are this reader's own: no like for them (likes: tests/test_widget_browser.py).
    assert page.locator(f"#khabar-comment-{reply.pk} .comment__like").count() == 0
    page.screenshot(path=output_dir / "3-widget-nested.png", full_page=True)


def test_it_brings_more_replies_in_place(settings, live_server, page, output_dir):
    settings.KHABAR_COMMENT_REPLIES_PER_PAGE = 4
    story = make_article(section=make_section(comment_policy="post"), headline="نقاش طويل")
    root = actions.post_comment(story.thread_key, actor=AnonymousUser(), author="سارة", text="أول")
    replies = [
        actions.post_comment(
            story.thread_key,
            actor=AnonymousUser(),
            author="أحمد",
            text=f"ردّ رقم {n}",
            parent_id=root.comment.pk,
        ).comment
        for n in range(10)
    ]
    url = f"{live_server.url}{story.get_absolute_url()}?csort=oldest"
    page.goto(url)
    shown = page.locator(f"li.comment#comment-{replies[0].pk} ~ li.comment")
    assert page.locator("li.comment").count() == 5  # the comment and 4 replies
    page.click("li.comment-more a")
    page.locator(f"#comment-{replies[7].pk}").wait_for()
    assert page.url == url  # no page change: the next 4 came in place
    page.click("li.comment-more a")
    page.locator(f"#comment-{replies[9].pk}").wait_for()
    ids = page.eval_on_selector_all("li.comment", "items => items.map(i => i.id)")
    assert ids == [f"comment-{c.pk}" for c in [root.comment, *replies]]
    assert page.locator("li.comment-more").count() == 0
    assert shown.count() == 9
    # A reply brought in place can be answered like the others: the form moves under it.
    page.click(f"#comment-{replies[9].pk} .comment__reply")
    page.locator(f"#comment-{replies[9].pk} .comment-form__replying").wait_for(state="visible")
    assert page.input_value("input[name=parent]") == str(replies[9].pk)
    page.screenshot(path=output_dir / "more-replies.png", full_page=True)
