"""The comment flow on a story page with the keyboard alone: Reply puts the reader in the
reply's text box, Cancel gives focus back to the Reply link, and after posting the notice
has focus (so a screen reader reads it). Every stop shows where focus is."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from khabar.comments import actions
from khabar.comments.models import Comment
from khabar.test import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.KHABAR_COMMENT_MIN_SUBMIT_SECONDS = 0
    settings.KHABAR_RATELIMIT = False


def tab_to(page, locator, *, backwards=False, limit=60):
    """Press Tab (or Shift+Tab) until `locator` has focus, checking each stop's outline."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.locator(":focus")
        if focused.count() and focused.evaluate(
            "(node, target) => node === target", locator.element_handle()
        ):
            return
    raise AssertionError(f"never reached {locator}")


def shows_focus(locator):
    expect(locator).to_be_focused()
    expect(locator).to_be_in_viewport()
    expect(locator).to_have_css("outline-style", "solid")


def test_it_replies_cancels_and_posts_with_the_keyboard(live_server, people, chromium, output_dir):
    story = make_article(headline="مباحثات في موسكو")
    first = actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="أحمد", text="تعليق أول"
    ).comment
    actions.approve_comment(first, actor=people["moderator"])
    context = chromium.new_context(locale="ar", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + story.get_absolute_url())
        reply = page.locator(f"#comment-{first.pk} .comment__reply")
        text = page.locator("#comment-text")

        # Reply: the form comes under the comment, focus in its text box, told whom it answers.
        tab_to(page, reply)
        shows_focus(reply)
        page.keyboard.press("Enter")
        shows_focus(text)
        expect(page.locator(f"#comment-{first.pk} #comment-form")).to_have_count(1)
        expect(text).to_have_accessible_description("أنت ترد على: أحمد إلغاء")
        page.screenshot(path=str(output_dir / "1-reply.png"))

        # Cancel (three stops back: email, name, Cancel): focus returns to Reply.
        cancel = page.locator(".comment-form__cancel")
        tab_to(page, cancel, backwards=True, limit=3)
        shows_focus(cancel)
        page.keyboard.press("Enter")
        shows_focus(reply)
        expect(page.locator(f"#comment-{first.pk} #comment-form")).to_have_count(0)

        # Reply again and post: name, then the text, then Tab on to the button.
        page.keyboard.press("Enter")
        shows_focus(text)
        author = page.locator("#comment-author")
        tab_to(page, author, backwards=True, limit=2)
        page.keyboard.type("سارة")
        tab_to(page, text, limit=2)
        page.keyboard.type("رد بلوحة المفاتيح")
        submit = page.locator(".comment-form__submit")
        tab_to(page, submit, limit=3)
        shows_focus(submit)
        page.keyboard.press("Enter")

        notice = page.locator(".comments__notice")
        shows_focus(notice)
        expect(notice).to_have_attribute("role", "status")
        expect(notice).to_contain_text("شكرًا لك")
        page.screenshot(path=str(output_dir / "2-posted.png"))
        assert Comment.objects.get(author_name="سارة").parent_id == first.pk
    finally:
        context.close()
