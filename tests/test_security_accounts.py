"""Desk accounts: login throttling, optional two-factor sign-in, strong passwords, sessions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

LOGIN = "/desk/login/?next=/desk/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client: Client, username: str, password: str | None = None, **extra: str):
    ip = extra.pop("ip", "203.0.113.7")
    data = {"username": username, "password": password or f"{username}-Pass-1234!", **extra}
    return client.post(LOGIN, data, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return client.get("/desk/").status_code == 200


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_it_locks_a_desk_account_out_after_five_wrong_passwords(client, people):
    for _ in range(5):
        response = login(client, "editor", "wrong-password-1")
        assert response.status_code in (200, 429)
    response = login(client, "editor")  # the right password, too late
    assert response.status_code == 429
    assert "محاولات" in response.content.decode()
    assert not logged_in(client)


def test_it_still_lets_the_user_in_from_another_address(client, people):
    for _ in range(5):
        login(client, "editor", "wrong-password-1")
    other = Client(REMOTE_ADDR="198.51.100.20")
    response = other.post(LOGIN, {"username": "editor", "password": "editor-Pass-1234!"})
    assert response.status_code == 302
    assert logged_in(other)


def test_it_forgets_failures_after_a_good_login(client, people):
    for _ in range(4):
        login(client, "editor", "wrong-password-1")
    assert login(client, "editor").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "editor", "wrong-password-1")
    assert login(client, "editor").status_code == 302


def test_it_logs_staff_without_two_factor_in_with_the_password_alone(client, people):
    response = login(client, "moderator")
    assert response.status_code == 302
    assert logged_in(client)


def test_it_asks_for_the_code_when_two_factor_is_on(client, people):
    device = TOTPDevice.objects.create(user=people["editor"], name="app", confirmed=True)
    response = login(client, "editor")
    assert response.status_code == 200
    assert "أدخل الرمز" in response.content.decode()
    assert not logged_in(client)
    response = login(client, "editor", otp_token="1")
    assert response.status_code == 200 and not logged_in(client)
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next try wait, by design
    response = login(client, "editor", otp_token=code_for(device))
    assert response.status_code == 302
    assert logged_in(client)
    assert client.session.get("otp_device_id") == device.persistent_id


def test_it_turns_two_factor_on_and_off_from_the_desk(client, people):
    client.force_login(people["reporter"])
    page = client.get("/desk/two-factor/")
    assert page.status_code == 200
    client.post("/desk/two-factor/", {"step": "start"})
    page = client.get("/desk/two-factor/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=people["reporter"])
    assert not device.confirmed
    wrong = client.post("/desk/two-factor/", {"step": "confirm", "token": "12"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    client.post("/desk/two-factor/", {"step": "confirm", "token": code_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    # Off needs a current code, not just the open session.
    assert client.post("/desk/two-factor/", {"step": "disable", "token": "1"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    device.last_t = -1  # the code just used may not be used twice
    device.save()
    client.post("/desk/two-factor/", {"step": "disable", "token": code_for(device)})
    assert not TOTPDevice.objects.filter(user=people["reporter"]).exists()


def test_it_keeps_readers_out_of_the_two_factor_page(client, people):
    client.force_login(people["reader"])
    response = client.get("/desk/two-factor/")
    assert response.status_code == 302
    assert "/desk/login/" in response["Location"]


def test_it_ends_other_sessions_when_the_password_changes(people):
    phone, laptop = Client(), Client()
    phone.force_login(people["editor"])
    laptop.force_login(people["editor"])
    page = laptop.get("/desk/password_change/").content.decode()
    assert "csrfmiddlewaretoken" in page
    response = laptop.post(
        "/desk/password_change/",
        {
            "old_password": "editor-Pass-1234!",
            "new_password1": "a-new-Long-passphrase-93",
            "new_password2": "a-new-Long-passphrase-93",
        },
    )
    assert response.status_code == 302
    assert logged_in(laptop)  # the session that changed it stays
    assert not logged_in(phone)


@pytest.mark.parametrize(
    "password",
    ["short1!", "1234567890123", "password1234", "editor@example.org", "qwertyuiop"],
)
def test_it_refuses_weak_passwords(people, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=people["editor"])


def test_it_accepts_a_long_arabic_passphrase(people):
    validate_password("سماء زرقاء فوق طهران ٢٠٢٤", user=people["editor"])


def test_it_shows_the_code_field_on_the_login_page(client, db):
    page = client.get(LOGIN).content.decode()
    assert re.search(r'name="otp_token"[^>]*autocomplete="one-time-code"', page) or (
        'autocomplete="one-time-code"' in page and 'name="otp_token"' in page
    )


def test_it_links_the_two_factor_page_from_every_desk_page(client, people):
    client.force_login(people["editor"])
    page = client.get("/desk/").content.decode()
    assert 'href="/desk/two-factor/"' in page
    assert "الدخول بخطوتين" in page


def turn_on_two_factor(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Through the desk page, as a user does; returns the device and the backup codes shown."""
    client.force_login(user)
    client.post("/desk/two-factor/", {"step": "start"})
    device = TOTPDevice.objects.get(user=user)
    client.post("/desk/two-factor/", {"step": "confirm", "token": code_for(device)})
    page = client.get("/desk/two-factor/").content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    return TOTPDevice.objects.get(pk=device.pk), codes


def test_it_gives_backup_codes_that_sign_in_once_each(client, people):
    device, codes = turn_on_two_factor(client, people["editor"])
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the next visit counts them instead.
    again = client.get("/desk/two-factor/").content.decode()
    assert codes[0] not in again and "10" in again
    client.logout()
    assert login(client, "editor", otp_token=codes[0]).status_code == 302
    assert logged_in(client)
    client.logout()
    used = login(client, "editor", otp_token=codes[0], ip="203.0.113.8")
    assert used.status_code == 200 and not logged_in(client)


def test_it_makes_new_backup_codes_only_with_a_current_code(client, people):
    device, codes = turn_on_two_factor(client, people["reporter"])
    refused = client.post("/desk/two-factor/", {"step": "codes", "token": "000000"})
    assert refused.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    device.last_t = -1  # the code that turned it on may be used once more here
    device.save()
    client.post("/desk/two-factor/", {"step": "codes", "token": code_for(device)})
    fresh = re.findall(
        r"<li><code>([a-z0-9]+)</code></li>", client.get("/desk/two-factor/").content.decode()
    )
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    client.logout()
    assert login(client, "reporter", otp_token=codes[1]).status_code == 200  # old: refused
    assert not logged_in(client)


def test_it_sends_staff_without_two_factor_to_set_it_up_when_the_site_requires_it(
    settings, client, people
):

    client.force_login(people["editor"])
    assert client.get("/desk/").status_code == 200  # optional by default
    settings.KHABAR_REQUIRE_TWO_FACTOR = True
    response = client.get("/desk/articles/article/")
    assert response.status_code == 302 and response["Location"] == "/desk/two-factor/"
    page = client.get("/desk/two-factor/").content.decode()
    assert "فعّل الدخول بخطوتين لتستخدم المكتب: إنه مطلوب هنا." in page
    device, _codes = turn_on_two_factor(client, people["editor"])
    assert client.get("/desk/articles/article/").status_code == 200
    page = client.get("/desk/two-factor/").content.decode()
    assert "الدخول بخطوتين مطلوب لمكتب هذا الموقع." in page and 'value="disable"' not in page
    # Required: it cannot be turned off.
    device.throttle_reset()
    device.last_t = -1
    device.save()
    client.post("/desk/two-factor/", {"step": "disable", "token": code_for(device)})
    assert TOTPDevice.objects.filter(user=people["editor"], confirmed=True).exists()


def test_it_pauses_an_address_that_sprays_passwords_over_many_accounts(settings, client, people):

    settings.KHABAR_LOGIN_ADDRESS_FAILURES = 12
    # Three wrong passwords on each of four accounts: no account reaches its own limit (5).
    for name in ("reporter", "editor", "reader", "outsider"):
        for _ in range(3):
            assert login(client, name, "Winter2026!").status_code == 200
    response = login(client, "moderator")  # the right password, from the same address
    assert response.status_code == 200 and not logged_in(client)
    assert "محاولات دخول فاشلة كثيرة من عنوانك" in response.content.decode()
    elsewhere = Client(REMOTE_ADDR="198.51.100.30")
    assert elsewhere.post(LOGIN, {"username": "moderator", "password": "moderator-Pass-1234!"})
    assert logged_in(elsewhere)
