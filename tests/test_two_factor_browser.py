"""In real Chromium: the two-factor page's QR code loads as an image, and turning it on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from khabar.comments import actions, notify
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_it_shows_the_qr_code_and_turns_two_factor_on(live_server, page, people, output_dir):
    base = live_server.url
    page.goto(base + "/desk/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-Pass-1234!")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/desk/")
    page.goto(base + "/desk/two-factor/")
    page.click("input[type=submit]")  # "Set up an authenticator app"
    qr = page.locator("img.two-factor-qr")
    qr.wait_for(state="visible")
    page.wait_for_function("document.querySelector('img.two-factor-qr').complete")
    assert qr.evaluate("img => img.naturalWidth") > 100
    assert qr.evaluate("img => img.naturalWidth === img.naturalHeight")
    page.screenshot(path=str(output_dir / "two-factor-qr.png"), full_page=True)

    device = TOTPDevice.objects.get(user=people["editor"])
    page.fill("#id_token", code_for(device))
    page.click("input[type=submit]")
    assert page.locator(".two-factor-codes li").count() == 10
    page.screenshot(path=str(output_dir / "two-factor-on.png"), full_page=True)


def test_it_shows_the_english_unsubscribe_page_left_to_right(live_server, page, output_dir):
    story = make_article(section=make_section("en", name="World"), lang="en", headline="Talks")
    comment = actions.post_comment(
        story.thread_key,
        actor=AnonymousUser(),
        author="Sara",
        email="sara@example.org",
        text="What do the experts say?",
        notify_replies=True,
    ).comment
    page.goto(f"{live_server.url}/comments/unsubscribe/{notify.unsubscribe_token(comment)}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.get_by_text("Stop emails about replies to your comments?").is_visible()
    page.screenshot(path=str(output_dir / "unsubscribe-en.png"), full_page=True)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You will not get emails about replies any more.").wait_for()
    page.screenshot(path=str(output_dir / "unsubscribe-en-done.png"), full_page=True)
