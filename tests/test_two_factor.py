"""Two-factor sign-in per session: sessions opened before it, staff privileges everywhere,
backup codes and the wait after wrong codes."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from khabar.comments import spam
from khabar.comments.models import Comment, Status
from khabar.security import auth
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db

LOGIN = "/desk/login/?next=/desk/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def required(settings):
    settings.KHABAR_REQUIRE_TWO_FACTOR = True


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def signed_in(username: str, ip: str = "203.0.113.7", **extra: str) -> Client:
    """A browser that signed in through the desk's form (the password, and a code if asked)."""
    client = Client(REMOTE_ADDR=ip)
    data = {"username": username, "password": f"{username}-Pass-1234!", **extra}
    response = client.post(LOGIN, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def in_desk(client: Client) -> bool:
    return client.get("/desk/").status_code == 200


def turn_on(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Through the two-factor page, as a person does: start, scan, confirm a code."""
    client.post("/desk/two-factor/", {"step": "start"})
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/desk/two-factor/", {"step": "confirm", "token": code_for(device)})
    assert response.status_code == 302
    page = client.get("/desk/two-factor/").content.decode()
    return TOTPDevice.objects.get(pk=device.pk), re.findall(r"<li><code>(\w+)</code></li>", page)


def ready_for_another_code(device: TOTPDevice) -> None:
    """The next time step's code, in effect: a used code is never accepted twice."""
    device.refresh_from_db()
    device.throttle_reset(commit=False)
    device.last_t = -1
    device.save()


def test_it_signs_out_a_session_opened_before_two_factor_was_turned_on(people):
    phone = signed_in("editor")
    laptop = signed_in("editor", ip="198.51.100.4")
    turn_on(laptop, people["editor"])
    assert in_desk(laptop)  # the session that proved a code stays
    response = phone.get("/desk/")
    assert response.status_code == 302 and response["Location"].startswith("/desk/login/")
    assert not in_desk(phone)  # and it stays out: the password alone no longer opens it


def test_it_refuses_the_old_session_on_the_reader_site_too(people):
    draft = make_article(publish=False)
    phone = signed_in("chief")
    assert phone.get(draft.get_absolute_url()).status_code == 200  # preview, before
    laptop = signed_in("chief", ip="198.51.100.4")
    turn_on(laptop, people["chief"])
    assert phone.get(draft.get_absolute_url()).status_code == 404
    assert laptop.get(draft.get_absolute_url()).status_code == 200


def test_it_refuses_the_old_session_when_two_factor_is_required(people, required):
    phone = signed_in("editor")
    laptop = signed_in("editor", ip="198.51.100.4")
    assert laptop.get("/desk/articles/article/")["Location"] == "/desk/two-factor/"
    turn_on(laptop, people["editor"])
    assert laptop.get("/desk/articles/article/").status_code == 200
    assert phone.get("/desk/articles/article/").status_code == 302
    assert not in_desk(phone)


def test_it_refuses_a_required_two_factor_chief_a_draft_preview(people, required):
    draft = make_article(publish=False)
    chief = signed_in("chief")
    assert chief.get(draft.get_absolute_url()).status_code == 404
    turn_on(chief, people["chief"])
    assert chief.get(draft.get_absolute_url()).status_code == 200


def test_it_holds_an_unverified_chiefs_comment_for_moderation(people, required):
    story = make_article(section=make_section())  # pre-moderated
    chief = signed_in("chief")
    form = {
        "thread": story.thread_key,
        "stamp": spam.make_stamp(story.thread_key, now=time.time() - 30),
        "author": "رئيس التحرير",
        "text": "تعليق من رئيس التحرير",
    }
    chief.post("/comments/post/", form)
    assert Comment.objects.get().status == Status.PENDING  # a reader's comment, not staff's
    turn_on(chief, people["chief"])
    chief.post("/comments/post/", {**form, "text": "تعليق ثان بعد التحقق"})
    assert Comment.objects.get(text="تعليق ثان بعد التحقق").status == Status.APPROVED


def test_it_keeps_the_account_itself_privileged(people, required):
    view = auth.unprivileged(people["chief"])
    assert not view.is_staff and not view.has_perm("articles.preview_article")
    with pytest.raises(RuntimeError):
        view.save()
    people["chief"].refresh_from_db()
    assert people["chief"].is_staff and people["chief"].has_perm("articles.preview_article")


def test_it_draws_the_qr_code_as_a_complete_svg_document(people):
    client = signed_in("reporter")
    client.post("/desk/two-factor/", {"step": "start"})
    page = client.get("/desk/two-factor/").content.decode()
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    svg = base64.b64decode(data).decode()
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_it_takes_backup_codes_in_any_case_without_making_the_app_wait(people):
    client = signed_in("editor")
    device, codes = turn_on(client, people["editor"])
    other = Client(REMOTE_ADDR="198.51.100.9")
    data = {"username": "editor", "password": "editor-Pass-1234!"}
    typed = " ".join([codes[0][:4].upper(), codes[0][4:].upper()])
    assert other.post(LOGIN, {**data, "otp_token": typed}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # a backup code is no wrong app code
    ready_for_another_code(device)
    third = Client(REMOTE_ADDR="198.51.100.10")
    assert third.post(LOGIN, {**data, "otp_token": code_for(device)}).status_code == 302


def in_english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_it_says_how_long_to_wait_after_a_wrong_code(people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    client = signed_in("editor")
    device, codes = turn_on(client, people["editor"])
    ready_for_another_code(device)
    other = in_english(Client(REMOTE_ADDR="198.51.100.9"))
    data = {"username": "editor", "password": "editor-Pass-1234!"}
    wrong = other.post(LOGIN, {**data, "otp_token": "000000"}).content.decode()
    assert "The code is not right or has expired" in wrong
    right = other.post(LOGIN, {**data, "otp_token": code_for(device)})
    page = right.content.decode()
    assert right.status_code == 200 and not in_desk(other)
    assert re.search(r"Too many wrong codes: wait (29|30) seconds, then enter", page)
    assert "not right" not in page
    # The backup codes do not wait for the app.
    assert other.post(LOGIN, {**data, "otp_token": codes[0]}).status_code == 302


def test_it_says_how_long_to_wait_on_the_two_factor_page(people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    client = in_english(signed_in("reporter"))
    client.post("/desk/two-factor/", {"step": "start"})
    device = TOTPDevice.objects.get(user=people["reporter"])
    client.post("/desk/two-factor/", {"step": "confirm", "token": "000000"})
    response = client.post("/desk/two-factor/", {"step": "confirm", "token": code_for(device)})
    assert response.status_code == 400
    assert re.search(r"wait (29|30) seconds", response.content.decode())
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_it_keeps_a_session_signed_in_with_a_backup_code_after_making_new_ones(people):
    client = signed_in("editor")
    device, codes = turn_on(client, people["editor"])
    other = signed_in("editor", ip="198.51.100.9", otp_token=codes[0])
    ready_for_another_code(device)
    other.post("/desk/two-factor/", {"step": "codes", "token": code_for(device)})
    assert in_desk(other)


def test_it_ends_other_verified_sessions_when_the_password_changes(people):
    laptop = signed_in("editor")
    device, _codes = turn_on(laptop, people["editor"])
    ready_for_another_code(device)
    phone = signed_in("editor", ip="198.51.100.9", otp_token=code_for(device))
    assert in_desk(phone)
    new = "a-new-Long-passphrase-93"
    laptop.post(
        "/desk/password_change/",
        {"old_password": "editor-Pass-1234!", "new_password1": new, "new_password2": new},
    )
    assert in_desk(laptop) and not in_desk(phone)
