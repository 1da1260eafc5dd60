"""A live story's updates for partners: each one an associated item in ninjs 3.1 (and 2.2),
in the NewsML-G2 item's content, in the feeds; and distribution: a new update or a
correction of one is queued, like a correction, for every destination that has the story,
once per change, with its own delivery id."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import transaction
from lxml import etree

from khabar.distribution import actions as distribution_actions
from khabar.distribution.models import Delivery, Destination
from khabar.distribution.outbox import queue_story_change
from khabar.distribution.sender import OutboxSender
from khabar.distribution.testing import Receiver
from khabar.live import actions as live_actions
from khabar.site import actors
from khabar.syndication.newsml import schema_errors as newsml_errors
from khabar.syndication.newsml import to_newsml
from khabar.syndication.ninjs import LIVE_UPDATE, schema_errors, to_ninjs
from khabar.syndication.story import iso
from khabar.test import SYSTEM, make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("distribution")]

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def subscribe(url: str, name: str = "alice-news", **filters) -> Destination:
    subscriber = distribution_actions.add_subscriber(name, actor=actors.COMMAND_LINE)
    return distribution_actions.add_destination(
        subscriber, actor=actors.COMMAND_LINE, url=url, **filters
    )


def live_story(people, **kwargs):
    story = make_article(headline="زلزال بقوة ست درجات", **kwargs)
    live = live_actions.start_live(story, actor=people["editor"])
    first = live_actions.post_update(live, actor=SYSTEM, text="فرق الإنقاذ تصل.", signoff="2342")
    second = live_actions.post_update(live, actor=SYSTEM, text="ارتفاع عدد الجرحى\nإلى عشرة.")
    return story, live, first, second


def test_it_associates_each_update_in_ninjs_3_1(people):
    story, _live, first, second = live_story(people)
    first = live_actions.correct_update(
        first, actor=people["editor"], text="فرق الإنقاذ تصل <b>الآن</b>.", note="الوقت"
    )
    doc = to_ninjs(story, "3.1")
    assert schema_errors(doc, "3.1") == []
    updates = [a for a in doc["associations"] if a.get("rel") == LIVE_UPDATE]
    assert [u["name"] for u in updates] == [f"update-{first.pk}", f"update-{second.pk}"]
    one, two = updates
    assert one["uri"].endswith(f"/{story.pk}/#update-{first.pk}")
    assert one["firstCreated"] == iso(first.created_at)
    assert one["versionCreated"] == iso(first.corrected_at)
    assert one["bodies"][0]["value"] == "<p>فرق الإنقاذ تصل &lt;b&gt;الآن&lt;/b&gt;.</p>"
    assert one["descriptions"] == [{"role": "correction", "value": "الوقت"}]
    assert one["altIds"] == [{"role": "signoff", "value": "2342"}]
    assert two["bodies"][0]["value"] == "<p>ارتفاع عدد الجرحى<br>إلى عشرة.</p>"
    # The story is as new as its latest change.
    assert doc["versionCreated"] == one["versionCreated"]
    assert schema_errors(to_ninjs(story, "2.2"), "2.2") == []
    assert "associations" not in to_ninjs(make_article(headline="خبر عادي"), "3.1")


def test_it_puts_the_updates_in_the_newsml_item(people):
    story, _live, first, second = live_story(people)
    root = etree.fromstring(to_newsml(story))
    assert newsml_errors(root) == []
    divs = root.findall(f".//{XHTML}div[@class='live-update']")
    # Newest first, as on the page.
    assert [d.get("id") for d in divs] == [f"update-{second.pk}", f"update-{first.pk}"]
    assert "فرق الإنقاذ تصل." in etree.tostring(divs[1], encoding="unicode")


def test_it_lists_the_updates_in_the_feed_entry(client, people):
    story, _live, _first, second = live_story(people, section=make_section())
    body = client.get(f"/{story.lang}/feed/rss.xml").content.decode()
    assert f'id="update-{second.pk}"' in body and "فرق الإنقاذ تصل." in body


def test_it_queues_each_update_and_correction_for_every_copy(receiver, people):
    destination = subscribe(receiver.url, sections=["world"])
    other = subscribe(receiver.url.replace("/hook", "/o"), name="bob-daily", sections=["x"])
    story, _live, first, second = live_story(people, section=make_section(slug="world"))
    # The subscriber's filter changes: the story's updates still follow its copy.
    Destination.objects.filter(pk=destination.pk).update(sections=["sport"])
    live_actions.correct_update(first, actor=people["editor"], text="فرق الإنقاذ وصلت.")
    rows = list(Delivery.objects.filter(destination=destination).order_by("pk"))
    assert [r.event for r in rows] == ["published", "live_updated", "live_updated", "live_updated"]
    keys = [r.key for r in rows[1:]]
    v = story.version
    assert keys == [
        f"khabar-{story.pk}-v{v}-live_updated-u{first.pk}.2-d{destination.pk}",
        f"khabar-{story.pk}-v{v}-live_updated-u{second.pk}.3-d{destination.pk}",
        f"khabar-{story.pk}-v{v}-live_updated-u{first.pk}.4-d{destination.pk}",
    ]
    assert not Delivery.objects.filter(destination=other).exists()
    # Asked again for the same change, the outbox queues nothing new.
    assert queue_story_change(story, "live_updated") == []
    # What the last one carries: the story with its updates as they stand.
    last = json.loads(bytes(rows[-1].copy.body))
    bodies = [a["bodies"][0]["value"] for a in last["associations"] if a.get("rel")]
    assert bodies[0] == "<p>فرق الإنقاذ وصلت.</p>"
    # Pinning changes no copy: nothing is queued.
    live_actions.pin_update(second, actor=people["editor"], pinned=True)
    assert Delivery.objects.filter(destination=destination).count() == 4


def test_it_queues_the_update_in_its_own_transaction(receiver, people):
    subscribe(receiver.url)
    _story, live, _first, _second = live_story(people)
    before = Delivery.objects.count()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        live_actions.post_update(live, actor=SYSTEM, text="تحديث لن يبقى.")
        raise Boom
    assert Delivery.objects.count() == before


def test_it_sends_updates_in_order_with_their_ids(receiver, people):
    subscribe(receiver.url)
    _story, _live, _first, _second = live_story(people)
    sender = OutboxSender()
    try:
        sender.drain()
    finally:
        sender.close()
    assert [g.headers["khabar-event"] for g in receiver.got] == [
        "published",
        "live_updated",
        "live_updated",
    ]
    assert [g.id for g in receiver.got] == list(
        Delivery.objects.order_by("pk").values_list("key", flat=True)
    )
    last = json.loads(receiver.got[-1].body)
    assert len([a for a in last["associations"] if a.get("rel") == LIVE_UPDATE]) == 2
