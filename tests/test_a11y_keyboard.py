"""The reader pages with the keyboard alone: the skip link comes first and is visible,
takes the reader to the content, and every focused control shows where focus is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from khabar.live import actions as live_actions
from khabar.test import SYSTEM, make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_reaches_the_story_and_shows_focus(live_server, chromium, people, output_dir):
    story = make_article(headline="زلزال بقوة ست درجات")
    live = live_actions.start_live(story, actor=people["editor"])
    live_actions.post_update(live, actor=SYSTEM, text="فرق الإنقاذ تصل.")
    context = chromium.new_context(locale="ar", viewport={"width": 390, "height": 844})
    context.route("**/live/*/events*", lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(live_server.url + story.get_absolute_url())
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        # Tabbing on from the content lands on the story's own links, each with an outline.
        for _ in range(3):
            page.keyboard.press("Tab")
            focused = page.locator(":focus")
            expect(focused).to_have_css("outline-style", "solid")
            box = focused.bounding_box()
            assert box is not None and box["y"] > 0
        page.screenshot(path=str(output_dir / "keyboard-focus.png"))
    finally:
        context.close()
