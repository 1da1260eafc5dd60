"""Live stories: actions with their actor, the page, the stream, polling and the ticker."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from khabar.articles.models import Urgency
from khabar.live import actions, hub
from khabar.live.models import LiveState, LiveUpdate
from khabar.test import SYSTEM, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(people):
    story = make_article(headline="زلزال في شمال البلاد")
    return actions.start_live(story, actor=people["editor"])


def test_it_refuses_a_write_without_an_actor(live):
    with pytest.raises(PermissionDenied):
        actions.post_update(live, actor=None, text="تحديث")


def test_it_refuses_a_reporter(live, people):
    with pytest.raises(PermissionDenied):
        actions.post_update(live, actor=people["reporter"], text="تحديث")
    with pytest.raises(PermissionDenied):
        actions.start_live(make_article(), actor=people["reporter"])


def test_it_numbers_every_change(live, people):
    start = live.seq
    first = actions.post_update(live, actor=people["editor"], text="أول", signoff="2342")
    second = actions.post_update(live, actor=SYSTEM, text="ثان")
    assert (first.seq, second.seq) == (start + 1, start + 2)
    corrected = actions.correct_update(first, actor=people["chief"], text="أول مصحح", note="رقم")
    assert corrected.seq == start + 3 and corrected.corrected_at is not None
    pinned = actions.pin_update(second, actor=people["editor"], pinned=True)
    assert pinned.pinned and pinned.seq == start + 4
    assert second.actor == "system:tests" and first.created_by == people["editor"]
    assert [u.pk for u in live.updates.for_page()] == [second.pk, first.pk]


def test_it_takes_no_update_after_the_end(live, people):
    ended = actions.end_live(live, actor=people["editor"])
    assert ended.state == LiveState.ENDED
    with pytest.raises(PermissionDenied):
        actions.post_update(ended, actor=people["editor"], text="متأخر")


def test_it_purges_the_story_page_after_commit(live, people, django_capture_on_commit_callbacks):
    with mock.patch("khabar.site.pagecache.purge_keys") as purge:
        with django_capture_on_commit_callbacks(execute=True):
            actions.post_update(live, actor=people["editor"], text="تحديث")
    purge.assert_called_once_with(
        [f"a:{live.article_id}", f"live:{live.article_id}", f"f:{live.article.lang}"]
    )


def test_it_shows_updates_newest_first_on_the_page(client, live, people):
    actions.post_update(live, actor=people["editor"], text="التحديث الأول", signoff="2342")
    actions.post_update(live, actor=people["editor"], text="التحديث الثاني")
    page = client.get(live.article.get_absolute_url()).content.decode()
    assert page.index("التحديث الثاني") < page.index("التحديث الأول")
    assert 'aria-live="polite"' in page and "<bdi>2342</bdi>" in page
    assert f'data-live-events="/live/{live.article_id}/events"' in page


def test_it_streams_what_changed_since_the_last_event(client, live, people):
    old = actions.post_update(live, actor=people["editor"], text="قديم")
    new = actions.post_update(live, actor=people["editor"], text="جديد")
    with override_settings(KHABAR_LIVE_HOLD=0.3, KHABAR_LIVE_HEARTBEAT=0.1):
        response = client.get(f"/live/{live.article_id}/events", HTTP_LAST_EVENT_ID=str(old.seq))
        body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/event-stream"
    assert response["X-Accel-Buffering"] == "no"
    assert "جديد" in body and "قديم" not in body
    assert f"id: {new.seq}\nevent: update" in body


def test_it_shares_one_poll_among_readers_of_a_story(live, people):
    shared = hub.Hub(interval=0.05)
    assert shared.wait(live.pk, live.seq, 0.1) == (live.seq, b"")
    update = actions.post_update(live, actor=people["editor"], text="للجميع")
    polls = shared.polls
    results = [shared.wait(live.pk, live.seq - 1, 1) for _reader in range(50)]
    assert shared.polls - polls <= 1
    assert all(seq == update.live.seq and "للجميع".encode() in chunk for seq, chunk in results)


def test_it_answers_polling_with_the_latest_changes(client, live, people):
    actions.post_update(live, actor=people["editor"], text="للمتصفحات بلا بث")
    response = client.get(f"/live/{live.article_id}/updates.json")
    data = json.loads(response.content)
    assert data["state"] == "open" and data["seq"] == live.seq
    assert "للمتصفحات بلا بث" in data["updates"][-1]["html"]


def test_it_lists_urgent_stories_in_every_pages_ticker(client, people):
    urgent = make_article(headline="عاجل: انفجار في المرفأ", urgency=Urgency.URGENT)
    story = make_article(headline="خبر عادي")
    page = client.get(story.get_absolute_url()).content.decode()
    assert "عاجل: انفجار في المرفأ" in page
    data = json.loads(client.get("/live/ticker/ar.json").content)
    assert data["items"][0]["url"] == urgent.get_absolute_url()


def test_it_leaves_stories_that_are_not_live_alone(client):
    story = make_article()
    assert client.get(f"/live/{story.pk}/updates.json").status_code == 404
    assert "data-live-events" not in client.get(story.get_absolute_url()).content.decode()


def test_it_keeps_the_updates_pinned_field_to_actions():
    assert not LiveUpdate._meta.get_field("pinned").editable


def test_it_polls_instead_of_streaming_where_streams_are_off(client, settings, live):
    """In production one open stream would hold a page worker: the page offers none, and
    the stream's address refuses to open one."""
    settings.KHABAR_LIVE_STREAM = False
    story = live.article
    page = client.get(story.get_absolute_url()).content.decode()
    assert "data-live-updates=" in page and "data-live-events=" not in page
    assert client.get(f"/live/{story.pk}/events").status_code == 404
    assert client.get(f"/live/{story.pk}/updates.json").status_code == 200
