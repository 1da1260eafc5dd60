"""A new story joins other stories' "Related stories" boxes within seconds, without purging
every story page of its section on every publish; what makes a shown box wrong (a
correction, a withdrawal) still purges it at once."""

import time

import pytest
from test_most_read import redis_url  # noqa: F401 - a real redis-server for the Redis queue
from test_pagecache import get

from khabar.articles import actions
from khabar.site import pagecache, purge_soon
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cached(settings, tmp_path):
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    from khabar.wsgi import application

    yield application
    pagecache.reset_store()


def related_box(body: str) -> str:
    return body.split('class="related"', 1)[1] if 'class="related"' in body else ""


def test_a_new_story_reaches_related_boxes_when_due_and_its_lists_at_once(cached):
    section = make_section()
    reading = make_article(section=section, headline="خبر يقرؤه الناس")
    pages = [reading.get_absolute_url(), section.get_absolute_url(), "/ar/"]
    for path in pages:
        get(cached, path)
    published_at = time.time()
    make_article(section=section, headline="خبر عاجل جديد")

    # Its section and the home page list it at once.
    for path in pages[1:]:
        _status, headers, body = get(cached, path)
        assert "X-Cache" not in headers and "خبر عاجل جديد" in body, path
    # The story readers are on is still answered from the cache, box and all…
    _status, headers, body = get(cached, reading.get_absolute_url())
    assert headers.get("X-Cache") == "HIT" and "خبر عاجل جديد" not in related_box(body)
    # …until its box is due: then it is rendered again and lists the new story.
    assert purge_soon.purge_due(now=published_at + purge_soon.DELAY - 1) == 0
    assert purge_soon.purge_due(now=published_at + purge_soon.DELAY + 1) >= 1
    _status, headers, body = get(cached, reading.get_absolute_url())
    assert "X-Cache" not in headers and "خبر عاجل جديد" in related_box(body)


def test_a_burst_of_publishing_purges_each_box_once(cached):
    section = make_section()
    reading = make_article(section=section, headline="خبر يقرؤه الناس")
    get(cached, reading.get_absolute_url())
    tag = f"rs:{section.pk}"
    before = pagecache.store().generations([tag])[0]
    started = time.time()
    for n in range(5):
        make_article(section=section, headline=f"تحديث رقم {n}")
    assert pagecache.store().generations([tag])[0] == before  # nothing purged the box yet
    assert get(cached, reading.get_absolute_url())[1].get("X-Cache") == "HIT"
    purge_soon.purge_due(now=started + purge_soon.DELAY + 5)
    assert pagecache.store().generations([tag])[0] == before + 1
    assert purge_soon.purge_due(now=started + 10 * purge_soon.DELAY) == 0  # nothing left


def test_a_correction_or_withdrawal_changes_the_boxes_that_show_the_story_at_once(cached, people):
    section = make_section()
    listed = make_article(section=section, headline="عنوان خاطئ")
    reading = make_article(section=section, headline="خبر يقرؤه الناس")
    get(cached, reading.get_absolute_url())
    assert "عنوان خاطئ" in related_box(get(cached, reading.get_absolute_url())[2])
    actions.correct_article(
        listed,
        base_revision=listed.revision,
        actor=people["editor"],
        note="تصحيح",
        headline="عنوان مصحح",
    )
    _status, headers, body = get(cached, reading.get_absolute_url())
    assert "X-Cache" not in headers and "عنوان مصحح" in related_box(body)
    assert "عنوان خاطئ" not in body
    get(cached, reading.get_absolute_url())
    listed.refresh_from_db()
    actions.withdraw_article(listed, actor=people["editor"], reason="خطأ جسيم")
    _status, headers, body = get(cached, reading.get_absolute_url())
    assert "X-Cache" not in headers and "عنوان مصحح" not in body


def test_the_redis_queue_keeps_the_first_due_time_and_hands_each_key_out_once(
    settings,
    redis_url,  # noqa: F811
):
    settings.REDIS_URL = redis_url
    settings.KHABAR_PAGECACHE = True
    pagecache.reset_store()
    purged = []
    try:
        real = pagecache.purge_keys
        pagecache.purge_keys = lambda keys: purged.append(sorted(keys))
        purge_soon.purge_soon(["rs:1", "rt:2"], at=1000.0)
        purge_soon.purge_soon(["rs:1", "rt:3"], at=1020.0)  # rs:1 keeps its time
        assert purge_soon.purge_due(now=1000.0 + purge_soon.DELAY - 1) == 0
        assert purge_soon.purge_due(now=1000.0 + purge_soon.DELAY) == 2
        assert purged == [["rs:1", "rt:2"]]
        assert purge_soon.purge_due(now=1000.0 + purge_soon.DELAY) == 0
        assert purge_soon.purge_due(now=1020.0 + purge_soon.DELAY) == 1
        assert purged[-1] == ["rt:3"]
    finally:
        pagecache.purge_keys = real
        pagecache.reset_store()


def test_the_worker_purges_what_is_due():
    from khabar.worker.jobs import periodic_jobs

    names = {job.name: job for job in periodic_jobs()}
    assert names["purge-soon"].run is purge_soon.purge_due


def test_the_worker_purges_a_lifted_embargos_pages_once_not_at_every_sweep(cached, people):
    import datetime

    from django.utils import timezone

    from khabar.articles.models import Article
    from khabar.worker.jobs import ScheduledStories

    story = make_article(headline="تقرير تحت الحظر", publish=False)
    lifts = timezone.now() + datetime.timedelta(minutes=10)
    actions.publish_article(story, actor=people["editor"], embargo_until=lifts)
    tag = f"a:{story.pk}"
    scheduler = ScheduledStories()
    scheduler()  # the first sweep, before the embargo lifts
    # The embargo lifts a moment after that run (the run's time set back instead of waiting).
    lifts = timezone.now() - datetime.timedelta(seconds=1)
    scheduler.lifted_to = lifts - datetime.timedelta(seconds=1)
    Article.objects.filter(pk=story.pk).update(embargo_until=lifts)
    before = pagecache.store().generations([tag])[0]
    for _sweep in range(3):  # the embargo lifts; then two more sweeps within the hour
        scheduler.swept_at = float("-inf")
        scheduler()
    assert pagecache.store().generations([tag])[0] == before + 1
