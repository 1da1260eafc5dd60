"""Issue 22: pictures a provider's item names by address are fetched by the worker, from
the provider's allowed hosts only, within the size and pixel limits, never through a
redirect to a private address, and stored with their captions and credits."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import pytest
from django.utils import timezone, translation

from khabar.photos.models import StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.syndication.actions import (
    PICTURE_ATTEMPTS,
    PICTURE_LEASE,
    POLLER,
    fetch_pending_pictures,
    poll_provider,
)
from khabar.syndication.models import Partner, PictureFetch, Provider
from khabar.syndication.ninjs import to_ninjs
from khabar.test import make_article, make_section
from tests.test_ingest_providers import Server

pytestmark = pytest.mark.django_db


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


@pytest.fixture(autouse=True)
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KHABAR_INGEST_FETCH_LOOPBACK = True
    make_section("ar", "world", "دولي")


def story_with_picture(uri: str, href: str) -> bytes:
    doc = to_ninjs(make_article(publish=False, headline="خبر بصورة"))
    doc = {**doc, "uri": uri, "version": "1"}
    doc["associations"] = [
        {
            "name": "featuremedia",
            "type": "picture",
            "uri": f"{uri}:photo",
            "descriptions": [{"role": "caption", "value": "المتظاهرون في الساحة"}],
            "by": "مصور الوكالة",
            "renditions": [{"name": "original", "href": href, "width": 800}],
        }
    ]
    return json.dumps(doc).encode()


def polled(server: Server, href: str, hosts: str = "127.0.0.1") -> PictureFetch:
    server.routes["/feed"] = (200, {}, story_with_picture("urn:agency:p1", href))
    partner = Partner.objects.create(name="وكالة", can_ingest=True)
    feed = Provider.objects.create(
        name="مزود", address=server.url("/feed"), partner=partner, picture_hosts=hosts
    )
    poll_provider(feed, actor=POLLER)
    [job] = PictureFetch.objects.all()
    assert fetch_pending_pictures(actor=POLLER) == 1
    job.refresh_from_db()
    return job


def test_it_attaches_a_fetched_picture_with_its_caption_and_credit(server):
    server.routes["/p.jpg"] = (200, {"Content-Type": "image/jpeg"}, sample_jpeg(800, 450))
    job = polled(server, server.url("/p.jpg"))
    assert job.state == PictureFetch.State.STORED, job.error
    shown = StoryPhoto.objects.select_related("photo").get(article=job.article)
    assert shown.photo.caption == "المتظاهرون في الساحة"
    assert shown.photo.credit == "مصور الوكالة"


def test_it_refuses_a_redirect_to_a_private_address(server):
    server.routes["/p.jpg"] = (302, {"Location": "http://10.0.0.5/secret.jpg"}, b"")
    job = polled(server, server.url("/p.jpg"), hosts="127.0.0.1 10.0.0.5")
    assert job.state == PictureFetch.State.REFUSED
    assert "private" in job.error
    assert not StoryPhoto.objects.exists()


def test_it_refuses_a_redirect_to_this_machine_outside_tests(server, settings):
    settings.KHABAR_INGEST_FETCH_LOOPBACK = False
    server.routes["/p.jpg"] = (200, {}, sample_jpeg(800, 450))
    job = polled(server, server.url("/p.jpg"))
    assert job.state == PictureFetch.State.REFUSED


def test_it_refuses_an_oversize_picture(server, settings):
    settings.KHABAR_PHOTO_MAX_BYTES = 1000
    server.routes["/p.jpg"] = (200, {}, sample_jpeg(800, 450))
    job = polled(server, server.url("/p.jpg"))
    assert job.state == PictureFetch.State.REFUSED and "larger" in job.error


def test_it_refuses_a_picture_over_the_pixel_limit(server, settings):
    settings.KHABAR_PHOTO_MAX_PIXELS = 1000
    server.routes["/p.jpg"] = (200, {}, sample_jpeg(800, 450))
    job = polled(server, server.url("/p.jpg"))
    assert job.state == PictureFetch.State.REFUSED
    assert not StoryPhoto.objects.exists()


def test_it_refuses_a_host_the_provider_does_not_allow(server):
    server.routes["/p.jpg"] = (200, {}, sample_jpeg(800, 450))
    job = polled(server, server.url("/p.jpg", host="localhost"))
    assert job.state == PictureFetch.State.REFUSED and "picture hosts" in job.error


def test_it_reads_the_loopback_switch_from_the_environment_and_never_in_production(
    monkeypatch, tmp_path
):
    from khabar.lib.env import ConfigError
    from tests.test_mail_smtp import settings_from_env

    on = settings_from_env(monkeypatch, tmp_path, KHABAR_INGEST_FETCH_LOOPBACK="1")
    assert on["KHABAR_INGEST_FETCH_LOOPBACK"] is True
    with pytest.raises(ConfigError, match="KHABAR_INGEST_FETCH_LOOPBACK"):
        settings_from_env(
            monkeypatch,
            tmp_path,
            KHABAR_ENV="production",
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="news.example.org",
        )


def queued(server: Server) -> PictureFetch:
    """A provider's story polled, its picture queued and not fetched yet."""
    server.routes["/p.jpg"] = (200, {"Content-Type": "image/jpeg"}, sample_jpeg(800, 450))
    server.routes["/feed"] = (200, {}, story_with_picture("urn:agency:p2", server.url("/p.jpg")))
    partner = Partner.objects.create(name="وكالة", can_ingest=True)
    feed = Provider.objects.create(
        name="مزود", address=server.url("/feed"), partner=partner, picture_hosts="127.0.0.1"
    )
    poll_provider(feed, actor=POLLER)
    return PictureFetch.objects.get()


def left_fetching(job: PictureFetch, *, ago: datetime.timedelta, attempts: int = 1) -> None:
    """As a worker that claimed the picture ``ago`` and then died leaves it."""
    PictureFetch.objects.filter(pk=job.pk).update(
        state=PictureFetch.State.FETCHING, claimed_at=timezone.now() - ago, attempts=attempts
    )


def test_it_takes_again_a_picture_a_dead_worker_left_fetching(server):
    job = queued(server)
    left_fetching(job, ago=PICTURE_LEASE + datetime.timedelta(minutes=1))
    assert fetch_pending_pictures(actor=POLLER) == 1
    job.refresh_from_db()
    assert job.state == PictureFetch.State.STORED, job.error
    assert job.attempts == 2
    assert StoryPhoto.objects.filter(article=job.article).count() == 1


def test_it_leaves_a_picture_another_worker_is_fetching(server):
    job = queued(server)
    left_fetching(job, ago=datetime.timedelta(seconds=5))
    assert fetch_pending_pictures(actor=POLLER) == 0
    job.refresh_from_db()
    assert job.state == PictureFetch.State.FETCHING
    assert not StoryPhoto.objects.exists()


def test_it_gives_up_a_picture_whose_worker_died_each_time(server):
    job = queued(server)
    expired = PICTURE_LEASE + datetime.timedelta(minutes=1)
    left_fetching(job, ago=expired, attempts=PICTURE_ATTEMPTS)
    with translation.override("en"):
        assert fetch_pending_pictures(actor=POLLER) == 1
    job.refresh_from_db()
    assert job.state == PictureFetch.State.REFUSED
    assert job.error == "The worker stopped 3 times while fetching this picture; given up."
    assert not StoryPhoto.objects.exists()
    assert fetch_pending_pictures(actor=POLLER) == 0


def test_it_ignores_the_result_of_a_worker_that_lost_its_claim(server):
    from khabar.syndication.actions import _finish_fetch

    job = queued(server)
    left_fetching(job, ago=PICTURE_LEASE + datetime.timedelta(minutes=1))
    job.refresh_from_db()
    stale = job.claimed_at
    assert fetch_pending_pictures(actor=POLLER) == 1  # another worker takes it over
    # The first worker comes back late with its refusal: the stored picture stands.
    late = _finish_fetch(job, stale, state=PictureFetch.State.REFUSED, error="late")
    assert late.state == PictureFetch.State.STORED and late.error == ""
