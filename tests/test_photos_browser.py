"""In real Chromium: upload a photo with Arabic IPTC through the desk, then read the story."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from khabar.photos import actions
from khabar.photos.models import Photo
from khabar.site import actors
from khabar.test import make_article

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media"),
]

DATA = Path(__file__).resolve().parent / "data" / "photos"
TESTS = actors.system("tests")
CAPTION = "متظاهرون يرفعون الأعلام في ساحة آزادي بطهران"
CREDIT = "أحمد الحسيني"


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/desk/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-Pass-1234!")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/desk/")


def test_it_uploads_through_the_desk_reading_the_arabic_caption_and_credit(
    live_server, page, people, media, output_dir
):
    log_in(page, live_server.url, "reporter")
    page.goto(live_server.url + "/desk/photos/photo/add/")
    page.set_input_files("#id_upload", str(DATA / "arabic-iptc.jpg"))
    page.click("input[name=_continue]")
    page.wait_for_url("**/desk/photos/photo/*/change/")
    # Read from the file's IPTC, shown in the form for the desk to check.
    assert page.input_value("#id_caption") == CAPTION
    assert page.input_value("#id_credit") == CREDIT
    assert page.input_value("#id_copyright_holder") == "وكالة خبر"
    preview = page.locator(".photo-preview")
    # The preview has no size until its image has loaded: wait for that, not a fixed time.
    preview.wait_for(state="visible", timeout=15_000)
    assert preview.is_visible()
    assert preview.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(output_dir / "desk-photo.png"), full_page=True)

    photo = Photo.objects.get()
    sizes = sorted((r.format, r.width, r.height) for r in photo.renditions.all())
    assert [s for s in sizes if s[0] == "jpeg"] == [
        ("jpeg", 320, 180),
        ("jpeg", 640, 360),
        ("jpeg", 960, 540),
        ("jpeg", 1280, 720),
    ]
    for rendition in photo.renditions.all():
        with Image.open(media / rendition.file.name) as image:
            assert image.size == (rendition.width, rendition.height)
            assert not image.getexif().get_ifd(0x8825)  # no GPS
            assert 0x010F not in image.getexif()  # no camera


def test_it_lays_out_the_lead_photo_on_a_phone_without_layout_shift(live_server, page, output_dir):
    photo = actions.upload_photo((DATA / "arabic-iptc.jpg").read_bytes(), actor=TESTS)
    story = make_article(headline="تظاهرات في طهران")
    actions.attach_photo(story, photo, actor=TESTS)
    url = live_server.url + story.get_absolute_url()

    page.set_viewport_size({"width": 390, "height": 844})
    # Images blocked: the box must already have the photo's shape (no shift when it loads).
    page.route("**/media/**", lambda route: route.abort())
    page.goto(url)
    img = page.locator(".photo--lead img")
    empty = img.bounding_box()
    assert empty is not None
    assert abs(empty["height"] - empty["width"] * 720 / 1280) < 2
    page.unroute("**/media/**")

    page.goto(url)
    page.wait_for_function(
        "() => { const i = document.querySelector('.photo--lead img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    loaded = img.bounding_box()
    assert loaded == empty
    # The phone gets a rendition near its width, in WebP, not the largest JPEG.
    current = img.evaluate("i => i.currentSrc")
    assert "/640-" in current and current.endswith(".webp")
    assert img.get_attribute("loading") == "eager"
    assert img.get_attribute("width") == "1280" and img.get_attribute("height") == "720"
    # Within the phone's width, and nothing overflows sideways.
    assert loaded["x"] >= 0 and loaded["x"] + loaded["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    preload = page.locator('link[rel="preload"][as="image"]')
    assert "640w" in preload.get_attribute("imagesrcset")
    caption = page.locator(".photo--lead figcaption")
    assert CAPTION in caption.inner_text() and "عدسة: " + CREDIT in caption.inner_text()
    page.screenshot(path=str(output_dir / "story-photo-phone.png"), full_page=True)

    page.set_viewport_size({"width": 1200, "height": 900})
    page.reload()
    page.wait_for_function("() => document.querySelector('.photo--lead img').complete")
    wide = img.bounding_box()
    assert wide is not None and wide["width"] <= 42 * 16 + 1
    assert "/960-" in img.evaluate("i => i.currentSrc")
