"""Mail through a real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS, then a password.

The settings come from the environment as in production (settings.py read again with the
EMAIL_* variables set); the worker sends the reply mail through Django's SMTP backend.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import runpy
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khabar.comments import actions
from khabar.lib.env import ConfigError
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "khabar-mailer", "s3cret pass:with=signs"


@dataclass
class Received:
    """What the server saw: each message's envelope and whether TLS and a login preceded it."""

    messages: list[tuple[str, list[str], bytes, bool, bool]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
                session.authenticated,
            )
        )
        return "250 OK"


def check_password(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def smtp_server(certificate, monkeypatch):
    """aiosmtpd with STARTTLS required before AUTH, and AUTH required before mail."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The client checks the certificate as it would a real server's: trust this one.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    received = Received()
    controller = Controller(
        received,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=check_password,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield controller, received
    controller.stop()


def settings_from_env(monkeypatch, tmp_path, **env: str) -> dict[str, object]:
    """settings.py read again with these variables set, as a process starting would."""
    monkeypatch.setenv("KHABAR_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "khabar" / "settings.py"))


def email_settings(values: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in values.items() if name.startswith("EMAIL_")}


def smtp_env(port: int, password: str = PASSWORD) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_HOST_USER": USER,
        "EMAIL_HOST_PASSWORD": password,
        "EMAIL_USE_TLS": "1",
        "EMAIL_TIMEOUT": "10",
        "DEFAULT_FROM_EMAIL": "newsroom@news.example.org",
    }


def a_reply(people) -> None:
    """Sara asked for replies; Ahmad's reply is approved, which queues her mail."""
    story = make_article(section=make_section(), headline="مباحثات في موسكو")
    post = actions.post_comment
    parent = post(
        story.thread_key,
        actor=AnonymousUser(),
        author="سارة",
        email="sara@example.org",
        text="ما رأي الخبراء؟",
        notify_replies=True,
    ).comment
    actions.approve_comment(parent, actor=people["moderator"])
    reply = post(
        story.thread_key,
        actor=AnonymousUser(),
        author="أحمد",
        email="ahmad@example.org",
        text="الخبراء متفائلون بحذر.\nوالجولة المقبلة في طهران.",
        parent_id=parent.pk,
    ).comment
    actions.approve_comment(reply, actor=people["moderator"])


def test_it_reads_the_mail_server_from_the_environment(monkeypatch, tmp_path):
    values = settings_from_env(monkeypatch, tmp_path, **smtp_env(2525))
    assert email_settings(values) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": USER,
        "EMAIL_HOST_PASSWORD": PASSWORD,
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }
    monkeypatch.delenv("EMAIL_PORT")
    assert settings_from_env(monkeypatch, tmp_path)["EMAIL_PORT"] == 587


def test_it_refuses_tls_and_ssl_together_and_a_clear_text_password_in_production(
    monkeypatch, tmp_path
):
    with pytest.raises(ConfigError, match="EMAIL_USE_TLS and EMAIL_USE_SSL"):
        settings_from_env(monkeypatch, tmp_path, EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    monkeypatch.setenv("EMAIL_USE_SSL", "0")
    with pytest.raises(ConfigError, match="EMAIL_HOST_PASSWORD"):
        settings_from_env(
            monkeypatch,
            tmp_path,
            KHABAR_ENV="production",
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="news.example.org",
            EMAIL_USE_TLS="0",
            EMAIL_HOST_PASSWORD="pw",
        )


def test_it_refuses_a_password_smtplib_cannot_send(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="ASCII"):
        settings_from_env(monkeypatch, tmp_path, EMAIL_HOST_PASSWORD="كلمة-سر")


def test_it_lists_every_mail_variable_in_env_example():
    read = set(re.findall(r'env_\w+\("((?:EMAIL|DEFAULT_FROM|SERVER)_\w+)"', _settings_text()))
    listed = set(re.findall(r"^(\w+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read and read <= listed


def _settings_text() -> str:
    return (ROOT / "khabar" / "settings.py").read_text()


def test_it_sends_the_reply_mail_over_starttls_with_a_password(
    smtp_server, people, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    controller, received = smtp_server
    values = settings_from_env(monkeypatch, tmp_path, **smtp_env(controller.port))
    with override_settings(
        DEFAULT_FROM_EMAIL=values["DEFAULT_FROM_EMAIL"], **email_settings(values)
    ):
        with django_capture_on_commit_callbacks(execute=True):
            a_reply(people)
        call_command("run_worker", "--once")
    ((sender, recipients, raw, over_tls, logged_in),) = received.messages
    assert (sender, recipients, over_tls, logged_in) == (
        "newsroom@news.example.org",
        ["sara@example.org"],
        True,
        True,
    )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Content-Language"] == "ar"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert "الخبراء متفائلون بحذر." in text and '<html lang="ar" dir="rtl">' in page
    assert "ahmad@example.org" not in raw.decode("utf-8", "replace")


def test_it_tries_again_later_when_the_server_refuses_the_password(
    smtp_server, people, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    controller, received = smtp_server
    values = settings_from_env(monkeypatch, tmp_path, **smtp_env(controller.port, "wrong"))
    with override_settings(**email_settings(values)):
        with django_capture_on_commit_callbacks(execute=True):
            a_reply(people)
        call_command("run_worker", "--once")
    assert received.messages == []
    failed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == TaskResultStatus.FAILED
    assert "SMTPAuthenticationError" in failed.exception_class_path
    assert retry.status == TaskResultStatus.READY


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_reply_mail_as_a_mail_client_would(
    smtp_server, people, monkeypatch, tmp_path, page, output_dir
):
    """The HTML part as received, drawn by Chromium under the headers a mail client shows."""
    controller, received = smtp_server
    values = settings_from_env(monkeypatch, tmp_path, **smtp_env(controller.port))
    with override_settings(
        DEFAULT_FROM_EMAIL=values["DEFAULT_FROM_EMAIL"], **email_settings(values)
    ):
        a_reply(people)  # transaction=True: committed, so queued at once
        call_command("run_worker", "--once")
    ((_sender, _to, raw, _tls, _auth),) = received.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(("html",)).get_content()
    headers = "".join(
        f"<div><b>{name}:</b> <bdi>{html.escape(str(message[name]))}</bdi></div>"
        for name in ("From", "To", "Subject", "Date")
    )
    page.set_content(
        '<!doctype html><html lang="en"><body style="margin:0;font:14px sans-serif">'
        f'<header style="padding:12px;background:#eef;border-bottom:1px solid #ccd">{headers}'
        "</header>"
        f'<iframe style="border:0;width:100%;height:560px" srcdoc="{html.escape(body)}">'
        "</iframe></body></html>"
    )
    frame = page.frame_locator("iframe")
    assert frame.locator("html").get_attribute("dir") == "rtl"
    assert frame.locator('a[href*="#comment-"]').count() == 1
    assert frame.locator("blockquote").inner_text().startswith("الخبراء متفائلون بحذر.")
    page.screenshot(path=str(output_dir / "reply-mail.png"), full_page=True)
