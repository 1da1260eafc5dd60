"""Distribution over SFTP (Debian's OpenSSH server in a throwaway folder on loopback) and
email (aiosmtpd): one file per item renamed into place, the wire text by mail, both with the
delivery's stable id."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from khabar.distribution import actions
from khabar.distribution.models import Delivery, DeliveryStatus, Format, Transport
from khabar.distribution.sender import OutboxSender
from khabar.site import actors
from khabar.test import make_article
from ops.topology import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("distribution")]


def publish():
    return make_article()  # publishing queues the deliveries (khabar.site.hooks)


def subscribe(url: str, **options):
    subscriber = actions.add_subscriber("alice-news", actor=actors.COMMAND_LINE)
    return actions.add_destination(subscriber, actor=actors.COMMAND_LINE, url=url, **options)


@pytest.fixture
def sender() -> Iterator[OutboxSender]:
    s = OutboxSender()
    yield s
    s.close()


def test_it_uploads_one_file_per_item_and_renames_it_into_place(sshd, sender):
    inbox = sshd.inbox
    subscribe(sshd.address, transport=Transport.SFTP, format=Format.NEWSML, ssh_key=sshd.client_key)
    article = publish()
    sender.drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.error
    files = sorted(p.name for p in inbox.iterdir())
    assert files == [f"{delivery.key}.xml"]  # nothing half-written left behind
    assert b"newsItem" in (inbox / files[0]).read_bytes()
    # Sent again, it lands under the same name: the subscriber has one file, not two.
    actions.resend_delivery(delivery, actor=actors.COMMAND_LINE)
    sender.drain()
    assert sorted(p.name for p in inbox.iterdir()) == files
    assert Delivery.objects.get().attempts == 2
    del article


def test_it_refuses_an_sftp_host_whose_key_does_not_match(sshd, sender):
    inbox = sshd.inbox
    url = f"{sshd.address}?fingerprint=SHA256:wrong"
    subscribe(url, transport=Transport.SFTP, ssh_key=sshd.client_key)
    publish()
    sender()
    deadline = time.monotonic() + 10
    while not Delivery.objects.filter(attempts=1, status=DeliveryStatus.PENDING).exists():
        assert time.monotonic() < deadline
        sender()
        time.sleep(0.02)
    assert "host key" in Delivery.objects.get().error
    assert list(inbox.iterdir()) == []


class Collect:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names it
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Collect]]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_it_mails_the_wire_text_with_the_delivery_id_as_message_id(smtp, sender):
    import email

    port, handler = smtp
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    ):
        subscribe("desk@small-paper.example", transport=Transport.EMAIL, format=Format.WIRE)
        article = publish()
        sender.drain()
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.DELIVERED, delivery.error
        actions.resend_delivery(delivery, actor=actors.COMMAND_LINE)
        sender.drain()
    first, second = (email.message_from_bytes(m) for m in handler.messages)
    assert first["Message-ID"] == second["Message-ID"] == f"<{delivery.key}@khabar>"
    text = first.get_payload(decode=True).decode().replace("\r\n", "\n")  # mail lines end CRLF
    assert text.startswith(article.headline + "\n\n") and "انتهى ** 2342" in text
