"""Distribution (issue 17): the transactional outbox, signed idempotent webhooks, order per
destination, retries, the circuit, giving up, kills and corrections that follow every copy,
and the commands. Webhooks go to a real HTTP server on a free loopback port."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import time
from collections.abc import Iterator
from io import StringIO

import pytest
import standardwebhooks
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from khabar.articles import actions as story_actions
from khabar.articles.models import Urgency
from khabar.distribution import actions, signing
from khabar.distribution.formats import wire_text
from khabar.distribution.models import Attempt, Delivery, DeliveryStatus, Destination, Receipt
from khabar.distribution.sender import OutboxSender
from khabar.distribution.testing import Receiver
from khabar.site import actors, hooks
from khabar.test import SYSTEM, make_article, make_section, make_tag, make_user

FAST = {
    "KHABAR_DISTRIBUTION_RETRY_BASE_MS": 50,
    "KHABAR_DISTRIBUTION_RETRY_MAX": 1,
    "KHABAR_DISTRIBUTION_TIMEOUT": 2,
    "KHABAR_DISTRIBUTION_CIRCUIT_FAILURES": 3,
    "KHABAR_DISTRIBUTION_CIRCUIT_PAUSE": 1,
}
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("distribution")]


@pytest.fixture(autouse=True)
def fast():
    with override_settings(**FAST):
        yield


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def sender() -> Iterator[OutboxSender]:
    s = OutboxSender()
    yield s
    s.close()


def subscribe(url: str, name: str = "alice-news", **filters) -> Destination:
    subscriber = actions.add_subscriber(name, actor=actors.COMMAND_LINE)
    return actions.add_destination(subscriber, actor=actors.COMMAND_LINE, url=url, **filters)


# The story actions call the hook (khabar.site.hooks) in their own transaction.
def publish(**kwargs):
    return make_article(**kwargs)


def correct(article, note="تصحيح الاسم", **fields):
    return story_actions.correct_article(
        article, actor=SYSTEM, note=note, base_revision=None, **fields
    )


def withdraw(article, reason="خطأ جسيم"):
    return story_actions.withdraw_article(article, actor=SYSTEM, reason=reason, reason_public=True)


def wait_until(check, seconds=10.0, sender=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sender is not None:
            sender()
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_it_queues_deliveries_in_the_same_transaction_as_the_change(receiver):
    subscribe(receiver.url)
    article = publish()
    assert Delivery.objects.filter(article=article).count() == 1

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        story_actions.correct_article(article, actor=SYSTEM, note="x", base_revision=None)
        raise Boom
    # The rolled-back correction left no delivery behind.
    assert list(Delivery.objects.values_list("event", flat=True)) == ["published"]


def test_it_delivers_signed_webhooks_that_standardwebhooks_verifies(receiver, sender):
    destination = subscribe(receiver.url)
    article = publish()
    sender.drain()
    [got] = receiver.got
    assert got.id == Delivery.objects.get().key
    body = json.loads(got.body)
    assert body["uri"].endswith(f"/{article.pk}/") and body["pubStatus"] == "usable"
    # An independent implementation of the spec accepts the signature.
    verified = standardwebhooks.Webhook(destination.secret).verify(got.body, got.headers)
    assert verified["headline"] if "headline" in verified else verified["headlines"]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_code == 204
    assert Attempt.objects.filter(delivery=delivery, ok=True).count() == 1


def test_it_signs_with_the_old_and_new_secret_while_a_rotation_overlaps(receiver, sender):
    destination = subscribe(receiver.url)
    old = destination.secret
    new = actions.rotate_secret(destination, actor=actors.COMMAND_LINE)
    publish()
    sender.drain()
    got = receiver.got[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    # After the overlap only the new secret signs.
    Destination.objects.filter(pk=destination.pk).update(
        previous_secret_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    publish()
    sender.drain()
    got = receiver.got[1]
    standardwebhooks.Webhook(new).verify(got.body, got.headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(old).verify(got.body, got.headers)


def test_it_sends_corrections_and_kills_to_every_copy_even_after_filters_change(receiver, sender):
    destination = subscribe(receiver.url, sections=["world"])
    other = subscribe(receiver.url.replace("/hook", "/other"), name="bob-daily", sections=["x"])
    article = publish(section=make_section(slug="world"))
    sender.drain()
    # The subscriber now wants another section only: the story's copies still follow it.
    Destination.objects.filter(pk=destination.pk).update(sections=["sport"])
    article = correct(article, headline="عنوان مصحح")
    article = withdraw(article)
    sender.drain()
    events = [json.loads(g.body).get("pubStatus") for g in receiver.got]
    assert events == ["usable", "usable", "canceled"]
    assert json.loads(receiver.got[1].body)["headlines"][0]["value"] == "عنوان مصحح"
    assert "خطأ جسيم" in json.loads(receiver.got[2].body)["edNote"]
    assert not Delivery.objects.filter(destination=other).exists()


def test_it_filters_by_edition_section_urgency_and_tag(receiver):
    iran = make_tag("إيران")
    subscribe(receiver.url, editions=["ar"], min_urgency=Urgency.URGENT, tags=[iran.slug])
    skipped = [
        publish(urgency=Urgency.NORMAL, tags=[iran]),
        publish(urgency=Urgency.URGENT),
        publish(lang="en", section=make_section("en", "world", "World"), urgency=1, tags=[iran]),
    ]
    taken = publish(urgency=Urgency.FLASH, tags=[iran])
    assert list(Delivery.objects.values_list("article_id", flat=True)) == [taken.pk]
    assert not Delivery.objects.filter(article__in=skipped).exists()


def test_it_holds_an_embargoed_story_until_the_embargo_lifts(receiver):
    subscribe(receiver.url)
    until = timezone.now() + datetime.timedelta(hours=1)
    article = publish(embargo_until=until)
    assert not Delivery.objects.exists()
    with transaction.atomic():
        type(article).objects.filter(pk=article.pk).update(
            embargo_until=timezone.now() - datetime.timedelta(seconds=1)
        )
        hooks.story_changed(article, "embargo_lifted")
        hooks.story_changed(article, "embargo_lifted")  # the worker's loop says it again
    assert list(Delivery.objects.values_list("event", flat=True)) == ["published"]


def test_it_keeps_order_and_loses_nothing_when_a_receiver_is_down_then_up(sender):
    receiver = Receiver().start()
    port = receiver.server.server_address[1]
    url = receiver.url
    receiver.stop()  # down: connections are refused
    subscribe(url)
    stories = [publish() for _ in range(3)]
    stories[0] = correct(stories[0])
    stories[1] = withdraw(stories[1])
    for _ in range(10):
        sender()
        time.sleep(0.02)
    assert Delivery.objects.filter(attempts__gt=0, status=DeliveryStatus.PENDING).exists()
    assert not Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()
    up = Receiver().start(port)
    try:
        # The circuit may have paused the destination: it resumes by itself.
        wait_until(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 5,
            sender=sender,
        )
        sender.drain()
        keys = list(Delivery.objects.order_by("pk").values_list("key", flat=True))
        assert sorted(set(up.ids)) == sorted(keys)  # nothing lost
        # Each story's versions arrived in order.
        for story in stories:
            mine = [i for i in up.ids if i.startswith(f"khabar-{story.pk}-")]
            assert mine == sorted(set(mine), key=lambda k: int(k.split("-v")[1].split("-")[0]))
    finally:
        up.stop()


def test_it_retries_a_500_and_a_hang_without_holding_up_the_others(sender):
    good, failing, hanging = Receiver().start(), Receiver(mode="fail").start(), None
    hanging = Receiver(mode="hang").start()
    try:
        subscribe(good.url, name="good")
        subscribe(failing.url, name="failing")
        subscribe(hanging.url, name="hanging")
        started = time.monotonic()
        first = publish()
        wait_until(lambda: len(good.got) == 1, sender=sender)
        second = publish()
        wait_until(lambda: len(good.got) == 2, sender=sender)
        # The good subscriber got both while the hanging one still holds its first request.
        assert time.monotonic() - started < 2
        assert hanging.hits >= 1
        wait_until(lambda: failing.hits >= 3, sender=sender)
        tries = Attempt.objects.filter(delivery__destination__subscriber__name="failing")
        assert {(t.ok, t.response_code, t.response) for t in tries} == {
            (False, 500, "receiver is broken")
        }
        assert not Delivery.objects.filter(
            destination__subscriber__name="failing", status=DeliveryStatus.DELIVERED
        ).exists()
        # Once they work again, they get everything.
        failing.mode = "ok"
        hanging.mode = "ok"
        hanging.release.set()
        wait_until(
            lambda: (
                {first.pk, second.pk} <= {int(i.split("-")[1]) for i in failing.ids}
                and {first.pk, second.pk} <= {int(i.split("-")[1]) for i in hanging.ids}
            ),
            seconds=20,
            sender=sender,
        )
    finally:
        for r in (good, failing, hanging):
            r.stop()


def test_it_pauses_a_destination_that_keeps_failing_and_resumes_it(sender):
    failing = Receiver(mode="fail").start()
    try:
        destination = subscribe(failing.url)
        for _ in range(4):
            publish()
        wait_until(
            lambda: Destination.objects.get(pk=destination.pk).paused_until is not None,
            sender=sender,
        )
        hits = failing.hits
        for _ in range(10):
            sender()
            time.sleep(0.02)
        assert failing.hits == hits  # paused: nothing sent
        failing.mode = "ok"
        wait_until(lambda: len(set(failing.ids)) == 4, seconds=15, sender=sender)
        destination.refresh_from_db()
        assert destination.failures == 0 and destination.paused_until is None
    finally:
        failing.stop()


def test_it_gives_up_after_the_dead_after_time_and_alerts_the_chiefs(sender):
    make_user("chief", "chief")
    subscribe("http://127.0.0.1:9/nothing-listens-here")
    publish()
    wait_until(Attempt.objects.exists, sender=sender)
    Delivery.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert actions.give_up_stale_deliveries(actor=actions.DISTRIBUTION) == 1
    assert Delivery.objects.get().status == DeliveryStatus.DEAD
    [alert] = mail.outbox
    assert alert.to == ["chief@example.org"]
    out = StringIO()
    call_command("deliveries", "--failed", stdout=out)
    assert "dead" in out.getvalue()
    # The desk can send it again, with the same id.
    delivery = Delivery.objects.get()
    assert actions.resend_delivery(delivery, actor=make_user("boss", "chief"))
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_it_sends_a_duplicate_with_the_same_id_when_resent(receiver, sender):
    subscribe(receiver.url)
    publish()
    sender.drain()
    chief = make_user("chief", "chief")
    assert actions.replay_deliveries(
        actor=chief,
        since=timezone.now() - datetime.timedelta(minutes=5),
        until=timezone.now(),
    )
    sender.drain()
    assert len(receiver.ids) == 2 and len(set(receiver.ids)) == 1


def test_it_requires_the_right_actor():
    from django.core.exceptions import PermissionDenied

    reader = make_user("reader")
    with pytest.raises(PermissionDenied):
        actions.add_subscriber("x", actor=reader)
    with pytest.raises(PermissionDenied):
        actions.add_subscriber("x", actor=actions.DISTRIBUTION)
    assert actions.DISTRIBUTION.has_perm("distribution.send_delivery")
    assert not actions.DISTRIBUTION.has_perm("articles.publish_article")


def test_it_renders_the_wire_text_as_the_sample_and_a_kill_notice():
    article = make_article(
        headline="مباحثات ايرانية روسية",
        body="تباحث نائب وزير الخارجية.\n\nوشكر موسكو.",
        dateline_city="موسكو",
        dateline_date=datetime.date(2023, 10, 26),
        dateline_agency="ارنا",
        signoff="2342",
    )
    assert wire_text(article) == (
        "مباحثات ايرانية روسية\n\n"
        "موسكو / 26 تشرين الأول /أكتوبر/ارنا- تباحث نائب وزير الخارجية.\n\n"
        "وشكر موسكو.\n\n"
        "انتهى ** 2342\n"
    )
    from khabar.wire import parse_wire

    killed = story_actions.withdraw_article(article, actor=SYSTEM, reason="خطأ", reason_public=True)
    notice = wire_text(killed)
    parsed = parse_wire(notice.encode(), year=2023)
    assert parsed.headline.endswith("مباحثات ايرانية روسية") and "خطأ" in parsed.body[0]
    assert parsed.headline != article.headline


def test_the_subscriber_and_deliveries_commands(receiver, sender):
    out = StringIO()
    call_command(
        "subscriber",
        "add",
        "alice-news",
        "--webhook",
        receiver.url,
        "--format",
        "wire",
        "--edition",
        "ar",
        "--section",
        "world",
        "--min-urgency",
        "urgent",
        stdout=out,
    )
    lines = out.getvalue().split()
    secret = lines[lines.index("secret") + 1]
    assert secret.startswith("whsec_") and signing.secret_bytes(secret)
    destination = Destination.objects.get()
    assert destination.secret == secret and destination.min_urgency == Urgency.URGENT
    given = signing.new_secret()
    out = StringIO()
    call_command(
        "subscriber", "add", "bob", "--webhook", receiver.url, "--secret", given, stdout=out
    )
    assert "secret" not in out.getvalue()
    out = StringIO()
    call_command("subscriber", "list", stdout=out)
    assert "alice-news" in out.getvalue() and "section=world" in out.getvalue()
    article = publish(urgency=Urgency.FLASH)
    sender.drain()
    [wire] = [g for g in receiver.got if g.headers["content-type"].startswith("text/plain")]
    assert wire.body.decode().startswith(article.headline + "\n\n")
    out = StringIO()
    call_command("deliveries", "--story", str(article.pk), "--subscriber", "alice-news", stdout=out)
    assert "delivered" in out.getvalue() and f"khabar-{article.pk}-v1" in out.getvalue()
    call_command("subscriber", "remove", "bob", stdout=StringIO())
    assert list(Destination.objects.values_list("subscriber__name", flat=True)) == ["alice-news"]


def test_the_demo_receiver_verifies_and_records_what_it_gets(client, sender, live_server):
    call_command("distribution_demo", stdout=StringIO())
    destination = Destination.objects.get()
    Destination.objects.filter(pk=destination.pk).update(
        url=live_server.url + f"/distribution/receiver/{destination.pk}/"
    )
    publish()
    # The live server answers on this test's own SQLite connection: nothing may query it from
    # here while the receiver writes (a commit then fails with statements in progress), so
    # the delivery is sent and its answer awaited before the sender looks at the outbox again.
    sender.dispatch()
    concurrent.futures.wait(list(sender.flights))
    sender.drain()
    receipt = Receipt.objects.get()
    assert receipt.verified and not receipt.duplicate and receipt.event == "published"
    assert (
        client.post(
            f"/distribution/receiver/{destination.pk}/", b"{}", content_type="application/json"
        ).status_code
        == 401
    )
