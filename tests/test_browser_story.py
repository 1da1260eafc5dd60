"""A reader opens a story in real Chromium: right-to-left, dateline and end marker visible."""

import datetime

import pytest

from khabar.test import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lays_out_a_story_right_to_left(live_server, page, output_dir):
    story = make_article(
        headline="مباحثات ايرانية روسية لوقف جرائم الكيان الصهيوني",
        dateline_date=datetime.date(2023, 10, 26),
        signoff="2342",
    )
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(live_server.url + story.get_absolute_url())
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    dateline = page.locator(".story .dateline")
    end = page.locator(".end-marker")
    assert dateline.is_visible() and end.is_visible()
    assert dateline.inner_text() == "موسكو / 26 تشرين الأول /أكتوبر/ارنا-"
    assert end.inner_text() == "انتهى ** 2342"
    # Right-to-left: the headline's right edge hugs the page's right edge.
    box = page.locator(".story .headline").bounding_box()
    assert box is not None
    assert 390 - (box["x"] + box["width"]) < 40
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(output_dir / "story-rtl.png"), full_page=True)
    assert (output_dir / "story-rtl.png").stat().st_size > 10_000
