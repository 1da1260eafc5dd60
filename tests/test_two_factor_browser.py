"""In real Chromium: the two-factor page's QR code loads as an image, and turning it on."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

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
